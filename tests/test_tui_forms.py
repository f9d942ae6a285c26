"""Forms that do the whole job: a follow-up's reminder and repeat, a payment's method and
reference, contact edit's owner, tags, birthday and custom fields, an order edited, a
logged activity completing the follow-up it answers, a won deal's contact a customer, and
enter saving from any field — each checked in the database."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select
from textual.app import App
from textual.widgets import Input, Select, Static

from tests.conftest import NOW
from tests.tuihelp import database, make_app, notices, rendered, settle
from tinycrm.db.store import session_scope
from tinycrm.models import (
    Activity,
    ActivityCreate,
    ActivityKind,
    Contact,
    ContactTag,
    Order,
    Payment,
    User,
)
from tinycrm.screens.contact import ContactScreen
from tinycrm.screens.deal import DealScreen
from tinycrm.screens.dialogs import FormDialog
from tinycrm.services.activities import schedule_activity
from tinycrm.services.orders import add_payment, create_order

pytestmark = [pytest.mark.asyncio, pytest.mark.demo(aftersale=False)]
SIZE = (120, 40)
WON_DEAL = 1  # Fleet tracking for 60 trucks, 48,000.00 USD, won
LI_WEI = 8  # 李伟, a prospect; deal #11 Cloud migration; one open task, #72
CLOUD = 11
QUOTE_TASK = 72  # "Send the final quote to 李伟", due on deal #11
PIETER = 1  # Pieter de Vries: a customer, birthday 1984-11-25, tag vip, Daniel Okafor's
TOMORROW_9 = datetime(2026, 11, 24, 9, 0, tzinfo=NOW.tzinfo)


def errors(app: App[Any]) -> list[str]:
    return [n.message for n in notices(app) if n.severity == "error"]


def said(app: App[Any]) -> list[str]:
    return [n.message for n in notices(app) if n.severity == "information"]


def field(app: App[Any], key: str) -> Any:
    return app.screen.query_one(f"#field-{key}")


async def fill(pilot: Any, **values: str) -> None:
    """Type into the open form's fields (a drop-down is set to the value)."""
    for key, value in values.items():
        widget = field(pilot.app, key)
        if isinstance(widget, Select):
            widget.value = value
        else:
            widget.value = value
    await pilot.pause()


async def test_a_follow_up_with_a_reminder_and_a_repeat(demo: Path) -> None:
    async with make_app(demo).run_test(size=SIZE) as pilot:
        pilot.app.push_screen(DealScreen(CLOUD))
        await settle(pilot)
        await pilot.press("s")
        await pilot.pause()
        hint = str(pilot.app.screen.query_one(".dialog-hint", Static).content)
        await fill(pilot, remind="fortnight")
        await pilot.press(*"Weekly check-in")  # the subject has the focus
        await pilot.press("enter")
        await settle(pilot)
        refused = errors(pilot.app)
        await fill(pilot, remind="15m", repeat="2w")
        field(pilot.app, "subject").focus()
        await pilot.press("enter")  # from the first field
        await settle(pilot)
        notice = said(pilot.app)[-1]
    db = database(demo)
    with session_scope(db, write=False) as session:
        made = session.exec(select(Activity).where(Activity.subject == "Weekly check-in")).one()
    db.engine.dispose()
    assert hint == "enter or ctrl+s save · tab next field · esc cancel"
    assert refused == ["remind before: not a duration (use e.g. 15m, 2h, 3d, 2w): 'fortnight'"]
    assert (made.kind, made.deal_id, made.contact_id, made.due_at, made.done_at) == (
        "task",
        CLOUD,
        LI_WEI,
        TOMORROW_9,
        None,
    )
    assert (made.remind_minutes, made.rrule, made.series_id) == (
        15,
        "FREQ=WEEKLY;INTERVAL=2",
        made.id,
    )
    assert notice == "scheduled: Weekly check-in (every 2 weeks, reminder 15m before)"


async def test_a_bad_repeat_brings_the_form_back(demo: Path) -> None:
    async with make_app(demo).run_test(size=SIZE) as pilot:
        pilot.app.push_screen(ContactScreen(LI_WEI))
        await settle(pilot)
        await pilot.press("s")
        await pilot.pause()
        await fill(pilot, subject="Call back", repeat="fortnightly")
        await pilot.press("ctrl+s")
        await settle(pilot)
        refused = errors(pilot.app)
        still = isinstance(pilot.app.screen, FormDialog), field(pilot.app, "repeat").value
        await fill(pilot, repeat="FREQ=MONTHLY;BYMONTHDAY=1")
        await pilot.press("ctrl+s")
        await settle(pilot)
    db = database(demo)
    with session_scope(db, write=False) as session:
        made = session.exec(select(Activity).where(Activity.subject == "Call back")).one()
    db.engine.dispose()
    assert refused == [
        "repeat: not a repeat interval (e.g. day, week, 2w, 3mo, year, weekday, mon,thu): "
        "'fortnightly'"
    ]
    assert still == (True, "fortnightly")
    assert (made.rrule, made.remind_minutes, made.contact_id) == (
        "FREQ=MONTHLY;BYMONTHDAY=1",
        None,
        LI_WEI,
    )


async def test_logging_a_call_completes_the_one_open_task(demo: Path) -> None:
    async with make_app(demo).run_test(size=SIZE) as pilot:
        pilot.app.push_screen(DealScreen(CLOUD))
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        offered = field(pilot.app, "completes").value
        await pilot.press(*"Sent the quote", "enter")
        await settle(pilot)
        notice = said(pilot.app)[-1]
    db = database(demo)
    with session_scope(db, write=False) as session:
        task = session.get(Activity, QUOTE_TASK)
        logged = session.exec(select(Activity).where(Activity.subject == "Sent the quote")).one()
    db.engine.dispose()
    assert offered == "#72 Send the final quote to 李伟 (task, due 2026-11-23 11:00)"
    assert task is not None and task.done_at == NOW
    assert (logged.kind, logged.deal_id, logged.done_at) == ("call", CLOUD, NOW)
    assert notice == "logged: Sent the quote; done: Send the final quote to 李伟"


async def test_of_several_open_tasks_none_is_completed_unless_chosen(demo: Path) -> None:
    db = database(demo)
    with session_scope(db, write=True) as session:
        maria = session.exec(select(User).where(User.name == "Maria Lopez")).one()
        data = ActivityCreate(
            kind=ActivityKind.task, subject="Book the kickoff", deal=CLOUD, due_at=TOMORROW_9
        )
        second = schedule_activity(session, data=data, actor=maria, now=NOW).id
    async with make_app(demo).run_test(size=SIZE) as pilot:
        pilot.app.push_screen(ContactScreen(LI_WEI))
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        offered = field(pilot.app, "completes").value
        choices = [str(label) for label, _ in field(pilot.app, "completes")._options]
        await pilot.press(*"Left a message", "enter")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        field(pilot.app, "completes").value = choices[1]
        await pilot.press(*"Booked it", "ctrl+s")
        await settle(pilot)
    with session_scope(db, write=False) as session:
        done = list(
            session.exec(
                select(Activity.id).where(
                    col(Activity.id).in_([QUOTE_TASK, second]), col(Activity.done_at).is_not(None)
                )
            )
        )
    db.engine.dispose()
    assert offered == "no"
    assert choices == [
        "#72 Send the final quote to 李伟 (task, due 2026-11-23 11:00)",
        f"#{second} Book the kickoff (task, due 2026-11-24 09:00)",
        "no",
    ]
    assert done == [second]


async def test_a_payment_with_its_method_and_reference(demo: Path) -> None:
    db = database(demo)
    with session_scope(db, write=True) as session:
        create_order(session, deal=WON_DEAL, amount="10000", ordered_on=NOW.date(), now=NOW)
    async with make_app(demo).run_test(size=SIZE) as pilot:
        pilot.app.push_screen(DealScreen(WON_DEAL))
        await settle(pilot)
        await pilot.press("p")
        await pilot.pause()
        await fill(pilot, amount="2500", method="Transfer", reference="INV-2026-001 李伟")
        field(pilot.app, "amount").focus()
        await pilot.press("enter")
        await settle(pilot)
        notice = said(pilot.app)[-1]
    with session_scope(db, write=False) as session:
        payment = session.exec(select(Payment)).one()
    db.engine.dispose()
    assert (payment.amount_minor, payment.method, payment.reference, payment.received_on) == (
        250_000,
        "transfer",
        "INV-2026-001 李伟",
        NOW.date(),
    )
    assert notice == "payment of 2,500.00 USD by transfer added to order #1"


async def test_edit_an_order(demo: Path) -> None:
    db = database(demo)
    with session_scope(db, write=True) as session:
        create_order(session, deal=WON_DEAL, amount="10000", ordered_on=NOW.date(), now=NOW)
        add_payment(session, order=1, amount="3000", received_on=NOW.date(), now=NOW)
    async with make_app(demo).run_test(size=SIZE) as pilot:
        pilot.app.push_screen(DealScreen(WON_DEAL))
        await settle(pilot)
        await pilot.press("O")
        await settle(pilot)
        first = {k: field(pilot.app, k).value for k in ("amount", "date", "due", "notes")}
        await fill(pilot, amount="2000")
        await pilot.press("enter")
        await settle(pilot)
        refused = errors(pilot.app)
        await fill(pilot, amount="12000", due="2026-12-31", notes="half now, half in January")
        await pilot.press("enter")
        await settle(pilot)
        notice = said(pilot.app)[-1]
    with session_scope(db, write=False) as session:
        order = session.exec(select(Order)).one()
    db.engine.dispose()
    assert first == {"amount": "10000.00", "date": "2026-11-23", "due": "", "notes": ""}
    assert refused == ["order amount: less than the 3,000.00 USD paid on order #1: '2000'"]
    assert (order.amount_minor, order.due_on, order.notes, order.version) == (
        1_200_000,
        date(2026, 12, 31),
        "half now, half in January",
        2,
    )
    assert notice == "order #1 saved: 12,000.00 USD, due 2026-12-31"


async def test_contact_edit_changes_owner_tags_birthday_and_custom_fields(demo: Path) -> None:
    db = database(demo)
    async with make_app(demo).run_test(size=SIZE) as pilot:
        pilot.app.push_screen(ContactScreen(PIETER))
        await settle(pilot)
        await pilot.press("e")
        await pilot.pause()
        first = {k: field(pilot.app, k).value for k in ("owner", "tags", "birthday", "new")}
        await fill(pilot, owner="王芳", tags="fleet, 重点客户", birthday="04-12", new="vat=NL123")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("e")
        await pilot.pause()
        second = {k: field(pilot.app, k).value for k in ("tags", "birthday", "custom-0")}
        await fill(pilot, **{"custom-0": "", "new": "size=40"})
        await pilot.press("enter")
        await settle(pilot)
        shown = rendered(pilot.app.screen.query_one("#contact-fields"))
    with session_scope(db, write=False) as session:
        pieter = session.get(Contact, PIETER)
        owner = session.exec(select(User.name).where(User.id == pieter.owner_id)).one()  # type: ignore[union-attr]
        tags = set(session.exec(select(ContactTag.tag).where(ContactTag.contact_id == PIETER)))
    db.engine.dispose()
    assert first == {"owner": "Daniel Okafor", "tags": "vip", "birthday": "1984-11-25", "new": ""}
    assert second == {"tags": "fleet, 重点客户", "birthday": "--04-12", "custom-0": "NL123"}
    assert pieter is not None and pieter.custom == {"birthday": "--04-12", "size": "40"}
    assert (owner, tags) == ("王芳", {"fleet", "重点客户"})
    assert pieter.version == 3
    lines = [line.split() for line in shown.splitlines()]
    assert ["Birthday", "--04-12"] in lines and ["size", "40"] in lines


async def test_winning_in_the_app_makes_the_contact_a_customer(demo: Path) -> None:
    async with make_app(demo).run_test(size=SIZE) as pilot:
        pilot.app.push_screen(DealScreen(CLOUD))
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        if not isinstance(pilot.app.screen, DealScreen):  # asked first
            await pilot.press("enter")
            await settle(pilot)
        pilot.app.push_screen(ContactScreen(LI_WEI))
        await settle(pilot)
        shown = rendered(pilot.app.screen.query_one("#contact-fields"))
    db = database(demo)
    with session_scope(db, write=False) as session:
        li = session.get(Contact, LI_WEI)
    db.engine.dispose()
    assert li is not None and li.status == "customer"
    assert ["Status", "customer"] in [line.split() for line in shown.splitlines()]


@pytest.mark.parametrize(
    ("key", "fields"),
    [
        ("s", ["subject", "kind", "when", "remind", "repeat", "body"]),
        ("e", ["name", "email", "phone", "title", "company", "status", "owner", "tags"]),
    ],
)
async def test_enter_saves_from_any_text_field(demo: Path, key: str, fields: list[str]) -> None:
    """Enter in each text field of a form saves it (none only moves on)."""
    for name in fields:
        async with make_app(demo).run_test(size=SIZE) as pilot:
            pilot.app.push_screen(ContactScreen(LI_WEI))
            await settle(pilot)
            await pilot.press(key)
            await pilot.pause()
            widget = field(pilot.app, name)
            if not isinstance(widget, Input):
                continue
            if key == "s":
                await fill(pilot, subject=f"saved from {name}")
            else:
                await fill(pilot, title=f"saved from {name}")
            widget.focus()
            await pilot.press("enter")
            await settle(pilot)
            assert not isinstance(pilot.app.screen, FormDialog), name
    db = database(demo)
    with session_scope(db, write=False) as session:
        if key == "s":
            found = set(session.exec(select(Activity.subject).where(Activity.contact_id == LI_WEI)))
            assert {f"saved from {n}" for n in fields if n not in ("kind",)} <= found
        else:
            li = session.get(Contact, LI_WEI)
            assert li is not None and li.title == f"saved from {fields[-1]}"
    db.engine.dispose()
