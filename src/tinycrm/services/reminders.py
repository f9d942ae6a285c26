"""What is due: reminders for `crm remind` (run from cron), the agenda and the calendar.

This module never imports SQLAlchemy or SQLModel. Cron runs `crm remind` every morning and
importing SQLModel alone costs several times a whole run with the standard library's
sqlite3, so these queries are plain SQL over a DB-API connection (`Sql`): stdlib sqlite3
for a SQLite file, and the connection SQLAlchemy holds when the caller already has one
(PostgreSQL, the TUI). The SQL is the portable subset both backends read the same way.

Each reminder is delivered once. The record remembers what was last delivered (an
activity the alert time it was shown for, a deal the close date and quiet spell it was
alerted on, a ticket the due time it was overdue for, a care reminder a row in
`reminder_deliveries`), so the queries leave out what
was already shown and a quiet morning run reads only index entries. `claim()` marks what
it shows with a compare-and-set inside one write transaction and keeps only the reminders
it marked; the caller prints, then commits. Two overlapping runs queue on the write lock,
and the second finds every mark already set.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any

from tinycrm.errors import CrmError, DatabaseError
from tinycrm.revision import HEAD_REVISION
from tinycrm.services.userref import pick_user

_SQLITE_TS = "%Y-%m-%d %H:%M:%S.%f"
"""How SQLAlchemy stores a UTC timestamp in SQLite (naive text that sorts as time)."""


class Sql:
    """A DB-API connection with `:name` parameters and UTC-aware timestamps on both backends."""

    def __init__(self, conn: Any, dialect: str) -> None:
        self.conn = conn
        self.sqlite = dialect == "sqlite"

    def rows(self, query: str, **params: Any) -> list[tuple[Any, ...]]:
        with self._cursor(query, params) as cur:
            return list(cur.fetchall())

    def run(self, query: str, **params: Any) -> int:
        with self._cursor(query, params) as cur:
            return int(cur.rowcount)

    @contextmanager
    def _cursor(self, query: str, params: dict[str, Any]) -> Iterator[Any]:
        cur = self.conn.cursor()
        try:
            cur.execute(self._query(query), self._params(params))
            yield cur
        except Exception as exc:
            raise _database_error(exc) from None
        finally:
            cur.close()

    def _query(self, query: str) -> str:
        return query if self.sqlite else re.sub(r"(?<!:):([a-z_]\w*)", r"%(\1)s", query)

    def _params(self, params: dict[str, Any]) -> dict[str, Any]:
        if not self.sqlite:
            return params
        out = {}
        for key, value in params.items():
            if isinstance(value, datetime):
                value = value.astimezone(UTC).strftime(_SQLITE_TS)
            elif isinstance(value, date):
                value = value.isoformat()
            out[key] = value
        return out

    @staticmethod
    def moment(value: Any) -> datetime | None:
        """A timestamp column as an aware UTC datetime."""
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    @staticmethod
    def day(value: Any) -> date | None:
        if value is None or isinstance(value, date):
            return value
        return date.fromisoformat(str(value)[:10])

    @contextmanager
    def writing(self) -> Iterator[None]:
        """One write transaction; SQLite takes the write lock at the start (BEGIN IMMEDIATE)
        so a second cron run waits here instead of failing later."""
        if self.sqlite:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise _database_error(exc) from None
        try:
            yield
        except BaseException:
            self.conn.rollback()
            raise
        self.conn.commit()


def _database_error(exc: Exception) -> Exception:
    """A driver's error as one line for the user; anything else unchanged."""
    if isinstance(exc, sqlite3.Error) or type(exc).__module__.startswith("psycopg"):
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "locked" in reason or "busy" in reason:
            reason += " (another crm is writing; try again)"
        return DatabaseError(f"database error: {reason}")
    return exc


def open_sqlite(path: Path) -> Sql | None:
    """The SQLite file with the standard library, or None when its schema is not the one
    this code expects (the caller then opens it the slow way, which upgrades it)."""
    if not path.exists():
        raise CrmError(f"no database at {path} (run 'crm init' or pass --db)")
    try:
        conn = sqlite3.connect(path, timeout=5.0, isolation_level=None)
        conn.execute("PRAGMA busy_timeout = 5000")
        conn.execute("PRAGMA foreign_keys = ON")
        version = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error as exc:
        raise DatabaseError(f"cannot read the database {path}: {exc}") from None
    if version is None or version[0] != HEAD_REVISION:
        conn.close()
        return None
    return Sql(conn, "sqlite")


# --- what is due ------------------------------------------------------------------------


@dataclass(frozen=True)
class Reminder:
    """One thing to tell a rep about. `kind` is overdue, due (its reminder time has come),
    upcoming (due within the window asked for), deal, ticket (a service ticket past its
    due time) or care."""

    kind: str
    key: str
    id: int
    title: str
    at: datetime | None = None
    """The due time (tasks)."""
    day: date | None = None
    """The expected close date (deals) or the day to remember (care)."""
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


def find_owner(sql: Sql, ref: str) -> tuple[int, str]:
    """The user `ref` names (same rules as every other command)."""
    users = [
        _User(id=r[0], name=r[1], name_key=r[2], email=r[3])
        for r in sql.rows("SELECT id, name, name_key, email FROM users ORDER BY id")
    ]
    user = pick_user(users, ref)
    return user.id, user.name


@dataclass(frozen=True)
class _User:
    id: int
    name: str
    name_key: str
    email: str | None


_TASKS = """
SELECT a.id, a.kind, a.subject, a.due_at, a.alert_at, a.rrule, u.name, c.full_name, co.name
FROM activities a
LEFT JOIN users u ON u.id = a.owner_id
LEFT JOIN contacts c ON c.id = a.contact_id
LEFT JOIN companies co ON co.id = a.company_id
WHERE a.done_at IS NULL AND a.alert_at <= :until {new} {owner}
"""
_NEW_TASK = "AND (a.reminded_at IS NULL OR a.reminded_at <> a.alert_at)"


def due_tasks(sql: Sql, opts: RemindOptions) -> list[Reminder]:
    """Open activities whose reminder time has come (or comes within `opts.within`), not
    yet delivered for that time (all of them with `delivered_too`)."""
    owner = "AND a.owner_id = :owner" if opts.owner_id is not None else ""
    new = "" if opts.delivered_too else _NEW_TASK
    found = []
    rows = sql.rows(
        _TASKS.format(owner=owner, new=new), until=opts.now + opts.within, owner=opts.owner_id
    )
    rows.sort(key=lambda r: (Sql.moment(r[3]) or opts.now, r[0]))
    for id_, kind, subject, due_at, alert_at, rule, owner_name, contact, company in rows:
        due = Sql.moment(due_at)
        alert = Sql.moment(alert_at)
        assert alert is not None
        state = (
            "overdue"
            if due is not None and due < opts.now
            else ("due" if alert <= opts.now else "upcoming")
        )
        found.append(
            Reminder(
                kind=state,
                key=f"activity:{id_}:{alert:%Y%m%dT%H%M%S}",
                marks=(alert,),
                id=id_,
                title=subject if kind == "task" else f"{kind}: {subject}",
                at=due,
                owner=owner_name,
                about=_about(contact, company),
                recurring=rule,
            )
        )
    return found


_DEALS = """
SELECT d.id, d.title, d.amount_minor, d.currency, d.expected_close, {quiet},
       d.alerted_close, d.alerted_overdue, d.alerted_quiet, u.name, co.name, c.full_name
FROM deals d
LEFT JOIN users u ON u.id = d.owner_id
LEFT JOIN companies co ON co.id = d.company_id
LEFT JOIN contacts c ON c.id = d.contact_id
WHERE d.status = 'open' AND d.amount_minor >= :min_amount {owner}
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
    yet (all of them with `delivered_too`)."""
    today = opts.now.astimezone(opts.tz).date()
    query = _DEALS.format(
        quiet=_QUIET,
        owner="AND d.owner_id = :owner" if opts.owner_id is not None else "",
        new_close="" if opts.delivered_too else _NEW_CLOSE,
        new_quiet="" if opts.delivered_too else _NEW_QUIET,
    )
    found = []
    for row in sql.rows(
        query,
        min_amount=opts.min_amount_minor,
        owner=opts.owner_id,
        close_by=today + timedelta(days=opts.close_within_days),
        today=today,
        quiet_before=opts.now - timedelta(days=opts.stale_after_days),
    ):
        id_, title, amount, currency, close, quiet, *marks, owner_name, company, contact = row
        close_day = Sql.day(close)
        quiet_since = Sql.moment(quiet)
        reasons = []
        if close_day is not None and close_day < today:
            reasons.append("overdue")
        elif close_day is not None and (close_day - today).days <= opts.close_within_days:
            reasons.append("closing")
        if quiet_since is not None and quiet_since < opts.now - timedelta(
            days=opts.stale_after_days
        ):
            reasons.append("stale")
        found.append(
            Reminder(
                kind="deal",
                key=f"deal:{id_}:" + ":".join(reasons),
                id=id_,
                title=title,
                day=close_day,
                owner=owner_name,
                about=_about(contact, company),
                amount_minor=amount,
                currency=currency,
                reasons=tuple(reasons),
                last_activity=quiet_since,
                marks=(Sql.day(marks[0]), marks[1], Sql.moment(marks[2])),
            )
        )
    return found


_CARE = """
SELECT cd.contact_id, cd.kind, cd.month, cd.day, cd.year, c.full_name, u.name, co.name
FROM contact_dates cd
JOIN contacts c ON c.id = cd.contact_id
LEFT JOIN users u ON u.id = c.owner_id
LEFT JOIN companies co ON co.id = c.company_id
WHERE cd.month IN ({months}) {owner}
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
    for contact_id, kind, month, day_, year, name, owner_name, company in sql.rows(
        _CARE.format(months=marks, owner=owner), owner=opts.owner_id, **params
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
                title=f"{name}: {kind}" + (f" ({when.year - year})" if year else ""),
                day=when,
                reasons=(kind,),
                owner=owner_name,
                about=company,
            )
        )
    if found and not opts.delivered_too:
        marks = ", ".join(f":k{i}" for i in range(len(found)))
        keys = {f"k{i}": r.key for i, r in enumerate(found)}
        query = f"SELECT key FROM reminder_deliveries WHERE key IN ({marks})"
        delivered = {row[0] for row in sql.rows(query, **keys)}
        found = [r for r in found if r.key not in delivered]
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
LEFT JOIN contacts c ON c.id = t.contact_id
LEFT JOIN companies co ON co.id = t.company_id
WHERE t.status = 'open' AND t.due_at < :now {new} {owner}
ORDER BY t.due_at, t.id
"""
_NEW_TICKET = "AND (t.reminded_at IS NULL OR t.reminded_at <> t.due_at)"


def overdue_tickets(sql: Sql, opts: RemindOptions) -> list[Reminder]:
    """Open service tickets past their due time, each delivered once per due time (a new
    due time, after a reopen or an edit, is news again); all of them with `delivered_too`."""
    query = _TICKETS.format(
        new="" if opts.delivered_too else _NEW_TICKET,
        owner="AND t.owner_id = :owner" if opts.owner_id is not None else "",
    )
    found = []
    for id_, subject, priority, due_at, owner_name, contact, company in sql.rows(
        query, now=opts.now, owner=opts.owner_id
    ):
        due = Sql.moment(due_at)
        assert due is not None
        found.append(
            Reminder(
                kind="ticket",
                key=f"ticket:{id_}:{due:%Y%m%dT%H%M%S}",
                marks=(due,),
                id=id_,
                title=subject,
                at=due,
                owner=owner_name,
                about=_about(contact, company),
                priority=priority,
            )
        )
    return found


def _about(contact: str | None, company: str | None) -> str | None:
    return " · ".join(p for p in (contact, company) if p) or None


def collect(
    sql: Sql,
    opts: RemindOptions,
    *,
    sections: Iterable[str] = ("tasks", "deals", "tickets", "care"),
) -> list[Reminder]:
    """Everything due, grouped overdue, due, upcoming, deals, tickets, care."""
    finders: dict[str, Callable[[Sql, RemindOptions], list[Reminder]]] = {
        "tasks": due_tasks,
        "deals": large_deals,
        "tickets": overdue_tickets,
        "care": care_dates,
    }
    found = [r for name in sections for r in finders[name](sql, opts)]
    order = {k: i for i, k in enumerate(("overdue", "due", "upcoming", "deal", "ticket", "care"))}
    return sorted(found, key=lambda r: order[r.kind])


def claim(sql: Sql, reminders: Sequence[Reminder], now: datetime) -> list[Reminder]:
    """Mark each reminder delivered; returns those no other run marked first.

    Call inside `sql.writing()`; the marks become visible when it commits. Each mark is a
    compare-and-set against what was read, so of two runs that read the same reminder only
    the first to write keeps it."""
    return [r for r in reminders if _CLAIMS[r.kind](sql, r, now) == 1]


def _claim_activity(sql: Sql, r: Reminder, now: datetime) -> int:
    return sql.run(
        "UPDATE activities SET reminded_at = alert_at WHERE id = :id AND alert_at = :alert "
        "AND (reminded_at IS NULL OR reminded_at <> alert_at)",
        id=r.id,
        alert=r.marks[0],
    )


def _claim_deal(sql: Sql, r: Reminder, now: datetime) -> int:
    close, overdue, quiet = r.marks
    new_close, new_overdue = close, overdue
    if {"closing", "overdue"} & set(r.reasons):
        new_close, new_overdue = r.day, "overdue" in r.reasons
    new_quiet = r.last_activity if "stale" in r.reasons else quiet
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


def _claim_key(sql: Sql, r: Reminder, now: datetime) -> int:
    return sql.run(
        "INSERT INTO reminder_deliveries (key, delivered_at) VALUES (:key, :at) "
        "ON CONFLICT (key) DO NOTHING",
        key=r.key,
        at=now,
    )


_CLAIMS: dict[str, Callable[[Sql, Reminder, datetime], int]] = {
    "overdue": _claim_activity,
    "due": _claim_activity,
    "upcoming": _claim_activity,
    "deal": _claim_deal,
    "ticket": _claim_ticket,
    "care": _claim_key,
}


def forget_deliveries(sql: Sql, *, before: datetime) -> int:
    """Drop ledger rows older than `before` (their occurrences are long past)."""
    return sql.run("DELETE FROM reminder_deliveries WHERE delivered_at < :before", before=before)


# --- the agenda and the calendar ----------------------------------------------------------


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
    """A contact's remembered day (kind `birthday`…, `id` the contact's), not an activity."""


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
LEFT JOIN contacts c ON c.id = a.contact_id
LEFT JOIN companies co ON co.id = a.company_id
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
    overdue_limit: int = 50,
) -> Agenda:
    """Open activities due between `start` and `end`, and those overdue at `now`."""
    owner = "AND a.owner_id = :owner" if owner_id is not None else ""
    result = Agenda(start=start, end=end)
    first = min(start, now)
    rows = sql.rows(_AGENDA.format(owner=owner), start=first, end=end, owner=owner_id)
    for row in rows:
        item = _agenda_item(row)
        if item.due_at < now:
            result.overdue_total += 1
            if len(result.overdue) < overdue_limit:
                result.overdue.append(item)
        if start <= item.due_at < end:
            result.items.append(item)
    overdue_before = sql.rows(
        "SELECT count(*) FROM activities a WHERE a.done_at IS NULL AND a.due_at < :first " + owner,
        first=first,
        owner=owner_id,
    )[0][0]
    if overdue_before:
        result.overdue_total += overdue_before
        older = sql.rows(
            _AGENDA.format(owner=owner).replace("a.due_at >= :start AND ", "")
            + f" LIMIT {overdue_limit}",
            end=first,
            owner=owner_id,
        )
        result.overdue = [_agenda_item(r) for r in older] + result.overdue
        del result.overdue[overdue_limit:]
    result.items.extend(_repeats(sql, start=start, end=end, tz=tz, owner=owner, owner_id=owner_id))
    result.items.extend(_care_days(sql, start=start, end=end, tz=tz, owner_id=owner_id))
    result.items.sort(key=lambda i: (i.due_at, i.care, i.id))
    return result


def _care_days(
    sql: Sql, *, start: datetime, end: datetime, tz: tzinfo, owner_id: int | None
) -> Iterator[AgendaItem]:
    """Birthdays and other remembered days in [start, end), at local midnight."""
    first = start.astimezone(tz).date()
    last = (end - timedelta(microseconds=1)).astimezone(tz).date()
    days = max(0, min((last - first).days, 366))
    opts = RemindOptions(now=start, tz=tz, owner_id=owner_id, care_within_days=days)
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


def _agenda_item(row: Sequence[Any], **changes: Any) -> AgendaItem:
    id_, kind, subject, due_at, owner, contact, company, deal_id, rule, snoozed = row
    item = AgendaItem(
        id=id_,
        kind=kind,
        subject=subject,
        due_at=Sql.moment(due_at) or datetime.min.replace(tzinfo=UTC),
        owner=owner,
        about=_about(contact, company),
        deal_id=deal_id,
        recurring=rule,
        snoozed_until=Sql.moment(snoozed),
    )
    return item if not changes else AgendaItem(**{**item.__dict__, **changes})


def _repeats(
    sql: Sql, *, start: datetime, end: datetime, tz: tzinfo, owner: str, owner_id: int | None
) -> Iterator[AgendaItem]:
    """Later occurrences of open recurring activities that fall in [start, end)."""
    from tinycrm.services.recurrence import next_occurrence

    query = _AGENDA.format(owner=owner).replace(
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
        overdue_limit=overdue_limit,
    )


def day_counts(
    sql: Sql,
    *,
    first: date,
    last: date,
    tz: tzinfo,
    owner_id: int | None = None,
) -> dict[date, int]:
    """How many open activities fall due on each local day from `first` to `last`."""
    start = local_midnight(first, tz)
    counts: dict[date, int] = {}
    found = agenda_days(
        sql, first=first, last=last, now=start, tz=tz, owner_id=owner_id, overdue_limit=0
    )
    for item in found.items:
        day = item.due_at.astimezone(tz).date()
        counts[day] = counts.get(day, 0) + 1
    return counts
