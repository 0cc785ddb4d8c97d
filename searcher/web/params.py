"""What a request asks: its query string read into the library's arguments, bounded.

The page (`/?q=opec&category=crude&since=1987-03&page=2`) and the API
(`/api/v1/search?...`) take the same parameters, read here once, so that a page's
URL and an API call say the same thing. Everything a page shows is in its URL:
`Search.url` makes the links that change one thing (a facet value added, the next
page, a period of the timeline), keeping the rest.

A parameter that is malformed or out of bounds is one RequestError (400) naming it,
with the same words the command line uses where it has the same option. Nothing here
knows Starlette: parameters come as (name, value) pairs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Callable, Collection, Iterable, Sequence
from urllib.parse import unquote_plus, urlencode

from ..errors import QueryError, RequestError, SearcherError, did_you_mean
from ..model import PERIODS, SORTS
from ..search.filters import Filters, facet_names

if TYPE_CHECKING:
    from starlette.requests import Request

    from ..index import Index
    from ..model import Results

#: Bounds on what one request may ask (the API's documentation says them).
MAX_QUERY = 1000  # characters of a query
MAX_LIMIT = 100  # articles a page
MAX_DEPTH = 10_000  # offset + limit: past that, `searcher export` is the tool
MAX_PASSAGES = 10
MAX_WORDS = 200
MAX_QUERIES = 10  # series of a timeline
FACETS = ("source", "category", "place")
#: The periods of a timeline, and "auto": the finest with at most AUTO_BARS bars.
BY = ("auto", *PERIODS)
AUTO_BARS = 60


class Params:
    """A request's parameters, as (name, value) pairs in their order."""

    def __init__(self, pairs: Iterable[tuple[str, str]], not_utf8: Collection[str] = ()) -> None:
        self.pairs = list(pairs)
        self.not_utf8 = frozenset(not_utf8)  # (names whose value is not UTF-8: an error when read)

    @classmethod
    def of(cls, request: Request) -> Params:
        """A request's parameters, as Starlette reads them, but for a value whose bytes are
        not UTF-8: Starlette makes U+FFFD of them, which analysis drops ("caf%E9", café in
        Latin-1, searched "caf" and said nothing); it is a RequestError when read. (A
        value with U+FFFD itself, "%EF%BF%BD", is UTF-8: the readers put it in texts.)"""
        pairs, not_utf8 = [], set()
        for part in request.scope.get("query_string", b"").decode("latin-1").split("&"):
            if not part:
                continue
            name, _, value = part.partition("=")
            name = unquote_plus(name, errors="replace")
            try:
                pairs.append((name, unquote_plus(value, errors="strict")))
            except UnicodeDecodeError:
                pairs.append((name, unquote_plus(value, errors="replace")))
                not_utf8.add(name)
        return cls(pairs, not_utf8)

    def check_names(self, known: Collection[str]) -> None:
        """RequestError for a parameter that is not one of `known`: a name typed wrong
        (`catgory=crude`) would give counts that look right and are not."""
        for name, _ in self.pairs:
            if name not in known:
                meant = did_you_mean(name, sorted(known)).strip()
                raise RequestError(f"unknown parameter {name!r}" + (
                    f" ({meant})" if meant else
                    f" (this endpoint takes: {', '.join(sorted(known)) or 'none'})"), name)

    def all(self, name: str) -> list[str]:
        if name in self.not_utf8:
            raise RequestError(f"{name} is not valid UTF-8 (percent-encode its text as UTF-8: café is caf%C3%A9)", name)
        return [value for key, value in self.pairs if key == name]

    def one(self, name: str, default: str | None = None) -> str | None:
        """The value of a parameter given once (or the same each time): RequestError when
        it is given different values (`q=coffee&q=tea` searched "tea" alone)."""
        values = list(dict.fromkeys(self.all(name)))
        if len(values) > 1:
            shown = ", ".join(repr(value[:40]) for value in values[:3])
            raise RequestError(f"{name} is given {len(values)} different values ({shown}): give it once", name)
        return values[0] if values else default

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        value = self.maybe_integer(name, low, high)
        return default if value is None else value

    def maybe_integer(self, name: str, low: int, high: int) -> int | None:
        text = self.one(name)
        if text is None or not text.strip():
            return None
        try:
            value = int(text)
        except ValueError:
            raise RequestError(f"{name} must be a whole number, not {text!r}", name) from None
        if not low <= value <= high:
            raise RequestError(f"{name} must be between {low} and {high}, not {value}", name)
        return value

    def flag(self, name: str, default: bool | None = None) -> bool | None:
        text = self.one(name)
        if text is None or not text.strip():
            return default
        if text.lower() in ("1", "true", "yes", "on"):
            return True
        if text.lower() in ("0", "false", "no", "off"):
            return False
        raise RequestError(f"{name} must be true or false (1 or 0), not {text!r}", name)

    def choice(self, name: str, choices: Sequence[str], default: str) -> str:
        text = (self.one(name) or "").strip().lower() or default
        if text not in choices:
            raise RequestError(f"{name} must be one of {', '.join(choices)}, not {text!r}", name)
        return text

    def query(self, name: str = "q") -> str:
        text = (self.one(name) or "").strip()
        _bounded(text, name)
        return text

    def filters(self) -> Filters:
        values = {facet: [value.strip() for value in self.all(facet) if value.strip()] for facet in FACETS}
        for facet, given in values.items():
            for value in given:
                _bounded(value, facet)
        try:
            return Filters.parse(source=values["source"], category=values["category"], place=values["place"],
                                 since=self.one("since"), until=self.one("until"))
        except QueryError as error:  # (a date: named, as every other parameter's error)
            raise RequestError(str(error), "until" if str(error).startswith("until") else "since") from None

    def facet_names(self, name: str, default: tuple[str, ...]) -> tuple[str, ...]:
        text = self.one(name)
        if text is None:
            return default
        names = facet_names(part for part in (piece.strip().lower() for piece in text.split(",")) if part)
        for facet in names:
            if facet not in FACETS:
                raise RequestError(f"{name}: unknown facet {facet!r} (facets: {', '.join(FACETS)})", name)
        return names


def _bounded(text: str, name: str) -> None:
    if len(text) > MAX_QUERY:
        raise RequestError(f"{name} is {len(text):,} characters long; at most {MAX_QUERY:,} are searched", name)


@dataclass(frozen=True)
class Search:
    """A search as a page or `/api/v1/search` asks it."""

    q: str = ""
    filters: Filters = field(default_factory=Filters)
    sort: str = "relevance"
    limit: int = 10
    page: int = 1
    passages: int | None = None  # None: the configuration's
    facets: tuple[str, ...] = FACETS
    all_words: bool | None = None
    collapse: bool = True
    explain: bool = False
    auto_correct: bool | None = None
    by: str = "auto"  # the timeline's period, on the page

    @classmethod
    def read(cls, params: Params) -> Search:
        search = cls(q=params.query(), filters=params.filters(),
                     **{name: read() for name, read in _readers(params).items()})  # type: ignore[arg-type]
        if search.offset + search.limit > MAX_DEPTH:
            raise RequestError(f"page {search.page} at {search.limit} a page goes past the first {MAX_DEPTH:,} articles "
                               "(use `searcher export` for all of them)", "page")
        return search

    @classmethod
    def kept(cls, params: Params) -> Search:
        """What the page's form keeps of a request that `read` refused: each parameter
        that reads, the others as by default (the page says which was wrong). A date
        typed wrong in the form must not empty the search box and drop the filters."""
        defaults = cls()
        kept: dict[str, object] = {}
        for name, read in _readers(params).items():
            try:
                kept[name] = read()
            except SearcherError:
                kept[name] = getattr(defaults, name)
        facets = [pair for pair in params.pairs if pair[0] not in ("since", "until")]
        filters = defaults.filters
        for dates in (("since", "until"), ("until",), ("since",), ()):  # (the dates that read, with the facets)
            try:
                filters = Params(facets + [pair for pair in params.pairs if pair[0] in dates], params.not_utf8).filters()
                break
            except SearcherError:
                continue
        try:
            q = (params.one("q") or "").strip()[:MAX_QUERY]
        except SearcherError:  # (given twice, or not UTF-8: the box is left empty, the rest kept)
            q = ""
        return cls(q=q, filters=filters, **kept)  # type: ignore[arg-type]

    def run(self, index: Index) -> Results:
        """The search itself: the one library call behind the page's results and the API's."""
        return index.search(self.text, limit=self.limit, passages=self.passages, filters=self.filters,
                            sort=self.sort, facets=self.facets,
                            auto_correct=index.config.auto_correct if self.auto_correct is None else self.auto_correct,
                            explain=self.explain, collapse=self.collapse, all_words=self.all_words,
                            offset=self.offset)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit

    @property
    def asked(self) -> bool:
        """Whether there is something to search: a query, or filters alone (every article that passes them)."""
        return bool(self.q or self.filters)

    @property
    def text(self) -> str:
        """What to search: the query, or every article ("*") under the filters."""
        return self.q or "*"

    def pairs(self) -> list[tuple[str, str]]:
        """The parameters that differ from the defaults, in a fixed order: the URL of this search."""
        pairs: list[tuple[str, str]] = [("q", self.q)] if self.q else []
        for facet, values in self.filters.facet_values().items():
            pairs.extend((facet, value) for value in values)
        for name, moment in (("since", self.filters.since), ("until", self.filters.until)):
            if moment is not None:
                pairs.append((name, moment.date().isoformat()))
        defaults = Search()
        for name in ("sort", "limit", "page", "passages", "all_words", "collapse", "explain", "auto_correct", "by"):
            value = getattr(self, name)
            if value != getattr(defaults, name):
                pairs.append((name, _text(value)))
        if self.facets != defaults.facets:
            pairs.append(("facets", ",".join(self.facets)))
        return pairs

    def url(self, path: str = "/", **changes: object) -> str:
        """The URL of this search with `changes` (a new search starts at page 1)."""
        changed = replace(self, **({"page": 1} | changes))  # type: ignore[arg-type]
        query = urlencode(changed.pairs())
        return f"{path}?{query}" if query else path

    def with_value(self, facet: str, value: str) -> str:
        """The URL of this search with a facet's value added to its filter."""
        values = self.filters.facet_values()[facet]
        if value.lower() in (given.lower() for given in values):
            return self.url()
        return self.url(filters=self.filters.with_values(facet, (*values, value)))

    def without_value(self, facet: str, value: str) -> str:
        """The URL of this search without that facet value in its filter."""
        values = tuple(given for given in self.filters.facet_values()[facet] if given != value)
        return self.url(filters=self.filters.with_values(facet, values))

    def within(self, start: dt.date, end: dt.date) -> str:
        """The URL of this search with its dates narrowed to `start`..`end` (a timeline's bar)."""
        since = dt.datetime.combine(start, dt.time.min)
        until = dt.datetime.combine(end, dt.time.max)
        return self.url(filters=replace(self.filters, since=since, until=until))

    def without_dates(self) -> str:
        return self.url(filters=self.filters.undated())


def _readers(params: Params) -> dict[str, Callable[[], object]]:
    """How each field of a Search but the query and the filters is read from `params`
    (each raises RequestError for a bad value): the one list `read` and `kept` share."""
    return {
        "sort": lambda: params.choice("sort", SORTS, "relevance"),
        "limit": lambda: params.integer("limit", 10, 1, MAX_LIMIT),
        "page": lambda: params.integer("page", 1, 1, MAX_DEPTH),
        "passages": lambda: params.maybe_integer("passages", 0, MAX_PASSAGES),
        "facets": lambda: params.facet_names("facets", FACETS),
        "all_words": lambda: params.flag("all_words"),
        "collapse": lambda: bool(params.flag("collapse", True)),
        "explain": lambda: bool(params.flag("explain", False)),
        "auto_correct": lambda: params.flag("auto_correct"),
        "by": lambda: params.choice("by", BY, "auto"),
    }


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)
