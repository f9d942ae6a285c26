"""Delivering an order: `crm order deliver` records the day (the user's calendar day unless
`--on` names one), in the audit log, and schedules a follow-up call `followup_days.order` days
after it; order follow-ups are listed, completed and counted like ticket ones. A database at
0013 keeps its follow-ups when it is upgraded."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.clihelp import Crm
from tests.conftest import NOW
from tinycrm.db.store import Database, downgrade, session_scope, upgrade
from tinycrm.errors import DatabaseError
from tinycrm.models import DealCreate, FollowUp
from tinycrm.services import deals, followups, orders, tickets


@pytest.fixture
def shop(crm: Crm, crm_env: Path, monkeypatch: pytest.MonkeyPatch) -> Crm:
    """Ana's won deal for Acme with order #1 (1,200.00 EUR, ordered 2026-11-02), Bo's won deal
    with order #2; a high ticket of Ana's; follow-ups: tickets 2 days on, orders 10."""
    crm_env.mkdir(parents=True, exist_ok=True)
    (crm_env / "config.toml").write_text("followup_days = {high = 2, order = 10}\n", "utf-8")
    monkeypatch.setenv("CRM_TIMEZONE", "America/New_York")
    monkeypatch.setenv("CRM_NOW", "2026-11-02T23:30")  # local; 04:30 UTC on the 3rd
    crm("user", "add", "Ana Reyes")
    crm("user", "add", "Bo Chen")
    crm("company", "add", "Acme")
    crm("--as", "ana", "deal", "add", "Fleet", "--amount", "€1200", "--company", "Acme")
    crm("--as", "bo", "deal", "add", "Parts", "--amount", "€80")
    for deal in ("1", "2"):
        crm("deal", "move", deal, "won")
        crm("order", "add", "--deal", deal)
    crm("--as", "ana", "ticket", "open", "Broken", "--priority", "high")
    crm("ticket", "resolve", "1")
    return crm


def test_delivering_schedules_the_follow_up_from_the_local_day(shop: Crm) -> None:
    said = shop("order", "deliver", "1").out
    assert said == "order #1 delivered on 2026-11-02; follow-up #2 due 2026-11-12\n"
    assert shop("order", "show", "1", "-f", "json").json()["delivered_on"] == "2026-11-02"
    shop("order", "deliver", "2", "--on", "2026-11-05", "--follow-up", "0")
    rows = shop("followup", "list", "-f", "csv").out.splitlines()
    assert rows == [
        "id,ticket_id,order_id,subject,customer,owner,due_on,state,done_at,outcome,satisfaction",
        "1,1,,Broken,,Ana Reyes,2026-11-04,scheduled,,,",
        "3,,2,order #2 delivered,,Bo Chen,2026-11-05,scheduled,,,",
        "2,,1,order #1 delivered,Acme,Ana Reyes,2026-11-12,scheduled,,,",
    ]
    entry = shop("audit", "list", "--object", "orders", "-f", "json").json()[0]
    assert (entry["record_id"], entry["action"]) == (2, "edit")
    assert entry["changes"] == {"delivered_on": [None, "2026-11-05"]}


def test_order_follow_ups_are_done_and_counted(shop: Crm, monkeypatch: pytest.MonkeyPatch) -> None:
    shop("order", "deliver", "1", "--on", "2026-11-03")
    shop("order", "deliver", "2", "--on", "2026-11-03")
    monkeypatch.setenv("CRM_NOW", "2026-11-14T10:00")
    assert shop("followup", "done", "2", "--satisfaction", "5").out.startswith(
        "follow-up #2 of order #1 done"
    )
    report = shop("report", "service", "--followups", "--from", "2026-11-01", "--to",
                  "2026-11-30", "-f", "csv").out.splitlines()  # fmt: skip
    assert report == [
        "owner,scheduled,done,overdue,done_rate,satisfaction,rated",
        "Ana Reyes,2,1,1,0.5,5.0,1",
        "Bo Chen,1,0,1,0.0,,0",
        "total,3,1,2,0.3333333333333333,5.0,1",
    ]
    mine = shop("--as", "bo", "followup", "list", "-f", "json").json()
    assert [(f["id"], f["order_id"], f["state"]) for f in mine] == [(3, 2, "overdue")]


def test_delivery_is_refused_twice_before_the_order_or_without_config(
    shop: Crm, crm_env: Path
) -> None:
    shop("user", "add", "Vic Ng", "--role", "viewer")
    viewer = shop("--as", "vic", "order", "deliver", "1", ok=False)
    assert (viewer.code, viewer.err) == (
        4,
        "crm: error: not allowed: edit orders owned by someone else (role viewer has orders "
        "edit: none)\n",
    )
    early = shop("order", "deliver", "1", "--on", "2026-11-01", ok=False)
    assert (early.code, early.err) == (
        2,
        "crm: error: --on: before the order date 2026-11-02: '2026-11-01'\n",
    )
    shop("order", "deliver", "1")
    again = shop("order", "deliver", "1", ok=False)
    assert (again.code, again.err) == (
        3,
        "crm: error: order #1 was already delivered on 2026-11-02\n",
    )
    (crm_env / "config.toml").write_text("followup_days = {high = 2}\n", "utf-8")
    assert shop("order", "deliver", "2").out == "order #2 delivered on 2026-11-02\n"
    assert len(shop("followup", "list", "-f", "json").json()) == 2


def test_a_database_at_0013_keeps_its_follow_ups_on_upgrade(db: Database) -> None:
    with session_scope(db, write=True) as s:
        deals.create_deal(s, data=DealCreate(title="Fleet", amount_minor=500_000),
                          currency="EUR", actor=None, now=NOW)  # fmt: skip
        deals.win_deal(s, ref=1, actor=None, now=NOW)
        orders.create_order(s, deal=1, amount=None, ordered_on=NOW.date(), now=NOW)
        ticket = tickets.open_ticket(s, subject="Broken", now=NOW)
        tickets.resolve_ticket(s, ref=ticket.id, now=NOW, followup_in=3)
    downgrade(db, revision="0013")
    with db.engine.connect() as conn:
        found = conn.execute(text("SELECT id, ticket_id, due_on FROM followups")).all()
    assert [(i, t, str(d)) for i, t, d in found] == [(1, 1, "2026-11-26")]
    upgrade(db)
    with session_scope(db, write=True) as s:
        row = orders.deliver_order(s, ref=1, on=date(2026, 11, 24), followup_in=7, now=NOW,
                                   today=NOW.date())[0]  # fmt: skip
        assert row.delivered_on == date(2026, 11, 24)
        listed = followups.list_followups(s, today=NOW.date())
    assert [(f.id, f.ticket_id, f.order_id, f.due_on) for f in listed] == [
        (1, 1, None, date(2026, 11, 26)),
        (2, None, 1, date(2026, 12, 1)),
    ]
    with pytest.raises(DatabaseError, match="one_record"), session_scope(db, write=True) as s:
        s.add(FollowUp(ticket_id=1, order_id=1, due_on=NOW.date(), created_at=NOW))
        s.flush()
