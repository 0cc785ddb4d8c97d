"""Indexing a sharded index: a run of each shard, side by side, then the groups of the whole.

A sharded index is a folder of ordinary indexes (engine/folder.py), each article in the
shard a stable hash of its id chooses. Its index run is a run of each shard
(update.index_part): an ordinary, incremental run of that shard's folder over the
articles of the corpus that belong to it, with its own manifest, so that a shard whose
articles did not change does not commit, and a shard whose run was killed keeps its
last commit and finishes at the next run, as an index does. The runs go side by side
in local processes, or on a Dask cluster's workers (searcher/cluster.py: the index lives
on storage every worker reads). Each reads the corpus's changed files; then this
process, holding the whole index's write lock from start to end, finds the
near-duplicate groups of the whole index (they may span shards) from what the runs
wrote, and says what they did as one report.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterable, Iterator

from ..config import Config
from ..engine.folder import shard_count, shard_name
from ..engine.locking import write_lock
from ..errors import IndexNotFoundError, IndexWriteError, SearcherError
from ..index import Index
from ..model import IndexReport, Problem, Progress
from ..paths import display_path
from .update import PARALLEL_MIN_BYTES, PartRun, checked_corpus, index_part, no_corpus, save_duplicates

#: Runs the parts (shard number -> the arguments of update.index_part after the config)
#: and yields each one's (number, PartRun) as it ends: in local processes, or on a cluster.
Runner = Callable[[list[tuple[int, Config, list[str] | None, bool, int, int]]], Iterator[tuple[int, PartRun]]]


def update_sharded(config: Config, corpus: Iterable[str | os.PathLike[str]] | None, *, rebuild: bool,
                   progress: Progress | None, shards: int | None, cluster: str | None) -> IndexReport:
    """update.update_index for a sharded index (or one to be made): see the module's docstring."""
    import time

    progress = progress or Progress()
    started = time.perf_counter()
    folder = config.index
    lock = write_lock(folder)
    corpus = checked_corpus(config, corpus)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        lock.acquire(config.lock_wait, progress.notice)
        # The corpus first: a rebuild with another shard count makes the index anew, and
        # must not leave it empty for want of one (nor the new shards without the old roots).
        paths = _corpus(config, corpus)
        count = _prepared(config, shards, rebuild)
        if count == 1:  # (made again without shards, as asked)
            from .update import update_index

            return update_index(config, paths, rebuild=True, progress=progress)
        # (Each run writes in its own process: the runs side by side are the parallelism.)
        parts = [(number, replace(config, index=folder / shard_name(number), workers=1), paths, rebuild, number,
                  count) for number in range(count)]
        if cluster:
            from ..cluster import run_parts

            runner: Runner = lambda parts: run_parts(cluster, config.cluster_timeout, parts)  # noqa: E731
        else:
            runner = _local_runner(_workers(config, paths, count))
        progress.phase("Indexing", count, "shards")
        done: dict[int, PartRun] = {}
        for number, outcome in runner(parts):
            done[number] = outcome
            progress.advance()
        runs = [done[number] for number in range(count)]
        if config.duplicates:
            progress.phase("Finding near-duplicates", None, "")
            with Index.open(folder, config) as index:
                for run in runs:  # (what save_duplicates reads of an index run)
                    index.touched |= run.touched
                    index.written_sketches.update(run.written)
                save_duplicates(index, all(run.fresh for run in runs), sum(run.generation for run in runs), progress)
    except OSError as error:
        raise IndexWriteError(f"cannot write the index at {display_path(folder)}: {error.strerror or error}") from None
    finally:
        lock.release()
        progress.finish()
    report = _merged([run.report for run in runs])
    report.seconds = time.perf_counter() - started
    return report


def _corpus(config: Config, corpus: Iterable[str | os.PathLike[str]] | None) -> list[str]:
    """The corpus the runs index: the one named, else the configured one, else the one the
    index was built from; CorpusError when there is none."""
    from ..errors import IndexFormatError

    if corpus:
        return [os.path.abspath(path) for path in corpus]
    if config.corpus:
        return [os.path.abspath(path) for path in config.corpus]
    try:
        with Index.open(config.index, config) as index:
            roots = list(index.stats().corpus)
    except (IndexFormatError, IndexNotFoundError):  # (nothing to learn from it: said when it is opened)
        roots = []
    if roots:
        return roots
    raise no_corpus()


def _prepared(config: Config, shards: int | None, rebuild: bool) -> int:
    """The index's shard count, once the index is there: made (with `shards`, when it is
    not there, or with `rebuild` and another count), or checked."""
    folder = config.index
    if Index.exists(folder):
        existing = shard_count(folder)
        if shards is None or shards == existing:
            if not rebuild:
                Index.open(folder, config).close()  # (another version, or damage: said before any run)
            return existing
        if not rebuild:
            have = f"{existing} shard{'s' if existing > 1 else ''}" if existing > 1 else "no shards"
            raise SearcherError(f"the index at {display_path(folder)} has {have}, not {shards}",
                                hint=f"add --rebuild to make it again with {shards} shards")
    count = shards or 1
    Index.create(folder, config, shards=count).close()
    return count


def _workers(config: Config, corpus: list[str] | None, count: int) -> int:
    """Processes to run the parts in: as for a run of one index (update._workers), never
    more than the parts; one for a small corpus."""
    if config.workers:
        return min(config.workers, count)
    roots = corpus or [str(path) for path in config.corpus]
    size = 0
    for root in roots:
        path = Path(root)
        files = path.rglob("*") if path.is_dir() else [path]
        size += sum(entry.stat().st_size for entry in files if entry.is_file())
        if size >= PARALLEL_MIN_BYTES:
            return min(2, os.cpu_count() or 1, count)
    return 1


def _local_runner(workers: int) -> Runner:
    def run(parts: list[tuple[int, Config, list[str] | None, bool, int, int]]) -> Iterator[tuple[int, PartRun]]:
        if workers == 1:
            for number, *arguments in parts:
                yield number, index_part(*arguments)  # type: ignore[arg-type]
            return
        import multiprocessing

        from ..engine.writing import START_METHOD

        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(START_METHOD)) as pool:
            futures = {pool.submit(index_part, *arguments): number for number, *arguments in parts}
            failure: BaseException | None = None
            for future in as_completed(futures):
                # (A failed run's error is raised once the others are over: each keeps
                # what it committed, as an index does.)
                error = future.exception()
                if error is None:
                    yield futures[future], future.result()
                elif failure is None:
                    failure = error
            if failure is not None:
                raise failure

    return run


def _merged(reports: list[IndexReport]) -> IndexReport:
    """One report of the shards' runs: articles summed; files as the runs saw them (every
    run reads each changed file); each problem once."""
    merged = IndexReport(
        added=sum(report.added for report in reports),
        updated=sum(report.updated for report in reports),
        removed=sum(report.removed for report in reports),
        unchanged=sum(report.unchanged for report in reports),
        files_read=max((report.files_read for report in reports), default=0),
        files_unchanged=max((report.files_unchanged for report in reports), default=0),
        files_removed=max((report.files_removed for report in reports), default=0),
    )
    seen: set[Problem] = set()
    for report in reports:
        for problem in report.problems:
            if problem not in seen:
                seen.add(problem)
                merged.problems.append(problem)
    merged.problems.sort(key=lambda problem: (problem.path, problem.line or 0))
    return merged
