"""`searcher serve` through Starlette's test client: the API answers as the library does,
each endpoint and each error, the page's links keep the whole state, article text is
escaped, the Host and token checks, and a commit seen without a restart.

(The page in a real browser: test_browser.py. The server as a command: test_serve_command.)
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import urllib.request
from html import unescape
from pathlib import Path
from typing import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

pytest.importorskip("starlette", reason="searcher serve needs the web extra: pip install '.[web]'")

from starlette.testclient import TestClient  # noqa: E402

from searcher import Article, Filters, Index  # noqa: E402
from searcher.config import Config, load_config  # noqa: E402
from searcher.render import article_to_dict, key_term_to_dict, results_to_dict, timeline_rows  # noqa: E402
from searcher.web.app import make_app  # noqa: E402
from searcher.web.library import Library  # noqa: E402
from searcher.web.params import FACETS  # noqa: E402

BASE = "http://127.0.0.1:8080"


@pytest.fixture(scope="module")
def reuters_web(reuters_config: Path) -> Iterator[tuple[TestClient, Index]]:
    config = load_config(reuters_config)
    library = Library(config)
    with TestClient(make_app(library), base_url=BASE) as client, Index.open(config=config) as index:
        yield client, index
    library.close()


SEARCHES = [
    ("opec oil prices", {}),
    ("opec oil prices", {"category": "crude"}),
    ("coffee", {"since": "1987-03", "until": "1987-03", "sort": "newest"}),
    ("coffee", {"page": "3", "limit": "7"}),
    ("title:cocoa", {"place": "ivory-coast", "passages": "1"}),
    ("crude -opec", {"all_words": "1", "facets": "category"}),
    ("grain wheat", {"collapse": "0", "explain": "1"}),
    ("petroleom", {"auto_correct": "1"}),
    ("zzyzx qqqq", {}),
    ("", {"category": "gold"}),
]


@pytest.mark.parametrize("query, params", SEARCHES)
def test_the_search_api_answers_what_the_library_does(reuters_web: tuple[TestClient, Index], query: str,
                                                      params: dict[str, str]) -> None:
    client, index = reuters_web
    answer = client.get("/api/v1/search", params={"q": query, **params})
    assert answer.status_code == 200, answer.text
    data = answer.json()
    limit, page = int(params.get("limit", 10)), int(params.get("page", 1))
    facets = tuple(params["facets"].split(",")) if "facets" in params else FACETS
    filters = Filters.parse(source=[], category=[params["category"]] if "category" in params else [],
                            place=[params["place"]] if "place" in params else [], since=params.get("since"),
                            until=params.get("until"))
    expected = index.search(query or "*", limit=limit, passages=int(params["passages"]) if "passages" in params
                            else None, filters=filters, sort=params.get("sort", "relevance"), facets=facets,
                            auto_correct="auto_correct" in params, explain="explain" in params,
                            collapse="collapse" not in params, all_words=True if "all_words" in params else None,
                            offset=(page - 1) * limit)
    assert data == {**results_to_dict(expected), "page": page, "limit": limit}
    if query == "opec oil prices" and not params:
        assert data["matched"] == "tiered" and data["every_word"] < data["total"]
        assert data["hits"][0]["matched"] == "all" and "opec" in data["hits"][0]["passages"][0]["text"].lower()
    if query == "petroleom":
        assert data["corrected_from"] == "petroleom" and data["suggestion"] == "petroleum" and data["hits"]
    if page == 3:
        assert [hit["rank"] for hit in data["hits"]] == list(range(15, 22))


def test_each_endpoint_answers_what_the_library_does(reuters_web: tuple[TestClient, Index]) -> None:
    client, index = reuters_web
    first = index.search("cocoa", limit=1)[0]
    answer = client.get(f"/api/v1/articles/{first.id}")
    assert answer.status_code == 200
    assert answer.json() == article_to_dict(index.get(first.id), index.duplicates_of(first.id))
    grouped = next(hit for hit in index.search("oil", limit=100) if hit.duplicates)
    assert client.get(f"/api/v1/articles/{grouped.id}").json()["duplicates"]

    similar = client.get(f"/api/v1/similar/{first.id}", params={"limit": 5}).json()
    assert [hit["id"] for hit in similar["hits"]] == [hit.id for hit in index.similar(first.id, 5)]

    rows = client.get("/api/v1/timeline", params=[("q", "coffee"), ("q", "cocoa"), ("by", "month")]).json()
    assert rows == {"by": "month", "per": None, "rows": timeline_rows(index.timeline(["coffee", "cocoa"], "month"))}
    assert {row["query"] for row in rows["rows"]} == {"coffee", "cocoa"}
    per = client.get("/api/v1/timeline", params={"q": "oil", "per": "place", "by": "year"}).json()
    assert per["per"] == "place" and per["rows"] == timeline_rows(index.timeline(["oil"], "year", per="place"))
    auto = client.get("/api/v1/timeline", params={"q": "coffee"}).json()
    assert auto["by"] == "week"  # (Reuters spans 1987's spring: the finest period with at most 60 bars)

    words = client.get("/api/v1/words", params={"q": "coffee", "limit": 5}).json()
    expected = index.top_words("coffee", 5)
    assert words["matches"] == expected.matches and words["words"] == [key_term_to_dict(t) for t in expected.terms]

    assert client.get("/api/v1/stats").json() == index.stats().to_dict()
    assert client.get("/api/v1/health").json() == {"status": "ok", "articles": len(index),
                                                   "generation": index.generation}
    description = client.get("/api/v1/openapi.json").json()
    assert description["openapi"].startswith("3.") and "/api/v1/search" in description["paths"]
    documentation = client.get("/api")
    assert documentation.status_code == 200 and "/api/v1/timeline" in documentation.text


def test_a_long_request_is_logged_shortened(reuters_web: tuple[TestClient, Index],
                                            caplog: pytest.LogCaptureFixture) -> None:
    client, _ = reuters_web
    with caplog.at_level("INFO", logger="searcher.serve"):
        assert client.get("/api/v1/search", params={"q": "oil " * 5_000}).status_code == 400
    [line] = [record.getMessage() for record in caplog.records if record.name == "searcher.serve"]
    path = "/api/v1/search?q=" + "oil+" * 5_000
    assert f'"GET {path[:300]}... ({len(path):,} characters)" 400' in line and len(line) < 400


@pytest.mark.parametrize("method, url, status, words", [
    ("GET", "/api/v1/search?q=refugees+titel:Idlib", 400, "unknown field 'titel' at position 9"),
    ("GET", "/api/v1/search?q=oil&limit=1000", 400, "limit must be between 1 and 100, not 1000"),
    ("GET", "/api/v1/search?q=oil&limit=ten", 400, "limit must be a whole number, not 'ten'"),
    ("GET", "/api/v1/search?q=" + "x" * 1001, 400, "q is 1,001 characters long; at most 1,000 are searched"),
    ("GET", "/api/v1/search?q=oil&since=19x", 400, "since: invalid date '19x'"),
    ("GET", "/api/v1/search?q=oil&page=1001", 400, "page 1001 at 10 a page goes past the first 10,000 articles"),
    ("GET", "/api/v1/search?q=oil&sort=best", 400, "sort must be one of relevance, newest, oldest, not 'best'"),
    ("GET", "/api/v1/search?q=oil&facets=colour", 400, "unknown facet 'colour'"),
    ("GET", "/api/v1/search", 400, "missing query"),
    ("GET", "/api/v1/search?q=oil&catgory=crude", 400, "unknown parameter 'catgory' (did you mean category?)"),
    ("GET", "/api/v1/words?q=oil&limt=5", 400, "unknown parameter 'limt' (did you mean limit?)"),
    ("GET", "/api/v1/similar/1?zzz=1", 400, "unknown parameter 'zzz' (this endpoint takes: limit, passages)"),
    # (A new user's trial: these three took any parameter; a repeated q searched its last value;
    # a query that is not UTF-8 searched "caf" for "café" in Latin-1.)
    ("GET", "/api/v1/articles/17230?lmit=1", 400, "unknown parameter 'lmit' (this endpoint takes: none)"),
    ("GET", "/api/v1/stats?foo=1", 400, "unknown parameter 'foo' (this endpoint takes: none)"),
    ("GET", "/api/v1/health?x=1", 400, "unknown parameter 'x' (this endpoint takes: none)"),
    ("GET", "/api/v1/search?q=coffee&q=tea", 400, "q is given 2 different values ('coffee', 'tea'): give it once"),
    ("GET", "/api/v1/search?q=caf%e9", 400, "q is not valid UTF-8"),
    ("GET", "/api/v1/timeline?q=oil&by=decade", 400, "by must be one of auto, day, week, month, year"),
    ("GET", "/api/v1/articles/no-such-id", 404, "no article with id 'no-such-id'"),
    ("GET", "/api/v1/similar/no-such-id", 404, "no article with id 'no-such-id'"),
    ("GET", "/api/v1/nothing-here", 404, "nothing at /api/v1/nothing-here"),
    ("POST", "/api/v1/search?q=oil", 405, "POST is not served: only GET"),
    ("DELETE", "/api/v1/articles/1", 405, "DELETE is not served"),
])
def test_each_error_is_json_with_its_status_and_the_command_lines_words(
        reuters_web: tuple[TestClient, Index], method: str, url: str, status: int, words: str) -> None:
    client, _ = reuters_web
    answer = client.request(method, url)
    assert answer.status_code == status
    body = answer.json()
    assert body["status"] == status and words in body["error"], body
    assert "Traceback" not in answer.text
    if "titel" in url:
        assert body["position"] == 9
    if "limit=1000" in url:
        assert body["parameter"] == "limit"
    if "catgory" in url:
        assert body["parameter"] == "catgory"
    if "since=19x" in url:  # (named as the API names it: it has no --since)
        assert body["parameter"] == "since" and body["error"].startswith("since: ")


def test_the_page_keeps_the_whole_state_in_its_links(reuters_web: tuple[TestClient, Index]) -> None:
    client, index = reuters_web
    page = client.get("/", params={"q": "opec oil prices", "category": "crude"})
    assert page.status_code == 200
    html = page.text
    total = int(re.search(r'id="count" data-total="(\d+)"', html).group(1))
    expected = index.search("opec oil prices", filters=Filters.parse(category=["crude"]))
    assert total == expected.total
    assert [unescape(found) for found in re.findall(r'<li class="hit" data-id="([^"]+)"', html)] == \
        [hit.id for hit in expected]
    assert "<mark>OPEC</mark>" in html or "<mark>Opec</mark>" in html
    # A place in the facets' column adds its filter, keeping the query and the category.
    place_link = unescape(re.search(r'data-facet="place">.*?<a href="([^"]+)"', html, re.S).group(1))
    asked = parse_qs(urlsplit(place_link).query)
    assert asked["q"] == ["opec oil prices"] and asked["category"] == ["crude"] and len(asked["place"]) == 1
    narrowed = client.get(place_link).text
    both = Filters.parse(category=["crude"], place=asked["place"])
    assert int(re.search(r'data-total="(\d+)"', narrowed).group(1)) == index.search("opec oil prices",
                                                                                    filters=both).total
    # Its count is that of the articles it leads to: the place's among the results.
    place_count = re.search(r'data-facet="place">.*?<a href="[^"]+">[^<]+</a> <span class="n">([\d,]+)', html, re.S)
    assert int(place_count.group(1).replace(",", "")) == index.search("opec oil prices", filters=both).total
    # The category, which the search filters on, counts each value without that filter:
    # another category adds its articles to crude's (the values of a facet are any of them).
    categories = re.search(r'data-facet="category">(.*?)</section>', html, re.S).group(1)
    shown = {unescape(value): (unescape(href), int(count.replace(",", ""))) for href, value, count in
             re.findall(r'<a href="([^"]+)">([^<]+)</a> <span class="n">([\d,]+)', categories)}
    assert shown["crude"][1] == expected.total
    other, (href, count) = next((value, link) for value, link in shown.items() if value != "crude")
    assert count == index.search("opec oil prices", filters=Filters.parse(category=[other])).total
    within = index.search("opec oil prices", filters=Filters.parse(category=["crude"]), facets=["category"])
    assert count > next(one.count for one in within.facets["category"] if one.value == other)  # (the old count)
    either = client.get(href).text
    assert int(re.search(r'data-total="(\d+)"', either).group(1)) == \
        index.search("opec oil prices", filters=Filters.parse(category=["crude", other])).total
    # Each bar of the timeline is the search within its period, as many matches as it says.
    bars = re.findall(r'<a href="([^"]+)" class="period" data-period="([^"]+)" data-matches="(\d+)"', html)
    drawn = index.timeline(["opec oil prices"], "week", filters=Filters.parse(category=["crude"]))
    assert [(label, int(count)) for _, label, count in bars] == \
        [(bucket.label, bucket.matches) for bucket in drawn.series[0].buckets]
    href, label, count = max(bars, key=lambda bar: int(bar[2]))
    within = client.get(unescape(href)).text
    assert int(re.search(r'data-total="(\d+)"', within).group(1)) == int(count)
    assert "Dates: " in within and "All dates" in within
    monthly = unescape(re.search(r'<a href="([^"]+)">month</a>', html).group(1))
    assert parse_qs(urlsplit(monthly).query)["by"] == ["month"]
    assert 'id="timeline" data-by="month"' in client.get(monthly).text
    # The next page goes on where this one ends.
    following = client.get(unescape(re.search(r'id="next" href="([^"]+)"', html).group(1))).text
    assert re.search(r'<ol class="hits" id="hits" start="11">', following)
    # An article's page: its whole text, and the articles like it.
    first = expected[0]
    article = client.get(f"/articles/{first.id}").text
    assert unescape(re.search(r"<h1>(.*?)</h1>", article).group(1)) == first.article.title
    assert first.article.body.split("\n")[0].strip()[:60] in unescape(article)
    assert 'id="similar"' in article
    # Its paragraphs as the wire wrote them: Reuters wraps lines at 65 characters and
    # indents each paragraph (the page had a paragraph a line).
    shown = [unescape(text) for text in re.findall(r"<p>(.*?)</p>", article, re.S)]
    wire = [" ".join(part.split()) for part in re.split(r"\n(?=[ \t]+\S)", first.article.body) if part.strip()]
    assert len(first.article.body.split("\n")) > len(wire) > 1  # (wrapped lines)
    # (the first after the dateline: "belgium – OPEC believes ...")
    assert all(any(text.endswith(part) for text in shown) for part in wire), (shown, wire)
    assert client.get("/articles/no-such-id").status_code == 404


def test_explain_on_the_page_shows_what_each_term_gave_each_hit(reuters_web: tuple[TestClient, Index]) -> None:
    # explain=1 was read and passed to the search, and the page showed nothing of it.
    client, index = reuters_web
    html = client.get("/", params={"q": "opec oil prices", "explain": "1"}).text
    expected = index.search("opec oil prices", explain=True)
    assert unescape(re.search(r'<p class="explain" id="searched">Searched as: (.*?)</p>', html).group(1)) == expected.query
    shown = [unescape(line) for line in re.findall(r'<p class="explain">(score .*?)</p>', html)]
    assert len(shown) == len(expected) and len(expected) == 10
    for line, hit in zip(shown, expected):
        assert line.startswith(f"score {hit.score:.2f} = ")
        parts = line.split(" = ", 1)[1].split(" + ")
        assert [part for part in parts if not part.startswith("other ")] == \
            [f"{c.field}:{c.term} {c.score:.2f}" for c in hit.contributions]
        assert abs(sum(float(part.rsplit(" ", 1)[1]) for part in parts) - hit.score) < 0.05
    # The state is in the links (the next page explains too), and without it, nothing is shown.
    following = unescape(re.search(r'id="next" href="([^"]+)"', html).group(1))
    assert parse_qs(urlsplit(following).query)["explain"] == ["1"]
    assert 'class="explain"' not in client.get("/", params={"q": "opec oil prices"}).text


def test_a_bad_parameter_is_said_on_the_page(reuters_web: tuple[TestClient, Index]) -> None:
    client, _ = reuters_web
    page = client.get("/", params={"q": "oil", "since": "1987-13"})
    # (Named as the page names it: the web has no --since.)
    assert page.status_code == 400 and 'class="error"' in page.text and "since: invalid date" in page.text
    assert "--since" not in page.text
    # The form keeps what was asked: the query, the filters and the dates that read.
    page = client.get("/", params={"q": "oil", "category": "crude", "since": "1987-13", "until": "1987-06",
                                   "sort": "newest", "limit": "500"})
    assert page.status_code == 400 and '<input' in page.text and 'value="oil"' in page.text
    assert 'value="crude"' in page.text or "Category: crude" in page.text
    assert 'value="1987-06-30"' in page.text and '<option value="newest" selected>' in page.text
    page = client.get("/", params={"q": "refugees titel:Idlib"})
    assert page.status_code == 400 and "unknown field &#39;titel&#39; at position 9" in page.text
    page = client.get("/?q=caf%e9")
    assert page.status_code == 400 and "q is not valid UTF-8" in page.text
    # (A review: a value with U+FFFD itself is UTF-8, which the readers put in texts, and
    # the page ignores a parameter it doesn't read; a repeated q keeps the page, box empty.)
    assert client.get("/?q=caf%EF%BF%BD").status_code == 200
    assert client.get("/?q=coffee&utm=%e9").status_code == 200
    page = client.get("/?q=coffee&q=tea&category=coffee")
    assert page.status_code == 400 and "q is given 2 different values" in page.text and 'name="category"' in page.text
    assert client.get("/").status_code == 200  # (the empty search box)


def test_the_page_offers_only_the_periods_its_timeline_can_draw(tmp_path: Path) -> None:
    """Articles 30 years apart are more days than a timeline draws (news.timeline.MAX_BUCKETS):
    a new user's trial followed the page's own "Per day" link to a 400 page without hits."""
    import datetime as dt

    with Index.create(tmp_path / "ix") as index:
        index.add([Article(id=str(year), title=f"Floods of {year}", body="The river flooded the town.",
                           date=dt.datetime(year, 5, 1)) for year in (1990, 2005, 2020)])
    library = Library(Config(index=tmp_path / "ix"))
    with TestClient(make_app(library), base_url=BASE) as client:
        page = client.get("/", params={"q": "floods"}).text
        periods = re.search(r'<span class="periods">(.*?)</span>', page, re.S)
        assert periods and "year" in periods[1] and "month" in periods[1] and "day" not in periods[1], page
        asked = client.get("/", params={"q": "floods", "by": "day"})  # (typed in the address)
        assert asked.status_code == 200 and asked.text.count('class="hit"') == 3
        assert re.search(r'id="timeline" data-by="(year|month)"', asked.text)
    library.close()


def test_dates_too_far_apart_to_draw_leave_the_hits_on_the_page(tmp_path: Path) -> None:
    """A new user's trial: one article dated in year 2 made every search of the page a 400
    ("... by month is more than 5,000 periods"), though the API found the hits; by=year
    said "by month" too. Now the page draws years when months are too many, and shows its
    hits without a timeline, saying why, when years are too many as well."""
    import datetime as dt

    def served(years: tuple[int, ...], name: str) -> tuple[TestClient, Library]:
        with Index.create(tmp_path / name) as index:
            index.add([Article(id=str(year), title=f"Refugees of {year}", body="Refugees crossed the river.",
                               date=dt.datetime(year, 5, 1)) for year in years])
        library = Library(Config(index=tmp_path / name))
        return TestClient(make_app(library), base_url=BASE), library

    client, library = served((2, 2016, 9000), "far")
    with client:
        for by in ("auto", "day", "month", "year"):
            page = client.get("/", params={"q": "refugees", "by": by})
            assert page.status_code == 200 and page.text.count('class="hit"') == 3, (by, page.text)
            note = re.search(r'id="no-timeline">(.*?)</p>', page.text)
            assert note and "0002-05-01 to 9000-05-01 by year is more than 5,000 periods" in note[1], by
            assert 'id="timeline"' not in page.text
        answer = client.get("/api/v1/timeline", params={"q": "refugees", "by": "year"})
        assert answer.status_code == 400 and "by year is more than" in answer.json()["error"]
    library.close()
    client, library = served((1066, 2016), "historic")
    with client:
        page = client.get("/", params={"q": "refugees"})
        assert page.status_code == 200 and 'id="timeline" data-by="year"' in page.text
        assert page.text.count('class="period"') == 2016 - 1066 + 1
        assert client.get("/", params={"q": "refugees", "by": "day"}).text.count('class="period"') == 951
    library.close()


def test_article_text_is_always_escaped(tmp_path: Path) -> None:
    with Index.create(tmp_path / "ix") as index:
        index.add([Article(id="x<1>", title="<b>Idlib</b> <script>alert('title')</script>",
                           body="Refugees in Idlib. <script>alert('body')</script> <img src=x onerror=alert(1)>",
                           source="<i>Wire</i>", url="javascript:alert(1)"),
                   Article(id="y", title="Idlib", body="Idlib.", url="https://example.org/a?b=1&c=<2>")])
    library = Library(Config(index=tmp_path / "ix"))
    with TestClient(make_app(library), base_url=BASE) as client:
        for url in ("/?q=idlib", "/articles/x%3C1%3E"):
            html = client.get(url).text
            assert "<script>alert" not in html and "<img src=x" not in html and "<b>Idlib" not in html, url
            assert "&lt;script&gt;alert(" in html and "&lt;i&gt;Wire&lt;/i&gt;" in html, url
        assert "<mark>Idlib</mark>" in client.get("/?q=idlib").text
        page = client.get("/articles/x%3C1%3E").text  # (a url that would run when clicked is not a link)
        assert 'href="javascript:' not in page and "javascript:alert(1)" in page
        assert 'href="https://example.org/a?b=1&amp;c=&lt;2&gt;"' in client.get("/articles/y").text
        hits = {hit["id"]: hit for hit in client.get("/api/v1/search?q=idlib").json()["hits"]}
        assert hits["x<1>"]["title"].startswith("<b>Idlib</b>")  # (JSON holds the text as it is)
    library.close()


def test_the_host_header_and_the_token_are_checked(reuters_web: tuple[TestClient, Index],
                                                   reuters_config: Path) -> None:
    client, _ = reuters_web
    refused = client.get("/api/v1/health", headers={"Host": "attacker.example:8080"})
    assert refused.status_code == 400 and "does not serve the site 'attacker.example'" in refused.json()["error"]
    assert client.get("/api/v1/health", headers={"Host": "localhost:8080"}).status_code == 200
    library = Library(load_config(reuters_config))
    with TestClient(make_app(library, token="s3cret"), base_url=BASE) as guarded:
        assert guarded.get("/api/v1/health").status_code == 401
        assert guarded.get("/", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert guarded.get("/api/v1/health", headers={"Authorization": "Bearer s3cret"}).status_code == 200
        # A browser can't send a Bearer header: the page asks it for the token as a password.
        asked = guarded.get("/?q=oil")
        assert asked.status_code == 401 and asked.headers["WWW-Authenticate"].startswith("Basic realm=")
        assert guarded.get("/api/v1/health").headers["WWW-Authenticate"] == "Bearer"
        assert guarded.get("/?q=oil", auth=("anyone", "s3cret")).status_code == 200
        assert guarded.get("/?q=oil", auth=("anyone", "wrong")).status_code == 401
        assert guarded.get("/", headers={"Authorization": "Basic !!notbase64"}).status_code == 401
    library.close()


def test_an_index_that_is_not_there_is_503_and_a_commit_is_seen_without_a_restart(tmp_path: Path) -> None:
    library = Library(Config(index=tmp_path / "ix"))
    with TestClient(make_app(library), base_url=BASE, raise_server_exceptions=False) as client:
        missing = client.get("/api/v1/search?q=zebra")
        assert missing.status_code == 503 and "no index" in missing.json()["error"].lower()
        assert client.get("/?q=zebra").status_code == 503
        with Index.create(tmp_path / "ix") as index:
            index.add([Article(id="a", title="Horses", body="A horse.")])
        assert client.get("/api/v1/search?q=zebra").json()["total"] == 0
        with Index.open(tmp_path / "ix") as index:  # (another writer: as `searcher index` would)
            index.add([Article(id="b", title="Zebras", body="A zebra crossing.")])
        assert [hit["id"] for hit in client.get("/api/v1/search?q=zebra").json()["hits"]] == ["b"]
        assert client.get("/api/v1/health").json()["articles"] == 2
        # The folder taken away while served (a new user's trial: "a bug", 500, and a
        # health check that still said ok): 503 everywhere, and back when it is back.
        (tmp_path / "ix").rename(tmp_path / "moved")
        for url in ("/api/v1/search?q=zebra", "/api/v1/health", "/?q=zebra"):
            gone = client.get(url)
            assert gone.status_code == 503 and "no index at" in gone.text and "bug" not in gone.text, url
        (tmp_path / "moved").rename(tmp_path / "ix")
        assert client.get("/api/v1/health").json()["articles"] == 2
    library.close()


def test_the_serve_command_prints_its_address_logs_each_request_and_stops_on_ctrl_c(sample_index: Path) -> None:
    script = Path(sys.executable).with_name("searcher")
    server = subprocess.Popen([str(script), "serve", "--index", str(sample_index), "--port", "0"],
                              stderr=subprocess.PIPE, text=True, env={**os.environ, "SEARCHER_TOKEN": ""})
    try:
        first = server.stderr.readline()
        address = re.search(r"on (http://127\.0\.0\.1:\d+)", first)
        assert address and f"Serving {sample_index.name} (1 article) on" in first, first
        with urllib.request.urlopen(f"{address.group(1)}/api/v1/search?q=Idlib+refugees", timeout=30) as answer:
            assert b"Moscow Wants Entire Aleppo" in answer.read()
        logged = server.stderr.readline()
        assert '"GET /api/v1/search?q=Idlib+refugees" 200' in logged, logged
    finally:
        server.send_signal(signal.SIGINT)
        rest = server.communicate(timeout=30)[1]
    assert server.returncode == 0 and rest.strip().endswith("Stopped."), rest
