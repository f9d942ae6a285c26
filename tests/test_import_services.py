"""The import services on mapped rows: duplicates, policies, all-or-nothing, undo, history."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import func, select

from tests.conftest import NOW
from tinycrm.db.store import Database, session_scope
from tinycrm.errors import Conflict
from tinycrm.models import (
    Company,
    Contact,
    ContactCreate,
    ContactTag,
    Deal,
    ImportBatch,
    StageChange,
    UserCreate,
)
from tinycrm.services import activities, contacts, deals, users
from tinycrm.services.imports import (
    ImportOptions,
    ImportRow,
    OnDuplicate,
    PossibleDuplicate,
    undo_batch,
)
from tinycrm.services.imports.deals import import_activities, import_deals
from tinycrm.services.imports.people import import_companies, import_contacts


def rows(*records: dict[str, str], first_line: int = 2) -> list[ImportRow]:
    """Rows as the mapper hands them over; `custom:` keys become custom fields."""
    out = []
    for line, record in enumerate(records, start=first_line):
        fields = {k: v for k, v in record.items() if not k.startswith("custom:")}
        custom = {k[7:]: v for k, v in record.items() if k.startswith("custom:")}
        out.append(ImportRow(line, fields, custom, None, dict(record)))
    return out


def options(**kw: Any) -> ImportOptions:
    return ImportOptions(now=NOW, currency="EUR", region="FR", **kw)


def run(db: Database, importer: Any, data: list[ImportRow], **kw: Any) -> Any:
    with session_scope(db, write=True) as s:
        return importer(s, rows=data, source="test.csv", options=options(**kw))


def count(db: Database, model: type) -> int:
    with session_scope(db, write=False) as s:
        return s.exec(select(func.count()).select_from(model)).one()


PEOPLE = rows(
    {
        "name": "Li Wei",
        "email": " LI.WEI@acme.example ",
        "phone": "+33 6 12 34 56 78",
        "company": "Acme",
        "tags": "VIP; newsletter",
        "custom:city": "Lyon",
    },
    {"first_name": "Zoë", "last_name": "Martin", "phone": "06 98 76 54 32", "status": "Customer"},
    {"name": "Li W. (again)", "email": "li.wei@ACME.example"},  # same email: same person
    {"name": "Bob", "phone": "+33 6 98 76 54 32"},  # same phone as Zoë: someone else
    {"name": "Sam", "external_id": "hs-7", "company": "acme "},
    {"name": "ZOË  martin", "phone": "+33698765432"},  # same phone and name: Zoë again
)


def test_contacts_import_dedupes_inside_the_file_and_keeps_custom_fields(db: Database) -> None:
    result, rejected = run(db, import_contacts, PEOPLE)
    assert (result.created, result.skipped, result.rejected, rejected) == (4, 2, 0, [])
    assert result.also_created == {"companies": 1, "users": 0}
    assert result.custom_fields == ["city"]
    assert result.possible_duplicates == [
        PossibleDuplicate(5, "Bob", "phone", "Zoë Martin", other_id=2, other_line=3)
    ]
    with session_scope(db, write=False) as s:
        listed = {c.name: c for c in contacts.list_contacts(s)}
        li = contacts.get_contact(s, ref="li.wei@acme.example")
    assert sorted(listed) == ["Bob", "Li Wei", "Sam", "Zoë Martin"]
    assert (li.row.company, li.row.tags, li.custom) == (
        "Acme",
        ["newsletter", "vip"],
        {"city": "Lyon"},
    )
    assert (listed["Zoë Martin"].status, listed["Sam"].company) == ("customer", "Acme")
    assert count(db, Company) == 1


def test_the_same_import_twice_creates_nothing_the_second_time(db: Database) -> None:
    run(db, import_contacts, PEOPLE)
    result, _ = run(db, import_contacts, PEOPLE)
    assert (result.created, result.skipped, result.possible_duplicates) == (0, 6, [])
    assert (count(db, Contact), count(db, Company), count(db, ContactTag)) == (4, 1, 2)


def test_update_fills_in_without_blanking(db: Database) -> None:
    run(db, import_contacts, PEOPLE)
    again = rows(
        {"email": "li.wei@acme.example", "title": "Buyer", "custom:size": "40", "tags": "partner"},
        {"name": "Sam", "external_id": "hs-7", "notes": "met at the fair"},
    )
    result, _ = run(db, import_contacts, again, on_duplicate=OnDuplicate.update)
    assert (result.created, result.updated) == (0, 2)
    with session_scope(db, write=False) as s:
        li = contacts.get_contact(s, ref="li.wei@acme.example")
        sam = contacts.get_contact(s, ref="Sam")
    assert (li.row.name, li.row.title, li.custom) == (
        "Li Wei",
        "Buyer",
        {"city": "Lyon", "size": "40"},
    )
    assert (sam.notes, li.row.tags) == ("met at the fair", ["newsletter", "partner", "vip"])


def test_on_duplicate_error_rejects_the_duplicates(db: Database) -> None:
    result, rejected = run(db, import_contacts, PEOPLE, on_duplicate=OnDuplicate.error)
    assert (result.rejected, result.written) == (2, False)
    assert [(r.line, r.column, r.reason) for r in rejected] == [
        (4, "email", "duplicate of an earlier row"),
        (7, "phone", "duplicate of an earlier row"),
    ]
    assert count(db, Contact) == 0


BAD = rows(
    {"name": "Good One", "email": "good@x.example"},
    {"name": "Bad Mail", "email": "not-an-email"},
    {"name": "Ghost Owned", "owner": "ghost"},
    {"email": ""},
    {"name": "Odd", "status": "vip"},
)


def test_one_bad_row_writes_nothing_and_every_bad_row_is_listed(db: Database) -> None:
    result, rejected = run(db, import_contacts, BAD)
    assert (result.created, result.rejected, result.written, result.batch_id) == (1, 4, False, None)
    assert [(r.line, r.column) for r in rejected] == [
        (3, "email"),
        (4, "owner"),
        (5, "name"),
        (6, "status"),
    ]
    assert rejected[0].reason == "email: not an email address: 'not-an-email'"
    assert (rejected[1].reason, rejected[1].use) == ("unknown user 'ghost'", "create owners")
    assert rejected[0].raw == {"name": "Bad Mail", "email": "not-an-email"}
    assert (count(db, Contact), count(db, ImportBatch)) == (0, 0)


def test_skip_errors_writes_the_good_rows(db: Database) -> None:
    result, rejected = run(db, import_contacts, BAD, skip_errors=True)
    assert (result.created, result.rejected, result.written, len(rejected)) == (1, 4, True, 4)
    assert count(db, Contact) == 1


def test_create_owners_adds_unknown_owners(db: Database) -> None:
    result, _ = run(
        db,
        import_contacts,
        rows(
            {"name": "A", "owner": "Ana Ruiz"},
            {"name": "B", "owner": "ana ruiz"},
            {"name": "C", "owner": "bo@shop.example"},
        ),
        create_owners=True,
    )
    assert (result.created, result.also_created["users"]) == (3, 2)
    with session_scope(db, write=False) as s:
        assert [(u.name, u.email, u.open_deals) for u in users.list_users(s, currency="EUR")] == [
            ("Ana Ruiz", None, 0),
            ("bo", "bo@shop.example", 0),
        ]


def test_dry_run_counts_and_writes_nothing(db: Database) -> None:
    result, _ = run(db, import_contacts, PEOPLE, dry_run=True)
    assert (result.created, result.skipped, result.written) == (4, 2, False)
    assert (count(db, Contact), count(db, Company), count(db, ImportBatch)) == (0, 0, 0)


def test_undo_removes_what_the_import_created_not_what_it_updated(db: Database) -> None:
    with session_scope(db, write=True) as s:
        contacts.create_contact(
            s, data=ContactCreate(name="Old", email="old@x.example"), region="FR"
        )
    data = rows({"email": "old@x.example", "title": "Chief"}, {"name": "New", "company": "Initech"})
    result, _ = run(db, import_contacts, data, on_duplicate=OnDuplicate.update)
    assert (result.created, result.updated, result.batch_id) == (1, 1, 1)
    with session_scope(db, write=True) as s:
        removed = undo_batch(s, batch_id=1, now=NOW)
    assert removed == {"activities": 0, "deals": 0, "contacts": 1, "companies": 1}
    with session_scope(db, write=False) as s:
        assert [(c.name, c.title) for c in contacts.list_contacts(s)] == [("Old", "Chief")]
    with pytest.raises(Conflict, match="already undone"), session_scope(db, write=True) as s:
        undo_batch(s, batch_id=1, now=NOW)


def test_companies_are_the_same_by_name_or_domain(db: Database) -> None:
    data = rows(
        {"name": "Acme Ltd", "domain": "https://www.acme.example/"},
        {"name": "ACME  ltd"},
        {"name": "Acme Limited", "domain": "acme.example"},
        {"name": "Globex", "industry": "energy", "custom:size": "500"},
    )
    result, _ = run(db, import_companies, data)
    assert (result.created, result.skipped, result.custom_fields) == (2, 2, ["size"])


@pytest.fixture
def team(db: Database) -> Database:
    with session_scope(db, write=True) as s:
        users.create_user(
            s, data=UserCreate(name="Ana Ruiz", email="ana@shop.example"), currency="EUR"
        )
    return db


DEALS = rows(
    {
        "title": "Acme renewal",
        "amount": "12,500.50",
        "stage": "Appointment scheduled",
        "company": "Acme",
        "contact": "li@acme.example",
        "owner": "ana",
        "expected_close": "2026-12-31",
        "created_at": "2026-10-01",
        "custom:pipeline": "Sales",
    },
    {
        "title": "Lost one",
        "amount": "900",
        "stage": "qualified",
        "status": "lost",
        "lost_reason": "price",
        "company": "Globex",
        "created_at": "2026-09-01",
        "closed_at": "2026-10-15",
    },
    {"title": "Won one", "amount": "5k", "stage": "won", "company": "Acme"},
    {"title": "Acme renewal", "company": "acme", "amount": "1"},  # same title, same company
)


def test_deals_import_with_stage_map_status_and_history(team: Database) -> None:
    result, rejected = run(
        team, import_deals, DEALS, stage_map={"Appointment scheduled": "contacted"}
    )
    assert (result.created, result.skipped, rejected) == (3, 1, [])
    assert result.also_created == {"companies": 2, "contacts": 1, "users": 0}
    with session_scope(team, write=False) as s:
        found = {d.title: d for d in deals.list_deals(s, status=None)}
        history = {
            t: [
                (h.from_stage, h.to_stage, h.at.date().isoformat())
                for h in deals.get_deal(s, ref=d.id).history
            ]
            for t, d in found.items()
        }
    renewal = found["Acme renewal"]
    assert (renewal.amount.minor, renewal.stage, renewal.owner, renewal.contact) == (
        1250050,
        "contacted",
        "Ana Ruiz",
        "li@acme.example",
    )
    assert history["Acme renewal"] == [
        (None, "lead", "2026-10-01"),
        ("lead", "contacted", "2026-10-01"),
    ]
    # lost from the stage the file names, at the time it closed
    assert (found["Lost one"].status, found["Lost one"].lost_reason) == ("lost", "price")
    assert history["Lost one"][-2:] == [
        ("contacted", "qualified", "2026-09-01"),
        ("qualified", "lost", "2026-10-15"),
    ]
    assert [to for _, to, _ in history["Won one"]] == [
        "lead",
        "contacted",
        "qualified",
        "negotiation",
        "won",
    ]
    assert count(team, StageChange) == 2 + 4 + 5


def test_deals_import_twice_creates_nothing(team: Database) -> None:
    run(team, import_deals, DEALS, stage_map={"Appointment scheduled": "contacted"})
    result, _ = run(team, import_deals, DEALS, stage_map={"Appointment scheduled": "contacted"})
    assert (result.created, result.skipped) == (0, 4)
    assert (count(team, Deal), count(team, StageChange)) == (3, 11)


@pytest.mark.parametrize(
    ("record", "column", "reason"),
    [
        (
            {"title": "X", "stage": "nowhere"},
            "stage",
            "unknown stage 'nowhere' (one of: lead, contacted, qualified, negotiation, won, lost)",
        ),
        ({"title": "X", "amount": "-5"}, "amount", "amount: must not be negative: '-5'"),
        ({"title": "X", "status": "maybe"}, "status", "unknown status 'maybe' (open, won or lost)"),
        ({"title": "X", "owner": "nobody"}, "owner", "unknown user 'nobody'"),
        ({"amount": "5"}, "title", "a deal needs a title"),
        (
            {"title": "X", "expected_close": "soonish"},
            "expected_close",
            "expected_close: not a date or time I can read: 'soonish'",
        ),
    ],
)
def test_bad_deal_rows_name_column_and_reason(
    team: Database, record: dict[str, str], column: str, reason: str
) -> None:
    result, rejected = run(team, import_deals, rows(record))
    assert [(r.line, r.column, r.reason) for r in rejected] == [(2, column, reason)]
    assert count(team, Deal) == 0


def test_activity_log_links_records_and_is_not_doubled(team: Database) -> None:
    run(
        team,
        import_deals,
        rows(
            {
                "title": "Acme renewal",
                "company": "Acme",
                "contact": "li@acme.example",
                "external_id": "pd-1",
            }
        ),
    )
    log = rows(
        {
            "kind": "Call",
            "subject": "Intro call",
            "contact": "LI@acme.example",
            "company": "acme",
            "deal": "pd-1",
            "done_at": "2026-11-02 10:00",
        },
        {
            "kind": "meeting",
            "body": "Demo at their office\nbring the tablet",
            "owner": "ana",
            "due_at": "2026-12-01 14:00",
            "custom:room": "B2",
        },
        {"kind": "fax", "subject": "?"},
    )
    result, rejected = run(team, import_activities, log, skip_errors=True)
    assert (result.created, result.rejected, result.custom_fields) == (2, 1, ["room"])
    assert [(r.line, r.column) for r in rejected] == [(4, "kind")]
    with session_scope(team, write=False) as s:
        logged = {a.subject: a for a in activities.list_activities(s)}
    call, demo = logged["Intro call"], logged["Demo at their office"]
    assert (call.kind, call.contact, call.company, call.deal) == (
        "call",
        "li@acme.example",
        "Acme",
        "Acme renewal",
    )
    assert call.done_at is not None and call.done_at.isoformat() == "2026-11-02T10:00:00+00:00"
    assert (demo.kind, demo.owner, demo.done_at) == ("meeting", "Ana Ruiz", None)
    again, _ = run(team, import_activities, log, skip_errors=True)
    assert (again.created, again.skipped) == (0, 2)
