"""The one search rule both faces use (`crm contact list -q`, `--search` of companies and
deals, the app's contacts box and its jump box): every word of the query appears somewhere
in the record's fields, in any case, with or without accents (`lumiere` finds Lumière), as
a substring (so Chinese text works). It runs in SQL, on each record's folded `search_key`
(see `normalize.search_key`), and in the session's read scope like any other query.

A contact is searched by name, email, phone, company name and tags; a company by name and
domain; a deal by title and company name; a ticket by subject and company name."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, or_, update
from sqlalchemy import select as select_rows
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, col, select

from tinycrm.models import Company, Contact, ContactTag, Deal, Stage, Ticket
from tinycrm.normalize import fold, search_key
from tinycrm.services.refs import escape_like

SEARCHED: dict[type[Any], tuple[str, ...]] = {
    Contact: ("full_name", "email", "phone", "phone_norm"),
    Company: ("name", "domain"),
    Deal: ("title",),
    Ticket: ("subject",),
}
"""Each searched table's own fields in its search key (the models keep it on every write)."""
JUMP_LIMIT = 20
"""How many records of each kind the jump box shows."""


def words_of(text: str | None) -> list[str]:
    """The folded words of a query, each once."""
    return list(dict.fromkeys(fold(text).split()))


def _has(column: Any, word: str) -> ColumnElement[bool]:
    return col(column).like(f"%{escape_like(word)}%", escape="\\")


def _companies_with(word: str) -> Any:
    return select(col(Company.id)).where(_has(Company.search_key, word))


def _tags_with(session: Session, words: Sequence[str]) -> dict[str, list[str]]:
    """For each word, the stored tags holding it once folded (tags are few: they are folded
    here rather than stored twice)."""
    tags = list(session.exec(select(ContactTag.tag).distinct()))
    folded = [(tag, fold(tag)) for tag in tags]
    return {w: [tag for tag, f in folded if w in f] for w in words}


def contact_conditions(session: Session, text: str | None) -> list[ColumnElement[bool]]:
    """One condition per word of `text`: the word is in the contact's name, email or
    phone, their company's name or domain, or one of their tags."""
    words = words_of(text)
    tagged = _tags_with(session, words) if words else {}
    where = []
    for word in words:
        ways = [
            _has(Contact.search_key, word),
            col(Contact.company_id).in_(_companies_with(word)),
        ]
        if tags := tagged[word]:
            ids = select(col(ContactTag.contact_id)).where(col(ContactTag.tag).in_(tags))
            ways.append(col(Contact.id).in_(ids))
        where.append(or_(*ways))
    return where


def company_conditions(text: str | None) -> list[ColumnElement[bool]]:
    """One condition per word of `text`: the word is in the company's name or domain."""
    return [_has(Company.search_key, word) for word in words_of(text)]


def deal_conditions(text: str | None) -> list[ColumnElement[bool]]:
    """One condition per word: in the deal's title or its company's name."""
    return [
        or_(_has(Deal.search_key, w), col(Deal.company_id).in_(_companies_with(w)))
        for w in words_of(text)
    ]


def ticket_conditions(text: str | None) -> list[ColumnElement[bool]]:
    """One condition per word: in the ticket's subject or its company's name."""
    return [
        or_(_has(Ticket.search_key, w), col(Ticket.company_id).in_(_companies_with(w)))
        for w in words_of(text)
    ]


def fill_search_keys(session: Session, *, batch: int = 10_000) -> int:
    """Write the search key of every row that has none (a row written past the ORM and
    without one: imports write theirs, this catches any other); returns how many were
    tried. Each row is tried once, in id order, so a row the database will not let this
    login change (row-level security) cannot hold it in a loop."""
    filled = 0
    for model, fields in SEARCHED.items():
        columns = [col(getattr(model, name)) for name in fields]
        last = 0
        while True:
            rows = session.exec(
                select(col(model.id), *columns)
                .where(col(model.search_key).is_(None), col(model.id) > last)
                .order_by(col(model.id))
                .limit(batch)
                .execution_options(crm_unscoped=True)
            ).all()
            if not rows:
                break
            last = rows[-1][0]
            keys = [{"row_id": r[0], "key": search_key(*r[1:])} for r in rows]
            table = model.__table__
            statement = (
                update(table)
                .where(table.c.id == bindparam("row_id"))
                .values(search_key=bindparam("key"))
            )
            session.connection().execute(statement, keys)
            filled += len(rows)
    return filled


# --- the jump box ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    """One record the jump box offers: its kind (contact, company, deal, ticket), id, what
    it is called and a line about it."""

    kind: str
    id: int
    title: str
    detail: str
    opens: tuple[str, int] | None = None
    """The record whose screen shows it, when not its own (a ticket: its contact's, else
    its company's)."""


def jump(session: Session, *, text: str, limit: int = JUMP_LIMIT) -> list[Hit]:
    """Contacts, companies, deals and tickets matching `text`, at most `limit` of each kind,
    each kind by name; nothing for an empty query."""
    if not words_of(text):
        return []
    return [
        *_contacts(session, text, limit),
        *_companies(text, session, limit),
        *_deals(text, session, limit),
        *_tickets(text, session, limit),
    ]


def _contacts(session: Session, text: str, limit: int) -> list[Hit]:
    query = (
        select(col(Contact.id), Contact.full_name, Contact.email, Company.name)
        .outerjoin(Company, col(Company.id) == col(Contact.company_id))
        .where(*contact_conditions(session, text))
        .order_by(col(Contact.name_key), col(Contact.id))
        .limit(limit)
    )
    return [
        Hit("contact", i or 0, name, " · ".join(p for p in (company, email) if p))
        for i, name, email, company in session.exec(query)
    ]


def _companies(text: str, session: Session, limit: int) -> list[Hit]:
    query = (
        select(col(Company.id), Company.name, Company.city, Company.domain)
        .where(*company_conditions(text))
        .order_by(col(Company.name_key), col(Company.id))
        .limit(limit)
    )
    return [
        Hit("company", i or 0, name, " · ".join(p for p in (city, domain) if p))
        for i, name, city, domain in session.exec(query)
    ]


def _deals(text: str, session: Session, limit: int) -> list[Hit]:
    query = (
        select_rows(
            col(Deal.id), col(Deal.title), col(Deal.status), col(Stage.name), col(Company.name)
        )
        .join(Stage, col(Stage.id) == col(Deal.stage_id))
        .outerjoin(Company, col(Company.id) == col(Deal.company_id))
        .where(*deal_conditions(text))
        .order_by(col(Deal.search_key), col(Deal.id))
        .limit(limit)
    )
    return [
        Hit(
            "deal",
            i or 0,
            title,
            " · ".join(p for p in (company, stage if s == "open" else s) if p),
        )
        for i, title, s, stage, company in session.execute(query)
    ]


def _tickets(text: str, session: Session, limit: int) -> list[Hit]:
    query = (
        select_rows(
            col(Ticket.id),
            col(Ticket.subject),
            col(Ticket.status),
            col(Company.name),
            col(Ticket.contact_id),
            col(Ticket.company_id),
        )
        .outerjoin(Company, col(Company.id) == col(Ticket.company_id))
        .where(*ticket_conditions(text))
        .order_by(col(Ticket.id).desc())
        .limit(limit)
    )
    return [
        Hit(
            "ticket",
            i,
            f"#{i} {subject}",
            " · ".join(p for p in (company, status) if p),
            ("contact", contact) if contact else ("company", firm) if firm else None,
        )
        for i, subject, status, company, contact, firm in session.execute(query)
    ]
