"""What a search answers: `Results` assembled from one reading session of each shard.

`Index.search` opens (or reuses) the snapshot of the last commit (one a shard, for a
sharded index) and hands them here. Every step of one answer reads the same snapshots
(snapshot.py): find the matches and their scores, ask the speller when a word is in
no article, count the facets, order the matches and show near-duplicates once, then
copy the hits out into our dataclasses with their passages; a sharded index's answers
are merged as one index would give them. `similar` and the export's `matches` take the same
steps with another query; `nothing_found` says why a result is empty.
"""

from __future__ import annotations

import heapq
from dataclasses import replace
from typing import TYPE_CHECKING, Iterator, Sequence

from ..model import FacetCount, Hit, Results
from .filters import check_facets
from .snapshot import Found

if TYPE_CHECKING:
    from .filters import Filters
    from .snapshot import Snapshot


def search(shards: Sequence[Snapshot], query: str, limit: int | None, passages: int | None, *,
           filters: Filters | None, sort: str, facets: Sequence[str], auto_correct: bool, explain: bool,
           collapse: bool, all_words: bool | None) -> Results:
    """Index.search, in one snapshot of each shard (one, for an index that is not
    sharded): the shards score with the statistics of them all, and their answers are
    merged as one index's would be (totals and facets summed, the best hits of each
    ranked together by sort_key)."""
    if query.strip() == "*" and sort == "relevance":
        sort = "newest"  # (every article scores alike: newest first says more)
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be 1 or more (or None for all), not {limit}")
    if passages is not None and passages < 0:
        raise ValueError(f"passages must be 0 or more, not {passages}")
    check_facets(facets)
    config = shards[0].config
    all_words = config.all_words if all_words is None else all_words
    found = _find(shards, query, filters, all_words)
    total, every = _counts(found)
    # (A word in no article leaves no article with every word.)
    lacking = not total or _matched(found) in ("any", "ranked") or not every
    suggestion = _suggestion(shards, query) if lacking else None
    corrected_from = None
    if suggestion is not None and auto_correct:
        corrected_from, query = query, suggestion
        found = _find(shards, query, filters, all_words)
        total, every = _counts(found)
    counts = {facet: _facet_counts(shards, found, facet) for facet in facets}
    best = [shard.collapsed(one, sort, limit) if collapse else (shard.order(one, sort, limit), {})
            for shard, one in zip(shards, found)]
    passage_count = config.passages if passages is None else passages
    chosen = _merged(shards, found, [order for order, _ in best], sort, limit)
    # Hits (passages are most of their cost) for the chosen matches only, a shard at a time.
    picks: dict[int, list[tuple[int, int, float]]] = {}
    for rank, (number, docnum, score) in enumerate(chosen, start=1):
        picks.setdefault(number, []).append((rank, docnum, score))
    hits: list[Hit] = [None] * len(chosen)  # type: ignore[list-item]
    for number, picked in picks.items():
        shard, one, hidden = shards[number], found[number], best[number][1]
        order = [(docnum, score) for _, docnum, score in picked]
        for (rank, docnum, _), hit in zip(picked, shard.hits(one, order, passage_count, hidden)):
            if explain:
                from .explain import contributions

                hit = replace(hit, contributions=contributions(one.searcher, one.scored_by(docnum), docnum))
            hits[rank - 1] = hit if hit.rank == rank else replace(hit, rank=rank)
    first = _first(found)
    return Results(hits, total=total, matched=_matched(found),  # type: ignore[arg-type]
                   query=str(first.query), facets=counts, suggestion=suggestion, corrected_from=corrected_from,
                   variants=first.expansions, every_word=every)


def _find(shards: Sequence[Snapshot], query: str, filters: Filters | None, all_words: bool) -> list[Found]:
    """The matches of `query` in every shard; when none of them has an article with
    every word (with `all_words`), the matches of the query with any of its words."""
    found = [shard.find(query, filters, all_words=all_words) for shard in shards]
    if any(one.can_fall_back for one in found) and not any(one.scores for one in found):
        return [shard.find(query, filters, all_words=all_words, fallback_only=True) for shard in shards]
    return found


def _counts(found: list[Found]) -> tuple[int, int]:
    """How many articles match in all the shards, and how many of them have every word."""
    return sum(len(one.scores) for one in found), sum(one.scores.count_every() for one in found)


def _matched(found: list[Found]) -> str:
    """What the shards' matches are (see Results.matched): "any" when they fell back."""
    return "any" if any(one.matched == "any" for one in found) else _first(found).matched


def _first(found: list[Found]) -> Found:
    """A shard's matches that say what was searched: the first shard with articles (an
    empty one's query is the query as parsed, never resolved or fallen back)."""
    return next((one for one in found if one.searcher.doc_count_all()), found[0])


def _suggestion(shards: Sequence[Snapshot], query: str) -> str | None:
    """The "did you mean" query. Each shard knows only its own words: a sharded index
    suggests only what every shard with articles suggests alike, so that a word one
    shard has is never replaced (it suggests less than one index would, never wrong)."""
    if len(shards) == 1:
        return shards[0].suggest(query)
    found = {shard.suggest(query) for shard in shards if shard.searcher.doc_count_all()}
    return found.pop() if len(found) == 1 else None


def _facet_counts(shards: Sequence[Snapshot], found: list[Found], facet: str) -> list[FacetCount]:
    """(value, articles) over every shard's matches, most articles first (then by value),
    as one index counts them."""
    counts: dict[str, int] = {}
    for shard, one in zip(shards, found):
        for value, count in shard.metadata.facet(facet).count(one.scores):
            counts[value] = counts.get(value, 0) + count
    ordered = counts.items() if len(shards) == 1 else sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [FacetCount(value, count) for value, count in ordered]


def matches(shards: Sequence[Snapshot], query: str, *, filters: Filters | None, sort: str,
            all_words: bool | None) -> tuple[int, Iterator[Hit]]:
    """Index.matches, in one snapshot of each shard: the count at once, the hits as they
    are read, the shards' merged by Snapshot.sort_key."""
    found = [shard.find(query, filters, all_words=all_words) for shard in shards]
    orders = [shard.order(one, sort, None) for shard, one in zip(shards, found)]
    count = sum(len(order) for order in orders)
    if len(shards) == 1:
        return count, shards[0].hits(found[0], orders[0], None)
    streams = [_keyed_hits(shard, one, order, sort) for shard, one, order in zip(shards, found, orders)]
    merged = heapq.merge(*streams, key=lambda pair: pair[0])
    return count, (replace(hit, rank=rank) for rank, (_, hit) in enumerate(merged, start=1))


def _keyed_hits(shard: Snapshot, found: Found, order: list[tuple[int, float]],
                sort: str) -> Iterator[tuple[tuple, Hit]]:
    """A shard's hits in `order`, each with its Snapshot.sort_key."""
    for (docnum, score), hit in zip(order, shard.hits(found, order, None)):
        yield shard.sort_key(found, sort, docnum, score), hit


def ordered_articles(shards: Sequence[Snapshot], found: Sequence[Found], sort: str,
                     limit: int | None) -> list[tuple[int, int, float]]:
    """The best `limit` matches of every shard in `sort` order, as (shard's place in
    `shards`, article number, score)."""
    return _merged(shards, found, [shard.order(one, sort, limit) for shard, one in zip(shards, found)], sort, limit)


def _merged(shards: Sequence[Snapshot], found: Sequence[Found], orders: Sequence[list[tuple[int, float]]], sort: str,
            limit: int | None) -> list[tuple[int, int, float]]:
    """The best `limit` of each shard's matches in order (`orders`), ranked together by
    Snapshot.sort_key, as (shard's place in `shards`, article number, score)."""
    if len(shards) == 1:
        return [(0, docnum, score) for docnum, score in orders[0]]
    keyed = sorted((shard.sort_key(one, sort, docnum, score), number, docnum, score)
                   for number, (shard, one, order) in enumerate(zip(shards, found, orders)) for docnum, score in order)
    return [(number, docnum, score) for _, number, docnum, score in keyed[:limit]]


def similar(snapshot: Snapshot, article_id: str, limit: int, *, terms: int, passages: int) -> Results | None:
    """Index.similar, in one snapshot."""
    from . import matching
    from .query import more_like

    searcher = snapshot.searcher
    docnum = searcher.document_number(id=article_id)
    if docnum is None:
        return None
    query = more_like(searcher, searcher.stored_fields(docnum), terms)
    if query is None:  # (an article with no words to look for)
        return Results([], total=0, matched="ranked", query="")
    scores = matching.scores(searcher, query, snapshot.columns)
    # (its own near-duplicates are the same story, not related ones)
    copies = [searcher.document_number(id=copy) for copy in snapshot.duplicates_of(article_id)]
    scores = scores.without([docnum, *(number for number in copies if number is not None)])
    found = Found(searcher, scores.none_every(), query, "ranked")  # (hits have some of its words)
    order, hidden = snapshot.collapsed(found, "relevance", limit)  # (near-duplicates shown once here too)
    hits = list(snapshot.hits(found, order, passages, hidden))
    return Results(hits, total=len(scores), matched="ranked", query=str(query))


def nothing_found(shards: Sequence[Snapshot], query: str, filters: Filters | None, per: str | None,
                  all_words: bool | None) -> str:
    """Index.nothing_found, in one snapshot of each shard."""
    if sum(shard.searcher.doc_count() for shard in shards) == 0:
        return "The index holds no articles (run `searcher index CORPUS`)."
    where = filters.describe() if filters else ""
    where = f" ({where})" if where else ""
    problems = filters.problems([shard.metadata for shard in shards]) if filters else []
    if per and not problems and any(len(shard.find(query, filters, all_words=all_words).scores) for shard in shards):
        return f"No article matching {query!r}{where} has a {per}."
    return f"No article matches {query!r}{where}." + "".join(f"\n  {problem}" for problem in problems)
