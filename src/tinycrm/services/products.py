"""The product catalogue: everyone reads it; those with the products grants change it.

A product a line names (on a deal, a quote or an order) is archived when removed, never
deleted, so what was sold keeps its SKU; one no line names is deleted."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from tinycrm.errors import Conflict, InvalidInput, NotFound, check_version
from tinycrm.models import LineItem, Product
from tinycrm.money import Money, check_currency, parse_money
from tinycrm.normalize import clean
from tinycrm.services.access import require
from tinycrm.services.userref import as_id, is_id


@dataclass(frozen=True)
class ProductRow:
    id: int
    sku: str
    name: str
    price: Money
    unit: str | None
    archived: bool
    version: int


def _row(p: Product) -> ProductRow:
    return ProductRow(p.id or 0, p.sku, p.name, Money(p.price_minor, p.currency), p.unit,
                      p.archived, p.version)  # fmt: skip


def _sku(text: str) -> str:
    sku = text.strip().upper()
    if not sku or any(c.isspace() for c in sku):
        raise InvalidInput("sku", text, "a SKU is one word (letters, digits, - _ .)")
    return sku


def _price(text: str, currency: str | None, default: str, yen: str) -> Money:
    code = check_currency(currency) if currency else None
    fixed = "currency" if code else ""
    return parse_money(text, currency=code or default, yen=yen, field="price", fixed_by=fixed)


def find_product(session: Session, ref: object) -> Product:
    """A product by its id or its SKU."""
    text = str(ref).strip()
    query = select(Product).where(col(Product.sku) == text.upper())
    found = session.exec(query).first()
    if found is None and is_id(text):
        found = session.get(Product, as_id(text, "product"))
    if found is None:
        raise NotFound("product", ref)
    return found


def create_product(
    session: Session,
    *,
    sku: str,
    name: str,
    price: str,
    currency: str | None,
    default_currency: str,
    unit: str | None = None,
    yen: str = "",
) -> ProductRow:
    require(session, "products", "create")
    code = _sku(sku)
    if session.exec(select(Product).where(col(Product.sku) == code)).first() is not None:
        raise Conflict(f"sku: a product already has the SKU {code}")
    title = clean(name)
    if not title:
        raise InvalidInput("name", name, "a product needs a name")
    money = _price(price, currency, default_currency, yen)
    product = Product(sku=code, name=title, price_minor=money.minor, currency=money.currency,
                      unit=clean(unit))  # fmt: skip
    session.add(product)
    session.flush()
    return _row(product)


def list_products(session: Session, *, archived: bool = False) -> list[ProductRow]:
    """The catalogue by SKU; archived products only with `archived`."""
    query = select(Product).order_by(col(Product.sku))
    if not archived:
        query = query.where(col(Product.archived).is_(False))
    return [_row(p) for p in session.exec(query)]


def get_product(session: Session, *, ref: object) -> ProductRow:
    return _row(find_product(session, ref))


def update_product(
    session: Session,
    *,
    ref: object,
    name: str | None = None,
    price: str | None = None,
    currency: str | None = None,
    unit: str | None = None,
    sku: str | None = None,
    yen: str = "",
    version: int | None = None,
) -> ProductRow:
    """Change what is given; lines already written keep the price they were written at."""
    require(session, "products", "edit")
    product = find_product(session, ref)
    check_version(f"product {product.sku}", product.version, version)
    if sku is not None and (code := _sku(sku)) != product.sku:
        if session.exec(select(Product).where(col(Product.sku) == code)).first() is not None:
            raise Conflict(f"sku: a product already has the SKU {code}")
        product.sku = code
    if name is not None:
        product.name = clean(name) or product.name
    if price is not None or currency is not None:
        money = _price(price or str(Money(product.price_minor, product.currency).plain()),
                       currency, product.currency, yen)  # fmt: skip
        product.price_minor, product.currency = money.minor, money.currency
    if unit is not None:
        product.unit = clean(unit)
    session.add(product)
    session.flush()
    return _row(product)


def remove_product(session: Session, *, ref: object) -> tuple[ProductRow, bool]:
    """Delete the product, or archive it when a line names it: (it, archived)."""
    require(session, "products", "delete")
    product = find_product(session, ref)
    used = session.exec(  # every line, also those of deals the user may not read
        select(func.count()).select_from(LineItem).where(col(LineItem.product_id) == product.id),
        execution_options={"crm_unscoped": True},
    ).one()
    if used:
        return _archive(session, product), True
    row = _row(product)
    try:
        with session.begin_nested():  # a line this login cannot read may still name it
            session.delete(product)
    except IntegrityError:
        return _archive(session, find_product(session, row.id)), True
    return row, False


def _archive(session: Session, product: Product) -> ProductRow:
    product.archived = True
    session.add(product)
    session.flush()
    return _row(product)
