"""Reliability: one writer at a time, killed writers, interrupted runs.

These tests run real `searcher index` processes and kill them; see also
scripts/crash_test.py, which does the same any number of times.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from searcher import Index, IndexLockedError
from searcher.config import Config
from searcher.indexer import update_index
from searcher.locking import WriteLock

from .conftest import require_data

SEARCHER = Path(sys.executable).parent / "searcher"


def feed(folder: Path, count: int, name: str = "feed.jsonl") -> Path:
    path = folder / name
    path.write_text("".join(json.dumps({"id": f"n{n}", "title": f"Story {n}", "body": "Oil prices rose."}) + "\n"
                            for n in range(count)), encoding="utf-8")
    return path


def hold_lock(index: Path) -> subprocess.Popen[str]:
    """Another process holding the index's write lock until it is killed."""
    code = (
        "import sys, time\n"
        "from searcher.locking import WriteLock\n"
        f"WriteLock({str(index)!r}).acquire(0)\n"
        "print('held', flush=True)\n"
        "time.sleep(60)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    return holder


def test_a_second_writer_waits_then_says_who_holds_the_lock(tmp_path: Path) -> None:
    corpus = feed(tmp_path, 5)
    config = Config(index=tmp_path / "ix", lock_wait=0.5)
    update_index(config, [corpus])
    holder = hold_lock(config.index)
    try:
        notices: list[str] = []
        started = time.monotonic()
        with pytest.raises(IndexLockedError) as raised:
            WriteLock(config.index).acquire(0.5, notices.append)
        assert time.monotonic() - started >= 0.5
        assert re.match(rf"index is locked by pid {holder.pid} since \d\d:\d\d \(", str(raised.value))
        assert len(notices) == 1
        assert re.fullmatch(rf".*ix is being written by pid {holder.pid} since \d\d:\d\d; waiting up to 0.5 s",
                            notices[0])
        # The command line: exit 2, one line, no traceback.
        done = subprocess.run([str(SEARCHER), "index", str(corpus), "--index", str(config.index)],
                              capture_output=True, text=True, timeout=60,
                              env={**os.environ, "SEARCHER_CONFIG": str(write_config(tmp_path, "lock_wait: 0.2\n"))})
        assert done.returncode == 2
        assert f"searcher: error: index is locked by pid {holder.pid} since " in done.stderr
        assert "Traceback" not in done.stderr
    finally:
        holder.kill()
        holder.communicate()
    # Its holder gone, the lock is free (the OS released it), and the next writer says
    # whose lock it took over.
    notices = []
    lock = WriteLock(config.index)
    lock.acquire(0, notices.append)
    lock.release()
    assert len(notices) == 1
    assert re.fullmatch(rf"took over the write lock of pid {holder.pid} since \d\d:\d\d, which is no longer running",
                        notices[0])


def write_config(folder: Path, text: str) -> Path:
    path = folder / "searcher.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_killing_index_runs_at_20_random_moments_loses_nothing() -> None:
    """scripts/crash_test.py: SIGKILL 20 real `searcher index` runs on BBC News at random
    moments (fixed seed); after each, the index opens, answers, and holds whole commits
    only; a last run ends with all 2,225 articles."""
    require_data("bbc", "bbc-news.jsonl")
    script = Path(__file__).resolve().parents[1] / "scripts" / "crash_test.py"
    done = subprocess.run([sys.executable, str(script), "--kills", "20", "--seed", "7", "--json"],
                          capture_output=True, text=True, timeout=600)
    *kills, summary = [json.loads(line) for line in done.stdout.splitlines()]
    assert done.returncode == 0, summary["failures"]
    assert len(kills) == 20 and all(kill["ok"] for kill in kills)
    assert sum(kill["killed"] for kill in kills) >= 15  # most runs were killed mid-way, not after the end
    assert len({kill["articles"] for kill in kills}) >= 5  # at many different points
    assert (summary["survived"], summary["articles"], summary["lost"]) == (20, 2225, 0)


def test_searches_during_an_index_run_see_whole_commits_and_never_fail(tmp_path: Path) -> None:
    """One process indexes (committing every 400 articles) while this one searches in a
    loop: no search fails, and every count is one the writer committed."""
    corpus = feed(tmp_path, 400)
    index = tmp_path / "ix"
    config = write_config(tmp_path, "commit_every: 400\n")
    update_index(Config(index=index), [corpus])
    feed(tmp_path, 4000)  # 3,600 more
    committed = set(range(400, 4001, 400))
    log = (tmp_path / "writer.log").open("w")
    writer = subprocess.Popen([str(SEARCHER), "--config", str(config), "index", str(corpus), "--index", str(index),
                               "--json"], stdout=log, stderr=subprocess.STDOUT)
    searches, failures, seen = 0, [], set()
    with Index.open(index) as reader:  # one long-lived reader, as a library user would keep
        while writer.poll() is None or searches < 20:
            try:
                results = reader.search("oil prices", limit=3)
                fresh = Index.open(index)  # and a new one each time, as the command line
                with fresh:
                    total = fresh.search("story", limit=1).total
                seen.update((results.total, total))
                if results.total not in committed or total not in committed:
                    failures.append(f"counts {results.total} and {total}: not committed counts")
            except Exception as error:  # noqa: BLE001 - any failure is the finding
                failures.append(repr(error))
            searches += 1
    writer.wait()
    log.close()
    assert writer.returncode == 0, (tmp_path / "writer.log").read_text()
    assert failures == [], failures[:5]
    assert searches >= 20 and len(seen) >= 3  # the searches saw the index grow, commit by commit
    assert max(seen) == 4000
