"""UTC moments as local time, fast: one UTC offset looked up per day instead of a time-zone
lookup per moment.

`crm remind` prints hundreds of thousands of times on a big backlog; converting each one
through the zone (dateutil's `tzlocal` is pure Python, and even `zoneinfo` searches its
transitions per call) was nearly half of such a run. A day without a change of offset
(almost all of them) converts with a fixed `datetime.timezone`, which is C; a day when the
clocks change converts each moment through the zone itself, so the hour that repeats or is
skipped comes out exactly as `astimezone` has it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone, tzinfo

_LAST = timedelta(days=1, microseconds=-1)


class LocalClock:
    """`clock(moment)` is `moment.astimezone(tz)` with the same wall time and UTC offset
    (so the same `isoformat()` and `strftime`), at C speed on days the offset holds."""

    def __init__(self, tz: tzinfo) -> None:
        self.tz = tz
        self._days: dict[date, timezone | None] = {}

    def __call__(self, moment: datetime) -> datetime:
        utc = moment if moment.tzinfo is UTC else moment.astimezone(UTC)
        day = utc.date()
        try:
            fixed = self._days[day]
        except KeyError:
            fixed = self._days[day] = self._offset_of(day)
        return utc.astimezone(fixed) if fixed is not None else utc.astimezone(self.tz)

    def _offset_of(self, day: date) -> timezone | None:
        """The UTC day's one offset as a fixed zone; None when the offset changes that day
        (each moment then goes through the zone). A zone's offset changes at most once in
        a day."""
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        try:
            first = start.astimezone(self.tz).utcoffset()
            last = (start + _LAST).astimezone(self.tz).utcoffset()
        except OverflowError:  # the last day there is
            return None
        if first is None or first != last:
            return None
        return timezone(first)
