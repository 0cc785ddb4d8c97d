"""Semantic ranking (`semantic:`): the numpy encoder, vectors kept with their articles,
and BM25 fused with the embeddings, on TIME's judged queries and BBC News.

The model is all-MiniLM-L6-v2 (conftest.model_folder); the tests skip without it, and
fail under .ci/run, which installs it.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from searcher import Index, SearcherError, read_corpus
from searcher.cli.commands import cli
from searcher.config import Config, load_config
from searcher.errors import ConfigError
from searcher.evaluation import evaluate, read_qrels, read_queries
from searcher.indexing.update import update_index

#: TIME's best baseline of the 55 development queries (FTS5, scripts/relevance.py), and
#: issue 21's bar: 0.03 above it on both measures.
FTS5_MAP, FTS5_NDCG = 0.671, 0.732


@pytest.fixture(scope="session")
def time_semantic(tmp_path_factory: pytest.TempPathFactory, time_docs: Path, model_folder: Path) -> Config:
    """TIME indexed with semantic: model (in two worker processes)."""
    folder = tmp_path_factory.mktemp("time-semantic")
    config = Config(index=folder / "index", semantic=model_folder, workers=2)
    update_index(config, [time_docs])
    return config


@pytest.fixture(scope="session")
def bbc_sample(tmp_path_factory: pytest.TempPathFactory, bbc_docs: Path) -> Path:
    """Every 15th article of BBC News (149, of its five categories), as JSON lines."""
    path = tmp_path_factory.mktemp("bbc-sample") / "bbc-149.jsonl"
    lines = bbc_docs.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[::15]), encoding="utf-8")
    return path


def mean(report, measure: str) -> float:  # type: ignore[no-untyped-def]
    return sum(query.measures[measure] for query in report.queries) / len(report.queries)


# -- the encoder ----------------------------------------------------------------------


def test_the_encoder_places_texts_by_meaning(model_folder: Path) -> None:
    from searcher.semantic.encoder import encoder

    model = encoder(str(model_folder))
    texts = ["Refugees flee the fighting in Idlib province",
             "Thousands of Syrians escape the bombing of Idlib",
             "Oil prices fall as OPEC ministers meet in Vienna"]
    vectors = model.embed(texts)
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.linalg.norm(vectors, axis=1) == pytest.approx([1, 1, 1], abs=1e-5)
    similar, unrelated = float(vectors[0] @ vectors[1]), float(vectors[0] @ vectors[2])
    assert similar > 0.5 > unrelated + 0.3, (similar, unrelated)
    # One at a time (no padding) and in a batch (padded to the longest): the same vectors.
    assert model.embed([texts[2]])[0] == pytest.approx(vectors[2], abs=1e-5)
    assert model.embed_query(texts[0]) == pytest.approx(vectors[0], abs=1e-6)


def test_an_article_is_cut_into_windows_of_200_word_pieces_that_cover_it(model_folder: Path, time_docs: Path) -> None:
    from searcher.semantic.encoder import encoder

    model = encoder(str(model_folder))
    record = json.loads(time_docs.read_text(encoding="utf-8").splitlines()[0])
    text = record["text"]
    windows, pieces = model.windows(text)
    assert len(windows) == len(pieces) > 2
    assert all(len(piece) == 200 for piece in pieces[:-1]) and 0 < len(pieces[-1]) <= 200
    assert windows[0].start == 0 and windows[-1].end == len(text.rstrip())
    assert all(a.end <= b.start for a, b in zip(windows, windows[1:]))
    vectors = model.embed_article(text)
    assert vectors.shape == (len(windows), 384)
    # The first window starts with the title; each window's vector is its own text's.
    assert vectors[1] == pytest.approx(model.embed([text[windows[1].start:windows[1].end]])[0], abs=1e-4)


# -- relevance: TIME's judged queries -------------------------------------------------


def test_semantic_ranking_leads_fts5_on_time_by_003(time_semantic: Config, time_docs: Path) -> None:
    """Issue 21's bar, on the 55 judged development queries: MAP and nDCG@10 at least
    0.03 above FTS5's; more queries better than without it than worse."""
    queries, qrels = read_queries(time_docs.parent / "queries.tsv"), read_qrels(time_docs.parent / "qrels.txt")
    with Index.open(time_semantic.index, time_semantic) as index:
        fused = evaluate(index, queries, qrels, limit=1000)
    with Index.open(time_semantic.index, replace(time_semantic, semantic=None)) as index:
        plain = evaluate(index, queries, qrels, limit=1000)
    assert len(fused.queries) == 55
    assert mean(fused, "map") >= FTS5_MAP + 0.03 and mean(fused, "ndcg@10") >= FTS5_NDCG + 0.03, \
        (mean(fused, "map"), mean(fused, "ndcg@10"))
    # Without `semantic:`, the same index ranks as an index without vectors (0.653, README).
    assert mean(plain, "map") == pytest.approx(0.653, abs=0.001)
    better = sum(1 for a, b in zip(fused.queries, plain.queries) if a.measures["map"] > b.measures["map"] + 1e-9)
    worse = sum(1 for a, b in zip(fused.queries, plain.queries) if a.measures["map"] < b.measures["map"] - 1e-9)
    assert better > worse, (better, worse)


def test_each_hit_says_how_it_was_ranked(time_semantic: Config) -> None:
    query = "KENNEDY ADMINISTRATION PRESSURE ON NGO DINH DIEM TO STOP SUPPRESSING THE BUDDHISTS"
    with Index.open(time_semantic.index, time_semantic) as index:
        results = index.search(query, limit=10, explain=True)
    with Index.open(time_semantic.index, replace(time_semantic, semantic=None)) as index:
        plain = index.search(query, limit=1000, passages=0, collapse=False)  # (the ranking fused: not collapsed)
    fused = [hit.semantic for hit in results]
    assert all(semantic is not None for semantic in fused)
    assert [semantic.fused for semantic in fused] == sorted((semantic.fused for semantic in fused), reverse=True)
    bm25_ranks = {hit.id: rank for rank, hit in enumerate(plain, start=1)}
    for hit in results:
        semantic = hit.semantic
        assert semantic.bm25_rank == bm25_ranks[hit.id]
        expected = (1 / (60 + semantic.bm25_rank) if semantic.bm25_rank else 0) + \
            (1 / (60 + semantic.similarity_rank) if semantic.similarity_rank else 0)
        assert semantic.fused == pytest.approx(expected)
        # The best window is a piece of the article, and it speaks of the query's subject.
        assert semantic.window_text and semantic.window_text in f"{hit.article.title}\n\n{hit.article.body}"
        assert 0 < semantic.similarity <= 1
    assert "DIEM" in results[0].article.body.upper() or "DIEM" in results[0].article.title.upper()
    # The similarity and its rank are the encoder's own: the best window's cosine with the query.
    from searcher.semantic.encoder import encoder, query_text

    model = encoder(str(time_semantic.semantic))
    vector = model.embed_query(query_text(query))
    for hit in results[:3]:
        windows = model.embed_article(f"{hit.article.title}\n\n{hit.article.body}" if hit.article.title
                                      else hit.article.body)
        assert hit.semantic.similarity == pytest.approx(float((windows @ vector).max()), abs=1e-4)
        assert hit.semantic.window == int((windows @ vector).argmax())
    ranked = sorted((hit for hit in results if hit.semantic.similarity_rank), key=lambda hit: hit.semantic.similarity_rank)
    assert [hit.semantic.similarity for hit in ranked] == sorted((hit.semantic.similarity for hit in ranked),
                                                                 reverse=True)
    assert plain.total == results.total  # the same matches, ranked otherwise


def test_the_command_explains_and_prints_the_ranks_as_json(time_semantic: Config, tmp_path: Path) -> None:
    config_file = tmp_path / "searcher.yaml"
    config_file.write_text(f"index: {time_semantic.index}\nsemantic:\n  model: {time_semantic.semantic}\n")
    runner = CliRunner()
    result = runner.invoke(cli, ["--config", str(config_file), "buddhist monks protest", "--explain"],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "fused 0.0" in result.output and "best window: " in result.output and "BM25 #" in result.output
    # A new user's trial: the heading said "(ranked by its words)", and the BM25 scores
    # shown looked out of order (11.41, 11.47, 11.43) with nothing to say why.
    plain = runner.invoke(cli, ["--config", str(config_file), "buddhist monks protest against diem government",
                                "--limit", "3"], catch_exceptions=False).output
    assert "(ranked by its words and their meaning)" in plain
    assert len(re.findall(r"score \d+\.\d\d \(BM25 (#\d+|deeper)( \+ similarity (#\d+|deeper))?\)", plain)) == 3, plain
    result = runner.invoke(cli, ["--config", str(config_file), "buddhist monks protest", "--json", "--limit", "3"],
                           catch_exceptions=False)
    hits = [json.loads(line) for line in result.output.splitlines()]
    assert len(hits) == 3
    for hit in hits:
        assert set(hit["semantic"]) >= {"fused", "bm25_rank", "similarity", "similarity_rank", "window"}
    assert [hit["semantic"]["fused"] for hit in hits] == sorted((h["semantic"]["fused"] for h in hits), reverse=True)


# -- vectors kept with their articles -------------------------------------------------


def test_an_incremental_run_embeds_only_new_and_changed_articles(tmp_path: Path, bbc_sample: Path,
                                                                model_folder: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from searcher.semantic import encoder as encoder_module

    embedded: list[str] = []
    original = encoder_module.Encoder.embed_article

    def counting(self, text: str):  # type: ignore[no-untyped-def]
        embedded.append(text)
        return original(self, text)

    monkeypatch.setattr(encoder_module.Encoder, "embed_article", counting)
    corpus = tmp_path / "news.jsonl"
    lines = bbc_sample.read_text(encoding="utf-8").splitlines()[:40]
    corpus.write_text("\n".join(lines) + "\n")
    config = Config(index=tmp_path / "index", semantic=model_folder, workers=1)
    assert update_index(config, [corpus]).added == 40
    assert len(embedded) == 40
    changed_query = "The central bank raised interest rates to fight inflation"
    with Index.open(config.index, config) as index:
        before = {hit.id: hit.semantic for hit in index.search(changed_query, limit=None, passages=0, collapse=False)}
    # One article changed, one new: two embedded, the rest keep their vectors.
    records = [json.loads(line) for line in lines]
    records[3]["body"] = changed_query + ". Economists expect rates to rise again next month."
    records.append({**records[5], "id": "new-1", "title": "Interest rates rise again"})
    corpus.write_text("".join(json.dumps(record) + "\n" for record in records))
    embedded.clear()
    report = update_index(config, [corpus])
    assert (report.added, report.updated, len(embedded)) == (1, 1, 2)
    with Index.open(config.index, config) as index:
        after = {hit.id: hit.semantic for hit in index.search(changed_query, limit=None, passages=0, collapse=False)}
    changed = records[3]["id"]
    assert after[changed].similarity > before[changed].similarity + 0.2
    assert after["new-1"].similarity > 0.2
    same = [article_id for article_id in before if article_id != changed]
    assert len(same) > 20 and all(after[i].similarity == before[i].similarity for i in same)


def test_another_model_or_none_is_never_mixed_with_the_vectors(tmp_path: Path, bbc_sample: Path,
                                                               model_folder: Path) -> None:
    import shutil

    from searcher.semantic.vectors import recorded

    config = Config(index=tmp_path / "index", semantic=model_folder, workers=1)
    update_index(config, [bbc_sample])
    assert recorded(config.index)["model"] == str(model_folder)
    with Index.open(config.index, config) as index:  # (a trial: only vectors.json said it)
        assert index.stats().semantic_model == str(model_folder)
    # Another model (here: the same weights, another configuration file): searching refuses,
    # and the next index run embeds every article again.
    other = tmp_path / "other-model"
    shutil.copytree(model_folder, other)
    (other / "config.json").write_text((other / "config.json").read_text().replace("0.02", "0.0200"))
    changed = replace(config, semantic=other)
    with Index.open(config.index, changed) as index, pytest.raises(SearcherError, match="was embedded with"):
        index.search("economy")
    with Index.open(config.index, changed) as index, pytest.raises(SearcherError, match="not embedded"):
        index.add([replace(next(read_corpus(bbc_sample)), id="x-1")])
    notices: list[str] = []
    from searcher.model import Progress

    class Notices(Progress):
        def notice(self, message: str) -> None:
            notices.append(message)

    report = update_index(changed, [bbc_sample], progress=Notices())
    assert report.added == 149 and any("embedded again" in notice for notice in notices), notices
    with Index.open(config.index, changed) as index:
        assert index.search("economy", limit=1)[0].semantic is not None
    # Articles added without `semantic:` have no vectors: the record goes, searching with
    # vectors says so until an index run embeds them.
    with Index.open(config.index, Config(index=config.index)) as index:
        index.add([replace(next(read_corpus(bbc_sample)), id="plain-1")])
    assert recorded(config.index) is None
    with Index.open(config.index, Config(index=config.index)) as index:
        assert index.stats().semantic_model is None
    with Index.open(config.index, changed) as index, pytest.raises(SearcherError, match="has no vectors"):
        index.search("economy")


def test_a_sharded_index_fuses_as_one_index(tmp_path: Path, bbc_sample: Path, model_folder: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The same hits, ranks, near-duplicates and passages as one index, also where each
    shard's rankings are cut (a depth of the results asked for, not 100)."""
    from searcher.semantic import fusion

    monkeypatch.setattr(fusion, "DEPTH", 3)
    # The sample, and a copy of a few articles under other ids (near-duplicates, shown once).
    records = [json.loads(line) for line in bbc_sample.read_text(encoding="utf-8").splitlines()]
    copies = [{**record, "id": record["id"] + "-copy"} for record in records if record["category"] == "business"][:4]
    corpus = tmp_path / "news.jsonl"
    corpus.write_text("".join(json.dumps(record) + "\n" for record in records + copies))
    config = Config(index=tmp_path / "one", semantic=model_folder)
    update_index(config, [corpus])
    update_index(replace(config, index=tmp_path / "sharded"), [corpus], shards=3)
    totals = []
    with Index.open(tmp_path / "one", config) as one, Index.open(tmp_path / "sharded", config) as sharded:
        assert len(sharded.shards or ()) == 3
        for query in ("economy growth", "mobile phones", "film awards ceremony", "the prime minister's plans",
                      "football", copies[0]["title"].lower()):
            for offset in (0, 5):
                expected = one.search(query, limit=5, passages=1, offset=offset)
                found = sharded.search(query, limit=5, passages=1, offset=offset)
                assert [(hit.rank, hit.id, hit.semantic, hit.passages, hit.duplicates) for hit in found] == \
                    [(hit.rank, hit.id, hit.semantic, hit.passages, hit.duplicates) for hit in expected], query
                assert found.total == expected.total
                totals.append(found.total)
        assert any(hit.duplicates for hit in one.search(copies[0]["title"].lower(), limit=5))
    assert max(totals) > 20  # (rankings cut at 5 and 10, deeper than a shard's share)


def test_similar_articles_by_meaning_share_the_category_more_often(tmp_path: Path, bbc_sample: Path,
                                                                    model_folder: Path) -> None:
    """`similar` on an index with vectors ranks by the articles' vectors: their 10 nearest
    share the article's category more often than its key terms' 10 best (on the whole of
    BBC News: 0.94 against 0.88, scripts/bench_semantic.py)."""
    records = [json.loads(line) for line in bbc_sample.read_text(encoding="utf-8").splitlines()]
    category = {record["id"]: record["category"] for record in records}
    config = Config(index=tmp_path / "index", semantic=model_folder, workers=1)
    update_index(config, [bbc_sample])
    shares: dict[str, list[float]] = {"meaning": [], "key terms": []}
    with Index.open(config.index, config) as by_meaning, \
            Index.open(config.index, replace(config, semantic=None)) as by_terms:
        for record in records[::3]:
            for name, index in (("meaning", by_meaning), ("key terms", by_terms)):
                results = index.similar(record["id"], 10, passages=0)
                assert len(results) == 10 and record["id"] not in {hit.id for hit in results}
                shares[name].append(sum(category[hit.id] == record["category"] for hit in results) / 10)
        first = by_meaning.similar(records[0]["id"], 10, passages=0)
        assert [hit.score for hit in first] == sorted((hit.score for hit in first), reverse=True)
        assert 0 < first[-1].score <= first[0].score <= 1  # cosine similarities
    meaning, terms = (sum(values) / len(values) for values in shares.values())
    assert meaning >= terms + 0.05, (meaning, terms)  # 0.82 against 0.69 when written


# -- configuration, and nothing without it ---------------------------------------------


def test_the_semantic_key_is_checked(tmp_path: Path, model_folder: Path) -> None:
    config_file = tmp_path / "searcher.yaml"
    config_file.write_text(f"semantic:\n  model: {model_folder}\n")
    assert load_config(config_file).semantic == model_folder
    for text, message in (("semantic:\n  modle: x\n", "unknown key"),
                          ("semantic: {}\n", "expected model"),
                          ("semantic:\n  model: nowhere\n", "not a sentence-transformers model folder")):
        config_file.write_text(text)
        with pytest.raises(ConfigError, match=message) as error:
            load_config(config_file)
        assert "searcher.yaml" in str(error.value)


def test_without_semantic_nothing_of_it_is_imported(sample_index: Path) -> None:
    code = ("import sys\nfrom searcher import Index\n"
            f"with Index.open({str(sample_index)!r}) as index:\n"
            "    hits = index.search('Idlib refugees')\n"
            "print(hits[0].semantic, sorted(m for m in sys.modules if m.startswith(('searcher.semantic', 'tokenizers',"
            " 'threadpoolctl'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "None []"
