#!/usr/bin/env python3
"""Indexing speed: `searcher index` against a plain Whoosh writer, in one run.

    python scripts/bench_index.py [CORPUS.jsonl] [--repeat 3]

The baseline is Whoosh as its documentation shows it: StemmingAnalyzer, BM25F,
one writer with limitmb=256, documents read with json. Each engine builds a
fresh index in a temporary folder; the best of --repeat runs is kept, and the
figures to quote are the ratios, which hold on a noisy machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "bbc" / "bbc-news.jsonl"


def plain_whoosh(corpus: Path, folder: Path) -> int:
    from whoosh import analysis, fields, index

    stem = analysis.StemmingAnalyzer()
    schema = fields.Schema(
        id=fields.ID(stored=True, unique=True),
        title=fields.TEXT(analyzer=stem, stored=True),
        body=fields.TEXT(analyzer=stem, stored=True),
    )
    ix = index.create_in(str(folder), schema)
    writer = ix.writer(limitmb=256)
    count = 0
    with corpus.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            writer.add_document(id=record["id"], title=record.get("title", ""),
                                body=record.get("body") or record.get("text", ""))
            count += 1
    writer.commit()
    return count


def searcher_library(corpus: Path, folder: Path, workers: int | None) -> int:
    from searcher.config import Config
    from searcher.indexer import update_index

    report = update_index(Config(index=folder, workers=workers), [corpus])
    return report.added


def searcher_command(corpus: Path, folder: Path) -> int:
    script = Path(sys.executable).parent / "searcher"
    done = subprocess.run([str(script), "index", str(corpus), "--index", str(folder), "--json"],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)["added"]


def size_mb(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.iterdir() if f.is_file()) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    engines = [
        ("plain Whoosh, one writer (baseline)", lambda folder: plain_whoosh(args.corpus, folder)),
        ("searcher library, 1 process", lambda folder: searcher_library(args.corpus, folder, 1)),
        ("searcher library, default (both cores)", lambda folder: searcher_library(args.corpus, folder, None)),
        ("`searcher index` command, new process", lambda folder: searcher_command(args.corpus, folder)),
    ]
    print(f"corpus: {args.corpus} ({args.corpus.stat().st_size / 1e6:.1f} MB), best of {args.repeat}, "
          f"{os.cpu_count()} cores, Python {sys.version.split()[0]}")
    rows = []
    for name, build in engines:
        best, count, megabytes = float("inf"), 0, 0.0
        for _ in range(args.repeat):
            folder = Path(tempfile.mkdtemp(prefix="bench-index-"))
            try:
                started = time.perf_counter()
                count = build(folder)
                best = min(best, time.perf_counter() - started)
                megabytes = size_mb(folder)
            finally:
                shutil.rmtree(folder)
        rows.append((name, count, best, megabytes))
    baseline_rate = rows[0][1] / rows[0][2]
    print(f"\n| {'engine':<42} | articles | seconds | articles/s | vs baseline | index MB |")
    print(f"|{'-' * 44}|---------:|--------:|-----------:|------------:|---------:|")
    for name, count, seconds, megabytes in rows:
        rate = count / seconds
        print(f"| {name:<42} | {count:>8,} | {seconds:>7.2f} | {rate:>10,.0f} | {rate / baseline_rate:>10.2f}x | {megabytes:>8.1f} |")


if __name__ == "__main__":
    main()
