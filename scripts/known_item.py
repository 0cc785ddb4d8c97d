#!/usr/bin/env python3
"""Known-item search: is an article found by its own title, or by the opening of its text?

    python scripts/known_item.py [--corpus bbc reuters] [--queries 300] [--seed 7]

A check of a ranking lever that needs no judgments: for --queries articles drawn
with a fixed seed, their title, and the first 12 words of their text, are searched
(lower case, top 20, near-duplicates shown apart), and the reciprocal rank of the
article itself is averaged (MRR). Each lever is measured against searcher's own
ranking in the same run:

- rsj: Robertson and Spärck Jones' idf, log((N - df + 0.5)/(df + 0.5)) floored near
  0 (SQLite FTS5's), instead of Lucene's log(1 + (N - df + 0.5)/(df + 0.5));
- hyphens: in a ranked query (more than four words), words joined by a hyphen or a
  slash searched as words of their own.

The README's Relevance section quotes it next to TIME's figures for the same levers.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402

JOINED = re.compile(r"(?<=\w)[-/](?=\w)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", nargs="+", default=["bbc", "reuters"])
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    from searcher import Index
    from searcher.engine import scoring

    lucene = scoring.FieldBoostedBM25F.idf
    rows = []
    with tempfile.TemporaryDirectory(prefix="known-item-") as work:
        for name in args.corpus:
            corpus = benchlib.corpus_path(name, Path(work))
            folder = Path(work) / f"{name}-index"
            benchlib.run_watched([str(benchlib.SEARCHER), "index", str(corpus), "--index", str(folder)])
            records = [json.loads(line) for line in corpus.open(encoding="utf-8")]
            for field in ("title", "body"):
                queries = sample(records, field, args.queries, args.seed)
                figures = []
                for lever in ("searcher", "rsj", "hyphens"):
                    scoring.FieldBoostedBM25F.idf = _rsj if lever == "rsj" else lucene
                    with Index.open(folder) as index:
                        figures.append(mrr(index, queries, split=lever == "hyphens"))
                scoring.FieldBoostedBM25F.idf = lucene
                rows.append([Path(name).name, field, *(f"{figure:.4f}" for figure in figures)])
    print(benchlib.table(["corpus", "query", "MRR searcher", "MRR rsj", "MRR hyphens"], rows))


def sample(records: list[dict], field: str, count: int, seed: int) -> list[tuple[str, str]]:
    """(article id, query) for `count` articles: their title, or their text's first 12 words."""
    chosen = random.Random(seed).sample([r for r in records if len((r.get(field) or "").split()) >= 3], count)
    queries = []
    for record in chosen:
        text = record[field] if field == "title" else " ".join(record[field].split()[:12])
        queries.append((str(record["id"]), re.sub(r"(\w):", r"\1 ", text.lower())))
    return queries


def mrr(index, queries: list[tuple[str, str]], split: bool) -> float:  # type: ignore[no-untyped-def]
    total = 0.0
    for article_id, text in queries:
        if split and index._snapshot().queries.prepare(text).matched == "ranked":
            text = JOINED.sub(" ", text)
        ids = [hit.id for hit in index.search(text, limit=20, passages=0, collapse=False)]
        total += 1 / (ids.index(article_id) + 1) if article_id in ids else 0.0
    return total / len(queries)


def _rsj(self, searcher, fieldname, text):  # type: ignore[no-untyped-def]
    n, df = searcher.doc_count_all(), searcher.doc_frequency(fieldname, text)
    return max(math.log((n - df + 0.5) / (df + 0.5)), 1e-6)


if __name__ == "__main__":
    main()
