"""Renderers: the same hits and passages as JSON-ready data, HTML or terminal text.

A passage is text plus match spans; each renderer decides what a match looks
like. Write another renderer (Markdown, LaTeX...) the same way: walk the spans.
Only `passage_to_rich` needs rich, and imports it when called.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any, Callable

from .model import Hit, Passage
from .text import safe

if TYPE_CHECKING:
    from rich.text import Text


def render_spans(passage: Passage, plain: Callable[[str], str], match: Callable[[str], str]) -> str:
    """The passage's text with each unmatched piece passed to `plain` and each match to `match`."""
    pieces, at = [], 0
    for span in sorted(passage.spans, key=lambda s: s.start):
        if span.start < at:
            continue  # overlapping spans: the first one wins
        pieces.append(plain(passage.text[at:span.start]))
        pieces.append(match(passage.text[span.start:span.end]))
        at = span.end
    pieces.append(plain(passage.text[at:]))
    return "".join(pieces)


def passage_to_html(passage: Passage, tag: str = "mark") -> str:
    """The passage as HTML, each match in `<mark>` (or `tag`)."""
    return render_spans(passage, html.escape, lambda text: f"<{tag}>{html.escape(text)}</{tag}>")


def passage_to_rich(passage: Passage, style: str = "", match_style: str = "bold black on yellow") -> Text:
    """The passage as rich Text, matches styled; never parsed as markup."""
    from rich.text import Text

    text = Text(safe(passage.text), style=style)
    for span in passage.spans:
        text.stylize(match_style, span.start, span.end)
    return text


def passage_to_dict(passage: Passage) -> dict[str, Any]:
    return {
        "field": passage.field,
        "text": passage.text,
        "spans": [[span.start, span.end] for span in passage.spans],
        "terms": [span.term for span in passage.spans],
        "score": round(passage.score, 4),
    }


def hit_to_dict(hit: Hit, matched: str = "all") -> dict[str, Any]:
    """One hit as a JSON object: what `searcher search --json` prints, one per line.

    `matched` is the search's Results.matched: "all", "any" (no article had all the words)
    or "ranked" (a long query, ranked over any of its words).
    """
    article = hit.article.to_dict()
    del article["body"]  # the passages carry the text that matters; `searcher show ID` has the rest
    fields = {key: value for key, value in article.items() if key not in ("id", "title")}
    return {
        "rank": hit.rank,
        "id": hit.id,
        "matched": matched,
        "score": round(hit.score, 4),
        "title": hit.title.text,
        "title_spans": [[span.start, span.end] for span in hit.title.spans],
        "fields": fields,
        "passages": [passage_to_dict(passage) for passage in hit.passages],
    }
