"""Attention over time: matching articles per day, week, month or year, against all articles.

Counts come from the date column (filters.ArticleDates) by day, then add up into
periods. Every period between the first and the last is there, empty ones as zero:
a gap in coverage is news too.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from ..errors import QueryError
from ..model import PERIODS, Bucket, Series, Timeline
from ..search.filters import Filters, Metadata, check_facets

if TYPE_CHECKING:
    from ..search.snapshot import Snapshot

#: More periods than this is a mistake (a day-by-day chart of a century); it asks for a coarser one.
MAX_BUCKETS = 5000


class TimelineError(QueryError):
    """A timeline that can't be drawn as asked (too many periods): a one-line error, exit 2."""


def period_start(day: dt.date, by: str) -> dt.date:
    """The first day of the period holding `day` (weeks start on Monday, as ISO 8601's)."""
    if by == "day":
        return day
    if by == "week":
        return day - dt.timedelta(days=day.weekday())
    if by == "month":
        return day.replace(day=1)
    if by == "year":
        return day.replace(month=1, day=1)
    raise ValueError(f"by must be one of {', '.join(PERIODS)}, not {by!r}")


def next_period(start: dt.date, by: str) -> dt.date | None:
    """The start of the next period; None after the calendar's last (year 9999)."""
    try:
        if by == "day":
            return start + dt.timedelta(days=1)
        if by == "week":
            return start + dt.timedelta(days=7)
        if by == "month":
            return dt.date(start.year + start.month // 12, start.month % 12 + 1, 1)
        return dt.date(start.year + 1, 1, 1)
    except (OverflowError, ValueError):
        return None


def period_end(start: dt.date, by: str) -> dt.date:
    following = next_period(start, by)
    return following - dt.timedelta(days=1) if following is not None else dt.date.max


def period_label(start: dt.date, by: str) -> str:
    if by == "day":
        return start.isoformat()
    if by == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if by == "month":
        return f"{start.year:04d}-{start.month:02d}"
    return f"{start.year:04d}"


def periods(first: dt.date, last: dt.date, by: str) -> list[dt.date]:
    """The start of every period from the one holding `first` to the one holding `last`."""
    starts = []
    start: dt.date | None = period_start(first, by)
    while start is not None and start <= last:
        starts.append(start)
        if len(starts) > MAX_BUCKETS:
            raise TimelineError(
                f"{first} to {last} by {by} is more than {MAX_BUCKETS:,} periods: "
                + ("narrow the dates (a placeholder date, such as 0001-01-01, can stretch them)" if by == "year"
                   else "count by a longer period, or over fewer dates"))
        start = next_period(start, by)
    return starts


def timeline(shards: Sequence[Snapshot], queries: Sequence[str], by: str, *, per: str | None,
             filters: Filters | None, top: int, all_words: bool | None) -> Timeline:
    """Index.timeline, in one snapshot of each shard (the same index generation for every
    query): each shard's articles counted by day, the days of all shards summed."""
    if per is not None:
        check_facets([per])
    if by not in PERIODS:
        raise ValueError(f"by must be one of {', '.join(PERIODS)}, not {by!r}")
    tallies = []  # of each shard: every article under the filters, each query's matches
    counted = share_filters(queries, filters)
    for snapshot in shards:
        metadata = snapshot.metadata
        everything = counted.apply(metadata.live(), metadata) if counted else metadata.live()
        found = [snapshot.find(query, filters, all_words=all_words).scores for query in queries]
        tallies.append((metadata, everything, found))
    all_days: Counter[int] = Counter()
    for metadata, everything, _ in tallies:
        all_days.update(metadata.live_days() if not counted else metadata.dates.days(everything))
    first, last = _span(all_days, filters)
    starts = periods(first, last, by) if first <= last else []
    day_period = _period_of_days(all_days, starts, by)
    # A period cut short by --since or --until counts only its days in range (not by the
    # corpus's first and last days: a period is whole if the filters don't cut it).
    since = filters.since.date() if filters is not None and filters.since is not None else dt.date.min
    until = filters.until.date() if filters is not None and filters.until is not None else dt.date.max
    spans = [(max(start, since), min(period_end(start, by), until)) for start in starts]
    periods_of = _Periods(starts, spans, day_period, by)
    series = []
    for number, query in enumerate(queries):
        if per is None:
            tally = _Tally()
            for metadata, everything, found in tallies:
                tally.add(metadata, found[number], everything)
            series.append(tally.series(query, None, periods_of))
            continue
        values: Counter[str] = Counter()
        for metadata, _, found in tallies:
            values.update(dict(metadata.facet(per).count(found[number])))
        for value, _ in sorted(values.items(), key=lambda item: (-item[1], item[0]))[:top]:
            tally = _Tally()
            for metadata, everything, found in tallies:
                group = [docnum for docnum in metadata.facet(per).articles_with([value]) if docnum in everything]
                members = set(group)
                tally.add(metadata, {docnum: 0.0 for docnum in found[number] if docnum in members}, group)
            series.append(tally.series(query, value, periods_of))
    return Timeline(by=by, series=tuple(series), per=per)  # type: ignore[arg-type]


def share_filters(queries: Sequence[str], filters: Filters | None) -> Filters | None:
    """The filters of the articles a timeline's share is of: the query's. But with no
    query (every article, "*", under the filters), of the filtered articles every period
    would be 100%: then the share is of all the period's articles (its dates still
    narrowed by the filters), the filters' articles against all."""
    if filters and all(query.strip() == "*" for query in queries):
        return filters.dates_only()
    return filters


class _Periods:
    """The periods of a timeline: their starts, their spans within the filters' dates, and
    the period of each day an article was published."""

    def __init__(self, starts: list[dt.date], spans: list[tuple[dt.date, dt.date]], day_period: dict[int, int],
                 by: str) -> None:
        self.starts, self.spans, self.day_period, self.by = starts, spans, day_period, by

    def count(self, days: Counter[int]) -> list[int]:
        counts = [0] * len(self.starts)
        for day, count in days.items():
            number = self.day_period.get(day)
            if number is not None:
                counts[number] += count
        return counts


class _Tally:
    """One series' counts, added up over the shards: matches and articles by day, undated
    ones, and how many matches have every word."""

    def __init__(self) -> None:
        self.matches: Counter[int] = Counter()
        self.articles: Counter[int] = Counter()
        self.count = self.undated = self.articles_undated = self.every = 0
        self.every_known = True

    def add(self, metadata: Metadata, scores: Mapping[int, float], base: Any) -> None:
        """A shard's matches (`scores`) and the articles they are set against (`base`)."""
        dates = metadata.dates
        values = dates.values
        self.matches.update(dates.days(scores))
        base_days = dates.days(base)
        self.articles.update(base_days)
        self.articles_undated += len(base) - sum(base_days.values())
        self.count += len(scores)
        self.undated += sum(1 for docnum in scores if not values[docnum])
        count_every = getattr(scores, "count_every", None)  # (matching.Matches; a --per group is a plain map)
        if count_every is None:
            self.every_known = False
        else:
            self.every += count_every()

    def series(self, query: str, value: str | None, periods_of: _Periods) -> Series:
        matches, articles = periods_of.count(self.matches), periods_of.count(self.articles)
        by, spans = periods_of.by, periods_of.spans
        buckets = tuple(
            Bucket(start=spans[number][0], end=spans[number][1], label=period_label(start, by),
                   matches=matches[number], articles=articles[number],
                   partial=spans[number] != (start, period_end(start, by)))
            for number, start in enumerate(periods_of.starts)
        )
        every = self.every if self.every_known and self.every != self.count else None
        return Series(query=query, buckets=buckets, matches=self.count, undated=self.undated, value=value,
                      undated_articles=self.articles_undated, every_word=every)


def _span(all_days: Counter[int], filters: Filters | None) -> tuple[dt.date, dt.date]:
    """The first and last day: those of the dated articles, narrowed or widened by the filters' dates."""
    first = dt.date.fromordinal(min(all_days)) if all_days else None
    last = dt.date.fromordinal(max(all_days)) if all_days else None
    if filters is not None and filters.since is not None:
        first = filters.since.date()
    if filters is not None and filters.until is not None:
        last = filters.until.date()
    if first is None or last is None:
        today = dt.date.today()
        return today, today - dt.timedelta(days=1)  # nothing dated: no periods
    return first, last


def _period_of_days(all_days: Counter[int], starts: list[dt.date], by: str) -> dict[int, int]:
    """Day ordinal -> period index, for every day an article was published (within the periods)."""
    index = {start: number for number, start in enumerate(starts)}
    mapping = {}
    for day in all_days:
        number = index.get(period_start(dt.date.fromordinal(day), by))
        if number is not None:
            mapping[day] = number
    return mapping
