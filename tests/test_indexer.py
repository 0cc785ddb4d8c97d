"""Indexing runs: incremental updates, bad files, duplicates, recovery, both cores."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from searcher import Article, Index, IndexFormatError, IndexNotFoundError
from searcher.config import Config
from searcher.indexing.update import update_index
from searcher.indexing.manifest import FILE_NAME

from .conftest import SAMPLE


def write_story(folder: Path, name: str, title: str, body: str = "Body text.") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{title}\n\n{body}\n", encoding="utf-8")
    return path


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    for n in range(1, 6):
        write_story(folder, f"story{n}.txt", f"Story number {n}", f"Words of story {n} about Idlib.")
    shutil.copy(SAMPLE, folder / "asharq.txt")
    return folder


@pytest.fixture
def config(tmp_path: Path, corpus: Path) -> Config:
    return Config(index=tmp_path / "index", corpus=(corpus,))


def titles(config: Config) -> dict[str, str]:
    with Index.open(config.index, config) as index:
        return {hit.id: hit.article.title for hit in index.search("*", limit=None, passages=0)}


def test_first_run_indexes_everything(config: Config) -> None:
    report = update_index(config)
    assert (report.added, report.updated, report.removed, report.unchanged) == (6, 0, 0, 0)
    assert report.files_read == 6 and report.problems == []
    assert len(titles(config)) == 6


def test_unchanged_corpus_does_no_work(config: Config) -> None:
    update_index(config)
    with Index.open(config.index) as index:
        generation = index.generation
    report = update_index(config)
    assert (report.added, report.updated, report.removed, report.unchanged) == (0, 0, 0, 6)
    assert (report.files_read, report.files_unchanged) == (0, 6)
    with Index.open(config.index) as index:
        assert index.generation == generation  # no commit at all


def test_touched_file_is_hashed_not_reindexed(config: Config, corpus: Path) -> None:
    update_index(config)
    path = corpus / "story1.txt"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 5_000_000_000))
    report = update_index(config)
    assert (report.added, report.updated, report.removed, report.files_read) == (0, 0, 0, 0)
    assert report.files_unchanged == 6


def test_changed_and_deleted_files_exactly(config: Config, corpus: Path) -> None:
    update_index(config)
    write_story(corpus, "story2.txt", "Story number 2, revised")
    (corpus / "story3.txt").unlink()
    write_story(corpus, "sub/story6.txt", "Story number 6")
    report = update_index(config)
    assert (report.added, report.updated, report.removed, report.unchanged) == (1, 1, 1, 4)
    assert (report.files_read, report.files_removed) == (2, 1)
    found = titles(config)
    assert found["story2"] == "Story number 2, revised"
    assert "story3" not in found and found["sub/story6"] == "Story number 6"
    with Index.open(config.index) as index:
        assert index.search("revised")[0].id == "story2"
        assert list(index.search("title:\"number 3\"")) == []


def test_one_changed_article_inside_a_jsonl_file(tmp_path: Path, time_docs: Path) -> None:
    corpus = tmp_path / "time.jsonl"
    lines = time_docs.read_text(encoding="utf-8").splitlines()
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = Config(index=tmp_path / "index")
    assert update_index(config, [corpus]).added == 423
    record = json.loads(lines[10])
    record["text"] += " ADDENDUM ABOUT A XYLOPHONIST."
    lines[10] = json.dumps(record)
    del lines[20]
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = update_index(config, [corpus])
    assert (report.added, report.updated, report.removed, report.unchanged) == (0, 1, 1, 421)
    with Index.open(config.index) as index:
        assert [hit.id for hit in index.search("xylophonist")] == [record["id"]]
        assert len(index) == 422


def test_bad_files_are_reported_and_the_rest_indexed(config: Config, corpus: Path) -> None:
    (corpus / "empty.txt").write_text("", encoding="utf-8")
    (corpus / "binary.txt").write_bytes(b"\x00\x01\x02" * 100)
    (corpus / "feed.jsonl").write_text('{"id": "j1", "title": "Good line"}\n{"broken\n', encoding="utf-8")
    report = update_index(config)
    assert report.added == 7
    assert sorted((Path(p.path).name, p.line) for p in report.problems) == [
        ("binary.txt", None), ("empty.txt", None), ("feed.jsonl", 2),
    ]
    assert report.skipped == 3
    assert "j1" in titles(config)


def test_a_story_overwritten_with_junk_loses_its_article_and_says_so(config: Config, corpus: Path) -> None:
    update_index(config)
    (corpus / "story1.txt").write_bytes(b"\x00" * 64)
    report = update_index(config)
    assert report.removed == 1 and report.skipped == 1
    assert "binary file" in report.problems[0].message
    assert len(titles(config)) == 5


def test_a_file_that_cannot_be_read_keeps_its_articles(config: Config, corpus: Path) -> None:
    update_index(config)
    story = corpus / "story1.txt"
    story.unlink()
    story.symlink_to(corpus / "moved-away.txt")  # listed in the folder, but reading it fails
    report = update_index(config)
    assert (report.removed, report.unchanged, report.skipped) == (0, 6, 1)
    assert "cannot read file" in report.problems[0].message
    assert titles(config)["story1"] == "Story number 1"


def test_duplicates_across_runs(config: Config, corpus: Path) -> None:
    update_index(config)
    (corpus / "a-dupe.jsonl").write_text(json.dumps({"id": "55363386", "title": "Same id, other text"}) + "\n")
    report = update_index(config)
    # a-dupe.jsonl sorts before asharq.txt: in corpus order it is the first copy.
    assert (report.updated, report.added) == (1, 0)
    [problem] = report.problems
    assert problem.path.endswith("asharq.txt") and "a-dupe.jsonl:1" in problem.message
    assert titles(config)["55363386"] == "Same id, other text"
    (corpus / "a-dupe.jsonl").unlink()
    report = update_index(config)  # the archive page is the only copy again
    assert report.updated == 1 and report.removed == 0
    assert titles(config)["55363386"] == "Moscow Wants Entire Aleppo, Idlib Awaits its Fate"


def test_lost_manifest_is_rebuilt_from_the_index(config: Config, corpus: Path) -> None:
    update_index(config)
    (config.index / FILE_NAME).unlink()
    write_story(corpus, "story4.txt", "Story number 4, changed while the manifest was gone")
    report = update_index(config)
    assert (report.added, report.updated, report.removed, report.unchanged) == (0, 1, 0, 5)
    assert report.files_read == 6  # every file read again, but only the changed article written
    assert update_index(config).files_read == 0


def test_reader_settings_change_rereads_files(config: Config, tmp_path: Path) -> None:
    update_index(config)
    report = update_index(Config(index=config.index, corpus=config.corpus, formats={".txt": "plain-text"}))
    assert report.files_read == 6
    # The archive page, read as plain text, has its file name as id and its first line as title.
    assert (report.added, report.removed, report.unchanged) == (1, 1, 5)
    found = titles(config)
    assert "55363386" not in found and found["asharq"].startswith("Middle-east Arab News Opinion")


def test_other_corpus_paths_are_left_alone(config: Config, tmp_path: Path) -> None:
    update_index(config)
    other = tmp_path / "other"
    write_story(other, "extra.txt", "An extra story")
    report = update_index(config, [other])
    assert (report.added, report.removed) == (1, 0)
    assert len(titles(config)) == 7
    with Index.open(config.index) as index:
        assert len(index.stats().corpus) == 2


def test_rebuild(config: Config) -> None:
    update_index(config)
    report = update_index(config, rebuild=True)
    assert (report.added, report.unchanged) == (6, 0)
    assert len(titles(config)) == 6


def test_rebuild_replaces_an_index_of_another_version(config: Config) -> None:
    update_index(config)
    marker = config.index / "searcher-index.json"
    marker.write_text(json.dumps({"schema_version": 0}))
    with pytest.raises(IndexFormatError, match="schema version 0"):
        Index.open(config.index)
    with pytest.raises(IndexFormatError):
        update_index(config)
    assert update_index(config, rebuild=True).added == 6
    assert len(titles(config)) == 6


def test_index_in_a_folder_that_is_not_an_index_is_refused(tmp_path: Path, corpus: Path) -> None:
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "thesis.docx").write_text("precious")
    with pytest.raises(IndexNotFoundError):
        Index.open(folder)
    with pytest.raises(IndexFormatError, match="not empty and not an index"):
        update_index(Config(index=folder), [corpus])
    assert (folder / "thesis.docx").read_text() == "precious"


def test_both_cores_give_the_same_index_as_one(tmp_path: Path, bbc_docs: Path, bbc_index: Path) -> None:
    one = Config(index=tmp_path / "one", workers=1)
    assert update_index(one, [bbc_docs]).added == 2225
    # bbc_index was built by two worker processes (conftest), each writing its segments.
    with Index.open(bbc_index) as two, Index.open(one.index) as single:
        assert two.stats().segments >= 2 and single.stats().segments == 1
        for query in ("Blair election", "England rugby", '"mobile phone"', "film award*"):
            a, b = two.search(query, limit=10), single.search(query, limit=10)
            assert a.total == b.total
            assert [round(h.score, 6) for h in a] == [round(h.score, 6) for h in b]


@pytest.mark.parametrize("start_method", ["forkserver", "spawn"])
def test_workers_started_afresh_give_the_same_index(tmp_path: Path, bbc_docs: Path, bbc_index: Path,
                                                   start_method: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers that inherit nothing from this process (forkserver: Python 3.14's default
    on Linux; spawn: macOS' and Windows') write what forked ones write: the same
    articles, scores, word list and near-duplicate groups (their sketches come back
    from the workers, with nothing shared through the module)."""
    from searcher.engine import writing
    from searcher.engine.groups import FILE_NAME

    monkeypatch.setattr(writing, "START_METHOD", start_method)
    config = Config(index=tmp_path / "ix", workers=2)
    assert update_index(config, [bbc_docs]).added == 2225
    with Index.open(bbc_index) as forked, Index.open(config.index) as fresh:
        assert fresh.stats().segments >= 2
        for query in ("Blair election", "England rugby", '"mobile phone"', "film award*", "labour~"):
            # (every hit: which worker wrote an article decides the order of equal scores)
            a, b = (ix.search(query, limit=None, passages=0, collapse=False) for ix in (forked, fresh))
            assert a.total == b.total == len(a) > 0
            assert sorted((round(h.score, 6), h.id) for h in a) == sorted((round(h.score, 6), h.id) for h in b)
    groups = [json.loads((folder / FILE_NAME).read_text())["groups"] for folder in (bbc_index, config.index)]
    assert len(groups[0]) > 100 and sorted(map(sorted, groups[0])) == sorted(map(sorted, groups[1]))


def test_add_replaces_by_id_and_reports(tmp_path: Path) -> None:
    with Index.create(tmp_path / "ix") as index:
        report = index.add([Article(id="1", title="One"), Article(id="2", title="Two"), Article(id="1", title="Again")])
        assert (report.added, report.updated, len(report.problems)) == (2, 0, 1)
        assert "duplicate id '1'" in report.problems[0].message
        # Its time is the call's, commit included; and no file was read, which the summary
        # says without taking the articles given for an empty corpus.
        assert report.seconds > 0 and report.files_read == 0
        assert report.summary("ix") == f"ix: 2 added, 0 updated, 0 removed, 0 unchanged, 1 skipped (see above) in {report.seconds:.1f} s (0 files read, 0 unchanged)."
        report = index.add([Article(id="1", title="One, corrected")])
        assert (report.added, report.updated) == (0, 1)
        assert len(index) == 2 and index.get("1").title == "One, corrected"
        assert index.get("3") is None
        with index.batch() as batch:
            assert batch.delete("2") is True
        with index.batch() as batch:
            assert batch.delete("2") is False  # gone already (deleted, not yet merged away)
            assert batch.delete("1") is True and batch.delete("1") is False
        report = index.add([Article(id="2", title="Two, back")])
        assert (report.added, report.updated) == (1, 0) and len(index) == 1


def test_a_damaged_manifest_is_said_and_the_index_compared_instead(config: Config) -> None:
    from searcher.indexing.update import Progress
    from searcher.indexing.manifest import Manifest

    first = update_index(config)
    (config.index / FILE_NAME).write_bytes(b'{"version": 4, "files": \xff')
    notices: list[str] = []

    class Recording(Progress):
        def notice(self, message: str) -> None:
            notices.append(message)

    report = update_index(config, progress=Recording())
    assert (report.added, report.updated, report.removed, report.unchanged) == (0, 0, 0, first.added)
    assert len(notices) == 1 and notices[0].startswith(f"{FILE_NAME} is damaged (UnicodeDecodeError: ")
    assert notices[0].endswith("; every file is read again and compared with the index")
    assert Manifest.load(config.index).problem is None and update_index(config).files_read == 0  # saved whole again


def test_lost_manifest_leaves_other_corpus_paths_alone(config: Config, tmp_path: Path) -> None:
    other = tmp_path / "other"
    write_story(other, "extra.txt", "An extra story")
    update_index(config)
    update_index(config, [other])
    (config.index / FILE_NAME).unlink()
    report = update_index(config, [other])
    assert (report.added, report.updated, report.removed, report.unchanged) == (0, 0, 0, 7)
    assert len(titles(config)) == 7
    # What the lost manifest knew is known again: a file deleted later is noticed.
    (config.corpus[0] / "story5.txt").unlink()
    assert update_index(config).removed == 1
    assert "story5" not in titles(config)


def test_lost_manifest_and_an_unreadable_file(config: Config, corpus: Path) -> None:
    update_index(config)
    (config.index / FILE_NAME).unlink()
    story = corpus / "story1.txt"
    story.unlink()
    story.symlink_to(corpus / "moved-away.txt")
    report = update_index(config)
    assert (report.removed, report.skipped) == (0, 1)
    assert titles(config)["story1"] == "Story number 1"


def test_a_file_changing_between_its_two_readings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import searcher.indexing.update as indexer

    feed = tmp_path / "feed.jsonl"
    records = [{"id": name, "title": f"Story {name}", "body": f"About {name}."} for name in ("a", "b", "c")]
    feed.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    config = Config(index=tmp_path / "ix")
    real_read_file = indexer.read_file

    def read_after_an_edit(*args, **kwargs):  # type: ignore[no-untyped-def]
        # Between the first reading and the writing, line 1 is deleted: b and c move up.
        feed.write_text("".join(json.dumps(r) + "\n" for r in records[1:]), encoding="utf-8")
        return real_read_file(*args, **kwargs)

    update_index(config, [feed])  # a first build reads once; an update reads twice
    records[2]["body"] = "About c, corrected."
    feed.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    monkeypatch.setattr(indexer, "KEEP_PARSED_ARTICLES", 0)  # (a few are written as first read)
    monkeypatch.setattr(indexer, "read_file", read_after_an_edit)
    update_index(config, [feed])
    monkeypatch.setattr(indexer, "read_file", real_read_file)
    update_index(config, [feed])  # the next run sets it right
    assert sorted(titles(config)) == ["b", "c"]
    assert update_index(config, [feed]).unchanged == 2


def test_a_few_changed_articles_are_read_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import searcher.indexing.update as indexer

    feed = tmp_path / "feed.jsonl"
    records = [{"id": f"n{n}", "title": f"Story {n}", "body": f"About {n}."} for n in range(50)]
    feed.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    config = Config(index=tmp_path / "ix")
    update_index(config, [feed])
    records[7]["body"] = "About seven, corrected."
    feed.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    second_readings = []
    monkeypatch.setattr(indexer, "read_file", lambda *args, **kwargs: second_readings.append(args) or iter(()))
    report = update_index(config, [feed])
    assert (report.updated, report.unchanged, second_readings) == (1, 49, [])
    with Index.open(config.index) as index:
        assert [hit.id for hit in index.search("corrected")] == ["n7"]


@pytest.mark.parametrize("encoding, newline", [
    ("utf-8", "\n"), ("utf-8-sig", "\n"), ("utf-8", "\r\n"), ("utf-16", "\n"), ("cp1252", "\r\n"),
])
def test_a_changed_line_is_found_in_every_encoding(tmp_path: Path, encoding: str, newline: str) -> None:
    feed = tmp_path / "feed.jsonl"
    records = [{"id": f"n{n}", "title": f"Café story {n}", "body": f"About {n}."} for n in range(30)]

    def write() -> None:
        lines = [json.dumps(r, ensure_ascii=False) for r in records]
        feed.write_bytes((newline.join(lines) + newline).encode(encoding))

    write()
    config = Config(index=tmp_path / "ix")
    assert update_index(config, [feed]).added == 30
    records[7]["body"] = "About seven, corrected."
    records.insert(3, {"id": "new", "title": "A new story", "body": "Inserted."})  # every later line moves
    write()
    report = update_index(config, [feed])
    assert (report.added, report.updated, report.unchanged) == (1, 1, 29)
    with Index.open(config.index) as index:
        assert [hit.id for hit in index.search("corrected")] == ["n7"]
        assert index.get("n12").title == "Café story 12"
    assert update_index(config, [feed]).unchanged == 31


def test_a_json_lines_file_that_turns_binary_keeps_none_of_its_articles(tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    lines = [json.dumps({"id": f"n{n}", "title": f"Story {n}"}).encode() for n in range(5)]
    feed.write_bytes(b"\n".join(lines) + b"\n")
    config = Config(index=tmp_path / "ix")
    update_index(config, [feed])
    feed.write_bytes(b"\n".join([b"\x00" * 20, *lines[1:]]) + b"\n")  # its unchanged lines too
    report = update_index(config, [feed])
    assert report.removed == 5 and "binary file" in report.problems[0].message
    with Index.open(config.index) as index:
        assert len(index) == 0


def test_a_second_reading_that_finds_nothing_is_written_next_run(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import searcher.indexing.update as indexer

    feed = tmp_path / "feed.jsonl"
    records = [{"id": f"n{n}", "title": f"Story {n}"} for n in range(5)]
    feed.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    config = Config(index=tmp_path / "ix")
    update_index(config, [feed])
    records[2]["title"] = "Story two, corrected"
    feed.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    monkeypatch.setattr(indexer, "KEEP_PARSED_ARTICLES", 0)
    monkeypatch.setattr(indexer, "read_file", lambda *args, **kwargs: iter(()))  # e.g. a passing read error
    update_index(config, [feed])
    monkeypatch.undo()
    assert update_index(config, [feed]).updated == 1  # the file as before: its edit is written now
    assert titles(config)["n2"] == "Story two, corrected"


def test_new_line_endings_alone_change_no_article(tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    lines = [json.dumps({"id": f"n{n}", "title": f"Story {n}"}) for n in range(5)]
    feed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = Config(index=tmp_path / "ix")
    update_index(config, [feed])
    feed.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))
    report = update_index(config, [feed])
    assert (report.files_unchanged, report.unchanged, report.updated) == (1, 5, 0)


def test_files_are_read_again_when_the_reading_rules_change(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A spreadsheet's "Title,Body" gave nothing before keys were read in any case; after
    # an upgrade the unchanged file must be read again, not taken as read.
    import searcher.config

    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "sheet.csv").write_text("ID,Title,Body\nr1,Wheat,Export tender\n", encoding="utf-8")
    config = Config(index=tmp_path / "ix", corpus=(corpus,))
    monkeypatch.setattr(searcher.config, "READING_RULES", 1)
    assert update_index(config).files_unchanged == 0
    assert update_index(config).files_unchanged == 1  # (the same rules: not read again)
    monkeypatch.setattr(searcher.config, "READING_RULES", 2)
    report = update_index(config)
    assert (report.files_read, report.files_unchanged) == (1, 0)
    assert update_index(config).files_unchanged == 1


def test_articles_added_with_the_library_survive_an_index_run(config: Config) -> None:
    update_index(config)
    with Index.open(config.index) as index:
        index.add([Article(id="lib1", title="Added by a script")])
    report = update_index(config)
    assert report.removed == 0
    assert titles(config)["lib1"] == "Added by a script"


def test_switching_on_duplicate_changes_which_copy_is_indexed(tmp_path: Path) -> None:
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "a.jsonl").write_text(json.dumps({"id": "X", "title": "first copy"}) + "\n")
    (corpus / "b.jsonl").write_text(json.dumps({"id": "X", "title": "last copy"}) + "\n")
    first = Config(index=tmp_path / "ix", corpus=(corpus,))
    report = update_index(first)
    [duplicate] = report.problems
    assert duplicate.path.endswith("b.jsonl") and duplicate.line == 1 and "first seen at" in duplicate.message
    assert titles(first)["X"] == "first copy"
    again = update_index(first)
    [note] = again.problems  # (the copy is still left out: said as a note, the file unread)
    assert again.unchanged == 1 and note.severity == "note" and note.message.startswith("what was skipped when it was")
    report = update_index(Config(index=first.index, corpus=(corpus,), on_duplicate="keep-last"))
    assert report.updated == 1
    assert titles(first)["X"] == "last copy"
    assert update_index(Config(index=first.index, corpus=(corpus,), on_duplicate="keep-last")).unchanged == 1


@pytest.mark.parametrize("commit_every", [50_000, 400])
def test_repeated_updates_do_not_pile_up_on_disk(tmp_path: Path, commit_every: int) -> None:
    # (A run that commits as it goes, every 400 articles here, merges at its end too.)
    feed = tmp_path / "feed.jsonl"
    config = Config(index=tmp_path / "ix", workers=2, commit_every=commit_every)

    def write(version: int) -> None:
        lines = (json.dumps({"id": str(n), "title": f"Story {n}", "body": f"Version {version} of story {n}. " * 20})
                 for n in range(1500))
        feed.write_text("\n".join(lines) + "\n", encoding="utf-8")

    write(0)
    update_index(config, [feed])
    for version in (1, 2, 3):
        write(version)
        assert update_index(config, [feed]).updated == 1500
        with Index.open(config.index) as index:
            stats = index.stats()
            assert len(index) == 1500
            assert index.deleted_count <= 1500 // 4  # merged when the dead weight passed a quarter
            assert stats.segments <= 3
    with Index.open(config.index) as index:
        assert [hit.id for hit in index.search('"version 3 of story 7"')] == ["7"]


def test_a_manifest_of_another_version_keeps_the_corpus(config: Config) -> None:
    update_index(config)
    manifest = config.index / FILE_NAME
    data = json.loads(manifest.read_text())
    data["version"] = 1
    manifest.write_text(json.dumps(data))
    report = update_index(Config(index=config.index))  # no corpus named: the one indexed before
    assert (report.files_read, report.unchanged, report.removed) == (6, 6, 0)


def test_fast_text_fields_index_exactly_what_the_analyzer_gives(bbc_docs: Path) -> None:
    # ArticleText skips Whoosh's token generators for speed; the postings must not change.
    from whoosh import fields

    from searcher.engine.tokens import TOKEN, TermCache, _key, normalize_word, stem, term_keys, text_analyzer
    from searcher.engine.schema import ArticleText

    analyzer = text_analyzer()
    plain, fast = fields.TEXT(analyzer=analyzer), ArticleText(analyzer=analyzer)
    texts = [text for line in bbc_docs.read_text(encoding="utf-8").splitlines()[:400]
             for text in json.loads(line).values() if isinstance(text, str)]
    texts += ["U.S. Idlíb’s 1,300 refugees' O'Brien Straße ' ’s", ""]
    for text in texts:
        assert sorted(fast.index(text)) == sorted(plain.index(text)), text[:80]
        # Passages find terms with the same cache, character offsets included.
        tokens = [(t.startchar, t.endchar, t.text) for t in analyzer(text, chars=True, mode="index")]
        assert list(TermCache().tokens(text)) == tokens
    # The words stemming changes, for the word list, come with the terms.
    cache = TermCache()
    for text in texts:
        cache.terms(text)
    words = {normalize_word(token) for text in texts for token in TOKEN.findall(text)}
    assert cache.stemmed_away == {word for word in words if word and stem(word) != word}
    assert "universities" in cache.stemmed_away and "idlib" not in cache.stemmed_away
    # Passages skip stemming words whose term can't be wanted: that must never skip a
    # word whose term is wanted.
    for word in filter(None, words):
        keys = term_keys([stem(word)])
        assert word[:1] in keys or _key(word) in keys, word
    only = term_keys(["refuge", "minist", "ei"])
    for text in texts[:50]:
        wanted = [(s, e) for s, e, term in TermCache().tokens(text) if term in ("refuge", "minist", "ei")]
        assert [(s, e) for s, e, term in TermCache().tokens(text, only) if term in ("refuge", "minist", "ei")] == wanted


@pytest.mark.parametrize("limitmb", [256, 1])  # 1 MB: the pool writes runs to disk and merges them
def test_our_segment_writer_writes_the_postings_whoosh_writes(bbc_docs: Path, tmp_path: Path, limitmb: int) -> None:
    from whoosh import index as whoosh_index

    from searcher.readers import CorpusFile, read_file
    from searcher.engine.schema import build_schema, to_document
    from searcher.engine.writing import SegmentWriter

    articles = list(read_file(CorpusFile(bbc_docs, bbc_docs.parent, "jsonl"), Config(), lambda problem: None))[:600]
    postings = []
    for name, make_writer in (("whoosh", lambda ix: ix.writer(limitmb=256)),
                              ("ours", lambda ix: SegmentWriter(ix, limitmb=limitmb))):
        (tmp_path / name).mkdir()
        ix = whoosh_index.create_in(str(tmp_path / name), build_schema())
        with make_writer(ix) as writer:
            for article in articles:
                writer.add_document(**to_document(article))
        with ix.reader() as reader:
            postings.append({(field, text): [(m.id(), m.weight(), m.value()) for m in _each(reader.postings(field, text))]
                             for field, text in reader.all_terms()})
            lengths = [reader.doc_field_length(doc, "body") for doc in range(reader.doc_count())]
            # Term statistics too (what scoring and block skipping read).
            infos = {(field, text): (info.weight(), info.doc_frequency(), info.min_length(), info.max_length(),
                                     info.max_weight(), info.min_id(), info.max_id())
                     for field, text in reader.all_terms() for info in [reader.term_info(field, text)]}
        postings[-1]["lengths"] = lengths
        postings[-1]["infos"] = infos
    assert len(postings[0]) > 10_000 and postings[0] == postings[1]


def test_one_block_terms_written_at_once_are_the_bytes_the_postings_writer_writes(
        bbc_docs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # writing._write_terms writes a term of one block (most terms) itself; through the
    # postings writer (WRITTEN_AT_ONCE = 0), every file of the segment is the same.
    from whoosh import index as whoosh_index

    from searcher.engine import writing
    from searcher.engine.schema import build_schema, to_document
    from searcher.readers import CorpusFile, read_file

    # (1,200 articles: some terms have more postings than a block, written between others)
    articles = list(read_file(CorpusFile(bbc_docs, bbc_docs.parent, "jsonl"), Config(), lambda problem: None))[:1200]
    files = []
    for at_once in (writing.WRITTEN_AT_ONCE, 0):
        monkeypatch.setattr(writing, "WRITTEN_AT_ONCE", at_once)
        monkeypatch.setattr(writing, "WAITING_TERMS", 37)  # (written in many goes)
        folder = tmp_path / str(at_once)
        folder.mkdir()
        ix = whoosh_index.create_in(str(folder), build_schema())
        with writing.SegmentWriter(ix, limitmb=256) as writer:
            for article in articles:
                writer.add_document(**to_document(article))
        [segment] = ix._segments()
        with ix.reader() as reader:
            assert max(reader.doc_frequency("body", text) for text in reader.lexicon("body")) > writing.BLOCK_SIZE
        parts = segment.open_compound_file(ix.storage)
        files.append({name.split(".", 1)[1]: bytes(parts.open_file(name).read()) for name in parts.list()})
    assert {"trm", "pst", "_stored.col"} <= files[0].keys() and files[0] == files[1]


def _each(matcher):  # type: ignore[no-untyped-def]
    while matcher.is_active():
        yield matcher
        matcher.next()


def test_a_changed_json_lines_file_parses_only_its_changed_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import searcher.readers.records as records

    feed = tmp_path / "feed.jsonl"
    lines = [json.dumps({"id": f"s{n}", "title": f"Story {n}", "body": f"Body {n}."}) for n in range(50)]
    lines.append(json.dumps({"title": "No id", "body": "Named after its line."}))
    feed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = Config(index=tmp_path / "ix")
    update_index(config, [feed])

    parsed: list[int] = []
    real = records.record_to_article

    def counting(record, fields, default_id, line, *rest):  # type: ignore[no-untyped-def]
        parsed.append(line)
        return real(record, fields, default_id, line, *rest)

    monkeypatch.setattr(records, "record_to_article", counting)
    lines[7] = json.dumps({"id": "s7", "title": "Story 7", "body": "Corrected: a quince harvest."})
    feed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = update_index(config, [feed])
    assert (report.updated, report.added, report.unchanged) == (1, 0, 50)
    assert sorted(set(parsed)) == [8]  # parsed to find what changed, and again to index it

    # A line added at the top moves every line: articles with ids are known by their
    # line's hash; the one without an id is named after its line, so it is new.
    parsed.clear()
    lines.insert(0, json.dumps({"id": "s-new", "title": "Breaking", "body": "A new story."}))
    feed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = update_index(config, [feed])
    assert (report.added, report.removed, report.unchanged) == (2, 1, 50)
    assert sorted(set(parsed)) == [1, 52]
    with Index.open(config.index, config) as index:
        assert [hit.id for hit in index.search("quince")] == ["s7"]
    from searcher.indexing.manifest import Manifest

    [state] = Manifest.load(config.index).files.values()
    assert [(i, line) for i, line, _ in state.articles][:3] == [("s-new", 1), ("s0", 2), ("s1", 3)]
    monkeypatch.undo()
    assert update_index(config, [feed]).unchanged == 52


def test_a_failing_worker_fails_the_run_and_saves_nothing(bbc_docs: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from searcher import SearcherError
    from searcher.engine import writing
    from searcher.engine.writing import SegmentWriter

    real = SegmentWriter.add_document

    def failing(self, **fields):  # type: ignore[no-untyped-def]
        if fields["id"] == "business/100":  # in a worker process
            raise MemoryError("simulated")
        return real(self, **fields)

    config = Config(index=tmp_path / "ix", workers=2)
    # (A patch reaches only a worker that is a copy of this process: forked.)
    monkeypatch.setattr(writing, "START_METHOD", "fork")
    monkeypatch.setattr(SegmentWriter, "add_document", failing)
    with pytest.raises(SearcherError, match="an indexing worker stopped"):
        update_index(config, [bbc_docs])
    monkeypatch.undo()
    assert not list(config.index.glob(".searcher-*.tmp"))  # workers' files cleaned up
    orphans = {path.name for path in config.index.glob("MAIN_*") if path.name != "MAIN_WRITELOCK"}
    with Index.open(config.index, config) as index:
        assert len(index) == 0  # nothing committed
    report = update_index(config, [bbc_docs])  # and the lock was released
    assert report.added == 2225
    # The failed run's segment files were never committed; the next commit removes them.
    assert not orphans & {path.name for path in config.index.iterdir()}


@pytest.mark.parametrize("articles", [1000, 1300])
def test_workers_that_die_stop_the_run_instead_of_hanging_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            articles: int) -> None:
    """Workers killed at their first job (the out-of-memory killer). The job queue holds
    8 jobs of 100 articles, and each worker took one: with 1,300 articles the queue fills
    while the run hands out work, with 1,000 when it tells the workers to finish (where
    Whoosh's writer waited forever). Either way, one clear error."""
    from searcher import SearcherError
    from searcher.engine import writing

    def dying(self, filename: str, count: int) -> None:  # type: ignore[no-untyped-def]
        os._exit(3)

    monkeypatch.setattr(writing, "START_METHOD", "fork")  # (the patch reaches a forked worker)
    monkeypatch.setattr(writing._WorkerTask, "_process_file", dying)
    with Index.create(tmp_path / "ix") as index:
        with pytest.raises(SearcherError, match=r"an indexing worker stopped \(exit code 3\)"):
            with index.batch(workers=2) as batch:
                for number in range(articles):
                    batch.add(Article(id=str(number), title=f"Story {number}", body="Words of the story."))
        assert len(index) == 0


def test_a_worker_given_no_work_writes_no_segment(tmp_path: Path) -> None:
    with Index.create(tmp_path / "ix") as index:
        with index.batch(workers=4) as batch:  # (150 articles: two jobs of 100 and 50, for four workers)
            for number in range(150):
                batch.add(Article(id=str(number), title=f"Story {number}", body="Words of the story."))
        assert len(index) == 150
        assert sorted(segment.doc_count_all() for segment in index._ix._segments()) == [50, 100]
        on_disk = {path.name.split(".")[0] for path in (tmp_path / "ix").glob("MAIN_*") if path.name != "MAIN_WRITELOCK"}
        assert on_disk == {segment.segment_id() for segment in index._ix._segments()}  # (the idle ones' files gone)


def test_lines_without_ids_are_named_after_the_current_root(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    feed = corpus / "sub" / "news.jsonl"
    lines = [json.dumps({"title": f"Story {n}", "body": f"Body {n}."}) for n in range(5)]
    feed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = Config(index=tmp_path / "ix")
    update_index(config, [corpus])
    lines[2] = json.dumps({"title": "Story 2", "body": "Body 2, corrected."})
    feed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    update_index(config, [feed])  # the file itself, not its folder: ids change with the root
    with Index.open(config.index, config) as index:
        found = sorted(hit.id for hit in index.search("*", limit=None, passages=0))
    assert len({article_id.rsplit(":", 1)[0] for article_id in found}) == 1, found
    assert len(found) == 5


def test_a_corpus_with_no_file_to_read_says_so(tmp_path: Path) -> None:
    # "0 added" alone read like success for a folder of PDFs, or an empty one.
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "report.pdf").write_bytes(b"%PDF-1.4")
    report = update_index(Config(index=tmp_path / "index"), [corpus])
    assert report.added == 0 and "No file of the corpus is in a format searcher reads" in report.summary("index")
    (corpus / "story.txt").write_text("Idlib\n\nRefugees reached the border.", encoding="utf-8")
    report = update_index(Config(index=tmp_path / "index"), [corpus])
    assert report.added == 1 and "No file" not in report.summary("index")
    again = update_index(Config(index=tmp_path / "index"), [corpus])
    assert again.files_unchanged == 1 and "No file" not in again.summary("index")
