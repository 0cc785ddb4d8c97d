"""Did you mean: the closest query made of words the index has.

A word of the query is "missing" when none of the fields searched by default holds
it (nor is it a spelling of a name with variants). Each missing word is replaced by
the nearest word the corpus writes (edit distance 1 for a short word, else up to 2,
a swap of two letters counting one), the commonest among equals: the words that
stemming changes come from the index's word list (batch.WordList), the others are
the index terms stemming leaves as they are. A word the index has is never
corrected.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Any, Callable, Collection, Iterator, Mapping, Sequence

from ..engine.postings import has_term
from ..engine.schema import text_terms
from ..engine.tokens import TOKEN, fold, stem
from ..text import WEB_ADDRESS

#: Words that are operators in a query (Whoosh's), not words to correct.
OPERATOR_WORDS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "REQUIRE"})


@dataclass(frozen=True)
class Correction:
    """A word of the query and what it was replaced with."""

    start: int  # its position in the query text
    written: str
    suggested: str


def corrections(text: str, is_known: Callable[[str], bool], closest: Callable[[str], str | None]) -> list[Correction]:
    """The missing words of `text` and their closest known words (words with none left out)."""
    found = []
    for match in _words(text, is_known):
        word = match.group()
        suggestion = closest(word)
        if suggestion and suggestion.lower() != word.lower():
            found.append(Correction(match.start(), word, _cased_as(suggestion, word)))
    return found


def _words(text: str, is_known: Callable[[str], bool]) -> Iterator[re.Match[str]]:
    """The words of `text` that a suggestion may correct and that are not known (not
    those of a web address: "gruener" in https://orsted.de/gruene-energie/gruener-...,
    nor those of a field's phrase or brackets: "Tilman" of author:"Tilman Weber", which
    the default fields may not have)."""
    addresses = [(found.start(), found.end()) for found in WEB_ADDRESS.finditer(text)]
    addresses += _fielded_spans(text)
    for match in TOKEN.finditer(text):
        if any(start <= match.start() < end for start, end in addresses):
            continue
        word = match.group()
        if word in OPERATOR_WORDS or len(word) < 3 or any(c.isdigit() for c in word):
            continue
        if text[match.start() - 1:match.start()] in ("*", "?", ":") or text[match.end():match.end() + 1] in (
                "*", "?", "~", ":"):
            continue  # (wildcards, fuzzy words, field names and a field's words are the user's own)
        if not is_known(word):
            yield match


_FIELD_START = re.compile(r'(?<![\w"])\w+:(?=["(])')  # ("field:" before a phrase or brackets)


def _fielded_spans(text: str) -> list[tuple[int, int]]:
    """Where `text` has a field's phrase or brackets (author:"Tilman Weber", title:((a OR
    b) c)), the brackets matched, a phrase's quotes too; a phrase with no field is passed
    over whole ('"england:" infaltion' has none)."""
    spans, at = [], 0
    while at < len(text):
        if text[at] == '"':
            at = _after_phrase(text, at)
            continue
        field = _FIELD_START.match(text, at)
        if field is None:
            at += 1
            continue
        at = field.end()
        if text[at] == '"':
            at = _after_phrase(text, at)
        else:
            depth = 0
            while at < len(text):
                if text[at] == '"':
                    at = _after_phrase(text, at)
                    continue
                depth += {"(": 1, ")": -1}.get(text[at], 0)
                at += 1
                if depth == 0:
                    break
        spans.append((field.start(), at))
    return spans


def _after_phrase(text: str, quote: int) -> int:
    """Where the phrase whose opening quote is at `quote` ends (a quote left open: the end)."""
    end = text.find('"', quote + 1)
    return len(text) if end < 0 else end + 1


def _cased_as(word: str, model: str) -> str:
    """`word` in the case of `model`: "moscow" for "Moskow" is "Moscow"."""
    if model.isupper() and len(model) > 1:
        return word.upper()
    if model[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def corrected(text: str, found: Sequence[Correction]) -> str:
    """`text` with the corrections made."""
    for correction in sorted(found, key=lambda c: -c.start):
        text = text[:correction.start] + correction.suggested + text[correction.start + len(correction.written):]
    return text


class Speller:
    """Suggestions from the index of one searcher: what counts as a word the index has,
    and the nearest written words to one it hasn't."""

    def __init__(self, searcher, schema, fields: Sequence[str], variants, words: Sequence[str]) -> None:  # type: ignore[no-untyped-def]
        self._searcher = searcher
        self._reader = searcher.reader()
        self._analyzers = [(name, text_terms(schema[name]), schema[name].to_bytes) for name in fields]  # (a word's terms in each)
        # Each segment's terms reader, looked up in place (postings.has_term); None: a
        # reader of another kind, asked Whoosh's way.
        leaves = getattr(self._reader, "readers", None) or [self._reader]
        tables = [getattr(leaf, "_terms", None) for leaf in leaves if leaf.doc_count_all()]
        self._tables = tables if all(hasattr(table, "_tindex") for table in tables) else None
        self._variants = variants  # variants.NameVariants, or None
        self._words = words  # the words stemming changes, sorted (batch.WordList)
        self._body_terms: list[str] | None = None

    def suggest(self, query: str) -> str | None:
        """The query with its words that no article has replaced by the closest ones, or None."""
        found = corrections(query, self.is_known, self.closest)
        return corrected(query, found) if found else None

    def unknown(self, query: str) -> list[str]:
        """The words of `query` that suggest would correct: those no article has. (Cheap:
        a lookup a word.)"""
        return [match.group() for match in _words(query, self.is_known)]

    def is_known(self, word: str) -> bool:
        for fieldname, terms_of, to_bytes in self._analyzers:
            terms = terms_of(word)
            if not terms or all(self._has(fieldname, term, to_bytes) for term in terms):
                return True
            if self._variants and self._variants.knows(fieldname, terms):
                return True  # a spelling of a name: other spellings are searched, it is never "corrected"
        return False

    def _has(self, fieldname: str, term: str, to_bytes: Callable[[str], bytes]) -> bool:
        """Whether an article (live or deleted, as Whoosh's `in` counts) has the term in the field."""
        if self._tables is None:
            return (fieldname, term) in self._reader
        text = to_bytes(term)
        return any(has_term(table, fieldname, text) for table in self._tables)

    def closest(self, word: str) -> str | None:
        """The word the corpus writes nearest to `word`, the commonest among equals."""
        return closest([self.candidates(word)])

    def candidates(self, word: str) -> dict[str, tuple[int, int, int]]:
        """The words the corpus writes near `word`: written word -> (edits, articles with
        its stem in the body, in the title)."""
        # Words as the corpus writes them, near what was typed (a swap of two letters
        # is one edit): those stemming changes (the word list), and the index terms
        # that stemming leaves as they are ("trade"; not "coffe", the stem of "coffee").
        typed = fold(word.lower())
        most = 1 if len(typed) < 5 else 2
        found: dict[str, int] = {}
        letters = set(typed)
        for sorted_words, bare in ((self._words, False), (self._terms(), True)):
            for written in _starting_with(sorted_words, typed[:1]):
                if abs(len(written) - len(typed)) > most or written == typed or written in found or \
                        not letters_within(letters, written, most):
                    continue
                edits = distance(written, typed)
                if edits <= most and (not bare or (stem(written) == written and self._written_as_is(written))):
                    found[written] = edits
        return {written: (edits, *self._frequencies(written)) for written, edits in found.items()}

    def _terms(self) -> list[str]:
        """The text's index terms, sorted (read once: a first suggestion costs the
        reading of the term list)."""
        if self._body_terms is None:
            self._body_terms = sorted(term.decode("utf-8") for term in self._reader.lexicon("body"))
        return self._body_terms

    def _frequencies(self, word: str) -> tuple[int, int]:
        term = stem(word)
        return self._searcher.doc_frequency("body", term), self._searcher.doc_frequency("title", term)

    def _written_as_is(self, term: str) -> bool:
        """Whether an article writes the term itself ("trade"), not only words it is the
        stem of ("earthquak", of "earthquake"): certainly when no word of the word list
        has it as its stem, else when one of its first articles has it."""
        if not any(stem(word) == term for word in _starting_with(self._words, term[:3])):
            return True
        pattern = re.compile(rf"\b{re.escape(term)}\b", re.IGNORECASE)
        for number, docnum in enumerate(self._reader.postings("body", term).all_ids()):
            stored: dict[str, Any] = self._searcher.stored_fields(docnum)
            if pattern.search(fold(stored.get("title", ""))) or pattern.search(fold(stored.get("body", ""))):
                return True
            if number == 20:
                break
        return False


def closest(candidates: Sequence[Mapping[str, tuple[int, int, int]]]) -> str | None:
    """The nearest, then the commonest of the candidates (Speller.candidates) of an index,
    or of each shard of one (their counts summed, as one index would count them): a typo
    the corpus has once ("exchanage") loses to the word ("exchange") at the same distance."""
    merged: dict[str, list[int]] = {}
    for found in candidates:
        for written, (edits, body, title) in found.items():
            entry = merged.setdefault(written, [edits, 0, 0])
            entry[1] += body
            entry[2] += title

    def frequency(written: str) -> int:
        return max(merged[written][1], merged[written][2])

    ranked = sorted(merged, key=lambda written: (merged[written][0], -frequency(written), written))
    return next((written for written in ranked if frequency(written) > 0), None)


def suggestion(text: str, missing: Collection[str], closest_of: Mapping[str, str | None]) -> str | None:
    """`text` with its `missing` words replaced by `closest_of` them (a sharded index's
    "did you mean", see results), or None when none is."""
    found = corrections(text, lambda word: word not in missing, closest_of.get)
    return corrected(text, found) if found else None


def _starting_with(words: Sequence[str], prefix: str) -> Sequence[str]:
    """The words of a sorted list that start with `prefix`."""
    return words[bisect.bisect_left(words, prefix):bisect.bisect_left(words, prefix + "\uffff")]


def letters_within(letters: set[str], word: str, edits: int) -> bool:
    """Whether `word` may be within `edits` edits of a word of these `letters`: an edit
    (an insertion, a deletion, a change, a swap) changes the set of letters by two at
    most. A cheap test before the distance, which it never rules a near word out of."""
    return len(letters.symmetric_difference(word)) <= 2 * edits


def distance(a: str, b: str) -> int:
    """Edit distance, a swap of two neighbouring letters counting as one (optimal string alignment)."""
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            row[j] = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]
