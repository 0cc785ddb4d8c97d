"""Name variants: a query for any spelling of a name finds them all.

"Idleb" finds articles that write Idlib, "Qaddafi" those that write Gaddafi or
Kadhafi. A group's spellings are analysed as each field analyses text, so a variant
is matched as the index holds it (a stem in the text fields, a word in the names);
each variant is a term of its own, scored with its own weight, so that an article is
ranked as if the query had the spelling the article uses.

Applied to the parsed query, at search time: changing the list needs no re-index.
A word of a query matches a group when it is one of its one-word spellings; a quoted
phrase when it is one of its spellings of several words ("Islamic State"). The
variants replace the word by an OR of all the group's spellings (a spelling of
several words as a phrase), in the same field; excluded words exclude every variant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

from whoosh import query as wq

from ..engine.schema import text_terms
from .query import mapped

#: Expanding a phrase whose words all have variants makes every combination; past
#: this many, the phrase keeps its own spelling (such a phrase is rare, and slow).
MAX_PHRASE_VARIANTS = 16


@dataclass(frozen=True)
class Expansion:
    """One query word or phrase that variants were added to (for --explain)."""

    field: str
    written: str  # the term or phrase as in the query
    variants: tuple[str, ...]  # the group's other spellings, as index terms


class NameVariants:
    """Groups of spellings, for the fields of one schema."""

    def __init__(self, groups: Iterable[Sequence[str]], schema) -> None:  # type: ignore[no-untyped-def]
        self.groups = _merged([tuple(group) for group in groups if len(group) > 1])
        self._schema = schema
        # field -> (terms of a spelling) -> the spellings of its group, as term tuples
        self._by_field: dict[str, dict[tuple[str, ...], tuple[tuple[str, ...], ...]] | None] = {}
        self._by_source: dict[int, dict[tuple[str, ...], tuple[tuple[str, ...], ...]]] = {}  # (see _table)

    def __bool__(self) -> bool:
        return bool(self.groups)

    def expand(self, query: wq.Query, found: list[Expansion] | None = None,
               done: dict[int, tuple[wq.Query, wq.Query]] | None = None) -> wq.Query:
        """`query` with each word or phrase that has variants replaced by all of them;
        what was expanded is added to `found`. `done` keeps what was expanded, by part:
        a query's strict and loose forms share their words, expanded once."""
        if not self.groups:
            return query
        if done is not None:
            known = done.get(id(query))
            if known is not None and known[0] is query:
                return known[1]
        if type(query) is wq.Term:
            expanded = self._expand_terms(query, (query.text,), found)
        elif type(query) is wq.Phrase:
            expanded = self._expand_terms(query, tuple(query.words), found)
        else:
            expanded = mapped(query, lambda child: self.expand(child, found, done))
        if done is not None:
            done[id(query)] = (query, expanded)
        return expanded

    def _expand_terms(self, query: wq.Query, terms: tuple[str, ...], found: list[Expansion] | None) -> wq.Query:
        table = self._table(query.fieldname)
        if table is None:
            return query
        spellings = table.get(terms)
        if spellings is not None:
            alternatives = [spelling for spelling in spellings if spelling != terms]
            if found is not None:
                found.append(Expansion(query.fieldname, " ".join(terms), tuple(" ".join(s) for s in alternatives)))
            return wq.Or([query, *(_query(query.fieldname, spelling, query.boost) for spelling in alternatives)])
        if len(terms) > 1:  # a phrase with a word that has one-word variants: "Idleb province"
            options = [[(term,)] + [s for s in table.get((term,), ()) if s != (term,) and len(s) == 1]
                       for term in terms]
            count = 1
            for option in options:
                count *= len(option)
            if 1 < count <= MAX_PHRASE_VARIANTS:
                phrases = [()]
                for option in options:
                    phrases = [phrase + spelling for phrase in phrases for spelling in option]
                alternatives = [phrase for phrase in phrases if phrase != terms]
                if found is not None:
                    found.append(Expansion(query.fieldname, " ".join(terms), tuple(" ".join(p) for p in alternatives)))
                return wq.Or([query, *(_query(query.fieldname, phrase, query.boost) for phrase in alternatives)])
        return query

    def knows(self, fieldname: str, terms: tuple[str, ...]) -> bool:
        """Whether these terms of a field are a spelling of a name with variants."""
        table = self._table(fieldname) if self.groups else None
        return bool(table) and terms in table

    def _table(self, fieldname: str) -> dict[tuple[str, ...], tuple[tuple[str, ...], ...]] | None:
        if fieldname in self._by_field:
            return self._by_field[fieldname]
        field = self._schema[fieldname] if fieldname in self._schema else None
        analyzer = getattr(field, "analyzer", None)
        if analyzer is None or not getattr(field, "scorable", False):
            table = None  # (ids, dates, facet values: no variants)
        else:
            # Fields analysed alike share a table; a field with a term cache
            # (schema.ArticleText: its analyzer's terms) analyses the spellings with it.
            cache = getattr(field, "term_cache", None)
            source = cache if cache is not None else analyzer
            table = self._by_source.get(id(source))
            if table is None:
                table = self._by_source[id(source)] = self._made(text_terms(field))
        self._by_field[fieldname] = table
        return table

    def _made(self, analyse: Callable[[str], tuple[str, ...]]) -> dict[tuple[str, ...], tuple[tuple[str, ...], ...]]:
        table: dict[tuple[str, ...], tuple[tuple[str, ...], ...]] = {}
        for group in self.groups:
            spellings = tuple(dict.fromkeys(terms for terms in map(analyse, group) if terms))
            for terms in spellings:
                table.setdefault(terms, spellings)
        return table


def _merged(groups: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """Groups that share a spelling (any case) made one: a configuration's group that
    adds "Gadaffi" to "Gaddafi" extends the default group of Gaddafi."""
    merged: list[list[str]] = []
    where: dict[str, int] = {}
    for group in groups:
        found = sorted({where[s.casefold()] for s in group if s.casefold() in where})
        if not found:
            target = len(merged)
            merged.append([])
        else:
            target = found[0]
            for other in found[1:]:  # (this group joins two earlier ones)
                for spelling in merged[other]:
                    where[spelling.casefold()] = target
                merged[target].extend(merged[other])
                merged[other] = []
        for spelling in group:
            if spelling.casefold() not in where:
                where[spelling.casefold()] = target
                merged[target].append(spelling)
    return [tuple(group) for group in merged if len(group) > 1]


def _query(fieldname: str, terms: tuple[str, ...], boost: float) -> wq.Query:
    if len(terms) == 1:
        return wq.Term(fieldname, terms[0], boost=boost)
    return wq.Phrase(fieldname, list(terms), boost=boost)
