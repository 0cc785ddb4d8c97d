"""Joining the segments of one index run into one segment, copying instead of re-indexing.

`searcher index` on N cores writes one segment a worker, and a search looks every query
term up in every segment: on BBC News a title term cost 22.6 µs in two segments against
13.3 µs in one. Whoosh's own merge (`optimize`) re-adds every posting of every article
through its writer, which took longer than the whole build (3.5 s for BBC).

`join_segments` writes the segments' articles one after the other into a new segment:
the articles of the second get the numbers after the first's, so a term's postings are
the first segment's blocks followed by the second's, with only each block's first
article number and last article number changed (the blocks hold the gaps between
article numbers). Stored fields and columns are copied as the bytes they are. The
numbering is the one a search of the segments in that order already uses, so nothing
that keeps article numbers (the near-duplicate groups, the semantic vectors' windows)
changes either.

It joins what `postings.BlockWriter` wrote (never inlined postings: Whoosh's codec
inlines none at its limit of 1), without deletions or term vectors, and copies the
schema's columns; for anything else it raises `CannotJoin`, and the caller keeps the
segments as they are.
"""

from __future__ import annotations

import pickle
import zlib
from array import array
from functools import partial
from heapq import merge
from typing import Any, Iterator, Sequence

from whoosh import columns
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, STORED_COLUMN, WHOOSH3_HEADER_MAGIC, _lenfield
from whoosh.reading import SegmentReader

from .postings import (_COMPRESSED_AT, _COUNT, _EXTENT, _INFO_SIZE, _INT, _LAST_ID_AT, _SHORT, _TERM_INFO,
                       _smallest_ints, add_entries, is_ours)

_NO_ID = 0xFFFFFFFF  # (W3TermInfo's min or max id of no posting)


class CannotJoin(Exception):
    """The segments hold something the join does not copy (deletions, term vectors,
    postings written by Whoosh's own writer or inlined)."""


def join_segments(storage, schema, indexname: str, segments: Sequence[Any]):  # type: ignore[no-untyped-def]
    """A new segment in `storage` holding the articles of `segments` in their order.
    The segments themselves are left as they are (the commit that leaves them out of
    the index deletes their files)."""
    if len(segments) < 2:
        raise ValueError("joining needs two segments or more")
    if any(segment.has_deletions() for segment in segments):
        raise CannotJoin("a segment has deleted articles")
    if any(field.vector for _, field in schema.items()):
        raise CannotJoin("the schema has term vectors")
    codec = segments[0].codec()
    joined = codec.new_segment(storage, indexname)
    readers = [SegmentReader(storage, schema, segment) for segment in segments]
    try:
        bases = []
        total = 0
        for segment in segments:
            bases.append(total)
            total += segment.doc_count_all()
        _join_terms(codec, storage, joined, schema, readers, bases)
        _join_columns(codec, storage, joined, schema, readers, bases, total)
        joined.set_doc_count(total)
    finally:
        for reader in readers:
            reader.close()
    if any(segment.is_compound() for segment in segments):
        joined.create_compound_file(storage)
    return joined


# -- terms and postings ------------------------------------------------------------------


def _join_terms(codec, storage, joined, schema, readers, bases) -> None:  # type: ignore[no-untyped-def]
    """Write the terms table and postings of the joined segment: every term once, its
    postings those of each segment in order."""
    names = sorted({name for reader in readers for name in reader._terms._fieldmap})
    writer = codec.field_writer(storage, joined)
    writer._fieldmap.update((name, number) for number, name in enumerate(names))
    sources = [_terms(reader, number, base, writer._fieldmap)
               for number, (reader, base) in enumerate(zip(readers, bases))]
    postings = _Postings(writer._postfile)
    entries: list[tuple[bytes, bytes]] = []
    key, parts = b"", []
    try:
        for item in merge(*sources):
            if item[0] != key:
                if item[0] < key:  # (a segment whose fields are numbered in another order)
                    raise CannotJoin(f"the terms of a segment are not in the order of the others at {key!r}")
                if parts:
                    entries.append((key, _write_term(postings, key, parts)))
                key, parts = item[0], []
            parts.append(item)
        if parts:
            entries.append((key, _write_term(postings, key, parts)))
    except CannotJoin:
        writer._tindex.dbfile.close()
        writer._postfile.close()
        raise
    postings.flush()
    add_entries(writer._tindex, entries)
    writer.close()


class _Postings:
    """The joined segment's postings file, written in large pieces (Whoosh's StructFile
    costs a call a write)."""

    def __init__(self, file) -> None:  # type: ignore[no-untyped-def]
        self._file = file
        self.position = file.tell()
        self._chunks: list[bytes] = []
        self._buffered = 0

    def write(self, data: bytes) -> int:
        """Write `data`; return where it starts."""
        start = self.position
        self._chunks.append(data)
        self.position += len(data)
        self._buffered += len(data)
        if self._buffered > 1 << 24:
            self.flush()
        return start

    def flush(self) -> None:
        self._file.write(b"".join(self._chunks))
        self._chunks, self._buffered = [], 0


def _terms(reader, number: int, base: int, numbers: dict[str, int]) -> Iterator[tuple[bytes, int, bytes, Any, int]]:  # type: ignore[no-untyped-def]
    """A segment's terms in key order, keyed with the joined segment's field numbers:
    (key, its position among the segments, W3TermInfo bytes, its postings file, base)."""
    terms = reader._terms
    renumbered = {_SHORT.pack(old): _SHORT.pack(numbers[name]) for name, old in terms._fieldmap.items()}
    field, new = None, b""
    for key, info in terms._tindex.items():
        if key[:2] != field:
            field = key[:2]
            new = renumbered[field]
        yield new + key[2:], number, info, terms._postfile, base


def _write_term(postings: _Postings, key: bytes, parts) -> bytes:  # type: ignore[no-untyped-def]
    """Write one term's postings; return its info."""
    if any(info[0] for _, _, info, _, _ in parts):  # (W3TermInfo's flags: inlined postings)
        raise CannotJoin(f"inlined postings of {key!r}")
    if len(parts) == 1:
        _, _, info, postfile, base = parts[0]
        if not base:  # (as they are)
            offset, length = _EXTENT.unpack_from(info, _TERM_INFO.size)
            return info[:_TERM_INFO.size] + _EXTENT.pack(postings.write(postfile.get(offset, length)), length)
    infos = [_TERM_INFO.unpack_from(info) for _, _, info, _, _ in parts]
    chunks = [WHOOSH3_HEADER_MAGIC]
    for index, (_, _, info, postfile, base) in enumerate(parts):
        offset, length = _EXTENT.unpack_from(info, _TERM_INFO.size)
        data = postfile.get(offset, length)
        if data[:4] != WHOOSH3_HEADER_MAGIC:
            raise CannotJoin(f"no postings at offset {offset} for {key!r}")
        last = index == len(parts) - 1
        if base == 0 and last:
            chunks.append(data[4:])
        else:
            chunks.extend(_blocks(data, base, last))
    data = b"".join(chunks)
    return _joined_info(infos, [base for *_, base in parts]) + _EXTENT.pack(postings.write(data), len(data))


def _joined_info(infos: list[tuple], bases: list[int]) -> bytes:
    """The W3TermInfo of a term whose postings are those of `infos`, in order."""
    lengths = [info[3] for info in infos if info[3]]  # (0: no length)
    return _TERM_INFO.pack(
        0,
        sum(info[1] for info in infos),
        sum(info[2] for info in infos),
        min(lengths) if lengths else 0,
        max(info[4] for info in infos),
        max(info[5] for info in infos),
        infos[0][6] + bases[0] if infos[0][6] != _NO_ID else _NO_ID,
        infos[-1][7] + bases[-1] if infos[-1][7] != _NO_ID else _NO_ID,
    )


def _blocks(data: bytes, base: int, last: bool) -> Iterator[bytes]:
    """The blocks of one segment's postings of a term (after the magic number), each
    with its article numbers moved up by `base`, the last marked as a term's last
    only when `last`."""
    position = 4
    end_of_data = len(data)
    while position < end_of_data:
        size = _INT.unpack_from(data, position)[0]
        start = position + 4
        end = start + abs(size)
        if not is_ours(data, start):
            raise CannotJoin("a block written by Whoosh's own writer")
        block = data[start:end]
        if base:
            block = _moved(block, base)
        is_last = size < 0
        yield _INT.pack(-len(block) if is_last and last else len(block))
        yield block
        position = end
        if is_last:
            break


def _moved(block: bytes, base: int) -> bytes:
    """A block (statistics and data) with its article numbers moved up by `base`: its
    first gap (the first article's number) and its last article's number."""
    head = bytearray(block[:_INFO_SIZE])
    _COUNT.pack_into(head, _LAST_ID_AT, _COUNT.unpack_from(head, _LAST_ID_AT)[0] + base)
    compressed = head[_COMPRESSED_AT]
    data = block[_INFO_SIZE:]
    if compressed:
        data = zlib.decompress(data)
    data = _first_moved(data, base)
    if compressed:
        data = zlib.compress(data, compressed)
    return bytes(head) + data


def _first_moved(data: bytes, base: int) -> bytes:
    """A block's pickled (gaps, weights, values), its first gap moved up by `base`.

    Whoosh's tuples (most blocks) are pickled with protocol 2, the first gap first: its
    opcode and bytes are replaced with those pickle would write for the new number (a
    fifth of unpickling and pickling the block again)."""
    at = 3 if data[2] == _MARK else 2
    opcode = data[at]
    if data[:2] == _PROTOCOL_2 and opcode in _INT_SIZES:
        size = _INT_SIZES[opcode]
        first = int.from_bytes(data[at + 1:at + 1 + size], "little", signed=opcode == _BININT) + base
        return data[:at] + _pickled_int(first) + data[at + 1 + size:]
    gaps, weights, values = pickle.loads(data)
    if isinstance(gaps, array):  # (a block of postings.COLUMNAR_FROM postings or more)
        moved = array("I", gaps)
        moved[0] += base
        return pickle.dumps((_smallest_ints(moved), weights, values), 4)
    return pickle.dumps(((gaps[0] + base, *gaps[1:]), weights, values), 2)


_PROTOCOL_2 = b"\x80\x02"
_MARK = ord("(")
_BININT1, _BININT2, _BININT = ord("K"), ord("M"), ord("J")
_INT_SIZES = {_BININT1: 1, _BININT2: 2, _BININT: 4}


def _pickled_int(number: int) -> bytes:
    """A non-negative int as pickle's protocol 2 writes it."""
    if number < 256:
        return bytes((_BININT1, number))
    if number < 65536:
        return bytes((_BININT2,)) + number.to_bytes(2, "little")
    return bytes((_BININT,)) + number.to_bytes(4, "little", signed=True)


# -- stored fields and columns -------------------------------------------------------------


def _join_columns(codec, storage, joined, schema, readers, bases, total: int) -> None:  # type: ignore[no-untyped-def]
    """Write the stored fields, field lengths and columns of the joined segment, as the
    bytes each segment holds."""
    wanted: dict[str, Any] = {"_stored": STORED_COLUMN}
    for name, field in schema.items():
        if field.scorable:
            wanted[_lenfield(name)] = LENGTHS_COLUMN
        if field.column_type is not None:
            wanted[name] = field.column_type
    perdoc = codec.per_document_writer(storage, joined)
    lengths: dict[str, int] = {}
    for reader in readers:
        for name, length in reader.segment()._fieldlengths.items():
            lengths[name] = lengths.get(name, 0) + length
    for name, column in wanted.items():
        raw = _raw(column)
        sources = [(reader._perdoc, base) for reader, base in zip(readers, bases) if reader._perdoc.has_column(name)]
        if not sources:
            continue
        if name != "_stored":
            perdoc._create_column(name, column)
        out = perdoc._colwriters[name]
        while isinstance(out, columns.WrappedColumnWriter):
            out = out._child
        add = out.add
        if isinstance(raw, columns.CompressedBytesColumn):  # (copied as stored: compressed)
            raw, add = columns.VarBytesColumn(), partial(columns.VarBytesColumn.Writer.add, out)
        default = getattr(raw, "_default", None)  # (the writer fills the articles without a value)
        for source, base in sources:
            values = source.column_reader(name, raw)
            for docnum in range(source.doc_count_all()):
                value = values[docnum]
                if value != default:
                    add(base + docnum, value)
    perdoc._doccount = total
    perdoc._fieldlengths = lengths
    perdoc.close()


def _raw(column):  # type: ignore[no-untyped-def]
    """The column under a column that changes values as it stores them (pickling them)."""
    while isinstance(column, columns.WrappedColumn):
        column = column._child
    return column
