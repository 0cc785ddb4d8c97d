"""Keyword in context: every occurrence of a query's words, with the text on either side.

The occurrences are the spans passages highlight (passages.find_matches: the query's
terms and phrases, found with the indexing analysis, so "refugee" finds "refugees").
Context is cut to `width` characters, whitespace collapsed, so that the lines align.
"""

from __future__ import annotations

import re
from typing import Iterator, Mapping

from .model import Article, Concordance, Wanted
from .passages import Analyze, find_matches

_SPACE = re.compile(r"\s+")


def occurrences(article: Article, rank: int, wanted: Mapping[str, Wanted], analyze: Analyze,
                width: int) -> Iterator[Concordance]:
    """The occurrences of `wanted` in an article's title, caption and body, in reading order."""
    for field, text in (("title", article.title), ("caption", article.caption), ("body", article.body)):
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
