"""`searcher export`: every matching article as JSON lines or CSV, streamed.

Articles are read from the index one at a time as they are written, so an export of
a whole archive holds one article in memory. A regular file is written under a
temporary name and renamed when complete: an interrupted export leaves no half file
behind (a pipe or a device is written to directly).
The caller's Progress hears of each row (the command line draws a bar for large
exports on a terminal).
"""

from __future__ import annotations

import csv
import json
import os
import re
import stat
import sys
from pathlib import Path
from typing import IO, Callable, Iterable, Iterator

from ..errors import OutputClosed, OutputError, write_output
from ..model import Hit, Progress
from ..paths import replaced
from ..render import export_row


def write_rows(hits: Iterable[Hit], out: IO[str], file_format: str, fields: tuple[str, ...]) -> Iterator[int]:
    """Write each hit as a row (a header first for CSV); yields after each row, for progress."""
    if file_format == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(fields)
        for hit in hits:
            row = export_row(hit, fields)
            writer.writerow(["; ".join(value) if isinstance(value, list) else "" if value is None else value
                             for value in row.values()])
            yield 1
    elif file_format == "jsonl":
        for hit in hits:
            out.write(json.dumps(export_row(hit, fields), ensure_ascii=False) + "\n")
            yield 1
    else:
        raise ValueError(f"format must be jsonl or csv, not {file_format!r}")


def export_hits(hits: Iterable[Hit], total: int, output: str, file_format: str, fields: tuple[str, ...],
                progress: Progress | None = None) -> int:
    """Write `hits` (`total` of them) to `output` (a path, or "-" for standard output),
    telling `progress` as it goes. Returns how many of them hold some of the query's
    words, not all (Hit.matched)."""
    progress = progress or Progress()
    progress.phase("Exporting", total, "articles")
    some = 0

    def counted(hits: Iterable[Hit]) -> Iterator[Hit]:
        nonlocal some
        for hit in hits:
            some += hit.matched == "some"
            yield hit

    hits = counted(hits)
    descriptor = _descriptor(output)
    try:
        if output == "-" or descriptor == 1:
            for _ in write_rows(hits, _Stdout(), file_format, fields):
                progress.advance()
            write_output(sys.stdout.flush)
        elif descriptor is not None:
            _export_to_stream(hits, lambda: os.fdopen(os.dup(descriptor), "w", encoding="utf-8", newline=""),
                              output, file_format, fields, progress)
        else:
            _export_to_file(hits, Path(output), file_format, fields, progress)
    finally:
        progress.finish()
    return some


def _descriptor(output: str) -> int | None:
    """The file descriptor a path names (/dev/stdout, /dev/fd/3, /proc/self/fd/3), or
    None: written to as it is, for the shell's redirection (`>> log`, `3> file`) stands,
    where replacing the file it opened would lose what it holds."""
    named = _DESCRIPTOR_PATHS.get(os.path.normpath(output))
    if named is not None:
        return named
    found = _DESCRIPTOR_PATH.fullmatch(os.path.normpath(output))
    return int(found.group(1)) if found else None


_DESCRIPTOR_PATHS = {"/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2}
_DESCRIPTOR_PATH = re.compile(r"/(?:dev/fd|proc/self/fd)/(\d+)")


def _export_to_stream(hits: Iterable[Hit], opened: Callable[[], IO[str]], label: object, file_format: str,
                      fields: tuple[str, ...], progress) -> None:  # type: ignore[no-untyped-def]
    """Write to what `opened()` opens as it is: a pipe, a device, a descriptor the shell opened."""
    try:
        with opened() as out:
            for _ in write_rows(hits, out, file_format, fields):
                progress.advance()
    except BrokenPipeError:
        raise OutputClosed from None  # (a pipe's reader went away, as `| head` does: not an error)
    except OSError as error:
        raise OutputError(f"{label}: cannot write the export ({error.strerror or error})") from None


def _export_to_file(hits: Iterable[Hit], path: Path, file_format: str, fields: tuple[str, ...], progress) -> None:  # type: ignore[no-untyped-def]
    """A regular file (new or not) is written under a temporary name and renamed into
    place; anything else (a pipe, a device, a link's target) is written to as it is."""
    try:
        existing = path.stat()  # (through links: /dev/stdout is a link to the process's pipe, whose
    except FileNotFoundError:  # real path, "pipe:[...]", is no file to open)
        existing = None
    except OSError as error:
        raise OutputError(f"{path}: cannot write the export ({error.strerror or error})") from None
    target = Path(os.path.realpath(path))
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        _export_to_stream(hits, lambda: open(path, "w", encoding="utf-8", newline=""), path, file_format, fields,
                          progress)
        return
    if existing is not None and not os.access(target, os.W_OK):
        raise OutputError(f"{path}: cannot write the export (permission denied)")
    # (The export gets the mode the old file had, or the one a new file gets.)
    mode = stat.S_IMODE(existing.st_mode) if existing is not None else None
    try:
        with replaced(target, mode=mode, newline="") as out:
            for _ in write_rows(hits, out, file_format, fields):
                progress.advance()
    except OSError as error:
        raise OutputError(f"{path}: cannot write the export ({error.strerror or error})") from None


class _Stdout:
    """Standard output whose write errors are said in one line (errors.write_output)."""

    def write(self, text: str) -> None:
        write_output(lambda: sys.stdout.write(text))
