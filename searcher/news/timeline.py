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
                f"{first} to {last} by {by} is more than {MAX_BUCKETS:,} periods; use a longer --by or --since/--until")
        start = next_period(start, by)
    return starts


def timeline(snapshot: Snapshot, queries: Sequence[str], by: str, *, per: str | None, filters: Filters | None,
             top: int, all_words: bool | None) -> Timeline:
    """Index.timeline, in one snapshot (the same index generation for every query)."""
    if per is not None:
        check_facets([per])
    metadata = snapshot.metadata
    everything = filters.apply(metadata.live(), metadata) if filters else None
    found = [(query, snapshot.find(query, filters, all_words=all_words).scores) for query in queries]
    return build_timeline(found, everything, metadata, by, per=per, filters=filters, top=top)


def build_timeline(found: Sequence[tuple[str, Mapping[int, float]]], everything: Mapping[int, float] | None,
                   metadata: Metadata, by: str, *, per: str | None = None, filters: Filters | None = None,
                   top: int = 5) -> Timeline:
    """The timeline of each query's matches (`found`: query, article number -> score)
    against `everything` (the articles that could match, under the filters; None: all)."""
    if by not in PERIODS:
        raise ValueError(f"by must be one of {', '.join(PERIODS)}, not {by!r}")
    dates = metadata.dates
    if everything is None:
        everything = metadata.live()
        all_days = metadata.live_days()
    else:
        all_days = dates.days(everything)
    first, last = _span(all_days, filters)
    starts = periods(first, last, by) if first <= last else []
    day_period = _period_of_days(all_days, starts, by)
    # A period cut short by --since or --until counts only its days in range (not by the
    # corpus's first and last days: a period is whole if the filters don't cut it).
    since = filters.since.date() if filters is not None and filters.since is not None else dt.date.min
    until = filters.until.date() if filters is not None and filters.until is not None else dt.date.max
    spans = [(max(start, since), min(period_end(start, by), until)) for start in starts]
    table = metadata.facet(per) if per else None
    series = []
    for query, scores in found:
        if table is None:
            undated = len(everything) - sum(all_days.values())
            series.append(_series(query, None, scores, all_days, undated, dates, starts, spans, day_period, by))
            continue
        for value, _ in table.count(scores)[:top]:
            group = [docnum for docnum in table.articles_with([value]) if docnum in everything]
            members = set(group)
            mine = {docnum: 0.0 for docnum in scores if docnum in members}
            base = dates.days(group)
            undated = len(group) - sum(base.values())
            series.append(_series(query, value, mine, base, undated, dates, starts, spans, day_period, by))
    return Timeline(by=by, series=tuple(series), per=per)  # type: ignore[arg-type]


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


def _series(query: str, value: str | None, scores: Mapping[int, float], base: Counter[int], base_undated: int,
            dates: Any, starts: list[dt.date], spans: list[tuple[dt.date, dt.date]], day_period: dict[int, int],
            by: str) -> Series:
    matches = [0] * len(starts)
    articles = [0] * len(starts)
    for day, count in dates.days(scores).items():
        number = day_period.get(day)
        if number is not None:
            matches[number] += count
    for day, count in base.items():
        number = day_period.get(day)
        if number is not None:
            articles[number] += count
    values = dates.values
    undated = sum(1 for docnum in scores if not values[docnum])
    buckets = tuple(
        Bucket(start=spans[number][0], end=spans[number][1], label=period_label(start, by), matches=matches[number],
               articles=articles[number],
               partial=spans[number] != (start, period_end(start, by)))
        for number, start in enumerate(starts)
    )
    count_every = getattr(scores, "count_every", None)  # (matching.Matches; a --per group is a plain map)
    every = count_every() if count_every is not None else None
    return Series(query=query, buckets=buckets, matches=len(scores), undated=undated, value=value,
                  undated_articles=base_undated, every_word=every if every != len(scores) else None)
