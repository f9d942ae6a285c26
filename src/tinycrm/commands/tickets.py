"""`crm ticket …`: customer service tickets."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from tinycrm.commands.base import App
from tinycrm.commands.render import Format, FormatOption, as_row, done, emit, emit_record
from tinycrm.context import AppState, state

if TYPE_CHECKING:
    from tinycrm.services.tickets import TicketRow

app = App(no_args_is_help=True)

PRIORITIES = "urgent, high, normal or low"
LIST_COLUMNS = ("id", "priority", "subject", "state", "due_at", "owner", "contact", "company",
                "opened_at", "resolved_at", "csat")  # fmt: skip
COMMENT_COLUMNS = ("created_at", "author", "body")
TicketId = Annotated[int, typer.Argument(help="Ticket id.")]
Due = Annotated[
    str | None,
    typer.Option(help="Due by this time, e.g. 'tomorrow 17:00', '+2d' (default: the SLA)."),
]


def _sla(st: AppState) -> dict[str, float]:
    from tinycrm.services.tickets import sla_hours

    return sla_hours(st.settings.extra.get("sla_hours"))


def _said(verb: str, row: TicketRow, st: AppState, *, then: str = "") -> None:
    """`ticket #4 opened: Invoice wrong (high, due Tue 2026-11-24 09:30)`, and `then` what
    followed from it."""
    if row.state == "resolved":
        notes = [f"article #{row.article_id}" if row.article_id else "", _score(row.csat)]
    else:
        assert row.due_at is not None
        notes = [row.priority, f"due {row.due_at.astimezone(st.tz):%a %Y-%m-%d %H:%M}"]
    said = ", ".join(n for n in notes if n)
    done(f"ticket #{row.id} {verb}: {row.subject}" + (f" ({said})" if said else "") + then)


def _score(csat: int | None) -> str:
    return f"csat {csat}/5" if csat is not None else ""


@app.command("open")
def open_(
    subject: Annotated[
        str,
        typer.Argument(
            help="What the customer needs, e.g. 'Invoice wrong' (at most 500 characters)."
        ),
    ],
    contact: Annotated[str | None, typer.Option(help="Contact id, email or name.")] = None,
    company: Annotated[
        str | None, typer.Option(help="Company id or name (default: the contact's).")
    ] = None,
    priority: Annotated[str, typer.Option(help=f"Priority: {PRIORITIES}.")] = "normal",
    due: Due = None,
    owner: Annotated[
        str | None, typer.Option(help="Who handles it (default: the acting user).")
    ] = None,
    body: Annotated[str | None, typer.Option("--body", help="The request in full.")] = None,
) -> None:
    """Open a ticket, due within the SLA hours of its priority (config `sla_hours`)."""
    from tinycrm.services import tickets

    st = state()
    level = tickets.priority_of(priority)
    with st.session(write=True) as session:
        row = tickets.open_ticket(
            session,
            subject=subject,
            now=st.now(),
            priority=level,
            sla=_sla(st),
            due_at=st.due(due, "--due"),
            contact=contact,
            company=company,
            owner=owner,
            body=body,
            actor=st.actor(session),
        )
    _said("opened", row, st)


@app.command("assign")
def assign(
    ticket_id: TicketId,
    to: Annotated[str, typer.Option("--to", help="The user who takes it over.")],
) -> None:
    """Hand a ticket to someone."""
    from tinycrm.services import tickets

    st = state()
    with st.session(write=True) as session:
        row = tickets.assign_ticket(session, ref=ticket_id, owner=to, now=st.now())
    done(f"ticket #{row.id} assigned to {row.owner}: {row.subject}")


@app.command("comment")
def comment(ticket_id: TicketId, text: Annotated[str, typer.Argument(help="What to add.")]) -> None:
    """Add a comment (by the acting user) to a ticket."""
    from tinycrm.services import tickets

    st = state()
    with st.session(write=True) as session:
        tickets.comment_ticket(
            session, ref=ticket_id, body=text, now=st.now(), actor=st.actor(session)
        )
    done(f"ticket #{ticket_id}: comment added")


Csat = Annotated[int | None, typer.Option(help="The customer's satisfaction, 1 to 5.")]


@app.command("resolve")
def resolve(
    ticket_id: TicketId,
    article: Annotated[
        int | None, typer.Option(help="The solution article (kb id) that solved it.")
    ] = None,
    csat: Csat = None,
    follow_up: Annotated[
        int | None,
        typer.Option(
            "--follow-up",
            help="Schedule a follow-up call this many days on (default: config followup_days "
            "by priority).",
        ),
    ] = None,
) -> None:
    """Mark a ticket resolved, with the article that solved it and a satisfaction score;
    a follow-up call is scheduled as `--follow-up` or the config's `followup_days` say."""
    from tinycrm.services import followups, tickets

    st = state()
    days = follow_up
    if days is None:
        days_of = followups.followup_days(st.settings.extra.get("followup_days"))
    with st.session(write=True) as session:
        row = tickets.resolve_ticket(
            session, ref=ticket_id, now=st.now(), article=article, csat=csat,
            followup_in=days if days is not None else days_of, today=st.today(),
        )  # fmt: skip
        call = followups.open_call(session, ticket=row.id)
    then = f"; follow-up #{call.id} due {call.due_on}" if call is not None else ""
    _said("resolved", row, st, then=then)


@app.command("reopen")
def reopen(
    ticket_id: TicketId,
    due: Due = None,
    reason: Annotated[
        str | None, typer.Option(help="Why it is open again (kept in its comments).")
    ] = None,
) -> None:
    """Open a resolved ticket again; its clock restarts (a new due time from now), and the
    reopening is added to its comments."""
    from tinycrm.services import tickets

    st = state()
    with st.session(write=True) as session:
        row = tickets.reopen_ticket(
            session,
            ref=ticket_id,
            now=st.now(),
            sla=_sla(st),
            due_at=st.due(due, "--due"),
            reason=reason,
            actor=st.actor(session),
        )
    _said("reopened", row, st)


@app.command("rate")
def rate(
    ticket_id: TicketId, score: Annotated[int, typer.Argument(help="Satisfaction, 1 to 5.")]
) -> None:
    """Record the customer's satisfaction with a resolved ticket."""
    from tinycrm.services import tickets

    st = state()
    with st.session(write=True) as session:
        row = tickets.rate_ticket(session, ref=ticket_id, score=score, now=st.now())
    done(f"ticket #{row.id} rated: {row.subject} ({_score(row.csat)})")


@app.command("list")
def list_(
    status: Annotated[str, typer.Option(help="open, resolved or all.")] = "open",
    owner: Annotated[str | None, typer.Option(help="Only this user's tickets.")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only open ones past due.")] = False,
    priority: Annotated[str | None, typer.Option(help=f"Only this priority: {PRIORITIES}.")] = None,
    contact: Annotated[str | None, typer.Option(help="Only this contact's tickets.")] = None,
    limit: Annotated[int | None, typer.Option(help="Show at most this many.")] = 50,
    fmt: FormatOption = Format.table,
) -> None:
    """List tickets: open ones by due time first, then resolved ones, latest first."""
    from tinycrm.services import tickets

    st = state()
    with st.session(write=False) as session:
        rows = tickets.list_tickets(
            session,
            now=st.now(),
            status=status.strip().lower(),
            owner=owner,
            priority=tickets.priority_of(priority) if priority else None,
            overdue=overdue,
            contact=contact,
            limit=limit,
        )
    emit([as_row(r) for r in rows], fmt, st.tz, columns=LIST_COLUMNS, empty="no tickets match")


@app.command("show")
def show(ticket_id: TicketId, fmt: FormatOption = Format.table) -> None:
    """A ticket with its comments."""
    from tinycrm.models import Ticket
    from tinycrm.services import tickets
    from tinycrm.services.refs import by_id

    st = state()
    with st.session(write=False) as session:
        row = tickets.get_ticket(session, ref=ticket_id, now=st.now())
        comments = tickets.ticket_comments(session, ref=ticket_id)
        version = by_id(session, Ticket, ticket_id, "ticket").version
    emit_record(
        as_row(row, version=version),
        fmt,
        st.tz,
        sections={"comments": ([as_row(c) for c in comments], COMMENT_COLUMNS)},
    )
