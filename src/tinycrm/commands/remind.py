"""`crm remind`: what cron runs every morning. Prints what is due now, once.

Start-up is the point here: the command reads a SQLite file with the standard library
(see `tinycrm.services.reminders`) and writes plain text, so a run costs little more than
`crm --version`. SQLAlchemy is loaded only when the schema needs an upgrade or the
database is a server.

A huge backlog streams: reminders are read, marked and printed a thousand at a time (the
text's sections wait in a spooled file until their count is known), and times become local
with one UTC offset a day (`tinycrm.localtime`), so memory stays flat.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from datetime import date, datetime, timedelta, tzinfo
from itertools import chain, groupby, islice
from typing import IO, TYPE_CHECKING, Annotated, Any

import typer

from tinycrm.commands.outputs import Format, FormatOption
from tinycrm.context import AppState, os_login, state
from tinycrm.errors import InvalidInput
from tinycrm.localtime import LocalClock
from tinycrm.words import plural

if TYPE_CHECKING:
    from tinycrm.db.plain_sql import Sql
    from tinycrm.services.reminders import Reminder

SECTIONS = {
    "overdue": "Overdue",
    "due": "Due now",
    "upcoming": "Coming up",
    "deal": "Large deals",
    "ticket": "Overdue tickets",
    "followup": "Follow-up calls",
    "care": "Care",
    "renewal": "Contract renewals",
}


def remind(
    owner: Annotated[
        str | None, typer.Option(help="Whose reminders (default: --as / CRM_USER).")
    ] = None,
    all_owners: Annotated[
        bool, typer.Option("--all-owners", help="Everyone's reminders (for a manager).")
    ] = False,
    within: Annotated[
        str | None,
        typer.Option(help="Also what comes due within this time, e.g. 24h, 3d."),
    ] = None,
    min_amount: Annotated[
        str | None,
        typer.Option(help="Large deals from this amount (default: config large_deal_amount)."),
    ] = None,
    close_within: Annotated[
        int, typer.Option(help="Alert on large deals expected to close within N days.")
    ] = 7,
    stale_after: Annotated[
        int | None,
        typer.Option(help="Alert on large deals with no activity for N days (default 14)."),
    ] = None,
    care_within: Annotated[
        int, typer.Option(help="Birthdays and other remembered days within N days.")
    ] = 7,
    show_all: Annotated[
        bool, typer.Option("--all", help="Show everything due, delivered before or not.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show without recording anything as delivered.")
    ] = False,
    exit_code: Annotated[
        bool, typer.Option("--exit-code", help="Exit 1 when something was shown.")
    ] = False,
    fmt: FormatOption = Format.table,
) -> None:
    """What is due now, each reminder once: the command for cron.

    Overdue activities, reminders whose time has come, large deals closing soon, overdue
    or gone quiet, service tickets past their due time, follow-up calls due (to the owner
    of the ticket or order), birthdays and contract renewals. The next run stays
    quiet about what was shown. Prints nothing and exits 0 when nothing is due, so cron
    sends no mail."""
    from tinycrm.dates import parse_duration
    from tinycrm.services import reminders
    from tinycrm.services.reach import reach_of
    from tinycrm.services.userref import find_owner, recipient

    st = state()
    if owner and all_owners:
        raise InvalidInput("--owner", owner, "give --owner or --all-owners, not both")
    for name, value in (("--close-within", close_within), ("--care-within", care_within)):
        if not 0 <= value <= 366:
            raise InvalidInput(name, value, "must be between 0 and 366 days")
    stale = st.settings.stale_days if stale_after is None else stale_after
    if stale < 1:
        raise InvalidInput("--stale-after", stale_after, "must be at least 1 day")
    threshold = st.money(min_amount, "--min-amount", fixed_by="the configured currency")
    threshold = threshold or st.money(str(st.settings.large_deal_amount), "large_deal_amount")
    assert threshold is not None
    min_minor = threshold.minor  # in the configured currency's minor units (JPY has none)
    now = st.now()
    with connect(st) as sql:
        if not dry_run:
            roll_over_contracts(st, sql, today=now.astimezone(st.tz).date())
        ref = None if all_owners else (owner or st.me)
        me = recipient(sql, st.me, os_login())
        opts = reminders.RemindOptions(
            now=now,
            tz=st.tz,
            owner_id=find_owner(sql, ref)[0] if ref else None,
            within=parse_duration(within, field="--within") if within else timedelta(0),
            min_amount_minor=min_minor,
            close_within_days=close_within,
            stale_after_days=stale,
            care_within_days=care_within,
            delivered_too=show_all,
            recipient_id=me,
            reach=reach_of(sql, me),
        )
        # closed before the connection, also when printing fails
        with closing(reminders.stream(sql, opts)) as found:
            if dry_run:
                shown = _print(found, fmt, st.tz, now)
            else:
                with sql.writing():
                    claimed = _claimed(sql, found, now, opts.recipient_id, show_all=show_all)
                    shown = _print(claimed, fmt, st.tz, now)
                    sys.stdout.flush()
    if shown and exit_code:
        raise typer.Exit(1)


def roll_over_contracts(st: AppState, sql: Sql, *, today: date) -> None:
    """Contracts that renew by themselves and have ended get their next term before their
    reminders are read; a cheap look first, so the ORM loads only on the day a term ends."""
    from tinycrm.services.reminders.renewals import roll_over_due

    if roll_over_due(sql, today=today):
        from tinycrm.commands.contracts import roll_over

        roll_over(st)


@contextmanager
def connect(st: AppState) -> Iterator[Sql]:
    """The database through the standard library when it is a current SQLite file; else
    through SQLAlchemy (which upgrades an old schema, or speaks to a server)."""
    from tinycrm.db.plain_sql import open_sqlite

    path = st.sqlite_file()
    sql = open_sqlite(path) if path is not None else None
    if sql is not None:
        try:
            yield sql
        finally:
            sql.conn.close()
        return
    from tinycrm.db.store import dbapi

    with dbapi(st.database()) as sql:
        yield sql


CLAIM_BATCH = 1000
"""How many reminders are marked delivered at a time, just before they are printed."""


def _claimed(
    sql: Sql, found: Iterator[Reminder], now: datetime, recipient: int, *, show_all: bool
) -> Iterator[Reminder]:
    """`found` marked delivered a batch at a time as it is printed (inside the run's one
    write transaction, so a run that fails commits no mark); without --all only the
    reminders this run was the first to mark."""
    from tinycrm.services.reminders import claim

    while batch := list(islice(found, CLAIM_BATCH)):
        fresh = claim(sql, batch, now, recipient=recipient)
        yield from (batch if show_all else fresh)


def _print(found: Iterable[Reminder], fmt: Format, tz: tzinfo, now: datetime) -> int:
    """Print `found` as it comes (nothing when it is empty); returns how many."""
    clock = LocalClock(tz)
    out = _Out()
    count = 0
    if fmt in (Format.json, Format.jsonl):
        import json  # the machine formats only: plain text, cron's, loads neither
    if fmt is Format.json:
        for count, r in enumerate(found, 1):
            record = json.dumps(_record(r, clock), ensure_ascii=False, indent=2)
            out.write(("[\n  " if count == 1 else ",\n  ") + record.replace("\n", "\n  "))
        if count:
            out.write("\n]\n")
    elif fmt is Format.jsonl:
        for r in found:
            out.write(json.dumps(_record(r, clock), ensure_ascii=False) + "\n")
            count += 1
    elif fmt is Format.csv:
        from tinycrm.formats.write.csv import CsvWriter

        records = (_record(r, clock) for r in found)
        first = next(records, None)
        if first is not None:
            writer = CsvWriter(sys.stdout)
            writer.writerow(list(first))
            for row in chain([first], records):
                writer.writerow([_csv(v) for v in row.values()])
                count += 1
    else:
        count = _print_text(found, clock, now, out, colour=_colour())
    out.flush()
    return count


class _Out:
    """stdout through `typer.echo`, a few thousand lines at a time."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._size = 0

    def write(self, text: str) -> None:
        self._parts.append(text)
        self._size += len(text)
        if self._size >= 1 << 16:
            self.flush()

    def flush(self) -> None:
        if self._parts:
            typer.echo("".join(self._parts), nl=False)
        self._parts, self._size = [], 0


def _print_text(
    found: Iterable[Reminder], clock: LocalClock, now: datetime, out: _Out, *, colour: bool
) -> int:
    """`render_text` as the reminders come: each section's lines wait in memory, up to a
    few MB and then in a temporary file, until its count, which heads it, is known."""
    today = now.astimezone(clock.tz).date()
    total = 0
    for kind, group in groupby(found, key=lambda r: r.kind):
        with _Spool() as spool:
            n = 0
            for r in group:
                spool.write("  " + _line(r, clock, today) + "\n")
                n += 1
            if total:
                out.write("\n")
            title = f"{SECTIONS[kind]} ({n})"
            out.write((typer.style(title, bold=True) if colour else title) + "\n")
            for chunk in spool.chunks():
                out.write(chunk)
        total += n
    return total


class _Spool:
    """Text kept in memory up to `limit` characters, then in a temporary file: what
    `tempfile.SpooledTemporaryFile` does, without importing `tempfile` (and `random`) on the
    everyday run, whose sections are a few lines."""

    def __init__(self, limit: int = 1 << 22) -> None:
        self._parts: list[str] = []
        self._size, self._limit = 0, limit
        self._file: IO[str] | None = None

    def __enter__(self) -> _Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._file is not None:
            self._file.close()

    def write(self, text: str) -> None:
        if self._file is not None:
            self._file.write(text)
            return
        self._parts.append(text)
        self._size += len(text)
        if self._size > self._limit:
            import tempfile

            self._file = tempfile.TemporaryFile(mode="w+", encoding="utf-8")
            self._file.writelines(self._parts)
            self._parts = []

    def chunks(self) -> Iterator[str]:
        if self._file is None:
            yield "".join(self._parts)
            return
        self._file.seek(0)
        while chunk := self._file.read(1 << 16):
            yield chunk


def _colour() -> bool:
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _csv(value: Any) -> Any:
    return ";".join(value) if isinstance(value, list) else value


def _record(r: Reminder, local: Callable[[datetime], datetime]) -> dict[str, Any]:
    from tinycrm.formats.write.rows import machine_value

    return {
        "type": r.kind,
        "id": r.id,
        "title": r.title,
        "due_at": machine_value(local(r.at)) if r.at else None,
        "date": machine_value(r.day),
        "owner": r.owner,
        "about": r.about,
        "amount": machine_value(_money(r)) if r.amount_minor is not None else None,
        "currency": r.currency,
        "reasons": list(r.reasons),
        "last_activity": machine_value(local(r.last_activity)) if r.last_activity else None,
        "repeats": r.recurring,
        "priority": r.priority,
    }


def _money(r: Reminder) -> Any:
    from tinycrm.money import Money

    assert r.amount_minor is not None and r.currency is not None
    return Money(r.amount_minor, r.currency)


def render_text(found: Sequence[Reminder], tz: tzinfo, now: datetime, *, colour: bool) -> str:
    """Sections of one line per reminder, plain enough for the mail cron sends."""
    clock = LocalClock(tz)
    today = now.astimezone(tz).date()
    lines: list[str] = []
    for kind, heading in SECTIONS.items():
        group = [r for r in found if r.kind == kind]
        if not group:
            continue
        if lines:
            lines.append("")
        title = f"{heading} ({len(group)})"
        lines.append(typer.style(title, bold=True) if colour else title)
        lines.extend("  " + _line(r, clock, today) for r in group)
    return "".join(line + "\n" for line in lines)


def _line(r: Reminder, local: Callable[[datetime], datetime], today: date) -> str:
    parts: list[str] = []
    if r.kind == "deal":
        parts.append(str(_money(r)))
        if r.day is not None:
            verb = "was expected to close" if r.day < today else "closes"
            parts.append(f"{verb} {_day(r.day, today)}")
        if "stale" in r.reasons and r.last_activity is not None:
            quiet = (today - local(r.last_activity).date()).days
            parts.append(f"no activity for {plural(quiet, 'day')}")
    elif r.kind == "care":
        assert r.day is not None
        parts.append(_day(r.day, today))
    elif r.kind == "followup":
        assert r.day is not None
        parts.append("due " + _day(r.day, today))
    elif r.kind == "renewal":
        assert r.day is not None
        parts += [str(_money(r)), f"notice by {_day(r.day, today)}"]
    elif r.at is not None:
        due = local(r.at)
        parts.append("due " + _day(due.date(), today, at=f"{due:%H:%M}"))
    if r.priority:
        parts.append(r.priority)
    if r.recurring:
        from tinycrm.services.reminders.recurrence import describe

        parts.append(describe(r.recurring))
    parts += [p for p in (r.about, r.owner) if p]
    head = f"#{r.id} {r.title}" if r.kind != "care" else r.title
    return head + " — " + " · ".join(parts)


def _day(day: date, today: date, *, at: str = "") -> str:
    """`today 09:00`, `tomorrow`, `Fri 27 Nov 16:00 (in 4 days)`, `Mon 16 Nov (7 days ago)`."""
    delta = (day - today).days
    words = {0: "today", 1: "tomorrow", -1: "yesterday"}
    if delta in words:
        return f"{words[delta]} {at}".strip()
    when = f"{day:%a %d %b} {at}".strip()
    return f"{when} (in {delta} days)" if delta > 0 else f"{when} ({-delta} days ago)"
