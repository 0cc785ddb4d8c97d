"""Sharding: a shard given the statistics of the whole collection scores as one index of it,
ties fall the same way in every build, and a sharded index searches as one index.

BM25 reads three things of the collection: the article count, each term's document
frequency, each field's average length. Split BBC News into three shards by a stable
hash of the id, give each shard the sum of the three shards' statistics, and every
article matches and scores in its shard as it does in one index of all BBC; with each
shard's own statistics, most queries score differently.
"""

from __future__ import annotations

import json
import math
import re
import os
import subprocess
import sys
import zlib
from dataclasses import replace
from pathlib import Path

import pytest

from searcher import Filters, Index
from searcher.config import Config
from searcher.engine.folder import shard_of
from searcher.engine.schema import order_key
from searcher.engine.scoring import CollectionStatistics
from searcher.indexing.update import update_index

from .test_query_engine import bench_queries

SHARDS = 3
# Queries of other shapes than bench_queries' titles and words: OR, NOT, phrases,
# fields, wildcards, a long sentence (ranked), a name with variants.
SHAPES = ["oil OR gas", "chelsea -mourinho", '"prime minister" election', "title:rugby england",
          "econom* growth", "the government said on tuesday that it would raise taxes on fuel next year",
          "blair brown", "source:bbc music", "film award*", "mobile phone -apple",
          "Blunkett~2", "goverment~ tax", "anounced~", "blackground~ music"]


@pytest.fixture(scope="module")
def shards(tmp_path_factory: pytest.TempPathFactory, bbc_docs: Path) -> list[Path]:
    folder = tmp_path_factory.mktemp("bbc-shards")
    lines: list[list[str]] = [[] for _ in range(SHARDS)]
    for line in bbc_docs.read_text(encoding="utf-8").splitlines():
        if line.strip():
            lines[zlib.crc32(json.loads(line)["id"].encode("utf-8")) % SHARDS].append(line)
    paths = []
    for number, part in enumerate(lines):
        corpus = folder / f"part-{number}.jsonl"
        corpus.write_text("\n".join(part) + "\n", encoding="utf-8")
        index = folder / f"shard-{number}"
        update_index(Config(index=index), [corpus])
        paths.append(index)
    return paths


def scores_of(indexes: list[Index], query: str) -> dict[str, float]:
    found: dict[str, float] = {}
    for index in indexes:
        results = index.search(query, limit=None, passages=0, collapse=False)
        found.update((hit.id, hit.score) for hit in results)
    return found


def test_shards_given_the_whole_statistics_score_as_one_index(shards: list[Path], bbc_index: Path,
                                                              bbc_docs: Path) -> None:
    records = [json.loads(line) for line in bbc_docs.read_text(encoding="utf-8").splitlines() if line.strip()]
    queries = bench_queries(records, 2026) + SHAPES
    parts = []
    for path in shards:
        with Index.open(path) as shard:
            parts.append(shard.statistics())
    whole = CollectionStatistics.combined(parts)
    with Index.open(bbc_index) as one:
        assert whole.articles == one.statistics().articles == len(records)
        assert whole.field_lengths == one.statistics().field_lengths
        assert whole.frequencies == one.statistics().frequencies
        given = [Index.open(path, statistics=whole) for path in shards]
        alone = [Index.open(path) for path in shards]
        try:
            differing = 0
            for query in queries:
                expected = scores_of([one], query)
                found = scores_of(given, query)
                assert found.keys() == expected.keys(), query
                for article_id, score in expected.items():
                    assert math.isclose(found[article_id], score, rel_tol=1e-9), (query, article_id)
                own = scores_of(alone, query)
                differing += any(not math.isclose(own[key], score, rel_tol=1e-9) for key, score in expected.items())
            # (The test can fail: each shard's own statistics score otherwise.)
            assert differing > 0.9 * len(queries)
            # --explain's parts come from Whoosh's own scorers: the same statistics reach them.
            for query in SHAPES:
                for hit in one.search(query, limit=3, passages=0, explain=True, collapse=False):
                    shard = given[zlib.crc32(hit.id.encode("utf-8")) % SHARDS]
                    same = {found.id: found for found in shard.search(query, limit=3, passages=0, explain=True,
                                                                      collapse=False)}[hit.id]
                    assert [(part.field, part.term) for part in same.contributions] == \
                        [(part.field, part.term) for part in hit.contributions], (query, hit.id)
                    assert [part.score for part in same.contributions] == \
                        pytest.approx([part.score for part in hit.contributions], rel=1e-9), (query, hit.id)
        finally:
            for index in given + alone:
                index.close()


def test_ties_fall_the_same_way_in_every_build(shards: list[Path], bbc_index: Path, bbc_docs: Path,
                                               tmp_path: Path) -> None:
    """Equal scores are ordered by schema.order_key (a hash of the id), not by article
    number: an index built by one process, one built by two (bbc_index), and the three
    shards merged (all words first, then by score and that key) rank every query's
    matches alike."""
    records = [json.loads(line) for line in bbc_docs.read_text(encoding="utf-8").splitlines() if line.strip()]
    queries = bench_queries(records, 2026) + SHAPES + ["*", "category:sport", "source:bbc"]
    update_index(Config(index=tmp_path / "serial", workers=1), [bbc_docs])
    parts = []
    for path in shards:
        with Index.open(path) as shard:
            parts.append(shard.statistics())
    whole = CollectionStatistics.combined(parts)
    given = [Index.open(path, statistics=whole) for path in shards]
    try:
        with Index.open(bbc_index) as parallel, Index.open(tmp_path / "serial") as serial:
            tied = 0
            for query in queries:
                sort = "newest" if query == "*" else "relevance"
                results = parallel.search(query, limit=None, passages=0, collapse=False, sort=sort)
                expected = [(hit.id, hit.score) for hit in results]
                assert [(hit.id, hit.score) for hit in serial.search(query, limit=None, passages=0, collapse=False,
                                                                     sort=sort)] == expected, query
                tied += len(expected) - len({score for _, score in expected})
                if sort == "relevance":
                    # (a short query's articles with every word first: Hit.matched)
                    tiered = results.matched == "tiered"
                    merged = sorted((hit for shard in given
                                     for hit in shard.search(query, limit=None, passages=0, collapse=False)),
                                    key=lambda hit: (tiered and hit.matched == "some", -hit.score, order_key(hit.id)))
                    assert [hit.id for hit in merged] == [item[0] for item in expected], query
            assert tied > 1000  # (ties there are: filters score alike, and copies of a story too)
    finally:
        for index in given:
            index.close()


def test_a_sharded_index_searches_as_one_index(tmp_path: Path, bbc_docs: Path) -> None:
    """Index.create(shards=3) keeps each article in the shard its id hashes to, and a
    search of it gives what one index of the same articles gives: the same ids in the
    same order with the same scores, totals, facets and passages."""
    from searcher import read_corpus

    records = [json.loads(line) for line in bbc_docs.read_text(encoding="utf-8").splitlines() if line.strip()]
    queries = bench_queries(records, 2026) + SHAPES + ["*", "category:sport", "zzyzx"]
    with Index.create(tmp_path / "one") as one, Index.create(tmp_path / "sharded", shards=3) as sharded:
        one.add(read_corpus(bbc_docs))
        report = sharded.add(read_corpus(bbc_docs))
        assert report.added == len(one) == len(sharded) == len(records)
        assert [len(shard) for shard in sharded.shards] == [
            sum(1 for record in records if shard_of(record["id"], 3) == number) for number in range(3)]
        assert sharded.get(records[7]["id"]) == one.get(records[7]["id"])
        for query in queries:
            for all_words in (False, True):
                expected = one.search(query, limit=10, passages=2, collapse=False, all_words=all_words,
                                      facets=("source", "category"))
                found = sharded.search(query, limit=10, passages=2, collapse=False, all_words=all_words,
                                       facets=("source", "category"))
                assert (found.total, found.every_word, found.matched, found.facets) == \
                    (expected.total, expected.every_word, expected.matched, expected.facets), query
                assert [(hit.rank, hit.id, hit.matched) for hit in found] == \
                    [(hit.rank, hit.id, hit.matched) for hit in expected], query
                assert [hit.score for hit in found] == pytest.approx([hit.score for hit in expected], rel=1e-9), query
                assert [hit.passages for hit in found] == [hit.passages for hit in expected], query
            second = sharded.search(query, limit=10, passages=1, offset=10)
            assert [(hit.rank, hit.id, hit.passages) for hit in second] == \
                [(hit.rank, hit.id, hit.passages) for hit in one.search(query, limit=10, passages=1, offset=10)], query
        # Every match in order (an export), keyword in context, and what an empty result says.
        for query in queries[:40] + SHAPES:
            for sort in ("relevance", "newest"):
                count, hits = one.matches(query, sort=sort)
                sharded_count, sharded_hits = sharded.matches(query, sort=sort)
                assert sharded_count == count and [(hit.rank, hit.id) for hit in sharded_hits] == \
                    [(hit.rank, hit.id) for hit in hits], (query, sort)
            if query not in ("*", "category:sport"):
                assert list(sharded.concordance(query, limit=5)) == list(one.concordance(query, limit=5)), query
        sport = Filters.parse(category=["sprot"], since="2030-01-01")
        assert sharded.nothing_found("zzyzx", sport) == one.nothing_found("zzyzx", sport)
        assert "closest: sport" in one.nothing_found("zzyzx", sport)
        # A sharded index reopens its shards, and their statistics, when one has changed.
        sharded.add([replace(next(read_corpus(bbc_docs)), id="new-1", title="Zzyzx Road")])
        assert sharded.search("zzyzx").total == 1 and len(sharded) == len(records) + 1


def test_a_sharded_index_is_never_lost_nor_written_under_a_writer(tmp_path: Path) -> None:
    """A missing shard is damage, not "no index" (a run would build one over the others);
    Index.create waits for a sharded batch as it does for an index's."""
    from searcher import SearcherError, read_corpus
    from searcher.errors import IndexFormatError, IndexLockedError

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "wire.jsonl").write_text("".join(json.dumps({"id": f"w{n}", "title": f"Story {n}", "body": f"oil {n}"}) + "\n"
                                               for n in range(30)), encoding="utf-8")
    folder = tmp_path / "sharded"
    with Index.create(folder, shards=3) as index:
        index.add(read_corpus(corpus))
    # (Another process holds a batch: write locks are the process's, as POSIX locks are.)
    holder = subprocess.Popen([sys.executable, "-c", "import sys; from searcher import Index\n"
                               f"with Index.open({str(folder)!r}) as index, index.batch():\n"
                               "    print('holding', flush=True); sys.stdin.read()"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        with pytest.raises(IndexLockedError):
            Index.create(folder, Config(lock_wait=0.2), shards=2)
    finally:
        holder.communicate("", timeout=60)
    with Index.open(folder) as index:
        assert len(index) == 30
    for name in os.listdir(folder / "shard-002"):
        os.unlink(folder / "shard-002" / name)
    os.rmdir(folder / "shard-002")
    with pytest.raises(IndexFormatError, match="damaged: its shard-002 is missing"):
        Index.open(folder)
    with pytest.raises(SearcherError):  # (never "no index yet": nothing is built over the shards)
        update_index(Config(index=folder), [corpus])
    with pytest.raises(IndexFormatError):
        Index.open_or_build(Config(index=folder, corpus=(corpus,)))
    assert (folder / "shard-000").is_dir() and not list(folder.glob("*MAIN*"))


def test_did_you_mean_on_a_sharded_index_never_replaces_a_word_it_has(tmp_path: Path, bbc_docs: Path) -> None:
    """Each shard knows only its words: a word one article has is in one shard only, and
    the others would "correct" it. A sharded index corrects only the words no shard has."""
    from collections import Counter

    from searcher import read_corpus

    records = [json.loads(line) for line in bbc_docs.read_text(encoding="utf-8").splitlines() if line.strip()]
    counts = Counter(word for record in records for word in {w.lower() for w in re.findall(r"[A-Za-z]+", record["body"])}
                     if len(word) > 5)
    rare = sorted(word for word, count in counts.items() if count == 1)[:60]
    with Index.create(tmp_path / "one") as one, Index.create(tmp_path / "sharded", shards=3) as sharded:
        one.add(read_corpus(bbc_docs))
        sharded.add(read_corpus(bbc_docs))
        for word in rare:
            expected = one.search(f"oil {word}", passages=0)
            found = sharded.search(f"oil {word}", passages=0)
            assert expected.suggestion is None and found.suggestion is None, word
        # A word no article has is corrected as one index corrects it: with the nearest,
        # then commonest word of all the shards, though only one shard may write it.
        assert sharded.search("electon campaign", passages=0).suggestion == \
            one.search("electon campaign", passages=0).suggestion == "election campaign"
        typos = [word[:2] + word[3] + word[2] + word[4:] for word in rare if word[2] != word[3]]
        suggested = 0
        for typo in typos:
            expected = one.search(f"oil {typo}", passages=0).suggestion
            assert sharded.search(f"oil {typo}", passages=0).suggestion == expected, typo
            suggested += expected is not None
        assert suggested > 20


def test_an_empty_shard_says_nothing_of_what_was_searched(tmp_path: Path) -> None:
    """Results.matched and Results.query come from a shard with articles."""
    from searcher import Article

    ids = [f"a{n}" for n in range(200) if shard_of(f"a{n}", 3) != 0][:5]
    articles = [Article(id=article_id, title=f"Oil and gas {n}", body="Oil prices rose. Economists said so.")
                for n, article_id in enumerate(ids)]
    with Index.create(tmp_path / "one") as one, Index.create(tmp_path / "sharded", shards=3) as sharded:
        one.add(articles)
        sharded.add(articles)
        assert len(sharded.shards[0]) == 0
        for query, all_words in (("oil gas", False), ("oil zzyzx", True), ("econom*", False)):
            expected = one.search(query, all_words=all_words)
            found = sharded.search(query, all_words=all_words)
            assert (found.matched, found.query, found.total) == (expected.matched, expected.query, expected.total)
