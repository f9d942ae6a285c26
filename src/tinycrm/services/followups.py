"""Follow-up visits (客户回访): resolving a ticket schedules a call some days later, by its
priority, and delivering an order one some days after the delivery (config
`followup_days = {urgent = 1, high = 2, normal = 7, order = 14}`; a priority not named, or no
`order`, gets none), whose outcome and satisfaction (1–5) are recorded when it is done. A
follow-up not done by the end of its due day is overdue. A follow-up belongs to its ticket or
its order: read by whoever reads that, recorded by whoever may edit it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlmodel import Session

from tinycrm.errors import Conflict, CrmError, InvalidInput
from tinycrm.models import Company, Contact, FollowUp, Order, Ticket, TicketPriority, User
from tinycrm.models.base import table_of
from tinycrm.normalize import clean
from tinycrm.services import access
from tinycrm.services.refs import by_id

FOLLOWUPS = table_of(FollowUp)
TICKETS = table_of(Ticket)
ORDERS = table_of(Order)
USERS = table_of(User)
COMPANIES = table_of(Company)
CONTACTS = table_of(Contact)
PRIORITIES = tuple(p.value for p in TicketPriority)
ORDER_KEY = "order"
"""The `followup_days` key for the days from an order's delivery to its follow-up."""
STATES = ("scheduled", "overdue", "done", "all")


@dataclass(frozen=True)
class FollowUpRow:
    id: int
    ticket_id: int | None
    order_id: int | None
    """What the call follows: a ticket or an order (one of the two)."""
    subject: str
    """The ticket's subject, or `order #N delivered`."""
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
    """Days from resolution to the follow-up per priority, and from delivery for an order
    (`order`), from the config's table."""
    if config is None:
        return {}
    if not isinstance(config, Mapping):
        raise CrmError(f"config followup_days: must be a table like {{high = 2}}: {config!r}")
    days: dict[str, int] = {}
    for key, value in config.items():
        if key not in (*PRIORITIES, ORDER_KEY):
            known = ", ".join((*PRIORITIES, ORDER_KEY))
            raise CrmError(f"config followup_days: unknown key {key!r} (one of: {known})")
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise CrmError(f"config followup_days.{key}: must be a whole number of days: {value!r}")
        days[key] = value
    return days


def open_call(session: Session, *, ticket: int) -> FollowUp | None:
    """The ticket's follow-up call not made yet (the latest, should there be several)."""
    query = select(FollowUp).where(FOLLOWUPS.c.ticket_id == ticket, FOLLOWUPS.c.done_at.is_(None))
    found: FollowUp | None = session.scalars(query.order_by(FOLLOWUPS.c.id.desc())).first()
    return found


def schedule(
    session: Session,
    *,
    ticket: Ticket | None = None,
    order: Order | None = None,
    days: int | None,
    today: date,
    now: datetime,
) -> FollowUp | None:
    """A follow-up of the ticket or the order (one of the two) `days` days after `today`
    (None: none)."""
    if days is None:
        return None
    if days < 0:
        raise InvalidInput("follow-up days", days, "must be zero or more")
    assert (ticket is None) != (order is None)
    found = FollowUp(
        ticket_id=ticket.id if ticket else None, order_id=order.id if order else None,
        due_on=today + timedelta(days=days), created_at=now,
    )  # fmt: skip
    session.add(found)
    session.flush()
    return found


def _joined(query: Any) -> Any:
    """`query` over follow-ups joined to their ticket or order (each within the read scope:
    one hidden, the follow-up is too), its customer and its owner."""
    return (
        query.select_from(FOLLOWUPS)
        .outerjoin(TICKETS, TICKETS.c.id == FOLLOWUPS.c.ticket_id)
        .outerjoin(ORDERS, ORDERS.c.id == FOLLOWUPS.c.order_id)
        .outerjoin(COMPANIES, COMPANIES.c.id == func.coalesce(TICKETS.c.company_id,
                                                              ORDERS.c.company_id))
        .outerjoin(CONTACTS, CONTACTS.c.id == func.coalesce(TICKETS.c.contact_id,
                                                            ORDERS.c.contact_id))
        .outerjoin(USERS, USERS.c.id == func.coalesce(TICKETS.c.owner_id, ORDERS.c.owner_id))
        .where(or_(TICKETS.c.id.is_not(None), ORDERS.c.id.is_not(None)))
    )  # fmt: skip


def _query() -> Any:
    customer = func.coalesce(COMPANIES.c.name, CONTACTS.c.full_name)
    return _joined(select(FOLLOWUPS, TICKETS.c.subject, customer.label("customer"), USERS.c.name))


def _row(r: Any, today: date) -> FollowUpRow:
    state = "done" if r.done_at is not None else "overdue" if r.due_on < today else "scheduled"
    subject = r.subject if r.ticket_id is not None else f"order #{r.order_id} delivered"
    return FollowUpRow(r.id, r.ticket_id, r.order_id, subject, r.customer, r.name, r.due_on,
                       state, r.done_at, r.outcome, r.satisfaction)  # fmt: skip


def list_followups(
    session: Session, *, today: date, state: str = "all", ids: list[int] | None = None
) -> list[FollowUpRow]:
    """Follow-ups of the tickets and orders the session reads, by due day."""
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


def customer_followups(
    session: Session, *, today: date, contact: int | None = None, company: int | None = None
) -> list[FollowUpRow]:
    """The follow-ups not done yet of a contact's tickets and orders, or of a company's (its
    own and those of the people who work there now), by due day."""
    who = func.coalesce(TICKETS.c.contact_id, ORDERS.c.contact_id)
    where: list[Any] = [FOLLOWUPS.c.done_at.is_(None)]
    if contact is not None:
        where.append(who == contact)
    if company is not None:
        staff = select(CONTACTS.c.id).where(CONTACTS.c.company_id == company)
        firm = func.coalesce(TICKETS.c.company_id, ORDERS.c.company_id)
        where.append((firm == company) | who.in_(staff))
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
    record: Ticket | Order  # hidden ticket or order: not found
    if found.ticket_id is not None:
        record = by_id(session, Ticket, found.ticket_id, "follow-up")
    else:
        record = by_id(session, Order, found.order_id, "follow-up")
    access.check(access.actor_of(session), record.__tablename__, "edit", record.owner_id)
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
    """Per owner of the ticket or order followed up, then in total: the follow-ups due from
    `first` to `last` (both included; None: no edge), how many are done and overdue, and
    their satisfaction."""
    done = FOLLOWUPS.c.done_at.is_not(None)
    late = FOLLOWUPS.c.done_at.is_(None) & (FOLLOWUPS.c.due_on < today)
    owner = func.coalesce(USERS.c.name, "(nobody)")
    figures = select(
        owner,
        func.count(),
        func.sum(case((done, 1), else_=0)),
        func.sum(case((late, 1), else_=0)),
        func.sum(FOLLOWUPS.c.satisfaction),
        func.count(FOLLOWUPS.c.satisfaction),
    )
    query = _joined(figures).group_by(owner).order_by(owner)
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
