"""Contacts: normal forms, duplicates, names, tags, custom fields, lists and deletion."""

from __future__ import annotations

from typing import Any, cast

import pytest
from sqlmodel import col, func, select

from tests.conftest import NOW
from tinycrm.db.store import Database, session_scope
from tinycrm.errors import Ambiguous, Conflict, InvalidInput, NotFound
from tinycrm.models import (
    Activity,
    ActivityCreate,
    ActivityKind,
    CompanyCreate,
    Contact,
    ContactCreate,
    ContactStatus,
    ContactTag,
    ContactUpdate,
    DealCreate,
    UserCreate,
)
from tinycrm.services import activities, companies, contacts, deals, users


def add(db: Database, region: str = "US", **fields: Any) -> contacts.ContactDetail:
    with session_scope(db, write=True) as s:
        return contacts.create_contact(s, data=ContactCreate(**fields), region=region)


def update(db: Database, ref: str, region: str = "US", **fields: Any) -> contacts.ContactDetail:
    with session_scope(db, write=True) as s:
        return contacts.update_contact(s, ref=ref, data=ContactUpdate(**fields), region=region)


def count(db: Database, model: type = Contact) -> int:
    with session_scope(db, write=False) as s:
        return s.exec(select(func.count()).select_from(model)).one()


def test_create_contact_normalises(db: Database) -> None:
    detail = add(
        db,
        region="FR",
        name="  Ann Lee ",
        email="  Ann.Lee@Example.COM ",
        phone="06 12 34 56 78",
        title=" CTO ",
        tags=["VIP", " vip ", "Big  Fish", ""],
        custom={"tier": "gold", "empty": ""},
    )
    row = detail.row
    assert (row.id, row.name, row.email, row.title) == (1, "Ann Lee", "ann.lee@example.com", "CTO")
    assert (row.phone, detail.phone_normalized) == ("06 12 34 56 78", "+33612345678")
    assert (detail.first_name, detail.last_name) == ("Ann", "Lee")
    assert (row.status, row.company, row.owner) == ("prospect", None, None)
    assert row.tags == ["big fish", "vip"]
    assert detail.custom == {"tier": "gold"}
    with session_scope(db, write=False) as s:
        assert contacts.get_contact(s, ref="ANN.LEE@example.com") == detail
        assert contacts.get_contact(s, ref="ann lee") == detail
        assert contacts.get_contact(s, ref="#1") == detail


@pytest.mark.parametrize(
    ("fields", "first", "last", "full"),
    [
        ({"name": "Li Wei"}, "Li", "Wei", "Li Wei"),
        ({"name": "Mary Jane Watson"}, "Mary Jane", "Watson", "Mary Jane Watson"),
        ({"name": "李伟"}, "李伟", None, "李伟"),
        ({"first_name": " Mary ", "last_name": "Watson"}, "Mary", "Watson", "Mary Watson"),
        ({"last_name": "Watson"}, None, "Watson", "Watson"),
        ({"name": "Dr Ann Lee", "first_name": "Ann"}, "Ann", None, "Dr Ann Lee"),
    ],
)
def test_contact_names(
    db: Database, fields: dict[str, str], first: str | None, last: str | None, full: str
) -> None:
    detail = add(db, **fields)
    assert (detail.first_name, detail.last_name, detail.row.name) == (first, last, full)


def test_contact_needs_a_name(db: Database) -> None:
    with pytest.raises(InvalidInput, match="^name: a contact needs a name"):
        add(db, name="  ", email="ann@example.com")
    assert count(db) == 0


def test_duplicate_email_is_a_conflict_and_writes_nothing(db: Database) -> None:
    add(db, name="Ann Lee", email="ann@example.com")
    with pytest.raises(Conflict) as caught:
        add(db, name="Annie", email=" ANN@Example.com", tags=["vip"])
    assert caught.value.exit_code == 3
    assert caught.value.message == "email: contact #1 'Ann Lee' already has 'ann@example.com'"
    assert (count(db), count(db, ContactTag)) == (1, 0)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"email": "ann@example"}, "email"),
        ({"email": "ann@@example.com"}, "email"),
        ({"phone": "12"}, "phone"),
        ({"phone": "call me"}, "phone"),
    ],
)
def test_bad_email_or_phone_is_invalid_input(
    db: Database, fields: dict[str, str], field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        add(db, name="Ann Lee", **fields)
    assert caught.value.field == field
    assert caught.value.value == next(iter(fields.values()))
    assert count(db) == 0


def test_update_contact(db: Database) -> None:
    add(
        db,
        name="Ann Lee",
        email="ann@example.com",
        tags=["vip", "cold"],
        custom={"tier": "gold", "size": 10},
    )
    detail = update(
        db,
        "ann@example.com",
        last_name="Smith",
        email="Ann.Smith@Example.com",
        phone="(415) 555-0123",
        status=ContactStatus.customer,
        add_tags=["Warm", "VIP"],
        remove_tags=["COLD"],
        custom={"tier": "platinum", "size": "", "region": "EU"},
    )
    assert (detail.first_name, detail.last_name, detail.row.name) == ("Ann", "Smith", "Ann Smith")
    assert (detail.row.email, detail.phone_normalized) == ("ann.smith@example.com", "+14155550123")
    assert (detail.row.status, detail.row.tags) == ("customer", ["vip", "warm"])
    assert detail.custom == {"tier": "platinum", "region": "EU"}
    detail = update(db, "ann smith", name="Li Wei", custom={"region": None})
    assert (detail.first_name, detail.last_name, detail.row.name) == ("Li", "Wei", "Li Wei")
    assert detail.custom == {"tier": "platinum"}


def test_update_to_another_contacts_email_is_a_conflict(db: Database) -> None:
    add(db, name="Ann Lee", email="ann@example.com")
    add(db, name="Bob Stone", email="bob@example.com")
    assert update(db, "bob stone", email="BOB@example.com").row.email == "bob@example.com"
    with pytest.raises(Conflict, match="contact #1 'Ann Lee' already has 'ann@example.com'"):
        update(db, "bob stone", email="Ann@Example.com", name="Robert Stone")
    with session_scope(db, write=False) as s:
        row = contacts.get_contact(s, ref="2").row
    assert (row.name, row.email) == ("Bob Stone", "bob@example.com")


def test_same_name_is_ambiguous_and_unknown_is_not_found(db: Database) -> None:
    add(db, name="Ann Lee", email="ann1@example.com")
    add(db, name="ann lee", email="ann2@example.com")
    with session_scope(db, write=False) as s:
        with pytest.raises(Ambiguous, match=r"matches #1 Ann Lee, #2 ann lee$"):
            contacts.get_contact(s, ref=" ANN  LEE ")
        with pytest.raises(NotFound, match="^contact not found: 'zed@example.com'$"):
            contacts.get_contact(s, ref="zed@example.com")


@pytest.fixture
def crowd(db: Database) -> Database:
    """Four contacts at two companies with two owners, tags and statuses."""
    with session_scope(db, write=True) as s:
        for name in ("Ann Lee", "Bob Stone"):
            users.create_user(s, data=UserCreate(name=name), currency="EUR")
        companies.create_company(s, data=CompanyCreate(name="Acme", domain="acme.com"))
        companies.create_company(s, data=CompanyCreate(name="Globex"))
        people = [
            ("Carla Diaz", "carla@acme.com", "Acme", "ann", "customer", ["vip"]),
            ("Dan Brown", "dan@globex.com", "Globex", "bob", "lead", ["VIP", "cold"]),
            ("Eve Adams", "eve@example.org", None, "ann", "prospect", []),
            ("Frank Moss", "frank@acme.com", "Acme", None, "lead", ["cold"]),
        ]
        for name, email, company, owner, status, tags in people:
            data = ContactCreate(
                name=name,
                email=email,
                company=company,
                owner=owner,
                status=ContactStatus(status),
                tags=tags,
            )
            contacts.create_contact(s, data=data, region="US")
    return db


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["Carla Diaz", "Dan Brown", "Eve Adams", "Frank Moss"]),
        ({"tag": " VIP "}, ["Carla Diaz", "Dan Brown"]),
        ({"status": ContactStatus.lead}, ["Dan Brown", "Frank Moss"]),
        ({"company": "ACME"}, ["Carla Diaz", "Frank Moss"]),
        ({"company": "acme.com"}, ["Carla Diaz", "Frank Moss"]),
        ({"owner": "ann"}, ["Carla Diaz", "Eve Adams"]),
        ({"tag": "vip", "owner": "bob"}, ["Dan Brown"]),
        ({"search": "ACME"}, ["Carla Diaz", "Frank Moss"]),  # company name or email
        ({"search": "adams"}, ["Eve Adams"]),
        ({"search": "globex.com"}, ["Dan Brown"]),
        ({"search": "100%"}, []),
        ({"sort": "-name"}, ["Frank Moss", "Eve Adams", "Dan Brown", "Carla Diaz"]),
        ({"sort": "company"}, ["Carla Diaz", "Frank Moss", "Dan Brown", "Eve Adams"]),
        ({"sort": "-company"}, ["Dan Brown", "Carla Diaz", "Frank Moss", "Eve Adams"]),
        ({"sort": "status,-name"}, ["Carla Diaz", "Frank Moss", "Dan Brown", "Eve Adams"]),
        ({"sort": "email"}, ["Carla Diaz", "Dan Brown", "Eve Adams", "Frank Moss"]),
        ({"limit": 2}, ["Carla Diaz", "Dan Brown"]),
        ({"limit": 2, "offset": 3}, ["Frank Moss"]),
    ],
)
def test_list_contacts(crowd: Database, filters: dict[str, Any], expected: list[str]) -> None:
    with session_scope(crowd, write=False) as s:
        assert [r.name for r in contacts.list_contacts(s, **filters)] == expected


def test_list_contacts_rows(crowd: Database) -> None:
    with session_scope(crowd, write=False) as s:
        row = contacts.list_contacts(s, search="dan")[0]
    assert (row.id, row.name, row.email, row.status) == (2, "Dan Brown", "dan@globex.com", "lead")
    assert (row.company, row.owner, row.tags) == ("Globex", "Bob Stone", ["cold", "vip"])


@pytest.mark.parametrize(
    ("filters", "field"),
    [({"sort": "shoe_size"}, "sort"), ({"sort": "name,-bogus"}, "sort"), ({"limit": -1}, "limit")],
)
def test_list_contacts_rejects_bad_options(
    crowd: Database, filters: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as caught, session_scope(crowd, write=False) as s:
        contacts.list_contacts(s, **filters)
    assert caught.value.field == field


def test_unknown_sort_field_names_the_choices(crowd: Database) -> None:
    with pytest.raises(InvalidInput) as caught, session_scope(crowd, write=False) as s:
        contacts.list_contacts(s, sort="shoe_size")
    assert caught.value.message == (
        "sort: unknown field (one of: name, id, email, company, status, created): 'shoe_size'"
    )


def test_blank_tag_filter_is_not_a_crash(crowd: Database) -> None:
    with session_scope(crowd, write=False) as s:
        assert len(contacts.list_contacts(s, tag="  ")) == 4


def test_delete_contact_keeps_deals_and_drops_activities_about_only_them(db: Database) -> None:
    with session_scope(db, write=True) as s:
        companies.create_company(s, data=CompanyCreate(name="Acme"))
        for name, company in (("Ann Lee", "Acme"), ("Bob Stone", None)):
            contacts.create_contact(
                s, data=ContactCreate(name=name, company=company, tags=["vip"]), region="US"
            )
        deal = deals.create_deal(
            s,
            data=DealCreate(title="Big order", contact="Bob Stone"),
            currency="EUR",
            actor=None,
            now=NOW,
        )
        for subject, links in [
            ("only bob", {"contact": "Bob Stone"}),
            ("bob and acme", {"contact": "Bob Stone", "company": "Acme"}),
            ("bob's deal", {"deal": deal.id}),
            ("only ann", {"contact": "Ann Lee"}),
        ]:
            data = ActivityCreate(
                kind=ActivityKind.call, subject=subject, **cast(dict[str, Any], links)
            )
            activities.log_activity(s, data=data, actor=None, now=NOW)
        assert contacts.delete_contact(s, ref="bob stone").full_name == "Bob Stone"
    with session_scope(db, write=False) as s:
        assert [r.name for r in contacts.list_contacts(s)] == ["Ann Lee"]
        kept = deals.get_deal(s, ref=deal.id)
        assert (kept.row.title, kept.contact_id, kept.row.contact) == ("Big order", None, None)
        left = s.exec(
            select(
                Activity.subject, Activity.contact_id, Activity.company_id, Activity.deal_id
            ).order_by(col(Activity.id))
        ).all()
        assert [tuple(r) for r in left] == [
            ("bob and acme", None, 1, None),
            ("bob's deal", None, None, deal.id),
            ("only ann", 1, 1, None),
        ]
        assert s.exec(select(ContactTag.contact_id, ContactTag.tag)).all() == [(1, "vip")]
