#!/usr/bin/env python3
"""A sharded index on a real Dask cluster against one index on this machine, in one run.

    python scripts/bench_cluster.py [--corpus reuters-x5] [--small bbc] [--shards 4] [--workers 2]
                                    [--rounds 3] [--keep DIR]

It starts a Dask scheduler and `--workers` workers (one thread each, as processes bound to
127.0.0.1, stopped by pid at the end), then measures, against a baseline run here:

- build: `searcher index CORPUS --shards N --cluster ADDR` against `searcher index CORPUS`
  (one index, the machine's cores), both as commands;
- query p95: 200 title and 50 one- or two-word queries (fixed seed), warm, each the
  median of `--rounds`, with `Index.search(query, limit=10, passages=2)`: the sharded
  index searched on the cluster against one index in this process (and the sharded
  index searched here, without the cluster, for the record);
- where a cluster search's time goes: each worker's shards searched in this process as
  its actor searches them, plus a call to every actor that does nothing; their sum is
  the cluster's floor on these cores (the search's work split over the workers, and the
  calls, with nothing else of Dask's);
- identical results: the same ids in the same order, the same scores (to 1e-9), the same
  near-duplicates, passages and totals, query by query;
- the overhead of a cluster search on a small archive (`--small`, its short queries):
  the cluster's p95 less one index's, in ms;
- memory: each worker's RSS before its shards are open and after, per shard it holds.

The last table sets the figures against issue 17's targets.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402

SEARCHER = str(Path(sys.executable).with_name("searcher"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default="reuters-x5")
    parser.add_argument("--small", default="bbc", help="the archive of small queries, for the cluster's overhead")
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--titles", type=int, default=200, help="queries made of article titles")
    parser.add_argument("--short", type=int, default=50, help="one- and two-word queries")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", type=Path, help="keep the corpora's copies in this folder (indexes are built anew)")
    args = parser.parse_args()

    with benchlib.work_folder(args.keep, "bench-cluster-") as work:
        cluster = benchlib.start_cluster(work / "cluster", args.workers)
        try:
            rows, targets = run(args, work, cluster)
        finally:
            cluster.stop()
    print(benchlib.table(["what", "figure"], rows))
    print()
    print(benchlib.table(["issue 17's target", "target", "measured", "met"], targets))


def run(args: argparse.Namespace, work: Path, cluster: benchlib.LocalCluster) -> tuple[list[list[str]], list[list[str]]]:
    from searcher import Index

    corpus = benchlib.corpus_path(args.corpus, work)
    name = Path(args.corpus).name
    one_folder, sharded_folder = work / f"{name}-one", work / f"{name}-sharded"
    fresh(one_folder, sharded_folder)
    one_build = benchlib.run_watched([SEARCHER, "index", str(corpus), "--index", str(one_folder)]).seconds
    cluster_build = benchlib.run_watched([SEARCHER, "index", str(corpus), "--index", str(sharded_folder), "--shards",
                                          str(args.shards), "--cluster", cluster.address]).seconds
    queries = benchlib.query_set(corpus, args.titles, args.short, seed=args.seed)
    idle = [benchlib.rss_mb(worker.pid) for worker in cluster.workers]
    with Index.open(one_folder) as one, Index.open(sharded_folder, cluster=cluster.address) as on_cluster, \
            Index.open(sharded_folder, cluster="") as here:
        on_cluster.search(queries[0])  # (opens the shards on the workers)
        opened = [benchlib.rss_mb(worker.pid) for worker in cluster.workers]
        times = measure({"one": one, "cluster": on_cluster, "here": here}, queries, args.rounds)
        parts = where_the_time_goes(on_cluster, here, queries, args.rounds)
        same = sum(identical(one.search(query, passages=2), on_cluster.search(query, passages=2)) for query in queries)
    per_shard = (sum(opened) - sum(idle)) / args.shards
    small = benchlib.corpus_path(args.small, work)
    small_one, small_sharded = work / "small-one", work / "small-sharded"
    fresh(small_one, small_sharded)
    benchlib.run_watched([SEARCHER, "index", str(small), "--index", str(small_one)])
    benchlib.run_watched([SEARCHER, "index", str(small), "--index", str(small_sharded), "--shards", str(args.shards),
                          "--cluster", cluster.address])
    short = benchlib.query_set(small, 0, args.short, seed=args.seed)
    with Index.open(small_one) as one, Index.open(small_sharded, cluster=cluster.address) as on_cluster:
        small_times = measure({"one": one, "cluster": on_cluster}, short, args.rounds)
        small_same = sum(identical(one.search(query, passages=2), on_cluster.search(query, passages=2))
                         for query in short)

    p95 = {engine: benchlib.percentile(values, 0.95) for engine, values in times.items()}
    p50 = {engine: benchlib.median(values) for engine, values in times.items()}
    small_p95 = {engine: benchlib.percentile(values, 0.95) for engine, values in small_times.items()}
    where = f"{name}, {args.shards} shards on {args.workers} workers"
    rows = [
        ["build, one index here (`searcher index`)", f"{one_build:.1f} s"],
        [f"build, {where}", f"{cluster_build:.1f} s"],
        [f"query p50 / p95, one index here ({len(queries)} queries)", f"{p50['one']:.1f} / {p95['one']:.1f} ms"],
        [f"query p50 / p95, {where}", f"{p50['cluster']:.1f} / {p95['cluster']:.1f} ms"],
        [f"query p50 / p95, the same {args.shards} shards searched here", f"{p50['here']:.1f} / {p95['here']:.1f} ms"],
        [f"{Path(args.small).name}, short queries p95: one index here / cluster",
         f"{small_p95['one']:.1f} / {small_p95['cluster']:.1f} ms"],
        ["where a cluster search's time goes, p50 / p95: each worker's shards searched here as its actor "
         "searches them (the slower worker's time)", f"{benchlib.median(parts['workers']):.1f} / "
                                                    f"{benchlib.percentile(parts['workers'], 0.95):.1f} ms"],
        ["... a call to every actor with nothing to do", f"{benchlib.median(parts['call']):.1f} / "
                                                        f"{benchlib.percentile(parts['call'], 0.95):.1f} ms"],
        ["... the two added, query by query: a floor for the cluster's time on these cores",
         f"{benchlib.median(parts['floor']):.1f} / {benchlib.percentile(parts['floor'], 0.95):.1f} ms "
         f"({benchlib.percentile(parts['floor'], 0.95) / p95['one']:.2f}x one index's p95)"],
        ["worker RSS, idle / shards open (each worker)",
         " ; ".join(f"{a:.0f} / {b:.0f} MB" for a, b in zip(idle, opened))],
        ["memory per open shard (RSS added, averaged)", f"{per_shard:.0f} MB"],
    ]
    targets = [
        [f"{where}: warm query p95 against one index here", "<= 0.8x", f"{p95['cluster'] / p95['one']:.2f}x",
         yes(p95["cluster"] <= 0.8 * p95["one"])],
        [f"{where}: build time against `searcher index` here", "<= 1.1x", f"{cluster_build / one_build:.2f}x",
         yes(cluster_build <= 1.1 * one_build)],
        [f"overhead of a cluster search, {Path(args.small).name} short queries, p95", "<= 5 ms",
         f"{small_p95['cluster'] - small_p95['one']:+.1f} ms", yes(small_p95["cluster"] - small_p95["one"] <= 5)],
        ["results identical to one index", "every query",
         f"{same}/{len(queries)} and {small_same}/{len(short)}", yes(same == len(queries) and small_same == len(short))],
    ]
    return rows, targets


def measure(indexes: dict[str, Any], queries: list[str], rounds: int) -> dict[str, list[float]]:
    """Each query's median time (ms) over `rounds`, per index, after a warm-up round; the
    indexes take turns query by query, so that a busy moment of the machine falls on all."""
    for query in queries:
        for index in indexes.values():
            index.search(query, limit=10, passages=2)
    taken: dict[str, list[list[float]]] = {engine: [[] for _ in queries] for engine in indexes}
    for _ in range(rounds):
        for number, query in enumerate(queries):
            for engine, index in indexes.items():
                started = time.perf_counter()
                index.search(query, limit=10, passages=2)
                taken[engine][number].append((time.perf_counter() - started) * 1000)
    return {engine: [statistics.median(values) for values in per_query] for engine, per_query in taken.items()}


def where_the_time_goes(on_cluster: Any, here: Any, queries: list[str], rounds: int) -> dict[str, list[float]]:
    """What a cluster search is made of, query by query (ms, the median of `rounds`):
    the shards each worker holds searched in this process as its actor searches them
    (results.with_hits: matches, merge, hits with passages), the slower worker's time;
    a call to every actor that does nothing (the spellings of no word); and the two
    added, which is what the cluster's search would take if Dask added nothing to the
    work but the call, and the workers had the cores to themselves."""
    from searcher.search.results import with_hits
    from searcher.search.shard import LocalShards, ShardQuery

    cluster = on_cluster._cluster  # (ClusterShards: which shards each actor holds)
    snapshots = here._snapshots()
    workers = [LocalShards([snapshots[number] for number in held]) for held in cluster._held]
    config = on_cluster.config
    parts: dict[str, list[float]] = {"workers": [], "call": [], "floor": []}
    for query in queries:
        request = ShardQuery(query, None, config.all_words, "relevance", 10, True, (), passages=2)
        slowest, calls = [], []
        for _ in range(rounds + 1):  # (the first, a warm-up)
            each = []
            for shards in workers:
                started = time.perf_counter()
                with_hits(shards, request)
                each.append((time.perf_counter() - started) * 1000)
            slowest.append(max(each))
            with cluster._client.as_current():
                started = time.perf_counter()
                cluster.spellings([])
                calls.append((time.perf_counter() - started) * 1000)
        worker, call = statistics.median(slowest[1:]), statistics.median(calls[1:])
        parts["workers"].append(worker)
        parts["call"].append(call)
        parts["floor"].append(worker + call)
    return parts


def identical(expected: Any, found: Any) -> bool:
    return ((found.total, found.every_word, found.facets) == (expected.total, expected.every_word, expected.facets)
            and [(hit.id, hit.duplicates, hit.passages) for hit in found] ==
            [(hit.id, hit.duplicates, hit.passages) for hit in expected]
            and all(abs(a.score - b.score) <= 1e-9 * max(abs(b.score), 1e-12) for a, b in zip(found, expected)))


def fresh(*folders: Path) -> None:
    """No index left in these folders from an earlier run (--keep keeps the corpora only)."""
    import shutil

    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)


def yes(met: bool) -> str:
    return "yes" if met else "**no**"


if __name__ == "__main__":
    main()
