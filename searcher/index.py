"""The index: a Whoosh index on disk, and the one class that opens, writes and searches it.

    with Index.open("index") as index:
        for hit in index.search("Idlib refugees"):
            print(hit.rank, hit.article.title, hit.passages[0].text)

Whoosh objects never leave the modules that read and write the index (this one,
query, matching, explain, scoring, schema, storage, segments, postings; analysis and
synonyms make Whoosh analyzers): hits are copied into `Hit`, `Article` and `Passage`
before the search returns.
"""

from __future__ import annotations

import datetime as dt
import errno
import functools
import json
import os
import pickle
import struct
import time
import zlib
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Literal, Sequence, TypeVar

from whoosh import index as whoosh_index

from . import scoring
from .analysis import TEXT_TERMS
from .config import Config
from .errors import (
    IndexFormatError, IndexLockedError, IndexNotFoundError, IndexReadError, IndexVersionError, IndexWriteError,
    QueryError, SearcherError,
)
from .model import (
    Article, Concordance, FacetCount, Hit, IndexReport, IndexStats, Problem, Results, Timeline, TopWords,
)
from .paths import display_path, replaced
from .schema import (
    FACET_FIELDS, QUERY_FIELDS, SCHEMA_VERSION, build_schema, fingerprint, from_stored,
    stored_fingerprint, to_document,
)
from .locking import LOCK_NAME, write_lock
from .snapshot import TEXT_FIELDS, Found, Snapshot
from .storage import SegmentStorage

if TYPE_CHECKING:
    from .metadata import Filters


def check_facets(facets: Sequence[str]) -> None:
    """Raises ValueError, naming the facets there are, for a name that is not one."""
    for facet in facets:
        if facet not in FACET_FIELDS:
            raise ValueError(f"unknown facet {facet!r} (facets: {', '.join(FACET_FIELDS)})")

MARKER = "searcher-index.json"  # says "a searcher index, schema version N" in the folder
_WHOOSH_PREFIXES = ("_MAIN_", "MAIN_")  # the files Whoosh writes for the index named MAIN
T = TypeVar("T")
Sort = Literal["relevance", "newest", "oldest"]

# What reading a damaged index file raises from inside Whoosh.
_DAMAGE = (struct.error, EOFError, zlib.error, pickle.UnpicklingError, OSError)


def _reads_index(method: Callable[..., T]) -> Callable[..., T]:
    """Turns errors from damaged or missing index files into IndexFormatError (no traceback)."""

    @functools.wraps(method)
    def wrapper(self: Index, *args: Any, **kwargs: Any) -> T:
        try:
            return method(self, *args, **kwargs)
        except _DAMAGE as error:
            raise _damaged(self.path, error) from None

    return wrapper


def _damaged(path: Path, error: BaseException) -> SearcherError:
    """The error to show for `error`, met reading the index at `path`: damage (a file
    cut short, garbled or missing) asks for a rebuild; an operating-system refusal
    (permissions, too many open files) says what it is, and a rebuild would not help."""
    where = display_path(path)
    if not isinstance(error, OSError):
        return IndexFormatError(f"cannot read the index at {where} (damaged: {error})")
    reason = error.strerror or str(error)
    if error.errno in (errno.ENOENT, errno.ENOTDIR):
        return IndexFormatError(f"cannot read the index at {where} (a file of it is missing: {reason})")
    hint = {errno.EACCES: "check the index folder's permissions", errno.EPERM: "check the index folder's permissions",
            errno.EMFILE: "too many files open: raise the limit (ulimit -n)",
            errno.ENFILE: "too many files open on this system"}.get(error.errno or 0)
    return IndexReadError(f"cannot read the index at {where} ({reason})", hint=hint)


class Index:
    """A searcher index on disk. Open one with `Index.open`, make one with `Index.create`."""

    def __init__(self, path: Path, whoosh_ix, config: Config) -> None:  # type: ignore[no-untyped-def]
        self.path = path
        self.config = config
        self._ix = whoosh_ix
        self._current: Snapshot | None = None  # the reading session of the last commit: see _snapshot
        self._query_builder = None  # made by the first search (an index run needs none of it): see _queries
        self._words = WordList(path)
        #: Ids of the articles added, replaced or deleted through this object (what the
        #: near-duplicate groups must look at again after an index run), and the sketches
        #: of those written, as id -> (sketch, day) (see schema.SketchColumn).
        self.touched: set[str] = set()
        self.written_sketches: dict[str, tuple[bytes, int]] = {}
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
            raise IndexVersionError(
                f"the index at {where} has schema version {version}; this searcher reads {SCHEMA_VERSION}",
                older=isinstance(version, int) and version < SCHEMA_VERSION)
        try:
            ix = SegmentStorage(str(folder)).open_index()
        except whoosh_index.EmptyIndexError:
            raise IndexFormatError(f"the index at {where} is incomplete (no table of contents)") from None
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, ValueError) as error:
            raise _damaged(folder, error) from None
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
            ix = SegmentStorage(str(folder)).create_index(build_schema())
            _write_marker(folder)
        except OSError as error:
            raise IndexWriteError(f"cannot create the index at {where}: {error.strerror or error}") from None
        finally:
            lock.release()
        return cls(folder, ix, config)

    @classmethod
    def open_or_build(cls, config: Config, *, may_build: bool = True,
                      build: Callable[[str, bool], object] | None = None) -> Index:
        """The configured index, to search, built first when it needs to be and
        `may_build` (and the configuration names a corpus): when there is none yet, when
        its first build was interrupted (empty, no corpus recorded), or when an older
        searcher made it (rebuilt). `build(reason, rebuild)` builds it (default:
        update_index, quietly); the command line's draws a progress bar and says why."""
        may_build = may_build and bool(config.corpus)
        if build is None:
            def build(reason: str, rebuild: bool) -> object:
                from .indexer import update_index

                return update_index(config, rebuild=rebuild)

        try:
            index = cls.open(config.index, config)
        except IndexNotFoundError:
            if not may_build:
                raise
            build("No index yet", False)
            return cls.open(config.index, config)
        except IndexVersionError as error:
            if not may_build or not error.older:
                raise  # (an index of a newer searcher is not rebuilt by an older one)
            build("The index was made by another version of searcher", True)
            return cls.open(config.index, config)
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
        return cls.open(config.index, config)

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
        self.written_sketches.clear()  # (only an index run uses them: a library's adds need not keep them)
        return report

    # -- reading ------------------------------------------------------------------------

    @_reads_index
    def __len__(self) -> int:
        # The searcher's reader, not a new one: opening a reader copies each segment's
        # term table into memory.
        return self._snapshot().searcher.doc_count()

    @property
    @_reads_index
    def deleted_count(self) -> int:
        """Deleted and replaced articles still taking space (until their segment is merged)."""
        searcher = self._snapshot().searcher
        return searcher.doc_count_all() - searcher.doc_count()

    @property
    def generation(self) -> int:
        """The number of the last commit (changes with every commit)."""
        return self._ix.latest_generation()

    @_reads_index
    def get(self, article_id: str) -> Article | None:
        """The article with this id, or None."""
        stored = self._snapshot().searcher.document(id=article_id)
        return from_stored(stored) if stored else None

    @_reads_index
    def stored_sketches(self, keys: Iterable[bytes] | None,
                        ids: Iterable[str] = ()) -> tuple[list[tuple[str, bytes, int]], set[bytes]]:
        """(id, near-duplicate sketch, day) of live articles, the sketch made again from the
        stored body: those whose stored keys (see duplicates.keys) share one with `keys`
        (None: with another article), and those with `ids` with the articles sharing a
        key with them; the day is date.toordinal(), 0 for no date. And the crowded keys
        (see duplicates.candidates, which chooses the articles).
        """
        from .duplicates import candidates, sketch

        snapshot = self._snapshot()
        searcher, dates = snapshot.searcher, snapshot.metadata.dates
        named = {searcher.document_number(id=article_id) for article_id in ids} - {None}
        docnums, crowded = candidates(snapshot.stored_keys(), dates.deleted, keys, named)  # type: ignore[arg-type]
        found = []
        for docnum in sorted(docnums):
            stored = searcher.stored_fields(docnum)
            value = sketch(TEXT_TERMS.terms(stored.get("body") or ""))
            if value:
                found.append((stored["id"], value, dates.day(docnum)))
        return found, crowded

    @_reads_index
    def fingerprints(self) -> list[tuple[str, str, str]]:
        """(id, path, fingerprint) of every article: what incremental indexing compares.

        It reads every stored article: the indexer needs it only when its manifest is lost.
        """
        reader = self._snapshot().searcher.reader()
        return [
            (stored["id"], stored.get("path", ""), stored_fingerprint(stored.get("fingerprint")))
            for _, stored in reader.iter_docs()
        ]

    @_reads_index
    def search(self, query: str, limit: int | None = 10, passages: int | None = None, *,
               filters: Filters | None = None, sort: Sort = "relevance", facets: Sequence[str] = (),
               auto_correct: bool = False, explain: bool = False, collapse: bool = True,
               all_words: bool | None = None) -> Results:
        """The best `limit` articles for `query` (None: all), each with its best passages.

        The articles with every word of a short query come first, then those with some
        of them (`Results.matched` is "tiered", `Results.every_word` counts the first,
        each `Hit.matched` is "all" or "some"); a query that asks for all its words
        (quotes, AND, +word) matches only those. With `all_words` (default: the
        configuration's `search.all_words`), plain words must all match too, and when no
        article has them all, articles with any of them are returned and
        `Results.matched` says "any". A long query ranks the articles with any of its
        words ("ranked"). `filters` keeps only the
        matches from some sources, categories, places or dates; `sort` orders them by
        relevance, or "newest" or "oldest" first (undated articles last). `facets`
        ("source", "category", "place") are counted over all the matches, in
        `Results.facets`. When a word of the query is in no article, `Results.suggestion`
        is the closest query of words the index has ("did you mean"); with
        `auto_correct`, that query is searched instead (`Results.corrected_from` says
        what was typed). With `explain`, each hit's `contributions` split its score by
        the query's terms. With `collapse`, near-duplicates (see duplicates.py) are shown
        once, as the best of them, with the others' ids in `Hit.duplicates`; `total`
        still counts every article. Raises QueryError for a query that can't be parsed.
        "*" is every article (metadata.query_text makes it of an empty query with filters):
        they all score alike, so "relevance" orders them newest first.
        """
        if query.strip() == "*" and sort == "relevance":
            sort = "newest"
        if limit is not None and limit < 1:
            raise ValueError(f"limit must be 1 or more (or None for all), not {limit}")
        if passages is not None and passages < 0:
            raise ValueError(f"passages must be 0 or more, not {passages}")
        check_facets(facets)
        all_words = self.config.all_words if all_words is None else all_words
        snapshot = self._snapshot()
        found = snapshot.find(query, filters, fallback=True, all_words=all_words)
        # (A word in no article leaves no article with every word.)
        lacking = not found.scores or found.matched in ("any", "ranked") or not found.scores.count_every()
        suggestion = snapshot.suggest(query) if lacking else None
        corrected_from = None
        if suggestion is not None and auto_correct:
            corrected_from, query = query, suggestion
            found = snapshot.find(query, filters, fallback=True, all_words=all_words)
        counts = {}
        for facet in facets:
            table = snapshot.metadata.facet(facet)
            counts[facet] = [FacetCount(value, count) for value, count in table.count(found.scores)]
        order, hidden = snapshot.collapsed(found, sort, limit) if collapse else (snapshot.order(found, sort, limit), {})
        passage_count = self.config.passages if passages is None else passages
        hits = list(snapshot.hits(found, order, passage_count, hidden))
        if explain:
            from .explain import contributions

            hits = [replace(hit, contributions=contributions(found.searcher, found.scored_by(docnum), docnum))
                    for hit, (docnum, _) in zip(hits, order)]
        return Results(hits, total=len(found.scores), matched=found.matched,  # type: ignore[arg-type]
                       query=str(found.query), facets=counts, suggestion=suggestion, corrected_from=corrected_from,
                       variants=found.expansions, every_word=found.scores.count_every())

    # The analysis methods below take the matches as `search` counts them: those with
    # every word of a short query and those with some (which they say), or, when the
    # query asks for all its words (or with `all_words`), those with all of them only.
    # Unlike `search`, they then don't fall back to "any of the words" when no article
    # has them all: they count what the query matches.

    @_reads_index
    def matches(self, query: str, *, filters: Filters | None = None, sort: Sort = "relevance",
                all_words: bool | None = None) -> tuple[int, Iterator[Hit]]:
        """How many articles match `query`, and all of them in `sort` order: Hits without
        passages, read one at a time (for an export). `Hit.matched` says which have
        every word of the query.

        The iterator holds the index's searcher: use it while the index is open.
        """
        snapshot = self._snapshot()
        found = snapshot.find(query, filters, all_words=all_words)
        order = snapshot.order(found, sort, None)
        return len(order), self._guarded(snapshot.hits(found, order, None))

    @_reads_index
    def timeline(self, queries: Sequence[str], by: str = "month", *, per: str | None = None,
                 filters: Filters | None = None, top: int = 5, all_words: bool | None = None) -> Timeline:
        """How many articles match each query in each day, week, month or year, against all
        the articles of that period (both under `filters`). With `per` (a facet), one
        series for each of the `top` values with most matches. Every period between the
        index's first and last dated article (or `filters`' dates) is there, empty or not."""
        from .timeline import build_timeline

        if per is not None:
            check_facets([per])
        snapshot = self._snapshot()  # (one for all the queries: the same index generation)
        metadata = snapshot.metadata
        everything = filters.apply(metadata.live(), metadata) if filters else None
        found = [(query, snapshot.find(query, filters, all_words=all_words).scores)
                 for query in queries]
        return build_timeline(found, everything, metadata, by, per=per, filters=filters, top=top)

    @_reads_index
    def top_words(self, query: str, limit: int = 30, *, filters: Filters | None = None,
                  sample: int = 2000, all_words: bool | None = None) -> TopWords:
        """The words that characterise the articles matching `query` against the other
        articles (of the index, or those under `filters`; when the query matches all of
        those, against the whole index), by log-likelihood, most characteristic first.

        A result of more than `sample` articles is read from a fixed random sample of
        them, to choose the candidates; the counts shown are exact.
        """
        from .keyterms import counted_top_words
        from .query import highlight_terms

        snapshot = self._snapshot()
        found = snapshot.find(query, filters, all_words=all_words)
        metadata = snapshot.metadata
        compared = filters.apply(metadata.live(), metadata) if filters else None
        if compared is not None and len(found.scores) >= len(compared):
            compared = None  # (the filters alone: compare them with the whole index)
        wanted = highlight_terms(found.loose or found.query)
        query_terms = {term for field in wanted.values() for term in field.terms} | {
            word for field in wanted.values() for phrase in field.phrases for word in phrase}
        terms, size, read = counted_top_words(
            found.scores.docnums.tolist(), None if compared is None else compared.docnums.tolist(),
            snapshot.searcher.doc_count(),
            snapshot.article_text, snapshot.document_frequency, snapshot.articles_with, query_terms, limit, sample)
        every = found.scores.count_every()
        return TopWords(terms=tuple(terms), matches=len(found.scores), compared=size, read=read,
                        filtered=compared is not None, every_word=every if every < len(found.scores) else None)

    @_reads_index
    def concordance(self, query: str, width: int = 40, *, filters: Filters | None = None,
                    sort: Sort = "relevance", limit: int | None = None,
                    all_words: bool | None = None) -> Iterator[Concordance]:
        """Every occurrence of the query's words in the matching articles (the first `limit`
        articles in `sort` order), with `width` characters of text on either side.

        Raises QueryError when articles match but the query has no words of their text
        to show (`category:coffee`, `*`). The iterator holds the index's searcher.
        """
        from .concordance import occurrences
        from .query import highlight_terms

        snapshot = self._snapshot()
        found = snapshot.find(query, filters, all_words=all_words)
        order = snapshot.order(found, sort, limit)
        wanted = highlight_terms(found.loose or found.query)
        if found.scores and not any(wanted.get(name) and (wanted[name].terms or wanted[name].phrases)
                                    for name in TEXT_FIELDS):
            raise QueryError(f"{query!r} has no words of the text to show in context",
                             hint="search for words or a phrase")
        searcher = found.searcher
        return self._guarded(
            line for rank, (docnum, _) in enumerate(order, start=1)
            for line in occurrences(from_stored(searcher.stored_fields(docnum)), rank, wanted, self._analyze, width))

    @_reads_index
    def similar(self, article_id: str, limit: int = 10, *, terms: int = 100, passages: int = 1) -> Results | None:
        """The articles most like the article `article_id` (not itself), best first: a
        search of the text of every article for its `terms` key terms (Whoosh's key terms
        of its title, counted twice, and text, each weighted by how much it
        characterises the article); None when no article has that id.

        On BBC News, the top 10 of 200 articles (fixed seed) share its category 88%
        of the time with 100 terms, 80% with 30, 78% when titles are searched too
        (tests/test_finding.py).
        """
        from . import matching
        from .query import more_like

        snapshot = self._snapshot()
        searcher = snapshot.searcher
        docnum = searcher.document_number(id=article_id)
        if docnum is None:
            return None
        query = more_like(searcher, searcher.stored_fields(docnum), terms)
        if query is None:  # (an article with no words to look for)
            return Results([], total=0, matched="ranked", query="")
        scores = matching.scores(searcher, query, snapshot.columns)
        # (its own near-duplicates are the same story, not related ones)
        copies = [searcher.document_number(id=copy) for copy in snapshot.duplicates_of(article_id)]
        scores = scores.without([docnum, *(number for number in copies if number is not None)])
        found = Found(searcher, scores.none_every(), query, "ranked")  # (hits have some of its words)
        order, hidden = snapshot.collapsed(found, "relevance", limit)  # (near-duplicates shown once here too)
        hits = list(snapshot.hits(found, order, passages, hidden))
        return Results(hits, total=len(scores), matched="ranked", query=str(query))

    def nothing_found(self, query: str, filters: Filters | None = None, per: str | None = None,
                      all_words: bool | None = None) -> str:
        """What to say when `query` (under `filters`; counted `per` a facet) found
        nothing: that the index is empty, or the query and filters, with why the filters
        may keep nothing (values no article has, and the closest ones)."""
        if len(self) == 0:
            return "The index holds no articles (run `searcher index CORPUS`)."
        where = filters.describe() if filters else ""
        where = f" ({where})" if where else ""
        problems = self.filter_problems(filters) if filters else []
        if per and not problems and self.matches(query, filters=filters, all_words=all_words)[0]:
            return f"No article matching {query!r}{where} has a {per}."
        return f"No article matches {query!r}{where}." + "".join(f"\n  {problem}" for problem in problems)

    @_reads_index
    def filter_problems(self, filters: Filters) -> list[str]:
        """Why `filters` may keep nothing in this index: values no article has (with the
        closest ones), dates when no article has one."""
        return filters.problems(self._snapshot().metadata)

    def duplicates_of(self, article_id: str) -> list[str]:
        """The ids of the articles found to be near-duplicates of this one (see duplicates.py)."""
        return self._snapshot().duplicates_of(article_id)

    def _snapshot(self) -> Snapshot:
        """The reading session of the last commit, opened again when the index has changed."""
        if self._current is not None and not self._current.up_to_date():
            self._current.close()
            self._current = None
        if self._current is None:
            for attempt in range(3):
                try:
                    searcher = self._ix.searcher(weighting=scoring.weighting(self.config.boosts))
                    break
                except FileNotFoundError:
                    # A commit deletes the segments it merged away: between reading the
                    # table of contents and opening its segments, one can be gone. The
                    # next table of contents names what is there.
                    if attempt == 2:
                        raise
                    time.sleep(0.05)
            # The generation the searcher reads (a commit may have come since the index
            # was asked for its latest); an empty index's reader has none.
            generation = searcher.reader().generation()
            if generation is None or generation < 0:
                generation = self.generation
            self._current = Snapshot(searcher, generation, self.path, self.config, lambda: self._queries, self._words,
                                     self._analyze)
        return self._current

    def _guarded(self, items: Iterator[T]) -> Iterator[T]:
        """`items`, with errors from damaged index files said as IndexFormatError (as
        _reads_index does for the methods that return at once)."""
        try:
            yield from items
        except _DAMAGE as error:
            raise _damaged(self.path, error) from None

    @_reads_index
    def stats(self) -> IndexStats:
        from .manifest import Manifest

        size = sum(entry.stat().st_size for entry in os.scandir(self.path) if entry.is_file())
        searcher = self._snapshot().searcher
        modified = self._ix.last_modified()
        return IndexStats(
            path=str(self.path),
            articles=searcher.doc_count(),
            fields=tuple(name for name in self._ix.schema.names() if name in (*QUERY_FIELDS, "url", "path")),
            size_bytes=size,
            last_update=dt.datetime.fromtimestamp(modified) if modified and modified > 0 else None,
            corpus=tuple(Manifest.load(self.path).roots),
            segments=len(list(searcher.reader().leaf_readers())),
        )

    # -- closing ------------------------------------------------------------------------

    def close(self) -> None:
        if self._current is not None:
            self._current.close()
            self._current = None
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

            from .synonyms import NameVariants

            groups = list(self.config.synonym_groups)
            if self.config.default_synonyms:
                from .name_variants import GROUPS

                groups = [*GROUPS, *groups]
            self._query_builder = QueryBuilder(self._ix.schema, self.config.boosts, NameVariants(groups, self._ix.schema))
        return self._query_builder

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
            sketches: list[tuple[str, bytes, int]] = []

            def take_results(words: set[str], written: list[tuple[str, bytes, int]]) -> None:
                self._index._words.add(words | TEXT_TERMS.stemmed_away, replace=self._clear)
                sketches.extend(written)

            if isinstance(writer, ParallelWriter):
                writer.before_commit = take_results
            else:
                take_results(set(), writer.written_sketches)
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
        self._index.written_sketches.update((article_id, (value, day)) for article_id, value, day in sketches)

    def add(self, article: Article, article_hash: str | None = None) -> Literal["added", "replaced", "duplicate"]:
        """Add an article, replacing the committed one with its id.

        An id already added in this batch is not added again ("duplicate"): Whoosh
        cannot replace a document before it is committed.
        """
        if article.id in self._ids:
            return "duplicate"
        self._ids.add(article.id)
        self._index.touched.add(article.id)
        self._index.written_sketches.pop(article.id, None)  # (its new sketch, if it has one, comes at the commit)
        replaced = self._may_replace and self._delete(article.id)
        self._writer.add_document(**to_document(article, article_hash or fingerprint(article),
                                                sketch=self._index.config.duplicates))
        return "replaced" if replaced else "added"

    def delete(self, article_id: str) -> bool:
        """Delete the committed article with this id; True when there was one."""
        self._index.touched.add(article_id)
        self._index.written_sketches.pop(article_id, None)
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
        with replaced(self.path) as out:
            out.write("\n".join(sorted(words)) + "\n")


def _write_marker(folder: Path) -> None:
    marker = {"schema_version": SCHEMA_VERSION, "created": dt.datetime.now().isoformat(timespec="seconds")}
    with replaced(folder / MARKER) as out:
        out.write(json.dumps(marker) + "\n")
