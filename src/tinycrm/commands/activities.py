"""`crm activity …`: calls, emails, meetings and notes logged; tasks scheduled and done."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer

from tinycrm.commands.base import App
from tinycrm.commands.common import IfVersion, confirm, given
from tinycrm.commands.render import Format, FormatOption, as_row, done, emit, emit_record
from tinycrm.context import state

app = App(no_args_is_help=True)

KINDS = "call, email, meeting, note or task"
TIMELINE_COLUMNS = ("when", "id", "kind", "subject", "deal", "owner", "state")
LIST_COLUMNS = ("id", "kind", "subject", "when", "state", "contact", "company", "deal", "owner")

Contact = Annotated[str | None, typer.Option(help="Contact id, email or name.")]
Company = Annotated[str | None, typer.Option(help="Company id or name.")]
Deal = Annotated[int | None, typer.Option(help="Deal id.")]
Owner = Annotated[str | None, typer.Option(help="Owning user (default: the acting user).")]
Note = Annotated[str | None, typer.Option("--note", help="What was said or what to do.")]
Remind = Annotated[
    str | None,
    typer.Option(help="Remind this long before it is due, e.g. 15m, 2h, 1d (default: when due)."),
]
Every = Annotated[
    str | None,
    typer.Option(help="Repeat: day, week, 2w, 3mo, year, weekday, mon,thu ('never' stops it)."),
]
Rrule = Annotated[
    str | None,
    typer.Option(
        help="Repeat by an RFC 5545 rule, e.g. 'FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=1' "
        "(at most 500 characters)."
    ),
]


def state_of(due_at: datetime | None, done_at: datetime | None, now: datetime) -> str:
    if done_at is not None:
        return "done"
    return "overdue" if due_at is not None and due_at < now else "due"


def timeline_row(activity: Any, now: datetime) -> dict[str, Any]:
    return as_row(
        activity, when=activity.at, state=state_of(activity.due_at, activity.done_at, now)
    )


def _repeat(every: str | None, rrule: str | None) -> str | None:
    """The rule from `--every` or `--rrule`; '' when `--every never` clears it."""
    from tinycrm.errors import InvalidInput
    from tinycrm.services.reminders.recurrence import check_rrule, parse_every

    if every is not None and rrule is not None:
        raise InvalidInput("--every", every, "give --every or --rrule, not both")
    if rrule is not None:
        return check_rrule(rrule)
    if every is not None:
        return "" if every.strip().lower() in ("never", "none", "no") else parse_every(every)
    return None


def _lead(text: str | None) -> int | None:
    from tinycrm.services.reminders.recurrence import lead_minutes

    return None if text is None else lead_minutes(text, field="--remind")


def _kind(text: str) -> Any:
    from tinycrm.errors import InvalidInput
    from tinycrm.models import ActivityKind

    try:
        return ActivityKind(text.strip().lower())
    except ValueError:
        raise InvalidInput("kind", text, f"must be {KINDS}") from None


@app.command("log")
def log(
    kind: Annotated[str, typer.Argument(help=f"What happened: {KINDS}.")],
    subject: Annotated[
        str | None,
        typer.Argument(
            help="A short title (default: the note's first line; at most 500 characters)."
        ),
    ] = None,
    contact: Contact = None,
    company: Company = None,
    deal: Deal = None,
    note: Note = None,
    at: Annotated[str | None, typer.Option(help="When it happened (default: now).")] = None,
    owner: Owner = None,
    completes: Annotated[
        int | None,
        typer.Option(help="Also mark this scheduled activity done: the follow-up this answers."),
    ] = None,
) -> None:
    """Log an activity that happened (and, with --completes, the follow-up it answers)."""
    from tinycrm.models import ActivityCreate
    from tinycrm.services import activities

    st = state()
    data = ActivityCreate(
        **given(
            kind=_kind(kind),
            subject=subject or "",
            body=note,
            contact=contact,
            company=company,
            deal=deal,
            owner=owner,
            done_at=st.when(at, "--at"),
        )
    )
    with st.session(write=True) as session:
        row = activities.log_activity(session, data=data, actor=st.actor(session), now=st.now())
        if completes is not None:
            finished = activities.complete_activity(session, ref=completes, now=st.now(), tz=st.tz)
            following = activities.next_in_series(session, finished)
    done(f"{row.kind} #{row.id} logged: {row.subject}")
    if completes is not None:
        done(f"activity #{finished.id} done: {finished.subject}")
        if following is not None:
            done(f"next: activity #{following.id} ({_due_text(following, st.tz)})")


@app.command("schedule")
def schedule(
    subject: Annotated[
        str, typer.Argument(help="What to do, e.g. 'Send quote' (at most 500 characters).")
    ],
    due: Annotated[
        str,
        typer.Option(
            help="When it is due, e.g. 'tomorrow 10:00', '+3d'; a day alone "
            "('fri', '2026-12-01') is due when the working day starts (workday_start, 09:00).",
        ),
    ],
    kind: Annotated[str, typer.Option(help=f"Kind: {KINDS}.")] = "task",
    contact: Contact = None,
    company: Company = None,
    deal: Deal = None,
    note: Note = None,
    owner: Owner = None,
    remind: Remind = None,
    every: Every = None,
    rrule: Rrule = None,
) -> None:
    """Schedule a follow-up that is due at a time, once or repeating."""
    from tinycrm.models import ActivityCreate
    from tinycrm.services import activities

    st = state()
    data = ActivityCreate(
        **given(
            kind=_kind(kind),
            subject=subject,
            body=note,
            contact=contact,
            company=company,
            deal=deal,
            owner=owner,
            due_at=st.due(due, "--due"),
            remind_minutes=_lead(remind),
            rrule=_repeat(every, rrule) or None,
        )
    )
    with st.session(write=True) as session:
        row = activities.schedule_activity(
            session, data=data, actor=st.actor(session), now=st.now()
        )
    done(f"activity #{row.id} scheduled: {row.subject} ({_due_text(row, st.tz)})")


def _due_text(row: Any, tz: Any) -> str:
    from tinycrm.services.reminders.recurrence import describe

    text = "due " + row.due_at.astimezone(tz).strftime("%a %Y-%m-%d %H:%M") if row.due_at else ""
    if row.rrule:
        text += f", {describe(row.rrule)}"
    return text


@app.command("done")
def done_(activity_id: Annotated[int, typer.Argument(help="Activity id.")]) -> None:
    """Mark a scheduled activity done."""
    from tinycrm.services import activities

    st = state()
    with st.session(write=True) as session:
        row = activities.complete_activity(session, ref=activity_id, now=st.now(), tz=st.tz)
        following = activities.next_in_series(session, row)
    done(f"activity #{row.id} done: {row.subject}")
    if following is not None:
        done(f"next: activity #{following.id} ({_due_text(following, st.tz)})")


@app.command("snooze")
def snooze(
    activity_id: Annotated[int, typer.Argument(help="Activity id.")],
    until: Annotated[
        str, typer.Argument(help="When to remind again: +2h, +1d, 'tomorrow 9:00' …")
    ] = "+1h",
) -> None:
    """Remind again later; the due time stays (use `edit --due` to move it)."""
    from tinycrm.services import activities

    st = state()
    moment = st.due(until, "until")
    assert moment is not None
    with st.session(write=True) as session:
        row = activities.snooze_activity(session, ref=activity_id, until=moment, now=st.now())
    assert row.snoozed_until is not None
    local = row.snoozed_until.astimezone(st.tz).strftime("%a %Y-%m-%d %H:%M")
    done(f"activity #{row.id} snoozed until {local}: {row.subject}")


@app.command("list")
def list_(
    contact: Contact = None,
    company: Company = None,
    deal: Deal = None,
    owner: Annotated[str | None, typer.Option(help="Only this user's activities.")] = None,
    kind: Annotated[str | None, typer.Option(help=f"Only this kind: {KINDS}.")] = None,
    state_: Annotated[str, typer.Option("--state", help="open (not done), done or all.")] = "all",
    limit: Annotated[int | None, typer.Option(help="Show at most this many.")] = 50,
    fmt: FormatOption = Format.table,
) -> None:
    """List activities, newest first."""
    from tinycrm.errors import InvalidInput
    from tinycrm.services import activities, filters
    from tinycrm.services.refs import resolve_company, resolve_contact

    st = state()
    try:
        wanted = filters.State(state_)
    except ValueError:
        raise InvalidInput("--state", state_, "must be open, done or all") from None
    with st.session(write=False) as session:
        contact_id = resolve_contact(session, contact).id if contact else None
        company_id = resolve_company(session, company).id if company else None
        rows = activities.list_activities(
            session,
            contact_id=contact_id,
            company_id=company_id,
            deal_id=deal,
            owner=owner,
            kind=_kind(kind) if kind else None,
            state=wanted,
            limit=limit,
        )
    emit(
        [timeline_row(r, st.now()) for r in rows],
        fmt,
        st.tz,
        columns=LIST_COLUMNS,
        empty="no activities match",
    )


@app.command("show")
def show(
    activity_id: Annotated[int, typer.Argument(help="Activity id.")],
    fmt: FormatOption = Format.table,
) -> None:
    """Show one activity."""
    from tinycrm.models import Activity
    from tinycrm.services import activities
    from tinycrm.services.refs import by_id

    st = state()
    with st.session(write=False) as session:
        row = activities.get_activity(session, ref=activity_id)
        version = by_id(session, Activity, activity_id, "activity").version
    emit_record({**timeline_row(row, st.now()), "version": version}, fmt, st.tz)


@app.command("edit")
def edit(
    activity_id: Annotated[int, typer.Argument(help="Activity id.")],
    subject: Annotated[
        str | None, typer.Option(help="New subject (at most 500 characters).")
    ] = None,
    note: Note = None,
    kind: Annotated[str | None, typer.Option(help=f"New kind: {KINDS}.")] = None,
    due: Annotated[str | None, typer.Option(help="New due time.")] = None,
    contact: Contact = None,
    company: Company = None,
    deal: Deal = None,
    owner: Owner = None,
    remind: Remind = None,
    every: Every = None,
    rrule: Rrule = None,
    if_version: IfVersion = None,
) -> None:
    """Change an activity; only the options given change."""
    from tinycrm.models import ActivityUpdate
    from tinycrm.services import activities

    st = state()
    data = ActivityUpdate(
        **given(
            subject=subject,
            body=note,
            kind=_kind(kind) if kind else None,
            due_at=st.due(due, "--due"),
            contact=contact,
            company=company,
            deal=deal,
            owner=owner,
            remind_minutes=_lead(remind),
            rrule=_repeat(every, rrule),
        )
    )
    with st.session(write=True) as session:
        row = activities.update_activity(session, ref=activity_id, data=data, version=if_version)
    done(f"activity #{row.id} updated: {row.subject}")


@app.command("rm")
def rm(
    activity_id: Annotated[int, typer.Argument(help="Activity id.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
) -> None:
    """Delete an activity."""
    from tinycrm.services import activities

    st = state()
    with st.session(write=False) as session:
        row = activities.get_activity(session, ref=activity_id)
    confirm(f"delete activity #{row.id} {row.subject}?", yes=yes)
    with st.session(write=True) as session:
        activities.delete_activity(session, ref=row.id)
    done(f"activity #{row.id} deleted: {row.subject}")
