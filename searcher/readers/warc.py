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

import io
import re
from collections import Counter
from typing import Callable, Iterator

from ..dates import parse_date
from ..model import Problem
from .html import Page

#: Where a record can start: a gzip member (a compressed WARC) or a WARC header line.
_RECORD_START = re.compile(rb"\x1f\x8b\x08|(?:^|\n)WARC/1\.[01]\r?\n")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_:.-]+)", re.IGNORECASE)
_HTML_TYPES = ("text/html", "application/xhtml+xml")


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
        self.skipped: Counter[str] = Counter()

    def pages(self, keep_id: Callable[[str], bool] | None = None) -> Iterator[Page]:
        """The pages, in file order (with `keep_id`, only those whose id it keeps)."""
        from warcio.archiveiterator import ArchiveIterator

        at = self.start
        stream = io.BytesIO(self.data)
        while at < len(self.data):
            stream.seek(at)
            records = ArchiveIterator(stream)
            offset = at
            try:
                for record in records:
                    # (The record is read first: asked its offset, warcio reads it through.)
                    page = self._page(record, lambda: at + records.get_record_offset())
                    offset = at + records.get_record_offset()
                    if getattr(record.raw_stream, "limit", 0) > 0:
                        self._damaged(offset, "truncated record")
                        break
                    self.end = offset + records.get_record_length()
                    if page is not None and (keep_id is None or keep_id(page.id)):
                        yield page
                else:
                    if at + records.offset >= len(self.data):
                        return
                    offset = at + records.offset
                    self._damaged(offset, f"{len(self.data) - offset:,} bytes that are not a whole record")
            # warcio raises what its parsers meet in damaged bytes (ArchiveLoadFailed, zlib and
            # EOF errors, even AttributeError on a cut header): all mean "not a whole record".
            except Exception as error:  # noqa: BLE001
                offset = max(self.end, at)  # (where the last whole record ended: this one's start)
                self._damaged(offset, f"unreadable record ({type(error).__name__}: {_short(error)})")
            found = _RECORD_START.search(self.data, offset + 1)
            if found is None:
                return
            at = found.start() + (found.group().index(b"W") if found.group()[:1] != b"\x1f" else 0)

    def _page(self, record, offset_of: Callable[[], int]) -> Page | None:  # type: ignore[no-untyped-def]
        kind = record.rec_type or "unknown"
        if kind != "response":
            self.skipped[kind] += 1
            record.raw_stream.read()  # (read through, so that a truncated record shows)
            return None
        http = record.http_headers
        status = http.get_statuscode() if http is not None else ""
        content_type = (http.get_header("Content-Type") if http is not None else "") or ""
        if not status.startswith("2"):
            self.skipped["redirect" if status.startswith("3") else "error status"] += 1
            record.content_stream().read()  # (read through, so a truncated record shows)
            return None
        if not content_type.lower().startswith(_HTML_TYPES):
            self.skipped["not HTML"] += 1
            record.content_stream().read()
            return None
        payload = record.content_stream().read()
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
        self.on_problem(Problem(self.path, f"record at offset {offset:,}: {what}; skipped, the rest of the file read"))

    def summary(self, pages: int) -> Problem | None:
        """A note of what the file held besides pages, or None when it held only pages."""
        if not self.skipped:
            return None
        others = ", ".join(f"{count:,} {kind}" for kind, count in self.skipped.most_common())
        return Problem(self.path, f"{pages:,} pages read; records that are not pages, skipped: {others}",
                       severity="note")


def _short(error: Exception) -> str:
    text = " ".join(str(error).split())
    return text if len(text) <= 60 else text[:57] + "..."
