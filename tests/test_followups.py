"""Follow-up visits: resolving a ticket schedules a call by the config's days per priority,
on the user's calendar day; its outcome and satisfaction are recorded; the service report
counts them (scheduled, done, overdue, average satisfaction)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.clihelp import Crm


@pytest.fixture
def desk(crm: Crm, crm_env: Path, monkeypatch: pytest.MonkeyPatch) -> Crm:
    crm_env.mkdir(parents=True, exist_ok=True)
    (crm_env / "config.toml").write_text("followup_days = {high = 2, normal = 7}\n", "utf-8")
    monkeypatch.setenv("CRM_TIMEZONE", "America/New_York")
    monkeypatch.setenv("CRM_NOW", "2026-11-02T23:30")  # local; 04:30 UTC on the 3rd
    crm("user", "add", "Ana Reyes")
    for subject, priority in (("Broken", "high"), ("Slow", "normal"), ("Typo", "low")):
        crm("--as", "ana", "ticket", "open", subject, "--priority", priority)
    for ticket in ("1", "2", "3"):
        crm("ticket", "resolve", ticket)
    return crm


def test_resolving_schedules_by_priority_on_the_local_day(desk: Crm) -> None:
    listed = desk("followup", "list", "--format", "json").json()
    assert [(f["ticket_id"], f["due_on"], f["state"]) for f in listed] == [
        (1, "2026-11-04", "scheduled"),  # 2 days after Nov 2 (local), not Nov 3 (UTC)
        (2, "2026-11-09", "scheduled"),
    ]  # low has no follow-up configured


def test_outcome_satisfaction_and_the_report(desk: Crm, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_NOW", "2026-11-05T10:00")
    assert desk("followup", "list", "--state", "overdue", "-f", "csv").out.splitlines()[1:] == [
        "1,1,,Broken,,Ana Reyes,2026-11-04,overdue,,,"
    ]
    desk("followup", "done", "1", "--outcome", "Works now", "--satisfaction", "4")
    again = desk("followup", "done", "1", ok=False)
    assert (again.code, again.err) == (3, "crm: error: follow-up #1 is already done\n")
    bad = desk("followup", "done", "2", "--satisfaction", "6", ok=False)
    assert (bad.code, bad.err) == (2, "crm: error: satisfaction: must be from 1 to 5: 6\n")
    monkeypatch.setenv("CRM_NOW", "2026-11-10T10:00")
    report = desk("report", "service", "--followups", "--from", "2026-11-01", "--to",
                  "2026-11-30", "--format", "csv").out.splitlines()  # fmt: skip
    assert report == [
        "owner,scheduled,done,overdue,done_rate,satisfaction,rated",
        "Ana Reyes,2,1,1,0.5,4.0,1",
        "total,2,1,1,0.5,4.0,1",
    ]


def test_resolve_with_an_explicit_follow_up(crm: Crm, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_NOW", "2026-11-02T10:00")
    crm("ticket", "open", "Question")
    said = crm("ticket", "resolve", "1", "--follow-up", "3").out
    assert said == "ticket #1 resolved: Question; follow-up #1 due 2026-11-05\n"
    assert crm("followup", "list", "-f", "json").json()[0]["due_on"] == "2026-11-05"
    crm("ticket", "open", "Other")
    said = crm("ticket", "resolve", "2").out  # no config: no follow-up
    assert said == "ticket #2 resolved: Other\n"
    assert len(crm("followup", "list", "-f", "json").json()) == 1


def test_a_bad_followup_config_is_one_line(crm: Crm, crm_env: Path) -> None:
    crm_env.mkdir(parents=True, exist_ok=True)
    (crm_env / "config.toml").write_text("followup_days = {soon = 1}\n", encoding="utf-8")
    crm("ticket", "open", "X")
    ran = crm("ticket", "resolve", "1", ok=False)
    assert ran.code == 2 and ran.err.startswith("crm: error: config followup_days: unknown")
    assert crm("ticket", "show", "1", "-f", "json").json()["state"] != "resolved"
