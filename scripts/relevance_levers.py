#!/usr/bin/env python3
"""The ranking levers tried on TIME, each against the same BM25 base, in one run.

    python scripts/relevance_levers.py [--data ../shared/data/time]

Each lever changes one thing of a plain BM25 (k1 1.2, b 0.75, Lucene idf, query
stop words dropped, searcher's analyzer: Porter stemming as Whoosh does it), or
puts another of the textbook models in its place (BM25+, BM25L, query likelihood), and
is scored on the 55 judged queries (top 1000, trec_eval measures). The scoring
is done in memory, over searcher's own tokens, so that each lever is a few
lines; the base row is searcher's ranking to within a few thousandths (searcher
also searches title, caption and dateline, empty in TIME, and keeps hyphenated
words such as SINO-SOVIET together). A lever went into searcher only when it
helped here and is sound IR practice; the README's Relevance section says which.

The last two columns score the same runs against the collection's larger judgment
set (`qrels_all.txt`, TIME.REL.ALL: 59 queries, 210 judgments), when it is there: a lever
that gains only on the judgments it was chosen on is a lever fitted to them.
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import re
import sys
from pathlib import Path
from typing import Callable, Counter

from whoosh.analysis import STOP_WORDS as WHOOSH_STOP_WORDS

from searcher.engine.tokens import STOP_WORDS, TOKEN_PATTERN, text_analyzer
from searcher.evaluation import MEASURE_NAMES, MEASURES, read_qrels, read_queries, score_ranking, trec_order

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "time"


class Collection:
    """Term counts and positions of every document, analysed as searcher analyses them."""

    def __init__(self, docs: Path, stem: Callable[[str], str] | None = None) -> None:
        self.analyzer = text_analyzer()
        if stem is not None:
            from whoosh.analysis import RegexTokenizer, StemFilter

            from searcher.engine.tokens import NormalizeFilter

            self.analyzer = RegexTokenizer(TOKEN_PATTERN) | NormalizeFilter() | StemFilter(stemfn=stem)
        records = [json.loads(line) for line in docs.read_text(encoding="utf-8").splitlines()]
        self.ids = [record["id"] for record in records]
        self.tokens = [[token.text for token in self.analyzer(record["text"])] for record in records]
        self.tfs = [collections.Counter(tokens) for tokens in self.tokens]
        self.lengths = [len(tokens) for tokens in self.tokens]
        self.n = len(records)
        self.avgdl = sum(self.lengths) / self.n
        self.df: Counter[str] = collections.Counter()
        self.cf: Counter[str] = collections.Counter()
        for tf in self.tfs:
            self.df.update(tf.keys())
            self.cf.update(tf)

    def query(self, text: str, stop_words: frozenset[str] = STOP_WORDS) -> Counter[str]:
        words = [w for w in re.findall(TOKEN_PATTERN, text) if w.lower() not in stop_words]
        return collections.Counter(token.text for word in words for token in self.analyzer(word))

    def idf(self, term: str, kind: str = "lucene") -> float:
        df = self.df[term]
        if kind == "whoosh":
            return math.log(self.n / (df + 1)) + 1
        if kind == "rsj":  # Robertson and Spärck Jones', as FTS5 has it: never below a millionth
            return max(1e-6, math.log((self.n - df + 0.5) / (df + 0.5)))
        return math.log(1 + (self.n - df + 0.5) / (df + 0.5))

    def bm25(self, query: Counter[str] | dict[str, float], k1: float = 1.2, b: float = 0.75,
             idf: str = "lucene") -> dict[int, float]:
        scores: dict[int, float] = {}
        for doc, tf in enumerate(self.tfs):
            norm = k1 * (1 - b + b * self.lengths[doc] / self.avgdl)
            score = sum(weight * self.idf(t, idf) * tf[t] * (k1 + 1) / (tf[t] + norm)
                        for t, weight in query.items() if t in tf)
            if score:
                scores[doc] = score
        return scores


def ranked(c: Collection, scores: dict[int, float]) -> list[tuple[str, float]]:
    return trec_order((c.ids[doc], score) for doc, score in scores.items())[:1000]


# -- the levers: each returns a ranking function of the query text ------------------------------


def base(c: Collection, **bm25: float) -> Callable[[str], dict[int, float]]:
    return lambda text: c.bm25(c.query(text), **bm25)  # type: ignore[arg-type]


def stop_list(c: Collection, words: frozenset[str]) -> Callable[[str], dict[int, float]]:
    return lambda text: c.bm25(c.query(text, words))


def other_idf(c: Collection, kind: str) -> Callable[[str], dict[int, float]]:
    return lambda text: c.bm25(c.query(text), idf=kind)


def coordination(c: Collection, power: float) -> Callable[[str], dict[int, float]]:
    """Scores times (matched terms / query terms)^power: documents with all terms first."""
    def run(text: str) -> dict[int, float]:
        query = c.query(text)
        return {doc: s * (sum(1 for t in query if t in c.tfs[doc]) / len(query)) ** power
                for doc, s in c.bm25(query).items()}
    return run


def proximity(c: Collection, weight: float, window: int = 5) -> Callable[[str], dict[int, float]]:
    """BM25TP (Rasolofo & Savoy 2003): pairs of query terms near each other add 1/distance^2."""
    def run(text: str) -> dict[int, float]:
        query = c.query(text)
        scores = c.bm25(query)
        for doc in scores:
            positions = [(at, t) for at, t in enumerate(c.tokens[doc]) if t in query]
            pairs: Counter[tuple[str, str]] = collections.Counter()
            for i, (at, t) in enumerate(positions):
                for later, u in positions[i + 1:]:
                    if later - at > window:
                        break
                    if u != t:
                        pairs[tuple(sorted((t, u)))] += 1.0 / (later - at) ** 2  # type: ignore[index]
            norm = 1.2 * (0.25 + 0.75 * c.lengths[doc] / c.avgdl)
            scores[doc] += weight * sum(min(c.idf(t), c.idf(u)) * 2.2 * v / (norm + v) for (t, u), v in pairs.items())
        return scores
    return run


def best_passage(c: Collection, weight: float, size: int = 200) -> Callable[[str], dict[int, float]]:
    """Document score mixed with its best window's BM25 (Callan 1994), windows of `size` words."""
    def run(text: str) -> dict[int, float]:
        query = c.query(text)
        scores = c.bm25(query)
        for doc, score in scores.items():
            best = 0.0
            tokens = c.tokens[doc]
            for start in range(0, max(1, len(tokens) - size // 2), size // 2):
                window = collections.Counter(tokens[start:start + size])
                length = min(size, len(tokens) - start)
                best = max(best, sum(n * c.idf(t) * window[t] * 2.2 / (window[t] + 1.2 * (0.25 + 0.75 * length / size))
                                     for t, n in query.items() if window[t]))
            scores[doc] = (1 - weight) * score + weight * best
        return scores
    return run


def bm25_plus(c: Collection, delta: float, k1: float = 1.2, b: float = 0.75) -> Callable[[str], dict[int, float]]:
    """BM25+ (Lv & Zhai 2011): each matched term adds at least idf x delta, so that a long
    article is not pushed below a short one that lacks the term."""
    def run(text: str) -> dict[int, float]:
        query = c.query(text)
        scores: dict[int, float] = {}
        for doc, tf in enumerate(c.tfs):
            norm = k1 * (1 - b + b * c.lengths[doc] / c.avgdl)
            score = sum(n * c.idf(t) * (tf[t] * (k1 + 1) / (tf[t] + norm) + delta) for t, n in query.items() if t in tf)
            if score:
                scores[doc] = score
        return scores
    return run


def bm25_l(c: Collection, delta: float, k1: float = 1.2, b: float = 0.75) -> Callable[[str], dict[int, float]]:
    """BM25L (Lv & Zhai 2011): the length-normalised term frequency shifted by delta."""
    def run(text: str) -> dict[int, float]:
        query = c.query(text)
        scores: dict[int, float] = {}
        for doc, tf in enumerate(c.tfs):
            lengths = 1 - b + b * c.lengths[doc] / c.avgdl
            score = 0.0
            for t, n in query.items():
                if t in tf:
                    shifted = tf[t] / lengths + delta
                    score += n * c.idf(t) * (k1 + 1) * shifted / (k1 + shifted)
            if score:
                scores[doc] = score
        return scores
    return run


def dirichlet(c: Collection, mu: float) -> Callable[[str], dict[int, float]]:
    """Query likelihood with Dirichlet smoothing (Zhai & Lafferty 2001), over the articles
    holding a query term (the others would rank below them, as for BM25)."""
    total = sum(c.cf.values())

    def run(text: str) -> dict[int, float]:
        query = {t: n for t, n in c.query(text).items() if c.cf[t]}
        return {doc: sum(n * math.log((tf[t] + mu * c.cf[t] / total) / (c.lengths[doc] + mu)) for t, n in query.items())
                for doc, tf in enumerate(c.tfs) if any(t in tf for t in query)}
    return run


def feedback(c: Collection, model: str, docs: int = 10, terms: int = 10, original: float = 0.5) -> Callable[[str], dict[int, float]]:
    """Pseudo-relevance feedback: RM3 (Anserini's default) or Bo1 (Terrier's), then BM25 again."""
    def run(text: str) -> dict[int, float]:
        query = c.query(text)
        first = sorted(c.bm25(query).items(), key=lambda pair: -pair[1])[:docs]
        if not first:
            return {}
        expansion: Counter[str] = collections.Counter()
        if model == "rm3":
            total = sum(score for _, score in first)
            for doc, score in first:
                for t, n in c.tfs[doc].items():
                    expansion[t] += n / c.lengths[doc] * score / total
        else:
            counts: Counter[str] = collections.Counter()
            for doc, _ in first:
                counts.update(c.tfs[doc])
            for t, n in counts.items():
                mean = c.cf[t] / c.n
                expansion[t] = n * math.log2((1 + mean) / mean) + math.log2(1 + mean)
        chosen = [(t, w) for t, w in expansion.most_common() if t not in STOP_WORDS and not t.isdigit()][:terms]
        total_q, total_e = sum(query.values()), sum(w for _, w in chosen) or 1.0
        weights: dict[str, float] = collections.defaultdict(float)
        for t, n in query.items():
            weights[t] += original * n / total_q
        for t, w in chosen:
            weights[t] += (1 - original) * w / total_e
        return c.bm25(weights)
    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    queries, qrels = read_queries(args.data / "queries.tsv"), read_qrels(args.data / "qrels.txt")
    judged = {qid: text for qid, text in queries.items() if any(g >= 1 for g in qrels.get(qid, {}).values())}
    c = Collection(args.data / "docs.jsonl")

    levers: list[tuple[str, Collection, Callable[[str], dict[int, float]]]] = [
        ("base: BM25 k1 1.2 b 0.75, Lucene idf, Lucene stop words", c, base(c)),
        ("idf: Whoosh's log(N/(df+1))+1", c, other_idf(c, "whoosh")),
        ("idf: Robertson-Sparck Jones' log((N-df+0.5)/(df+0.5)), as FTS5", c, other_idf(c, "rsj")),
        ("stop words: none", c, stop_list(c, frozenset())),
        ("stop words: Whoosh's list (drops 'us', 'may')", c, stop_list(c, frozenset(WHOOSH_STOP_WORDS))),
    ]
    levers += [(f"BM25 k1 {k1} b {b}", c, base(c, k1=k1, b=b)) for k1, b in ((0.9, 0.4), (0.9, 0.75), (1.6, 0.75), (1.2, 0.9), (2.0, 0.75))]
    levers += [(f"coordination: x (matched/all)^{p}", c, coordination(c, p)) for p in (0.5, 1.0)]
    levers += [(f"proximity: BM25TP, weight {w}", c, proximity(c, w)) for w in (0.25, 1.0)]
    levers += [(f"best passage of {size} words, weight {w}", c, best_passage(c, w, size)) for size, w in ((100, 0.3), (200, 0.3), (200, 0.5))]
    levers += [(f"BM25+, delta {delta}", c, bm25_plus(c, delta)) for delta in (0.5, 1.0)]
    levers += [("BM25L, delta 0.5", c, bm25_l(c, 0.5))]
    levers += [(f"query likelihood, Dirichlet mu {mu}", c, dirichlet(c, mu)) for mu in (300, 1000, 2000)]
    levers += [("feedback: RM3, 10 docs, 10 terms, 0.5", c, feedback(c, "rm3")),
               ("feedback: RM3, 10 docs, 20 terms, 0.7", c, feedback(c, "rm3", terms=20, original=0.7)),
               ("feedback: Bo1, 3 docs, 10 terms, 0.7", c, feedback(c, "bo1", docs=3, original=0.7))]
    try:
        import Stemmer  # PyStemmer, optional
    except ImportError:
        print("(stemmer levers skipped: PyStemmer is not installed)", file=sys.stderr)
    else:
        for name in ("english", "porter"):
            other = Collection(args.data / "docs.jsonl", stem=Stemmer.Stemmer(name).stemWord)
            label = "Snowball English" if name == "english" else "Porter (PyStemmer's, without Whoosh's changes)"
            levers.append((f"stemmer: {label}", other, base(other)))
    plain = Collection(args.data / "docs.jsonl", stem=lambda word: word)
    levers.append(("stemmer: none", plain, base(plain)))

    larger = read_qrels(args.data / "qrels_all.txt") if (args.data / "qrels_all.txt").is_file() else {}
    judged_larger = {qid: text for qid, text in queries.items() if any(g >= 1 for g in larger.get(qid, {}).values())}

    print(f"TIME: {len(judged)} judged queries, top 1000, trec_eval measures; last two columns: "
          f"{len(judged_larger)} queries judged in qrels_all.txt\n")
    print("| lever | " + " | ".join(MEASURE_NAMES[m] for m in MEASURES) + " | AP better / worse than base |"
          + (" MAP, qrels_all | nDCG@10, qrels_all |" if larger else ""))
    print("|---|" + "---:|" * len(MEASURES) + "---:|" + ("---:|---:|" if larger else ""))
    base_ap: dict[str, float] = {}
    for label, collection, run in levers:
        rankings = {qid: ranked(collection, run(text)) for qid, text in (judged | judged_larger).items()}
        per_query = {qid: score_ranking(rankings[qid], qrels[qid]) for qid in judged}
        if not base_ap:
            base_ap = {qid: values["map"] for qid, values in per_query.items()}
        better = sum(1 for qid, values in per_query.items() if values["map"] > base_ap[qid] + 1e-9)
        worse = sum(1 for qid, values in per_query.items() if values["map"] < base_ap[qid] - 1e-9)
        means = " | ".join(f"{average(per_query, m):.3f}" for m in MEASURES)
        if larger:
            on_larger = {qid: score_ranking(rankings[qid], larger[qid]) for qid in judged_larger}
            means += f" | {better} / {worse} | {average(on_larger, 'map'):.3f} | {average(on_larger, 'ndcg@10'):.3f}"
        else:
            means += f" | {better} / {worse}"
        print(f"| {label} | {means} |", flush=True)
    return 0


def average(per_query: dict[str, dict[str, float]], measure: str) -> float:
    return sum(values[measure] for values in per_query.values()) / len(per_query)


if __name__ == "__main__":
    sys.exit(main())
