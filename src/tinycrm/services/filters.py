"""The conditions behind every list and export: `crm contact list --tag vip` and
`crm export contacts --tag vip` pick the same records because both build their WHERE here."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, col, select

from tinycrm.errors import InvalidInput, NotFound
from tinycrm.models import (
    Activity,
    ActivityKind,
    Company,
    Contact,
    ContactStatus,
    ContactTag,
    Deal,
    DealStatus,
    Segment,
)
from tinycrm.normalize import name_key
from tinycrm.services.refs import (
    resolve_campaign,
    resolve_company,
    resolve_contact,
    resolve_stage,
    resolve_user,
)
from tinycrm.services.search import company_conditions, contact_conditions, deal_conditions


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
    """`industry`, `city` and `country` are those of the contact's company."""

    search: str | None = None
    tag: str | None = None
    status: ContactStatus | None = None
    company: str | None = None
    owner: str | None = None
    industry: str | None = None
    city: str | None = None
    country: str | None = None
    campaign: str | None = None
    lifecycle: str | None = None
    """new, regular, loyal, declining or lost (from payments; see services/segments)."""
    tier: str | None = None
    """The membership tier the contact, or their company, is in now (services/loyalty)."""
    words: str | None = None
    """What the app's search box holds; searched by the same rule as `search`
    (`services.search`), kept apart so a saved segment remembers what was typed."""


@dataclass(frozen=True)
class CompanyFilter:
    search: str | None = None
    industry: str | None = None
    city: str | None = None
    country: str | None = None
    owner: str | None = None
    tier: str | None = None


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


def contact_filters(
    session: Session, f: ContactFilter, *, today: date | None = None
) -> list[ColumnElement[bool]]:
    """Needs `companies` joined (industry, city and country are the company's); the search
    is `services.search`'s. `today` dates the lifecycle filter (default: UTC's)."""
    where = _place_filters(f.industry, f.city, f.country)
    if f.lifecycle:
        from tinycrm.services.reports.segments import lifecycle_condition

        day = today or datetime.now(UTC).date()
        where.append(lifecycle_condition(f.lifecycle.strip().lower(), today=day))
    if f.campaign:
        where.append(col(Contact.campaign_id) == resolve_campaign(session, f.campaign).id)
    if f.tier:
        where.append(_in_tier(session, f.tier, col(Contact.company_id), col(Contact.id)))
    if wanted := normalize_tags([f.tag] if f.tag else []):
        tagged = select(col(ContactTag.contact_id)).where(col(ContactTag.tag) == wanted[0])
        where.append(col(Contact.id).in_(tagged))
    if f.status is not None:
        where.append(col(Contact.status) == f.status)
    if f.company:
        where.append(col(Contact.company_id) == resolve_company(session, f.company).id)
    if f.owner:
        where.append(col(Contact.owner_id) == resolve_user(session, f.owner).id)
    for text in (f.search, f.words):  # one rule, whichever face typed it
        where += contact_conditions(session, text)
    return where


def _place_filters(
    industry: str | None, city: str | None, country: str | None
) -> list[ColumnElement[bool]]:
    """A company's industry, city and country, in any case."""
    pairs = ((Company.industry, industry), (Company.city, city), (Company.country, country))
    return [func.lower(column) == value.strip().lower() for column, value in pairs if value]


def company_filters(session: Session, f: CompanyFilter) -> list[ColumnElement[bool]]:
    where = _place_filters(f.industry, f.city, f.country)
    if f.owner:
        where.append(col(Company.owner_id) == resolve_user(session, f.owner).id)
    if f.tier:
        where.append(_in_tier(session, f.tier, col(Company.id)))
    where += company_conditions(f.search)
    return where


def _in_tier(session: Session, name: str, company: Any, contact: Any = None) -> Any:
    from tinycrm.services.loyalty.tiers import in_tier

    return in_tier(session, name, company_id=company, contact_id=contact)


def deal_filters(session: Session, f: DealFilter) -> list[ColumnElement[bool]]:
    """The search is `services.search`'s (title and company name)."""
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
    where += deal_conditions(f.search)
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


# Saved segments: a named ContactFilter, kept as its non-empty fields.


@dataclass(frozen=True)
class SegmentRow:
    id: int
    name: str
    filters: dict[str, str]
    created_at: datetime


def save_segment(
    session: Session, *, name: str, filters: ContactFilter, now: datetime
) -> tuple[SegmentRow, bool]:
    """Save (or replace) the named segment; True when it is new."""
    label = " ".join(name.split())
    if not label:
        raise InvalidInput("segment", name, "a segment needs a name")
    stored = {k: str(v) for k, v in asdict(filters).items() if v not in (None, "")}
    if not stored:
        raise InvalidInput("segment", name, "give at least one filter to save")
    segment = session.exec(select(Segment).where(col(Segment.name_key) == name_key(label))).first()
    new = segment is None
    if segment is None:
        segment = Segment(name=label, name_key=name_key(label), created_at=now)
    segment.filters = stored
    session.add(segment)
    session.flush()
    return _segment_row(segment), new


def _segment_row(segment: Segment) -> SegmentRow:
    return SegmentRow(segment.id or 0, segment.name, dict(segment.filters), segment.created_at)


def segment_filter(
    session: Session, *, name: str, overrides: ContactFilter | None = None
) -> ContactFilter:
    """The saved segment's filter, with the non-empty fields of `overrides` on top."""
    segment = _segment(session, name)
    known = {f.name for f in fields(ContactFilter)}
    saved: dict[str, Any] = {k: v for k, v in segment.filters.items() if k in known}
    if saved.get("status"):
        saved["status"] = ContactStatus(saved["status"])
    extra = {k: v for k, v in asdict(overrides or ContactFilter()).items() if v not in (None, "")}
    return ContactFilter(**{**saved, **extra})


def list_segments(session: Session) -> list[SegmentRow]:
    return [_segment_row(s) for s in session.exec(select(Segment).order_by(col(Segment.name_key)))]


def _segment(session: Session, name: str) -> Segment:
    segment = session.exec(select(Segment).where(col(Segment.name_key) == name_key(name))).first()
    if segment is None:
        raise NotFound("segment", name)
    return segment


def get_segment(session: Session, *, name: str) -> SegmentRow:
    return _segment_row(_segment(session, name))


def delete_segment(session: Session, *, name: str) -> SegmentRow:
    segment = _segment(session, name)
    row = _segment_row(segment)
    session.delete(segment)
    session.flush()
    return row
