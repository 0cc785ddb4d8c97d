"""Writing an index: a batch of additions and deletions committed at once, and the word
list that batches keep for wildcards.

A `Batch` is the writing session over an `Index` (as Whoosh separates its writer from
the index and the searcher): it holds the run-long write lock, makes the writer (one
process, or a `writing.ParallelWriter` of several), replaces an article by its id, and
at the commit records what the near-duplicate groups and the word list need to know.
Searching imports none of it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..errors import IndexLockedError, SearcherError
from ..model import Article
from ..paths import display_path, replaced
from .folder import shard_of
from .groups import carry_over
from .schema import fingerprint, to_document
from .tokens import TEXT_TERMS

if TYPE_CHECKING:
    from ..index import Index


class Batch:
    """Adds and deletes articles in one commit; see `Index.batch`."""

    def __init__(self, index: Index, whoosh_ix: Any, *, workers: int, clear: bool, optimize: bool) -> None:
        self._index = index
        self._ix = whoosh_ix
        self._workers = workers
        self._clear = clear
        self._optimize = optimize
        self._writer = None
        self._ids: set[str] = set()
        self._may_replace = False
        self._committed = False  # whether commit() was called
        self._changes = 0  # articles added and deleted (or asked to be)

    def __enter__(self) -> Batch:
        self._index.write_lock.acquire(self._index.config.lock_wait)
        try:
            # With nothing committed yet, or everything to be cleared, nothing can be replaced.
            self._may_replace = not self._clear and len(self._index) > 0
            self._check_vectors()
            self._writer = self._open_writer()
        except BaseException:
            self._index.write_lock.release()
            raise
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        try:
            # A batch that committed as it went made segments of a like size, which
            # Whoosh's policy would merge at the end through its slow merge: 20 s of
            # Reuters written in batches of 2,000. They stay as they are, unless the
            # batch was asked to optimize (an update that replaced a quarter of the
            # index): else its dead articles stayed on disk, run after run.
            self._finish(cancel=exc_type is not None, merge=not self._committed or self._optimize)
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
        self._writer = self._open_writer()

    def _finish(self, cancel: bool, merge: bool = True) -> None:
        """Commit (or with `cancel`, drop) the writing session. Without `merge`, no
        segment is merged: Whoosh's policy merges small segments through its own slow
        merge, which at every commit of a run rewrote the same articles again."""
        from .writing import ParallelWriter  # (imported already: _open_writer made the writer)

        writer, self._writer = self._writer, None
        if writer is None:
            return
        if cancel:
            writer.cancel()
            return
        generation = self._ix.latest_generation()
        try:
            # The word list just before the commit: if the commit fails, a few extra
            # words do no harm. Workers' words are known when they have finished.
            sketches: list[tuple[str, bytes, int]] = []

            def take_results(words: set[str], written: list[tuple[str, bytes, int]]) -> None:
                self._index.word_list.add(words | TEXT_TERMS.stemmed_away, replace=self._clear)
                sketches.extend(written)

            if isinstance(writer, ParallelWriter):
                writer.before_commit = take_results
            else:
                take_results(set(), writer.written_sketches)
            from whoosh.writing import CLEAR, NO_MERGE  # here: searching needs none of whoosh.writing

            self._before_commit_vectors()

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
        if not self._changes and not self._clear:  # (the same articles: the same near-duplicates)
            carry_over(self._index.path, generation, self._ix.latest_generation())
        if self._index.config.semantic is not None:
            from ..semantic.vectors import record

            record(self._index.path, self._index.config.semantic, self._ix.latest_generation())

    # The record of the model that embedded the articles (semantic/vectors.py) must never
    # name a model some of them were not embedded with: a batch with `semantic:` adds to
    # an index of that model's vectors only (or an empty or cleared one), and the record
    # is removed before a commit that changes what it says, written again after it.

    def _check_vectors(self) -> None:
        model = self._index.config.semantic
        if model is None or not self._may_replace:
            return
        from ..semantic.vectors import embedded_with

        if not embedded_with(self._index.path, model):
            raise SearcherError(f"the articles of the index at {display_path(self._index.path)} were not embedded "
                                f"with {display_path(model)}",
                                hint="run `searcher index`, which embeds them all again")

    def _before_commit_vectors(self) -> None:
        model = self._index.config.semantic
        if model is None and (not self._ids or not (self._index.path / "vectors.json").exists()):
            return  # (deletions leave the vectors of the others as they are; semantic/vectors.RECORD)
        from ..semantic.vectors import embedded_with, record

        if model is None or not embedded_with(self._index.path, model):
            record(self._index.path, None)

    def _open_writer(self) -> Any:
        # Imported here: searching needs none of it (multiprocessing included).
        from whoosh.index import LockError

        from .writing import ParallelWriter, SegmentWriter

        try:
            if self._workers > 1:
                return ParallelWriter(self._ix, procs=self._workers, multisegment=True, limitmb=128)
            return SegmentWriter(self._ix, limitmb=256)
        except LockError:
            raise IndexLockedError(
                f"the index at {display_path(self._index.path)} is being written by another process",
                hint="wait for it to finish",
            ) from None

    def add(self, article: Article, article_hash: str | None = None) -> Literal["added", "replaced", "duplicate"]:
        """Add an article, replacing the committed one with its id.

        An id already added in this batch is not added again ("duplicate"): Whoosh
        cannot replace a document before it is committed.
        """
        self._changes += 1
        if article.id in self._ids:
            return "duplicate"
        self._ids.add(article.id)
        self._index.touched.add(article.id)
        self._index.written_sketches.pop(article.id, None)  # (its new sketch, if it has one, comes at the commit)
        replaced = self._may_replace and self._delete(article.id)
        config = self._index.config
        self._writer.add_document(**to_document(article, article_hash or fingerprint(article),
                                                sketch=config.duplicates,
                                                semantic=str(config.semantic) if config.semantic else None))
        return "replaced" if replaced else "added"

    def delete(self, article_id: str) -> bool:
        """Delete the committed article with this id; True when there was one."""
        self._changes += 1
        self._index.touched.add(article_id)
        self._index.written_sketches.pop(article_id, None)
        return self._may_replace and self._delete(article_id)

    def _delete(self, article_id: str) -> bool:
        # Whoosh's delete_by_term, less the query it builds (an index run would import
        # the whole of whoosh.query for that alone) and the matchers it reads them with.
        from .postings import term_articles

        deleted = 0
        for docnum in term_articles(self._writer.searcher().reader(), "id", article_id):
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



class ShardedBatch:
    """A sharded index's writing session: one Batch a shard, each article added to (or
    deleted from) the shard its id belongs to (folder.shard_of), under the whole
    index's write lock. Each shard commits on its own, as an index does: when one
    shard's commit fails, the others' still stand (and the error is raised)."""

    def __init__(self, index: Index, batches: list[Batch]) -> None:
        self._index = index  # the whole index: its write lock (as Index.create takes it), its near-duplicate groups
        self._lock, self._lock_wait = index.write_lock, index.config.lock_wait
        self._batches = batches
        self._generation = 0

    def __enter__(self) -> ShardedBatch:
        self._lock.acquire(self._lock_wait)
        self._generation = self._index.generation
        entered: list[Batch] = []
        try:
            for batch in self._batches:
                entered.append(batch.__enter__())
        except BaseException as error:
            for batch in reversed(entered):
                batch.__exit__(type(error), error, None)
            self._lock.release()
            raise
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        failure: BaseException | None = None
        try:
            for batch in self._batches:
                try:
                    batch.__exit__(exc_type, *rest)
                except BaseException as error:  # (every shard still commits or cancels)
                    failure = failure or error
            if exc_type is None and failure is None and not any(batch._changes or batch._clear for batch in self._batches):
                carry_over(self._index.path, self._generation, self._index.generation)  # (as Batch does)
        finally:
            self._lock.release()
        if failure is not None:
            raise failure

    def commit(self) -> None:
        for batch in self._batches:
            batch.commit()

    def add(self, article: Article, article_hash: str | None = None) -> Literal["added", "replaced", "duplicate"]:
        return self._batches[shard_of(article.id, len(self._batches))].add(article, article_hash)

    def delete(self, article_id: str) -> bool:
        return self._batches[shard_of(article_id, len(self._batches))].delete(article_id)
