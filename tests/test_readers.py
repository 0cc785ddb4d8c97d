"""Reading corpora: JSON lines and CSV on real data, encodings, bad files, duplicates."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest

from searcher import Config, Problem, read_corpus
from searcher.config import DEFAULT_RECORD_FIELDS
from searcher.dates import parse_date

from .conftest import require_data



def read(path: Path | list[Path], config: Config | None = None) -> tuple[list, list[Problem]]:
    problems: list[Problem] = []
    return list(read_corpus(path, config, on_problem=problems.append)), problems


def test_time_collection(time_docs: Path) -> None:
    articles, problems = read(time_docs)
    assert problems == []
    assert len(articles) == 423
    assert len({a.id for a in articles}) == 423
    first = articles[0]
    assert first.id == "017"
    assert first.body.startswith("THE ALLIES AFTER NASSAU IN DECEMBER 1960")
    assert first.date == dt.datetime(1963, 1, 4)  # "01/04/63": a 1963 magazine, not 2063
    assert first.line == 1
    assert all(a.date and a.date.year == 1963 for a in articles)


def test_bbc_news(bbc_docs: Path) -> None:
    articles, problems = read(bbc_docs)
    assert problems == []
    assert len(articles) == 2225
    first = articles[0]
    assert (first.id, first.title, first.categories) == ("business/001", "Ad sales boost Time Warner profit", ("business",))
    assert first.body.startswith("Quarterly profits at US media giant TimeWarner jumped 76%")
    assert {a.categories[0] for a in articles} == {"business", "entertainment", "politics", "sport", "tech"}


def test_csv_with_mapped_columns(tmp_path: Path) -> None:
    path = tmp_path / "wire.csv"
    path.write_text(
        'story_id,headline,story,published,outlet,link,section\n'
        'a1,Refugees reach Idlib,"Thousands arrived, tired.\nMore came.",2016-11-28T10:00:00Z,AFP,http://x/1,world\n'
        'a2,Second story,Text two,28 November 2016,Reuters,,\n',
        encoding="utf-8",
    )
    fields = dict(DEFAULT_RECORD_FIELDS, id=("story_id",), title=("headline",), body=("story",), source=("outlet",),
                  date=("published",), url=("link",), category=("section",))
    articles, problems = read(path, Config(record_fields=fields))
    assert problems == []
    a1, a2 = articles
    assert (a1.id, a1.title, a1.body) == ("a1", "Refugees reach Idlib", "Thousands arrived, tired.\nMore came.")
    assert (a1.source, a1.url, a1.categories, a1.date) == ("AFP", "http://x/1", ("world",), dt.datetime(2016, 11, 28, 10))
    assert (a1.line, a2.line) == (2, 4)  # lines in the file, the quoted newline counted
    assert a2.date == dt.datetime(2016, 11, 28) and a2.url == "" and a2.categories == ()


def test_bad_csv_rows_are_reported_with_their_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("id,title,body\n1,One,Body one\n2,Two\n3,Three,Body three,extra\n4,Four,Body four\n", encoding="utf-8")
    articles, problems = read(path)
    assert [a.id for a in articles] == ["1", "4"]
    assert [(p.line, p.severity) for p in problems] == [(3, "error"), (4, "error")]
    assert "2 columns, the header has 3" in problems[0].message


def test_unclosed_quote_in_csv(tmp_path: Path) -> None:
    path = tmp_path / "quote.csv"
    path.write_text('id,title,body\n1,One,Body one\n2,"Two,Body two\n3,Three,Body three\n', encoding="utf-8")
    articles, problems = read(path)
    assert [a.id for a in articles] == ["1"]
    assert problems and problems[0].line == 3 and "skipped" in problems[0].message


def test_a_body_key_that_no_record_has_is_said_once_a_file(tmp_path: Path) -> None:
    """A new user's trial: `body: Storyy` (a typo) indexed 50 titles and said nothing; the
    searches then found next to nothing."""
    (tmp_path / "news.csv").write_text("Ref,Headline,Story\nr1,Rates rise,Interest rates rose.\n"
                                       "r2,Rates fall,They fell.\n", encoding="utf-8")
    (tmp_path / "news.jsonl").write_text("".join(json.dumps({"id": f"j{n}", "headline": "Rates", "story": "Up."}) + "\n"
                                                 for n in range(5)), encoding="utf-8")
    fields = dict(DEFAULT_RECORD_FIELDS, id=("Ref", "id"), title=("Headline", "headline"), body=("Storyy",))
    articles, problems = read(tmp_path, Config(record_fields=fields))
    assert len(articles) == 7 and not any(article.body for article in articles)
    assert [(Path(p.path).name, p.line, p.severity) for p in problems] == [("news.csv", 2, "warning"),
                                                                           ("news.jsonl", 1, "warning")]
    assert problems[0].message == ("no record has a body, only titles are indexed (looked for keys: Storyy; the first "
                                   "has: Ref, headline, Story): check fields.body in the configuration")
    # One body in a file is enough: titles alone are then the records' own.
    (tmp_path / "news.jsonl").write_text(json.dumps({"id": "j", "headline": "Rates", "Storyy": "Up."}) + "\n"
                                         + json.dumps({"id": "k", "headline": "Rates only"}) + "\n", encoding="utf-8")
    assert [Path(p.path).name for p in read(tmp_path, Config(record_fields=fields))[1]] == ["news.csv"]
    # A key that is there, empty in every record, is said so (not "the first has: ..., Storyy").
    (tmp_path / "news.csv").write_text("Ref,Headline,Storyy\nr1,Rates rise,\n", encoding="utf-8")
    problems = read(tmp_path / "news.csv", Config(record_fields=fields))[1]
    assert [p.message for p in problems] == ["no record has a body, only titles are indexed (Storyy empty in every "
                                             "record): check fields.body in the configuration"]


def test_a_body_key_no_record_has_is_said_once_by_a_sharded_run_too(tmp_path: Path) -> None:
    """A review: each shard's run judged from its own records: a file where one record has
    a body was said to have none, by the shards without that record, once each."""
    from searcher import update_index

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    fields = dict(DEFAULT_RECORD_FIELDS, title=("headline",), body=("Storyy",))
    for with_body, expected in ((3, 0), (None, 1)):
        (corpus / "news.jsonl").write_text("".join(
            json.dumps({"id": f"j{n}", "headline": f"Rates {n}", **({"Storyy": "Up."} if n == with_body else {})}) + "\n"
            for n in range(20)), encoding="utf-8")
        report = update_index(Config(index=tmp_path / f"ix{with_body}", record_fields=fields, workers=1), [corpus],
                              shards=3)
        warned = [p for p in report.problems if "no record has a body" in p.message]
        assert len(warned) == expected and all(p.line == 1 for p in warned), report.problems


def test_broken_json_lines_are_reported_and_the_rest_read(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    lines = [
        json.dumps({"id": "1", "title": "One", "body": "First"}),
        '{"id": "2", "title": "Two", "body": ',  # truncated
        "[1, 2, 3]",  # not an object
        json.dumps({"id": "4", "date": "2016-11-28"}),  # no text
        "",
        json.dumps({"id": "6", "headline": "Six", "text": "Sixth", "date": "yesterday-ish"}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    articles, problems = read(path)
    assert [(a.id, a.title, a.body) for a in articles] == [("1", "One", "First"), ("6", "Six", "Sixth")]
    assert [(p.line, p.severity) for p in problems] == [(2, "error"), (3, "error"), (4, "error"), (6, "warning")]
    assert all(p.path.endswith("feed.jsonl") for p in problems)
    assert problems[0].message == "invalid JSON (Expecting value at character 37); line skipped"
    assert "expected a JSON object" in problems[1].message
    assert "no title or text" in problems[2].message
    assert "unrecognised date" in problems[3].message


def test_spreadsheet_keys_in_any_case_and_a_file_of_other_keys_said_once(tmp_path: Path) -> None:
    # A spreadsheet's CSV ("ID,Title,Body"), one with semicolons (where the comma is the
    # decimal mark), and JSON with capitalised keys were read as records without text:
    # nothing indexed, a line of error each.
    (tmp_path / "sheet.csv").write_text("ID,Title,Body\nr1,Coffee talks,Brazil raises its quota\n", encoding="utf-8")
    (tmp_path / "semi.csv").write_text("id;title;body\ns1;Tea prices;Up 3,5%\n", encoding="utf-8")
    (tmp_path / "caps.jsonl").write_text(json.dumps({"Headline": "Cocoa", "TEXT": "Ivory Coast crop", "title": ""})
                                         + "\n", encoding="utf-8")
    assert [(a.id, a.title, a.body) for a in read(tmp_path / "sheet.csv")[0]] == \
        [("r1", "Coffee talks", "Brazil raises its quota")]
    assert [(a.id, a.title, a.body) for a in read(tmp_path / "semi.csv")[0]] == [("s1", "Tea prices", "Up 3,5%")]
    # (An exact key comes first: "title" is there, empty; "Headline" is headline.)
    assert [(a.title, a.body) for a in read(tmp_path / "caps.jsonl")[0]] == [("Cocoa", "Ivory Coast crop")]
    # A file whose records have none of the keys: said on its first three lines, with the
    # keys they have, then once for the rest, counted as skipped lines all the same.
    other = tmp_path / "other.jsonl"
    other.write_text("".join(json.dumps({"foo": n, "bar": "x"}) + "\n" for n in range(1000)), encoding="utf-8")
    articles, problems = read(other)
    assert articles == [] and [p.line for p in problems] == [1, 2, 3, 4]
    assert "it has: foo, bar" in problems[0].message
    assert problems[3].message == "no title or text: also on 997 more lines, from this one"
    assert sum(p.lines for p in problems) == 1000
    # The same warning with another value on each line (a spreadsheet's dates) is one problem too.
    dates = tmp_path / "dates.jsonl"
    dates.write_text("".join(json.dumps({"title": f"t{n}", "date": f"{n + 1}. Maerz 2020"}) + "\n" for n in range(10)),
                     encoding="utf-8")
    articles, problems = read(dates)
    assert len(articles) == 10 and [(p.line, p.severity, p.lines) for p in problems] == \
        [(1, "warning", 1), (2, "warning", 1), (3, "warning", 1), (4, "warning", 7)]


def test_cp1252_file_is_read_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "old.txt"
    path.write_bytes("Café talks in Idlíb\n\nThe envoy’s “last” offer – rejected.\n".encode("cp1252"))
    articles, problems = read(path)
    assert articles[0].title == "Café talks in Idlíb"
    assert articles[0].body == "The envoy’s “last” offer – rejected."
    assert len(problems) == 1 and problems[0].severity == "warning" and "cp1252" in problems[0].message


def test_a_json_line_in_another_encoding_is_that_lines_problem(tmp_path: Path) -> None:
    # One line pasted from an old cp1252 file into a UTF-8 feed: the other lines keep
    # their accents, and the warning names the line.
    lines = [json.dumps({"id": str(n), "title": title}, ensure_ascii=False).encode(encoding)
             for n, (title, encoding) in enumerate([("Idlíb talks", "utf-8"), ("Café envoy’s offer", "cp1252"),
                                                    ("Aleppo’s café", "utf-8"), ("Crème", "cp1252")], start=1)]
    path = tmp_path / "feed.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    articles, problems = read(path)
    assert [a.title for a in articles] == ["Idlíb talks", "Café envoy’s offer", "Aleppo’s café", "Crème"]
    assert [(p.line, p.severity) for p in problems] == [(2, "warning")]
    assert "read as cp1252" in problems[0].message and "(and 1 more line)" in problems[0].message


def test_json_lines_files_that_are_not_text_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "a-empty.jsonl").write_bytes(b"\xef\xbb\xbf \n\n")
    (tmp_path / "b-binary.jsonl").write_bytes(b'{"id": "x"}\n' + bytes(range(256)) * 4)
    (tmp_path / "c-good.txt").write_bytes(b'\xef\xbb\xbf{"id": "c1", "title": "Sniffed as JSON lines"}\r\n')
    articles, problems = read(tmp_path)
    assert [(a.id, a.title) for a in articles] == [("c1", "Sniffed as JSON lines")]
    assert [(Path(p.path).name, p.message) for p in problems] == [
        ("a-empty.jsonl", "empty file; file skipped"),
        ("b-binary.jsonl", "binary file (NUL bytes), not text; file skipped"),
    ]


def test_empty_and_binary_files_are_skipped_and_the_rest_read(tmp_path: Path) -> None:
    (tmp_path / "a-empty.txt").write_text("  \n\n", encoding="utf-8")
    (tmp_path / "b-binary.txt").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "c-good.txt").write_text("A title\n\nA body.", encoding="utf-8")
    articles, problems = read(tmp_path)
    assert [a.id for a in articles] == ["c-good"]
    assert [(Path(p.path).name, p.message.split(";")[0]) for p in problems] == [
        ("a-empty.txt", "empty file"),
        ("b-binary.txt", "binary file (NUL bytes), not text"),
    ]


def test_folders_are_read_recursively_in_sorted_order(tmp_path: Path) -> None:
    for name in ["b/2.txt", "a/z.txt", "a/1.txt", ".hidden/x.txt", "a/.secret.txt", "a/photo.jpg"]:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"Title {name}\n\nBody.", encoding="utf-8")
    articles, problems = read(tmp_path)
    assert problems == []
    assert [a.id for a in articles] == ["a/1", "a/z", "b/2"]


def test_duplicate_ids_keep_first_by_default_and_name_both_places(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text(json.dumps({"id": "7", "title": "First copy"}) + "\n", encoding="utf-8")
    (tmp_path / "b.jsonl").write_text(
        json.dumps({"id": "8", "title": "Other"}) + "\n" + json.dumps({"id": "7", "title": "Second copy"}) + "\n",
        encoding="utf-8",
    )
    articles, problems = read(tmp_path)
    assert [(a.id, a.title) for a in articles] == [("7", "First copy"), ("8", "Other")]
    [problem] = problems
    assert (Path(problem.path).name, problem.line) == ("b.jsonl", 2)
    assert "a.jsonl:1" in problem.message and "keep-first" in problem.message

    articles, problems = read(tmp_path, Config(on_duplicate="keep-last"))
    assert sorted((a.id, a.title) for a in articles) == [("7", "Second copy"), ("8", "Other")]
    [problem] = problems
    assert (Path(problem.path).name, problem.line) == ("a.jsonl", 1)
    assert "b.jsonl:2" in problem.message


def test_files_named_alike_in_two_corpus_folders_say_why_their_ids_collide(tmp_path: Path) -> None:
    """A new user's trial: `searcher index siteA siteB` skipped siteB's article.html as a
    duplicate of siteA's, another story, with nothing to say what to do."""
    for site, text in (("siteA", "Harbour strike ends"), ("siteB", "Council budget vote")):
        (tmp_path / site).mkdir()
        (tmp_path / site / "a.txt").write_text(f"{text}\n\nThe story.\n", encoding="utf-8")
    articles, [problem] = read([tmp_path / "siteA", tmp_path / "siteB"])
    assert [a.title for a in articles] == ["Harbour strike ends"] and Path(problem.path).parent.name == "siteB"
    assert problem.message.endswith("(on_duplicate: keep-first; the id is the file's path under its corpus folder: "
                                    "index their parent folder to keep both)")
    articles, problems = read(tmp_path)  # (their parent: siteA/a and siteB/a)
    assert sorted(a.id for a in articles) == ["siteA/a", "siteB/a"] and problems == []


def test_a_file_given_directly_is_read_whatever_its_name(tmp_path: Path) -> None:
    path = tmp_path / "export.data"
    path.write_text(json.dumps({"id": "x", "title": "T", "body": "B"}) + "\n", encoding="utf-8")
    articles, _ = read(path)
    assert [a.id for a in articles] == ["x"]


def test_control_characters_are_removed_from_text(tmp_path: Path) -> None:
    path = tmp_path / "dirty.jsonl"
    path.write_text(json.dumps({"id": "1", "title": "Evil\u001b[31m title", "body": "NUL\u0000 here"}) + "\n", encoding="utf-8")
    [article], _ = read(path)
    assert article.title == "Evil[31m title" and article.body == "NUL here"


def test_reuters_style_datelines_and_lists(tmp_path: Path) -> None:
    path = tmp_path / "wire.jsonl"
    record = {"id": "6", "date": "26-FEB-1987 15:14:36.41", "title": "GRAIN", "body": "Text",
              "topics": ["grain", "wheat"], "dateline": "BUENOS AIRES, Feb 26 -"}
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    [article], problems = read(path)
    assert problems == []
    assert article.dateline == ("BUENOS AIRES",)
    assert article.categories == ("grain", "wheat")
    assert article.date == dt.datetime(1987, 2, 26, 15, 14, 36, 410000)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2016-11-28", dt.datetime(2016, 11, 28)),
        # The day and time as written, the offset dropped: the day the article's page shows
        # (converted to UTC, --until 2024-05-14 left out a New York story of the 14th at 21:00).
        ("2016-11-28T10:00:00+02:00", dt.datetime(2016, 11, 28, 10)),
        ("2024-05-14T21:00:00-05:00", dt.datetime(2024, 5, 14, 21)),
        ("Tue, 14 May 2024 21:00:00 -0500", dt.datetime(2024, 5, 14, 21)),
        ("Mon, 28 Nov 2016 10:00:00 GMT", dt.datetime(2016, 11, 28, 10)),
        ("26-FEB-1987 15:01:01.79", dt.datetime(1987, 2, 26, 15, 1, 1, 790000)),
        ("27-MAR-1987 00:02:59.13&#5;&#5;&#5;RM", dt.datetime(1987, 3, 27, 0, 2, 59, 130000)),
        ("5-mar-1987 1:02:03", dt.datetime(1987, 3, 5, 1, 2, 3)),
        ("05-Mar-1987", dt.datetime(1987, 3, 5)),
        ("08/30/63", dt.datetime(1963, 8, 30)),
        ("November 28, 2016", dt.datetime(2016, 11, 28)),
        ("November 28 2016", dt.datetime(2016, 11, 28)),
        # A Unix time, as a `timestamp` key holds it, in seconds or milliseconds (a trial: unrecognised).
        ("1104537600", dt.datetime(2005, 1, 1)), ("1104537600123", dt.datetime(2005, 1, 1, 0, 0, 0, 123000)),
        ("541000000000", dt.datetime(1987, 2, 22, 13, 46, 40)),
        # ... but digits that read as a calendar date and time are one (a review: 201611281030 was 1976).
        ("201611281030", dt.datetime(2016, 11, 28, 10, 30)), ("2016112810", dt.datetime(2016, 11, 28, 10)),
        ("20161128103000", dt.datetime(2016, 11, 28, 10, 30)),
    ],
)
def test_dates(text: str, expected: dt.datetime) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize("text, said", [
    ("0001-01-01T00:00:00Z", "placeholder date"), ("0001-01-01", "placeholder date"),
    ("9999-12-31T23:59:59", "placeholder date"), ("0001-01-01T00:00:00+01:00", "placeholder date"),
    ("9999-12-31T23:00:00-05:00", "placeholder date"),
])
def test_placeholder_dates_are_no_dates(text: str, said: str) -> None:
    """An export writes "no date" as .NET's DateTime.MinValue or MaxValue: read as a date,
    one such article stretched every timeline over 10,000 years, and the web page, which
    draws one for every search, answered 400 to every query. In another time zone it was
    an OverflowError (converted to UTC)."""
    with pytest.raises(ValueError, match=said):
        parse_date(text)
    assert parse_date("0001-01-02") == dt.datetime(1, 1, 2) and parse_date("1066-10-14") == dt.datetime(1066, 10, 14)


def test_a_number_of_seconds_is_a_date(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_text(json.dumps({"id": "1", "title": "Rates", "body": "Up.", "timestamp": 1104537600}) + "\n",
                    encoding="utf-8")
    articles, problems = read(path)
    assert [a.date for a in articles] == [dt.datetime(2005, 1, 1)] and problems == []


def test_a_placeholder_date_leaves_its_article_undated_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "export.jsonl"
    path.write_text("\n".join(json.dumps({"id": str(n), "title": "Refugees", "body": "Refugees arrive.", "date": date})
                              for n, date in enumerate(["2016-11-28", "0001-01-01T00:00:00Z", "9999-12-31"])) + "\n",
                    encoding="utf-8")
    articles, problems = read(path)
    assert [(a.id, a.date) for a in articles] == [("0", dt.datetime(2016, 11, 28)), ("1", None), ("2", None)]
    assert [(p.line, p.severity, p.message) for p in problems] == [
        (2, "warning", "placeholder date '0001-01-01T00:00:00Z'; indexed without a date"),
        (3, "warning", "placeholder date '9999-12-31'; indexed without a date")]


@pytest.mark.parametrize("text", ["9999999999", "12345", "2016"])  # (a Unix time of 2286; too few digits)
def test_digits_that_are_no_date(text: str) -> None:
    with pytest.raises(ValueError, match="unrecognised date"):
        parse_date(text)


def test_wire_dates_read_fast_as_strptime_reads_them() -> None:
    from searcher.dates import _parse_wire

    lines = require_data("reuters21578", "reuters21578.jsonl").read_text(encoding="utf-8").splitlines()
    dates = [json.loads(line)["date"] for line in lines]
    for text in dates:
        value = " ".join(text.split())
        try:
            slow = dt.datetime.strptime(value, "%d-%b-%Y %H:%M:%S.%f")
        except ValueError:
            slow = None
        assert _parse_wire(value) == slow, value
    assert _parse_wire("31-FEB-1987 10:00:00.1") is None  # no such day, as strptime says


def test_unreadable_file_is_reported(tmp_path: Path) -> None:
    # A link to a file that is gone fails to read for every user, root included.
    (tmp_path / "good.txt").write_text("Title\n\nBody", encoding="utf-8")
    (tmp_path / "gone.txt").symlink_to(tmp_path / "deleted-since.txt")
    articles, problems = read(tmp_path)
    assert [a.id for a in articles] == ["good"]
    assert len(problems) == 1
    assert problems[0].path.endswith("gone.txt") and "cannot read file" in problems[0].message


def test_a_text_file_starting_with_a_brace_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "update.txt"
    path.write_text("{Update} Ceasefire in Idlib\n\nThe truce held overnight.\n", encoding="utf-8")
    [article], problems = read(path)
    assert problems == []
    assert (article.title, article.body) == ("{Update} Ceasefire in Idlib", "The truce held overnight.")


def test_a_short_file_with_a_stray_escape_is_text(tmp_path: Path) -> None:
    path = tmp_path / "short.txt"
    path.write_text("Title\n\nBody \x1b[31m red\x07", encoding="utf-8")
    [article], problems = read(path)
    assert problems == [] and article.body == "Body [31m red"


def test_control_and_invisible_characters_are_taken_out_wherever_they_are() -> None:
    """text.py finds them with a regular expression before it translates: every one of
    them, and nothing else, in the middle of a line of text."""
    from searcher.text import CONTROL_CHARACTERS, clean_text, safe, without_invisible

    invisible = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
    for code in [*range(0x3000), *map(ord, invisible), 0xFFFD, 0x1F600]:
        character = chr(code)
        text = f"Idlib\nre{character}fugees"
        controlled, hidden = character in CONTROL_CHARACTERS, character in invisible
        assert clean_text(text) == ("Idlib\nrefugees" if controlled else text), hex(code)
        assert safe(text) == ("Idlib\nre\ufffdfugees" if controlled else text), hex(code)
        assert without_invisible(text) == ("Idlib\nrefugees" if hidden else text), hex(code)
    assert "\n" not in CONTROL_CHARACTERS and "\t" not in CONTROL_CHARACTERS and "\x1b" in CONTROL_CHARACTERS


def test_pipes_and_devices_are_skipped(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.txt")  # reading it would wait forever
    (tmp_path / "zero.txt").symlink_to("/dev/zero")  # reading it would never end
    (tmp_path / "good.txt").write_text("Title\n\nBody", encoding="utf-8")
    articles, problems = read(tmp_path, Config(follow_links=True))
    assert [a.id for a in articles] == ["good"]
    assert sorted((Path(p.path).name, p.message) for p in problems) == [
        ("pipe.txt", "not a regular file (a pipe, device or socket); skipped"),
        ("zero.txt", "not a regular file (a pipe, device or socket); skipped"),
    ]
    articles, problems = read(tmp_path)  # by default a link out of the corpus is not followed at all
    assert [a.id for a in articles] == ["good"]
    assert [(Path(p.path).name, p.message.split(",")[0]) for p in problems if "zero" in p.path] == [
        ("zero.txt", "a link to /dev/zero")]


def test_links_out_of_the_corpus_are_followed_only_when_the_config_says_so(tmp_path: Path) -> None:
    corpus, elsewhere = tmp_path / "corpus", tmp_path / "elsewhere"
    corpus.mkdir(), elsewhere.mkdir()
    (elsewhere / "far.txt").write_text("Far away\n\nBody", encoding="utf-8")
    (corpus / "near.txt").write_text("Near\n\nBody", encoding="utf-8")
    (corpus / "link-to-far.txt").symlink_to(elsewhere / "far.txt")
    (corpus / "link-to-near.txt").symlink_to(corpus / "near.txt")  # inside: followed
    (corpus / "folder-link").symlink_to(elsewhere, target_is_directory=True)
    (corpus / "loop").symlink_to(corpus, target_is_directory=True)  # a loop of links
    articles, problems = read(corpus)
    assert sorted(a.id for a in articles) == ["link-to-near", "near"]
    assert [Path(p.path).name for p in problems] == ["link-to-far.txt"]
    articles, problems = read(corpus, Config(follow_links=True))
    assert sorted(a.id for a in articles) == ["folder-link/far", "link-to-far", "link-to-near", "near"]
    assert problems == []



def test_a_csv_body_past_the_csv_module_limit_is_read_and_the_limit_left_as_it_was(tmp_path: Path) -> None:
    import csv

    from searcher.readers import read_corpus

    body = "The harbour strike went on. " * 6000  # 168 KB: csv refuses fields over 128 KiB by default
    (tmp_path / "long.csv").write_text(f'id,title,body\nlong-1,A long report,"{body}"\nshort-1,Brief,Calm.\n',
                                       encoding="utf-8")
    limit = csv.field_size_limit()
    articles = list(read_corpus(tmp_path / "long.csv"))
    assert [(article.id, len(article.body)) for article in articles] == [("long-1", len(body.strip())), ("short-1", 5)]
    assert csv.field_size_limit() == limit  # (the csv module's limit is the whole program's)


def test_a_file_of_dates_is_read_the_same_in_any_order(tmp_path: Path) -> None:
    from searcher.dates import DateParser

    written = ["26-FEB-1987 15:01:01.79", "08/30/63", "28 November 2016", "Nov. 28, 2016", "2016/11/28",
               "20161128", "Mon, 28 Nov 2016 10:00:00 +0100", "2016-11-28T10:00:00Z", "May 3, 1963"]
    alone = [DateParser().parse(text) for text in written]
    one_parser = DateParser()
    assert [one_parser.parse(text) for text in reversed(written)] == alone[::-1]
    assert alone[1].year == 1963 and alone[6].hour == 10  # (as written: the offset dropped)
