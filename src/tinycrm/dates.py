"""Reading the dates and times people type, in their time zone; storing them in UTC.

Accepted: ISO dates and times (`2026-12-01`, `2026-12-01 14:30`, with an offset too),
`now`, `today`, `tomorrow`, `yesterday`, offsets (`+3d`, `-2w`, `+2h`, `+15m`, `+1mo`,
`+1y`, `in 3 days`), weekdays (`fri` is today if today is a Friday, else the coming one;
`next fri` is the first Friday after today), any of those followed by a time (`tomorrow
10:00`, `mon 9am`), and whatever python-dateutil reads (`1 Dec 2026`, `Dec 1 14:30`).
"""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, TypeVar

from tinycrm.errors import InvalidInput

Moment = TypeVar("Moment", date, datetime)

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_UNIT_ALIASES = {
    "minutes": ("m", "min", "mins", "minute"),
    "hours": ("h", "hr", "hrs", "hour"),
    "days": ("d", "day"),
    "weeks": ("w", "wk", "week"),
    "months": ("mo", "month"),
    "years": ("y", "yr", "year"),
}
_UNITS = {alias: unit for unit, aliases in _UNIT_ALIASES.items() for alias in (unit, *aliases)}
_OFFSET = re.compile(r"^(?:(?P<sign>[+-])|in\s+)(?P<n>\d+)\s*(?P<unit>[a-z]+)$")
_BARE_NUMBER = re.compile(r"^[+-]?\d{1,7}(\.\d*)?$|^[+-]\d+$")
"""A number with no unit: not a date (`20261201`, eight digits, is ISO 8601's basic form)."""
_TIME = re.compile(r"^(?P<h>\d{1,2})(?::(?P<m>\d{2}))?(?::(?P<s>\d{2}))?\s*(?P<ampm>am|pm)?$")


def user_timezone(name: str = "") -> tzinfo:
    """The named IANA zone, or the system's (DST-aware) when no name is set."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidInput("timezone", name, "unknown time zone") from None
    return _system_timezone()


def _system_timezone() -> tzinfo:
    """The zone `TZ` names, else the one in /etc/localtime, read by zoneinfo (its whole
    history, and C-fast); dateutil's `tzlocal` (the C library's current two offsets) where
    neither is there (Windows) or `TZ` holds a rule rather than a zone's name."""
    from zoneinfo import ZoneInfo

    named = os.environ.get("TZ")
    try:
        if named is None:
            with open("/etc/localtime", "rb") as data:
                return ZoneInfo.from_file(data, key="localtime")
        if named.lstrip(":"):
            return ZoneInfo(named.lstrip(":"))
    except (OSError, ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        pass
    from dateutil.tz import tzlocal

    return tzlocal()


def parse_duration(text: str, *, field: str) -> timedelta:
    """`15m`, `2h`, `3d`, `2w` as a timedelta (months and years have no fixed length)."""
    match = _OFFSET.match("+" + text.strip().lower().lstrip("+"))
    unit = _UNITS.get(match.group("unit")) if match else None
    if not match or unit is None or unit in ("months", "years"):
        raise InvalidInput(field, text, "not a duration (use e.g. 15m, 2h, 3d, 2w)")
    try:
        return timedelta(**{unit: int(match.group("n"))})
    except OverflowError:
        raise InvalidInput(field, text, "too far away") from None


def earlier(moment: Moment, span: timedelta | int, *, field: str) -> Moment:
    """`moment` less `span` (a whole number is days): the cutoff of "quiet for N days".
    A span reaching back before the year 1 is an InvalidInput naming it, not an overflow."""
    try:
        return moment - (span if isinstance(span, timedelta) else timedelta(days=span))
    except OverflowError:
        raise InvalidInput(field, span, "reaches back before the year 1") from None


def parse_datetime(
    text: str, *, now: datetime, tz: tzinfo, field: str, day_starts: time = time(0)
) -> datetime:
    """A moment in UTC. A date with no time of day means that calendar day in `tz`, at
    `day_starts` (midnight, the start of the day, unless told otherwise: a due date uses
    the start of the working day)."""
    day, at, exact = _parse(text, now=now, tz=tz, field=field)
    if exact is not None:
        return exact.astimezone(UTC)
    return _local(day, at or day_starts, tz).astimezone(UTC)


def workday_start(text: str) -> time:
    """The `workday_start` setting (`09:00`, `8:30`, `9am`) as a time of day."""
    parsed = parse_time(text) if text.strip() else None
    if parsed is None:
        raise InvalidInput("workday_start", text, "not a time of day (e.g. 09:00)")
    return parsed


def parse_date(text: str, *, today: date, field: str) -> date:
    """A calendar day; a time of day in the text is ignored."""
    now = datetime.combine(today, time(12), tzinfo=UTC)
    day, _at, exact = _parse(text, now=now, tz=UTC, field=field)
    return exact.date() if exact is not None else day


def day_start(day: date, tz: tzinfo, at: time = time(0)) -> datetime:
    """The UTC instant at which calendar day `day` starts in `tz` (or reaches `at` there)."""
    return _local(day, at, tz).astimezone(UTC)


def _local(day: date, at: time, tz: tzinfo) -> datetime:
    # Wall-clock time on that day in the zone: 9:00 stays 9:00 across a DST change.
    return datetime.combine(day, at).replace(tzinfo=tz)


def _parse(
    text: str, *, now: datetime, tz: tzinfo, field: str
) -> tuple[date, time | None, datetime | None]:
    """(day, time of day or None, exact moment or None) for the text, relative to `now`."""
    raw = " ".join(text.strip().lower().split())
    if not raw:
        raise InvalidInput(field, text, "empty date")
    local_now = now.astimezone(tz)
    today = local_now.date()
    if raw == "now":
        return today, None, now
    if match := _OFFSET.match(raw):
        return _offset(match, now=local_now, field=field, text=text)
    head, _, rest = raw.partition(" ")
    if head == "next" and rest:
        head, _, rest = rest.partition(" ")
        day = _weekday(head, today, strictly_after=True)
        if day is None:
            raise InvalidInput(field, text, "not a date (after 'next' comes a weekday)")
        return day, _time_or_error(rest, field, text), None
    named = {
        "today": today,
        "tomorrow": today + timedelta(days=1),
        "yesterday": today - timedelta(days=1),
    }
    day = named.get(head) or _weekday(head, today, strictly_after=False)
    if day is not None:
        return day, _time_or_error(rest, field, text), None
    if _looks_like_time(raw) and (at := parse_time(raw)) is not None:
        return today, at, None
    if _BARE_NUMBER.match(raw):
        # dateutil would read `-1` or `5` as a day of this month, and `2026` as today's date
        # in 2026: a number alone is not a date anyone means.
        raise InvalidInput(field, text, "a number alone is not a date (e.g. 2026-12-01 or +3d)")
    return _fallback(raw, local_now=local_now, tz=tz, field=field, text=text)


def _offset(
    match: re.Match[str], *, now: datetime, field: str, text: str
) -> tuple[date, time | None, datetime | None]:
    unit = _UNITS.get(match.group("unit"))
    if unit is None:
        raise InvalidInput(field, text, "unknown unit (use m, h, d, w, mo or y)")
    n = int(match.group("n")) * (-1 if match.group("sign") == "-" else 1)
    try:
        if unit in ("minutes", "hours"):
            # Elapsed time: `+2h` is two real hours from now, across a DST change too.
            moment = (now.astimezone(UTC) + timedelta(**{unit: n})).astimezone(now.tzinfo)
            return moment.date(), None, moment
        from dateutil.relativedelta import relativedelta  # months and years: calendar steps

        calendar_step: dict[str, Any] = {unit: n}
        return now.date() + relativedelta(**calendar_step), None, None
    except (OverflowError, ValueError):
        raise InvalidInput(field, text, "too far away") from None


def _weekday(word: str, today: date, *, strictly_after: bool) -> date | None:
    """`fri`/`friday` -> today if it is a Friday (unless strictly after), else the coming one."""
    if len(word) < 3:
        return None
    index = next((i for i, name in enumerate(_WEEKDAYS) if name.startswith(word)), None)
    if index is None:
        return None
    ahead = (index - today.weekday()) % 7
    if ahead == 0 and strictly_after:
        ahead = 7
    return today + timedelta(days=ahead)


def _time_or_error(text: str, field: str, original: str) -> time | None:
    if not text:
        return None
    parsed = parse_time(text)
    if parsed is None:
        raise InvalidInput(field, original, "not a time of day")
    return parsed


def _looks_like_time(raw: str) -> bool:
    """`at 9`, `9:30`, `9am`; a bare `9` stays a day of the month for dateutil."""
    return raw.startswith("at ") or bool(
        re.fullmatch(r"\d{1,2}(:\d{2}){1,2}|\d{1,2}(:\d{2})?\s*[ap]m", raw)
    )


def parse_time(text: str) -> time | None:
    """`9`, `9:30`, `14:30:15`, `9am`, `9:30 pm`; None when it is not a time of day."""
    match = _TIME.match(text.strip().lower().removeprefix("at ").strip())
    if not match:
        return None
    hour, minute = int(match.group("h")), int(match.group("m") or 0)
    second = int(match.group("s") or 0)
    if ampm := match.group("ampm"):
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return time(hour, minute, second)


def _fallback(
    raw: str, *, local_now: datetime, tz: tzinfo, field: str, text: str
) -> tuple[date, time | None, datetime | None]:
    try:
        iso = datetime.fromisoformat(raw.upper())
    except ValueError:
        iso = None
    if iso is not None:
        has_time = ":" in raw or "t" in raw
        if iso.tzinfo is not None:
            return iso.date(), None, iso
        return iso.date(), (iso.time() if has_time else None), None
    from dateutil import parser

    try:
        parsed = parser.parse(
            raw, default=local_now.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
        )
    except (ValueError, OverflowError):
        raise InvalidInput(field, text, "not a date or time I can read") from None
    if parsed.tzinfo is not None:
        return parsed.date(), None, parsed
    has_time = parsed.time() != time(0) or bool(re.search(r"\d:\d|\d\s*(am|pm)\b", raw))
    return parsed.date(), (parsed.time() if has_time else None), None


_DAY_OF_YEAR = re.compile(
    r"^(?:(?P<year>\d{4})-?|--)(?P<month>\d{2})-?(?P<day>\d{2})$|^(?P<m2>\d{1,2})-(?P<d2>\d{1,2})$"
)


def parse_day_of_year(text: str) -> tuple[int | None, int, int] | None:
    """A remembered day as (year or None, month, day): `1980-04-12`, `19800412`, vCard's
    `--0412` or `--04-12` and `04-12` (no year). None when it is not one."""
    match = _DAY_OF_YEAR.match(text.strip())
    if not match:
        return None
    year = int(match["year"]) if match["year"] else None
    month, day = int(match["month"] or match["m2"]), int(match["day"] or match["d2"])
    try:
        date(year or 2000, month, day)  # 2000 is a leap year: 29 February is a valid day
    except ValueError:
        return None
    return year, month, day


def format_day_of_year(year: int | None, month: int, day: int) -> str:
    return f"{year:04d}-{month:02d}-{day:02d}" if year else f"--{month:02d}-{day:02d}"
