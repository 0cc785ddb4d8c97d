"""Article metadata for filters, sorting and counts: dates and facet values, for every article at once.

A search for "oil" matches thousands of Reuters stories; counting them by month or
by topic must not read each one's stored fields (a pickle each). Instead, once per
searcher (an index generation):

- `ArticleDates` reads the date column (schema.ArticleDate's whole timestamps) of
  every segment into one array, by article number;
- `FacetTable` reads a facet field's terms (schema.FacetValues: one term per whole
  value) and their postings into a map from article number to values.

Both are then plain Python lookups per matching article. `Filters` are the
`--source/--category/--place/--since/--until` options, applied to a map of matches.
"""

from __future__ import annotations

import datetime as dt
import sys
from array import array
from collections import Counter
from dataclasses import dataclass, replace
from typing import Iterable, Mapping, Sequence

from ..dates import parse_date_bound
from ..engine.schema import FACET_FIELDS, microseconds
from ..errors import QueryError, did_you_mean

#: The date column holds Whoosh's datetime_to_long (microseconds from 0001-01-01 00:00) plus
#: one: 0 is "no date" (see schema.ArticleDate).
DAY = 86_400_000_000


def as_values(given: str | Sequence[str]) -> tuple[str, ...]:
    """A library call's values, where one string is one value: `Filters.parse(category="crude")`
    is the category crude, not c, r, u, d or e."""
    return (given,) if isinstance(given, str) else tuple(given)


def check_facets(facets: Sequence[str]) -> None:
    """Raises ValueError, naming the facets there are, for a name that is not one."""
    for facet in facets:
        if facet not in FACET_FIELDS:
            raise ValueError(f"unknown facet {facet!r} ({did_you_mean(facet, FACET_FIELDS)}facets: {', '.join(FACET_FIELDS)})")


def column_value(moment: dt.datetime) -> int:
    """A naive datetime as the date column holds it."""
    return microseconds(moment) + 1


def day_of(value: int) -> int:
    """The day (date.toordinal()) of a date column value; 0 for 0, "no date"."""
    return (value - 1) // DAY + 1 if value else 0


class ArticleDates:
    """Every article's date as a column value (0: no date), by article number."""

    def __init__(self, searcher) -> None:  # type: ignore[no-untyped-def]
        values = array("q")
        for reader, _ in _leaves(searcher):
            values.extend(_column_values(reader, "date", reader.doc_count_all()))
        self.values = values
        self.deleted = _deleted(searcher)

    def day(self, docnum: int) -> int:
        """The day an article was published (date.toordinal()), 0 for no date."""
        return day_of(self.values[docnum])

    def days(self, docnums: Iterable[int]) -> Counter[int]:
        """How many of these articles were published each day (day ordinals; no date left out)."""
        values = self.values
        return Counter(day_of(values[docnum]) for docnum in docnums if values[docnum])


def _leaves(searcher):  # type: ignore[no-untyped-def]
    return [(sub.reader(), offset) for sub, offset in searcher.leaf_searchers()]


def _column_values(reader, fieldname: str, count: int) -> array:  # type: ignore[no-untyped-def]
    if not reader.has_column(fieldname):
        return array("q", bytes(8 * count))
    values = array("q")
    column = reader.column_reader(fieldname, translate=False)
    dbfile, base, stored = getattr(column, "_dbfile", None), getattr(column, "_basepos", None), getattr(column, "_count", None)
    if dbfile is not None and base is not None and stored is not None and getattr(column, "_fixedlen", 0) == 8:
        # NumericColumn's values, big-endian 8-byte integers: read them in one go.
        values.frombytes(bytes(dbfile.get(base, stored * 8)))
        if sys.byteorder == "little":
            values.byteswap()
    else:  # (another column layout: a value at a time)
        values.extend(column[docnum] for docnum in range(min(count, len(column))))
    if len(values) < count:  # Whoosh leaves out the default values at the end of a segment
        values.extend(array("q", bytes(8 * (count - len(values)))))
    return values


def _deleted(searcher) -> frozenset[int]:  # type: ignore[no-untyped-def]
    deleted: set[int] = set()
    for reader, offset in _leaves(searcher):
        if reader.has_deletions():
            deleted.update(offset + docnum for docnum in reader.deleted_docs_set)
    return frozenset(deleted)


def facet_key(value: str) -> str:
    """What makes two facet values one: case and runs of spaces don't count."""
    return " ".join(value.split()).casefold()


class FacetTable:
    """The values of one facet (source, category or place) of every article.

    Values are grouped case-insensitively ("BUENOS AIRES" and "Buenos Aires" are one
    value), shown as their most common spelling. Opening a table reads the facet's
    terms only; a filter reads the postings of its values; counting reads all of
    them once, into a map from article to values.
    """

    def __init__(self, searcher, facet: str) -> None:  # type: ignore[no-untyped-def]
        self.facet = facet
        self._fieldname = FACET_FIELDS[facet]
        self._reader = reader = searcher.reader()
        keys: dict[str, int] = {}
        spellings: list[Counter[str]] = []
        self._terms: list[list[bytes]] = []
        fieldname = self._fieldname
        for term in reader.lexicon(fieldname) if fieldname in reader.indexed_field_names() else ():
            text = term.decode("utf-8")
            key = facet_key(text)
            group = keys.get(key)
            if group is None:
                group = keys[key] = len(spellings)
                spellings.append(Counter())
                self._terms.append([])
            spellings[group][text] += reader.doc_frequency(fieldname, term)
            self._terms[group].append(term)
        self._keys = keys
        self.names = [counts.most_common(1)[0][0] for counts in spellings]
        self._by_article: dict[int, tuple[int, ...]] | None = None

    def articles_with(self, values: Iterable[str]) -> set[int]:
        """The articles with any of these values (any case; deleted articles left out)."""
        found: set[int] = set()
        for value in values:
            group = self._keys.get(facet_key(value))
            if group is not None:
                found.update(self._articles_of(group))
        return found

    def _articles_of(self, group: int) -> list[int]:
        articles: list[int] = []
        for term in self._terms[group]:
            articles.extend(self._reader.postings(self._fieldname, term).all_ids())
        return articles

    def knows(self, value: str) -> bool:
        return facet_key(value) in self._keys

    def closest(self, value: str) -> list[str]:
        """The values most like `value` (for "did you mean"), as shown."""
        import difflib

        keys = difflib.get_close_matches(facet_key(value), list(self._keys), n=3, cutoff=0.6)
        return [self.names[self._keys[key]] for key in keys]

    def count(self, docnums: Iterable[int]) -> list[tuple[str, int]]:
        """(value, articles) over these articles, most articles first (then by value)."""
        by_article = self._by_article
        if by_article is None:
            by_article = self._by_article = self._read_all()
        counts: Counter[int] = Counter()
        for docnum in docnums:
            groups = by_article.get(docnum)
            if groups:
                counts.update(groups)
        names = self.names
        return sorted(((names[group], count) for group, count in counts.items()), key=lambda item: (-item[1], item[0]))

    def _read_all(self) -> dict[int, tuple[int, ...]]:
        lists: dict[int, list[int]] = {}
        for group in range(len(self.names)):
            for docnum in self._articles_of(group):
                found = lists.get(docnum)
                if found is None:
                    lists[docnum] = [group]
                elif group not in found:
                    found.append(group)
        return {docnum: tuple(groups) for docnum, groups in lists.items()}


class Metadata:
    """Dates and facet tables of one searcher, each read on first use."""

    def __init__(self, searcher) -> None:  # type: ignore[no-untyped-def]
        self._searcher = searcher
        self._dates: ArticleDates | None = None
        self._facets: dict[str, FacetTable] = {}
        self._live = None  # matching.Matches: see live()
        self._live_days: Counter[int] | None = None
        self._order_keys = None  # numpy array: see order_keys

    @property
    def dates(self) -> ArticleDates:
        if self._dates is None:
            self._dates = ArticleDates(self._searcher)
        return self._dates

    @property
    def order_keys(self):  # type: ignore[no-untyped-def]
        """Every article's rank among those of equal score (schema.order_key), by article
        number, as a numpy array."""
        if self._order_keys is None:
            import numpy as np

            values = array("q")
            for reader, _ in _leaves(self._searcher):
                values.extend(_column_values(reader, "order_key", reader.doc_count_all()))
            self._order_keys = np.frombuffer(values, dtype=np.int64) if values else np.zeros(0, dtype=np.int64)
        return self._order_keys

    def facet(self, name: str) -> FacetTable:
        table = self._facets.get(name)
        if table is None:
            table = self._facets[name] = FacetTable(self._searcher, name)
        return table

    def live(self):  # type: ignore[no-untyped-def]
        """Every article in the index (none deleted), as matching.Matches scoring 0."""
        if self._live is None:
            import numpy as np

            from .matching import Matches

            docnums = np.arange(self._searcher.doc_count_all(), dtype=np.int64)
            deleted = self.dates.deleted
            if deleted:
                docnums = docnums[np.isin(docnums, np.fromiter(deleted, dtype=np.int64), invert=True)]
            self._live = Matches(docnums, np.zeros(len(docnums)))
        return self._live

    def live_days(self) -> Counter[int]:
        """How many articles of the index were published each day (day ordinals)."""
        if self._live_days is None:
            self._live_days = self.dates.days(self.live())
        return self._live_days


#: Other names people use for the facets (the query's field aliases, config.FIELD_ALIASES,
#: and the plurals).
FACET_ALIASES = {"sources": "source", "categories": "category", "topic": "category", "topics": "category",
                 "places": "place", "dateline": "place"}


def facet_names(names: Iterable[str]) -> tuple[str, ...]:
    """Facet names with their other names replaced ("topics" is category), each once."""
    return tuple(dict.fromkeys(FACET_ALIASES.get(name, name) for name in names))


def query_text(text: str, filters: Filters | None) -> str:
    """What to search for `text` under `filters`: the text, or every article ("*") when
    it is empty and there are filters (a search by source, category, place or date
    alone). Raises ValueError when there is neither."""
    if text.strip():
        return text
    if not filters:
        raise ValueError("missing query (or a filter: a source, category, place or date)")
    return "*"


#: The Filters field of each facet's values.
_FACET_FIELDS = {"source": "sources", "category": "categories", "place": "places"}


def unknown_value(tables: Sequence[FacetTable], facet: str, value: str) -> str:
    """What to say of a value of `facet` that no article has (in any of the shards'
    `tables`): the values most like it, or that no article has any."""
    if not any(table.names for table in tables):
        return f"no article in the index has a {facet}"
    closest = list(dict.fromkeys(name for table in tables for name in table.closest(value)))[:3]
    hint = f" (closest: {', '.join(closest)})" if closest else ""
    return f"no article has {facet} {value!r}{hint}"


@dataclass(frozen=True)
class Filters:
    """What every matching article must also be: from these sources, in these categories,
    filed from these places (any of the values of each; case-insensitive, whole values),
    and published between `since` and `until` (the first and last moments; either may be None)."""

    sources: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    since: dt.datetime | None = None
    until: dt.datetime | None = None

    @classmethod
    def parse(cls, *, source: str | Sequence[str] = (), category: str | Sequence[str] = (),
              place: str | Sequence[str] = (), since: str | None = None, until: str | None = None) -> Filters:
        """Filters from the options' text (a facet's values, or one value); dates are YYYY,
        YYYY-MM or YYYY-MM-DD (QueryError if not)."""

        def bound(text: str | None, option: str, end: bool) -> dt.datetime | None:
            if text is None or not text.strip():
                return None
            try:
                return parse_date_bound(text.strip(), end=end)
            except ValueError as error:
                raise QueryError(f"{option}: {error}") from None  # (as a library call, a page's address and an option name it)

        filters = cls(as_values(source), as_values(category), as_values(place), bound(since, "since", False),
                      bound(until, "until", True))
        if filters.since and filters.until and filters.since > filters.until:
            raise QueryError(f"since {since} is after until {until}")
        return filters

    def __bool__(self) -> bool:
        return bool(self.sources or self.categories or self.places or self.since or self.until)

    def facet_values(self) -> Mapping[str, tuple[str, ...]]:
        return {facet: getattr(self, name) for facet, name in _FACET_FIELDS.items()}

    def with_values(self, facet: str, values: Sequence[str]) -> Filters:
        """These filters with a facet's values replaced (none: no filter on that facet)."""
        return replace(self, **{_FACET_FIELDS[facet]: tuple(values)})

    def undated(self) -> Filters:
        """These filters without their dates (the facets' values only)."""
        return replace(self, since=None, until=None)

    def dates_only(self) -> Filters:
        """These filters without their facets' values (the dates only)."""
        return replace(self, sources=(), categories=(), places=())

    def describe(self) -> str:
        """The filters in words: "category coffee or cocoa; dated 1987-03-01 to 1987-03-31"."""
        parts = [f"{facet} {' or '.join(values)}" for facet, values in self.facet_values().items() if values]
        since, until = (self.since.date() if self.since else None), (self.until.date() if self.until else None)
        if since and until:
            parts.append(f"dated {since} to {until}" if since != until else f"dated {since}")
        elif since or until:
            parts.append(f"dated since {since}" if since else f"dated until {until}")
        return "; ".join(parts)

    def problems(self, metadata: Metadata | Sequence[Metadata],
                 query_dates: tuple[dt.datetime | None, dt.datetime | None] | None = None) -> list[str]:
        """Why these filters may keep nothing: values no article has, dates no article has
        (in one index, or in any shard of a sharded one: a list of their Metadata), with
        the dates the query requires too (`since:1990`: query.required_dates)."""
        shards = list(metadata) if isinstance(metadata, (list, tuple)) else [metadata]
        found = []
        for facet, values in self.facet_values().items():
            tables = [shard.facet(facet) for shard in shards] if values else []
            for value in values:
                if any(table.knows(value) for table in tables):
                    continue
                found.append(unknown_value(tables, facet, value))
                if not any(table.names for table in tables):
                    break
        since, until = self.since, self.until
        if query_dates is not None:
            since = max(filter(None, (since, query_dates[0])), default=None)
            until = min(filter(None, (until, query_dates[1])), default=None)
        if since and until and until < since:  # (the query's dates and the filters': each has days)
            found.append(f"the dates of the query and of the filters leave no day (since {since:%Y-%m-%d}, "
                         f"until {until:%Y-%m-%d})")
        elif since or until:
            days = [day for shard in shards for day in shard.live_days()]
            first = since.date().toordinal() if since else 1
            last = until.date().toordinal() if until else dt.date.max.toordinal()
            if not days:
                found.append("no article in the index has a date")
            elif not any(first <= day <= last for day in days):
                before, after = [day for day in days if day < first], [day for day in days if day > last]
                if before and after:  # (a gap in the archive: Reuters has no May 1987)
                    found.append(f"no article is dated in that range: the nearest are dated "
                                 f"{dt.date.fromordinal(max(before))} and {dt.date.fromordinal(min(after))}")
                else:  # (a year the archive doesn't reach)
                    earliest, latest = dt.date.fromordinal(min(days)), dt.date.fromordinal(max(days))
                    found.append(f"no article is dated in that range: the index's are dated {earliest} to {latest}")
        return found

    def apply(self, matches, metadata: Metadata):  # type: ignore[no-untyped-def]
        """The matches (matching.Matches) that pass every filter."""
        import numpy as np

        for facet, values in self.facet_values().items():
            if values:
                allowed = metadata.facet(facet).articles_with(values)
                matches = matches.where(np.isin(matches.docnums, np.fromiter(allowed, dtype=np.int64)))
        if self.since or self.until:
            first = column_value(self.since) if self.since else 1  # (0 is "no date")
            last = column_value(self.until) if self.until else 1 << 62
            dates = np.frombuffer(metadata.dates.values, dtype=np.int64)[matches.docnums]
            matches = matches.where((dates >= first) & (dates <= last))
        return matches
