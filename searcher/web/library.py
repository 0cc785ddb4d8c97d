"""The index a server answers from: one `Index`, asked one request at a time, off the event loop.

Every request reads the index through `Library.ask(answer)`: `answer(index)` runs in
a worker thread, so that the event loop goes on taking requests, one at a time: our
snapshots and Whoosh's searchers are not made to be shared between threads, and on
CPython two searches at once take as long as one after the other.

Inside one `ask` the index is pinned to one commit (Index.pinned): a page made of
several calls (the search, its timeline, what an empty result says) shows one
generation, even while `searcher index` commits in another process. The next request
reads the new commit, without a restart. When the index can't be read (a rebuild with
other shards, files gone under it), it is opened again and the request asked again,
once; then the error is the request's answer (503).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Callable, TypeVar

from ..errors import ArticleNotFoundError, SearcherError, http_status_for

if TYPE_CHECKING:
    from ..config import Config
    from ..index import Index
    from ..model import Article

T = TypeVar("T")


class Library:
    """The served index (opened at the first request, unless given open)."""

    def __init__(self, config: Config, index: Index | None = None) -> None:
        self.config = config
        self._index = index
        self._lock = threading.Lock()  # (the limiter already makes one at a time: this guards reopening)
        self._limiter: object | None = None  # anyio's CapacityLimiter(1), made on the event loop

    async def ask(self, answer: Callable[[Index], T]) -> T:
        """`answer(index)`, in a worker thread, one request at a time."""
        import anyio
        import anyio.to_thread

        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(1)
        return await anyio.to_thread.run_sync(self.ask_here, answer, limiter=self._limiter)

    def ask_here(self, answer: Callable[[Index], T]) -> T:
        """`answer(index)` in this thread (ask's work; also what a test or a script calls)."""
        with self._lock:
            try:
                index = self.index()
                with index.pinned():
                    return answer(index)
            except SearcherError as error:
                if http_status_for(error) != 503:
                    raise
                self.close()  # (opened again: a rebuild, files replaced, another shard count)
                index = self.index()
                with index.pinned():
                    return answer(index)

    def index(self) -> Index:
        if self._index is None:
            from ..index import Index

            self._index = Index.open(self.config.index, self.config)
        return self._index

    def close(self) -> None:
        if self._index is not None:
            self._index.close()
            self._index = None


def article_of(index: Index, article_id: str) -> Article:
    """The article with this id; ArticleNotFoundError (404) when there is none."""
    article = index.get(article_id)
    if article is None:
        raise ArticleNotFoundError(f"no article with id {article_id!r}")
    return article
