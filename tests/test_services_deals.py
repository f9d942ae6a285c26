"""Deals: creation, moves through the pipeline with their recorded history, lists."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, func, select

from tests.conftest import NOW
from tinycrm.config import load_settings
from tinycrm.db.store import Database, open_database, session_scope
from tinycrm.errors import Conflict, InvalidInput
from tinycrm.models import (
    CompanyCreate,
    ContactCreate,
    Deal,
    DealCreate,
    DealStatus,
    DealUpdate,
    StageChange,
    User,
    UserCreate,
)
from tinycrm.money import Money
from tinycrm.services import companies, contacts, deals, users
from tinycrm.services.deal_rows import DealRow
from tinycrm.services.deals import StageChangeRow
from tinycrm.services.refs import resolve_user

NAME_IT = "name the stage to move it to"

T1 = NOW + timedelta(days=1)
T2 = NOW + timedelta(days=2, hours=3)


@pytest.fixture
def team(db: Database) -> Database:
    """Two reps, Acme with Carla, and Globex."""
    with session_scope(db, write=True) as s:
        for name in ("Ann Lee", "Bob Stone"):
            users.create_user(s, data=UserCreate(name=name), currency="EUR")
        companies.create_company(s, data=CompanyCreate(name="Acme"))
        companies.create_company(s, data=CompanyCreate(name="Globex"))
        contacts.create_contact(
            s, data=ContactCreate(name="Carla Diaz", company="Acme"), region="US"
        )
    return db


def user(s: Session, name: str) -> User:
    return resolve_user(s, name)


def new_deal(s: Session, actor: str | None = "ann", **fields: Any) -> DealRow:
    fields.setdefault("title", "Big order")
    return deals.create_deal(
        s,
        data=DealCreate(**fields),
        currency="EUR",
        actor=user(s, actor) if actor else None,
        now=NOW,
    )


def history(db: Database, deal_id: int) -> list[StageChangeRow]:
    with session_scope(db, write=False) as s:
        return deals.get_deal(s, ref=deal_id).history


def test_create_deal_records_where_it_starts(team: Database) -> None:
    with session_scope(team, write=True) as s:
        row = new_deal(s, amount_minor=1_250_050, expected_close=date(2026, 12, 31))
    assert (row.id, row.title, row.stage, row.status) == (1, "Big order", "lead", "open")
    assert row.amount == Money(1_250_050, "EUR")
    assert (row.owner, row.company, row.contact) == ("Ann Lee", None, None)
    assert (row.created_at, row.stage_since, row.closed_at) == (NOW, NOW, None)
    assert row.expected_close == date(2026, 12, 31)
    assert history(team, 1) == [StageChangeRow(NOW, None, "lead", "Ann Lee")]


@pytest.mark.parametrize(
    ("fields", "company", "contact", "owner"),
    [
        ({"contact": "Carla Diaz"}, "Acme", "Carla Diaz", "Ann Lee"),  # the contact's company
        ({"contact": "carla diaz", "company": "Globex"}, "Globex", "Carla Diaz", "Ann Lee"),
        ({"company": "globex", "owner": "bob"}, "Globex", None, "Bob Stone"),
    ],
)
def test_create_deal_links(
    team: Database, fields: dict[str, str], company: str, contact: str | None, owner: str
) -> None:
    with session_scope(team, write=True) as s:
        row = new_deal(s, **fields)
    assert (row.company, row.contact, row.owner) == (company, contact, owner)


@pytest.mark.parametrize(
    ("currency", "expected"), [(None, "EUR"), ("usd", "USD"), (" jpy ", "JPY")]
)
def test_create_deal_currency(team: Database, currency: str | None, expected: str) -> None:
    with session_scope(team, write=True) as s:
        row = new_deal(s, amount_minor=500, currency=currency)
    assert row.amount == Money(500, expected)


def test_create_deal_at_a_closed_stage_closes_it(team: Database) -> None:
    with session_scope(team, write=True) as s:
        row = new_deal(s, stage="WON", actor=None)
    assert (row.stage, row.status, row.closed_at, row.owner) == ("won", "won", NOW, None)
    assert history(team, row.id) == [StageChangeRow(NOW, None, "won", None)]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"amount_minor": -1}, "amount"),
        ({"title": "   "}, "title"),
        ({"currency": "euro"}, "currency"),
        ({"stage": "closing"}, "stage"),
    ],
)
def test_create_deal_rejects_bad_input(team: Database, fields: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as caught, session_scope(team, write=True) as s:
        new_deal(s, **fields)
    assert caught.value.field == field
    with session_scope(team, write=False) as s:
        assert s.exec(select(func.count()).select_from(Deal)).one() == 0
        assert s.exec(select(func.count()).select_from(StageChange)).one() == 0


MOVES = {
    "move": lambda s, by: deals.move_deal(s, ref=1, stage="Negotiation", actor=by, now=T1),
    "win": lambda s, by: deals.win_deal(s, ref=1, actor=by, now=T1),
    "lose": lambda s, by: deals.lose_deal(s, ref="#1", reason=" too pricey ", actor=by, now=T1),
    "move to lost": lambda s, by: deals.move_deal(
        s, ref=1, stage="lost", reason="gone", actor=by, now=T1
    ),
    "step": lambda s, by: deals.step_deal(s, ref=1, step=1, actor=by, now=T1),
}


@pytest.mark.parametrize(
    ("move", "stage", "status", "closed_at", "reason"),
    [
        ("move", "negotiation", "open", None, None),
        ("win", "won", "won", T1, None),
        ("lose", "lost", "lost", T1, "too pricey"),
        ("move to lost", "lost", "lost", T1, "gone"),
        ("step", "contacted", "open", None, None),
    ],
)
def test_moves_are_recorded(
    team: Database,
    move: str,
    stage: str,
    status: str,
    closed_at: datetime | None,
    reason: str | None,
) -> None:
    with session_scope(team, write=True) as s:
        new_deal(s)
        row = MOVES[move](s, user(s, "bob"))
    assert (row.stage, row.status, row.stage_since) == (stage, status, T1)
    assert (row.closed_at, row.lost_reason) == (closed_at, reason)
    assert history(team, 1) == [
        StageChangeRow(NOW, None, "lead", "Ann Lee"),
        StageChangeRow(T1, "lead", stage, "Bob Stone"),
    ]


def test_reopening_a_lost_deal_clears_its_closing(team: Database) -> None:
    with session_scope(team, write=True) as s:
        new_deal(s)
        deals.lose_deal(s, ref=1, reason="no budget", actor=user(s, "ann"), now=T1)
        row = deals.move_deal(s, ref=1, stage="qualified", actor=user(s, "bob"), now=T2)
    assert (row.stage, row.status) == ("qualified", "open")
    assert (row.closed_at, row.lost_reason) == (None, None)
    assert [(h.at, h.from_stage, h.to_stage, h.by) for h in history(team, 1)] == [
        (NOW, None, "lead", "Ann Lee"),
        (T1, "lead", "lost", "Ann Lee"),
        (T2, "lost", "qualified", "Bob Stone"),
    ]
    with session_scope(team, write=False) as s:
        assert [d.title for d in deals.list_deals(s)] == ["Big order"]  # open again


def test_winning_after_losing_clears_the_reason(team: Database) -> None:
    with session_scope(team, write=True) as s:
        new_deal(s)
        deals.lose_deal(s, ref=1, reason="no budget", actor=None, now=T1)
        row = deals.win_deal(s, ref=1, actor=None, now=T2)
    assert (row.status, row.closed_at, row.lost_reason) == ("won", T2, None)


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (
            lambda s: deals.move_deal(s, ref=1, stage="LEAD", actor=None, now=T1),
            "deal #1 is already in stage 'lead'",
        ),
        (
            lambda s: (
                deals.win_deal(s, ref=1, actor=None, now=T1),
                deals.win_deal(s, ref=1, actor=None, now=T2),
            ),
            "deal #1 is already won",
        ),
    ],
    ids=["move-to-own-stage", "win-twice"],
)
def test_moving_to_the_current_stage_is_refused(team: Database, action: Any, message: str) -> None:
    with session_scope(team, write=True) as s:
        new_deal(s)
    with pytest.raises(Conflict) as caught, session_scope(team, write=True) as s:
        action(s)
    assert caught.value.message == message
    assert [h.to_stage for h in history(team, 1)] == ["lead"]


@pytest.mark.parametrize(
    ("start", "step", "expected"),
    [
        ("lead", 1, "contacted"),
        ("contacted", 1, "qualified"),
        ("negotiation", -1, "qualified"),
        ("contacted", -1, "lead"),
    ],
)
def test_step_deal(team: Database, start: str, step: int, expected: str) -> None:
    with session_scope(team, write=True) as s:
        new_deal(s, stage=start)
        row = deals.step_deal(s, ref=1, step=step, actor=None, now=T1)
    assert (row.stage, row.status) == (expected, "open")
    assert [(h.from_stage, h.to_stage) for h in history(team, 1)] == [
        (None, start),
        (start, expected),
    ]


@pytest.mark.parametrize(
    ("start", "step", "message"),
    [
        ("negotiation", 1, "deal #1 is already at the last open stage"),
        ("lead", -1, "deal #1 is already at the first open stage"),
        ("won", 1, "deal #1 is won, not open: only an open deal moves a step; " + NAME_IT),
        ("lost", -1, "deal #1 is lost, not open: only an open deal moves a step; " + NAME_IT),
    ],
)
def test_step_deal_edges(team: Database, start: str, step: int, message: str) -> None:
    with session_scope(team, write=True) as s:
        new_deal(s, stage=start)
    with pytest.raises(Conflict) as caught, session_scope(team, write=True) as s:
        deals.step_deal(s, ref=1, step=step, actor=None, now=T1)
    assert caught.value.message == message
    assert len(history(team, 1)) == 1


@pytest.fixture
def pipeline(team: Database) -> Database:
    """Five deals: three open (two Ann's), one won, one lost."""
    with session_scope(team, write=True) as s:
        for title, amount, owner, stage, close in [
            ("Anvils", 50_000, "ann", "lead", date(2026, 12, 15)),
            ("Rockets", 900_000, "bob", "qualified", date(2026, 12, 1)),
            ("Magnets", 120_000, "ann", "qualified", None),
            ("Springs", 300_000, "ann", "negotiation", date(2026, 11, 30)),
            ("Glue", 10_000, "bob", "contacted", date(2027, 1, 10)),
        ]:
            new_deal(
                s,
                actor=owner,
                title=title,
                amount_minor=amount,
                stage=stage,
                expected_close=close,
                company="Acme",
            )
        deals.win_deal(s, ref=4, actor=None, now=T1)
        deals.lose_deal(s, ref=5, reason="price", actor=None, now=T2)
    return team


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["Rockets", "Anvils", "Magnets"]),  # open only, by expected close, none last
        ({"status": None, "sort": "id"}, ["Anvils", "Rockets", "Magnets", "Springs", "Glue"]),
        ({"status": DealStatus.won}, ["Springs"]),
        ({"status": DealStatus.lost}, ["Glue"]),
        ({"stage": "Qualified"}, ["Rockets", "Magnets"]),
        ({"stage": "won", "status": None}, ["Springs"]),
        ({"owner": "ann"}, ["Anvils", "Magnets"]),
        ({"owner": "bob", "status": None, "sort": "title"}, ["Glue", "Rockets"]),
        ({"sort": "-amount"}, ["Rockets", "Magnets", "Anvils"]),
        ({"sort": "-amount", "status": None, "limit": 2}, ["Rockets", "Springs"]),
        ({"sort": "amount", "status": None, "offset": 3}, ["Springs", "Rockets"]),
        ({"sort": "stage,title"}, ["Anvils", "Magnets", "Rockets"]),
        (
            {"sort": "-closed,id", "status": None},
            ["Glue", "Springs", "Anvils", "Rockets", "Magnets"],
        ),
        ({"search": "ROCK"}, ["Rockets"]),
        ({"search": "acme"}, ["Rockets", "Anvils", "Magnets"]),
        ({"company": "acme", "contact": None}, ["Rockets", "Anvils", "Magnets"]),
    ],
)
def test_list_deals(pipeline: Database, filters: dict[str, Any], expected: list[str]) -> None:
    with session_scope(pipeline, write=False) as s:
        assert [d.title for d in deals.list_deals(s, **filters)] == expected


def test_list_deals_rejects_unknown_sort(pipeline: Database) -> None:
    with pytest.raises(InvalidInput) as caught, session_scope(pipeline, write=False) as s:
        deals.list_deals(s, sort="-profit")
    assert caught.value.field == "sort"
    assert caught.value.message.endswith("'-profit'")


def test_stage_since_is_the_last_move(pipeline: Database) -> None:
    with session_scope(pipeline, write=True) as s:
        deals.move_deal(s, ref=1, stage="contacted", actor=None, now=T1)
        deals.move_deal(s, ref=1, stage="qualified", actor=None, now=T2)
    with session_scope(pipeline, write=False) as s:
        rows = {d.title: d for d in deals.list_deals(s, status=None)}
    assert {t: (r.stage, r.stage_since) for t, r in rows.items()} == {
        "Anvils": ("qualified", T2),
        "Rockets": ("qualified", NOW),
        "Magnets": ("qualified", NOW),
        "Springs": ("won", T1),
        "Glue": ("lost", T2),
    }
    assert rows["Anvils"].created_at == NOW


def test_update_deal(pipeline: Database) -> None:
    with session_scope(pipeline, write=True) as s:
        row = deals.update_deal(
            s,
            ref=1,
            now=T1,
            data=DealUpdate(
                title=" Anvils x2 ",
                amount_minor=100_000,
                currency="usd",
                company="Globex",
                owner="bob",
                expected_close=None,
            ),
        )
    assert (row.title, row.amount) == ("Anvils x2", Money(100_000, "USD"))
    assert (row.company, row.owner, row.expected_close) == ("Globex", "Bob Stone", None)
    assert (row.stage, row.stage_since) == ("lead", NOW)  # an edit is not a move
    with pytest.raises(InvalidInput, match="^amount: must not be negative: -5$"):
        with session_scope(pipeline, write=True) as s:
            deals.update_deal(s, ref=1, data=DealUpdate(amount_minor=-5), now=T2)


def test_delete_deal_deletes_its_history(pipeline: Database) -> None:
    with session_scope(pipeline, write=True) as s:
        assert deals.delete_deal(s, ref=4).title == "Springs"
    with session_scope(pipeline, write=False) as s:
        changes = s.exec(select(StageChange.deal_id).order_by(col(StageChange.id))).all()
        assert changes == [1, 2, 3, 5, 5]


def test_search_finds_a_deal_by_its_exact_title(team: Database) -> None:
    with session_scope(team, write=True) as s:
        new_deal(s, title="Straßenbau")
    with session_scope(team, write=False) as s:
        assert [d.title for d in deals.list_deals(s, search="Straßenbau")] == ["Straßenbau"]


def test_sqlite_search_ignores_case_of_non_ascii_letters(tmp_path: Path) -> None:
    """About SQLite's lower(), so on a SQLite file of its own (PostgreSQL's depends on the
    server's locale)."""
    db = open_database(load_settings(db_path=str(tmp_path / "own.db")))
    try:
        with session_scope(db, write=True) as s:
            new_deal(s, actor=None, title="Ölberg")
        with session_scope(db, write=False) as s:
            assert [d.title for d in deals.list_deals(s, search="ölberg")] == ["Ölberg"]
    finally:
        db.engine.dispose()


def test_stage_history_never_runs_backwards(team: Database) -> None:
    """Time in stage and conversion come from the history: a move dated before the last
    change (a skewed clock on another machine) is refused, and nothing is recorded."""
    with session_scope(team, write=True) as s:
        deal = new_deal(s, title="Clock")
        deals.move_deal(s, ref=deal.id, stage="qualified", actor=None, now=T1)
    with pytest.raises(InvalidInput, match=r"^time: before deal #1's last stage change"):
        with session_scope(team, write=True) as s:
            deals.win_deal(s, ref=1, actor=None, now=NOW + timedelta(hours=1))
    assert [h.to_stage for h in history(team, 1)] == ["lead", "qualified"]
