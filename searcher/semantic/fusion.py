"""Reciprocal rank fusion: one ranking from BM25's and the embeddings'.

An article's fused score is the sum, over the rankings it is in, of 1 / (k + its rank)
(Cormack, Clarke and Büttcher, SIGIR 2009), with their k = 60: ranks, not scores, so
BM25's unbounded scores and cosine similarities need no common scale, and nothing is
tuned. Each ranking is cut at a depth (at least `DEPTH`, and as many as the search
wants): an article deeper than that in one ranking gets nothing from it, as in
Elasticsearch's rank window.
"""

from __future__ import annotations

from typing import Hashable, Sequence

K = 60
DEPTH = 100


def fused_scores(rankings: Sequence[Sequence[Hashable]], k: int = K) -> dict[Hashable, float]:
    """Each item's fused score over `rankings` (each best first)."""
    scores: dict[Hashable, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return scores


def depth(wanted: int | None) -> int | None:
    """How deep each ranking is fused, for a search that wants `wanted` articles (None: all)."""
    return None if wanted is None else max(DEPTH, wanted)
