"""A sharded index built and searched on a real Dask cluster: a scheduler and two workers,
each a process of its own on 127.0.0.1 (never another address), stopped by pid.

Built by the cluster's workers, Reuters in 4 shards answers as one index of the same
articles does, whether it is searched on the cluster or in this process: the same ids in
the same order with the same scores (to 1e-9), passages, near-duplicates, totals and
facets. A worker killed mid-search has its shards reopened on the other and the
search asked again; with no worker left, the search fails with one line naming a shard.
A worker killed mid-build loses nothing: Dask runs its shard's run again elsewhere.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Iterator

import pytest

from searcher import Index
from searcher.config import Config, load_config
from searcher.errors import ClusterError, SearcherError
from searcher.indexing.update import update_index

from .conftest import REUTERS_CONFIG, require_data
from .test_shard_runs import reuters_queries

SEARCHER = Path(sys.executable).with_name("searcher")


# The loopback cluster of the benchmarks (scripts/benchlib.py): processes stopped by pid.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from benchlib import LocalCluster as Cluster, start_cluster  # noqa: E402


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    running = start_cluster(tmp_path_factory.mktemp("cluster"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def reuters_on_cluster(tmp_path_factory: pytest.TempPathFactory, cluster: Cluster) -> Path:
    """Reuters in 4 shards, built by the cluster's workers."""
    folder = tmp_path_factory.mktemp("reuters-cluster")
    config_path = folder / "searcher.yaml"
    config_path.write_text(REUTERS_CONFIG + f"index: {folder / 'index'}\ncluster: {cluster.address}\n",
                           encoding="utf-8")
    report = update_index(load_config(config_path), [require_data("reuters21578", "reuters21578.jsonl")], shards=4,
                          cluster=cluster.address)
    assert report.added == 21577
    return config_path


def test_a_cluster_searches_reuters_as_one_index(reuters_on_cluster: Path, reuters_config: Path,
                                                 reuters_records: list[dict]) -> None:
    config = load_config(reuters_on_cluster)
    assert config.cluster
    with Index.open(config=load_config(reuters_config)) as one, Index.open(config=config) as on_cluster, \
            Index.open(config=config, cluster="") as here:
        assert len(on_cluster.shards or ()) == 4
        assert json.loads((config.index / "searcher-duplicates.json").read_text())["groups"]
        for query in reuters_queries(reuters_records):
            expected = one.search(query, limit=10, passages=1, facets=("category",))
            for sharded in (on_cluster, here):
                found = sharded.search(query, limit=10, passages=1, facets=("category",))
                assert (found.total, found.every_word, found.matched, found.facets, found.suggestion) == \
                    (expected.total, expected.every_word, expected.matched, expected.facets, expected.suggestion), query
                assert [(hit.id, hit.duplicates, hit.passages, hit.matched) for hit in found] == \
                    [(hit.id, hit.duplicates, hit.passages, hit.matched) for hit in expected], query
                assert [hit.score for hit in found] == pytest.approx([hit.score for hit in expected], rel=1e-9)
        for query in reuters_queries(reuters_records)[:20]:  # a later page
            expected = one.search(query, limit=10, passages=1, offset=10)
            assert [(hit.rank, hit.id, hit.passages) for hit in on_cluster.search(query, limit=10, passages=1,
                                                                                 offset=10)] == \
                [(hit.rank, hit.id, hit.passages) for hit in expected], query
        for record in reuters_records[::2000]:
            expected = one.similar(record["id"])
            assert [hit.id for hit in on_cluster.similar(record["id"])] == [hit.id for hit in expected]
    # The command line, with the cluster named in searcher.yaml, and without one.
    env = {**os.environ, "SEARCHER_CONFIG": str(reuters_on_cluster)}
    done = subprocess.run([str(SEARCHER), "oil prices opec", "--json", "--explain"], capture_output=True, text=True,
                          timeout=120, env=env)
    local = subprocess.run([str(SEARCHER), "oil prices opec", "--json", "--explain", "--cluster", ""],
                           capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == local.returncode == 0, done.stderr
    assert done.stdout == local.stdout and len(done.stdout.splitlines()) == 10


def test_a_cluster_fuses_semantic_ranking_as_one_index(tmp_path: Path, cluster: Cluster, bbc_docs: Path,
                                                        model_folder: Path) -> None:
    """With `semantic:`, the query's vector travels to the workers, each ranks its shards'
    matches by it, and the search fuses them as this process does, and as one index does."""
    from searcher import read_corpus

    sample = tmp_path / "bbc.jsonl"
    sample.write_text("".join(bbc_docs.read_text(encoding="utf-8").splitlines(keepends=True)[::15]))
    config = Config(index=tmp_path / "sharded", semantic=model_folder)
    with Index.create(tmp_path / "one", replace(config, index=tmp_path / "one")) as one, \
            Index.create(config.index, config, shards=3) as sharded:
        one.add(read_corpus(sample))
        sharded.add(read_corpus(sample))
    with Index.open(tmp_path / "one", config) as one, \
            Index.open(config.index, config, cluster=cluster.address) as on_cluster:
        for query in ("economy growth", "mobile phones", "film awards ceremony", "football"):
            expected = one.search(query, limit=5, passages=1)
            found = on_cluster.search(query, limit=5, passages=1)
            assert [(hit.id, hit.semantic, hit.passages) for hit in found] == \
                [(hit.id, hit.semantic, hit.passages) for hit in expected], query
            assert all(hit.semantic is not None for hit in found)
        first = json.loads(sample.read_text().splitlines()[0])["id"]
        assert [hit.id for hit in on_cluster.similar(first)] == [hit.id for hit in one.similar(first)]


def test_a_worker_killed_mid_search_is_replaced_and_none_left_is_one_line(tmp_path: Path, bbc_docs: Path) -> None:
    cluster = start_cluster(tmp_path / "cluster")
    try:
        config = Config(index=tmp_path / "ix", cluster=cluster.address, cluster_timeout=10)
        update_index(config, [bbc_docs], shards=4)
        with Index.open(config=config) as index:
            before = index.search("chelsea manager", passages=1)
            # Made again with other shards by another process: said, not "damaged".
            update_index(replace(config, cluster=None), [bbc_docs], shards=2, rebuild=True)
            with pytest.raises(SearcherError, match="made again with other shards since it was opened"):
                index.search("chelsea manager")
        update_index(replace(config, cluster=None), [bbc_docs], shards=4, rebuild=True)
        with Index.open(config=config) as index:
            assert index.search("chelsea manager", passages=1) == before
            os.kill(cluster.workers[0].pid, signal.SIGKILL)
            cluster.workers[0].wait(timeout=30)
            after = index.search("chelsea manager", passages=1)
            assert after == before and after.total == before.total
            os.kill(cluster.workers[1].pid, signal.SIGKILL)
            cluster.workers[1].wait(timeout=30)
            with pytest.raises(ClusterError, match=r"shard-00\d"):
                index.search("chelsea manager")
        # The command line: exit 2, one line, no traceback.
        started = time.monotonic()
        done = subprocess.run([str(SEARCHER), "chelsea", "--index", str(config.index), "--cluster", cluster.address],
                              capture_output=True, text=True, timeout=120,
                              env={**os.environ, "SEARCHER_CONFIG": str(write_config(tmp_path, "cluster_timeout: 2\n"))})
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
        assert done.stderr.startswith("searcher: error: ") and len(done.stderr.strip().splitlines()) == 1
        assert time.monotonic() - started < 60
    finally:
        cluster.stop()


def test_a_scheduler_lost_is_one_line_and_found_again_when_it_is_back(tmp_path: Path, bbc_docs: Path) -> None:
    """A new user's trial: once the scheduler was killed, an open Index (a server's) raised
    Dask's FutureCancelledError, then KeyError: 'workers' for good, even with a scheduler
    back at the same address; `searcher serve` answered 500 to every search."""
    cluster = start_cluster(tmp_path / "cluster")
    try:
        config = Config(index=tmp_path / "ix", cluster=cluster.address, cluster_timeout=5)
        update_index(replace(config, cluster=None), [bbc_docs], shards=2)
        with Index.open(config=config) as index:
            before = index.search("chelsea manager", passages=1)
            cluster.stop()
            for _ in range(2):
                with pytest.raises(ClusterError, match=f"Dask scheduler at {cluster.address}"):
                    index.search("chelsea manager")
            port = int(cluster.address.rsplit(":", 1)[1])
            cluster = start_cluster(tmp_path / "again", port=port)
            assert index.search("chelsea manager", passages=1) == before
    finally:
        cluster.stop()


def test_a_worker_killed_mid_build_loses_nothing(tmp_path: Path, bbc_docs: Path) -> None:
    cluster = start_cluster(tmp_path / "cluster")
    try:
        config = Config(index=tmp_path / "ix")
        Index.create(config.index, config, shards=4).close()
        import threading

        outcome: list[object] = []
        run = threading.Thread(target=lambda: outcome.append(
            update_index(config, [bbc_docs], cluster=cluster.address)))
        run.start()
        # Kill the worker that holds a shard's write lock (its pid is in the lock file).
        killed = None
        deadline = time.monotonic() + 120
        while killed is None and time.monotonic() < deadline and run.is_alive():
            for lock in config.index.glob("shard-*/searcher-writer.lock"):
                text = lock.read_text() if lock.exists() else ""
                pids = {worker.pid for worker in cluster.workers}
                if text and json.loads(text)["pid"] in pids:
                    killed = json.loads(text)["pid"]
                    os.kill(killed, signal.SIGKILL)
                    break
            time.sleep(0.01)
        run.join(timeout=300)
        assert killed is not None and not run.is_alive()
        records = [json.loads(line) for line in bbc_docs.read_text(encoding="utf-8").splitlines() if line.strip()]
        assert outcome and outcome[0].added == len(records)  # type: ignore[attr-defined]
        with Index.open(config.index) as index:
            assert len(index) == len(records) and index.deleted_count == 0
            assert {hit.id for hit in index.search("*", limit=None, collapse=False)} == {record["id"] for record in records}
    finally:
        cluster.stop()


def test_a_cluster_that_does_not_answer_is_one_line_within_the_timeout(tmp_path: Path) -> None:
    import socket

    with socket.socket() as unused:  # (a port nothing listens on)
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    folder = tmp_path / "ix"
    with Index.create(folder, shards=2) as index:
        from searcher import Article

        index.add([Article(id="a", title="Oil", body="Oil prices rose.")])
    started = time.monotonic()
    done = subprocess.run([str(SEARCHER), "oil", "--index", str(folder)], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "SEARCHER_CLUSTER": f"tcp://127.0.0.1:{port}",
                               "SEARCHER_CONFIG": str(write_config(tmp_path, "cluster_timeout: 2\n"))})
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.strip() == (f"searcher: error: the Dask scheduler at tcp://127.0.0.1:{port} did not answer "
                                   "within 2 s (OSError) (check the address, or set cluster_timeout in searcher.yaml)")
    assert time.monotonic() - started < 15
    bad = subprocess.run([str(SEARCHER), "oil", "--index", str(folder), "--cluster", "sched 8786"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "--cluster: expected a Dask scheduler address" in bad.stderr


def write_config(folder: Path, text: str) -> Path:
    path = folder / "searcher.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_sharded_index_without_a_cluster_imports_no_dask(tmp_path: Path) -> None:
    corpus = tmp_path / "wire.jsonl"
    corpus.write_text("".join(json.dumps({"id": f"w{n}", "title": f"Oil story {n}", "body": "Oil prices rose."}) + "\n"
                              for n in range(20)), encoding="utf-8")
    code = (
        "import sys\n"
        "from searcher.cli.commands import main\n"
        f"for argv in (['index', {str(corpus)!r}, '--shards', '3'], ['oil', '--json']):\n"
        f"    sys.argv = ['searcher', *argv, '--index', {str(tmp_path / 'ix')!r}]\n"
        "    try:\n        main()\n    except SystemExit:\n        pass\n"
        "print(sorted(m for m in ('dask', 'distributed') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]" and len(done.stdout.strip().splitlines()) == 12  # (a summary, 10 hits)
