"""Filters, date order, facets, timeline, top words, concordance and export, on Reuters-21578 and BBC News.

Every count is checked against one made here, independently, from the JSON lines file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from searcher import Index
from searcher.cli.commands import cli
from searcher.config import load_config
from searcher.dates import parse_date
from searcher.indexing.update import update_index
from searcher.search.filters import Filters

def reuters_date(record: dict) -> dt.datetime | None:
    try:
        return parse_date(record["date"])
    except ValueError:
        return None


def in_month(record: dict, year: int, month: int) -> bool:
    date = reuters_date(record)
    return date is not None and (date.year, date.month) == (year, month)


def run(config: Path, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["--config", str(config), *args])


def reuters_count(config: Path, query: str) -> int:
    with Index.open(config=load_config(config)) as index:
        return index.matches(query)[0]


# -- exact counts -----------------------------------------------------------------------


def test_coffee_in_march_1987_counts_agree_everywhere(reuters, reuters_config, reuters_records) -> None:
    expected = {r["id"] for r in reuters_records if "coffee" in r["topics"] and in_month(r, 1987, 3)}
    assert len(expected) > 50
    march = Filters.parse(since="1987-03", until="1987-03")

    # a filter, a facet, the query language, a timeline bucket and an export
    in_march = reuters.search("*", limit=None, passages=0, collapse=False,
                              filters=Filters.parse(category=["coffee"], since="1987-03", until="1987-03"))
    assert {hit.id for hit in in_march} == expected
    facets = reuters.search("*", filters=march, facets=["category"]).facets["category"]
    assert dict((f.value, f.count) for f in facets)["coffee"] == len(expected)
    assert reuters.search("category:coffee date:1987-03").total == len(expected)
    chart = reuters.timeline(["*"], "month", filters=Filters.parse(category=["coffee"]))
    assert {b.label: b.matches for b in chart.series[0].buckets}["1987-03"] == len(expected)
    # One value, or one query, may be a string (a new user's trial: "crude" was c, r, u, d, e).
    assert Filters.parse(category="coffee", place="brazil") == Filters.parse(category=["coffee"], place=["brazil"])
    assert reuters.timeline("*", "month", filters=Filters.parse(category="coffee")) == chart
    assert reuters.search("*", filters=march, facets="category").facets == {"category": facets}

    exported = run(reuters_config, "export", "*", "--category", "coffee", "--since", "1987-03", "--until",
                   "1987-03", "--format", "csv", "--fields", "id,date,categories")
    assert exported.exit_code == 0, exported.output
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert {row["id"] for row in rows} == expected
    assert all("coffee" in row["categories"].split("; ") and row["date"].startswith("1987-03") for row in rows)


def test_us_finds_the_united_states_not_every_use(reuters, reuters_records) -> None:
    """Porter stems "use", "used", "using" and "useful" to "us", the term of "U.S.": a
    search for U.S. found 5,778 articles, 1,234 of them with no U.S. at all ("WEST GERMAN
    TAPIOCA USE SEEN DECLINING", a new user's trial). Every match now says US, U.S. or us."""
    by_id = {record["id"]: record for record in reuters_records}
    said = re.compile(r"(?<![\w.])u\.?s(?![\w'’]|\.\w)", re.IGNORECASE)  # (U.S., US, us; not U.S.A., USDA)
    total, hits = reuters.matches("U.S.")
    found = {hit.id for hit in hits}
    assert total == len(found) > 4000
    assert not [article_id for article_id in found
                if not said.search(by_id[article_id]["title"] + " " + by_id[article_id]["body"])]
    assert "17380" not in found and "17380" in {hit.id for hit in reuters.matches("use")[1]}
    # The words of use are one term still: "using" finds "used" and "useful".
    hit = reuters.search("used cars", limit=1)[0]
    assert hit.id == "17508" and "U.S. BOUGHT 16.5 MLN USED CARS" in hit.title.text
    assert reuters.matches("using")[0] == reuters.matches("useful")[0] == reuters.matches("use")[0]


def test_stats_say_the_dates_the_archive_spans(reuters, reuters_records) -> None:
    # The days of the JSON lines' dates, as written ("26-FEB-1987 15:01:01.79"); a time that
    # is no time ("605:12:19.12") leaves its article undated.
    days, undated = [], 0
    for record in reuters_records:
        found = re.match(r"\s*(\d{1,2})-([A-Z]{3})-(\d{4})\s+([0-2]\d):([0-5]\d):([0-5]\d)", record["date"])
        if found is None:
            undated += 1
            continue
        month = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"].index(found[2]) + 1
        days.append(dt.date(int(found[3]), month, int(found[1])))
    stats = reuters.stats()
    assert (stats.first_date, stats.last_date, stats.undated) == (min(days), max(days), undated)
    assert undated >= 1 and stats.to_dict()["first_date"] == min(days).isoformat()


def test_facets_count_every_match_not_only_the_shown_hits(reuters, reuters_records) -> None:
    results = reuters.search("coffee", limit=3, facets=["category", "place"])
    assert len(results) == 3 and results.total > 200
    categories = {f.value: f.count for f in results.facets["category"]}
    # each count is the number of matches that a filter on that value keeps
    for value in ("coffee", "cocoa", "sugar"):
        assert categories[value] == reuters.search("coffee", filters=Filters.parse(category=[value])).total
    places = {f.value: f.count for f in results.facets["place"]}
    assert places["brazil"] == reuters.search("coffee", filters=Filters.parse(place=["Brazil"])).total
    # most articles first
    counts = [f.count for f in results.facets["category"]]
    assert counts == sorted(counts, reverse=True)
    # and over the whole index, every topic as the JSON lines file counts it
    everything = reuters.search("*", facets=["category"]).facets["category"]
    expected = Counter(topic for r in reuters_records for topic in set(r["topics"]))
    assert {f.value: f.count for f in everything} == dict(expected)


def test_timeline_buckets_against_the_json_lines(reuters, reuters_records) -> None:
    chart = reuters.timeline(["*", "coffee"], "month")
    everything, coffee = chart.series
    dated = [reuters_date(r) for r in reuters_records]
    per_month = Counter(f"{d.year:04d}-{d.month:02d}" for d in dated if d is not None)
    assert {b.label: b.articles for b in everything.buckets if b.articles} == dict(per_month)
    labels = [b.label for b in everything.buckets]
    assert labels == [f"1987-{m:02d}" for m in range(2, 11)]  # every month, the empty ones too
    assert {b.label: b.matches for b in everything.buckets}["1987-05"] == 0
    assert everything.undated == sum(1 for d in dated if d is None) == 1
    # a query's buckets and undated add up to its matches, which the search counts
    assert sum(b.matches for b in coffee.buckets) + coffee.undated == coffee.matches == reuters.search("coffee").total
    assert all(b.articles == e.articles for b, e in zip(coffee.buckets, everything.buckets))


def test_undated_matches_are_a_row_of_their_own(reuters_config, reuters_records) -> None:
    undated = [r for r in reuters_records if reuters_date(r) is None]
    assert len(undated) == 1
    word = '"Hong Kong"'  # (in the one undated story, and in dated ones)
    assert "hong kong" in (undated[0]["title"] + undated[0]["body"]).lower()
    rows = [json.loads(line) for line in run(reuters_config, "timeline", word, "--json").stdout.splitlines()]
    assert rows[-1]["period"] == "undated" and rows[-1]["matches"] == 1 and rows[-1]["articles"] == 1
    total = json.loads(run(reuters_config, "search", word, "--facets", "place", "--json").stdout
                       .splitlines()[-1])["total"]
    assert sum(row["matches"] for row in rows) == total > 1


def test_timeline_by_week_and_day_and_per_facet(reuters) -> None:
    weeks = reuters.timeline(["coffee"], "week").series[0]
    assert all(b.start.weekday() == 0 and (b.end - b.start).days == 6 for b in weeks.buckets)
    assert sum(b.matches for b in weeks.buckets) == weeks.matches - weeks.undated
    cut = reuters.timeline(["coffee"], "week", filters=Filters.parse(since="1987-03-04", until="1987-03-31"))
    first, last = cut.series[0].buckets[0], cut.series[0].buckets[-1]
    assert (first.partial, first.start, first.end) == (True, dt.date(1987, 3, 4), dt.date(1987, 3, 8))
    assert (last.partial, last.end) == (True, dt.date(1987, 3, 31))
    assert not any(b.partial for b in cut.series[0].buckets[1:-1])
    assert not any(b.partial for b in weeks.buckets)
    days = reuters.timeline(["coffee"], "day", filters=Filters.parse(since="1987-03-01", until="1987-03-31"))
    assert len(days.series[0].buckets) == 31 and sum(b.matches for b in days.series[0].buckets) == \
        reuters.search("coffee", filters=Filters.parse(since="1987-03", until="1987-03")).total
    per = reuters.timeline(["coffee"], "month", per="place")
    top_places = [f.value for f in reuters.search("coffee", facets=["place"]).facets["place"][:5]]
    assert [s.value for s in per.series] == top_places and top_places[0] == "brazil"
    for series in per.series:
        assert series.matches == reuters.search("coffee", filters=Filters.parse(place=[series.value])).total


def test_sort_newest_and_oldest(reuters) -> None:
    newest = reuters.search("coffee", limit=None, passages=0, sort="newest", collapse=False)
    dates = [hit.article.date for hit in newest]
    assert dates == sorted(dates, reverse=True) and len(newest) == newest.total
    oldest = reuters.search("coffee", limit=5, sort="oldest")
    assert [h.article.date for h in oldest] == sorted(dates)[:5]
    assert {h.id for h in reuters.search("coffee", limit=None, collapse=False)} == {h.id for h in newest}


def test_filters_are_whole_values_any_case(reuters, reuters_records) -> None:
    expected = sum(1 for r in reuters_records if "money-fx" in r["topics"])
    assert reuters.search("*", filters=Filters.parse(category=["MONEY-FX"])).total == expected
    assert reuters.search("*", filters=Filters.parse(category=["money"])).total == 0  # not a word of a value
    both = sum(1 for r in reuters_records if {"coffee", "cocoa"} & set(r["topics"]))
    assert reuters.search("*", filters=Filters.parse(category=["coffee", "cocoa"])).total == both


# -- top words and concordance ----------------------------------------------------------


def test_top_words_characterise_the_matches(reuters, reuters_records) -> None:
    found = reuters.top_words("coffee", limit=15)
    terms, total = found.terms, found.matches
    words = [t.word.lower() for t in terms]
    assert total == found.read == reuters.search("coffee").total and found.compared == len(reuters)
    assert words[0] == "coffee" and terms[0].in_query and terms[0].matches == total
    assert "ico" in words and ("quotas" in words or "quota" in words)
    assert "said" not in words  # in every other story too: not characteristic
    assert all(not t.in_query for t in terms[1:])
    assert all(0 < t.matches <= t.articles for t in terms)
    # "all" counts the articles with the word in the title or the text, as the JSON lines do
    ico = next(t for t in terms if t.word == "ICO")
    has_ico = re.compile(r"\bico\b", re.IGNORECASE)
    assert ico.articles == sum(1 for r in reuters_records if has_ico.search(r["title"] + "\n" + r["body"]))
    everything = reuters.top_words("*")  # every article matches: nothing to compare them with
    assert everything.terms == () and everything.matches == everything.compared == len(reuters)


def test_kwic_lines_hold_the_query_words(reuters) -> None:
    lines = list(reuters.concordance("coffee prices", 30))
    hits = reuters.search("coffee prices", limit=None, passages=0, collapse=False)
    assert {line.id for line in lines} == {hit.id for hit in hits}
    assert all(line.match.lower().startswith(("coffee", "pric")) for line in lines)
    assert all(len(line.left) <= 30 and len(line.right) <= 30 for line in lines)
    # the line quotes the text: nothing added between the context and the match
    title_lines = [line for line in lines if line.field == "title" and line.rank == 1]
    assert all(line.left + line.match + line.right in " ".join(hits[0].article.title.split()) for line in title_lines)
    # every occurrence: in the best article, as many as the words of its body that are these words
    first = [line for line in lines if line.rank == 1 and line.field == "body"]
    words = [word.strip(".,;:\"'()").lower() for word in hits[0].article.body.split()]
    assert len(first) == sum(1 for word in words if word in ("coffee", "coffees", "price", "prices"))


# -- the command line -------------------------------------------------------------------


def test_search_facets_in_json(reuters_config) -> None:
    result = run(reuters_config, "search", "coffee", "--category", "coffee", "--facets", "category,place", "--json")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 11 and "facets" in lines[-1]
    total = lines[-1]["total"]
    assert dict(lines[-1]["facets"]["category"])["coffee"] == total


def test_timeline_json_and_csv_agree(reuters_config) -> None:
    as_json = run(reuters_config, "timeline", "oil", "coffee", "--json")
    as_csv = run(reuters_config, "timeline", "oil", "coffee", "--csv")
    assert as_json.exit_code == as_csv.exit_code == 0
    rows = [json.loads(line) for line in as_json.stdout.splitlines()]
    table = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert len(rows) == len(table)
    assert len([row for row in rows if row["period"] != "undated"]) == 18  # 2 queries x 9 months
    for query in ("oil", "coffee"):  # each query's rows add up to its matches
        total = json.loads(run(reuters_config, "search", query, "--facets", "category", "--json").stdout
                           .splitlines()[-1])["total"]
        assert sum(row["matches"] for row in rows if row["query"] == query) == total
    assert [(r["query"], r["period"], r["matches"]) for r in rows] == \
        [(r["query"], r["period"], int(r["matches"])) for r in table]
    chart = run(reuters_config, "timeline", "oil", "coffee")
    assert "1987-05" in chart.stdout and "coffee" in chart.stdout


def test_export_streams_every_match(reuters_config, tmp_path: Path) -> None:
    out = tmp_path / "oil.jsonl"
    result = run(reuters_config, "export", "oil", "--sort", "oldest", "-o", str(out))
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    total = json.loads(run(reuters_config, "search", "oil", "--facets", "category", "--json").stdout.splitlines()[-1])["total"]
    assert len(rows) == total > 1000
    dates = [row["date"] for row in rows if row["date"]]
    assert dates == sorted(dates) and rows[0]["body"] and isinstance(rows[0]["categories"], list)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    # No match writes an empty export (a CSV its header), exit 1: the last run's rows were
    # left in place, for a scheduled script to read as this run's.
    result = run(reuters_config, "export", "zzyzxqq", "-o", str(out))
    assert result.exit_code == 1 and out.read_text(encoding="utf-8") == ""
    assert "No article matches 'zzyzxqq'. (an empty export written to" in result.stderr
    table = tmp_path / "none.csv"
    table.write_text("old\n", encoding="utf-8")
    assert run(reuters_config, "export", "zzyzxqq", "--format", "csv", "--fields", "id,title", "-o", str(table)).exit_code == 1
    assert table.read_text(encoding="utf-8").splitlines() == ["id,title"]
    # An output ending in .csv is CSV unless --format says otherwise (it was JSON lines).
    table = tmp_path / "coffee.CSV"
    assert run(reuters_config, "export", "coffee", "--fields", "id,title", "-o", str(table)).exit_code == 0
    assert table.read_text(encoding="utf-8").splitlines()[0] == "id,title"
    assert run(reuters_config, "export", "coffee", "--fields", "id", "--format", "jsonl", "-o", str(table)).exit_code == 0
    assert json.loads(table.read_text(encoding="utf-8").splitlines()[0])["id"]


def test_words_and_kwic_commands(reuters_config) -> None:
    words = run(reuters_config, "words", "coffee", "--limit", "5")
    assert words.exit_code == 0 and "coffee *" in words.stdout and "ICO" in words.stdout
    kwic = run(reuters_config, "kwic", "coffee", "--limit", "1", "--width", "20")
    lines = kwic.stdout.splitlines()
    assert kwic.exit_code == 0 and lines
    column = {line.lower().index("coffee", len(line.split()[0]) + 2) for line in lines}
    assert len(column) == 1  # aligned: every match starts in the same column


def test_filters_without_a_query_and_what_nothing_found_says(reuters_config, reuters_records,
                                                            tmp_path: Path) -> None:
    out = tmp_path / "coffee.csv"
    result = run(reuters_config, "export", "--category", "coffee", "--format", "csv", "--fields", "id,place,topic",
                 "-o", str(out))
    assert result.exit_code == 0 and "Exported 145 articles to" in result.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert list(rows[0]) == ["id", "dateline", "categories"]  # (the filters' names for the export's fields)
    assert {row["id"] for row in rows} == {r["id"] for r in reuters_records if "coffee" in r["topics"]}
    result = run(reuters_config, "search", "oil", "--category", "crud")
    assert result.exit_code == 1
    assert result.stderr == ("No article matches 'oil' (category crud).\n"
                             "  no article has category 'crud' (closest: crude, cruzado)\n")
    result = run(reuters_config, "export", "coffee", "--since", "1988")  # (beyond the archive: said so)
    assert result.exit_code == 1 and result.stderr == ("No article matches 'coffee' (dated since 1988-01-01).\n"
                                                       "  no article is dated in that range: the index's are dated "
                                                       "1987-02-26 to 1987-10-20\n")
    # The same dates written in the query are said the same way (they were not: the review).
    result = run(reuters_config, "search", "coffee since:1988")
    assert result.exit_code == 1 and result.stderr == ("No article matches 'coffee since:1988'.\n"
                                                       "  no article is dated in that range: the index's are dated "
                                                       "1987-02-26 to 1987-10-20\n")
    # Dates inside the archive's span that it has no article of: a gap (Reuters has no May
    # 1987), not "the index's are dated 1987-02-26 to 1987-10-20" (a new user's trial).
    result = run(reuters_config, "search", "coffee date:1987-05")
    assert result.exit_code == 1 and result.stderr.endswith(
        "  no article is dated in that range: the nearest are dated 1987-04-29 and 1987-06-01\n")
    # The query's dates and the options', each with days of their own, leave none.
    result = run(reuters_config, "search", "coffee until:1987-06", "--since", "1987-07")
    assert result.exit_code == 1 and result.stderr == (
        "No article matches 'coffee until:1987-06' (dated since 1987-07-01).\n"
        "  the dates of the query and of the filters leave no day (since 1987-07-01, until 1987-06-30)\n")
    result = run(reuters_config, "timeline", "oil", "--per", "source")
    assert result.exit_code == 1 and result.stderr == "No article matching 'oil' has a source.\n"
    result = run(reuters_config, "search")
    assert result.exit_code == 2 and "Missing QUERY" in result.output
    for command in ("search", "timeline", "words", "kwic", "export"):  # ('' is no query, in each alike)
        result = run(reuters_config, command, "")
        assert result.exit_code == 2 and "Missing QUERY (or a filter:" in result.output, command


def test_bad_filters_are_one_line_errors(reuters_config) -> None:
    result = run(reuters_config, "search", "coffee", "--since", "March 1987")
    assert result.exit_code == 2 and "error: since: invalid date 'March 1987'" in result.output
    assert "Traceback" not in result.output
    result = run(reuters_config, "search", "coffee", "--facets", "author")
    assert result.exit_code == 2 and "unknown facet 'author'" in result.output
    result = run(reuters_config, "export", "coffee", "--fields", "id,headline")
    assert result.exit_code == 2 and "unknown field 'headline'" in result.output
    result = run(reuters_config, "timeline", "coffee", "--since", "1987-05", "--until", "1987-03")
    assert result.exit_code == 2 and "is after until" in result.output


# -- BBC News: categories ---------------------------------------------------------------


def test_bbc_categories(bbc_index: Path, bbc_docs: Path) -> None:
    records = [json.loads(line) for line in bbc_docs.read_text(encoding="utf-8").splitlines()]
    expected = Counter(r["category"] for r in records)
    with Index.open(bbc_index) as index:
        facets = index.search("*", facets=["category"]).facets["category"]
        assert {f.value: f.count for f in facets} == dict(expected)
        sport = index.search("England", filters=Filters.parse(category=["sport"]), facets=["category"])
        assert [(f.value, f.count) for f in sport.facets["category"]] == [("sport", sport.total)]
        assert all(hit.article.categories == ("sport",) for hit in sport)
        assert sport.total == index.search("England category:sport").total


# -- updates and configuration ----------------------------------------------------------


def test_counts_follow_updates(tmp_path: Path) -> None:
    from searcher import Article

    def story(number: int, category: str) -> Article:
        return Article(id=str(number), title=f"Story {number}", body="Harvest news.", categories=(category,),
                       date=dt.datetime(2020, number + 1, 15))

    with Index.create(tmp_path / "index") as index:
        index.add([story(0, "farm"), story(1, "farm"), story(2, "trade")])
        with index.batch() as batch:
            batch.add(story(1, "trade"))  # article 1 moves from farm to trade
            batch.commit()  # (a commit that merges nothing: the old article 1 stays, deleted)
        assert index.deleted_count == 1
        facets = index.search("harvest", facets=["category"]).facets["category"]
        assert [(f.value, f.count) for f in facets] == [("trade", 2), ("farm", 1)]
        chart = index.timeline(["harvest"], "month").series[0]
        assert [b.matches for b in chart.buckets] == [1, 1, 1] and [b.articles for b in chart.buckets] == [1, 1, 1]
        assert index.search("*", filters=Filters.parse(category=["farm"])).total == 1


def test_date_format_key(tmp_path: Path) -> None:
    (tmp_path / "news.csv").write_text("id,title,date\n1,Budget vote,03.11.2016 14:30\n2,Late story,someday\n",
                                       encoding="utf-8")
    (tmp_path / "searcher.yaml").write_text('date_format: "%d.%m.%Y %H:%M"\n', encoding="utf-8")
    config = load_config(tmp_path / "searcher.yaml").with_index(tmp_path / "index")
    report = update_index(config, [tmp_path / "news.csv"])
    assert report.added == 2  # the unreadable date is a warning, not a lost article
    assert [str(p) for p in report.problems] == ["news.csv:3: unrecognised date 'someday'; indexed without a date"]
    with Index.open(config.index, config) as index:
        assert index.get("1").date == dt.datetime(2016, 11, 3, 14, 30)
    (tmp_path / "searcher.yaml").write_text('date_format: "%d.%m.%Q"\n', encoding="utf-8")
    with pytest.raises(Exception, match=r"searcher.yaml:1: date_format: invalid format"):
        load_config(tmp_path / "searcher.yaml")


# -- edge cases found in review ---------------------------------------------------------


def small_index(folder: Path) -> Index:
    from searcher import Article

    index = Index.create(folder)
    index.add([
        Article(id="1", title="Harbour strike", body="Dockers strike in the harbour.", dateline=("New  York",),
                categories=("labour",), date=dt.datetime(2020, 1, 10)),
        Article(id="2", title="Harbour fees", body="The harbour raises its fees.", dateline=("new york",),
                categories=("trade",), date=dt.datetime(2020, 2, 10)),
        Article(id="3", title="Strike ends", body="The strike is over.", categories=("labour",)),
    ])
    return index


def test_a_commit_while_searching_changes_nothing_of_that_search(tmp_path: Path, monkeypatch) -> None:
    from searcher import Article
    from searcher.search import matching

    with small_index(tmp_path / "index") as index, Index.open(tmp_path / "index") as writer:
        index.search("harbour")  # (the searcher is open before the commit)
        real = matching.scores

        def scores_then_commit(*args, **kwargs):  # type: ignore[no-untyped-def]
            found = real(*args, **kwargs)
            monkeypatch.setattr(matching, "scores", real)
            writer.add([Article(id="0", title="Harbour news", body="Harbour.", categories=("trade",),
                                date=dt.datetime(2021, 1, 1))])
            return found

        monkeypatch.setattr(matching, "scores", scores_then_commit)
        results = index.search("harbour", sort="newest", facets=["category", "place"],
                               filters=Filters.parse(since="2020"))
        assert [hit.id for hit in results] == ["2", "1"]  # the index as it was when the search began
        assert [(f.value, f.count) for f in results.facets["category"]] == [("labour", 1), ("trade", 1)]
        # ("New  York" is indexed as "New York", one value with "new york", shown as the first spelling)
        assert [(f.value, f.count) for f in results.facets["place"]] == [("New York", 2)]
        assert index.search("harbour").total == 3  # the next search sees the commit


def test_facet_values_ignore_case_and_spaces(tmp_path: Path) -> None:
    with small_index(tmp_path / "index") as index:
        assert index.search("*", filters=Filters.parse(place=["NEW YORK"])).total == 2
        assert index.search("*", filters=Filters.parse(place=["new   york"])).total == 2
        assert index.search("*", filters=Filters.parse(since="0001")).total == 2  # undated article 3 left out
        assert index.matches("harbour strike", all_words=True)[0] == 1
        total, hits = index.matches("harbour strike")  # (with every word first)
        assert total == 3 and [hit.matched for hit in hits] == ["all", "some", "some"]
        # The articles with some of the words count, marked as such; with all_words, none.
        total, hits = index.matches("harbour dividend")
        assert total == index.matches("harbour")[0] == 2 and [hit.matched for hit in hits] == ["some", "some"]
        assert index.matches("harbour dividend", all_words=True)[0] == 0  # no quiet fallback to any of the words
        assert index.search("harbour dividend", all_words=True).matched == "any"  # (a search falls back, and says so)


def test_export_to_a_link_writes_its_target(tmp_path: Path, reuters, reuters_config) -> None:
    target = tmp_path / "target.csv"
    target.write_text("old\n", encoding="utf-8")
    target.chmod(0o640)
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    result = run(reuters_config, "export", "cocoa", "--format", "csv", "--fields", "id", "-o", str(link))
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and (target.stat().st_mode & 0o777) == 0o640
    assert len(target.read_text(encoding="utf-8").splitlines()) == 1 + reuters.matches("cocoa")[0]


def test_timeline_and_kwic_edge_cases(reuters_config) -> None:
    result = run(reuters_config, "timeline", "oil", "--since", "1900", "--by", "day")
    assert result.exit_code == 2 and "more than 5,000 periods" in result.output and "Traceback" not in result.output
    assert "count by a longer period, or over fewer dates" in result.output
    # By year there is no longer period: a placeholder date in a CMS export stretched the span.
    from searcher.news.timeline import TimelineError, periods

    with pytest.raises(TimelineError, match=r"0001-01-01 to 9999-12-31 by year is more than 5,000 periods: narrow the dates"):
        periods(dt.date(1, 1, 1), dt.date(9999, 12, 31), "year")
    # The share is of the articles the filters keep, and the chart says so.
    result = run(reuters_config, "timeline", "brazil", "--category", "coffee", "--by", "year")
    assert result.exit_code == 0 and "share: of the period's articles under the filters (category coffee)" in result.stdout
    assert "of these" in result.stdout and "of all" not in result.stdout
    # With no query, the filters' articles against all the period's (of their own, every
    # period was 100%), the series named by the filters.
    result = run(reuters_config, "timeline", "--category", "coffee", "--by", "year")
    assert result.exit_code == 0 and "share: of all the period's articles;" in result.stdout
    assert result.stdout.startswith(f"category coffee  {reuters_count(reuters_config, 'category:coffee')} articles")
    rows = [json.loads(line) for line in run(reuters_config, "timeline", "--category", "coffee", "--by", "year",
                                             "--json").stdout.splitlines()]
    assert rows[0]["articles"] + rows[1]["articles"] == reuters_count(reuters_config, "*") and 0 < rows[0]["ratio"] < 0.01
    result = run(reuters_config, "timeline", "coffee", "--per", "place", "--by", "year")
    assert "share: of the period's articles with that place;" in result.stdout
    assert "share: of all the period's articles;" in run(reuters_config, "timeline", "coffee", "--by", "year").stdout
    result = run(reuters_config, "timeline", "oil", "--since", "9999-12", "--until", "9999-12", "--by", "year")
    assert result.exit_code == 1 and result.stderr == ("No article matches 'oil' (dated 9999-12-01 to 9999-12-31).\n"
                                                       "  no article is dated in that range: the index's are dated "
                                                       "1987-02-26 to 1987-10-20\n")
    for output in ("--csv", "--json"):  # (its rows, at 0, for a tool; and why, for a person)
        result = run(reuters_config, "timeline", "zzqx", "--by", "year", output)
        assert result.exit_code == 1 and result.stderr == "No article matches 'zzqx'.\n" and result.stdout
    result = run(reuters_config, "words", "oil", "-nuclear", "-n", "3", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout.splitlines()[0])["matches"] == \
        reuters_count(reuters_config, "oil -nuclear") < reuters_count(reuters_config, "oil")
    result = run(reuters_config, "export", "oil", "-opec", "--fields", "id")
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == reuters_count(reuters_config, "oil -opec")
    # Options that ask for two things, or for nothing: said, not one silently taken.
    result = run(reuters_config, "timeline", "oil", "--json", "--csv")
    assert result.exit_code == 2 and "--json and --csv: one or the other" in result.output
    result = run(reuters_config, "export", "oil", "--fields", "")
    assert result.exit_code == 2 and "no field named" in result.output
    result = run(reuters_config, "kwic", "oil", "-price", "--limit", "3")
    assert result.exit_code == 0 and "price" not in result.stdout.lower().replace("oil", "")


def test_log_likelihood() -> None:
    from searcher.news.keyterms import log_likelihood

    # Reference values: SciPy 1.17's G test of the same 2x2 tables, chi2_contingency([[10, 90],
    # [5, 995]], lambda_="log-likelihood", correction=False) and of [[1, 99], [500, 500]];
    # the sign says over- or under-represented.
    assert log_likelihood(10, 100, 5, 1000) == pytest.approx(30.670249559732, rel=1e-9)
    assert log_likelihood(1, 100, 500, 1000) == pytest.approx(-118.686633510015, rel=1e-9)
    assert log_likelihood(5, 100, 5, 0) == 0.0  # no others to compare with
    assert log_likelihood(120, 100, 5, 1000) == log_likelihood(100, 100, 5, 1000)  # (a count above its total)


def exact_count(index: Index, word: str, query: str, filters: Filters | None = None) -> int:
    """Matching articles with `word` in the title, caption or body, by a search."""
    return index.matches(f"({query}) AND (title:{word} OR caption:{word} OR body:{word})", filters=filters)[0]


def test_words_of_most_of_the_index_and_under_filters(reuters) -> None:
    found = reuters.top_words("NOT coffee", limit=5)  # 21,347 matches: words chosen from a sample of 2,000
    assert found.matches == len(reuters) - reuters.search("coffee").total and found.read == 2000
    for term in found.terms:  # yet every count is exact
        assert term.matches == exact_count(reuters, term.word, "NOT coffee")
        assert term.articles == exact_count(reuters, term.word, "*")
    usa = Filters.parse(place=["usa"])
    found = reuters.top_words("oil", limit=5, filters=usa)  # against the articles filed from the USA
    assert found.filtered and found.compared == reuters.search("*", filters=usa).total
    assert found.terms[0].word == "oil" and found.terms[0].matches == found.terms[0].articles == found.matches
    for term in found.terms:
        assert term.matches == exact_count(reuters, term.word, "oil", usa)
        assert term.articles == exact_count(reuters, term.word, "*", usa)
    alone = reuters.top_words("*", filters=Filters.parse(category=["coffee"]))  # a filter alone: against all
    assert not alone.filtered and alone.compared == len(reuters) and alone.terms[0].word == "coffee"


def test_kwic_lines_tell_articles_with_long_ids_apart(tmp_path: Path) -> None:
    # Ids that differ only at their end (a folder's files, web addresses): piped lines
    # keep them whole; a terminal, short of room, keeps their ends.
    from rich.console import Console

    from searcher import Article
    from searcher.cli import terminal

    ids = ["entertainment/028", "entertainment/033", "https://www.example.com/news/2016/11/28/aleppo-siege"]
    with Index.create(tmp_path / "ix") as index:
        index.add([Article(id=article_id, title=f"Story {n}", body="The Azkaban scenes were cut.")
                   for n, article_id in enumerate(ids)])
    result = CliRunner().invoke(cli, ["kwic", "azkaban", "--index", str(tmp_path / "ix")])
    assert result.exit_code == 0
    assert sorted(line.split()[0] for line in result.output.splitlines()) == sorted(ids)
    with Index.open(tmp_path / "ix") as index:
        out = Console(file=io.StringIO(), force_terminal=True, width=100, color_system=None)
        assert terminal.print_concordance(out, index.concordance("azkaban", 20), 20) == 3
    shown = {line.split()[0] for line in out.file.getvalue().splitlines()}  # type: ignore[attr-defined]
    assert shown == {"entertainment/028", "entertainment/033", "…2016/11/28/aleppo-siege"}  # (24 characters)
    # Piped, an id longer than those of the first lines (which set the columns) is whole too.
    from searcher.model import Concordance

    lines = [Concordance(id=f"b/{n:03d}", rank=n, field="body", left="the ", match="coffee", right=" price",
                         term="coffe") for n in range(3)] + [Concordance(id=ids[2], rank=4, field="body", left="the ",
                                                                         match="coffee", right=" price", term="coffe")]
    piped = Console(file=io.StringIO(), width=80)
    terminal.print_concordance(piped, lines, 20, first=3)
    assert piped.file.getvalue().splitlines()[-1].split()[0] == ids[2]  # type: ignore[attr-defined]
