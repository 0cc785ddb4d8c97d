"""How new segments are written: Whoosh's segment writer and multiprocessing writer,
with the parts that made indexing slow or fragile replaced.

- `PostingPool` keeps postings grouped by term, in compact arrays, instead of one
  tuple per posting sorted at the end (and spilled to disk past a memory limit).
- `SegmentWriter` reads each field's lengths once per segment.
- `SegmentWriter` keeps the near-duplicate sketches of the articles it writes
  (`written_sketches`), made from the body's terms as they are indexed.
- `ParallelWriter`'s workers ignore Ctrl-C, stop on cancel, and hand back the words
  that stemming changed (for batch.WordList) and their writers' sketches.

The index module is the only user; Whoosh's writers stay behind it.
"""

from __future__ import annotations

import gc
import multiprocessing
import multiprocessing.connection
import os
import pickle
import queue
import signal
import sys
import threading
from array import array
from contextlib import contextmanager
from heapq import merge
from pathlib import Path
from typing import Any, Callable, Iterator

from whoosh import writing
from whoosh.codec.whoosh3 import W3FieldWriter, W3TermsReader
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.util import random_name

from ..errors import SearcherError
from .postings import BLOCK_SIZE, BlockWriter, add_entries, live_postings, single_block_term, term_key
from .reading import field_lengths
from .schema import ArticleText, SketchColumn
from .tokens import TEXT_TERMS

_Term = tuple[str, bytes]  # (field name, term text)

#: The third garbage-collection threshold during an index run: Python's default (10)
#: 100 times over (see rare_full_collections).
RARE_FULL_COLLECTIONS = 1000


@contextmanager
def rare_full_collections() -> Iterator[None]:
    """Python's full garbage collections walk every live object, and an index run keeps
    hundreds of thousands alive (manifest entries, articles in flight): they cost 5-8%
    of a build. Within this block young objects are collected as usual, and full
    collections (the third threshold) come 100 times rarer than by default.

    The threshold is the whole process's, so `update_index` leaves it alone: the
    command line wraps its runs in this (update.rare_full_collections is this one),
    and a program that runs nothing else at the time may do the same. A run's worker
    processes are the run's own: each runs its work in it (_WorkerTask.run)."""
    young, middle, full = gc.get_threshold()
    gc.set_threshold(young, middle, max(full, RARE_FULL_COLLECTIONS))
    try:
        yield
    finally:
        gc.set_threshold(young, middle, full)


def _first(item: tuple[bytes, object]) -> bytes:
    return item[0]


class PostingPool:
    """The postings of a segment being written, grouped by term.

    Whoosh's PostingPool keeps one tuple per posting (about 200 bytes), sorts them
    all at the end, and past `limitmb` pickles them one by one to sorted runs on
    disk and merges those back: on Reuters that was a third of indexing time. Here
    each term holds its article numbers and weights in arrays, and its encoded
    values in a list (most are shared: see schema._encode_positions), about 25
    bytes a posting; only the terms are sorted. Past `limitmb` the terms are written
    to a run, term by term, and the runs are merged term by term.
    """

    def __init__(self, tempstore, segment, limitmb: int = 128, **kwargs: Any) -> None:  # type: ignore[no-untyped-def]
        self.tempstore = tempstore
        self.fieldnames: set[str] = set()
        self._limit = limitmb * 1024 * 1024
        self._size = 0
        # By field, then term: a posting costs no (field, term) tuple to look up.
        self._terms: dict[str, dict[bytes, tuple[array, array, list[bytes | None]]]] = {}
        self._runs: list[str] = []
        self._last_docnum = -1
        self._ordered = True  # whether articles came in order, as writers add them

    def add(self, item: tuple[str, bytes, int, float, bytes | None]) -> None:
        fieldname, text, docnum, weight, value = item
        terms = self._terms.get(fieldname)
        if terms is None:
            terms = self._terms[fieldname] = {}
        postings = terms.get(text)
        if postings is None:
            postings = terms[text] = (array("I"), array("f"), [])
            self.fieldnames.add(fieldname)
            self._size += 250 + len(text)
        postings[0].append(docnum)
        postings[1].append(weight)
        postings[2].append(value)
        if docnum < self._last_docnum:
            self._ordered = False
        self._last_docnum = docnum
        self._size += 16 if value is None or len(value) < 8 else 60 + len(value)
        if self._size > self._limit:
            self._save_run()

    def add_field(self, fieldname: str, docnum: int, items, boost: float) -> int:  # type: ignore[no-untyped-def]
        """Add one field of one article: `items` are field.index()'s (term, frequency,
        weight, value). Returns the sum of the frequencies, the field's length."""
        terms = self._terms.get(fieldname)
        if terms is None:
            terms = self._terms[fieldname] = {}
        length = size = count = 0
        for text, freq, weight, value in items:
            postings = terms.get(text)
            if postings is None:
                postings = terms[text] = (array("I"), array("f"), [])
                size += 250 + len(text)
            ids, weights, values = postings
            ids.append(docnum)
            weights.append(weight * boost)
            values.append(value)
            length += freq
            count += 1
        # (What a posting holds, measured with tracemalloc on Reuters: about 70 bytes, and 4
        # more a position past the first; as the estimate of Whoosh's encoded values was.)
        size += 72 * count + 4 * (length - count)
        self.fieldnames.add(fieldname)
        if docnum < self._last_docnum:
            self._ordered = False
        self._last_docnum = docnum
        self._size += size
        if self._size > self._limit:
            self._save_run()
        return length

    def iter_postings(self) -> Iterator[tuple[str, bytes, int, float, bytes | None]]:
        """Every posting, by field, term and article number."""
        for (fieldname, text), (docnums, weights, values) in self.iter_terms():
            for docnum, weight, value in zip(docnums, weights, values):
                yield fieldname, text, docnum, weight, value

    def iter_terms(self) -> Iterator[tuple[_Term, tuple[array, array, list[bytes | None]]]]:
        """Every term with its postings, by field and term; postings by article number."""
        for term, postings in self._sorted_terms():
            if not self._ordered:
                ordered = sorted(zip(*postings))
                postings = (array("I", [p[0] for p in ordered]), array("f", [p[1] for p in ordered]),
                            [p[2] for p in ordered])
            yield term, postings

    def cleanup(self) -> None:
        for run in self._runs:
            self.tempstore.delete_file(run)
        self._runs = []
        self._terms = {}

    def _sorted_terms(self) -> Iterator[tuple[_Term, tuple[array, array, list[bytes | None]]]]:
        current = self._in_order()
        if not self._runs:
            yield from current
            return
        # The same term from several runs: the earlier run holds the earlier articles.
        runs = [self._read_run(run) for run in self._runs] + [iter(current)]
        term, joined = None, None
        for next_term, postings in merge(*runs, key=lambda item: item[0]):
            if next_term != term:
                if joined is not None:
                    yield term, joined  # type: ignore[misc]
                term, joined = next_term, (array("I"), array("f"), [])
            joined[0].extend(postings[0])
            joined[1].extend(postings[1])
            joined[2].extend(postings[2])
        if joined is not None:
            yield term, joined  # type: ignore[misc]

    def _in_order(self) -> list[tuple[_Term, tuple[array, array, list[bytes | None]]]]:
        """The terms in memory, by field and term."""
        return [((fieldname, text), postings) for fieldname, terms in sorted(self._terms.items())
                for text, postings in sorted(terms.items(), key=_first)]

    def _save_run(self) -> None:
        name = f"{random_name()}.run"
        with self.tempstore.create_file(name).raw_file() as out:
            for item in self._in_order():
                pickle.dump(item, out, pickle.HIGHEST_PROTOCOL)
        self._runs.append(name)
        self._terms = {}
        self._size = 0

    def _read_run(self, name: str) -> Iterator[tuple[_Term, tuple[array, array, list[bytes | None]]]]:
        with self.tempstore.open_file(name).raw_file() as data:
            while True:
                try:
                    yield pickle.load(data)
                except EOFError:
                    return


class _JoiningOnOptimize:
    """An optimizing commit (`commit(optimize=True)`) whose segments have no deleted
    articles joins them into one (joining.join_segments, a copy: 0.4 s for BBC News'
    two segments where Whoosh's optimize re-indexed them in 3.5 s). With deletions it is
    Whoosh's optimize, its postings read from the blocks (add_postings_to_pool); a
    segment the join cannot copy leaves the segments as they are."""

    _join = False

    def _merge_segments(self, mergetype, optimize, merge):  # type: ignore[no-untyped-def]
        optimize = optimize if optimize is not None else self.optimize  # type: ignore[attr-defined]
        if optimize and not mergetype and not any(segment.has_deletions() for segment in self.segments):  # type: ignore[attr-defined]
            self._join = True
            return list(self.segments)  # type: ignore[attr-defined]
        return super()._merge_segments(mergetype, optimize, merge)  # type: ignore[misc]

    def add_postings_to_pool(self, reader, startdoc, docmap):  # type: ignore[no-untyped-def]
        # Whoosh's (its optimize with deletions merges a segment's articles through this),
        # the postings read from the blocks: a matcher a term was nine tenths of it.
        if not isinstance(getattr(reader, "_terms", None), W3TermsReader):
            return super().add_postings_to_pool(reader, startdoc, docmap)  # type: ignore[misc]
        add = self.pool.add  # type: ignore[attr-defined]
        for item in self._process_posts(live_postings(reader), startdoc, docmap):  # type: ignore[attr-defined]
            add(item)

    def _commit_toc(self, segments):  # type: ignore[no-untyped-def]
        if self._join and len(segments) > 1:
            from .joining import CannotJoin, join_segments

            try:
                segments = [join_segments(self.storage, self.schema, self.indexname, segments)]  # type: ignore[attr-defined]
            except CannotJoin:
                pass  # (the joined segment's files, left out of the commit, are deleted with the others)
        super()._commit_toc(segments)  # type: ignore[misc]


class SegmentWriter(_JoiningOnOptimize, writing.SegmentWriter):
    """Whoosh's segment writer with our PostingPool, reading each field's lengths
    once instead of once per posting: writing the postings looked up the field
    length of every posting's article in the length column (a seek and a read), a
    seventh of indexing time."""

    def __init__(self, ix, limitmb: int = 128, **kwargs: Any) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ix, limitmb=limitmb, **kwargs)
        self.pool = PostingPool(self._tempstorage, self.newsegment, limitmb=limitmb)
        # Whoosh's add_document, a field at a time into the pool, for schemas without
        # term vectors or separate spelling words (ours).
        self._plain = not any(field.vector or field.separate_spelling() for _, field in self.schema.items())
        #: (id, sketch, day) of each article written with a near-duplicate sketch.
        self.written_sketches: list[tuple[str, bytes, int]] = []

    def add_document(self, **fields: Any) -> None:
        if not self._plain:
            return super().add_document(**fields)
        self._check_state()
        perdocwriter, schema, docnum, pool = self.perdocwriter, self.schema, self.docnum, self.pool
        docboost = self._doc_boost(fields)
        names = sorted(name for name in fields if not name.startswith("_"))
        self._check_fields(schema, names)
        perdocwriter.start_doc(docnum)
        last_text, last_terms = None, None  # (the text indexed last, and its terms: the body's make its sketch)
        try:
            for name in names:
                value = fields[name]
                if value is None:
                    continue
                field = schema[name]
                length = 0
                if field.indexed:
                    # (positions as lists, where the field gives them: see postings.PackedPositions)
                    if isinstance(value, str) and isinstance(field, ArticleText):
                        last_text, last_terms = value, field.terms(value)
                        items = field.postings(value, last_terms)
                    else:
                        items = field.index(value)
                    length = pool.add_field(name, docnum, items, self._field_boost(fields, name, docboost))
                    if not field.scorable:
                        length = 0
                stored = fields.get("_stored_" + name, value)
                perdocwriter.add_field(name, field, stored if field.stored else None, length)
                column = field.column_type
                if column and stored is not None:
                    if isinstance(field, SketchColumn) and not isinstance(stored, bytes):
                        # (Fields are written in name order, body before body_keys: its terms are at hand.)
                        article_id, body, day = stored
                        column_value, body_sketch = field.keys_and_sketch(
                            stored, last_terms if last_text is body else None)
                        if body_sketch:
                            self.written_sketches.append((article_id, body_sketch, day))
                    else:
                        column_value = field.to_column_value(stored)
                    perdocwriter.add_column_value(name, column, column_value)
        except Exception:
            perdocwriter.cancel_doc()
            raise
        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        lengths = self.per_document_reader()
        try:
            if isinstance(self.fieldwriter, W3FieldWriter) and isinstance(self.pool, PostingPool):
                _write_terms(self.fieldwriter, self.schema, _Lengths(lengths), self.pool.iter_terms())
            else:
                self.fieldwriter.add_postings(self.schema, _Lengths(lengths), self.pool.iter_postings())
            self.fieldwriter.close()
        finally:
            lengths.close()


#: Terms with up to this many postings (one block: most terms) are written by
#: postings.single_block_term, and put in the files WAITING_TERMS at a time.
WRITTEN_AT_ONCE = BLOCK_SIZE
WAITING_TERMS = 4096


def _write_terms(fieldwriter: W3FieldWriter, schema, lengths: "_Lengths", terms) -> None:  # type: ignore[no-untyped-def]
    """What FieldWriter.add_postings does, a block of postings at a time.

    Whoosh's add_postings makes four calls and a dozen checks for each posting; here
    each block of a term's postings is put in the postings writer's buffer at once,
    and written as postings.BlockWriter writes them: the same postings, the same
    statistics, in blocks a search reads as arrays. A term of one block (most terms)
    is written without the postings writer: its postings and its terms table entry
    are made in one call, and written with those of others. The same bytes.
    """
    fieldname = None
    compression = fieldwriter._codec._compression
    postfile, table = fieldwriter._postfile, fieldwriter._tindex
    for structfile in (postfile, table.dbfile):
        structfile.file = _Appending(structfile.file)
    position = postfile.tell()
    waiting: list[bytes] = []  # (the postings, and terms table entries, of one-block terms not yet written)
    entries: list[tuple[bytes, bytes]] = []

    def write_waiting() -> None:
        postfile.write(b"".join(waiting))
        add_entries(table, entries)
        waiting.clear()
        entries.clear()

    for (name, text), (docnums, weights, values) in terms:
        if name != fieldname:
            if fieldname is not None:
                fieldwriter.finish_field()
            fieldname = name
            fieldwriter.start_field(name, schema[name])
            fieldwriter._postwriter = BlockWriter(postfile, compression)
            field_lengths = lengths.of(name)
            fixed = schema[name].format.fixed_value_size()
            field_key = term_key(fieldwriter._fieldid, b"")
        if len(docnums) <= WRITTEN_AT_ONCE:
            postings, info = single_block_term(
                docnums, weights, [value for value in values if value != b"" and value is not None],
                list(map(field_lengths.__getitem__, docnums)), fixed, compression, position)
            waiting.append(postings)
            entries.append((field_key + text, info))
            position += len(postings)
            if len(waiting) == WAITING_TERMS:
                write_waiting()
            continue
        if waiting:
            write_waiting()
        fieldwriter.start_term(text)
        postwriter = fieldwriter._postwriter
        for start in range(0, len(docnums), BLOCK_SIZE):
            ids = docnums[start:start + BLOCK_SIZE]
            postwriter.add_block(ids, weights[start:start + BLOCK_SIZE],
                                 # (Whoosh keeps no empty value; a position may be 0)
                                 [value for value in values[start:start + BLOCK_SIZE] if value != b"" and value is not None],
                                 list(map(field_lengths.__getitem__, ids)))
        fieldwriter.finish_term()  # (writes the last block)
        position = postfile.tell()
    if waiting:
        write_waiting()
    if fieldname is not None:
        fieldwriter.finish_field()


class _Appending:
    """A file written from start to end, that knows where it is without asking the
    system: Whoosh's segment writer asks for the position four times a term (a system
    call each, a tenth of writing a segment)."""

    __slots__ = ("_file", "_position")

    def __init__(self, file) -> None:  # type: ignore[no-untyped-def]
        self._file = file
        self._position = file.tell()

    def write(self, data) -> int:  # type: ignore[no-untyped-def]
        written = self._file.write(data)
        self._position += written
        return written

    def tell(self) -> int:
        return self._position

    def seek(self, *args: Any) -> int:
        self._position = self._file.seek(*args)
        return self._position

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)


class _Lengths:
    """The field lengths of a new segment, read once per field."""

    def __init__(self, reader) -> None:  # type: ignore[no-untyped-def]
        self._reader = reader
        self._by_field: dict[str, list[int]] = {}

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int:
        return self.of(fieldname)[docnum]

    def of(self, fieldname: str) -> list[int]:
        """The length of the field in each article of the segment, 0 when it has none."""
        lengths = self._by_field.get(fieldname)
        if lengths is None:
            lengths = field_lengths(self._reader, fieldname, self._reader.doc_count_all(), missing=0)
            self._by_field[fieldname] = lengths
        return lengths


#: How a parallel run starts its worker processes: forked, where fork is the platform's
#: way (Linux). A forked worker starts at once, and a program that runs an index from a
#: script without `if __name__ == "__main__":` keeps working: "forkserver" and "spawn"
#: run the program's main module again in a new process, which for such a script means
#: a second index run (and a hang). The workers need nothing a fork copies: their task
#: carries all they use (writing._WorkerTask), they start before this process has a
#: thread of ours (ParallelWriter._enqueue), and the test suite runs them under
#: "forkserver" too (test_indexer.py), Python 3.14's default on Linux.
START_METHOD = "fork" if sys.platform.startswith("linux") else multiprocessing.get_all_start_methods()[0]
# (get_all_start_methods' first is the platform's default; get_start_method() would settle
# the program's default context, which its own set_start_method() could then not change.)


class _WorkerTask(SubWriterTask):
    """A Whoosh indexing worker process that leaves Ctrl-C to its parent, ends with
    it, and hands it the words that stemming changed (for the word list) and the
    sketches of the articles it wrote, in a file.

    Without the first, Ctrl-C reaches every worker (they share the terminal's process
    group) and each prints a KeyboardInterrupt traceback; the parent stops them. The
    results go through a file because the parent joins its workers before it reads their
    queue, and a worker can't exit with more than a pipe's worth of data unread.

    Workers run side by side on the machine's cores: `shares_cores` tells the semantic
    encoder to keep its matrix products to one thread (schema.VectorColumn). OpenBLAS's
    threads in two workers on two cores wait on each other: 10x slower.
    """

    shares_cores = True

    def __init__(self, *args: Any, results_path: Path, start_method: str) -> None:
        super().__init__(*args)
        self.results_path = results_path
        self.start_method = start_method

    @staticmethod
    def _Popen(process_obj: _WorkerTask):  # type: ignore[no-untyped-def,override]
        # (How multiprocessing starts a process of a given method: its context's Popen.)
        return multiprocessing.get_context(process_obj.start_method).Process._Popen(process_obj)

    def run(self) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _end_with_parent()
        with rare_full_collections():  # (this process is the run's own)
            self._write()

    def _write(self) -> None:
        # Whoosh's SubWriterTask.run, multisegment only, with our segment writer.
        ix = self.storage.open_index(self.indexname)
        writer = self.writer = SegmentWriter(ix, _lk=False, **self.kwargs)
        while self.running:
            job = self.jobqueue.get()
            if job is None:
                break
            self._process_file(*job)
        if not self.running:
            writer.cancel()
            return
        segment = writer._finalize_segment()
        if not writer._added:
            # A worker given no work: its empty segment stays out of the index (the commit
            # deletes its files). Cancelling instead would destroy the temporary folder the
            # parent shares with the other workers.
            segment = None
        with open(self.results_path, "wb") as out:
            pickle.dump((TEXT_TERMS.stemmed_away, writer.written_sketches), out, protocol=pickle.HIGHEST_PROTOCOL)
        self.resultqueue.put((None, writer.pool.fieldnames, segment), timeout=5)


def _end_with_parent() -> None:
    """End this worker when the process that started it ends, however it ends (SIGKILL
    included).

    A worker whose parent was killed would wait for work forever, and could still write
    into the index folder when the next run starts. multiprocessing gives a worker a
    pipe from its parent (the sentinel), which closes when the parent ends: a thread
    waits on it. (A forkserver's worker is the server's child, not its parent's: Linux's
    PR_SET_PDEATHSIG and getppid() would watch the wrong process.)
    """
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def wait_for_parent() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=wait_for_parent, name="searcher-end-with-parent", daemon=True).start()


class ParallelWriter(_JoiningOnOptimize, MpWriter):
    """Whoosh's multiprocessing writer, with quiet workers that really stop on cancel,
    and `before_commit(words, sketches)`, called with the workers' words and sketches
    before the commit.

    Whoosh's own cancel() only sets a flag in the parent's copy of each worker, so
    the workers never see it: they wait for more work forever, and the parent hangs
    on exit waiting for them.
    """

    before_commit: Callable[[set[str], list[tuple[str, bytes, int]]], None] | None = None

    def __init__(self, ix, procs: int, multisegment: bool = True, batchsize: int = 100,  # type: ignore[no-untyped-def]
                 start_method: str | None = None, **kwargs: Any) -> None:
        # MpWriter.__init__, with queues of the workers' start method. Whoosh's come from
        # the program's default context, and making them settles that context for the
        # whole program: its own multiprocessing.set_start_method() would then fail.
        if not multisegment:
            raise ValueError("ParallelWriter writes a segment a worker (multisegment)")
        writing.SegmentWriter.__init__(self, ix, **kwargs)
        self.procs = procs
        self.batchsize = batchsize
        self.subargs = kwargs  # (the workers' writers get the same settings)
        self.multisegment = multisegment
        self.tasks: list[_WorkerTask] = []
        self.start_method = start_method or START_METHOD
        context = multiprocessing.get_context(self.start_method)
        self.jobqueue = context.Queue(self.procs * 4)
        self.resultqueue = context.Queue()
        self.docbuffer: list[tuple[int, dict[str, Any]]] = []
        self._grouping = 0
        self._added_sub = False

    def _enqueue(self) -> None:
        # Whoosh's _enqueue (the buffered articles to a job file, its name on the job
        # queue), but every worker starts with the first job, before the queue's first
        # put starts this process's feeder thread (a fork copies threads' locks as they
        # are); and a full queue that no worker is left to read stops the run instead of
        # waiting forever.
        filename = f"{random_name()}.doclist"
        with self.temp_storage().create_file(filename).raw_file() as out:
            for item in self.docbuffer:
                pickle.dump(item, out, 2)
        job, self.docbuffer = (filename, len(self.docbuffer)), []
        while len(self.tasks) < self.procs:
            self._new_task()
        self._put(job)

    def _put(self, job: tuple[str, int] | None) -> None:
        """Put a job (None: finish) on the job queue, which is bounded; when it is full
        and no worker is left to read it, the run stops with the worker's error."""
        while True:
            try:
                self.jobqueue.put(job, timeout=1)
                return
            except queue.Full:
                if not any(task.is_alive() for task in self.tasks):
                    raise _stopped(self.tasks[0]) from None

    def _commit(self, mergetype, optimize, merge):  # type: ignore[no-untyped-def]
        # Whoosh's MpWriter._commit, for multisegment writers (ours), with its puts
        # through _put: Whoosh's would wait forever to tell a dead worker to finish.
        if self.docbuffer:
            self._enqueue()
        for _ in self.tasks:
            self._put(None)
        final = self._merge_segments(mergetype, optimize, merge)
        for task in self.tasks:
            task.join()
        results = []
        for _ in self.tasks:
            try:
                results.append(self.resultqueue.get(timeout=1))
            except queue.Empty:
                pass  # (a worker that failed: _commit_toc says so)
        final += [segment for _, _, segment in results if segment is not None]  # (None: a worker given no work)
        if self._added:
            final.append(self._finalize_segment())
        else:
            self._close_segment()
        self._commit_toc(final)
        self._finish()

    def _new_task(self) -> SubWriterTask:
        results_path = Path(self.storage.folder) / f".searcher-worker-{os.getpid()}-{len(self.tasks)}.tmp"
        task = _WorkerTask(self.storage, self.indexname, self.jobqueue, self.resultqueue, self.subargs,
                           self.multisegment, results_path=results_path, start_method=self.start_method)
        self.tasks.append(task)
        task.start()
        return task

    def _commit_toc(self, segments):  # type: ignore[no-untyped-def]
        # Called once every worker has finished and written its words. A worker that
        # failed (an error, the out-of-memory killer) left no segment: Whoosh would
        # commit without its articles, and the manifest would say they are indexed.
        failed = [task for task in self.tasks if task.exitcode != 0 or not task.results_path.exists()]
        if failed:
            raise _stopped(failed[0])
        words: set[str] = set()
        sketches: list[tuple[str, bytes, int]] = []  # (the workers write every article: MpWriter's add_document)
        for task in self.tasks:
            with open(task.results_path, "rb") as results:
                task_words, task_sketches = pickle.load(results)
            words.update(task_words)
            sketches.extend(task_sketches)
            task.results_path.unlink()
        if self.before_commit is not None:
            self.before_commit(words, sketches)
        super()._commit_toc(segments)

    def stop_workers(self) -> None:
        for task in self.tasks:
            if task.is_alive():
                task.terminate()
        for task in self.tasks:
            if task.pid is not None:  # (a task whose start failed has nothing to wait for)
                task.join()
            task.results_path.unlink(missing_ok=True)
        self.jobqueue.cancel_join_thread()

    def cancel(self) -> None:
        self.stop_workers()  # before the lock is released, so no worker writes after
        super().cancel()


def _stopped(task: _WorkerTask) -> SearcherError:
    """The error of a run whose worker `task` stopped before its work was done."""
    return SearcherError(
        f"an indexing worker stopped (exit code {task.exitcode}); what this run had not committed was not saved",
        hint="run the same command again; if it fails again, set workers: 1 in searcher.yaml",
    )
