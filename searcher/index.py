"""The index: a Whoosh index on disk, and the one class that opens, writes and searches it.

    with Index.open("index") as index:
        for hit in index.search("Idlib refugees"):
            print(hit.rank, hit.article.title, hit.passages[0].text)

Whoosh objects never leave this module (and the query and schema modules it
uses): hits are copied into `Hit`, `Article` and `Passage` before the search
returns.
"""

from __future__ import annotations

import datetime as dt
import json
import functools
import os
import pickle
import struct
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any, Callable, Iterable, Literal, TypeVar

from whoosh import index as whoosh_index

from . import scoring
from .analysis import TEXT_TERMS, stem
from .config import Config
from .errors import IndexFormatError, IndexLockedError, IndexNotFoundError, IndexWriteError
from .model import Article, Hit, IndexReport, IndexStats, Problem, Results
from .paths import display_path
from .schema import SCHEMA_VERSION, build_schema, fingerprint, from_stored, to_document
from .locking import LOCK_NAME, write_lock
from .storage import read_in_place

read_in_place()

MARKER = "searcher-index.json"  # says "a searcher index, schema version N" in the folder
_WHOOSH_PREFIXES = ("_MAIN_", "MAIN_")  # the files Whoosh writes for the index named MAIN
T = TypeVar("T")

# What reading a damaged index file raises from inside Whoosh.
_DAMAGE = (struct.error, EOFError, zlib.error, pickle.UnpicklingError, OSError)


def _reads_index(method: Callable[..., T]) -> Callable[..., T]:
    """Turns errors from damaged or missing index files into IndexFormatError (no traceback)."""

    @functools.wraps(method)
    def wrapper(self: Index, *args: Any, **kwargs: Any) -> T:
        try:
            return method(self, *args, **kwargs)
        except _DAMAGE as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else f"damaged: {error}"
            raise IndexFormatError(f"cannot read the index at {display_path(self.path)} ({reason})") from None

    return wrapper


class Index:
    """A searcher index on disk. Open one with `Index.open`, make one with `Index.create`."""

    def __init__(self, path: Path, whoosh_ix, config: Config) -> None:  # type: ignore[no-untyped-def]
        self.path = path
        self.config = config
        self._ix = whoosh_ix
        self._searcher = None
        # Made by the first search: an index run needs none of the query machinery.
        self._lengths = None  # matching.Lengths of the searcher's segments; new with each searcher
        self._query_builder = None  # see _queries
        self._words = WordList(path)
        #: The run-long write lock (see locking); batches take it too.
        self.write_lock = write_lock(path)
        # Passages find the query's terms in stored text with the indexing analysis
        # (analysis.TermCache: the analyzer's terms, from a cache of words seen).
        self._analyze = TEXT_TERMS.tokens

    # -- opening ------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None, config: Config | None = None) -> Index:
        """Open the index at `path` (default: the configured one)."""
        config = config or Config()
        folder = Path(path).absolute() if path is not None else config.index
        where = display_path(folder)
        if not folder.exists():
            raise IndexNotFoundError(f"no index at {where}")
        if not folder.is_dir():
            raise IndexFormatError(f"{where} is a file, not an index folder", hint="use --index with a folder")
        marker = folder / MARKER
        has_whoosh = any(name.startswith(_WHOOSH_PREFIXES) for name in os.listdir(folder))
        if not marker.exists():
            if has_whoosh:
                raise IndexFormatError(f"{where} holds an index searcher did not make")
            raise IndexNotFoundError(f"no index at {where}")
        try:
            version = json.loads(marker.read_text(encoding="utf-8")).get("schema_version")
        except (OSError, ValueError, AttributeError) as error:
            raise IndexFormatError(f"{where}: unreadable {MARKER} ({error})") from None
        if version != SCHEMA_VERSION:
            raise IndexFormatError(f"the index at {where} has schema version {version}; this searcher reads {SCHEMA_VERSION}")
        try:
            ix = whoosh_index.open_dir(str(folder))
        except whoosh_index.EmptyIndexError:
            raise IndexFormatError(f"the index at {where} is incomplete (no table of contents)") from None
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, ValueError) as error:
            raise IndexFormatError(f"cannot open the index at {where}: {error}") from None
        return cls(folder, ix, config)

    @classmethod
    def create(cls, path: str | os.PathLike[str] | None = None, config: Config | None = None) -> Index:
        """A new, empty index at `path`, replacing any index there.

        The folder may be new, empty (but for dot files) or an index; anything else is
        refused so that a mistyped path never deletes someone's files.
        """
        config = config or Config()
        folder = Path(path).absolute() if path is not None else config.index
        where = display_path(folder)
        if folder.exists() and not folder.is_dir():
            raise IndexFormatError(f"{where} is a file, not an index folder", hint="use --index with a folder")
        folder.mkdir(parents=True, exist_ok=True)
        ours = (MARKER, *_WHOOSH_PREFIXES, "searcher-")
        strangers = [n for n in os.listdir(folder) if not n.startswith(".") and not n.startswith(ours)]
        if strangers:
            raise IndexFormatError(
                f"{where} is not empty and not an index (it holds {strangers[0]!r})",
                hint="choose an empty folder for the index",
            )
        lock = write_lock(folder)  # (another process may be writing the index replaced)
        lock.acquire(config.lock_wait)
        try:
            for name in os.listdir(folder):
                if name.startswith(ours) and name != LOCK_NAME:
                    (folder / name).unlink()
            ix = whoosh_index.create_in(str(folder), build_schema())
            _write_marker(folder)
        except OSError as error:
            raise IndexWriteError(f"cannot create the index at {where}: {error.strerror or error}") from None
        finally:
            lock.release()
        return cls(folder, ix, config)

    @staticmethod
    def exists(path: str | os.PathLike[str]) -> bool:
        """True when `path` holds a searcher index (of any version)."""
        return (Path(path) / MARKER).is_file()

    # -- writing ------------------------------------------------------------------------

    def batch(self, *, workers: int = 1, clear: bool = False, optimize: bool = False) -> Batch:
        """A writing session, committed when the `with` block ends (cancelled on an exception).

        `workers` > 1 analyses and writes in that many processes. `clear` removes every
        article already in the index when the batch commits; `optimize` merges the
        index's segments, dropping what deleted and replaced articles left behind.
        """
        return Batch(self, workers=workers, clear=clear, optimize=optimize)

    def add(self, articles: Iterable[Article]) -> IndexReport:
        """Add articles, replacing those with the same id; one commit. Returns what it did."""
        report = IndexReport()
        with self.batch() as batch:
            for article in articles:
                outcome = batch.add(article)
                if outcome == "added":
                    report.added += 1
                elif outcome == "replaced":
                    report.updated += 1
                else:
                    report.problems.append(Problem(
                        article.path or "<add>",
                        f"duplicate id {article.id!r} in one add(); this one skipped",
                        article.line,
                    ))
        return report

    # -- reading ------------------------------------------------------------------------

    @_reads_index
    def __len__(self) -> int:
        # The searcher's reader, not a new one: opening a reader copies each segment's
        # term table into memory.
        return self._current_searcher().doc_count()

    @property
    @_reads_index
    def deleted_count(self) -> int:
        """Deleted and replaced articles still taking space (until their segment is merged)."""
        searcher = self._current_searcher()
        return searcher.doc_count_all() - searcher.doc_count()

    @property
    def generation(self) -> int:
        """The number of the last commit (changes with every commit)."""
        return self._ix.latest_generation()

    @_reads_index
    def get(self, article_id: str) -> Article | None:
        """The article with this id, or None."""
        stored = self._current_searcher().document(id=article_id)
        return from_stored(stored) if stored else None

    @_reads_index
    def fingerprints(self) -> list[tuple[str, str, str]]:
        """(id, path, fingerprint) of every article: what incremental indexing compares.

        It reads every stored article: the indexer needs it only when its manifest is lost.
        """
        reader = self._current_searcher().reader()
        return [
            (stored["id"], stored.get("path", ""), stored.get("fingerprint", "")) for _, stored in reader.iter_docs()
        ]

    @_reads_index
    def search(self, query: str, limit: int | None = 10, passages: int | None = None) -> Results:
        """The best `limit` articles for `query` (None: all), each with its best passages.

        Plain words must all match; when no article has them all, articles with any of
        them are returned and `Results.matched` says "any". Raises QueryError for a query
        that can't be parsed.
        """
        if limit is not None and limit < 1:
            raise ValueError(f"limit must be 1 or more (or None for all), not {limit}")
        if passages is not None and passages < 0:
            raise ValueError(f"passages must be 0 or more, not {passages}")
        from . import matching
        from .passages import best_passages, whole_text
        from .query import Wanted, has_patterns, highlight_terms, resolve_patterns

        prepared = self._queries.prepare(query)
        passage_count = self.config.passages if passages is None else passages
        searcher = self._current_searcher()
        if searcher.doc_count_all() == 0:
            return Results([], total=0, query=str(prepared.query))  # (BM25's idf is undefined here)
        reader = searcher.reader()
        if self._lengths is None:
            self._lengths = matching.Lengths()
        # The word list serves wildcards only: a plain search doesn't read it.
        words = self._words.words() if has_patterns(prepared.query) else []
        used, matched = resolve_patterns(prepared.query, reader, stem, words), prepared.matched
        found, total = matching.top(searcher, used, limit, self._lengths)
        if total == 0 and prepared.fallback is not None:
            used, matched = resolve_patterns(prepared.fallback, reader, stem, words), "any"
            found, total = matching.top(searcher, used, limit, self._lengths)
        wanted = highlight_terms(used)
        weights: dict[str, float] = {}
        for fieldname in ("body", "caption"):
            for term in wanted.get(fieldname, Wanted()).terms:
                weights[term] = searcher.idf(fieldname, term)
            for phrase in wanted.get(fieldname, Wanted()).phrases:
                weights[" ".join(phrase)] = sum(searcher.idf(fieldname, word) for word in phrase)
        hits = []
        for rank, (docnum, score) in enumerate(found, start=1):
            article = from_stored(searcher.stored_fields(docnum))
            hits.append(
                Hit(
                    id=article.id,
                    rank=rank,
                    score=float(score or 0.0),
                    article=article,
                    title=whole_text(article.title, wanted.get("title"), self._analyze),
                    passages=tuple(
                        best_passages(
                            [("caption", article.caption), ("body", article.body)],
                            wanted,
                            weights,
                            self._analyze,
                            passage_count,
                            self.config.passage_chars,
                        )
                    ),
                )
            )
        return Results(hits, total=total, matched=matched, query=str(used))  # type: ignore[arg-type]

    @_reads_index
    def stats(self) -> IndexStats:
        from .manifest import Manifest

        size = sum(entry.stat().st_size for entry in os.scandir(self.path) if entry.is_file())
        searcher = self._current_searcher()
        modified = self._ix.last_modified()
        return IndexStats(
            path=str(self.path),
            articles=searcher.doc_count(),
            fields=tuple(self._ix.schema.names()),
            size_bytes=size,
            last_update=dt.datetime.fromtimestamp(modified) if modified and modified > 0 else None,
            corpus=tuple(Manifest.load(self.path).roots),
            segments=len(list(searcher.reader().leaf_readers())),
        )

    # -- closing ------------------------------------------------------------------------

    def close(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None
        self._ix.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def _queries(self):  # type: ignore[no-untyped-def]
        """The query.QueryBuilder, made by the first search."""
        if self._query_builder is None:
            from .query import QueryBuilder

            self._query_builder = QueryBuilder(self._ix.schema, self.config.boosts)
        return self._query_builder

    def _current_searcher(self):  # type: ignore[no-untyped-def]
        """A Whoosh searcher on the last commit, reopened when the index has changed."""
        if self._searcher is not None and not self._searcher.up_to_date():
            self._searcher.close()
            self._searcher = None
        if self._searcher is None:
            for attempt in range(3):
                try:
                    self._searcher = self._ix.searcher(weighting=scoring.weighting(self.config.boosts))
                    break
                except FileNotFoundError:
                    # A commit deletes the segments it merged away: between reading the
                    # table of contents and opening its segments, one can be gone. The
                    # next table of contents names what is there.
                    if attempt == 2:
                        raise
                    time.sleep(0.05)
            self._lengths = None
        return self._searcher

    def _writer(self, workers: int):  # type: ignore[no-untyped-def]
        # Imported here: searching needs none of it (multiprocessing included).
        from .segments import ParallelWriter, SegmentWriter

        try:
            if workers > 1:
                return ParallelWriter(self._ix, procs=workers, multisegment=True, limitmb=128)
            return SegmentWriter(self._ix, limitmb=256)
        except whoosh_index.LockError:
            raise IndexLockedError(
                f"the index at {display_path(self.path)} is being written by another process",
                hint="wait for it to finish",
            ) from None


class Batch:
    """Adds and deletes articles in one commit; see `Index.batch`."""

    def __init__(self, index: Index, *, workers: int, clear: bool, optimize: bool) -> None:
        self._index = index
        self._workers = workers
        self._clear = clear
        self._optimize = optimize
        self._writer = None
        self._ids: set[str] = set()
        self._may_replace = False
        self._committed = False  # whether commit() was called

    def __enter__(self) -> Batch:
        self._index.write_lock.acquire(self._index.config.lock_wait)
        try:
            # With nothing committed yet, or everything to be cleared, nothing can be replaced.
            self._may_replace = not self._clear and len(self._index) > 0
            self._writer = self._index._writer(self._workers)
        except BaseException:
            self._index.write_lock.release()
            raise
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        try:
            # A batch that committed as it went made segments of a like size, which
            # Whoosh's policy would merge at the end through its slow merge: 20 s of
            # Reuters written in batches of 2,000. They stay as they are.
            self._finish(cancel=exc_type is not None, merge=not self._committed)
        finally:
            self._index.write_lock.release()

    def commit(self) -> None:
        """Commit what the batch holds so far and go on in a new writing session, the
        write lock still held. A batch that clears the index commits once, at its end."""
        if self._clear:
            raise ValueError("a batch that clears the index commits once, at its end")
        self._finish(cancel=False, merge=False)
        # (_ids and _may_replace stay: an id is still added once a batch, and a first
        # build, which committed only new articles, still has none to replace.)
        self._committed = True
        self._writer = self._index._writer(self._workers)

    def _finish(self, cancel: bool, merge: bool = True) -> None:
        """Commit (or with `cancel`, drop) the writing session. Without `merge`, no
        segment is merged: Whoosh's policy merges small segments through its own slow
        merge, which at every commit of a run rewrote the same articles again."""
        from .segments import ParallelWriter  # (imported already: _writer made the writer)

        writer, self._writer = self._writer, None
        if writer is None:
            return
        if cancel:
            writer.cancel()
            return
        try:
            # The word list just before the commit: if the commit fails, a few extra
            # words do no harm. Workers' words are known when they have finished.
            def save_words(words: set[str]) -> None:
                self._index._words.add(words | TEXT_TERMS.stemmed_away, replace=self._clear)

            if isinstance(writer, ParallelWriter):
                writer.before_commit = save_words
            else:
                save_words(set())
            from whoosh.writing import CLEAR, NO_MERGE  # here: searching needs none of whoosh.writing

            if self._clear:
                writer.commit(mergetype=CLEAR)
            elif not merge:
                writer.commit(mergetype=NO_MERGE)
            else:
                writer.commit(optimize=self._optimize)
        except BaseException:
            if isinstance(writer, ParallelWriter):
                writer.stop_workers()
            if not writer.is_closed:
                writer.cancel()  # releases the write lock; nothing of this batch is committed
            raise

    def add(self, article: Article, article_hash: str | None = None) -> Literal["added", "replaced", "duplicate"]:
        """Add an article, replacing the committed one with its id.

        An id already added in this batch is not added again ("duplicate"): Whoosh
        cannot replace a document before it is committed.
        """
        if article.id in self._ids:
            return "duplicate"
        self._ids.add(article.id)
        replaced = self._may_replace and self._delete(article.id)
        self._writer.add_document(**to_document(article, article_hash or fingerprint(article)))
        return "replaced" if replaced else "added"

    def delete(self, article_id: str) -> bool:
        """Delete the committed article with this id; True when there was one."""
        return self._may_replace and self._delete(article_id)

    def _delete(self, article_id: str) -> bool:
        # Whoosh's delete_by_term, less the query it builds: an index run would import
        # the whole of whoosh.query for that alone.
        reader = self._writer.searcher().reader()
        if ("id", article_id) not in reader:
            return False
        deleted = 0
        for docnum in reader.postings("id", article_id).all_ids():
            if not self._writer.is_deleted(docnum):  # (deleted before, or earlier in this batch)
                self._writer.delete_document(docnum)
                deleted += 1
        return deleted > 0


class WordList:
    """The words that stemming changes, as written in the articles ("universities").

    The index holds stems, so a wildcard matches this list too (see
    query.resolve_patterns): `universit*` finds "university", indexed as "univers".
    One sorted word a line in `searcher-words.txt`; it only grows between rebuilds,
    which costs nothing but a rare extra stem for a wildcard.
    """

    FILE_NAME = "searcher-words.txt"

    def __init__(self, folder: Path) -> None:
        self.path = folder / self.FILE_NAME
        self._words: list[str] = []
        self._version: int | None = None

    def words(self) -> list[str]:
        """The sorted words, read again when the file has changed."""
        try:
            version = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            return []
        if version != self._version:
            self._words = self.path.read_text(encoding="utf-8").split()
            self._version = version
        return self._words

    def add(self, new: set[str], *, replace: bool = False) -> None:
        words = new if replace else set(self.words()) | new
        if not replace and len(words) == len(self._words):
            return
        fd, temp = tempfile.mkstemp(prefix=".searcher-words-", suffix=".tmp", dir=self.path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write("\n".join(sorted(words)) + "\n")
        os.replace(temp, self.path)


def _write_marker(folder: Path) -> None:
    marker = {"schema_version": SCHEMA_VERSION, "created": dt.datetime.now().isoformat(timespec="seconds")}
    (folder / MARKER).write_text(json.dumps(marker) + "\n", encoding="utf-8")
