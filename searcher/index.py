"""The index: a Whoosh index on disk, and the one class that opens, writes and searches it.

    with Index.open("index") as index:
        for hit in index.search("Idlib refugees"):
            print(hit.rank, hit.article.title, hit.passages[0].text)

`Index` is a facade over the modules that do the work; of reading, it holds only
the reading session of the last commit (search/snapshot.py). What a search or a news
analysis assembles from it is in search/results.py and news/; writing is an
engine/batch.py session; the folder on disk is engine/folder.py's. Whoosh objects
never leave engine/ and search/: hits are copied into `Hit`, `Article` and
`Passage` before a search returns.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Literal, Sequence, TypeVar

from .config import Config
from .engine.batch import Batch, ShardedBatch, WordList
from .errors import SearcherError
from .paths import display_path
from .engine.folder import CLOSED, DAMAGE, create_folder, damaged, is_index, open_folder, shard_name, shard_of
from .engine.locking import write_lock
from .engine.schema import QUERY_FIELDS, from_stored, stored_fingerprint
from .engine.scoring import CollectionStatistics, SummedStatistics
from .engine.tokens import TEXT_TERMS
from .model import Article, Concordance, Hit, IndexReport, IndexStats, Problem, Results, Timeline, TopWords
from .search.snapshot import Snapshot

if TYPE_CHECKING:
    from .search.filters import Filters
    from .search.shard import Shards, ShardSearch

T = TypeVar("T")
Sort = Literal["relevance", "newest", "oldest"]


def _reads_index(method: Callable[..., T]) -> Callable[..., T]:
    """Turns errors from damaged or missing index files into IndexFormatError (no traceback)."""

    @functools.wraps(method)
    def wrapper(self: Index, *args: Any, **kwargs: Any) -> T:
        try:
            return method(self, *args, **kwargs)
        except DAMAGE as error:
            raise damaged(self.path, error) from None

    return wrapper


def _query_checked(query: object, filters: object = None) -> str:
    """`query`, once a library call's arguments are checked: a TypeError names the one
    of the wrong type (a query of None was "'NoneType' object has no attribute 'strip'",
    from deep inside; filters as a dict, "'dict' object has no attribute 'apply'")."""
    from .search.filters import Filters

    if not isinstance(query, str):
        raise TypeError(f"query must be a str, not {type(query).__name__}")
    if filters is not None and not isinstance(filters, Filters):
        raise TypeError(f"filters must be Filters (Filters.parse(category=..., since=...)), not {type(filters).__name__}")
    return query


def _id_checked(article_id: object) -> str:
    """An article's id as a library call may give it: a str, or an int (a JSON record's
    "id": 9 is the article "9")."""
    from .search.results import whole

    if isinstance(article_id, str):
        return article_id
    try:
        return str(whole("article_id", article_id))
    except TypeError:
        raise TypeError(f"article_id must be a str or an int, not {type(article_id).__name__}") from None


def _semantic_model(folder: Path) -> str | None:
    """The model folder that embedded this index's articles (a trial: only vectors.json said)."""
    if not (folder / "vectors.json").is_file():  # (semantic.vectors.RECORD; without it, nothing of semantic
        return None                               # ranking is imported)
    from .semantic.vectors import recorded

    found = recorded(folder)
    return str(found.get("model")) if found else None


def _files_size(folder: Path) -> int:
    """The bytes of the files in `folder` and below. An index run may commit meanwhile
    and delete files that were listed: they count for nothing (stats must not fail)."""
    size = 0
    for entry in folder.rglob("*"):
        try:
            size += entry.stat().st_size if entry.is_file() else 0
        except FileNotFoundError:
            pass
    return size


class Index:
    """A searcher index on disk. Open one with `Index.open`, make one with `Index.create`.

    A facade: reading goes through a search.snapshot.Snapshot of the last commit (opened
    again when the index has changed), what a search assembles from it lives in
    search/results.py and news/, writing goes through an engine.batch.Batch, and the
    folder on disk is engine/folder.py's.
    """

    def __init__(self, path: Path, whoosh_ixs: list, config: Config,  # type: ignore[type-arg]
                 statistics: CollectionStatistics | None = None) -> None:
        self.path = path
        self.config = config
        #: A sharded index's shards, each an Index of its own (None: not sharded).
        self.shards: list[Index] | None = None
        if len(whoosh_ixs) > 1:
            self.shards = [Index(path / shard_name(number), [ix], config) for number, ix in enumerate(whoosh_ixs)]
            for shard in self.shards[1:]:
                shard.share_queries(self.shards[0])
        self._ix = whoosh_ixs[0] if self.shards is None else None
        self._statistics = statistics  # (None: the index's own; see open)
        self._current: Snapshot | None = None  # the reading session of the last commit: see _snapshot
        self._summed: list[Snapshot] = []  # a sharded index's: see _snapshots
        self._query_builder = None  # made by the first search (an index run needs none of it): see _queries
        self._cluster: Any = None  # a sharded index's cluster.ClusterShards, when it is searched on a cluster
        self._pinned = False  # reading one commit whatever comes: see pinned
        self._closed = False  # (then every read and write is an error: see _check_open)
        self.word_list = WordList(path)
        #: Ids of the articles added, replaced or deleted through this object (what the
        #: near-duplicate groups must look at again after an index run), and the sketches
        #: of those written, as id -> (sketch, day) (see schema.SketchColumn).
        self.touched: set[str] = set()
        self.written_sketches: dict[str, tuple[bytes, int]] = {}
        #: The run-long write lock (see locking); batches take it too.
        self.write_lock = write_lock(path)

    # -- opening ------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None, config: Config | None = None, *,
             statistics: CollectionStatistics | None = None, cluster: str | None = None) -> Index:
        """Open the index at `path` (default: the configured one). Given `statistics` of a
        collection this index is a part of (a shard), it scores its articles as one index
        of the whole collection would (see `statistics`).

        A sharded index is searched on the Dask cluster whose scheduler is at `cluster`
        ("tcp://host:8786"; default: the configuration's `cluster`), when there is one:
        see cluster.py. (Its other answers, and an index of one shard, are read here.)"""
        config = (config or Config()).with_cluster(cluster)
        folder = Path(path).absolute() if path is not None else config.index
        found = open_folder(folder)
        if statistics is not None and len(found) > 1:
            raise ValueError("a sharded index scores with its shards' statistics: open one shard with statistics")
        return cls(folder, found, config, statistics)

    @classmethod
    def create(cls, path: str | os.PathLike[str] | None = None, config: Config | None = None, *,
               shards: int = 1) -> Index:
        """A new, empty index at `path`, replacing any index there. The folder may be new,
        empty (but for dot files) or an index; anything else is refused, so that a
        mistyped path never deletes someone's files. With `shards` > 1, a sharded index:
        that many ordinary indexes in `shard-000/`..., each article in the one a stable
        hash of its id chooses, searched together as one index (see _snapshots)."""
        if shards < 1:
            raise ValueError(f"shards must be 1 or more, not {shards}")
        config = config or Config()
        folder = Path(path).absolute() if path is not None else config.index
        return cls(folder, create_folder(folder, config.lock_wait, shards), config)

    @classmethod
    def open_or_build(cls, config: Config, *, may_build: bool = True,
                      build: Callable[[str, bool], object] | None = None) -> Index:
        """The configured index, to search, built first when it needs to be and
        `may_build` (and the configuration names a corpus): when there is none yet, when
        its first build was interrupted (empty, no corpus recorded), or when an older
        searcher made it (rebuilt). `build(reason, rebuild)` builds it (default:
        update_index, quietly); the command line's draws a progress bar and says why."""
        from .indexing.open_or_build import open_or_build

        return open_or_build(config, may_build=may_build, build=build)

    @staticmethod
    def exists(path: str | os.PathLike[str]) -> bool:
        """True when `path` holds a searcher index (of any version)."""
        return is_index(Path(path))

    # -- writing ------------------------------------------------------------------------

    def batch(self, *, workers: int = 1, clear: bool = False, optimize: bool = False) -> Batch:
        """A writing session, committed when the `with` block ends (cancelled on an exception).

        `workers` > 1 analyses and writes in that many processes. `clear` removes every
        article already in the index when the batch commits; `optimize` merges the
        index's segments, dropping what deleted and replaced articles left behind
        (segments without them are joined by copying, engine/joining.py; a segment the
        join can't copy, one written by Whoosh's own writer, is left as it is).
        """
        self._check_open()
        if self.shards is not None:  # (the workers shared out: every shard writes at once)
            share = max(1, workers // len(self.shards))
            return ShardedBatch(self,  # type: ignore[return-value]
                                [shard.batch(workers=share, clear=clear, optimize=optimize) for shard in self.shards])
        return Batch(self, self._ix, workers=workers, clear=clear, optimize=optimize)

    def add(self, articles: Iterable[Article]) -> IndexReport:
        """Add articles, replacing those with the same id; one commit. Returns what it did."""
        report = IndexReport()
        started = time.perf_counter()
        with self.batch() as batch:
            for article in articles:
                outcome = batch.add(article)
                if outcome == "duplicate":
                    report.problems.append(Problem(article.path or "<add>",
                                                   f"duplicate id {article.id!r} in one add(); this one skipped",
                                                   article.line))
                elif outcome == "added":
                    report.added += 1
                else:
                    report.updated += 1
        for index in [self, *(self.shards or ())]:  # (only an index run uses them: a library's adds need not keep them)
            index.written_sketches.clear()
        report.seconds = time.perf_counter() - started  # (the commit included)
        return report

    # -- reading ------------------------------------------------------------------------

    @_reads_index
    def __len__(self) -> int:
        # The searcher's reader, not a new one: opening a reader copies each segment's
        # term table into memory.
        return sum(snapshot.searcher.doc_count() for snapshot in self._snapshots())

    @property
    @_reads_index
    def deleted_count(self) -> int:
        """Deleted and replaced articles still taking space (until their segment is merged)."""
        return sum(snapshot.searcher.doc_count_all() - snapshot.searcher.doc_count() for snapshot in self._snapshots())

    @property
    def generation(self) -> int:
        """The number of the last commit (changes with every commit; of a sharded index,
        the sum of its shards')."""
        self._check_open()
        if self.shards is not None:
            return sum(shard.generation for shard in self.shards)
        return self._ix.latest_generation()

    @_reads_index
    def get(self, article_id: str) -> Article | None:
        """The article with this id, or None."""
        article_id = _id_checked(article_id)
        stored = self._snapshot_of(article_id).searcher.document(id=article_id)
        return from_stored(stored) if stored else None

    @_reads_index
    def stored_sketches(self, keys: Iterable[bytes] | None,
                        ids: Iterable[str] = ()) -> tuple[list[tuple[str, bytes, int]], set[bytes]]:
        """(id, near-duplicate sketch, day) of the live articles an index run must group
        again, and the crowded keys: see duplicates.stored_sketches."""
        from .indexing.duplicates import stored_sketches

        found: list[tuple[str, bytes, int]] = []
        crowded: set[bytes] = set()
        keys = None if keys is None else list(keys)
        for snapshot in self._snapshots():  # (a sharded index's: every shard's, as one index's)
            some, crowded_here = stored_sketches(snapshot, keys, ids)
            found += some
            crowded |= crowded_here
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
               filters: Filters | None = None, sort: Sort = "relevance", facets: str | Sequence[str] = (),
               auto_correct: bool = False, explain: bool = False, collapse: bool = True,
               all_words: bool | None = None, offset: int = 0) -> Results:
        """The best `limit` articles for `query` (None: all), each with its best passages
        (`passages` of them; None: the configuration's), as `Results` (which says what
        matched: every word first, then some, for a short query). Raises QueryError for
        a query that can't be parsed.

        `all_words` (default: the configuration's `search.all_words`) asks for every
        plain word, falling back to any of them when no article has them all. `filters`
        keeps the matches from some sources, categories, places or dates; `sort` is by
        relevance, or "newest" or "oldest" first (undated last; "*", every article, is
        newest first). `facets` ("source", "category", "place") are counted over all
        the matches. `auto_correct` searches the "did you mean" suggestion instead when
        a word is in no article. `explain` splits each hit's score by the query's terms.
        `collapse` shows near-duplicates once (duplicates.py), the others' ids in
        `Hit.duplicates`; `total` still counts every article. `offset` leaves out the
        best `offset` articles (a later page of results: ranks go on from `offset` + 1).
        """
        from .search.filters import as_values, facet_names
        from .search.results import search

        query = _query_checked(query, filters)
        facets = facet_names(as_values(facets))
        return self._ask(lambda shards: search(
            shards, query, limit, passages, filters=filters, sort=sort, facets=facets, auto_correct=auto_correct,
            explain=explain, collapse=collapse, all_words=all_words, offset=offset))

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
        from .search.results import matches

        query = _query_checked(query, filters)
        count, hits = matches(self._snapshots(), query, filters=filters, sort=sort, all_words=all_words)
        return count, self._guarded(hits)

    @_reads_index
    def timeline(self, queries: str | Sequence[str], by: str = "month", *, per: str | None = None,
                 filters: Filters | None = None, top: int = 5, all_words: bool | None = None) -> Timeline:
        """How many articles match each query in each day, week, month or year, against all
        the articles of that period (both under `filters`). With `per` (a facet), one
        series for each of the `top` values with most matches. Every period between the
        index's first and last dated article (or `filters`' dates) is there, empty or not.
        One query may be given as a string."""
        from .news.timeline import timeline
        from .search.filters import FACET_ALIASES, as_values

        queries = [_query_checked(query, filters) for query in as_values(queries)]
        return timeline(self._snapshots(), queries, by, per=FACET_ALIASES.get(per, per) if per else per,
                        filters=filters, top=top, all_words=all_words)

    @_reads_index
    def top_words(self, query: str, limit: int = 30, *, filters: Filters | None = None,
                  sample: int = 2000, all_words: bool | None = None) -> TopWords:
        """The words that characterise the articles matching `query` against the other
        articles (of the index, or those under `filters`; when the query matches all of
        those, against the whole index), by log-likelihood, most characteristic first.

        A result of more than `sample` articles is read from a fixed random sample of
        them, to choose the candidates; the counts shown are exact.
        """
        from .news.keyterms import top_words

        query = _query_checked(query, filters)
        return top_words(self._snapshots(), query, limit, filters=filters, sample=sample, all_words=all_words)

    @_reads_index
    def concordance(self, query: str, width: int = 40, *, filters: Filters | None = None,
                    sort: Sort = "relevance", limit: int | None = None,
                    all_words: bool | None = None) -> Iterator[Concordance]:
        """Every occurrence of the query's words in the matching articles (the first `limit`
        articles in `sort` order), with `width` characters of text on either side.

        Raises QueryError when articles match but the query has no words of their text
        to show (`category:coffee`, `*`). The iterator holds the index's searcher.
        """
        from .news.concordance import concordance

        query = _query_checked(query, filters)
        return self._guarded(concordance(self._snapshots(), query, width, filters=filters, sort=sort, limit=limit,
                                         all_words=all_words))

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
        from .search.results import similar

        article_id = _id_checked(article_id)
        snapshots = self._snapshots()  # (the key terms are weighed here: the same snapshots as the search's)
        return self._ask(lambda shards: similar(shards, snapshots, article_id, limit, terms=terms, passages=passages),
                         snapshots)

    @_reads_index
    def nothing_found(self, query: str, filters: Filters | None = None, per: str | None = None,
                      all_words: bool | None = None) -> str:
        """What to say when `query` (under `filters`; counted `per` a facet) found
        nothing: that the index is empty, or the query and filters, with why the filters
        may keep nothing (values no article has, and the closest ones)."""
        from .search.results import nothing_found

        query = _query_checked(query, filters)
        return nothing_found(self._snapshots(), query, filters, per, all_words)

    @_reads_index
    def filter_problems(self, filters: Filters) -> list[str]:
        """Why `filters` may keep nothing in this index: values no article has (with the
        closest ones), dates when no article has one."""
        return filters.problems([snapshot.metadata for snapshot in self._snapshots()])

    def duplicates_of(self, article_id: str) -> list[str]:
        """The ids of the articles found to be near-duplicates of this one (see duplicates.py)."""
        article_id = _id_checked(article_id)
        return self._snapshot_of(article_id).duplicates_of(article_id)

    @_reads_index
    def statistics(self) -> CollectionStatistics:
        """BM25's statistics of this index (article count, field lengths, every term's
        document frequency): `CollectionStatistics.combined` sums those of shards."""
        if self.shards is not None:
            return CollectionStatistics.combined(shard.statistics() for shard in self.shards)
        return CollectionStatistics.of(self._snapshot().searcher)

    @_reads_index
    def stats(self) -> IndexStats:
        from .indexing.manifest import Manifest

        size = _files_size(self.path)
        snapshots = self._snapshots()
        indexes = [self] if self.shards is None else self.shards
        modified = max(index._ix.last_modified() for index in indexes)
        articles = sum(snapshot.searcher.doc_count() for snapshot in snapshots)
        days: set[int] = set()
        dated = 0
        for snapshot in snapshots:
            counted = snapshot.metadata.live_days()  # (day ordinals: how many articles each day)
            days.update(counted)
            dated += sum(counted.values())
        return IndexStats(
            path=str(self.path),
            articles=articles,
            fields=tuple(name for name in indexes[0]._ix.schema.names() if name in (*QUERY_FIELDS, "url", "path")),
            size_bytes=size,
            last_update=dt.datetime.fromtimestamp(modified) if modified and modified > 0 else None,
            corpus=tuple(sorted({root for index in indexes for root in Manifest.load(index.path).roots})),
            segments=sum(len(list(snapshot.searcher.reader().leaf_readers())) for snapshot in snapshots),
            first_date=dt.date.fromordinal(min(days)) if days else None,
            last_date=dt.date.fromordinal(max(days)) if days else None,
            undated=articles - dated,
            semantic_model=_semantic_model(indexes[0].path),
            shards=len(indexes),
        )

    def _snapshot(self) -> Snapshot:
        """The reading session of the last commit, opened again when the index has changed."""
        self._check_open()
        if self.shards is not None:
            # (Only what reads one shard's files comes here: fingerprints, shard_search.)
            raise SearcherError(f"the index at {display_path(self.path)} is sharded: this reads one shard at a time "
                                "(Index.shards)")
        if self._current is not None and not self._pinned and not self._current.up_to_date():
            self._current.close()
            self._current = None
        if self._current is None:
            # Passages find the query's terms in stored text with the indexing analysis
            # (tokens.TermCache: the analyzer's terms, from a cache of words seen).
            self._current = Snapshot.open(self._ix, self.path, self.config, self._queries, self.word_list,
                                          TEXT_TERMS.tokens, self._statistics)
        return self._current

    def _snapshots(self) -> list[Snapshot]:
        """The reading session of each shard (this index's alone, when it is not sharded).
        A sharded index's score with the statistics of all of them (scoring.SummedStatistics):
        when one shard has changed, all are opened again with new ones."""
        self._check_open()
        if self.shards is None:
            return [self._snapshot()]
        if not self._summed or not (self._pinned or all(snapshot.up_to_date() for snapshot in self._summed)):
            for shard in self.shards:
                shard._forget_snapshot()
            self._summed = [shard._snapshot() for shard in self.shards]
            statistics = SummedStatistics([snapshot.searcher for snapshot in self._summed])
            generation = sum(snapshot.generation for snapshot in self._summed)
            for snapshot in self._summed:
                snapshot.searcher.weighting.statistics = statistics
                snapshot.groups_of(self.path, generation)  # (the whole index's, saved by its index run)
        return self._summed

    def _ask(self, question: Callable[[Shards], T], snapshots: list[Snapshot] | None = None) -> T:
        """`question(shards)`, asked of every shard together (search/shard.py): of the
        snapshots of this process (`snapshots`, else the current ones; one, for an index
        that is not sharded), or of a sharded index's actors on its cluster."""
        self._check_open()
        if self.shards is not None and self.config.cluster:
            if self._cluster is None:
                from .cluster import ClusterShards

                self._cluster = ClusterShards(self.path, len(self.shards), self.config)
            return self._cluster.ask(question)
        from .search.shard import LocalShards

        return question(LocalShards(snapshots or self._snapshots()))

    @contextlib.contextmanager
    def pinned(self) -> Iterator[Index]:
        """Every read inside reads the same commit, the last one when it starts, even when
        another process commits meanwhile: several calls that make one answer (a web
        page's search, timeline and facets) show one generation of the index. (Not a
        sharded index searched on a cluster: its workers read their shards' last commit.)"""
        if self._pinned or (self.shards is not None and self.config.cluster):  # (nested: the outer one holds)
            yield self
            return
        self._snapshots()  # (the last commit, now)
        self._pinned = True
        try:
            yield self
        finally:
            self._pinned = False

    def share_queries(self, other: Index) -> None:
        """Parse queries with `other`'s QueryBuilder (an index of the same schema and
        configuration): the shards of an index in a process parse each query once."""
        self._queries = other._queries  # type: ignore[method-assign]

    def shard_search(self) -> ShardSearch:
        """This index's answers as a shard of a sharded index (search/shard.py), from
        its last commit, until asked again: what a cluster's actor holds."""
        from .search.shard import ShardSearch

        self._forget_snapshot()
        return ShardSearch(self._snapshot())

    def _snapshot_of(self, article_id: str) -> Snapshot:
        """The reading session of the shard that holds (or would hold) this article."""
        snapshots = self._snapshots()
        return snapshots[shard_of(article_id, len(snapshots))]  # (of one: the one)

    def _forget_snapshot(self) -> None:
        if self._current is not None:
            self._current.close()
            self._current = None

    def _queries(self):  # type: ignore[no-untyped-def]
        """The query.QueryBuilder, made by the first search."""
        if self._query_builder is None:
            from .search.query import query_builder

            self._query_builder = query_builder(self._ix.schema, self.config)
        return self._query_builder

    def _guarded(self, items: Iterator[T]) -> Iterator[T]:
        """`items`, with errors from damaged index files said as IndexFormatError (as
        _reads_index does for the methods that return at once)."""
        try:
            yield from items
        except DAMAGE as error:
            raise damaged(self.path, error) from None
        except CLOSED:  # (read on after close(): as every other call then)
            self._check_open()
            raise

    # -- closing ------------------------------------------------------------------------

    def _check_open(self) -> None:
        # (Opening the files again, silently, would turn a caller's use after close into
        # files left open: an error, as a closed file's.)
        if self._closed:
            raise SearcherError(f"the index at {display_path(self.path)} is closed: open it again (Index.open)")

    def close(self) -> None:
        """Close the index's files; after it, every call is a SearcherError (a second close is none)."""
        self._closed = True
        self._forget_snapshot()
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None
        if self.shards is not None:
            for shard in self.shards:
                shard.close()
            self._summed = []
        else:
            self._ix.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
