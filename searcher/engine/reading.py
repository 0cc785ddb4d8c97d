"""Reading index segments in place, without copying them into memory.

Whoosh memory-maps each segment file, then wraps every part of it that a reader
opens (terms, postings, stored fields) in a `BufferFile`, whose constructor copies the
part into an `io.BytesIO`. So opening an index copied all of its terms and postings
into memory: about 60 MB and 30 ms for Reuters, five times that for an archive five
times larger, on every `searcher` search and every index run.

`SegmentStorage` is the folder storage our indexes are opened with (`Index.open`,
`Index.create`, and through them the writers and their worker processes). It maps a
compound segment file itself and hands Whoosh a `SegmentPart`: a `BufferFile` whose file
reads the map in place, and whose parts (`subset`, which Whoosh's `CompoundStorage` asks
for each part) are views of the same map. Only the bytes actually read are touched; the
bytes are the same. Nothing of Whoosh's is patched, so another Whoosh index in the same
process reads as Whoosh reads it.

The indexes it opens are `CommittedIndex`es: Whoosh's FileIndex, reading the last
commit's table of contents even while another process commits.
"""

from __future__ import annotations

import errno
import mmap
import os
from typing import Any, Iterator

from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.filedb import structfile
from whoosh.filedb.filestore import FileStorage
from whoosh.index import _DEF_INDEX_NAME, EmptyIndexError, FileIndex
from whoosh.util.numeric import byte_to_length

from ..errors import IndexNotFoundError
from ..paths import display_path

#: The length each of Whoosh's length bytes stands for, 0 for "no length".
LENGTHS = (0, *(byte_to_length(byte) for byte in range(1, 256)))


class _View:
    """A read-only file over a buffer (a memoryview of the map), reading it in place;
    it behaves as io.BytesIO does for reading."""

    __slots__ = ("_buffer", "_position")

    def __init__(self, buffer: memoryview) -> None:
        self._buffer: memoryview | None = buffer
        self._position = 0

    def read(self, size: int | None = -1) -> bytes:
        buffer = self._open()
        start = self._position
        end = len(buffer) if size is None or size < 0 else min(start + size, len(buffer))
        self._position = max(start, end)
        return bytes(buffer[start:end])

    def readline(self, size: int | None = -1) -> bytes:  # pickle.load may ask for it
        buffer = self._open()
        end = len(buffer) if size is None or size < 0 else min(self._position + size, len(buffer))
        position = self._position
        while position < end:
            chunk = bytes(buffer[position:min(position + 4096, end)])
            found = chunk.find(b"\n")
            if found >= 0:
                end = position + found + 1
                break
            position += len(chunk)
        return self.read(max(end - self._position, 0))

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line

    def seek(self, position: int, whence: int = 0) -> int:
        buffer = self._open()
        if whence == 0 and position < 0:
            raise ValueError(f"negative seek value {position}")
        if whence == 1:
            position = max(self._position + position, 0)
        elif whence == 2:
            position = max(len(buffer) + position, 0)
        self._position = position
        return position

    def tell(self) -> int:
        self._open()
        return self._position

    def close(self) -> None:
        self._buffer = None  # (SegmentPart keeps the buffer, as Whoosh's BufferFile does)

    def _open(self) -> memoryview:
        if self._buffer is None:
            raise ValueError("I/O operation on closed file.")
        return self._buffer


class SegmentPart(structfile.BufferFile):
    """Whoosh's BufferFile, reading its buffer in place instead of from a copy."""

    def __init__(self, buf, name=None, onclose=None):  # type: ignore[no-untyped-def]
        # (BufferFile.__init__ is not called: making its BytesIO is the copy avoided.)
        self._buf = buf
        self._name = name
        self.file = _View(buf)
        self.onclose = onclose
        self.is_real = False
        self.is_closed = False


    def subset(self, position: int, length: int, name: str | None = None) -> SegmentPart:
        """A part of this file, in place (Whoosh's copies it)."""
        return SegmentPart(self._buf[position:position + length], name=name or self._name)


class SegmentStorage(FileStorage):
    """A folder of index files whose compound segments (`.seg`) are read in place.

    Whoosh's codec opens a compound segment with `open_file` and reads its parts through
    `CompoundStorage`, which maps the file only when the storage says `supports_mmap`;
    otherwise it asks the file for a `subset` per part. So this storage says no, maps
    the file itself, and returns a `SegmentPart`, whose subsets are views of the map.
    """

    supports_mmap = False  # (we map; see the class's docstring)

    def __init__(self, path: str, readonly: bool = False) -> None:
        super().__init__(path, supports_mmap=False, readonly=readonly)

    def create_index(self, schema: Any, indexname: str = _DEF_INDEX_NAME, indexclass: Any = None) -> FileIndex:
        return super().create_index(schema, indexname, indexclass or CommittedIndex)

    def open_index(self, indexname: str = _DEF_INDEX_NAME, schema: Any = None, indexclass: Any = None) -> FileIndex:
        return super().open_index(indexname, schema, indexclass or CommittedIndex)

    def open_file(self, name: str, **kwargs: Any) -> structfile.StructFile:
        if not name.endswith(".seg"):
            return super().open_file(name, **kwargs)
        with open(self._fpath(name), "rb") as file:
            if os.fstat(file.fileno()).st_size == 0:  # (an empty file can't be mapped)
                return structfile.BufferFile(b"", name=name)
            try:
                source = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
            except OSError as error:
                if error.errno != errno.ENOMEM:
                    raise
                # No room to map it: the file itself, whose parts Whoosh reads with seeks
                # (StructFile.subset), as Whoosh does when its own map fails.
                return super().open_file(name, **kwargs)
        view = memoryview(source)
        return SegmentPart(view, name=name, onclose=lambda _part: _unmap(view, source))


class CommittedIndex(FileIndex):
    """Whoosh's FileIndex, reading the last commit's table of contents while another
    process commits.

    A commit writes its table of contents (`_MAIN_<generation>.toc`), then deletes the one
    before it. Whoosh finds the last one by listing the folder, then opens it; a commit
    between the two leaves it a name that is gone. Whoosh's `reader()` reads again when
    that happens; opening the index, its `schema` and `last_modified` did not, so a search
    or `searcher stats` racing an index run failed now and then with "a file of it is
    missing". Here each reads the folder again, which names the new table.
    """

    def __init__(self, storage: Any, schema: Any = None, indexname: str = _DEF_INDEX_NAME) -> None:
        _again_after_commits(lambda: FileIndex.__init__(self, storage, schema, indexname))

    def _read_toc(self) -> Any:
        try:
            return _again_after_commits(super()._read_toc)
        except EmptyIndexError:
            # (Opened, then its files moved or deleted: what a server meets when its index
            # folder is taken away. Whoosh's error would be a traceback, and a server's 500.)
            raise IndexNotFoundError(f"no index at {display_path(self.storage.folder)} any more "
                                     "(its files were moved or deleted while it was open)") from None

    def last_modified(self) -> float:
        return _again_after_commits(super().last_modified)


#: How many times a table of contents is looked for again: each time, a commit came
#: between listing the folder and opening what it named (a commit takes milliseconds).
_TOC_TRIES = 10


def _again_after_commits(read: Any) -> Any:
    """read(), again when the table of contents it listed was deleted by a commit."""
    for _ in range(_TOC_TRIES - 1):
        try:
            return read()
        except FileNotFoundError as error:
            if not str(error.filename or "").endswith(".toc"):
                raise
    return read()


def _unmap(view: memoryview, source: mmap.mmap) -> None:
    view.release()
    try:
        source.close()
    except BufferError:  # a part not yet collected holds a view; the map closes with it, as in Whoosh
        pass


def field_lengths(perdoc, fieldname: str, count: int, missing: int) -> list[int]:  # type: ignore[no-untyped-def]
    """The length of a field in each of the `count` articles of a segment (`perdoc`, its
    per-document reader), `missing` where it has none. Whoosh's codec keeps one byte an
    article in a column, read here at once instead of with a seek and a read for each."""
    lengths = [LENGTHS[byte] or missing for byte in length_bytes(perdoc, fieldname)]
    lengths.extend([missing] * (count - len(lengths)))
    return lengths


def length_bytes(perdoc, fieldname: str) -> bytes:  # type: ignore[no-untyped-def]
    """The field's length byte of each article of a segment (Whoosh's length_to_byte; 0
    for none), as the column holds them: the articles at the end without the field
    may be left out."""
    column = perdoc._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
    return column._dbfile.get(column._basepos, column._count) if column is not None and column._count else b""
