"""Records: articles as JSON lines or CSV/TSV rows, with their keys mapped to fields.

Which key fills which field comes from the configuration's `fields:` (a list of
keys tried in order, see config.DEFAULT_RECORD_FIELDS). A broken line or row is
reported with its line number and skipped; the others are still read.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
import threading
from typing import Any, Callable, Container, Iterable, Iterator, Mapping, Sequence

from ..config import DEFAULT_RECORD_FIELDS
from ..dates import DateParser
from ..model import Article
from ..text import clean_text
from .archive_page import split_dateline

#: report(line, message, severity), and how many lines the report stands for (1 unless said)
Report = Callable[..., None]

# The date part of a wire dateline ("Feb 26", "26 Feb", "1987").
_DATE_PART = re.compile(r"^(?:\d|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d)", re.IGNORECASE)


def read_jsonl(
    numbered: Iterable[tuple[int, str]], fields: Mapping[str, tuple[str, ...]], default_id: str, report: Report,
    path: str = "", date_formats: Sequence[str] = (), keep_id: Callable[[str], bool] | None = None,
) -> Iterator[Article]:
    """The articles of the (number, line) lines of a JSON lines file (at `path`), one object a line
    (with `keep_id`, only those whose id it keeps: the others are not made at all)."""
    dates = DateParser(date_formats)
    keys = _KeyCase(fields)
    report = _Repeats(report)
    without_text = _WithoutText(fields, report)
    for number, line in numbered:
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except RecursionError:
            report(number, "JSON nested too deeply; line skipped", "error")
            continue
        except ValueError as error:
            report(number, f"invalid JSON ({_json_reason(error)}); line skipped", "error")
            continue
        if not isinstance(record, dict):
            report(number, f"expected a JSON object, got {type(record).__name__}; line skipped", "error")
            continue
        record = keys.renamed(record)
        without_text.met(record, number)
        if keep_id is not None and not keep_id(record_id(record, fields, f"{default_id}:{number}")):
            continue  # (a shard's run: another shard's article)
        article = record_to_article(record, fields, f"{default_id}:{number}", number, report, path, dates)
        if article is not None:
            yield article
    without_text.close()
    report.close()


def byte_lines(data: bytes) -> list[bytes]:
    """The lines of a file's bytes, without their newlines, numbered from 1 as the lines
    of its decoded text (a BOM dropped, CRLF and CR read as newlines). For encodings
    whose newline is one byte: UTF-8, cp1252, ASCII."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    lines = data.split(b"\n")
    if not lines[-1]:
        lines.pop()  # the last line ends with a newline: no line after it
    return lines


def decoded_lines(numbered: Iterable[tuple[int, bytes]], report: Report) -> Iterator[tuple[int, str]]:
    """(number, text) of (number, bytes) lines: UTF-8, or where a line is not valid UTF-8,
    cp1252 (reported once, at the end, with the first such line and how many)."""
    first, count = None, 0
    for number, line in numbered:
        try:
            yield number, line.decode("utf-8")
        except UnicodeDecodeError as error:
            if first is None:
                first = (number, f"byte 0x{line[error.start]:02x} at offset {error.start} of the line")
            count += 1
            yield number, line.decode("cp1252", errors="replace")
    if first is not None:
        more = f" (and {count - 1:,} more line{'s' if count > 2 else ''})" if count > 1 else ""
        report(first[0], f"not valid UTF-8 ({first[1]}){more}; read as cp1252", "warning")


def text_lines(text: str) -> Iterator[str]:
    """The lines of `text`, each with its "\\n" (as io.StringIO gives them, without
    its copy of the text at four bytes a character: 500 MB for a 120 MB file)."""
    for _, line in numbered_lines(text):
        yield line


def numbered_lines(text: str, lines: Container[int] | None = None) -> Iterator[tuple[int, str]]:
    """(number, line) for the lines of `text` (see text_lines), numbered from 1 (only
    those in `lines`, when given: the others are stepped over without being copied)."""
    find, start, end, number = text.find, 0, len(text), 0
    while start < end:
        number += 1
        stop = find("\n", start)
        stop = end if stop < 0 else stop + 1
        if lines is None or number in lines:
            yield number, text[start:stop]
        start = stop


def read_csv(
    text: str, fields: Mapping[str, tuple[str, ...]], default_id: str, report: Report, delimiter: str = ",",
    lines: Container[int] | None = None, path: str = "", date_formats: Sequence[str] = (),
) -> Iterator[Article]:
    """The articles of a CSV (or TSV) file (at `path`) whose first row names the columns
    (only those whose row starts on one of `lines`, when given)."""
    dates = DateParser(date_formats)
    first_line = text[:text.find("\n")] if "\n" in text else text
    if delimiter == "," and ";" in first_line and "," not in first_line:
        delimiter = ";"  # (as a spreadsheet writes CSV where the comma is the decimal mark)
    reader = csv.reader(text_lines(text), delimiter=delimiter, strict=True)
    report = _Repeats(report)
    try:
        header = _next_row(reader)
    except StopIteration:
        return
    except csv.Error as error:
        report(reader.line_num, f"unreadable header row ({error}); file skipped", "error")
        return
    header = _KeyCase(fields).names([name.strip() for name in header])
    without_text = _WithoutText(fields, report)
    start = reader.line_num + 1
    while True:
        try:
            row = _next_row(reader)
        except StopIteration:
            break
        except csv.Error as error:
            # A broken quote swallows the rest of the file: csv can't resync after it.
            report(start, f"unreadable CSV row ({error}); the rest of the file skipped", "error")
            break
        number, start = start, reader.line_num + 1
        if (lines is not None and number not in lines) or not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            report(number, f"row has {len(row)} columns, the header has {len(header)}; row skipped", "error")
            continue
        record = dict(zip(header, row))
        without_text.met(record, number)
        article = record_to_article(record, fields, f"{default_id}:{number}", number, report, path, dates)
        if article is not None:
            yield article
    without_text.close()
    report.close()


def record_to_article(
    record: Mapping[str, Any], fields: Mapping[str, tuple[str, ...]], default_id: str, line: int, report: Report,
    path: str = "", dates: DateParser | None = None,
) -> Article | None:
    """An Article from one record, or None (reported) when it has no text. Dates are
    read by `dates` (the file's DateParser, with the configuration's date_format)."""

    def value(name: str) -> Any:
        return _value(record, fields[name])

    def text(name: str, joiner: str = "\n\n") -> str:
        found = _text(value(name), joiner)
        if found is None:
            report(line, f"field {name!r} is {type(value(name)).__name__}, expected text; ignored", "warning")
            return ""
        return found

    def names(name: str) -> tuple[str, ...]:
        found = value(name)
        items = found if isinstance(found, list) else [found] if found is not None else []
        return tuple(clean_text(str(item)).strip() for item in items if isinstance(item, (str, int, float)) and str(item).strip())

    title, body = text("title"), text("body")
    if not title and not body:
        looked_for = {key.lower() for key in fields["title"] + fields["body"]}
        empty = [str(key) for key in record if str(key).lower() in looked_for]
        # ("it has: id, title, body" read as if the keys were missing, when they were empty.)
        said = f"{' and '.join(empty)} {'is' if len(empty) == 1 else 'are'} empty" if empty else ""
        if len(empty) < 2:
            said += ("; " if said else "") + (f"looked for keys: {', '.join(fields['title'] + fields['body'])}; "
                                               f"it has: {_keys_of(record) or 'none'}")
        report(line, f"no title or text ({said}); skipped", "error")
        return None
    date = None
    raw_date = text("date")
    if raw_date:
        try:
            date = (dates or DateParser()).parse(raw_date)
        except ValueError as error:  # ("unrecognised date '...'", "placeholder date '0001-01-01'")
            report(line, f"{error}; indexed without a date", "warning")
    dateline = value("dateline")
    places = _dateline_places(dateline) if isinstance(dateline, str) else names("dateline")
    return Article(
        id=text("id", joiner=",") or default_id,
        title=title,
        body=body,
        caption=text("caption"),
        credit=text("credit"),
        dateline=places,
        source=text("source", joiner=", "),
        categories=names("category"),
        date=date,
        url=text("url"),
        authors=names("author"),
        language=text("language"),
        path=path,
        line=line,
    )


class _KeyCase:
    """A record's keys as the configuration writes them, whatever their case: a
    spreadsheet's "Title" and "Body" are the keys title and body (an exact key first).
    The renaming is worked out once for each set of keys met (a file's records share one)."""

    def __init__(self, fields: Mapping[str, tuple[str, ...]]) -> None:
        self._wanted = {key.split(".")[0].lower(): key.split(".")[0] for keys in fields.values() for key in keys}
        self._renamings: dict[tuple[str, ...], dict[str, str]] = {}

    def renamed(self, record: dict[str, Any]) -> dict[str, Any]:
        renaming = self._renaming(tuple(record))
        if not renaming:
            return record
        return {renaming.get(name, name): value for name, value in record.items()}

    def names(self, names: list[str]) -> list[str]:
        """A header row's names, renamed (the same name twice stays twice)."""
        renaming = self._renaming(tuple(names))
        return [renaming.get(name, name) for name in names]

    def _renaming(self, names: tuple[str, ...]) -> dict[str, str]:
        renaming = self._renamings.get(names)
        if renaming is None:
            present = set(names)
            renaming = {}
            for name in names:
                wanted = self._wanted.get(name.lower()) if isinstance(name, str) else None
                if wanted is not None and wanted != name and wanted not in present and wanted not in renaming.values():
                    renaming[name] = wanted
            if len(self._renamings) < 64:  # (records with ever other keys: worked out each time)
                self._renamings[names] = renaming
        return renaming


_QUOTED_VALUE = re.compile(r"'[^']*'")


class _WithoutText:
    """Says, once a file is read, that none of its articles had a body, when the
    configuration names the body's keys: a `fields.body` that names no key of its records
    (a typo, "Storyy") indexed titles alone and said nothing. (With the default keys, a
    file of titles is taken as it is. A record with neither is an error of its own.)"""

    def __init__(self, fields: Mapping[str, tuple[str, ...]], report: Report) -> None:
        self._keys: tuple[str, ...] | None = fields["body"] if fields["body"] != DEFAULT_RECORD_FIELDS["body"] else None
        self._report = report
        self._first: tuple[int, Mapping[str, Any]] | None = None  # (line, record) of the first record

    def met(self, record: Mapping[str, Any], line: int) -> None:
        """Each record of the file, whether this run indexes it or not: a shard's run sees
        them all, and says what the run of an index of one shard would, once."""
        if self._keys is not None:
            if _value(record, self._keys) is not None:
                self._keys = None  # (one body is enough: nothing to say)
            elif self._first is None:
                self._first = (line, record)

    def close(self) -> None:
        if self._keys is None or self._first is None:
            return
        line, record = self._first
        there = [key for key in self._keys if _lookup(record, key) is not None]
        said = f"{', '.join(there)} empty in every record" if there else \
            f"looked for keys: {', '.join(self._keys)}; the first has: {_keys_of(record)}"
        self._report(line, f"no record has a body, only titles are indexed ({said}): check fields.body in the "
                           "configuration", "warning")


def _keys_of(record: Mapping[str, Any]) -> str:
    """A record's keys, as a message lists them (the first twelve)."""
    return ", ".join(str(key) for key in list(record)[:12]) + (", ..." if len(record) > 12 else "")


class _Repeats:
    """A Report that says a problem met on many lines of a file (records that all lack
    the keys looked for, say) on its first three, then once: how many more lines had it."""

    SAID = 3

    def __init__(self, report: Report) -> None:
        self._report = report
        self._met: dict[str, list] = {}  # kind -> [times, first line not said, severity]

    def __call__(self, line: int | None, message: str, severity: str) -> None:
        # (What a problem is, without what it says of one line: "no title or text (looked
        # for keys ...)"; "unrecognised date '...'; indexed without a date".)
        kind = _QUOTED_VALUE.sub("'…'", message.split(" (", 1)[0])
        met = self._met.setdefault(kind, [0, None, severity])
        met[0] += 1
        if met[0] <= self.SAID:
            self._report(line, message, severity)
        elif met[0] == self.SAID + 1:
            met[1] = line

    def close(self) -> None:
        """Say each problem met more than SAID times: on how many more lines, from the first not said."""
        for kind, (times, first, severity) in self._met.items():
            if times > self.SAID:
                self._report(first, f"{kind}: also on {times - self.SAID:,} more lines, from this one", severity,
                             times - self.SAID)
        self._met.clear()


def record_id(record: Mapping[str, Any], fields: Mapping[str, tuple[str, ...]], default_id: str) -> str:
    """The id record_to_article gives `record`, and nothing else made (nor reported)."""
    return _text(_value(record, fields["id"]), ",") or default_id


def _value(record: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    """The first of `keys` (dotted paths) that `record` has a value for, not empty."""
    for key in keys:
        found = _lookup(record, key)
        if found not in (None, "", []):
            return found
    return None


def _text(found: Any, joiner: str) -> str | None:
    """A field's value as text ("" for none); None when it is not text (an object)."""
    if found is None:
        return ""
    if isinstance(found, list) and all(isinstance(item, (str, int, float)) for item in found):
        return clean_text(joiner.join(str(item) for item in found)).strip()
    if isinstance(found, (str, int, float)) and not isinstance(found, bool):
        return clean_text(str(found)).strip()
    return None


def _lookup(record: Mapping[str, Any], key: str) -> Any:
    if key in record:
        return record[key]
    if "." not in key:
        return None
    current: Any = record
    for part in key.split("."):
        if not isinstance(current, dict) or part not in current:
            return None
        current = current[part]
    return current


def _dateline_places(dateline: str) -> tuple[str, ...]:
    """Places from a dateline string: "BUENOS AIRES, Feb 26 -" gives ("BUENOS AIRES",)."""
    places, _ = split_dateline(dateline.strip() + " x")  # "Moscow, Beirut –" form
    if places:
        return places
    parts = [part.strip(" -–—\t") for part in re.split(r"[,;/]", dateline)]
    return tuple(part for part in parts if part and not _DATE_PART.match(part))


def _json_reason(error: ValueError) -> str:
    # (json's own message ("Unterminated string starting at") leaves the place to its str,
    # which says it as "line 1 column 7 (char 6)": a line's JSON is one line)
    if not isinstance(error, json.JSONDecodeError):
        return str(error)
    return f"{error.msg}{'' if error.msg.endswith(' at') else ' at'} character {error.colno}"


def _next_row(reader: Any) -> list[str]:
    """The csv reader's next row, with no limit on a field's length while it is read.

    csv refuses fields over 128 KiB by default, and an article body can be longer. The
    limit is the csv module's, for the whole process: it is raised while some row of
    ours is being read and put back after the last one, so that other csv readers in
    the program keep theirs (threads reading at once included)."""
    global _reading, _saved_limit
    with _limit_lock:
        if _reading == 0:
            _saved_limit = csv.field_size_limit(_NO_FIELD_LIMIT)
        _reading += 1
    try:
        return next(reader)
    finally:
        with _limit_lock:
            _reading -= 1
            if _reading == 0:
                csv.field_size_limit(_saved_limit)


_NO_FIELD_LIMIT = 2**31 - 1  # (the largest a C long holds on every platform; no article is 2 GB)
_limit_lock = threading.Lock()
_reading = 0  # rows being read now, in all threads
_saved_limit = 0  # the program's limit, while _reading
