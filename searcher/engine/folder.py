"""An index folder on disk: what makes a folder a searcher index, opening and creating
the Whoosh index in it, and what reading a damaged one looks like.

A searcher index is a folder holding our marker file (`searcher-index.json`, with the
schema version), Whoosh's files for the index named MAIN, and our own `searcher-*`
files. Opening checks the marker before Whoosh reads anything, so that an index of
another version or of another program gets its own message; creating refuses a folder
that holds anything else, so that a mistyped path never deletes someone's files.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import os
import pickle
import re
import shutil
import struct
import zlib
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.reading import ReaderClosed

from ..errors import (
    IndexFormatError,
    IndexNotFoundError,
    IndexReadError,
    IndexVersionError,
    IndexWriteError,
    SearcherError,
)
from ..paths import display_path, replaced
from .locking import LOCK_NAME, write_lock
from .reading import SegmentStorage
from .schema import SCHEMA_VERSION, build_schema

MARKER = "searcher-index.json"  # says "a searcher index, schema version N" (and "of N shards") in the folder
_WHOOSH_PREFIXES = ("_MAIN_", "MAIN_")  # the files Whoosh writes for the index named MAIN

#: What reading a damaged index file raises from inside Whoosh.
DAMAGE = (struct.error, EOFError, zlib.error, pickle.UnpicklingError, OSError)
#: What a reader raises when read after it was closed (an Index's iterator after close()).
CLOSED = ReaderClosed


def is_index(folder: Path) -> bool:
    """True when `folder` holds a searcher index (of any version)."""
    return (folder / MARKER).is_file()


def open_folder(folder: Path) -> list[Any]:
    """The Whoosh index in `folder`, read in place (reading.SegmentStorage), once the
    folder is known to hold a searcher index of this schema version; or, for a sharded
    index, the Whoosh index of each shard, in shard order."""
    where = display_path(folder)
    if not folder.exists():
        raise IndexNotFoundError(f"no index at {where}")
    if not folder.is_dir():
        raise IndexFormatError(f"{where} is a file, not an index folder", hint="use --index with a folder")
    marker = folder / MARKER
    has_whoosh = any(name.startswith(_WHOOSH_PREFIXES) for name in os.listdir(folder))
    if not marker.exists():
        if has_whoosh:
            raise IndexFormatError(f"{where} holds an index searcher did not make")
        raise IndexNotFoundError(f"no index at {where}")
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
        version, shards = data.get("schema_version"), data.get("shards", 1)
    except (OSError, ValueError, AttributeError) as error:
        raise IndexFormatError(f"{where}: unreadable {MARKER} ({error})") from None
    if version != SCHEMA_VERSION:
        raise IndexVersionError(
            f"the index at {where} has schema version {version}; this searcher reads {SCHEMA_VERSION}",
            older=isinstance(version, int) and version < SCHEMA_VERSION)
    if _shard_count(shards) is None:
        raise IndexFormatError(f"{where}: {MARKER} says {shards!r} shards")
    if shards > 1:
        found = []
        for number in range(shards):
            shard = folder / shard_name(number)
            if not is_index(shard):  # (never "no index": a run would build a new one over the others)
                raise IndexFormatError(f"the index at {where} is damaged: its {shard_name(number)} is missing")
            found.append(open_folder(shard)[0])
        return found
    not_one = IndexFormatError(f"cannot read the index at {where} (damaged: its table of contents is not one)")
    toc = folder / f"_MAIN_{latest_generation(folder)}.toc"
    if toc.is_file() and toc.stat().st_size == 0:
        raise not_one  # (Whoosh would fail in ord(), a TypeError)
    try:
        return [SegmentStorage(str(folder)).open_index()]
    except whoosh_index.EmptyIndexError:
        raise IndexFormatError(f"the index at {where} is incomplete (no table of contents)") from None
    except (whoosh_index.IndexError, struct.error):
        # (A table of contents of other bytes: Whoosh reads its header as "created on a
        # different architecture".)
        raise not_one from None
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, ValueError) as error:
        raise damaged(folder, error) from None


def shard_count(folder: Path) -> int:
    """How many shards the index in `folder` has, as its marker says (1: not sharded,
    or no readable marker)."""
    try:
        shards = json.loads((folder / MARKER).read_text(encoding="utf-8")).get("shards", 1)
    except (OSError, ValueError, AttributeError):
        return 1
    return _shard_count(shards) or 1


def _shard_count(value: object) -> int | None:
    """A marker's shard count, when it is one (a whole number, 1 or more)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 1 else None


def latest_generation(folder: Path) -> int:
    """The number of the last commit of the index in `folder`, from the names of its
    tables of contents (as Whoosh finds it, without opening anything): what a search on a
    cluster checks before each query. -1 when there is none."""
    found = [int(match.group(1)) for name in os.listdir(folder) if (match := _TOC.fullmatch(name))]
    return max(found, default=-1)


_TOC = re.compile(r"_MAIN_(\d+)\.toc")


def shard_name(number: int) -> str:
    """The folder of a sharded index's shard `number` (from 0)."""
    return f"shard-{number:03d}"


def shard_of(article_id: str, shards: int) -> int:
    """The shard an article belongs to: a stable hash of its id, so that a new version
    of an article always replaces the old one in the same shard."""
    digest = hashlib.blake2b(article_id.encode("utf-8"), digest_size=8, person=b"searcher-shard").digest()
    return int.from_bytes(digest, "big") % shards


def create_folder(folder: Path, lock_wait: float, shards: int = 1) -> list[Any]:
    """A new, empty Whoosh index in `folder` (or, with `shards` > 1, one in each shard's
    folder), replacing any index there. The folder may be new, empty (but for dot
    files) or an index; anything else is refused."""
    where = display_path(folder)
    if folder.exists() and not folder.is_dir():
        raise IndexFormatError(f"{where} is a file, not an index folder", hint="use --index with a folder")
    folder.mkdir(parents=True, exist_ok=True)
    ours = (MARKER, *_WHOOSH_PREFIXES, "searcher-")
    strangers = [n for n in os.listdir(folder) if not n.startswith(".") and not n.startswith(ours)
                 and not (n.startswith("shard-") and is_index(folder / n))]
    if strangers:
        raise IndexFormatError(
            f"{where} is not empty and not an index (it holds {strangers[0]!r})",
            hint="choose an empty folder for the index",
        )
    # Another process may be writing the index replaced: the whole of it (an index run,
    # a sharded index's batch), or one shard of it.
    locks = [write_lock(folder)] + [write_lock(folder / name) for name in sorted(os.listdir(folder))
                                    if name.startswith("shard-") and is_index(folder / name)]
    held = []
    try:
        for lock in locks:
            lock.acquire(lock_wait)
            held.append(lock)
        for name in os.listdir(folder):
            if name.startswith(ours) and name != LOCK_NAME:
                (folder / name).unlink()
            elif name.startswith("shard-"):
                shutil.rmtree(folder / name)
        if shards > 1:
            found = [create_folder(folder / shard_name(number), lock_wait)[0] for number in range(shards)]
        else:
            found = [SegmentStorage(str(folder)).create_index(build_schema())]
        marker = {"schema_version": SCHEMA_VERSION, "created": dt.datetime.now().isoformat(timespec="seconds")}
        if shards > 1:
            marker["shards"] = shards
        with replaced(folder / MARKER) as out:
            out.write(json.dumps(marker) + "\n")
    except OSError as error:
        raise IndexWriteError(f"cannot create the index at {where}: {error.strerror or error}") from None
    finally:
        for lock in reversed(held):
            lock.release()
    return found


def damaged(path: Path, error: BaseException) -> SearcherError:
    """The error to show for `error`, met reading the index at `path`: damage (a file
    cut short, garbled or missing) asks for a rebuild; an operating-system refusal
    (permissions, too many open files) says what it is, and a rebuild would not help."""
    where = display_path(path)
    if not isinstance(error, OSError):
        return IndexFormatError(f"cannot read the index at {where} (damaged: {error})")
    reason = error.strerror or str(error)
    if error.errno in (errno.ENOENT, errno.ENOTDIR):
        return IndexFormatError(f"cannot read the index at {where} (a file of it is missing: {reason})")
    hint = {errno.EACCES: "check the index folder's permissions", errno.EPERM: "check the index folder's permissions",
            errno.EMFILE: "too many files open: raise the limit (ulimit -n)",
            errno.ENFILE: "too many files open on this system"}.get(error.errno or 0)
    return IndexReadError(f"cannot read the index at {where} ({reason})", hint=hint)
