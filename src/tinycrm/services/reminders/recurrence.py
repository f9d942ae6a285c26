"""Recurring activities: `--every 2w` and `--rrule` as RFC 5545 rules, and their next date.

Rules are kept without DTSTART: the activity's due time is the start. Occurrences are
computed on the wall clock of the user's time zone, so a weekly 9:00 meeting stays at 9:00
across a daylight-saving change (its UTC time moves instead).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo

from dateutil.rrule import rrulestr

from tinycrm.dates import parse_duration
from tinycrm.errors import InvalidInput

_FREQ = {
    "d": "DAILY",
    "day": "DAILY",
    "days": "DAILY",
    "daily": "DAILY",
    "w": "WEEKLY",
    "week": "WEEKLY",
    "weeks": "WEEKLY",
    "weekly": "WEEKLY",
    "mo": "MONTHLY",
    "month": "MONTHLY",
    "months": "MONTHLY",
    "monthly": "MONTHLY",
    "y": "YEARLY",
    "year": "YEARLY",
    "years": "YEARLY",
    "yearly": "YEARLY",
}
_DAYS = {
    "mon": "MO",
    "tue": "TU",
    "wed": "WE",
    "thu": "TH",
    "fri": "FR",
    "sat": "SA",
    "sun": "SU",
}
_EVERY = re.compile(r"^(?P<n>\d+)?\s*(?P<unit>[a-z]+)$")
EVERY_HELP = "e.g. day, week, 2w, 3mo, year, weekday, mon,thu"


def parse_every(text: str, *, field: str = "every") -> str:
    """`2w` -> `FREQ=WEEKLY;INTERVAL=2`; `weekday` -> Monday to Friday; `mon,thu` -> those days."""
    words = text.strip().lower()
    if words in ("weekday", "weekdays"):
        return "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"
    days = [d.strip()[:3] for d in words.split(",")]
    if all(d in _DAYS for d in days):
        return "FREQ=WEEKLY;BYDAY=" + ",".join(_DAYS[d] for d in days)
    match = _EVERY.match(words)
    freq = _FREQ.get(match.group("unit")) if match else None
    if not match or freq is None:
        raise InvalidInput(field, text, f"not a repeat interval ({EVERY_HELP})")
    n = int(match.group("n") or 1)
    if n < 1 or n > 1000:
        raise InvalidInput(field, text, "the interval must be between 1 and 1000")
    return f"FREQ={freq}" + (f";INTERVAL={n}" if n > 1 else "")


NEVER = ("", "never", "none", "no")
"""What a repeat field says for "does not repeat"."""


def repeat_rule(text: str, *, field: str = "repeat") -> str | None:
    """A repeat as typed in a form: an interval (`2w`, `weekday`, `mon,thu`, see
    `parse_every`) or an RFC 5545 rule (`FREQ=MONTHLY;BYMONTHDAY=1`); None for never."""
    words = text.strip()
    if words.lower() in NEVER:
        return None
    if words.upper().startswith(("FREQ=", "RRULE:")):
        return check_rrule(words, field=field)
    return parse_every(words, field=field)


def lead_minutes(text: str, *, field: str = "remind") -> int:
    """How long before its due time a reminder goes, in minutes: `15m`, `2h`, `1d`, `0`."""
    if text.strip() in ("0", "0m"):
        return 0
    return int(parse_duration(text, field=field).total_seconds() // 60)


def check_rrule(text: str, *, field: str = "repeat rule") -> str:
    """An RRULE value as RFC 5545 writes it, checked by dateutil; DTSTART is not allowed
    (the activity's due time is the start)."""
    rule = text.strip()
    if rule.upper().startswith("RRULE:"):
        rule = rule[6:]
    rule = rule.upper()
    if not rule.startswith("FREQ=") and ";FREQ=" not in rule:
        raise InvalidInput(field, text, "an RRULE needs FREQ, e.g. FREQ=WEEKLY;INTERVAL=2")
    if "DTSTART" in rule or "\n" in rule:
        raise InvalidInput(field, text, "give one RRULE without DTSTART (the due time starts it)")
    try:
        rrulestr(rule, dtstart=datetime(2000, 1, 1))
    except (ValueError, TypeError) as exc:
        raise InvalidInput(field, text, f"not a valid RRULE ({exc})") from None
    return rule


def next_occurrence(rule: str, *, due_at: datetime, after: datetime, tz: tzinfo) -> datetime | None:
    """The first occurrence of `rule` (started at `due_at`) strictly after `after`, in UTC;
    None when the rule has ended (COUNT or UNTIL)."""
    start = due_at.astimezone(tz).replace(tzinfo=None)
    floor = max(due_at, after).astimezone(tz).replace(tzinfo=None)
    try:
        found = rrulestr(_naive_until(rule), dtstart=start).after(floor, inc=False)
    except (ValueError, TypeError):
        return None
    if found is None:
        return None
    return found.replace(tzinfo=tz).astimezone(UTC)


def _naive_until(rule: str) -> str:
    """dateutil refuses a UTC UNTIL with a floating start; compare on the wall clock."""
    return re.sub(r"(UNTIL=\d{8}(?:T\d{6})?)Z", r"\1", rule)


def describe(rule: str | None) -> str:
    """A short human reading of the common rules (`every 2 weeks`), else the rule itself."""
    if not rule:
        return ""
    parts = dict(p.split("=", 1) for p in rule.split(";") if "=" in p)
    unit = {"DAILY": "day", "WEEKLY": "week", "MONTHLY": "month", "YEARLY": "year"}.get(
        parts.get("FREQ", "")
    )
    if unit is None or set(parts) - {"FREQ", "INTERVAL", "BYDAY"}:
        return rule
    n = int(parts.get("INTERVAL", "1"))
    text = f"every {unit}" if n == 1 else f"every {n} {unit}s"
    if "BYDAY" in parts:
        if parts["BYDAY"] == "MO,TU,WE,TH,FR" and n == 1:
            return "every weekday"
        text += " on " + ",".join(d.capitalize() for d in parts["BYDAY"].split(","))
    return text
