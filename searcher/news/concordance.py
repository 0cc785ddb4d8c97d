"""Keyword in context: every occurrence of a query's words, with the text on either side.

The occurrences are the spans passages highlight (passages.find_matches: the query's
terms and phrases, found with the indexing analysis, so "refugee" finds "refugees"),
found as passages find them, from candidate words.
Context is cut to `width` characters, whitespace collapsed, so that the lines align.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Iterator, Mapping, Sequence

from ..errors import QueryError
from ..model import Article, Concordance, Span, Wanted
from ..search.passages import Analyze, Candidates, candidates_of, find_matches

if TYPE_CHECKING:
    from ..search.filters import Filters
    from ..search.snapshot import Snapshot

_SPACE = re.compile(r"\s+")
_TEXT_FIELDS = ("title", "caption", "body")


def concordance(shards: Sequence[Snapshot], query: str, width: int, *, filters: Filters | None, sort: str,
                limit: int | None, all_words: bool | None) -> Iterator[Concordance]:
    """Index.concordance, in one snapshot of each shard: checked at once, read as the
    iterator is, the articles in the order a search gives them."""
    from ..search.results import ordered_articles

    found = [shard.find(query, filters, all_words=all_words) for shard in shards]
    wanted = [shard.wanted(one) for shard, one in zip(shards, found)]  # (wildcards: each shard's words)
    if any(one.scores and not any(want.get(name) and (want[name].terms or want[name].phrases) for name in _TEXT_FIELDS)
           for one, want in zip(found, wanted)):
        raise QueryError(f"{query!r} has no words of the text to show in context", hint="search for words or a phrase")
    # (Found from candidate words, as passages are: a few words of each text analysed.)
    candidates = [candidates_of({name: want[name] for name in _TEXT_FIELDS if name in want}) for want in wanted]
    return (line for rank, (number, docnum, _) in enumerate(ordered_articles(shards, found, sort, limit), start=1)
            for line in occurrences(shards[number].article(docnum), rank, wanted[number], shards[number].analyze, width,
                                    candidates[number]))


def occurrences(article: Article, rank: int, wanted: Mapping[str, Wanted], analyze: Analyze,
                width: int, candidates: Mapping[str, Candidates] | None = None) -> Iterator[Concordance]:
    """The occurrences of `wanted` in an article's title, caption and body, in reading
    order (found from `candidates`, passages.candidates_of(wanted), when given: the same)."""
    for field in _TEXT_FIELDS:
        text = getattr(article, field)
        finder = candidates.get(field) if candidates is not None else None
        spans = find_matches(text, wanted.get(field), analyze) if finder is None else \
            [Span(*match) for match in finder.wanted_matches(text, wanted[field], analyze)]
        for span in spans:
            left = _SPACE.sub(" ", text[max(0, span.start - 3 * width):span.start]).lstrip()
            right = _SPACE.sub(" ", text[span.end:span.end + 3 * width]).rstrip()
            yield Concordance(
                id=article.id, rank=rank, field=field,
                left=left[-width:] if len(left) > width else left,
                match=_SPACE.sub(" ", text[span.start:span.end]),
                right=right[:width],
                term=span.term,
            )
