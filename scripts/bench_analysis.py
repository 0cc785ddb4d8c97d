#!/usr/bin/env python3
"""Warm latency of the news analysis commands against a plain search of the same query, in one process.

    python scripts/bench_analysis.py [--corpus reuters] [--rounds 5] [--keep DIR]

The corpus (Reuters-21578 by default, topics as categories, places as places) is
indexed once. The queries are 50 one- and two-word queries (benchlib.query_set,
fixed seed) and three broad ones ("oil", "said", "*": every article). Each round
runs, for every query, one after the other:

- search: `Index.search(q, limit=10, passages=2)`, what `searcher QUERY` does: the baseline;
- facets: the same search with `facets=["source", "category", "place"]` (counted over every match);
- timeline: `Index.timeline([q], "month")`;
- filtered: the search with `--category` (the query's top category) and `--since/--until` (a month);
- newest: the search sorted newest first.

Round 0 warms up (it reads the date column and facet values, once per index
generation; that first read is reported apart). A query's time is its median over
the rounds; the table shows p50, p95 and max over the queries, and p95 as a ratio to
the plain search's p95. The bar: facets and timeline under 0.5 s for every query.

Then the same as commands, each a new process as a person runs it (start-up, opening
the index and the first read included): `searcher QUERY`, `searcher QUERY --facets
source,category,place` and `searcher timeline QUERY`, median of --rounds runs each
(after one warm-up run), for "coffee", "oil" and "*".
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402

CONFIG = "fields:\n  category: topics\n  dateline: places\n"
BROAD = ["oil", "said", "*"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default="reuters")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--short", type=int, default=50, help="one- and two-word queries")
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the index in this folder")
    args = parser.parse_args()

    with benchlib.work_folder(args.keep, "bench-analysis-") as work:
        corpus = benchlib.corpus_path(args.corpus, work)
        config_path = benchlib.configured_index(corpus, work / f"{Path(args.corpus).stem}-analysis", CONFIG)
        queries = benchlib.query_set(corpus, 0, args.short) + BROAD
        first_read, times, sizes = measure(config_path, queries, args.rounds)
        commands = measure_commands(config_path, args.rounds)

    print(f"{Path(args.corpus).name}: {len(queries)} queries ({len(BROAD)} broad: {', '.join(BROAD)}), "
          f"median of {args.rounds} rounds each, warm")
    print(f"matches per query: median {benchlib.median(sizes):,.0f}, max {max(sizes):,}")
    print(f"first read of the date column and facet values (once per index generation): {first_read * 1000:.0f} ms\n")
    base = benchlib.percentile(times["search"], 0.95)
    rows = []
    for name, values in times.items():
        p95 = benchlib.percentile(values, 0.95)
        rows.append([name, f"{benchlib.percentile(values, 0.5) * 1000:.1f}", f"{p95 * 1000:.1f}",
                     f"{max(values) * 1000:.1f}", f"{p95 / base:.2f}x"])
    print(benchlib.table(["command", "p50 ms", "p95 ms", "max ms", "p95 vs search"], rows))
    worst = max(max(times["facets"]), max(times["timeline"]))
    print(f"\nslowest facets or timeline query: {worst * 1000:.0f} ms "
          f"({'under' if worst < 0.5 else 'OVER'} the 0.5 s bar)")
    print(f"\nas commands (a new process each), median of {args.rounds} runs:\n")
    rows = []
    for query, runs in commands.items():
        plain = runs["searcher QUERY"]
        rows.extend([[name, repr(query), f"{seconds * 1000:.0f}", f"{seconds / plain:.2f}x"]
                     for name, seconds in runs.items()])
    print(benchlib.table(["command", "query", "ms", "vs searcher QUERY"], rows))


def measure(config_path: Path, queries: list[str], rounds: int) -> tuple[float, dict[str, list[float]], list[int]]:
    from searcher import Index
    from searcher.config import load_config
    from searcher.search.filters import Filters

    with Index.open(config=load_config(config_path)) as index:
        index.search("oil")  # (opens the searcher: not what is measured)
        started = time.perf_counter()
        index.search("oil", facets=["source", "category", "place"])
        index.timeline(["oil"], "month")
        first_read = time.perf_counter() - started - _time(lambda: index.search("oil"))

        def filtered(query: str) -> Filters:
            top = index.search(query, limit=1, passages=0, facets=["category"]).facets["category"]
            return Filters.parse(category=[top[0].value] if top else [], since="1987-03", until="1987-03")

        filters = {query: filtered(query) for query in queries}
        commands = {
            "search": lambda q: index.search(q, limit=10, passages=2),
            "facets": lambda q: index.search(q, limit=10, passages=2, facets=["source", "category", "place"]),
            "timeline": lambda q: index.timeline([q], "month"),
            "filtered": lambda q: index.search(q, limit=10, passages=2, filters=filters[q]),
            "newest": lambda q: index.search(q, limit=10, passages=2, sort="newest"),
        }
        samples: dict[str, list[list[float]]] = {name: [[] for _ in queries] for name in commands}
        for round_number in range(rounds + 1):  # round 0 warms up
            for number, query in enumerate(queries):
                for name, command in commands.items():
                    elapsed = _time(lambda: command(query))
                    if round_number:
                        samples[name][number].append(elapsed)
        sizes = [index.search(q, limit=1, passages=0).total for q in queries]
    return first_read, {name: [benchlib.median(s) for s in per_query] for name, per_query in samples.items()}, sizes


def measure_commands(config_path: Path, rounds: int) -> dict[str, dict[str, float]]:
    import subprocess

    found: dict[str, dict[str, float]] = {}
    for query in ("coffee", "oil", "*"):
        variants = {
            "searcher QUERY": [query],
            "searcher QUERY --facets ...": [query, "--facets", "source,category,place"],
            "searcher timeline QUERY": ["timeline", query],
        }
        found[query] = {}
        for name, arguments in variants.items():
            command = [str(benchlib.SEARCHER), "--config", str(config_path), *arguments]
            seconds = []
            for run in range(rounds + 1):
                started = time.perf_counter()
                subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
                if run:
                    seconds.append(time.perf_counter() - started)
            found[query][name] = benchlib.median(seconds)
    return found


def _time(call) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
