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


def leaves(query: wq.Query) -> Iterator[tuple[wq.Query, float]]:
    """The terms and phrases of `query` that are not excluded, each once, with the
    product of the boosts above them (a word said twice weighs twice; a fuzzy word's
    near misses weigh less), as matching.py applies them."""
    seen = set()
    for leaf, factor in _positive_leaves(query, 1.0):
        if leaf not in seen:
            seen.add(leaf)
            yield leaf, factor


def _positive_leaves(query: wq.Query, factor: float) -> Iterator[tuple[wq.Query, float]]:
    if isinstance(query, wq.Not):
        return
    if isinstance(query, wq.AndNot):
        yield from _positive_leaves(query.a, factor)
        return
    if isinstance(query, (wq.Term, wq.Phrase)):
        yield query, factor
        return
    if not query.is_leaf():
        inner = factor * (query.boost if isinstance(query, (wq.And, wq.Or)) else 1.0)
        for child in query.children():
            yield from _positive_leaves(child, inner)


def contributions(searcher, query: wq.Query, docnum: int) -> tuple[Contribution, ...]:  # type: ignore[no-untyped-def]
    """What each term and phrase of `query` scores in article `docnum`, largest first."""
    found = []
    context = searcher.context()
    for leaf, factor in leaves(query):
        matcher = leaf.matcher(searcher, context)
        if not matcher.is_active():
            continue
        matcher.skip_to(docnum)
        if matcher.is_active() and matcher.id() == docnum:
            text = leaf.text if isinstance(leaf, wq.Term) else '"' + " ".join(leaf.words) + '"'
            found.append(Contribution(leaf.fieldname, text, float(matcher.score()) * factor))
    found.sort(key=lambda part: -part.score)
    return tuple(found)
