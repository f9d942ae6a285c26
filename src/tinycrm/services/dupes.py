"""Likely duplicate contacts, and merging two contacts into one.

Candidates are found in blocks that SQL narrows down, never by comparing every pair:
- the same email once normalised (case, `+tag` in the local part, and Gmail's dots and
  `googlemail.com`): only addresses with a `+`, or at Gmail, can differ from their normal
  form, so only those are read, plus the plain addresses their normal forms name;
- the same phone: by the normal forms when both have one (`GROUP BY phone_norm HAVING
  count(*) > 1`), else by the digits as typed (a number kept without a normal form, for
  want of a region, is compared with every phone that has those digits as typed);
- a very similar name at the same company (rapidfuzz `token_sort_ratio` on the name key
  without accents, so `Wei Li` matches `Li Wei`), compared only within companies that
  have several contacts.

The score of a pair is its strongest reason: 100 for the same email; for the same phone,
90 when the names are alike too (a name score of at least 80) and 70 otherwise (a shared
switchboard or household number); for a similar name at the same company, the name score
itself (90 to 100), capped at 95 since namesakes do exist.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import combinations
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlmodel import Session, col

from tinycrm.errors import InvalidInput
from tinycrm.models import (
    Activity,
    Campaign,
    Company,
    Contact,
    ContactDate,
    ContactStatus,
    ContactTag,
    Deal,
    Order,
    OwnerChange,
    Ticket,
    User,
)
from tinycrm.services.companies import merge_custom
from tinycrm.services.refs import resolve_contact

EMAIL_SCORE = 100
PHONE_SCORE = 90
SHARED_PHONE_SCORE = 70
NAME_CAP = 95
NAME_CUTOFF = 90
"""A name score (0–100) from which two contacts at one company are likely the same."""
ALIKE = 80
"""A name score from which two contacts with one phone are likely the same person."""
MAX_GROUP = 25
"""A phone or email shared by more contacts than this is a switchboard, not a person."""
_GMAIL = ("gmail.com", "googlemail.com")


def email_key(email: str) -> str:
    """`Li.Wei+crm@googlemail.com` -> `liwei@gmail.com`; other domains lose the `+tag`."""
    local, _, domain = email.strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    if domain in _GMAIL:
        return local.replace(".", "") + "@gmail.com"
    return f"{local}@{domain}"


def name_score(a: str, b: str) -> float:
    from rapidfuzz import fuzz

    return float(fuzz.token_sort_ratio(a, b))


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    name_key: str
    email: str | None
    phone: str | None
    company: str | None


@dataclass
class DupePair:
    keep: Person
    other: Person
    score: int
    reasons: list[str] = field(default_factory=list)


def _people(session: Session, ids: Iterable[int]) -> dict[int, Person]:
    """The contacts with these ids, for showing a pair."""
    wanted = sorted(set(ids))
    found: dict[int, Person] = {}
    for start in range(0, len(wanted), 900):
        query = (
            select(
                col(Contact.id),
                col(Contact.full_name),
                col(Contact.name_key),
                col(Contact.email),
                func.coalesce(col(Contact.phone_norm), col(Contact.phone)),
                col(Company.name),
            )
            .outerjoin(Company, col(Company.id) == col(Contact.company_id))
            .where(col(Contact.id).in_(wanted[start : start + 900]))
        )
        found.update((row[0], Person(*row)) for row in session.execute(query))
    return found


def _fold(key: str) -> str:
    """A name key without accents, so `María López` and `Maria Lopez` compare equal."""
    if key.isascii():
        return key
    return "".join(c for c in unicodedata.normalize("NFKD", key) if not unicodedata.combining(c))


Row = tuple[int, str, str | None]
"""(contact id, name key, the value shared: an email key, a phone, a company id)"""


def _keyed(session: Session, value: Any, where: Any) -> list[Row]:
    query = select(col(Contact.id), col(Contact.name_key), value).where(where)
    return [(i, key, v) for i, key, v in session.execute(query)]


def _email_rows(session: Session) -> list[Row]:
    """Addresses that differ from their normal form, and the plain ones they point at."""
    odd_ones = or_(
        col(Contact.email).like("%+%"),
        *(col(Contact.email).like(f"%@{domain}") for domain in _GMAIL),
    )
    found = {r[0]: r for r in _keyed(session, col(Contact.email), odd_ones)}
    plain = sorted({email_key(email) for _, _, email in found.values() if email})
    for start in range(0, len(plain), 900):
        part = col(Contact.email).in_(plain[start : start + 900])
        found.update((r[0], r) for r in _keyed(session, col(Contact.email), part))
    return [(i, key, email_key(email) if email else None) for i, key, email in found.values()]


def _phone_rows(session: Session) -> list[Row]:
    shared = (
        select(col(Contact.phone_norm))
        .where(col(Contact.phone_norm).is_not(None))
        .group_by(col(Contact.phone_norm))
        .having(func.count() > 1, func.count() <= MAX_GROUP)
    )
    return _keyed(session, col(Contact.phone_norm), col(Contact.phone_norm).in_(shared))


def _typed_phone_rows(session: Session) -> tuple[list[Row], set[int]]:
    """Phones by their digits as typed, for pairs where one of the two has no normal form:
    the contacts without one (their ids come second), and every contact whose phone has the
    same digits. Costs a pass over the phones only when some phone has no normal form."""
    loose = col(Contact.phone_norm).is_(None) & col(Contact.phone).is_not(None)
    unread = {i: digits for i, _, typed in _keyed(session, col(Contact.phone), loose)
              if (digits := _digits(typed))}  # fmt: skip
    if not unread:
        return [], set()
    wanted = set(unread.values())
    query = select(col(Contact.id), col(Contact.name_key), col(Contact.phone)).where(
        col(Contact.phone).is_not(None)
    )
    found = [(i, key, _digits(typed)) for i, key, typed in session.execute(query)]
    return [(i, key, digits) for i, key, digits in found if digits in wanted], set(unread)


def _phone_pairs(session: Session) -> Iterable[tuple[tuple[int, str], tuple[int, str]]]:
    """Pairs with one phone: by normal form when both have one, else by digits as typed."""
    for group in _groups(_phone_rows(session)):
        yield from combinations(group, 2)
    typed, unread = _typed_phone_rows(session)
    for group in _groups(typed):
        for first, second in combinations(group, 2):
            if first[0] in unread or second[0] in unread:
                yield first, second


def _digits(typed: str | None) -> str | None:
    digits = "".join(c for c in typed or "" if c.isdigit())
    return digits or None


def _company_rows(session: Session) -> list[Row]:
    crowded = (
        select(col(Contact.company_id))
        .where(col(Contact.company_id).is_not(None))
        .group_by(col(Contact.company_id))
        .having(func.count() > 1)
    )
    return _keyed(session, col(Contact.company_id), col(Contact.company_id).in_(crowded))


def _groups(rows: list[Row], *, limit: int | None = MAX_GROUP) -> list[list[tuple[int, str]]]:
    """Rows sharing a value, each group in id order, names without accents."""
    by_value: dict[Any, list[tuple[int, str]]] = defaultdict(list)
    for contact_id, key, value in rows:
        if value is not None:
            by_value[value].append((contact_id, _fold(key)))
    return [
        sorted(group)
        for group in by_value.values()
        if len(group) > 1 and (limit is None or len(group) <= limit)
    ]


def _similar_names(block: list[tuple[int, str]]) -> Iterable[tuple[int, int, float]]:
    """Pairs in one company whose names score at least NAME_CUTOFF."""
    from rapidfuzz import fuzz, process

    keys = [key for _, key in block]
    for i, key in enumerate(keys[:-1]):
        found = process.extract(
            key, keys[i + 1 :], scorer=fuzz.token_sort_ratio, score_cutoff=NAME_CUTOFF, limit=None
        )
        for _, score, j in found:
            yield block[i][0], block[i + 1 + j][0], float(score)


def find_dupes(session: Session, *, min_score: int = 70) -> list[DupePair]:
    """Likely duplicate pairs, best first; the older record (lower id) is `keep`."""
    scores: dict[tuple[int, int], tuple[int, list[str]]] = {}

    def add(a: int, b: int, score: int, reason: str) -> None:
        best, reasons = scores.get((a, b), (0, []))
        scores[(a, b)] = (max(best, score), [*reasons, reason])

    for group in _groups(_email_rows(session)):
        for (a, _), (b, _) in combinations(group, 2):
            add(a, b, EMAIL_SCORE, "email")
    for (a, name_a), (b, name_b) in _phone_pairs(session):
        alike = name_score(name_a, name_b) >= ALIKE
        add(a, b, PHONE_SCORE if alike else SHARED_PHONE_SCORE, "phone")
    for block in _groups(_company_rows(session), limit=None):
        for a, b, score in _similar_names(block):
            add(a, b, min(NAME_CAP, round(score)), "name+company")
    kept = {pair: found for pair, found in scores.items() if found[0] >= min_score}
    people = _people(session, (i for pair in kept for i in pair))
    pairs = [
        DupePair(people[a], people[b], score, reasons) for (a, b), (score, reasons) in kept.items()
    ]
    return sorted(pairs, key=lambda p: (-p.score, p.keep.id, p.other.id))


# Merging


_FILLED = (
    "email", "phone", "phone_norm", "title", "source", "notes", "company_id", "owner_id",
    "campaign_id", "drop_reason", "external_id",
)  # fmt: skip
"""Fields KEEP takes from OTHER when it has none of its own."""
_NAMES = ("first_name", "last_name", "full_name", "name_key")
_RANK = {
    ContactStatus.inactive: 0,
    ContactStatus.lead: 1,
    ContactStatus.prospect: 2,
    ContactStatus.customer: 3,
}
_MOVED = {"deals": Deal, "activities": Activity, "orders": Order, "tickets": Ticket}


@dataclass(frozen=True)
class MergeResult:
    keep_id: int
    keep_name: str
    other_id: int
    other_name: str
    moved: dict[str, int]
    """Records now pointing at KEEP, per table (and tags, dates)."""
    filled: list[str]
    """Fields KEEP had empty and took from OTHER."""
    discarded: dict[str, Any]
    """OTHER's values that differed from KEEP's own and were not kept."""


def merge_pair(session: Session, *, keep: str, other: str) -> tuple[Contact, Contact]:
    """The two contacts a merge names, refused when they are one."""
    kept, gone = resolve_contact(session, keep), resolve_contact(session, other)
    if kept.id == gone.id:
        raise InvalidInput("OTHER", other, "is the same contact as KEEP")
    return kept, gone


def merge_contacts(session: Session, *, keep: str, other: str, now: datetime) -> MergeResult:
    """Fold OTHER into KEEP: deals, activities, orders, tickets, tags, remembered dates and
    owner history move to KEEP; KEEP takes OTHER's fields where it has none, and the further
    along of the two statuses (customer > prospect > lead > inactive); OTHER is deleted."""
    kept, gone = merge_pair(session, keep=keep, other=other)
    assert kept.id is not None and gone.id is not None
    moved = _move_children(session, kept.id, gone.id)
    theirs = {name: getattr(gone, name) for name in (*_NAMES, *_FILLED, "status", "custom")}
    other_id, other_name = gone.id, gone.full_name
    session.delete(gone)  # first: KEEP may take its unique email
    session.flush()
    filled, discarded = _fill(kept, theirs)
    discarded = _named(session, discarded)
    kept.custom = merge_custom(theirs["custom"], kept.custom)
    kept.updated_at = now
    session.add(kept)
    session.flush()
    return MergeResult(kept.id, kept.full_name, other_id, other_name, moved, filled, discarded)


def _move_children(session: Session, keep: int, other: int) -> dict[str, int]:
    moved: dict[str, int] = {}
    for name, model in _MOVED.items():
        table = model.__table__  # type: ignore[attr-defined]
        done = session.execute(
            update(table).where(table.c.contact_id == other).values(contact_id=keep)
        )
        moved[name] = done.rowcount  # type: ignore[attr-defined]
    changes = OwnerChange.__table__  # type: ignore[attr-defined]
    session.execute(
        update(changes)
        .where(changes.c.record_type == "contact", changes.c.record_id == other)
        .values(record_id=keep)
    )
    moved["tags"] = _move_missing(session, ContactTag, ContactTag.tag, keep, other)
    moved["dates"] = _move_missing(session, ContactDate, ContactDate.kind, keep, other)
    return moved


def _move_missing(session: Session, model: Any, key: Any, keep: int, other: int) -> int:
    """Give KEEP the rows of OTHER (tags, dates) whose key KEEP does not have yet."""
    table = model.__table__
    have = select(key).where(model.contact_id == keep)
    done = session.execute(
        update(table)
        .where(table.c.contact_id == other, table.c[key.key].not_in(have))
        .values(contact_id=keep)
    )
    return int(done.rowcount)  # type: ignore[attr-defined]


_REFERENCES: dict[str, type[Company] | type[User] | type[Campaign]] = {
    "company_id": Company,
    "owner_id": User,
    "campaign_id": Campaign,
}


def _named(session: Session, values: dict[str, Any]) -> dict[str, Any]:
    """`owner_id: 2` as `owner: 'Bob Stone'`, for telling the user."""
    out = {}
    for key, value in values.items():
        model = _REFERENCES.get(key)
        if model is None:
            out[key] = value
        else:
            out[key.removesuffix("_id")] = getattr(session.get(model, value), "name", value)
    return out


def _fill(kept: Contact, theirs: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    filled: list[str] = []
    discarded: dict[str, Any] = {}
    if not (kept.first_name or kept.last_name) and (theirs["first_name"] or theirs["last_name"]):
        for name in _NAMES:
            setattr(kept, name, theirs[name])
        filled.append("name")
    elif theirs["full_name"] != kept.full_name:
        discarded["name"] = theirs["full_name"]
    for name in _FILLED:
        mine, other = getattr(kept, name), theirs[name]
        if mine in (None, "") and other not in (None, ""):
            setattr(kept, name, other)
            filled.append(name)
        elif other not in (None, "") and other != mine and name != "phone_norm":
            discarded[name] = other
    if _RANK[ContactStatus(theirs["status"])] > _RANK[ContactStatus(kept.status)]:
        kept.status = theirs["status"]
        filled.append("status")
    return filled, discarded
