#!/usr/bin/env python3
"""What semantic ranking costs: index time and query time, with vectors against without.

    python scripts/bench_semantic.py --model MODEL_FOLDER [--corpus bbc reuters] [--rounds 3]
                                     [--seed 2026] [--keep DIR]

For each corpus, searcher indexes it twice in this run, without and with
`semantic: model:` (--keep DIR keeps the indexes there and reuses them, with their
build times), and reports both build times and their ratio. The queries are those of
bench_query.py (200 titles and 50 one- and two-word queries, fixed seed). Each is run
on the index with vectors twice, one right after the other: with semantic ranking
(the query embedded, every match's similarity, both rankings fused) and without it
(the same index opened without `semantic:`), a round at a time after a warm-up round;
a query's time is its median over the rounds. Both are the full search the command
makes: the top 10, two passages each.

Last, the encoder's own speed on one core (one BLAS thread): milliseconds a window of
200 word pieces, over the first 100 articles' windows; and for a corpus with one
category an article (BBC News), how often `similar` finds articles of the same
category, by the articles' vectors and by key terms.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, required=True, help="a sentence-transformers model folder")
    parser.add_argument("--corpus", nargs="+", default=["bbc"])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026, help="the seed that draws the queries")
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the indexes in this folder")
    args = parser.parse_args()
    model = args.model.absolute()

    with benchlib.work_folder(args.keep, "bench-semantic-") as work:
        for name in args.corpus:
            corpus = benchlib.corpus_path(name, work)
            builds = {}
            for label, config in (("without", ""), ("with", f"semantic:\n  model: {model}\n")):
                folder = work / f"{Path(name).stem}-{label}"
                folder.mkdir(exist_ok=True)
                builds[label] = built(corpus, folder / "index", config)
            print(f"{Path(name).name}: {benchlib.count_lines(corpus):,} articles\n")
            print(benchlib.table(["index build", "seconds", "peak RSS MB"], [
                [f"{label} semantic", f"{run['seconds']:.1f}", f"{run['peak_rss_mb']:.0f}"]
                for label, run in builds.items()] + [[
                "ratio with / without", f"{builds['with']['seconds'] / builds['without']['seconds']:.1f}x", ""]]))
            print()
            queries = benchlib.query_set(corpus, 200, 50, seed=args.seed)
            times = measure(work / f"{Path(name).stem}-with" / "searcher.yaml", queries, args.rounds)
            print(f"{len(queries)} queries (seed {args.seed}), median of {args.rounds} rounds each, warm\n")
            rows = []
            for label, values in times.items():
                rows.append([label, f"{benchlib.percentile(values, 0.5) * 1000:.1f}",
                             f"{benchlib.percentile(values, 0.95) * 1000:.1f}", f"{max(values) * 1000:.1f}"])
            added = [(benchlib.percentile(times["with vectors"], q) - benchlib.percentile(times["without"], q)) * 1000
                     for q in (0.5, 0.95)]
            rows.append(["added by semantic ranking", f"{added[0]:+.1f}", f"{added[1]:+.1f}", ""])
            print(benchlib.table(["search (top 10, 2 passages)", "p50 ms", "p95 ms", "max ms"], rows))
            print()
            print(f"encoder, one core: {window_ms(model, corpus):.1f} ms a window of 200 word pieces\n")
            shares = same_category(work / f"{Path(name).stem}-with" / "searcher.yaml", corpus)
            if shares:
                print("similar ID, the top 10 of 200 articles (seed 2026; or all): share in the article's category, "
                      f"by meaning {shares[0]:.3f}, by key terms {shares[1]:.3f}\n")


def built(corpus: Path, folder: Path, config: str) -> dict[str, float]:
    """Build the index (unless kept from an earlier run); its build time and peak memory."""
    record = folder.parent / "build.json"
    config_path = folder.parent / "searcher.yaml"
    config_path.write_text(config + f"index: {folder}\n", encoding="utf-8")
    if record.exists() and (folder / "searcher-index.json").exists():
        return json.loads(record.read_text())
    print(f"building the searcher index of {corpus.name} ({'with' if config else 'without'} semantic)...",
          file=sys.stderr)
    run = benchlib.run_watched([str(benchlib.SEARCHER), "--config", str(config_path), "index", str(corpus),
                                "--rebuild"])
    figures = {"seconds": run.seconds, "peak_rss_mb": run.peak_rss_mb}
    record.write_text(json.dumps(figures))
    return figures


def measure(config_path: Path, queries: list[str], rounds: int) -> dict[str, list[float]]:
    from searcher import Index
    from searcher.config import load_config

    config = load_config(config_path)
    samples: dict[str, list[list[float]]] = {"with vectors": [[] for _ in queries], "without": [[] for _ in queries]}
    with Index.open(config.index, config) as semantic, Index.open(config.index, replace(config, semantic=None)) as plain:
        engines = {"with vectors": semantic, "without": plain}
        for round_number in range(rounds + 1):  # round 0 warms up
            for number, query in enumerate(queries):
                for label, index in engines.items():
                    started = time.perf_counter()
                    index.search(query, limit=10, passages=2)
                    if round_number:
                        samples[label][number].append(time.perf_counter() - started)
    return {label: [benchlib.median(values) for values in per_query] for label, per_query in samples.items()}


def same_category(config_path: Path, corpus: Path, articles: int = 200) -> tuple[float, float] | None:
    """How often the 10 articles `similar` finds share the article's category, by the
    articles' vectors and by key terms (as tests/test_finding.py samples them), for a
    corpus whose articles have one category (BBC News); None for others."""
    import random

    from searcher import Index
    from searcher.config import load_config

    category = {}
    with corpus.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if not isinstance(record.get("category"), str):
                return None
            category[record["id"]] = record["category"]
    articles = min(articles, len(category))
    chosen = random.Random(2026).sample(sorted(category), articles)
    config = load_config(config_path)
    shares = []
    for semantic in (config.semantic, None):
        with Index.open(config.index, replace(config, semantic=semantic)) as index:
            found = [index.similar(article_id, 10, passages=0) for article_id in chosen]
        shares.append(sum(sum(category[hit.id] == category[article_id] for hit in results) / 10
                          for article_id, results in zip(chosen, found)) / articles)
    return shares[0], shares[1]


def window_ms(model: Path, corpus: Path, articles: int = 100) -> float:
    """Milliseconds a window on one core (one BLAS thread), over the first articles' windows."""
    from threadpoolctl import threadpool_limits

    from searcher.semantic.encoder import encoder

    texts = []
    with corpus.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            texts.append(f"{record.get('title') or ''}\n\n{record.get('body') or record.get('text') or ''}")
            if len(texts) == articles:
                break
    model_ = encoder(str(model))
    with threadpool_limits(limits=1, user_api="blas"):
        model_.embed_article(texts[0])  # (warm)
        started, windows = time.perf_counter(), 0
        for text in texts:
            windows += len(model_.embed_article(text))
        return (time.perf_counter() - started) / windows * 1000


if __name__ == "__main__":
    main()
