"""One writer per index: a lock held for a whole index run, saying who holds it.

Whoosh locks an index for each writing session only, and its lock says nothing about
its holder. An index run reads the corpus, then writes (in several sessions when it
commits in batches): a second run must wait for the whole of it, and be told whom it
waits for. `WriteLock` is an OS file lock (flock) on `searcher-writer.lock` in the
index folder, which holds the holder's pid and start time while it is held.

The OS releases a flock when its holder dies, however it dies: a killed writer
never leaves the index locked. It leaves its pid in the file, which the next writer
reads and reports as taken over. (Worker processes share their parent's lock; they
die with it, see writing._WorkerTask.)
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..errors import IndexLockedError, IndexWriteError
from ..paths import display_path

LOCK_NAME = "searcher-writer.lock"


@dataclass(frozen=True)
class Holder:
    """The process that holds (or held) an index's write lock."""

    pid: int
    since: dt.datetime

    def alive(self) -> bool:
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True  # someone else's process
        try:  # a killed process its parent has not reaped yet is a zombie: dead all the same
            return Path(f"/proc/{self.pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
        except (OSError, IndexError):
            return True

    def __str__(self) -> str:
        when = self.since.strftime("%H:%M" if self.since.date() == dt.date.today() else "%Y-%m-%d %H:%M")
        return f"pid {self.pid} since {when}"


def write_lock(folder: Path) -> WriteLock:
    """The write lock of the index in `folder`: one object per folder in a process, so
    that taking it again is re-entrant (a second flock of the same file from this
    process would wait for the first)."""
    key = os.path.realpath(folder)
    lock = _LOCKS.get(key)
    if lock is None:
        lock = _LOCKS[key] = WriteLock(Path(folder))
    return lock


class WriteLock:
    """The write lock of the index in `folder`; re-entrant. Get one with write_lock()."""

    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / LOCK_NAME
        self._fd: int | None = None
        self._depth = 0

    def acquire(self, wait: float, notice: Callable[[str], None] = lambda message: None) -> None:
        """Take the lock, waiting up to `wait` seconds for another writer (saying so
        through `notice`); raises IndexLockedError when it is still held then."""
        if self._depth:
            self._depth += 1
            return
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise IndexWriteError(
                f"cannot write the index at {display_path(self.path.parent)}: {error.strerror or error}"
            ) from None
        try:
            deadline = time.monotonic() + wait
            announced = False
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    holder = _read_holder(fd)
                    who = f"by {holder}" if holder else "by another process"
                    if time.monotonic() >= deadline:
                        raise IndexLockedError(
                            f"index is locked {who}",
                            hint=f"another `searcher index` is writing {display_path(self.path.parent)}; "
                                 "wait for it, or raise lock_wait in searcher.yaml",
                        ) from None
                    if not announced:
                        notice(f"{display_path(self.path.parent)} is being written {who}; "
                               f"waiting up to {wait:g} s")
                        announced = True
                    time.sleep(0.1)
            stale = _read_holder(fd)
            if stale is not None and stale.pid != os.getpid() and not stale.alive():
                notice(f"took over the write lock of {stale}, which is no longer running")
            _write_holder(fd, Holder(os.getpid(), dt.datetime.now()))
        except BaseException:
            os.close(fd)
            raise
        self._fd, self._depth = fd, 1

    def release(self) -> None:
        if not self._depth:
            return
        self._depth -= 1
        if self._depth:
            return
        fd, self._fd = self._fd, None
        assert fd is not None
        try:
            os.ftruncate(fd, 0)  # no holder: a clean release leaves nothing to take over
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    @property
    def held(self) -> bool:
        return self._depth > 0


_LOCKS: dict[str, WriteLock] = {}


def _read_holder(fd: int) -> Holder | None:
    try:
        data = os.pread(fd, 4096, 0)
        if not data:
            return None
        fields = json.loads(data)
        return Holder(int(fields["pid"]), dt.datetime.fromisoformat(fields["since"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None  # (being written this very moment, or not ours)


def _write_holder(fd: int, holder: Holder) -> None:
    data = json.dumps({"pid": holder.pid, "since": holder.since.isoformat(timespec="seconds")}).encode()
    os.ftruncate(fd, 0)
    os.pwrite(fd, data, 0)
