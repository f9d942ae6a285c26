"""The app rolls contracts that renew by themselves over when it starts, as the commands that
show contracts do (`services.contracts.roll_over`): in a worker, for the acting user, so a
customer's Contracts section never shows such a contract expired; silent when nothing rolled
over, and a viewer's start leaves them for someone who may edit the order."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import col, select
from textual.widgets import Static

from tests.tuihelp import ACTOR, VIEWER, database, make_app, notices, recording, rendered, settle
from tinycrm.context import AppState
from tinycrm.db.store import session_scope
from tinycrm.models import AuditEntry, CompanyCreate, Contract, DealCreate, Role, UserCreate
from tinycrm.screens.board import BoardScreen
from tinycrm.screens.company import CompanyScreen
from tinycrm.screens.dialogs import ChoiceDialog
from tinycrm.services.companies import create_company
from tinycrm.services.contracts import create_contract
from tinycrm.services.deals import create_deal, win_deal
from tinycrm.services.orders import create_order
from tinycrm.services.users import create_user
from tinycrm.tui import CrmApp

pytestmark = [pytest.mark.asyncio]
SIZE = (120, 40)
NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
YESTERDAY = NOW.date() - timedelta(days=1)


def shop(path: Path, *, ended: date) -> int:
    """Acme's order #1 with contract #1 (auto) and #2 (manual), both from 2025-11-23 to
    `ended`, 1,200.00 USD; returns Acme's id."""
    db = database(path)
    with session_scope(db, write=True) as s:
        create_user(s, data=UserCreate(name=ACTOR, role=Role.manager), currency="USD", now=NOW)
        create_user(s, data=UserCreate(name=VIEWER, role=Role.viewer), currency="USD", now=NOW)
        acme = create_company(s, data=CompanyCreate(name="Acme"))
        deal = create_deal(
            s, data=DealCreate(title="Support", amount_minor=120_000, company="Acme"),
            currency="USD", actor=None, now=NOW,
        )  # fmt: skip
        win_deal(s, ref=deal.id, actor=None, now=NOW)
        order = create_order(s, deal=deal.id, amount=None, ordered_on=date(2025, 11, 20), now=NOW)
        for renew in ("auto", "manual"):
            create_contract(s, order=order.id, starts_on=date(2025, 11, 23), ends_on=ended,
                            renew=renew, now=NOW, today=NOW.date())  # fmt: skip
    db.engine.dispose()
    return acme.row.id


def contracts(path: Path) -> list[tuple[int, date, date, str, int | None]]:
    db = database(path)
    with session_scope(db, write=False) as s:
        found = s.exec(select(Contract).order_by(col(Contract.id)))
        rows = [(c.id or 0, c.starts_on, c.ends_on, str(c.status), c.renewed_from_id)
                for c in found]  # fmt: skip
    db.engine.dispose()
    return rows


def logged(path: Path) -> list[tuple[int | None, str, int | None, str]]:
    """The audit log's contract entries: record, action, user, source."""
    db = database(path)
    with session_scope(db, write=False) as s:
        query = select(AuditEntry).where(AuditEntry.object == "contracts")
        rows = [(e.record_id, e.action, e.user_id, e.source)
                for e in s.exec(query.order_by(col(AuditEntry.id)))]  # fmt: skip
    db.engine.dispose()
    return rows


async def test_the_app_start_rolls_over_a_term_that_ended_yesterday(
    empty_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRM_NOW", NOW.isoformat())
    acme = shop(empty_db, ended=YESTERDAY)
    before = logged(empty_db)
    async with make_app(empty_db).run_test(size=SIZE) as pilot:
        first = pilot.app.screen
        await settle(pilot)
        pilot.app.push_screen(CompanyScreen(acme))
        await settle(pilot)
        shown = rendered(pilot.app.screen.query_one("#company-contracts", Static))
        said = [(n.message, n.severity) for n in notices(pilot.app)]
    assert isinstance(first, BoardScreen)  # the board came first; the rollover ran behind it
    assert contracts(empty_db) == [
        (1, date(2025, 11, 23), YESTERDAY, "renewed", None),
        (2, date(2025, 11, 23), YESTERDAY, "active", None),  # manual: it reads expired
        (3, NOW.date(), date(2027, 11, 22), "active", 1),  # as long: 365 days
    ]
    assert logged(empty_db)[len(before) :] == [(1, "renew", None, "system"),
                                               (3, "create", None, "system")]  # fmt: skip
    assert said == [
        ("contract #1 renewed by itself: its next term #3 runs 2026-11-23 to 2027-11-22",
         "information"),
    ]  # fmt: skip
    rows = [line.split()[:2] + line.split()[-2:-1] for line in shown.splitlines()[1:]]
    assert [r for r in rows if r] == [
        ["#1", "#1", "renewed"], ["#2", "#1", "expired"], ["#3", "#1", "active"],
    ]  # fmt: skip


async def test_nothing_to_roll_over_is_silent(
    empty_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRM_NOW", NOW.isoformat())
    shop(empty_db, ended=NOW.date())  # its last day is today: not yet
    async with make_app(empty_db).run_test(size=SIZE) as pilot:
        await settle(pilot)
        said = notices(pilot.app)
    assert said == []
    assert [c[3] for c in contracts(empty_db)] == ["active", "active"]


async def test_a_viewers_start_rolls_nothing_over(
    empty_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRM_NOW", NOW.isoformat())
    shop(empty_db, ended=YESTERDAY)
    app = make_app(empty_db, as_user=VIEWER)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = pilot.app.screen
        said = notices(pilot.app)
    assert isinstance(screen, BoardScreen) and said == []
    assert [c[3] for c in contracts(empty_db)] == ["active", "active"]


async def test_a_user_chosen_at_start_rolls_over_then(
    empty_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRM_NOW", NOW.isoformat())
    shop(empty_db, ended=YESTERDAY)
    app = recording(CrmApp(AppState(db_path=str(empty_db))))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        asked = pilot.app.screen
        unrolled = [c[3] for c in contracts(empty_db)]
        await pilot.press("enter")  # the first name: Maria Lopez, a manager
        await settle(pilot)
        said = [n.message for n in notices(pilot.app)]
    assert isinstance(asked, ChoiceDialog) and unrolled == ["active", "active"]
    assert [c[3] for c in contracts(empty_db)] == ["renewed", "active", "active"]
    assert said == ["contract #1 renewed by itself: its next term #3 runs 2026-11-23 to 2027-11-22"]
