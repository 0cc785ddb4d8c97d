#!/usr/bin/env python3
"""Cold start: `searcher QUERY --json` as a new process, against a minimal Whoosh script.

    python scripts/bench_startup.py [--corpus reuters] [--index DIR] [--runs 30]

The minimal script opens the same index with Whoosh, parses the query with
MultifieldParser (title, body) and prints the ids of the top 10: the least a Python
program can do to answer from this index. Both run --runs times, alternating; the
figures are medians. Then `searcher --help`: its median time, and whether it imports
whoosh or rich (python -X importtime).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402

MINIMAL = """\
import sys
from whoosh import index, qparser
ix = index.open_dir(sys.argv[1])
with ix.searcher() as searcher:
    query = qparser.MultifieldParser(["title", "body"], ix.schema).parse(sys.argv[2])
    for hit in searcher.search(query, limit=10):
        print(hit["id"])
"""

QUERIES = ["oil prices", "coffee", "bank of japan interest rates", "u.s. wheat exports to the soviet union"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default="reuters")
    parser.add_argument("--index", type=Path, help="a built searcher index to use (default: build one)")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    try:
        folder = args.index
        if folder is None:
            folder = work / "index"
            corpus = benchlib.corpus_path(args.corpus, work)
            benchlib.run_watched([str(benchlib.SEARCHER), "index", str(corpus), "--index", str(folder)])
        minimal = work / "minimal.py"
        minimal.write_text(MINIMAL, encoding="utf-8")
        rows = []
        for query in QUERIES:
            commands = {
                "minimal Whoosh script": [sys.executable, str(minimal), str(folder), query],
                "searcher QUERY --json": [str(benchlib.SEARCHER), query, "--index", str(folder), "--json"],
            }
            times = {name: [] for name in commands}
            for _ in range(args.runs):
                for name, command in commands.items():
                    started = time.perf_counter()
                    subprocess.run(command, check=True, capture_output=True)
                    times[name].append(time.perf_counter() - started)
            base = benchlib.median(times["minimal Whoosh script"])
            ours = benchlib.median(times["searcher QUERY --json"])
            rows.append([query, f"{base * 1000:.0f}", f"{ours * 1000:.0f}", f"{ours / base:.2f}x"])
        print(f"index: {folder}, median of {args.runs} runs each\n")
        print(benchlib.table(["query", "minimal Whoosh ms", "searcher --json ms", "ratio"], rows))

        help_times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            subprocess.run([str(benchlib.SEARCHER), "--help"], check=True, capture_output=True)
            help_times.append(time.perf_counter() - started)
        imports = subprocess.run([sys.executable, "-X", "importtime", "-m", "searcher", "--help"],
                                 capture_output=True, text=True, check=True).stderr
        modules = {line.rsplit("|", 1)[-1].strip() for line in imports.splitlines() if "|" in line}
        heavy = sorted(m for m in modules if m.split(".")[0] in ("whoosh", "rich", "yaml"))
        print(f"\n`searcher --help`: median {benchlib.median(help_times) * 1000:.0f} ms, "
              f"{len(modules)} modules imported; whoosh, rich or yaml among them: {', '.join(heavy) or 'none'}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
