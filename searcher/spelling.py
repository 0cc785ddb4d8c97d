"""Did you mean: the closest query made of words the index has.

A word of the query is "missing" when none of the fields searched by default holds
it (nor is it a spelling of a name with variants). Each missing word is replaced by
the nearest word the corpus writes (edit distance 1 for a short word, else up to 2,
a swap of two letters counting one), the commonest among equals: the words that
stemming changes come from the index's word list (index.WordList), the others are
the index terms stemming leaves as they are. A word the index has is never
corrected.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from .analysis import TOKEN

#: Words that are operators in a query, not words to correct.
_OPERATORS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"})


@dataclass(frozen=True)
class Correction:
    """A word of the query and what it was replaced with."""

    start: int  # its position in the query text
    written: str
    suggested: str


def corrections(text: str, is_known: Callable[[str], bool], closest: Callable[[str], str | None]) -> list[Correction]:
    """The missing words of `text` and their closest known words (words with none left out)."""
    found = []
    for match in TOKEN.finditer(text):
        word = match.group()
        if word in _OPERATORS or len(word) < 3 or any(c.isdigit() for c in word):
            continue
        if text[match.start() - 1:match.start()] in ("*", "?", ":") or text[match.end():match.end() + 1] in (
                "*", "?", "~", ":"):
            continue  # (wildcards, fuzzy words, field names and a field's words are the user's own)
        if is_known(word):
            continue
        suggestion = closest(word)
        if suggestion and suggestion.lower() != word.lower():
            found.append(Correction(match.start(), word, _cased_as(suggestion, word)))
    return found


def _cased_as(word: str, model: str) -> str:
    """`word` in the case of `model`: "moscow" for "Moskow" is "Moscow"."""
    if model.isupper() and len(model) > 1:
        return word.upper()
    if model[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def corrected(text: str, found: Sequence[Correction]) -> str:
    """`text` with the corrections made."""
    for correction in sorted(found, key=lambda c: -c.start):
        text = text[:correction.start] + correction.suggested + text[correction.start + len(correction.written):]
    return text


def distance(a: str, b: str) -> int:
    """Edit distance, a swap of two neighbouring letters counting as one (optimal string alignment)."""
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            row[j] = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]
