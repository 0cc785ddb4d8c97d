"""Passages: the best pieces of a hit's text, with the matched terms as spans.

An article's body is cut into paragraphs, and a paragraph longer than
`max_chars` into windows of whole sentences (never cutting a word). Each
passage is scored by the query terms it holds: first how many distinct terms,
then their weight (idf, growing slowly with repeats). Passages are data; the
renderers in `render` turn them into terminal text or HTML.
"""

from __future__ import annotations

import bisect
import math
import re
from typing import Callable, Iterable, Mapping

from .analysis import term_keys
from .model import Passage, Span
from .query import Wanted

#: analyze(text, only) -> (start, end, term) of every token of `text`; with `only`
#: (analysis.term_keys of the wanted terms), a token whose term can't be wanted may
#: come with "" (see analysis.TermCache.tokens).
Analyze = Callable[[str, "set[str] | None"], Iterable[tuple[int, int, str]]]

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*|\n(?=[ \t]+\S)")
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*\s+")
_SPACE = re.compile(r"\s+")


def split_passages(text: str, max_chars: int = 300) -> list[tuple[int, int]]:
    """(start, end) of each passage of `text`: paragraphs, long ones cut into sentence windows."""
    ranges = []
    start = 0
    for match in _PARAGRAPH_BREAK.finditer(text):
        ranges.extend(_windows(text, start, match.start(), max_chars))
        start = match.end()
    ranges.extend(_windows(text, start, len(text), max_chars))
    return ranges


def _windows(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Cut text[start:end] into windows of at most max_chars, at sentence ends when possible."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    windows = []
    while start < end:
        if end - start <= max_chars:
            windows.append((start, end))
            break
        limit = start + max_chars
        cut = None
        for match in _SENTENCE_END.finditer(text, start, limit + 1):
            cut = match.end()  # the last sentence end that fits
        if cut is None:
            space = text.rfind(" ", start, limit + 1)
            if space <= start:  # one word longer than the window: keep it whole
                found = _SPACE.search(text, limit, end)
                space = found.start() if found else end
            cut = space
        piece_end = cut
        while piece_end > start and text[piece_end - 1].isspace():
            piece_end -= 1
        windows.append((start, piece_end))
        start = cut
        while start < end and text[start].isspace():
            start += 1
    return windows


def find_matches(text: str, wanted: Wanted | None, analyze: Analyze) -> list[Span]:
    """Spans of `text` that match: tokens whose term is wanted, and whole phrase occurrences.

    A word of a phrase is highlighted only where the phrase is, as one span.
    """
    if wanted is None or not text or not (wanted.terms or wanted.phrases):
        return []
    tokens = list(analyze(text, term_keys([*wanted.terms, *(word for phrase in wanted.phrases for word in phrase)])))
    spans = [Span(start, end, term) for start, end, term in tokens if term in wanted.terms]
    for phrase in wanted.phrases:
        size = len(phrase)
        for at in range(len(tokens) - size + 1):
            if all(tokens[at + k][2] == word for k, word in enumerate(phrase)):
                spans.append(Span(tokens[at][0], tokens[at + size - 1][1], " ".join(phrase)))
    spans.sort(key=lambda span: (span.start, -span.end))
    merged: list[Span] = []
    for span in spans:
        if not merged or span.start >= merged[-1].end:
            merged.append(span)  # a word inside a phrase already highlighted is left out
    return merged


def whole_text(text: str, wanted: Wanted | None, analyze: Analyze, field: str = "title") -> Passage:
    """`text` as one passage (a title, say), whitespace collapsed, with its matches."""
    spans = find_matches(text, wanted, analyze)
    collapsed, spans = _collapse(text, 0, len(text), spans)
    return Passage(collapsed, tuple(spans), _score(spans, {}), 0, field)


def best_passages(
    fields: Iterable[tuple[str, str]],
    wanted: Mapping[str, Wanted],
    weights: Mapping[str, float],
    analyze: Analyze,
    count: int,
    max_chars: int = 300,
) -> list[Passage]:
    """The `count` best passages of `fields` ((field name, text) pairs, in reading order).

    `wanted` gives each field's terms and phrases to match, `weights` each term's (or
    phrase's) weight.
    When no passage matches, the first passage (the lead) is returned alone.
    """
    if count <= 0:
        return []
    candidates: list[Passage] = []
    lead: Passage | None = None
    index = 0  # the passage's position in reading order, across fields
    for fieldname, text in fields:
        if not text:
            continue
        spans = find_matches(text, wanted.get(fieldname), analyze)
        ranges = split_passages(text, max_chars)
        starts = [start for start, _ in ranges]
        per_range: list[list[Span]] = [[] for _ in ranges]
        for span in spans:
            at = bisect.bisect_right(starts, span.start) - 1
            if at >= 0 and span.end <= ranges[at][1]:
                per_range[at].append(span)
        for (start, end), matched in zip(ranges, per_range):
            if matched:
                passage_text, shifted = _collapse(text, start, end, matched)
                candidates.append(Passage(passage_text, tuple(shifted), _score(matched, weights), index, fieldname))
            elif lead is None and fieldname == "body":
                lead = Passage(_collapse(text, start, end, [])[0], (), 0.0, index, fieldname)
            index += 1
    best = sorted(candidates, key=lambda p: (-p.score, p.index))[:count]
    return best if best or lead is None else [lead]


def _score(spans: list[Span], weights: Mapping[str, float]) -> float:
    """Distinct terms count first (the integer part); their weight breaks ties (the fraction)."""
    counts: dict[str, int] = {}
    for span in spans:
        counts[span.term] = counts.get(span.term, 0) + 1
    weight = sum(weights.get(term, 1.0) * (1.0 + math.log(n)) for term, n in counts.items())
    return len(counts) + weight / (weight + 1.0)


def _collapse(text: str, start: int, end: int, spans: list[Span]) -> tuple[str, list[Span]]:
    """text[start:end] with runs of whitespace made one space, and the spans moved to match."""
    piece = text[start:end]
    runs = [(m.start(), m.end()) for m in _SPACE.finditer(piece)]
    lead = runs[0][1] if runs and runs[0][0] == 0 else 0
    collapsed = _SPACE.sub(" ", piece).strip()
    # removed[i]: characters removed before the end of run i.
    run_ends, removed, total = [], [], lead
    for run_start, run_end in runs:
        if run_start == 0:
            continue
        total += run_end - run_start - 1
        run_ends.append(run_end)
        removed.append(total)

    def moved(offset: int) -> int:
        at = bisect.bisect_right(run_ends, offset) - 1
        return offset - (removed[at] if at >= 0 else lead)

    shifted = [Span(moved(s.start - start), moved(s.end - start), s.term) for s in spans]
    return collapsed, shifted
