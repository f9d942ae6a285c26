"""A contract that renews by itself rolls over once its last day is past in the user's zone:
it becomes renewed and its next term (as long, worth as much) is made, logged as the system's
doing, when contracts are listed or shown, the renewals report or the agenda is read, or
`crm remind` runs; never twice, however often or from how many places at once."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tests.clihelp import Crm
from tests.conftest import PG_URL
from tinycrm.db.store import Database, session_scope
from tinycrm.models import DealCreate
from tinycrm.services import contracts, deals, orders

ROW = "id,order_id,customer,starts_on,ends_on,renew,notice_on,value,currency,status"


@pytest.fixture
def auto(crm: Crm, monkeypatch: pytest.MonkeyPatch) -> Crm:
    """Contract #1 (auto, 2026-01-01 to 2026-12-31, 1,200.00 EUR, notice 30 days) and #2
    (manual, same term) on Acme's order #1."""
    monkeypatch.setenv("CRM_NOW", "2026-11-23T09:30+00:00")
    crm("company", "add", "Acme")
    crm("deal", "add", "Support", "--amount", "€1200", "--company", "Acme")
    crm("deal", "move", "1", "won")
    crm("order", "add", "--deal", "1")
    for renew in ("auto", "manual"):
        crm("contract", "add", "--order", "1", "--from", "2026-01-01", "--to", "2026-12-31",
            "--renew", renew, "--notice", "30d")  # fmt: skip
    return crm


def hosting(crm: Crm, monkeypatch: pytest.MonkeyPatch, *, notice: str) -> None:
    """On 2026-01-05: contract #1 (auto, January 2026, 300.50 EUR) on order #1."""
    monkeypatch.setenv("CRM_NOW", "2026-01-05T09:30+00:00")
    crm("deal", "add", "Hosting", "--amount", "€300.50")
    crm("deal", "move", "1", "won")
    crm("order", "add", "--deal", "1")
    crm("contract", "add", "--order", "1", "--from", "2026-01-01", "--to", "2026-01-31",
        "--renew", "auto", "--notice", notice)  # fmt: skip


@pytest.mark.parametrize(
    ("zone", "last_day", "day_after"),
    [
        # 2026-12-31 ends at 05:00 UTC on Jan 1 in New York, at 15:00 UTC on Dec 31 in Tokyo
        ("America/New_York", "2027-01-01T04:59+00:00", "2027-01-01T05:00+00:00"),
        ("Asia/Tokyo", "2026-12-31T14:59+00:00", "2026-12-31T15:00+00:00"),
    ],
)
def test_the_term_rolls_over_the_day_after_its_last_day_in_the_users_zone(
    auto: Crm, monkeypatch: pytest.MonkeyPatch, zone: str, last_day: str, day_after: str
) -> None:
    monkeypatch.setenv("CRM_TIMEZONE", zone)
    monkeypatch.setenv("CRM_NOW", last_day)
    assert auto("contract", "list", "-f", "csv").out.splitlines() == [
        ROW,
        "1,1,Acme,2026-01-01,2026-12-31,auto,2026-12-01,1200.00,EUR,active",
        "2,1,Acme,2026-01-01,2026-12-31,manual,2026-12-01,1200.00,EUR,active",
    ]
    monkeypatch.setenv("CRM_NOW", day_after)
    rows = [
        ROW,
        "1,1,Acme,2026-01-01,2026-12-31,auto,2026-12-01,1200.00,EUR,renewed",
        "2,1,Acme,2026-01-01,2026-12-31,manual,2026-12-01,1200.00,EUR,expired",
        "3,1,Acme,2027-01-01,2027-12-31,auto,2027-12-01,1200.00,EUR,active",
    ]
    assert auto("contract", "list", "-f", "csv").out.splitlines() == rows
    assert auto("contract", "list", "-f", "csv").out.splitlines() == rows  # not twice
    assert auto("contract", "show", "3", "-f", "json").json()["renewed_from_id"] == 1


def test_the_system_is_in_the_audit_log(auto: Crm, monkeypatch: pytest.MonkeyPatch) -> None:
    auto("user", "add", "Ann Lee", "--role", "admin")
    monkeypatch.setenv("CRM_NOW", "2027-01-02T09:00+00:00")
    auto("--as", "ann", "contract", "show", "1")
    entries = auto("audit", "list", "--object", "contracts", "-f", "json").json()
    done = [(e["record_id"], e["action"], e["user"], e["source"]) for e in entries[:2]]
    assert sorted(done) == [(1, "renew", None, "system"), (3, "create", None, "system")]
    made = next(e for e in entries if e["record_id"] == 3)["changes"]
    assert (made["starts_on"], made["ends_on"], made["value_minor"], made["renewed_from_id"]) == (
        [None, "2027-01-01"], [None, "2027-12-31"], [None, 120000], [None, 1],
    )  # fmt: skip


def test_terms_missed_roll_over_one_after_another(
    crm: Crm, monkeypatch: pytest.MonkeyPatch
) -> None:
    hosting(crm, monkeypatch, notice="7d")
    monkeypatch.setenv("CRM_NOW", "2026-04-15T09:30+00:00")
    renewals = crm("report", "renewals", "--months", "2", "-f", "csv").out.splitlines()
    assert renewals == ["month,contracts,auto,value,currency,first_notice",
                        "2026-05,1,1,300.50,EUR,2026-04-27"]  # fmt: skip
    listed = crm("contract", "list", "-f", "json").json()
    assert [(c["id"], c["starts_on"], c["ends_on"], c["status"]) for c in listed] == [
        (1, "2026-01-01", "2026-01-31", "renewed"),
        (2, "2026-02-01", "2026-03-03", "renewed"),  # 31 days, as the first term
        (3, "2026-03-04", "2026-04-03", "renewed"),
        (4, "2026-04-04", "2026-05-04", "active"),
    ]
    assert [crm("contract", "show", str(i), "-f", "json").json()["renewed_from_id"]
            for i in (2, 3, 4)] == [1, 2, 3]  # fmt: skip


def test_remind_rolls_over_and_reminds_of_the_next_term(
    crm: Crm, monkeypatch: pytest.MonkeyPatch
) -> None:
    hosting(crm, monkeypatch, notice="30d")
    monkeypatch.setenv("CRM_NOW", "2026-02-01T09:30+00:00")
    assert crm("remind", "--dry-run", "-f", "json").out == ""  # no rollover: no reminder
    found = crm("remind", "-f", "json").json()
    assert [(r["type"], r["id"], r["date"]) for r in found] == [("renewal", 2, "2026-02-01")]
    assert crm("remind", "-f", "json").out == ""  # once
    agenda = crm("agenda", "--days", "3", "-f", "json").json()
    assert [(a["kind"], a["id"], a["due_at"][:10]) for a in agenda] == [
        ("renewal", 2, "2026-02-01")
    ]
    assert [c["status"] for c in crm("contract", "list", "-f", "json").json()] == [
        "renewed", "active",
    ]  # fmt: skip


def test_the_agenda_rolls_over_before_it_reads(crm: Crm, monkeypatch: pytest.MonkeyPatch) -> None:
    hosting(crm, monkeypatch, notice="30d")
    monkeypatch.setenv("CRM_NOW", "2026-02-01T09:30+00:00")
    agenda = crm("agenda", "--days", "3", "-f", "json").json()
    assert [(a["kind"], a["id"], a["due_at"][:10]) for a in agenda] == [
        ("renewal", 2, "2026-02-01")
    ]


def test_a_viewer_rolls_nothing_over(auto: Crm, monkeypatch: pytest.MonkeyPatch) -> None:
    auto("user", "add", "Vic Ng", "--role", "viewer")
    monkeypatch.setenv("CRM_NOW", "2027-01-02T09:00+00:00")
    statuses = [c["status"] for c in auto("--as", "vic", "contract", "list", "-f", "json").json()]
    assert statuses == ["expired", "expired"]
    assert len(auto("contract", "list", "-f", "json").json()) == 3


@pytest.mark.pg
@pytest.mark.skipif(not PG_URL, reason="CRM_TEST_DATABASE_URL is not set")
@pytest.mark.parametrize("backend", ["pg"], indirect=True)
def test_two_runs_at_once_make_one_next_term(db: Database) -> None:
    now = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    with session_scope(db, write=True) as s:
        deals.create_deal(s, data=DealCreate(title="Hosting", amount_minor=30050),
                          currency="EUR", actor=None, now=now)  # fmt: skip
        deals.win_deal(s, ref=1, actor=None, now=now)
        orders.create_order(s, deal=1, amount=None, ordered_on=now.date(), now=now)
        contracts.create_contract(s, order=1, starts_on=date(2026, 1, 1),
                                  ends_on=date(2026, 1, 31), renew="auto", now=now,
                                  today=now.date())  # fmt: skip
    later, today = datetime(2026, 2, 2, tzinfo=UTC), date(2026, 2, 2)
    with session_scope(db, write=True) as first:
        due = contracts._due(first, today)  # read before the other run commits
        with session_scope(db, write=True) as second:
            assert [r.id for r in contracts.roll_over(second, today=today, now=later)] == [2]
        assert [c.id for c in due] == [1]
        assert contracts._taken(first, due[0]) is False
        assert contracts.roll_over(first, today=today, now=later) == []
    with session_scope(db, write=False) as s:
        assert len(contracts.list_contracts(s, today=today)) == 2
