"""Opening the configured index to search it, building it first when it needs to be.

What the command line does before every search, and `Index.open_or_build` for a library:
build the index when there is none, when its first build was interrupted, or when an
older searcher made it. A module of its own, apart from update.py: a search that finds
its index imports none of the indexer (readers, writers, multiprocessing), which would
add 15 ms to every `searcher` command.
"""

from __future__ import annotations

from typing import Callable

from ..config import Config
from ..errors import IndexNotFoundError, IndexVersionError
from ..index import Index


def open_or_build(config: Config, *, may_build: bool,
                  build: Callable[[str, bool], object] | None) -> Index:
    """Index.open_or_build: the configured index, built first when there is none, when
    its first build was interrupted, or when an older searcher made it."""
    may_build = may_build and bool(config.corpus)
    if build is None:
        def build(reason: str, rebuild: bool) -> object:
            from .update import update_index

            return update_index(config, rebuild=rebuild)

    try:
        index = Index.open(config.index, config)
    except IndexNotFoundError:
        if not may_build:
            raise
        build("No index yet", False)
        return Index.open(config.index, config)
    except IndexVersionError as error:
        if not may_build or not error.older:
            raise  # (an index of a newer searcher is not rebuilt by an older one)
        build("The index was made by another version of searcher", True)
        return Index.open(config.index, config)
    try:
        # Empty and never indexed: an interrupted first build. (An index of an empty
        # corpus has its corpus recorded, and is left as it is.)
        interrupted = may_build and len(index) == 0 and not index.stats().corpus
    except BaseException:
        index.close()
        raise
    if not interrupted:
        return index
    index.close()
    build("The index is empty", False)
    return Index.open(config.index, config)
