"""A won deal makes its contact a customer, when they were a prospect: in the service that
wins it (so `crm deal won`, a move to the won stage and the app all do it), recorded in
the audit log like any edit of the contact."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from tests.clihelp import Crm
from tests.conftest import NOW
from tinycrm.db.store import Database, session_scope
from tinycrm.models import AuditEntry, Contact, ContactCreate, ContactStatus, DealCreate
from tinycrm.services import contacts, deals

T1 = NOW + timedelta(hours=1)
PEOPLE = {
    "Carla Diaz": ContactStatus.prospect,
    "Li Wei": ContactStatus.lead,
    "Old Client": ContactStatus.customer,
    "Gone Away": ContactStatus.inactive,
}


def test_winning_makes_a_prospect_a_customer_and_no_one_else(db: Database) -> None:
    with session_scope(db, write=True) as s:
        for name, status in PEOPLE.items():
            contacts.create_contact(s, data=ContactCreate(name=name, status=status), region="US")
            deals.create_deal(
                s, data=DealCreate(title=f"{name}'s deal", contact=name), currency="EUR",
                actor=None, now=NOW,
            )  # fmt: skip
        deals.create_deal(s, data=DealCreate(title="Nobody's"), currency="EUR", actor=None, now=NOW)
    with session_scope(db, write=True) as s:
        deals.win_deal(s, ref=1, actor=None, now=T1)  # Carla
        deals.move_deal(s, ref=2, stage="won", actor=None, now=T1)  # Li Wei, by a move
        for deal_id in (3, 4, 5):
            deals.win_deal(s, ref=deal_id, actor=None, now=T1)
    with session_scope(db, write=False) as s:
        found = {c.full_name: c.status for c in s.exec(select(Contact))}
        carla = s.exec(select(Contact).where(Contact.full_name == "Carla Diaz")).one()
        edits = list(
            s.exec(
                select(AuditEntry)
                .where(AuditEntry.object == "contacts", AuditEntry.action == "edit")
                .order_by(col(AuditEntry.id))
            )
        )
    assert found == {
        "Carla Diaz": "customer",
        "Li Wei": "lead",
        "Old Client": "customer",
        "Gone Away": "inactive",
    }
    assert (carla.version, carla.updated_at) == (2, T1)
    assert [(e.record_id, e.changes["status"]) for e in edits] == [
        (carla.id, ["prospect", "customer"])
    ]


def test_winning_a_second_deal_changes_nothing_more(db: Database) -> None:
    with session_scope(db, write=True) as s:
        contacts.create_contact(s, data=ContactCreate(name="Carla Diaz"), region="US")
        for title in ("First", "Second"):
            deals.create_deal(
                s, data=DealCreate(title=title, contact="Carla Diaz"), currency="EUR",
                actor=None, now=NOW,
            )  # fmt: skip
    with session_scope(db, write=True) as s:
        deals.win_deal(s, ref=1, actor=None, now=T1)
        deals.win_deal(s, ref=2, actor=None, now=T1)
    with session_scope(db, write=False) as s:
        carla = s.exec(select(Contact)).one()
        edits = s.exec(select(AuditEntry).where(AuditEntry.object == "contacts")).all()
    assert (carla.status, carla.version) == ("customer", 2)
    assert [e.action for e in edits] == ["create", "edit"]


def test_crm_deal_won_makes_the_contact_a_customer(crm: Crm) -> None:
    crm("user", "add", "Ana Ruiz", "--role", "admin")
    crm("contact", "add", "Carla Diaz", "--email", "carla@example.com")
    crm("deal", "add", "Fleet", "--amount", "900", "--contact", "carla@example.com")
    before = crm("contact", "show", "1", "-f", "json").json()["status"]
    said = crm("--as", "ana", "deal", "won", "1").out
    after = crm("contact", "show", "1", "-f", "json").json()["status"]
    log = crm("--as", "ana", "audit", "list", "--object", "contacts", "-f", "json").json()
    assert (before, after) == ("prospect", "customer")
    assert "deal #1 won: Fleet" in said
    assert [(e["action"], e["user"], e["changes"].get("status")) for e in log] == [
        ("edit", "Ana Ruiz", ["prospect", "customer"]),
        ("create", None, [None, "prospect"]),
    ]
