"""Dates as news corpora write them, and date bounds as queries write them.

Article dates are naive datetimes: the day and time as the source wrote them, in its
own time zone (an offset is dropped, not converted: a story dated
2024-05-14T21:00-05:00 is of 14 May, as its page says, not of 15 May in UTC); a date
with no time is midnight.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from email.utils import parsedate_to_datetime
from typing import Sequence

# Formats tried after ISO 8601, most common in news first.
_FORMATS = (
    "%d-%b-%Y %H:%M:%S.%f",  # Reuters-21578: 26-FEB-1987 15:01:01.79
    "%d-%b-%Y %H:%M:%S",
    "%d-%b-%Y",
    "%m/%d/%Y",  # US style, as the TIME collection writes it
    "%m/%d/%y",
    "%d %B %Y",  # 28 November 2016
    "%d %b %Y",
    "%B %d, %Y",  # November 28, 2016
    "%b %d, %Y",
    "%b. %d, %Y",
    "%B %d %Y",
    "%b %d %Y",
    "%d %B, %Y",
    "%Y/%m/%d",
    "%Y%m%d",
)


class DateParser:
    """Reads the dates of one file (or any run of dates written alike), trying the
    strptime `formats` first (the configuration's date_format), then the formats news
    corpora use. A corpus writes its dates one way: the parser tries the format that
    read its last date first. (The formats never read one text two ways, so the order
    changes the time taken, not the date.)"""

    def __init__(self, formats: Sequence[str] = ()) -> None:
        self._formats = tuple(formats)
        self._last_format = _FORMATS[0]

    def parse(self, text: str) -> dt.datetime:
        """The date `text` says; raises ValueError when it can't be read."""
        value = " ".join(str(text).split())
        if not value:
            raise ValueError("empty date")
        parsed = _strptime(value, self._formats) if self._formats else None
        if parsed is None:
            parsed = self._parse(value)
        if parsed is None:
            # Scraped dates often carry junk after the date ("27-MAR-1987 00:02:59.13&#5;&#5;RM"):
            # try again with what comes before the first character no date format uses.
            head = _DATE_CHARS.match(value)
            if head and head.group().strip() != value:
                parsed = self._parse(head.group().strip())
        if parsed is None:
            raise ValueError(f"unrecognised date {value!r}")
        if (parsed.year, parsed.month, parsed.day) in _PLACEHOLDERS:
            # An export's "no date" (.NET's DateTime.MinValue and MaxValue): as a date, it
            # would stretch every timeline over ten millennia.
            raise ValueError(f"placeholder date {value!r}")
        # (A trial: --until 2024-05-14 left out a New York story of the 14th at 21:00,
        # converted to UTC's 15th; and 0001-01-01T00:00+01:00 was an OverflowError.)
        return parsed.replace(tzinfo=None)

    def _parse(self, value: str) -> dt.datetime | None:
        return (_parse_iso(value) or _parse_digits(value) or _parse_wire(value) or self._parse_formats(value)
                or _parse_rfc2822(value))

    def _parse_formats(self, value: str) -> dt.datetime | None:
        for fmt in (self._last_format, *_FORMATS):
            try:
                parsed = dt.datetime.strptime(value, fmt)
            except ValueError:
                continue
            self._last_format = fmt
            if "%y" in fmt and parsed.year > dt.date.today().year + 1:
                # strptime puts 69-99 in the 1900s and 00-68 in the 2000s; a news date
                # is never in the future, so "08/30/63" is 1963.
                parsed = parsed.replace(year=parsed.year - 100)
            return parsed
        return None


def parse_date(text: str, formats: Sequence[str] = ()) -> dt.datetime:
    """Parse a date as news corpora write it, trying the strptime `formats` first (the
    configuration's date_format); raises ValueError when it can't. (A reader of many
    dates keeps a DateParser.)"""
    return DateParser(formats).parse(text)


_PLACEHOLDERS = {(1, 1, 1), (9999, 12, 31)}
_DATE_CHARS = re.compile(r"[\w\s:.,/+-]+")


def _strptime(value: str, formats: Sequence[str]) -> dt.datetime | None:
    for fmt in formats:
        try:
            return dt.datetime.strptime(value, fmt)
        except ValueError:
            continue
    return None


_MONTHS = {name: number for number, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
_WIRE = re.compile(r"(\d{1,2})-([A-Za-z]{3})-(\d{4})(?: (\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?)?\Z")


def _parse_wire(value: str) -> dt.datetime | None:
    """Reuters' "26-FEB-1987 15:01:01.79" (what strptime's "%d-%b-%Y %H:%M:%S.%f" reads,
    ten times faster: a wire archive has a date in every article)."""
    match = _WIRE.match(value)
    month = _MONTHS.get(match.group(2).lower()) if match else None
    if month is None:
        return None
    day, _, year, hour, minute, second, fraction = match.groups()
    try:
        return dt.datetime(int(year), month, int(day), int(hour or 0), int(minute or 0), int(second or 0),
                           int((fraction or "0").ljust(6, "0")))
    except ValueError:
        return None


def _parse_iso(value: str) -> dt.datetime | None:
    if not re.match(r"\d{4}-\d{2}", value):
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None


_DIGITS = re.compile(r"(\d{9,14})(?:\.\d+)?\Z")
_COMPACT = {14: "%Y%m%d%H%M%S", 12: "%Y%m%d%H%M", 10: "%Y%m%d%H"}  # (8 digits, %Y%m%d, is one of _FORMATS)


def _parse_digits(value: str) -> dt.datetime | None:
    """A date written as digits alone, of 9 to 14: a compact calendar date with its time
    ("201611281030") when it reads as one, else a Unix time in seconds or milliseconds
    ("1104537600", "1104537600000", as a `timestamp` key holds it: in UTC, its only time
    zone). A news date is never more than a year ahead: "2016112810" is no Unix time (2033)."""
    match = _DIGITS.match(value)
    if match is None:
        return None
    digits = match.group(1)
    latest = dt.datetime.now() + dt.timedelta(days=366)
    compact = _COMPACT.get(len(digits))
    if compact is not None and value == digits:
        try:
            parsed = dt.datetime.strptime(digits, compact)
        except ValueError:
            parsed = None
        if parsed is not None and 1900 <= parsed.year and parsed <= latest:  # (a Unix time of now is 17...)
            return parsed
    if len(digits) not in (9, 10, 12, 13):
        return None
    seconds = float(value) / (1000 if len(digits) > 10 else 1)
    parsed = dt.datetime(1970, 1, 1) + dt.timedelta(seconds=seconds)
    return parsed if parsed <= latest else None


def _parse_rfc2822(value: str) -> dt.datetime | None:
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None


_BOUND = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


def parse_date_bound(text: str, *, end: bool) -> dt.datetime:
    """A query's date bound ("2016", "2016-11" or "2016-11-28") as the first or last moment it covers.

    Raises ValueError with a reason when the text is not such a date.
    """
    match = _BOUND.match(text)
    if not match:
        raise ValueError(f"invalid date {text!r} (expected YYYY, YYYY-MM or YYYY-MM-DD)")
    year = int(match.group(1))
    month = int(match.group(2)) if match.group(2) else None
    day = int(match.group(3)) if match.group(3) else None
    try:
        if month is None:
            first, last = dt.datetime(year, 1, 1), dt.datetime(year, 12, 31)
        elif day is None:
            first = dt.datetime(year, month, 1)
            last = dt.datetime(year, month, calendar.monthrange(year, month)[1])
        else:
            first = last = dt.datetime(year, month, day)
    except (ValueError, calendar.IllegalMonthError):
        raise ValueError(f"invalid date {text!r} (no such month or day)") from None
    return dt.datetime.combine(last, dt.time.max) if end else first
