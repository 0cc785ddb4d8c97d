"""What a search answers: `Results` assembled from one reading session.

`Index.search` opens (or reuses) the snapshot of the last commit and hands it here.
Every step of one answer reads the same snapshot (snapshot.py): find the matches and
their scores, ask the speller when a word is in no article, count the facets, order
the matches and show near-duplicates once, then copy the hits out into our
dataclasses with their passages. `similar` and the export's `matches` take the same
steps with another query; `nothing_found` says why a result is empty.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Iterator, Sequence

from ..model import FacetCount, Hit, Results
from .filters import check_facets
from .snapshot import Found

if TYPE_CHECKING:
    from .filters import Filters
    from .snapshot import Snapshot


def search(snapshot: Snapshot, query: str, limit: int | None, passages: int | None, *, filters: Filters | None,
           sort: str, facets: Sequence[str], auto_correct: bool, explain: bool, collapse: bool,
           all_words: bool | None) -> Results:
    """Index.search, in one snapshot."""
    if query.strip() == "*" and sort == "relevance":
        sort = "newest"  # (every article scores alike: newest first says more)
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be 1 or more (or None for all), not {limit}")
    if passages is not None and passages < 0:
        raise ValueError(f"passages must be 0 or more, not {passages}")
    check_facets(facets)
    config = snapshot.config
    all_words = config.all_words if all_words is None else all_words
    found = snapshot.find(query, filters, fallback=True, all_words=all_words)
    # (A word in no article leaves no article with every word.)
    lacking = not found.scores or found.matched in ("any", "ranked") or not found.scores.count_every()
    suggestion = snapshot.suggest(query) if lacking else None
    corrected_from = None
    if suggestion is not None and auto_correct:
        corrected_from, query = query, suggestion
        found = snapshot.find(query, filters, fallback=True, all_words=all_words)
    counts = {}
    for facet in facets:
        table = snapshot.metadata.facet(facet)
        counts[facet] = [FacetCount(value, count) for value, count in table.count(found.scores)]
    order, hidden = snapshot.collapsed(found, sort, limit) if collapse else (snapshot.order(found, sort, limit), {})
    passage_count = config.passages if passages is None else passages
    hits = list(snapshot.hits(found, order, passage_count, hidden))
    if explain:
        from .explain import contributions

        hits = [replace(hit, contributions=contributions(found.searcher, found.scored_by(docnum), docnum))
                for hit, (docnum, _) in zip(hits, order)]
    return Results(hits, total=len(found.scores), matched=found.matched,  # type: ignore[arg-type]
                   query=str(found.query), facets=counts, suggestion=suggestion, corrected_from=corrected_from,
                   variants=found.expansions, every_word=found.scores.count_every())


def matches(snapshot: Snapshot, query: str, *, filters: Filters | None, sort: str,
            all_words: bool | None) -> tuple[int, Iterator[Hit]]:
    """Index.matches, in one snapshot: the count at once, the hits as they are read."""
    found = snapshot.find(query, filters, all_words=all_words)
    order = snapshot.order(found, sort, None)
    return len(order), snapshot.hits(found, order, None)


def similar(snapshot: Snapshot, article_id: str, limit: int, *, terms: int, passages: int) -> Results | None:
    """Index.similar, in one snapshot."""
    from . import matching
    from .query import more_like

    searcher = snapshot.searcher
    docnum = searcher.document_number(id=article_id)
    if docnum is None:
        return None
    query = more_like(searcher, searcher.stored_fields(docnum), terms)
    if query is None:  # (an article with no words to look for)
        return Results([], total=0, matched="ranked", query="")
    scores = matching.scores(searcher, query, snapshot.columns)
    # (its own near-duplicates are the same story, not related ones)
    copies = [searcher.document_number(id=copy) for copy in snapshot.duplicates_of(article_id)]
    scores = scores.without([docnum, *(number for number in copies if number is not None)])
    found = Found(searcher, scores.none_every(), query, "ranked")  # (hits have some of its words)
    order, hidden = snapshot.collapsed(found, "relevance", limit)  # (near-duplicates shown once here too)
    hits = list(snapshot.hits(found, order, passages, hidden))
    return Results(hits, total=len(scores), matched="ranked", query=str(query))


def nothing_found(snapshot: Snapshot, query: str, filters: Filters | None, per: str | None,
                  all_words: bool | None) -> str:
    """Index.nothing_found, in one snapshot."""
    if snapshot.searcher.doc_count() == 0:
        return "The index holds no articles (run `searcher index CORPUS`)."
    where = filters.describe() if filters else ""
    where = f" ({where})" if where else ""
    problems = filters.problems(snapshot.metadata) if filters else []
    if per and not problems and len(snapshot.find(query, filters, all_words=all_words).scores):
        return f"No article matching {query!r}{where} has a {per}."
    return f"No article matches {query!r}{where}." + "".join(f"\n  {problem}" for problem in problems)
