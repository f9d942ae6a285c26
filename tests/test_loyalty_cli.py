"""`crm tier`, `crm points` and `crm report tiers` as a user runs them: the payment moves
the tier on the user's calendar day, in a zone behind UTC and one ahead of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.clihelp import Crm

SETUP = [
    ("user", "add", "Ann Lee"),
    ("company", "add", "Acme"),
    ("deal", "add", "Acme deal", "--amount", "100000", "--company", "Acme", "--owner", "ann"),
    ("deal", "won", "1"),
]


def _setup(crm: Crm, day: str) -> None:
    for args in SETUP:
        crm(*args)
    crm("order", "add", "--deal", "1", "--date", day)
    crm("tier", "set", "Silver", "--min-spend", "1000", "--points-per", "1")
    crm("tier", "set", "Gold", "--min-spend", "10000", "--within", "12mo", "--points-per", "2")


@pytest.mark.parametrize("zone", ["America/New_York", "Asia/Tokyo"])
def test_payment_at_2330_local_on_the_windows_first_day_counts(
    crm: Crm, monkeypatch: pytest.MonkeyPatch, zone: str
) -> None:
    monkeypatch.setenv("CRM_TIMEZONE", zone)
    monkeypatch.setenv("CRM_NOW", "2025-11-23T23:30")  # local: the day before the window
    _setup(crm, "2025-11-01")
    crm("payment", "add", "--order", "1", "--amount", "3000")
    monkeypatch.setenv("CRM_NOW", "2025-11-24T23:30")  # local: the window's first day
    crm("payment", "add", "--order", "1", "--amount", "6000")
    listed = crm("payment", "list", "--format", "json").json()
    assert [p["received_on"] for p in listed] == ["2025-11-24", "2025-11-23"]
    monkeypatch.setenv("CRM_NOW", "2026-11-23T23:30")  # the window: 2025-11-24 .. 2026-11-23
    crm("payment", "add", "--order", "1", "--amount", "4000")
    assert crm("points", "show", "Acme", "--format", "json").json()["tier"] == "Gold"
    moves = crm("tier", "moves", "Acme", "--format", "json").json()
    assert moves[0]["reason"] == (
        "payment #3: 10,000.00 USD paid, 1 order from 2025-11-24 to 2026-11-23 reach Gold"
    )


def test_one_cent_short_on_the_edge_stays_silver(crm: Crm, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_TIMEZONE", "America/New_York")
    monkeypatch.setenv("CRM_NOW", "2025-11-23T23:30")
    _setup(crm, "2025-11-01")
    crm("payment", "add", "--order", "1", "--amount", "6000")  # a day before the window
    monkeypatch.setenv("CRM_NOW", "2026-11-23T23:30")
    crm("payment", "add", "--order", "1", "--amount", "9999.99")
    shown = crm("points", "show", "Acme", "--format", "json").json()
    assert shown["tier"] == "Silver"
    assert shown["balance"] == 6000 + 9999  # Silver's 1 point per dollar, rounded down


def test_points_redeem_and_report(crm: Crm, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_NOW", "2026-11-23T10:00")
    _setup(crm, "2026-11-01")
    crm("payment", "add", "--order", "1", "--amount", "1500.75")
    assert crm("points", "redeem", "Acme", "500", "--note", "mug").out.strip() == (
        "500 points redeemed: 1000 left"
    )
    refused = crm("points", "redeem", "company:Acme", "1001", ok=False)
    assert refused.code == 2
    assert refused.err.strip() == "crm: error: points: more than the 1000 company Acme has: 1001"
    ledger = crm("points", "show", "Acme", "--format", "json").json()
    assert [(e["kind"], e["points"], e["balance"], e["note"]) for e in ledger["ledger"]] == [
        ("earn", 1500, 1500, "Silver, payment #1"),
        ("redeem", -500, 1000, "mug"),
    ]
    report = crm("report", "tiers", "--format", "csv").out
    assert report.splitlines() == ["rank,tier,customers,points", "2,Gold,0,0", "1,Silver,1,1000"]
    members = crm("report", "tiers", "--customers", "--format", "json").json()
    assert [(m["customer"], m["tier"], m["points"]) for m in members] == [("Acme", "Silver", 1000)]
    shown = crm("company", "show", "Acme", "--format", "json").json()
    assert (shown["tier"], shown["points"]) == ("Silver", 1000)


def test_tier_set_refuses_bad_input_in_one_line(crm: Crm) -> None:
    bad = crm("tier", "set", "Bronze", ok=False)
    assert (bad.code, bad.err.strip()) == (
        2,
        "crm: error: tier: give a minimum spend or a minimum number of orders: 'Bronze'",
    )
    bad = crm("tier", "set", "Bronze", "--min-spend", "10", "--within", "soon", ok=False)
    assert bad.code == 2 and "not a number of months" in bad.err
    assert crm("tier", "list", ok=False).code == 1  # nothing was written


def test_tier_is_a_filter_on_companies_and_contacts(
    crm: Crm, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRM_NOW", "2026-11-23T10:00")
    _setup(crm, "2026-11-01")
    crm("company", "add", "Globex")
    crm("contact", "add", "Dan Moss", "--company", "Acme")
    crm("contact", "add", "Eve Park", "--company", "Globex")
    crm("payment", "add", "--order", "1", "--amount", "2000")
    assert (
        crm("company", "list", "--tier", "silver", "-f", "csv")
        .out.splitlines()[1]
        .startswith("1,Acme,")
    )
    dan = crm("contact", "list", "--tier", "Silver", "-f", "json").json()
    assert [c["name"] for c in dan] == ["Dan Moss"]  # his company's tier
    assert crm("contact", "list", "--tier", "Gold", ok=False).code == 1
    unknown = crm("company", "list", "--tier", "Platinum", ok=False)
    assert (unknown.code, unknown.err) == (
        2,
        "crm: error: tier: unknown tier (tiers: Silver, Gold): 'Platinum'\n",
    )


def test_backup_and_restore_carry_tiers_points_and_followups(
    crm: Crm, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CRM_NOW", "2026-11-23T10:00")
    _setup(crm, "2026-11-01")
    crm("payment", "add", "--order", "1", "--amount", "2000")
    crm("points", "redeem", "Acme", "300")
    crm("ticket", "open", "Question", "--company", "Acme")
    crm("ticket", "resolve", "1", "--follow-up", "2")
    crm("backup", "-o", str(tmp_path / "b.zip"))
    monkeypatch.delenv("CRM_DATABASE_URL", raising=False)
    monkeypatch.setenv("CRM_DB", str(tmp_path / "copy.db"))
    crm("restore", str(tmp_path / "b.zip"))
    shown = crm("points", "show", "Acme", "-f", "json").json()
    assert (shown["tier"], shown["balance"], len(shown["ledger"])) == ("Silver", 1700, 2)
    assert crm("tier", "list", "-f", "csv").out.splitlines()[1:] == [
        "1,Silver,1000.00,USD,,12,False,1,",
        "2,Gold,10000.00,USD,,12,False,2,",
    ]
    assert crm("followup", "list", "-f", "json").json()[0]["due_on"] == "2026-11-25"
    assert len(crm("tier", "moves", "-f", "json").json()) == 1


def test_care_reminders_name_the_customers_tier(crm: Crm, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_NOW", "2026-11-23T10:00")
    _setup(crm, "2026-11-01")
    crm("contact", "add", "Dan Moss", "--company", "Acme", "--birthday", "1980-11-25")
    crm("contact", "add", "Eve Park", "--birthday", "11-26")
    crm("payment", "add", "--order", "1", "--amount", "2000")
    listed = crm("agenda", "--format", "json").json()
    assert [r["subject"] for r in listed if r["state"] == "care"] == [
        "Dan Moss: birthday (46), Silver member",  # his company's tier
        "Eve Park: birthday",
    ]


def test_tier_changes_are_in_the_audit_log(crm: Crm) -> None:
    crm("tier", "set", "Silver", "--min-spend", "1000")
    crm("tier", "set", "Silver", "--points-per", "3")
    crm("tier", "rm", "Silver", "--yes")
    logged = crm("audit", "list", "--object", "tiers", "-f", "json").json()
    assert [e["action"] for e in logged] == ["delete", "edit", "create"]
