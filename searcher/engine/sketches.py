"""Near-duplicate sketches: what each article's indexing computes so that copies of a
story can be found (duplicates.py groups them).

An article's sketch is the 64 smallest hashes (their high 32 bits) of the shingles of
3 terms of its lead (bottom-k MinHash); the index keeps only its candidate keys
(`keys`, KEYS_BYTES an article), in a column the schema writes beside the body.
"""

from __future__ import annotations

import sys
import zlib
from array import array
from typing import Sequence

SKETCH_SIZE = 64
#: The words of an article's text that its sketch is made from (see sketch).
LEAD_TERMS = 80
#: Articles shorter than this many words have too few shingles to compare.
MIN_WORDS = 20
#: Candidate keys: the 6 pairs of the 12 smallest values (4 bytes each), as slices of the bytes.
KEY_BYTES = 8
BANDS = [slice(start, start + KEY_BYTES) for start in range(0, 6 * KEY_BYTES, KEY_BYTES)]
#: The index keeps 4 bytes of each key (see `keys`).
KEYS_BYTES = 4 * len(BANDS)


class _TermHashes(dict):
    """The CRC-32 of each term (0 for "", no term), computed once per process: a corpus
    repeats its words."""

    def __missing__(self, term: str) -> int:
        if len(self) > 500_000:
            self.clear()
        value = self[term] = zlib.crc32(term.encode("utf-8")) if term else 0
        return value


_TERM_HASHES = _TermHashes()
#: The high 32 bits of each 64-bit hash in an array of them: a sketch value keeps their order.
_HIGH_HALVES = slice(1, None, 2) if sys.byteorder == "little" else slice(0, None, 2)
_LOW_HALVES = slice(0, None, 2) if sys.byteorder == "little" else slice(1, None, 2)


def sketch(terms: Sequence[str]) -> bytes:
    """The bottom-k MinHash sketch of an article's text, given as its index terms, from
    the shingles of 3 terms of its first LEAD_TERMS (b"" for a short text): the high 32
    bits of the SKETCH_SIZE smallest shingle hashes, in order.

    Only the lead is compared: copies of a wire story differ in a word or a sentence,
    or in a paragraph added or cut at the end, and their leads are alike whatever
    their length. It bounds the cost, which is paid for every article indexed: half
    of Reuters' shingles are past its articles' first 80 terms.

    Terms are hashed with CRC-32, shingles with Python's hash of a tuple of ints
    (deterministic: only str and bytes hashes are salted per process). Each step is a C
    loop (map, filter, zip, sorted): a Python loop over the shingles would cost a tenth
    of the whole index run. The terms are those the body's indexing has just made, so
    that the text is not read twice.
    """
    if len(terms) < MIN_WORDS:
        return b""
    hashes = list(filter(None, map(_TERM_HASHES.__getitem__, terms[:LEAD_TERMS])))
    smallest = sorted(set(map(hash, zip(hashes, hashes[1:], hashes[2:]))))[:SKETCH_SIZE]
    return array("i", array("q", smallest).tobytes())[_HIGH_HALVES].tobytes()


def short_key(key: bytes) -> bytes:
    """The bytes of a key (or keys) of find_groups that `keys` keeps: the low 16 bits of each value."""
    return array("H", key)[_LOW_HALVES].tobytes()


def keys(value: bytes) -> bytes:
    """A sketch's candidate keys as the index keeps them, in KEYS_BYTES: for each of
    its 6 pairs of smallest values, the low 16 bits of both (zeros where a short
    sketch has none). A pair of articles that shares a key of `find_groups` (a pair
    of whole values) shares this one; the index need not keep whole sketches (256
    bytes an article, a tenth of Reuters' index) to find an article's candidates.
    """
    pairs = min(len(value) // KEY_BYTES, len(BANDS))
    return short_key(value[:pairs * KEY_BYTES]).ljust(KEYS_BYTES, b"\0")
