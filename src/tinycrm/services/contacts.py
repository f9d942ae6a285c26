"""Contacts: people, with their company, owner, lifecycle status, tags and custom fields."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Select, delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from tinycrm.dates import format_day_of_year, parse_day_of_year
from tinycrm.db.query import check_limit, order_by
from tinycrm.errors import Conflict, InvalidInput, check_version
from tinycrm.models import (
    Campaign,
    Company,
    Contact,
    ContactCreate,
    ContactDate,
    ContactStatus,
    ContactTag,
    ContactUpdate,
    User,
)
from tinycrm.models.base import utcnow
from tinycrm.normalize import (
    clean,
    join_name,
    name_key,
    normalize_email,
    normalize_phone,
    split_name,
)
from tinycrm.services.activities import delete_sole_activities
from tinycrm.services.companies import merge_custom
from tinycrm.services.contact_rows import ContactRow, contact_rows
from tinycrm.services.filters import ContactFilter, contact_filters, normalize_tags
from tinycrm.services.refs import (
    optional,
    resolve_campaign,
    resolve_company,
    resolve_contact,
    resolve_user,
)


@dataclass(frozen=True)
class ContactDetail:
    row: ContactRow
    first_name: str | None
    last_name: str | None
    phone_normalized: str | None
    company_id: int | None
    source: str | None
    notes: str | None
    custom: dict[str, Any]
    updated_at: datetime
    campaign: str | None = None
    drop_reason: str | None = None
    version: int = 1
    """Raised by one on every change: an edit meant for another is refused."""


DATE_FIELDS = ("birthday", "anniversary")
"""Custom fields that hold a day to remember a contact by; `crm remind` lists them."""


def checked_dates(custom: dict[str, Any]) -> dict[str, Any]:
    """The custom fields with their remembered days written one way (`1980-04-12`, or
    `--04-12` without a year); an unreadable one is refused."""
    out = dict(custom)
    for kind in DATE_FIELDS:
        if out.get(kind):
            found = parse_day_of_year(str(out[kind]))
            if found is None:
                raise InvalidInput(kind, out[kind], "not a date (use 1980-04-12, or 04-12)")
            out[kind] = format_day_of_year(*found)
    return out


def date_rows(contact_id: int, custom: dict[str, Any]) -> list[dict[str, Any]]:
    """`contact_dates` rows for a contact's remembered days (unreadable ones are skipped)."""
    rows = []
    for kind in DATE_FIELDS:
        found = parse_day_of_year(str(custom.get(kind) or ""))
        if found is not None:
            year, month, day = found
            rows.append(
                {"contact_id": contact_id, "kind": kind, "month": month, "day": day, "year": year}
            )
    return rows


def _sync_dates(session: Session, contact: Contact) -> None:
    assert contact.id is not None
    session.exec(delete(ContactDate).where(col(ContactDate.contact_id) == contact.id))
    session.add_all(ContactDate(**row) for row in date_rows(contact.id, contact.custom))


def _names(name: str | None, first: str | None, last: str | None) -> dict[str, Any]:
    first, last, name = (" ".join(v.split()) or None if v else None for v in (first, last, name))
    if name and not (first or last):
        first, last = split_name(name)
    full = name or join_name(first, last)
    if not full:
        raise InvalidInput("name", None, "a contact needs a name (or a first or last name)")
    return {"first_name": first, "last_name": last, "full_name": full, "name_key": name_key(full)}


def _check_email(session: Session, email: str | None, *, skip: int | None = None) -> None:
    if email is None:
        return
    other = session.exec(select(Contact).where(Contact.email == email)).first()
    if other is not None and other.id != skip:
        raise Conflict(f"email: contact #{other.id} {other.full_name!r} already has {email!r}")


def create_contact(
    session: Session, *, data: ContactCreate, region: str, now: datetime | None = None
) -> ContactDetail:
    email = normalize_email(data.email)
    _check_email(session, email)
    company = optional(session, resolve_company, data.company)
    owner = optional(session, resolve_user, data.owner)
    campaign = optional(session, resolve_campaign, data.campaign)
    contact = Contact(
        **_names(data.name, data.first_name, data.last_name),
        email=email,
        phone=clean(data.phone),
        phone_norm=normalize_phone(data.phone, region=region),
        title=clean(data.title),
        status=ContactStatus(data.status),
        source=clean(data.source),
        notes=clean(data.notes),
        company_id=company.id if company else None,
        owner_id=owner.id if owner else None,
        campaign_id=campaign.id if campaign else None,
        custom=checked_dates(merge_custom({}, data.custom)),
        created_at=now or utcnow(),
        updated_at=now or utcnow(),
    )
    session.add(contact)
    _flush(session, email)
    assert contact.id is not None
    session.add_all(ContactTag(contact_id=contact.id, tag=t) for t in normalize_tags(data.tags))
    _sync_dates(session, contact)
    session.flush()
    return get_contact(session, ref=str(contact.id))


def _flush(session: Session, email: str | None) -> None:
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent writer took the email between check and insert
        raise Conflict(f"email: another contact already has {email!r}") from exc


_LINKS = {"company": resolve_company, "owner": resolve_user, "campaign": resolve_campaign}
"""Fields given as a reference, stored as the id of what they name."""


def update_contact(
    session: Session,
    *,
    ref: str,
    data: ContactUpdate,
    region: str,
    now: datetime | None = None,
    version: int | None = None,
) -> ContactDetail:
    """Change what `data` sets; refused when `version` is given and the contact is at another."""
    contact = resolve_contact(session, ref)
    check_version(f"contact #{contact.id}", contact.version, version)
    changes = data.model_dump(exclude_unset=True)
    if {"name", "first_name", "last_name"} & changes.keys():
        first = changes.pop("first_name", contact.first_name)
        last = changes.pop("last_name", contact.last_name)
        name = changes.pop("name", None)
        changes.update(_names(name, None if name else first, None if name else last))
    if "email" in changes:
        changes["email"] = normalize_email(changes["email"])
        _check_email(session, changes["email"], skip=contact.id)
    if "phone" in changes:
        changes["phone_norm"] = normalize_phone(changes["phone"], region=region)
    for key, resolver in _LINKS.items():
        if key in changes:
            found = optional(session, resolver, changes.pop(key))
            changes[f"{key}_id"] = found.id if found else None
    if "custom" in changes:
        changes["custom"] = checked_dates(merge_custom(contact.custom, changes["custom"]))
    add, remove = changes.pop("add_tags", []), changes.pop("remove_tags", [])
    contact.sqlmodel_update({k: clean(v) if isinstance(v, str) else v for k, v in changes.items()})
    contact.updated_at = now or utcnow()
    session.add(contact)
    _flush(session, contact.email)
    _retag(session, contact, add=normalize_tags(add), remove=normalize_tags(remove))
    if "custom" in changes:
        _sync_dates(session, contact)
        session.flush()
    return get_contact(session, ref=str(contact.id))


def _retag(session: Session, contact: Contact, *, add: list[str], remove: list[str]) -> None:
    if remove:
        session.exec(
            delete(ContactTag).where(
                col(ContactTag.contact_id) == contact.id, col(ContactTag.tag).in_(remove)
            )
        )
    have = set(session.exec(select(ContactTag.tag).where(ContactTag.contact_id == contact.id)))
    assert contact.id is not None
    session.add_all(ContactTag(contact_id=contact.id, tag=t) for t in add if t not in have)
    session.flush()


def delete_contact(session: Session, *, ref: str) -> Contact:
    """Delete a contact; their deals stay without a contact, activities about them alone go."""
    contact = resolve_contact(session, ref)
    assert contact.id is not None
    delete_sole_activities(session, contact_ids=[contact.id])
    session.delete(contact)
    session.flush()
    return contact


def list_contacts(
    session: Session,
    *,
    search: str | None = None,
    tag: str | None = None,
    status: ContactStatus | None = None,
    company: str | None = None,
    owner: str | None = None,
    where: ContactFilter | None = None,
    ids: list[int] | None = None,
    sort: str = "name",
    limit: int | None = None,
    offset: int = 0,
    today: date | None = None,
) -> list[ContactRow]:
    """Contacts matching `where` (a saved segment's filter, say), or else the single
    filters given; `today` dates a lifecycle filter."""
    wanted = where or ContactFilter(
        search=search, tag=tag, status=status, company=company, owner=owner
    )
    query = contact_list_query(
        session, where=wanted, ids=ids, sort=sort, limit=limit, offset=offset, today=today
    )
    found = list(session.execute(query))
    ids_found = [r[0] for r in found]
    tagged = list(session.execute(tags_query(ids_found))) if ids_found else []
    return contact_rows(found, tagged)


def contact_list_query(
    session: Session,
    *,
    where: ContactFilter,
    ids: list[int] | None = None,
    sort: str = "name",
    limit: int | None = None,
    offset: int = 0,
    today: date | None = None,
) -> Select[Any]:
    """The query of `list_contacts`, selecting `contact_rows.LIST_COLUMNS` (also compiled
    ahead for `crm contact list`, see `services.plain_reads`)."""
    query = (
        select(  # type: ignore[call-overload]
            Contact.id,
            Contact.full_name,
            Contact.email,
            Contact.phone,
            Contact.title,
            Company.name,
            User.name,
            Contact.status,
            Contact.created_at,
        )
        .outerjoin(Company, col(Company.id) == col(Contact.company_id))
        .outerjoin(User, col(User.id) == col(Contact.owner_id))
    )
    query = query.where(*contact_filters(session, where, today=today))
    if ids is not None:
        query = query.where(col(Contact.id).in_(ids))
    columns = {
        "name": Contact.name_key,
        "id": Contact.id,
        "email": Contact.email,
        "company": Company.name_key,
        "status": Contact.status,
        "created": Contact.created_at,
    }
    query = query.order_by(*order_by(sort, columns), col(Contact.id))
    listed: Select[Any] = query.offset(offset).limit(check_limit(limit))
    return listed


def tags_of(session: Session, ids: list[int]) -> dict[int, list[str]]:
    tags: dict[int, list[str]] = defaultdict(list)
    if ids:
        for contact_id, tag in session.execute(tags_query(ids)):
            tags[contact_id].append(tag)
    return tags


def tags_query(ids: list[int]) -> Select[Any]:
    """(contact id, tag) of these contacts, in tag order."""
    query = (
        select(ContactTag.contact_id, ContactTag.tag)
        .where(col(ContactTag.contact_id).in_(ids))
        .order_by(col(ContactTag.tag))
    )
    return cast(Select[Any], query)


def get_contact(session: Session, *, ref: str) -> ContactDetail:
    contact = resolve_contact(session, ref)
    assert contact.id is not None
    row = list_contacts(session, ids=[contact.id])[0]
    campaign = session.get(Campaign, contact.campaign_id) if contact.campaign_id else None
    return ContactDetail(
        row,
        contact.first_name,
        contact.last_name,
        contact.phone_norm,
        contact.company_id,
        contact.source,
        contact.notes,
        contact.custom,
        contact.updated_at,
        campaign.name if campaign else None,
        contact.drop_reason,
        contact.version,
    )
