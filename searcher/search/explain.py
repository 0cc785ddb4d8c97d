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
    """The terms and phrases of `query` that are not excluded, where each is (a term may
    be in several places), with the product of the boosts above them (a word said twice
    weighs twice; a fuzzy word's near misses weigh less), as matching.py applies them, and
    the ANDs inside the query that hold them (a term scores only where all of its AND
    matches)."""
    yield from _positive_leaves(query, 1.0, ())


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
    found: dict[tuple[str, str], float] = {}
    context = searcher.context()
    holds: dict[int, bool] = {}
    seen = set()

    def on_article(part: wq.Query):  # type: ignore[no-untyped-def]
        """`part`'s matcher on the article, or None when the article doesn't match it."""
        matcher = part.matcher(searcher, context)
        if matcher.is_active():
            matcher.skip_to(docnum)
        return matcher if matcher.is_active() and matcher.id() == docnum else None

    def has(part: wq.Query) -> bool:
        if id(part) not in holds:
            holds[id(part)] = on_article(part) is not None
        return holds[id(part)]

    for leaf, factor, within in leaves(query):
        place = (leaf, tuple(map(id, within)))
        if place in seen or not all(has(part) for part in within):
            continue  # (counted; or its AND doesn't match this article: that place gave it nothing)
        seen.add(place)
        matcher = on_article(leaf)
        if matcher is not None:
            text = leaf.text if isinstance(leaf, wq.Term) else '"' + " ".join(leaf.words) + '"'
            key = (leaf.fieldname, text)  # (a term in two places that both scored: one part, their sum)
            found[key] = found.get(key, 0.0) + float(matcher.score()) * factor
    return tuple(sorted((Contribution(field, text, score) for (field, text), score in found.items()),
                        key=lambda part: -part.score))
