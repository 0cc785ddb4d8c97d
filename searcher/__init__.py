"""searcher: full-text search over news archives.

    from searcher import Index, load_config

    with Index.open("index") as index:
        for hit in index.search("Idlib refugees"):
            print(hit.rank, hit.article.title)

The names below are imported on first use, so that `import searcher` (and the
`searcher --help` command) stay fast: Whoosh loads only when an index does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = [
    "Article",
    "CollectionStatistics",
    "Config",
    "Filters",
    "Hit",
    "Index",
    "IndexReport",
    "Passage",
    "Problem",
    "Results",
    "Semantic",
    "ConfigError",
    "CorpusError",
    "IndexFormatError",
    "IndexLockedError",
    "IndexNotFoundError",
    "IndexReadError",
    "IndexVersionError",
    "IndexWriteError",
    "QueryError",
    "SearcherError",
    "Span",
    "evaluate",
    "load_config",
    "read_corpus",
    "update_index",
]

_HOMES = {
    "Article": "model",
    "CollectionStatistics": "engine.scoring",
    "Hit": "model",
    "IndexReport": "model",
    "Passage": "model",
    "Problem": "model",
    "Results": "model",
    "Semantic": "model",
    "Span": "model",
    "Config": "config",
    "Filters": "search.filters",
    "load_config": "config",
    "Index": "index",
    "read_corpus": "readers",
    "update_index": "indexing.update",
    "evaluate": "evaluation",
    "SearcherError": "errors",
    "ConfigError": "errors",
    "CorpusError": "errors",
    "IndexFormatError": "errors",
    "IndexLockedError": "errors",
    "IndexNotFoundError": "errors",
    "IndexReadError": "errors",
    "IndexVersionError": "errors",
    "IndexWriteError": "errors",
    "QueryError": "errors",
}

if TYPE_CHECKING:
    from .config import Config, load_config
    from .engine.scoring import CollectionStatistics
    from .errors import (
        ConfigError,
        CorpusError,
        IndexFormatError,
        IndexLockedError,
        IndexNotFoundError,
        IndexReadError,
        IndexVersionError,
        IndexWriteError,
        QueryError,
        SearcherError,
    )
    from .evaluation import evaluate
    from .index import Index
    from .indexing.update import update_index
    from .model import Article, Hit, IndexReport, Passage, Problem, Results, Semantic, Span
    from .readers import read_corpus
    from .search.filters import Filters


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        from importlib import import_module

        value = getattr(import_module(f".{_HOMES[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'searcher' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
