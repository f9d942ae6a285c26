"""The agenda: open activities due in a span of time (recurring ones repeated), those
overdue, contacts' remembered days, contracts' notice days and follow-up calls on their due
day; for `crm agenda` and the app's calendar, over the same plain SQL as `crm remind` (see
`tinycrm.db.plain_sql`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from tinycrm.db.plain_sql import Sql
from tinycrm.money import Money
from tinycrm.services.reach import Reach, in_reach, joined
from tinycrm.services.reminders import RemindOptions, about, care_dates


@dataclass(frozen=True)
class AgendaItem:
    id: int
    kind: str
    subject: str
    due_at: datetime
    owner: str | None
    about: str | None
    deal_id: int | None
    recurring: str | None = None
    snoozed_until: datetime | None = None
    occurrence: bool = False
    """True for a later occurrence of a recurring activity (not a row of its own yet)."""
    care: bool = False
    """A day, not an activity: a contact's remembered day (kind `birthday`…, `id` the
    contact's), a contract's notice day (`renewal`) or a follow-up call due (`followup`)."""
    opens: tuple[str, int] | None = None
    """The record it is about, as (`contact` or `company`, id): a follow-up's customer."""


@dataclass
class Agenda:
    start: datetime
    end: datetime
    overdue: list[AgendaItem] = field(default_factory=list)
    overdue_total: int = 0
    items: list[AgendaItem] = field(default_factory=list)
    """Open activities due in [start, end), recurring ones repeated, by due time."""


_AGENDA = """
SELECT a.id, a.kind, a.subject, a.due_at, u.name, c.full_name, co.name, a.deal_id,
       a.rrule, a.snoozed_until
FROM activities a
LEFT JOIN users u ON u.id = a.owner_id
LEFT JOIN contacts c ON c.id = a.contact_id {in_contacts}
LEFT JOIN companies co ON co.id = a.company_id {in_companies}
WHERE a.done_at IS NULL AND a.due_at >= :start AND a.due_at < :end {owner}
ORDER BY a.due_at, a.id
"""


def agenda(
    sql: Sql,
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    tz: tzinfo,
    owner_id: int | None = None,
    reach: Reach | None = None,
    overdue_limit: int = 50,
) -> Agenda:
    """Open activities due between `start` and `end`, and those overdue at `now`, of
    what `reach` lets the user read (None: everything)."""
    owner = "AND a.owner_id = :owner" if owner_id is not None else ""
    owner += " " + in_reach(reach, "activities", "a.owner_id")
    query = _AGENDA.format(owner=owner, **joined(reach))
    result = Agenda(start=start, end=end)
    result.items = [_agenda_item(r) for r in sql.rows(query, start=start, end=end, owner=owner_id)]
    result.overdue_total = sql.rows(  # as of now, whatever span is shown
        "SELECT count(*) FROM activities a WHERE a.done_at IS NULL AND a.due_at < :now " + owner,
        now=now,
        owner=owner_id,
    )[0][0]
    if result.overdue_total and overdue_limit:
        older = sql.rows(
            query.replace("a.due_at >= :start AND ", "") + f" LIMIT {overdue_limit}",
            end=now,
            owner=owner_id,
        )
        result.overdue = [_agenda_item(r) for r in older]
    result.items.extend(_repeats(sql, start=start, end=end, tz=tz, query=query, owner_id=owner_id))
    result.items.extend(
        _care_days(sql, start=start, end=end, tz=tz, owner_id=owner_id, reach=reach)
    )
    result.items.extend(
        _notice_days(sql, start=start, end=end, tz=tz, owner_id=owner_id, reach=reach)
    )
    result.items.extend(
        _followup_days(sql, start=start, end=end, tz=tz, owner_id=owner_id, reach=reach)
    )
    result.items.sort(key=lambda i: (i.due_at, i.care, i.id))
    return result


def _local_days(start: datetime, end: datetime, tz: tzinfo) -> tuple[date, date]:
    """The first and last local calendar days [start, end) touches."""
    return start.astimezone(tz).date(), (end - timedelta(microseconds=1)).astimezone(tz).date()


def _care_days(
    sql: Sql,
    *,
    start: datetime,
    end: datetime,
    tz: tzinfo,
    owner_id: int | None,
    reach: Reach | None,
) -> Iterator[AgendaItem]:
    """Birthdays and other remembered days in [start, end), at local midnight."""
    first, last = _local_days(start, end, tz)
    days = max(0, min((last - first).days, 366))
    opts = RemindOptions(now=start, tz=tz, owner_id=owner_id, care_within_days=days, reach=reach)
    for r in care_dates(sql, replace(opts, delivered_too=True)):
        assert r.day is not None
        yield AgendaItem(
            id=r.id,
            kind=r.reasons[0],
            subject=r.title,
            due_at=datetime.combine(r.day, time(0), tz).astimezone(UTC),
            owner=r.owner,
            about=r.about,
            deal_id=None,
            care=True,
        )


def _notice_days(
    sql: Sql,
    *,
    start: datetime,
    end: datetime,
    tz: tzinfo,
    owner_id: int | None,
    reach: Reach | None,
) -> Iterator[AgendaItem]:
    """Contracts' notice dates in [start, end), as days to remember (`care`, no time)."""
    from tinycrm.services.reminders.renewals import notice_dates

    first, last = _local_days(start, end, tz)
    opts = RemindOptions(now=start, tz=tz, owner_id=owner_id, reach=reach)
    for r in notice_dates(sql, opts, first=first, last=last):
        assert r.day is not None and r.amount_minor is not None and r.currency is not None
        value = Money(r.amount_minor, r.currency)
        yield AgendaItem(
            id=r.id,
            kind="renewal",
            subject=f"renewal notice: contract #{r.id} ({value}), {r.title}",
            due_at=datetime.combine(r.day, time(0), tz).astimezone(UTC),
            owner=r.owner,
            about=r.about,
            deal_id=None,
            care=True,
        )


def _followup_days(
    sql: Sql,
    *,
    start: datetime,
    end: datetime,
    tz: tzinfo,
    owner_id: int | None,
    reach: Reach | None,
) -> Iterator[AgendaItem]:
    """Follow-up calls not done, on their due day in [start, end) (a day, no time), naming
    whom to call."""
    from tinycrm.services.reminders.followups import followups_between

    first, last = _local_days(start, end, tz)
    opts = RemindOptions(now=start, tz=tz, owner_id=owner_id, reach=reach)
    for r, customer, follows in followups_between(sql, opts, first=first, last=last):
        assert r.day is not None
        call = f"call {customer[2]} about" if customer else "call about"
        yield AgendaItem(
            id=r.id,
            kind="followup",
            subject=f"follow-up #{r.id}: {call} {follows}",
            due_at=local_midnight(r.day, tz),
            owner=r.owner,
            about=r.about,
            deal_id=None,
            care=True,
            opens=customer[:2] if customer else None,
        )


def _agenda_item(row: Sequence[Any], **changes: Any) -> AgendaItem:
    id_, kind, subject, due_at, owner, contact, company, deal_id, rule, snoozed = row
    item = AgendaItem(
        id=id_,
        kind=kind,
        subject=subject,
        due_at=Sql.moment(due_at) or datetime.min.replace(tzinfo=UTC),
        owner=owner,
        about=about(contact, company),
        deal_id=deal_id,
        recurring=rule,
        snoozed_until=Sql.moment(snoozed),
    )
    return item if not changes else AgendaItem(**{**item.__dict__, **changes})


def _repeats(
    sql: Sql, *, start: datetime, end: datetime, tz: tzinfo, query: str, owner_id: int | None
) -> Iterator[AgendaItem]:
    """Later occurrences of open recurring activities that fall in [start, end) (`query`
    is the agenda's, with its owner and reach)."""
    from tinycrm.services.reminders.recurrence import next_occurrence

    query = query.replace(
        "a.due_at >= :start AND a.due_at < :end", "a.rrule IS NOT NULL AND a.due_at < :end"
    )
    for row in sql.rows(query, end=end, owner=owner_id):
        item = _agenda_item(row)
        assert item.recurring is not None
        at = item.due_at
        for _ in range(400):  # a daily rule over a month view needs ~31
            found = next_occurrence(item.recurring, due_at=item.due_at, after=at, tz=tz)
            if found is None or found >= end:
                break
            at = found
            if found >= start:
                yield _agenda_item(row, due_at=found, occurrence=True)


def local_midnight(day: date, tz: tzinfo) -> datetime:
    """The start of a local calendar day, in UTC."""
    return datetime.combine(day, time(0), tz).astimezone(UTC)


def agenda_days(
    sql: Sql,
    *,
    first: date,
    last: date,
    now: datetime,
    tz: tzinfo,
    owner_id: int | None = None,
    reach: Reach | None = None,
    overdue_limit: int = 50,
) -> Agenda:
    """The agenda of the local days `first` to `last`, both included."""
    return agenda(
        sql,
        start=local_midnight(first, tz),
        end=local_midnight(last + timedelta(days=1), tz),
        now=now,
        tz=tz,
        owner_id=owner_id,
        reach=reach,
        overdue_limit=overdue_limit,
    )


def day_counts(
    sql: Sql,
    *,
    first: date,
    last: date,
    tz: tzinfo,
    owner_id: int | None = None,
    reach: Reach | None = None,
) -> dict[date, int]:
    """How many open activities fall due on each local day from `first` to `last`."""
    start = local_midnight(first, tz)
    counts: dict[date, int] = {}
    found = agenda_days(
        sql,
        first=first,
        last=last,
        now=start,
        tz=tz,
        owner_id=owner_id,
        reach=reach,
        overdue_limit=0,
    )
    for item in found.items:
        day = item.due_at.astimezone(tz).date()
        counts[day] = counts.get(day, 0) + 1
    return counts
