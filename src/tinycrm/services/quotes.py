"""Quotes on a deal, their versions, and a deal's own lines.

A quote is in its deal's currency; its lines and totals follow `tinycrm.services.lines`.
A revision is a new quote of the same series (the next `revision`) and the one it replaces
becomes superseded. Accepting a quote sets its deal's amount to the quote's total (the
deal's lines become the quote's), wins the deal and creates its order with the same lines.

A deal with lines of its own has the amount they come to: adding or removing one sets it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlmodel import Session, col, select

from tinycrm.errors import Conflict, InvalidInput, check_version
from tinycrm.models import Deal, DealStatus, Quote, QuoteStatus, User
from tinycrm.money import Money
from tinycrm.normalize import clean
from tinycrm.services import audit
from tinycrm.services import lines as li
from tinycrm.services.refs import by_id, resolve_deal

OPEN = (QuoteStatus.draft, QuoteStatus.sent)
STATES = (*(s.value for s in QuoteStatus), "expired", "all")


@dataclass(frozen=True)
class QuoteRow:
    id: int
    deal_id: int
    deal: str
    series: int
    revision: int
    status: str
    """As stored, or `expired` for an open quote past its validity."""
    discount: str
    subtotal: Money
    tax: Money
    total: Money
    valid_until: date | None
    created_at: datetime
    order_id: int | None
    version: int


@dataclass(frozen=True)
class QuoteDetail:
    row: QuoteRow
    lines: list[li.LineRow]
    notes: str | None
    customer: str | None
    owner: str | None


@dataclass(frozen=True)
class Accepted:
    quote: QuoteRow
    order_id: int
    amount: Money


def status_of(quote: Quote, today: date) -> str:
    expired = quote.valid_until is not None and quote.valid_until < today
    return "expired" if quote.status in OPEN and expired else str(quote.status)


def _row(session: Session, q: Quote, today: date) -> QuoteRow:
    deal = session.get(Deal, q.deal_id)
    cur = q.currency
    off = f"{q.discount_percent}%" if q.discount_percent else ""
    off = off or (str(Money(q.discount_minor, cur)) if q.discount_minor else "")
    return QuoteRow(
        q.id or 0, q.deal_id, deal.title if deal else "", q.series, q.revision,
        status_of(q, today), off, Money(q.subtotal_minor, cur), Money(q.tax_minor, cur),
        Money(q.total_minor, cur), q.valid_until, q.created_at, q.order_id, q.version,
    )  # fmt: skip


def _lines(
    session: Session, texts: Sequence[str], *, currency: str, tax: Decimal, yen: str
) -> list[li.Line]:
    if not texts:
        raise InvalidInput("line", None, "a quote needs at least one line")
    return [li.parse_line(session, t, currency=currency, tax=tax, yen=yen) for t in texts]


def _write(
    session: Session,
    quote: Quote,
    lines: Sequence[li.Line],
    percent: Decimal | None,
    minor: int,
) -> None:
    totals = li.price(lines, currency=quote.currency, discount_percent=percent,
                      discount_minor=minor)  # fmt: skip
    quote.discount_percent = None if percent is None else str(percent)
    quote.discount_minor = minor
    quote.subtotal_minor, quote.tax_minor = totals.subtotal_minor, totals.tax_minor
    quote.total_minor = totals.total_minor
    session.add(quote)
    session.flush()
    assert quote.id is not None
    li.store_lines(session, totals, deal_id=quote.deal_id, quote_id=quote.id)


def create_quote(
    session: Session,
    *,
    deal: object,
    lines: Sequence[str],
    discount: str | None = None,
    valid_until: date | None = None,
    tax: Decimal = Decimal(0),
    notes: str | None = None,
    now: datetime,
    today: date,
    yen: str = "",
) -> QuoteDetail:
    """A draft quote on an open deal, in the deal's currency."""
    found = _open_deal(session, deal, valid_until, today)
    parsed = _lines(session, lines, currency=found.currency, tax=tax, yen=yen)
    return _new_quote(session, found, parsed, discount, valid_until, notes, now, today, yen)


def quote_deal(
    session: Session,
    *,
    deal: object,
    discount: str | None = None,
    valid_until: date | None = None,
    notes: str | None = None,
    now: datetime,
    today: date,
    yen: str = "",
) -> QuoteDetail:
    """A draft quote of the deal's own lines (as `create_quote`, which types them)."""
    found = _open_deal(session, deal, valid_until, today)
    parsed = _own_lines(session, found)
    return _new_quote(session, found, parsed, discount, valid_until, notes, now, today, yen)


def _open_deal(session: Session, deal: object, valid_until: date | None, today: date) -> Deal:
    """The deal a new quote is for: open, and the quote valid until a day not yet past."""
    found = resolve_deal(session, deal)
    if found.status != DealStatus.open:
        raise Conflict(f"deal #{found.id} is {found.status}; quotes are for open deals")
    if valid_until is not None and valid_until < today:
        raise InvalidInput("valid until", valid_until.isoformat(), "is in the past")
    return found


def _own_lines(session: Session, deal: Deal) -> list[li.Line]:
    rows = li.stored(session, deal_id=deal.id, quote_id=None, order_id=None)
    if not rows:
        raise InvalidInput("line", None, f"deal #{deal.id} has no lines to quote: add one first")
    return [li.as_line(r) for r in rows]


def _new_quote(
    session: Session, found: Deal, parsed: Sequence[li.Line], discount: str | None,
    valid_until: date | None, notes: str | None, now: datetime, today: date, yen: str,
) -> QuoteDetail:  # fmt: skip
    percent, minor = li.discount(discount, currency=found.currency, yen=yen)
    quote = Quote(deal_id=found.id or 0, series=0, currency=found.currency,
                  valid_until=valid_until, notes=clean(notes), created_at=now)  # fmt: skip
    with audit.created_once(session, quote):  # its series is its own id: known once added
        session.add(quote)
        session.flush()
        quote.series = quote.id or 0
        _write(session, quote, parsed, percent, minor)
    return get_quote(session, ref=quote.id, today=today)


def revise_quote(
    session: Session,
    *,
    ref: object,
    lines: Sequence[str] | None = None,
    discount: str | None = None,
    valid_until: date | None = None,
    tax: Decimal = Decimal(0),
    notes: str | None = None,
    now: datetime,
    today: date,
    yen: str = "",
    from_deal: bool = False,
) -> QuoteDetail:
    """The next version of an open quote: what is given replaces what it had (its lines,
    discount, validity, notes); the quote it revises becomes superseded. With `from_deal`,
    its lines are the deal's own lines as they are now."""
    old = _quote(session, ref)
    if old.status not in OPEN:
        raise Conflict(f"quote #{old.id} is {old.status}; only a draft or sent quote is revised")
    if valid_until is not None and valid_until < today:
        raise InvalidInput("valid until", valid_until.isoformat(), "is in the past")
    if lines:
        parsed = _lines(session, lines, currency=old.currency, tax=tax, yen=yen)
    elif from_deal:
        parsed = _own_lines(session, resolve_deal(session, old.deal_id))
    else:
        parsed = [li.as_line(r) for r in li.stored(session, quote_id=old.id)]
    if discount is not None:
        percent, minor = li.discount(discount, currency=old.currency, yen=yen)
    else:
        percent = None if old.discount_percent is None else Decimal(old.discount_percent)
        minor = old.discount_minor
    old.status = QuoteStatus.superseded
    old.decided_at = now
    session.add(old)
    quote = Quote(
        deal_id=old.deal_id, series=old.series, revision=_last_revision(session, old.series) + 1,
        currency=old.currency, valid_until=valid_until or old.valid_until,
        notes=clean(notes) if notes is not None else old.notes, created_at=now,
    )  # fmt: skip
    with audit.created_once(session, quote):
        session.add(quote)
        session.flush()
        _write(session, quote, parsed, percent, minor)
    return get_quote(session, ref=quote.id, today=today)


def _last_revision(session: Session, series: int) -> int:
    found = session.exec(select(Quote.revision).where(col(Quote.series) == series)).all()
    return max(found, default=0)


def _quote(session: Session, ref: object, version: int | None = None) -> Quote:
    quote = by_id(session, Quote, ref, "quote")
    check_version(f"quote #{quote.id}", quote.version, version)
    return quote


def get_quote(session: Session, *, ref: object, today: date) -> QuoteDetail:
    quote = _quote(session, ref)
    deal = session.get(Deal, quote.deal_id)
    return QuoteDetail(
        _row(session, quote, today),
        li.line_rows(session, li.stored(session, quote_id=quote.id)),
        quote.notes,
        _customer(session, deal),
        _owner(session, deal),
    )


def _customer(session: Session, deal: Deal | None) -> str | None:
    from tinycrm.models import Company, Contact

    if deal is None:
        return None
    if deal.company_id and (firm := session.get(Company, deal.company_id)):
        return firm.name
    if deal.contact_id and (who := session.get(Contact, deal.contact_id)):
        return who.full_name
    return None


def _owner(session: Session, deal: Deal | None) -> str | None:
    if deal is None or deal.owner_id is None:
        return None
    user = session.get(User, deal.owner_id)
    return user.name if user else None


def list_quotes(
    session: Session, *, today: date, deal: object | None = None, status: str = "all"
) -> list[QuoteRow]:
    """Quotes, newest first; `status` one of STATES (`all`: every one)."""
    if status not in STATES:
        raise InvalidInput("status", status, f"must be one of {', '.join(STATES)}")
    query = select(Quote).order_by(col(Quote.created_at).desc(), col(Quote.id).desc())
    if deal is not None:
        query = query.where(col(Quote.deal_id) == resolve_deal(session, deal).id)
    rows = [_row(session, q, today) for q in session.exec(query)]
    return [r for r in rows if status in ("all", r.status)]


def _decide(
    session: Session, ref: object, to: QuoteStatus, *, now: datetime, today: date,
    version: int | None,
) -> QuoteRow:  # fmt: skip
    quote = _quote(session, ref, version)
    state = status_of(quote, today)
    allowed = (QuoteStatus.draft,) if to == QuoteStatus.sent else OPEN
    if quote.status not in allowed:
        raise Conflict(f"quote #{quote.id} is {state}; it cannot be {to.value} now")
    if to != QuoteStatus.declined and state == "expired":
        raise Conflict(f"quote #{quote.id} expired on {quote.valid_until}; revise it first")
    quote.status = to
    if to == QuoteStatus.sent:
        quote.sent_at = now
    else:
        quote.decided_at = now
    session.add(quote)
    session.flush()
    return _row(session, quote, today)


def send_quote(
    session: Session, *, ref: object, now: datetime, today: date, version: int | None = None
) -> QuoteRow:
    """Mark a draft quote sent to the customer."""
    return _decide(session, ref, QuoteStatus.sent, now=now, today=today, version=version)


def decline_quote(
    session: Session, *, ref: object, now: datetime, today: date, version: int | None = None
) -> QuoteRow:
    return _decide(session, ref, QuoteStatus.declined, now=now, today=today, version=version)


def delete_quote(session: Session, *, ref: object, today: date) -> QuoteRow:
    """Delete a quote that was not accepted (with its lines)."""
    quote = _quote(session, ref)
    if quote.status == QuoteStatus.accepted:
        raise Conflict(f"quote #{quote.id} was accepted; its order stands for it")
    row = _row(session, quote, today)
    session.delete(quote)
    session.flush()
    return row


def accept_quote(
    session: Session,
    *,
    ref: object,
    actor: User | None,
    now: datetime,
    today: date,
    version: int | None = None,
) -> Accepted:
    """The customer said yes: the deal's amount becomes the quote's total (its lines the
    quote's), the deal is won, and its order is created with the same lines."""
    from tinycrm.services import deals, orders

    quote = _quote(session, ref, version)
    deal = resolve_deal(session, quote.deal_id)
    if deal.status != DealStatus.open:
        raise Conflict(f"deal #{deal.id} is {deal.status}; a quote is accepted on an open deal")
    # the quote and the deal each change over several flushes: one audit entry each
    with audit.changed_once(session, quote), audit.changed_once(session, deal):
        _decide(session, quote.id, QuoteStatus.accepted, now=now, today=today, version=None)
        quoted = [li.as_line(r) for r in li.stored(session, quote_id=quote.id)]
        percent = None if quote.discount_percent is None else Decimal(quote.discount_percent)
        totals = li.price(quoted, currency=quote.currency, discount_percent=percent,
                          discount_minor=quote.discount_minor)  # fmt: skip
        _replace_deal_lines(session, deal, totals)
        deals.win_deal(session, ref=deal.id, actor=actor, now=now)
        amount = Money(quote.total_minor, quote.currency)
        order = orders.create_order(
            session, deal=deal.id, amount=f"{amount.plain()} {amount.currency}",
            ordered_on=today, now=now,
        )  # fmt: skip
        li.store_lines(session, totals, deal_id=deal.id or 0, order_id=order.id)
        quote = _quote(session, quote.id)
        quote.order_id = order.id
        session.add(quote)
    return Accepted(_row(session, quote, today), order.id, amount)


# --- a deal's own lines -----------------------------------------------------------------------


def _replace_deal_lines(session: Session, deal: Deal, totals: li.Totals) -> None:
    for row in li.stored(session, deal_id=deal.id, quote_id=None, order_id=None):
        session.delete(row)
    session.flush()
    li.store_lines(session, totals, deal_id=deal.id or 0)
    deal.amount_minor = totals.total_minor
    session.add(deal)
    session.flush()


@dataclass(frozen=True)
class DealLines:
    deal_id: int
    lines: list[li.LineRow]
    total: Money
    amount: Money
    """The deal's amount: the lines' total unless it was set by hand since."""


def deal_lines(session: Session, *, deal: object) -> DealLines:
    found = resolve_deal(session, deal)
    rows = li.stored(session, deal_id=found.id, quote_id=None, order_id=None)
    total = sum(r.total_minor for r in rows)
    return DealLines(found.id or 0, li.line_rows(session, rows), Money(total, found.currency),
                     Money(found.amount_minor, found.currency))  # fmt: skip


def add_deal_line(
    session: Session, *, deal: object, text: str, tax: Decimal = Decimal(0), yen: str = ""
) -> DealLines:
    """A line on the deal itself; the deal's amount becomes its lines' total."""
    found = resolve_deal(session, deal)
    line = li.parse_line(session, text, currency=found.currency, tax=tax, yen=yen)
    rows = li.stored(session, deal_id=found.id, quote_id=None, order_id=None)
    totals = li.price([*(li.as_line(r) for r in rows), line], currency=found.currency)
    _replace_deal_lines(session, found, totals)
    return deal_lines(session, deal=found.id)


def put_deal_line(
    session: Session,
    *,
    deal: object,
    item: str,
    quantity: str = "",
    unit_price: str = "",
    off: str = "",
    tax: str = "",
    position: int | None = None,
    yen: str = "",
) -> DealLines:
    """A line on the deal from a form's fields (`lines.line_of`): added last, or in place of
    the line at `position` (1 is the first); the deal's amount becomes its lines' total."""
    found = resolve_deal(session, deal)
    line = li.line_of(session, item=item, quantity=quantity, unit_price=unit_price, off=off,
                      tax=tax, currency=found.currency, yen=yen)  # fmt: skip
    lines = [li.as_line(r) for r in li.stored(session, deal_id=found.id, quote_id=None,
                                                order_id=None)]  # fmt: skip
    if position is None:
        lines.append(line)
    elif 1 <= position <= len(lines):
        lines[position - 1] = line
    else:
        raise InvalidInput("line", position, f"deal #{found.id} has {len(lines)} line(s)")
    _replace_deal_lines(session, found, li.price(lines, currency=found.currency))
    return deal_lines(session, deal=found.id)


def remove_deal_line(session: Session, *, deal: object, position: int) -> DealLines:
    """Remove the deal's line at `position` (1 is the first); the amount follows the rest
    (with no line left, it stays what it was)."""
    found = resolve_deal(session, deal)
    rows = li.stored(session, deal_id=found.id, quote_id=None, order_id=None)
    if not 1 <= position <= len(rows):
        raise InvalidInput("line", position, f"deal #{found.id} has {len(rows)} line(s)")
    kept = [li.as_line(r) for i, r in enumerate(rows, start=1) if i != position]
    if kept:
        _replace_deal_lines(session, found, li.price(kept, currency=found.currency))
    else:
        session.delete(rows[0])
        session.flush()
    return deal_lines(session, deal=found.id)


def line_count(session: Session, *, deal_id: int) -> int:
    return len(li.stored(session, deal_id=deal_id, quote_id=None, order_id=None))
