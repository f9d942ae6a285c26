"""The tier catalogue, each customer's tier, and the moves between tiers.

A tier is reached by the payments received in its window: the `within_months` months that
end on the day the tier is worked out (from the day after the same date that many months
earlier, through that day; days are the user's calendar days). Spending counts payments in
the tier's currency; orders count the orders with at least one payment in the window. A
customer meets a tier when every threshold it sets is met; they move up to the highest tier
they meet, and down only from a tier that says it `can_drop` (to the highest they still
meet, or none). Every move is recorded with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import func, select, text
from sqlmodel import Session, col

from tinycrm.errors import InvalidInput, NotFound
from tinycrm.models import Order, Payment, Tier, TierMove
from tinycrm.models.base import table_of
from tinycrm.money import Money, check_currency, parse_money
from tinycrm.normalize import name_key
from tinycrm.services.access import actor_of, require
from tinycrm.services.loyalty.customers import Customer
from tinycrm.services.loyalty.names import customer_name, joined, visible

TIERS = table_of(Tier)
MOVES = table_of(TierMove)
ORDERS = table_of(Order)
PAYMENTS = table_of(Payment)
UNSCOPED = {"crm_unscoped": True}
"""A tier is the customer's, whoever reads it: it counts every payment they made."""


@dataclass(frozen=True)
class TierRow:
    id: int
    rank: int
    """1 for the lowest tier."""
    name: str
    min_spend: Money | None
    min_orders: int | None
    within_months: int
    can_drop: bool
    points_per: int
    points_expire_months: int | None


@dataclass(frozen=True)
class MoveRow:
    id: int
    customer: str
    from_tier: str | None
    to_tier: str | None
    reason: str
    payment_id: int | None
    at: datetime


# --- the catalogue ------------------------------------------------------------------------


def parse_months(text: str, *, field: str) -> int:
    """`12mo`, `6 months`, `1y`, `2 years` or `12` as a number of months (1 to 1200)."""
    raw = text.strip().lower().replace(" ", "")
    units = (("months", 1), ("month", 1), ("mo", 1), ("m", 1), ("years", 12), ("year", 12),
             ("y", 12), ("", 1))  # fmt: skip
    for unit, size in units:
        number = raw.removesuffix(unit) if unit else raw
        if (not unit or raw.endswith(unit)) and number.isdigit():
            months = int(number) * size
            if 1 <= months <= 1200:
                return months
            break
    raise InvalidInput(field, text, "not a number of months (use e.g. 12mo, 6mo, 1y)")


def _rank_key(tier: Any) -> tuple[int, int, int]:
    return (tier.min_spend_minor or 0, tier.min_orders or 0, tier.id or 0)


def _ranked(session: Session) -> list[Tier]:
    return sorted(session.scalars(select(Tier)), key=_rank_key)


def _row(tier: Tier, rank: int) -> TierRow:
    assert tier.id is not None
    spend = None
    if tier.min_spend_minor is not None and tier.currency:
        spend = Money(tier.min_spend_minor, tier.currency)
    return TierRow(
        tier.id,
        rank,
        tier.name,
        spend,
        tier.min_orders,
        tier.within_months,
        tier.can_drop,
        tier.points_per,
        tier.points_expire_months,
    )


def list_tiers(session: Session) -> list[TierRow]:
    """Every tier, lowest first."""
    return [_row(t, i) for i, t in enumerate(_ranked(session), start=1)]


def find_tier(session: Session, name: str) -> Tier:
    found = session.scalars(select(Tier).where(col(Tier.name_key) == name_key(name))).first()
    if found is None:
        raise NotFound("tier", name)
    return found


def set_tier(
    session: Session,
    *,
    name: str,
    min_spend: str | None = None,
    min_orders: int | None = None,
    within: str | None = None,
    can_drop: bool | None = None,
    points_per: int | None = None,
    points_expire: str | None = None,
    currency: str,
    yen: str = "",
) -> TierRow:
    """Create the tier `name`, or change what is given of it. `min_spend` is read in the
    currency written in it, else `currency`; `points_expire` "never" clears the expiry."""
    require(session, "tiers", "edit")
    shown = " ".join(name.split())
    if not shown or len(shown) > 100:
        raise InvalidInput("tier name", name, "must be 1 to 100 characters")
    try:
        tier = find_tier(session, shown)
    except NotFound:
        tier = Tier(name=shown, name_key=name_key(shown))
    if min_spend is not None:
        _spend(tier, min_spend, currency, yen)
    if min_orders is not None:
        if min_orders < 0:
            raise InvalidInput("min orders", min_orders, "must be zero or more")
        tier.min_orders = min_orders or None
    if within is not None:
        tier.within_months = parse_months(within, field="within")
    if can_drop is not None:
        tier.can_drop = can_drop
    if points_per is not None:
        if points_per < 0:
            raise InvalidInput("points per", points_per, "must be zero or more")
        tier.points_per = points_per
    if points_expire is not None:
        never = points_expire.strip().lower() in ("never", "none", "0")
        tier.points_expire_months = (
            None if never else parse_months(points_expire, field="points expire")
        )
    if tier.min_spend_minor is None and tier.min_orders is None:
        raise InvalidInput("tier", shown, "give a minimum spend or a minimum number of orders")
    tier.name = shown
    action = "edit" if tier.id is not None else "create"
    session.add(tier)
    session.flush()
    row = next(r for r in list_tiers(session) if r.id == tier.id)
    _log(session, tier, action, row)
    return row


def _log(session: Session, tier: Tier, action: str, row: TierRow) -> None:
    """The catalogue's changes in the audit log, the tier as it is after them."""
    from tinycrm.services import audit

    fields = {k: v for k, v in vars(row).items() if k not in ("id", "rank") and v is not None}
    shown = {k: [None, str(v) if isinstance(v, Money) else v] for k, v in fields.items()}
    audit.record(session, object="tiers", record_id=tier.id, action=action, changes=shown)


def _spend(tier: Tier, text: str, currency: str, yen: str) -> None:
    if text.strip().lower() in ("", "none", "-"):
        tier.min_spend_minor, tier.currency = None, None
        return
    money = parse_money(text, currency=tier.currency or check_currency(currency), yen=yen,
                        field="min spend")  # fmt: skip
    if money.minor < 0:
        raise InvalidInput("min spend", text, "must be zero or more")
    tier.min_spend_minor, tier.currency = money.minor, money.currency


def remove_tier(session: Session, *, name: str) -> TierRow:
    """Remove a tier; customers in it have no tier until their next payment moves them (the
    moves into it keep its name)."""
    require(session, "tiers", "delete")
    tier = find_tier(session, name)
    row = next(r for r in list_tiers(session) if r.id == tier.id)
    session.delete(tier)
    session.flush()
    _log(session, tier, "delete", row)
    return row


# --- a customer's tier ----------------------------------------------------------------------


def window(today: date, months: int) -> tuple[date, date]:
    """The first and last day of the `months` months that end on `today`."""
    return today - relativedelta(months=months) + timedelta(days=1), today


def standing(session: Session, customer: Customer, *, since: date, until: date,
             currency: str | None) -> tuple[int, int]:  # fmt: skip
    """What the customer paid in `currency` (minor units) between the two days, both
    included, and on how many orders (any currency)."""
    if _server_counts(session):  # row security would hide the orders the login does not own
        found = session.connection().execute(
            text("SELECT spent, orders FROM crm_customer_paid(:co, :ct, :since, :until, :cur)"),
            {"co": customer.company_id, "ct": customer.contact_id, "since": since,
             "until": until, "cur": currency or ""},
        ).one()  # fmt: skip
        return int(found[0] or 0), int(found[1] or 0)
    spent = func.sum(PAYMENTS.c.amount_minor).filter(PAYMENTS.c.currency == (currency or ""))
    query = (
        select(func.coalesce(spent, 0), func.count(func.distinct(PAYMENTS.c.order_id)))
        .select_from(PAYMENTS.join(ORDERS, ORDERS.c.id == PAYMENTS.c.order_id))
        .where(customer.orders_of(ORDERS), PAYMENTS.c.received_on.between(since, until))
        .execution_options(**UNSCOPED)
    )
    found = session.connection().execute(query).one()
    return int(found[0] or 0), int(found[1] or 0)


def _server_counts(session: Session) -> bool:
    """Whether the team server's `crm_customer_paid` is there to count a customer's payments
    whoever reads them (`services.server`); elsewhere a plain query sees them all."""
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        return False
    if "crm_customer_paid" not in session.info:
        found = conn.exec_driver_sql(
            "SELECT to_regprocedure('crm_customer_paid(integer, integer, date, date, text)')"
        ).scalar()
        session.info["crm_customer_paid"] = found is not None
    return bool(session.info["crm_customer_paid"])


def meets(session: Session, customer: Customer, tier: Tier, today: date) -> tuple[bool, str]:
    """Whether the customer meets the tier's thresholds as of `today`, and the figures."""
    since, until = window(today, tier.within_months)
    spent, orders = standing(session, customer, since=since, until=until, currency=tier.currency)
    ok = (tier.min_spend_minor is None or spent >= tier.min_spend_minor) and (
        tier.min_orders is None or orders >= tier.min_orders
    )
    paid = Money(spent, tier.currency) if tier.currency else None
    figures = f"{paid} paid, " if paid is not None else ""
    figures += f"{orders} order{'s' * (orders != 1)} from {since} to {until}"
    return ok, figures


def current(session: Session, customer: Customer) -> Tier | None:
    """The tier the customer's latest move put them in (None: no tier)."""
    query = (
        select(MOVES.c.to_tier_id)
        .where(customer.rows_of(MOVES))
        .order_by(MOVES.c.id.desc())
        .limit(1)
        .execution_options(**UNSCOPED)
    )
    tier_id = session.connection().execute(query).scalar()
    return session.get(Tier, tier_id) if tier_id is not None else None


def refresh_tier(
    session: Session,
    *,
    customer: Customer,
    today: date,
    now: datetime,
    cause: str,
    payment_id: int | None = None,
    user_id: int | None = None,
) -> MoveRow | None:
    """Move the customer to the tier their payments reach as of `today` (see the module);
    the move, if any, is recorded with `cause` ("payment #12") and the figures."""
    tiers = _ranked(session)
    have = current(session, customer)
    best, why = None, ""
    for tier in reversed(tiers):
        ok, figures = meets(session, customer, tier, today)
        if ok:
            best, why = tier, f"{cause}: {figures} reach {tier.name}"
            break
    if have is not None and (best is None or _rank_key(best) < _rank_key(have)):
        if not have.can_drop:
            return None
        _, figures = meets(session, customer, have, today)
        why = f"{cause}: {figures} are below {have.name}"
    if (best.id if best else None) == (have.id if have else None):
        return None
    move = TierMove(
        **customer.keys(),
        from_tier_id=have.id if have else None,
        to_tier_id=best.id if best else None,
        from_name=have.name if have else None,
        to_name=best.name if best else None,
        reason=why,
        payment_id=payment_id,
        user_id=user_id,
        at=now,
    )
    session.add(move)
    session.flush()
    return _moves(session, [MOVES.c.id == move.id])[0]


def list_moves(session: Session, *, customer: Customer | None = None) -> list[MoveRow]:
    """Tier moves, newest first: the customer's, or everyone's the session may read."""
    return _moves(session, [customer.rows_of(MOVES)] if customer else [])


def _moves(session: Session, where: list[Any]) -> list[MoveRow]:
    query = (
        select(MOVES, customer_name())
        .select_from(joined(MOVES))
        .where(visible(MOVES), *where)
        .order_by(MOVES.c.id.desc())
    )
    return [
        MoveRow(r.id, r[-1], r.from_name, r.to_name, r.reason, r.payment_id, r.at)
        for r in session.connection().execute(query)
    ]


def check_unknown(session: Session, name: str) -> Tier:
    """The tier `name`, refused in one line naming the tiers there are."""
    try:
        return find_tier(session, name)
    except NotFound:
        names = ", ".join(t.name for t in _ranked(session)) or "none yet"
        raise InvalidInput("tier", name, f"unknown tier (tiers: {names})") from None


def refresh_all(session: Session, *, today: date, now: datetime) -> list[MoveRow]:
    """Every customer with a payment or a tier, worked out again as of `today`."""
    from sqlalchemy import union

    from tinycrm.services.loyalty.customers import Customer as Who

    paid = select(ORDERS.c.company_id, ORDERS.c.contact_id).where(
        ORDERS.c.id.in_(select(PAYMENTS.c.order_id))
    )
    placed = select(MOVES.c.company_id, MOVES.c.contact_id)
    found = session.connection().execute(union(paid, placed).execution_options(**UNSCOPED))
    who = {
        Who("company", c, "") if c is not None else Who("contact", p, "")
        for c, p in found
        if c is not None or p is not None
    }
    actor = actor_of(session)
    moved = []
    for customer in sorted(who, key=lambda w: (w.kind, w.id)):
        row = refresh_tier(session, customer=customer, today=today, now=now, cause="refresh",
                           user_id=actor.user_id if actor else None)  # fmt: skip
        if row is not None:
            moved.append(row)
    return moved


def in_tier(session: Session, name: str, *, company_id: Any, contact_id: Any | None = None) -> Any:
    """The condition "in the tier `name` now" on a company id column, or on a contact's (the
    contact's own tier, or their company's, where `company_id` is the contact's company)."""
    tier = check_unknown(session, name)
    latest = select(func.max(MOVES.c.id)).group_by(MOVES.c.company_id, MOVES.c.contact_id)
    now_in = MOVES.c.id.in_(latest) & (MOVES.c.to_tier_id == tier.id)
    companies = select(MOVES.c.company_id).where(now_in, MOVES.c.company_id.is_not(None))
    condition = company_id.in_(companies)
    if contact_id is not None:
        contacts = select(MOVES.c.contact_id).where(now_in, MOVES.c.contact_id.is_not(None))
        condition = condition | contact_id.in_(contacts)
    return condition
