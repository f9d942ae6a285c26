"""The tier and points on the app's company and contact detail screens."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.conftest import NOW
from tests.tuihelp import ACTOR, database, make_app, rendered, settle
from tinycrm.db.store import session_scope
from tinycrm.models import CompanyCreate, ContactCreate, DealCreate, Role, UserCreate
from tinycrm.screens.company import CompanyScreen
from tinycrm.screens.contact import ContactScreen
from tinycrm.services.companies import create_company
from tinycrm.services.contacts import create_contact
from tinycrm.services.deals import create_deal, win_deal
from tinycrm.services.loyalty.tiers import set_tier
from tinycrm.services.orders import add_payment, create_order
from tinycrm.services.users import create_user

SIZE = (120, 40)


@pytest.fixture
def shop(empty_db: Path) -> tuple[Path, int, int, int]:
    """Acme in Silver with 2,500 points; Dan at Acme; Eve at Globex (no tier)."""
    db = database(empty_db)
    with session_scope(db, write=True) as s:
        create_user(s, data=UserCreate(name=ACTOR, role=Role.manager), currency="USD", now=NOW)
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
    db.engine.dispose()
    return empty_db, acme, dan.row.id, eve.row.id


@pytest.mark.asyncio
async def test_company_and_contact_detail_show_the_tier(shop: tuple[Path, int, int, int]) -> None:
    path, acme, dan, eve = shop
    async with make_app(path).run_test(size=SIZE) as pilot:
        pilot.app.push_screen(CompanyScreen(acme))
        await settle(pilot)
        assert "Tier      Silver · 2,500 points" in rendered(
            pilot.app.screen.query_one("#company-fields")
        )
        pilot.app.push_screen(ContactScreen(dan))
        await settle(pilot)
        fields = rendered(pilot.app.screen.query_one("#contact-fields"))
        assert "Silver · 2,500 points (company)" in fields
        pilot.app.push_screen(ContactScreen(eve))
        await settle(pilot)
        assert "Tier" not in rendered(pilot.app.screen.query_one("#contact-fields"))
