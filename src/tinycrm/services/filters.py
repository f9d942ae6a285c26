"""The conditions behind every list and export: `crm contact list --tag vip` and
`crm export contacts --tag vip` pick the same records because both build their WHERE here."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import func, or_, select
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, col

from tinycrm.models import (
    Activity,
    ActivityKind,
    Company,
    Contact,
    ContactStatus,
    ContactTag,
    Deal,
    DealStatus,
)
from tinycrm.normalize import name_key
from tinycrm.services.refs import (
    escape_like,
    resolve_company,
    resolve_contact,
    resolve_stage,
    resolve_user,
)


class State(StrEnum):
    """Which activities: not done yet, done, or all."""

    open = "open"
    done = "done"
    all = "all"


def normalize_tags(values: list[str]) -> list[str]:
    """Tags as stored: trimmed, single-spaced, casefolded, without repeats, sorted."""
    return sorted({" ".join(v.split()).casefold() for v in values if v and v.strip()})


@dataclass(frozen=True)
class ContactFilter:
    search: str | None = None
    tag: str | None = None
    status: ContactStatus | None = None
    company: str | None = None
    owner: str | None = None


@dataclass(frozen=True)
class CompanyFilter:
    search: str | None = None
    industry: str | None = None
    city: str | None = None
    country: str | None = None
    owner: str | None = None


@dataclass(frozen=True)
class DealFilter:
    """`status=None` means any status (an export's default, unlike `deal list`)."""

    stage: str | None = None
    status: DealStatus | None = None
    owner: str | None = None
    company: str | None = None
    contact: str | None = None
    search: str | None = None


@dataclass(frozen=True)
class ActivityFilter:
    contact: str | None = None
    company: str | None = None
    deal: int | None = None
    owner: str | None = None
    kind: ActivityKind | None = None
    state: State = State.all


def contact_filters(session: Session, f: ContactFilter) -> list[ColumnElement[bool]]:
    """Needs `companies` joined (the search looks at the company name)."""
    where: list[ColumnElement[bool]] = []
    if wanted := normalize_tags([f.tag] if f.tag else []):
        tagged = select(col(ContactTag.contact_id)).where(col(ContactTag.tag) == wanted[0])
        where.append(col(Contact.id).in_(tagged))
    if f.status is not None:
        where.append(col(Contact.status) == f.status)
    if f.company:
        where.append(col(Contact.company_id) == resolve_company(session, f.company).id)
    if f.owner:
        where.append(col(Contact.owner_id) == resolve_user(session, f.owner).id)
    if f.search:
        pattern = f"%{escape_like(name_key(f.search))}%"
        columns = (Contact.name_key, Contact.email, Company.name_key)
        where.append(or_(*(col(c).like(pattern, escape="\\") for c in columns)))
    return where


def company_filters(session: Session, f: CompanyFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    for column, value in (
        (Company.industry, f.industry),
        (Company.city, f.city),
        (Company.country, f.country),
    ):
        if value:
            where.append(func.lower(column) == value.strip().lower())
    if f.owner:
        where.append(col(Company.owner_id) == resolve_user(session, f.owner).id)
    if f.search:
        pattern = f"%{escape_like(name_key(f.search))}%"
        where.append(
            or_(
                col(Company.name_key).like(pattern, escape="\\"),
                col(Company.domain).like(pattern, escape="\\"),
            )
        )
    return where


def deal_filters(session: Session, f: DealFilter) -> list[ColumnElement[bool]]:
    """Needs `companies` joined (the search looks at the company name)."""
    where: list[ColumnElement[bool]] = []
    if f.status is not None:
        where.append(col(Deal.status) == f.status)
    if f.stage:
        where.append(col(Deal.stage_id) == resolve_stage(session, f.stage).id)
    if f.owner:
        where.append(col(Deal.owner_id) == resolve_user(session, f.owner).id)
    if f.company:
        where.append(col(Deal.company_id) == resolve_company(session, f.company).id)
    if f.contact:
        where.append(col(Deal.contact_id) == resolve_contact(session, f.contact).id)
    if f.search:
        in_title = f"%{escape_like(' '.join(f.search.lower().split()))}%"
        in_company = f"%{escape_like(name_key(f.search))}%"
        where.append(
            or_(
                func.lower(Deal.title).like(in_title, escape="\\"),
                col(Company.name_key).like(in_company, escape="\\"),
            )
        )
    return where


def activity_filters(session: Session, f: ActivityFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if f.contact:
        where.append(col(Activity.contact_id) == resolve_contact(session, f.contact).id)
    if f.company:
        where.append(col(Activity.company_id) == resolve_company(session, f.company).id)
    if f.deal is not None:
        where.append(col(Activity.deal_id) == f.deal)
    if f.kind is not None:
        where.append(col(Activity.kind) == f.kind)
    if f.owner:
        where.append(col(Activity.owner_id) == resolve_user(session, f.owner).id)
    if f.state is State.open:
        where.append(col(Activity.done_at).is_(None))
    elif f.state is State.done:
        where.append(col(Activity.done_at).is_not(None))
    return where
