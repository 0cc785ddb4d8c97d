"""Reliability: one writer at a time, killed writers, interrupted runs.

These tests run real `searcher index` processes and kill them; see also
scripts/crash_test.py, which does the same any number of times.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

from searcher import Index, IndexLockedError, IndexWriteError
from searcher.config import Config
from searcher.indexing.update import update_index
from searcher.engine.locking import WriteLock

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
        "from searcher.engine.locking import WriteLock\n"
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
        assert re.match(rf"index is locked by pid {holder.pid} since {SINCE} \(", str(raised.value))
        assert len(notices) == 1
        assert re.fullmatch(rf".*ix is being written by pid {holder.pid} since {SINCE}; waiting up to 0.5 s",
                            notices[0])
        # The command line: exit 2, one line, no traceback.
        done = subprocess.run([str(SEARCHER), "index", str(corpus), "--index", str(config.index)],
                              capture_output=True, text=True, timeout=60,
                              env={**os.environ, "SEARCHER_CONFIG": str(write_config(tmp_path, "lock_wait: 0.2\n"))})
        assert done.returncode == 2
        assert f"searcher: error: index is locked by pid {holder.pid} since " in done.stderr
        assert "Traceback" not in done.stderr
        # Making a new index in its place waits for the writer too, then refuses.
        with pytest.raises(IndexLockedError):
            Index.create(config.index, Config(index=config.index, lock_wait=0.2))
        assert (config.index / "searcher-index.json").exists()  # nothing was deleted
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
    assert re.fullmatch(rf"took over the write lock of pid {holder.pid} since {SINCE}, which is no longer running",
                        notices[0])


#: How a lock's holder's start is said: the time, or the date and time when it began
#: on another day (a test running across midnight).
SINCE = r"(?:\d{4}-\d\d-\d\d )?\d\d:\d\d"


def write_config(folder: Path, text: str) -> Path:
    path = folder / "searcher.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.timing  # (some kills must come after a commit)
def test_killing_index_runs_at_20_random_moments_loses_nothing() -> None:
    """scripts/crash_test.py: SIGKILL 20 real `searcher index` runs on BBC News at random
    moments (fixed seed); after each, the index opens, answers, and holds whole commits
    only; a last run ends with all 2,225 articles."""
    require_data("bbc", "bbc-news.jsonl")
    script = Path(__file__).resolve().parents[1] / "scripts" / "crash_test.py"
    done = subprocess.run([sys.executable, str(script), "--kills", "20", "--seed", "7", "--json"],
                          capture_output=True, text=True, timeout=600)
    *runs, summary = [json.loads(line) for line in done.stdout.splitlines()]
    assert done.returncode == 0, summary["failures"]
    kills = [run for run in runs if run["killed"]]
    assert len(kills) == 20 and all(run["ok"] for run in runs)
    assert any(kill["articles"] for kill in kills)  # not all before the first commit (when: see the script)
    assert (summary["kills"], summary["survived"], summary["articles"], summary["lost"]) == (20, 20, 2225, 0)


@pytest.mark.timing  # (the searches must come between the run's commits to see it grow)
def test_searches_during_an_index_run_see_whole_commits_and_never_fail(tmp_path: Path) -> None:
    """One process indexes (committing every 1,000 articles) while this one searches in a
    loop: no search fails, and every count is one the writer committed."""
    corpus = feed(tmp_path, 1000)
    index = tmp_path / "ix"
    config = write_config(tmp_path, "commit_every: 1000\n")
    update_index(Config(index=index), [corpus])
    feed(tmp_path, 12_000)  # 11,000 more
    committed = set(range(1000, 12_001, 1000))
    with Index.open(index) as reader:  # one long-lived reader, as a library user would keep
        reader.search("oil prices")  # (warm: the loop below should see the index grow)
        log = (tmp_path / "writer.log").open("w")
        writer = subprocess.Popen([str(SEARCHER), "--config", str(config), "index", str(corpus), "--index",
                                   str(index), "--json"], stdout=log, stderr=subprocess.STDOUT)
        searches, failures, seen = 0, [], set()
        while writer.poll() is None or searches < 20:
            try:
                results = reader.search("oil prices", limit=3)
                with Index.open(index) as fresh:  # and a new one each time, as the command line
                    total = fresh.search("story", limit=1).total
                    if fresh.stats().articles not in committed:  # (stats adds up files a commit may delete)
                        failures.append("stats: not a committed count")
                seen.update((results.total, total))
                if results.total not in committed or total not in committed:
                    failures.append(f"counts {results.total} and {total}: not committed counts")
            except Exception as error:  # noqa: BLE001 - any failure is the finding
                failures.append(repr(error))
            searches += 1
        writer.wait()
        log.close()
        seen.add(reader.search("oil prices", limit=3).total)  # (the last commit, whenever the loop ended)
    assert writer.returncode == 0, (tmp_path / "writer.log").read_text()
    assert failures == [], failures[:5]
    assert max(seen) == 12_000
    assert searches >= 20 and len(seen) >= 3, seen  # the searches saw the index grow, commit by commit


def test_a_commit_between_listing_and_opening_the_table_of_contents_is_read_through(tmp_path: Path) -> None:
    """A commit writes a new table of contents and deletes the old one: an index opened
    (or asked for its schema) just then reads the new one. The race is made certain
    here by committing right after the folder is listed; the test above met it by
    chance (once in CI, on a busy machine)."""
    from searcher.engine.reading import SegmentStorage

    corpus = feed(tmp_path, 10)
    config = Config(index=tmp_path / "ix")
    update_index(config, [corpus])
    grown = iter([20, 30])  # the corpus, as each commit makes it

    class CommitsAfterListing(SegmentStorage):
        armed = False

        def list(self) -> list[str]:
            names = super().list()
            if self.armed:  # (update_index's own listings come through SegmentStorage)
                self.armed = False
                update_index(config, [feed(tmp_path, next(grown))])
            return names

    storage = CommitsAfterListing(str(config.index))
    storage.armed = True
    whoosh_ix = storage.open_index()  # listed generation 1; opened 2
    assert not storage.armed and whoosh_ix.doc_count() == 20
    storage.armed = True
    assert "title" in whoosh_ix.schema.names()  # listed 2; read 3
    assert not storage.armed and whoosh_ix.doc_count() == 30
    assert whoosh_ix.last_modified() > 0


def test_stats_while_a_commit_deletes_files_it_listed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`searcher stats` adds up the index folder's files; a commit may delete one between
    the listing and its size. It counts for nothing, and stats answers."""
    corpus = feed(tmp_path, 10)
    config = Config(index=tmp_path / "ix")
    update_index(config, [corpus])

    class Deleted(type(tmp_path)):  # type: ignore[misc,valid-type]
        def is_file(self) -> bool:
            return True  # (listed, and a file then...)

        def stat(self, **kwargs: object) -> os.stat_result:
            raise FileNotFoundError(2, "No such file or directory", str(self))  # (...gone now)

    listed = Path.rglob

    def with_a_deleted_file(self: Path, pattern: str) -> Iterator[Path]:
        yield from listed(self, pattern)
        yield Deleted(self / "MAIN_merged_away.seg")

    monkeypatch.setattr(Path, "rglob", with_a_deleted_file)
    with Index.open(config.index) as index:
        stats = index.stats()
    assert stats.articles == 10
    assert stats.size_bytes == sum(entry.stat().st_size for entry in listed(config.index, "*") if entry.is_file())


def messy_corpus(folder: Path) -> tuple[dict[str, str], dict[str, str]]:
    """A scraped-looking folder: every kind of bad file, and good articles among them.
    Returns {good article id: a word only it holds} and {bad file name: what its
    problem must say}."""
    folder.mkdir()
    good: dict[str, str] = {}

    def story(name: str, article_id: str, word: str, **extra: str) -> dict[str, str]:
        good[article_id] = word
        return {"id": article_id, "title": f"Story {word}", "body": f"The {word} report.", **extra}

    def jsonl(name: str, lines: list[bytes]) -> None:
        (folder / name).write_bytes(b"\n".join(lines) + b"\n")

    bad = {
        "random.jsonl": "binary file",
        "nul-inside.txt": "binary file (NUL bytes)",
        "empty.jsonl": "empty file",
        "one-huge-line.jsonl": "invalid JSON",
        "nested.jsonl": "JSON nested too deeply",
        "not-objects.jsonl": "expected a JSON object",
        "columns.csv": "columns",
        "unclosed.csv": "unreadable CSV row",
        "loop.jsonl": "cannot read file",
        "dangling.jsonl": "cannot read file",
        "outside.jsonl": "outside the corpus folder",
        "mixed.jsonl": "read as cp1252",
    }
    (folder / "random.jsonl").write_bytes(random.Random(1).randbytes(20_000))
    (folder / "nul-inside.txt").write_bytes(b"A title\n\nText with \x00 NUL \x00 bytes" * 50)
    (folder / "empty.jsonl").write_bytes(b"\n \n")
    (folder / "one-huge-line.jsonl").write_bytes(b"x" * 50_000_000)  # 50 MB, one line
    jsonl("nested.jsonl", [b"[" * 100_000 + b"]" * 100_000, json.dumps(story("", "nest-ok", "quokka")).encode()])
    jsonl("not-objects.jsonl", [b"[1, 2]", b'"just a string"', b"42", json.dumps(story("", "obj-ok", "wombat")).encode()])
    (folder / "columns.csv").write_text("id,title,body\nc1,Too few\nc2,Too,many,columns\nc3,Story numbat,The numbat report.\n",
                                        encoding="utf-8")
    good["c3"] = "numbat"
    (folder / "unclosed.csv").write_text('id,title,body\nu1,Story dingo,The dingo report.\nu2,"Unclosed,quote\n',
                                         encoding="utf-8")
    good["u1"] = "dingo"
    os.symlink("loop.jsonl", folder / "loop.jsonl")  # a link to itself
    os.symlink("gone.jsonl", folder / "dangling.jsonl")
    outside = folder.parent / "elsewhere.jsonl"
    outside.write_text(json.dumps({"id": "secret", "title": "Outside the corpus"}) + "\n", encoding="utf-8")
    os.symlink(outside, folder / "outside.jsonl")
    # Mixed encodings: UTF-8 lines, one truncated UTF-8 sequence, one cp1252 line.
    jsonl("mixed.jsonl", [json.dumps(story("", "m1", "bilby", body="Idlíb, café"), ensure_ascii=False).encode(),
                          json.dumps(story("", "m2", "echidna")).encode()[:-3] + "é".encode()[:1] + b'"}',
                          json.dumps(story("", "m3", "platypus", body="Crème"), ensure_ascii=False).encode("cp1252")])
    (folder / "long article.txt").write_text(
        "A long article\n\n" + "\n\n".join(f"Paragraph {n} of the wallaby saga." for n in range(20_000)), encoding="utf-8")
    good["long article"] = "wallaby"
    (folder / "Ünïcödé näme — 新闻.jsonl").write_text(json.dumps(story("", "u-name", "kookaburra")) + "\n",
                                                      encoding="utf-8")
    if os.geteuid() != 0:  # (root reads any file, whatever its permissions)
        locked = folder / "locked.jsonl"
        locked.write_text(json.dumps({"id": "l1", "title": "Locked"}) + "\n", encoding="utf-8")
        locked.chmod(0)
        bad["locked.jsonl"] = "cannot read file"
    return good, bad


def test_a_messy_corpus_reports_every_bad_file_and_indexes_the_rest(tmp_path: Path) -> None:
    good, bad = messy_corpus(tmp_path / "scraped")
    config = Config(index=tmp_path / "ix")
    report = update_index(config, [tmp_path / "scraped"])
    reported: dict[str, list[str]] = {}
    for problem in report.problems:
        reported.setdefault(Path(problem.path).name, []).append(str(problem))
    for name, expected in bad.items():
        assert any(expected in line for line in reported.get(name, [])), (name, reported.get(name))
    assert all(name in bad for name in reported), sorted(set(reported) - set(bad))
    with Index.open(config.index) as index:
        for article_id, word in good.items():
            assert [hit.id for hit in index.search(word)] == [article_id], word
        assert index.get("secret") is None  # the link out of the corpus was not followed
        assert index.get("m1").body == "Idlíb, café"  # its neighbours' encodings are not its own
        assert index.get("m3").body == "Crème"


def test_an_index_folder_that_cannot_be_written_is_one_clear_error(tmp_path: Path) -> None:
    corpus = feed(tmp_path, 5)
    config = Config(index=tmp_path / "ix")
    update_index(config, [corpus])
    lock = config.index / "searcher-writer.lock"
    lock.unlink()
    lock.mkdir()  # what a read-only folder does to opening it for writing (root writes anyway)
    with pytest.raises(IndexWriteError, match=r"cannot write the index at .*ix: Is a directory"):
        update_index(config, [feed(tmp_path, 7)])
    with Index.open(config.index) as index:
        assert len(index) == 5 and index.search("oil").total == 5  # searching needs no writing
    done = subprocess.run([str(SEARCHER), "index", str(corpus), "--index", str(config.index)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and done.stderr.startswith("searcher: error: cannot write the index at ")
    assert "Traceback" not in done.stderr


def test_a_rewritten_file_is_replaced_whole_or_not_at_all(tmp_path: Path) -> None:
    import stat

    from searcher.paths import replaced

    target = tmp_path / "words.txt"
    target.write_text("old\n")
    with pytest.raises(RuntimeError):
        with replaced(target) as out:
            out.write("new, half written")
            raise RuntimeError("disk full")
    assert target.read_text() == "old\n" and [path.name for path in tmp_path.iterdir()] == ["words.txt"]
    with replaced(target) as out:
        out.write("new\n")
    assert target.read_text() == "new\n" and [path.name for path in tmp_path.iterdir()] == ["words.txt"]
    (tmp_path / "new.txt").write_text("")  # (a new file's mode, which the umask decides; mkstemp's are private)
    assert stat.S_IMODE(target.stat().st_mode) == stat.S_IMODE((tmp_path / "new.txt").stat().st_mode)
