"""Web archives: the pages in a WARC file (`.warc`, `.warc.gz`), read with warcio.

Crawlers (the Internet Archive, Common Crawl's CC-NEWS, a newsroom's own) write WARC
files of records: a request, the response, metadata, for every URL fetched, each
record gzipped on its own. Every `response` record whose payload is an HTML page with
a 2xx status is a page (see html.Page): its id and URL are the record's
WARC-Target-URI, its date, when the page has none, the WARC-Date. The other records
(requests, metadata, images, redirects, errors) are skipped and counted.

warcio streams the records. A damaged record (truncated, corrupt gzip, a bad header)
is reported with its offset, and reading goes on at the next record found after it,
so the rest of the file is still read. `WarcPages.end` is where the last whole record
ended: an index run that finds the file grown by appending reads on from there.
"""

from __future__ import annotations

import gzip
import io
import re
import zlib
from collections import Counter
from typing import Callable, Iterator

from ..dates import parse_date
from ..model import Problem
from .html import Page

#: Where a record can start: a gzip member (a compressed WARC) or a WARC header line.
_RECORD_START = re.compile(rb"\x1f\x8b\x08|WARC/1\.[01]\r?\n")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_:.-]+)", re.IGNORECASE)
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_HTML_START = re.compile(rb"\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head)\b", re.IGNORECASE | re.DOTALL)


class WarcPages:
    """The pages of a WARC file's bytes, read from offset `start`.

    Iterate `pages()`; after it, `end` is the offset where the last whole record ended
    and `skipped` counts the records that are not pages, by kind. Problems go to
    `on_problem` as they are met.
    """

    def __init__(self, data: bytes, path: str, on_problem: Callable[[Problem], None], start: int = 0) -> None:
        self.data = data
        self.path = path
        self.on_problem = on_problem
        self.start = start
        self.end = start
        self.appendable = True
        self.skipped: Counter[str] = Counter()

    def pages(self, keep_id: Callable[[str], bool] | None = None) -> Iterator[Page]:
        """The pages, in file order (with `keep_id`, only those whose id it keeps)."""
        from warcio.archiveiterator import ArchiveIterator

        data = self.data
        if self.start == 0 and _gzipped_whole(data):
            # `gzip crawl.warc`: one gzip member for the whole file, which warcio reads as
            # one record. Read decompressed, offsets are the decompressed file's, and an
            # append can't be told from a rewrite: the file is read whole every time.
            data = self.data = gzip.decompress(data)
            self.appendable = False
        at = self.start
        stream = io.BytesIO(data)
        while at < len(data):
            stream.seek(at)
            records = ArchiveIterator(stream)
            # (warcio writes a record with a wrong length to stderr, several lines of its
            # bytes; the check below reports it, in one line. Set on this object only.)
            records.INC_RECORD = ""
            offset = at
            try:
                for record in records:
                    # (The record is read first: asked its offset, warcio reads it through.)
                    page = self._page(record, records.get_record_offset)
                    offset = records.get_record_offset()  # (from the stream's start, not from `at`)
                    whole = getattr(record.raw_stream, "limit", 0) == 0  # (all its Content-Length read)
                    end = _record_end(data, offset, offset + records.get_record_length(), whole)
                    if end is None:
                        self._damaged(offset, "truncated record, or one whose length is wrong")
                        break
                    self.end = end
                    if page is not None and (keep_id is None or keep_id(page.id)):
                        yield page
                else:
                    offset = max(self.end, at)
                    if offset >= len(data) or not data[offset:].strip():
                        return
                    self._damaged(offset, f"{len(data) - offset:,} bytes that are not a whole record")
            # warcio raises what its parsers meet in damaged bytes (ArchiveLoadFailed, zlib and
            # EOF errors, even AttributeError on a cut header): all mean "not a whole record".
            except Exception as error:  # noqa: BLE001
                offset = max(self.end, at)  # (where the last whole record ended: this one's start)
                self._damaged(offset, f"unreadable record ({type(error).__name__}: {_short(error)})")
            found = _RECORD_START.search(data, offset + 1)
            if found is None:
                return
            at = found.start()

    @property
    def resume_at(self) -> int:
        """Where a later run reads on from when the file grew (-1: read it whole again)."""
        return self.end if self.appendable else -1

    def _page(self, record, offset_of: Callable[[], int]) -> Page | None:  # type: ignore[no-untyped-def]
        kind = record.rec_type or "unknown"
        if kind != "response":
            self.skipped[kind] += 1
            record.raw_stream.read()  # (read through, so that a truncated record shows)
            return None
        http = record.http_headers
        status = http.get_statuscode() if http is not None else ""
        content_type = (http.get_header("Content-Type") if http is not None else "") or ""
        if http is None or not status.startswith("2"):
            # (No HTTP headers: a crawler's dns: record, say, whose response is no page.)
            self.skipped["not HTTP" if http is None else "redirect" if status.startswith("3") else "error status"] += 1
            record.content_stream().read()  # (read through, so a truncated record shows)
            return None
        payload = record.content_stream().read()
        if not (content_type.lower().startswith(_HTML_TYPES)
                or not content_type and _HTML_START.match(payload[:512])):  # (no type: the bytes say)
            self.skipped["not HTML"] += 1
            return None
        url = record.rec_headers.get_header("WARC-Target-URI") or ""
        charset = _CHARSET.search(content_type)
        fetched = record.rec_headers.get_header("WARC-Date")
        try:
            date = parse_date(fetched) if fetched else None
        except ValueError:
            date = None
        offset = offset_of()
        return Page(payload, self.path, id=url or f"{self.path}@{offset}", url=url,
                    charset=charset.group(1) if charset else "", date=date, offset=offset)

    def _damaged(self, offset: int, what: str) -> None:
        self.on_problem(Problem(self.path, f"record at offset {offset}: {what}; skipped"))

    def summary(self, pages: int) -> Problem | None:
        """A note of what the file held besides pages, or None when it held only pages."""
        if not self.skipped:
            return None
        others = ", ".join(f"{count:,} {kind}" for kind, count in self.skipped.most_common())
        return Problem(self.path, f"{pages:,} page{'' if pages == 1 else 's'} read; records that are not pages, skipped: {others}",
                       severity="note")


def _record_end(data: bytes, start: int, end: int, whole: bool) -> int | None:
    """Where the record read from `start` to `end` really ends, with the blank lines after
    it, or None when it is not `whole` (its content cut short) or its length is wrong: an
    uncompressed record must end in a blank line, then the next record or the file's end."""
    if not whole:
        return None
    if data.startswith(b"\x1f\x8b", start):
        return end
    if not data.startswith(b"\r\n\r\n", end):
        return None
    end += 4
    while data.startswith(b"\r\n", end):
        end += 2
    return end if end >= len(data) or data.startswith(b"WARC/", end) else None


def _gzipped_whole(data: bytes) -> bool:
    """Whether `data` is a WARC gzipped whole (its first member holds more than one record)."""
    if not data.startswith(b"\x1f\x8b"):
        return False
    first = zlib.decompressobj(31)
    try:
        head = first.decompress(data, 1 << 20)
    except zlib.error:
        return False
    return re.search(rb"\r\n\r\nWARC/1\.[01]\r?\n", head) is not None


def _short(error: Exception) -> str:
    text = " ".join(str(error).split())
    return text if len(text) <= 60 else text[:57] + "..."
