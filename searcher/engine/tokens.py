"""Text analysis: how article text and query text become index terms.

- Words are runs of letters and digits; "1.5", "U.S." and "O'Brien" stay whole, and
  "1,300" is one number.
- Case and accents are folded ("IDLIB" and "Idlíb" are "idlib"), possessives
  dropped ("Russia's" is "russia"), acronyms lose their dots ("U.S." is "us").
- Text fields are then stemmed with the Porter stemmer ("refugees" is "refuge"), but
  for the words it would make an acronym of (`stem`: "used" is "use", not "us", the
  term of "U.S."). Fields holding names (dateline, source, category) are not stemmed.
- No stop words are removed from the index: phrases like "Bank of England" stay
  exact. A query's bare words drop the common English ones (`STOP_WORDS`), see query.

Query text goes through the same analyzers, so query and index agree.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Iterable, Iterator

from whoosh.analysis import Filter, RegexTokenizer, StemFilter
from whoosh.lang.porter import stem as porter_stem
from whoosh.support.charset import accent_map

# A number with thousands separators, or a word: letters/digits joined by dots or apostrophes.
TOKEN_PATTERN = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\w+(?:[.'’]\w+)*"

# Lucene's English stop words (Elasticsearch's `_english_`), the IR standard. Shorter lists
# than this keep "us" (U.S.) and "may" (Theresa May), which news needs.
STOP_WORDS = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the their then there "
    "these they this to was will with".split()
)

#: Stems that Porter makes of other words than the acronym whose term they are, and the
#: stem those words get instead: "use", "used", "using" and "useful" were all "us", as
#: "U.S." and "US" are, and a search for U.S. on Reuters found 1,234 articles that only
#: used something ("WEST GERMAN TAPIOCA USE SEEN DECLINING": a new user's trial).
_ACRONYM_STEMS = {"us": "use"}


def stem(word: str) -> str:
    """A word's stem: Porter's ("refugees" is "refuge"), but "use" for the words it
    makes "us" of, which is the acronym's term (`_ACRONYM_STEMS`)."""
    stemmed = porter_stem(word)
    if stemmed in _ACRONYM_STEMS and stemmed != word:
        return _ACRONYM_STEMS[stemmed]
    return stemmed


_ACRONYM = re.compile(r"^(?:[^\W\d_]\.)+[^\W\d_]$")
_FOLD_TABLE = accent_map  # letters NFKD does not decompose: ø, ł, đ, æ, ...


def fold(word: str) -> str:
    """Case- and accent-folded form of a word: "Idlíb" -> "idlib", "Straße" -> "strasse"."""
    if word.isascii():
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.translate(_FOLD_TABLE).lower()


def normalize_word(word: str) -> str:
    """The index form of a token before stemming."""
    word = fold(word)
    if "'" in word or "’" in word:
        word = word.replace("’", "'")
        if word.endswith("'s"):
            word = word[:-2]
        word = word.rstrip("'")
    if "," in word:
        word = word.replace(",", "")  # "1,300" -> "1300"
    elif "." in word and _ACRONYM.match(word):
        word = word.replace(".", "")  # "u.s" -> "us"
    return word


class NormalizeFilter(Filter):
    """Folds case and accents, drops possessives and acronym dots (see `normalize_word`)."""

    def __init__(self) -> None:
        self._cache: dict[str, str] = {}

    # Whoosh pickles the schema, analyzers included, into every commit: leave the cache out.
    def __getstate__(self) -> dict[str, object]:
        return {}

    def __setstate__(self, state: dict[str, object]) -> None:
        self._cache = {}

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))

    def __call__(self, tokens):  # type: ignore[no-untyped-def]
        cache = self._cache
        for token in tokens:
            text = token.text
            normal = cache.get(text)
            if normal is None:
                normal = normalize_word(text)
                if len(cache) < 100_000:
                    cache[text] = normal
            if normal:
                token.text = normal
                yield token


def text_analyzer():  # type: ignore[no-untyped-def]
    """The analyzer of article text (title, caption, body): normalized and stemmed."""
    return RegexTokenizer(TOKEN_PATTERN) | NormalizeFilter() | StemFilter(stemfn=stem, cachesize=100_000)


TOKEN = re.compile(TOKEN_PATTERN)


class TermCache:
    """Article text to index terms, the fast way: what `text_analyzer` gives, term for
    term (or `name_analyzer`, with `stemmed=False`).

    Indexing spends most of its analysis time passing each token through a chain of
    generators. Here a regex finds the words and one dict lookup per word gives its
    term (normalized and stemmed); only new words go through `normalize_word` and the
    stemmer. It also keeps the words that stemming changes (see `stemmed_away`), which
    the index's word list needs, so they cost no second pass over the text.
    """

    def __init__(self, limit: int = 300_000, stemmed: bool = True) -> None:
        self._terms: dict[str, str] = {}
        self._limit = limit
        self._stemmed = stemmed
        #: Normalized words that stemming changes, as seen by this process (it only grows).
        self.stemmed_away: set[str] = set()

    def terms(self, text: str) -> list[str]:
        """The term of each token of `text`, in order; "" where the token has none
        (a lone apostrophe), so that list positions are token positions."""
        known = self._terms
        tokens = TOKEN.findall(text)
        try:
            return [known[token] for token in tokens]
        except KeyError:
            return [known.get(token) or self._learn(token) for token in tokens]

    def tokens(self, text: str, only: set[str] | None = None) -> Iterator[tuple[int, int, str]]:
        """(start, end, term) of each token of `text` that has a term.

        With `only` (`term_keys` of the terms looked for), a word not yet in the cache
        whose term can't be one of them is not stemmed: its term is given as "". A
        first search in a new process meets mostly new words, and stemming them all
        was a tenth of its time.
        """
        known = self._terms
        for match in TOKEN.finditer(text):
            token = match.group()
            term = known.get(token)
            if term is None:
                if only is not None:
                    word = normalize_word(token)
                    if word and word[:1] not in only and _key(word) not in only:
                        yield match.start(), match.end(), ""
                        continue
                term = self._learn(token)
            if term:
                yield match.start(), match.end(), term

    def _learn(self, token: str) -> str:
        word = normalize_word(token)
        term = stem(word) if word and self._stemmed else word
        if term != word:
            self.stemmed_away.add(word)
        if len(self._terms) >= self._limit:
            self._terms.clear()  # bounded memory on a corpus of endless distinct words
        self._terms[token] = term
        return term


def term_keys(terms: Iterable[str]) -> set[str]:
    """What `TermCache.tokens(only=...)` needs to know of the terms looked for.

    A stem keeps its word's first two letters, but for the y that Porter turns into
    i ("eyed" is "ei"); checked on the 148,454 distinct words of BBC, Reuters and
    TIME. A stem shorter than two letters is known by its first letter.
    """
    return {_key(term) if len(term) >= 2 else term[:1] for term in terms if term}


def _key(word: str) -> str:
    return word[0] + ("i" if word[1:2] == "y" else word[1:2])


#: The caches of this process, shared by every index written in it.
TEXT_TERMS = TermCache()
NAME_TERMS = TermCache(limit=50_000, stemmed=False)


def name_analyzer():  # type: ignore[no-untyped-def]
    """The analyzer of names (places, sources, categories): normalized, not stemmed."""
    return RegexTokenizer(TOKEN_PATTERN) | NormalizeFilter()
