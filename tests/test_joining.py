"""Joining segments (engine/joining.py), on real corpora: an optimizing batch over the
two segments of a parallel build gives one segment that every search, article, facet
and timeline reads as it read the two; with deletions, Whoosh's optimize still merges."""

from __future__ import annotations

import json
import math
import pickle
import shutil
from pathlib import Path

import pytest

from searcher import Index
from searcher.config import Config
from searcher.engine import joining, postings
from searcher.indexing.update import update_index

from .conftest import require_data
from .test_query_engine import query_texts


def answers(index: Index, texts: list[str]) -> list[object]:
    """What each search shows: hits (id, score, title and passages with their spans,
    near-duplicates, all or some words), counts and facets."""
    seen = []
    for text in texts:
        results = index.search(text, limit=20, facets=("category", "source"))
        seen.append((text, results.total, results.every_word, results.matched, results.facets,
                     [(hit.id, hit.score, hit.title, hit.passages, hit.duplicates, hit.matched) for hit in results]))
    return seen


def same(before: list, after: list) -> None:
    for old, new in zip(before, after, strict=True):
        assert old[:5] == new[:5], old[0]
        assert [hit[:1] + hit[2:] for hit in old[5]] == [hit[:1] + hit[2:] for hit in new[5]], old[0]
        for (_, score, *_), (_, joined, *_) in zip(old[5], new[5]):
            assert math.isclose(score, joined, rel_tol=1e-9), old[0]


def joined_copy(folder: Path, to: Path) -> Index:
    shutil.copytree(folder, to)
    return Index.open(to)


def test_an_optimize_joins_a_parallel_build_into_one_segment_that_searches_the_same(
        bbc_index: Path, bbc_docs: Path, tmp_path: Path) -> None:
    records = [json.loads(line) for line in bbc_docs.read_text(encoding="utf-8").splitlines()]
    texts = query_texts(records, seed=2026, titles=160, short=80, sentences=60)
    with Index.open(bbc_index) as original:
        assert original.stats().segments == 2
        before = answers(original, texts)
        articles = {record["id"]: original.get(record["id"]) for record in records}
        timeline = original.timeline(["government", "film", "oil"], by="month")
        words = original.top_words("election", limit=30)
    with joined_copy(bbc_index, tmp_path / "joined") as index:
        generation = index.generation
        with index.batch(optimize=True):
            pass
        assert index.generation > generation and index.stats().segments == 1
        assert len(index) == len(records) and index.deleted_count == 0
        same(before, answers(index, texts))
        assert {article_id: index.get(article_id) for article_id in articles} == articles
        assert index.timeline(["government", "film", "oil"], by="month") == timeline
        assert index.top_words("election", limit=30) == words
        # (the near-duplicate groups carried over the commit: the hits above showed them)
        assert sum(1 for answer in before for hit in answer[5] if hit[4]) > 10
        assert any(index.duplicates_of(article_id) for article_id in list(articles)[:400])
    assert len(texts) > 300


def test_a_joined_reuters_index_searches_the_same(reuters_records, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    corpus = require_data("reuters21578", "reuters21578.jsonl")
    config = Config(index=tmp_path / "reuters", workers=2)
    update_index(config, [corpus])
    texts = query_texts(reuters_records, seed=7, titles=80, short=40, sentences=40)
    with Index.open(config.index, config) as original:
        assert original.stats().segments == 2
        before = answers(original, texts)
        with original.batch(optimize=True):
            pass
        assert original.stats().segments == 1
        same(before, answers(original, texts))


def test_every_kind_of_block_keeps_its_postings_when_moved(bbc_index: Path) -> None:
    # The first gap of Whoosh's tuples is rewritten in the pickle's bytes; the result
    # must be what unpickling, moving and pickling again gives.
    from whoosh.reading import SegmentReader

    with Index.open(bbc_index) as index:
        whoosh_index = index._ix
        segment = whoosh_index._segments()[1]
        reader = SegmentReader(whoosh_index.storage, whoosh_index.schema, segment)
        kinds = set()
        try:
            for _, info in list(reader._terms._tindex.items())[::7]:
                offset, length = postings._EXTENT.unpack_from(info, postings._TERM_INFO.size)
                data = reader._terms._postfile.get(offset, length)
                for block in joining._blocks(data, 0, True):
                    if len(block) <= 4:
                        continue
                    for base in (1, 300, 70_000):
                        moved = joining._moved(block, base)
                        compressed = block[postings._COMPRESSED_AT]
                        gaps, weights, values = _unpickled(block, compressed)
                        moved_gaps, moved_weights, moved_values = _unpickled(moved, compressed)
                        assert list(moved_gaps) == [gaps[0] + base, *gaps[1:]]
                        assert (moved_weights, _values(moved_values)) == (weights, _values(values))
                        last = postings._COUNT.unpack_from(block, postings._LAST_ID_AT)[0]
                        assert postings._COUNT.unpack_from(moved, postings._LAST_ID_AT)[0] == last + base
                        kinds.add((type(gaps).__name__, bool(compressed)))
        finally:
            reader.close()
    assert kinds == {("tuple", False), ("tuple", True), ("array", False)}


def _unpickled(block: bytes, compressed: int):  # type: ignore[no-untyped-def]
    import zlib

    data = block[postings._INFO_SIZE:]
    return pickle.loads(zlib.decompress(data) if compressed else data)


def _values(values):  # type: ignore[no-untyped-def]
    """A block's values as a list (positions packed together read one by one), or None."""
    return None if values is None else [values[n] for n in range(len(values))]


def test_an_optimize_with_deleted_articles_is_whooshs_and_the_deleted_stay_gone(bbc_docs: Path,
                                                                                tmp_path: Path) -> None:
    from searcher import Article

    records = [json.loads(line) for line in bbc_docs.read_text(encoding="utf-8").splitlines()[:300]]
    articles = [Article(id=r["id"], title=r["title"], body=r["body"]) for r in records]
    with Index.create(tmp_path / "ix") as index:
        index.add(articles[:150])
        index.add(articles[150:])
        with index.batch() as batch:
            batch.delete(articles[0].id)
        assert index.stats().segments == 2 and index.deleted_count == 1
        with index.batch(optimize=True):
            pass
        assert index.stats().segments == 1 and index.deleted_count == 0 and len(index) == 299
        assert index.get(articles[0].id) is None and index.get(articles[-1].id).title == articles[-1].title
        assert [hit.id for hit in index.search(articles[1].title, limit=1)] == [articles[1].id]


def test_joining_refuses_what_it_cannot_copy(bbc_index: Path) -> None:
    with Index.open(bbc_index) as index:
        whoosh_index = index._ix
        with pytest.raises(ValueError):
            joining.join_segments(whoosh_index.storage, whoosh_index.schema, whoosh_index.indexname,
                                  whoosh_index._segments()[:1])


def test_segments_the_join_cannot_copy_stay_as_they_are(bbc_docs: Path, tmp_path: Path) -> None:
    # A segment written by Whoosh's own writer has Whoosh's blocks: the optimizing
    # commit keeps both segments, every article is found, no file of the join is left.
    from whoosh.writing import SegmentWriter as WhooshWriter

    from searcher import Article
    from searcher.engine.schema import to_document

    records = [json.loads(line) for line in bbc_docs.read_text(encoding="utf-8").splitlines()[:200]]
    articles = [Article(id=r["id"], title=r["title"], body=r["body"]) for r in records]
    with Index.create(tmp_path / "ix") as index:
        index.add(articles[:100])
        with WhooshWriter(index._ix) as writer:
            for article in articles[100:]:
                writer.add_document(**to_document(article))
        assert index.stats().segments == 2
        files = {path.name for path in (tmp_path / "ix").iterdir()}
        with index.batch(optimize=True):
            pass
        assert index.stats().segments == 2 and len(index) == 200
        assert {path.name for path in (tmp_path / "ix").iterdir()} - files <= {"_MAIN_3.toc"}
        for article in articles[::20]:
            assert [hit.id for hit in index.search(article.title, limit=1)] == [article.id]


def test_an_optimize_of_a_sharded_index_keeps_its_near_duplicate_groups(bbc_docs: Path, tmp_path: Path) -> None:
    # The groups are the whole index's (in its folder, at the sum of the shards'
    # generations): an optimize of every shard changes no article, and no group.
    config = Config(index=tmp_path / "sharded", workers=2)
    update_index(config, [bbc_docs], shards=2)
    with Index.open(config.index, config) as index:
        ids = [json.loads(line)["id"] for line in bbc_docs.read_text(encoding="utf-8").splitlines()]
        groups = {article_id: index.duplicates_of(article_id) for article_id in ids}
        generation = index.generation
        with index.batch(optimize=True):
            pass
        assert index.generation > generation
        assert {article_id: index.duplicates_of(article_id) for article_id in ids} == groups
        assert sum(1 for found in groups.values() if found) > 20


def test_an_optimize_with_deletions_reads_the_postings_from_the_blocks_as_whoosh_does(
        bbc_docs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whoosh's optimize merges segments with deleted articles through add_reader, which
    read every term through a matcher; ours reads the blocks (postings.live_postings).
    The same postings, on segments of both writers' blocks, and the same merged index."""
    from searcher.engine import writing

    lines = bbc_docs.read_text(encoding="utf-8").splitlines()
    corpus = tmp_path / "bbc.jsonl"
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = Config(index=tmp_path / "ix", workers=2)
    update_index(config, [corpus])
    # Half replaced: the update merges away the dead (a parallel writer's merge, whose
    # segment Whoosh's own postings writer writes), then a ninth deleted.
    records = [json.loads(line) for line in lines]
    edited = [{**record, "body": record["body"] + " Corrected."} if number % 2 else record
              for number, record in enumerate(records)]
    corpus.write_text("".join(json.dumps(record) + "\n" for record in edited), encoding="utf-8")
    assert update_index(config, [corpus]).updated == len(records) // 2
    with Index.open(config.index, config) as index:
        assert index.deleted_count == 0
        with index.batch() as batch:
            for record in records[::9]:
                batch.delete(record["id"])
        reader = index._snapshot().searcher.reader()
        segments = [leaf for leaf, _ in reader.leaf_readers()]
        assert len(segments) > 1 and all(leaf.has_deletions() for leaf in segments)
        kinds = set()
        for leaf in segments:
            assert list(postings.live_postings(leaf)) == list(leaf.iter_postings())
            # (Ours hold their positions packed; Whoosh's writer, tuples even of COLUMNAR_FROM
            # postings or more, which ours never do.)
            kinds.update("ours" if type(values) is postings.PackedPositions else
                         "whoosh's" if type(gaps) is tuple and count >= postings.COLUMNAR_FROM else "small"
                         for fieldname in ("body", "title") for text in list(leaf.lexicon(fieldname))[::50]
                         for gaps, _, count, values in postings.term_blocks(leaf._terms, fieldname, text) or ())
        assert {"ours", "whoosh's"} <= kinds  # (the blocks of both writers)
    texts = query_texts(edited, seed=7, titles=60, short=30, sentences=20)
    merged = {}
    for way in ("blocks", "matchers"):
        if way == "matchers":
            monkeypatch.setattr(writing, "live_postings", lambda leaf: leaf.iter_postings())
        with joined_copy(config.index, tmp_path / way) as index:
            with index.batch(optimize=True):
                pass
            assert index.stats().segments == 1 and index.deleted_count == 0
            assert len(index) == len(records) - len(records[::9])
            leaf = index._snapshot().searcher.reader()
            merged[way] = (list(leaf.iter_postings()), list(leaf.iter_docs()), answers(index, texts))
    assert merged["blocks"] == merged["matchers"]
