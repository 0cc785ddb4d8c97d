"""What a search answers: `Results` assembled from one reading session of each shard.

`Index.search` opens (or reuses) the snapshot of the last commit (one a shard, for a
sharded index) and hands them here. Every step of one answer reads the same snapshots
(snapshot.py): find the matches and their scores, ask the speller when a word is in
no article, count the facets, order the matches and show near-duplicates once, then
copy the hits out into our dataclasses with their passages; a sharded index's answers
are merged as one index would give them. `similar` and the export's `matches` take the same
steps with another query; `nothing_found` says why a result is empty.
"""

from __future__ import annotations

import heapq
import operator
from dataclasses import replace
from typing import TYPE_CHECKING, Iterator, Sequence

from ..engine.folder import shard_of
from ..model import FacetCount, Hit, Results, Semantic
from ..text import quoted
from .filters import check_facets
from .shard import Candidate, ShardFetch, ShardMatches, Shards, ShardQuery
from .snapshot import Found

if TYPE_CHECKING:
    from .filters import Filters
    from .snapshot import Snapshot


def whole(name: str, number: object) -> int:
    """A library call's whole-number argument, as an int (numpy's too, whose int64 is no
    int); a TypeError naming it for anything else (a limit of "5": a comparison's error)."""
    if not isinstance(number, bool):
        try:
            return operator.index(number)  # type: ignore[arg-type]
        except TypeError:
            pass
    raise TypeError(f"{name} must be an int, not {type(number).__name__}")


def search(shards: Shards, query: str, limit: int | None, passages: int | None, *,
           filters: Filters | None, sort: str, facets: Sequence[str], auto_correct: bool, explain: bool,
           collapse: bool, all_words: bool | None, offset: int = 0) -> Results:
    """Index.search, asking every shard (one, for an index that is not sharded: see
    shard.py): the shards score with the statistics of them all, and their answers are
    merged as one index's would be (totals and facets summed, the best candidates of
    each ranked together by their sort keys, near-duplicate groups shown once). The
    first `offset` of them are left out (a later page), and only the rest get hits."""
    if query.strip() == "*" and sort == "relevance":
        sort = "newest"  # (every article scores alike: newest first says more)
    limit = None if limit is None else whole("limit", limit)
    passages = None if passages is None else whole("passages", passages)
    offset = whole("offset", offset)
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be 1 or more (or None for all), not {limit}")
    if passages is not None and passages < 0:
        raise ValueError(f"passages must be 0 or more, not {passages}")
    if offset < 0:
        raise ValueError(f"offset must be 0 or more, not {offset}")
    check_facets(facets)
    config = shards.config
    all_words = config.all_words if all_words is None else all_words  # type: ignore[attr-defined]
    passage_count = config.passages if passages is None else passages  # type: ignore[attr-defined]
    wanted = None if limit is None else offset + limit
    request = ShardQuery(query, filters, all_words, sort, wanted, collapse,
                         tuple(facets), passages=passage_count, explain=explain, offset=offset)
    if config.semantic is not None and sort == "relevance":  # type: ignore[attr-defined]
        from ..semantic import fusion

        request = replace(request, vector=_query_vector(config, query), depth=fusion.depth(wanted))
    answers = _find(shards, request)
    suggestion = _suggestion(shards, answers, query)
    corrected_from = None
    if suggestion is not None and auto_correct:
        corrected_from, query = query, suggestion
        request = replace(request, query=query)
        if request.vector is not None:
            request = replace(request, vector=_query_vector(config, query))
        answers = _find(shards, request)
    chosen, answers, fused = _shown(shards, request, answers)
    hits = _hits(shards, answers, chosen[offset:], passage_count, explain, first_rank=offset + 1, fused=fused)
    if fused is not None and explain:
        hits = _with_windows(config, hits)
    first = _first(answers)
    counts = {facet: _facet_counts([answer.facets[facet] for answer in answers]) for facet in facets}
    return Results(hits, total=sum(answer.total for answer in answers), matched=_matched(answers),  # type: ignore[arg-type]
                   query=first.query, facets=counts, suggestion=suggestion, corrected_from=corrected_from,
                   variants=first.expansions, every_word=sum(answer.every for answer in answers))


def _query_vector(config: object, query: str) -> bytes:
    """The query's embedding (float32 bytes: what travels to the shards)."""
    from ..semantic.encoder import encoder, query_text

    return encoder(str(config.semantic)).embed_query(query_text(query)).tobytes()  # type: ignore[attr-defined]


def _fused(answers: list[ShardMatches], depth: int | None) -> dict[tuple[int, int], tuple[tuple, Semantic]]:
    """By (shard's place, article number): the key that places each candidate of every
    shard in the fused ranking, and how it was placed. BM25's ranking and the
    similarity ranking of all the shards, each cut at `depth`, are fused (semantic/
    fusion.py); a short query's matches with every word still come first."""
    from ..semantic.fusion import fused_scores

    by_bm25 = sorted((candidate.key, number, candidate.docnum)
                     for number, answer in enumerate(answers) for candidate in answer.candidates if candidate.ranked)
    by_similarity = sorted((-candidate.similarity, candidate.key[-1], number, candidate.docnum)  # type: ignore[operator]
                           for number, answer in enumerate(answers) for candidate in answer.candidates
                           if candidate.near)
    rankings = [[item[1:] for item in by_bm25[:depth]], [item[2:] for item in by_similarity[:depth]]]
    scores = fused_scores(rankings)
    places = [{item: rank for rank, item in enumerate(ranking, start=1)} for ranking in rankings]
    fused = {}
    for number, answer in enumerate(answers):
        for candidate in answer.candidates:
            item = (number, candidate.docnum)
            score = scores.get(item, 0.0)
            fused[item] = ((candidate.key[0], -score, candidate.key[-1]),
                           Semantic(score, places[0].get(item), candidate.similarity, places[1].get(item),  # type: ignore[arg-type]
                                    candidate.window))
    return fused


def _with_windows(config: object, hits: list[Hit]) -> list[Hit]:
    """The hits with the text of their best window (for --explain)."""
    from ..engine.schema import article_text
    from ..semantic.encoder import encoder

    model = encoder(str(config.semantic))  # type: ignore[attr-defined]
    shown = []
    for hit in hits:
        if hit.semantic is not None:
            text = article_text(hit.article)
            windows, _ = model.windows(text)
            if hit.semantic.window < len(windows):
                window = windows[hit.semantic.window]
                hit = replace(hit, semantic=replace(hit.semantic, window_text=text[window.start:window.end]))
        shown.append(hit)
    return shown


def _find(shards: Shards, request: ShardQuery) -> list[ShardMatches]:
    """Every shard's answer to `request`; when none of them has an article with every
    word (with `all_words`), their answers for the query with any of its words."""
    answers = shards.matches(request)
    if any(answer.can_fall_back for answer in answers) and not any(answer.total for answer in answers):
        answers = shards.matches(replace(request, fallback_only=True))
    return answers


def _matched(answers: list[ShardMatches]) -> str:
    """What the shards' matches are (see Results.matched): "any" when they fell back."""
    return "any" if any(answer.matched == "any" for answer in answers) else _first(answers).matched


def _first(answers: list[ShardMatches]) -> ShardMatches:
    """A shard's answer that says what was searched: the first shard with articles (an
    empty one's query is the query as parsed, never resolved or fallen back)."""
    return next((answer for answer in answers if answer.articles), answers[0])


def _suggestion(shards: Shards, answers: list[ShardMatches], query: str) -> str | None:
    """The "did you mean" query, when the search lacks some of the query's words: the
    words no shard has, each replaced by the nearest, then commonest word of all the
    shards (spelling.closest), as one index would suggest."""
    total, every = sum(answer.total for answer in answers), sum(answer.every for answer in answers)
    if total and _matched(answers) not in ("any", "ranked") and every:
        return None
    # The words no shard has (a shard lacking words says which, in its answer).
    with_articles = [answer for answer in answers if answer.articles] or answers[:1]
    missing = set(with_articles[0].unknown).intersection(*(answer.unknown for answer in with_articles[1:]))
    if not missing:
        return None
    from .spelling import closest, suggestion

    spellings = shards.spellings(sorted(missing))
    return suggestion(query, missing, {word: closest([found[word] for found in spellings]) for word in missing})


def _facet_counts(counted: list[list[tuple[str, int]]]) -> list[FacetCount]:
    """(value, articles) over every shard's matches, most articles first (then by value),
    as one index counts them (filters.Facet.count)."""
    counts: dict[str, int] = {}
    for pairs in counted:
        for value, count in pairs:
            counts[value] = counts.get(value, 0) + count
    return [FacetCount(value, count) for value, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


def _shown(shards: Shards, request: ShardQuery, answers: list[ShardMatches]
           ) -> tuple[list[tuple[int, Candidate]], list[ShardMatches], dict[tuple[int, int], tuple[tuple, Semantic]] | None]:
    """The best `request.wanted` candidates of all the shards, in order, as (shard's
    place, candidate), with (with `request.collapse`) each group of near-duplicates
    shown once, as its best member (a group may span shards: each shard's best member
    is its candidate, and the best of those stands for the group); the shards' answers
    they were chosen from, and (fused) how each candidate was placed (see _fused)."""
    limit = request.wanted
    while True:
        fused = _fused(answers, request.depth) if request.fused else None
        # (Fused, only the candidates in either ranking of the whole index: a shard's
        # candidates deeper than that are not one index's.)
        merged = sorted((fused[number, candidate.docnum][0] if fused else candidate.key, number, candidate.docnum,
                         candidate) for number, answer in enumerate(answers) for candidate in answer.candidates
                        if not fused or fused[number, candidate.docnum][1].fused > 0)
        shown: list[tuple[int, Candidate]] = []
        seen: set[int] = set()
        for _, number, _, candidate in merged:
            if candidate.group is not None:
                if candidate.group[0] in seen:
                    continue
                seen.add(candidate.group[0])
            shown.append((number, candidate))
            if limit is not None and len(shown) == limit:
                return shown, answers, fused
        if request.fused:
            # (Near-duplicates took the room: fuse deeper rankings, when there are more
            # matches than the depth in the whole index, as one index would.)
            if request.depth is None or sum(answer.total for answer in answers) <= request.depth:
                return shown, answers, fused
            request = replace(request, depth=request.depth * 4)
            answers = shards.matches(request)
            continue
        if limit is None or all(answer.complete for answer in answers):
            return shown, answers, fused
        # (Groups spanning shards took the room: look further.)
        wanted = max(len(answer.candidates) for answer in answers) * 4
        request = replace(request, wanted=wanted)
        answers = shards.matches(request)


def _hits(shards: Shards, answers: list[ShardMatches], chosen: list[tuple[int, Candidate]],
          passage_count: int | None, explain: bool, first_rank: int = 1,
          fused: dict[tuple[int, int], tuple[tuple, Semantic]] | None = None) -> list[Hit]:
    """The `chosen` candidates as Hits, in that order (ranked from `first_rank`), each with the ids of the other
    matching members of its group (in the group's order). Those not made already (see
    with_hits) are made now, for those only: the passages are most of their cost."""
    # Each group's matching members, as the shards' candidates say them; a shard that
    # holds a member of a group shown (folder.shard_of), has no candidate of it and more
    # matches than it said may have some.
    members: dict[int, tuple[str, ...]] = {}
    matching: dict[int, set[str]] = {}
    said: dict[int, set[int]] = {}
    for number, answer in enumerate(answers):
        for candidate in answer.candidates:
            if candidate.group is not None:
                place = candidate.group[0]
                members[place] = candidate.members
                matching.setdefault(place, set()).update(candidate.matching)
                said.setdefault(place, set()).add(number)
    shown_groups = sorted({candidate.group[0] for _, candidate in chosen if candidate.group is not None})
    picks: list[list[tuple[int, float]]] = [[] for _ in answers]
    for number, candidate in chosen:
        if candidate.hit is None:
            picks[number].append((candidate.docnum, candidate.score))
    holders = {place: {shard_of(member, len(answers)) for member in members[place]} for place in shown_groups}
    requests = []
    for number, answer in enumerate(answers):
        unsaid = tuple(place for place in shown_groups
                       if number in holders[place] and number not in said[place] and not answer.complete)
        requests.append(ShardFetch(answer.token, tuple(picks[number]), passage_count, explain, unsaid)
                        if picks[number] or unsaid else None)
    fetched = shards.fetch(requests) if any(requests) else [None] * len(answers)
    made: dict[tuple[int, int], Hit] = {}
    for number, one in enumerate(fetched):
        if one is None:
            continue
        made.update(((number, docnum), hit) for (docnum, _), hit in zip(picks[number], one.hits))
        for place, (group, here) in one.groups.items():
            members[place] = tuple(group)
            matching.setdefault(place, set()).update(here)
    hits = []
    for rank, (number, candidate) in enumerate(chosen, start=first_rank):
        hit = candidate.hit or made[number, candidate.docnum]
        duplicates: tuple[str, ...] = ()
        if candidate.group is not None:
            place, own = candidate.group
            duplicates = tuple(member for member in members[place] if member in matching[place] and member != own)
        semantic = fused[number, candidate.docnum][1] if fused else None
        if (hit.rank, hit.duplicates, hit.semantic) != (rank, duplicates, semantic):  # (copying a frozen Hit: 5 µs a hit)
            hit = replace(hit, rank=rank, duplicates=duplicates, semantic=semantic)
        hits.append(hit)
    return hits


def with_hits(shards: Shards, request: ShardQuery) -> list[ShardMatches]:
    """Every shard's answer to `request`, with the hits of the best `request.wanted` of
    all their candidates (as a search merges them; less the first `request.offset`) made already, with
    `request.passages`: what a cluster's worker answers for the shards it holds, so that
    a search of the cluster costs one call to each worker (cluster.py)."""
    answers = shards.matches(request)
    chosen, answers, _ = _shown(shards, request, answers)
    picks: list[list[tuple[int, float]]] = [[] for _ in answers]
    for number, candidate in chosen[request.offset:]:
        picks[number].append((candidate.docnum, candidate.score))
    fetched = shards.fetch([ShardFetch(answer.token, tuple(picked), request.passages, request.explain)
                            if picked else None for answer, picked in zip(answers, picks)])
    for answer, picked, one in zip(answers, picks, fetched):
        if one is not None:
            made = {docnum: hit for (docnum, _), hit in zip(picked, one.hits)}
            answer.candidates = [replace(candidate, hit=made.get(candidate.docnum))
                                 for candidate in answer.candidates]
    return answers


def matches(shards: Sequence[Snapshot], query: str, *, filters: Filters | None, sort: str,
            all_words: bool | None) -> tuple[int, Iterator[Hit]]:
    """Index.matches, in one snapshot of each shard: the count at once, the hits as they
    are read, the shards' merged by Snapshot.sort_key."""
    found = [shard.find(query, filters, all_words=all_words) for shard in shards]
    orders = [shard.order(one, sort, None) for shard, one in zip(shards, found)]
    count = sum(len(order) for order in orders)
    if len(shards) == 1:
        return count, shards[0].hits(found[0], orders[0], None)
    streams = [_keyed_hits(shard, one, order, sort) for shard, one, order in zip(shards, found, orders)]
    merged = heapq.merge(*streams, key=lambda pair: pair[0])
    return count, (replace(hit, rank=rank) for rank, (_, hit) in enumerate(merged, start=1))


def _keyed_hits(shard: Snapshot, found: Found, order: list[tuple[int, float]],
                sort: str) -> Iterator[tuple[tuple, Hit]]:
    """A shard's hits in `order`, each with its Snapshot.sort_key."""
    for (docnum, score), hit in zip(order, shard.hits(found, order, None)):
        yield shard.sort_key(found, sort, docnum, score), hit


def ordered_articles(shards: Sequence[Snapshot], found: Sequence[Found], sort: str,
                     limit: int | None) -> list[tuple[int, int, float]]:
    """The best `limit` matches of every shard in `sort` order, as (shard's place in
    `shards`, article number, score)."""
    return _merged(shards, found, [shard.order(one, sort, limit) for shard, one in zip(shards, found)], sort, limit)


def _merged(shards: Sequence[Snapshot], found: Sequence[Found], orders: Sequence[list[tuple[int, float]]], sort: str,
            limit: int | None) -> list[tuple[int, int, float]]:
    """The best `limit` of each shard's matches in order (`orders`), ranked together by
    Snapshot.sort_key, as (shard's place in `shards`, article number, score)."""
    if len(shards) == 1:
        return [(0, docnum, score) for docnum, score in orders[0]]
    keyed = sorted((shard.sort_key(one, sort, docnum, score), number, docnum, score)
                   for number, (shard, one, order) in enumerate(zip(shards, found, orders)) for docnum, score in order)
    return [(number, docnum, score) for _, number, docnum, score in keyed[:limit]]


def similar(shards: Shards, snapshots: Sequence[Snapshot], article_id: str, limit: int, *, terms: int,
            passages: int) -> Results | None:
    """Index.similar: the key terms of the article `article_id`, weighed with the
    statistics of every shard (read from `snapshots`), searched in every shard; the
    matches ranked together, near-duplicates shown once."""
    from .query import key_terms

    home = snapshots[shard_of(article_id, len(snapshots))]  # (of one: the one)
    docnum = home.searcher.document_number(id=article_id)
    if docnum is None:
        return None
    like = key_terms([snapshot.searcher for snapshot in snapshots], home.searcher.stored_fields(docnum), terms)
    if not like:  # (an article with no words to look for)
        return Results([], total=0, matched="ranked", query="")
    # (its own near-duplicates are the same story, not related ones)
    request = ShardQuery("", None, False, "relevance", limit, True, like=tuple(like),
                         left_out=(article_id, *home.duplicates_of(article_id)), passages=passages)
    if shards.config.semantic is not None:  # type: ignore[attr-defined]
        # (ranked by the articles' vectors, when it has them: better on BBC, see Vectors.means)
        request = replace(request, vector=home.article_vector(docnum))
    answers = shards.matches(request)
    chosen, answers, _ = _shown(shards, request, answers)  # (near-duplicates shown once here too)
    hits = _hits(shards, answers, chosen, passages, False)
    return Results(hits, total=sum(answer.total for answer in answers), matched="ranked", query=answers[0].query)


#: The facet whose values a field of a query holds (`category:coffee`, `place:london`).
_FACET_OF_FIELD = {"source": "source", "category": "category", "dateline": "place"}


def _unknown_values(shards: Sequence[Snapshot], query) -> list[str]:  # type: ignore[no-untyped-def]
    """What to say of the words a query requires in a facet's field that no article has
    there (`category:polit`), as of a filter's value (--category polit)."""
    from .filters import unknown_value
    from .query import required_words

    found = []
    for word in required_words(query):
        facet = _FACET_OF_FIELD.get(word.fieldname)
        if facet is not None and not any((word.fieldname, word.text) in shard.searcher.reader() for shard in shards):
            found.append(unknown_value([shard.metadata.facet(facet) for shard in shards], facet, word.text))
    return found


def nothing_found(shards: Sequence[Snapshot], query: str, filters: Filters | None, per: str | None,
                  all_words: bool | None) -> str:
    """Index.nothing_found, in one snapshot of each shard."""
    if sum(shard.searcher.doc_count() for shard in shards) == 0:
        return "The index holds no articles (run `searcher index CORPUS`)."
    where = filters.describe() if filters else ""
    where = f" ({where})" if where else ""
    from .filters import Filters
    from .query import required_dates

    # (A blank query with filters, from the library, is every article: no words, no dates.)
    searched = shards[0].queries.prepare(query).query if query.strip() else None
    dates = required_dates(searched) if searched is not None else None
    problems = (filters or Filters()).problems([shard.metadata for shard in shards], dates) \
        if filters or dates else []
    if searched is not None:  # (the query's filters and the options' may say one thing: once)
        problems = list(dict.fromkeys(problems + _unknown_values(shards, searched)))
    if per and not problems and any(len(shard.find(query, filters, all_words=all_words).scores) for shard in shards):
        return f"No article matching {quoted(query)}{where} has a {per}."
    return f"No article matches {quoted(query)}{where}." + "".join(f"\n  {problem}" for problem in problems)
