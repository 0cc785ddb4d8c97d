"""The plain data searcher hands out: articles, hits, passages and reports.

These are frozen dataclasses with no Whoosh object inside, so a caller can keep
them after the index is closed, pickle them or turn them into JSON.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Literal

from .paths import display_path
from .text import safe

#: The orders of a search's articles, and the periods of a timeline.
SORTS = ("relevance", "newest", "oldest")
PERIODS = ("day", "week", "month", "year")


@dataclass
class Wanted:
    """What to highlight in one field: single terms, and phrases (tuples of terms); the
    query module says it of a query, passages and concordances find it in a text."""

    terms: set[str] = field(default_factory=set)
    phrases: set[tuple[str, ...]] = field(default_factory=set)


class Progress:
    """Receives the progress of long work (an index run, an export); the command line
    draws it (terminal.RichProgress). This one ignores it."""

    def phase(self, name: str, total: int | None, unit: str) -> None:
        """A new phase begins: `total` units of work (None when unknown)."""

    def advance(self, amount: int = 1) -> None:
        """`amount` more units of the current phase are done."""

    def finish(self) -> None:
        """The work is over (also after an error)."""

    def notice(self, message: str) -> None:
        """Something the user should know now, in one line (waiting for another writer)."""


@dataclass(frozen=True)
class Article:
    """One news article, as read from the corpus or stored in the index."""

    id: str
    title: str = ""
    body: str = ""
    caption: str = ""  # the photo caption, without its credit
    credit: str = ""  # the photo credit, e.g. "George Ourfalian/AFP"
    dateline: tuple[str, ...] = ()  # the places the story was filed from
    source: str = ""  # the outlet, e.g. "Asharq Al-Awsat"
    categories: tuple[str, ...] = ()
    date: dt.datetime | None = None
    url: str = ""
    authors: tuple[str, ...] = ()  # the byline's names
    language: str = ""  # as the page declares it ("de", "en-GB"); "" when unknown
    path: str = ""  # the file the article was read from
    line: int | None = None  # its line in that file (JSON lines, CSV) or its WARC record's offset, when known

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict of every field (dates as ISO 8601 strings).

        `line` is there only when known: the index keeps the file, not the line, so
        that an article moved within its file needs no re-indexing.
        """
        data: dict[str, object] = {
            "id": self.id,
            "title": self.title,
            "source": self.source,
            "dateline": list(self.dateline),
            "date": self.date.isoformat() if self.date else None,
            "categories": list(self.categories),
            "url": self.url,
            "authors": list(self.authors),
            "language": self.language,
            "caption": self.caption,
            "credit": self.credit,
            "body": self.body,
            "path": self.path,
        }
        if self.line is not None:
            data["line"] = self.line
        return data


@dataclass(frozen=True)
class Span:
    """A matched term in a passage: `text[start:end]` matched index term `term`."""

    start: int
    end: int
    term: str


@dataclass(frozen=True)
class Passage:
    """A piece of an article's text with the query's matches as character spans.

    `score` orders passages: its integer part is the number of distinct query
    terms the passage holds, the fraction grows with their weight (idf).
    `index` is the passage's position among the article's passages (caption first).
    """

    text: str
    spans: tuple[Span, ...] = ()
    score: float = 0.0
    index: int = 0
    field: str = "body"  # the article field it comes from: body, caption or title


@dataclass(frozen=True)
class Contribution:
    """What one term (or phrase) of the query scored in one field of a hit (--explain)."""

    field: str
    term: str  # the index term ("refuge"), or a phrase in quotes
    score: float


@dataclass(frozen=True)
class Semantic:
    """How semantic ranking placed a hit (an index with vectors, `semantic:` configured):
    its rank by BM25 and by the similarity of its best window to the query (None: deeper
    than the rankings fused), and the fused score that ranked it (semantic/fusion.py)."""

    fused: float
    bm25_rank: int | None
    similarity: float | None  # cosine similarity of its best window to the query (None: it has no vectors)
    similarity_rank: int | None
    window: int  # the number of its best window (0: the first, which starts with the title)
    window_text: str = ""  # that window's text (with explain)


@dataclass(frozen=True)
class Hit:
    """One article found by a search, with its best passages."""

    id: str
    rank: int  # 1 for the best hit
    score: float  # the BM25F score
    article: Article
    title: Passage  # the whole title, with its matches
    passages: tuple[Passage, ...] = ()
    contributions: tuple[Contribution, ...] = ()  # with explain: what each query term scored
    duplicates: tuple[str, ...] = ()  # ids of the matching near-duplicates shown as this one
    matched: Literal["all", "some"] = "all"  # whether it holds every word of the query, or some
    semantic: Semantic | None = None  # with semantic ranking: its ranks and fused score


@dataclass(frozen=True)
class FacetCount:
    """One value of a facet (a source, a category, a place) and how many matching articles have it."""

    value: str
    count: int


class Results(list[Hit]):
    """The hits of a search, best first: a list of `Hit` with a few facts about the search.

    `total` counts every matching article (not only the returned ones), `every_word`
    those with every word of the query. `matched` is "tiered" for a short query
    whose articles with every word come first, then those with some; "all" when every
    query word had to match (the query asked for it, or `all_words`); "any" when,
    with `all_words`, no article had all of them and searcher fell back to articles
    with any of them; or "ranked" for a long query (more than four words), ranked over
    any of its words.
    `query` is the parsed query, for people who want to see what was searched.
    `facets` maps each facet asked for to its values over all matching articles,
    most articles first. `suggestion` is the query with the words no article has
    replaced by the closest the index has ("did you mean"), or None; when it was
    searched instead (auto-correct), `corrected_from` is the query as typed.
    """

    def __init__(self, hits: list[Hit] = (), *, total: int = 0,  # type: ignore[assignment]
                 matched: Literal["all", "any", "ranked", "tiered"] = "all", query: str = "",
                 facets: dict[str, list[FacetCount]] | None = None, suggestion: str | None = None,
                 corrected_from: str | None = None, variants: tuple = (), every_word: int | None = None) -> None:
        super().__init__(hits)
        self.total = total
        self.every_word = total if every_word is None else every_word
        self.matched = matched
        self.query = query
        self.facets = facets or {}
        self.suggestion = suggestion
        self.corrected_from = corrected_from
        self.variants = variants  # variants.Expansion: the words name variants were added to

    def __repr__(self) -> str:
        return f"Results({list.__repr__(self)}, total={self.total}, matched={self.matched!r})"

    @property
    def some_words(self) -> int:
        """The matching articles that hold some of the query's words, not all."""
        return self.total - self.every_word

    @property
    def in_two_groups(self) -> bool:
        """Whether the matches are those with every word, then those with some (both there)."""
        return self.matched == "tiered" and self.some_words > 0 and self.every_word > 0


@dataclass(frozen=True)
class Bucket:
    """One period of a timeline: articles matching, articles published, from `start` to `end`
    (days, inclusive). `partial` when --since or --until cut the period short: `start` and
    `end` are then the days counted, not the whole week, month or year."""

    start: dt.date
    end: dt.date
    label: str  # "1987-03", "1987-W10", "1987", "1987-03-15"
    matches: int
    articles: int
    partial: bool = False

    @property
    def ratio(self) -> float | None:
        """The share of the period's articles that match (None when it has none)."""
        return self.matches / self.articles if self.articles else None


@dataclass(frozen=True)
class Series:
    """A query's matches over time; with --per, those of one source, category or place."""

    query: str
    buckets: tuple[Bucket, ...]
    matches: int  # every matching article, dated or not
    undated: int  # matching articles without a date (in no bucket)
    value: str | None = None  # the facet value, with --per
    undated_articles: int = 0  # of all the articles (under the filters), those without a date
    every_word: int | None = None  # of the matches, those with every word of the query (None: all of them)

    @property
    def label(self) -> str:
        return self.query if self.value is None else f"{self.query} · {self.value}"


@dataclass(frozen=True)
class Timeline:
    """Attention over time: one series per query (and per facet value, with `per`)."""

    by: Literal["day", "week", "month", "year"]
    series: tuple[Series, ...]
    per: str | None = None


@dataclass(frozen=True)
class KeyTerm:
    """A word that characterises the matching articles against the others.

    `matches` is how many matching articles have it, `articles` how many of those
    compared (the index, or the articles under the filters); `score` is Dunning's
    log-likelihood (G2) of that difference, signed: below 0 when the word is rarer
    in the matches.
    """

    word: str  # its most common spelling in the matches
    term: str  # the index term (a stem)
    matches: int
    articles: int
    score: float
    in_query: bool


@dataclass(frozen=True)
class TopWords:
    """What `Index.top_words` found: the words, over `matches` matching articles against
    the `compared` articles of the index (all, or those under the filters), and how many
    matching articles were read to find them (all, or a sample)."""

    terms: tuple[KeyTerm, ...]
    matches: int
    compared: int
    read: int
    filtered: bool = False  # whether those compared are the articles under the filters
    every_word: int | None = None  # of the matches, those with every word of the query (None: all of them)


@dataclass(frozen=True)
class Concordance:
    """One occurrence of a query term, with the text on either side (keyword in context)."""

    id: str
    rank: int  # the article's rank in the search
    field: str  # title, caption or body
    left: str
    match: str
    right: str
    term: str


# The end of a skipped line's or file's message, which "skipped: " says first.
_SKIPPED = re.compile(r"; (?:line |file |row )?skipped$")


@dataclass(frozen=True)
class Problem:
    """Something wrong with one file or line of the corpus.

    An "error" means the file or line was skipped; a "warning" means it was indexed
    anyway (for example a file decoded as cp1252); a "note" is not a problem but a fact
    worth a line (what a web archive held besides pages).
    """

    path: str  # absolute, as in Article.path
    message: str
    line: int | None = None
    severity: Literal["error", "warning", "note"] = "error"
    lines: int = 1  # the lines it stands for: the same problem on many lines is said once for the rest

    def __str__(self) -> str:
        where = display_path(self.path)
        where = f"{where}:{self.line}" if self.line is not None else where
        return f"{where}: {self.message}"

    def labelled(self) -> str:
        """The problem as the command line reports it: "skipped: ...", "warning: ..." or
        "note: ...", terminal escapes in file names or text made harmless."""
        if self.severity != "error":
            return f"{self.severity}: {safe(str(self))}"
        # ("skipped: x.jsonl:2: invalid JSON (...); line skipped" said it twice.)
        return f"skipped: {safe(_SKIPPED.sub('', str(self)))}"


def skipped_lines(problems: list[Problem]) -> int:
    """The files or lines these problems skipped (errors; a problem said once for many
    lines counts them all)."""
    return sum(problem.lines for problem in problems if problem.severity == "error")


@dataclass
class IndexReport:
    """What an indexing run did."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0  # articles already in the index as they are in the corpus
    files_read: int = 0  # files parsed in this run (new or changed)
    files_unchanged: int = 0
    files_removed: int = 0
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def skipped(self) -> int:
        """Files or lines skipped because of an error."""
        return skipped_lines(self.problems)

    @property
    def found_nothing(self) -> bool:
        """Whether the run found no file to read, and did nothing: an empty folder, or one
        of .pdf files, or a path mistyped in a script."""
        return not (self.files_read or self.files_unchanged or self.files_removed or self.problems
                    or self.added or self.updated)  # (Index.add: articles given, no file read)

    def summary(self, where: str) -> str:
        """One line on what the run did to the index at `where`."""
        skipped = f", {self.skipped:,} skipped (see above)" if self.skipped else ""
        files = f"{self.files_read:,} file{'' if self.files_read == 1 else 's'} read, {self.files_unchanged:,} unchanged"
        if self.files_removed:
            files += f", {self.files_removed} removed"
        none = ""
        if self.found_nothing:  # ("0 added" alone reads like success)
            from .readers.files import DEFAULT_FORMATS

            none = (f" No file of the corpus is in a format searcher reads ({', '.join(sorted(DEFAULT_FORMATS))}; "
                    "formats: in searcher.yaml maps others).")
        return (
            f"{where}: {self.added:,} added, {self.updated:,} updated, {self.removed:,} removed, "
            f"{self.unchanged:,} unchanged{skipped} in {self.seconds:.1f} s ({files}).{none}"
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "added": self.added,
            "updated": self.updated,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "files_read": self.files_read,
            "files_unchanged": self.files_unchanged,
            "files_removed": self.files_removed,
            "seconds": round(self.seconds, 3),
            "problems": [
                {"path": p.path, "line": p.line, "severity": p.severity, "message": p.message, "lines": p.lines}
                for p in self.problems
            ],
        }


@dataclass(frozen=True)
class IndexStats:
    """A summary of an index, for `searcher stats` (paths absolute)."""

    path: str
    articles: int
    fields: tuple[str, ...]
    size_bytes: int
    last_update: dt.datetime | None
    corpus: tuple[str, ...]
    segments: int
    # The dates the articles span (None when none has one), and how many have no date:
    # what a researcher asks of an archive first.
    first_date: dt.date | None = None
    last_date: dt.date | None = None
    undated: int = 0
    # The model folder that embedded the articles (semantic ranking), None without vectors.
    semantic_model: str | None = None
    shards: int = 1  # (what --shards must say, or --rebuild)

    def to_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "articles": self.articles,
            "fields": list(self.fields),
            "size_bytes": self.size_bytes,
            "last_update": self.last_update.isoformat(timespec="seconds") if self.last_update else None,
            "corpus": list(self.corpus),
            "segments": self.segments,
            "first_date": self.first_date.isoformat() if self.first_date else None,
            "last_date": self.last_date.isoformat() if self.last_date else None,
            "undated": self.undated,
            "semantic_model": self.semantic_model,
            "shards": self.shards,
        }
