"""Keyword in context: every occurrence of a query's words, with the text on either side.

The occurrences are the spans passages highlight (passages.find_matches: the query's
terms and phrases, found with the indexing analysis, so "refugee" finds "refugees").
Context is cut to `width` characters, whitespace collapsed, so that the lines align.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Iterator, Mapping

from ..errors import QueryError
from ..model import Article, Concordance, Wanted
from ..search.passages import Analyze, find_matches

if TYPE_CHECKING:
    from ..search.filters import Filters
    from ..search.snapshot import Snapshot

_SPACE = re.compile(r"\s+")
_TEXT_FIELDS = ("title", "caption", "body")


def concordance(snapshot: Snapshot, query: str, width: int, *, filters: Filters | None, sort: str,
                limit: int | None, all_words: bool | None) -> Iterator[Concordance]:
    """Index.concordance, in one snapshot: checked at once, read as the iterator is."""
    found = snapshot.find(query, filters, all_words=all_words)
    order = snapshot.order(found, sort, limit)
    wanted = snapshot.wanted(found)
    if found.scores and not any(wanted.get(name) and (wanted[name].terms or wanted[name].phrases)
                                for name in _TEXT_FIELDS):
        raise QueryError(f"{query!r} has no words of the text to show in context", hint="search for words or a phrase")
    return (line for rank, (docnum, _) in enumerate(order, start=1)
            for line in occurrences(snapshot.article(docnum), rank, wanted, snapshot.analyze, width))


def occurrences(article: Article, rank: int, wanted: Mapping[str, Wanted], analyze: Analyze,
                width: int) -> Iterator[Concordance]:
    """The occurrences of `wanted` in an article's title, caption and body, in reading order."""
    for field in _TEXT_FIELDS:
        text = getattr(article, field)
        for span in find_matches(text, wanted.get(field), analyze):
            left = _SPACE.sub(" ", text[max(0, span.start - 3 * width):span.start]).lstrip()
            right = _SPACE.sub(" ", text[span.end:span.end + 3 * width]).rstrip()
            yield Concordance(
                id=article.id, rank=rank, field=field,
                left=left[-width:] if len(left) > width else left,
                match=_SPACE.sub(" ", text[span.start:span.end]),
                right=right[:width],
                term=span.term,
            )
