"""Evaluation: score a ranking against relevance judgments, as trec_eval does.

    report = evaluate(index, read_queries("queries.tsv"), read_qrels("qrels.txt"))
    report.means["map"]

The measures follow trec_eval 9's definitions, so the figures can be compared
with anyone else's (and the tests check them against pytrec_eval):

- a run is ordered as trec_eval orders it: by score, ties by document id in
  *descending* string order (trec_eval ignores the rank column);
- a document is relevant when its judgment is 1 or more; nDCG uses the judgment
  as the gain, with log2(rank + 1) discounts;
- queries with no relevant document in the judgments are left out of the means,
  as are queries that have no judgments at all; a judged query that finds
  nothing scores 0 (as with trec_eval -c), rather than silently leaving the mean.
  Judged queries missing from the queries file can't be run: `Report.not_run`
  lists them.
"""

from __future__ import annotations

import math
import os
import re
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence, TextIO

from .errors import QueryError, SearcherError

if TYPE_CHECKING:
    from .index import Index

#: The measures of a report, in the order they are shown.
MEASURES = ("map", "ndcg@10", "p@10", "recall@100", "mrr")
MEASURE_NAMES = {"map": "MAP", "ndcg@10": "nDCG@10", "p@10": "P@10", "recall@100": "R@100", "mrr": "MRR"}

#: (document id, score) pairs, best first.
Ranking = Sequence[tuple[str, float]]


class EvaluationInputError(SearcherError):
    """A queries or judgments file that can't be read; the message names the file and line."""


@dataclass(frozen=True)
class QueryScore:
    """One query's figures."""

    qid: str
    query: str
    relevant: int  # relevant documents in the judgments
    retrieved: int  # documents in the run
    relevant_retrieved: int
    matched: str  # "all" or "any": whether the query's words all had to match
    measures: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {
            "qid": self.qid, "query": self.query, "relevant": self.relevant, "retrieved": self.retrieved,
            "relevant_retrieved": self.relevant_retrieved, "matched": self.matched, **self.measures,
        }


@dataclass(frozen=True)
class Report:
    """The figures of a run: per query, and their means over the judged queries."""

    queries: list[QueryScore]
    means: dict[str, float]
    run: dict[str, list[tuple[str, float]]]  # qid -> ranking in trec_eval order
    limit: int
    unjudged: tuple[str, ...] = ()  # qids left out: no relevant document in the judgments
    tag: str = "searcher"
    not_run: tuple[str, ...] = ()  # judged qids that the queries file doesn't have
    # Relevant documents of the queries run that the index doesn't hold: judgments of
    # another collection, or of other ids, score as if the ranking missed them.
    not_in_index: tuple[str, ...] = ()
    judged_relevant: int = 0  # relevant documents of the queries run, in the judgments

    def to_dict(self) -> dict[str, Any]:
        return {"queries": len(self.queries), "limit": self.limit, "unjudged": list(self.unjudged),
                "not_run": list(self.not_run), "not_in_index": list(self.not_in_index), **self.means}

    def write_run(self, out: TextIO, tag: str | None = None) -> None:
        """Write the run in TREC format: `qid Q0 docid rank score tag`, one line per document.

        Scores are written in full (repr). A query that found nothing has no lines, so
        plain trec_eval leaves it out where `evaluate` counts 0 (use trec_eval -c).
        """
        tag = tag or self.tag
        for qid, ranking in self.run.items():
            for rank, (docid, score) in enumerate(ranking, start=1):
                out.write(f"{qid} Q0 {docid} {rank} {score!r} {tag}\n")


def trec_order(ranking: Iterable[tuple[str, float]]) -> list[tuple[str, float]]:
    """`ranking` as trec_eval reads it: score descending, ties by document id descending.

    trec_eval keeps scores as C floats (32 bits): scores equal in 32 bits are ties.
    """
    # Two stable sorts: by id descending, then by score descending.
    by_id = sorted(ranking, key=lambda pair: pair[0], reverse=True)
    return sorted(by_id, key=lambda pair: _float32(pair[1]), reverse=True)


def _float32(value: float) -> float:
    return struct.unpack("f", struct.pack("f", value))[0]


def score_ranking(ranking: Ranking, judged: Mapping[str, int]) -> dict[str, float]:
    """The measures of one query's ranking (already in trec_eval order) against its judgments."""
    relevant = sum(1 for grade in judged.values() if grade >= 1)
    if relevant == 0:
        raise ValueError("a query with no relevant document has no figures")
    hits = [judged.get(docid, 0) for docid, _ in ranking]
    precision_sum = 0.0
    found = 0
    first = 0
    for rank, grade in enumerate(hits, start=1):
        if grade >= 1:
            found += 1
            precision_sum += found / rank
            if not first:
                first = rank
    dcg = sum(grade / math.log2(rank + 1) for rank, grade in enumerate(hits[:10], start=1) if grade > 0)
    ideal_gains = sorted((grade for grade in judged.values() if grade > 0), reverse=True)[:10]
    ideal = sum(grade / math.log2(rank + 1) for rank, grade in enumerate(ideal_gains, start=1))
    return {
        "map": precision_sum / relevant,
        "ndcg@10": dcg / ideal if ideal else 0.0,
        "p@10": sum(1 for grade in hits[:10] if grade >= 1) / 10,
        "recall@100": sum(1 for grade in hits[:100] if grade >= 1) / relevant,
        "mrr": 1.0 / first if first else 0.0,
    }


def evaluate(
    index: Index,
    queries: Mapping[str, str],
    qrels: Mapping[str, Mapping[str, int]],
    limit: int = 1000,
    tag: str = "searcher",
) -> Report:
    """Run every judged query of `queries` on `index` (top `limit`) and score it against `qrels`.

    `queries` maps query ids to query text (see `read_queries`), `qrels` query ids to
    {document id: grade} (see `read_qrels`). Queries are searched exactly as the
    `searcher` command searches them.
    """
    scores: list[QueryScore] = []
    run: dict[str, list[tuple[str, float]]] = {}
    unjudged = []
    for qid, text in queries.items():
        judged = qrels.get(qid, {})
        if not any(grade >= 1 for grade in judged.values()):
            unjudged.append(qid)
            continue
        try:
            # (not collapsed: a judged copy of a story must count as found)
            results = index.search(text, limit=limit, passages=0, collapse=False)
        except QueryError as error:
            raise QueryError(f"query {qid} ({text[:40]!r}): {error.message}", hint=error.hint) from None
        if results and results[0].semantic is not None:
            # (Fused scores tie exactly, ranks 3 and 7 as 7 and 3, and trec_eval would break
            # the ties by id: scored by rank, the run is the order the search shows.)
            ranking = trec_order((hit.id, float(len(results) - number)) for number, hit in enumerate(results))
        else:
            ranking = trec_order((hit.id, hit.score) for hit in results)
        run[qid] = ranking
        scores.append(
            QueryScore(
                qid=qid,
                query=text,
                relevant=sum(1 for grade in judged.values() if grade >= 1),
                retrieved=len(ranking),
                relevant_retrieved=sum(1 for docid, _ in ranking if judged.get(docid, 0) >= 1),
                matched=results.matched,
                measures=score_ranking(ranking, judged),
            )
        )
    if not scores:
        raise EvaluationInputError("no query has a relevant document in the judgments",
                                   hint="do the query ids of the two files match?")
    means = {name: sum(q.measures[name] for q in scores) / len(scores) for name in MEASURES}
    not_run = tuple(qid for qid, judged in qrels.items()
                    if qid not in queries and any(grade >= 1 for grade in judged.values()))
    relevant = sorted({docid for score in scores for docid, grade in qrels[score.qid].items() if grade >= 1})
    not_in_index = tuple(docid for docid in relevant if index.get(docid) is None)
    return Report(scores, means, run, limit, tuple(unjudged), tag, not_run, not_in_index, len(relevant))


# -- reading queries and judgments -------------------------------------------------------

_TOPIC = re.compile(r"<top>(.*?)</top>", re.S | re.I)
_TOPIC_TAG = re.compile(r"<(num|title|desc|narr)>", re.I)


def read_queries(path: str | os.PathLike[str]) -> dict[str, str]:
    """Query ids and texts from a TSV file (`qid<TAB>text`) or a TREC topics file.

    Of a TREC topic (`<top> <num> <title> <desc> <narr> </top>`), the title is the query.
    """
    text = _read(path)
    if _TOPIC.search(text):
        return _read_topics(path, text)
    queries: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        qid, tab, query = line.partition("\t")
        if not tab or not qid.strip() or not query.strip():
            raise EvaluationInputError(f"{path}:{number}: expected `query id<TAB>query text`, found {line[:60]!r}")
        qid = qid.strip()
        if qid in queries:
            raise EvaluationInputError(f"{path}:{number}: query {qid!r} appears twice")
        queries[qid] = " ".join(query.split())
    if not queries:
        raise EvaluationInputError(f"{path}: no queries in the file")
    return queries


def _read_topics(path: str | os.PathLike[str], text: str) -> dict[str, str]:
    queries: dict[str, str] = {}
    for topic in _TOPIC.finditer(text):
        parts: dict[str, str] = {}
        pieces = _TOPIC_TAG.split(topic.group(1))
        for name, body in zip(pieces[1::2], pieces[2::2]):
            parts[name.lower()] = " ".join(re.sub(r"</\w+>", " ", body).split())
        line = text.count("\n", 0, topic.start()) + 1
        qid = re.sub(r"^Number:\s*", "", parts.get("num", ""), flags=re.I).strip()
        title = re.sub(r"^Topic:\s*", "", parts.get("title", ""), flags=re.I).strip()
        if not qid or not title:
            raise EvaluationInputError(f"{path}:{line}: a topic without <num> or <title>")
        if qid in queries:
            raise EvaluationInputError(f"{path}:{line}: topic {qid!r} appears twice")
        queries[qid] = title
    return queries


def read_qrels(path: str | os.PathLike[str]) -> dict[str, dict[str, int]]:
    """TREC judgments (`qid iteration docid grade` per line) as {qid: {docid: grade}}."""
    qrels: dict[str, dict[str, int]] = {}
    for number, line in enumerate(_read(path).splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 4:
            raise EvaluationInputError(f"{path}:{number}: expected `qid 0 docid grade`, found {line[:60]!r}")
        qid, _, docid, grade = fields
        try:
            qrels.setdefault(qid, {})[docid] = int(grade)
        except ValueError:
            raise EvaluationInputError(f"{path}:{number}: the grade {grade!r} is not a whole number") from None
    if not qrels:
        raise EvaluationInputError(f"{path}: no judgments in the file")
    return qrels


def _read(path: str | os.PathLike[str]) -> str:
    try:
        with open(path, encoding="utf-8-sig") as file:
            return file.read()
    except FileNotFoundError:
        raise EvaluationInputError(f"{path}: no such file") from None
    except UnicodeDecodeError as error:
        raise EvaluationInputError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    except OSError as error:
        raise EvaluationInputError(f"{path}: {error.strerror}") from None
