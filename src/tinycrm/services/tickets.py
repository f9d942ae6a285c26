"""Customer service: tickets with a due time set by their priority (the SLA), comments,
resolution with a solution article (`tinycrm.services.kb`) and a satisfaction score
(CSAT 1–5); the figures over them are in `tinycrm.services.reports.service_report`.

A ticket is open or resolved; an open ticket past its due time is overdue. Reopening a
ticket starts its clock again: a new due time from the moment it is reopened.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select, union
from sqlmodel import Session, col
from sqlmodel import select as model_select

from tinycrm.db.query import check_limit
from tinycrm.errors import Conflict, CrmError, InvalidInput
from tinycrm.models import (
    Company,
    Contact,
    KbArticle,
    Ticket,
    TicketComment,
    TicketPriority,
    TicketStatus,
    User,
)
from tinycrm.models.base import table_of
from tinycrm.normalize import clean
from tinycrm.services import followups
from tinycrm.services.refs import (
    by_id,
    optional,
    resolve_company,
    resolve_contact,
    resolve_user,
)

TICKETS = table_of(Ticket)
USERS = table_of(User)
PRIORITIES = tuple(p.value for p in TicketPriority)
DEFAULT_SLA_HOURS: dict[str, float] = {"urgent": 4, "high": 24, "normal": 72, "low": 168}
"""Hours from opening to the due time per priority; config `sla_hours = {high = 8, …}`."""


def sla_hours(config: Any) -> dict[str, float]:
    """The hours per priority: the defaults, with the config's `sla_hours` table over them."""
    hours = dict(DEFAULT_SLA_HOURS)
    if config is None:
        return hours
    if not isinstance(config, Mapping):
        raise CrmError(f"config sla_hours: must be a table like {{high = 24}}: {config!r}")
    for key, value in config.items():
        if key not in hours:
            raise CrmError(
                f"config sla_hours: unknown priority {key!r} (one of: {', '.join(PRIORITIES)})"
            )
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise CrmError(f"config sla_hours.{key}: must be a positive number of hours: {value!r}")
        hours[key] = float(value)
    return hours


def priority_of(text_: str) -> TicketPriority:
    try:
        return TicketPriority(text_.strip().lower())
    except ValueError:
        raise InvalidInput(
            "ticket priority", text_, "must be urgent, high, normal or low"
        ) from None


# --- tickets --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketRow:
    id: int
    subject: str
    priority: str
    status: str
    state: str
    """open, overdue (open past its due time at `now`) or resolved."""
    due_at: datetime | None
    owner: str | None
    contact: str | None
    company: str | None
    opened_at: datetime
    resolved_at: datetime | None
    csat: int | None
    article_id: int | None
    article: str | None
    body: str | None


@dataclass(frozen=True)
class CommentRow:
    id: int
    created_at: datetime
    author: str | None
    body: str


def _query() -> Any:
    return (
        model_select(Ticket, Contact.full_name, Company.name, User.name, KbArticle.title)  # type: ignore[call-overload]
        .outerjoin(Contact, col(Contact.id) == col(Ticket.contact_id))
        .outerjoin(Company, col(Company.id) == col(Ticket.company_id))
        .outerjoin(User, col(User.id) == col(Ticket.owner_id))
        .outerjoin(KbArticle, col(KbArticle.id) == col(Ticket.article_id))
    )


def _row(found: Sequence[Any], now: datetime) -> TicketRow:
    t, contact, company, owner, article = found
    state = "resolved" if t.status == TicketStatus.resolved else "open"
    if state == "open" and t.due_at is not None and t.due_at < now:
        state = "overdue"
    return TicketRow(
        t.id, t.subject, str(t.priority), str(t.status), state, t.due_at, owner, contact,
        company, t.opened_at, t.resolved_at, t.csat, t.article_id, article, t.body,
    )  # fmt: skip


def get_ticket(session: Session, *, ref: object, now: datetime) -> TicketRow:
    ticket = by_id(session, Ticket, ref, "ticket")
    return _row(session.exec(_query().where(col(Ticket.id) == ticket.id)).one(), now)


def ticket_comments(session: Session, *, ref: object) -> list[CommentRow]:
    ticket = by_id(session, Ticket, ref, "ticket")
    query = (
        model_select(TicketComment, User.name)
        .outerjoin(User, col(User.id) == col(TicketComment.author_id))
        .where(TicketComment.ticket_id == ticket.id)
        .order_by(col(TicketComment.created_at), col(TicketComment.id))
    )
    return [CommentRow(c.id or 0, c.created_at, name, c.body) for c, name in session.exec(query)]


def open_ticket(
    session: Session,
    *,
    subject: str,
    now: datetime,
    priority: TicketPriority = TicketPriority.normal,
    sla: Mapping[str, float] = DEFAULT_SLA_HOURS,
    due_at: datetime | None = None,
    contact: str | None = None,
    company: str | None = None,
    owner: str | None = None,
    body: str | None = None,
    actor: User | None = None,
) -> TicketRow:
    """A new open ticket, due `sla[priority]` hours from `now` unless `due_at` is given. The
    company defaults to the contact's; the owner to the acting user."""
    title = clean(subject)
    if not title:
        raise InvalidInput("subject", subject, "must not be empty")
    who = optional(session, resolve_contact, contact)
    firm = optional(session, resolve_company, company)
    keeper = optional(session, resolve_user, owner) or actor
    ticket = Ticket(
        subject=title,
        body=clean(body),
        contact_id=who.id if who else None,
        company_id=firm.id if firm else (who.company_id if who else None),
        owner_id=keeper.id if keeper else None,
        priority=priority,
        opened_at=now,
        due_at=due_at or now + timedelta(hours=sla[priority.value]),
        created_at=now,
        updated_at=now,
    )
    session.add(ticket)
    session.flush()
    return get_ticket(session, ref=ticket.id, now=now)


def _save(session: Session, ticket: Ticket, now: datetime) -> TicketRow:
    ticket.updated_at = now
    session.add(ticket)
    session.flush()
    return get_ticket(session, ref=ticket.id, now=now)


def assign_ticket(session: Session, *, ref: object, owner: str, now: datetime) -> TicketRow:
    ticket = by_id(session, Ticket, ref, "ticket")
    user = resolve_user(session, owner)
    if ticket.owner_id == user.id:
        raise Conflict(f"ticket #{ticket.id} is already assigned to {user.name}")
    ticket.owner_id = user.id
    return _save(session, ticket, now)


def comment_ticket(
    session: Session, *, ref: object, body: str, now: datetime, actor: User | None = None
) -> CommentRow:
    ticket = by_id(session, Ticket, ref, "ticket")
    words = clean(body)
    if not words:
        raise InvalidInput("comment", body, "must not be empty")
    comment = TicketComment(
        ticket_id=ticket.id or 0, author_id=actor.id if actor else None, body=words, created_at=now
    )
    session.add(comment)
    ticket.updated_at = now
    session.add(ticket)
    session.flush()
    return CommentRow(comment.id or 0, now, actor.name if actor else None, words)


def _check_csat(score: int | None) -> int | None:
    if score is not None and not 1 <= score <= 5:
        raise InvalidInput("csat", score, "must be from 1 to 5")
    return score


def resolve_ticket(
    session: Session,
    *,
    ref: object,
    now: datetime,
    article: object | None = None,
    csat: int | None = None,
    followup_in: Mapping[str, int] | int | None = None,
    today: date | None = None,
) -> TicketRow:
    """Mark an open ticket resolved, linking the solution article and the score if given.
    `followup_in` schedules a follow-up call that many days after `today` (the user's day;
    default: the UTC day of `now`): a number, or days per priority (`followups`)."""
    ticket = by_id(session, Ticket, ref, "ticket")
    if ticket.status == TicketStatus.resolved:
        raise Conflict(f"ticket #{ticket.id} is already resolved")
    if article is not None:
        ticket.article_id = by_id(session, KbArticle, article, "article").id
    ticket.csat = _check_csat(csat)
    ticket.status = TicketStatus.resolved
    ticket.resolved_at = now
    row = _save(session, ticket, now)
    days = (
        followup_in.get(str(ticket.priority)) if isinstance(followup_in, Mapping) else followup_in
    )
    followups.schedule(session, ticket=ticket, days=days, today=today or now.date(), now=now)
    return row


def reopen_ticket(
    session: Session,
    *,
    ref: object,
    now: datetime,
    sla: Mapping[str, float] = DEFAULT_SLA_HOURS,
    due_at: datetime | None = None,
    reason: str | None = None,
    actor: User | None = None,
) -> TicketRow:
    """Open a resolved ticket again with a new due time (its score goes: it rated the
    resolution that did not hold). The reopening is kept in the ticket's comments, by
    `actor` and with the `reason` if given, so its history shows the resolution failed."""
    ticket = by_id(session, Ticket, ref, "ticket")
    if ticket.status != TicketStatus.resolved:
        raise Conflict(f"ticket #{ticket.id} is already open")
    ticket.status = TicketStatus.open
    ticket.resolved_at = None
    ticket.csat = None
    ticket.due_at = due_at or now + timedelta(hours=sla[str(ticket.priority)])
    why = clean(reason)
    comment_ticket(
        session, ref=ticket.id, body=f"Reopened: {why}" if why else "Reopened", now=now,
        actor=actor,
    )  # fmt: skip
    return _save(session, ticket, now)


def rate_ticket(session: Session, *, ref: object, score: int, now: datetime) -> TicketRow:
    """Record the customer's satisfaction (1–5) with a resolved ticket."""
    ticket = by_id(session, Ticket, ref, "ticket")
    if ticket.status != TicketStatus.resolved:
        raise Conflict(f"ticket #{ticket.id} is not resolved yet (rate it once resolved)")
    ticket.csat = _check_csat(score)
    return _save(session, ticket, now)


TICKET_STATUSES = ("open", "resolved", "all")


def list_tickets(
    session: Session,
    *,
    now: datetime,
    status: str = "open",
    owner: str | None = None,
    priority: TicketPriority | None = None,
    overdue: bool = False,
    contact: str | None = None,
    company: str | None = None,
    limit: int | None = 50,
) -> list[TicketRow]:
    """Tickets, open ones first by due time, then the resolved ones most recent first. A
    company's are those opened for it and those of the people who work there now."""
    if status not in TICKET_STATUSES:
        raise InvalidInput("status filter", status, "must be open, resolved or all")
    query = _query()
    if overdue:
        query = query.where(col(Ticket.due_at) < now)
    if owner:
        query = query.where(Ticket.owner_id == resolve_user(session, owner).id)
    if priority is not None:
        query = query.where(Ticket.priority == priority)
    if contact:
        query = query.where(Ticket.contact_id == resolve_contact(session, contact).id)
    if company:
        firm = resolve_company(session, company).id
        staff = select(col(Contact.id)).where(col(Contact.company_id) == firm)
        # a union of two index lookups: an OR of the two conditions reads every ticket
        theirs = union(
            select(col(Ticket.id)).where(col(Ticket.company_id) == firm),
            select(col(Ticket.id)).where(col(Ticket.contact_id).in_(staff)),
        )
        query = query.where(col(Ticket.id).in_(theirs))
    check_limit(limit)
    rows: list[TicketRow] = []
    if status in ("open", "all"):
        waiting = query.where(Ticket.status == TicketStatus.open).order_by(
            col(Ticket.due_at).asc().nulls_last(), col(Ticket.id)
        )
        rows += [_row(r, now) for r in session.exec(waiting.limit(limit))]
    if status in ("resolved", "all") and not overdue and (limit is None or len(rows) < limit):
        done = query.where(Ticket.status == TicketStatus.resolved).order_by(
            col(Ticket.resolved_at).desc(), col(Ticket.id)
        )
        rest = None if limit is None else limit - len(rows)
        rows += [_row(r, now) for r in session.exec(done.limit(rest))]
    return rows
