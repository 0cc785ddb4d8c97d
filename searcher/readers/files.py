"""Finding a corpus's files and decoding their bytes into text."""

from __future__ import annotations

import codecs
import os
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Iterable

from ..errors import CorpusError
from ..model import Problem
from ..text import CONTROL_CHARACTERS

#: File extensions read by default, and the format each is read as.
DEFAULT_FORMATS = {
    ".txt": "auto",
    ".text": "auto",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".tsv": "tsv",
    # Web pages and web archives (the [html] extra: see html.py and warc.py)
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".warc": "warc",
    ".warc.gz": "warc",
}
#: The formats whose articles an extractor finds in pages: slow to read (25 ms a page),
#: so that index runs read them in worker processes (extraction.py).
EXTRACTED_FORMATS = frozenset({"html", "warc"})


def extension(name: str) -> str:
    """A file name's extension as the formats know it, lower-cased: ".warc.gz" is one."""
    lowered = name.lower()
    return ".warc.gz" if lowered.endswith(".warc.gz") else os.path.splitext(lowered)[1]


@dataclass(frozen=True)
class CorpusFile:
    """A file of the corpus: where it is, and the corpus root it was found under."""

    path: Path  # absolute
    root: Path  # absolute; equal to path when the file itself was given
    format: str  # one of config.FORMATS

    @property
    def relative(self) -> PurePosixPath:
        """The path under its root (its name when the file was given itself)."""
        if self.path == self.root:
            return PurePosixPath(self.path.name)
        return PurePosixPath(self.path.relative_to(self.root).as_posix())

    @property
    def default_id(self) -> str:
        """The id of an article that has none: the file's path under its root, without extension."""
        return str(self.relative.with_suffix(""))


def check_roots(roots: Iterable[str | os.PathLike[str]], configured_in: str | os.PathLike[str] | None = None) -> None:
    """A CorpusError for the first of `roots` that does not exist (the user named
    something that is not there); `configured_in`: the configuration file that names
    them (None: they were given as they are)."""
    for root in roots:
        if not os.path.exists(root):
            raise CorpusError(f"corpus not found: {root}", hint="check the path" + (
                f", or `corpus:` in {configured_in}" if configured_in is not None else ""))


def corpus_files(
    roots: Iterable[str | os.PathLike[str]], formats: dict[str, str] | None = None, follow_links: bool = False
) -> tuple[list[CorpusFile], list[Problem]]:
    """Every file to read under `roots`, sorted by path, and the problems met while looking.

    Folders are read recursively; hidden files and folders (names starting with a dot)
    and files whose extension is not a corpus format are left out. A file named
    directly is read whatever its extension. A root that does not exist is a
    `CorpusError`: the user named something that is not there.

    Symbolic links are followed only inside the corpus folder: a link to a file
    elsewhere is reported and skipped, a linked folder is not entered. With
    `follow_links`, both are followed (each folder once, so a loop of links ends).
    """
    extensions = {**DEFAULT_FORMATS, **(formats or {})}
    found: dict[Path, CorpusFile] = {}
    problems: list[Problem] = []
    roots = list(roots)
    check_roots(roots)
    for root in roots:
        root_path = Path(os.path.abspath(root))
        if not root_path.is_dir():
            if _regular(root_path, problems):
                fmt = extensions.get(extension(root_path.name), "auto")
                found.setdefault(root_path, CorpusFile(root_path, root_path, fmt))
            continue

        def report(error: OSError) -> None:
            problems.append(Problem(str(error.filename or root_path), f"cannot read folder: {error.strerror}"))

        inside = Path(os.path.realpath(root_path))
        entered: set[tuple[int, int]] = set()
        for folder, subfolders, names in os.walk(root_path, onerror=report, followlinks=follow_links):
            if follow_links:
                folder_stat = os.stat(folder)
                if (folder_stat.st_dev, folder_stat.st_ino) in entered:
                    subfolders[:] = []  # a loop of links: been here
                    continue
                entered.add((folder_stat.st_dev, folder_stat.st_ino))
            subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
            for name in names:
                if name.startswith("."):
                    continue
                fmt = extensions.get(extension(name))
                if fmt is None:
                    continue
                path = Path(folder, name)
                if not follow_links and path.is_symlink() and not Path(os.path.realpath(path)).is_relative_to(inside):
                    problems.append(Problem(str(path), f"a link to {os.path.realpath(path)}, outside the corpus "
                                                       "folder; skipped (follow_links: true in searcher.yaml "
                                                       "follows it)"))
                    continue
                if _regular(path, problems):
                    found.setdefault(path, CorpusFile(path, root_path, fmt))
    return [found[path] for path in sorted(found, key=str)], problems


def _regular(path: Path, problems: list[Problem]) -> bool:
    """False, with a problem reported, for a pipe, a device or a socket: reading one could
    block forever (a FIFO) or never end (/dev/zero). A path that can't be stat'ed is left
    for the reader to report."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return True
    if stat.S_ISREG(mode):
        return True
    problems.append(Problem(str(path), "not a regular file (a pipe, device or socket); skipped"))
    return False


class UnreadableFile(Exception):
    """A file that can't be read as text: the message says why."""


#: How much of a file the tests for binary content look at.
HEAD = 8192
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def decode(data: bytes) -> tuple[str, str | None]:
    """The text in `data` with newlines normalised, and a warning when it was not UTF-8.

    UTF-8 (with or without BOM) and UTF-16 with a BOM are read as such; other bytes that
    are not valid UTF-8 are read as cp1252, the usual encoding of old Western news files.
    Raises UnreadableFile for an empty or binary file.
    """
    warning = None
    if data.startswith(UTF16_BOMS):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise UnreadableFile(f"not valid UTF-16 ({error.reason})") from None
    else:
        _refuse_nul_bytes(data)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            text = data.decode("cp1252", errors="replace")
            warning = f"not valid UTF-8 (byte 0x{data[error.start]:02x} at offset {error.start}); read as cp1252"
    _refuse_control_characters(text[:HEAD])
    if "\r" in text:  # one scan, where two replaces would each scan (and copy) a big file
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text or text.isspace():  # (not strip(): that copies the whole text)
        raise UnreadableFile("empty file")
    return text, warning


def check_lines(head: bytes, lines: list[bytes]) -> None:
    """What decode() checks, for a file decoded a line at a time rather than whole (JSON
    lines), from its first bytes and its lines (see records.byte_lines): raises
    UnreadableFile for a binary or an empty file."""
    _refuse_nul_bytes(head)
    _refuse_control_characters(head[:HEAD].decode("utf-8", errors="replace"))
    # (As decode's text.isspace(): Unicode spaces too. Stops at the first line of text.)
    if all(not line or line.decode("utf-8", errors="replace").isspace() for line in lines):
        raise UnreadableFile("empty file")


def refuse_binary(data: bytes) -> None:
    """Raise UnreadableFile when `data`, bytes of a file in any ASCII-compatible
    encoding, are binary rather than text (what decode() refuses)."""
    _refuse_nul_bytes(data)
    _refuse_control_characters(data[:HEAD].decode("utf-8", errors="replace"))


def _refuse_nul_bytes(data: bytes) -> None:
    if b"\x00" in data[:HEAD]:
        raise UnreadableFile("binary file (NUL bytes), not text")


def _refuse_control_characters(sample: str) -> None:
    # Bytes that decode to many control characters are not text. A short file with a
    # stray escape is text all the same: the readers drop control characters.
    controls = sum(1 for ch in sample if ch in CONTROL_CHARACTERS and ch not in "\r\f")
    if len(sample) >= 256 and controls > len(sample) * 0.05:
        raise UnreadableFile("binary file (control characters), not text")
