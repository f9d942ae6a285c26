"""Line items: what they cost, to the minor unit, and how a typed line reads.

The rounding rule (one, everywhere: deals, quotes, orders, documents). Every amount is an
integer in the currency's minor units (cents; yen; fils …), and each step below is rounded
to a whole minor unit *per line*, half up (a half goes up: 0.5 → 1, 2.5 → 3):

1. gross = quantity × unit price;
2. the line's discount: a percent of the gross, or an amount as given (never above it);
3. the quote's discount: a percent of each line's amount after step 2; or an amount, shared
   among the lines in proportion to that amount, in whole units, the units left over going
   to the lines with the largest remainders (the earlier line on a tie);
4. net = gross − both discounts; tax = net × the line's tax rate; line total = net + tax;
5. the document's subtotal, tax and total are the sums of its lines' net, tax and total.

So the figures add up on the page, in every currency, with no float anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sqlmodel import Session, col, func, select

from tinycrm.errors import InvalidInput
from tinycrm.models import LineItem, Product
from tinycrm.money import Money, parse_money

HUNDRED = Decimal(100)


def half_up(value: Decimal) -> int:
    """`value` to a whole number, a half going up (amounts here are never negative)."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Line:
    """A line as typed and resolved, before its amounts are worked out."""

    description: str
    quantity: Decimal
    unit_price_minor: int
    currency: str
    product_id: int | None = None
    unit: str | None = None
    discount_percent: Decimal | None = None
    discount_minor: int = 0
    tax_percent: Decimal = Decimal(0)


@dataclass(frozen=True)
class Priced:
    """A line with its amounts (minor units)."""

    line: Line
    gross_minor: int
    discount_minor: int
    """Every discount on the line: its own and its share of the quote's."""
    net_minor: int
    tax_minor: int
    total_minor: int


@dataclass(frozen=True)
class Totals:
    lines: tuple[Priced, ...]
    currency: str
    subtotal_minor: int
    tax_minor: int
    total_minor: int

    @property
    def total(self) -> Money:
        return Money(self.total_minor, self.currency)


def _own(line: Line) -> int:
    """The line's amount after its own discount."""
    gross = half_up(line.quantity * line.unit_price_minor)
    if line.discount_percent is not None:
        off = half_up(gross * line.discount_percent / HUNDRED)
    else:
        off = line.discount_minor
    if off > gross:
        raise InvalidInput(
            "discount",
            Money(off, line.currency),
            f"more than the line's {Money(gross, line.currency)}",
        )
    return gross - off


def _shares(amounts: Sequence[int], total: int) -> list[int]:
    """`total` split in proportion to `amounts`, largest remainders first."""
    whole = sum(amounts)
    if not whole:
        return [0] * len(amounts)
    shares = [total * a // whole for a in amounts]
    left = total - sum(shares)
    order = sorted(range(len(amounts)), key=lambda i: (-(total * amounts[i] % whole), i))
    for i in order[:left]:
        shares[i] += 1
    return shares


def price(
    lines: Sequence[Line],
    *,
    currency: str,
    discount_percent: Decimal | None = None,
    discount_minor: int = 0,
) -> Totals:
    """The lines' amounts and the document's totals, by the rule in this module's doc."""
    owns = [_own(line) for line in lines]
    if discount_percent is not None:
        extra = [half_up(a * discount_percent / HUNDRED) for a in owns]
    else:
        if discount_minor > sum(owns):
            raise InvalidInput(
                "discount",
                Money(discount_minor, currency),
                f"more than the {Money(sum(owns), currency)} the lines come to",
            )
        extra = _shares(owns, discount_minor)
    priced = []
    for line, own, off in zip(lines, owns, extra, strict=True):
        gross = half_up(line.quantity * line.unit_price_minor)
        net = own - off
        tax = half_up(net * line.tax_percent / HUNDRED)
        priced.append(Priced(line, gross, gross - net, net, tax, net + tax))
    return Totals(
        tuple(priced),
        currency,
        sum(p.net_minor for p in priced),
        sum(p.tax_minor for p in priced),
        sum(p.total_minor for p in priced),
    )


# --- reading what was typed -------------------------------------------------------------------

_QTY = re.compile(r"^[x×*](\d+(?:\.\d+)?)$", re.IGNORECASE)
_TAX = re.compile(r"^(?:tax|vat)[=:](\d+(?:\.\d+)?)%$", re.IGNORECASE)
_PERCENT = re.compile(r"^(\d+(?:\.\d+)?)%$")


def percent(text: str, field: str) -> Decimal:
    """`5%` or `5` as a percent from 0 to 100."""
    raw = text.strip().removesuffix("%").strip()
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise InvalidInput(field, text, "not a percent (e.g. 5% or 2.5%)") from None
    if not value.is_finite() or not 0 <= value <= 100:
        raise InvalidInput(field, text, "a percent from 0 to 100")
    return Decimal(format(value.normalize(), "f"))  # 10, 2.5: never 1E+1


def discount(text: str | None, *, currency: str, yen: str = "") -> tuple[Decimal | None, int]:
    """`5%` (a percent) or `100`/`€100` (an amount in `currency`): (percent, minor)."""
    if text is None or not text.strip():
        return None, 0
    if text.strip().endswith("%"):
        return percent(text, "discount"), 0
    return None, _money(text, currency, "discount", yen)


def _money(text: str, currency: str, field: str, yen: str) -> int:
    money = parse_money(text, currency=currency, yen=yen, field=field)
    if money.currency != currency:
        raise InvalidInput(field, text, f"must be in {currency}, the currency of the lines")
    return money.minor


def parse_line(
    session: Session, text: str, *, currency: str, tax: Decimal = Decimal(0), yen: str = ""
) -> Line:
    """A typed line: `SKU|DESCRIPTION [xQTY] [@PRICE|PRICE] [-N%|-AMOUNT] [tax=N%]`.

    `GTXP x3` is three of product GTXP at its price; `Setup 500` is one "Setup" at 500;
    `Licence x2 @1200 -10% tax=19%` sets everything. The options come after the words, in any
    order; the price is the last bare amount. `tax` is the rate when the line gives none."""
    words = text.split()
    qty: Decimal | None = None
    unit_price: int | None = None
    pct: Decimal | None = None
    off = 0
    rate: Decimal | None = None
    while len(words) > 1:
        last = words[-1]
        if qty is None and (m := _QTY.match(last)):
            qty = Decimal(m.group(1))
        elif rate is None and (m := _TAX.match(last)):
            rate = percent(m.group(1), "tax")
        elif last.startswith("-") and len(last) > 1 and pct is None and not off:
            pct, off = discount(last[1:], currency=currency, yen=yen)
        elif unit_price is None and last.startswith("@"):
            unit_price = _money(last[1:], currency, "price", yen)
        elif unit_price is None and _looks_like_money(last):
            unit_price = _money(last, currency, "price", yen)
        else:
            break
        words.pop()
    name = " ".join(words).strip()
    if not name:
        raise InvalidInput("line", text, "give a product SKU or a description")
    if qty is not None and qty <= 0:
        raise InvalidInput("line", text, "the quantity must be more than zero")
    product = session.exec(select(Product).where(col(Product.sku) == name.upper())).first()
    line = Line(
        name,
        qty or Decimal(1),
        unit_price or 0,
        currency,
        tax_percent=rate if rate is not None else tax,
    )
    if product is not None:
        if unit_price is None and product.currency != currency:
            raise InvalidInput(
                "line",
                text,
                f"{product.sku} is priced in {product.currency}, the lines in {currency}: "
                "give @PRICE",
            )
        line = replace(
            line,
            description=product.name,
            product_id=product.id,
            unit=product.unit,
            unit_price_minor=product.price_minor if unit_price is None else unit_price,
        )
    elif unit_price is None:
        raise InvalidInput(
            "line", text, f"no product has the SKU {name!r}; give a price (e.g. '{name} 500')"
        )
    line = replace(line, discount_percent=pct, discount_minor=off)
    _own(line)
    return line


def line_of(
    session: Session,
    *,
    item: str,
    quantity: str = "",
    unit_price: str = "",
    off: str = "",
    tax: str = "",
    currency: str,
    yen: str = "",
) -> Line:
    """A line from a form's fields, each named in its error: `item` is a product's SKU or
    name (its price unless `unit_price` says otherwise), or free text, which needs a price;
    an empty quantity is 1; `off` is `10%` or an amount; `tax` a rate (empty: none)."""
    name = item.strip()
    if not name:
        raise InvalidInput("item", item, "give a product SKU or name, or a description")
    qty = Decimal(1)
    if quantity.strip():
        try:
            qty = Decimal(quantity.strip())
        except InvalidOperation:
            raise InvalidInput("quantity", quantity, "not a number") from None
        if not qty.is_finite() or qty <= 0:
            raise InvalidInput("quantity", quantity, "must be more than zero")
    price_minor = _money(unit_price, currency, "unit price", yen) if unit_price.strip() else None
    product = _product(session, name)
    if product is None and price_minor is None:
        raise InvalidInput("unit price", None, f"no product has the SKU or name {name!r}: give one")
    if product is not None and price_minor is None and product.currency != currency:
        raise InvalidInput(
            "unit price", None, f"{product.sku} is priced in {product.currency}, the lines in "
            f"{currency}: give one",
        )  # fmt: skip
    pct, minor = discount(off, currency=currency, yen=yen)
    line = Line(
        product.name if product else name,
        qty,
        price_minor if price_minor is not None else (product.price_minor if product else 0),
        currency,
        product.id if product else None,
        product.unit if product else None,
        pct,
        minor,
        percent(tax, "tax") if tax.strip() else Decimal(0),
    )
    _own(line)
    return line


def _product(session: Session, name: str) -> Product | None:
    """The product with this SKU, else the one with this name (any case)."""
    by_sku = session.exec(select(Product).where(col(Product.sku) == name.upper())).first()
    if by_sku is not None:
        return by_sku
    named = select(Product).where(func.lower(col(Product.name)) == name.lower())
    return session.exec(named.order_by(col(Product.archived), col(Product.id))).first()


def _looks_like_money(word: str) -> bool:
    return bool(re.search(r"\d", word)) and not _PERCENT.match(word)


# --- stored lines -------------------------------------------------------------------------------


def store_lines(
    session: Session,
    totals: Totals,
    *,
    deal_id: int,
    quote_id: int | None = None,
    order_id: int | None = None,
) -> list[LineItem]:
    rows = []
    for position, p in enumerate(totals.lines, start=1):
        line = p.line
        rows.append(
            LineItem(
                deal_id=deal_id,
                quote_id=quote_id,
                order_id=order_id,
                position=position,
                product_id=line.product_id,
                description=line.description,
                quantity=str(line.quantity),
                unit=line.unit,
                unit_price_minor=line.unit_price_minor,
                currency=line.currency,
                discount_percent=None
                if line.discount_percent is None
                else str(line.discount_percent),
                discount_minor=line.discount_minor,
                tax_percent=str(line.tax_percent),
                net_minor=p.net_minor,
                tax_minor=p.tax_minor,
                total_minor=p.total_minor,
            )
        )
    session.add_all(rows)
    session.flush()
    return rows


def as_line(row: LineItem) -> Line:
    """A stored line as typed (its amounts are worked out again from these)."""
    return Line(
        row.description,
        Decimal(row.quantity),
        row.unit_price_minor,
        row.currency,
        row.product_id,
        row.unit,
        None if row.discount_percent is None else Decimal(row.discount_percent),
        row.discount_minor,
        Decimal(row.tax_percent),
    )


def stored(session: Session, **where: int | None) -> list[LineItem]:
    """Lines by `deal_id`/`quote_id`/`order_id` (None: none), in their order."""
    query = select(LineItem)
    for key, value in where.items():
        column = col(getattr(LineItem, key))
        query = query.where(column.is_(None) if value is None else column == value)
    return list(session.exec(query.order_by(col(LineItem.position), col(LineItem.id))))


@dataclass(frozen=True)
class LineRow:
    """A stored line as both faces show it."""

    id: int
    position: int
    sku: str | None
    description: str
    quantity: str
    unit: str | None
    unit_price: Money
    discount: str
    tax_percent: str
    net: Money
    tax: Money
    total: Money


def line_rows(session: Session, rows: Sequence[LineItem]) -> list[LineRow]:
    ids = {r.product_id for r in rows if r.product_id is not None}
    skus = {}
    if ids:
        skus = {p.id: p.sku for p in session.exec(select(Product).where(col(Product.id).in_(ids)))}
    out = []
    for r in rows:
        cur = r.currency
        off = (
            f"{r.discount_percent}%"
            if r.discount_percent
            else (str(Money(r.discount_minor, cur)) if r.discount_minor else "")
        )
        out.append(
            LineRow(
                r.id or 0,
                r.position,
                skus.get(r.product_id),
                r.description,
                r.quantity,
                r.unit,
                Money(r.unit_price_minor, cur),
                off,
                f"{r.tax_percent}%",
                Money(r.net_minor, cur),
                Money(r.tax_minor, cur),
                Money(r.total_minor, cur),
            )
        )
    return out
