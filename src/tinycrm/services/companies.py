"""Companies: the accounts, with their people, deals and history, and what their orders
come to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, func
from sqlmodel import Session, col, select

from tinycrm.db.query import check_limit, order_by
from tinycrm.errors import Conflict, InvalidInput, check_version
from tinycrm.models import Company, CompanyCreate, CompanyUpdate, Contact, Deal, DealStatus, User
from tinycrm.models.base import utcnow, validated
from tinycrm.money import Money
from tinycrm.normalize import clean, name_key
from tinycrm.services.activities import delete_sole_activities
from tinycrm.services.company_rows import CompanyRow
from tinycrm.services.filters import CompanyFilter, company_filters
from tinycrm.services.orders import OrderRow
from tinycrm.services.refs import optional, resolve_company, resolve_user
from tinycrm.words import plural


@dataclass(frozen=True)
class CompanyDetail:
    row: CompanyRow
    phone: str | None
    website: str | None
    notes: str | None
    custom: dict[str, Any]
    deals: int
    """All its deals, open or closed."""
    version: int = 1
    """Raised by one on every change: an edit meant for another is refused."""


def web_domain(text: str | None) -> str | None:
    """`https://www.Acme.com/about` -> `acme.com`."""
    value = clean(text)
    if value is None:
        return None
    value = value.lower().removeprefix("https://").removeprefix("http://").removeprefix("www.")
    value = value.split("/")[0]
    if "." not in value or " " in value:
        raise InvalidInput("domain", text, "not a web domain")
    return value


def _checked_name(session: Session, text: str | None, *, skip: int | None = None) -> str:
    name = clean(text)
    if not name:
        raise InvalidInput("name", text, "a company needs a name")
    other = session.exec(select(Company).where(Company.name_key == name_key(name))).first()
    if other is not None and other.id != skip:
        raise Conflict(f"name: company #{other.id} {other.name!r} already exists")
    return name


def _cleaned(values: dict[str, Any]) -> dict[str, Any]:
    return {k: clean(v) if isinstance(v, str) else v for k, v in values.items()}


def create_company(
    session: Session, *, data: CompanyCreate, now: datetime | None = None
) -> CompanyDetail:
    values = _cleaned(data.model_dump())
    name = _checked_name(session, values["name"])
    owner = optional(session, resolve_user, values.pop("owner"))
    values.update(
        name=name,
        name_key=name_key(name),
        domain=web_domain(values["domain"]),
        owner_id=owner.id if owner else None,
        custom=merge_custom({}, data.custom),
        created_at=now or utcnow(),
        updated_at=now or utcnow(),
    )
    company = validated(Company, values)
    session.add(company)
    session.flush()
    return get_company(session, ref=str(company.id))


def update_company(
    session: Session,
    *,
    ref: str,
    data: CompanyUpdate,
    now: datetime | None = None,
    version: int | None = None,
) -> CompanyDetail:
    """Change what `data` sets; refused when `version` is given and the company is at another."""
    company = resolve_company(session, ref)
    check_version(f"company #{company.id}", company.version, version)
    changes = _cleaned(data.model_dump(exclude_unset=True))
    if "name" in changes:
        changes["name"] = _checked_name(session, changes["name"], skip=company.id)
        changes["name_key"] = name_key(changes["name"])
    if "domain" in changes:
        changes["domain"] = web_domain(changes["domain"])
    if "owner" in changes:
        owner = optional(session, resolve_user, changes.pop("owner"))
        changes["owner_id"] = owner.id if owner else None
    if "custom" in changes:
        changes["custom"] = merge_custom(company.custom, changes["custom"])
    company.sqlmodel_update(changes)
    company.updated_at = now or utcnow()
    session.add(company)
    session.flush()
    return get_company(session, ref=str(company.id))


def merge_custom(current: dict[str, Any], changes: dict[str, Any] | None) -> dict[str, Any]:
    """Custom fields after an edit: new values win, an empty value removes the field."""
    merged = dict(current or {})
    for key, value in (changes or {}).items():
        if value in (None, ""):
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def delete_company(session: Session, *, ref: str, cascade: bool) -> tuple[Company, int]:
    """Delete a company; one with deals only when `cascade`, which deletes them too.

    Its contacts stay, without a company; activities about nothing else go with it.
    Returns the company and the number of deals deleted.
    """
    company = resolve_company(session, ref)
    assert company.id is not None
    deal_ids = [i for i in session.exec(select(Deal.id).where(Deal.company_id == company.id)) if i]
    if deal_ids and not cascade:
        raise Conflict(
            f"company {company.name!r} has {plural(len(deal_ids), 'deal')}", use="cascade"
        )
    delete_sole_activities(session, company_ids=[company.id], deal_ids=deal_ids)
    if deal_ids:
        session.exec(delete(Deal).where(col(Deal.id).in_(deal_ids)))
    session.delete(company)
    session.flush()
    return company, len(deal_ids)


def list_companies(
    session: Session,
    *,
    search: str | None = None,
    industry: str | None = None,
    city: str | None = None,
    country: str | None = None,
    owner: str | None = None,
    tier: str | None = None,
    ids: list[int] | None = None,
    sort: str = "name",
    limit: int | None = None,
    offset: int = 0,
) -> list[CompanyRow]:
    wanted = CompanyFilter(
        search=search, industry=industry, city=city, country=country, owner=owner, tier=tier
    )
    query = company_list_query(
        session, where=wanted, ids=ids, sort=sort, limit=limit, offset=offset
    )
    return [CompanyRow(*values) for values in session.execute(query)]


def company_list_query(
    session: Session,
    *,
    where: CompanyFilter,
    ids: list[int] | None = None,
    sort: str = "name",
    limit: int | None = None,
    offset: int = 0,
) -> Select[Any]:
    """The query of `list_companies`, selecting a `company_rows.CompanyRow`'s columns (also
    compiled ahead for `crm company list`, see `services.plain_reads`)."""
    contacts = select(func.count()).where(Contact.company_id == Company.id).scalar_subquery()
    deals = (
        select(func.count())
        .where(Deal.company_id == Company.id, Deal.status == DealStatus.open)
        .scalar_subquery()
    )
    query = select(  # type: ignore[call-overload, misc]
        Company.id,
        Company.name,
        Company.domain,
        Company.industry,
        Company.city,
        Company.country,
        User.name,
        contacts,
        deals,
        Company.created_at,
    ).outerjoin(User, col(User.id) == col(Company.owner_id))
    query = query.where(*company_filters(session, where))
    if ids is not None:
        query = query.where(col(Company.id).in_(ids))
    columns = {
        "name": Company.name_key,
        "id": Company.id,
        "city": Company.city,
        "industry": Company.industry,
        "created": Company.created_at,
    }
    query = query.order_by(*order_by(sort, columns), col(Company.id))
    listed: Select[Any] = query.offset(offset).limit(check_limit(limit))
    return listed


def get_company(session: Session, *, ref: str) -> CompanyDetail:
    company = resolve_company(session, ref)
    assert company.id is not None
    row = list_companies(session, ids=[company.id])[0]
    deals = session.exec(select(func.count()).where(Deal.company_id == company.id)).one()
    return CompanyDetail(
        row, company.phone, company.website, company.notes, company.custom, deals, company.version
    )


@dataclass(frozen=True)
class Owed:
    """What a customer's orders come to in one currency."""

    orders: int
    ordered: Money
    paid: Money
    outstanding: Money
    """Summed per order, so an overpaid order does not lower what the others owe."""
    overdue: Money
    """The outstanding money of the orders past their due date."""


def order_totals(orders: list[OrderRow]) -> list[Owed]:
    """`orders` summed per currency (by currency code), as the company screen shows them."""
    totals: dict[str, list[int]] = {}
    for o in orders:
        sums = totals.setdefault(o.amount.currency, [0, 0, 0, 0, 0])
        late = o.outstanding.minor if o.overdue else 0
        for i, minor in enumerate((1, o.amount.minor, o.paid.minor, o.outstanding.minor, late)):
            sums[i] += minor
    return [
        Owed(sums[0], *(Money(minor, code) for minor in sums[1:]))
        for code, sums in sorted(totals.items())
    ]
