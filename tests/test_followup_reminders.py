"""Follow-up calls due are reminders: `crm remind` tells the owner of the ticket or order a
call follows, once each (to each person, and to nobody through the follow-up's own mark), in
every format; `crm agenda` lists a call on its due day with whom to call. A call due on a local
day is due from that day's local midnight, not the UTC one, behind UTC and ahead of it. A
database at 0015 gets the mark on upgrade and reminds its due calls once."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from tests.clihelp import Crm
from tests.conftest import NOW
from tinycrm.db.store import Database, downgrade, session_scope, session_sql, upgrade
from tinycrm.services import tickets
from tinycrm.services.reminders import RemindOptions, claim, collect

TICKET_CALL = "#1 ticket #1 resolved: Printer jams — due today · Li Wei · Acme Ltd · Ana Reyes\n"
ORDER_CALL = "#2 order #1 delivered — due yesterday · Acme Ltd · Bo Chen\n"


@pytest.fixture
def calls(crm: Crm, monkeypatch: pytest.MonkeyPatch) -> Crm:
    """Ana and Bo (reps), Max (manager); Li Wei at Acme Ltd. On 2 November (New York): Ana's
    ticket #1 about Li resolved with a call the next day; Bo's order #1 for Acme delivered with
    a call that day; Ana's ticket #2 with a call on the 7th. Then it is 3 November, 08:00."""
    monkeypatch.setenv("CRM_TIMEZONE", "America/New_York")
    monkeypatch.setenv("CRM_NOW", "2026-11-02T10:00")
    crm("user", "add", "Ana Reyes")
    crm("user", "add", "Bo Chen")
    crm("user", "add", "Max Klein", "--role", "manager")
    crm("company", "add", "Acme Ltd")
    crm("contact", "add", "Li Wei", "--email", "li@acme.example", "--company", "Acme Ltd")
    crm("ticket", "open", "Printer jams", "--contact", "Li Wei", "--owner", "ana")
    crm("ticket", "resolve", "1", "--follow-up", "1")
    crm("--as", "bo", "deal", "add", "Parts", "--amount", "€80", "--company", "Acme Ltd")
    crm("deal", "move", "1", "won")
    crm("order", "add", "--deal", "1")
    crm("order", "deliver", "1", "--follow-up", "0")
    crm("ticket", "open", "Slow", "--owner", "ana")
    crm("ticket", "resolve", "2", "--follow-up", "5")
    monkeypatch.setenv("CRM_NOW", "2026-11-03T08:00")
    return crm


def test_the_owner_is_reminded_once(calls: Crm) -> None:
    assert calls("--as", "ana", "remind").out == "Follow-up calls (1)\n  " + TICKET_CALL
    assert calls("--as", "ana", "remind").out == ""
    assert calls("--as", "ana", "remind", "--all-owners").out == ""  # Bo's order is not hers
    assert calls("--as", "bo", "remind").out == "Follow-up calls (1)\n  " + ORDER_CALL
    everyone = calls("--as", "max", "remind", "--all-owners").out
    assert everyone == "Follow-up calls (2)\n  " + ORDER_CALL + "  " + TICKET_CALL
    assert calls("--as", "max", "remind", "--all-owners").out == ""


def test_a_run_for_nobody_marks_the_call_for_its_due_day(calls: Crm) -> None:
    assert calls("remind").out == "Follow-up calls (2)\n  " + ORDER_CALL + "  " + TICKET_CALL
    assert calls("remind").out == ""
    assert calls("--as", "max", "remind", "--all-owners").out == ""  # shown to nobody: to all
    shown = _jsonl(calls("remind", "--all", "--dry-run", "--format", "jsonl").out)
    assert [(r["id"], r["date"]) for r in shown] == [(2, "2026-11-02"), (1, "2026-11-03")]


def test_every_format(calls: Crm) -> None:
    rows = calls("remind", "--all-owners", "--dry-run", "--format", "csv").out.splitlines()
    assert rows == [
        "type,id,title,due_at,date,owner,about,amount,currency,reasons,last_activity,repeats,"
        "priority",
        "followup,2,order #1 delivered,,2026-11-02,Bo Chen,Acme Ltd,,,overdue,,,",
        "followup,1,ticket #1 resolved: Printer jams,,2026-11-03,Ana Reyes,Li Wei · Acme Ltd,,,"
        "due,,,",
    ]
    found = calls("remind", "--all-owners", "--dry-run", "--format", "json").json()
    assert found[1] == {
        "type": "followup", "id": 1, "title": "ticket #1 resolved: Printer jams",
        "due_at": None, "date": "2026-11-03", "owner": "Ana Reyes",
        "about": "Li Wei · Acme Ltd", "amount": None, "currency": None, "reasons": ["due"],
        "last_activity": None, "repeats": None, "priority": None,
    }  # fmt: skip
    lines = _jsonl(calls("remind", "--all-owners", "--dry-run", "--format", "jsonl").out)
    assert [r["type"] for r in lines] == ["followup", "followup"]


def test_within_done_and_the_agenda(calls: Crm) -> None:
    ahead = calls("remind", "--owner", "ana", "--within", "4d", "--dry-run").out
    assert ahead == (
        "Follow-up calls (2)\n  " + TICKET_CALL
        + "  #3 ticket #2 resolved: Slow — due Sat 07 Nov (in 4 days) · Ana Reyes\n"
    )  # fmt: skip
    calls("followup", "done", "1", "--outcome", "Fixed")
    left = calls("remind", "--all", "--all-owners", "--dry-run", "--format", "jsonl")
    assert [r["id"] for r in _jsonl(left.out)] == [2]
    week = calls("agenda", "--week", "--all-owners", "--format", "csv").out.splitlines()
    assert [r for r in week if ",followup," in r] == [
        "2026-11-02T00:00:00-05:00,2,followup,follow-up #2: call Acme Ltd about order #1,"
        "Acme Ltd,Bo Chen,overdue,",
        "2026-11-07T00:00:00-05:00,3,followup,follow-up #3: call about ticket #2,,Ana Reyes,due,",
    ]
    day = calls("agenda", "--date", "2026-11-02", "--days", "0", "--all-owners", "-f", "csv")
    assert day.out.splitlines()[1:] == [
        "2026-11-02T00:00:00-05:00,2,followup,follow-up #2: call Acme Ltd about order #1,"
        "Acme Ltd,Bo Chen,overdue,"
    ]
    listed = calls("agenda", "--date", "2026-11-07", "--days", "0", "--owner", "ana").out
    assert listed == " Sat 07 Nov    follow-up #3: call about ticket #2   \n\n"
    month = calls("agenda", "--month", "--all-owners", "--format", "json").json()
    assert [(r["id"], r["due_at"][:10]) for r in month if r["kind"] == "followup"] == [
        (2, "2026-11-02"),
        (3, "2026-11-07"),
    ]


@pytest.mark.parametrize("zone", ["America/Los_Angeles", "Asia/Shanghai"])
def test_a_call_is_due_from_its_local_midnight(
    crm: Crm, monkeypatch: pytest.MonkeyPatch, zone: str
) -> None:
    monkeypatch.setenv("CRM_TIMEZONE", zone)
    monkeypatch.setenv("CRM_NOW", "2026-11-22T12:00")
    crm("user", "add", "Ana Reyes")
    crm("ticket", "open", "Broken", "--owner", "ana")
    crm("ticket", "resolve", "1", "--follow-up", "2")
    offset = datetime(2026, 11, 24, tzinfo=ZoneInfo(zone)).strftime("%z")
    on_24th = (
        f"2026-11-24T00:00:00{offset[:3]}:{offset[3:]},1,followup,"
        "follow-up #1: call about ticket #1,,Ana Reyes,due,"
    )
    monkeypatch.setenv("CRM_NOW", "2026-11-23T23:59")  # the 24th in UTC behind, not ahead
    assert crm("remind", "--all-owners", "--dry-run").out == ""
    day = crm(
        "agenda", "--date", "2026-11-23", "--days", "0", "--all-owners", "-f", "csv", ok=False
    )
    assert (day.code, day.out) == (1, "due_at,id,kind,subject,about,owner,state,repeats\n")
    week = crm("agenda", "--week", "--all-owners", "--format", "csv").out.splitlines()
    assert [r for r in week if ",followup," in r] == [on_24th]
    monkeypatch.setenv("CRM_NOW", "2026-11-24T00:00")  # still the 23rd in UTC ahead
    assert crm("remind", "--all-owners", "--dry-run").out == (
        "Follow-up calls (1)\n  #1 ticket #1 resolved: Broken — due today · Ana Reyes\n"
    )
    rows = crm("agenda", "--all-owners", "--days", "0", "--format", "csv").out.splitlines()
    assert [r for r in rows if ",followup," in r] == [on_24th]
    before = crm("agenda", "--date", "2026-11-23", "--days", "0", "--all-owners", "-f", "csv",
                 ok=False)  # fmt: skip
    assert before.out == day.out


def test_a_database_at_0015_reminds_its_due_calls_once_after_upgrade(db: Database) -> None:
    with session_scope(db, write=True) as s:
        ticket = tickets.open_ticket(s, subject="Broken", now=NOW)
        tickets.resolve_ticket(s, ref=ticket.id, now=NOW, followup_in=0)
    downgrade(db, revision="0015")
    with db.engine.connect() as conn:
        kept = conn.execute(text("SELECT id, ticket_id, due_on FROM followups")).all()
        columns = _columns(conn, "followups")
    assert [(i, t, str(d)) for i, t, d in kept] == [(1, 1, "2026-11-23")]
    assert "reminded_on" not in columns
    upgrade(db)
    opts = RemindOptions(now=NOW, tz=UTC)
    with session_scope(db, write=True) as s:
        sql = session_sql(s)
        found = collect(sql, opts, sections=["followups"])
        assert [(r.kind, r.id, r.day) for r in found] == [("followup", 1, date(2026, 11, 23))]
        assert len(claim(sql, found, NOW)) == 1
    with session_scope(db, write=False) as s:
        assert collect(session_sql(s), opts, sections=["followups"]) == []
        marked = s.connection().execute(text("SELECT reminded_on FROM followups")).scalar()
    assert str(marked) == "2026-11-23"


def _columns(conn: object, table: str) -> set[str]:
    run = conn.execute  # type: ignore[attr-defined]
    if conn.dialect.name == "sqlite":  # type: ignore[attr-defined]
        return {r[1] for r in run(text(f"PRAGMA table_info({table})"))}
    query = (
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = :t AND table_schema = current_schema()"
    )
    return set(run(text(query), {"t": table}).scalars())


def _jsonl(out: str) -> list[Any]:
    return [json.loads(line) for line in out.splitlines()]
