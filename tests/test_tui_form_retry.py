"""A form a service refuses comes back with the focus on the field the refusal names, so
the fix is typed there and not over the first field (which the focus selects whole)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

from tests.tuihelp import make_app, notices, settle
from tinycrm.screens.contact import ContactScreen
from tinycrm.screens.dialogs import FormDialog

pytestmark = pytest.mark.asyncio


async def test_a_bad_email_brings_the_form_back_focused_on_the_email(demo: Path) -> None:
    async with make_app(demo).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        await pilot.press(*"Zoe Ang", "tab", *"zoe@", "enter")
        await settle(pilot)
        assert notices(pilot.app)[-1].message == "email: not an email address: 'zoe@'"
        form = pilot.app.screen
        assert isinstance(form, FormDialog)
        assert pilot.app.focused is form.query_one("#field-email", Input)
        await pilot.press(*"zoe@ang.example", "enter")  # replaces the selected bad email
        await settle(pilot)
        assert isinstance(pilot.app.screen, ContactScreen)
        assert notices(pilot.app)[-1].message.startswith("contact #31 added: Zoe Ang")


async def test_a_bad_reminder_brings_the_follow_up_back_focused_on_it(demo: Path) -> None:
    """The refusal names the field by its label ("remind before"), not its key."""
    async with make_app(demo).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        await pilot.press(*"gomez", "enter")  # the one match opens
        await settle(pilot)
        assert isinstance(pilot.app.screen, ContactScreen)
        await pilot.press("s")
        await settle(pilot)
        await pilot.press(*"Send catalogue", "tab", "tab")
        pilot.app.screen.query_one("#field-when", Input).value = "fri 10:00"
        await pilot.press("tab", *"abc", "enter")
        await settle(pilot)
        assert notices(pilot.app)[-1].message.startswith("remind before: not a duration")
        form = pilot.app.screen
        assert isinstance(form, FormDialog)
        assert pilot.app.focused is form.query_one("#field-remind", Input)
        assert form.query_one("#field-subject", Input).value == "Send catalogue"
