"""Customer service: tickets with SLA due times, comments, resolution, CSAT, solution
articles and their search, overdue tickets in `crm remind`, and `crm report service`."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session

from tests.clihelp import Crm
from tests.conftest import NOW
from tinycrm.db.store import Database, dbapi, session_scope
from tinycrm.errors import Conflict, CrmError, InvalidInput, NotFound
from tinycrm.models import CompanyCreate, ContactCreate, TicketPriority, UserCreate
from tinycrm.services import companies, contacts, kb, reminders, tickets, users
from tinycrm.services.periods import ALL_TIME, date_range
from tinycrm.services.refs import resolve_user
from tinycrm.services.reports import service_report
from tinycrm.services.userref import find_owner

PARIS = ZoneInfo("Europe/Paris")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def team(db: Database) -> Database:
    """Ann and Bob; Carla Diaz at Acme."""
    with session_scope(db, write=True) as s:
        for name in ("Ann Lee", "Bob Stone"):
            users.create_user(s, data=UserCreate(name=name), currency="EUR")
        companies.create_company(s, data=CompanyCreate(name="Acme"))
        contacts.create_contact(
            s,
            data=ContactCreate(name="Carla Diaz", email="carla@acme.example", company="Acme"),
            region="US",
        )
    return db


def new_ticket(
    s: Session, subject: str, opened: str, priority: str = "normal", **more: Any
) -> tickets.TicketRow:
    return tickets.open_ticket(
        s, subject=subject, now=at(opened), priority=TicketPriority(priority), **more
    )


# --- opening and the SLA --------------------------------------------------------------------


def test_the_due_time_follows_the_priority(team: Database) -> None:
    with session_scope(team, write=True) as s:
        ann = resolve_user(s, "ann")
        rows = [
            new_ticket(s, f"P {p}", "2026-11-23T09:30", p, actor=ann)
            for p in ("urgent", "high", "normal", "low")
        ]
        given = new_ticket(s, "Given", "2026-11-23T09:30", due_at=at("2026-11-23T17:00"))
    assert [r.due_at for r in rows] == [
        at("2026-11-23T13:30"),
        at("2026-11-24T09:30"),
        at("2026-11-26T09:30"),
        at("2026-11-30T09:30"),
    ]
    assert [r.owner for r in rows] == ["Ann Lee"] * 4
    assert (given.due_at, given.priority, given.owner) == (at("2026-11-23T17:00"), "normal", None)


def test_sla_hours_from_config_override_the_defaults() -> None:
    hours = tickets.sla_hours({"high": 8, "low": 0.5})
    assert hours == {"urgent": 4, "high": 8, "normal": 72, "low": 0.5}
    assert tickets.sla_hours(None) == tickets.DEFAULT_SLA_HOURS
    for bad, message in (
        ({"critical": 2}, "unknown priority 'critical'"),
        ({"high": 0}, "sla_hours.high: must be a positive number"),
        ({"high": "8h"}, "sla_hours.high: must be a positive number"),
        (8, "must be a table"),
    ):
        with pytest.raises(CrmError, match=message):
            tickets.sla_hours(bad)


def test_a_ticket_takes_its_contacts_company(team: Database) -> None:
    with session_scope(team, write=True) as s:
        row = new_ticket(s, " Invoice wrong ", "2026-11-23T09:30", "high", contact="Carla Diaz")
        with pytest.raises(InvalidInput, match="subject: must not be empty"):
            new_ticket(s, "  ", "2026-11-23T09:30")
        with pytest.raises(NotFound, match="contact not found"):
            new_ticket(s, "Lost", "2026-11-23T09:30", contact="nobody@example.com")
    assert (row.id, row.subject, row.contact, row.company, row.state) == (
        1, "Invoice wrong", "Carla Diaz", "Acme", "open",
    )  # fmt: skip
    with pytest.raises(InvalidInput, match="^ticket priority: must be urgent, high, normal or low"):
        tickets.priority_of("asap")


# --- the life of a ticket -------------------------------------------------------------------


def test_assign_comment_resolve_rate_and_reopen(team: Database) -> None:
    with session_scope(team, write=True) as s:
        new_ticket(s, "Invoice wrong", "2026-11-20T10:00", "high")
        article = kb.add_article(s, title="Credit notes", body="Issue one.", now=NOW)
        assert tickets.assign_ticket(s, ref=1, owner="bob", now=NOW).owner == "Bob Stone"
        bob = resolve_user(s, "bob")
        tickets.comment_ticket(s, ref=1, body="Called Carla", now=NOW, actor=bob)
        tickets.comment_ticket(s, ref="#1", body="Sent a credit note", now=NOW + timedelta(1))
        with pytest.raises(InvalidInput, match="csat: must be from 1 to 5"):
            tickets.resolve_ticket(s, ref=1, now=NOW, csat=6)
    with session_scope(team, write=True) as s:
        done = tickets.resolve_ticket(s, ref=1, now=NOW, article=article.id, csat=4)
        assert (done.state, done.resolved_at, done.csat, done.article) == (
            "resolved", NOW, 4, "Credit notes",
        )  # fmt: skip
        with pytest.raises(Conflict, match="ticket #1 is already resolved"):
            tickets.resolve_ticket(s, ref=1, now=NOW)
        assert tickets.rate_ticket(s, ref=1, score=5, now=NOW).csat == 5
        assert kb.get_article(s, ref=article.id).tickets == 1
        again = tickets.reopen_ticket(s, ref=1, now=NOW, sla={"high": 2})
        assert (again.state, again.resolved_at, again.csat) == ("open", None, None)
        assert again.due_at == NOW + timedelta(hours=2)
        with pytest.raises(Conflict, match="^ticket #1 is already open$"):
            tickets.reopen_ticket(s, ref=1, now=NOW)
        with pytest.raises(Conflict, match="not resolved yet"):
            tickets.rate_ticket(s, ref=1, score=3, now=NOW)
        comments = tickets.ticket_comments(s, ref=1)
    assert [(c.author, c.body) for c in comments] == [
        ("Bob Stone", "Called Carla"),
        (None, "Reopened"),  # at NOW, before the comment dated a day later
        (None, "Sent a credit note"),
    ]


@pytest.fixture
def desk(team: Database) -> Database:
    """Six tickets over September to November 2026 (see the service report tests)."""
    with session_scope(team, write=True) as s:
        ann, bob = resolve_user(s, "ann"), resolve_user(s, "bob")
        resolutions = [
            # subject, opened, priority, owner, resolved, csat
            ("T1", "2026-11-02T09:00", "high", ann, "2026-11-02T19:00", 5),  # 10 h
            ("T2", "2026-11-05T10:00", "normal", ann, "2026-11-09T10:00", 3),  # 96 h, late
            ("T3", "2026-11-20T08:00", "urgent", ann, None, None),  # overdue since 12:00
            ("T4", "2026-10-10T12:00", "low", bob, "2026-10-31T23:30", None),  # 515.5 h, late
            ("T5", "2026-11-22T09:30", "normal", bob, None, None),  # due on the 25th
            ("T6", "2026-09-15T10:00", "low", None, "2026-09-15T12:00", 2),  # 2 h
        ]
        for subject, opened, priority, owner, resolved, csat in resolutions:
            row = new_ticket(s, subject, opened, priority, actor=owner)
            if resolved:
                tickets.resolve_ticket(s, ref=row.id, now=at(resolved), csat=csat)
    return team


def test_lists_put_open_tickets_first_by_due_time(desk: Database) -> None:
    with session_scope(desk, write=False) as s:

        def ids(**filters: Any) -> list[int]:
            return [r.id for r in tickets.list_tickets(s, now=NOW, **filters)]

        assert ids() == [3, 5]
        assert ids(status="all") == [3, 5, 2, 1, 4, 6]
        assert ids(status="resolved") == [2, 1, 4, 6]
        assert ids(overdue=True, status="all") == [3]
        assert ids(owner="bob", status="all") == [5, 4]
        assert ids(priority=TicketPriority.low, status="all") == [4, 6]
        assert ids(status="all", limit=2) == [3, 5]
        states = [r.state for r in tickets.list_tickets(s, now=NOW, status="all")]
        with pytest.raises(InvalidInput, match="^status filter: "):
            ids(status="closed")
    assert states == ["overdue", "open", "resolved", "resolved", "resolved", "resolved"]


# --- the service report ---------------------------------------------------------------------


def figures(row: service_report.ServiceRow) -> tuple[Any, ...]:
    return (
        row.key, row.open, row.overdue, row.opened, row.resolved, row.resolved_late,
        row.median_hours, row.csat, row.csat_count,
    )  # fmt: skip


def test_service_per_owner_in_november_in_paris(desk: Database) -> None:
    november = date_range(date(2026, 11, 1), date(2026, 11, 30), PARIS)
    with session_scope(desk, write=False) as s:
        found = service_report.service_report(s, period=november, now=NOW, tz=PARIS)
        in_utc = date_range(date(2026, 11, 1), date(2026, 11, 30), UTC)
        bob_utc = service_report.service_report(s, period=in_utc, now=NOW, tz=UTC, owner="bob")
    assert [figures(r) for r in found.rows] == [
        ("Ann Lee", 1, 1, 3, 2, 1, 53.0, 4.0, 2),
        ("Bob Stone", 1, 0, 1, 1, 1, 515.5, None, 0),  # resolved 00:30 on 1 November in Paris
        ("(no owner)", 0, 0, 0, 0, 0, None, None, 0),
    ]
    assert figures(found.total) == ("total", 2, 1, 4, 3, 2, 96.0, 4.0, 2)
    # In UTC, Bob's resolution fell on 31 October.
    assert [figures(r) for r in bob_utc.rows] == [("Bob Stone", 1, 0, 1, 0, 0, None, None, 0)]
    assert figures(bob_utc.total) == ("total", 1, 0, 1, 0, 0, None, None, 0)


def test_service_per_month_and_per_year(desk: Database) -> None:
    autumn = date_range(date(2026, 9, 1), date(2026, 11, 30), UTC)
    with session_scope(desk, write=False) as s:
        monthly = service_report.service_report(s, period=autumn, now=NOW, tz=UTC, by="month")
        yearly = service_report.service_report(s, period=ALL_TIME, now=NOW, tz=UTC, by="year")
        quarterly = service_report.service_report(s, period=ALL_TIME, now=NOW, tz=UTC, by="quarter")
        ann = service_report.service_report(
            s, period=autumn, now=NOW, tz=UTC, by="month", owner="ann"
        )
        with pytest.raises(InvalidInput, match="^by: must be owner, month, quarter or year"):
            service_report.service_report(s, period=autumn, now=NOW, tz=UTC, by="week")
    assert [figures(r) for r in monthly.rows] == [
        ("2026-09", None, None, 1, 1, 0, 2.0, 2.0, 1),
        ("2026-10", None, None, 1, 1, 1, 515.5, None, 0),
        ("2026-11", None, None, 4, 2, 1, 53.0, 4.0, 2),
    ]
    assert figures(monthly.total) == ("total", 2, 1, 6, 4, 2, 53.0, 10 / 3, 3)
    assert [figures(r) for r in yearly.rows] == [("2026", None, None, 6, 4, 2, 53.0, 10 / 3, 3)]
    assert [r.key for r in quarterly.rows] == ["2026-Q3", "2026-Q4"]
    assert [r.opened for r in quarterly.rows] == [1, 5]
    assert [figures(r) for r in ann.rows][2] == ("2026-11", None, None, 3, 2, 1, 53.0, 4.0, 2)
    assert figures(ann.total) == ("total", 1, 1, 3, 2, 1, 53.0, 4.0, 2)


# --- solution articles ----------------------------------------------------------------------


@pytest.fixture
def library(team: Database) -> Database:
    with session_scope(team, write=True) as s:
        for title, body in (
            ("Invoice corrections", "Issue a credit note and a new bill."),
            ("Billing address change", "Customers change the invoice address under Settings."),
            ("Password reset", "Use the link on the login page."),
        ):
            kb.add_article(s, title=title, body=body, now=NOW)
    return team


@pytest.mark.parametrize(
    ("words", "found"),
    [
        ("invoice", [1, 2]),  # a title match ranks above a body match
        ("INVOIC", [1, 2]),  # any case, and a word's start
        ("invoice address", [2]),  # every word
        ("login", [3]),
        ("refund", []),
        ("login refund", [3]),  # none has every word: those with any of them
        ("wifi credit notes", [1]),
        ('"credit" AND bill*', [1]),  # typed operators are words, not syntax
    ],
)
def test_search_finds_articles_by_words(library: Database, words: str, found: list[int]) -> None:
    with session_scope(library, write=False) as s:
        assert [a.id for a in kb.search_articles(s, query=words)] == found


def test_search_marks_the_words_and_refuses_no_words(library: Database) -> None:
    with session_scope(library, write=False) as s:
        hit = kb.search_articles(s, query="address")[0]
        with pytest.raises(InvalidInput, match="give at least one word"):
            kb.search_articles(s, query=" ** ")
        listed = kb.list_articles(s)
    assert hit.title == "Billing address change"
    assert hit.snippet is not None and "«address»" in hit.snippet
    assert [(a.id, a.tickets) for a in listed] == [(1, 0), (2, 0), (3, 0)]


# --- overdue tickets in `crm remind` ----------------------------------------------------------


def remind_options(**changes: Any) -> reminders.RemindOptions:
    return reminders.RemindOptions(**{"now": NOW, "tz": UTC, **changes})


def test_overdue_tickets_are_reminded_once_per_due_time(desk: Database) -> None:
    with dbapi(desk) as sql:
        found = reminders.overdue_tickets(sql, remind_options())
        assert [(r.kind, r.id, r.title, r.priority, r.owner) for r in found] == [
            ("ticket", 3, "T3", "urgent", "Ann Lee")
        ]
        assert found[0].at == at("2026-11-20T12:00")
        bob = find_owner(sql, "bob")[0]
        assert reminders.overdue_tickets(sql, remind_options(owner_id=bob)) == []
        with sql.writing():
            first = reminders.claim(sql, reminders.collect(sql, remind_options()), NOW)
        assert [r.id for r in first] == [3]
        assert reminders.collect(sql, remind_options()) == []
        assert [r.id for r in reminders.collect(sql, remind_options(delivered_too=True))] == [3]
    with session_scope(desk, write=True) as s:  # reopened with a due time already past
        tickets.reopen_ticket(s, ref=1, now=NOW, due_at=NOW - timedelta(hours=1))
        tickets.resolve_ticket(s, ref=3, now=NOW)
    with dbapi(desk) as sql:
        later = reminders.collect(sql, remind_options())
        assert [(r.id, r.priority) for r in later] == [(1, "high")]
        with sql.writing():
            assert len(reminders.claim(sql, later, NOW)) == 1
        with sql.writing():
            assert reminders.claim(sql, later, NOW) == []


# --- the command line -----------------------------------------------------------------------


@pytest.fixture
def cli_env() -> dict[str, str]:
    return {"CRM_NOW": "2026-11-23T09:30"}


@pytest.fixture
def cli(crm: Crm, crm_env: Path) -> Crm:
    """`crm` with Ana (a rep) and Bo (who manages the desk), Li Wei at Acme Ltd; `high`
    tickets due in 8 hours."""
    crm_env.mkdir(parents=True, exist_ok=True)
    (crm_env / "config.toml").write_text("[sla_hours]\nhigh = 8\n", encoding="utf-8")
    run = crm
    run("user", "add", "Ana Reyes")
    run("user", "add", "Bo Chen", "--role", "manager")
    run("company", "add", "Acme Ltd")
    run("contact", "add", "Li Wei", "--email", "li.wei@acme.example", "--company", "Acme Ltd")
    return run


def test_a_ticket_from_the_command_line(cli: Crm, monkeypatch: pytest.MonkeyPatch) -> None:
    opened = cli(
        "--as", "ana", "ticket", "open", "--contact", "li.wei@acme.example", "Invoice wrong",
        "--priority", "high",
    )  # fmt: skip
    assert opened.out == "ticket #1 opened: Invoice wrong (high, due Mon 2026-11-23 17:30)\n"
    cli("ticket", "open", "Question", "--priority", "low", "--due", "2026-11-23 12:00")
    assert cli("ticket", "assign", "2", "--to", "bo").out == (
        "ticket #2 assigned to Bo Chen: Question\n"
    )
    cli("--as", "bo", "ticket", "comment", "1", "Asked for the invoice number")
    listed = cli("ticket", "list", "--format", "json").json()
    assert [(t["id"], t["due_at"], t["owner"], t["company"]) for t in listed] == [
        (2, "2026-11-23T12:00:00+00:00", "Bo Chen", None),
        (1, "2026-11-23T17:30:00+00:00", "Ana Reyes", "Acme Ltd"),
    ]
    monkeypatch.setenv("CRM_NOW", "2026-11-24T08:00")
    assert (
        cli("ticket", "list", "--overdue", "-f", "csv")
        .out.splitlines()[1]
        .startswith("2,low,Question,overdue,")
    )
    cli("kb", "add", "Fixing an invoice", "--body", "Issue a credit note.")
    resolved = cli("ticket", "resolve", "1", "--article", "1", "--csat", "4")
    assert resolved.out == "ticket #1 resolved: Invoice wrong (article #1, csat 4/5)\n"
    assert cli("ticket", "rate", "1", "5").out == "ticket #1 rated: Invoice wrong (csat 5/5)\n"
    shown = cli("ticket", "show", "1", "--format", "json").json()
    assert (shown["state"], shown["csat"], shown["article"]) == ("resolved", 5, "Fixing an invoice")
    assert shown["comments"] == [
        {
            "created_at": "2026-11-23T09:30:00+00:00",
            "author": "Bo Chen",
            "body": "Asked for the invoice number",
        }
    ]
    reopened = cli("--as", "bo", "ticket", "reopen", "1", "--reason", "Credit note was wrong")
    assert reopened.out == "ticket #1 reopened: Invoice wrong (high, due Tue 2026-11-24 16:00)\n"
    again = cli("ticket", "show", "1", "--format", "json").json()["comments"][-1]
    assert (again["author"], again["body"]) == ("Bo Chen", "Reopened: Credit note was wrong")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("ticket", "open", "X", "--priority", "asap"), 2, "--priority: must be urgent"),
        (("ticket", "resolve", "1", "--csat", "0"), 2, "csat: must be from 1 to 5"),
        (("ticket", "rate", "1", "4"), 3, "ticket #1 is not resolved yet"),
        (("ticket", "reopen", "1"), 3, "ticket #1 is already open"),
        (("ticket", "show", "9"), 2, "ticket not found: 9"),
        (("ticket", "list", "--status", "closed"), 2, "--status: must be open, resolved or all"),
        (("kb", "add", "Empty"), 2, "give the text with --body or --file"),
        (("report", "service", "--by", "day"), 2, "--by: must be owner, month, quarter or year"),
    ],
)
def test_bad_input_is_one_line(cli: Crm, args: tuple[str, ...], code: int, message: str) -> None:
    cli("ticket", "open", "Something")
    ran = cli(*args, ok=False)
    assert ran.code == code
    assert ran.err.startswith("crm: error: ") and message in ran.err


def test_a_bad_sla_in_the_config_is_one_line(cli: Crm, crm_env: Path) -> None:
    (crm_env / "config.toml").write_text("sla_hours = {high = -1}\n", encoding="utf-8")
    ran = cli("ticket", "open", "X", "--priority", "high", ok=False)
    assert (ran.code, ran.err) == (
        2,
        "crm: error: config sla_hours.high: must be a positive number of hours: -1\n",
    )


def test_kb_from_a_file_search_and_show(cli: Crm, tmp_path: Path) -> None:
    (tmp_path / "reset.md").write_text("Open the login page.\nPress Reset.\n", encoding="utf-8")
    assert cli("kb", "add", "Password reset", "--file", str(tmp_path / "reset.md")).out == (
        "article #1 added: Password reset\n"
    )
    cli("kb", "add", "Login for new staff", "--file", "-", input="Ask Ana for an account.")
    found = cli("kb", "search", "login", "--format", "json").json()
    assert [(r["rank"], r["id"], r["title"]) for r in found] == [
        (1, 2, "Login for new staff"),
        (2, 1, "Password reset"),
    ]
    assert found[1]["snippet"] == "Open the «login» page.\nPress Reset."
    assert cli("kb", "search", "refund", ok=False).code == 1
    shown = cli("kb", "show", "1", "-f", "json").json()
    assert shown["body"] == "Open the login page.\nPress Reset."
    assert [r["title"] for r in cli("kb", "list", "-f", "json").json()] == [
        "Password reset",
        "Login for new staff",
    ]


def test_remind_shows_overdue_tickets_once(cli: Crm, monkeypatch: pytest.MonkeyPatch) -> None:
    cli("ticket", "open", "Login broken", "--priority", "urgent", "--owner", "bo")
    cli("ticket", "open", "Invoice wrong", "--priority", "high", "--contact", "Li Wei")
    monkeypatch.setenv("CRM_NOW", "2026-11-24T08:00")
    assert cli("remind", "--all-owners").out == (
        "Overdue tickets (2)\n"
        "  #1 Login broken — due yesterday 13:30 · urgent · Bo Chen\n"
        "  #2 Invoice wrong — due yesterday 17:30 · high · Li Wei · Acme Ltd\n"
    )
    assert cli("remind", "--all-owners").out == ""
    assert [
        r["priority"] for r in cli("remind", "--all", "--owner", "bo", "-f", "json").json()
    ] == ["urgent"]


def test_report_service_from_the_command_line(cli: Crm, monkeypatch: pytest.MonkeyPatch) -> None:
    cli("ticket", "open", "A", "--priority", "urgent", "--owner", "ana")
    cli("ticket", "open", "B", "--owner", "ana")
    cli("ticket", "open", "C", "--owner", "bo")
    monkeypatch.setenv("CRM_NOW", "2026-11-23T15:30")
    cli("ticket", "resolve", "1", "--csat", "5")  # 6 hours, 2 hours late
    monkeypatch.setenv("CRM_NOW", "2026-11-24T09:30")
    cli("ticket", "resolve", "2", "--csat", "2")  # 24 hours
    rows = list(csv.DictReader(io.StringIO(cli("report", "service", "-f", "csv").out)))
    assert [(r["owner"], r["open"], r["resolved"], r["resolved_late"]) for r in rows] == [
        ("Ana Reyes", "0", "2", "1"),
        ("Bo Chen", "1", "0", "0"),
        ("total", "1", "2", "1"),
    ]
    assert (rows[2]["median_hours"], rows[2]["csat"], rows[2]["csat_count"]) == ("15.0", "3.5", "2")
    table = cli("report", "service", "--by", "month").out
    assert "Service by month, 2026" in table
    assert [line.split() for line in table.splitlines() if line.lstrip().startswith("2026-11")] == [
        ["2026-11", "3", "2", "1", "15.0", "3.50", "2"]
    ]
    december = cli("report", "service", "--from", "2026-12-01", "--to", "2026-12-31", "-f", "json")
    assert december.json()[-1] == {
        "owner": "total", "open": 1, "overdue": 0, "opened": 0, "resolved": 0,
        "resolved_late": 0, "median_hours": None, "csat": None, "csat_count": 0,
    }  # fmt: skip
