"""Paths as people read them, and files replaced whole.

`replaced` is how every file searcher rewrites (the manifest, the word list, the
near-duplicate groups, an export) is written: readers see the old file or the new one,
never half of one, and a write that fails leaves the old file and no temporary one.
"""

from __future__ import annotations

import os
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator


def display_path(path: str | os.PathLike[str]) -> str:
    """A path relative to the current folder when it is under it, else as it is.

    Messages for people use it; data (JSON, `Problem.path`, `Article.path`) keeps
    absolute paths, which mean the same thing wherever they are read.
    """
    path = Path(path)
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


@contextmanager
def replaced(target: Path, *, mode: int | None = None, newline: str | None = None) -> Iterator[IO[str]]:
    """A text file (UTF-8) that replaces `target` when the block ends, with the
    permissions `mode` (default: those a new file gets); when the block or the
    replacing fails, `target` is as it was and the temporary file is gone."""
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as out:
            yield out
        # (mkstemp makes the file private)
        os.chmod(temp, 0o666 & ~umask() if mode is None else mode)
        os.replace(temp, target)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def umask() -> int:
    """The process's umask, read without changing it (os.umask can only read it by
    setting it, for every thread at once). Linux says it in /proc; elsewhere a new
    file's mode shows it."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    with tempfile.TemporaryDirectory() as folder:
        probe = os.path.join(folder, "probe")
        os.close(os.open(probe, os.O_CREAT | os.O_WRONLY, 0o777))
        return 0o777 & ~stat.S_IMODE(os.stat(probe).st_mode)
