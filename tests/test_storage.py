"""Reading segments in place: the same bytes as Whoosh's copying BufferFile, without the copy."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

import pytest

from searcher import Index
from searcher.config import Config
from searcher.indexing.update import update_index
from searcher.engine.reading import SegmentPart, _View


def test_a_view_reads_seeks_and_reads_lines_as_bytesio_does() -> None:
    rng = random.Random(5)
    data = bytes(rng.choice(b"ab\n\x00\xff") for _ in range(10_000))
    view, copy = _View(memoryview(data)), io.BytesIO(data)
    for _ in range(2_000):
        operation = rng.choice(["read", "readline", "seek", "seek_end", "seek_here"])
        size = rng.choice([-1, 0, 1, 7, 300, 5_000, 20_000])
        if operation == "read":
            assert view.read(size) == copy.read(size)
        elif operation == "readline":
            assert view.readline(size) == copy.readline(size)
        elif operation == "seek":
            position = rng.randrange(0, 12_000)
            assert view.seek(position) == copy.seek(position)
        elif operation == "seek_end":
            offset = -rng.randrange(0, 100)
            assert view.seek(offset, 2) == copy.seek(offset, 2)
        else:
            offset = rng.randrange(-50, 50)
            assert view.seek(offset, 1) == copy.seek(offset, 1)
        assert view.tell() == copy.tell()
    view.seek(0), copy.seek(0)
    assert list(view) == list(copy)
    view.close()
    with pytest.raises(ValueError):
        view.read()
    with pytest.raises(ValueError):
        _View(memoryview(data)).seek(-1)


def test_an_open_index_reads_its_segments_in_place(tmp_path: Path) -> None:
    corpus = tmp_path / "news.jsonl"
    corpus.write_text("".join(json.dumps({"id": f"n{n}", "title": f"Oil story {n}", "body": "Crude prices."}) + "\n"
                              for n in range(30)), encoding="utf-8")
    config = Config(index=tmp_path / "ix")
    update_index(config, [corpus])
    with Index.open(config.index, config) as index:
        assert len(index.search("oil", limit=50)) == 30
        with index._ix.searcher() as searcher:
            reader = searcher.leaf_searchers()[0][0].reader()
            part = reader._storage.open_file(next(n for n in reader._storage.list() if n.endswith(".pst")))
            assert isinstance(part, SegmentPart) and not isinstance(part.file, io.BytesIO)


def test_a_plain_whoosh_index_beside_ours_is_read_as_whoosh_reads_it(tmp_path: Path) -> None:
    from whoosh import fields, index as whoosh_index
    from whoosh.filedb import compound, structfile
    from whoosh.query import Term

    config = Config(index=tmp_path / "ours")
    corpus = tmp_path / "news.jsonl"
    corpus.write_text(json.dumps({"id": "a", "title": "Oil", "body": "Crude."}) + "\n", encoding="utf-8")
    update_index(config, [corpus])
    (tmp_path / "plain").mkdir()
    plain = whoosh_index.create_in(str(tmp_path / "plain"), fields.Schema(body=fields.TEXT(stored=True)))
    with plain.writer() as writer:
        writer.add_document(body="crude oil")
    with Index.open(config.index, config) as ours, plain.searcher() as searcher:
        assert len(ours.search("oil")) == 1 and len(searcher.search(Term("body", "oil"))) == 1
        assert compound.BufferFile is structfile.BufferFile  # (nothing of Whoosh's replaced)
        storage = searcher.reader()._storage
        part = storage.open_file(next(n for n in storage.list() if n.endswith(".pst")))
        assert type(part) is structfile.BufferFile and isinstance(part.file, io.BytesIO)


def test_a_segment_that_cannot_be_mapped_is_read_from_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno
    import mmap

    from searcher.engine import reading

    corpus = tmp_path / "news.jsonl"
    corpus.write_text("".join(json.dumps({"id": f"n{n}", "title": f"Oil story {n}", "body": "Crude prices."}) + "\n"
                              for n in range(30)), encoding="utf-8")
    config = Config(index=tmp_path / "ix")
    update_index(config, [corpus])

    def no_room(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError(errno.ENOMEM, "Cannot allocate memory")

    monkeypatch.setattr(reading.mmap, "mmap", no_room)
    with Index.open(config.index, config) as index:
        assert len(index.search("oil", limit=50)) == 30 and index.get("n7").title == "Oil story 7"
    monkeypatch.setattr(reading.mmap, "mmap", mmap.mmap)


def test_terms_table_entries_are_whooshs_table_and_keep_its_order_check(tmp_path: Path) -> None:
    # postings.add_entries writes many (key, value) pairs at once where Whoosh's
    # OrderedHashWriter.add writes one: the same file, and the same refusal of a key
    # that does not come after the last (a lookup bisects the keys).
    from whoosh.filedb.filestore import FileStorage
    from whoosh.filedb.filetables import OrderedHashReader, OrderedHashWriter

    from searcher.engine.postings import add_entries

    storage = FileStorage(str(tmp_path))
    pairs = sorted((f"k{n:05d}".encode(), f"value {n}".encode() * (n % 4)) for n in range(0, 3000, 7))
    theirs = OrderedHashWriter(storage.create_file("theirs"))
    for key, value in pairs:
        theirs.add(key, value)
    theirs.close()
    ours = OrderedHashWriter(storage.create_file("ours"))
    add_entries(ours, pairs[:100])
    add_entries(ours, [])
    add_entries(ours, pairs[100:])
    ours.close()
    assert (tmp_path / "ours").read_bytes() == (tmp_path / "theirs").read_bytes()
    reader = OrderedHashReader.open(storage, "ours")
    assert reader[pairs[50][0]] == pairs[50][1]
    reader.close()

    table = OrderedHashWriter(storage.create_file("bad"))
    add_entries(table, pairs[:10])
    written = table.dbfile.tell()
    for wrong in ([pairs[3]], [pairs[20], pairs[15]], [pairs[20], pairs[20]]):
        with pytest.raises(ValueError, match="Keys must increase"):
            add_entries(table, wrong)
        assert table.dbfile.tell() == written and table.lastkey == pairs[9][0]
    table.close()
