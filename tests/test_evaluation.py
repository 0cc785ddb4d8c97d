"""Evaluation: trec_eval's measures, checked against pytrec_eval, and the ranking on TIME."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest
import pytrec_eval  # from pytrec_eval-terrier, in the [test] extra: trec_eval's own code
from click.testing import CliRunner

from searcher import Index, QueryError, evaluate
from searcher.cli.commands import cli
from searcher.evaluation import EvaluationInputError, read_qrels, read_queries, score_ranking, trec_order
from tests.conftest import require_data


# Our names -> trec_eval's.
TREC_NAMES = {"map": "map", "ndcg@10": "ndcg_cut_10", "p@10": "P_10", "recall@100": "recall_100", "mrr": "recip_rank"}


@pytest.fixture(scope="module")
def time_topics() -> tuple[dict[str, str], dict[str, dict[str, int]]]:
    return read_queries(require_data("time", "queries.tsv")), read_qrels(require_data("time", "qrels.txt"))


@pytest.fixture(scope="module")
def time_report(time_index: Path, time_topics):  # type: ignore[no-untyped-def]
    queries, qrels = time_topics
    with Index.open(time_index) as index:
        return evaluate(index, queries, qrels)


def trec_eval(qrels: dict[str, dict[str, int]], run: dict[str, list[tuple[str, float]]]) -> dict[str, dict[str, float]]:
    evaluator = pytrec_eval.RelevanceEvaluator(qrels, set(TREC_NAMES.values()))
    return evaluator.evaluate({qid: dict(ranking) for qid, ranking in run.items()})


def assert_same_as_trec_eval(per_query: dict[str, dict[str, float]], expected: dict[str, dict[str, float]]) -> None:
    assert set(per_query) == set(expected)
    for qid, measures in per_query.items():
        for ours, theirs in TREC_NAMES.items():
            assert measures[ours] == pytest.approx(expected[qid][theirs], abs=1e-9), (qid, ours)


def test_measures_equal_trec_eval_on_a_real_run(time_report, time_topics) -> None:  # type: ignore[no-untyped-def]
    _, qrels = time_topics
    assert len(time_report.queries) == 55 and time_report.unjudged == ("56", "59", "62", "72")
    expected = trec_eval(qrels, time_report.run)
    assert_same_as_trec_eval({q.qid: q.measures for q in time_report.queries}, expected)
    for ours, theirs in TREC_NAMES.items():
        mean = sum(values[theirs] for values in expected.values()) / len(expected)
        assert time_report.means[ours] == pytest.approx(mean, abs=1e-9)


def test_ties_are_broken_as_trec_eval_breaks_them(time_report, time_topics) -> None:  # type: ignore[no-untyped-def]
    # Scores rounded to whole numbers make many ties; trec_eval orders them by docid, descending.
    _, qrels = time_topics
    rounded = {qid: [(docid, float(round(score))) for docid, score in ranking] for qid, ranking in time_report.run.items()}
    assert sum(len(r) - len({s for _, s in r}) for r in rounded.values()) > 1000  # plenty of ties
    ours = {qid: score_ranking(trec_order(ranking), qrels[qid]) for qid, ranking in rounded.items()}
    assert_same_as_trec_eval(ours, trec_eval(qrels, rounded))
    # ...and a different tie order gives different figures, so the test can fail.
    ascending = {qid: score_ranking(sorted(r, key=lambda p: (-p[1], p[0])), qrels[qid]) for qid, r in rounded.items()}
    assert any(ascending[qid]["map"] != ours[qid]["map"] for qid in ours)


def test_graded_judgments_and_a_query_that_finds_nothing() -> None:
    qrels = {"1": {"a": 2, "b": 1, "c": 0, "d": 1}, "2": {"x": 1}}
    run = {"1": [("c", 3.0), ("a", 2.0), ("e", 1.5), ("d", 1.0)], "2": [("y", 1.0)]}
    ours = {qid: score_ranking(trec_order(ranking), qrels[qid]) for qid, ranking in run.items()}
    assert_same_as_trec_eval(ours, trec_eval(qrels, run))
    assert ours["2"] == {"map": 0.0, "ndcg@10": 0.0, "p@10": 0.0, "recall@100": 0.0, "mrr": 0.0}
    with pytest.raises(ValueError):
        score_ranking([("a", 1.0)], {"a": 0})  # no relevant document: no figures


def test_the_run_file_scores_the_same_with_trec_eval(time_report, time_topics, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, qrels = time_topics
    path = tmp_path / "searcher.run"
    with path.open("w") as out:
        time_report.write_run(out, tag="test")
    run: dict[str, dict[str, float]] = {}
    for line in path.read_text().splitlines():
        qid, q0, docid, rank, score, tag = line.split()
        assert q0 == "Q0" and tag == "test" and int(rank) == len(run.get(qid, {})) + 1
        run.setdefault(qid, {})[docid] = float(score)
    expected = pytrec_eval.RelevanceEvaluator(qrels, {"map"}).evaluate(run)
    assert {qid: values["map"] for qid, values in expected.items()} == pytest.approx(
        {q.qid: q.measures["map"] for q in time_report.queries})


def test_searcher_ranks_time_better_than_plain_whoosh(time_report, time_topics, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # The baseline of scripts/relevance.py: Whoosh's StemmingAnalyzer and BM25F, words OR-ed.
    from whoosh import analysis, fields, index, qparser

    queries, qrels = time_topics
    schema = fields.Schema(id=fields.ID(stored=True), body=fields.TEXT(analyzer=analysis.StemmingAnalyzer()))
    ix = index.create_in(str(tmp_path), schema)
    with ix.writer() as writer:
        for line in require_data("time", "docs.jsonl").read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            writer.add_document(id=record["id"], body=record["text"])
    parser = qparser.QueryParser("body", ix.schema, group=qparser.OrGroup)
    baseline = {}
    with ix.searcher() as searcher:
        for q in time_report.queries:
            found = searcher.search(parser.parse(" ".join(re.findall(r"\w+", queries[q.qid].lower()))), limit=1000)
            baseline[q.qid] = score_ranking(trec_order((hit["id"], hit.score) for hit in found), qrels[q.qid])
    for measure in ("map", "ndcg@10", "p@10"):
        plain = sum(values[measure] for values in baseline.values()) / len(baseline)
        assert time_report.means[measure] >= plain, measure
    assert time_report.means["map"] > 0.65 and time_report.means["ndcg@10"] > 0.72  # plain Whoosh: 0.613, 0.685


def test_the_first_passage_holds_the_most_query_terms(time_index: Path, bbc_index: Path, time_topics) -> None:  # type: ignore[no-untyped-def]
    queries, _ = time_topics
    lines = require_data("bbc", "bbc-news.jsonl").read_text(encoding="utf-8").splitlines()
    titles = [json.loads(line)["title"] for line in lines]
    runs = [(time_index, list(queries.values())), (bbc_index, random.Random(4).sample(titles, 60))]
    checked = 0
    for folder, texts in runs:
        with Index.open(folder) as index:
            for text in texts:
                for hit in index.search(text, limit=10, passages=10_000):
                    distinct = [len({span.term for span in passage.spans}) for passage in hit.passages]
                    if distinct and distinct[0]:
                        assert distinct[0] == max(distinct), (text, hit.id)
                        checked += 1
    assert checked > 500


def test_queries_files_tsv_and_trec_topics(tmp_path: Path) -> None:
    tsv = tmp_path / "q.tsv"
    tsv.write_text("# a comment\n1\tIdlib   refugees\n\n2\toil prices\n", encoding="utf-8")
    assert read_queries(tsv) == {"1": "Idlib refugees", "2": "oil prices"}
    topics = tmp_path / "topics.txt"
    topics.write_text(
        "<top>\n<num> Number: 301\n<title> International Organized Crime\n<desc> Description:\nIdentify...\n</top>\n"
        "<top>\n<num> Number: 302 <title> Poliomyelitis and Post-Polio\n<narr> Narrative: ...\n</top>\n",
        encoding="utf-8",
    )
    assert read_queries(topics) == {"301": "International Organized Crime", "302": "Poliomyelitis and Post-Polio"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("1\tfine\n2 no tab here\n", r"q\.tsv:2: expected `query id<TAB>query text`"),
        ("1\tone\n1\tagain\n", r"q\.tsv:2: query '1' appears twice"),
        ("", r"q\.tsv: no queries"),
    ],
)
def test_bad_queries_files_name_the_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "q.tsv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(EvaluationInputError, match=message):
        read_queries(path)


def test_bad_judgments_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "qrels"
    path.write_text("1 0 a 1\n1 0 b\n", encoding="utf-8")
    with pytest.raises(EvaluationInputError, match=r"qrels:2: expected `qid 0 docid grade`"):
        read_qrels(path)
    path.write_text("1 0 a yes\n", encoding="utf-8")
    with pytest.raises(EvaluationInputError, match=r"qrels:1: the grade 'yes'"):
        read_qrels(path)


def test_eval_command(time_index: Path, tmp_path: Path, time_report) -> None:  # type: ignore[no-untyped-def]
    queries, qrels = str(require_data("time", "queries.tsv")), str(require_data("time", "qrels.txt"))
    runner = CliRunner()
    run_file = tmp_path / "out.run"
    shown = runner.invoke(cli, ["eval", queries, qrels, "--index", str(time_index), "--run", str(run_file)])
    assert shown.exit_code == 0, shown.output
    assert "MAP" in shown.stdout and "nDCG@10" in shown.stdout and f"{time_report.means['map']:.4f}" in shown.stdout
    assert "55 queries" in shown.stdout
    assert len(run_file.read_text().splitlines()) == sum(len(r) for r in time_report.run.values())

    as_json = runner.invoke(cli, ["eval", queries, qrels, "--index", str(time_index), "--json", "--per-query"])
    lines = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert len(lines) == 56 and lines[-1]["map"] == pytest.approx(time_report.means["map"])
    assert lines[0]["qid"] == "1" and set(TREC_NAMES) <= set(lines[0])
    assert lines[-1]["not_in_index"] == [] and "warning" not in shown.stdout

    # Judgments of other ids (the collection's ordinal numbering): they scored MAP 0.01, unsaid.
    ordinal = str(require_data("time", "qrels_ordinal.txt"))
    other = runner.invoke(cli, ["eval", queries, ordinal, "--index", str(time_index)])
    assert other.exit_code == 0 and "relevant documents judged are not in the index" in other.stdout
    assert json.loads(runner.invoke(cli, ["eval", queries, ordinal, "--index", str(time_index), "--json"]
                                    ).stdout.splitlines()[-1])["not_in_index"]

    bad = runner.invoke(cli, ["eval", str(require_data("time", "docs.jsonl")), qrels, "--index", str(time_index)])
    assert bad.exit_code == 2 and "docs.jsonl:1: expected" in bad.stderr and "Traceback" not in bad.output


def test_scores_equal_in_32_bits_are_ties_as_in_trec_eval() -> None:
    qrels = {"1": {"b": 1}}
    run = {"1": [("a", 10.0000001), ("b", 10.0)]}  # one float32 value: a tie, broken by docid descending
    ours = {"1": score_ranking(trec_order(run["1"]), qrels["1"])}
    assert ours["1"]["map"] == 1.0
    assert_same_as_trec_eval(ours, trec_eval(qrels, run))


def test_byte_order_marks_and_missing_queries(time_index: Path, tmp_path: Path, time_topics) -> None:  # type: ignore[no-untyped-def]
    queries, qrels = time_topics
    tsv = tmp_path / "q.tsv"
    tsv.write_text("\ufeff1\t" + queries["1"] + "\n2\t" + queries["2"] + "\n", encoding="utf-8")
    assert list(read_queries(tsv)) == ["1", "2"]
    with Index.open(time_index) as index:
        report = evaluate(index, read_queries(tsv), qrels)
        assert [q.qid for q in report.queries] == ["1", "2"] and len(report.not_run) == 53
        with pytest.raises(EvaluationInputError, match="no query has a relevant document"):
            evaluate(index, {"999": "Kennedy"}, qrels)
        with pytest.raises(QueryError, match=r"query 1 \('\('\)"):
            evaluate(index, {"1": "("}, qrels)


def test_eval_command_errors_are_one_line(time_index: Path, tmp_path: Path) -> None:
    queries, qrels = str(require_data("time", "queries.tsv")), str(require_data("time", "qrels.txt"))
    runner = CliRunner()
    for args, message in [
        ([str(tmp_path / "missing.tsv"), qrels], "missing.tsv: no such file"),
        ([str(tmp_path), qrels], "Is a directory"),
        ([queries, qrels, "--run", str(tmp_path / "no" / "x.run")], "x.run: can't write the run file"),
    ]:
        result = runner.invoke(cli, ["eval", *args, "--index", str(time_index)])
        assert result.exit_code == 2 and message in result.stderr, result.output
        assert len(result.stderr.strip().splitlines()) == 1
    to_stdout = runner.invoke(cli, ["eval", queries, qrels, "--index", str(time_index), "--run", "-", "--json"])
    assert all(len(line.split()) == 6 for line in to_stdout.stdout.splitlines())  # only the run on stdout
    assert json.loads(to_stdout.stderr.strip().splitlines()[-1])["queries"] == 55


def test_the_levers_base_is_searchers_ranking(time_report) -> None:  # type: ignore[no-untyped-def]
    # scripts/relevance_levers.py scores each lever in memory against a plain BM25 that
    # stands for searcher's ranking: the README's table of levers holds only if it does.
    import subprocess
    import sys

    script = Path(__file__).resolve().parents[1] / "scripts" / "relevance_levers.py"
    done = subprocess.run([sys.executable, str(script), "--data", str(require_data("time"))],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    rows = {cells[1].strip(): [float(cell) for cell in cells[2:7]]
            for cells in (line.split("|") for line in done.stdout.splitlines() if line.startswith("| ") and "---" not in line)
            if cells[2].strip().replace(".", "").isdigit()}
    base = next(values for label, values in rows.items() if label.startswith("base:"))
    assert base[0] == pytest.approx(time_report.means["map"], abs=0.005)
    assert base[1] == pytest.approx(time_report.means["ndcg@10"], abs=0.005)
    # What the README's table says of them: each loses MAP against the base.
    for model in ("BM25+, delta 0.5", "BM25L, delta 0.5", "query likelihood, Dirichlet mu 1000", "idf: Whoosh's log(N/(df+1))+1"):
        assert model in rows and 0.3 < rows[model][0] < base[0] - 0.02, model
