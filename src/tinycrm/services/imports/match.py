"""Which contact an imported row is: the rules that keep two people apart.

Two different emails are two different people. A row is the same person as a contact
already there, or as an earlier row of the file, when
- its email is theirs; or
- its external id is theirs, and they have no other email; or
- its phone and its name are theirs, and they have no other email (the phones compare by
  their normal forms when both have one, else by their digits as typed), and only one
  such person exists: two John Smiths at one number are not told apart by a guess.

Anything less is at most a *possible* duplicate, never a skipped row: a phone shared by
colleagues at a switchboard or by a family, an external id that comes with another email,
and, for a row without an email, the same name at the same company. Such a row is imported,
and the pair listed for review. Possible duplicates are looked for through the indexes an
import keeps (email, external id, normalised phone, company) and, for phones kept as typed,
a map of their digits; `crm contact dupes` does the full review (a namesake at the same
company of a row with an email is left to it: finding those would cost every import a
read of every colleague).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from tinycrm.models import Contact
from tinycrm.models.base import table_of
from tinycrm.normalize import phone_key, same_phone
from tinycrm.services.imports import (
    ImportResult,
    PossibleDuplicate,
    lookup,
    lookup_rows,
)

Row = dict[str, Any]
"""A converted row (what is written), with `_line`, the line of the file it came from."""


@dataclass(frozen=True)
class Known:
    """A contact already there, as far as matching needs it."""

    id: int
    name_key: str
    email: str | None
    phone: str | None
    phone_norm: str | None
    company_id: int | None

    @property
    def phones(self) -> tuple[str | None, str | None]:
        return self.phone, self.phone_norm


_KNOWN = ("id", "name_key", "email", "phone", "phone_norm", "company_id")


@dataclass(frozen=True)
class Match:
    """The record a row is: a contact already there (`id`) or an earlier row (`twin`)."""

    kind: str
    """What showed it: `email`, `external_id` or `phone` (with the name)."""
    id: int | None = None
    twin: Row | None = None


def _agree(a: str | None, b: str | None) -> bool:
    """Two emails that do not make two people: equal, or one of them missing."""
    return not (a and b and a != b)


def phone_keys(typed: str | None, normalized: str | None) -> list[str]:
    """The keys a phone is found by: its normal form and its digits as typed (a converted
    row carries them as `_phones`: they are worked out before the write lock is taken)."""
    keys = (phone_key(typed, normalized), phone_key(typed, None))
    return list(dict.fromkeys(k for k in keys if k))


def _phone_of(row: Row) -> tuple[str | None, str | None]:
    return row["phone"], row["phone_norm"]


class Loose:
    """Contacts whose phone has no normal form, by the digits typed: read once per import
    (those contacts only) when a row first needs them, then kept up to date with the rows
    the import adds. Without it, a phone kept as typed could only be compared through the
    name index, whose namesakes grow with the database."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.ids: dict[str, int | list[int]] | None = None

    def _load(self) -> dict[str, int | list[int]]:
        table = table_of(Contact)
        query = select(table.c.id, table.c.phone).where(
            table.c.phone_norm.is_(None), table.c.phone.is_not(None)
        )
        self.ids = {}
        for contact_id, typed in self.session.execute(query):
            self.add(typed, contact_id)
        return self.ids

    def find(self, typed: str | None) -> list[int]:
        """The contacts whose phone, kept as typed, has these digits (in id order)."""
        digits = phone_key(typed, None)
        found = (self.ids if self.ids is not None else self._load()).get(digits or "")
        return [] if found is None else found if isinstance(found, list) else [found]

    def add(self, typed: str | None, contact_id: int) -> None:
        """A contact just written; before the first look, the database has it already."""
        if self.ids is None or (digits := phone_key(typed, None)) is None:
            return
        have = self.ids.get(digits)
        self.ids[digits] = contact_id if have is None else [*self.find(typed), contact_id]


class Nearby:
    """The contacts already there that the rows of one chunk could be, or resemble: one
    indexed lookup per key and chunk, and only the columns each needs."""

    def __init__(self, session: Session, rows: list[Row], loose: Loose) -> None:
        c = table_of(Contact).c
        columns = [c[name] for name in _KNOWN]
        self.emails = lookup(session, c.email, (r["email"] for r in rows))
        rows = [r for r in rows if r["email"] not in self.emails]  # the rest are known
        ext = lookup_rows(session, c.external_id, (r["external_id"] for r in rows), columns)
        self.external = {key: [Known(*found) for found in many] for key, many in ext.items()}
        by_phone = lookup_rows(session, c.phone_norm, (r["phone_norm"] for r in rows), columns)
        self.phones = {key: many[0][0] for key, many in by_phone.items()}
        self.loose = {
            r["phone"]: ids for r in rows if r["phone"] and (ids := loose.find(r["phone"]))
        }
        unread = lookup_rows(
            session, c.id, (i for ids in self.loose.values() for i in ids), columns
        )
        names = {r["name_key"] for r in rows if r["_phones"]}
        self.callers: dict[tuple[str, str], list[Known]] = {}
        """(name key, phone key) -> the contacts with that name and phone, in id order."""
        found = {k[0]: Known(*k) for many in (*by_phone.values(), *unread.values()) for k in many}
        for person in sorted(found.values(), key=lambda k: k.id):
            if person.name_key in names:
                for key in phone_keys(person.phone, person.phone_norm):
                    self.callers.setdefault((person.name_key, key), []).append(person)
        named = {
            (r["name_key"], r["company_id"]) for r in rows if r["company_id"] and not r["email"]
        }
        colleagues = lookup_rows(
            session, c.company_id, (cid for _, cid in named), [c.name_key, c.id]
        )
        self.colleagues = {
            (name, company): contact_id
            for company, many in colleagues.items()
            for name, contact_id in reversed(many)
            if (name, company) in named
        }
        """(name key, company id) -> the first contact with that name at that company, for the
        rows without an email."""


class People:
    """Matches the rows of an import, chunk by chunk, to the people they are, and lists the
    rows imported as new that may be someone already there."""

    def __init__(self, session: Session, result: ImportResult) -> None:
        self.session, self.result = session, result
        self.loose = Loose(session)
        self.nearby: Nearby
        self.added: list[Row] = []
        """The rows of this chunk imported as new contacts."""
        self.rows: dict[tuple[Any, ...], Row] = {}
        """Keys claimed by the rows of this chunk (the first row to claim each)."""
        self.callers: dict[tuple[str, str], list[Row]] = {}
        """(name key, phone key) -> every row of this chunk with that name and phone."""
        self.flagged: list[tuple[Row, str, Row | int]] = []

    def chunk(self, rows: list[Row]) -> None:
        self.nearby = Nearby(self.session, rows, self.loose)
        self.rows, self.callers, self.flagged, self.added = {}, {}, [], []

    def same_person(self, row: Row) -> Match | None:
        """The record this row is, if the rules say it is one."""
        email, ext = row["email"], row["external_id"]
        if email and (found := self.nearby.emails.get(email)) is not None:
            return Match("email", id=found)
        if email and (twin := self.rows.get(("email", email))) is not None:
            return Match("email", twin=twin)
        if ext:
            for known in self.nearby.external.get(ext, []):
                if _agree(email, known.email):
                    return Match("external_id", id=known.id)
            twin = self.rows.get(("external_id", ext))
            if twin is not None and _agree(email, twin["email"]):
                return Match("external_id", twin=twin)
        return self._by_phone_and_name(row)

    def _by_phone_and_name(self, row: Row) -> Match | None:
        """The one person with this phone and name and no other email; when there are
        several, the one whose email is the row's (or who has none, like the row)."""
        phone, email, name = (row["phone"], row["phone_norm"]), row["email"], row["name_key"]
        found: dict[int, tuple[str | None, Match]] = {}
        for key in row["_phones"]:
            for known in self.nearby.callers.get((name, key), []):
                if _agree(email, known.email) and same_phone(phone, known.phones):
                    found[known.id] = (known.email, Match("phone", id=known.id))
            for twin in self.callers.get((name, key), []):
                if _agree(email, twin["email"]) and same_phone(phone, _phone_of(twin)):
                    found[-twin["id"]] = (twin["email"], Match("phone", twin=twin))
        matches = list(found.values())
        if len(matches) > 1:
            matches = [(theirs, match) for theirs, match in matches if theirs == email]
        return matches[0][1] if len(matches) == 1 else None  # nobody, or several it could be

    def claim(self, row: Row) -> None:
        """Register a row imported as a new contact, for the rows after it."""
        self.resemble(row)
        self.added.append(row)
        for key in self._keys(row):
            self.rows.setdefault(key, row)
        for phone in row["_phones"]:
            self.callers.setdefault((row["name_key"], phone), []).append(row)

    def absorbed(self, row: Row, match: Match) -> None:
        """A row merged into `match` (on update): later rows find that record by the email
        and external id it just gained."""
        for kind in ("email", "external_id"):
            if not row[kind]:
                continue
            if match.twin is not None:
                self.rows.setdefault((kind, row[kind]), match.twin)
            elif kind == "email" and match.id is not None:
                self.nearby.emails.setdefault(row[kind], match.id)

    @staticmethod
    def _keys(row: Row) -> Iterator[tuple[Any, ...]]:
        if row["email"]:
            yield "email", row["email"]
        if row["external_id"]:
            yield "external_id", row["external_id"]
        for phone in row["_phones"]:
            yield "phone", phone
        if row["company_id"]:
            yield "name+company", row["name_key"], row["company_id"]

    def resemble(self, row: Row) -> None:
        """Note the first record a new row resembles: by phone, external id, or name at the
        same company."""
        if found := next(self._lookalikes(row), None):
            self.flagged.append((row, *found))

    def _lookalikes(self, row: Row) -> Iterator[tuple[str, Row | int]]:
        nearby, name, company = self.nearby, row["name_key"], row["company_id"]
        if row["phone_norm"] and (found := nearby.phones.get(row["phone_norm"])):
            yield "phone", found
        if row["phone"] and (ids := nearby.loose.get(row["phone"])):
            yield "phone", ids[0]
        for key in row["_phones"]:
            if twin := self.rows.get(("phone", key)):
                yield "phone", twin
        if ext := row["external_id"]:
            yield from (("external_id", k.id) for k in nearby.external.get(ext, []))
            if twin := self.rows.get(("external_id", ext)):
                yield "external_id", twin
        if company and not row["email"]:
            if (found := nearby.colleagues.get((name, company))) is not None:
                yield "name+company", found
            if twin := self.rows.get(("name+company", name, company)):
                yield "name+company", twin

    def finish_chunk(self) -> None:
        """Hand this chunk's possible duplicates to the result, with the names of the
        contacts they resemble; remember its phones kept as typed for the chunks after."""
        ids = {other for _, _, other in self.flagged if isinstance(other, int)}
        names = self._names(ids)
        for row, reason, other in self.flagged:
            line, name = row["_line"], row["full_name"]
            if isinstance(other, int):
                pair = PossibleDuplicate(line, name, reason, names[other], other)
            else:
                pair = PossibleDuplicate(
                    line, name, reason, other["full_name"], other["id"], other["_line"]
                )
            self.result.possible(pair)
        self.flagged = []
        for row in self.added:
            if row["phone"] and not row["phone_norm"]:
                self.loose.add(row["phone"], row["id"])

    def _names(self, ids: set[int]) -> dict[int, str]:
        c = table_of(Contact).c
        return {
            i: many[0][0] for i, many in lookup_rows(self.session, c.id, ids, [c.full_name]).items()
        }
