"""`crm agenda`: today's list (overdue, today, the next 7 days), or a week or month laid out
as a calendar in the terminal."""

from __future__ import annotations

import calendar
import os
from collections import defaultdict
from datetime import date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tinycrm.commands.remind import connect, roll_over_contracts
from tinycrm.commands.render import Format, FormatOption, console, emit
from tinycrm.context import os_login, state
from tinycrm.errors import InvalidInput

if TYPE_CHECKING:
    from tinycrm.services.reminders.agenda import Agenda, AgendaItem

COLUMNS = ("due_at", "id", "kind", "subject", "about", "owner", "state", "repeats")


def agenda(
    week: Annotated[bool, typer.Option("--week", help="This week as a calendar.")] = False,
    month: Annotated[bool, typer.Option("--month", help="This month as a calendar.")] = False,
    day: Annotated[
        str | None, typer.Option("--date", help="Show the day, week or month of this date.")
    ] = None,
    owner: Annotated[
        str | None, typer.Option(help="Whose agenda (default: --as / CRM_USER, else everyone).")
    ] = None,
    all_owners: Annotated[bool, typer.Option("--all-owners", help="Everyone's agenda.")] = False,
    days: Annotated[int, typer.Option(help="Days ahead in the list view.")] = 7,
    fmt: FormatOption = Format.table,
) -> None:
    """Your agenda: overdue, today and the next days, or a week or month calendar.

    The list groups by owner when several own what is listed; --week lays the week out in
    seven columns, --month shows a month grid with how much is due each day."""
    from tinycrm.services.reach import reach_of
    from tinycrm.services.reminders.agenda import agenda_days
    from tinycrm.services.userref import find_owner, recipient

    st = state()
    if week and month:
        raise InvalidInput("--week", "--month", "give --week or --month, not both")
    if owner and all_owners:
        raise InvalidInput("--owner", owner, "give --owner or --all-owners, not both")
    if not 0 <= days <= 366:
        raise InvalidInput("--days", days, "must be between 0 and 366")
    now, tz = st.now(), st.tz
    today = now.astimezone(tz).date()
    anchor = st.day(day, "--date") or today
    if month:
        first = anchor.replace(day=1)
        last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    elif week:
        first = anchor - timedelta(days=anchor.weekday())
        last = first + timedelta(days=6)
    else:
        first, last = anchor, anchor + timedelta(days=days)
    with connect(st) as sql:
        roll_over_contracts(st, sql, today=today)
        ref = None if all_owners else (owner or st.me)
        owner_id = find_owner(sql, ref)[0] if ref else None
        reach = reach_of(sql, recipient(sql, st.me, os_login()))
        found = agenda_days(
            sql, first=first, last=last, now=now, tz=tz, owner_id=owner_id, reach=reach
        )
    if fmt is not Format.table:
        rows = [_row(i, now, tz) for i in found.overdue if i.due_at < found.start]
        emit(rows + [_row(i, now, tz) for i in found.items], fmt, tz, columns=COLUMNS, empty="")
        return
    if week or month:
        _calendar(found, first, last, today, tz, month=month)
    else:
        _list(found, today, tz)


def _row(item: AgendaItem, now: datetime, tz: tzinfo) -> dict[str, Any]:
    return {
        "due_at": item.due_at.astimezone(tz),
        "id": item.id,
        "kind": item.kind,
        "subject": item.subject,
        "about": item.about,
        "owner": item.owner,
        "state": _state(item, now, tz),
        "repeats": item.recurring,
    }


def _state(item: AgendaItem, now: datetime, tz: tzinfo) -> str:
    """care (a day to remember), overdue, repeat (a later occurrence) or due; a follow-up
    call is overdue once its day has passed."""
    if item.kind == "followup":
        day = item.due_at.astimezone(tz).date()
        return "overdue" if day < now.astimezone(tz).date() else "due"
    if item.care:
        return "care"
    return "overdue" if item.due_at < now else ("repeat" if item.occurrence else "due")


def _list(found: Agenda, today: date, tz: tzinfo) -> None:
    """Overdue, today, then each later day, one block per owner when several own items."""
    from rich.table import Table

    out = console()
    items = [i for i in found.overdue if i.due_at < found.start] + found.items
    if not items:
        out.print("nothing due")
        return
    owners = sorted({i.owner or "" for i in items})
    for owner in owners:
        mine = [i for i in items if (i.owner or "") == owner]
        table = Table(
            title=(owner or "no owner") if len(owners) > 1 else None,
            show_header=False,
            box=None,
            title_justify="left",
            title_style="bold",
        )
        table.add_column("day", style="bold", no_wrap=True)
        table.add_column("time", no_wrap=True)
        table.add_column("what")
        table.add_column("about", style="dim")
        overdue = [i for i in mine if i.due_at < found.start]
        if found.overdue_total > len(found.overdue) and len(owners) == 1:
            label = f"overdue ({found.overdue_total}, oldest {len(overdue)} shown)"
        else:
            label = "overdue"
        for n, item in enumerate(overdue):
            local = item.due_at.astimezone(tz)
            table.add_row(
                f"[red]{label}[/]" if n == 0 else "",
                f"{local:%d %b %H:%M}",
                _what(item),
                item.about or "",
            )
        by_day: dict[date, list[AgendaItem]] = defaultdict(list)
        for item in mine:
            if item.due_at >= found.start:
                by_day[item.due_at.astimezone(tz).date()].append(item)
        for day in sorted(by_day):
            for n, item in enumerate(by_day[day]):
                name = "today" if day == today else f"{day:%a %d %b}"
                table.add_row(
                    name if n == 0 else "",
                    "" if item.care else f"{item.due_at.astimezone(tz):%H:%M}",
                    _what(item),
                    item.about or "",
                )
        out.print(table)
        out.print()


def _what(item: AgendaItem) -> str:
    from rich.markup import escape

    if item.care:
        return escape(item.subject)
    text = f"#{item.id} {escape(item.subject)}"
    if item.kind != "task":
        text = f"{item.kind}: {text}"
    return text + (" ↻" if item.recurring else "")


def _calendar(
    found: Agenda, first: date, last: date, today: date, tz: tzinfo, *, month: bool
) -> None:
    """A week as seven columns of items, or a month as a grid of day numbers with counts."""
    from rich.table import Table

    by_day: dict[date, list[AgendaItem]] = defaultdict(list)
    for item in found.items:
        by_day[item.due_at.astimezone(tz).date()].append(item)
    title = f"{first:%B %Y}" if month else f"week of {first:%a %d %b %Y}"
    if found.overdue_total:
        title += f" · {found.overdue_total} overdue"
    table = Table(title=title, show_lines=True, expand=True)
    for name in calendar.day_abbr:
        table.add_column(name, ratio=1, vertical="top")
    start = first - timedelta(days=first.weekday())
    weeks = ((last - start).days // 7) + 1
    for w in range(weeks):
        cells = []
        for d in range(7):
            day = start + timedelta(days=7 * w + d)
            if not first <= day <= last:
                cells.append("")
                continue
            cells.append(_cell(day, by_day.get(day, []), today, tz, month=month))
        table.add_row(*cells)
    out = console()
    if not out.is_terminal:  # a grid fills the width: keep it to a page, not 400 columns
        columns = os.environ.get("COLUMNS", "")
        out.width = int(columns) if columns.isdigit() else 120
    out.print(table)


def _cell(day: date, items: list[AgendaItem], today: date, tz: tzinfo, *, month: bool) -> str:
    from rich.markup import escape

    number = f"[reverse]{day.day:2d}[/]" if day == today else f"{day.day:2d}"
    if month:
        if not items:
            return number
        style = "red" if day < today else "bold"
        return f"{number}  [{style}]{len(items)} due[/]"
    lines = [number]
    for item in items:
        style = "red" if day < today else ""
        at = "" if item.care else f"{item.due_at.astimezone(tz):%H:%M} "
        text = at + escape(item.subject)
        lines.append(f"[{style}]{text}[/]" if style else text)
    return "\n".join(lines)
