"""Contracts: the term an order runs for, its value, and its renewal.

A contract is `active` (or `draft` until it is signed), `renewed` once its next term was
made, `terminated` when ended early or not to be renewed; an active contract past its last
day reads as `expired`. Its notice date, the last day to renew or give notice, is its last
day less the notice period; reminders and `report renewals` come from it.

A contract that renews by itself (`renew=auto`) rolls over once its last day is past in the
user's zone (`roll_over`, run by the commands that show contracts and by `crm remind`): it
becomes renewed and its next term, as long and worth as much, starts the day after; the
audit log says the system did it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from tinycrm.errors import Conflict, EndsBeforeStart, InvalidInput, check_version
from tinycrm.models import Contract, ContractStatus, Order, RenewMode
from tinycrm.models.base import table_of
from tinycrm.money import Money, parse_money
from tinycrm.normalize import clean
from tinycrm.services import access, audit
from tinycrm.services.refs import by_id

CONTRACTS = table_of(Contract)
SYSTEM = "system"
"""The audit source of what tinycrm does by itself (a rollover), with no user."""
STATES = (*(s.value for s in ContractStatus), "all")
OPEN = (ContractStatus.draft, ContractStatus.active)


@dataclass(frozen=True)
class ContractRow:
    id: int
    order_id: int
    customer: str | None
    starts_on: date
    ends_on: date
    renew: str
    notice_days: int
    notice_on: date
    value: Money
    status: str
    renewed_from_id: int | None
    notes: str | None
    version: int


def status_of(c: Contract, today: date) -> str:
    expired = c.status == ContractStatus.active and c.ends_on < today
    return "expired" if expired else str(c.status)


def _row(session: Session, c: Contract, today: date) -> ContractRow:
    from tinycrm.models import Company, Contact

    order = session.get(Order, c.order_id)
    customer = None
    if order is not None and order.company_id and (firm := session.get(Company, order.company_id)):
        customer = firm.name
    elif order is not None and order.contact_id and (who := session.get(Contact, order.contact_id)):
        customer = who.full_name
    return ContractRow(
        c.id or 0, c.order_id, customer, c.starts_on, c.ends_on, str(c.renew), c.notice_days,
        c.notice_on, Money(c.value_minor, c.currency), status_of(c, today), c.renewed_from_id,
        c.notes, c.version,
    )  # fmt: skip


def _renew(text: str) -> RenewMode:
    try:
        return RenewMode(text.strip().lower())
    except ValueError:
        raise InvalidInput("renew", text, "must be auto or manual") from None


def create_contract(
    session: Session,
    *,
    order: object,
    starts_on: date,
    ends_on: date,
    renew: str = "manual",
    notice_days: int = 30,
    value: str | None = None,
    draft: bool = False,
    notes: str | None = None,
    now: datetime,
    today: date,
    yen: str = "",
    renewed_from: int | None = None,
) -> ContractRow:
    """A contract for an order, worth the order's amount unless `value` says otherwise
    (`renewed_from`: the contract whose next term it is)."""
    found = by_id(session, Order, order, "order")
    if ends_on < starts_on:
        raise EndsBeforeStart("to", ends_on, start_field="from", start=starts_on)
    if notice_days < 0 or notice_days > (ends_on - starts_on).days + 1:
        raise InvalidInput("notice", notice_days, "must be between 0 days and the whole term")
    minor = found.amount_minor
    if value is not None:
        money = parse_money(value, currency=found.currency, yen=yen, field="value")
        if money.currency != found.currency:
            raise InvalidInput("value", value, f"must be in {found.currency}, the order's")
        minor = money.minor
    contract = Contract(
        order_id=found.id or 0, starts_on=starts_on, ends_on=ends_on, renew=_renew(renew),
        notice_days=notice_days, notice_on=ends_on - timedelta(days=notice_days),
        value_minor=minor, currency=found.currency,
        status=ContractStatus.draft if draft else ContractStatus.active, notes=clean(notes),
        renewed_from_id=renewed_from, created_at=now,
    )  # fmt: skip
    session.add(contract)
    session.flush()
    return _row(session, contract, today)


def _contract(session: Session, ref: object, version: int | None = None) -> Contract:
    found = by_id(session, Contract, ref, "contract")
    check_version(f"contract #{found.id}", found.version, version)
    return found


def get_contract(session: Session, *, ref: object, today: date) -> ContractRow:
    return _row(session, _contract(session, ref), today)


def list_contracts(
    session: Session, *, today: date, status: str = "all", order: object | None = None
) -> list[ContractRow]:
    """Contracts by their last day, soonest first."""
    if status not in STATES:
        raise InvalidInput("status", status, f"must be one of {', '.join(STATES)}")
    query = select(Contract).order_by(col(Contract.ends_on), col(Contract.id))
    if order is not None:
        query = query.where(col(Contract.order_id) == by_id(session, Order, order, "order").id)
    rows = [_row(session, c, today) for c in session.exec(query)]
    return [r for r in rows if status in ("all", r.status)]


def customer_contracts(
    session: Session, *, today: date, contact: int | None = None, company: int | None = None
) -> list[ContractRow]:
    """The contracts of a contact's or a company's orders, by their last day, soonest first."""
    query = select(Contract).join(Order, col(Order.id) == col(Contract.order_id))
    if contact is not None:
        query = query.where(col(Order.contact_id) == contact)
    if company is not None:
        query = query.where(col(Order.company_id) == company)
    query = query.order_by(col(Contract.ends_on), col(Contract.id))
    return [_row(session, c, today) for c in session.exec(query)]


def activate_contract(
    session: Session, *, ref: object, today: date, version: int | None = None
) -> ContractRow:
    """A draft contract signed: active from now on."""
    found = _contract(session, ref, version)
    if found.status != ContractStatus.draft:
        raise Conflict(f"contract #{found.id} is {status_of(found, today)}, not a draft")
    return _set_status(session, found, ContractStatus.active, today)


def terminate_contract(
    session: Session, *, ref: object, today: date, version: int | None = None
) -> ContractRow:
    """A draft or active contract ended: it will not be renewed."""
    found = _contract(session, ref, version)
    if found.status not in OPEN:
        raise Conflict(f"contract #{found.id} is already {found.status}")
    return _set_status(session, found, ContractStatus.terminated, today)


def _set_status(
    session: Session, found: Contract, status: ContractStatus, today: date
) -> ContractRow:
    found.status = status
    session.add(found)
    session.flush()
    return _row(session, found, today)


def renew_contract(
    session: Session,
    *,
    ref: object,
    value: str | None = None,
    now: datetime,
    today: date,
    yen: str = "",
    version: int | None = None,
) -> ContractRow:
    """The next term: a contract of the same length starting the day after this one ends,
    on the same terms (the value given, else the same); this one becomes renewed."""
    old = _contract(session, ref, version)
    if old.status not in OPEN:
        raise Conflict(f"contract #{old.id} is {old.status}; only an active one is renewed")
    old.status = ContractStatus.renewed
    session.add(old)
    return _next_term(session, old, value=value, now=now, today=today, yen=yen)


def _next_term(
    session: Session, old: Contract, *, value: str | None, now: datetime, today: date, yen: str
) -> ContractRow:
    start = old.ends_on + timedelta(days=1)
    return create_contract(
        session, order=old.order_id, starts_on=start, ends_on=start + (old.ends_on - old.starts_on),
        renew=str(old.renew), notice_days=old.notice_days,
        value=value if value is not None else f"{Money(old.value_minor, old.currency).plain()}",
        notes=old.notes, now=now, today=today, yen=yen, renewed_from=old.id,
    )  # fmt: skip


def roll_over(session: Session, *, today: date, now: datetime) -> list[ContractRow]:
    """Renew every active contract with `renew=auto` whose last day is before `today`, of
    the orders the session may edit, term after term until one runs through `today`; the
    next terms made, in order. Logged as the system's doing. Safe to run at any time and
    from two places at once: a contract is taken by the one run whose update finds it
    still active."""
    made: list[ContractRow] = []
    tried: set[int | None] = set()
    while due := [c for c in _due(session, today) if c.id not in tried]:
        for old in due:
            tried.add(old.id)
            if _taken(session, old):
                with _as_system(session):
                    made.append(_rolled(session, old, now, today))
    return made


def _due(session: Session, today: date) -> list[Contract]:
    query = (
        select(Contract)
        .where(col(Contract.status) == ContractStatus.active)
        .where(col(Contract.renew) == RenewMode.auto, col(Contract.ends_on) < today)
        .order_by(col(Contract.ends_on), col(Contract.id))
    )
    found = list(session.exec(query))
    actor = access.actor_of(session)
    if actor is None or not found:
        return found
    orders = select(Order).where(col(Order.id).in_({c.order_id for c in found}))
    owners = {o.id: o.owner_id for o in session.exec(orders)}
    return [
        c for c in found
        if actor.reaches("orders", "edit", owners.get(c.order_id), reading=False)
    ]  # fmt: skip


def _taken(session: Session, old: Contract) -> bool:
    """Mark `old` renewed if it is still active (the one statement two runs race on)."""
    taken = session.connection().execute(
        update(CONTRACTS)
        .where(CONTRACTS.c.id == old.id, CONTRACTS.c.status == ContractStatus.active.value)
        .values(status=ContractStatus.renewed.value, version=CONTRACTS.c.version + 1)
    )
    session.refresh(old)
    return taken.rowcount == 1


def _rolled(session: Session, old: Contract, now: datetime, today: date) -> ContractRow:
    audit.record(
        session, object="contracts", record_id=old.id, action="renew",
        changes={"status": [ContractStatus.active, ContractStatus.renewed]},
    )  # fmt: skip
    return _next_term(session, old, value=None, now=now, today=today, yen="")


@contextmanager
def _as_system(session: Session) -> Iterator[None]:
    """Within the block the session acts for nobody and its changes are logged from
    `system` (the caller checked the grants)."""
    actor, source = session.info.get("actor"), session.info.get("source")
    session.info["actor"], session.info["source"] = None, SYSTEM
    try:
        yield
    finally:
        session.info["actor"], session.info["source"] = actor, source


def delete_contract(session: Session, *, ref: object, today: date) -> ContractRow:
    found = _contract(session, ref)
    row = _row(session, found, today)
    session.delete(found)
    session.flush()
    return row
