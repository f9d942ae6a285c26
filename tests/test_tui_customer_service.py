"""Customer service from contact and company detail (reopen, rate, resolve with an article
found by words, read the knowledge base) and a lead assigned to a user, checked in the
database; and the reopening kept in the ticket's comments by the service."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import col, select

from tests.conftest import NOW
from tests.test_tui_company import OTHER_USER, Firm, build
from tests.tuihelp import ACTOR, database, make_app, palette, rendered, settle
from tinycrm.db.store import session_scope
from tinycrm.models import Contact, OwnerChange, Ticket, User
from tinycrm.screens.company import CompanyScreen
from tinycrm.screens.contact import ContactScreen
from tinycrm.screens.kb import ArticleDialog, KbDialog
from tinycrm.services.kb import add_article
from tinycrm.services.tickets import reopen_ticket, ticket_comments

SIZE = (120, 40)
ARTICLES = (
    ("Tracker offline after a firmware update", "Power-cycle the tracker, then re-pair it."),
    ("Change the invoice address", "Edit the billing address under Account > Billing."),
    ("Tracker battery drains fast", "Lower the reporting interval to 5 minutes."),
)


@pytest.fixture
def firm(empty_db: Path, monkeypatch: pytest.MonkeyPatch) -> Firm:
    monkeypatch.setenv("CRM_NOW", NOW.isoformat())
    built = build(empty_db)
    db = database(built.path)
    with session_scope(db, write=True) as s:
        for title, body in ARTICLES:
            add_article(s, title=title, body=body, now=NOW)
    db.engine.dispose()
    return built


def ticket(path: Path, ticket_id: int) -> Ticket:
    db = database(path)
    with session_scope(db, write=False) as s:
        found = s.get(Ticket, ticket_id)
    db.engine.dispose()
    assert found is not None
    return found


def comments(path: Path, ticket_id: int) -> list[tuple[str | None, str]]:
    db = database(path)
    with session_scope(db, write=False) as s:
        found = [(c.author, c.body) for c in ticket_comments(s, ref=ticket_id)]
    db.engine.dispose()
    return found


def test_a_reopening_with_a_reason_is_kept_in_the_comments(firm: Firm) -> None:
    db = database(firm.path)
    with session_scope(db, write=True) as s:
        maria = s.exec(select(User).where(User.name == ACTOR)).one()
        row = reopen_ticket(s, ref=firm.resolved_ticket, now=NOW, reason="  ", actor=maria)
    db.engine.dispose()
    assert (row.state, row.csat, row.due_at) == ("open", None, NOW + timedelta(hours=72))
    assert comments(firm.path, firm.resolved_ticket) == [(ACTOR, "Reopened")]


@pytest.mark.asyncio
async def test_reopen_a_resolved_ticket_from_contact_detail(firm: Firm) -> None:
    async with make_app(firm.path).run_test(size=SIZE) as pilot:
        pilot.app.push_screen(ContactScreen(firm.eva))  # only an open ticket
        await settle(pilot)
        only_open = palette(pilot.app)
        await pilot.press("escape")
        pilot.app.push_screen(ContactScreen(firm.pieter))
        await settle(pilot)
        resolved = palette(pilot.app)
        await pilot.press("X")
        await pilot.pause()
        # one resolved ticket: nothing to choose, so what is typed is the reason
        await pilot.press(*"the fix did not hold", "enter")
        await settle(pilot)
        shown = rendered(pilot.app.screen.query_one("#contact-tickets"))
    assert "ticket: Reopen" not in only_open and "ticket: Rate satisfaction (1-5)" not in only_open
    assert "ticket: Reopen" in resolved and "ticket: Resolve" not in resolved
    again = ticket(firm.path, firm.resolved_ticket)
    assert (again.status, again.resolved_at, again.csat) == ("open", None, None)
    assert again.due_at == NOW + timedelta(hours=72)
    assert comments(firm.path, firm.resolved_ticket) == [(ACTOR, "Reopened: the fix did not hold")]
    row = [line.split() for line in shown.splitlines() if "Login fails" in line]
    assert row == [[f"#{firm.resolved_ticket}", "Login", "fails", "normal", "open",
                    "2026-11-26", "09:30"]]  # fmt: skip


@pytest.mark.asyncio
async def test_rate_a_resolved_ticket_from_company_detail(firm: Firm) -> None:
    async with make_app(firm.path).run_test(size=SIZE) as pilot:
        pilot.app.push_screen(CompanyScreen(firm.company))
        await settle(pilot)
        await pilot.press("v")
        await pilot.pause()
        form = pilot.app.screen
        choices = form.query_one("#field-ticket")._options  # type: ignore[attr-defined]
        form.query_one("#field-csat").value = "4"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert [label for label, _ in choices] == [f"#{firm.resolved_ticket} Login fails"]
    rated = ticket(firm.path, firm.resolved_ticket)
    assert (rated.status, rated.csat) == ("resolved", 4)


@pytest.mark.asyncio
async def test_resolve_a_ticket_with_an_article_found_by_words(firm: Firm) -> None:
    async with make_app(firm.path).run_test(size=SIZE) as pilot:
        pilot.app.push_screen(ContactScreen(firm.eva))
        await settle(pilot)
        await pilot.press("x")
        await pilot.pause()
        pilot.app.screen.query_one("#field-csat").value = "5"  # type: ignore[attr-defined]
        pilot.app.screen.query_one("#field-article").value = "tracker"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(pilot)
        picker = pilot.app.screen
        assert isinstance(picker, KbDialog)
        await pilot.press(*" firmware")
        await settle(pilot)
        matches = picker.query_one("#kb-matches")
        found = [str(o.prompt) for o in matches._options]  # type: ignore[attr-defined]
        await pilot.press("down", "down", "enter")
        await settle(pilot)
        shown = rendered(pilot.app.screen.query_one("#contact-tickets"))
    assert found == ["(no article)", "#1 Tracker offline after a firmware update"]
    done = ticket(firm.path, firm.eva_ticket)
    assert (done.status, done.article_id, done.csat, done.resolved_at) == ("resolved", 1, 5, NOW)
    row = [line.split() for line in shown.splitlines() if "Tracker offline" in line]
    assert row == [[f"#{firm.eva_ticket}", "Tracker", "offline", "normal", "resolved",
                    "2026-11-23", "09:30"]]  # fmt: skip


@pytest.mark.asyncio
async def test_resolve_without_an_article_or_cancel_the_pick(firm: Firm) -> None:
    async with make_app(firm.path).run_test(size=SIZE) as pilot:
        pilot.app.push_screen(CompanyScreen(firm.company))
        await settle(pilot)
        for ticket_id, keys in (
            (firm.firm_ticket, ["escape"]),
            (firm.eva_ticket, ["down", "enter"]),
        ):
            await pilot.press("x")
            await pilot.pause()
            form = pilot.app.screen
            form.query_one("#field-ticket").value = next(  # type: ignore[attr-defined]
                value
                for label, value in form.query_one("#field-ticket")._options  # type: ignore[attr-defined]
                if str(label).startswith(f"#{ticket_id} ")
            )
            form.query_one("#field-article").value = "invoice address"  # type: ignore[attr-defined]
            await pilot.press("ctrl+s")
            await settle(pilot)
            await pilot.press(*keys)
            await settle(pilot)
    assert ticket(firm.path, firm.firm_ticket).status == "open"  # the pick was cancelled
    done = ticket(firm.path, firm.eva_ticket)
    assert (done.status, done.article_id, done.csat) == ("resolved", None, None)


@pytest.mark.asyncio
async def test_search_the_knowledge_base_and_read_an_article(firm: Firm) -> None:
    async with make_app(firm.path).run_test(size=SIZE) as pilot:
        pilot.app.push_screen(ContactScreen(firm.eva))
        await settle(pilot)
        titles = palette(pilot.app)
        await pilot.press("k")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, KbDialog)
        listed = [str(o.prompt) for o in dialog.query_one("#kb-matches")._options]  # type: ignore[attr-defined]
        await pilot.press(*"invoice", "enter")  # enter: on to the matches
        await settle(pilot)
        in_matches = dialog.focused is dialog.query_one("#kb-matches")
        await pilot.press(*" addr", "backspace", "r")  # typing there goes on with the words
        await settle(pilot)
        words = dialog.query_one("#kb-words").value  # type: ignore[attr-defined]
        matched = [str(o.prompt) for o in dialog.query_one("#kb-matches")._options]  # type: ignore[attr-defined]
        await pilot.press("enter", "enter")
        await settle(pilot)
        article = pilot.app.screen
        assert isinstance(article, ArticleDialog)
        body = rendered(article.query_one("#article-body"))
        title = rendered(article.query_one("#article-title"))
        await pilot.press("escape", "escape")
        await pilot.pause()
        back = pilot.app.screen
    assert "kb: Search and read articles" in titles
    assert listed == [f"#{n} {title}" for n, (title, _) in enumerate(ARTICLES, start=1)]
    assert in_matches and words == "invoice addr" and matched == ["#2 Change the invoice address"]
    assert title.strip() == "#2 Change the invoice address"
    assert body.split("\n")[0] == ARTICLES[1][1] and "Solved 0 tickets." in body
    assert back is not None and isinstance(back, ContactScreen)


@pytest.mark.asyncio
async def test_assign_a_lead_to_a_user_from_the_list(firm: Firm) -> None:
    async with make_app(firm.path).run_test(size=SIZE) as pilot:
        pilot.app.push_screen(ContactScreen(firm.eva))  # a customer
        await settle(pilot)
        customer = palette(pilot.app)
        await pilot.press("A")
        await settle(pilot)
        on_customer = type(pilot.app.screen)
        await pilot.press("escape")
        pilot.app.push_screen(ContactScreen(firm.lead))
        await settle(pilot)
        lead = palette(pilot.app)
        await pilot.press("A")
        await settle(pilot)
        choices = list(pilot.app.screen.choices)  # type: ignore[attr-defined]
        await pilot.press("enter")
        await settle(pilot)
        fields = rendered(pilot.app.screen.query_one("#contact-fields"))
    assert "lead: Assign to a user" not in customer and on_customer is ContactScreen
    assert "lead: Assign to a user" in lead
    db = database(firm.path)
    with session_scope(db, write=False) as s:
        users = {u.name: u.id for u in s.exec(select(User))}
        owned = s.get(Contact, firm.lead)
        changes = list(s.exec(select(OwnerChange).order_by(col(OwnerChange.id))))
    db.engine.dispose()
    assert choices == [f"#{users[ACTOR]} {ACTOR}"]  # not the owner it has
    assert owned is not None and (owned.owner_id, owned.status) == (users[ACTOR], "lead")
    assert [
        (c.record_type, c.record_id, c.from_user_id, c.to_user_id, c.reason, c.changed_by_id)
        for c in changes
    ] == [("contact", firm.lead, users[OTHER_USER], users[ACTOR], "assign", users[ACTOR])]
    assert ACTOR in fields
