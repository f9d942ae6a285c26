"""Company and contact detail: the Contracts section (hidden when there are none), redeeming
points from the palette (refused beyond the balance in the service's one line), and a
follow-up call recorded with its outcome and satisfaction; a viewer is refused in a notice."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from tests.conftest import NOW
from tests.tuihelp import ACTOR, VIEWER, database, make_app, notices, palette, rendered, settle
from tinycrm.db.store import session_scope
from tinycrm.models import CompanyCreate, ContactCreate, DealCreate, FollowUp, Role, UserCreate
from tinycrm.screens.company import CompanyScreen
from tinycrm.screens.contact import ContactScreen
from tinycrm.screens.dialogs import FormDialog
from tinycrm.services.companies import create_company
from tinycrm.services.contacts import create_contact
from tinycrm.services.contracts import create_contract
from tinycrm.services.deals import create_deal, win_deal
from tinycrm.services.loyalty.actions import standing_of
from tinycrm.services.loyalty.tiers import set_tier
from tinycrm.services.orders import add_payment, create_order
from tinycrm.services.tickets import open_ticket, resolve_ticket
from tinycrm.services.users import create_user

pytestmark = [pytest.mark.asyncio]
SIZE = (120, 40)


@pytest.fixture
def shop(empty_db: Path) -> tuple[Path, int, int, int]:
    """Acme in Silver with 2,500 points and a contract on its order; Dan at Acme, with a
    resolved ticket whose follow-up call is due today; Eve at Globex (nothing)."""
    db = database(empty_db)
    with session_scope(db, write=True) as s:
        create_user(s, data=UserCreate(name=ACTOR, role=Role.manager), currency="USD", now=NOW)
        create_user(s, data=UserCreate(name=VIEWER, role=Role.viewer), currency="USD", now=NOW)
        acme = create_company(s, data=CompanyCreate(name="Acme")).row.id
        create_company(s, data=CompanyCreate(name="Globex"))
        dan = create_contact(s, data=ContactCreate(name="Dan Moss", company="Acme"), region="US")
        eve = create_contact(s, data=ContactCreate(name="Eve Park", company="Globex"), region="US")
        deal = create_deal(
            s, data=DealCreate(title="Acme deal", amount_minor=500_000, company="Acme"),
            currency="USD", actor=None, now=NOW - timedelta(days=9),
        )  # fmt: skip
        win_deal(s, ref=deal.id, actor=None, now=NOW - timedelta(days=8))
        order = create_order(s, deal=deal.id, amount=None, ordered_on=date(2026, 11, 1), now=NOW)
        set_tier(s, name="Silver", min_spend="1000", points_per=1, currency="USD")
        add_payment(s, order=order.id, amount="2500", received_on=NOW.date(), now=NOW)
        create_contract(s, order=order.id, starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31),
                        now=NOW, today=NOW.date())  # fmt: skip
        ticket = open_ticket(s, subject="Printer jams", contact=str(dan.row.id), now=NOW)
        resolve_ticket(s, ref=ticket.id, now=NOW, followup_in=0, today=NOW.date())
    db.engine.dispose()
    return empty_db, acme, dan.row.id, eve.row.id


async def fill(pilot: Any, **values: str) -> None:
    form = pilot.app.screen
    assert isinstance(form, FormDialog)
    for key, value in values.items():
        form.query_one(f"#field-{key}").value = value  # type: ignore[attr-defined]
    await pilot.press("ctrl+s")
    await settle(pilot)


def points_of(path: Path, company: int) -> int:
    db = database(path)
    with session_scope(db, write=False) as s:
        found = standing_of(s, kind="company", id=company)[1]
    db.engine.dispose()
    return found


async def test_contracts_show_on_the_customer_and_hide_without(
    shop: tuple[Path, int, int, int],
) -> None:
    path, acme, _dan, eve = shop
    async with make_app(path).run_test(size=SIZE) as pilot:
        pilot.app.push_screen(CompanyScreen(acme))
        await settle(pilot)
        section = pilot.app.screen.query_one("#company-contracts")
        shown = section.display, rendered(section)
        pilot.app.push_screen(ContactScreen(eve))
        await settle(pilot)
        hidden = pilot.app.screen.query_one("#contact-contracts").display
    rows = [line.split() for line in shown[1].splitlines()]
    assert shown[0] is True and hidden is False
    assert ["contract", "order", "term", "value", "status", "notice", "by"] == rows[0]
    assert ["#1", "#1", "2026-01-01", "–", "2026-12-31", "5,000.00", "USD", "active",
            "2026-12-01"] in rows  # fmt: skip


async def test_points_are_redeemed_from_the_palette(shop: tuple[Path, int, int, int]) -> None:
    path, acme, _dan, _eve = shop
    async with make_app(path).run_test(size=SIZE) as pilot:
        pilot.app.push_screen(CompanyScreen(acme))
        await settle(pilot)
        offered = "company: Redeem points" in palette(pilot.app)
        await pilot.press("P")
        await fill(pilot, points="500", note="mug")
        tier = rendered(pilot.app.screen.query_one("#company-fields"))
        await pilot.press("P")
        await fill(pilot, points="5000")
        await pilot.press("escape")  # the form, back with what was typed
        await settle(pilot)
        said = [(n.message, n.severity) for n in notices(pilot.app)]
        back = isinstance(pilot.app.screen, CompanyScreen)
    assert offered and back
    assert "Silver · 2,000 points" in tier
    assert said == [
        ("500 points redeemed: 2,000 left", "information"),
        ("points: more than the 2000 company Acme has: 5000", "error"),
    ]
    assert points_of(path, acme) == 2000


async def test_a_follow_up_call_is_recorded(shop: tuple[Path, int, int, int]) -> None:
    path, acme, dan, _eve = shop
    title = "follow-up: Record a follow-up call (outcome, satisfaction)"
    async with make_app(path).run_test(size=SIZE) as pilot:
        pilot.app.push_screen(CompanyScreen(acme))  # Dan's ticket is his company's too
        await settle(pilot)
        on_company = title in palette(pilot.app)
        pilot.app.push_screen(ContactScreen(dan))
        await settle(pilot)
        before = title in palette(pilot.app)
        await pilot.press("F")
        await fill(pilot, outcome="works again", score="4")
        after = title in palette(pilot.app)
        said = [n.message for n in notices(pilot.app)]
    assert on_company and before and not after
    assert said == ["follow-up #1 done: Printer jams, satisfaction 4/5"]
    db = database(path)
    with session_scope(db, write=False) as s:
        call = s.exec(select(FollowUp)).one()
        assert (call.outcome, call.satisfaction, call.done_at is not None) == (
            "works again",
            4,
            True,
        )
    db.engine.dispose()


async def test_a_viewer_is_refused_in_a_notice(shop: tuple[Path, int, int, int]) -> None:
    path, acme, dan, _eve = shop
    app = make_app(path, as_user=VIEWER)
    async with app.run_test(size=SIZE) as pilot:
        pilot.app.push_screen(CompanyScreen(acme))
        await settle(pilot)
        await pilot.press("P")
        await fill(pilot, points="100")
        await pilot.press("escape")
        pilot.app.push_screen(ContactScreen(dan))
        await settle(pilot)
        await pilot.press("F")
        await fill(pilot, outcome="fine")
        said = [(n.message, n.severity) for n in notices(pilot.app)]
    assert [s for _, s in said] == ["error", "error"]
    assert said[0][0].startswith("not allowed: edit companies")
    assert said[1][0].startswith("not allowed: edit tickets")
    assert points_of(path, acme) == 2500
