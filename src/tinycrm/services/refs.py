"""Finding records from what a user types: ids, emails, names and unique name prefixes."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlmodel import Session, SQLModel, col, select

from tinycrm.errors import InvalidInput, NotFound
from tinycrm.models import Campaign, Company, Contact, Deal, Stage, StageKind, User
from tinycrm.normalize import name_key
from tinycrm.services.userref import as_id, is_id, one, pick_user

T = TypeVar("T", bound=SQLModel)


def by_id(session: Session, model: type[T], ref: object, what: str) -> T:
    row = session.get(model, as_id(ref, what))
    if row is None:
        raise NotFound(what, ref)
    return row


def resolve_user(session: Session, ref: str) -> User:
    """A user by id, email, full name, or a unique prefix of their name or of a word in it."""
    return pick_user(list(session.exec(select(User))), ref)


def resolve_company(session: Session, ref: str) -> Company:
    """A company by id, name (any case and spacing) or web domain."""
    ref = ref.strip()
    if is_id(ref) and (company := session.get(Company, as_id(ref, "company"))):
        return company
    found = session.exec(select(Company).where(Company.name_key == name_key(ref))).first()
    if found is None and "." in ref and " " not in ref:
        found = session.exec(select(Company).where(Company.domain == ref.lower())).first()
    if found is None:
        raise NotFound("company", ref)
    return found


def resolve_contact(session: Session, ref: str) -> Contact:
    """A contact by id, email, or full name when only one contact has it."""
    ref = ref.strip()
    if is_id(ref) and (contact := session.get(Contact, as_id(ref, "contact"))):
        return contact
    if "@" in ref:
        found = session.exec(select(Contact).where(Contact.email == ref.lower())).first()
        if found is None:
            raise NotFound("contact", ref)
        return found
    rows = list(session.exec(select(Contact).where(Contact.name_key == name_key(ref)).limit(6)))
    return one(rows, "contact", ref, label="full_name")


def resolve_deal(session: Session, ref: object) -> Deal:
    return by_id(session, Deal, ref, "deal")


def resolve_stage(session: Session, ref: str) -> Stage:
    found = session.exec(select(Stage).where(Stage.name_key == name_key(ref))).first()
    if found is None:
        names = ", ".join(s.name for s in session.exec(select(Stage).order_by(col(Stage.position))))
        raise InvalidInput("stage", ref, f"unknown stage (one of: {names})")
    return found


def stage_of_kind(session: Session, kind: StageKind) -> Stage:
    found = session.exec(
        select(Stage).where(Stage.kind == kind).order_by(col(Stage.position))
    ).first()
    if found is None:
        raise InvalidInput("stage", kind.value, "no stage of this kind is configured")
    return found


def optional(session: Session, resolver: Any, ref: object) -> Any:
    """`resolver(session, ref)`, or None when no reference was given."""
    return resolver(session, ref) if ref not in (None, "") else None


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def resolve_campaign(session: Session, ref: str) -> Campaign:
    """A campaign by id or name (any case and spacing)."""
    ref = ref.strip()
    if is_id(ref) and (campaign := session.get(Campaign, as_id(ref, "campaign"))):
        return campaign
    found = session.exec(select(Campaign).where(Campaign.name_key == name_key(ref))).first()
    if found is None:
        raise NotFound("campaign", ref)
    return found
