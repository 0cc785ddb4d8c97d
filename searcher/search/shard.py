"""What a shard answers: the seam between a shard's reading session and a search of all of them.

A search asks every shard twice, as Elasticsearch's query-then-fetch does:

1. `matches(ShardQuery)`: how many of its articles match (and have every word), its
   facet counts, and its best candidates, each with the key that
   places it among every shard's (Snapshot.sort_key), its near-duplicate group and
   which members of that group it holds that match;
2. `fetch(ShardFetch)`: the hits, with their passages, of those of its candidates
   that made the merged top k (passages are most of a shard's time: made for those
   only), and, rarely, the matching members of groups it did not say.

and a third, only when the search lacks some of the query's words and no shard has one
of them: `spellings(words)`, the words it writes near those (for "did you mean", chosen
over every shard's words). Each shard says which words it lacks in its first answer: a
shard that lacks a word another shard has would spend 20 ms looking for its spellings,
for nothing.

search/results.py merges the answers. The shards score with the statistics of the
whole index, so that the merged ranking is one index's. `LocalShards` answers from
snapshots in this process (one, for an index that is not sharded). cluster.py asks a
Dask actor a worker, which holds that worker's shards as LocalShards: a call to an
actor costs about 1 ms, so each answers the first question for all its shards with
the hits of its own best candidates already made (`with_hits`), and the second
question is left for the few hits the merge wants beyond those. Requests and answers
are plain, picklable dataclasses: they are what travels.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Protocol, Sequence

from ..model import Hit
from .query import searched_text

if TYPE_CHECKING:
    from .filters import Filters
    from .snapshot import Found, Snapshot


@dataclass(frozen=True)
class ShardQuery:
    """What a search asks each shard first."""

    query: str
    filters: Filters | None
    all_words: bool
    sort: str
    wanted: int | None  # candidates wanted (None: all)
    collapse: bool  # near-duplicates: one candidate a group
    facets: tuple[str, ...] = ()
    fallback_only: bool = False  # the query with any of its words (see Snapshot.find)
    # Instead of `query`, the articles like one: its key terms, and the ids to leave out
    # (see Snapshot.find_like).
    like: tuple[tuple[str, float], ...] = ()
    left_out: tuple[str, ...] = ()
    # Hits with these passages for the best `wanted` candidates of all the shards asked
    # together, less the first `offset` (a later page's), in the answers (see with_hits).
    passages: int | None = None
    explain: bool = False
    offset: int = 0
    # Semantic ranking (semantic/): the query's vector (float32 bytes), and how deep the
    # BM25 and the similarity rankings are fused (semantic.fusion.depth; None: all).
    vector: bytes | None = None
    depth: int | None = None

    @property
    def fused(self) -> bool:
        """Whether BM25 and the similarity to the query vector are fused (a search by
        relevance; `similar` ranks by its article's vector alone)."""
        return self.vector is not None and self.sort == "relevance" and not self.like


@dataclass(frozen=True)
class Candidate:
    """A shard's match that may make the top k."""

    key: tuple  # Snapshot.sort_key: where it goes among every shard's
    docnum: int
    score: float
    group: tuple[int, str] | None  # (its group's place among the saved groups, its id): see Snapshot.group_places
    members: tuple[str, ...] = ()  # its group's members, in order
    matching: tuple[str, ...] = ()  # those of them in this shard that match
    hit: Hit | None = None  # made already (see with_hits)
    # With a query vector: the similarity of its best window, that window's number, and
    # whether it is in this shard's best `depth` by BM25 (`ranked`) and by similarity (`near`).
    similarity: float | None = None
    window: int = 0
    ranked: bool = True
    near: bool = False


@dataclass
class ShardMatches:
    """A shard's answer to a ShardQuery."""

    token: int  # names the matches in the fetch that follows
    total: int
    every: int  # of them, those with every word
    matched: str  # Results.matched, as this shard's matches are
    can_fall_back: bool
    articles: int  # in the shard (deleted ones too): an empty shard says nothing of what was searched
    query: str  # the query as searched, and its name variants
    expansions: tuple
    facets: dict[str, list[tuple[str, int]]]
    unknown: tuple[str, ...]  # the words of the query it has in no article (that "did you mean" would correct)
    candidates: list[Candidate]
    complete: bool  # no more candidates than these


@dataclass(frozen=True)
class ShardFetch:
    """What a search asks a shard second: hits for `picks` (article number, score), and
    the matching members of the groups at `groups`."""

    token: int
    picks: tuple[tuple[int, float], ...]
    passages: int | None
    explain: bool
    groups: tuple[int, ...] = ()


@dataclass
class Fetched:
    """A shard's answer to a ShardFetch: the hits (rank 0: the search ranks them), and by
    group place, the group's members in order and the ids of those here that match."""

    hits: list[Hit]
    groups: dict[int, tuple[list[str], set[str]]] = field(default_factory=dict)


class Shards(Protocol):
    """Every shard of an index, asked together (see the module's docstring)."""

    config: object
    count: int  # of shards

    def matches(self, request: ShardQuery) -> list[ShardMatches]:
        """Each shard's answer to `request` (in shard order)."""

    def fetch(self, requests: Sequence[ShardFetch | None]) -> list[Fetched | None]:
        """Each asked shard's answer (None where the request is None)."""

    def spellings(self, words: Sequence[str]) -> list[dict[str, dict[str, tuple[int, int, int]]]]:
        """Each shard's words near each of `words` (spelling.Speller.candidates)."""


class ShardSearch:
    """A shard's answers, from one snapshot of it: what LocalShards and a cluster's actors
    hold. The matches of the last few queries are kept for the fetches that follow."""

    KEEP = 32  # matches kept for a fetch (searches at once, on one shard)

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self._found: dict[int, Found] = {}
        self._tokens = itertools.count(1)

    def matches(self, request: ShardQuery) -> ShardMatches:
        shard = self.snapshot
        if request.like:
            found = shard.find_like(request.like, request.left_out)
        else:
            found = shard.find(request.query, request.filters, all_words=request.all_words,
                               fallback_only=request.fallback_only)
        token = next(self._tokens)
        self._found[token] = found
        while len(self._found) > self.KEEP:
            del self._found[next(iter(self._found))]
        facets = {facet: shard.metadata.facet(facet).count(found.scores) for facet in request.facets}
        semantic = request.fused
        similar: dict[int, tuple[float, int, bool]] = {}
        total = len(found.scores)
        if semantic:
            # Both rankings to their depth, not collapsed: the search fuses every shard's
            # and then shows each group of near-duplicates once (results._shown). Every
            # match is a candidate when there are no more than the depth.
            order = shard.order(found, request.sort, request.depth)
            similar = shard.nearest(found, request.vector, request.depth)  # type: ignore[arg-type]
            ranked = {docnum for docnum, _ in order}
            order += [(docnum, found.scores[docnum]) for docnum in similar if docnum not in ranked]
            complete = request.depth is None or total <= request.depth
        else:
            if request.like and request.vector is not None:
                # `similar` on an index with vectors: the key terms' matches, by meaning (see
                # semantic.vectors.Vectors.means); near-duplicates are shown once by the merge.
                wanted = None if request.wanted is None else request.wanted * 4
                order = shard.by_meaning(found, request.vector, wanted)
            elif request.collapse:
                wanted = request.wanted
                order = shard.collapsed(found, request.sort, wanted)
            else:
                wanted = request.wanted
                order = shard.order(found, request.sort, wanted)
            complete = wanted is None or len(order) < wanted
        candidates = []
        # (Where each article's near-duplicate group is, looked up once a search: whether
        # the saved groups changed is a stat of their file.)
        places = shard.group_places() if request.collapse else {}
        keys = shard.sort_keys(found, request.sort, order)
        for number, ((docnum, score), key) in enumerate(zip(order, keys)):
            group = places.get(docnum)
            members, matching = ((), ()) if group is None else (
                tuple(shard.group_members(group[0])), tuple(sorted(shard.matching_members(group[0], found))))
            if semantic:
                similarity, window, near = similar.get(docnum) or shard.similarity(found, request.vector, docnum)
                candidates.append(Candidate(key, docnum, score, group, members, matching, similarity=similarity,
                                            window=window, ranked=number < len(ranked), near=near))
            else:
                candidates.append(Candidate(key, docnum, score, group, members, matching))
        every = found.scores.count_every()
        # (Only a search lacking some of the query's words suggests: see results._suggestion.)
        lacking = not total or found.matched in ("any", "ranked") or not every
        unknown = tuple(shard.speller.unknown(request.query)) if lacking and not request.like else ()
        return ShardMatches(token, total, every, found.matched, found.can_fall_back, shard.searcher.doc_count_all(),
                            searched_text(found.query), found.expansions, facets, unknown, candidates, complete)

    def fetch(self, request: ShardFetch) -> Fetched:
        shard = self.snapshot
        found = self._found.get(request.token)
        if found is None:
            raise LookupError(f"no matches {request.token} kept (more than {self.KEEP} searches at once)")
        hits = []
        for (docnum, _), hit in zip(request.picks, shard.hits(found, list(request.picks), request.passages)):
            if request.explain:
                from .explain import contributions

                hit = replace(hit, contributions=contributions(found.searcher, found.scored_by(docnum), docnum))
            hits.append(hit)
        groups = {place: (shard.group_members(place), shard.matching_members(place, found)) for place in request.groups}
        return Fetched(hits, groups)


class LocalShards:
    """The shards of an index open in this process (one, for an index that is not sharded)."""

    def __init__(self, snapshots: Sequence[Snapshot]) -> None:
        self.snapshots = snapshots
        self.config = snapshots[0].config
        self.count = len(snapshots)
        self._searches = [ShardSearch(snapshot) for snapshot in snapshots]

    def matches(self, request: ShardQuery) -> list[ShardMatches]:
        return [search.matches(request) for search in self._searches]

    def fetch(self, requests: Sequence[ShardFetch | None]) -> list[Fetched | None]:
        return [None if request is None else search.fetch(request) for search, request in zip(self._searches, requests)]

    def spellings(self, words: Sequence[str]) -> list[dict[str, dict[str, tuple[int, int, int]]]]:
        return [{word: snapshot.speller.candidates(word) for word in words} for snapshot in self.snapshots]
