"""Indexing a corpus: bringing the index in line with the files, doing only what changed.

`update_index(config, corpus)` is what `searcher index` runs:

1. find the corpus files, and compare each with the manifest (size and time,
   then content hash): unchanged files are not read at all;
2. read the new and changed files, noting each article's id, line and fingerprint;
3. decide which copy of each id is indexed (`on_duplicate`), across all files;
4. delete the articles that are gone, write the new and changed ones (in several
   processes when there are many), commit once, then save the manifest.

Files deleted from the corpus lose their articles; files under other corpus
paths indexed before are left alone.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from .config import Config
from .errors import CorpusError, IndexFormatError, IndexNotFoundError
from .index import Index
from .manifest import FileState, Manifest
from .model import IndexReport, Problem
from .readers import CorpusFile, corpus_files, duplicate_problem, parse_file, place, read_file, unreadable
from .schema import fingerprint

#: Below this many articles to write, one process is faster than starting workers.
PARALLEL_MIN_ARTICLES = 1000


class Progress:
    """Receives an indexing run's progress; the command line draws it. This one ignores it."""

    def phase(self, name: str, total: int | None, unit: str) -> None:
        """A new phase begins: `total` units of work (None when unknown)."""

    def advance(self, amount: int = 1) -> None:
        """`amount` more units of the current phase are done."""

    def finish(self) -> None:
        """The run is over (also after an error)."""


@dataclass(frozen=True)
class _Copy:
    """Where one article is, and what it holds."""

    path: str
    line: int | None
    fingerprint: str


def update_index(
    config: Config,
    corpus: Iterable[str | os.PathLike[str]] | None = None,
    *,
    rebuild: bool = False,
    progress: Progress | None = None,
) -> IndexReport:
    """Index `corpus` (default: the configured corpus, else the one indexed before) into
    `config.index`, creating the index if needed. With `rebuild`, start from nothing."""
    progress = progress or Progress()
    started = time.perf_counter()
    report = IndexReport()
    try:
        index = _open_for_update(config, rebuild)
        with index:
            _update(index, config, corpus, rebuild, progress, report)
    finally:
        progress.finish()
    report.seconds = time.perf_counter() - started
    return report


def _open_for_update(config: Config, rebuild: bool) -> Index:
    try:
        return Index.open(config.index, config)
    except IndexNotFoundError:
        return Index.create(config.index, config)
    except IndexFormatError:
        if rebuild and (Index.exists(config.index) or not config.index.exists()):
            return Index.create(config.index, config)
        raise


def _update(
    index: Index,
    config: Config,
    corpus: Iterable[str | os.PathLike[str]] | None,
    rebuild: bool,
    progress: Progress,
    report: IndexReport,
) -> None:
    manifest = Manifest() if rebuild else Manifest.load(index.path)
    trusted = manifest.generation == index.generation
    if rebuild:
        indexed: dict[str, tuple[str, str]] = {}
    elif trusted:
        indexed = {i: (c.path, c.fingerprint) for i, c in _choose(manifest.files, config.on_duplicate).items()}
    else:
        # The manifest does not describe this commit (first run, or a crash after a commit):
        # what is indexed comes from the index itself, and every file is read again.
        indexed = {i: (path, fp) for i, path, fp in index.fingerprints()}
    if not trusted or manifest.reader != config.reader_fingerprint():
        manifest.files = {}

    roots = _roots(corpus, config, manifest)
    files, problems = corpus_files(roots, dict(config.formats))
    report.problems.extend(problems)

    # 1-2. Which files are new or changed, and what they hold.
    states = _previous_states(manifest, roots, files, report)
    changed = _read_changed(files, states, config, progress, report)

    # 3. Which copy of each id is indexed, and what must change in the index.
    chosen = _choose(states, config.on_duplicate, changed, report)
    to_delete = [article_id for article_id in indexed if article_id not in chosen]
    to_write: dict[str, set[tuple[str, int | None]]] = {}
    for article_id, copy in chosen.items():
        before = indexed.get(article_id)
        if before == (copy.path, copy.fingerprint):
            report.unchanged += 1
            continue
        to_write.setdefault(copy.path, set()).add((article_id, copy.line))
        if before is None:
            report.added += 1
        else:
            report.updated += 1
    report.removed = len(to_delete)

    # 4. Write, commit, and record what was done.
    if to_delete or to_write or rebuild:
        count = sum(len(wanted) for wanted in to_write.values())
        workers = _workers(config, count)
        by_path = {str(f.path): f for f in files}
        for path in to_write.keys() - by_path.keys():
            # A copy in a file under another corpus path, now the one to index.
            by_path[path] = CorpusFile(Path(path), Path(states[path].root), states[path].format)
        progress.phase("Indexing", count, "articles")
        with index.batch(workers=workers, clear=rebuild) as batch:
            for article_id in to_delete:
                batch.delete(article_id)
            for path in sorted(to_write):
                wanted = to_write[path]
                for article in read_file(by_path[path], config, _ignore):
                    if (article.id, article.line) in wanted:
                        batch.add(article, chosen[article.id].fingerprint)
                        progress.advance()
            progress.phase("Committing", None, "")
    manifest.generation = index.generation
    manifest.reader = config.reader_fingerprint()
    manifest.roots = sorted(set(manifest.roots) | {str(root) for root in roots})
    manifest.files = states
    manifest.save(index.path)


def _roots(corpus: Iterable[str | os.PathLike[str]] | None, config: Config, manifest: Manifest) -> list[Path]:
    if corpus:
        return [Path(os.path.abspath(path)) for path in corpus]
    if config.corpus:
        return [Path(os.path.abspath(path)) for path in config.corpus]
    if manifest.roots:
        return [Path(path) for path in manifest.roots]
    raise CorpusError(
        "no corpus to index",
        hint="name one: `searcher index PATH`, or set `corpus:` in searcher.yaml",
    )


def _previous_states(
    manifest: Manifest, roots: list[Path], files: list[CorpusFile], report: IndexReport
) -> dict[str, FileState]:
    """The manifest's files, less those under `roots` that are gone."""
    present = {str(f.path) for f in files}
    prefixes = [str(root) for root in roots]

    def under_roots(path: str) -> bool:
        return any(path == p or path.startswith(p.rstrip(os.sep) + os.sep) for p in prefixes)

    states = {}
    for path, state in manifest.files.items():
        if path in present or not under_roots(path):
            states[path] = state
        else:
            report.files_removed += 1
    return states


def _read_changed(
    files: list[CorpusFile], states: dict[str, FileState], config: Config, progress: Progress, report: IndexReport
) -> set[str]:
    """Read the files that are new or changed, updating `states`; returns their paths."""
    candidates = []
    for file in files:
        path = str(file.path)
        try:
            stat = file.path.stat()
        except OSError as error:
            # What was indexed from it stays, until the file can be read again.
            report.problems.append(unreadable(file, error))
            continue
        before = states.get(path)
        if before and before.size == stat.st_size and before.mtime_ns == stat.st_mtime_ns:
            report.files_unchanged += 1
        else:
            candidates.append((file, stat))

    changed = set()
    progress.phase("Reading", sum(stat.st_size for _, stat in candidates), "bytes")
    for file, stat in candidates:
        path = str(file.path)
        try:
            data = file.path.read_bytes()
        except OSError as error:
            report.problems.append(unreadable(file, error))
            progress.advance(stat.st_size)
            continue
        sha = hashlib.blake2b(data, digest_size=16).hexdigest()
        before = states.get(path)
        if before and before.sha == sha:
            states[path] = FileState(stat.st_size, stat.st_mtime_ns, sha, *_origin(file), before.articles)  # touched
            report.files_unchanged += 1
        else:
            articles = [
                (article.id, article.line, fingerprint(article))
                for article in parse_file(data, file, config, report.problems.append)
            ]
            states[path] = FileState(stat.st_size, stat.st_mtime_ns, sha, *_origin(file), articles)
            changed.add(path)
            report.files_read += 1
        progress.advance(stat.st_size)
    return changed


def _origin(file: CorpusFile) -> tuple[str, str]:
    return str(file.root), file.format


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
        for article_id, line, article_fingerprint in states[path].articles:
            copy = _Copy(path, line, article_fingerprint)
            before = chosen.get(article_id)
            if before is None:
                chosen[article_id] = copy
                continue
            kept, skipped = (before, copy) if policy == "keep-first" else (copy, before)
            chosen[article_id] = kept
            if report is not None and changed is not None and (path in changed or before.path in changed):
                report.problems.append(
                    duplicate_problem(article_id, skipped.path, skipped.line, place(kept.path, kept.line), policy)
                )
    return chosen


def _workers(config: Config, count: int) -> int:
    if count < PARALLEL_MIN_ARTICLES:
        return 1
    return config.workers or min(2, os.cpu_count() or 1)


def _ignore(problem: Problem) -> None:
    pass  # problems were reported when the file was first read in this run
