"""The `searcher` command, through click's CliRunner and through the installed script."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from searcher import Config, CorpusError, update_index
from searcher.cli.commands import cli

from .conftest import SAMPLE


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder set up like the repository: searcher.yaml, corpus/ with the sample, no index yet."""
    (tmp_path / "corpus").mkdir()
    shutil.copy(SAMPLE, tmp_path / "corpus")
    (tmp_path / "searcher.yaml").write_text("corpus: corpus\nindex: index\n", encoding="utf-8")
    return tmp_path


def run(*args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def test_an_index_of_an_older_version_is_rebuilt_for_the_configured_corpus(project: Path) -> None:
    assert run("index").exit_code == 0
    marker = project / "index" / "searcher-index.json"

    def set_version(version: int) -> None:
        data = json.loads(marker.read_text(encoding="utf-8"))
        marker.write_text(json.dumps({**data, "schema_version": version}), encoding="utf-8")

    set_version(3)
    result = run("Idlib refugees")
    assert result.exit_code == 0, result.stderr
    assert "The index was made by another version of searcher: building index from corpus" in result.stderr
    assert "1 article matches 'Idlib refugees'" in result.stdout
    # An index named with --index is not the configured one: it is not rebuilt unasked.
    set_version(3)
    result = CliRunner().invoke(cli, ["Idlib", "--index", str(project / "index")])
    assert result.exit_code == 2 and "has schema version 3" in result.stderr and "--rebuild" in result.stderr
    # Nor is an index of a newer searcher (two versions installed would rebuild each other).
    set_version(99)
    result = CliRunner().invoke(cli, ["Idlib"])
    assert result.exit_code == 2 and "has schema version 99" in result.stderr


def test_first_search_builds_the_index_and_finds_the_sample(project: Path) -> None:
    result = run("Idlib refugees")
    assert result.exit_code == 0, result.stderr
    assert "No index yet: building index from corpus" in result.stderr
    assert "1 added" in result.stderr
    out = result.stdout
    assert "1 article matches 'Idlib refugees'" in out
    assert " 1. Moscow Wants Entire Aleppo, Idlib Awaits its Fate" in out
    assert "Asharq Al-Awsat · Moscow, Beirut · id 55363386" in out
    first_passage = out.splitlines()[4]
    assert "Around 1.5 million refugees have joined them" in first_passage
    assert "\x1b[" not in out  # no colours when not a terminal
    assert (project / "index" / "searcher-index.json").exists()
    # The second search uses the index as it is.
    again = run("search", "Idlib", "refugees")
    assert again.exit_code == 0 and again.stderr == ""
    assert again.stdout == out


def test_json_lines(project: Path) -> None:
    result = run("Idlib", "--json", "--passages", "3")
    assert result.exit_code == 0
    [line] = result.stdout.splitlines()
    hit = json.loads(line)
    assert (hit["rank"], hit["id"]) == (1, "55363386") and hit["score"] > 0
    assert hit["title"] == "Moscow Wants Entire Aleppo, Idlib Awaits its Fate"
    assert [hit["title"][s:e] for s, e in hit["title_spans"]] == ["Idlib"]
    assert hit["fields"]["source"] == "Asharq Al-Awsat" and hit["fields"]["dateline"] == ["Moscow", "Beirut"]
    assert hit["fields"]["credit"] == "George Ourfalian/AFP"
    assert len(hit["passages"]) == 3
    for passage in hit["passages"]:
        assert passage["spans"] and all(passage["text"][s:e] == "Idlib" for s, e in passage["spans"])


def test_exit_codes(project: Path) -> None:
    assert run("Idlib").exit_code == 0
    nothing = run("zebra")
    assert nothing.exit_code == 1 and nothing.stdout == "" and "No article matches 'zebra'" in nothing.stderr
    bad = run("Idlib date:2016-13")
    assert bad.exit_code == 2
    assert bad.stderr == "searcher: error: invalid date '2016-13' (no such month or day) at position 11\n"


def test_any_word_fallback_is_said(project: Path) -> None:
    result = run("Idlib zebras")
    assert result.exit_code == 0
    assert "No article has all the words; showing articles with any of them." in result.stderr
    # The count on standard output says it too, for output piped without stderr.
    assert "1 article matches 'Idlib zebras' (any of its words)" in result.stdout


def test_no_index_says_how_to_build_one(tmp_path: Path) -> None:
    result = run("Idlib")  # no searcher.yaml anywhere
    assert result.exit_code == 2
    assert result.stderr == (
        "searcher: error: no index at index (no searcher.yaml here or in a parent folder; run `searcher index "
        "CORPUS` to build an index here, or use --config or --index)\n"
    )
    (tmp_path / "searcher.yaml").write_text("index: ix\n")  # a project without a corpus
    result = run("Idlib")
    assert result.exit_code == 2
    assert result.stderr == "searcher: error: no index at ix (run `searcher index` to build it)\n"
    result = run("stats", "--index", str(tmp_path / "missing"))
    assert result.exit_code == 2 and "no index at missing (run `searcher index` to build it)" in result.stderr


def test_an_empty_index_is_built_by_the_next_search(project: Path) -> None:
    from searcher import Index

    Index.create(project / "index").close()  # what an interrupted first build leaves
    result = run("Idlib refugees")
    assert result.exit_code == 0
    assert "The index is empty: building index from corpus" in result.stderr
    assert "Moscow Wants Entire Aleppo" in result.stdout
    Index.create(project / "elsewhere").close()
    result = run("Idlib", "--index", "elsewhere")
    assert result.exit_code == 1
    assert "The index holds no articles (run `searcher index CORPUS`)." in result.stderr


def test_config_errors_are_one_line(project: Path) -> None:
    (project / "searcher.yaml").write_text("corpus: corpus\nserach:\n  limit: 5\n", encoding="utf-8")
    result = run("Idlib")
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("searcher: error: ") and "searcher.yaml:2: serach: unknown key" in lines[0]


def test_a_corpus_path_that_is_not_there_names_its_file_and_makes_no_index(project: Path) -> None:
    """A new user's trial: `corpus: [corpus1, nothere]` in c3.yaml said "`corpus:` in
    searcher.yaml", and left an empty index behind, which stats then showed as one."""
    (project / "c3.yaml").write_text("corpus: [corpus, nothere]\nindex: ix3\n", encoding="utf-8")
    for command in (["index"], ["index", "--shards", "2"], ["Idlib"]):
        result = run("--config", str(project / "c3.yaml"), *command)
        assert result.exit_code == 2 and result.stderr.splitlines()[-1] == (
            f"searcher: error: corpus not found: {project / 'nothere'} (check the path, or `corpus:` in "
            f"{project / 'c3.yaml'})"), command  # (the configuration's paths are relative to its folder)
        assert not (project / "ix3").exists()
    with pytest.raises(CorpusError, match=r"^corpus not found: nothere \(check the path\)$"):
        update_index(Config(index=project / "ix4"), [project / "corpus", "nothere"])
    assert not (project / "ix4").exists()
    # No corpus at all (a trial: `searcher index --config /dev/null` left an empty index,
    # which stats then showed, exit 0, and a search called "an index of no articles").
    (project / "c5.yaml").write_text("index: ix5\n", encoding="utf-8")
    for command in (["index"], ["index", "--shards", "2"]):
        result = run("--config", str(project / "c5.yaml"), *command)
        assert result.exit_code == 2 and result.stderr.splitlines()[-1] == (
            "searcher: error: no corpus to index (name one: `searcher index PATH`, or set `corpus:` in searcher.yaml)")
        assert not (project / "ix5").exists(), command


def test_config_option_and_environment(project: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    os.chdir(elsewhere)
    assert run("Idlib").exit_code == 2  # no config here
    assert run("--config", str(project / "searcher.yaml"), "Idlib").exit_code == 0
    assert run("Idlib", env={"SEARCHER_CONFIG": str(project / "searcher.yaml")}).exit_code == 0
    # A file the variable names is said as the variable's (a trial: "Invalid value for
    # '--config'", when no --config was given).
    for named, said in ((elsewhere, "cannot read the configuration file: Is a directory"),
                        (elsewhere / "nosuch.yaml", "configuration file not found")):
        result = run("Idlib", env={"SEARCHER_CONFIG": str(named)})
        assert result.exit_code == 2 and result.stderr == f"searcher: error: $SEARCHER_CONFIG: {named}: {said}\n"
        result = run("--config", str(named), "Idlib")
        assert result.exit_code == 2 and result.stderr == f"searcher: error: {named}: {said}\n"
    # (A review: errors that are not the file's are not the variable's either.)
    result = run("Idlib", "--cluster", "nonsense", env={"SEARCHER_CONFIG": str(project / "searcher.yaml")})
    assert result.exit_code == 2 and result.stderr.startswith("searcher: error: --cluster: expected a Dask scheduler")


def test_index_command(project: Path, bbc_docs: Path) -> None:
    result = run("index")
    assert result.exit_code == 0
    assert "1 added, 0 updated, 0 removed, 0 unchanged" in result.stdout
    result = run("index", "--json")
    report = json.loads(result.stdout)
    assert (report["added"], report["unchanged"], report["files_read"]) == (0, 1, 0)
    (project / "corpus" / "bad.jsonl").write_text('{"id": "x", "title": "ok"}\n{nope\n', encoding="utf-8")
    result = run("index")
    assert result.exit_code == 0
    assert "skipped: corpus/bad.jsonl:2: invalid JSON" in result.stderr
    assert "1 added, 0 updated, 0 removed, 1 unchanged, 1 skipped (see above)" in result.stdout
    (project / "corpus" / "bad.jsonl").write_text('{"id": "x", "title": "ok"}\n{nope\n{"id": "y"}\n', encoding="utf-8")
    report = json.loads(run("index", "--json").stdout)
    assert [(p["path"], p["line"]) for p in report["problems"]] == [
        (str(project / "corpus" / "bad.jsonl"), 2), (str(project / "corpus" / "bad.jsonl"), 3),
    ]
    result = run("index", str(bbc_docs), "--index", "bbc", "--json")
    assert json.loads(result.stdout)["added"] == 2225
    assert run("stats", "--index", "bbc", "--json").exit_code == 0


def test_index_rebuild(project: Path) -> None:
    run("index")
    result = run("index", "--rebuild", "--json")
    assert json.loads(result.stdout)["added"] == 1


def test_index_of_a_missing_corpus(project: Path) -> None:
    result = run("index", "no-such-folder")
    assert result.exit_code == 2 and "does not exist" in result.stderr


def test_show(project: Path) -> None:
    run("index")
    result = run("show", "55363386")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "Moscow Wants Entire Aleppo, Idlib Awaits its Fate"
    assert "Photo: Syrian pro-government troops" in result.stdout and "(George Ourfalian/AFP)" in result.stdout
    assert "Moscow, Beirut – China and Russia vetoed" in result.stdout
    article = json.loads(run("show", "55363386", "--json").stdout)
    assert article["id"] == "55363386" and article["body"].startswith("China and Russia vetoed")
    missing = run("show", "nope")
    assert missing.exit_code == 1 and "no article with id 'nope'" in missing.stderr


def test_a_sort_by_date_of_undated_articles_says_so(project: Path) -> None:
    # The bundled article has no date: --sort newest ranked by relevance, without a word.
    result = run("Idlib", "--sort", "newest")
    assert result.exit_code == 0 and "Moscow Wants Entire Aleppo" in result.stdout
    assert "None of these articles has a date: --sort newest leaves them in order of relevance." in result.stderr
    assert "has a date" not in run("Idlib").stderr


def test_stats(project: Path) -> None:
    run("index")
    stats = json.loads(run("stats", "--json").stdout)
    assert stats["articles"] == 1
    assert {"title", "body", "caption", "dateline", "source", "category", "date", "url", "path", "id"} <= set(stats["fields"])
    assert stats["size_bytes"] > 0 and stats["last_update"]
    assert stats["corpus"] == [str(project / "corpus")] and stats["path"] == str(project / "index")
    text = run("stats").stdout
    assert "Articles:     1" in text and "Corpus:       corpus" in text


def test_article_text_is_never_markup_or_escape_codes(tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    record = {"id": "x", "title": "[bold red]Breaking[/] :fire: news", "body": "Text with \u001b[2J escape and [link=http://x]y[/link]."}
    feed.write_text(json.dumps(record) + "\n", encoding="utf-8")
    assert run("index", str(feed)).exit_code == 0
    out = run("breaking").stdout
    assert "[bold red]Breaking[/] :fire: news" in out
    assert "[link=http://x]y[/link]" in out and "\x1b" not in out


def test_every_command_has_help() -> None:
    for name, command in cli.commands.items():
        result = run(name, "--help")
        assert result.exit_code == 0, name
        assert command.get_short_help_str() and "--index" in result.stdout, name
    top = run("--help")
    assert top.exit_code == 0 and "Query syntax" in top.stdout and "date:2016-11-01..2016-12-31" in top.stdout


def test_usage_errors_exit_2(project: Path) -> None:
    assert run("search").exit_code == 2  # no query
    assert run("Idlib", "--limit", "0").exit_code == 2


# -- the installed script ------------------------------------------------------------------


def installed_searcher() -> Path:
    script = Path(sys.executable).parent / "searcher"
    assert script.exists(), "the searcher script is not installed: run pip install '.[test]' first"
    return script


def test_installed_script_end_to_end(project: Path) -> None:
    script = installed_searcher()
    env = {k: v for k, v in os.environ.items() if k != "SEARCHER_CONFIG"}
    done = subprocess.run([script, "Idlib refugees"], cwd=project, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Moscow Wants Entire Aleppo, Idlib Awaits its Fate" in done.stdout
    assert "Around 1.5 million refugees have joined them" in done.stdout
    done = subprocess.run([script, "--json", "Idlib refugees"], cwd=project, env=env, capture_output=True, text=True, timeout=60)
    assert json.loads(done.stdout)["id"] == "55363386"
    done = subprocess.run([script, "nothing-like-this"], cwd=project, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    done = subprocess.run([script, "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("searcher ")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux) to fill the output")
@pytest.mark.parametrize("json_flag", [[], ["--json"]])
def test_a_full_disk_is_one_line_not_a_traceback(project: Path, json_flag: list[str]) -> None:
    env = {k: v for k, v in os.environ.items() if k != "SEARCHER_CONFIG"}
    subprocess.run([installed_searcher(), "index"], cwd=project, env=env, capture_output=True, timeout=120)
    with open("/dev/full", "w") as full:
        done = subprocess.run([installed_searcher(), *json_flag, "Idlib refugees"], cwd=project, env=env,
                              stdout=full, stderr=subprocess.PIPE, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr == "searcher: error: cannot write the output: No space left on device\n"


def test_help_imports_neither_whoosh_nor_rich() -> None:
    code = (
        "import sys\n"
        "from searcher.cli.commands import main\n"
        "sys.argv = ['searcher', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('whoosh', 'rich', 'yaml', 'starlette', 'uvicorn', 'jinja2', 'distributed') "
        "if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_index_for_a_tool_imports_no_rich_and_reports_problems_on_stderr(tmp_path: Path) -> None:
    corpus = tmp_path / "feed.jsonl"
    corpus.write_text('{"id": "a", "title": "Oil"}\nnot json\n', encoding="utf-8")
    code = (
        "import sys\n"
        "from searcher.cli.commands import main\n"
        f"sys.argv = ['searcher', 'index', {str(corpus)!r}, '--index', {str(tmp_path / 'ix')!r}, '--json']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('rich' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    report, imported_rich = done.stdout.strip().splitlines()
    assert json.loads(report)["added"] == 1 and imported_rich == "False"
    problem, summary = done.stderr.splitlines()
    assert problem.startswith("skipped: ") and "feed.jsonl:2: invalid JSON" in problem
    assert ": 1 added, 0 updated, 0 removed, 0 unchanged, 1 skipped (see above) in " in summary


@pytest.mark.timing  # (the run must still be going when Ctrl-C comes)
def test_ctrl_c_stops_indexing_cleanly(tmp_path: Path) -> None:
    """Ctrl-C reaches the whole process group, worker processes included."""
    import signal
    import time

    from .conftest import require_data

    reuters = require_data("reuters21578", "reuters21578.jsonl")
    # Reuters three times over (ids suffixed): a run of over 15 s, so that Ctrl-C comes mid-run.
    corpus = tmp_path / "reuters-x3.jsonl"
    with corpus.open("w", encoding="utf-8") as out:
        for copy in (1, 2, 3):
            for line in reuters.read_text(encoding="utf-8").splitlines():
                record = json.loads(line)
                record["id"] = f"{record['id']}-{copy}"
                out.write(json.dumps(record) + "\n")
    index = tmp_path / "index"
    command = [installed_searcher(), "index", str(corpus), "--index", str(index)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(_children(process.pid)) < 2:
        time.sleep(0.1)  # until both indexing workers have started
    time.sleep(1)
    assert process.poll() is None, "indexing ended before Ctrl-C"
    os.killpg(process.pid, signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130
    assert "Traceback" not in err
    assert err.startswith("searcher: interrupted; nothing of this run was saved")
    listed = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    assert str(index) not in listed  # no worker left behind
    done = subprocess.run([installed_searcher(), "stats", "--index", str(index), "--json"], capture_output=True, text=True)
    assert json.loads(done.stdout)["articles"] == 0  # the index is as it was: empty


def _children(pid: int) -> list[str]:
    listed = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return listed.split()


def test_json_says_when_any_word_matched(project: Path) -> None:
    assert json.loads(run("Idlib refugees", "--json").stdout)["matched"] == "all"
    assert json.loads(run("Idlib zebras", "--json").stdout)["matched"] == "some"
    assert json.loads(run("Idlib zebras", "--json", "--all-words").stdout)["matched"] == "some"  # (its fallback)


def test_minus_word_needs_no_quotes(project: Path) -> None:
    assert run("Idlib", "-Aleppo").exit_code == 1  # the sample mentions Aleppo
    assert run("Idlib", "-zebra").exit_code == 0
    assert run("Idlib", '-"crude oil"').exit_code == 0
    assert run("Idlib", '-"Security Council"').exit_code == 1
    assert run("Idlib", "-(Aleppo OR zebra)").exit_code == 1
    assert run("Idlib", "-2004", "-n1", "--passages=1").exit_code == 0
    result = run("-Aleppo", "Idlib", "--json", "-p", "1")
    assert result.exit_code == 1 and result.stdout == ""


def test_an_option_the_command_lacks_is_an_error_not_a_word(project: Path) -> None:
    # Taken for words, "-n 3" gave export another query ("not n", and "3") and
    # "--jsn" a search for "coffee --jsn", both without a word said.
    for args, option in ((("export", "Idlib", "-n", "3"), "-n"), (("search", "Idlib", "--jsn"), "--jsn"),
                         (("words", "Idlib", "-p", "1"), "-p"), (("timeline", "Idlib", "-n3"), "-n")):
        result = run(*args)
        assert result.exit_code == 2 and f"No such option '{option}'" in result.stderr, args
        # One line, as every error is (click's own was four: usage, a hint, a blank, the error).
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("searcher: error: "), result.stderr
        assert f"(see `searcher {args[0] if args[0] != 'Idlib' else 'search'} --help`)" in result.stderr
    assert "Did you mean one of: '--json'" in run("Idlib", "--jsn").stderr
    for args, said in ((("Idlib", "-n", "0"), "0 is not in the range"),
                       (("Idlib", "--facets", "palce"), "unknown facet 'palce' (did you mean place? "),
                       (("export", "Idlib", "--fields", "id,titel"), "unknown field 'titel' (did you mean title? ")):
        result = run(*args)
        assert result.exit_code == 2 and said in result.stderr and result.stderr.count("\n") == 1, result.stderr
    # --config goes anywhere, as --index does: after the command, it is still the configuration.
    result = run("Idlib", "--config", str(project / "no-such.yaml"))
    assert result.exit_code == 2 and "no-such.yaml: configuration file not found" in result.stderr
    result = run("export", "Idlib", "--format")  # (said in the group's context: the command's help still named)
    assert result.exit_code == 2 and "requires an argument. (see `searcher export --help`)" in result.stderr
    result = run("search", "Idlib", "--config")  # (not "search" taken for its file)
    assert result.exit_code == 2 and "Option '--config' requires an argument." in result.stderr
    # And --index before the command's name: `stats` was a word of a search ("No article matches").
    run("index")
    result = run("--index", str(project / "index"), "stats", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["articles"] == 1, result.output
    # `searcher` alone shows the help (click says it as a usage error of its own: not one line).
    alone = run()
    assert alone.exit_code == 2 and alone.output.startswith("Usage: ") and "Commands:" in alone.output
    # The command's own options, and words that only start as an option does, still work.
    assert run("Idlib", "-nuclear", "-n", "1").exit_code == 0
    assert run("export", "Idlib", "-o", str(project / "out.jsonl")).exit_code == 0


def test_an_index_run_that_skips_every_article_it_reads_exits_2(project: Path) -> None:
    # Records with none of the keys looked for: "0 added" and exit 0 read as done to a script.
    other = project / "other.jsonl"
    other.write_text("".join(json.dumps({"foo": n}) + "\n" for n in range(2500)), encoding="utf-8")
    result = run("index", str(other), "--index", str(project / "other-index"))
    assert result.exit_code == 2, result.output
    assert "0 added, 0 updated, 0 removed, 0 unchanged, 2,500 skipped (see above)" in result.output
    assert len([line for line in result.output.splitlines() if line.startswith("skipped: ")]) == 4
    # The next run reads nothing of the unchanged file, and says its lines are still skipped
    # (it said "0 unchanged", nothing else). Touched, not changed, it says so too.
    for _ in range(2):
        again = run("index", str(other), "--index", str(project / "other-index"))
        assert again.exit_code == 0 and "(0 files read, 1 unchanged)" in again.output
        assert "note: other.jsonl: what was skipped when it was last read is still left out: the file is unchanged since then" \
            in again.output
        os.utime(other)
    # A sharded index's shards each keep the file's state: the note is said once.
    mixed = project / "mixed.jsonl"
    mixed.write_text("".join(json.dumps({"id": f"m{n}", "title": f"Story {n}"}) + "\n" for n in range(6))
                     + "{broken\n" + json.dumps({"id": "e", "title": ""}) + "\n", encoding="utf-8")
    assert run("index", str(mixed), "--index", str(project / "sharded"), "--shards", "2").exit_code == 0
    again = run("index", str(mixed), "--index", str(project / "sharded"))
    assert again.output.count("note: mixed.jsonl: what was skipped") == 1, again.output
    # A record whose keys are there but empty says so ("it has: id, title, body" read as missing keys).
    other.write_text(json.dumps({"id": "e", "Title": "", "body": " "}) + "\n{broken\n", encoding="utf-8")
    result = run("index", str(other), "--index", str(project / "other-index"))
    assert "skipped: other.jsonl:1: no title or text (title and body are empty)\n" in result.output
    # ("skipped: ...; line skipped" said it twice.)
    assert "skipped: other.jsonl:2: invalid JSON (Expecting property name enclosed in double quotes at character 2)\n" \
        in result.output
    # A folder with no file to read (empty, or a path mistyped in a script) is no success either.
    (project / "empty").mkdir()
    result = run("index", str(project / "empty"), "--index", str(project / "empty-index"))
    assert result.exit_code == 2 and "No file of the corpus is in a format searcher reads" in result.output
    # Some articles indexed, some skipped: done, as before.
    assert run("index", str(other), str(project / "corpus"), "--index", str(project / "both")).exit_code == 0


# Whoosh leaves the damaged file open when it fails to read it.
@pytest.mark.filterwarnings("ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_damaged_index_is_one_line_and_a_hint(project: Path) -> None:
    run("index")
    for segment in (project / "index").glob("MAIN_*.seg"):
        segment.write_bytes(b"")
    result = run("Idlib")
    assert result.exit_code == 2
    assert result.stderr.startswith("searcher: error: cannot read the index at index (damaged: ")
    assert result.stderr.rstrip().endswith("(run `searcher index --rebuild` to build it again)")
    assert len(result.stderr.splitlines()) == 1
    assert run("index", "--rebuild").exit_code == 0
    assert run("Idlib").exit_code == 0
    # A table of contents of other bytes (Whoosh: "created on a different architecture"),
    # or empty (a TypeError in Whoosh): the same, and the rebuild it advises works.
    for garbage in (b"garbage\n", b""):
        (toc,) = (project / "index").glob("_MAIN_*.toc")
        toc.write_bytes(garbage)
        for args in (("Idlib",), ("stats",)):
            result = run(*args)
            assert result.exit_code == 2 and result.stderr == (
                "searcher: error: cannot read the index at index (damaged: its table of contents is not one) "
                "(run `searcher index --rebuild` to build it again)\n"), result.stderr
        assert run("index", "--rebuild").exit_code == 0
        assert run("Idlib").exit_code == 0


@pytest.mark.parametrize("error, hint", [
    (PermissionError(13, "Permission denied"), "(check the index folder's permissions)"),
    (OSError(24, "Too many open files"), "(too many files open: raise the limit (ulimit -n))"),
])
def test_an_index_the_system_will_not_let_us_read_is_not_called_damaged(
        project: Path, monkeypatch: pytest.MonkeyPatch, error: OSError, hint: str) -> None:
    from searcher.engine.reading import SegmentStorage

    run("index")

    def refused(self, name, **kwargs):  # type: ignore[no-untyped-def]
        raise error

    monkeypatch.setattr(SegmentStorage, "open_file", refused)
    result = run("Idlib")
    assert result.exit_code == 2
    assert result.stderr == f"searcher: error: cannot read the index at index ({error.strerror}) {hint}\n"


def test_export_to_dev_stdout_writes_to_the_pipe(project: Path) -> None:
    # A trial: `-o /dev/stdout` was "No such file or directory": the link's real path,
    # "pipe:[...]", was taken for a new file's.
    run("index")
    done = subprocess.run([installed_searcher(), "export", "Idlib", "-o", "/dev/stdout"], cwd=project,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    ids = [json.loads(line)["id"] for line in run("export", "Idlib").stdout.splitlines()]
    assert [json.loads(line)["id"] for line in done.stdout.splitlines()] == ids != []
    # The review: standard output on a file (`>> log`) was replaced whole, not written to.
    log = project / "log.txt"
    log.write_text("before\n", encoding="utf-8")
    with log.open("a", encoding="utf-8") as out:
        for path in ("/dev/stdout", "/proc/self/fd/1"):
            assert subprocess.run([installed_searcher(), "export", "Idlib", "-o", path], cwd=project, stdout=out,
                                  stderr=subprocess.DEVNULL, timeout=60).returncode == 0
    lines = log.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "before" and [json.loads(line)["id"] for line in lines[1:]] == ids * 2


@pytest.mark.parametrize("as_json", [False, True])
def test_a_closed_pipe_is_not_an_error(project: Path, as_json: bool) -> None:
    script = installed_searcher()
    run("index")
    extra = ["--json"] if as_json else []
    # Many copies of the article, so that the output outgrows the pipe's buffer.
    feed = project / "corpus" / "many.jsonl"
    feed.write_text("".join(json.dumps({"id": str(n), "title": "Idlib", "body": "Idlib " * 200}) + "\n" for n in range(400)))
    run("index")
    with subprocess.Popen([script, "Idlib", "-n", "400", *extra], cwd=project, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE) as process:
        process.stdout.readline()
        process.stdout.close()  # like `| head -1`
        assert process.wait(timeout=60) == 0
        assert process.stderr.read() == b""
