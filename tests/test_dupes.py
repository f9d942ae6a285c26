"""The duplicate finder (its blocks and scores) and merging two contacts into one."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlmodel import Session, col, func, select

from tests.clihelp import Crm
from tests.conftest import NOW
from tinycrm.db.store import Database, session_scope
from tinycrm.errors import InvalidInput
from tinycrm.models import (
    ActivityCreate,
    ActivityKind,
    CompanyCreate,
    Contact,
    ContactCreate,
    ContactDate,
    ContactStatus,
    ContactTag,
    Deal,
    DealCreate,
    Order,
    OwnerChange,
    Ticket,
    UserCreate,
)
from tinycrm.services import activities, companies, contacts, deals, dupes, users


@pytest.mark.parametrize(
    ("email", "key"),
    [
        ("Li.Wei+crm@GoogleMail.com", "liwei@gmail.com"),
        ("l.i.wei@gmail.com", "liwei@gmail.com"),
        ("bob+news@acme.example", "bob@acme.example"),
        ("b.o.b@acme.example", "b.o.b@acme.example"),
    ],
)
def test_email_key(email: str, key: str) -> None:
    assert dupes.email_key(email) == key


def add(s: Session, name: str, **fields: Any) -> int:
    return contacts.create_contact(
        s, data=ContactCreate(name=name, **fields), region="FR", now=NOW
    ).row.id


@pytest.fixture
def people(db: Database) -> Database:
    with session_scope(db, write=True) as s:
        for name in ("Acme", "Globex"):
            companies.create_company(s, data=CompanyCreate(name=name))
        add(s, "Li Wei", email="li.wei@gmail.com", company="Acme")  # 1
        add(s, "Wei Li", email="liwei+crm@googlemail.com", company="Acme")  # 2
        add(s, "María López", phone="+33 6 12 34 56 78", company="Globex")  # 3
        add(s, "Maria Lopez", phone="06 12 34 56 78")  # 4
        add(s, "Tom Hill", phone="+33 1 99 99 99 99")  # 5
        add(s, "Jane Roe", phone="+33199999999")  # 6
        add(s, "Jon Smith", company="Acme")  # 7
        add(s, "John Smith", company="Acme")  # 8
        add(s, "John Smith", company="Globex")  # 9
        add(s, "Bob Ray", email="bob@acme.example")  # 10
        add(s, "Robert Ray", email="bob+news@acme.example")  # 11
        add(s, "Ann Lee", company="Acme")  # 12
    return db


def test_find_dupes_scores_each_block(people: Database) -> None:
    with session_scope(people, write=False) as s:
        found = dupes.find_dupes(s)
    assert [(p.keep.id, p.other.id, p.score, p.reasons) for p in found] == [
        (1, 2, 100, ["email", "name+company"]),
        (10, 11, 100, ["email"]),
        (7, 8, 95, ["name+company"]),
        (3, 4, 90, ["phone"]),
        (5, 6, 70, ["phone"]),
    ]
    first = found[0]
    assert (first.keep.name, first.other.email, first.keep.company) == (
        "Li Wei",
        "liwei+crm@googlemail.com",
        "Acme",
    )


def test_min_score_and_no_dupes(people: Database, db: Database) -> None:
    with session_scope(people, write=False) as s:
        assert [(p.keep.id, p.other.id) for p in dupes.find_dupes(s, min_score=91)] == [
            (1, 2),
            (10, 11),
            (7, 8),
        ]
    with session_scope(people, write=True) as s:
        for contact_id in (2, 4, 6, 8, 11):
            contacts.delete_contact(s, ref=str(contact_id))
        assert dupes.find_dupes(s) == []


def test_a_switchboard_number_is_not_a_person(db: Database) -> None:
    with session_scope(db, write=True) as s:
        for n in range(dupes.MAX_GROUP + 1):
            add(s, f"Caller {n}", phone="+33 1 00 00 00 00")
        add(s, "Ida One", phone="+33 2 22 22 22 22")
        add(s, "Ida One", phone="+33222222222")
        found = dupes.find_dupes(s)
    assert [(p.keep.name, p.score) for p in found] == [("Ida One", 90)]


def test_phones_compare_by_normal_form_when_both_have_one_else_by_digits_typed(
    db: Database,
) -> None:
    with session_scope(db, write=True) as s:
        for name, phone, region in [
            ("Ann", "0612345678", ""),  # 1: no region, kept as typed
            ("Bob", "06 12 34 56 78", "FR"),  # 2: +33612345678, the same digits as typed as 1
            ("Cid", "06-12-34-56-78", ""),  # 3: kept as typed, the same digits
            ("Dan", "+33 6 12 34 56 78", ""),  # 4: +33612345678, other digits as typed
            ("Eve", "13800138002", "US"),  # 5: not a US number: kept as typed
            ("Fay", "+86 138 0013 8002", ""),  # 6: other digits as typed than 5
        ]:
            contacts.create_contact(
                s, data=ContactCreate(name=name, phone=phone), region=region, now=NOW
            )
        found = dupes.find_dupes(s)
    assert [(p.keep.id, p.other.id, p.score, p.reasons) for p in found] == [
        (1, 2, 70, ["phone"]),
        (1, 3, 70, ["phone"]),
        (2, 3, 70, ["phone"]),
        (2, 4, 70, ["phone"]),
    ]
    assert [(p.keep.phone, p.other.phone) for p in found][:2] == [
        ("0612345678", "+33612345678"),
        ("0612345678", "06-12-34-56-78"),
    ]


@pytest.fixture
def pair(db: Database) -> Database:
    """#1 Li Wei (Ann's lead, tag vip, birthday) and #2 Wei Li (Bob's customer at Acme, with a
    phone, a title, tags vip+newsletter, an anniversary, two deals, a call, an order, a
    ticket and a claim)."""
    with session_scope(db, write=True) as s:
        for name in ("Ann Lee", "Bob Stone"):
            users.create_user(s, data=UserCreate(name=name), currency="EUR")
        companies.create_company(s, data=CompanyCreate(name="Acme"))
        add(
            s, "Li Wei", email="li@acme.example", owner="ann", status=ContactStatus.lead,
            tags=["vip"], custom={"birthday": "1980-04-12", "size": "40"},
        )  # fmt: skip
        add(
            s, "Wei Li", email="wei@acme.example", owner="bob", phone="+33 6 12 34 56 78",
            title="CTO", company="Acme", status=ContactStatus.customer,
            tags=["vip", "newsletter"],
            custom={"anniversary": "--06-01", "size": "90", "vat": "FR12"},
        )  # fmt: skip
        for title in ("Renewal", "Upsell"):
            deals.create_deal(
                s, data=DealCreate(title=title, contact="2"), currency="EUR", actor=None, now=NOW
            )
        activities.log_activity(
            s,
            data=ActivityCreate(kind=ActivityKind.call, subject="hi", contact="2"),
            actor=None,
            now=NOW,
        )
        s.add(
            Order(contact_id=2, amount_minor=500_00, currency="EUR", ordered_on=date(2026, 11, 1))
        )
        s.add(Ticket(subject="Invoice wrong", contact_id=2))
        s.add(OwnerChange(record_type="contact", record_id=2, to_user_id=2, reason="claim"))
    return db


def count(s: Session, model: type, **where: object) -> int:
    query = select(func.count()).select_from(model)
    for name, value in where.items():
        query = query.where(col(getattr(model, name)) == value)
    return s.exec(query).one()


def test_merge_moves_everything_and_fills_what_keep_lacks(pair: Database) -> None:
    with session_scope(pair, write=True) as s:
        result = dupes.merge_contacts(s, keep="li@acme.example", other="Wei Li", now=NOW)
    assert (result.keep_id, result.other_id, result.other_name) == (1, 2, "Wei Li")
    assert result.moved == {
        "deals": 2,
        "activities": 1,
        "orders": 1,
        "tickets": 1,
        "tags": 1,
        "dates": 1,
    }
    assert result.filled == ["phone", "phone_norm", "title", "company_id", "status"]
    assert result.discarded == {"name": "Wei Li", "email": "wei@acme.example", "owner": "Bob Stone"}
    with session_scope(pair, write=False) as s:
        li = s.get(Contact, 1)
        assert li is not None and s.get(Contact, 2) is None
        assert (li.full_name, li.email, li.phone, li.phone_norm, li.title, li.company_id) == (
            "Li Wei",
            "li@acme.example",
            "+33 6 12 34 56 78",
            "+33612345678",
            "CTO",
            1,
        )
        assert (li.owner_id, li.status, li.updated_at) == (1, "customer", NOW)
        assert li.custom == {
            "birthday": "1980-04-12",
            "size": "40",
            "anniversary": "--06-01",
            "vat": "FR12",
        }
        tags = s.exec(select(ContactTag.tag).where(ContactTag.contact_id == 1)).all()
        assert sorted(tags) == ["newsletter", "vip"]
        kinds = s.exec(select(ContactDate.kind).where(ContactDate.contact_id == 1)).all()
        assert sorted(kinds) == ["anniversary", "birthday"]
        assert count(s, Deal, contact_id=1) == 2
        assert (count(s, Order, contact_id=1), count(s, Ticket, contact_id=1)) == (1, 1)
        assert count(s, OwnerChange, record_id=1) == 1
        assert count(s, ContactTag) == 2 and count(s, ContactDate) == 2


def test_merge_takes_others_email_and_refuses_itself(pair: Database) -> None:
    with session_scope(pair, write=True) as s:
        s.get(Contact, 1).email = None  # type: ignore[union-attr]
        s.flush()
        result = dupes.merge_contacts(s, keep="1", other="2", now=NOW)
        assert "email" in result.filled
        assert s.get(Contact, 1).email == "wei@acme.example"  # type: ignore[union-attr]
        with pytest.raises(InvalidInput, match="same contact"):
            dupes.merge_contacts(s, keep="1", other="li wei", now=NOW)


# The CLI


@pytest.fixture
def lookalikes(crm: Crm) -> None:
    """Acme; Li Wei there and Wei Li with nearly the same email; a deal of Wei Li's."""
    run = crm
    run("company", "add", "Acme")
    run("contact", "add", "Li Wei", "--email", "li.wei@acme.example", "--company", "Acme")
    run(
        "contact", "add", "Wei Li", "--email", "li.wei+x@acme.example", "--phone", "+1 415 555 0100"
    )
    run("deal", "add", "Renewal", "--contact", "2")


def test_cli_dupes_then_merge(crm: Crm, lookalikes: None, db_url: str) -> None:
    found = crm("contact", "dupes", "--format", "json").json()
    assert found == [
        {
            "score": 100,
            "keep": 1,
            "keep_name": "Li Wei",
            "other": 2,
            "other_name": "Wei Li",
            "email": "li.wei@acme.example / li.wei+x@acme.example",
            "phone": "+14155550100",
            "company": "Acme",
            "reasons": "email",
        }
    ]
    refused = crm("contact", "merge", "1", "2", input="n\n", ok=False)
    assert refused.code == 1
    ran = crm("contact", "merge", "1", "li.wei+x@acme.example", "--yes")
    assert ran.out.splitlines() == [
        "contact #2 merged into #1 Li Wei: moved 1 deal",
        "  took from #2: phone, phone_norm",
        "  not kept (#1 has its own): name 'Wei Li', email 'li.wei+x@acme.example'",
    ]
    assert crm("deal", "show", "1", "--format", "json").json()["contact"] == "Li Wei"
    none = crm("contact", "dupes", ok=False)
    assert (none.code, none.err.strip()) == (1, "no likely duplicates")


def test_merging_a_contact_into_itself_is_refused_before_asking(tmp_path: object) -> None:
    crm = Crm()
    db = f"{tmp_path}/crm.db"
    crm("--db", db, "init")
    crm("--db", db, "contact", "add", "Li Wei", "--email", "li@x.example")
    ran = crm("--db", db, "contact", "merge", "1", "li@x.example", input="y\n", ok=False)
    assert (ran.code, ran.out) == (2, "")
    assert ran.err == "crm: error: OTHER: is the same contact as KEEP: 'li@x.example'\n"
    assert len(crm("--db", db, "contact", "list", "--format", "json").json()) == 1
