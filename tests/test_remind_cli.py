"""`crm remind` as cron runs it, `crm agenda`, `crm activity snooze/done` and `crm export ics`,
driven the way a user would; the calendar file is read back with icalendar."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from icalendar import Calendar
from sqlalchemy import text

from tests.clihelp import Crm
from tests.conftest import BACKENDS
from tinycrm.config import load_settings
from tinycrm.db import store
from tinycrm.db.store import Database

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "data" / "corpora"
MONDAY = "2026-11-23T08:00"
"""CRM_NOW for these tests: Monday 23 November 2026, 08:00 in Berlin."""


@pytest.fixture
def backend() -> str:
    """Cron's `crm remind` reads the SQLite file (tmp_path/crm.db) straight through sqlite3."""
    return "sqlite"


@pytest.fixture
def cli_env() -> dict[str, str]:
    return {"CRM_TIMEZONE": "Europe/Berlin", "CRM_NOW": "2026-11-02T08:00"}


@pytest.fixture
def acme(crm: Crm, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ana (rep) and Max (manager); Li Wei at Acme Ltd; deal #1 large and closing Friday,
    made on 2 November; then the clock says MONDAY."""
    run = crm
    run("user", "add", "Ana Reyes", "--email", "ana@shop.example")
    run("user", "add", "Max Both", "--role", "manager")
    run("company", "add", "Acme Ltd")
    run("contact", "add", "Li Wei", "--email", "li.wei@acme.example", "--company", "Acme Ltd")
    run(
        "deal",
        "add",
        "Acme renewal",
        "--amount",
        "25000",
        "--company",
        "Acme Ltd",
        "--close",
        "2026-11-27",
        "--owner",
        "ana",
    )
    run("deal", "add", "Small one", "--amount", "900", "--close", "2026-11-24", "--owner", "ana")
    monkeypatch.setenv("CRM_NOW", MONDAY)


def test_the_morning_cron_run_and_the_next_one(
    crm: Crm, acme: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    crm(
        "activity",
        "schedule",
        "Call Li about renewal",
        "--contact",
        "li.wei@acme.example",
        "--due",
        "mon 9:00",
        "--remind",
        "15m",
        "--owner",
        "ana",
    )
    crm("activity", "schedule", "Old follow-up", "--due", "2026-11-20 10:00", "--owner", "ana")
    crm("activity", "schedule", "Max's task", "--due", "2026-11-22 10:00", "--owner", "max")
    monkeypatch.setenv("CRM_USER", "ana")
    first = crm("remind")
    assert first.out == (
        "Overdue (1)\n"
        "  #2 Old follow-up — due Fri 20 Nov 10:00 (3 days ago) · Ana Reyes\n"
        "\n"
        "Large deals (1)\n"
        "  #1 Acme renewal — 25,000.00 USD · closes Fri 27 Nov (in 4 days) · "
        "no activity for 21 days · Acme Ltd · Ana Reyes\n"
    )
    assert crm("remind").out == ""  # delivered once; cron mails nothing
    monkeypatch.setenv("CRM_NOW", "2026-11-23T08:46")  # the 15-minute lead has come
    assert crm("remind").out == (
        "Due now (1)\n"
        "  #1 Call Li about renewal — due today 09:00 · Li Wei · Acme Ltd · Ana Reyes\n"
    )
    assert crm("remind", "--all-owners").out == ""  # Max's task is not Ana's (a rep) to read
    assert crm("--as", "max", "remind", "--all-owners", "--dry-run").out.startswith(
        "Overdue (2)\n  #2 Old follow-up — due Fri 20 Nov 10:00 (3 days ago) · Ana Reyes\n"
        "  #3 Max's task — due yesterday 10:00 · Max Both\n"
    )
    everything = crm("--as", "max", "remind", "--all", "--all-owners", "--format", "json").json()
    assert [(r["type"], r["id"]) for r in everything] == [
        ("overdue", 2),
        ("overdue", 3),
        ("due", 1),
        ("deal", 1),
    ]
    assert everything[3]["amount"] == 25000.0
    assert everything[3]["reasons"] == ["closing", "stale"]
    assert everything[2]["due_at"] == "2026-11-23T09:00:00+01:00"


def test_dry_run_exit_code_and_within(crm: Crm, acme: None) -> None:
    crm("activity", "schedule", "Tomorrow's call", "--due", "tomorrow 10:00", "--owner", "ana")
    quiet = crm("remind", "--owner", "ana", "--min-amount", "100000", "--exit-code")
    assert (quiet.code, quiet.out) == (0, "")
    ahead = crm("remind", "--owner", "ana", "--within", "2d", "--dry-run", "--exit-code", ok=False)
    assert ahead.code == 1
    assert "Coming up (1)\n  #1 Tomorrow's call — due tomorrow 10:00" in ahead.out
    assert "Large deals (1)" in ahead.out
    again = crm("remind", "--owner", "ana", "--within", "2d", "--format", "csv")
    assert again.out.splitlines()[0].startswith("type,id,title,due_at,date,owner")
    assert again.out.splitlines()[1].startswith("upcoming,1,Tomorrow's call,2026-11-24T10:00")
    assert crm("remind", "--owner", "ana", "--within", "2d", "--format", "csv").out == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--owner", "nobody"), "user not found: 'nobody'"),
        (("--owner", "ana", "--all-owners"), "give --owner or --all-owners, not both"),
        (("--within", "soon"), "--within"),
        (("--min-amount", "lots"), "--min-amount"),
        (("--close-within", "-1"), "--close-within"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    crm: Crm, acme: None, args: tuple[str, ...], message: str
) -> None:
    ran = crm("remind", *args, ok=False)
    assert ran.code == 2
    assert message in ran.err and ran.err.count("\n") == 1 and ran.err.startswith("crm: error:")


def test_a_missing_database_is_one_line_and_is_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.db"
    ran = Crm()("--db", str(missing), "remind", ok=False)
    assert (ran.code, ran.out) == (2, "")
    made_by = f"`crm init --db {missing}` creates one"
    assert ran.err == f"crm: error: no database at {missing}; {made_by}\n"
    assert not missing.exists()


def test_a_locked_database_is_one_line_after_waiting(crm: Crm, acme: None, tmp_path: Path) -> None:
    """It waits as long as CRM_LOCK_WAIT says (30 s unless told), then says so in one line."""
    crm("activity", "schedule", "Old", "--due", "2026-11-20 10:00")
    blocker = sqlite3.connect(tmp_path / "crm.db", isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        env = {**os.environ, "CRM_DB": str(tmp_path / "crm.db"), "CRM_NOW": MONDAY}
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "tinycrm", "remind", "--all-owners"],
            capture_output=True,
            text=True,
            env={**env, "CRM_LOCK_WAIT": "1.5"},
            timeout=60,
        )
        waited = time.monotonic() - started
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert 1.5 <= waited < 20
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("crm: error: database error: database is locked")
    assert "Traceback" not in done.stderr
    assert crm("remind", "--all-owners").out.startswith("Overdue (1)")  # still undelivered


@pytest.mark.parametrize("wait", ["soon", "-1", "1e9"])
def test_a_lock_wait_that_is_no_number_of_seconds_is_one_line(
    crm: Crm, tmp_path: Path, wait: str
) -> None:
    env = {**os.environ, "CRM_DB": str(tmp_path / "crm.db"), "CRM_LOCK_WAIT": wait}
    for command in (["remind"], ["deal", "list"]):
        done = subprocess.run(
            [sys.executable, "-m", "tinycrm", *command], capture_output=True, text=True, env=env
        )
        assert (done.returncode, done.stdout) == (2, "")
        assert done.stderr == (
            f"crm: error: CRM_LOCK_WAIT: {wait!r} is not a number of seconds (0 to 86400)\n"
        )


def test_remind_imports_no_textual_and_no_sqlalchemy(crm: Crm, acme: None, tmp_path: Path) -> None:
    """The cron path stays on the standard library's sqlite3, reads its options without
    Pydantic and loads no other command's module, nor what only a machine format or a huge
    backlog needs (json, tempfile) or only a calendar step does (dateutil)."""
    crm("activity", "schedule", "Old", "--due", "2026-11-20 10:00")
    code = (
        "import sys\n"
        "from tinycrm.cli import main\n"
        "sys.argv = ['crm', 'remind', '--all-owners']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('textual', 'sqlalchemy', 'sqlmodel', 'alembic', 'rich', "
        "'pydantic', 'tinycrm.commands.contacts', 'tinycrm.commands.exports', 'json', "
        "'tempfile', 'dateutil.relativedelta') "
        "if m in sys.modules]\n"
        "print('loaded:', heavy)\n"
    )
    env = {**os.environ, "CRM_DB": str(tmp_path / "crm.db"), "CRM_NOW": MONDAY}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.stdout.splitlines()[0] == "Overdue (1)"
    assert done.stdout.splitlines()[-1] == "loaded: []"


def test_an_old_schema_is_upgraded_then_reminded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database from before reminders: the slow path upgrades it (backfilling each open
    task's alert time from its due time), then the reminder is delivered."""
    path = tmp_path / "old.db"
    settings = load_settings(db_path=str(path))
    db = Database(engine=store.make_engine(settings.url), settings=settings)
    store.upgrade(db, revision="0005")
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO activities (kind, subject, due_at, custom, created_at) "
                "VALUES ('task', 'Old', '2026-11-20 09:00:00.000000', '{}', "
                "'2026-11-01 09:00:00.000000')"
            )
        )
    db.engine.dispose()
    monkeypatch.setenv("CRM_NOW", MONDAY)
    ran = Crm()("--db", str(path), "remind")
    assert ran.out == "Overdue (1)\n  #1 Old — due Fri 20 Nov 09:00 (3 days ago)\n"
    version = sqlite3.connect(path).execute("SELECT * FROM alembic_version").fetchone()
    assert version == (store.HEAD_REVISION,)
    assert Crm()("--db", str(path), "remind").out == ""


def test_snooze_and_recurring_done_from_the_cli(
    crm: Crm, acme: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    crm(
        "activity",
        "schedule",
        "Weekly check-in",
        "--company",
        "Acme Ltd",
        "--due",
        "fri 16:00",
        "--every",
        "2w",
        "--owner",
        "ana",
    )
    crm(
        "activity",
        "schedule",
        "Quarterly review",
        "--deal",
        "1",
        "--due",
        "2026-11-23 08:30",
        "--rrule",
        "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=1",
        "--owner",
        "ana",
    )
    monkeypatch.setenv("CRM_NOW", "2026-11-23T09:00")
    assert "#2 Quarterly review" in crm("remind", "--owner", "ana").out
    assert crm("activity", "snooze", "2", "+2h").out == (
        "activity #2 snoozed until Mon 2026-11-23 11:00: Quarterly review\n"
    )
    assert "Quarterly review" not in crm("remind", "--owner", "ana", "--all").out
    monkeypatch.setenv("CRM_NOW", "2026-11-23T11:00")
    assert "#2 Quarterly review" in crm("remind", "--owner", "ana").out  # a new occurrence
    done = crm("activity", "done", "1")
    assert done.out == (
        "activity #1 done: Weekly check-in\n"
        "next: activity #3 (due Fri 2026-12-11 16:00, every 2 weeks)\n"
    )
    shown = crm("activity", "show", "3", "--format", "json").json()
    assert (shown["rrule"], shown["series_id"]) == ("FREQ=WEEKLY;INTERVAL=2", 1)
    crm("activity", "edit", "3", "--every", "never")
    assert crm("activity", "show", "3", "--format", "json").json()["rrule"] is None
    bad = crm("activity", "schedule", "X", "--due", "fri", "--every", "sometimes", ok=False)
    assert (bad.code, bad.err.count("\n")) == (2, 1)
    assert "--every" in bad.err
    both = crm(
        "activity",
        "schedule",
        "X",
        "--due",
        "fri",
        "--every",
        "2w",
        "--rrule",
        "FREQ=DAILY",
        ok=False,
    )
    assert both.code == 2 and "not both" in both.err


def test_agenda_lists_and_calendars(crm: Crm, acme: None) -> None:
    crm("activity", "schedule", "Old follow-up", "--due", "2026-11-20 10:00", "--owner", "ana")
    crm("activity", "schedule", "Call Li", "--due", "mon 15:00", "--owner", "ana")
    crm(
        "activity",
        "schedule",
        "Stand-up",
        "--due",
        "tue 9:00",
        "--every",
        "weekday",
        "--owner",
        "max",
    )
    listed = crm("agenda", "--format", "json").json()
    assert [(r["subject"], r["state"], r["due_at"][:16]) for r in listed] == [
        ("Old follow-up", "overdue", "2026-11-20T10:00"),
        ("Call Li", "due", "2026-11-23T15:00"),
        ("Stand-up", "due", "2026-11-24T09:00"),
        ("Stand-up", "repeat", "2026-11-25T09:00"),
        ("Stand-up", "repeat", "2026-11-26T09:00"),
        ("Stand-up", "repeat", "2026-11-27T09:00"),
        ("Stand-up", "repeat", "2026-11-30T09:00"),
    ]
    assert [r["subject"] for r in crm("agenda", "--owner", "ana", "--format", "json").json()] == [
        "Old follow-up",
        "Call Li",
    ]
    text = crm("agenda", "--owner", "ana").out
    assert "overdue" in text and "today" in text and "#2 Call Li" in text
    week = crm("agenda", "--week", "--all-owners").out
    assert "week of Mon 23 Nov 2026 · 1 overdue" in week
    assert "09:00 Stand-up" in week and "15:00 Call Li" in week
    month = crm("agenda", "--month", "--date", "2026-12-01", "--all-owners").out
    assert "December 2026" in month
    assert month.count("1 due") == 23  # every weekday of December
    assert crm("agenda", "--week", "--month", ok=False).code == 2


def read_ics(text: str) -> Calendar:
    return Calendar.from_ical(text)


def test_export_ics_reads_back_with_icalendar(crm: Crm, acme: None, tmp_path: Path) -> None:
    crm(
        "activity",
        "schedule",
        "Weekly check-in",
        "--company",
        "Acme Ltd",
        "--due",
        "2026-10-19 09:00",
        "--every",
        "week",
        "--remind",
        "15m",
        "--owner",
        "ana",
    )
    crm(
        "activity",
        "schedule",
        "Demo meeting",
        "--kind",
        "meeting",
        "--contact",
        "Li Wei",
        "--due",
        "wed 14:00",
    )
    crm("activity", "log", "call", "Already happened", "--contact", "Li Wei")
    target = tmp_path / "crm.ics"
    ran = crm("export", "ics", "-o", str(target))
    assert ran.err == f"exported 4 calendar entries to {target}\n"
    cal = read_ics(target.read_text())
    events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    assert sorted(events) == [
        "activity-1@tinycrm",
        "activity-2@tinycrm",
        "deal-1-close@tinycrm",
        "deal-2-close@tinycrm",
    ]
    weekly = events["activity-1@tinycrm"]
    start = weekly.decoded("DTSTART")
    assert start == datetime(2026, 10, 19, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert weekly["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert weekly["RRULE"].to_ical() == b"FREQ=WEEKLY"
    alarm = weekly.walk("VALARM")[0]
    assert (str(alarm["ACTION"]), alarm.decoded("TRIGGER")) == ("DISPLAY", -timedelta(minutes=15))
    # The rule read back keeps 9:00 Berlin time across the end of summer time (25 Oct).
    rule = rrulestr(cast(bytes, weekly["RRULE"].to_ical()).decode(), dtstart=start)
    after = cast(datetime, rule.after(start))
    assert (after.hour, after.utcoffset()) == (9, timedelta(hours=1))
    assert start.utcoffset() == timedelta(hours=2)
    meeting = events["activity-2@tinycrm"]
    assert meeting.decoded("DTEND") - meeting.decoded("DTSTART") == timedelta(hours=1)
    assert str(meeting["DESCRIPTION"]) == "Li Wei · Acme Ltd"
    close = events["deal-1-close@tinycrm"]
    assert (close.decoded("DTSTART"), str(close["SUMMARY"])) == (
        date(2026, 11, 27),
        "Close: Acme renewal (25,000.00 USD)",
    )
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/Berlin"]


def test_ics_uids_stay_when_a_recurring_task_moves_on(crm: Crm, acme: None) -> None:
    crm("activity", "schedule", "Weekly check-in", "--due", "mon 9:00", "--every", "week")
    before = read_ics(crm("export", "ics", "--no-deals").out)
    crm("activity", "done", "1")
    after = read_ics(crm("export", "ics", "--no-deals").out)
    [old], [new] = before.walk("VEVENT"), after.walk("VEVENT")
    assert str(old["UID"]) == str(new["UID"]) == "activity-1@tinycrm"
    assert new.decoded("DTSTART") - old.decoded("DTSTART") == timedelta(weeks=1)


def test_ics_todos_follow_rfc5545_as_the_corpora_do(crm: Crm, acme: None) -> None:
    """Tasks as VTODO carry what RFC 5545's own to-do example (biweekly's copy) carries;
    recurring events carry what khal's recurring events carry."""
    example = CORPORA / "biweekly_ical" / "rfc5545-example4.ics"
    recurring = CORPORA / "khal_ics" / "event_rrule_recuid.ics"
    if not example.exists():
        pytest.skip("the shared corpora are not next to this checkout")
    crm("activity", "schedule", "Send quote", "--due", "tue 10:00", "--remind", "1h")
    crm("activity", "schedule", "Check-in", "--kind", "call", "--due", "mon 9:00", "--every", "w")
    ours = read_ics(crm("export", "ics", "--todos", "--no-deals").out)
    [todo] = ours.walk("VTODO")
    [theirs] = read_ics(example.read_text()).walk("VTODO")
    needed = {"DTSTAMP", "UID", "DUE", "STATUS", "SUMMARY"}
    assert needed <= set(theirs) and needed <= set(todo)
    assert str(todo["STATUS"]) == str(theirs["STATUS"]) == "NEEDS-ACTION"
    assert todo.walk("VALARM")[0].decoded("TRIGGER") == -timedelta(hours=1)
    assert {"ACTION", "TRIGGER"} <= set(theirs.walk("VALARM")[0])
    [event] = ours.walk("VEVENT")
    khal = read_ics(recurring.read_text()).walk("VEVENT")[0]
    shape = {"UID", "SUMMARY", "RRULE", "DTSTART", "DTEND"}
    assert shape <= set(khal) and shape <= set(event)
    assert "TZID" in khal["DTSTART"].params and "TZID" in event["DTSTART"].params


def test_every_corpus_calendar_parses_and_ours_round_trips(crm: Crm, acme: None) -> None:
    """Our output parses as strictly as the corpora files that icalendar reads, and
    re-serialising it changes nothing."""
    if not CORPORA.exists():
        pytest.skip("the shared corpora are not next to this checkout")
    crm("activity", "schedule", "Call; with, commas\\and a backslash", "--due", "tue 10:00")
    text = crm("export", "ics").out
    cal = read_ics(text)
    assert cal.to_ical().decode().replace("\r\n", "\n") == text
    summaries: list[Any] = [str(e["SUMMARY"]) for e in cal.walk("VEVENT")]
    assert "Call; with, commas\\and a backslash" in summaries
    assert all(len(line.encode()) <= 75 for line in text.splitlines())


def test_birthdays_from_the_cli_come_up_once(crm: Crm, acme: None) -> None:
    crm("contact", "edit", "li.wei@acme.example", "--birthday", "1980-11-25")
    crm("contact", "add", "Nobody Known", "--birthday", "11-23")
    bad = crm("contact", "add", "Wrong Day", "--birthday", "2026-02-30", ok=False)
    assert (bad.code, bad.err) == (
        2,
        "crm: error: birthday: not a date (use 1980-04-12, or 04-12): '2026-02-30'\n",
    )
    ran = crm("remind", "--all-owners", "--min-amount", "1000000")
    assert ran.out == (
        "Care (2)\n"
        "  Nobody Known: birthday — today\n"
        "  Li Wei: birthday (46) — Wed 25 Nov (in 2 days) · Acme Ltd\n"
    )
    assert crm("remind", "--all-owners", "--min-amount", "1000000").out == ""


@pytest.mark.parametrize("backend", BACKENDS)
def test_remind_through_sqlalchemy_on_each_backend(
    crm: Crm, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server database (or any URL) goes through SQLAlchemy's DB-API connection: the same
    reminders, delivered once."""
    monkeypatch.setenv("CRM_NOW", MONDAY)
    crm("activity", "schedule", "Old follow-up", "--due", "2026-11-20 10:00")
    crm("contact", "add", "Dee", "--birthday", "1990-11-24")
    assert crm("remind").out == (
        "Overdue (1)\n  #1 Old follow-up — due Fri 20 Nov 10:00 (3 days ago)\n"
        "\n"
        "Care (1)\n  Dee: birthday (36) — tomorrow\n"
    )
    assert crm("remind", "--exit-code").code == 0
    assert crm("remind", "--all", "--format", "json").json()[0]["title"] == "Old follow-up"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("remind", "--close-within", "soon"),
            "Invalid value for '--close-within': 'soon' is not a whole number",
        ),
        (("remind", "--format", "xml"), "'xml' is not one of 'table', 'csv', 'json', 'jsonl'"),
        (
            ("activity", "done", "12x"),
            "Invalid value for 'activity_id': '12x' is not a whole number",
        ),
    ],
)
def test_plain_options_are_read_without_pydantic_and_refused_clearly(
    crm: Crm, acme: None, args: tuple[str, ...], message: str
) -> None:
    ran = crm(*args, ok=False)
    assert ran.code == 2
    assert message in ran.err and ran.err.count("\n") == 1


def test_birthdays_in_the_agenda_and_the_calendar_file(crm: Crm, acme: None) -> None:
    crm("contact", "edit", "li.wei@acme.example", "--birthday", "1980-11-25")
    crm("contact", "add", "Leap Day", "--birthday", "02-29")
    crm("activity", "schedule", "Old follow-up", "--due", "2026-11-20 10:00")
    listed = crm("agenda", "--format", "json").json()
    assert [(r["subject"], r["state"], r["due_at"][:10]) for r in listed] == [
        ("Old follow-up", "overdue", "2026-11-20"),
        ("Li Wei: birthday (46)", "care", "2026-11-25"),
    ]
    month = crm("agenda", "--month", "--date", "2027-02-01").out
    assert "28  1 due" in month  # 29 February falls on the 28th in a common year
    assert "Li Wei: birthday" in crm("agenda").out
    cal = read_ics(crm("export", "ics", "--no-deals").out)
    events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    li = events["contact-1-birthday@tinycrm"]
    assert (str(li["SUMMARY"]), li.decoded("DTSTART"), li["RRULE"].to_ical()) == (
        "Li Wei: birthday",
        date(1980, 11, 25),
        b"FREQ=YEARLY",
    )
    assert events["contact-2-birthday@tinycrm"].decoded("DTSTART") == date(2026, 2, 28)
    assert "contact-1-birthday@tinycrm" not in {
        str(e["UID"]) for e in read_ics(crm("export", "ics", "--no-care").out).walk("VEVENT")
    }
