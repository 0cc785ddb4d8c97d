"""Ranking: BM25F with field boosts, as a Whoosh weighting model.

Field boosts (title above caption above body, `search.boosts` in the
configuration) are applied here, inside each field's BM25 score, and not as
query boosts, so that a field's score is the same whoever computes it: Whoosh's
matchers (explain, phrases) and matching.py, which scores every match of a ranked
query with these same formulas, in arrays. (No top-N pruning is used: every match
is scored, and the count is exact.) Changing the boosts needs no re-index.

BM25's collection statistics (the number of articles, each term's document
frequency, each field's average length) are the index's own, unless the weighting is
given `CollectionStatistics` of a larger collection the index is a part of: then a
shard scores each of its articles exactly as one index of the whole collection would
(as Elasticsearch's dfs_query_then_fetch and Lucene's overridable collection
statistics do). Every score goes through here: `idf`, and `average_length` for
matching.py and Whoosh's own scorers alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from whoosh import scoring

K1 = 1.2  # term frequency saturation
B = 0.75  # length normalisation

# Fields most articles lack (a caption, a dateline) or that hold a few names: Whoosh
# averages a field's length over every article, so the few that have one would all look
# "long" and be penalised for it. These fields get no length normalisation.
UNNORMALISED_FIELDS = ("caption", "dateline", "source", "category", "credit", "author")


@dataclass(frozen=True)
class CollectionStatistics:
    """What BM25 reads of a whole collection: its article count (deleted ones included,
    as Whoosh counts them), each scored field's total length, and each term's document
    frequency by (field, term bytes); a term not there is in no article. Summed over the
    shards of a collection (`combined`), it makes each shard score as the whole would."""

    articles: int
    field_lengths: Mapping[str, int]
    frequencies: Mapping[tuple[str, bytes], int] = field(repr=False)

    def document_frequency(self, fieldname: str, text: bytes | str) -> int:
        if isinstance(text, str):  # (Whoosh's searcher.idf takes a term as text too; text fields are UTF-8)
            text = text.encode("utf-8")
        return self.frequencies.get((fieldname, text), 0)

    def terms(self, fieldname: str) -> list[bytes] | None:
        """The field's terms, in any article of the collection (the fuzzy words'
        candidates); None for a field not scored (`id`), whose terms it doesn't hold."""
        if fieldname not in self.field_lengths:
            return None
        return [text for name, text in self.frequencies if name == fieldname]

    def average_length(self, fieldname: str) -> float:
        return self.field_lengths.get(fieldname, 0) / (self.articles or 1)

    @classmethod
    def of(cls, searcher) -> CollectionStatistics:  # type: ignore[no-untyped-def]
        """The statistics of the index `searcher` reads, every term of its scored fields
        (Reuters: 72,000 terms, about half a second)."""
        schema = searcher.schema
        scored = [name for name in schema.names() if schema[name].scorable]
        frequencies: dict[tuple[str, bytes], int] = {}
        for leaf, _ in searcher.reader().leaf_readers():
            terms = getattr(leaf, "_terms", None)  # (a W3TermsReader; None for an empty segment)
            if terms is None:
                continue
            for name in scored:
                if name not in terms.indexed_field_names():
                    continue
                for key, info in terms.items_from(name, b""):
                    if key[0] != name:
                        break
                    frequencies[key] = frequencies.get(key, 0) + info.doc_frequency()
        return cls(searcher.doc_count_all(), {name: searcher.field_length(name) for name in scored}, frequencies)

    @classmethod
    def combined(cls, parts: Iterable[CollectionStatistics]) -> CollectionStatistics:
        """The statistics of a collection made of these parts (shards)."""
        articles, lengths, frequencies = 0, {}, {}  # type: ignore[var-annotated]
        for part in parts:
            articles += part.articles
            for name, length in part.field_lengths.items():
                lengths[name] = lengths.get(name, 0) + length
            for key, count in part.frequencies.items():
                frequencies[key] = frequencies.get(key, 0) + count
        return cls(articles, lengths, frequencies)


class SummedStatistics:
    """The statistics of the indexes some searchers read (the shards of one index, open in
    this process), summed: read as scoring asks for them, a term's document frequency
    once per term. They hold while those searchers do (one generation of each)."""

    def __init__(self, searchers: list) -> None:  # type: ignore[type-arg]
        self._searchers = searchers
        self.articles = sum(searcher.doc_count_all() for searcher in searchers)
        self._lengths: dict[str, int] = {}
        self._frequencies: dict[tuple[str, bytes], int] = {}
        self._terms: dict[str, set[bytes]] = {}

    def document_frequency(self, fieldname: str, text: bytes) -> int:
        key = (fieldname, text)
        found = self._frequencies.get(key)
        if found is None:
            found = self._frequencies[key] = sum(searcher.doc_frequency(fieldname, text) for searcher in self._searchers)
        return found

    def terms(self, fieldname: str) -> set[bytes]:
        """The field's terms, in any of the indexes (the fuzzy words' candidates): read
        once for all the shards, whose searches each ask."""
        found = self._terms.get(fieldname)
        if found is None:
            found = self._terms[fieldname] = {term for searcher in self._searchers if fieldname in searcher.schema
                                              for term in searcher.reader().lexicon(fieldname)}
        return found

    def average_length(self, fieldname: str) -> float:
        length = self._lengths.get(fieldname)
        if length is None:
            length = self._lengths[fieldname] = sum(searcher.field_length(fieldname) for searcher in self._searchers)
        return length / (self.articles or 1)


def average_length(searcher, fieldname: str) -> float:  # type: ignore[no-untyped-def]
    """The field's average length as BM25 reads it: the collection's when the searcher's
    weighting has statistics, else the index's (at least 1, as Whoosh's)."""
    statistics = getattr(searcher.weighting, "statistics", None)
    if statistics is not None:
        return statistics.average_length(fieldname) or 1
    return searcher.get_parent().avg_field_length(fieldname) or 1


class BoostedBM25FScorer(scoring.BM25FScorer):
    """BM25F's score for one term in one field, times the field's boost."""

    def __init__(self, searcher, fieldname, text, B, K1, qf=1, boost=1.0):  # type: ignore[no-untyped-def]
        # (Whoosh's BM25FScorer.__init__, with the average length from average_length.)
        self.boost = boost  # set before setup(), which computes the upper bound with _score
        parent = searcher.get_parent()
        self.idf = parent.idf(fieldname, text)
        self.avgfl = average_length(parent, fieldname)
        self.B, self.K1, self.qf = B, K1, qf
        self.setup(searcher, fieldname, text)

    def _score(self, weight: float, length: float) -> float:
        return super()._score(weight, length) * self.boost


class FieldBoostedBM25F(scoring.BM25F):
    """BM25F whose per-field scores are multiplied by the field boosts, with Lucene's idf."""

    def __init__(self, boosts: Mapping[str, float], statistics: CollectionStatistics | SummedStatistics | None = None,
                 **kwargs: float) -> None:
        super().__init__(**kwargs)
        self.boosts = dict(boosts)
        self.statistics = statistics  # None: the index's own

    def idf(self, searcher, fieldname, text):  # type: ignore[no-untyped-def]
        # Lucene's (and Robertson's) BM25 idf, always positive. Whoosh's log(N/(df+1)) + 1
        # gives common words too much weight: on TIME it costs 0.04 MAP (the README's relevance table).
        if self.statistics is not None:
            n, df = self.statistics.articles, self.statistics.document_frequency(fieldname, text)
        else:
            n, df = searcher.doc_count_all(), searcher.doc_frequency(fieldname, text)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def scorer(self, searcher, fieldname, text, qf=1):  # type: ignore[no-untyped-def]
        if not searcher.schema[fieldname].scorable:
            return super().scorer(searcher, fieldname, text, qf=qf)
        field_b = self._field_B.get(fieldname, self.B)
        return BoostedBM25FScorer(searcher, fieldname, text, field_b, self.K1, qf=qf,
                                  boost=self.boosts.get(fieldname, 1.0))


def weighting(boosts: Mapping[str, float],
              statistics: CollectionStatistics | SummedStatistics | None = None) -> scoring.WeightingModel:
    """Our BM25F, with the index's statistics or, given them, a whole collection's."""
    return FieldBoostedBM25F(boosts, statistics, B=B, K1=K1, **{f"{name}_B": 0.0 for name in UNNORMALISED_FIELDS})
