#!/usr/bin/env python3
"""Warm query latency: a full `searcher` search against a plain Whoosh search, in one process.

    python scripts/bench_query.py [--corpus reuters-x5] [--rounds 3] [--keep DIR]

Both engines index the same corpus (by default Reuters five times over, about 108,000
articles; --keep DIR keeps the two indexes there and reuses them next time). The
queries are 200 Reuters titles and 50 one- and two-word queries (fixed seed), in lower
case as people type them. Each round runs every query on both engines, one after the
other, after a warm-up round; a query's time is its median over the rounds.

- plain Whoosh: the query through MultifieldParser (title, body), top 10, ids only,
  no highlighting; once with its words OR-ed (as the anchors measure it) and once
  AND-ed (QueryParser's default).
- searcher: `Index.search(query, limit=10, passages=2)`: ranking, the top 10, two
  passages per hit with highlights, all copied into our dataclasses.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default="reuters-x5")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--titles", type=int, default=200, help="queries made of article titles")
    parser.add_argument("--short", type=int, default=50, help="one- and two-word queries")
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the indexes in this folder")
    parser.add_argument("--profile", type=Path, help="write a cProfile of searcher's queries to this file")
    args = parser.parse_args()

    with benchlib.work_folder(args.keep, "bench-query-") as work:
        corpus = benchlib.corpus_path(args.corpus, work)
        name = Path(args.corpus).stem
        plain_folder, searcher_folder = work / f"{name}-plain", work / f"{name}-searcher"
        if not (plain_folder / "_MAIN_1.toc").exists() and not list(plain_folder.glob("_MAIN_*.toc")):
            shutil.rmtree(plain_folder, ignore_errors=True)
            plain_folder.mkdir()
            print(f"building the plain Whoosh index of {corpus.name}...", file=sys.stderr)
            benchlib.plain_index(corpus, plain_folder)
        if not (searcher_folder / "searcher-index.json").exists():
            print(f"building the searcher index of {corpus.name}...", file=sys.stderr)
            benchlib.run_watched([str(benchlib.SEARCHER), "index", str(corpus), "--index", str(searcher_folder)])
        queries = benchlib.query_set(corpus, args.titles, args.short)
        times = measure(plain_folder, searcher_folder, queries, args.rounds, args.profile)

    print(f"{Path(args.corpus).name}: {len(queries)} queries, median of {args.rounds} rounds each, warm\n")
    base = {name: benchlib.percentile(values, 0.95) for name, values in times.items()}
    rows = []
    for name, values in times.items():
        p95 = benchlib.percentile(values, 0.95)
        rows.append([name, f"{benchlib.percentile(values, 0.5) * 1000:.1f}", f"{p95 * 1000:.1f}",
                     f"{max(values) * 1000:.1f}", f"{p95 / base['plain Whoosh, words OR-ed']:.2f}x",
                     f"{p95 / base['plain Whoosh, words AND-ed']:.2f}x"])
    print(benchlib.table(["engine", "p50 ms", "p95 ms", "max ms", "p95 vs OR-ed", "p95 vs AND-ed"], rows))


def measure(plain_folder: Path, searcher_folder: Path, queries: list[str], rounds: int,
            profile: Path | None) -> dict[str, list[float]]:
    from whoosh import index as whoosh_index
    from whoosh import qparser

    from searcher import Index

    plain_ix = whoosh_index.open_dir(str(plain_folder))
    or_parser = qparser.MultifieldParser(["title", "body"], plain_ix.schema, group=qparser.OrGroup)
    and_parser = qparser.MultifieldParser(["title", "body"], plain_ix.schema)
    engines = {}
    with plain_ix.searcher() as plain, Index.open(searcher_folder) as index:
        engines["plain Whoosh, words OR-ed"] = lambda q: benchlib.plain_search(plain, or_parser, q)
        engines["plain Whoosh, words AND-ed"] = lambda q: benchlib.plain_search(plain, and_parser, q)
        engines["searcher, top 10 with 2 passages each"] = lambda q: index.search(q, limit=10, passages=2)
        samples: dict[str, list[list[float]]] = {name: [[] for _ in queries] for name in engines}
        for round_number in range(rounds + 1):  # round 0 warms up
            for number, query in enumerate(queries):
                for name, search in engines.items():
                    started = time.perf_counter()
                    search(query)
                    if round_number:
                        samples[name][number].append(time.perf_counter() - started)
        if profile:
            import cProfile

            cProfile.runctx("for q in queries: index.search(q, limit=10, passages=2)", globals(),
                            {"queries": queries, "index": index}, str(profile))
    return {name: [benchlib.median(s) for s in per_query] for name, per_query in samples.items()}


if __name__ == "__main__":
    main()
