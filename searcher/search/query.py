"""Query parsing: from the text a user types to a Whoosh query.

The syntax (also in the README and `searcher --help`):

    Idlib refugees          articles with all the words first, then those with some of them
    "1.5 million refugees"  a phrase
    title:Aleppo            a word in one field: title, caption, body, dateline (or place),
                            source, category, credit, author, language, id
    Idlib OR Aleppo         AND, OR, NOT and parentheses; -word excludes a word
    refug*  un?vers*        wildcards, matched against words as written (a ? ending a
                            word ends a question: "labour?" is "labour")
    Idleb~  Idleb~2         a fuzzy word (1 or 2 edits)
    date:2016-11            a day, month or year; date:2016-11-01..2016-12-31 a range
                            (either end may be left out: date:2016-11..)

Up to MAX_REQUIRED_WORDS words make a query that requires them all; their stop words
("the", "of": tokens.STOP_WORDS) are optional, raising the score of an article that
has them. `PreparedQuery.fallback` is the same query with any word allowed (articles
with more of them rank first): a search ranks the articles it adds after those with
every word (or, with `all_words`, searches it only when no article has them all). A
longer query (a sentence, a headline, a research topic) is ranked over any of its words
but its stop words from the start: requiring every word of a sentence finds almost
nothing, and ranking does better (see the Relevance section of the README). Field
filters such as `date:` or `category:`, and excluded words, stay as they are; an
explicit AND, +word or a phrase in quotes makes the whole query match as written.
Phrases, fields and exclusions keep their stop words.

A query written all in capitals with several long words, or many words ("BORDER DISPUTE
ISRAEL AND SYRIA", as pasted from a headline or a TIME topic), is plain words: its AND,
OR and NOT are words too, and so is a wire's source after a dash ("... SOON -AGENCY").
"EU OR NATO" keeps its operator.
"""

from __future__ import annotations

import bisect
import copy
import difflib
import re
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterator, Literal, Mapping, Sequence

from whoosh import query as wq
from whoosh.matching import AndNotMatcher
from whoosh.qparser.common import attach
from whoosh.qparser import (
    AndGroup,
    BoostPlugin,
    FieldAliasPlugin,
    FuzzyTermPlugin,
    MultifieldPlugin,
    OperatorsPlugin,
    PlusMinusPlugin,
    QueryParser,
    TaggingPlugin,
    syntax,
)

from ..dates import parse_date_bound
from ..engine.schema import QUERY_FIELDS, STEMMED_FIELDS
from ..config import FIELD_ALIASES
from ..engine.tokens import STOP_WORDS, TOKEN, fold
from ..errors import QueryError
from ..model import Wanted
from ..text import WEB_ADDRESS, without_invisible
from .spelling import OPERATOR_WORDS, letters_within

# Fields that filter rather than describe what the article is about: a plain-words
# query that falls back to "any word" keeps them required.
FILTER_FIELDS = frozenset({"date", "id", "category", "source", "dateline", "credit", "author", "language"})

# Plain-words queries with more words than this rank articles with any of them: see above.
MAX_REQUIRED_WORDS = 4

# Fuzzy words beyond two edits match almost anything, and slowly.
MAX_FUZZY_EDITS = 2
# The weight of a fuzzy word's near misses against the word itself, when the index has
# the word: a rare misspelling must not outrank the word the user typed.
FUZZY_VARIANT_WEIGHT = 0.3
# The least weight of a near miss, however short: Lucene's similarity, 1 - edits / the
# shorter word's length, is 0 or less for a word no longer than its edits.
LEAST_SIMILARITY = 0.1
# The terms of the index a query's wildcards may stand for, all fields together: each
# costs a read of its postings (about 0.1 ms on Reuters, more in a larger archive), and
# a server answers one request at a time. "*a*" is 21,000 terms on Reuters and took
# 2.2 s; "a*" is 2,900, "s*" 4,400.
MAX_WILDCARD_TERMS = 10_000
# How deep parentheses may nest: a query written by hand nests a few deep; a script's may
# nest hundreds, where Python's stack ran out in Whoosh's parser.
MAX_NESTING = 50
# The largest ^ boost: a word weighing a thousand others is already all the ranking.
MAX_BOOST = 1000


# What Whoosh's parser reads as syntax: quotes, groups, ranges, wildcards, fields, fuzzy
# words, boosts; +/- at a word's start.
_SYNTAX = re.compile(r"""["()\[\]{}*?~:^\u055e\u061f\u1367]|(?:^|(?<=\s))[+\-](?=\S)""")
# Whoosh's single-quoted term (SingleQuotePlugin), one word however many it holds
# ("'no re-draft' for eu patent law").
_SINGLE_QUOTED = re.compile(r"(^|(?<=\W))'(?P<text>.*?)'(?=\s|\]|[)}]|$)")
_OPERATOR_WORD = re.compile(rf"\b(?:{'|'.join(sorted(OPERATOR_WORDS))})\b")

# What makes a query more than plain words: operators, +/-, parentheses.
_REQUIRING_OPERATORS = re.compile(r"\b(?:AND|ANDNOT|ANDMAYBE)\b")
_PLUS = re.compile(r"(?:^|(?<=[\s(]))\+(?=\S)")
_MINUS = re.compile(r"(?:^|(?<=[\s(]))-(?=\S)")  # (PlusMinusPlugin's, as the parser is given it)
_SIGNS = re.compile(r"(?:^|(?<=\s))[-+]+(?=\S)")  # (-word and +word, "--USDA" too)
_WORD = re.compile(r"\S+")
_AFTER_BRACKET = re.compile(r"(?<=\))-+")
_QUOTED = re.compile(r'"[^"]*"?')
_SCHEME = re.compile(r"^(?:[a-z][a-z0-9+.-]*://)?(?:www\.)?", re.IGNORECASE)
_NOT_WORD = re.compile(r"[\W_]+")
_PATTERN_MARKS = re.compile(r"[*?~]")
#: A query in capitals of this many words is pasted text (see _is_shouted).
SHOUTED_WORDS = 6
# Question marks at a word's end, before a space, the end or closing punctuation
# ("labour?", "why?)", "really??", "c#?", "#1?", '"no gain"?'), or standing alone, as
# typed after a space ("coffee ?": a lone ? was any word of one letter, 15,466 articles
# of Reuters); "colo?r" keeps its wildcard, and so does a ? after another pattern mark
# ("organi*?").
_QUESTION_END = r"(?=$|[\s\"'”’)\]},.;:!])"
_QUESTION_MARK = re.compile(rf"(?<=[^\s*?~(])\?+{_QUESTION_END}|(?:^|(?<=[\s(]))\?+{_QUESTION_END}")
# field:value where field starts with a letter (times such as 10:30 are not fields);
# a field with nothing after it is caught too.
_FIELD_PREFIX = re.compile(r'(?:^|(?<=[\s(+\-]))([^\W\d_][\w]*):(?=[^\s)]|\s|\)|$)')


@dataclass(frozen=True)
class PreparedQuery:
    """A parsed query: what to search, and with which of its words.

    `matched` is how `query` treats plain words: "all" must match, or "ranked" (a long
    query: any of them, best first). `fallback`, when there is one, allows any of the
    words of a short query: the articles it adds rank after those with every word
    (see Index.search). `every`, for a ranked query, requires all its words: which hits
    have them all. A query that asks for all its words (quotes, AND, +word) has no
    fallback.
    """

    text: str
    query: wq.Query
    fallback: wq.Query | None
    matched: Literal["all", "ranked"] = "all"
    expansions: tuple = ()  # variants.Expansion: the words that name variants were added to
    every: wq.Query | None = None
    patterns: bool = True  # whether it may have wildcards or fuzzy words (resolve_patterns)


def _raised_in_whoosh(error: BaseException) -> bool:
    frame = error.__traceback__
    while frame is not None and frame.tb_next is not None:
        frame = frame.tb_next
    return frame is not None and str(frame.tb_frame.f_globals.get("__name__", "")).startswith("whoosh.")


def query_builder(schema, config) -> QueryBuilder:  # type: ignore[no-untyped-def]
    """The QueryBuilder of an index with this schema and configuration (boosts,
    synonym groups, and the bundled name variants unless switched off)."""
    from .variants import NameVariants

    groups = list(config.synonym_groups)
    if config.default_synonyms:
        from .name_variants import GROUPS

        groups = [*GROUPS, *groups]
    return QueryBuilder(schema, config.boosts, NameVariants(groups, schema))


class QueryBuilder:
    """Parses query text for one schema and one set of field boosts."""

    def __init__(self, schema, boosts: Mapping[str, float], variants=None) -> None:  # type: ignore[no-untyped-def]
        self.schema = schema
        self.boosts = dict(boosts)
        self.variants = variants  # variants.NameVariants, or None
        # shouted -> Whoosh's parser, made when a query needs it (compiling its plugins'
        # expressions is a tenth of a first search; plain words don't need it). Shouted
        # (all-caps) queries have no operators.
        self._parsers: dict[bool, QueryParser] = {}
        self.known_fields = set(QUERY_FIELDS) | {alias for aliases in FIELD_ALIASES.values() for alias in aliases} \
            | set(_DATE_BOUNDS)
        # The last queries prepared: the shards of an index in one process share a builder,
        # and each prepares the same text (a quarter of a 4-shard search of Reuters x5).
        self._prepared: dict[str, PreparedQuery] = {}

    def parser(self, shouted: bool) -> QueryParser:
        """Whoosh's parser for queries (shouted: all in capitals, see _is_shouted)."""
        parser = self._parsers.get(shouted)
        if parser is None:
            parser = self._parsers[shouted] = self._parser(shouted)
        return parser

    def _parser(self, shouted: bool) -> QueryParser:
        # (Field boosts are applied by the weighting model, see scoring; a word's ^ boost,
        # "coffee^2 brazil", multiplies that word's score, as in Lucene's syntax.)
        parser = _Parser(None, self.schema, group=AndGroup)
        if shouted:
            parser.remove_plugin_class(OperatorsPlugin)
        parser.add_plugin(MultifieldPlugin(list(self.boosts)))
        parser.remove_plugin_class(BoostPlugin)
        parser.add_plugin(_BoostPlugin())
        parser.add_plugin(FuzzyTermPlugin())
        # "-word" excludes a word, but only at the start of a word: "pro-government" is one word.
        parser.add_plugin(_PlusMinusPlugin(plusexpr=_PLUS.pattern, minusexpr=_MINUS.pattern))
        parser.add_plugin(FieldAliasPlugin(FIELD_ALIASES))
        parser.add_plugin(DatePlugin())
        return parser

    def prepare(self, text: str) -> PreparedQuery:
        """Parse `text`; raises QueryError (with the position) when it can't be searched.
        (The result is shared: the queries in it are not to be changed in place.)"""
        known = self._prepared.get(text)
        if known is not None:
            return known
        prepared = self._parsed(text)
        if len(self._prepared) >= 8:
            del self._prepared[next(iter(self._prepared))]
        self._prepared[text] = prepared
        return prepared

    def _parsed(self, text: str) -> PreparedQuery:
        # A question mark after a word is the end of a question ("what next for
        # labour?"), not Whoosh's one-character wildcard, which found no "labour" at all.
        # (As spaces: an error's position is still the one in the text as typed.)
        text = _QUESTION_MARK.sub(_blank, text)
        prepared = self._prepare(text)
        query, fallback, every = prepared.query, prepared.fallback, prepared.every
        expansions: list = []
        if self.variants:
            done: dict = {}  # (the three forms share their words)
            query = self.variants.expand(query, expansions, done)
            fallback = self.variants.expand(fallback, None, done) if fallback is not None else None
            every = self.variants.expand(every, None, done) if every is not None else None
        # (Whoosh's parser makes wildcards of * and ?, fuzzy words of ~: without them, a
        # search need not look for them.)
        patterns = bool(_PATTERN_MARKS.search(text))
        if not _MINUS.search(prepared.text) and "NOT" not in prepared.text:
            # (Whoosh's parser makes an AndNot of "-word", NOT and ANDNOT only: nothing to
            # fix. prepared.text is what it parsed: invisible characters taken out.)
            return replace(prepared, query=query, fallback=fallback, every=every, expansions=tuple(expansions),
                           patterns=patterns)
        return replace(prepared, query=_with_fixed_exclusions(query),
                       fallback=_with_fixed_exclusions(fallback) if fallback is not None else None,
                       every=_with_fixed_exclusions(every) if every is not None else None,
                       expansions=tuple(expansions), patterns=patterns)

    def _prepare(self, text: str) -> PreparedQuery:
        # (Pasted from a web page, "Klima\u00adwandel" is the word the index holds.)
        text = without_invisible(text)
        address = text.strip()
        if WEB_ADDRESS.fullmatch(address):
            # A web address pasted alone: the article it is the id of (a web page's
            # canonical URL) first, then those with its words, but for "https" and "www",
            # which every address has ("orsted.de/gruene-energie": 4 words).
            article = wq.Term("id", address)
            words_of = _NOT_WORD.sub(" ", _SCHEME.sub(" ", address))
            parsed = self._parse(words_of, False) if words_of.strip() else wq.NullQuery
            if isinstance(parsed, type(wq.NullQuery)):
                return PreparedQuery(text, article, None)
            clauses = _Clauses.of(parsed)
            words = clauses.any_word() if clauses is not None and len(clauses.words) > 1 else parsed
            return PreparedQuery(text, article, wq.Or([article, words]))
        if text.count('"') % 2:
            # A quote left open ('"bank of england') closes at the query's end, as web
            # engines read it: Whoosh's parser would drop it and search the words apart.
            text += '"'
        _check_nesting(text)
        _check_quoted_patterns(text)
        if "^" in text or "~" in text:
            _check_boosts_and_edits(text)
        text = self._normalize_fields(text)
        if text.strip() == "*":
            return PreparedQuery(text, wq.Every(), None)  # every article, without scoring each field
        shouted = _is_shouted(text)
        if not shouted and _OPERATOR_WORD.search(text):
            text = _dangling_operators_as_words(text)
        if shouted:
            # Pasted text: "THE BAATH (RENAISSANCE) PARTY", and a wire's source after a dash
            # ("JAPAN ECONOMY MAY START BOTTOMING OUT SOON -AGENCY") is a word, not excluded.
            # ("(CORRECTED)-BANKERS TRUST": a hyphen after the bracket, not an exclusion.)
            text = _AFTER_BRACKET.sub(_blank, text)
            text = _without_source_dash(text.replace("(", " ").replace(")", " "))
        parsed = self._parse(text, shouted)
        if isinstance(parsed, type(wq.NullQuery)) and _only_exclusions(text):
            # "-oil" alone is what "NOT oil" asks: every article without it (with --source,
            # say); Whoosh's parser makes nothing of a "-word" with no word to leave it out of.
            parsed = self._parse(_MINUS.sub("NOT ", text), shouted)
        if isinstance(parsed, type(wq.NullQuery)):
            raise QueryError("the query has no words to search for", hint="type some words, e.g. searcher \"Idlib refugees\"")
        unquoted = _QUOTED.sub(" ", text)
        plus = _PLUS.search(_QUOTED.sub(_filled, text))  # (a phrase is a word here: 'opec +"oil prices"')
        # An explicit AND or +word says "all of these": such a query is taken as written.
        # OR, NOT, -word and parentheses leave the other words free to be ranked.
        if plus or (not shouted and _REQUIRING_OPERATORS.search(unquoted)):
            # (But the words beside a +word, or after ANDMAYBE, are optional: the articles
            # that have them too come first, as those with every word, then the others.
            # Filters beside a +word are not: they filter, as the options do.)
            if plus:
                parsed = _filters_required(parsed)
            every = _optional_words_required(parsed)
            return PreparedQuery(text, parsed, None) if every is parsed else PreparedQuery(text, every, parsed)
        clauses = _Clauses.of(parsed)
        if clauses is None:
            return PreparedQuery(text, parsed, None)
        words = [q for q in clauses.words if not _is_stop_word(q)]
        stop_words = [q for q in clauses.words if _is_stop_word(q)]
        if not words:  # only stop words: "to be or not to be", "The The"
            return PreparedQuery(text, parsed, clauses.any_word() if len(clauses.words) > 1 else None)
        if len(words) > MAX_REQUIRED_WORDS:
            # Stop words add nothing to a ranked sentence but time.
            ranked = clauses.with_words(words)
            return PreparedQuery(text, ranked.any_word(), None, "ranked", every=ranked.all_words())
        # All the words are required; stop words are not ("refugees in the camp"), but
        # an article that has them ranks higher ("Will Smith", "IT jobs"). A short
        # query with a phrase in quotes asks for them all: it has no fallback.
        required = clauses.with_words(words)
        query = required.all_words(optional=_StopWords(stop_words) if stop_words else None)
        if unquoted != text:
            return PreparedQuery(text, query, None)
        return PreparedQuery(text, query, required.any_word() if len(words) > 1 else None)

    def _parse(self, text: str, shouted: bool) -> wq.Query:
        try:
            parsed = self._parse_plain(text, shouted)
            plain = parsed is not None  # (then it has no error nodes, nor fuzzy words)
            if parsed is None:
                parsed = self.parser(shouted).parse(text, normalize=False)
        except (IndexError, ValueError, TypeError, AttributeError, RecursionError) as error:
            # Whoosh's parser trips over some runs of operators with nothing to apply to
            # ('" " NOT AND "', found by hypothesis): that is the query's fault, said as such.
            # Raised by searcher's own plugins, it is a bug of ours, and keeps its traceback.
            if not _raised_in_whoosh(error):
                raise
            raise QueryError("the query's operators have nothing to work on",
                             hint="check its quotes, parentheses and AND/OR/NOT") from None
        if isinstance(parsed, wq.And):
            # A word said twice counts twice, as BM25 weighs query terms ("NUMBER OF
            # TROOPS ... COMPARED WITH THE NUMBER OF TROOPS"); Whoosh would drop the repeat.
            counts: dict[wq.Query, int] = {}
            for sub in parsed.subqueries:
                counts[sub] = counts.get(sub, 0) + 1
            parsed = wq.And([sub.with_boost(sub.boost * n) if n > 1 and not _is_filter(sub) else sub
                             for sub, n in counts.items()])
        parsed = normalized(parsed)
        if not plain:
            _raise_parse_errors(parsed)
            _check_dates(parsed, text)
        return parsed

    def _field_meant(self, name: str) -> str | None:
        """The known field an unknown `name` is most likely a slip for ("titel",
        "lang"), or None: then it is a word, not a field."""
        # (A field of two letters is near any three letters holding its two: "Aid:Syria",
        # "Kid:" and "bid:" are words before a colon; "ids" and "idx" are slips for id.
        # since: and until: are no fields, and common words: "sin:tax" stays words.)
        fields = sorted(self.known_fields.difference(_DATE_BOUNDS))
        close = difflib.get_close_matches(name, [field for field in fields if len(field) > 2], n=1, cutoff=0.75)
        close += [field for field in fields if len(field) == 2 and name.startswith(field) and len(name) == 3]
        if close:
            return close[0]
        started = [field for field in fields if len(name) >= 3 and field.startswith(name)]
        return started[0] if started else None

    def _parse_plain(self, text: str, shouted: bool) -> wq.Query | None:
        """What Whoosh's parser makes of plain words (no syntax at all), without it; None
        for any other query.

        Whoosh's parser tries each of its dozen taggers at every character of the
        query, then runs a dozen filters over what it found: most of a short search's
        time. Plain words become an AND of each word's OR over the default fields,
        each the word as the field's analyzer makes it: the same query, term for term
        (tests/test_search.py compares the two on thousands of queries).
        """
        words = _plain_words(text)
        if not words or (not shouted and not OPERATOR_WORDS.isdisjoint(words)):
            return None
        found = []
        for word in words:
            fields = []
            for name in self.boosts:
                # A field analysed by a term cache (schema.ArticleText) gives the word's
                # terms from it: what its analyzer gives (tests/test_indexer.py), cached.
                cache = getattr(self.schema[name], "term_cache", None) if name in self.schema else None
                terms = cache.terms(word) if cache is not None else None
                if terms is None or not all(terms):
                    fields.append(self.parser(shouted).term_query(name, word, wq.Term))  # (Whoosh's way)
                elif len(terms) > 1:
                    # ("blu-ray": the field's multitoken_query, "default", is an AND of its terms)
                    fields.append(_marked(wq.And([wq.Term(name, term) for term in terms]), word))
                elif terms:
                    fields.append(_marked(wq.Term(name, terms[0]), word))
            found.append(wq.Or([field for field in fields if field is not None]))
        return wq.And(found)

    def _normalize_fields(self, text: str) -> str:
        """`text` with field names in lower case ("Title:" is "title:").

        A field with nothing after it ("idlib title:") is a QueryError, and so is an
        unknown field whose name is near a known one ("titel:Idlib"). Another word before
        a colon is a word: "Syria: war", "CD:UK" (a TV show), "https://www.bbc.co.uk";
        so is a field's name before a colon and a space, as in pasted notes ("Source: BBC
        says Blair will go", "Date: 2005 election").
        """
        unquoted = _QUOTED.sub(_blank, text)
        for match in _FIELD_PREFIX.finditer(unquoted):
            name = match.group(1)
            after = match.end()
            empty = after >= len(text) or text[after].isspace() or text[after] == ")"
            if empty and text[after:].strip() and not text[after:].lstrip().startswith(")"):
                continue  # "Syria: war", "Source: BBC says" are words, not a field
            if name.lower() not in self.known_fields:
                if empty:
                    continue
                meant = self._field_meant(name.lower())
                if meant is None:  # (a word, the colon between words)
                    text = text[:match.end(1)] + " " + text[match.end(1) + 1:]
                    continue
                known = ", ".join(sorted(set(QUERY_FIELDS)))
                raise QueryError(f"unknown field {name!r}", match.start(1),
                                 hint=f"did you mean {meant}? fields: {known}")
            if empty:
                example = "2016-11" if name.lower() in _DATE_NAMES else 'word or {0}:"some words"'
                raise QueryError(f"nothing to search for after {name}:", match.start(1),
                                 hint=f"write {name.lower()}:{example.format(name.lower())}")
            if name != name.lower():
                text = text[:match.start(1)] + name.lower() + text[match.end(1):]
        return text


def normalized(query: wq.Query) -> wq.Query:
    """`query.normalize()`, but `query` itself when it is normal already: plain words
    (an AND of two or more different words, each a term or an OR of two or more
    different fields of it, each a term or the AND of two or more different terms of a
    word such as "blu-ray"), which Whoosh's normalize copies node by node, unchanged."""
    if type(query) is not wq.And or len(query.subqueries) < 2:
        return query.normalize()
    words = []
    for word in query.subqueries:
        if type(word) is wq.Term:
            words.append(_term_key(word))
            continue
        if type(word) is not wq.Or or word.minmatch or word.scale is not None or len(word.subqueries) < 2:
            return query.normalize()
        fields = tuple(_term_key(field) if type(field) is wq.Term else _terms_key(field) for field in word.subqueries)
        if None in fields or len(set(fields)) < len(fields):
            return query.normalize()
        words.append((word.boost, fields))
    # (Keys that are equal where Whoosh's queries are: hashing those walks them.)
    return query if len(set(words)) == len(words) else query.normalize()


def _term_key(term: wq.Term) -> tuple[str, str, float]:
    return term.fieldname, term.text, term.boost


def _terms_key(query: wq.Query) -> tuple | None:
    """The key of an AND of two or more different terms, as normalize leaves it; None for
    any other query. (Normalize's copy would drop a stop word's mark: not one of these.)"""
    if type(query) is not wq.And or len(query.subqueries) < 2 or getattr(query, "stop_word", False) or not all(
            type(term) is wq.Term for term in query.subqueries):
        return None
    terms = tuple(_term_key(term) for term in query.subqueries)
    return (query.boost, terms) if len(set(terms)) == len(terms) else None


def _plain_words(text: str) -> list[str] | None:
    """The words of a query without syntax, as Whoosh's parser reads them (a term in
    single quotes, one or several words, is one word of its own); None for a query with
    syntax."""
    if _SYNTAX.search(text):
        return None
    words, at = [], 0
    for quoted in _SINGLE_QUOTED.finditer(text):
        if quoted.start() and not text[quoted.start() - 1].isspace():
            return None  # (glued to what comes before it: Whoosh makes two words of one)
        words += text[at:quoted.start()].split()
        words.append(quoted["text"])
        at = quoted.end()
    return words + text[at:].split()


def _only_exclusions(text: str) -> bool:
    """Whether every word of `text` (a phrase in quotes is one) is an exclusion: "-oil",
    '-oil -"crude oil"'."""
    words = _WORD.findall(_QUOTED.sub(_blank, text))
    return bool(words) and all(_MINUS.match(word) or word == "-" for word in words)


def required_dates(query: wq.Query) -> tuple[Any, Any] | None:
    """The first and last moment (datetimes, None: open) that every match of `query`
    lies in: the overlap of the date ranges it requires (`date:1987-03`, `since:1987-04`),
    or None when it requires none."""
    ranges = _required_ranges(query)
    return _overlap(ranges) if ranges else None


def _overlap(ranges: Sequence[wq.DateRange]) -> tuple[Any, Any]:
    starts = [part.startdate for part in ranges if part.startdate is not None]
    ends = [part.enddate for part in ranges if part.enddate is not None]
    return max(starts, default=None), min(ends, default=None)


def required_words(query: wq.Query) -> list[wq.Term]:
    """The words (in their fields) that every match of `query` must have, each a word
    as written (`category:coffee`, not the parts of `category:money-fx`, which have no
    place of their own in the query)."""
    return [part for part in _required(query) if type(part) is wq.Term and getattr(part, "startchar", None) is not None]


def _required_ranges(query: wq.Query) -> list[wq.DateRange]:
    return [part for part in _required(query) if isinstance(part, wq.DateRange)]


def _required(query: wq.Query) -> list[wq.Query]:
    """The parts every match of `query` must match: of its ANDs, and of what its
    exclusions and optional words leave required, at any depth."""
    while isinstance(query, (wq.AndNot, wq.AndMaybe)):
        query = query.a
    return [part for sub in query.subqueries for part in _required(sub)] if isinstance(query, wq.And) else [query]


def _check_dates(query: wq.Query, text: str) -> None:
    """A QueryError, at the date that leaves none, when the dates `query` requires
    don't overlap (`since:1990 until:1980`): no article could match, and the user
    meant something else."""
    ranges = _required_ranges(query)
    for count in range(2, len(ranges) + 1):
        start, end = _overlap(ranges[:count])
        if start is not None and end is not None and end < start:
            written = [text[part.startchar:part.endchar] for part in ranges[:count]]
            bounds = sorted(bound.rstrip(".") for said in written for bound in said.split(":", 1)[1].split("..") if bound)
            raise QueryError(f"no day is in all of the query's dates ({' and '.join(written)})",
                             ranges[count - 1].startchar, hint=f"did you mean date:{bounds[0]}..{bounds[-1]}?")


def _is_filter(query: wq.Query) -> bool:
    return _query_fields(query) <= FILTER_FIELDS


@dataclass(frozen=True)
class _Clauses:
    """A query's top-level parts: words (or groups) that may be ranked, filters that stay
    required, and what is excluded (`-word`, `NOT word`)."""

    words: list[wq.Query]
    filters: list[wq.Query]
    excluded: wq.Query | None

    @classmethod
    def of(cls, query: wq.Query) -> "_Clauses | None":
        """The parts of an AND of clauses, or None for another shape (one word, a lone OR)."""
        excluded = []
        if isinstance(query, wq.AndNot):
            query, excluded = query.a, [query.b]
        parts = list(query.subqueries) if isinstance(query, wq.And) else [query]
        # "-word" comes as AND NOT, "NOT word" as a NOT inside the AND: both exclude.
        excluded += [part.query for part in parts if isinstance(part, wq.Not)]
        parts = [part for part in parts if not isinstance(part, wq.Not)]
        if not parts or (not excluded and len(parts) < 2):
            return None
        if any(isinstance(part, (wq.AndNot, wq.AndMaybe)) for part in parts):
            return None
        out = (excluded[0] if len(excluded) == 1 else wq.Or(excluded)) if excluded else None
        filters = [_is_filter(q) for q in parts]
        return cls([q for q, is_filter in zip(parts, filters) if not is_filter],
                   [q for q, is_filter in zip(parts, filters) if is_filter], out)

    def with_words(self, words: list[wq.Query]) -> "_Clauses":
        return _Clauses(words, self.filters, self.excluded)

    def all_words(self, optional: wq.Query | None = None) -> wq.Query:
        return self._build(wq.And(self.words) if len(self.words) > 1 else self.words[0], optional)

    def any_word(self) -> wq.Query:
        # Articles with more of the words rank first because their scores add up.
        # (Whoosh's coordination bonus, Or(scale=...), is not used: it scores 0 when
        # one word matches.)
        return self._build(wq.Or(self.words) if len(self.words) > 1 else self.words[0])

    def _build(self, words: wq.Query, optional: wq.Query | None = None) -> wq.Query:
        query = wq.And([words, *self.filters]) if self.filters else words
        if optional is not None:
            query = wq.AndMaybe(query, optional)
        return wq.AndNot(query, self.excluded) if self.excluded is not None else query


class _StopWords(wq.Or):
    """The stop words of a short query: they raise the score of an article that has
    them, but are not required and not highlighted."""


class _AndNotMatcher(AndNotMatcher):
    def _find_first(self):  # type: ignore[no-untyped-def]
        # Whoosh 2.7 skips the first excluded document only when both lists start on
        # it; when the excluded word starts earlier, the first match was kept:
        # "refugees -the" found an article with "the".
        if self.a.is_active() and self.b.is_active() and self.b.id() <= self.a.id():
            self._find_next()


class _AndNot(wq.AndNot):
    """AndNot with the first-document fix above."""

    def matcher(self, searcher, context=None):  # type: ignore[no-untyped-def]
        return _AndNotMatcher(self.a.matcher(searcher, context), self.b.matcher(searcher, searcher.boolean_context()))


def _with_fixed_exclusions(query: wq.Query) -> wq.Query:
    if isinstance(query, wq.AndNot) and not isinstance(query, _AndNot):
        return _AndNot(_with_fixed_exclusions(query.a), _with_fixed_exclusions(query.b))
    return mapped(query, _with_fixed_exclusions)


def mapped(query: wq.Query, change: Callable[[wq.Query], wq.Query]) -> wq.Query:
    """`query` with `change` applied to each of its children: Whoosh's `apply`, but
    `query` itself when no child changes (`apply` copies every node of the tree)."""
    if query.is_leaf():
        return query
    children = list(query.children())
    changed = [change(child) for child in children]
    if all(new is old for new, old in zip(changed, children)):
        return query
    by_child = {id(old): new for old, new in zip(children, changed)}
    return query.apply(lambda child: by_child[id(child)])


def _filters_required(query: wq.Query) -> wq.Query:
    """`query` with the filters among its optional words required: '+opec category:crude'
    is the crude articles with opec, as `+opec --category crude` is, not every article
    with opec, the crude ones first (a filter was optional beside a +word)."""
    if isinstance(query, wq.AndNot):
        kept = _filters_required(query.a)
        return query if kept is query.a else wq.AndNot(kept, query.b)
    if not isinstance(query, wq.AndMaybe):
        return query
    # (The optional clauses: an AND of them, or one, such as a word's OR of its fields.)
    optional = list(query.b.subqueries) if type(query.b) is wq.And else [query.b]
    filters = [part for part in optional if _is_filter(part)]
    if not filters:
        return query
    required = wq.And([_filters_required(query.a), *filters])
    rest = [part for part in optional if not _is_filter(part)]
    if not rest:
        return required
    return wq.AndMaybe(required, rest[0] if len(rest) == 1 else wq.And(rest))


def _optional_words_required(query: wq.Query) -> wq.Query:
    """`query` with its optional words required: every ANDMAYBE an AND. ('opec +quota'
    is "quota, and opec if it can": its articles with both are those with every word.)
    Not inside what is excluded: requiring more there would exclude less, and the
    articles with every word would not all be among the query's."""
    if isinstance(query, wq.AndMaybe):
        return wq.And([_optional_words_required(query.a), _optional_words_required(query.b)])
    if isinstance(query, wq.AndNot):
        kept = _optional_words_required(query.a)
        return query if kept is query.a else wq.AndNot(kept, query.b)
    if isinstance(query, wq.Not):
        return query
    return mapped(query, _optional_words_required)


def _check_nesting(text: str) -> None:
    """A QueryError, at the bracket that goes past it, for parentheses nested more than
    MAX_NESTING deep (outside quotes): Whoosh's parser and queries recurse on them, and
    past some hundreds Python's stack ran out (a RecursionError, a traceback)."""
    if text.count("(") <= MAX_NESTING:
        return
    depth = 0
    for at, char in enumerate(_QUOTED.sub(_blank, text)):  # (the same places, quotes blanked)
        if char == "(":
            depth += 1
            if depth > MAX_NESTING:
                raise QueryError(f"parentheses nested more than {MAX_NESTING} deep", at)
        elif char == ")" and depth:
            depth -= 1


def _check_quoted_patterns(text: str) -> None:
    """A QueryError for a wildcard or a fuzzy word inside quotes ('"oil pri*"'): a phrase
    is its words as written, and the analysis drops the * and the ~, so that it looked
    for "oil pri" and found nothing, as if there were no such story."""
    for quoted in _QUOTED.finditer(text):
        pattern = _QUOTED_PATTERN.search(quoted.group())
        if pattern is not None:
            raise QueryError(f"{pattern.group()!r}: a phrase in quotes is its words as written, "
                             "without wildcards or fuzzy words", quoted.start() + pattern.start(),
                             hint="take the word out of the quotes, or write it whole")


# A word with a * against a letter or digit ("pri*", "*ing"), or a word of letters with a
# ~ at its end ("pric~", "pric~2"); not "*** breaking ***", a footnote's "5%*", "5~6".
_QUOTED_PATTERN = re.compile(r"[^\s\"]*(?:\w\*|\*\w)[^\s\"]*|[^\s\"]*[^\W\d_]~\d?(?=[\s\"]|$)")


def _check_boosts_and_edits(text: str) -> None:
    """A QueryError for a boost that is not a number ('opec^abc', 'oil^1e3', 'oil^-1') or
    a fuzzy word's edits that are not 1 or 2 ('oil~1.5', 'oil~x'): Whoosh's parser left
    the mark and searched what follows as a word, which no article had with the other in
    one field ("No article matches"). Outside quotes, after a word, a phrase or a bracket
    (after a digit, ^ is a power: "2^10", see _BoostPlugin), and not in a web or mail
    address ("example.com/a~b"); punctuation may follow ("coffee^2, brazil", "oil~.").
    """
    unquoted = _QUOTED.sub(lambda quoted: '"' + " " * (len(quoted.group()) - 2) + '"', text)
    for word in _WORD.finditer(unquoted):
        if "/" in word.group() or "@" in word.group():
            continue
        for mark in _MARKED.finditer(word.group()):
            value = mark.group("value")
            if not value or (value.isdigit() and word.group()[mark.start() - 1:mark.start()] == '"'):
                continue  # (after a phrase, ~ is its slop, any number of words: '"oil prices"~10')
            at = word.start() + mark.start("value")
            if mark.group("mark") == "^":
                raise QueryError(f"a boost is a number more than 0 (coffee^2, coffee^0.5), not {value!r}", at)
            raise QueryError(f"a fuzzy word allows 1 or {MAX_FUZZY_EDITS} edits (Idleb~, Idleb~2), not {value!r}", at)


# A ^ or ~ after a letter, a quote or a bracket, and what follows it when that is not a
# number (a boost's; a ~'s: a digit, and Whoosh's /prefix) ended by the word's end or
# punctuation: the value named in the error.
_MARKED = re.compile(r"""(?<=[^\W\d_]|[")])(?P<mark>[\^~])"""
                     r"""(?!(?:(?<=\^)(?:\d+(?:\.\d+)?|\.\d+)|(?<=~)\d?(?:/\d+)?)(?:$|[^\w.\-]|[.\-](?!\d)))"""
                     r"""(?P<value>[\w.+\-/]*)""")


def _dangling_operators_as_words(text: str) -> str:
    """`text` with an operator that has nothing to join taken as a word, in lower case:
    "Portland OR" (the state), "opec AND", "NOT" alone, "(AND oil)". In capitals Whoosh
    searched some as written ("opec AND" required the word "and") and dropped others. Two
    operators in a row ("oil OR OR gas", "oil AND OR gas") are a QueryError at the
    second: which was meant can't be told. (The same length: positions hold.)"""
    blanked = _QUOTED.sub(_filled, text)  # (a phrase is one word here)
    tokens = [(token.group(), token.start()) for token in _OPERATOR_TOKENS.finditer(blanked)]
    words = list(text)
    for number, (token, at) in enumerate(tokens):
        if token not in OPERATOR_WORDS:
            continue
        before = tokens[number - 1][0] if number else "("
        after = tokens[number + 1][0] if number + 1 < len(tokens) else ")"
        joins = token != "NOT"
        if before in OPERATOR_WORDS and (joins or before == "NOT"):
            raise QueryError(f"{token} follows {before}: two operators in a row", at,
                             hint="write a word between them, or leave one out")
        if after == ")" or (joins and before == "("):
            words[at:at + len(token)] = token.lower()
    return "".join(words)


_OPERATOR_TOKENS = re.compile(r"[()]|[^\s()]+")


def _all_stop_words(text: str) -> bool:
    """Whether `text` ("the", "the,") holds words and all of them are stop words."""
    words = TOKEN.findall(text)
    return bool(words) and all(fold(word) in STOP_WORDS for word in words)


def _is_stop_word(clause: wq.Query) -> bool:
    """Whether a query clause is a bare stop word: an OR over the default fields, each a
    stop word. A stop word given a field (`title:the`) is a single term, and searched."""
    return (isinstance(clause, wq.Or) and len(clause.subqueries) > 1
            and all(getattr(sub, "stop_word", False) for sub in clause.subqueries))


class _Parser(QueryParser):
    def term_query(self, fieldname, text, termclass, boost=1.0, tokenize=True, removestops=True):  # type: ignore[no-untyped-def]
        # Whoosh runs a wildcard's text through the field's analyzer, stemming it:
        # "universities*" became "univers*". A wildcard keeps the word as typed (case
        # and accents folded); resolve_patterns finds the stems it stands for.
        if termclass in (wq.Prefix, wq.Wildcard) and fieldname in STEMMED_FIELDS:
            return termclass(fieldname, fold(text), boost=boost)
        query = super().term_query(fieldname, text, termclass, boost, tokenize, removestops)
        # A bare stop word is marked, for prepare to weigh; phrases ("Bank of England",
        # source:"The Times") call with removestops=False.
        if query is not None and removestops and termclass is wq.Term and _all_stop_words(text):
            query.stop_word = True
        return query


def _marked(query: wq.Query, word: str) -> wq.Query:
    """The query of one word in one field (its term, or the AND of its terms) marked as
    _Parser.term_query marks it."""
    if _all_stop_words(word):
        query.stop_word = True
    return query


def _is_shouted(text: str) -> bool:
    """A query all in capitals with several long words, or many words: pasted natural
    language, such as "BORDER DISPUTE ISRAEL AND SYRIA" or "HAWKE CONFIRMS HE WILL NOT
    CALL SNAP POLL", whose AND/OR/NOT are words. "EU OR NATO" is not."""
    if any(ch.islower() for ch in text):
        return False
    words = [word for word in re.findall(r"\w+", text) if word not in OPERATOR_WORDS]
    return sum(len(word) >= 5 for word in words) >= 3 or len(words) >= SHOUTED_WORDS


def _without_source_dash(text: str) -> str:
    """A pasted headline with its source after a dash made a word: the one -word of a
    headline of six words or more, among its last two ("... SOON -AGENCY", "... --USDA",
    "... -MINISTRY SOURCES"). Other signs stay operators: "SYRIAN REFUGEES -IDLIB",
    "OPEC OIL OUTPUT -IRAN -IRAQ"."""
    signs = list(_SIGNS.finditer(text))
    if len(signs) != 1 or text[signs[0].start()] != "-":
        return text
    sign = signs[0]
    before = len(_WORD.findall(text[:sign.start()]))
    after = len(_WORD.findall(text[sign.end():]))
    if after > 2 or before + after < SHOUTED_WORDS:
        return text
    return text[:sign.start()] + _blank(sign) + text[sign.end():]


def _filled(match: re.Match[str]) -> str:
    """As many x as what `match` found: a phrase as one word, in its place."""
    return "x" * len(match.group())


def _blank(match: re.Match[str]) -> str:
    """Spaces in place of what `match` found: the rest of the text keeps its positions
    (those a QueryError names)."""
    return " " * len(match.group())


def _query_fields(query: wq.Query) -> set[str]:
    return {leaf.fieldname for leaf in _leaves(query) if getattr(leaf, "fieldname", None)}


def _leaves(query: wq.Query) -> Iterator[wq.Query]:
    return (node for node in _walk(query) if node.is_leaf())


def _raise_parse_errors(query: wq.Query) -> None:
    for node in _walk(query):
        error = getattr(node, "error", None)
        if error:
            raise QueryError(str(error), getattr(node, "startchar", None))
        if isinstance(node, wq.FuzzyTerm) and not 1 <= node.maxdist <= MAX_FUZZY_EDITS:
            raise QueryError(f"a fuzzy word allows 1 or {MAX_FUZZY_EDITS} edits, not {node.maxdist:g}",
                             getattr(node, "startchar", None), hint="write word~ or word~2")


def _walk(query: wq.Query) -> Iterator[wq.Query]:
    yield query
    if not query.is_leaf():
        for child in query.children():
            yield from _walk(child)


class TermsNear:
    """The terms within some edits of a fuzzy word, and the query it becomes (`fuzzy`).

    The terms are what Whoosh's `reader.terms_within` finds (the same distance, on the
    same terms), without working out the distance to every term of the field, as it
    does: 0.2-0.25 s a field on Reuters, four fields a fuzzy word, and again for each
    form of the query (every word required, then any). Here each field's terms are read
    once, by length, for every fuzzy word searched; a term whose length, or whose set of
    letters, differs by more than the edits allow (an edit changes the length by one at
    most, and the set of letters as spelling.letters_within says) is passed over; and a
    word is looked for once.

    They are the terms of the whole collection the searcher scores with: a shard given a
    sharded index's statistics (scoring.SummedStatistics, CollectionStatistics) looks
    for them among every shard's terms, so that each shard weighs a fuzzy word as one
    index would."""

    REMEMBERED = 1000  # words looked for, kept

    def __init__(self, searcher) -> None:  # type: ignore[no-untyped-def]
        self._searcher = searcher
        self._reader = searcher.reader()
        self.statistics = getattr(searcher.weighting, "statistics", None)  # (None: the index's own)
        self._by_length: dict[str, dict[int, list[str]]] = {}
        self._found: dict[tuple[str, str, int, int], list[str]] = {}

    def within(self, fieldname: str, text: str, edits: int, prefix: int = 0) -> list[str]:
        key = (fieldname, text, edits, prefix)
        found = self._found.get(key)
        if found is None:
            from whoosh.support.levenshtein import distance  # (Whoosh's terms_within's)

            by_length = self._lengths(fieldname)
            letters, head = set(text), text[:prefix]
            if len(self._found) >= self.REMEMBERED:  # (a server's snapshot lives for many queries)
                self._found.clear()
            found = self._found[key] = [
                term for length in range(max(len(text) - edits, 0), len(text) + edits + 1)
                for term in by_length.get(length, ())
                if term.startswith(head) and letters_within(letters, term, edits)
                and distance(term, text, limit=edits) <= edits]
        return found

    def fuzzy(self, query: wq.FuzzyTerm) -> wq.Query:
        """An OR of the terms `query` stands for: the word itself, when the index has it,
        as any word; its near misses weighed as Lucene's fuzzy query weighs its terms
        (its blended rewrite):

        - each with one idf, the most common near miss's: each one's own would make a
          rare near miss outrank the word meant ('cofee~' found "cote" and "core" before
          "coffee", which is in 140 times as many articles);
        - each times its similarity, 1 - edits / the shorter word's length (at least
          LEAST_SIMILARITY), so that nearer words weigh more;
        - and, when the index has the word itself, times FUZZY_VARIANT_WEIGHT.

        (The word itself keeps its own idf: blended with its near misses, 'oil~2' would
        weigh as little as "of", two edits away.) The idf is given to each near miss as a
        boost: the blended idf over its own."""
        from whoosh.support.levenshtein import distance

        fieldname, text = query.fieldname, query.text
        terms = sorted(self.within(fieldname, text, query.maxdist, query.prefixlength), key=lambda term: (term != text, term))
        if not terms:
            return wq.NullQuery
        idf = {term: self._searcher.weighting.idf(self._searcher, fieldname, term) for term in terms if term != text}
        blended = min(idf.values(), default=0.0)  # (the idf of the most common near miss)
        known = terms[0] == text
        parts = []
        for term in terms:
            if (fieldname, term) not in self._reader:  # (a term of other shards only)
                continue
            if term == text:
                parts.append(wq.Term(fieldname, term, boost=query.boost))
                continue
            similarity = max(1 - distance(term, text) / min(len(term), len(text)), LEAST_SIMILARITY)
            weight = similarity * (FUZZY_VARIANT_WEIGHT if known else 1) * blended / idf[term]
            # (Four figures: the boost shows in --explain's query, and every shard rounds it alike.)
            parts.append(wq.Term(fieldname, term, boost=float(f"{query.boost * weight:.4g}")))
        return wq.NullQuery if not parts else parts[0] if len(parts) == 1 else wq.Or(parts)

    def _lengths(self, fieldname: str) -> dict[int, list[str]]:
        by_length = self._by_length.get(fieldname)
        if by_length is None:
            by_length = self._by_length[fieldname] = {}
            if fieldname in self._reader.schema:
                terms = self.statistics.terms(fieldname) if self.statistics is not None else None
                for term in self._reader.lexicon(fieldname) if terms is None else terms:
                    text = _text(term)
                    by_length.setdefault(len(text), []).append(text)
        return by_length


class _WildcardTerms:
    """How many terms of the index a query's wildcards stand for so far: a QueryError
    when past MAX_WILDCARD_TERMS, naming the wildcard that went past."""

    def __init__(self) -> None:
        self.count = 0

    def add(self, query: wq.Prefix | wq.Wildcard, terms: int) -> None:
        self.count += terms
        if self.count > MAX_WILDCARD_TERMS:
            written = f"{query.text}*" if isinstance(query, wq.Prefix) else query.text
            # (Whoosh's parser places a wildcard at its last * or ?.)
            last = max(written.rfind("*"), written.rfind("?"))
            at = getattr(query, "startchar", None)
            raise QueryError(f"{written!r} matches too many words (a query's wildcards may stand for "
                             f"{MAX_WILDCARD_TERMS:,} words of the index at most)",
                             at - last if at is not None and at >= last else None,
                             hint="give the wildcards more letters: refuge* rather than r*")


def resolve_patterns(query: wq.Query, searcher, stem: Callable[[str], str], words: Sequence[str],  # type: ignore[no-untyped-def]
                     near: TermsNear | None = None, counted: _WildcardTerms | None = None) -> wq.Query:
    """`query` with its wildcards and fuzzy words replaced by the index terms they stand for.

    - A wildcard on a stemmed field matches words as written, not only stems:
      "universit*" must find "university", whose stem "univers" it doesn't match. The
      stems it matches come with the stems of the matching words in `words` (the
      sorted words that stemming changes, see tokens.TermCache).
    - A fuzzy word becomes the terms `near` finds, weighed as TermsNear.fuzzy says (a
      TermsNear of `searcher`, made here when not given, for all the query's fuzzy words).
    """
    near = near or TermsNear(searcher)  # (it reads nothing until a fuzzy word asks)
    counted = counted or _WildcardTerms()
    reader = searcher.reader()
    if isinstance(query, (wq.Prefix, wq.Wildcard)) and query.fieldname in STEMMED_FIELDS:
        stems = {_text(term) for term in query._btexts(reader)}
        stems.update(stem(word) for word in _matching_words(query, words))
        stems = {term for term in stems if (query.fieldname, term) in reader}
        counted.add(query, len(stems))
        return _any_of(query.fieldname, sorted(stems), query.boost)
    if isinstance(query, wq.FuzzyTerm):
        return near.fuzzy(query)
    resolved = mapped(query, lambda child: resolve_patterns(child, searcher, stem, words, near, counted))
    if resolved is not query and type(resolved) is wq.Or and any(child is wq.NullQuery for child in resolved.subqueries):
        # (A field where a pattern matches no word adds nothing to an OR: shown by
        # --explain as "<_NullQuery>", it is left out; with none left, nothing matches.)
        kept = [child for child in resolved.subqueries if child is not wq.NullQuery]
        if not kept:
            return wq.NullQuery
        resolved = copy.copy(resolved)
        resolved.subqueries = kept
    return resolved


def searched_text(query: wq.Query) -> str:
    """A parsed query as --explain and the API's `query` show it: Whoosh's text, but
    every article is "*" (Whoosh writes the field-less Every "None:*"), and a date range
    its days (Whoosh writes the numbers it keeps: date:[62682422400000000 TO ...])."""
    if type(query) is wq.Every and query.fieldname in (None, "*"):
        return "*"
    return _DATE_NUMBERS.sub(_as_days, str(query))


_DATE_NUMBERS = re.compile(r"\bdate:\[(\d*) TO (\d*)\]")


def _as_days(match: re.Match[str]) -> str:
    from whoosh.util.times import long_to_datetime

    return "date:[{} TO {}]".format(*(f"{long_to_datetime(int(number)):%Y-%m-%d}" if number else ""
                                      for number in match.groups()))


def has_patterns(query: wq.Query) -> bool:
    """Whether `query` has a wildcard (which resolve_patterns matches against words)."""
    return any(isinstance(node, (wq.Prefix, wq.Wildcard)) for node in _walk(query))


def _matching_words(query: wq.Query, words: Sequence[str]) -> list[str]:
    """The words of `words` (sorted) that `query`, a Prefix or a Wildcard, matches:
    among those that start with its letters before the first * or ?, not all of them."""
    head = query.text if isinstance(query, wq.Prefix) else re.split(r"[*?]", query.text, maxsplit=1)[0]
    start = bisect.bisect_left(words, head)
    end = bisect.bisect_left(words, head + "\uffff") if head else len(words)
    if isinstance(query, wq.Prefix):
        return list(words[start:end])
    pattern = re.compile(re.escape(query.text).replace(r"\*", ".*").replace(r"\?", ".") + r"\Z")
    return [word for word in words[start:end] if pattern.match(word)]


def _any_of(fieldname: str, terms: list[str], boost: float) -> wq.Query:
    if not terms:
        return wq.NullQuery
    return wq.Or([wq.Term(fieldname, term) for term in terms], boost=boost)


def _text(term: str | bytes) -> str:
    return term.decode("utf-8") if isinstance(term, bytes) else term


def key_terms(searchers: list[Any], stored: dict[str, Any], terms: int) -> list[tuple[str, float]]:
    """The `terms` key terms of the stored article `stored`, for the articles most like it
    (like_query): Whoosh's, of its title, counted twice, and text, each weighted by how
    much it characterises the article in the index the `searchers` read (of a sharded
    index, one a shard)."""
    from whoosh.classify import Bo1Model, Expander

    text = f"{stored.get('title', '')}\n{stored.get('title', '')}\n{stored.get('body', '')}"
    readers = [searcher.reader() for searcher in searchers]
    # (Searcher.key_terms_from_text's steps, over the statistics of every shard.)
    expander = Expander(readers[0] if len(readers) == 1 else _SummedReader(readers), "body", model=Bo1Model)
    expander.add_text(text)
    return expander.expanded_terms(terms, normalize=True)


def like_query(terms: Sequence[tuple[str, float]]) -> wq.Query | None:
    """The query for the articles most like an article: its key terms (key_terms), OR-ed in
    the body; None when it has none."""
    return wq.Or([wq.Term("body", term, boost=weight) for term, weight in terms]) if terms else None


class _SummedReader:
    """What Whoosh's key-term Expander reads of an index, summed over the readers of its
    shards: the article count, a field's length, a term's collection frequency."""

    def __init__(self, readers: list[Any]) -> None:
        self._readers = readers
        self.schema = readers[0].schema

    def doc_count_all(self) -> int:
        return sum(reader.doc_count_all() for reader in self._readers)

    def field_length(self, fieldname: str) -> int:
        return sum(reader.field_length(fieldname) for reader in self._readers)

    def __contains__(self, term: tuple[str, bytes]) -> bool:
        return any(term in reader for reader in self._readers)

    def frequency(self, fieldname: str, text: bytes) -> float:
        return sum(reader.frequency(fieldname, text) for reader in self._readers if (fieldname, text) in reader)


def highlight_terms(query: wq.Query) -> dict[str, Wanted]:
    """What each field's text should highlight: the query's terms and phrases that are
    not negated. Wildcards and fuzzy words must be resolved first (`resolve_patterns`)."""
    wanted: dict[str, Wanted] = {}
    for fieldname, item in _positive_terms(query):
        entry = wanted.setdefault(fieldname, Wanted())
        if isinstance(item, tuple):
            entry.phrases.add(item)
        else:
            entry.terms.add(item)
    return wanted


def _positive_terms(query: wq.Query) -> Iterator[tuple[str, str | tuple[str, ...]]]:
    if isinstance(query, (wq.Not, _StopWords)):
        return
    if isinstance(query, wq.AndNot):
        yield from _positive_terms(query.a)
    elif isinstance(query, wq.Phrase):
        if query.slop > 1:  # "prices oil"~3: the words near each other, highlighted one by one
            for word in query.words:
                yield query.fieldname, _text(word)
        else:
            yield query.fieldname, tuple(_text(word) for word in query.words)
    elif isinstance(query, wq.Term):
        yield query.fieldname, _text(query.text)
    elif not query.is_leaf():
        for child in query.children():
            yield from _positive_terms(child)


class _PlusMinusPlugin(PlusMinusPlugin):
    """Whoosh's +word and -word, inside brackets too: Whoosh sorts the words of the
    query's top group only, and a +word or -word in brackets ("oil (opec +quota)",
    "oil (gas -iran)") was a NotImplementedError, a traceback."""

    def do_plusminus(self, parser, group):  # type: ignore[no-untyped-def]
        return self._sorted(parser, group, top=True)

    def _sorted(self, parser, group, top: bool):  # type: ignore[no-untyped-def]
        for number, node in enumerate(group):
            if isinstance(node, syntax.GroupNode):
                group[number] = self._sorted(parser, node, top=False)
        if top or any(isinstance(node, (self.Plus, self.Minus)) for node in group):
            return super().do_plusminus(parser, group)
        return group


class _BoostPlugin(BoostPlugin):
    """Whoosh's ^ boost ("coffee^2"), but not after a digit, where ^ is a power
    ("2^10": the words 2 and 10, as before boosts were read), and between 0 and
    MAX_BOOST: a boost of 309 digits is infinite, and so would every score be."""

    expr = r"(?<![0-9])\^(?P<boost>[0-9]*(\.[0-9]+)?)($|(?=[\s)\],;:.!?]))"  # (punctuation may follow: "coffee^2,")

    def create(self, parser, match):  # type: ignore[no-untyped-def]
        node = super().create(parser, match)
        boost = getattr(node, "boost", None)
        if boost is not None and not 0 < boost <= MAX_BOOST:
            raise QueryError(f"a boost must be more than 0 and at most {MAX_BOOST:,}, not {match.group('boost')[:12]}"
                             f"{'...' if len(match.group('boost')) > 12 else ''}", match.start())
        return node


_DATE_BOUNDS = ("since", "until")  # (DatePlugin's date bounds: no fields, and common words)
_DATE_NAMES = ("date", *_DATE_BOUNDS)


class DatePlugin(TaggingPlugin):
    """`date:2016`, `date:2016-11-28`, `date:2016-11-01..2016-12-31`, `date:..2016-11`;
    `since:2016-11` and `until:2016` are `date:2016-11..` and `date:..2016`, as the
    command line's --since and --until (else they were words: "since", "2016", "11")."""

    # (Not before a space: "since: Blair won" and "Date: 2005 election" are words.)
    expr = r"(?P<name>date|since|until):(?!\s)(?P<start>[^\s().]*)(?P<dots>\.\.)?(?P<end>[^\s()]*)"
    priority = -10  # before the field plugin sees "date:" as a field name

    class DateNode(syntax.SyntaxNode):
        def __init__(self, start, end):  # type: ignore[no-untyped-def]
            self.start, self.end = start, end

        def r(self) -> str:
            return f"date {self.start}..{self.end}"

        def query(self, parser):  # type: ignore[no-untyped-def]
            return attach(wq.DateRange("date", self.start, self.end), self)  # (its place: _check_dates)

    def create(self, parser, match):  # type: ignore[no-untyped-def]
        start_text, end_text = match.group("start"), match.group("end")
        is_range = bool(match.group("dots"))
        if not is_range and end_text == ".":  # (the end of a sentence: "... until:2005.")
            end_text = ""
        name = match.group("name")
        if name != "date":
            if is_range or end_text:
                raise QueryError(f"{name}: takes one date ({name}:2016-11); a range is date:2016-11..2016-12",
                                 match.start())
            if not start_text:
                raise QueryError(f"{name}: needs a date, such as {name}:2016-11", match.start())
            start_text, end_text, is_range = (start_text, "", True) if name == "since" else ("", start_text, True)
        if not is_range and end_text:
            raise QueryError(f"invalid date {match.group()[5:]!r} (expected YYYY, YYYY-MM or YYYY-MM-DD)", match.start() + 5)
        if not start_text and not end_text:
            raise QueryError("date: needs a date or a range such as date:2016-11-01..2016-12-31", match.start())
        try:
            start = parse_date_bound(start_text, end=False) if start_text else None
        except ValueError as error:
            raise QueryError(str(error), match.start("start")) from None
        try:
            end_source = end_text if is_range else start_text
            end = parse_date_bound(end_source, end=True) if end_source else None
        except ValueError as error:
            raise QueryError(str(error), match.start("end" if name == "date" else "start")) from None
        if start and end and end < start:
            raise QueryError(f"date range ends before it starts ({start_text}..{end_text})", match.start())
        return self.DateNode(start, end)
