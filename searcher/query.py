"""Query parsing: from the text a user types to a Whoosh query.

The syntax (also in the README and `searcher --help`):

    Idlib refugees          all words must match (in any searched field), like a web search
    "1.5 million refugees"  a phrase
    title:Aleppo            a word in one field: title, caption, body, dateline (or place),
                            source, category, credit, id
    Idlib OR Aleppo         AND, OR, NOT and parentheses; -word excludes a word
    refug*                  a trailing wildcard
    Idleb~  Idleb~2         a fuzzy word (1 or 2 edits)
    date:2016-11            a day, month or year; date:2016-11-01..2016-12-31 a range
                            (either end may be left out: date:2016-11..)

When no article has all the words of a plain-words query, `PreparedQuery.any_words`
is the same query with any word allowed (articles with more of them rank first);
field filters such as `date:` or `category:` stay required.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator, Mapping

from whoosh import query as wq
from whoosh.qparser import (
    AndGroup,
    BoostPlugin,
    FieldAliasPlugin,
    FuzzyTermPlugin,
    MultifieldParser,
    PlusMinusPlugin,
    TaggingPlugin,
    syntax,
)

from .dates import parse_date_bound
from .errors import QueryError
from .schema import QUERY_FIELDS

FIELD_ALIASES = {"dateline": ["place", "places"], "category": ["categories", "topic", "topics"]}

# Fields that filter rather than describe what the article is about: a plain-words
# query that falls back to "any word" keeps them required.
FILTER_FIELDS = frozenset({"date", "id", "category", "source", "dateline", "credit"})

# How much an article gains for each extra word it holds when any word may match.
ANY_WORD_COORDINATION = 0.9

# Anything that makes a query more than plain words: operators, +/-, parentheses.
_EXPLICIT = re.compile(r"\b(?:AND|OR|NOT|ANDNOT|ANDMAYBE)\b|(?:^|(?<=[\s(]))[-+](?=\S)|[()]")
_QUOTED = re.compile(r'"[^"]*"?')
# field:value where field starts with a letter (times such as 10:30 are not fields).
_FIELD_PREFIX = re.compile(r'(?:^|(?<=[\s(+\-]))([^\W\d_][\w]*):(?=[^\s)])')


@dataclass(frozen=True)
class PreparedQuery:
    """A parsed query: the query as typed, and its any-word fallback when it has one."""

    text: str
    all_words: wq.Query
    any_words: wq.Query | None


class QueryBuilder:
    """Parses query text for one schema and one set of field boosts."""

    def __init__(self, schema, boosts: Mapping[str, float]) -> None:  # type: ignore[no-untyped-def]
        self.schema = schema
        self.boosts = dict(boosts)
        self.fields = set(schema.names())
        # Field boosts are applied by the weighting model (see scoring), not as query boosts,
        # and the ^ boost syntax is off for the same reason: Whoosh's pruning ignores them.
        parser = MultifieldParser(list(self.boosts), schema, group=AndGroup)
        parser.remove_plugin_class(BoostPlugin)
        parser.add_plugin(FuzzyTermPlugin())
        # "-word" excludes a word, but only at the start of a word: "pro-government" is one word.
        parser.add_plugin(PlusMinusPlugin(plusexpr=r"(?:^|(?<=[\s(]))\+(?=\S)", minusexpr=r"(?:^|(?<=[\s(]))-(?=\S)"))
        parser.add_plugin(FieldAliasPlugin(FIELD_ALIASES))
        parser.add_plugin(DatePlugin())
        self.parser = parser
        self.known_fields = set(QUERY_FIELDS) | {alias for aliases in FIELD_ALIASES.values() for alias in aliases}

    def prepare(self, text: str) -> PreparedQuery:
        """Parse `text`; raises QueryError (with the position) when it can't be searched."""
        self._check_fields(text)
        parsed = self.parser.parse(text)
        _raise_parse_errors(parsed)
        if parsed is wq.NullQuery or isinstance(parsed, type(wq.NullQuery)):
            raise QueryError("the query has no words to search for", hint="type some words, e.g. searcher \"Idlib refugees\"")
        return PreparedQuery(text, parsed, self._any_words(text, parsed))

    def _check_fields(self, text: str) -> None:
        unquoted = _QUOTED.sub(lambda m: " " * len(m.group()), text)
        for match in _FIELD_PREFIX.finditer(unquoted):
            name = match.group(1)
            if name.lower() not in self.known_fields:
                known = ", ".join(sorted(set(QUERY_FIELDS)))
                raise QueryError(f"unknown field {name!r}", match.start(1), hint=f"fields: {known}")

    def _any_words(self, text: str, parsed: wq.Query) -> wq.Query | None:
        """The fallback of a plain-words query: any word, filters still required."""
        if _EXPLICIT.search(_QUOTED.sub(" ", text)) or not isinstance(parsed, wq.And):
            return None
        filters = [q for q in parsed.subqueries if _query_fields(q) <= FILTER_FIELDS]
        words = [q for q in parsed.subqueries if not _query_fields(q) <= FILTER_FIELDS]
        if len(words) < 2:
            return None
        any_word = wq.Or(words, scale=ANY_WORD_COORDINATION)
        return wq.And([any_word, *filters]) if filters else any_word


def _query_fields(query: wq.Query) -> set[str]:
    return {leaf.fieldname for leaf in _leaves(query) if getattr(leaf, "fieldname", None)}


def _leaves(query: wq.Query) -> Iterator[wq.Query]:
    if query.is_leaf():
        yield query
    else:
        for child in query.children():
            yield from _leaves(child)


def _raise_parse_errors(query: wq.Query) -> None:
    for node in _walk(query):
        error = getattr(node, "error", None)
        if error:
            raise QueryError(str(error), getattr(node, "startchar", None))


def _walk(query: wq.Query) -> Iterator[wq.Query]:
    yield query
    if not query.is_leaf():
        for child in query.children():
            yield from _walk(child)


def highlight_terms(query: wq.Query, reader, limit: int = 1000) -> dict[str, set[str]]:  # type: ignore[no-untyped-def]
    """The index terms each field's text should highlight: the query's terms that
    are not negated, with wildcards and fuzzy words expanded to the terms they match."""
    terms: dict[str, set[str]] = {}
    for fieldname, text in _positive_terms(query, reader, limit):
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        terms.setdefault(fieldname, set()).add(text)
    return terms


def _positive_terms(query: wq.Query, reader, limit: int) -> Iterator[tuple[str, str]]:  # type: ignore[no-untyped-def]
    if isinstance(query, wq.Not):
        return
    if isinstance(query, wq.AndNot):
        yield from _positive_terms(query.a, reader, limit)
        return
    if isinstance(query, wq.Phrase):
        for word in query.words:
            yield query.fieldname, word
        return
    if isinstance(query, wq.MultiTerm):  # prefix, wildcard, fuzzy, regex
        field = query.fieldname
        if field in reader.schema:
            for count, text in enumerate(query._btexts(reader)):
                if count >= limit:
                    break
                yield field, text
        return
    if isinstance(query, wq.Term):
        yield query.fieldname, query.text
        return
    if not query.is_leaf():
        for child in query.children():
            yield from _positive_terms(child, reader, limit)


class DatePlugin(TaggingPlugin):
    """`date:2016`, `date:2016-11-28`, `date:2016-11-01..2016-12-31`, `date:..2016-11`."""

    expr = r"date:(?P<start>[^\s().]*)(?P<dots>\.\.)?(?P<end>[^\s()]*)"
    priority = -10  # before the field plugin sees "date:" as a field name

    class DateNode(syntax.SyntaxNode):
        def __init__(self, start, end):  # type: ignore[no-untyped-def]
            self.start, self.end = start, end

        def r(self) -> str:
            return f"date {self.start}..{self.end}"

        def query(self, parser):  # type: ignore[no-untyped-def]
            return wq.DateRange("date", self.start, self.end)

    def create(self, parser, match):  # type: ignore[no-untyped-def]
        start_text, end_text = match.group("start"), match.group("end")
        is_range = bool(match.group("dots"))
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
            raise QueryError(str(error), match.start("end")) from None
        if start and end and end < start:
            raise QueryError(f"date range ends before it starts ({start_text}..{end_text})", match.start())
        return self.DateNode(start, end)
