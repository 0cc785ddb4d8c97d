"""Indexing a corpus: bringing the index in line with the files, doing only what changed.

`update_index(config, corpus)` is what `searcher index` runs, holding the index's
write lock (see locking) from start to end:

1. find the corpus files, and compare each with the manifest (size and time,
   then content hash): unchanged files are not read at all;
2. read the new and changed files, noting each article's id, line and fingerprint
   (of JSON lines, only the new and changed lines: the manifest keys every line; of a
   WARC that grew by appending, only what was appended); web pages are extracted in
   worker processes (readers.extraction), in corpus order;
3. decide which copy of each id is indexed (`on_duplicate`), across all files;
4. delete the articles that are gone, write the new and changed ones (in several
   processes when there are many), committing every `commit_every` articles and at
   the end, then save the manifest. A run stopped between commits keeps what it
   committed; the next one compares every file with the index and writes the rest.

Files deleted from the corpus lose their articles; files under other corpus
paths indexed before are left alone.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
import sys
import time
import zlib
from array import array
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from operator import itemgetter
from pathlib import Path
from typing import IO, Callable, Iterable

from ..config import Config
from ..engine.batch import Batch
from ..engine.folder import is_index, shard_count, shard_of
from ..engine.locking import write_lock
from ..engine.schema import fingerprint
from ..engine.writing import rare_full_collections  # (the command line's, and a library user's: see there)
from ..errors import (
    CorpusError, IndexFormatError, IndexNotFoundError, IndexWriteError, Interrupted, SearcherError,
)
from ..index import Index
from ..model import Article, IndexReport, Problem, Progress, skipped_lines
from ..paths import display_path
from ..readers import (
    EXTRACTED_FORMATS,
    CorpusFile,
    check_roots,
    choose,
    corpus_files,
    duplicate_problem,
    ignore_problem,
    json_lines_of,
    parse_data,
    place,
    read_file,
    refused_json_lines,
    unreadable,
    web_pages,
)
from ..readers.html import INSTALL_HINT
from ..readers.extraction import (
    Extraction, ExtractedFile, InOrder, extractor_version, missing_extra, without_extra_problem,
)
from .manifest import FileState, Manifest

#: Below this many articles to write, one process is faster than starting workers.
PARALLEL_MIN_ARTICLES = 1000
#: The same, for a first build, in bytes of corpus (about a thousand short articles).
PARALLEL_MIN_BYTES = 1_000_000
#: With `semantic:`, embedding is most of the work (70 ms a window of a core, where the
#: rest is 1 ms an article): workers pay from this many articles, or bytes of a first build.
PARALLEL_MIN_EMBEDDED = (50, 50_000)
#: Up to this many articles parsed while reading are kept for writing (more are read again).
KEEP_PARSED_ARTICLES = 1000
#: Articles extracted from web pages are kept up to this much text: extracting a page
#: again costs 25 ms, where parsing a line of JSON again costs microseconds.
KEEP_EXTRACTED_CHARACTERS = 200_000_000
#: From this many web pages to extract (a WARC counts for its size in typical pages),
#: extraction runs in worker processes.
PARALLEL_MIN_PAGES = 16
TYPICAL_PAGE_BYTES = 60_000


#: Where one article is, and what it holds: (path, line, fingerprint). A plain tuple:
#: one is made for every article of the corpus, twice, on every run.
_Copy = tuple[str, "int | None", str]


def update_index(
    config: Config,
    corpus: Iterable[str | os.PathLike[str]] | None = None,
    *,
    rebuild: bool = False,
    progress: Progress | None = None,
    shards: int | None = None,
    cluster: str | None = None,
) -> IndexReport:
    """Index `corpus` (default: the configured corpus, else the one indexed before) into
    `config.index`, creating the index if needed. With `rebuild`, start from nothing.

    `shards` > 1 makes a new index a sharded one (an index that has shards keeps them;
    another count needs `rebuild`): each shard's part of the corpus is indexed by a run
    of its own (indexing/shards.py), in local processes or, given the address of a Dask
    scheduler (`cluster`), by the cluster's workers. (An index of one shard is indexed
    here, cluster or not.)"""
    if (shards or 1) > 1 or shard_count(config.index) > 1:
        from .shards import update_sharded

        return update_sharded(config, corpus, rebuild=rebuild, progress=progress, shards=shards, cluster=cluster)
    return _index_run(config, corpus, rebuild, progress or Progress()).report


@dataclass
class PartRun:
    """What one run of a shard of a sharded index hands back to the run of the whole
    (indexing/shards.py): what it did, and what the near-duplicate groups of the whole
    index need (see _save_duplicates): whether it wrote every article (`fresh`), the
    generation it started from, the ids it touched and the sketches it wrote."""

    report: IndexReport
    fresh: bool = False
    generation: int = 0
    touched: set[str] = field(default_factory=set)
    written: dict[str, tuple[bytes, int]] = field(default_factory=dict)


def index_part(config: Config, corpus: list[str] | None, rebuild: bool, number: int, count: int) -> PartRun:
    """An index run of shard `number` of a sharded index of `count` shards: an ordinary
    run of the index in `config.index` (the shard's folder) over the articles whose id
    hashes to it (folder.shard_of), in one process, that leaves the near-duplicate
    groups to the run of the whole index."""
    return _index_run(config, corpus, rebuild, Progress(), part=(number, count))


def _index_run(config: Config, corpus: Iterable[str | os.PathLike[str]] | None, rebuild: bool,
               progress: Progress, part: tuple[int, int] | None = None) -> PartRun:
    started = time.perf_counter()
    report = IndexReport()
    outcome = PartRun(report)
    committer = _Committer(config.commit_every, enabled=not rebuild, progress=progress)
    lock = write_lock(config.index)
    corpus = checked_corpus(config, corpus)
    try:
        if not config.index.exists():
            config.index.mkdir(parents=True)
        if config.index.is_dir():  # (a file there: _open_for_update says so)
            # Before anything is read: a run that replaces an index must not do it
            # under another writer's feet.
            lock.acquire(config.lock_wait, progress.notice)
        if not rebuild and _embed_again(config, progress, part):
            rebuild, committer = True, _Committer(config.commit_every, enabled=False, progress=progress)
        index = _open_for_update(config, rebuild)
        with index:
            generation, fresh = index.generation, rebuild or len(index) == 0
            _update(_Run(index, config, rebuild, progress, report, committer, part), corpus)
            if part is not None:
                outcome = PartRun(report, fresh, generation, index.touched, index.written_sketches)
            elif config.duplicates:
                save_duplicates(index, fresh, generation, progress)
    except OSError as error:
        # (Corpus files that can't be read are reported as problems: what gets here is the
        # index folder, read-only or full. Whatever was committed before stays.)
        raise IndexWriteError(f"cannot write the index at {display_path(config.index)}: "
                              f"{error.strerror or error}; {committer.saved()}") from None
    except KeyboardInterrupt:
        hint = "run the same command again to index the rest" if committer.committed else \
            "run the same command again to index"
        raise Interrupted(f"interrupted; {committer.saved()} in {display_path(config.index)}", hint=hint) from None
    finally:
        lock.release()
        progress.finish()
    report.seconds = time.perf_counter() - started
    return outcome


def checked_corpus(config: Config, corpus: Iterable[str | os.PathLike[str]] | None) -> list[str | os.PathLike[str]] | None:
    """`corpus` as a list (None: the configured one, else the one indexed before), once
    each of its paths is there: a path that is not is a CorpusError before an index folder
    is made for nothing, naming the configuration file that named it."""
    corpus = list(corpus) if corpus else None
    if not corpus and not config.corpus and not is_index(config.index):  # (no index whose corpus to index again)
        raise no_corpus()
    check_roots(corpus or config.corpus, None if corpus else config.path or "searcher.yaml")
    return corpus


def no_corpus() -> CorpusError:
    """The error of a run with no corpus named, configured, or indexed before."""
    return CorpusError("no corpus to index", hint="name one: `searcher index PATH`, or set `corpus:` in searcher.yaml")


def save_duplicates(index: Index, fresh: bool, generation: int, progress: Progress) -> None:
    """The near-duplicate groups of the whole index after this run.

    A run that wrote every article (`fresh`: a first build or a rebuild) groups the
    sketches its writers made. Otherwise, when the saved groups describe the index as
    the run found it (`generation`), only the articles it wrote or deleted are looked
    at again, with the few articles they could join, whose sketches are made again
    from their stored text (see duplicates.stored_sketches). Else (the groups were lost,
    or an `Index.add` changed the index since) every article that shares a key with
    another is sketched again.
    """
    from ..engine.sketches import keys
    from ..engine.groups import Duplicates, save_groups, saved_generation
    from .duplicates import THRESHOLD, find_groups

    saved = saved_generation(index.path)
    if saved is not None and saved == index.generation:
        return  # (nothing committed since they were saved)
    written = index.written_sketches
    days: dict[str, int] = {}
    if fresh:
        sketches = [(article_id, value, day) for article_id, (value, day) in written.items()]
        groups = find_groups(sketches)
    elif saved is not None and saved == generation:
        saved_groups = Duplicates(index.path)
        before, days = saved_groups.groups(generation), dict(saved_groups.days(generation))
        broken = [article_id for group in before if index.touched.intersection(group)
                  for article_id in group if article_id not in index.touched]
        found, crowded = index.stored_sketches([keys(value) for value, _ in written.values()], broken)
        sketches = [item for item in found if item[0] not in written]
        sketches += [(article_id, value, day) for article_id, (value, day) in written.items()]
        groups = find_groups(sketches, before=before, touched=index.touched, days_before=days, crowded=crowded)
    else:
        sketches, crowded = index.stored_sketches(None)
        if not sketches and len(index) >= 100:
            progress.notice("near-duplicates: none found; if this index was built with `duplicates: false`, "
                            "its articles have no sketches: run `searcher index --rebuild` to find them")
        groups = find_groups(sketches, crowded=crowded)
    days.update((article_id, day) for article_id, _, day in sketches)
    save_groups(index.path, groups, index.generation, days, THRESHOLD)


class _Committer:
    """Commits a batch every `every` articles written, so that an interrupted run keeps
    most of its work. The manifest is saved at the end only: a run stopped after a
    commit leaves one that does not describe the index, and the next run compares
    every file with what the index holds (index.fingerprints) and writes the rest.
    A rebuild commits once, so that an interrupted rebuild leaves the old index."""

    def __init__(self, every: int, enabled: bool, progress: Progress) -> None:
        self._every = every
        self._enabled = enabled
        self._progress = progress
        self._written = 0
        self.committed = 0  # articles of this run committed so far
        self.finished = False  # whether the run's last commit is done

    def saved(self) -> str:
        """What of this run is in the index, for a run that stopped early."""
        if self.finished:
            return "every article of this run was saved (the next run checks the files again)"
        if self.committed:
            return f"{self.committed:,} articles of this run were saved"
        return "nothing of this run was saved"

    def written(self, batch: Batch) -> None:
        self._written += 1
        if self._enabled and self._written % self._every == 0:
            batch.commit()
            self.committed = self._written
            self._progress.notice(f"{self.committed:,} articles of this run saved")


def _embed_again(config: Config, progress: Progress, part: tuple[int, int] | None) -> bool:
    """Whether every article must be written again for its vectors: `semantic:` names
    another model than the one the index's articles were embedded with, or the index
    has articles without vectors (the run rebuilds it, in one commit). With `semantic:`
    gone, the vectors are left as they are, unused."""
    if config.semantic is None or not Index.exists(config.index):
        return False
    from ..semantic.vectors import embedded_with, recorded

    if embedded_with(config.index, config.semantic):
        return False
    try:
        with Index.open(config.index, config) as index:
            if len(index) == 0:
                return False
    except SearcherError:
        return False  # (what can't be read is _open_for_update's to say)
    if part is None or part[0] == 0:
        before = recorded(config.index)
        progress.notice(f"semantic: the articles were embedded with {before['model'] if before else 'no model'}: "
                        f"every article is embedded again with {display_path(config.semantic)}")
    return True


def _open_for_update(config: Config, rebuild: bool) -> Index:
    try:
        index = Index.open(config.index, config)
    except IndexNotFoundError:
        return Index.create(config.index, config)
    except IndexFormatError:
        if rebuild and Index.exists(config.index):
            return Index.create(config.index, config)  # another version: made again from nothing
        raise
    if rebuild:
        # A rebuild replaces the old articles in one commit, so an interrupted rebuild
        # leaves the old index. If the old index can't even be read, start from nothing.
        try:
            index.stats()
        except IndexFormatError:
            index.close()
            return Index.create(config.index, config)
    return index


@dataclass
class _Run:
    """One index run: what it writes to, how, and what it tells."""

    index: Index
    config: Config
    rebuild: bool  # start from nothing
    progress: Progress
    report: IndexReport  # what it did, filled in as it goes
    committer: _Committer
    part: tuple[int, int] | None = None  # (shard, shards): a shard's run indexes the articles of its shard only

    def keep(self) -> Callable[[str], bool] | None:
        """Whether an article (by its id) belongs to this run (None: every one does)."""
        if self.part is None:
            return None
        number, count = self.part
        return lambda article_id: shard_of(article_id, count) == number


def _update(run: _Run, corpus: Iterable[str | os.PathLike[str]] | None) -> None:
    index, config, rebuild, progress, report = run.index, run.config, run.rebuild, run.progress, run.report
    manifest = Manifest() if rebuild else Manifest.load(index.path)
    if manifest.problem:
        progress.notice(f"{manifest.problem}; every file is read again and compared with the index")
    from_manifest = not rebuild and manifest.generation == index.generation
    indexed: dict[str, tuple[str, str]] = {}  # id -> (path, fingerprint) of what the index holds
    if not rebuild and not from_manifest:
        # The manifest does not describe this commit (first run, a crash after a commit,
        # Index.add): what is indexed comes from the index itself, every file is read again.
        known = index.fingerprints()
        indexed = {i: (path, fp) for i, path, fp in known}
        manifest.files = _states_from_index(known)

    roots = _roots(corpus, config, manifest)
    files, problems = corpus_files(roots, dict(config.formats), config.follow_links)
    report.problems.extend(problems)
    missing = missing_extra() if rebuild and any(file.format in EXTRACTED_FORMATS for file in files) else None
    if missing:
        # (A rebuild without them would drop every article read from them before.)
        raise CorpusError(f"the corpus holds web pages or WARC files and {missing}: a rebuild now would "
                          "leave their articles out", hint=f"{INSTALL_HINT}, then rebuild")

    # 1-2. Which files are new or changed, and what they hold.
    states = _previous_states(manifest, roots, files, report)
    nothing_indexed = not any(state.articles for state in manifest.files.values()) if from_manifest else not indexed
    if nothing_indexed and not states and config.on_duplicate == "keep-first":
        # Nothing indexed yet: every article is new, and the first copy of an id is
        # the one to index, so articles are written as they are read, in one pass.
        _index_while_reading(run, files, states)
        _save_manifest(index, manifest, config, roots, states)
        return
    parsed = _Parsed(KEEP_PARSED_ARTICLES, {str(file.path) for file in files if file.format in EXTRACTED_FORMATS},
                     spill_to=index.path)
    try:
        _update_from(run, parsed, manifest, from_manifest, indexed, roots, files, states)
    finally:
        parsed.close()


def _update_from(run: _Run, parsed: _Parsed, manifest: Manifest, from_manifest: bool, indexed: dict[str, tuple[str, str]],
                 roots: list[Path], files: list[CorpusFile], states: dict[str, FileState]) -> None:
    """Steps 2 to 4 of an incremental run (see the module's docstring)."""
    index, config, rebuild, progress, report, committer = (
        run.index, run.config, run.rebuild, run.progress, run.report, run.committer)
    changed = _read_changed(files, states, config, progress, report, on_article=parsed.add, keep=run.keep())
    if (from_manifest and not changed and states == manifest.files and manifest.policy == config.on_duplicate
            and {str(root) for root in roots} <= set(manifest.roots)):
        report.unchanged = len(index)  # nothing changed, and the manifest says so already
        return
    if from_manifest:
        indexed = {i: (path, fp) for i, (path, _, fp) in _choose(manifest.files, manifest.policy).items()}

    # 3. Which copy of each id is indexed, and what must change in the index.
    chosen = _choose(states, config.on_duplicate, changed, report)
    to_delete = [article_id for article_id in indexed if article_id not in chosen]
    to_write: dict[str, set[tuple[str, int | None]]] = {}
    for article_id, (path, line, article_hash) in chosen.items():
        before = indexed.get(article_id)
        if before == (path, article_hash):
            report.unchanged += 1
            continue
        to_write.setdefault(path, set()).add((article_id, line))
        if before is None:
            report.added += 1
        else:
            report.updated += 1
    report.removed = len(to_delete)

    # 4. Write, commit, and record what was done.
    if to_delete or to_write or rebuild:
        count = sum(len(wanted) for wanted in to_write.values())
        by_path = {str(f.path): f for f in files}
        for path in to_write.keys() - by_path.keys():
            # A copy in a file under another corpus path, now the one to index.
            by_path[path] = CorpusFile(Path(path), Path(states[path].root), states[path].format)
        # Replaced and deleted articles stay on disk until their segment is merged:
        # merge everything when they would be a quarter of the index.
        garbage = index.deleted_count + report.updated + report.removed
        optimize = not rebuild and garbage > 0.25 * (len(index) + index.deleted_count + report.added)
        progress.phase("Indexing", count, "articles")
        small = count < (PARALLEL_MIN_ARTICLES if config.semantic is None else PARALLEL_MIN_EMBEDDED[0])
        with index.batch(workers=_workers(config, small), clear=rebuild, optimize=optimize) as batch:
            for article_id in to_delete:
                batch.delete(article_id)
            for path in sorted(to_write):
                wanted = to_write[path]
                written: dict[tuple[str, int | None], str] = {}
                articles = parsed.of(path, wanted)
                if articles is None:
                    lines = None if any(line is None for _, line in wanted) else {line for _, line in wanted}
                    articles = ((article, None) for article in read_file(by_path[path], config, ignore_problem, lines))
                for article, article_hash in articles:
                    key = (article.id, article.line)
                    if key not in wanted and (article.id, None) in wanted:
                        key = (article.id, None)  # known from the index only, line unknown
                    if key in wanted and key not in written:
                        written[key] = article_hash or fingerprint(article)
                        batch.add(article, written[key])
                        progress.advance()
                        committer.written(batch)
                states[path] = _as_written(states[path], wanted, written)
            progress.phase("Finishing", None, "")  # workers finish their share, then the commit
        committer.finished = True
    _save_manifest(index, manifest, config, roots, states)


class _Parsed:
    """The articles parsed while reading, kept for writing when they are few, so that a
    handful of changed articles costs no second reading, decoding and parsing of their
    files. Past `limit` none are kept (memory stays bounded) and files are read again.
    Articles extracted from web pages (from `extracted`, their files' paths) are all
    kept, since reading them again would extract them again (25 ms a page): up to
    `characters` of text in memory, the rest pickled to a temporary file in `spill_to`."""

    def __init__(self, limit: int, extracted: set[str] = frozenset(),  # type: ignore[assignment]
                 characters: int = KEEP_EXTRACTED_CHARACTERS, spill_to: Path | None = None) -> None:
        self._extracted = extracted
        self._left = {False: limit, True: characters}  # what may still be kept in memory, of each kind
        self._kept: dict[bool, dict[str, dict[tuple[str, int | None], tuple[Article, str]]] | None] = {
            False: {}, True: {}}
        self._spill_to = spill_to
        self._spill: IO[bytes] | None = None
        self._spilled: dict[str, dict[tuple[str, int | None], int]] = {}  # path -> key -> offset in _spill

    def add(self, article: Article, article_hash: str) -> None:
        extracted = article.path in self._extracted
        kept = self._kept[extracted]
        key = (article.id, article.line)
        if kept is not None:
            self._left[extracted] -= len(article.title) + len(article.body) if extracted else 1
            if self._left[extracted] >= 0:
                kept.setdefault(article.path, {})[key] = (article, article_hash)
                return
            if not extracted:
                self._kept[False] = None
                return
        if self._spill is None:
            self._spill = tempfile.TemporaryFile(dir=self._spill_to)
        self._spilled.setdefault(article.path, {})[key] = self._spill.tell()
        pickle.dump((article, article_hash), self._spill, protocol=pickle.HIGHEST_PROTOCOL)

    def of(self, path: str, wanted: set[tuple[str, int | None]]) -> list[tuple[Article, str]] | None:
        """The (article, fingerprint) of each wanted (id, line) of `path`, in file order;
        None unless every one was kept."""
        kept = (self._kept[path in self._extracted] or {}).get(path, {})
        spilled = self._spilled.get(path, {})
        if not all(key in kept or key in spilled for key in wanted):
            return None
        found = []
        for key in sorted(wanted, key=lambda key: key[1] or 0):
            if key in kept:
                found.append(kept[key])
            else:
                assert self._spill is not None
                self._spill.seek(spilled[key])
                found.append(pickle.load(self._spill))
        return found

    def close(self) -> None:
        if self._spill is not None:
            self._spill.close()


def _save_manifest(
    index: Index, manifest: Manifest, config: Config, roots: list[Path], states: dict[str, FileState]
) -> None:
    manifest.generation = index.generation
    manifest.policy = config.on_duplicate
    manifest.roots = sorted(set(manifest.roots) | {str(root) for root in roots})
    manifest.files = states
    manifest.save(index.path)


def _index_while_reading(run: _Run, files: list[CorpusFile], states: dict[str, FileState]) -> None:
    """Read and write every article in one pass (an empty index, on_duplicate keep-first)."""
    index, config, progress, report, committer = run.index, run.config, run.progress, run.report, run.committer
    chosen: dict[str, tuple[str, int | None]] = {}
    sized = [(file, _size(file)) for file in files]
    small = sum(size for _, size in sized) < (PARALLEL_MIN_BYTES if config.semantic is None
                                              else PARALLEL_MIN_EMBEDDED[1])
    # (Started before the batch's writer: see readers.extraction.)
    extraction = start_extraction(config, sized) \
        if any(file.format in EXTRACTED_FORMATS for file in files) and not missing_extra() else None
    with extraction or nullcontext(), index.batch(workers=_workers(config, small), clear=run.rebuild,
                                                   optimize=False) as batch:

        def write(article: Article, article_hash: str) -> None:
            outcome = choose(chosen, article.id, (article.path, article.line), "keep-first")
            if outcome:
                kept, _ = outcome
                report.problems.append(duplicate_problem(article.id, article.path, article.line, place(*kept),
                                                         "keep-first"))
            else:
                batch.add(article, article_hash)
                report.added += 1
                committer.written(batch)

        _read_changed(files, states, config, progress, report, on_article=write, phase="Indexing", keep=run.keep(),
                      extraction=extraction)
        progress.phase("Finishing", None, "")  # workers finish their share, then the commit
    committer.finished = True


def _size(file: CorpusFile) -> int:
    try:
        return file.path.stat().st_size
    except OSError:
        return 0


def _as_written(
    state: FileState, wanted: set[tuple[str, int | None]], written: dict[tuple[str, int | None], str]
) -> FileState:
    """The file's state, true to what was written from it.

    The file may have changed since it was first read a moment ago: an article then
    holds other text, or is not where it was. The manifest must not claim what the
    index does not hold: such entries get what was written (or no fingerprint, so the
    next run writes them), and the file is read again next run.
    """
    entries = [(i, line, fp) for i, line, fp in state.articles if (i, line) in wanted]
    if all(written.get((i, line)) == fp for i, line, fp in entries):
        return state
    articles = [
        (i, line, written.get((i, line), "") if (i, line) in wanted else fp) for i, line, fp in state.articles
    ]
    # No size, content hash or line keys: the file is read and every line parsed next time.
    return replace(state, size=-1, sha="", articles=articles, line_hashes=[])


def _states_from_index(known: list[tuple[str, str, str]]) -> dict[str, FileState]:
    """What the index holds, as file states to be checked: every file will be read again
    (no size or hash), and articles whose file is gone will be removed."""
    by_path: dict[str, list[tuple[str, int | None, str]]] = {}
    for article_id, path, article_hash in known:
        by_path.setdefault(path, []).append((article_id, None, article_hash))
    return {
        path: FileState(-1, -1, "", str(Path(path).parent), "auto", "", articles)
        for path, articles in by_path.items()
    }


def _under(roots: list[Path]) -> Callable[[str], bool]:
    """A test of whether a path is one of `roots` or inside one."""
    prefixes = [str(root).rstrip(os.sep) for root in roots]

    def under_roots(path: str) -> bool:
        return any(path == prefix or path.startswith(prefix + os.sep) for prefix in prefixes)

    return under_roots


def _roots(corpus: Iterable[str | os.PathLike[str]] | None, config: Config, manifest: Manifest) -> list[Path]:
    if corpus:
        return [Path(os.path.abspath(path)) for path in corpus]
    if config.corpus:
        return [Path(os.path.abspath(path)) for path in config.corpus]
    if manifest.roots:
        return [Path(path) for path in manifest.roots]
    raise no_corpus()


def _previous_states(
    manifest: Manifest, roots: list[Path], files: list[CorpusFile], report: IndexReport
) -> dict[str, FileState]:
    """The manifest's files, less those under `roots` that are gone."""
    present = {str(f.path) for f in files}
    owned = _under(roots)
    states = {}
    for path, state in manifest.files.items():
        if path in present or not owned(path):
            states[path] = state
        else:
            report.files_removed += 1
    return states


def _read_changed(
    files: list[CorpusFile],
    states: dict[str, FileState],
    config: Config,
    progress: Progress,
    report: IndexReport,
    on_article: Callable[[Article, str], None] | None = None,
    phase: str = "Reading",
    keep: Callable[[str], bool] | None = None,
    extraction: Extraction | None = None,
) -> set[str]:
    """Read the files that are new or changed, updating `states`; returns their paths.

    A file is unchanged when its size and time are as recorded and it was read with the
    same reader settings; when only its time changed, its content hash says so.
    `on_article(article, fingerprint)` receives each article parsed, in corpus order.
    Web pages are extracted by `extraction` (by default, workers started here).
    """
    reader = config.reader_fingerprint()
    # (Pages are read again when the extractor changes: its articles may differ.)
    web_reader = f"{reader}; {extractor_version()}" if any(f.format in EXTRACTED_FORMATS for f in files) else reader
    candidates = []
    for file in files:
        try:
            stat = file.path.stat()
        except OSError as error:
            # What was indexed from it stays, until the file can be read again.
            report.problems.append(unreadable(file, error))
            continue
        before = states.get(str(file.path))
        expected = web_reader if file.format in EXTRACTED_FORMATS else reader
        if before and before.reader == expected and (before.size, before.mtime_ns) == (stat.st_size, stat.st_mtime_ns):
            report.files_unchanged += 1
            _skipped_before(before, file, report)
        else:
            candidates.append((file, stat))

    web = [str(file.path) for file, _ in candidates if file.format in EXTRACTED_FORMATS]
    if web and missing_extra():
        # (Skipped, not read as empty: what was indexed from them stays, and the next run
        # with the extra reads them.)
        report.problems.append(without_extra_problem(web))
        candidates = [(file, stat) for file, stat in candidates if file.format not in EXTRACTED_FORMATS]
        web = []
    own = extraction is None and bool(web)
    if own:
        extraction = start_extraction(config, [(file, stat.st_size) for file, stat in candidates])
    try:
        return _read_candidates(candidates, states, config, progress, report, reader, web_reader, on_article, phase,
                                keep, extraction)
    finally:
        if own and extraction is not None:
            extraction.close()


def _skipped_before(before: FileState, file: CorpusFile, report: IndexReport) -> int:
    """The lines (or records) of an unchanged file that were skipped when it was read,
    said again as a note (they are still not in the index); how many."""
    if before.skipped:
        # (No count: each shard of a sharded index keeps its own, and their notes, the
        # same words, are said once.)
        said = ("what was skipped when it was last read is still left out: the file is unchanged since "
                "then (`searcher index --rebuild` says why again)")
        report.problems.append(Problem(str(file.path), said, severity="note"))
    return before.skipped


def start_extraction(config: Config, files: list[tuple[CorpusFile, int]]) -> Extraction:
    """Page extractors for reading `files` ((file, size)): workers when they hold enough pages."""
    pages = sum(1 if file.format == "html" else size / TYPICAL_PAGE_BYTES
                for file, size in files if file.format in EXTRACTED_FORMATS)
    return Extraction(_workers(config, small=pages < PARALLEL_MIN_PAGES))


def _read_candidates(
    candidates: list[tuple[CorpusFile, os.stat_result]],
    states: dict[str, FileState],
    config: Config,
    progress: Progress,
    report: IndexReport,
    reader: str,
    web_reader: str,
    on_article: Callable[[Article, str], None] | None,
    phase: str,
    keep: Callable[[str], bool] | None,
    extraction: Extraction | None,
) -> set[str]:
    changed = set()

    def take(file: ExtractedFile, article: Article) -> None:
        article_hash = fingerprint(article)
        file.read.append((article.id, article.line, article_hash))
        if on_article is not None:
            on_article(article, article_hash)

    pages = InOrder(extraction, take, report.problems.append) if extraction is not None else None
    progress.phase(phase, sum(stat.st_size for _, stat in candidates), "bytes")
    for file, stat in candidates:
        path = str(file.path)
        try:
            data = file.path.read_bytes()
        except OSError as error:
            report.problems.append(unreadable(file, error))
            progress.advance(stat.st_size)
            continue
        if pages is not None and file.format in EXTRACTED_FORMATS:
            if _read_pages(pages, file, stat, data, states, web_reader, report, keep):
                changed.add(path)
            progress.advance(stat.st_size)
            continue
        if pages is not None:
            pages.drain()  # (the pages read before come first: corpus order)
        data, json_lines = json_lines_of(file, data)
        hashes = None if json_lines is None else _line_keys(json_lines)
        # (Of JSON lines, the hash of the lines' keys: it changes with any byte, newlines
        # aside, and costs no second pass over the file.)
        sha = hashlib.sha256(data if hashes is None else _key_bytes(hashes)).hexdigest()
        before = states.get(path)
        if before and before.reader == reader and before.sha == sha:
            articles, line_hashes = before.articles, before.line_hashes  # touched, not changed
            report.files_unchanged += 1
            skipped = _skipped_before(before, file, report)
        else:
            same_reader = before if before and before.reader == reader else None
            said_before = len(report.problems)
            articles, line_hashes = _parse_changed(data, json_lines, hashes, file, config, same_reader, report,
                                                   on_article, keep)
            # (Of this file's problems only: a corpus of many files with problems is not summed again for each.)
            skipped = skipped_lines(report.problems[said_before:])
            changed.add(path)
            report.files_read += 1
        del data, json_lines  # before the next file is read
        states[path] = FileState(stat.st_size, stat.st_mtime_ns, sha, str(file.root), file.format, reader, articles,
                                 line_hashes, skipped=skipped)
        progress.advance(stat.st_size)
    if pages is not None:
        pages.drain()
    return changed


def _read_pages(
    pages: InOrder, file: CorpusFile, stat: os.stat_result, data: bytes, states: dict[str, FileState],
    reader: str, report: IndexReport, keep: Callable[[str], bool] | None,
) -> bool:
    """Submit the pages of a web page or WARC file (`data`) for extraction, unless it is
    unchanged; its state is set when its last article is back. Whether it is read.

    A WARC whose first bytes are the file as last read grew by appending (as a crawler
    writes): only what follows its last whole record is read.
    """
    path = str(file.path)
    # (The size of the bytes read and hashed, not the stat's: a crawler may have appended since.)
    size, sha = len(data), hashlib.sha256(data).hexdigest()
    before = states.get(path)
    if before and before.reader == reader and before.sha == sha:
        report.files_unchanged += 1
        _skipped_before(before, file, report)
        states[path] = replace(before, size=size, mtime_ns=stat.st_mtime_ns)  # touched, not changed
        return False
    start, kept = 0, []
    if (file.format == "warc" and before and before.reader == reader and before.read_to > 0
            and before.root == str(file.root) and 0 < before.size <= len(data)
            and hashlib.sha256(data[:before.size]).hexdigest() == before.sha):
        start, kept = before.read_to, list(before.articles)
    said_before = len(report.problems)
    found, warc = web_pages(data, file, report.problems.append, start)
    del data  # (the pages hold what they need)

    def finished(done: ExtractedFile) -> None:
        # (The pages skipped, said again while the file is unchanged: its own problems, by
        # its path; other files' come between. A WARC read on keeps those of its start.)
        skipped = (before.skipped if start and before else 0) + skipped_lines(
            [problem for problem in report.problems[said_before:] if problem.path == path])
        states[path] = FileState(size, stat.st_mtime_ns, sha, str(file.root), file.format, reader,
                                 kept + done.read, [], warc.resume_at if warc is not None else -1, skipped)
        note = warc.summary(len(done.read)) if warc is not None else None
        if note is not None:
            report.problems.append(note)

    report.files_read += 1
    pages.add(ExtractedFile(finished), (page for page in found if keep is None or keep(page.id)))
    return True


def _parse_changed(
    data: bytes,
    json_lines: list[bytes] | None,
    hashes: list[int] | None,
    file: CorpusFile,
    config: Config,
    before: FileState | None,
    report: IndexReport,
    on_article: Callable[[Article, str], None] | None = None,
    keep: Callable[[str], bool] | None = None,
) -> tuple[list[tuple[str, int | None, str]], list[str]]:
    """The (id, line, fingerprint) of each article of a new or changed file (`data`; for
    JSON lines, its `json_lines` and their `hashes`, see _line_keys), and the hash of
    each one's line (None where it has none).

    A line of JSON lines whose hash was seen before holds the article seen before:
    only new and changed lines are parsed, so that changing ten articles of a file of
    20,000 costs ten parses, not 20,000.
    """
    hashes = hashes or []
    reused: dict[int, tuple[str, int | None, str]] = {}
    if json_lines is not None and (problem := refused_json_lines(file, data, json_lines)):
        report.problems.append(problem)  # not text (any more): none of its articles stays
        return [], []
    # (Under another corpus root, an article without an id has another name.)
    if hashes and before is not None and before.line_hashes and before.root == str(file.root):
        known = dict(zip(before.line_hashes, before.articles))
        known.pop(None, None)
        for number, line_hash in enumerate(hashes, start=1):
            old = known.get(line_hash)
            # (An empty fingerprint means "not as indexed": such a line is parsed again.
            # An article without an id is named after its line: moved, it is another article.)
            if old and old[2] and (old[1] == number or old[0] != f"{file.default_id}:{old[1]}"):
                reused[number] = (old[0], number, old[2])
    parsed = []
    to_parse = set(range(1, len(hashes) + 1)).difference(reused) if reused else None
    for article in parse_data(data, file, config, report.problems.append, to_parse, json_lines, keep):
        article_hash = fingerprint(article)
        parsed.append((article.id, article.line, article_hash))
        if on_article is not None:
            on_article(article, article_hash)
    # (Lines of JSON lines are all numbers: the key needs no Python call.)
    articles = sorted([*parsed, *reused.values()], key=itemgetter(1) if hashes else _line_or_zero)
    return articles, [hashes[line - 1] if hashes and line else None for _, line, _ in articles]


def _key_bytes(keys: list[int]) -> bytes:
    """Line keys as bytes to hash, the same on every machine (little-endian)."""
    packed = array("Q", keys)
    if sys.byteorder == "big":
        packed.byteswap()
    return packed.tobytes()


def _line_keys(lines: list[bytes]) -> list[int]:
    """A 64-bit key for each line: its CRC-32 and Adler-32 side by side.

    Not a cryptographic hash, and it need not be one: it tells the lines a user edited
    from those left alone (missing an edit would take both sums colliding with those
    of a line already known), at a sixth of blake2b's cost per line: hashing was a
    fifth of the time of a small update of Reuters' 21,578 lines.
    """
    return [crc << 32 | adler for crc, adler in zip(map(zlib.crc32, lines), map(zlib.adler32, lines))]


def _line_or_zero(article: tuple[str, int | None, str]) -> int:
    return article[1] or 0


def _choose(
    states: dict[str, FileState],
    policy: str,
    changed: set[str] | None = None,
    report: IndexReport | None = None,
) -> dict[str, _Copy]:
    """The copy of each id to index, in corpus order (sorted paths, then lines).

    Duplicates that involve a file read in this run are reported (older ones were
    reported when they were read).
    """
    chosen: dict[str, _Copy] = {}
    for path in sorted(states):
        for article_id, line, article_hash in states[path].articles:
            if article_id not in chosen:  # the usual case, without a call
                chosen[article_id] = (path, line, article_hash)
                continue
            outcome = choose(chosen, article_id, (path, line, article_hash), policy)
            if outcome and report is not None and changed is not None:
                (kept_path, kept_line, _), (skipped_path, skipped_line, _) = outcome
                if kept_path in changed or skipped_path in changed:
                    report.problems.append(
                        duplicate_problem(article_id, skipped_path, skipped_line, place(kept_path, kept_line), policy)
                    )
    return chosen


def _workers(config: Config, small: bool) -> int:
    """Processes to write with: one for a small job, where starting workers costs more
    than they save; else the configured number, by default both cores."""
    if small:
        return 1
    return config.workers or min(2, os.cpu_count() or 1)
