#!/usr/bin/env python3
"""What name variants, did-you-mean, near-duplicate collapsing and --explain cost a search, in one process.

    python scripts/bench_finding.py [--corpus reuters] [--rounds 3] [--keep DIR]

The corpus (Reuters-21578 by default) is indexed once, with `duplicates: true`. The queries are those of
bench_query.py (200 titles and 50 one- and two-word queries, fixed seed). Each round
runs every query, one after the other, as:

- plain: `Index.search(q, collapse=False)` with name variants switched off
  (`synonyms: false`): the baseline;
- variants, collapse: each on its own;
- searcher: `Index.search(q)` as configured by default: the name variants on,
  near-duplicates collapsed, and did-you-mean looked for when a query finds nothing
  or falls back to any word;
- explain: the same with `explain=True` (opt-in: no bar).

Then the same queries with one letter of their longest word doubled (a typo), plain
and with `auto_correct=True`; and `Index.similar` for 50 articles. Round 0 warms up;
a query's time is its median over the rounds. The bar: searcher's p50 and p95 within
1.10x of plain.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default="reuters")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the index in this folder")
    args = parser.parse_args()

    with benchlib.work_folder(args.keep, "bench-finding-") as work:
        corpus = benchlib.corpus_path(args.corpus, work)
        folder = work / f"{Path(args.corpus).stem}-finding"
        config_path = benchlib.configured_index(corpus, folder, "duplicates: true\n")
        queries = benchlib.query_set(corpus, 200, 50)
        typos = [_typo(query, number) for number, query in enumerate(queries)]
        times, suggested, similar = measure(folder, config_path, queries, typos, args.rounds)

    print(f"{Path(args.corpus).name}: {len(queries)} queries, median of {args.rounds} rounds each, warm\n")
    base = {name.split(",")[0]: values for name, values in times.items()}
    rows = []
    for name, values in times.items():
        baseline = base["typo plain" if name.startswith("typo") else "plain"]
        rows.append([name, f"{benchlib.percentile(values, 0.5) * 1000:.2f}",
                     f"{benchlib.percentile(values, 0.95) * 1000:.2f}",
                     f"{benchlib.percentile(values, 0.5) / benchlib.percentile(baseline, 0.5):.2f}x",
                     f"{benchlib.percentile(values, 0.95) / benchlib.percentile(baseline, 0.95):.2f}x"])
    print(benchlib.table(["search", "p50 ms", "p95 ms", "p50 vs plain", "p95 vs plain"], rows))
    print(f"\nshort typo queries with a suggestion: {suggested} of 50")
    print(f"similar ID: {similar * 1000:.1f} ms an article (median of 50)")
    ratio = benchlib.percentile(times["searcher"], 0.95) / benchlib.percentile(times["plain"], 0.95)
    print(f"searcher p95 vs plain: {ratio:.2f}x ({'within' if ratio <= 1.10 else 'OVER'} the 1.10x bar)")


def _typo(query: str, seed: int) -> str:
    words = query.split()
    longest = max(range(len(words)), key=lambda at: len(words[at]))
    word = words[longest]
    at = random.Random(seed).randrange(len(word))
    words[longest] = word[:at + 1] + word[at] + word[at + 1:]
    return " ".join(words)


def measure(folder: Path, config_path: Path, queries: list[str], typos: list[str],
            rounds: int) -> tuple[dict[str, list[float]], int, float]:
    from dataclasses import replace

    from searcher import Index
    from searcher.config import load_config

    config = load_config(config_path)  # (near-duplicates on)
    with Index.open(folder, replace(config, default_synonyms=False)) as plain, Index.open(folder, config) as index:
        runs = {
            "plain": (queries, lambda q: plain.search(q, collapse=False)),
            "variants": (queries, lambda q: index.search(q, collapse=False)),
            "collapse": (queries, lambda q: plain.search(q)),
            "searcher": (queries, lambda q: index.search(q)),
            "explain, opt-in": (queries, lambda q: index.search(q, explain=True)),
            "typo plain": (typos, lambda q: plain.search(q, collapse=False)),
            "typo, auto-correct": (typos, lambda q: index.search(q, auto_correct=True)),
        }
        samples = {name: [[] for _ in queries] for name in runs}
        for round_number in range(rounds + 1):  # round 0 warms up
            for number in range(len(queries)):
                for name, (texts, search) in runs.items():
                    started = time.perf_counter()
                    search(texts[number])
                    if round_number:
                        samples[name][number].append(time.perf_counter() - started)
        # (the short queries: a long one is ranked over any of its words, finds plenty, and is not corrected)
        suggested = sum(1 for text in typos[-50:] if index.search(text, limit=1, passages=0).suggestion)
        ids = [hit.id for hit in index.search("*", limit=50, passages=0)]
        similar = []
        for article_id in ids:
            started = time.perf_counter()
            index.similar(article_id, 10)
            similar.append(time.perf_counter() - started)
    return ({name: [benchlib.median(s) for s in per_query] for name, per_query in samples.items()}, suggested,
            benchlib.median(similar))


if __name__ == "__main__":
    main()
