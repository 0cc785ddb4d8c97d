#!/usr/bin/env python3
"""Warm query latency: a full `searcher` search against a plain Whoosh search, in one process.

    python scripts/bench_query.py [--corpus bbc reuters reuters-x5] [--rounds 3] [--seed 2026]
                                  [--keep DIR] [--profile FILE] [--one-segment] [--phrases N]

For each corpus, both engines index it (reuters-x5 is Reuters five times over, about
108,000 articles; --keep DIR keeps the indexes there and reuses them next time). The
queries are 200 of its titles and 50 one- and two-word queries made of title words
(fixed seed), in lower case as people type them. Each round runs every query on every
engine, one after the other, after a warm-up round; a query's time is its median over
the rounds.

- plain Whoosh: the query through MultifieldParser (title, body), top 10, ids only,
  no highlighting; once with its words OR-ed (as the anchors measure it) and once
  AND-ed (QueryParser's default).
- searcher: `Index.search(query, limit=10, passages=2)`: ranking (the articles with
  every word first, then those with some), the top 10, two passages per hit with
  highlights, all copied into our dataclasses.

With --phrases N, the queries are N phrases in quotes instead, two or three words in
a row from the articles' text ("interest rates", "of the"; benchlib.phrase_set): both
engines search them as phrases, plain Whoosh with its phrase matcher.

With --one-segment, searcher also searches a copy of its index with its segments joined
into one (`Index.batch(optimize=True)`, engine/joining.py; `searcher index` on two cores
writes a segment a worker), to show what the layout costs a search, and says how long
the join took: what one segment would add to a build.

The last table sets each figure against issue 16's targets: the p95 against plain
Whoosh on BBC and on Reuters x5, and how the p95 grows from Reuters to Reuters x5.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402

OR, AND, OURS = "plain Whoosh, words OR-ed", "plain Whoosh, words AND-ed", "searcher, top 10 with 2 passages each"
MERGED = "  the same, its index in one segment"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", nargs="+", default=["bbc", "reuters", "reuters-x5"])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--titles", type=int, default=200, help="queries made of article titles")
    parser.add_argument("--short", type=int, default=50, help="one- and two-word queries")
    parser.add_argument("--seed", type=int, default=2026, help="the seed that draws the queries")
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the indexes in this folder")
    parser.add_argument("--profile", type=Path, help="write a cProfile of searcher's queries (last corpus) to this file")
    parser.add_argument("--phrases", type=int, metavar="N", help="search N phrases in quotes instead")
    parser.add_argument("--one-segment", action="store_true",
                        help="also search a copy of searcher's index merged into one segment")
    args = parser.parse_args()

    p95: dict[str, dict[str, float]] = {}
    with benchlib.work_folder(args.keep, "bench-query-") as work:
        for number, name in enumerate(args.corpus):
            corpus = benchlib.corpus_path(name, work)
            plain_folder, searcher_folder = built(corpus, work, Path(name).stem)
            queries = benchlib.phrase_set(corpus, args.phrases, seed=args.seed) if args.phrases else \
                benchlib.query_set(corpus, args.titles, args.short, seed=args.seed)
            profile = args.profile if number == len(args.corpus) - 1 else None
            merged_folder = one_segment(searcher_folder) if args.one_segment else None
            times = measure(plain_folder, searcher_folder, queries, args.rounds, profile, merged_folder)
            kind = "phrases" if args.phrases else "queries"
            print(f"{Path(name).name}: {len(queries)} {kind} (seed {args.seed}), median of {args.rounds} rounds each, "
                  "warm\n")
            print(table(times))
            print()
            p95[name] = {engine: benchlib.percentile(values, 0.95) for engine, values in times.items()}
    if not args.phrases:  # (issue 16's targets are for its query mix)
        print(targets(p95))


def built(corpus: Path, work: Path, name: str) -> tuple[Path, Path]:
    """The plain Whoosh and searcher indexes of `corpus` in `work`, built unless there."""
    plain_folder, searcher_folder = work / f"{name}-plain", work / f"{name}-searcher"
    if not list(plain_folder.glob("_MAIN_*.toc")):
        shutil.rmtree(plain_folder, ignore_errors=True)
        plain_folder.mkdir()
        print(f"building the plain Whoosh index of {corpus.name}...", file=sys.stderr)
        benchlib.plain_index(corpus, plain_folder)
    if not readable(searcher_folder):  # (none yet, or kept from another version of searcher)
        print(f"building the searcher index of {corpus.name}...", file=sys.stderr)
        benchlib.run_watched([str(benchlib.SEARCHER), "index", str(corpus), "--index", str(searcher_folder),
                              "--rebuild"])
    return plain_folder, searcher_folder


def one_segment(folder: Path) -> Path:
    """A copy of the searcher index in `folder`, its segments joined into one (an
    optimizing batch; made again each run: the index may have been rebuilt)."""
    from searcher import Index

    merged = folder.with_name(folder.name + "-one-segment")
    shutil.rmtree(merged, ignore_errors=True)
    shutil.copytree(folder, merged)
    with Index.open(merged) as index:
        start = time.perf_counter()
        with index.batch(optimize=True):
            pass
        took = time.perf_counter() - start
        assert index.stats().segments == 1
    print(f"joined the segments of a copy of {folder.name} in {took:.2f} s")
    return merged


def readable(folder: Path) -> bool:
    """True when this searcher can open the index in `folder`."""
    from searcher import Index, SearcherError

    try:
        Index.open(folder).close()
    except SearcherError:
        return False
    return True


def table(times: dict[str, list[float]]) -> str:
    base = {name: benchlib.percentile(values, 0.95) for name, values in times.items()}
    rows = []
    for name, values in times.items():
        p95 = benchlib.percentile(values, 0.95)
        rows.append([name, f"{benchlib.percentile(values, 0.5) * 1000:.1f}", f"{p95 * 1000:.1f}",
                     f"{max(values) * 1000:.1f}", f"{p95 / base[OR]:.2f}x", f"{p95 / base[AND]:.2f}x"])
    return benchlib.table(["engine", "p50 ms", "p95 ms", "max ms", "p95 vs OR-ed", "p95 vs AND-ed"], rows)


def targets(p95: dict[str, dict[str, float]]) -> str:
    """Issue 16's targets, for the corpora of this run."""
    rows = []
    if "bbc" in p95:
        rows.append(["BBC, p95 vs plain Whoosh AND", f"{p95['bbc'][OURS] / p95['bbc'][AND]:.2f}x", "<= 1.0x"])
    if "reuters-x5" in p95:
        x5 = p95["reuters-x5"]
        rows.append(["Reuters x5, p95 vs plain Whoosh AND", f"{x5[OURS] / x5[AND]:.2f}x", "<= 0.7x"])
        rows.append(["Reuters x5, p95 vs plain Whoosh OR", f"{x5[OURS] / x5[OR]:.2f}x", "<= 0.1x"])
        if "reuters" in p95:
            one = p95["reuters"]
            rows.append(["growth: p95 at Reuters x5 / at Reuters (searcher)", f"{x5[OURS] / one[OURS]:.2f}x",
                         "<= 2.5x"])
            rows.append(["  the same, plain Whoosh AND / OR", f"{x5[AND] / one[AND]:.2f}x / {x5[OR] / one[OR]:.2f}x",
                         ""])
    return benchlib.table(["target", "figure", "bar"], rows) if rows else ""


def measure(plain_folder: Path, searcher_folder: Path, queries: list[str], rounds: int,
            profile: Path | None, merged_folder: Path | None = None) -> dict[str, list[float]]:
    from whoosh import index as whoosh_index
    from whoosh import qparser

    from searcher import Index

    plain_ix = whoosh_index.open_dir(str(plain_folder))
    or_parser = qparser.MultifieldParser(["title", "body"], plain_ix.schema, group=qparser.OrGroup)
    and_parser = qparser.MultifieldParser(["title", "body"], plain_ix.schema)
    engines = {}
    with plain_ix.searcher() as plain, Index.open(searcher_folder) as index:
        engines[OR] = lambda q: benchlib.plain_search(plain, or_parser, q)
        engines[AND] = lambda q: benchlib.plain_search(plain, and_parser, q)
        engines[OURS] = lambda q: index.search(q, limit=10, passages=2)
        merged = Index.open(merged_folder) if merged_folder is not None else None
        if merged is not None:
            engines[MERGED] = lambda q: merged.search(q, limit=10, passages=2)
        samples: dict[str, list[list[float]]] = {name: [[] for _ in queries] for name in engines}
        for round_number in range(rounds + 1):  # round 0 warms up
            for number, query in enumerate(queries):
                for name, search in engines.items():
                    started = time.perf_counter()
                    search(query)
                    if round_number:
                        samples[name][number].append(time.perf_counter() - started)
        if merged is not None:
            merged.close()
        if profile:
            import cProfile

            cProfile.runctx("for q in queries: index.search(q, limit=10, passages=2)", globals(),
                            {"queries": queries, "index": index}, str(profile))
    return {name: [benchlib.median(s) for s in per_query] for name, per_query in samples.items()}


if __name__ == "__main__":
    main()
