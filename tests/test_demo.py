"""The demo data behind `crm demo`: exact counts, a consistent history, tasks around `now`,
refusal on a database with data, and the same data for the same `now` and seed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import phonenumbers
import pytest
from sqlalchemy import Select, func
from sqlmodel import Session, SQLModel, col, select

from tests.conftest import NOW
from tinycrm.config import load_settings
from tinycrm.db.store import Database, open_database, session_scope
from tinycrm.errors import Conflict, InvalidInput
from tinycrm.models import (
    Activity,
    Campaign,
    Company,
    CompanyCreate,
    Contact,
    ContactCreate,
    ContactTag,
    Deal,
    DealCreate,
    KbArticle,
    Order,
    Payment,
    Stage,
    StageChange,
    StageKind,
    Team,
    Ticket,
    User,
    UserCreate,
)
from tinycrm.services.companies import create_company
from tinycrm.services.contacts import create_contact
from tinycrm.services.deals import create_deal
from tinycrm.services.demo import REFUSAL, DemoSummary, load_demo
from tinycrm.services.users import create_user

EXPECTED = DemoSummary(
    users=4, companies=12, contacts=30, deals=25, stage_changes=84, activities=80,
    orders=7, payments=5, tickets=6, articles=4,
)  # fmt: skip
TABLES: dict[str, type[SQLModel]] = {
    "users": User,
    "companies": Company,
    "contacts": Contact,
    "deals": Deal,
    "stage_changes": StageChange,
    "activities": Activity,
    "orders": Order,
    "payments": Payment,
    "tickets": Ticket,
    "articles": KbArticle,
}
TODAY = NOW.date()


def count(session: Session, model: type[SQLModel]) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def table_counts(db: Database) -> dict[str, int]:
    with session_scope(db, write=False) as session:
        return {name: count(session, model) for name, model in TABLES.items()}


def load(db: Database, *, now: datetime = NOW, currency: str = "EUR", seed: int = 7) -> DemoSummary:
    with session_scope(db, write=True) as session:
        return load_demo(session, now=now, currency=currency, seed=seed)


@pytest.fixture
def demo(db: Database) -> Database:
    load(db)
    return db


def stage_names(session: Session) -> dict[int | None, str | None]:
    return {None: None, **{s.id: s.name for s in session.exec(select(Stage))}}


def history(session: Session, deal: Deal) -> list[StageChange]:
    query = select(StageChange).where(StageChange.deal_id == deal.id)
    return list(session.exec(query.order_by(col(StageChange.id))))


def test_summary_counts_are_the_rows_in_the_tables(db: Database) -> None:
    summary = load(db)

    assert summary == EXPECTED
    assert table_counts(db) == {
        "users": 4, "companies": 12, "contacts": 30, "deals": 25, "stage_changes": 84,
        "activities": 80, "orders": 7, "payments": 5, "tickets": 6, "articles": 4,
    }  # fmt: skip


def test_won_deals_have_orders_and_money_received(demo: Database) -> None:
    """Paid, partly paid and unpaid orders; one overdue; nothing dated after today."""
    with session_scope(demo, write=False) as session:
        orders = list(session.exec(select(Order).order_by(col(Order.id))))
        payments = list(session.exec(select(Payment)))
        won = {d.id: d for d in session.exec(select(Deal).where(Deal.status == "won"))}

    assert {o.deal_id for o in orders} == set(won)
    for deal_id, deal in won.items():
        assert sum(o.amount_minor for o in orders if o.deal_id == deal_id) == deal.amount_minor
    assert [(o.amount_minor, o.paid_minor) for o in orders] == [
        (1_250_000, 1_250_000), (2_400_000, 2_400_000), (2_400_000, 0),
        (3_640_000, 2_002_000), (475_000, 475_000), (2_780_000, 0), (960_000, 0),
    ]  # fmt: skip
    assert sum(p.amount_minor for p in payments) == 6_127_000
    assert all(o.ordered_on <= TODAY and p.received_on <= TODAY for o in orders for p in payments)
    overdue = [
        o.id
        for o in orders
        if o.paid_minor < o.amount_minor and o.due_on is not None and o.due_on < TODAY
    ]
    assert overdue == [4]


def test_service_desk_has_resolved_overdue_and_open_tickets(demo: Database) -> None:
    with session_scope(demo, write=False) as session:
        tickets = list(session.exec(select(Ticket).order_by(col(Ticket.id))))
        articles = {a.id: a.title for a in session.exec(select(KbArticle))}
        campaigns = {c.id: c.name for c in session.exec(select(Campaign))}
        brought = Counter(
            campaigns[c.campaign_id] for c in session.exec(select(Contact)) if c.campaign_id
        )

    now = NOW.replace(tzinfo=None)
    assert [(t.status, t.csat, articles.get(t.article_id or 0)) for t in tickets] == [
        ("resolved", 4, "Receipt printer troubleshooting"),
        ("resolved", 3, "Changing invoice details"),
        ("resolved", 5, "Tracker shows offline"),
        ("open", None, None), ("open", None, None), ("open", None, None),
    ]  # fmt: skip
    overdue = [
        t.subject
        for t in tickets
        if t.status == "open" and t.due_at is not None and t.due_at.replace(tzinfo=None) < now
    ]
    assert overdue == ["Wi-Fi drops in the east wing"]
    assert brought == {"Spring trade fair": 6, "Partner webinars": 3, "LinkedIn ads": 2}


def test_team_is_a_manager_and_three_reps_with_quarterly_quotas(demo: Database) -> None:
    with session_scope(demo, write=False) as session:
        users = list(session.exec(select(User).order_by(col(User.id))))
        sales = session.exec(select(Team)).one()

    assert [(u.name, u.role) for u in users] == [
        ("Maria Lopez", "manager"), ("Daniel Okafor", "rep"), ("王芳", "rep"),
        ("Priya Raman", "rep"),
    ]  # fmt: skip
    assert [u.quota_minor for u in users] == [6_000_000, 9_000_000, 8_000_000, 7_500_000]
    assert {u.quota_period for u in users} == {"quarter"}
    assert all(u.email and u.email.endswith("@brightdesk.example") for u in users)
    assert sales.name == "Sales" and {u.team_id for u in users} == {sales.id}


def test_companies_and_contacts_are_varied_and_valid(demo: Database) -> None:
    with session_scope(demo, write=False) as session:
        companies = list(session.exec(select(Company)))
        contacts = list(session.exec(select(Contact)))
        tags = Counter(session.exec(select(ContactTag.tag)))

    assert len({c.country for c in companies}) == 12
    assert len({c.industry for c in companies}) == 11
    assert all(c.domain and c.owner_id for c in companies)
    assert Counter(c.status for c in contacts) == {
        "prospect": 12, "customer": 10, "lead": 6, "inactive": 2,
    }  # fmt: skip
    assert tags == {"newsletter": 9, "vip": 7, "partner": 2}
    assert sum(c.company_id is None for c in contacts) == 2
    assert [c.full_name for c in contacts if c.owner_id is None] == ["Aisha Bello"]
    assert all(c.email and c.title and c.source for c in contacts)
    for contact in contacts:
        assert contact.phone_norm and contact.phone_norm.startswith("+")
        assert phonenumbers.is_valid_number(phonenumbers.parse(contact.phone_norm))


def test_deals_amounts_owners_and_closing_dates(demo: Database) -> None:
    with session_scope(demo, write=False) as session:
        deals = list(session.exec(select(Deal)))
        names = stage_names(session)
        owners = {u.id: u.name for u in session.exec(select(User))}

    open_deals = [d for d in deals if d.status == "open"]
    assert Counter(d.status for d in deals) == {"open": 15, "won": 6, "lost": 4}
    assert Counter(names[d.stage_id] for d in open_deals) == {
        "lead": 3, "contacted": 4, "qualified": 5, "negotiation": 3,
    }  # fmt: skip
    assert Counter(owners[d.owner_id] for d in deals) == {
        "Daniel Okafor": 9, "Priya Raman": 8, "王芳": 7, "Maria Lopez": 1,
    }  # fmt: skip
    assert sum(d.amount_minor for d in deals) == 49_345_000
    assert sum(d.amount_minor for d in deals if d.status == "won") == 13_905_000
    assert {d.currency for d in deals} == {"EUR"}
    assert sum(d.contact_id is not None for d in deals) == 25
    assert sum(d.company_id is not None for d in deals) == 24
    for deal in deals:
        assert NOW - timedelta(days=183) <= deal.created_at < NOW
        assert deal.expected_close is not None
        assert deal.expected_close >= deal.created_at.date()
    closes = [d.expected_close - TODAY for d in open_deals if d.expected_close]
    assert sum(days < timedelta(0) for days in closes) == 3
    assert sum(timedelta(0) < days <= timedelta(7) for days in closes) == 2
    assert sum(timedelta(20) <= days <= timedelta(45) for days in closes) == 6


def test_stage_history_is_complete_and_in_order(demo: Database) -> None:
    with session_scope(demo, write=False) as session:
        deals = list(session.exec(select(Deal)))
        histories = {deal.id: history(session, deal) for deal in deals}
        names = stage_names(session)

    for deal in deals:
        changes = histories[deal.id]
        times = [c.changed_at for c in changes]
        assert changes[0].from_stage_id is None
        assert times[0] == deal.created_at
        assert times == sorted(times) and len(set(times)) == len(times)
        assert all(t.tzinfo is not None and t.utcoffset() == timedelta(0) for t in times)
        assert all(deal.created_at <= t < NOW for t in times)
        for before, after in zip(changes, changes[1:], strict=False):
            assert after.from_stage_id == before.to_stage_id
        assert changes[-1].to_stage_id == deal.stage_id
        assert all(c.changed_by_id is not None for c in changes)
        if deal.status == "open":
            assert deal.closed_at is None and deal.lost_reason is None
        else:
            assert deal.closed_at == times[-1]
            assert names[deal.stage_id] == deal.status
    lost = [d.lost_reason for d in deals if d.status == "lost"]
    assert Counter(lost) == {"price": 2, "competitor": 1, "timing": 1}
    assert [d.lost_reason for d in deals if d.status == "won"] == [None] * 6


def test_one_deal_moved_backwards_once_by_the_manager(demo: Database) -> None:
    with session_scope(demo, write=False) as session:
        position = {s.id: s.position for s in session.exec(select(Stage))}
        open_ids = set(session.exec(select(Stage.id).where(Stage.kind == StageKind.open)))
        changes = list(session.exec(select(StageChange)))
        maria = session.exec(select(User).where(User.name == "Maria Lopez")).one()
        back = [c for c in changes
                if c.from_stage_id in open_ids and c.to_stage_id in open_ids
                and position[c.to_stage_id] < position[c.from_stage_id]]  # fmt: skip
        deal = session.get_one(Deal, back[0].deal_id) if back else None

    assert len(back) == 1
    assert back[0].changed_by_id == maria.id
    assert deal is not None and deal.title == "Solar monitoring dashboards"


def test_logged_activities_happened_in_the_past(demo: Database) -> None:
    with session_scope(demo, write=False) as session:
        logged = list(session.exec(select(Activity).where(col(Activity.done_at).is_not(None))))
        created = {d.id: d.created_at for d in session.exec(select(Deal))}

    assert len(logged) == 68
    assert sum(a.deal_id is not None for a in logged) == 59
    assert all(a.due_at is None and a.owner_id is not None for a in logged)
    assert all(a.contact_id is not None for a in logged)
    for activity in logged:
        assert activity.done_at is not None and activity.done_at < NOW
        if activity.deal_id is not None:
            assert activity.done_at >= created[activity.deal_id]
    notes = [a.subject for a in logged if a.subject.startswith("Lost: ")]
    assert sorted(notes) == ["Lost: competitor", "Lost: price", "Lost: price", "Lost: timing"]


def test_open_tasks_are_overdue_due_today_and_upcoming(demo: Database) -> None:
    with session_scope(demo, write=False) as session:
        tasks = list(session.exec(select(Activity).where(col(Activity.done_at).is_(None))))

    dues = [a.due_at for a in tasks if a.due_at is not None]
    assert len(tasks) == len(dues) == 12
    assert all(a.owner_id is not None for a in tasks)
    assert sum(due < NOW and due.date() < TODAY for due in dues) == 3
    assert sum(due.date() == TODAY and due > NOW for due in dues) == 2
    upcoming = [due for due in dues if due.date() > TODAY]
    assert len(upcoming) == 7
    assert all(due.date() <= TODAY + timedelta(days=14) for due in upcoming)
    assert all(time(8) <= due.time() <= time(18) and due.weekday() < 5 for due in dues)


def test_a_second_load_is_refused_and_changes_nothing(demo: Database) -> None:
    before = table_counts(demo)

    with session_scope(demo, write=True) as session:
        with pytest.raises(Conflict) as refused:
            load_demo(session, now=NOW + timedelta(days=1), currency="EUR")
        pending = {name: count(session, model) for name, model in TABLES.items()}

    assert refused.value.message == REFUSAL
    assert refused.value.exit_code == 3
    assert pending == before
    assert table_counts(demo) == before


def _user(session: Session) -> None:
    create_user(session, data=UserCreate(name="Ann Other"), currency="EUR")


def _company(session: Session) -> None:
    create_company(session, data=CompanyCreate(name="Other Ltd"))


def _contact(session: Session) -> None:
    create_contact(session, data=ContactCreate(name="Ann Other"), region="GB")


def _deal(session: Session) -> None:
    create_deal(session, data=DealCreate(title="Other deal"), currency="EUR", actor=None, now=NOW)


@pytest.mark.parametrize("add", [_user, _company, _contact, _deal])
def test_any_existing_record_refuses_the_demo(db: Database, add: Callable[[Session], None]) -> None:
    with session_scope(db, write=True) as session:
        add(session)
    before = table_counts(db)

    with pytest.raises(Conflict, match="demo data goes into a new database"):
        load(db)

    assert table_counts(db) == before


def test_bad_now_or_currency_writes_nothing(db: Database) -> None:
    with pytest.raises(InvalidInput, match="timezone-aware"):
        load(db, now=NOW.replace(tzinfo=None))
    with pytest.raises(InvalidInput, match="currency"):
        load(db, currency="EURO")

    assert set(table_counts(db).values()) == {0}


def open_file_db(path: Path) -> Database:
    return open_database(load_settings(db_path=str(path), currency="EUR"))


# Columns the services stamp with the wall clock, not with `now`, by table.
WALL_CLOCK = {
    "users": set(),
    "companies": set(),
    "contacts": set(),
    "contact_tags": set(),
    "deals": set(),
    "stage_changes": set(),
    "activities": {"created_at"},
    "campaigns": set(),
    "orders": set(),
    "payments": set(),
    "tickets": set(),
    "ticket_comments": set(),
    "kb_articles": set(),
}


def snapshot(db: Database) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table the demo fills, but for the wall-clock columns."""
    with db.engine.connect() as conn:
        return {name: [{k: v for k, v in row.items() if k not in skip}
                       for row in conn.execute(_all_rows(name)).mappings()]
                for name, skip in WALL_CLOCK.items()}  # fmt: skip


def _all_rows(name: str) -> Select[Any]:
    table = SQLModel.metadata.tables[name]
    return table.select().order_by(*table.primary_key.columns)


def deal_story(db: Database) -> list[tuple[Any, ...]]:
    """Title, amount, stage, owner and the full stage history of every deal, by name."""
    with session_scope(db, write=False) as session:
        names = stage_names(session)
        users = {u.id: u.name for u in session.exec(select(User))}
        return [(d.title, d.amount_minor, names[d.stage_id], users[d.owner_id],
                 [(c.changed_at, names[c.from_stage_id], names[c.to_stage_id],
                   users[c.changed_by_id]) for c in history(session, d)])
                for d in session.exec(select(Deal).order_by(col(Deal.id)))]  # fmt: skip


def test_same_now_and_seed_give_identical_data(tmp_path: Path) -> None:
    first, second = open_file_db(tmp_path / "a.db"), open_file_db(tmp_path / "b.db")
    try:
        assert load(first) == load(second) == EXPECTED
        assert deal_story(first) == deal_story(second)
        rows = snapshot(first)
        assert rows == snapshot(second)
    finally:
        first.engine.dispose()
        second.engine.dispose()

    assert {name: len(found) for name, found in rows.items()} == {
        "users": 4, "companies": 12, "contacts": 30, "contact_tags": 18, "deals": 25,
        "stage_changes": 84, "activities": 80, "campaigns": 3, "orders": 7, "payments": 5,
        "tickets": 6, "ticket_comments": 2, "kb_articles": 4,
    }  # fmt: skip
    entered = {c["created_at"] for c in rows["contacts"]} | {
        c["updated_at"] for c in rows["contacts"]
    }
    again = open_file_db(tmp_path / "a.db")
    with session_scope(again, write=False) as session:
        first_deal = session.exec(select(func.min(Deal.created_at))).one()
    again.engine.dispose()
    assert len(entered) == 1  # every person entered at one moment: before their deals
    assert next(iter(entered)).replace(tzinfo=None) < first_deal.replace(tzinfo=None)


def test_another_seed_gives_another_history_of_the_same_shape(tmp_path: Path) -> None:
    first, second = open_file_db(tmp_path / "a.db"), open_file_db(tmp_path / "b.db")
    try:
        assert load(first) == load(second, seed=8) == EXPECTED
        one, other = deal_story(first), deal_story(second)
    finally:
        first.engine.dispose()
        second.engine.dispose()

    assert [d[:4] for d in one] == [d[:4] for d in other]
    assert [d[4] for d in one] != [d[4] for d in other]


def test_amounts_follow_the_currency_decimals(tmp_path: Path) -> None:
    yen = open_file_db(tmp_path / "jpy.db")
    try:
        load(yen, currency="jpy")
        with session_scope(yen, write=False) as session:
            deal = session.exec(select(Deal).where(Deal.title == "Cloud migration")).one()
            quotas = list(session.exec(select(User.quota_minor).order_by(col(User.id))))
    finally:
        yen.engine.dispose()

    assert (deal.amount_minor, deal.currency) == (64_000, "JPY")
    assert quotas == [60_000, 90_000, 80_000, 75_000]
