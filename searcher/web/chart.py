"""A timeline as bars to draw: the geometry of the page's inline SVG chart, as data.

The server draws the chart (the page works without JavaScript, and a test can count
the bars): one bar a period, its height its matches, each a link to the search
narrowed to that period. A period without matches keeps its place as a zero-height
bar, so that gaps show. The template turns the bars into SVG; nothing here writes
markup.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from ..model import PERIODS
from ..news.timeline import MAX_BUCKETS, TimelineError
from .params import AUTO_BARS

if TYPE_CHECKING:
    from ..index import Index
    from ..model import Series, Timeline
    from ..search.filters import Filters

#: The drawing's size, in SVG units (the page scales it to its width).
WIDTH, HEIGHT, LABELS = 720.0, 120.0, 30.0


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str  # the period: "1987-03", "1987-W10"...
    matches: int
    articles: int
    start: dt.date
    end: dt.date
    href: str  # the search within the period


@dataclass(frozen=True)
class Chart:
    bars: tuple[Bar, ...]
    by: str
    most: int  # the tallest bar's matches
    undated: int  # matches without a date (not drawn)
    periods: tuple[str, ...] = PERIODS  # the periods a link may draw the same span by (not too many bars)
    width: float = WIDTH
    height: float = HEIGHT + LABELS

    @property
    def labelled(self) -> tuple[Bar, ...]:
        """The bars whose period is written under the chart: the first, the last and about
        five between, none so close to the last that their labels would overlap."""
        if not self.bars:
            return ()
        step = max(1, -(-len(self.bars) // 6))
        places = list(range(0, len(self.bars), step))
        last = len(self.bars) - 1
        places = [place for place in places if place == 0 or last - place >= step * 0.75] + [last]
        return tuple(self.bars[place] for place in dict.fromkeys(places))


def chart(series: Series, by: str, link: Callable[[dt.date, dt.date], str]) -> Chart:
    """The bars of one series of a timeline (its periods by `by`), each linked by `link(start, end)`."""
    buckets = series.buckets
    most = max((bucket.matches for bucket in buckets), default=0)
    slot = WIDTH / max(len(buckets), 1)
    gap = min(2.0, slot * 0.2)
    bars = []
    for place, bucket in enumerate(buckets):
        height = 0.0 if not most else HEIGHT * bucket.matches / most
        bars.append(Bar(x=round(place * slot + gap / 2, 2), y=round(HEIGHT - height, 2),
                        width=round(max(slot - gap, 0.5), 2), height=round(height, 2), label=bucket.label,
                        matches=bucket.matches, articles=bucket.articles, start=bucket.start, end=bucket.end,
                        href=link(bucket.start, bucket.end)))
    drawable = tuple(PERIODS)
    if buckets:
        counts = period_counts(buckets[0].start, buckets[-1].end)
        drawable = tuple(period for period in PERIODS if counts[period] <= MAX_BUCKETS or period == by)
    return Chart(tuple(bars), by, most, series.undated, drawable)


def timeline(index: Index, queries: list[str], by: str, *, per: str | None, filters: Filters | None,
             all_words: bool | None) -> Timeline:
    """Index.timeline, with `by` "auto": the finest period that draws the timeline's span
    in at most AUTO_BARS bars (months are counted first, to find the span; years, when
    months are too many). A period with more bars than a timeline draws (by=day over years
    of articles) is drawn as "auto" is; when even years are too many (a placeholder date
    such as 0001-01-01 stretches the span), TimelineError, by year."""
    tried: TimelineError | None = None
    coarser = [period for period in ("month", "year") if by == "auto" or PERIODS.index(period) > PERIODS.index(by)]
    for chosen in coarser if by == "auto" else [by, *coarser]:
        try:
            drawn = index.timeline(queries, chosen, per=per, filters=filters, all_words=all_words)
        except TimelineError as error:
            tried = error
            continue
        if chosen == by:
            return drawn
        break
    else:
        raise tried  # type: ignore[misc]
    # (The page draws the finest that fits, and its links offer only those.)
    buckets = [bucket for series in drawn.series for bucket in series.buckets]
    if buckets:
        finest = finest_period(min(bucket.start for bucket in buckets), max(bucket.end for bucket in buckets))
        if finest != chosen:
            drawn = index.timeline(queries, finest, per=per, filters=filters, all_words=all_words)
    return drawn


def finest_period(first: dt.date, last: dt.date) -> str:
    """The finest period (day, week, month, year) that draws `first`..`last` in at most
    AUTO_BARS bars."""
    counts = period_counts(first, last)
    return next((period for period in PERIODS if counts[period] <= AUTO_BARS), "year")


def period_counts(first: dt.date, last: dt.date) -> dict[str, int]:
    """About how many periods of each kind `first`..`last` spans (a week more at most)."""
    days = (last - first).days + 1
    return {"day": days, "week": days // 7 + 2, "month": (last.year - first.year) * 12 + last.month - first.month + 1,
            "year": last.year - first.year + 1}
