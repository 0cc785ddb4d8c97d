"""Reading a corpus: files and folders of news articles, in every supported format.

`read_corpus(path, config)` yields the articles of a file or folder (read
recursively, in sorted path order). Each file's format comes from its extension
(`config.formats` can override it) and, for .txt files, from its content:

- archive pages (see `archive_page`), other .txt files as plain text (first line
  the title, the rest the body);
- JSON lines and CSV/TSV, one article per line or row (see `records`);
- saved web pages (.html, see `html`) and web archives (.warc, .warc.gz, see `warc`),
  whose articles an extractor finds (the [html] extra; without it, they are skipped
  with one report saying how to install it).

Nothing stops the reading: a bad file or line becomes a `Problem`, passed to
`on_problem` (by default logged as a warning), and the rest is read.
"""

from __future__ import annotations

import codecs
import json
import logging
import os
import re
from dataclasses import replace
from typing import Callable, Collection, Container, Iterable, Iterator, TypeVar

from ..config import Config
from ..model import Article, Problem
from ..paths import display_path
from ..text import clean_text
from .archive_page import NotAnArticle, looks_like_archive_page, parse_archive_page
from .html import Page, page_of
from .warc import WarcPages
from .files import (EXTRACTED_FORMATS, HEAD, UTF16_BOMS, CorpusFile, UnreadableFile, check_lines, check_roots, corpus_files,
                    decode)
from .records import byte_lines, decoded_lines, numbered_lines, read_csv, read_jsonl, text_lines

__all__ = [
    "CorpusFile", "EXTRACTED_FORMATS", "check_roots", "choose", "corpus_files", "decode_file", "duplicate_problem", "file_format", "ignore_problem",
    "json_lines_of", "parse_data", "parse_text", "web_pages", "refused_json_lines", "text_lines", "place", "read_corpus", "read_file", "unreadable",
]

OnProblem = Callable[[Problem], None]
_log = logging.getLogger("searcher")


def read_corpus(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    config: Config | None = None,
    on_problem: OnProblem | None = None,
) -> Iterator[Article]:
    """Every article under `paths`, each id once (see `config.on_duplicate`)."""
    config = config or Config()
    on_problem = on_problem or _log_problem
    roots = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    files, problems = corpus_files(roots, dict(config.formats), config.follow_links)
    for problem in problems:
        on_problem(problem)
    web = [str(file.path) for file in files if file.format in EXTRACTED_FORMATS]
    if web:
        from .extraction import missing_extra, without_extra_problem

        if missing_extra():
            on_problem(without_extra_problem(web))
            files = [file for file in files if file.format not in EXTRACTED_FORMATS]

    chosen: dict[str, tuple[str, int | None]] = {}
    if config.on_duplicate == "keep-last":
        # Which copy is last is known only at the end: a first pass finds out.
        for file in files:
            for article in read_file(file, config, ignore_problem):
                choose(chosen, article.id, (article.path, article.line), config.on_duplicate)
    for file in files:
        for article in read_file(file, config, on_problem):
            here = (article.path, article.line)
            if config.on_duplicate == "keep-first":
                choose(chosen, article.id, here, config.on_duplicate)
            kept = chosen[article.id]
            if kept == here:
                yield article
            else:
                on_problem(duplicate_problem(article.id, *here, place(*kept), config.on_duplicate))


T = TypeVar("T")


def choose(chosen: dict[str, T], article_id: str, copy: T, policy: str) -> tuple[T, T] | None:
    """Offer one copy of an article, in corpus order, to `chosen` (id -> kept copy).

    Returns None for the first copy of an id, else (kept, skipped) as `policy` decides.
    This is the one place that applies `on_duplicate`, for reading and for indexing.
    """
    before = chosen.get(article_id)
    if before is None:
        chosen[article_id] = copy
        return None
    kept, skipped = (before, copy) if policy == "keep-first" else (copy, before)
    chosen[article_id] = kept
    return kept, skipped


def read_file(
    file: CorpusFile, config: Config, on_problem: OnProblem, lines: Collection[int] | None = None
) -> Iterator[Article]:
    """The articles of one corpus file; problems go to `on_problem`. With `lines`, only
    the articles that start on those lines (JSON lines and CSV; other files are read whole)."""
    try:
        data = file.path.read_bytes()
    except OSError as error:
        on_problem(unreadable(file, error))
        return
    data, json_lines = json_lines_of(file, data)
    yield from parse_data(data, file, config, on_problem, lines, json_lines)


def parse_data(
    data: bytes, file: CorpusFile, config: Config, on_problem: OnProblem, lines: Collection[int] | None = None,
    json_lines: list[bytes] | None = None, keep_id: Callable[[str], bool] | None = None,
) -> Iterator[Article]:
    """The articles in `data`, the bytes of `file` (with `lines`, as read_file), or for
    JSON lines, in `json_lines`, with `data` their head (see json_lines_of).

    JSON lines are decoded a line at a time: a line in another encoding is that line's
    problem, not the file's, and only the lines wanted are decoded at all. Other files
    are decoded whole. `keep_id` leaves out the articles whose id it refuses (a shard's
    index run skips the others'); the lines of JSON lines it refuses are not made into
    articles at all, nor the web pages extracted.
    """
    if file.format in EXTRACTED_FORMATS:
        from .html import page_article

        pages, warc = web_pages(data, file, on_problem)
        count = 0
        for page in pages:
            if keep_id is None or keep_id(page.id):
                article, problems = page_article(page)
                for problem in problems:
                    on_problem(problem)
                if article is not None:
                    count += 1
                    yield article
        note = warc.summary(count) if warc is not None else None
        if note is not None:
            on_problem(note)
        return
    if json_lines is None:
        text = decode_file(data, file, on_problem)
        del data  # a big file is in memory once, not twice
        if text is not None:
            articles = parse_text(text, file, config, on_problem, lines)
            yield from articles if keep_id is None else (article for article in articles if keep_id(article.id))
        return
    problem = refused_json_lines(file, data, json_lines)
    if problem is not None:
        on_problem(problem)
        return
    if lines is None:
        numbered: Iterable[tuple[int, bytes]] = enumerate(json_lines, start=1)
    else:
        numbered = ((number, json_lines[number - 1]) for number in sorted(lines) if 0 < number <= len(json_lines))
    report = _reporter(file, on_problem)
    yield from read_jsonl(decoded_lines(numbered, report), config.record_fields, file.default_id, report,
                          str(file.path), config.date_formats, keep_id)


def web_pages(
    data: bytes, file: CorpusFile, on_problem: OnProblem, start: int = 0
) -> tuple[Iterator[Page], WarcPages | None]:
    """The pages of a web page or WARC file (`data`, read from offset `start`), not yet
    extracted (see html.page_article), and for a WARC, its reader (what it skipped, where
    it stopped)."""
    if file.format == "html":
        return iter([page_of(data, str(file.path), str(file.relative))]), None
    warc = WarcPages(data, str(file.path), on_problem, start)
    return warc.pages(), warc


def refused_json_lines(file: CorpusFile, head: bytes, json_lines: list[bytes]) -> Problem | None:
    """The problem of a JSON lines file that is not text (binary, empty): see json_lines_of."""
    try:
        check_lines(head, json_lines)
    except UnreadableFile as error:
        return Problem(str(file.path), f"{error}; file skipped")
    return None


def json_lines_of(file: CorpusFile, data: bytes) -> tuple[bytes, list[bytes] | None]:
    """For JSON lines read from their bytes: the head of `data` (all parse_data needs
    besides) and its lines (see byte_lines), so that a big file is in memory once.
    For a file decoded whole (other formats, and UTF-16, whose newline is two bytes):
    (data, None)."""
    if not data.startswith(UTF16_BOMS) and (
        file.format == "jsonl" or (file.format == "auto" and _starts_with_object(data))
    ):
        return data[:HEAD], byte_lines(data)
    return data, None


def _starts_with_object(data: bytes) -> bool:
    """Whether the first line of `data` is a JSON object (as _sniff, on bytes)."""
    start = _SPACE.match(data, len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0).end()
    if data[start:start + 1] != b"{":
        return False
    end = data.find(b"\n", start)
    try:
        return isinstance(json.loads(data[start:end if end >= 0 else len(data)]), dict)
    except (ValueError, RecursionError):
        return False


_SPACE = re.compile(rb"\s*")


def unreadable(file: CorpusFile, error: OSError) -> Problem:
    """The report of a file that can't be read at all."""
    return Problem(str(file.path), f"cannot read file: {error.strerror or error}")


def decode_file(data: bytes, file: CorpusFile, on_problem: OnProblem) -> str | None:
    """The text of `file`, whose bytes are `data`; None (and a problem) when it isn't text."""
    try:
        text, warning = decode(data)
    except UnreadableFile as error:
        on_problem(Problem(str(file.path), f"{error}; file skipped"))
        return None
    if warning:
        on_problem(Problem(str(file.path), warning, severity="warning"))
    return text


def parse_text(
    text: str, file: CorpusFile, config: Config, on_problem: OnProblem, lines: Container[int] | None = None
) -> Iterator[Article]:
    """The articles in `text`, the decoded content of `file`."""

    report = _reporter(file, on_problem)
    fmt = file_format(file, text)
    fields = config.record_fields
    path = str(file.path)
    if fmt == "jsonl":
        yield from read_jsonl(numbered_lines(text, lines), fields, file.default_id, report, path, config.date_formats)
        return
    if fmt in ("csv", "tsv"):
        yield from read_csv(text, fields, file.default_id, report, "\t" if fmt == "tsv" else ",", lines, path,
                            config.date_formats)
        return
    if fmt == "archive-page":
        try:
            article = parse_archive_page(clean_text(text), file.default_id)
        except NotAnArticle as error:
            report(None, f"{error}; file skipped", "error")
            return
    else:
        article = _plain_text(clean_text(text), file.default_id)
        if not article.title and not article.body:  # (found by hypothesis: a file of one control character)
            report(None, "no text, only control characters; file skipped", "error")
            return
    yield replace(article, path=path)


def _reporter(file: CorpusFile, on_problem: OnProblem) -> Callable[..., None]:
    """report(line, message, severity, lines=1) for the problems of `file`."""

    def report(line: int | None, message: str, severity: str, lines: int = 1) -> None:
        on_problem(Problem(str(file.path), message, line, severity, lines))  # type: ignore[arg-type]

    return report


def file_format(file: CorpusFile, text: str) -> str:
    """The format of `file`, whose decoded content is `text`: jsonl, csv, tsv,
    archive-page or text."""
    return file.format if file.format != "auto" else _sniff(text)


def _sniff(text: str) -> str:
    first_line = text.lstrip().split("\n", 1)[0]
    if first_line.startswith("{"):
        try:
            if isinstance(json.loads(first_line), dict):
                return "jsonl"
        except ValueError:
            pass  # "{Update} Ceasefire in Idlib": a title, not JSON
    return "archive-page" if looks_like_archive_page(text) else "plain-text"


def _plain_text(text: str, default_id: str) -> Article:
    title, _, body = text.strip().partition("\n")
    return Article(id=default_id, title=title.strip(), body=body.strip())


def place(path: str, line: int | None) -> str:
    """A place in the corpus, as "path:line" or "path"."""
    where = display_path(path) if path else "?"
    return f"{where}:{line}" if line is not None else where


def duplicate_problem(article_id: str, path: str, line: int | None, kept: str, policy: str) -> Problem:
    """The report of a duplicate id: the article at (path, line) was skipped, the one at `kept` is indexed."""
    if policy == "keep-first":
        message = f"duplicate id {article_id!r}, first seen at {kept}; this one skipped (on_duplicate: keep-first"
    else:
        message = f"duplicate id {article_id!r}, seen again at {kept}; this one skipped (on_duplicate: keep-last"
    if line is None and _named_by_path(article_id, path) and _named_by_path(article_id, kept):
        # (Two corpus folders with a file of the same name, "article.html": not one story twice.)
        message += "; the id is the file's path under its corpus folder: index their parent folder to keep both"
    return Problem(path, message + ")", line)


def _named_by_path(article_id: str, path: str) -> bool:
    """Whether `article_id` is what a file at `path` without an id of its own is called
    (its path under its corpus folder, with or without its extension)."""
    return any(named == article_id or named.endswith(("/" + article_id, os.sep + article_id))
               for named in (path, os.path.splitext(path)[0]))


def _log_problem(problem: Problem) -> None:
    _log.warning("%s", problem)


def ignore_problem(problem: Problem) -> None:
    """An on_problem for a second reading of files whose problems were reported already."""
