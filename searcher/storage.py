"""Reading index segments in place, without copying them into memory.

Whoosh memory-maps each segment file, then wraps every part of it that a reader
opens (terms, postings, stored fields) in a `BufferFile`, whose constructor copies the
part into an `io.BytesIO`. So opening an index copied all of its terms and postings
into memory: about 60 MB and 30 ms for Reuters, five times that for an archive five
times larger, on every `searcher` search and every index run.

`SegmentPart` is that `BufferFile` with a file that reads the memory map in place, so
only the bytes actually read are touched. `read_in_place()` makes Whoosh's compound
segments use it; it changes how bytes are read, not which (the same class, the same
methods, the same results). It is a no-op on a Whoosh fork without that hook.
"""

from __future__ import annotations

from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.filedb import compound, structfile
from whoosh.util.numeric import byte_to_length

_LENGTHS = [0] + [byte_to_length(byte) for byte in range(1, 256)]


class _View:
    """A read-only file over a buffer (a memoryview of the map), reading it in place."""

    __slots__ = ("_buffer", "_position")

    def __init__(self, buffer: memoryview) -> None:
        self._buffer = buffer
        self._position = 0

    def read(self, size: int | None = -1) -> bytes:
        start = self._position
        end = len(self._buffer) if size is None or size < 0 else min(start + size, len(self._buffer))
        self._position = max(start, end)
        return bytes(self._buffer[start:end])

    def readline(self, size: int | None = -1) -> bytes:  # pickle.load may ask for it
        end = len(self._buffer) if size is None or size < 0 else min(self._position + size, len(self._buffer))
        position = self._position
        while position < end:
            chunk = bytes(self._buffer[position:min(position + 4096, end)])
            found = chunk.find(b"\n")
            if found >= 0:
                end = position + found + 1
                break
            position += len(chunk)
        return self.read(end - self._position)

    def seek(self, position: int, whence: int = 0) -> int:
        if whence == 1:
            position += self._position
        elif whence == 2:
            position += len(self._buffer)
        if position < 0:
            raise ValueError(f"negative seek position {position}")
        self._position = position
        return position

    def tell(self) -> int:
        return self._position

    def close(self) -> None:
        self._buffer = memoryview(b"")  # lets the map close


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


def read_in_place() -> None:
    """Make Whoosh read compound segments through `SegmentPart`."""
    if getattr(compound, "BufferFile", None) is structfile.BufferFile:
        compound.BufferFile = SegmentPart  # type: ignore[misc]


def field_lengths(perdoc, fieldname: str, count: int, missing: int) -> list[int]:  # type: ignore[no-untyped-def]
    """The length of a field in each of the `count` articles of a segment (`perdoc`, its
    per-document reader), `missing` where it has none. Whoosh's codec keeps one byte an
    article in a column, read here at once instead of with a seek and a read for each."""
    column = perdoc._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
    raw = column._dbfile.get(column._basepos, column._count) if column is not None and column._count else b""
    lengths = [_LENGTHS[byte] or missing for byte in raw]
    lengths.extend([missing] * (count - len(lengths)))
    return lengths
