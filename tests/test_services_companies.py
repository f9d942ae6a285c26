"""Companies: unique names, lookups by name and domain, lists, and (cascading) deletion."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest
from sqlmodel import col, func, select

from tests.conftest import NOW
from tinycrm.config import load_settings
from tinycrm.db.store import Database, open_database, session_scope
from tinycrm.errors import Conflict, InvalidInput, NotFound
from tinycrm.models import (
    Activity,
    ActivityCreate,
    ActivityKind,
    Company,
    CompanyCreate,
    CompanyUpdate,
    Contact,
    ContactCreate,
    Deal,
    DealCreate,
    StageChange,
    UserCreate,
)
from tinycrm.services import activities, companies, contacts, deals, users
from tinycrm.services.refs import resolve_company


def add(db: Database, **fields: Any) -> companies.CompanyDetail:
    with session_scope(db, write=True) as s:
        return companies.create_company(s, data=CompanyCreate(**fields))


def count(db: Database, model: type) -> int:
    with session_scope(db, write=False) as s:
        return s.exec(select(func.count()).select_from(model)).one()


def test_create_company_cleans_fields(db: Database) -> None:
    company = add(
        db,
        name="  Acme Corp ",
        domain="https://www.Acme.com/about",
        city=" Lyon ",
        industry="",
        custom={"tier": "gold"},
    )
    row = company.row
    assert (row.id, row.name, row.domain, row.city, row.industry) == (
        1,
        "Acme Corp",
        "acme.com",
        "Lyon",
        None,
    )
    assert company.custom == {"tier": "gold"}
    with session_scope(db, write=False) as s:
        detail = companies.get_company(s, ref="acme corp")
    assert (detail.row.name, detail.row.domain) == ("Acme Corp", "acme.com")
    assert detail.custom == {"tier": "gold"}


def test_create_company_drops_empty_custom_values_like_contacts(db: Database) -> None:
    company = add(db, name="Acme", custom={"tier": "gold", "gone": None, "blank": ""})
    assert company.custom == {"tier": "gold"}


@pytest.mark.parametrize("name", ["ACME", "  acme ", "Acme"])
def test_company_names_are_unique_in_any_case(db: Database, name: str) -> None:
    add(db, name="Acme")
    with pytest.raises(Conflict) as caught:
        add(db, name=name)
    assert caught.value.message == "name: company #1 'Acme' already exists"
    assert caught.value.exit_code == 3
    assert count(db, Company) == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "   "}, "name"),
        ({"name": "Acme", "domain": "not a domain"}, "domain"),
        ({"name": "Acme", "domain": "localhost"}, "domain"),
    ],
)
def test_create_company_rejects_bad_input(db: Database, fields: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        add(db, **fields)
    assert caught.value.field == field
    assert count(db, Company) == 0


@pytest.mark.parametrize("ref", ["1", "#1", "Acme Corp", "  ACME   corp ", "acme.com", "ACME.COM"])
def test_resolve_company_by_id_name_or_domain(db: Database, ref: str) -> None:
    add(db, name="Acme Corp", domain="acme.com")
    add(db, name="Globex", domain="globex.com")
    with session_scope(db, write=False) as s:
        assert resolve_company(s, ref).name == "Acme Corp"


@pytest.mark.parametrize("ref", ["Acme", "initech.com", "99"])
def test_unknown_company_is_not_found(db: Database, ref: str) -> None:
    add(db, name="Acme Corp", domain="acme.com")
    with pytest.raises(NotFound) as caught, session_scope(db, write=False) as s:
        resolve_company(s, ref)
    assert caught.value.message == f"company not found: {ref!r}"


def test_update_company(db: Database) -> None:
    add(db, name="Acme", custom={"tier": "gold", "size": 10})
    add(db, name="Globex")
    with session_scope(db, write=True) as s:
        company = companies.update_company(
            s,
            ref="acme",
            data=CompanyUpdate(
                name="ACME Inc", domain="WWW.acme.io", custom={"tier": "", "region": "EU"}
            ),
        )
        assert (company.row.name, resolve_company(s, "acme inc").id) == ("ACME Inc", 1)
        assert (company.row.domain, company.custom) == ("acme.io", {"size": 10, "region": "EU"})
        renamed = companies.update_company(s, ref="acme.io", data=CompanyUpdate(name="Acme Inc"))
        assert renamed.row.name == "Acme Inc"  # a change of case does not clash with itself
    with pytest.raises(Conflict, match="^name: company #2 'Globex' already exists$"):
        with session_scope(db, write=True) as s:
            companies.update_company(s, ref="acme inc", data=CompanyUpdate(name="GLOBEX"))
    with session_scope(db, write=False) as s:
        assert resolve_company(s, "1").name == "Acme Inc"


@pytest.fixture
def accounts(db: Database) -> Database:
    """Acme with two contacts and two deals (one won), Globex with one contact, Initech empty."""
    with session_scope(db, write=True) as s:
        for name, city in (("Acme", "Lyon"), ("Globex", "Paris"), ("Initech", "lyon")):
            data = CompanyCreate(name=name, city=city, domain=f"{name.lower()}.com")
            companies.create_company(s, data=data)
        for name, company in (("Ann Lee", "Acme"), ("Bob Stone", "Acme"), ("Cy Twombly", "Globex")):
            contacts.create_contact(s, data=ContactCreate(name=name, company=company), region="US")
        for title, contact in (("Anvils", "Ann Lee"), ("Rockets", "Bob Stone")):
            deals.create_deal(
                s,
                data=DealCreate(title=title, contact=contact),
                currency="EUR",
                actor=None,
                now=NOW,
            )
        deals.win_deal(s, ref=2, actor=None, now=NOW)
    return db


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, [("Acme", 2, 1), ("Globex", 1, 0), ("Initech", 0, 0)]),
        ({"city": "LYON"}, [("Acme", 2, 1), ("Initech", 0, 0)]),
        ({"search": "globex.com"}, [("Globex", 1, 0)]),
        ({"search": "TECH"}, [("Initech", 0, 0)]),
        ({"sort": "-name", "limit": 2}, [("Initech", 0, 0), ("Globex", 1, 0)]),
    ],
)
def test_list_companies_counts_contacts_and_open_deals(
    accounts: Database, filters: dict[str, Any], expected: list[tuple[str, int, int]]
) -> None:
    with session_scope(accounts, write=False) as s:
        rows = companies.list_companies(s, **filters)
    assert [(r.name, r.contacts, r.open_deals) for r in rows] == expected


def test_sqlite_city_filter_ignores_case_of_non_ascii_letters(tmp_path: Path) -> None:
    """About SQLite's lower(), so on a SQLite file of its own (PostgreSQL's depends on the
    server's locale)."""
    db = open_database(load_settings(db_path=str(tmp_path / "own.db")))
    try:
        add(db, name="Acme", city="ÉVRY")
        with session_scope(db, write=False) as s:
            assert [c.name for c in companies.list_companies(s, city="Évry")] == ["Acme"]
    finally:
        db.engine.dispose()


def test_delete_company_without_deals_keeps_its_contacts(accounts: Database) -> None:
    with session_scope(accounts, write=True) as s:
        company, deleted = companies.delete_company(s, ref="globex", cascade=False)
    assert (company.name, deleted) == ("Globex", 0)
    with session_scope(accounts, write=False) as s:
        assert [c.name for c in companies.list_companies(s)] == ["Acme", "Initech"]
        cy = contacts.get_contact(s, ref="cy twombly")
        assert (cy.company_id, cy.row.company) == (None, None)


def test_delete_company_with_deals_is_refused_without_cascade(accounts: Database) -> None:
    with pytest.raises(Conflict) as caught, session_scope(accounts, write=True) as s:
        companies.delete_company(s, ref="acme", cascade=False)
    assert caught.value.message == "company 'Acme' has 2 deals"
    assert caught.value.use == "cascade"
    assert caught.value.exit_code == 3
    assert [count(accounts, model) for model in (Company, Deal, StageChange)] == [3, 2, 3]


def test_delete_company_cascade_deletes_deals_and_history(accounts: Database) -> None:
    with session_scope(accounts, write=True) as s:
        for subject, links in [
            ("about acme only", {"company": "Acme"}),
            ("about the anvils deal", {"deal": 1}),  # brings Ann and Acme along
            ("about ann", {"contact": "Ann Lee"}),  # brings Acme along
            ("about globex", {"company": "Globex"}),
        ]:
            data = ActivityCreate(
                kind=ActivityKind.note, subject=subject, **cast(dict[str, Any], links)
            )
            activities.log_activity(s, data=data, actor=None, now=NOW)
        s.add(
            Activity(
                kind=ActivityKind.note,
                subject="deal and company",
                deal_id=2,
                company_id=1,
                done_at=NOW,
            )
        )
        company, deleted = companies.delete_company(s, ref="ACME", cascade=True)
    assert (company.name, deleted) == ("Acme", 2)
    with session_scope(accounts, write=False) as s:
        assert [c.name for c in companies.list_companies(s)] == ["Globex", "Initech"]
        assert deals.list_deals(s, status=None) == []
        assert s.exec(select(func.count()).select_from(StageChange)).one() == 0
        people = s.exec(select(Contact.full_name, Contact.company_id).order_by(col(Contact.id)))
        assert [tuple(p) for p in people] == [
            ("Ann Lee", None),
            ("Bob Stone", None),
            ("Cy Twombly", 2),
        ]
        left = s.exec(
            select(
                Activity.subject, Activity.contact_id, Activity.company_id, Activity.deal_id
            ).order_by(col(Activity.id))
        )
        assert [tuple(a) for a in left] == [
            ("about the anvils deal", 1, None, None),
            ("about ann", 1, None, None),
            ("about globex", None, 2, None),
        ]


def test_creation_times_come_from_now(db: Database) -> None:
    """Services take the clock as a parameter, so imports and the demo can date records."""
    when = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    with session_scope(db, write=True) as s:
        company = companies.create_company(s, data=CompanyCreate(name="Acme"), now=when)
        person = contacts.create_contact(
            s, data=ContactCreate(name="Li Wei"), region="FR", now=when
        )
        rep = users.create_user(s, data=UserCreate(name="Ann"), currency="EUR", now=when)
    assert (company.row.created_at, person.row.created_at, rep.created_at) == (when, when, when)
