"""The exhaustive scorer: every match of a query scored into a dict, a term at a time.

This is how searcher scored queries before matching.py read postings as arrays
(commit 7c91347), kept here as the reference that matching.py must agree with, bit
for bit: the same matches, the same scores. It reads the postings through Whoosh's
own block reader, so it also checks postings.py's blocks from the other side.
(Its own agreement with Whoosh's collector is tested in test_search.py.)

What follows is its original description.

Whoosh scores a query document at a time: a tree of matchers, one per term and per
field, is advanced in step, and every step asks every node whether it is still
active. For a ranked sentence over 100,000 articles (a dozen words, each in four
fields) that bookkeeping, not the scoring, took nine tenths of the time. Its top-N
pruning, which would skip most of it, is unsafe in Whoosh 2.7 (see `scores`).

Here each term's postings are read a block at a time and scored with the same
weighting model (scoring.FieldBoostedBM25F, the same quantized field lengths), into a
map from article number to score; AND, OR, AND NOT and AND MAYBE combine the maps as
Whoosh's matchers combine scores (a sum over the parts that match). Any other query
(a phrase, a date range) is run by its own Whoosh matcher and joins in as a map.
The scores are Whoosh's, up to the order of the additions.
"""

from __future__ import annotations

import heapq
from typing import Any

from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching import FilterMatcher, NullMatcherClass, WrappingMatcher

from searcher.engine.scoring import BoostedBM25FScorer
from searcher.engine.reading import field_lengths

Scores = dict[int, float]

# Whoosh reads a missing length as 1 (BM25FScorer.dfl); byte 0 is "no length".


class Lengths:
    """Each segment's field lengths, read once per searcher: (reader, field) -> list."""

    def __init__(self) -> None:
        self._lengths: dict[tuple[int, str], list[int]] = {}

    def of(self, reader, fieldname: str) -> list[int]:  # type: ignore[no-untyped-def]
        key = (id(reader), fieldname)
        found = self._lengths.get(key)
        if found is None:
            found = self._lengths[key] = _read_lengths(reader, fieldname)
        return found


def _read_lengths(reader, fieldname: str) -> list[int]:  # type: ignore[no-untyped-def]
    # (An article without the field scores as if it were one word long.)
    return field_lengths(reader._perdoc, fieldname, reader.doc_count_all(), missing=1)


def scores(searcher, query: wq.Query, lengths: Lengths) -> Scores:  # type: ignore[no-untyped-def]
    """Article number -> score of every article that matches `query`.

    Every match is scored. Whoosh's own top-N pruning relies on upper bounds that are
    wrong in Whoosh 2.7 (a union of more than two clauses in a small segment is
    bounded by its best clause; a boosted clause ignores its boost): pruned searches
    lost articles that belonged in the top 10 (BBC News, "England rugby").
    """
    context = searcher.context()
    found: Scores = {}
    for subsearcher, offset in searcher.leaf_searchers():
        segment = _scores(query, subsearcher, context, lengths)
        if offset:
            found.update((docnum + offset, score) for docnum, score in segment.items())
        else:
            found.update(segment)
    return found


def ranked(found: Scores, limit: int | None) -> list[tuple[int, float]]:
    """The best `limit` (None: all) of `found`, best first (ties: the lower number first, as Whoosh)."""
    key = _rank_key
    return sorted(found.items(), key=key) if limit is None else heapq.nsmallest(limit, found.items(), key=key)


def _rank_key(item: tuple[int, float]) -> tuple[float, int]:
    return (-item[1], item[0])


def _scores(query: wq.Query, searcher, context, lengths: Lengths) -> Scores:  # type: ignore[no-untyped-def]
    """Article number -> score for the matches of `query` in one segment."""
    kind = type(query)
    if kind is wq.Term:
        return _term_scores(query, searcher, context, lengths)
    if isinstance(query, wq.Or) and not query.scale and not query.minmatch:
        total: Scores = {}
        for part in query.subqueries:
            for docnum, score in _scores(part, searcher, context, lengths).items():
                total[docnum] = total.get(docnum, 0.0) + score
        return _boosted(total, query.boost)
    if kind is wq.And:
        parts = [q for q in query.subqueries if not isinstance(q, wq.Not)]
        excluded = [q.query for q in query.subqueries if isinstance(q, wq.Not)]
        if not parts:
            return _matcher_scores(query, searcher, context)
        maps = [_scores(part, searcher, context, lengths) for part in parts]
        total = {}
        for docnum in min(maps, key=len):
            if all(docnum in other for other in maps):
                score = 0.0
                for other in maps:  # (in the query's order, as matching.py adds them)
                    score += other[docnum]
                total[docnum] = score
        for query_out in excluded:
            for docnum in _matches(query_out, searcher):
                total.pop(docnum, None)
        return _boosted(total, query.boost)
    if isinstance(query, wq.AndNot):  # query._AndNot too
        total = _scores(query.a, searcher, context, lengths)
        for docnum in _matches(query.b, searcher):
            total.pop(docnum, None)
        return total
    if kind is wq.Every:
        return _every(query, searcher)
    if isinstance(query, wq.AndMaybe):
        total = _scores(query.a, searcher, context, lengths)
        if total:
            for docnum, score in _scores(query.b, searcher, context, lengths).items():
                if docnum in total:
                    total[docnum] += score
        return total
    return _matcher_scores(query, searcher, context)


def _term_scores(term: wq.Term, searcher, context, lengths: Lengths) -> Scores:  # type: ignore[no-untyped-def]
    matcher = term.matcher(searcher, context)
    boost = 1.0
    if isinstance(matcher, WrappingMatcher) and type(matcher) is WrappingMatcher:
        boost, matcher = matcher.boost, matcher.child
    if isinstance(matcher, NullMatcherClass):
        return {}
    # A segment with deleted (or replaced) articles filters them out of every term.
    deleted: frozenset[int] = frozenset()
    if type(matcher) is FilterMatcher and matcher._exclude and matcher.boost == 1.0:
        deleted, matcher = matcher._ids, matcher.child
    scorer = getattr(matcher, "scorer", None)
    if type(matcher) is not W3LeafMatcher or not isinstance(scorer, BoostedBM25FScorer):
        return _matcher_scores(term, searcher, context)  # its own matcher applies the boost
    field_lengths = lengths.of(searcher.reader(), term.fieldname)
    # BM25 (whoosh.scoring.bm25) times the field and query boosts, with the per-term
    # parts computed once: idf * tf * (k1 + 1) / (tf + k1 * (1 - b) + k1 * b * length / avgfl).
    k1, b = scorer.K1, scorer.B
    scale = scorer.idf * (k1 + 1) * scorer.boost * boost
    fixed, per_length = k1 * (1 - b), k1 * b / scorer.avgfl
    scores: Scores = {}
    while matcher.is_active():
        # A block at a time (Whoosh's codec, W3LeafMatcher): its ids and weights.
        matcher._read_ids()
        matcher._read_weights()
        scores.update({docnum: scale * tf / (tf + fixed + per_length * field_lengths[docnum])
                       for docnum, tf in zip(matcher._ids, matcher._weights) if docnum not in deleted})
        matcher._next_block()
    return scores


def _every(query: wq.Every, searcher) -> Scores:  # type: ignore[no-untyped-def]
    """Every article ("*"), or every article with a field ("title:*"), each scoring the boost.

    Whoosh's Every on a field reads the postings of each of the field's terms: "* AND
    oil", which the parser makes every article with a title, caption, place or text,
    took 4.6 s on Reuters. An article has a field when it has a length in it.
    """
    reader = searcher.reader()
    count = reader.doc_count_all()
    deleted = reader.deleted_docs_set if reader.has_deletions() else frozenset()
    fieldname = query.fieldname
    if fieldname in (None, "*"):
        return {docnum: query.boost for docnum in range(count) if docnum not in deleted}
    if fieldname not in reader.schema or not reader.schema[fieldname].scorable:
        return _matcher_scores(query, searcher, searcher.context())  # (no lengths: Whoosh's own way)
    lengths = field_lengths(reader._perdoc, fieldname, count, missing=0)
    return {docnum: query.boost for docnum, length in enumerate(lengths) if length and docnum not in deleted}


def _matcher_scores(query: wq.Query, searcher, context) -> Scores:  # type: ignore[no-untyped-def]
    """The query's own Whoosh matcher, run to the end."""
    matcher = query.matcher(searcher, context)
    scores: Scores = {}
    while matcher.is_active():
        scores[matcher.id()] = matcher.score()
        matcher.next()
    return scores


def _matches(query: wq.Query, searcher) -> Any:  # type: ignore[no-untyped-def]
    """The article numbers that match `query`, unscored."""
    if type(query) is wq.Every:
        return _every(query, searcher).keys()
    if isinstance(query, wq.Or) and any(type(part) is wq.Every for part in query.subqueries):
        found: set[int] = set()  # ("-*": the default fields' Every, each fast on its own)
        for part in query.subqueries:
            found.update(_matches(part, searcher))
        return found
    return query.matcher(searcher, searcher.boolean_context()).all_ids()


def _boosted(scores: Scores, boost: float) -> Scores:
    if boost != 1.0:
        for docnum in scores:
            scores[docnum] *= boost
    return scores
