"""Ranking: BM25F with field boosts, as a Whoosh weighting model.

Field boosts (title above caption above body, `search.boosts` in the
configuration) are applied here, inside each field's BM25 score, and not as
query boosts, so that a field's score is the same whoever computes it: Whoosh's
matchers (explain, phrases) and matching.py, which scores every match of a ranked
query with these same formulas, in arrays. (No top-N pruning is used: every match
is scored, and the count is exact.) Changing the boosts needs no re-index.
"""

from __future__ import annotations

import math
from typing import Mapping

from whoosh import scoring

K1 = 1.2  # term frequency saturation
B = 0.75  # length normalisation

# Fields most articles lack (a caption, a dateline) or that hold a few names: Whoosh
# averages a field's length over every article, so the few that have one would all look
# "long" and be penalised for it. These fields get no length normalisation.
UNNORMALISED_FIELDS = ("caption", "dateline", "source", "category", "credit")


class BoostedBM25FScorer(scoring.BM25FScorer):
    """BM25F's score for one term in one field, times the field's boost."""

    def __init__(self, searcher, fieldname, text, B, K1, qf=1, boost=1.0):  # type: ignore[no-untyped-def]
        self.boost = boost  # set before setup(), which computes the upper bound with _score
        super().__init__(searcher, fieldname, text, B, K1, qf=qf)

    def _score(self, weight: float, length: float) -> float:
        return super()._score(weight, length) * self.boost


class FieldBoostedBM25F(scoring.BM25F):
    """BM25F whose per-field scores are multiplied by the field boosts, with Lucene's idf."""

    def __init__(self, boosts: Mapping[str, float], **kwargs: float) -> None:
        super().__init__(**kwargs)
        self.boosts = dict(boosts)

    def idf(self, searcher, fieldname, text):  # type: ignore[no-untyped-def]
        # Lucene's (and Robertson's) BM25 idf, always positive. Whoosh's log(N/(df+1)) + 1
        # gives common words too much weight: on TIME it costs 0.04 MAP (the README's relevance table).
        n = searcher.doc_count_all()
        df = searcher.doc_frequency(fieldname, text)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def scorer(self, searcher, fieldname, text, qf=1):  # type: ignore[no-untyped-def]
        if not searcher.schema[fieldname].scorable:
            return super().scorer(searcher, fieldname, text, qf=qf)
        field_b = self._field_B.get(fieldname, self.B)
        return BoostedBM25FScorer(searcher, fieldname, text, field_b, self.K1, qf=qf,
                                  boost=self.boosts.get(fieldname, 1.0))


def weighting(boosts: Mapping[str, float]) -> scoring.WeightingModel:
    return FieldBoostedBM25F(boosts, B=B, K1=K1, **{f"{name}_B": 0.0 for name in UNNORMALISED_FIELDS})
