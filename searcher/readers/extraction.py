"""Extracting articles from web pages in worker processes, in corpus order.

Extraction is most of the cost of indexing web pages (25 ms a page, where the rest of
indexing an article is 2-3 ms: scripts/bench_html.py), so an index run hands pages to a
pool of worker processes and takes the articles back in the order the pages were read:
the first copy of an id is the first in the corpus, whatever finished first. At most
some tens of pages a worker wait in the pipe, so that memory stays bounded whatever the
archive's size.

The pool is started (forked) before the index's writer starts its own processes and
threads: a fork copies other threads' locks as they are at that moment, and the
extraction workers must not inherit a lock held by the writer's queue feeder.
"""

from __future__ import annotations

import multiprocessing
import signal
import sys
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Callable, Iterable

from ..errors import CorpusError
from ..model import Article, Problem
from ..paths import display_path
from .html import INSTALL_HINT, Page, page_article

#: Pages in flight for each worker: enough to keep every worker busy while the reader
#: waits on the oldest (the articles are handed on in corpus order, so a slow page holds
#: up the others' results), few enough that a WARC of a million pages is not read ahead.
#: 8 left a core idle 1.0-1.7 s of a 19-37 s run of 1,200-2,400 pages: the other
#: worker ran out of pages behind a slow one (scripts/bench_html.py's pages).
PAGES_IN_FLIGHT = 32
#: And at most this many bytes of pages in flight, whatever their number (a page may be
#: 20 MB: html.MAX_PAGE_BYTES).
BYTES_IN_FLIGHT = 64 * 1024 * 1024
#: As the index writer's workers (engine/writing.py): forked, where fork is the platform's way.
_START_METHOD = "fork" if sys.platform.startswith("linux") else multiprocessing.get_all_start_methods()[0]

Extracted = tuple[Article | None, list[Problem]]


class Extraction:
    """Extracts pages (see html.page_article): in `workers` processes, or in this
    process when `workers` is 1. A context manager; `close` stops the workers."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        if workers > 1:
            self._pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(_START_METHOD),
                                             initializer=_ignore_interrupts)
            # Start the processes now (see the module's note), and import the extractor in them.
            for done in [self._pool.submit(_warm) for _ in range(workers)]:
                done.result()

    def __enter__(self) -> Extraction:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def submit(self, page: Page) -> Future[Extracted]:
        if self._pool is None:
            done: Future[Extracted] = Future()
            done.set_result(page_article(page))
            return done
        return self._pool.submit(page_article, page)


@dataclass
class ExtractedFile:
    """One file's pages on their way through an `Extraction`: what the reader noted of
    its articles as they came back (`read`), and what to do once the last one has."""

    finished: Callable[[ExtractedFile], None]
    read: list[tuple[str, int | None, str]] = field(default_factory=list)  # (id, line, fingerprint)
    waiting: int = 0
    submitted: bool = False  # every page of the file is submitted


class InOrder:
    """Pages submitted file by file; articles handed to `on_article` in the same order,
    and each file's `finished` called once its last article was handed on."""

    def __init__(self, extraction: Extraction, on_article: Callable[[ExtractedFile, Article], None],
                 on_problem: Callable[[Problem], None]) -> None:
        self._extraction = extraction
        self._on_article = on_article
        self._on_problem = on_problem
        self._queue: deque[tuple[ExtractedFile, Page, Future[Extracted]]] = deque()
        self._limit = PAGES_IN_FLIGHT * max(1, extraction.workers)
        self._bytes = 0  # of the pages in the queue

    def add(self, file: ExtractedFile, pages: Iterable[Page]) -> None:
        """Submit the pages of `file` (taking back the oldest articles as the queue fills)."""
        for page in pages:
            file.waiting += 1
            self._queue.append((file, page, self._extraction.submit(page)))
            self._bytes += len(page.data)
            while len(self._queue) > self._limit or (self._bytes > BYTES_IN_FLIGHT and len(self._queue) > 1):
                self._take_oldest()
        file.submitted = True
        if file.waiting == 0:
            file.finished(file)

    def drain(self) -> None:
        """Wait for every page submitted, handing on their articles."""
        while self._queue:
            self._take_oldest()

    def _take_oldest(self) -> None:
        file, page, future = self._queue.popleft()
        self._bytes -= len(page.data)
        try:
            article, problems = future.result()
        except BrokenProcessPool:
            raise CorpusError(f"a page extraction worker died while reading {display_path(page.path)}",
                              hint="run `searcher index` again: what was committed is kept") from None
        for problem in problems:
            self._on_problem(problem)
        if article is not None:
            self._on_article(file, article)
        file.waiting -= 1
        if file.waiting == 0 and file.submitted:
            file.finished(file)


def _warm() -> None:
    import trafilatura  # noqa: F401  (once per worker, not in the first page's time)


def _ignore_interrupts() -> None:
    # Ctrl-C reaches the whole process group: the index run stops the workers itself,
    # without a traceback from each.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def extractor_version() -> str:
    """What, besides the configuration, changes the articles extracted from the same
    pages: the versions of trafilatura and warcio (a file read by others is read again)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"trafilatura {version('trafilatura')}, warcio {version('warcio')}"
    except PackageNotFoundError:
        return ""


def missing_extra() -> str | None:
    """Why web pages and web archives can't be read here, or None when they can."""
    from importlib.util import find_spec

    absent = [name for name in ("trafilatura", "warcio") if find_spec(name) is None]
    if not absent:
        return None
    return f"reading them needs the [html] extra ({' and '.join(absent)} not installed)"


def without_extra_problem(paths: list[str]) -> Problem:
    """The one report of the web pages and archives skipped for want of the [html] extra."""
    more = f" (and {len(paths) - 1:,} more web pages and WARC files)" if len(paths) > 1 else ""
    return Problem(paths[0], f"not read{more}: {missing_extra() or ''}; install it with: {INSTALL_HINT}")
