"""The app's contact form reads a phone typed without +country the way `crm contact edit`
does: in phone_region, else the locale's country, else kept as typed (and it says so)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tuihelp import database, make_app, notices, settle
from tinycrm.db.store import session_scope
from tinycrm.models import Contact
from tinycrm.screens.contact import ContactScreen

pytestmark = [pytest.mark.asyncio, pytest.mark.demo(aftersale=False)]


@pytest.mark.parametrize(
    ("env", "expected", "said"),
    [
        ({}, None, "saved {name}; its phone is kept as typed, without +country"),
        ({"CRM_PHONE_REGION": "CN"}, "+8613800138002", "saved {name}"),
        ({"LANG": "zh_CN.UTF-8"}, "+8613800138002", "saved {name}"),
        (
            {"CRM_PHONE_REGION": "US"},
            None,
            "saved {name}; its phone is kept as typed, without +country",
        ),
    ],
)
async def test_the_contact_form_reads_the_phone_in_the_region(
    demo: Path,
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    expected: str | None,
    said: str,
) -> None:
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    async with make_app(demo).run_test(size=(120, 40)) as pilot:
        pilot.app.push_screen(ContactScreen(3))
        await settle(pilot)
        await pilot.press("e")
        await pilot.pause()
        pilot.app.screen.query_one("#field-phone").value = "138 0013 8002"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(pilot)
        notes = [n.message for n in notices(pilot.app)]
    db = database(demo)
    with session_scope(db, write=False) as session:
        contact = session.get(Contact, 3)
        assert contact is not None
        assert (contact.phone, contact.phone_norm) == ("138 0013 8002", expected)
        name = contact.full_name
    db.engine.dispose()
    assert said.format(name=name) in notes


async def test_an_unknown_phone_region_is_named_in_the_app(
    demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRM_PHONE_REGION", "China")
    async with make_app(demo).run_test(size=(120, 40)) as pilot:
        pilot.app.push_screen(ContactScreen(3))
        await settle(pilot)
        await pilot.press("e")
        await pilot.pause()
        pilot.app.screen.query_one("#field-phone").value = "138 0013 8002"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(pilot)
        errors = [n.message for n in notices(pilot.app) if n.severity == "error"]
    assert errors == ["phone_region: not a region code (ISO 3166, e.g. CN, US, FR): 'CHINA'"]
