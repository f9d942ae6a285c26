"""Users (the team) and the pipeline's stages."""

from __future__ import annotations

import pytest
from sqlmodel import select

from tests.conftest import NOW
from tinycrm.db.store import Database, session_scope
from tinycrm.errors import Ambiguous, Conflict, InvalidInput, NotFound
from tinycrm.models import (
    Company,
    CompanyCreate,
    DealCreate,
    QuotaPeriod,
    StageChange,
    StageKind,
    UserCreate,
    UserUpdate,
)
from tinycrm.money import Money
from tinycrm.services import companies, deals, stages, users
from tinycrm.services.refs import resolve_user

TEAM = ["Ann Lee", "Bob Stone", "Alice Smith", "Alan Turing"]


@pytest.fixture
def team(db: Database) -> Database:
    with session_scope(db, write=True) as s:
        for name in TEAM:
            email = name.split()[0].lower() + "@example.com"
            users.create_user(s, data=UserCreate(name=name, email=email), currency="EUR")
    return db


def names(db: Database) -> list[str]:
    with session_scope(db, write=False) as s:
        return [u.name for u in users.list_users(s, currency="EUR")]


# --- users -----------------------------------------------------------------------------------


def test_create_user_cleans_name_and_email(db: Database) -> None:
    with session_scope(db, write=True) as s:
        row = users.create_user(
            s,
            data=UserCreate(
                name="  Ann Lee ",
                email=" Ann@Example.COM",
                quota_minor=5_000_000,
                quota_period=QuotaPeriod.quarter,
            ),
            currency="EUR",
        )
    assert (row.name, row.email, row.role) == ("Ann Lee", "ann@example.com", "rep")
    assert (row.quota, row.quota_period, row.open_deals) == (Money(5_000_000, "EUR"), "quarter", 0)
    with session_scope(db, write=False) as s:
        assert users.get_user(s, ref="ann lee", currency="EUR") == row


@pytest.mark.parametrize(
    ("name", "email", "message"),
    [
        ("ANN  lee", None, "name: a user named 'Ann Lee' already exists (#1)"),
        ("Annie", "ANN@example.com", "email: user #1 'Ann Lee' already has 'ann@example.com'"),
    ],
)
def test_user_name_and_email_are_unique(
    team: Database, name: str, email: str | None, message: str
) -> None:
    with pytest.raises(Conflict) as caught, session_scope(team, write=True) as s:
        users.create_user(s, data=UserCreate(name=name, email=email), currency="EUR")
    assert caught.value.message == message
    assert caught.value.exit_code == 3
    assert names(team) == sorted(TEAM, key=str.lower)


@pytest.mark.parametrize(
    ("data", "field"),
    [(UserCreate(name="  "), "name"), (UserCreate(name="X", email="x@"), "email")],
)
def test_create_user_rejects_bad_input(db: Database, data: UserCreate, field: str) -> None:
    with pytest.raises(InvalidInput) as caught, session_scope(db, write=True) as s:
        users.create_user(s, data=data, currency="EUR")
    assert caught.value.field == field
    assert names(db) == []


def test_update_user_keeps_names_unique(team: Database) -> None:
    with session_scope(team, write=True) as s:
        row = users.update_user(
            s, ref="bob", data=UserUpdate(name="Robert Stone", email="ROB@x.com"), currency="EUR"
        )
        assert (row.name, row.email) == ("Robert Stone", "rob@x.com")
        recased = UserUpdate(name="robert stone")  # not a clash with itself
        assert users.update_user(s, ref="rob", data=recased, currency="EUR").name == "robert stone"
    with pytest.raises(Conflict, match="already exists"), session_scope(team, write=True) as s:
        users.update_user(s, ref="robert", data=UserUpdate(name="ann lee"), currency="EUR")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("50000/quarter", (5_000_000, QuotaPeriod.quarter)),
        ("12k/month", (1_200_000, QuotaPeriod.month)),
        ("1m / Year", (100_000_000, QuotaPeriod.year)),
        ("12,500.50/month", (1_250_050, QuotaPeriod.month)),
    ],
)
def test_parse_quota(text: str, expected: tuple[int, QuotaPeriod]) -> None:
    assert users.parse_quota(text, currency="EUR") == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("50000", "write it as AMOUNT/PERIOD, e.g. 50000/quarter"),
        ("5000/week", "period must be month, quarter or year"),
        ("lots/month", "not an amount"),
        ("-5/month", "must not be negative"),
    ],
)
def test_parse_quota_rejects(text: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        users.parse_quota(text, currency="EUR")
    assert caught.value.field == "quota"
    assert reason in caught.value.message


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("1", "Ann Lee"),
        ("#2", "Bob Stone"),
        ("  ALICE@example.com ", "Alice Smith"),
        ("alan turing", "Alan Turing"),
        ("ann", "Ann Lee"),  # a unique prefix of the first name
        ("b", "Bob Stone"),
        ("tur", "Alan Turing"),  # ... or of another word of the name
        ("SMI", "Alice Smith"),
        ("alic", "Alice Smith"),
    ],
)
def test_resolve_user(team: Database, ref: str, expected: str) -> None:
    with session_scope(team, write=False) as s:
        assert resolve_user(s, ref).name == expected


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("al", "user 'al' is ambiguous: matches #3 Alice Smith, #4 Alan Turing"),
        ("a", "user 'a' is ambiguous: matches #1 Ann Lee, #3 Alice Smith, #4 Alan Turing"),
    ],
)
def test_ambiguous_user_lists_candidates(team: Database, ref: str, message: str) -> None:
    with pytest.raises(Ambiguous) as caught, session_scope(team, write=False) as s:
        resolve_user(s, ref)
    assert caught.value.message == message


def test_exact_name_beats_a_prefix(team: Database) -> None:
    with session_scope(team, write=True) as s:
        users.create_user(s, data=UserCreate(name="Al"), currency="EUR")
        assert resolve_user(s, "al").name == "Al"


@pytest.mark.parametrize("ref", ["zed", "99", "nobody@example.com", "50%"])
def test_unknown_user_is_not_found(team: Database, ref: str) -> None:
    with pytest.raises(NotFound, match="^user not found: "), session_scope(team, write=False) as s:
        resolve_user(s, ref)


def test_delete_user_leaves_what_they_owned_ownerless(team: Database) -> None:
    with session_scope(team, write=True) as s:
        bob = resolve_user(s, "bob")
        companies.create_company(s, data=CompanyCreate(name="Acme", owner="bob"))
        deal = deals.create_deal(
            s,
            data=DealCreate(title="Big order", company="Acme"),
            currency="EUR",
            actor=bob,
            now=NOW,
        )
        deals.move_deal(s, ref=deal.id, stage="qualified", actor=bob, now=NOW)
        assert users.count_owned(s, user_id=bob.id or 0) == {"deals": 1, "activities": 0}
        assert users.get_user(s, ref="bob", currency="EUR").open_deals == 1
        users.delete_user(s, ref="bob")
    with session_scope(team, write=False) as s:
        row = deals.get_deal(s, ref=deal.id)
        assert (row.row.title, row.row.owner, row.row.stage) == ("Big order", None, "qualified")
        assert [h.by for h in row.history] == [None, None]
        assert s.exec(select(Company.owner_id)).one() is None
        assert len(s.exec(select(StageChange)).all()) == 2
    assert "Bob Stone" not in names(team)


# --- stages ----------------------------------------------------------------------------------

DEFAULT = [
    ("lead", 10, "open"),
    ("contacted", 20, "open"),
    ("qualified", 40, "open"),
    ("negotiation", 70, "open"),
    ("won", 100, "won"),
    ("lost", 0, "lost"),
]


def pipeline(db: Database) -> list[tuple[str, int, str]]:
    with session_scope(db, write=False) as s:
        rows = stages.list_stages(s)
    assert [r.position for r in rows] == sorted(r.position for r in rows)
    return [(r.name, r.probability, r.kind) for r in rows]


def test_default_stages(db: Database) -> None:
    with session_scope(db, write=False) as s:
        rows = stages.list_stages(s)
    assert [(r.name, r.probability, r.kind) for r in rows] == DEFAULT
    assert [r.position for r in rows] == [1, 2, 3, 4, 5, 6]
    assert [r.open_deals for r in rows] == [0] * 6


@pytest.mark.parametrize(
    ("before", "index"),
    [(None, 4), ("qualified", 2), ("LEAD", 0), ("lost", 5)],
)
def test_add_stage_placement(db: Database, before: str | None, index: int) -> None:
    with session_scope(db, write=True) as s:
        row = stages.add_stage(s, name=" Demo ", probability=50, before=before)
    assert (row.name, row.position, row.probability, row.kind) == ("Demo", index + 1, 50, "open")
    expected = [*DEFAULT[:index], ("Demo", 50, "open"), *DEFAULT[index:]]
    with session_scope(db, write=False) as s:
        assert [r.position for r in stages.list_stages(s)] == [1, 2, 3, 4, 5, 6, 7]
    assert pipeline(db) == expected


def test_add_stage_rejects_duplicates_and_unknown_anchor(db: Database) -> None:
    with pytest.raises(Conflict, match="^name: stage 'qualified' already exists$"):
        with session_scope(db, write=True) as s:
            stages.add_stage(s, name="Qualified", probability=50)
    with pytest.raises(InvalidInput, match="unknown stage"), session_scope(db, write=True) as s:
        stages.add_stage(s, name="Demo", probability=50, before="nowhere")
    assert pipeline(db) == DEFAULT


def test_rename_stage_shows_on_deals(db: Database) -> None:
    with session_scope(db, write=True) as s:
        deal = deals.create_deal(
            s, data=DealCreate(title="Big order"), currency="EUR", actor=None, now=NOW
        )
        row = stages.edit_stage(s, ref="lead", name="New lead", probability=15)
        assert (row.name, row.position, row.probability, row.open_deals) == ("New lead", 1, 15, 1)
        assert deals.get_deal(s, ref=deal.id).row.stage == "New lead"
    with pytest.raises(Conflict), session_scope(db, write=True) as s:
        stages.edit_stage(s, ref="new lead", name="WON")
    assert pipeline(db)[0] == ("New lead", 15, "open")


def test_move_stage_with_edit(db: Database) -> None:
    with session_scope(db, write=True) as s:
        stages.edit_stage(s, ref="negotiation", before="contacted")
    order = [name for name, _, _ in pipeline(db)]
    assert order == ["lead", "negotiation", "contacted", "qualified", "won", "lost"]


def test_move_stage_before_itself_is_a_no_op(db: Database) -> None:
    with session_scope(db, write=True) as s:
        stages.edit_stage(s, ref="qualified", before="qualified")
    assert pipeline(db) == DEFAULT


@pytest.mark.parametrize("probability", [0, 100])
def test_probability_bounds_are_inclusive(db: Database, probability: int) -> None:
    with session_scope(db, write=True) as s:
        assert stages.add_stage(s, name="Demo", probability=probability).probability == probability
        assert stages.edit_stage(s, ref="lead", probability=probability).probability == probability
    assert pipeline(db)[0] == ("lead", probability, "open")


@pytest.mark.parametrize("probability", [-1, 101])
@pytest.mark.parametrize("action", ["add", "edit"])
def test_probability_out_of_bounds_is_refused(db: Database, action: str, probability: int) -> None:
    with pytest.raises(InvalidInput) as caught, session_scope(db, write=True) as s:
        if action == "add":
            stages.add_stage(s, name="Demo", probability=probability)
        else:
            stages.edit_stage(s, ref="lead", probability=probability)
    assert caught.value.message == f"probability: must be between 0 and 100: {probability!r}"
    assert pipeline(db) == DEFAULT


def test_remove_unused_stage(db: Database) -> None:
    with session_scope(db, write=True) as s:
        stages.remove_stage(s, ref="contacted")
    assert pipeline(db) == [stage for stage in DEFAULT if stage[0] != "contacted"]


def test_remove_stage_refused_while_a_deal_is_in_it(db: Database) -> None:
    with session_scope(db, write=True) as s:
        deals.create_deal(
            s, data=DealCreate(title="Big order"), currency="EUR", actor=None, now=NOW
        )
    with pytest.raises(Conflict) as caught, session_scope(db, write=True) as s:
        stages.remove_stage(s, ref="lead")
    assert caught.value.message == (
        "stage 'lead' is used by 1 deal and 1 stage change; move the deals first or rename it"
    )
    assert pipeline(db) == DEFAULT


def test_remove_stage_refused_when_in_history_only(db: Database) -> None:
    with session_scope(db, write=True) as s:
        deal = deals.create_deal(
            s,
            data=DealCreate(title="Big order", stage="contacted"),
            currency="EUR",
            actor=None,
            now=NOW,
        )
        deals.move_deal(s, ref=deal.id, stage="qualified", actor=None, now=NOW)
    with pytest.raises(Conflict, match="used by 0 deals and 2 stage changes;"):
        with session_scope(db, write=True) as s:
            stages.remove_stage(s, ref="contacted")
    assert pipeline(db) == DEFAULT


@pytest.mark.parametrize("name", ["won", "lost"])
def test_remove_the_only_closed_stage_of_a_kind_is_refused(db: Database, name: str) -> None:
    with pytest.raises(Conflict, match=f"^stage '{name}' is the only {name} stage$"):
        with session_scope(db, write=True) as s:
            stages.remove_stage(s, ref=name)
    assert pipeline(db) == DEFAULT


def test_remove_a_closed_stage_when_another_of_its_kind_exists(db: Database) -> None:
    with session_scope(db, write=True) as s:
        stages.add_stage(s, name="No budget", probability=0, kind=StageKind.lost, before="lost")
        stages.remove_stage(s, ref="lost")
        deal = deals.create_deal(
            s, data=DealCreate(title="Big order"), currency="EUR", actor=None, now=NOW
        )
        lost = deals.lose_deal(s, ref=deal.id, reason=None, actor=None, now=NOW)
    assert (lost.stage, lost.status) == ("No budget", "lost")
    assert pipeline(db)[-2:] == [("won", 100, "won"), ("No budget", 0, "lost")]
