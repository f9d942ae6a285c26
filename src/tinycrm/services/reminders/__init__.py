"""What is due: reminders for `crm remind` (run from cron); `agenda` in this package lists
the same records by day for the agenda and the calendar.

This module never imports SQLAlchemy or SQLModel. Cron runs `crm remind` every morning and
importing SQLModel alone costs several times a whole run with the standard library's
sqlite3, so these queries are plain SQL over a DB-API connection (`Sql`): stdlib sqlite3
for a SQLite file, and the connection SQLAlchemy holds when the caller already has one
(PostgreSQL, the TUI). The SQL is the portable subset both backends read the same way.

Each query keeps to what the acting user may read (`RemindOptions.reach`, loaded by
`services.reach.reach_of` with the same rules as `services.access`): a rep's
`--all-owners` run lists their own tasks, deals and tickets and their team's customers'
days, a manager's their team's, a run for nobody everything.

Each reminder is delivered once to each person. A run acts for someone (the acting user
running `crm remind`, whoever's reminders it shows: a manager's `--all-owners` run is the
manager's) or for nobody (recipient 0). For nobody, the record remembers what was last
delivered (an activity the alert time it was shown for, a deal the close date and quiet
spell it was alerted on, a ticket the due time it was overdue for, a follow-up call the due
day it was reminded of, a care reminder a row in `reminder_deliveries`), so the queries leave
out what was already shown and a quiet morning run reads only index entries. For a person,
each delivery is a row in `reminder_deliveries` under their id. What was delivered to nobody
(the marks, and ledger rows of recipient 0, all that was delivered before reminders were kept
per person) counts as delivered to everyone, so nothing is repeated after the upgrade.

`claim()` marks what it shows inside one write transaction and keeps only the reminders it
marked; the caller prints, then commits. `stream()` reads a huge backlog a batch at a time,
and `crm remind` claims and prints it a thousand at a time within that one transaction, so
a run that fails commits no mark. A mark is a compare-and-set or an
`INSERT … ON CONFLICT DO NOTHING`: of two overlapping runs for the same person (two
machines running cron at the same minute), the second waits for the first's commit (the
write lock on SQLite, the row's unique key on PostgreSQL) and finds the mark already set.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from itertools import chain, islice
from typing import Any

from tinycrm.dates import earlier
from tinycrm.db.plain_sql import Sql
from tinycrm.services.reach import Reach, in_reach, joined

# --- what is due ------------------------------------------------------------------------


@dataclass(frozen=True)
class Reminder:
    """One thing to tell a rep about. `kind` is overdue, due (its reminder time has come),
    upcoming (due within the window asked for), deal, ticket (a service ticket past its
    due time), followup (a follow-up call due), care or renewal."""

    kind: str
    key: str
    id: int
    title: str
    at: datetime | None = None
    """The due time (tasks)."""
    day: date | None = None
    """The expected close date (deals), the day to remember (care) or the due day (followup)."""
    owner: str | None = None
    about: str | None = None
    amount_minor: int | None = None
    currency: str | None = None
    reasons: tuple[str, ...] = ()
    """Why a deal is listed: closing, overdue, stale."""
    marks: tuple[Any, ...] = ()
    """What the record said it was last alerted on when it was read (for `claim`)."""
    last_activity: datetime | None = None
    """A deal's last logged activity (its creation when it has none)."""
    recurring: str | None = None
    priority: str | None = None
    """A ticket's priority."""


@dataclass(frozen=True)
class RemindOptions:
    now: datetime
    tz: tzinfo
    owner_id: int | None = None
    within: timedelta = timedelta(0)
    min_amount_minor: int = 1_000_000
    close_within_days: int = 7
    stale_after_days: int = 14
    care_within_days: int = 7
    delivered_too: bool = False
    """Also what earlier runs delivered (`--all`)."""
    recipient_id: int = 0
    """Whom this run delivers to: the acting user's id; 0 when nobody acts."""
    reach: Reach | None = None
    """What the acting user may read (`reach_of`); None: everything (nobody acts)."""


_TASKS = """
SELECT a.id, a.kind, a.subject, a.due_at, a.alert_at, a.rrule, u.name, c.full_name, co.name
FROM activities a
LEFT JOIN users u ON u.id = a.owner_id
LEFT JOIN contacts c ON c.id = a.contact_id {in_contacts}
LEFT JOIN companies co ON co.id = a.company_id {in_companies}
WHERE a.done_at IS NULL AND a.alert_at <= :until {new} {owner} {mine}
ORDER BY CASE WHEN a.due_at < :now THEN 0 WHEN a.alert_at <= :now THEN 1 ELSE 2 END,
         COALESCE(a.due_at, :now), a.id
"""
"""Overdue, then due, then upcoming (the `state` of `_task`), each by due time (none: now)."""
_NEW_TASK = "AND (a.reminded_at IS NULL OR a.reminded_at <> a.alert_at)"


def due_tasks(sql: Sql, opts: RemindOptions) -> list[Reminder]:
    """Open activities whose reminder time has come (or comes within `opts.within`), not
    yet delivered for that time (all of them with `delivered_too`), by due time."""
    return sorted(_tasks(sql, opts), key=lambda r: (r.at or opts.now, r.id))


def _tasks(sql: Sql, opts: RemindOptions) -> Iterator[Reminder]:
    """`due_tasks` as they are read: overdue, due, then upcoming, each by due time."""
    owner = "AND a.owner_id = :owner" if opts.owner_id is not None else ""
    new = "" if opts.delivered_too else _NEW_TASK
    query = _TASKS.format(
        owner=owner,
        new=new,
        mine=in_reach(opts.reach, "activities", "a.owner_id"),
        **joined(opts.reach),
    )
    now = opts.now
    rows = sql.stream(query, until=now + opts.within, now=now, owner=opts.owner_id)
    for id_, kind, subject, due_at, alert_at, rule, owner_name, contact, company in rows:
        due = Sql.moment(due_at)
        alert = Sql.moment(alert_at)
        assert alert is not None
        state = (
            "overdue" if due is not None and due < now else ("due" if alert <= now else "upcoming")
        )
        yield Reminder(
            kind=state,
            key=f"activity:{id_}:{alert:%Y%m%dT%H%M%S}",
            marks=(alert,),
            id=id_,
            title=subject if kind == "task" else f"{kind}: {subject}",
            at=due,
            owner=owner_name,
            about=about(contact, company),
            recurring=rule,
        )


_DEALS = """
SELECT d.id, d.title, d.amount_minor, d.currency, d.expected_close, {quiet},
       d.alerted_close, d.alerted_overdue, d.alerted_quiet, u.name, co.name, c.full_name
FROM deals d
LEFT JOIN users u ON u.id = d.owner_id
LEFT JOIN companies co ON co.id = d.company_id {in_companies}
LEFT JOIN contacts c ON c.id = d.contact_id {in_contacts}
WHERE d.status = 'open' AND d.amount_minor >= :min_amount {owner} {mine}
  AND ((d.expected_close <= :close_by {new_close}) OR ({quiet} < :quiet_before {new_quiet}))
ORDER BY d.amount_minor DESC, d.id
"""
_QUIET = "COALESCE(d.last_activity_at, d.created_at)"
"""Since when a deal has been quiet: its last activity, else its creation."""
_NEW_CLOSE = """AND (d.alerted_close IS NULL OR d.alerted_close <> d.expected_close
      OR (d.expected_close < :today AND d.alerted_overdue IS NOT TRUE))"""
_NEW_QUIET = f"AND (d.alerted_quiet IS NULL OR d.alerted_quiet <> {_QUIET})"


def large_deals(sql: Sql, opts: RemindOptions) -> list[Reminder]:
    """Open deals worth at least the threshold that close within N days (or should have
    closed already) or have had no activity for N days, and were not alerted on for that
    yet (all of them with `delivered_too`); the largest first."""
    return list(_deals(sql, opts))


def _deals(sql: Sql, opts: RemindOptions) -> Iterator[Reminder]:
    today = opts.now.astimezone(opts.tz).date()
    quiet_before = earlier(opts.now, opts.stale_after_days, field="stale after")
    query = _DEALS.format(
        quiet=_QUIET,
        owner="AND d.owner_id = :owner" if opts.owner_id is not None else "",
        new_close="" if opts.delivered_too else _NEW_CLOSE,
        new_quiet="" if opts.delivered_too else _NEW_QUIET,
        mine=in_reach(opts.reach, "deals", "d.owner_id"),
        **joined(opts.reach),
    )
    for row in sql.stream(
        query,
        min_amount=opts.min_amount_minor,
        owner=opts.owner_id,
        close_by=today + timedelta(days=opts.close_within_days),
        today=today,
        quiet_before=quiet_before,
    ):
        id_, title, amount, currency, close, quiet, *marks, owner_name, company, contact = row
        close_day = Sql.day(close)
        quiet_since = Sql.moment(quiet)
        reasons = []
        if close_day is not None and close_day < today:
            reasons.append("overdue")
        elif close_day is not None and (close_day - today).days <= opts.close_within_days:
            reasons.append("closing")
        if quiet_since is not None and quiet_since < quiet_before:
            reasons.append("stale")
        yield Reminder(
            kind="deal",
            key=f"deal:{id_}:" + ":".join(reasons),
            id=id_,
            title=title,
            day=close_day,
            owner=owner_name,
            about=about(contact, company),
            amount_minor=amount,
            currency=currency,
            reasons=tuple(reasons),
            last_activity=quiet_since,
            marks=(Sql.day(marks[0]), marks[1], Sql.moment(marks[2])),
        )


_CARE = """
SELECT cd.contact_id, cd.kind, cd.month, cd.day, cd.year, c.full_name, u.name, co.name,
  COALESCE((SELECT CASE WHEN m.to_tier_id IS NOT NULL THEN m.to_name END FROM tier_moves m
            WHERE m.contact_id = c.id ORDER BY m.id DESC LIMIT 1),
           (SELECT CASE WHEN m.to_tier_id IS NOT NULL THEN m.to_name END FROM tier_moves m
            WHERE m.company_id = c.company_id ORDER BY m.id DESC LIMIT 1))
FROM contact_dates cd
JOIN contacts c ON c.id = cd.contact_id
LEFT JOIN users u ON u.id = c.owner_id
LEFT JOIN companies co ON co.id = c.company_id {in_companies}
WHERE cd.month IN ({months}) {owner} {mine}
"""


def care_dates(sql: Sql, opts: RemindOptions) -> list[Reminder]:
    """Birthdays and other remembered days from today to `care_within_days` ahead."""
    today = opts.now.astimezone(opts.tz).date()
    days = {_on(today + timedelta(days=n)) for n in range(opts.care_within_days + 1)}
    months = sorted({m for m, _d in days})
    owner = "AND c.owner_id = :owner" if opts.owner_id is not None else ""
    marks = ", ".join(f":m{i}" for i in range(len(months)))
    params = {f"m{i}": m for i, m in enumerate(months)}
    found = []
    for contact_id, kind, month, day_, year, name, owner_name, company, tier in sql.rows(
        _CARE.format(
            months=marks,
            owner=owner,
            mine=in_reach(opts.reach, "contacts", "c.owner_id"),
            in_companies=in_reach(opts.reach, "companies", "co.owner_id"),
        ),
        owner=opts.owner_id,
        **params,
    ):
        when = _next_anniversary(month, day_, today)
        if (when.month, when.day) not in days and _on(when) not in days:
            continue
        if (when - today).days > opts.care_within_days:
            continue
        found.append(
            Reminder(
                kind="care",
                key=f"care:{contact_id}:{kind}:{when}",
                id=contact_id,
                title=f"{name}: {kind}"
                + (f" ({when.year - year})" if year else "")
                + (f", {tier} member" if tier else ""),
                day=when,
                reasons=(kind,),
                owner=owner_name,
                about=company,
            )
        )
    if not opts.delivered_too:
        found = undelivered(sql, found, opts.recipient_id)
    return sorted(found, key=lambda r: (r.day or today, r.id))


def _on(day: date) -> tuple[int, int]:
    return day.month, day.day


def _next_anniversary(month: int, day_: int, today: date) -> date:
    """This year's (or next year's) date for a day of the year; 29 February falls on the
    28th in other years."""
    for year in (today.year, today.year + 1):
        try:
            when = date(year, month, day_)
        except ValueError:
            when = date(year, month, 28)
        if when >= today:
            return when
    return when


_TICKETS = """
SELECT t.id, t.subject, t.priority, t.due_at, u.name, c.full_name, co.name
FROM tickets t
LEFT JOIN users u ON u.id = t.owner_id
LEFT JOIN contacts c ON c.id = t.contact_id {in_contacts}
LEFT JOIN companies co ON co.id = t.company_id {in_companies}
WHERE t.status = 'open' AND t.due_at < :now {new} {owner} {mine}
ORDER BY t.due_at, t.id
"""
_NEW_TICKET = "AND (t.reminded_at IS NULL OR t.reminded_at <> t.due_at)"


def overdue_tickets(sql: Sql, opts: RemindOptions) -> list[Reminder]:
    """Open service tickets past their due time, each delivered once per due time (a new
    due time, after a reopen or an edit, is news again); all of them with `delivered_too`."""
    return list(_tickets(sql, opts))


def _tickets(sql: Sql, opts: RemindOptions) -> Iterator[Reminder]:
    query = _TICKETS.format(
        new="" if opts.delivered_too else _NEW_TICKET,
        owner="AND t.owner_id = :owner" if opts.owner_id is not None else "",
        mine=in_reach(opts.reach, "tickets", "t.owner_id"),
        **joined(opts.reach),
    )
    for id_, subject, priority, due_at, owner_name, contact, company in sql.stream(
        query, now=opts.now, owner=opts.owner_id
    ):
        due = Sql.moment(due_at)
        assert due is not None
        yield Reminder(
            kind="ticket",
            key=f"ticket:{id_}:{due:%Y%m%dT%H%M%S}",
            marks=(due,),
            id=id_,
            title=subject,
            at=due,
            owner=owner_name,
            about=about(contact, company),
            priority=priority,
        )


def _followups(sql: Sql, opts: RemindOptions) -> Iterator[Reminder]:
    from tinycrm.services.reminders.followups import due_followups

    return due_followups(sql, opts)


def _renewals(sql: Sql, opts: RemindOptions) -> list[Reminder]:
    from tinycrm.services.reminders.renewals import contract_renewals

    return contract_renewals(sql, opts)


def about(contact: str | None, company: str | None) -> str | None:
    return " · ".join(p for p in (contact, company) if p) or None


def collect(
    sql: Sql,
    opts: RemindOptions,
    *,
    sections: Iterable[str] = ("tasks", "deals", "tickets", "followups", "care", "renewals"),
) -> list[Reminder]:
    """Everything due, grouped overdue, due, upcoming, deals, tickets, follow-up calls,
    care, renewals."""
    return list(stream(sql, opts, sections=sections))


def stream(
    sql: Sql,
    opts: RemindOptions,
    *,
    sections: Iterable[str] = ("tasks", "deals", "tickets", "followups", "care", "renewals"),
) -> Generator[Reminder, None, None]:
    """`collect` as it is read, a batch of rows at a time: each query returns its rows in
    the order they are shown (the tasks' overdue, due and upcoming one after the other), so
    memory stays flat however large the backlog. The care days (a week of birthdays) are
    read whole, to be sorted by day.

    The caller may `claim` what it has read while the rest is still being read, on the same
    connection: SQLite sorts all the tasks before it returns the first, and the deals and
    tickets a run of equal amount or due time at a time, which a mark never moves a row out
    of, so no row is returned twice."""
    finders: dict[str, Callable[[Sql, RemindOptions], Iterable[Reminder]]] = {
        "tasks": _tasks,
        "deals": _deals,
        "tickets": _tickets,
        "followups": _followups,
        "care": care_dates,
        "renewals": _renewals,
    }
    wanted = set(sections)
    found = chain.from_iterable(finders[name](sql, opts) for name in finders if name in wanted)
    if not (opts.recipient_id and not opts.delivered_too):
        yield from found
        return
    while batch := list(islice(found, 500)):
        yield from undelivered(sql, batch, opts.recipient_id, kinds=_MARKED)


_MARKED = frozenset({"overdue", "due", "upcoming", "deal", "ticket", "followup"})
"""The kinds whose record carries the mark of a delivery to nobody."""


def delivery_key(r: Reminder) -> str:
    """The ledger key of the occurrence `r` is: a deal's names the close date and quiet
    spell it alerts on, so a new close date is news again."""
    if r.kind != "deal":
        return r.key
    close, overdue, quiet = _deal_marks(r)
    since = f"{quiet:%Y%m%dT%H%M%S}" if quiet else ""
    return f"deal:{r.id}:{close}:{overdue}:{since}"


def undelivered(
    sql: Sql, found: list[Reminder], recipient: int, *, kinds: Iterable[str] = ("care",)
) -> list[Reminder]:
    """`found` without the reminders of `kinds` already delivered to `recipient` or to
    everyone (recipient 0)."""
    checked = {delivery_key(r) for r in found if r.kind in kinds}
    delivered: set[str] = set()
    listed = sorted(checked)
    for start in range(0, len(listed), 500):
        part = listed[start : start + 500]
        marks = ", ".join(f":k{i}" for i in range(len(part)))
        query = (
            f"SELECT key FROM reminder_deliveries WHERE key IN ({marks}) "
            "AND recipient_id IN (0, :recipient)"
        )
        keys = {f"k{i}": key for i, key in enumerate(part)}
        delivered |= {row[0] for row in sql.rows(query, recipient=recipient, **keys)}
    return [r for r in found if r.kind not in kinds or delivery_key(r) not in delivered]


def claim(
    sql: Sql, reminders: Sequence[Reminder], now: datetime, *, recipient: int = 0
) -> list[Reminder]:
    """Mark each reminder delivered to `recipient` (0: nobody acting); returns those no
    other run marked first.

    Call inside `sql.writing()`; the marks become visible when it commits. Each mark is a
    compare-and-set against what was read, or a ledger row that only the first run to
    write gets, so of two runs that read the same reminder only the first keeps it."""
    if recipient:
        return [r for r in reminders if _claim_for(sql, r, now, recipient) == 1]
    return [r for r in reminders if _CLAIMS[r.kind](sql, r, now) == 1]


def _claim_for(sql: Sql, r: Reminder, now: datetime, recipient: int) -> int:
    if r.kind == "deal" and _deal_marks(r) == r.marks:
        return 0  # nothing new (shown with --all only)
    return sql.run(
        "INSERT INTO reminder_deliveries (key, recipient_id, delivered_at) "
        "VALUES (:key, :recipient, :at) ON CONFLICT (key, recipient_id) DO NOTHING",
        key=delivery_key(r),
        recipient=recipient,
        at=now,
    )


def _claim_activity(sql: Sql, r: Reminder, now: datetime) -> int:
    return sql.run(
        "UPDATE activities SET reminded_at = alert_at WHERE id = :id AND alert_at = :alert "
        "AND (reminded_at IS NULL OR reminded_at <> alert_at)",
        id=r.id,
        alert=r.marks[0],
    )


def _deal_marks(r: Reminder) -> tuple[Any, ...]:
    """What a deal's marks become once `r` is delivered: the close date and quiet spell
    alerted on (the old ones for a reason not given)."""
    close, overdue, quiet = r.marks
    new_close, new_overdue = close, overdue
    if {"closing", "overdue"} & set(r.reasons):
        new_close, new_overdue = r.day, "overdue" in r.reasons
    new_quiet = r.last_activity if "stale" in r.reasons else quiet
    return new_close, new_overdue, new_quiet


def _claim_deal(sql: Sql, r: Reminder, now: datetime) -> int:
    close, overdue, quiet = r.marks
    new_close, new_overdue, new_quiet = _deal_marks(r)
    if (new_close, new_overdue, new_quiet) == (close, overdue, quiet):
        return 0  # nothing new (shown with --all only)
    return sql.run(
        "UPDATE deals SET alerted_close = :new_close, alerted_overdue = :new_overdue, "
        "alerted_quiet = :new_quiet WHERE id = :id "
        "AND alerted_close IS NOT DISTINCT FROM :close "
        "AND alerted_overdue IS NOT DISTINCT FROM :overdue "
        "AND alerted_quiet IS NOT DISTINCT FROM :quiet",
        id=r.id,
        new_close=new_close,
        new_overdue=new_overdue,
        new_quiet=new_quiet,
        close=close,
        overdue=overdue,
        quiet=quiet,
    )


def _claim_ticket(sql: Sql, r: Reminder, now: datetime) -> int:
    return sql.run(
        "UPDATE tickets SET reminded_at = due_at WHERE id = :id AND due_at = :due "
        "AND status = 'open' AND (reminded_at IS NULL OR reminded_at <> due_at)",
        id=r.id,
        due=r.marks[0],
    )


def _claim_followup(sql: Sql, r: Reminder, now: datetime) -> int:
    return sql.run(
        "UPDATE followups SET reminded_on = due_on WHERE id = :id AND due_on = :due "
        "AND done_at IS NULL AND (reminded_on IS NULL OR reminded_on <> due_on)",
        id=r.id,
        due=r.marks[0],
    )


def _claim_key(sql: Sql, r: Reminder, now: datetime) -> int:
    return sql.run(
        "INSERT INTO reminder_deliveries (key, delivered_at) VALUES (:key, :at) "
        "ON CONFLICT (key, recipient_id) DO NOTHING",
        key=r.key,
        at=now,
    )


_CLAIMS: dict[str, Callable[[Sql, Reminder, datetime], int]] = {
    "overdue": _claim_activity,
    "due": _claim_activity,
    "upcoming": _claim_activity,
    "deal": _claim_deal,
    "ticket": _claim_ticket,
    "followup": _claim_followup,
    "care": _claim_key,
    "renewal": _claim_key,
}


def forget_deliveries(sql: Sql, *, before: datetime) -> int:
    """Drop ledger rows older than `before` (their occurrences are long past)."""
    return sql.run("DELETE FROM reminder_deliveries WHERE delivered_at < :before", before=before)
