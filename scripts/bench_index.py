#!/usr/bin/env python3
"""Indexing speed, scale, memory and incremental runs: `searcher index` against plain Whoosh.

    python scripts/bench_index.py [--corpus bbc reuters reuters-x5] [--repeat 1]

For each corpus, both engines build a fresh index in a temporary folder, each in its
own process: plain Whoosh (see benchlib: StemmingAnalyzer, one writer, limitmb=256)
and the `searcher index` command, start-up included. The table gives articles/s,
the ratio to the baseline (the figure to quote: it holds on a noisy machine), the
index size and the peak RSS of the process and its workers. "reuters-x5" is Reuters
five times over with suffixed ids (about 108,000 articles), made in the temp folder.

Then, on Reuters (or the first corpus when Reuters is not measured): `searcher index`
again on the unchanged corpus, and again after changing 10 articles of the JSON lines
file (each time from the full build's index), the median of --runs runs of each as a
share of the full build.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402


def build(engine: str, corpus: Path, folder: Path) -> benchlib.Run:
    if engine == "plain":
        return benchlib.run_watched([sys.executable, __file__, "--plain", str(corpus), str(folder)])
    return benchlib.run_watched([str(benchlib.SEARCHER), "index", str(corpus), "--index", str(folder), "--json"])


def change_articles(corpus: Path, count: int, seed: int = 7) -> None:
    """Edit the body of `count` articles of a JSON lines file in place."""
    lines = corpus.read_text(encoding="utf-8").splitlines()
    for number in random.Random(seed).sample(range(len(lines)), count):
        record = json.loads(lines[number])
        record["body"] = (record.get("body") or "") + " Corrected on re-reading."
        lines[number] = json.dumps(record)
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", nargs="+", default=["bbc", "reuters", "reuters-x5"])
    parser.add_argument("--repeat", type=int, default=1, help="builds per engine and corpus; the fastest counts")
    parser.add_argument("--runs", type=int, default=5, help="incremental runs of each kind; the median counts")
    parser.add_argument("--plain", nargs=2, type=Path, metavar=("CORPUS", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.plain:
        print(benchlib.plain_index(*args.plain))
        return

    work = Path(tempfile.mkdtemp(prefix="bench-index-"))
    rows, rates, full_seconds = [], {}, {}
    changing = "reuters" if "reuters" in args.corpus else args.corpus[0]
    try:
        for name in args.corpus:
            corpus = benchlib.corpus_path(name, work)
            if name == changing:  # a copy, to change articles in later
                corpus = Path(shutil.copy(corpus, work / "changing.jsonl"))
            articles = benchlib.count_lines(corpus)
            results = {}
            for engine in ("plain", "searcher"):
                best = None
                for _ in range(args.repeat):
                    folder = work / f"{Path(name).name}-{engine}"
                    shutil.rmtree(folder, ignore_errors=True)
                    folder.mkdir()
                    run = build(engine, corpus, folder)
                    if best is None or run.seconds < best[0].seconds:
                        best = (run, benchlib.folder_mb(folder))
                results[engine] = best
            base_rate = articles / results["plain"][0].seconds
            for engine, label in (("plain", "plain Whoosh (baseline)"), ("searcher", "`searcher index`")):
                run, megabytes = results[engine]
                rate = articles / run.seconds
                rates[name, engine] = rate
                rows.append([Path(name).name, label, f"{articles:,}", f"{run.seconds:.1f}", f"{rate:,.0f}",
                             f"{rate / base_rate:.2f}x", f"{megabytes:.1f}",
                             f"{megabytes / results['plain'][1]:.2f}x", f"{run.peak_rss_mb:,.0f}"])
            full_seconds[name] = results["searcher"][0].seconds
            print(f"{name}: done", file=sys.stderr)

        print(f"{sys.version.split()[0]}, best of {args.repeat}\n")
        print(benchlib.table(["corpus", "engine", "articles", "seconds", "articles/s", "vs baseline",
                              "index MB", "size vs baseline", "peak RSS MB"], rows))
        if ("reuters", "searcher") in rates and ("reuters-x5", "searcher") in rates:
            print(f"\nscale: reuters-x5 throughput / reuters throughput = "
                  f"{rates['reuters-x5', 'searcher'] / rates['reuters', 'searcher']:.2f} "
                  f"(plain Whoosh: {rates['reuters-x5', 'plain'] / rates['reuters', 'plain']:.2f})")
        if changing in full_seconds:
            corpus, folder = work / "changing.jsonl", work / f"{Path(changing).name}-searcher"
            pristine, original = work / "pristine-index", work / "original.jsonl"
            shutil.copytree(folder, pristine)
            shutil.copy(corpus, original)
            unchanged = [build("searcher", corpus, folder) for _ in range(args.runs)]
            changed = []
            for _ in range(args.runs):  # each from the index of the full build, the same 10 changed
                shutil.rmtree(folder)
                shutil.copytree(pristine, folder)
                shutil.copy(original, corpus)
                change_articles(corpus, 10)
                changed.append(build("searcher", corpus, folder))
            full = full_seconds[changing]
            rows = []
            for label, runs in (("unchanged corpus", unchanged), ("10 articles changed", changed)):
                seconds = statistics.median(run.seconds for run in runs)
                report = json.loads(runs[-1].stdout)
                rows.append([label, f"{seconds:.2f}", f"{seconds / full:.1%}", str(report["added"] + report["updated"])])
            print("\n" + benchlib.table([f"{Path(changing).name}, `searcher index` again (median of {args.runs})",
                                         "seconds", "of the full build", "articles written"], rows))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
