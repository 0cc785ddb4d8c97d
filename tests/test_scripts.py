"""The benchmark scripts still run: each on a small corpus this test writes (no timings asserted)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"
WORDS = "oil coffee wheat bank rates prices exports talks strike shares profit loss dollar yen".split()


@pytest.fixture(scope="module")
def tiny_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    corpus = tmp_path_factory.mktemp("tiny") / "tiny.jsonl"
    with corpus.open("w", encoding="utf-8") as out:
        for n in range(60):
            words = [WORDS[(n * k) % len(WORDS)] for k in range(1, 6)]
            out.write(json.dumps({"id": f"t{n}", "title": " ".join(words[:3]), "body": " ".join(words * 4),
                                  "date": f"1987-03-{1 + n % 28:02d}"}) + "\n")
    return corpus


def run(script: str, *args: str) -> str:
    done = subprocess.run([sys.executable, str(SCRIPTS / script), *args], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_bench_index_runs(tiny_corpus: Path) -> None:
    out = run("bench_index.py", "--corpus", str(tiny_corpus))
    assert "| tiny.jsonl | `searcher index`        |       60 |" in out
    assert "| 10 articles changed" in out and out.rstrip().endswith("|")


def test_bench_query_runs(tiny_corpus: Path) -> None:
    out = run("bench_query.py", "--corpus", str(tiny_corpus), "--rounds", "1", "--titles", "20", "--short", "5",
              "--one-segment")
    assert "tiny.jsonl: 25 queries" in out and "| searcher, top 10 with 2 passages each |" in out
    assert "|   the same, its index in one segment  |" in out


def test_bench_startup_runs(tiny_corpus: Path) -> None:
    out = run("bench_startup.py", "--corpus", str(tiny_corpus), "--runs", "1")
    assert re.search(r"\| oil prices +\| +\d+ \| +\d+ \| [\d.]+x \|", out)
    assert "whoosh, rich or yaml among them: none" in out


def test_known_item_runs(tiny_corpus: Path) -> None:
    out = run("known_item.py", "--corpus", str(tiny_corpus), "--queries", "20")
    assert re.search(r"\| tiny\.jsonl \| title +\| +[\d.]+ \| +[\d.]+ \| +[\d.]+ \|", out), out


def test_bench_cluster_runs(tiny_corpus: Path) -> None:
    out = run("bench_cluster.py", "--corpus", str(tiny_corpus), "--small", str(tiny_corpus), "--shards", "3",
              "--rounds", "1", "--titles", "20", "--short", "5")
    assert re.search(r"\| results identical to one index +\| every query +\| 25/25 and 5/5 +\| yes +\|", out), out
    assert "| memory per open shard (RSS added, averaged)" in out
    assert re.search(r"\| \.\.\. the two added, query by query: [^|]*\| +[\d.]+ / [\d.]+ ms \([\d.]+x one index's p95\) +\|",
                     out), out


def test_bench_serve_runs(tiny_corpus: Path) -> None:
    pytest.importorskip("starlette", reason="searcher serve needs the web extra: pip install '.[web]'")
    out = run("bench_serve.py", "--corpus", str(tiny_corpus), "--clients", "3", "--searches", "10", "--rounds", "1",
              "--titles", "10", "--short", "5")
    assert re.search(r"\| 3 clients: answers other than 200, or hits not the library's +\| 0 of 30 +\| yes +\|", out), out
    assert re.search(r"\| one client, `GET /api/v1/search` on one connection +\| [\d.]+ / [\d.]+ ms +\|", out), out


def test_bench_semantic_runs(tmp_path: Path, model_folder: Path) -> None:
    corpus = tmp_path / "news.jsonl"
    with corpus.open("w", encoding="utf-8") as out:
        for n in range(30):
            words = [WORDS[(n * k) % len(WORDS)] for k in range(1, 6)]
            out.write(json.dumps({"id": f"t{n}", "title": " ".join(words[:3]), "body": " ".join(words * 4),
                                  "category": ("business", "sport", "politics")[n % 3]}) + "\n")
    out = run("bench_semantic.py", "--model", str(model_folder), "--corpus", str(corpus), "--rounds", "1")
    assert re.search(r"\| ratio with / without +\| +[\d.]+x \|", out), out
    assert re.search(r"\| added by semantic ranking +\| [+-][\d.]+ +\| [+-][\d.]+ +\|", out), out
    assert re.search(r"encoder, one core: [\d.]+ ms a window", out)
    assert re.search(r"by meaning 0?\.\d+, by key terms 0?\.\d+", out) or "by meaning 1.000" in out, out


def test_bench_html_runs(tmp_path: Path) -> None:
    from tests.conftest import require_data

    require_data("web", "evaldata.json")
    out = run("bench_html.py", "--pages", "12", "--copies", "1", "--keep", str(tmp_path))
    assert re.search(r"\| searcher +\| +[\d.]+ \| +[\d.]+ \| +[\d.]+ \|", out), out
    assert re.search(r"\| the HTML index's 12 articles indexed from JSON lines: no extraction +\| +[\d.]+ \|", out), out
    # (12 pages: an article's share is within a small run's noise, either sign; the run's ceiling is not.)
    assert re.search(r"indexing alone: -?[\d.]+ ms of CPU an article and -?[\d.]+ s a run \(runs of 6 and 12 articles\)", out), out
    ceiling = re.search(r"from extraction alone and indexing alone: ([\d.]+)x with this run's pages; (?:[\d.]+x|not measured \(runs too small\)) without", out)
    assert ceiling and 0 < float(ceiling[1]) < 2, out
    ceiling = re.search(r"from the run that writes nothing and indexing alone: ([\d.]+)x with this run's pages; ", out)
    assert ceiling and 0 < float(ceiling[1]) < 2, out
    budget = re.search(r"1\.8x extraction alone is a run of ([\d.]+) s\. With nothing written, the WARC run took ([\d.]+) s "
                       r"and [\d.]+ CPU seconds: writing the 12 articles may add (-?[\d.]+) s", out)
    assert budget and abs(float(budget[1]) - float(budget[2]) - float(budget[3])) < 0.11, out
    assert re.search(r"The hypervisor took [\d.]+ of the HTML build's [\d.]+ core-seconds .*: its two cores were [\d.]+ cores", out), out
