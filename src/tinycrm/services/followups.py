"""Follow-up visits (客户回访): resolving a ticket schedules a call some days later, by its
priority (config `followup_days = {urgent = 1, high = 2, normal = 7}`; a priority not named
gets none), whose outcome and satisfaction (1–5) are recorded when it is done. A follow-up
not done by the end of its due day is overdue. Follow-ups belong to their ticket: read by
whoever reads it, recorded by whoever may edit it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlmodel import Session

from tinycrm.errors import Conflict, CrmError, InvalidInput
from tinycrm.models import Company, Contact, FollowUp, Ticket, TicketPriority, User
from tinycrm.normalize import clean
from tinycrm.services import access
from tinycrm.services.imports import table_of
from tinycrm.services.refs import by_id

FOLLOWUPS = table_of(FollowUp)
TICKETS = table_of(Ticket)
USERS = table_of(User)
COMPANIES = table_of(Company)
CONTACTS = table_of(Contact)
PRIORITIES = tuple(p.value for p in TicketPriority)
STATES = ("scheduled", "overdue", "done", "all")


@dataclass(frozen=True)
class FollowUpRow:
    id: int
    ticket_id: int
    subject: str
    customer: str | None
    owner: str | None
    due_on: date
    state: str
    """scheduled, overdue or done."""
    done_at: datetime | None
    outcome: str | None
    satisfaction: int | None


@dataclass(frozen=True)
class FollowUpFigures:
    owner: str
    scheduled: int
    """Follow-ups due in the period."""
    done: int
    overdue: int
    """Of those, not done and past their due day."""
    done_rate: float | None
    satisfaction: float | None
    """The average of the satisfaction recorded on those done."""
    rated: int


def followup_days(config: Any) -> dict[str, int]:
    """Days from resolution to the follow-up per priority, from the config's table."""
    if config is None:
        return {}
    if not isinstance(config, Mapping):
        raise CrmError(f"config followup_days: must be a table like {{high = 2}}: {config!r}")
    days: dict[str, int] = {}
    for key, value in config.items():
        if key not in PRIORITIES:
            raise CrmError(
                f"config followup_days: unknown priority {key!r} (one of: {', '.join(PRIORITIES)})"
            )
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise CrmError(f"config followup_days.{key}: must be a whole number of days: {value!r}")
        days[key] = value
    return days


def schedule(
    session: Session, *, ticket: Ticket, days: int | None, today: date, now: datetime
) -> FollowUp | None:
    """A follow-up of the ticket `days` days after `today` (None: none)."""
    if days is None:
        return None
    if days < 0:
        raise InvalidInput("follow-up days", days, "must be zero or more")
    assert ticket.id is not None
    found = FollowUp(ticket_id=ticket.id, due_on=today + timedelta(days=days), created_at=now)
    session.add(found)
    session.flush()
    return found


def _query() -> Any:
    customer = func.coalesce(COMPANIES.c.name, CONTACTS.c.full_name)
    return (
        select(FOLLOWUPS, TICKETS.c.subject, customer.label("customer"), USERS.c.name)
        .join(TICKETS, TICKETS.c.id == FOLLOWUPS.c.ticket_id)
        .outerjoin(COMPANIES, COMPANIES.c.id == TICKETS.c.company_id)
        .outerjoin(CONTACTS, CONTACTS.c.id == TICKETS.c.contact_id)
        .outerjoin(USERS, USERS.c.id == TICKETS.c.owner_id)
    )


def _row(r: Any, today: date) -> FollowUpRow:
    state = "done" if r.done_at is not None else "overdue" if r.due_on < today else "scheduled"
    return FollowUpRow(r.id, r.ticket_id, r.subject, r.customer, r.name, r.due_on, state,
                       r.done_at, r.outcome, r.satisfaction)  # fmt: skip


def list_followups(
    session: Session, *, today: date, state: str = "all", ids: list[int] | None = None
) -> list[FollowUpRow]:
    """Follow-ups of the tickets the session reads, by due day."""
    if state not in STATES:
        raise InvalidInput("state", state, f"must be one of {', '.join(STATES)}")
    chosen: dict[str, list[Any]] = {
        "scheduled": [FOLLOWUPS.c.done_at.is_(None), FOLLOWUPS.c.due_on >= today],
        "overdue": [FOLLOWUPS.c.done_at.is_(None), FOLLOWUPS.c.due_on < today],
        "done": [FOLLOWUPS.c.done_at.is_not(None)],
        "all": [],
    }
    where = chosen[state]
    if ids is not None:
        where.append(FOLLOWUPS.c.id.in_(ids))
    query = _query().where(*where).order_by(FOLLOWUPS.c.due_on, FOLLOWUPS.c.id)
    return [_row(r, today) for r in session.connection().execute(query)]


def complete_followup(
    session: Session,
    *,
    ref: object,
    outcome: str | None,
    satisfaction: int | None,
    now: datetime,
    today: date,
) -> FollowUpRow:
    """Record the call: its outcome and the customer's satisfaction (1–5)."""
    found = by_id(session, FollowUp, ref, "follow-up")
    ticket = by_id(session, Ticket, found.ticket_id, "follow-up")  # hidden ticket: not found
    access.check(access.actor_of(session), "tickets", "edit", ticket.owner_id)
    if found.done_at is not None:
        raise Conflict(f"follow-up #{found.id} is already done")
    if satisfaction is not None and not 1 <= satisfaction <= 5:
        raise InvalidInput("satisfaction", satisfaction, "must be from 1 to 5")
    actor = access.actor_of(session)
    found.done_at, found.outcome, found.satisfaction = now, clean(outcome), satisfaction
    found.user_id = actor.user_id if actor else None
    session.add(found)
    session.flush()
    assert found.id is not None
    return list_followups(session, today=today, ids=[found.id])[0]


@access.reads_for("reports", "read")
def followup_figures(
    session: Session, *, first: date | None, last: date | None, today: date
) -> list[FollowUpFigures]:
    """Per ticket owner, then in total: the follow-ups due from `first` to `last` (both
    included; None: no edge), how many are done and overdue, and their satisfaction."""
    done = FOLLOWUPS.c.done_at.is_not(None)
    late = FOLLOWUPS.c.done_at.is_(None) & (FOLLOWUPS.c.due_on < today)
    owner = func.coalesce(USERS.c.name, "(nobody)")
    query = (
        select(
            owner,
            func.count(),
            func.sum(case((done, 1), else_=0)),
            func.sum(case((late, 1), else_=0)),
            func.sum(FOLLOWUPS.c.satisfaction),
            func.count(FOLLOWUPS.c.satisfaction),
        )
        .join(TICKETS, TICKETS.c.id == FOLLOWUPS.c.ticket_id)
        .outerjoin(USERS, USERS.c.id == TICKETS.c.owner_id)
        .group_by(owner)
        .order_by(owner)
    )
    if first is not None:
        query = query.where(FOLLOWUPS.c.due_on >= first)
    if last is not None:
        query = query.where(FOLLOWUPS.c.due_on <= last)
    found = session.connection().execute(query)
    raw = [(str(r[0]), [int(x or 0) for x in r[1:]]) for r in found]
    total = [sum(counts[i] for _, counts in raw) for i in range(5)]
    return [_figures(owner, counts) for owner, counts in [*raw, ("total", total)]]


def _figures(owner: str, counts: list[int]) -> FollowUpFigures:
    count, done, late, points, rated = counts
    return FollowUpFigures(
        owner,
        count,
        done,
        late,
        done / count if count else None,
        round(points / rated, 2) if rated else None,
        rated,
    )
