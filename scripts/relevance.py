#!/usr/bin/env python3
"""Relevance: `searcher` against standard BM25 baselines, on the same queries, in one run.

    python scripts/relevance.py [--data ../shared/data/time] [--qrels qrels_all.txt] [--per-query]
                                [--run-dir DIR] [--semantic MODEL_FOLDER]

Indexes the TIME collection (docs.jsonl) with each engine, runs queries.tsv as
written, and scores the top 1000 of each query against qrels.txt (or, with
`--qrels qrels_all.txt`, the collection's larger judgment set) with
searcher's trec_eval-equal measures (`searcher.evaluation`). The baselines get
the query's lower-cased words OR-ed, as ANCHORS.md measured them:

- whoosh: a plain Whoosh index, StemmingAnalyzer, BM25F with default parameters;
- fts5: SQLite FTS5, `porter unicode61` tokenizer, ranked by bm25();
- tantivy, bm25s (with PyStemmer): only when they are installed.

`searcher` gets the query text exactly as written, through `Index.search`,
with its default configuration: the same call the `searcher` command makes.
The library versions are printed with the table. With `--semantic`, searcher is
run a second time with `semantic: model:` that folder (its articles embedded, both
rankings fused), and compared with the best baseline and with itself without it.
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Callable, Iterator

from searcher.evaluation import MEASURE_NAMES, MEASURES, Report, score_ranking, trec_order
from searcher.evaluation import evaluate as evaluate_index
from searcher.evaluation import read_qrels, read_queries

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "time"
LIMIT = 1000

#: An engine: built from the documents, then (query text -> [(docid, score)] best first).
Engine = Callable[[str], list[tuple[str, float]]]


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def read_docs(path: Path) -> Iterator[tuple[str, str]]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            yield record["id"], record.get("title", "") + "\n" + (record.get("body") or record.get("text") or "")


def plain_whoosh(docs: Path, folder: Path) -> Engine:
    from whoosh import analysis, fields, index, qparser

    schema = fields.Schema(id=fields.ID(stored=True, unique=True), body=fields.TEXT(analyzer=analysis.StemmingAnalyzer()))
    ix = index.create_in(str(folder), schema)
    with ix.writer(limitmb=256) as writer:
        for docid, text in read_docs(docs):
            writer.add_document(id=docid, body=text)
    parser = qparser.QueryParser("body", ix.schema, group=qparser.OrGroup)
    searcher = ix.searcher()

    def run(query: str) -> list[tuple[str, float]]:
        found = searcher.search(parser.parse(" ".join(words(query))), limit=LIMIT)
        return [(hit["id"], float(hit.score)) for hit in found]

    return run


def fts5(docs: Path, folder: Path) -> Engine:
    db = sqlite3.connect(str(folder / "fts.db"))
    db.execute("CREATE VIRTUAL TABLE articles USING fts5(docid UNINDEXED, body, tokenize='porter unicode61')")
    db.executemany("INSERT INTO articles VALUES (?, ?)", read_docs(docs))
    db.commit()

    def run(query: str) -> list[tuple[str, float]]:
        match = " OR ".join(f'"{word}"' for word in dict.fromkeys(words(query)))
        rows = db.execute(
            "SELECT docid, bm25(articles) FROM articles WHERE articles MATCH ? ORDER BY bm25(articles) LIMIT ?",
            (match, LIMIT),
        )
        return [(docid, -score) for docid, score in rows]  # bm25() is lower for better matches

    return run


def tantivy_engine(docs: Path, folder: Path) -> Engine:
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("docid", stored=True, tokenizer_name="raw")
    builder.add_text_field("body", tokenizer_name="en_stem")
    index = tantivy.Index(builder.build(), path=str(folder))
    writer = index.writer()
    for docid, text in read_docs(docs):
        writer.add_document(tantivy.Document(docid=docid, body=text))
    writer.commit()
    index.reload()
    searcher = index.searcher()

    def run(query: str) -> list[tuple[str, float]]:
        parsed = index.parse_query(" ".join(words(query)), ["body"])
        found = searcher.search(parsed, LIMIT).hits
        return [(searcher.doc(address)["docid"][0], float(score)) for score, address in found]

    return run


def bm25s_engine(docs: Path, folder: Path) -> Engine:
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    ids, texts = zip(*read_docs(docs))
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(list(texts), stopwords="en", stemmer=stemmer, show_progress=False), show_progress=False)

    def run(query: str) -> list[tuple[str, float]]:
        tokens = bm25s.tokenize([" ".join(words(query))], stopwords="en", stemmer=stemmer, show_progress=False)
        if not tokens.vocab:
            return []
        found, scores = retriever.retrieve(tokens, k=min(LIMIT, len(ids)), show_progress=False)
        return [(ids[at], float(score)) for at, score in zip(found[0], scores[0]) if score > 0]

    return run


BASELINES: dict[str, tuple[str, Callable[[Path, Path], Engine]]] = {
    "whoosh BM25F": ("whoosh-reloaded", plain_whoosh),
    "SQLite FTS5": ("sqlite", fts5),
    "tantivy": ("tantivy", tantivy_engine),
    "bm25s": ("bm25s", bm25s_engine),
}


def version(package: str) -> str:
    if package == "sqlite":
        return sqlite3.sqlite_version
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "?"


def score_engine(engine: Engine, queries: dict[str, str], qrels: dict[str, dict[str, int]]) -> dict[str, dict[str, float]]:
    """Per-query measures of an engine, on the queries that have relevant documents."""
    scores = {}
    for qid, text in queries.items():
        if any(grade >= 1 for grade in qrels.get(qid, {}).values()):
            scores[qid] = score_ranking(trec_order(engine(text)[:LIMIT]), qrels[qid])
    return scores


def run_searcher(docs: Path, folder: Path, queries: dict[str, str], qrels: dict[str, dict[str, int]],
                 model: Path | None = None) -> Report:
    from searcher import Index
    from searcher.config import Config
    from searcher.indexing.update import update_index

    config = Config(index=folder, semantic=model)
    update_index(config, [docs])
    with Index.open(folder, config) as index:
        return evaluate_index(index, queries, qrels, limit=LIMIT)


def mean(per_query: dict[str, dict[str, float]], name: str) -> float:
    return sum(q[name] for q in per_query.values()) / len(per_query)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the TIME folder (docs.jsonl, queries.tsv, qrels.txt)")
    parser.add_argument("--qrels", default="qrels.txt",
                        help="the judgments, a file in the TIME folder: qrels.txt (55 queries) or qrels_all.txt (59)")
    parser.add_argument("--per-query", action="store_true", help="list each query's AP: searcher against the best baseline")
    parser.add_argument("--run-dir", type=Path, help="write each engine's TREC run file here")
    parser.add_argument("--semantic", type=Path, metavar="MODEL_FOLDER",
                        help="also run searcher with semantic ranking, with this sentence-transformers model")
    args = parser.parse_args()
    docs, queries, qrels = args.data / "docs.jsonl", read_queries(args.data / "queries.tsv"), read_qrels(args.data / args.qrels)

    systems: dict[str, dict[str, dict[str, float]]] = {}
    versions: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, (package, build) in BASELINES.items():
            folder = Path(tmp) / re.sub(r"\W+", "-", name)
            folder.mkdir()
            try:
                engine = build(docs, folder)
            except ImportError as missing:
                print(f"({name} skipped: {missing})", file=sys.stderr)
                continue
            systems[name] = score_engine(engine, queries, qrels)
            versions[name] = f"{package} {version(package)}"
        (Path(tmp) / "searcher").mkdir()
        report = run_searcher(docs, Path(tmp) / "searcher", queries, qrels)
        systems["searcher"] = {q.qid: q.measures for q in report.queries}
        versions["searcher"] = f"searcher {version('searcher')}, whoosh-reloaded {version('whoosh-reloaded')}"
        reports = {"searcher": report}
        if args.semantic:
            (Path(tmp) / "semantic").mkdir()
            reports["searcher semantic"] = run_searcher(docs, Path(tmp) / "semantic", queries, qrels,
                                                        args.semantic.absolute())
            systems["searcher semantic"] = {q.qid: q.measures for q in reports["searcher semantic"].queries}
            versions["searcher semantic"] = f"{versions['searcher']}, {args.semantic.name}"
        if args.run_dir:
            args.run_dir.mkdir(parents=True, exist_ok=True)
            for name, one in reports.items():
                with (args.run_dir / f"{name.replace(' ', '-')}.run").open("w") as out:
                    one.write_run(out)

    judged = len(systems["searcher"])
    print(f"TIME, {args.qrels}: {judged} judged queries, top {LIMIT}, trec_eval measures (python {sys.version.split()[0]})\n")
    header = "| system | " + " | ".join(MEASURE_NAMES[m] for m in MEASURES) + " | versions |"
    print(header)
    print("|---|" + "---:|" * len(MEASURES) + "---|")
    for name, per_query in systems.items():
        print(f"| {name} | " + " | ".join(f"{mean(per_query, m):.3f}" for m in MEASURES) + f" | {versions[name]} |")

    baselines = {name: q for name, q in systems.items() if not name.startswith("searcher")}
    best = max(baselines, key=lambda name: mean(baselines[name], "map"))
    comparisons = [(ours, best, baselines[best]) for ours in reports]
    if args.semantic:
        comparisons.append(("searcher semantic", "searcher", systems["searcher"]))
    for name, against, theirs in comparisons:
        ours = systems[name]
        wins = sum(1 for qid in ours if ours[qid]["map"] > theirs[qid]["map"] + 1e-9)
        losses = sum(1 for qid in ours if ours[qid]["map"] < theirs[qid]["map"] - 1e-9)
        what = " (best baseline by MAP)" if against == best else ""
        print(f"\n{name} against {against}{what}, per query AP: "
              f"{wins} better, {losses} worse, {judged - wins - losses} equal")
        for measure in ("map", "ndcg@10", "p@10"):
            top = max(mean(q, measure) for q in baselines.values()) if against == best else mean(theirs, measure)
            print(f"  {MEASURE_NAMES[measure]}: {name} {mean(ours, measure):.3f}, {against if not what else 'best baseline'} "
                  f"{top:.3f}, difference {mean(ours, measure) - top:+.3f}")
    if args.per_query:
        shown = list(reports)
        print("\n| qid | " + " | ".join(f"AP {name}" for name in shown) + f" | AP {best} | query |")
        print("|---|" + "---:|" * (len(shown) + 1) + "---|")
        for qid in systems["searcher"]:
            print(f"| {qid} | " + " | ".join(f"{systems[name][qid]['map']:.3f}" for name in shown)
                  + f" | {baselines[best][qid]['map']:.3f} | {queries[qid][:70]} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
