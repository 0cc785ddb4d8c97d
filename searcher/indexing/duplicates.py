"""Near-duplicates: the same wire story with small edits, found at index time, shown once.

Each article gets a sketch when it is indexed (sketches.py): the 64 smallest hashes (their high 32
bits) of the shingles of 3 terms of its lead, its first LEAD_TERMS terms (bottom-k
MinHash). Two articles' sketches estimate the Jaccard similarity of their shingle
sets: of the 64 smallest values of the union of both sketches, the share found in
both. Pairs at or above THRESHOLD, dated at most MAX_DAYS apart, are near-duplicates;
candidates are articles that share one of 6 keys, the pairs of values (the 1st and
2nd smallest, the 3rd and 4th...: a pair at Jaccard 0.8 shares one with probability
0.98, while a shingle of boilerplate alone makes no candidate), and groups are their
connected pairs. On Reuters: 604 groups (1,221 articles), found in 0.1 s once the
sketches are made.

The index keeps 24 bytes an article (the keys: `sketches.keys`), not the sketches: an index
run groups the sketches its writers made (SegmentWriter.written_sketches) with those of the
articles sharing a key with one, made again from their stored text. It is on unless
the configuration says `duplicates: false`: it costs about 3% of an index run on 2
cores (scripts/bench_index.py, run with it on and off).

After a run that changed the index, the indexer writes the groups to
`searcher-duplicates.json` (engine/groups.py: by article id, as document numbers change
with merges). A search reads it (a few ms) and collapses each group to its best hit;
counts, timelines, facets and exports still count every article.
"""

from __future__ import annotations

import heapq
import operator
from array import array
from collections import Counter
from itertools import compress, count, repeat
from typing import TYPE_CHECKING, Collection, Iterable, Mapping

from ..engine.sketches import BANDS, KEY_BYTES, KEYS_BYTES, SKETCH_SIZE, short_key, sketch

if TYPE_CHECKING:
    from ..search.snapshot import Snapshot

THRESHOLD = 0.8
#: Articles dated further apart than this are not near-duplicates, however alike.
MAX_DAYS = 3
#: Past this many articles sharing a hash, only copies (identical sketches) are compared.
BUCKET_LIMIT = 100


def find_groups(sketches: Iterable[tuple[str, bytes, int]], before: list[list[str]] | None = None,
                touched: set[str] = frozenset(), days_before: Mapping[str, int] | None = None,  # type: ignore[assignment]
                crowded: set[bytes] = frozenset()) -> list[list[str]]:  # type: ignore[assignment]
    """Groups of near-duplicate article ids (two or more each), largest first, from
    (id, sketch, day) (day: date.toordinal(), 0 for none). Articles dated more than
    MAX_DAYS apart are not near-duplicates: a daily report written from a template is
    a new story every day.

    With `before`, the groups of the index before a run that wrote or deleted the
    `touched` articles: only the touched articles, and the rest of each group that lost
    one (it may have held the group together, or kept others out of it), are compared
    again with the articles they share a key with. Then `sketches` need only hold
    those and the articles that share a key with them (see `keys`), given
    that `days_before` holds the day of every member of `before` and `crowded` the keys
    (as `keys` gives them) that more than BUCKET_LIMIT articles of the index share.
    """
    # In a fixed order (by day, then id): a group may not span more than MAX_DAYS, so
    # which pairs join first decides the groups, and segments come in any order.
    ordered = sorted((item for item in sketches if item[1]), key=lambda item: (item[2], item[0]))
    ids = [article_id for article_id, _, _ in ordered]
    sketch_of = {article_id: value for article_id, value, _ in ordered}
    days = {**(days_before or {}), **{article_id: day for article_id, _, day in ordered}}
    # Candidates share a key (in any band): a slice of the sketches' bytes. Most keys are
    # in one sketch only, so keys are counted first (in C: Counter) and only shared ones
    # get a bucket.
    by_band = [list(map(operator.getitem, sketch_of.values(), repeat(band))) for band in BANDS]
    counts: Counter[bytes] = Counter()
    for band_keys in by_band:
        counts.update(band_keys)
    shared = {key for key, count in counts.items() if count > 1 and len(key) == KEY_BYTES}
    buckets: dict[bytes, list[str]] = {}
    for band_keys in by_band:
        for article_id, key in zip(ids, band_keys):
            if key in shared:
                buckets.setdefault(key, []).append(article_id)
    rank = {article_id: number for number, article_id in enumerate(ids)}
    for members in buckets.values():
        members.sort(key=rank.__getitem__)  # (by day, as the bands filled them one after another)

    def crowded_bucket(key: bytes, members: list[str]) -> bool:
        return len(members) > BUCKET_LIMIT or (bool(crowded) and short_key(key) in crowded)
    values_of: dict[str, frozenset[int]] = {}

    def values(article_id: str) -> frozenset[int]:
        found = values_of.get(article_id)
        if found is None:
            found = values_of[article_id] = frozenset(array("i", sketch_of[article_id]))
        return found

    parent: dict[str, str] = {}

    def root(item: str) -> str:
        while parent.setdefault(item, item) != item:
            parent[item] = parent[parent[item]]  # (path halving)
            item = parent[item]
        return item

    spans: dict[str, tuple[int, int]] = {}  # a group's first and last day (its root's), dated members only

    def span(item: str) -> tuple[int, int]:
        found = spans.get(item)
        if found is None:
            day = days.get(item, 0)
            found = spans[item] = (day, day) if day else (10**9, 0)
        return found

    def join(first: str, second: str) -> None:
        one, other = root(first), root(second)
        if one == other:
            return
        (low, high), (low2, high2) = span(one), span(other)
        low, high = min(low, low2), max(high, high2)
        if high and high - low > MAX_DAYS:
            return  # (a chain of daily reports from one template would span weeks)
        parent[one] = other
        spans[other] = (low, high)

    def compare(first: str, second: str) -> None:
        if root(first) != root(second) and similarity(values(first), values(second)) >= THRESHOLD:
            join(first, second)

    def join_copies(members: list[str], among: list[str] | None = None) -> None:
        # A key shared by more than BUCKET_LIMIT articles is boilerplate, unless they are
        # copies of one text: there only identical sketches are joined. Copies are joined
        # in a chain (members come by day), not pair by pair: an archive can hold
        # thousands of copies of one notice, and all their pairs would take hours.
        copies: dict[bytes, list[str]] = {}
        for article_id in members:
            copies.setdefault(sketch_of[article_id], []).append(article_id)
        if among is None:
            for same in copies.values():
                for first, second in zip(same, same[1:]):
                    join(first, second)
            return
        for article_id in among:
            for other in copies.get(sketch_of[article_id], ()):
                if other != article_id:
                    join(article_id, other)

    if before is None:
        checked: set[tuple[str, str]] = set()
        for key, members in buckets.items():
            if len(members) < 2:
                continue
            if crowded_bucket(key, members):
                join_copies(members)
                continue
            for at, first in enumerate(members):
                for second in members[at + 1:]:
                    pair = (first, second) if first < second else (second, first)
                    if pair not in checked:
                        checked.add(pair)
                        compare(first, second)
    else:
        recheck = set(touched)
        for group in before:
            kept = [article_id for article_id in group if article_id not in touched]
            if len(kept) == len(group):  # untouched: still one group
                for first, second in zip(kept, kept[1:]):
                    join(first, second)
            else:  # it lost a member, which may have held it together, or kept others out
                recheck.update(kept)
        # Each looked at as a build from nothing would: with the articles it shares a key
        # with, in the fixed order (that of a set of strings changes with each process).
        for article_id in (article_id for article_id in ids if article_id in recheck):
            for band in BANDS:
                key = sketch_of[article_id][band]
                members = buckets.get(key, [])
                if crowded_bucket(key, members):
                    join_copies(members, [article_id])
                    continue
                for other in members:
                    if other != article_id:
                        compare(article_id, other)
    groups: dict[str, list[str]] = {}
    for article_id in list(parent):
        groups.setdefault(root(article_id), []).append(article_id)
    found = [sorted(set(members)) for members in groups.values() if len(set(members)) > 1]
    return sorted(found, key=lambda members: (-len(members), members[0]))


def similarity(first: frozenset[int], second: frozenset[int]) -> float:
    """The estimated Jaccard similarity of two sketches (their values as sets): of the
    smallest values of their union, the share both have."""
    common = first & second
    if len(common) < THRESHOLD * min(len(first), len(second)):
        return len(common) / max(len(first | second), 1)  # (far below: no need to be exact; most pairs)
    union = heapq.nsmallest(SKETCH_SIZE, first | second)
    return sum(1 for value in union if value in common) / len(union) if union else 0.0


def candidates(blob: bytearray, deleted: Collection[int], keys: Iterable[bytes] | None,
               named: Collection[int] = ()) -> tuple[set[int], set[bytes]]:
    """Which articles to sketch again, from every article's stored keys (`blob`,
    KEYS_BYTES an article, by article number; `deleted` articles have none): those whose
    keys share one with `keys` (None: with another article's), and the `named` articles
    with those sharing a key with them. And the crowded keys: those more than BUCKET_LIMIT
    live articles share, which are boilerplate: through them come only the articles whose
    keys are all the same (find_groups is given them)."""
    for docnum in deleted:
        blob[docnum * KEYS_BYTES:(docnum + 1) * KEYS_BYTES] = bytes(KEYS_BYTES)
    words = array("I", bytes(blob))
    width = KEYS_BYTES // words.itemsize
    if keys is None:  # (after a run that could not use the saved groups: seldom)
        wanted = {value for value, times in Counter(words).items() if times > 1 and value}
        entries = {entry for entry, times in Counter(
            bytes(blob[at:at + KEYS_BYTES]) for at in range(0, len(blob), KEYS_BYTES)).items() if times > 1}
    else:
        entries = {bytes(entry) for entry in keys}
        entries.update(bytes(blob[docnum * KEYS_BYTES:(docnum + 1) * KEYS_BYTES]) for docnum in named)
        wanted = {value for value in array("I", b"".join(entries)) if value}
    positions = list(compress(count(), map(wanted.__contains__, words)))
    counts = Counter(words[position] for position in positions)
    crowded = {value for value in wanted if counts[value] > BUCKET_LIMIT}
    docnums: set[int] = set(named)
    for position in positions:
        docnum = position // width
        if words[position] not in crowded or bytes(blob[docnum * KEYS_BYTES:(docnum + 1) * KEYS_BYTES]) in entries:
            docnums.add(docnum)
    return docnums - set(deleted), {array("I", [value]).tobytes() for value in crowded}


def stored_sketches(snapshot: Snapshot, keys: Iterable[bytes] | None,
                    ids: Iterable[str] = ()) -> tuple[list[tuple[str, bytes, int]], set[bytes]]:
    """(id, sketch, day) of live articles of `snapshot`, the sketch made again from the
    stored body: those whose stored keys share one with `keys` (None: with another
    article), and those with `ids` with the articles sharing a key with them; the day
    is date.toordinal(), 0 for no date. And the crowded keys (see candidates, which
    chooses the articles)."""
    from ..engine.tokens import TEXT_TERMS

    searcher, dates = snapshot.searcher, snapshot.metadata.dates
    named = {searcher.document_number(id=article_id) for article_id in ids} - {None}
    docnums, crowded = candidates(snapshot.stored_keys(), dates.deleted, keys, named)
    found = []
    for docnum in sorted(docnums):
        stored = searcher.stored_fields(docnum)
        value = sketch(TEXT_TERMS.terms(stored.get("body") or ""))
        if value:
            found.append((stored["id"], value, dates.day(docnum)))
    return found, crowded
