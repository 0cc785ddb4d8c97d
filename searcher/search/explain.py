"""Explain: what a query became, and what each part of it gave each hit.

For `searcher QUERY --explain`: the query as searched (fields, stems, name
variants, the correction), and each hit's score split by the query's terms and
phrases (each scored by its own Whoosh matcher, with the same BM25F as the search).
Parts of the query that only filter (a date, a category) score nothing; an OR or
AND NOT around a term doesn't change its part.
"""

from __future__ import annotations

from typing import Iterator

from whoosh import query as wq

from ..model import Contribution


def leaves(query: wq.Query) -> Iterator[tuple[wq.Query, float, tuple[wq.Query, ...]]]:
    """The terms and phrases of `query` that are not excluded, each once, with the
    product of the boosts above them (a word said twice weighs twice; a fuzzy word's
    near misses weigh less), as matching.py applies them, and the ANDs inside the query
    that hold them (a term scores only where all of its AND matches)."""
    seen = set()
    for leaf, factor, within in _positive_leaves(query, 1.0, ()):
        if leaf not in seen:
            seen.add(leaf)
            yield leaf, factor, within


def _positive_leaves(query: wq.Query, factor: float, within: tuple[wq.Query, ...],
                     top: bool = True) -> Iterator[tuple[wq.Query, float, tuple[wq.Query, ...]]]:
    if isinstance(query, wq.Not):
        return
    if isinstance(query, wq.AndNot):
        yield from _positive_leaves(query.a, factor, within, top)
        return
    if isinstance(query, (wq.Term, wq.Phrase)):
        yield query, factor, within
        return
    if not query.is_leaf():
        inner = factor * (query.boost if isinstance(query, (wq.And, wq.Or)) else 1.0)
        # (The query's own AND holds for every hit; an AND inside it, "U.S.-Japan" in the
        # dateline as dateline:us AND dateline:japan, may not.)
        held = (*within, query) if isinstance(query, wq.And) and not top else within
        for child in query.children():
            yield from _positive_leaves(child, inner, held, False)


def contributions(searcher, query: wq.Query, docnum: int) -> tuple[Contribution, ...]:  # type: ignore[no-untyped-def]
    """What each term and phrase of `query` scores in article `docnum`, largest first."""
    found = []
    context = searcher.context()
    holds: dict[int, bool] = {}

    def has(part: wq.Query) -> bool:
        matcher = part.matcher(searcher, context)
        if matcher.is_active():
            matcher.skip_to(docnum)
        return matcher.is_active() and matcher.id() == docnum

    for leaf, factor, within in leaves(query):
        if not all(holds.setdefault(id(part), has(part)) for part in within):
            continue  # (its AND doesn't match this article: the search gave it nothing)
        matcher = leaf.matcher(searcher, context)
        if not matcher.is_active():
            continue
        matcher.skip_to(docnum)
        if matcher.is_active() and matcher.id() == docnum:
            text = leaf.text if isinstance(leaf, wq.Term) else '"' + " ".join(leaf.words) + '"'
            found.append(Contribution(leaf.fieldname, text, float(matcher.score()) * factor))
    found.sort(key=lambda part: -part.score)
    return tuple(found)
