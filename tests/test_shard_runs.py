"""Index runs on a sharded index, and every command's answer from it.

`searcher index --shards N` makes each shard's part of the corpus with a run of its own
(indexing/shards.py). A run after that is incremental shard by shard: only the shards
whose articles changed commit. The near-duplicate groups are found over the whole
index, so they may span shards. Built from Reuters (604 groups) in 4 shards, the index
answers every command as one index of the same articles does: the same ids, in the
same order, with the same scores (to 1e-9), the same near-duplicates shown once, the
same counts, facets, timelines, key words, similar articles and exports.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from searcher import Filters, Index, SearcherError
from searcher.config import Config, load_config
from searcher.engine.folder import shard_of
from searcher.indexing.update import update_index

from .conftest import require_data
from .test_query_engine import bench_queries

SHAPES = ["oil OR gas", "coffee -brazil", '"interest rates" bank', "title:gold", "econom* growth",
          "the central bank said on monday it would cut interest rates", "opec", "ussr grain", "zzyzx"]


def write_wire(path: Path, count: int, changed: dict[int, str] | None = None) -> None:
    changed = changed or {}
    path.write_text("".join(json.dumps({"id": f"w{n}", "title": f"Story {n}", "body": changed.get(n, f"oil {n}")}) + "\n"
                            for n in range(count)), encoding="utf-8")


def generations(folder: Path) -> list[int]:
    with Index.open(folder) as index:
        return [shard.generation for shard in index.shards or ()]


def test_index_runs_on_a_sharded_index_write_only_the_shards_that_changed(tmp_path: Path) -> None:
    corpus = tmp_path / "wire.jsonl"
    write_wire(corpus, 40)
    with corpus.open("a", encoding="utf-8") as out:
        out.write("{not json\n")
    config = Config(index=tmp_path / "ix")
    report = update_index(config, [corpus], shards=3)
    assert report.added == 40 and [problem.line for problem in report.problems] == [41]  # (said once, not a shard)
    with Index.open(config.index) as index:
        assert [len(shard) for shard in index.shards or ()] == [
            sum(1 for n in range(40) if shard_of(f"w{n}", 3) == number) for number in range(3)]
        assert index.stats().corpus == (str(corpus),)
    before = generations(config.index)
    assert update_index(config, [corpus]).unchanged == 40 and generations(config.index) == before
    # One article changed: its shard commits, the others are left alone.
    write_wire(corpus, 40, {7: "gold and silver"})
    report = update_index(config, [corpus])
    assert (report.added, report.updated, report.removed, report.unchanged) == (0, 1, 0, 39)
    after = generations(config.index)
    home = shard_of("w7", 3)
    assert [after[n] > before[n] for n in range(3)] == [n == home for n in range(3)]
    with Index.open(config.index) as index:
        assert [hit.id for hit in index.search("gold")] == ["w7"]
    # Articles gone from the corpus leave their shards.
    write_wire(corpus, 30, {7: "gold and silver"})
    assert update_index(config, [corpus]).removed == 10
    with Index.open(config.index) as index:
        assert len(index) == 30
    # Another shard count is a rebuild, asked for.
    with pytest.raises(SearcherError, match="has 3 shards, not 2"):
        update_index(config, [corpus], shards=2)
    assert update_index(config, [corpus], shards=2, rebuild=True).added == 30
    with Index.open(config.index) as index:
        assert len(index.shards or ()) == 2 and len(index) == 30
    with pytest.raises(SearcherError, match="has 2 shards, not 1"):
        update_index(config, [corpus], shards=1)
    # A rebuild with no corpus named indexes the one indexed before; with none known, it
    # says so before it touches the index.
    assert update_index(config, None, shards=4, rebuild=True).added == 30
    bare = Config(index=tmp_path / "bare")
    from searcher import Article, CorpusError

    with Index.create(bare.index, shards=2) as index:
        index.add([Article(id=f"a{n}", title="Oil", body="Oil prices rose.") for n in range(5)])
    with pytest.raises(CorpusError, match="no corpus to index"):
        update_index(bare, None, shards=3, rebuild=True)
    with Index.open(bare.index) as index:
        assert len(index) == 5 and len(index.shards or ()) == 2


@pytest.fixture(scope="module")
def reuters_sharded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Reuters in 4 shards, with the configuration of the one index (tests/conftest.py)."""
    from .conftest import REUTERS_CONFIG

    folder = tmp_path_factory.mktemp("reuters-sharded")
    config_path = folder / "searcher.yaml"
    config_path.write_text(REUTERS_CONFIG + f"index: {folder / 'index'}\n", encoding="utf-8")
    update_index(load_config(config_path), [require_data("reuters21578", "reuters21578.jsonl")], shards=4)
    return config_path


def reuters_queries(records: list[dict]) -> list[str]:
    return bench_queries([{"title": record["title"], "body": record["body"]} for record in records], 2026) + SHAPES


def assert_same_answers(one: Index, sharded: Index, queries: list[str]) -> None:
    """Every command's answer from `sharded` is the one from `one`."""
    topics = Filters.parse(category=["crude", "nat-gas"])
    for query in queries:
        for filters in (None, topics):
            expected = one.search(query, limit=10, passages=1, filters=filters, facets=("category", "place"))
            found = sharded.search(query, limit=10, passages=1, filters=filters, facets=("category", "place"))
            what = (query, filters)
            assert (found.total, found.every_word, found.matched, found.facets, found.suggestion) == \
                (expected.total, expected.every_word, expected.matched, expected.facets, expected.suggestion), what
            if "*" not in query:  # (a wildcard's words are each shard's: the query as shown is one shard's)
                assert found.query == expected.query
            assert [(hit.rank, hit.id, hit.matched, set(hit.duplicates)) for hit in found] == \
                [(hit.rank, hit.id, hit.matched, set(hit.duplicates)) for hit in expected], what
            assert [hit.score for hit in found] == pytest.approx([hit.score for hit in expected], rel=1e-9), what
            assert [(hit.title, hit.passages) for hit in found] == [(hit.title, hit.passages) for hit in expected]
    for query in queries[::10]:
        assert sharded.timeline([query], "month") == one.timeline([query], "month"), query
        assert sharded.timeline([query], "year", per="category", top=3) == \
            one.timeline([query], "year", per="category", top=3), query
        assert sharded.top_words(query, 10) == one.top_words(query, 10), query
        count, hits = one.matches(query, sort="newest")
        sharded_count, sharded_hits = sharded.matches(query, sort="newest")
        assert sharded_count == count and [hit.id for hit in sharded_hits] == [hit.id for hit in hits], query


def test_a_sharded_reuters_answers_every_command_as_one_index(reuters_sharded: Path, reuters_config: Path,
                                                             reuters_records: list[dict]) -> None:
    with Index.open(config=load_config(reuters_config)) as one, \
            Index.open(config=load_config(reuters_sharded)) as sharded:
        assert len(sharded.shards or ()) == 4 and len(sharded) == len(one) == len(reuters_records)
        grouped = [record["id"] for record in reuters_records if one.duplicates_of(record["id"])]
        assert len(grouped) > 1000  # (Reuters' 604 groups: some span shards)
        assert [sorted(sharded.duplicates_of(article_id)) for article_id in grouped] == \
            [sorted(one.duplicates_of(article_id)) for article_id in grouped]
        assert any(shard_of(article_id, 4) != shard_of(sharded.duplicates_of(article_id)[0], 4)
                   for article_id in grouped)
        assert_same_answers(one, sharded, reuters_queries(reuters_records))
        for record in reuters_records[::400]:
            expected, found = one.similar(record["id"]), sharded.similar(record["id"])
            assert [(hit.id, set(hit.duplicates)) for hit in found] == [(hit.id, set(hit.duplicates)) for hit in expected]
            assert [hit.score for hit in found] == pytest.approx([hit.score for hit in expected], rel=1e-9)
        stats = sharded.stats()
        assert stats.articles == len(one) and stats.corpus == one.stats().corpus
        assert (stats.shards, one.stats().shards) == (4, 1)  # (a trial: only searcher-index.json said it)
        assert sharded.get(reuters_records[5]["id"]) == one.get(reuters_records[5]["id"])


def test_a_sharded_index_with_empty_shards_keeps_its_reading_session(tmp_path: Path) -> None:
    """An empty shard's searcher never says it is up to date (Whoosh's empty reader has no
    generation): the index reopened every shard on every call, closing the readers of the
    call before (`similar` failed with ReaderClosed)."""
    from searcher import Article

    articles = [Article(id=f"a{n}", title=f"Oil and gas {n}", body="Oil prices rose. Gas prices fell.")
                for n in range(3)]
    with Index.create(tmp_path / "ix", shards=8) as index:
        index.add(articles)
        assert sum(1 for shard in index.shards or () if len(shard) == 0) >= 5
        assert index._snapshots() is index._snapshots() or \
            all(a is b for a, b in zip(index._snapshots(), index._snapshots()))
        similar = index.similar("a0")
        assert similar is not None and {hit.id for hit in similar} == {"a1", "a2"}
