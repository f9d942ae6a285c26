"""The one search rule (services/search.py) on both backends: every word anywhere in the
fields, any case, with or without accents, Chinese as substrings; kept up to date by every
write; the jump box's hits of each kind; and never a record outside the read scope."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import col, select

from tests.clihelp import Crm
from tests.conftest import NOW
from tinycrm.db.store import Database, session_scope
from tinycrm.models import CompanyCreate, ContactCreate, ContactUpdate, User
from tinycrm.normalize import fold, search_key
from tinycrm.services.access import load_actor
from tinycrm.services.companies import create_company, list_companies
from tinycrm.services.contacts import create_contact, list_contacts, update_contact
from tinycrm.services.deals import list_deals
from tinycrm.services.demo import load_demo
from tinycrm.services.search import fill_search_keys, jump


def demo(db: Database) -> None:
    with session_scope(db, write=True) as session:
        load_demo(session, now=NOW, currency="USD")


def contacts(db: Database, text: str) -> list[str]:
    with session_scope(db, write=False) as session:
        return [c.name for c in list_contacts(session, search=text)]


def test_fold_keeps_scripts_and_drops_case_accents_and_width() -> None:
    assert fold("  Lumière   CAFÉ ") == "lumiere cafe"
    assert fold("Straße Øster Łódź") == "strasse oster lodz"
    assert fold("李伟 Ｃｈｅｎ") == "李伟 chen"
    assert fold("한국어") == "한국어"  # recomposed: a syllable stays one character
    assert search_key("Zoë", None, "zoe@x.example", "") == "zoe\nzoe@x.example"


def test_every_word_anywhere_in_name_email_phone_company_and_tags(db: Database) -> None:
    demo(db)
    mesa = ["Emily Tsosie", "Jake Morales", "Ryan Carter"]
    assert contacts(db, "Mesa") == mesa  # inside the company name
    assert contacts(db, "blue SOLAR") == mesa  # every word, any case
    assert contacts(db, "mesa vip") == []  # every word must match somewhere
    assert contacts(db, "yunfan") == ["Zhang Min", "李伟", "陈静"]  # inside an email
    assert len(contacts(db, "example")) == 30
    assert contacts(db, "0187") == ["Emily Tsosie"]  # inside a phone
    assert contacts(db, "lumiere") == ["Camille Laurent", "Hugo Moreau"]  # Lumière
    assert contacts(db, "伟") == ["李伟"]
    assert len(contacts(db, "vip")) == 7  # a tag
    assert len(contacts(db, "VIP kestrel")) == 1
    assert contacts(db, "50%") == []  # LIKE's wildcards are plain characters
    assert len(contacts(db, "   ")) == 30


def test_companies_and_deals_search_by_the_same_rule(db: Database) -> None:
    demo(db)
    with session_scope(db, write=False) as session:
        assert [c.name for c in list_companies(session, search="MESA solar")] == ["Blue Mesa Solar"]
        assert [c.name for c in list_companies(session, search="bluemesasolar.example")] == [
            "Blue Mesa Solar"
        ]
        found = list_deals(session, search="mesa", status=None)  # Blue Mesa Solar's
        assert [(d.title, d.status) for d in found] == [
            ("Field service app", "lost"),
            ("Solar monitoring dashboards", "open"),
        ]
        assert list_deals(session, search="mesa nothing", status=None) == []


def test_the_search_key_follows_every_write(db: Database) -> None:
    with session_scope(db, write=True) as session:
        create_company(session, data=CompanyCreate(name="Ciné Lumière"), now=NOW)
        create_contact(
            session,
            data=ContactCreate(name="Zoë Brontë", email="zb@x.example", company="Ciné Lumière"),
            region="",
            now=NOW,
        )
    assert contacts(db, "zoe lumiere") == ["Zoë Brontë"]
    with session_scope(db, write=True) as session:
        renamed = ContactUpdate(name="Zoé Dupont")
        update_contact(session, ref="zb@x.example", data=renamed, region="")
    assert contacts(db, "bronte") == []
    assert contacts(db, "dupont cine") == ["Zoé Dupont"]
    with session_scope(db, write=True) as session:  # as a bulk writer leaves a row
        session.connection().exec_driver_sql("UPDATE contacts SET search_key = NULL")
    assert contacts(db, "dupont") == []
    with session_scope(db, write=True) as session:
        assert fill_search_keys(session) == 1
    assert contacts(db, "dupont") == ["Zoé Dupont"]


def test_an_import_is_searchable_at_once(crm: Crm, tmp_path: Path) -> None:
    source = tmp_path / "c.csv"
    source.write_text("name,email,company,tags\nFrançois Côté,fc@x.example,Société Générale,clé\n")
    crm("import", "contacts", str(source))
    for typed in ("francois cote", "societe generale", "cle", "FC@X"):
        found = crm("contact", "list", "-q", typed, "--format", "json").json()
        assert [c["name"] for c in found] == ["François Côté"], typed
    assert crm("company", "list", "-q", "societe", "--format", "json").json()[0]["contacts"] == 1


def test_jump_finds_each_kind_paged(db: Database) -> None:
    demo(db)
    with session_scope(db, write=False) as session:
        hits = jump(session, text="mesa")
        assert [(h.kind, h.title) for h in hits] == [
            ("contact", "Emily Tsosie"),
            ("contact", "Jake Morales"),
            ("contact", "Ryan Carter"),
            ("company", "Blue Mesa Solar"),
            ("deal", "Field service app"),
            ("deal", "Solar monitoring dashboards"),
        ]
        details = [h.detail for h in hits[-2:]]
        assert details == ["Blue Mesa Solar · lost", "Blue Mesa Solar · qualified"]
        assert hits[0].detail == "Blue Mesa Solar · emily.tsosie@bluemesasolar.example"
        assert jump(session, text="  ") == []
        paged = jump(session, text="example", limit=5)
        kinds = ["contact", "company", "deal", "ticket"]
        assert [h.kind for h in paged] == [k for k in kinds for _ in range(5)]  # via domains


def test_nothing_outside_the_read_scope_is_found(db: Database) -> None:
    demo(db)
    with session_scope(db, write=False) as session:

        def deals() -> set[int]:
            return {h.id for h in jump(session, text="a", limit=1000) if h.kind == "deal"}

        everyone = deals()
        daniel = session.exec(select(User).where(col(User.name) == "Daniel Okafor")).one()
        session.info["actor"] = load_actor(session, daniel)
        readable = {d.id for d in list_deals(session, status=None)}
        assert len(readable) < len(everyone) == 25
        assert deals() == readable & everyone
