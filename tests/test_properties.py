"""Property-based tests (hypothesis): no query string and no file content makes searcher
fail in any way but a clear QueryError or a reported Problem.

Bounded so that the suite stays fast: a few hundred examples each, no deadline.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from searcher import Article, Index, Problem, QueryError, read_corpus

# derandomize: the same examples on every run, so that CI fails for a change, not for luck
# (turn it off by hand to explore further).
BOUNDED = settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])

# Pieces of query syntax, right and wrong, for queries that look like what people type.
SYNTAX = [
    '"', "(", ")", "[", "]", "{", "}", "*", "?", "~", "~2", "^2", ":", "-", "+", "AND", "OR", "NOT", "TO",
    "title:", "body:", "date:", "id:", "nope:", "http://example.com/a?b=c", "date:2016..2015", "date:2017-13-45",
    "[a TO b]", "{z TO a}", "date:[2017 TO 2016]", "idlib", "Idlíb", "refugees", "oil", "the", "\\", "/", "'", "\x00",
    "\u200b", "\u202e", "🙂", "ﷺ", "\n", "\t", "  ",
]


@pytest.fixture(scope="module")
def news(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("properties")
    with Index.create(folder / "ix") as index:
        index.add([
            Article(id="n1", title="Idlib braces for assault", body="Refugees flee the city. Oil prices rose."),
            Article(id="n2", title="Aid reaches Idlíb", body="Convoys brought food.", categories=("world",)),
            Article(id="n3", title="Football results", body="The derby was lost.", categories=("sport",)),
        ])
    with Index.open(folder / "ix") as index:
        yield index


def search_raises_nothing_but_a_query_error(index: Index, query: str) -> None:
    """What the query fuzz tests check: any query gives results, or a QueryError with a
    message to show; no other exception escapes (it would be a traceback). The results
    are checked to be of the index, and no more than the count says."""
    try:
        results = index.search(query, limit=3)
    except QueryError as error:
        assert str(error).strip()
        return
    assert results.total >= len(results)
    for hit in results:
        assert hit.id in {"n1", "n2", "n3"}


@BOUNDED
@given(st.text(max_size=200))
def test_any_text_raises_nothing_but_a_query_error(news: Index, query: str) -> None:
    search_raises_nothing_but_a_query_error(news, query)


@BOUNDED
@given(st.lists(st.one_of(st.sampled_from(SYNTAX), st.text(max_size=4)), max_size=12).map(" ".join))
def test_query_syntax_fragments_raise_nothing_but_a_query_error(news: Index, query: str) -> None:
    search_raises_nothing_but_a_query_error(news, query)


@BOUNDED
@given(st.lists(st.sampled_from(SYNTAX), max_size=12).map("".join))
def test_query_syntax_run_together_raises_nothing_but_a_query_error(news: Index, query: str) -> None:
    search_raises_nothing_but_a_query_error(news, query)


@pytest.mark.parametrize("query", ["x" * 10_000, "oil " * 2_500, "(" * 5_000, '"' * 3_333, "*", "?", "-oil", "NOT"])
def test_long_and_lone_queries(news: Index, query: str) -> None:
    search_raises_nothing_but_a_query_error(news, query)


# -- corpus readers ---------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
RECORDS = st.dictionaries(st.sampled_from(["id", "title", "body", "date", "category", "dateline", "x"]), JSON_VALUES,
                          max_size=6)


def read_bytes_as(name: str, data: bytes) -> tuple[list[Article], list[Problem]]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        problems: list[Problem] = []
        articles = list(read_corpus(path, on_problem=problems.append))
    for problem in problems:
        assert problem.path.endswith(name) and problem.message
    for article in articles:
        assert article.id and (article.title or article.body)
    return articles, problems


@BOUNDED
@given(st.binary(max_size=3000), st.sampled_from(["a.jsonl", "a.csv", "a.tsv", "a.txt"]))
def test_any_bytes_are_articles_or_problems(data: bytes, name: str) -> None:
    read_bytes_as(name, data)


@BOUNDED
@given(st.lists(st.one_of(RECORDS, JSON_VALUES), max_size=8))
def test_any_json_values_as_lines_are_articles_or_problems(values: list[object]) -> None:
    lines = [json.dumps(value) for value in values]
    articles, problems = read_bytes_as("feed.jsonl", "\n".join(lines).encode("utf-8"))
    # Every line is an article or a problem (or blank, or a record with no text).
    assert len(articles) <= len(lines)
    assert all(article.line is not None and 1 <= article.line <= len(lines) for article in articles)


@BOUNDED
@given(st.lists(st.lists(st.text(max_size=10), max_size=5), max_size=8))
def test_any_csv_rows_are_articles_or_problems(rows: list[list[str]]) -> None:
    text = "id,title,body\n" + "\n".join(",".join(row) for row in rows)
    read_bytes_as("feed.csv", text.encode("utf-8"))


def test_a_bug_in_our_own_query_code_is_not_called_the_users_fault(news: Index, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only errors raised inside Whoosh's parser become QueryErrors; ours keep their traceback."""
    from searcher.search import query

    def broken(self, parser, match):  # type: ignore[no-untyped-def]
        raise AttributeError("a bug of ours")

    monkeypatch.setattr(query.DatePlugin, "create", broken, raising=True)
    with pytest.raises(AttributeError, match="a bug of ours"):
        news.search("oil date:1987")
