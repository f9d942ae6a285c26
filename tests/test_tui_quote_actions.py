"""The deal screen's lines and quotes, by keys and forms: a line added, edited and removed
(the amount follows), the lines quoted, the quote sent, revised and declined; a viewer is
refused in a notice, with nothing changed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select
from textual.widgets import Input, Static

from tests.conftest import NOW
from tests.tuihelp import ACTOR, VIEWER, database, make_app, notices, palette, rendered, settle
from tinycrm.db.store import session_scope
from tinycrm.models import (
    CompanyCreate,
    Deal,
    DealCreate,
    LineItem,
    Quote,
    Role,
    UserCreate,
)
from tinycrm.screens.deal import DealScreen
from tinycrm.screens.dialogs import ChoiceDialog, FormDialog
from tinycrm.services import quotes
from tinycrm.services.companies import create_company
from tinycrm.services.deals import create_deal
from tinycrm.services.products import create_product
from tinycrm.services.users import create_user

pytestmark = [pytest.mark.asyncio]
SIZE = (120, 40)


@pytest.fixture
def shop(empty_db: Path) -> tuple[Path, int]:
    """An open deal of Acme's (1,000.00 USD, no lines); product GTXP at 48.21 USD."""
    db = database(empty_db)
    with session_scope(db, write=True) as s:
        create_user(s, data=UserCreate(name=ACTOR, role=Role.manager), currency="USD", now=NOW)
        create_user(s, data=UserCreate(name=VIEWER, role=Role.viewer), currency="USD", now=NOW)
        create_company(s, data=CompanyCreate(name="Acme"))
        create_product(s, sku="GTXP", name="GTX Pro", price="48.21", currency="USD",
                       default_currency="USD")  # fmt: skip
        deal = create_deal(
            s, data=DealCreate(title="Acme deal", amount_minor=100_000, company="Acme"),
            currency="USD", actor=None, now=NOW,
        )  # fmt: skip
    db.engine.dispose()
    return empty_db, deal.id


async def fill(pilot: Any, **values: str) -> None:
    """Type `values` into the open form's fields and save it."""
    form = pilot.app.screen
    assert isinstance(form, FormDialog)
    for key, value in values.items():
        form.query_one(f"#field-{key}", Input).value = value
    await pilot.press("ctrl+s")
    await settle(pilot)


async def opened(pilot: Any, deal_id: int) -> DealScreen:
    await settle(pilot)
    pilot.app.push_screen(DealScreen(deal_id))
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, DealScreen)
    return screen


def stored(path: Path, deal_id: int) -> tuple[int, list[tuple[str, str, int]], list[Any]]:
    """The deal's amount, its own lines (description, quantity, total) and its quotes
    (id, revision, status, total), oldest first."""
    db = database(path)
    with session_scope(db, write=False) as s:
        deal = s.get(Deal, deal_id)
        assert deal is not None
        lines = s.exec(
            select(LineItem)
            .where(col(LineItem.deal_id) == deal_id, col(LineItem.quote_id).is_(None))
            .where(col(LineItem.order_id).is_(None))
            .order_by(col(LineItem.position))
        ).all()
        offers = s.exec(
            select(Quote).where(col(Quote.deal_id) == deal_id).order_by(col(Quote.id))
        ).all()
        found = (
            deal.amount_minor,
            [(r.description, r.quantity, r.total_minor) for r in lines],
            [(q.id, q.revision, str(q.status), q.total_minor) for q in offers],
        )
    db.engine.dispose()
    return found


async def test_lines_are_added_edited_and_removed_with_keys(shop: tuple[Path, int]) -> None:
    path, deal_id = shop
    async with make_app(path).run_test(size=SIZE) as pilot:
        screen = await opened(pilot, deal_id)
        await pilot.press("i")
        await fill(pilot, item="gtxp", quantity="3", tax="10%")
        await pilot.press("i")
        await fill(pilot, item="Setup", price="250", off="10%")
        after_adding = stored(path, deal_id)
        shown = rendered(screen.query_one("#deal-priced", Static))
        await pilot.press("I")  # two lines: which one first
        assert isinstance(pilot.app.screen, ChoiceDialog)
        await pilot.press("down", "enter")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, FormDialog)
        typed = {k: form.query_one(f"#field-{k}", Input).value for k in ("item", "price", "off")}
        await fill(pilot, quantity="2")
        after_editing = stored(path, deal_id)
        await pilot.press("D", "enter")  # the first line
        await settle(pilot)
        after_removing = stored(path, deal_id)
        said = [n.message for n in notices(pilot.app)]
    # 3 x 48.21 = 144.63, tax 14.46 (half up); 250 less 10% = 225
    assert after_adding[:2] == (38409, [("GTX Pro", "3", 15909), ("Setup", "1", 22500)])
    assert "GTX Pro" in shown and "159.09" in shown and "384.09" in shown
    assert typed == {"item": "Setup", "price": "250.00", "off": "10%"}
    assert after_editing[:2] == (60909, [("GTX Pro", "3", 15909), ("Setup", "2", 45000)])
    assert after_removing[:2] == (45000, [("Setup", "2", 45000)])
    assert said == [
        "line added: 1 line(s), amount 159.09 USD",
        "line added: 2 line(s), amount 384.09 USD",
        "line 2 saved: 2 line(s), amount 609.09 USD",
        "line 1 removed (GTX Pro): 1 line(s), amount 450.00 USD",
    ]


async def test_a_line_the_service_refuses_brings_the_form_back(shop: tuple[Path, int]) -> None:
    path, deal_id = shop
    async with make_app(path).run_test(size=SIZE) as pilot:
        await opened(pilot, deal_id)
        await pilot.press("i")
        await fill(pilot, item="Consulting")  # no product by that name, and no price
        again = pilot.app.screen
        focused = again.focused.id if again.focused else None
        await pilot.press("escape")
        await settle(pilot)
        back = pilot.app.screen
        said = [(n.message, n.severity) for n in notices(pilot.app)]
    assert isinstance(again, FormDialog) and focused == "field-price"
    assert isinstance(back, DealScreen)
    assert said == [("unit price: no product has the SKU or name 'Consulting': give one", "error")]
    assert stored(path, deal_id)[1] == []


async def test_the_lines_are_quoted_sent_revised_and_declined(shop: tuple[Path, int]) -> None:
    path, deal_id = shop
    db = database(path)
    with session_scope(db, write=True) as s:
        quotes.add_deal_line(s, deal=deal_id, text="Setup x2 @250")
    db.engine.dispose()
    async with make_app(path).run_test(size=SIZE) as pilot:
        screen = await opened(pilot, deal_id)
        before = palette(pilot.app)
        await pilot.press("q")
        await fill(pilot, discount="5%", valid="30")
        first = stored(path, deal_id)[2]
        await pilot.press("S", "enter")  # the one draft
        await settle(pilot)
        sent = stored(path, deal_id)[2]
        await pilot.press("i")
        await fill(pilot, item="Training", price="100")
        await pilot.press("Q")  # one open quote: straight to its form
        form = pilot.app.screen
        assert isinstance(form, FormDialog)
        form.query_one("#field-lines").value = "the deal's lines now"  # type: ignore[attr-defined]
        await fill(pilot)
        revised = stored(path, deal_id)[2]
        shown = rendered(screen.query_one("#deal-priced", Static))
        after = palette(pilot.app)
        await pilot.press("x", "enter")
        await settle(pilot)
        declined = stored(path, deal_id)[2]
        said = [n.message for n in notices(pilot.app)]
    assert {"deal: Quote the deal's lines", "deal: Add a line"} <= set(before)
    assert not {"deal: Revise a quote", "deal: Mark a quote sent"} & set(before)
    assert {"deal: Revise a quote", "deal: Decline a quote"} <= set(after)
    assert first == [(1, 1, "draft", 47500)]
    assert sent == [(1, 1, "sent", 47500)]
    assert revised == [(1, 1, "superseded", 47500), (2, 2, "draft", 57000)]
    assert "quote #2 rev 2 · draft" in shown and "quote #1 rev 1 · superseded" in shown
    assert declined == [(1, 1, "superseded", 47500), (2, 2, "declined", 57000)]
    assert said == [
        "quote #1 added: 475.00 USD (revision 1)",
        "quote #1 sent: 475.00 USD",
        "line added: 2 line(s), amount 600.00 USD",
        "quote #2 replaces #1: 570.00 USD (revision 2)",
        "quote #2 declined: 570.00 USD",
    ]


async def test_a_viewer_is_refused_in_a_notice(shop: tuple[Path, int]) -> None:
    path, deal_id = shop
    app = make_app(path, as_user=VIEWER)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot, deal_id)
        await pilot.press("i")
        await fill(pilot, item="Setup", price="250")
        await pilot.press("escape")  # the form, back with what was typed
        await settle(pilot)
        screen = pilot.app.screen
        said = [(n.message, n.severity) for n in notices(pilot.app)]
    assert isinstance(screen, DealScreen)
    assert said == [
        ("not allowed: edit deals owned by nobody (role viewer has deals edit: none)", "error")
    ]
    assert stored(path, deal_id) == (100_000, [], [])
