"""Activities: logging what happened, scheduling what is due, timelines, and clean-up."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, col, select

from tests.conftest import NOW
from tinycrm.db.store import Database, session_scope
from tinycrm.errors import Conflict, InvalidInput, NotFound
from tinycrm.models import (
    Activity,
    ActivityCreate,
    ActivityKind,
    ActivityUpdate,
    CompanyCreate,
    ContactCreate,
    DealCreate,
    UserCreate,
)
from tinycrm.services import activities, companies, contacts, deals, users
from tinycrm.services.filters import State
from tinycrm.services.refs import resolve_user

EARLIER = NOW - timedelta(days=2)
LATER = NOW + timedelta(days=3)


@pytest.fixture
def book(db: Database) -> Database:
    """Ann (a rep); Acme with Carla; Globex with Dan; Eve with no company; deal #1 with Carla
    at Acme, deal #2 with no contact at Globex."""
    with session_scope(db, write=True) as s:
        users.create_user(s, data=UserCreate(name="Ann Lee"), currency="EUR")
        users.create_user(s, data=UserCreate(name="Bob Stone"), currency="EUR")
        for name in ("Acme", "Globex"):
            companies.create_company(s, data=CompanyCreate(name=name))
        for name, company in (("Carla Diaz", "Acme"), ("Dan Brown", "Globex"), ("Eve Adams", None)):
            contacts.create_contact(s, data=ContactCreate(name=name, company=company), region="US")
        for deal in (
            DealCreate(title="Anvils", contact="Carla Diaz"),
            DealCreate(title="Rockets", company="Globex"),
        ):
            deals.create_deal(s, data=deal, currency="EUR", actor=None, now=NOW)
    return db


def log(s: Session, actor: str | None = None, **fields: Any) -> activities.ActivityRow:
    fields.setdefault("kind", ActivityKind.call)
    fields.setdefault("subject", "Call")
    return activities.log_activity(
        s, data=ActivityCreate(**fields), actor=resolve_user(s, actor) if actor else None, now=NOW
    )


def schedule(s: Session, **fields: Any) -> activities.ActivityRow:
    fields.setdefault("kind", ActivityKind.task)
    fields.setdefault("subject", "Follow up")
    return activities.schedule_activity(s, data=ActivityCreate(**fields), actor=None)


def test_log_activity_happens_now_by_default(book: Database) -> None:
    with session_scope(book, write=True) as s:
        row = log(s, actor="ann", kind=ActivityKind.meeting, subject=" Kick-off ", body=" Agenda ")
    assert (row.id, row.kind, row.subject, row.body) == (1, "meeting", "Kick-off", "Agenda")
    assert (row.done_at, row.due_at, row.at, row.owner) == (NOW, None, NOW, "Ann Lee")


def test_log_activity_at_a_given_time_for_another_owner(book: Database) -> None:
    with session_scope(book, write=True) as s:
        row = log(s, actor="ann", done_at=EARLIER, owner="bob")
    assert (row.done_at, row.owner) == (EARLIER, "Bob Stone")


@pytest.mark.parametrize(
    ("kind", "subject", "body", "expected"),
    [
        (ActivityKind.note, "", "Wants a demo\nNext week, after the budget", "Wants a demo"),
        (ActivityKind.note, "", "\n\n  Budget approved\nby the CFO", "Budget approved"),
        (ActivityKind.note, "  ", "x" * 100, "x" * 80),
        (ActivityKind.note, "Own subject", "Body", "Own subject"),
        (ActivityKind.call, "", None, "Call"),
        (ActivityKind.email, "", "   ", "Email"),
    ],
)
def test_subject_comes_from_the_first_line_of_the_note(
    book: Database, kind: ActivityKind, subject: str, body: str | None, expected: str
) -> None:
    with session_scope(book, write=True) as s:
        row = log(s, kind=kind, subject=subject, body=body)
    assert row.subject == expected


def test_subject_from_the_first_line_is_trimmed(book: Database) -> None:
    with session_scope(book, write=True) as s:
        row = log(s, kind=ActivityKind.note, subject="", body="Called Ann   \nShe wants a demo")
    assert row.subject == "Called Ann"


@pytest.mark.parametrize(
    ("links", "expected"),
    [
        # links given -> (contact, company, deal) stored
        ({"deal": 1}, ("Carla Diaz", "Acme", 1)),  # a deal brings its contact and company
        ({"deal": 2}, (None, "Globex", 2)),
        ({"contact": "carla diaz"}, ("Carla Diaz", "Acme", None)),  # a contact, their company
        ({"contact": "Eve Adams"}, ("Eve Adams", None, None)),
        ({"company": "GLOBEX"}, (None, "Globex", None)),
        ({"contact": "Carla Diaz", "company": "Globex"}, ("Carla Diaz", "Globex", None)),
        ({"deal": 1, "contact": "Dan Brown"}, ("Dan Brown", "Acme", 1)),
        ({"deal": 2, "contact": "Eve Adams"}, ("Eve Adams", "Globex", 2)),
        ({}, (None, None, None)),
    ],
)
def test_links_are_denormalised(
    book: Database, links: dict[str, Any], expected: tuple[str | None, str | None, int | None]
) -> None:
    with session_scope(book, write=True) as s:
        row = log(s, **links)
    assert (row.contact, row.company, row.deal_id) == expected


@pytest.mark.parametrize(
    ("links", "message"),
    [
        ({"deal": 99}, "deal not found: 99"),
        ({"contact": "nobody"}, "contact not found: 'nobody'"),
        ({"company": "Initech"}, "company not found: 'Initech'"),
    ],
)
def test_unknown_links_are_refused(book: Database, links: dict[str, Any], message: str) -> None:
    with pytest.raises(NotFound, match=f"^{message}$"), session_scope(book, write=True) as s:
        log(s, **links)
    with session_scope(book, write=False) as s:
        assert activities.list_activities(s) == []


def test_schedule_needs_a_due_time(book: Database) -> None:
    with pytest.raises(InvalidInput) as caught, session_scope(book, write=True) as s:
        schedule(s, contact="Carla Diaz")
    assert caught.value.message == "due: a scheduled activity needs a due time"
    assert caught.value.field == "due"


def test_schedule_then_complete(book: Database) -> None:
    with session_scope(book, write=True) as s:
        row = schedule(s, due_at=LATER, deal=1)
        assert (row.due_at, row.done_at, row.at, row.deal) == (LATER, None, LATER, "Anvils")
        done = activities.complete_activity(s, ref=row.id, now=NOW)
        assert (done.due_at, done.done_at, done.at) == (LATER, NOW, NOW)
    with pytest.raises(Conflict) as caught, session_scope(book, write=True) as s:
        activities.complete_activity(s, ref=row.id, now=LATER)
    assert caught.value.message == f"activity #{row.id} is already done"
    assert caught.value.exit_code == 3
    with session_scope(book, write=False) as s:
        assert activities.get_activity(s, ref=row.id).done_at == NOW


def test_complete_a_logged_activity_is_a_conflict(book: Database) -> None:
    with session_scope(book, write=True) as s:
        row = log(s)
    with pytest.raises(Conflict), session_scope(book, write=True) as s:
        activities.complete_activity(s, ref=row.id, now=LATER)


def test_timelines_are_newest_first(book: Database) -> None:
    with session_scope(book, write=True) as s:
        log(s, subject="old call", contact="Carla Diaz", done_at=EARLIER)
        schedule(s, subject="next week", contact="Carla Diaz", due_at=LATER)
        log(s, subject="deal note", deal=1, done_at=NOW - timedelta(hours=1))
        log(s, subject="acme meeting", company="Acme", done_at=NOW)
        schedule(s, subject="overdue", contact="Carla Diaz", due_at=EARLIER - timedelta(days=1))
        log(s, subject="same time, later id", contact="Carla Diaz", done_at=EARLIER)
        log(s, subject="dan", contact="Dan Brown", done_at=NOW)
    timelines: dict[str, dict[str, Any]] = {
        "contact": {"contact_id": 1},
        "company": {"company_id": 1},
        "deal": {"deal_id": 1},
    }
    with session_scope(book, write=False) as s:
        found = {
            name: [a.subject for a in activities.list_activities(s, **filters)]
            for name, filters in timelines.items()
        }
    assert found == {
        "contact": ["next week", "deal note", "same time, later id", "old call", "overdue"],
        "company": [
            "next week",
            "acme meeting",
            "deal note",
            "same time, later id",
            "old call",
            "overdue",
        ],
        "deal": ["deal note"],
    }


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"state": State.open}, ["next week", "overdue task"]),
        ({"state": State.done}, ["meeting", "old call"]),
        ({"state": State.open, "due_before": NOW}, ["overdue task"]),
        ({"kind": ActivityKind.meeting}, ["meeting"]),
        ({"owner": "bob"}, ["next week"]),
        ({"limit": 2, "offset": 1}, ["meeting", "old call"]),
    ],
)
def test_list_activities_filters(
    book: Database, filters: dict[str, Any], expected: list[str]
) -> None:
    with session_scope(book, write=True) as s:
        log(s, subject="old call", done_at=EARLIER)
        log(s, subject="meeting", kind=ActivityKind.meeting)
        schedule(s, subject="next week", due_at=LATER, owner="bob")
        schedule(s, subject="overdue task", due_at=EARLIER - timedelta(days=1))
    with session_scope(book, write=False) as s:
        assert [a.subject for a in activities.list_activities(s, **filters)] == expected


def test_update_activity(book: Database) -> None:
    with session_scope(book, write=True) as s:
        row = schedule(s, due_at=LATER, contact="Eve Adams")
        row = activities.update_activity(
            s, ref=row.id, data=ActivityUpdate(subject="Send quote", due_at=NOW, deal=2)
        )
    assert (row.subject, row.due_at) == ("Send quote", NOW)
    assert (row.deal, row.company, row.contact) == ("Rockets", "Globex", "Eve Adams")
    with pytest.raises(InvalidInput, match="^subject: must not be empty"):
        with session_scope(book, write=True) as s:
            activities.update_activity(s, ref=row.id, data=ActivityUpdate(subject="  "))


# Which activities go when records are deleted: those whose every link is to a deleted record.
LINKED: dict[str, dict[str, Any]] = {
    "contact 1": {"contact_id": 1},
    "contact 2": {"contact_id": 2},
    "company 1": {"company_id": 1},
    "contact 1 at company 1": {"contact_id": 1, "company_id": 1},
    "deal 1 with contact 1 at company 1": {"deal_id": 1, "contact_id": 1, "company_id": 1},
    "deal 2 at company 2": {"deal_id": 2, "company_id": 2},
    "nothing": {},
}


@pytest.mark.parametrize(
    ("gone", "deleted"),
    [
        ({"contact_ids": [1]}, ["contact 1"]),
        ({"contact_ids": [1, 2]}, ["contact 1", "contact 2"]),
        ({"company_ids": [1]}, ["company 1"]),
        (
            {"contact_ids": [1], "company_ids": [1]},
            ["contact 1", "company 1", "contact 1 at company 1"],
        ),
        ({"deal_ids": [2]}, []),
        ({"deal_ids": [2], "company_ids": [2]}, ["deal 2 at company 2"]),
        (
            {"deal_ids": [1], "contact_ids": [1], "company_ids": [1]},
            [
                "contact 1",
                "company 1",
                "contact 1 at company 1",
                "deal 1 with contact 1 at company 1",
            ],
        ),
        ({}, []),
    ],
)
def test_delete_sole_activities(
    book: Database, gone: dict[str, list[int]], deleted: list[str]
) -> None:
    with session_scope(book, write=True) as s:
        for subject, links in LINKED.items():
            s.add(Activity(kind=ActivityKind.note, subject=subject, done_at=NOW, **links))
        s.flush()
        activities.delete_sole_activities(s, **gone)
    with session_scope(book, write=False) as s:
        left = s.exec(select(Activity.subject).order_by(col(Activity.id))).all()
    assert left == [subject for subject in LINKED if subject not in deleted]


def test_delete_activity(book: Database) -> None:
    with session_scope(book, write=True) as s:
        first, second = log(s, subject="first"), log(s, subject="second")
        assert activities.delete_activity(s, ref=first.id).subject == "first"
    with session_scope(book, write=False) as s:
        assert [a.id for a in activities.list_activities(s)] == [second.id]
        with pytest.raises(NotFound, match="^activity not found: 1$"):
            activities.get_activity(s, ref=first.id)
