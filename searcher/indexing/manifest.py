"""The manifest: what the index holds, file by file, so re-indexing does only what changed.

For every corpus file it records the size, modification time and content hash,
and the (id, line, fingerprint) of each article read from it (and for JSON
lines, a hash of each article's line). It sits in the
index folder as `searcher-files.json`, written after each commit and tagged with
that commit's generation: a manifest whose generation is not the index's (a
crash between the two writes) is not trusted, and the indexer rebuilds the
picture from the index itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import IndexReadError
from ..paths import display_path, replaced

FILE_NAME = "searcher-files.json"
# 2: on_duplicate policy, and the reader settings of each file; 3: line hashes;
# 4: articles as columns (ids, lines, fingerprints), a third of the time to load, and
# line keys as integers (see indexer._line_keys); 5: where a WARC's reading stopped.
VERSION = 5


@dataclass
class FileState:
    """One corpus file as last indexed."""

    size: int
    mtime_ns: int
    sha: str
    root: str  # the corpus path it was found under (ids of articles without one depend on it)
    format: str
    reader: str  # config.reader_fingerprint() it was read with
    articles: list[tuple[str, int | None, str]]  # (id, line, fingerprint), in file order
    # For JSON lines: a hash of each article's line, as `articles`, so that a changed
    # file's unchanged lines need not be parsed again. Empty for other formats.
    line_hashes: list[int | None] = field(default_factory=list)
    # For a WARC: the offset where its last whole record ended, from where a file that
    # grew by appending is read on. -1 for other formats.
    read_to: int = -1
    # The lines (or the file) skipped for an error when it was last read: said again, as
    # a note, while it is unchanged (a scheduled run saw them once, then "0 unchanged").
    skipped: int = 0


@dataclass
class Manifest:
    generation: int = -1  # the index commit this manifest describes
    policy: str = "keep-first"  # the on_duplicate that chose which copies are indexed
    roots: list[str] = field(default_factory=list)  # the corpus paths indexed so far
    files: dict[str, FileState] = field(default_factory=dict)  # by absolute path
    #: Why the saved manifest could not be used (it is not saved): the run reads every file again.
    problem: str | None = field(default=None, compare=False)

    @classmethod
    def load(cls, folder: Path) -> Manifest:
        """The manifest in an index folder; an empty one when there is none, and one
        that says its `problem` when it is damaged. A manifest the system won't let us
        read is an IndexReadError."""
        try:
            text = (folder / FILE_NAME).read_bytes()  # (decoded by json.loads: a bad byte is damage)
        except FileNotFoundError:
            return cls()
        except OSError as error:
            raise IndexReadError(f"cannot read {display_path(folder / FILE_NAME)} ({error.strerror or error})") from None
        try:
            data = json.loads(text)
            if data.get("version") != VERSION:
                return cls(roots=[str(root) for root in data.get("roots", [])])  # the corpus is still the corpus
            files = {
                path: FileState(
                    state["size"], state["mtime_ns"], state["sha"], state["root"], state["format"], state["reader"],
                    list(zip(state["ids"], state["lines"], state["fingerprints"], strict=True)), state["line_hashes"],
                    state["read_to"], state.get("skipped", 0),
                )
                for path, state in data["files"].items()
            }
            return cls(data["generation"], data["policy"], list(data["roots"]), files)  # type: ignore[arg-type]
        except (ValueError, KeyError, TypeError, AttributeError) as error:  # (UnicodeDecodeError is a ValueError)
            return cls(problem=f"{FILE_NAME} is damaged ({type(error).__name__}: {error})")

    def save(self, folder: Path) -> None:
        """Write the manifest atomically: readers see the old one or the new one, whole."""
        data = {
            "version": VERSION,
            "generation": self.generation,
            "policy": self.policy,
            "roots": self.roots,
            "files": {
                path: {
                    "size": s.size, "mtime_ns": s.mtime_ns, "sha": s.sha, "root": s.root, "format": s.format,
                    "reader": s.reader,
                    **_columns(s.articles),
                    "line_hashes": s.line_hashes,
                    "read_to": s.read_to,
                    "skipped": s.skipped,
                }
                for path, s in sorted(self.files.items())
            },
        }
        with replaced(folder / FILE_NAME) as out:
            # dumps, not dump: dump streams through json's pure-Python encoder, 10x slower.
            out.write(json.dumps(data, separators=(",", ":")))


def _columns(articles: list[tuple[str, int | None, str]]) -> dict[str, list]:  # type: ignore[type-arg]
    # Three lists of 20,000 strings load three times faster than 20,000 lists of three.
    ids, lines, fingerprints = (list(column) for column in zip(*articles)) if articles else ([], [], [])
    return {"ids": ids, "lines": lines, "fingerprints": fingerprints}
