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

from ..engine.tokens import TOKEN, term_keys
from ..model import Passage, Span, Wanted

#: analyze(text, only) -> (start, end, term) of every token of `text`; with `only`
#: (tokens.term_keys of the wanted terms), a token whose term can't be wanted may
#: come with "" (see tokens.TermCache.tokens).
Analyze = Callable[[str, "set[str] | None"], Iterable[tuple[int, int, str]]]


_Match = tuple[int, int, str]  # a Span's start, end and term, before it is shown


class Candidates:
    """Where a text may hold one of some terms: the places where every word whose term
    is one of them starts (and some other words), found without analysing the text.

    A word's term is its stem (Porter's), and a stem starts its word ("refuge" of
    "refugees"), in any case ("IDLIB"), but for its last letter when Porter's last steps
    made it: an i for a y ("happi" of "happy"), an e ("hope" of "hoping", "relate" of
    "relational"), the l of "possibl" ("possibility"). So the word starts with the stem,
    or the stem less a last i, e or l (checked on the 113,944 words of TIME, BBC and
    Reuters: tests/test_query_engine.py). The other ways a word becomes its term are
    matched too: acronym dots ("U.S." is "us"), thousands separators ("1,300" is
    "1300"), curly apostrophes ("O’Brien"); any word with a letter that is not ASCII
    (whose accents analysis removes) is a candidate. Porter never changes a word's first
    letter: a term of one letter is a candidate in every word that starts with it.
    """

    def __init__(self, terms: Iterable[str]) -> None:
        #: What each word starts with (see above), found in the text in lower case with
        #: str.find; the ones with a digit or an apostrophe, written other ways, by `pattern`.
        self.literals: list[str] = []
        self._alone: set[str] = set()  # literals that are a whole word, not its start
        acronyms: set[str] = set()
        parts: list[str] = []
        for term in sorted(set(terms)):
            # (Porter never changes a word's first letter: a stem "i" is a word in i...)
            stem = term[:-1] if term[-1:] in _MADE_LAST and len(term) > 1 else term
            if stem.isalpha() and stem.isascii():
                self.literals.append(stem)
                if len(stem) > 1:
                    acronyms.add(".".join(stem))  # (an acronym: "n.a.t" of "N.A.T.O.", term "nato")
                    self.literals.append(".".join(stem))
                elif len(term) == 1 and term not in _VOWELS:
                    # Porter takes no ending off a word that would leave one consonant (it
                    # keeps a vowel): a consonant term ("t" of "t-mobile") is a word alone.
                    self._alone.add(stem)
            elif _PLAIN.fullmatch(stem):
                # Letters and digits ("3g", "280bn", "2004", "1.5"): as written, but for a
                # number's thousands separators ("2,004", "1,300.5"), which only a number
                # of four digits or more has, in one way.
                self.literals.append(stem)
                number = _NUMBER.fullmatch(stem)
                if number and len(number[1]) > 3:
                    self.literals.append(_grouped(number[1]) + (number[2] or ""))
            else:
                parts.append(_written(stem))
        # A word's term starts where the word does: not after a letter (a word can start
        # right after a digit: "700,000MEMBER" is "700,000" and "MEMBER"). A word with
        # an accent (which analysis removes) is a candidate wherever the accent is.
        alternatives = "|".join(sorted(parts, key=len, reverse=True))
        # (For a text whose lower case is longer, rare: case-blind, in the text itself.)
        self._case_blind = rf"{_WORD_START}(?:{alternatives})|(?![\x00-\x7f])\w" if parts else r"(?![\x00-\x7f])\w"
        # (The same written forms, searched for in the text in lower case: a pattern that
        # starts with a letter is found as fast as str.find finds it, and the word start
        # is checked after; the lookbehind and the case-blind match tried every position.)
        self._written = re.compile(alternatives) if parts else None
        # A literal of one or two characters is in most texts many times, mostly inside
        # words: where it starts one is found by a pattern (from those of every search,
        # _SHORT_STARTS), not by checking each place str.find finds.
        self._short = [_short_starts(literal, literal in self._alone) for literal in self.literals if len(literal) <= 2]
        self._long = [literal for literal in self.literals if len(literal) > 2 and literal not in acronyms]
        # (An acronym's letters with dots between, "n.a.t": looked for only in a text that
        # has a letter, a dot and a letter somewhere.)
        self._acronyms = [literal for literal in self.literals if len(literal) > 2 and literal in acronyms]
        # The terms of each word met, by the terms looked for (the same for every hit of
        # a search: a word is analysed once a search, not once a hit).
        self._known: dict[frozenset[str], tuple[set[str], dict[str, list[str]]]] = {}
        # A word's term as a phrase reads it ("": not one looked for), None for a word
        # that analysis leaves out (no term at all: not a place of the phrase).
        self._present: dict[str, str | None] = {}

    def spans(self, text: str, terms: set[str], analyze: Analyze) -> list[Span]:
        """The spans of `text`'s words whose term is in `terms` (a subset of those the
        candidates were made for), as find_matches finds them, from the candidates only."""
        return [Span(*match) for match in self.matches(text, terms, analyze)]

    def wanted_matches(self, text: str, wanted: Wanted, analyze: Analyze) -> list[_Match]:
        """What find_matches finds of `wanted` (whose terms and phrases' words the
        candidates were made for), as (start, end, term) tuples, from the candidates: a
        phrase starts at its first word's, and the words after it are read one by one
        (a phrase of common words over a whole text took 1.5 ms an article)."""
        if not wanted.phrases:
            return self.matches(text, wanted.terms, analyze)
        words = set(wanted.terms).union(*wanted.phrases)
        found = self.matches(text, words, analyze)
        matches = [match for match in found if match[2] in wanted.terms]
        keys, present = self._known[frozenset(words)][0], self._present
        for phrase in wanted.phrases:
            for start, end, term in found:
                if term == phrase[0]:
                    end = _phrase_end(text, end, phrase[1:], analyze, keys, present)
                    if end is not None:
                        matches.append((start, end, " ".join(phrase)))
        return _outermost(matches)

    def matches(self, text: str, terms: set[str], analyze: Analyze) -> list[_Match]:
        """`spans` as (start, end, term) tuples: most are never shown (best_passages)."""
        looked_for = frozenset(terms)
        remembered = self._known.get(looked_for)
        if remembered is None:
            remembered = self._known[looked_for] = (term_keys(terms), {})
        keys, known = remembered  # (known: a word's terms, by word; a word is one term, or none)
        matches: list[_Match] = []
        done = 0  # where the last word read ends: candidates before it are in it
        token = TOKEN.match
        for at in self._places(text):
            if at < done:
                continue
            # The word holding the candidate starts after the last character that no
            # word holds: from there, words are found as from the start of the text.
            start = at
            while start and ((before := text[start - 1]) in _JOINERS or before.isalnum() or before == "_"):
                start -= 1
            word = token(text, start)
            if word is None or word.end() <= at:
                for word in TOKEN.finditer(text, start):
                    if word.end() > at:
                        break
                start = word.start()
            done = word.end()
            written = word.group()
            found = known.get(written)
            if found is None:
                found = known[written] = [term for _, _, term in analyze(written, keys) if term in terms]
            for term in found:
                matches.append((start, done, term))
        return matches

    def _places(self, text: str) -> list[int]:
        """Where candidates start in `text`, in order (some twice)."""
        lower = text.lower()
        if len(lower) != len(text):  # (a letter whose lower case is longer: offsets would move)
            places = [found.start() for found in re.finditer(self._case_blind, text, re.IGNORECASE)]
            if self.literals:
                whole = "|".join(re.escape(literal) for literal in self.literals)
                places += [found.start() for found in re.finditer(rf"{_WORD_START}(?:{whole})", text, re.IGNORECASE)]
            return sorted(places)
        # (Letters that are not ASCII: found among the characters that are not.)
        places = [] if lower.isascii() else [
            found.start() for found in _NOT_ASCII.finditer(text) if _is_word(found.group())]
        if self._written is not None:
            search = self._written.search
            found = search(lower)
            while found is not None:  # (every place the pattern matches, overlapping or not)
                at = found.start()
                if not at or not _is_word(text[at - 1]) or text[at - 1].isdecimal():
                    places.append(at)
                found = search(lower, at + 1)
        for starts in self._short:
            places += [found.start() for found in starts.finditer(lower)]
        for literal in self._long + self._acronyms if self._acronyms and _DOTTED.search(lower) else self._long:
            at = lower.find(literal)
            while at >= 0:
                if not at or not _is_word(text[at - 1]) or text[at - 1].isdecimal():
                    places.append(at)
                at = lower.find(literal, at + 1)
        places.sort()
        return places


def _phrase_end(text: str, at: int, rest: tuple[str, ...], analyze: Analyze, keys: set[str],
                present: dict[str, str | None]) -> int | None:
    """Where a phrase whose first word ends at `at` ends, when the words after that one
    are `rest`, as _analysed_matches reads the tokens (a word without a term is no
    place); None when they are not."""
    search = TOKEN.search
    for word in rest:
        term = None
        while term is None:
            token = search(text, at)
            if token is None:
                return None
            at = token.end()
            written = token.group()
            if written in present:
                term = present[written]
            else:
                analysed = list(analyze(written, keys))
                term = present[written] = analysed[0][2] if analysed else None
        if term != word:
            return None
    return at


def _outermost(matches: list[_Match]) -> list[_Match]:
    """The matches in reading order, less a word inside a phrase already highlighted."""
    matches.sort(key=lambda match: (match[0], -match[1]))
    merged: list[_Match] = []
    for match in matches:
        if not merged or match[0] >= merged[-1][1]:
            merged.append(match)
    return merged


def _short_starts(literal: str, alone: bool) -> re.Pattern[str]:
    """Where a word starts with `literal` (and, `alone`, is no more than it), in a text
    in lower case: the literal, then a look back at the character before it (so that
    the search runs on the literal's first character). A word starts after what is not
    a letter: the start of the text, a space or a sign, or a digit (_WORD_START)."""
    key = (literal, alone)
    found = _SHORT_STARTS.get(key)
    if found is None:
        escaped = re.escape(literal)
        found = _SHORT_STARTS[key] = re.compile(rf"{escaped}(?<![^\W\d]{escaped})" + (r"(?!\w)" if alone else ""))
    return found


_SHORT_STARTS: dict[tuple[str, bool], re.Pattern[str]] = {}  # (at most some thousands: literals of two characters)
_MADE_LAST = ("i", "e", "l")  # the last letters of a stem that its word may not have there
_VOWELS = frozenset("aeiouy")
_PLAIN = re.compile(r"[a-z0-9.]+", re.ASCII)
_NUMBER = re.compile(r"(\d+)(\.\d+)?", re.ASCII)
_WORD_START = r"(?<![^\W\d])"  # not after a letter (or _): \w less the digits, which \d (str.isdecimal) are
_NOT_ASCII = re.compile(r"[^\x00-\x7f]")
_DOTTED = re.compile(r"\.(?<=[a-z]\.)[a-z]")  # (in a text in lower case: what an acronym's literal needs)
_JOINERS = ".'’,"  # what a word (tokens.TOKEN_PATTERN) may hold besides the characters of \w


def _is_word(char: str) -> bool:  # (what the regular expression \w matches)
    return char.isalnum() or char == "_"


def _grouped(digits: str) -> str:
    """Digits as a number with thousands separators writes them (the only way
    tokens.TOKEN_PATTERN reads them as one number): "1300" is "1,300"."""
    head = len(digits) % 3 or 3
    return ",".join([digits[:head], *(digits[at:at + 3] for at in range(head, len(digits), 3))])


def _written(stem: str) -> str:
    """A pattern of `stem` as written: an apostrophe may be curly, and digits may have
    thousands separators between them ("1,300.5" is 1300.5)."""
    return _BETWEEN_DIGITS.sub(",?", re.escape(stem).replace("'", "['’]"))


_BETWEEN_DIGITS = re.compile(r"(?<=\d)(?=\d)")


_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*|\n(?=[ \t]+\S)")
#: What comes before a window's last sentence end, and that end: its mark, closing
#: quotes and brackets, white space. (A sentence end can't start inside another, so
#: the last one is the one that starts last: found from the window's end backwards.)
_TO_LAST_SENTENCE_END = re.compile(r"(?s:.*)[.!?][\"'”’)\]]*\s+")
_SPACE = re.compile(r"\s+")


def paragraphs(text: str) -> list[str]:
    """The paragraphs of an article's text, as a page shows them, each on one line: cut
    where passages are (a blank line, or a line break before an indented line: Reuters'
    lines are wrapped at 65 characters, its paragraphs indented), else, in a text with
    neither, at each line break (one paragraph a line)."""
    parts = _PARAGRAPH_BREAK.split(text) if _PARAGRAPH_BREAK.search(text) else text.split("\n")
    return [" ".join(part.split()) for part in parts if part.strip()]


def split_passages(text: str, max_chars: int = 300, until: int | None = None) -> list[tuple[int, int]]:
    """(start, end) of each passage of `text`: paragraphs, long ones cut into sentence
    windows; with `until`, those of the paragraphs up to the one holding that place."""
    ranges = []
    start = 0
    for match in _PARAGRAPH_BREAK.finditer(text):
        ranges.extend(_windows(text, start, match.start(), max_chars))
        start = match.end()
        if until is not None and start > until and ranges:
            return ranges
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
        last = _TO_LAST_SENTENCE_END.match(text, start, limit + 1)  # (the last sentence end that fits)
        if last is not None:
            cut = last.end()
        else:
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
    return [Span(*match) for match in _analysed_matches(text, wanted, analyze)]


def _analysed_matches(text: str, wanted: Wanted | None, analyze: Analyze) -> list[_Match]:
    """find_matches as (start, end, term) tuples, from analysing the whole text."""
    if wanted is None or not text or not (wanted.terms or wanted.phrases):
        return []
    tokens = list(analyze(text, term_keys([*wanted.terms, *(word for phrase in wanted.phrases for word in phrase)])))
    matches = [(start, end, term) for start, end, term in tokens if term in wanted.terms]
    for phrase in wanted.phrases:
        size = len(phrase)
        for at in range(len(tokens) - size + 1):
            if all(tokens[at + k][2] == word for k, word in enumerate(phrase)):
                matches.append((tokens[at][0], tokens[at + size - 1][1], " ".join(phrase)))
    return _outermost(matches)


def whole_text(text: str, wanted: Wanted | None, analyze: Analyze, field: str = "title",
               candidates: Candidates | None = None) -> Passage:
    """`text` as one passage (a title, say), whitespace collapsed, with its matches (found
    from `candidates`, when given: see best_passages)."""
    if candidates is not None and wanted is not None:
        matches = candidates.wanted_matches(text, wanted, analyze)
    else:
        matches = _analysed_matches(text, wanted, analyze)
    collapsed, spans = _collapse(text, 0, len(text), matches)
    return Passage(collapsed, tuple(spans), _score(matches, {}), 0, field)


def best_passages(
    fields: Iterable[tuple[str, str]],
    wanted: Mapping[str, Wanted],
    weights: Mapping[str, float],
    analyze: Analyze,
    count: int,
    max_chars: int = 300,
    candidates: Mapping[str, Candidates] | None = None,
) -> list[Passage]:
    """The `count` best passages of `fields` ((field name, text) pairs, in reading order).

    `wanted` gives each field's terms and phrases to match, `weights` each term's (or
    phrase's) weight. With `candidates` (see candidates_of), only the words that may
    be a wanted term are analysed; without, the whole text is: the passages are the
    same.
    When no passage matches, the first passage (the lead) is returned alone.
    """
    if count <= 0:
        return []
    fields = list(fields)
    found: list[tuple] = []  # type: ignore[type-arg]
    lead: tuple[int, str, int, int] | None = None  # (index, text, start, end): made a Passage only when shown
    index = 0  # the passage's position in reading order, across fields
    for number, (fieldname, text) in enumerate(fields):
        if not text:
            continue
        field_wanted = wanted.get(fieldname)
        finder = candidates.get(fieldname) if candidates is not None and field_wanted is not None else None
        if finder is None:
            matches = _analysed_matches(text, field_wanted, analyze)
        else:
            matches = finder.wanted_matches(text, field_wanted, analyze)  # type: ignore[arg-type]
        until = None
        if number == len(fields) - 1:
            # The last field's passages after its last match change nothing (their
            # places come after every other's); with no match, only its lead may be shown.
            if matches:
                until = matches[-1][0]
            elif found or lead is not None or fieldname != "body":
                continue
            else:
                until = 0
        ranges = split_passages(text, max_chars, until)
        starts = [start for start, _ in ranges]
        per_range: list[list[_Match]] = [[] for _ in ranges]
        for match in matches:
            at = bisect.bisect_right(starts, match[0]) - 1
            if at >= 0 and match[1] <= ranges[at][1]:
                per_range[at].append(match)
        for (start, end), matched in zip(ranges, per_range):
            if matched:
                found.append((index, fieldname, text, start, end, matched))
            elif lead is None and fieldname == "body":
                lead = (index, text, start, end)
            index += 1
    best = []
    for score, index, fieldname, text, start, end, matched in _best(found, weights, count):
        passage_text, shifted = _collapse(text, start, end, matched)  # (only the passages shown)
        best.append(Passage(passage_text, tuple(shifted), score, index, fieldname))
    if best or lead is None:
        return best
    index, text, start, end = lead
    return [Passage(_collapse(text, start, end, [])[0], (), 0.0, index, "body")]


def _best(found: list[tuple], weights: Mapping[str, float], count: int) -> list[tuple]:  # type: ignore[type-arg]
    """The `count` best of the passages `found` ((index, field, text, start, end,
    matches) each), scored (_score), best first: the highest score, then the first in
    reading order. A passage with fewer distinct terms than the `count`-th most has a
    lower score than all those (the terms count first): it is not scored."""
    distinct = [len({match[2] for match in item[5]}) for item in found]
    bar = sorted(distinct, reverse=True)[count - 1] if len(found) > count else 0
    scored = [(_score(item[5], weights), *item) for item, terms in zip(found, distinct) if terms >= bar]
    scored.sort(key=_best_first)
    return scored[:count]


def _best_first(item: tuple) -> tuple[float, int]:  # type: ignore[type-arg]
    return -item[0], item[1]  # (the highest score, then the first in reading order)


def candidates_of(wanted: Mapping[str, Wanted]) -> dict[str, Candidates]:
    """The Candidates of each field's wanted terms and phrases' words, made once for
    every hit."""
    made: dict[frozenset[str], Candidates] = {}  # (the stemmed fields look for the same terms: one for all)
    by_field: dict[str, Candidates] = {}
    for name, entry in wanted.items():
        terms = frozenset(entry.terms.union(*entry.phrases))
        if terms:
            if terms not in made:
                made[terms] = Candidates(terms)
            by_field[name] = made[terms]
    return by_field


def _score(matches: list[_Match], weights: Mapping[str, float]) -> float:
    """Distinct terms count first (the integer part); their weight breaks ties (the fraction)."""
    counts: dict[str, int] = {}
    for _, _, term in matches:
        counts[term] = counts.get(term, 0) + 1
    weight = sum(weights.get(term, 1.0) * (1.0 + math.log(n)) for term, n in counts.items())
    return len(counts) + weight / (weight + 1.0)


def _collapse(text: str, start: int, end: int, matches: list[_Match]) -> tuple[str, list[Span]]:
    """text[start:end] with runs of whitespace made one space, and the matches as spans
    moved to match."""
    piece = text[start:end]
    collapsed = " ".join(piece.split())  # (str.split's white space is the regular expression \s)
    if collapsed == piece:  # (most passages: single spaces only, nothing moves)
        return collapsed, [Span(match_start - start, match_end - start, term) for match_start, match_end, term in matches]

    def moved(offset: int) -> int:
        before = piece[:offset]
        position = len(" ".join(before.split()))
        # A word after white space has one space before it (none at the start).
        return position + 1 if position and before[-1].isspace() else position

    return collapsed, [Span(moved(match_start - start), moved(match_end - start), term)
                       for match_start, match_end, term in matches]
