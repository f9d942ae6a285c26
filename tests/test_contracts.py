"""Contracts on orders: terms, status, renewal; `crm report renewals` per month to the cent,
renewal reminders in `crm remind` (once each) and on the agenda's notice day."""

from __future__ import annotations

import pytest

from tests.clihelp import Crm


@pytest.fixture
def signed(crm: Crm) -> Crm:
    """Two won deals with orders (1,200.00 and 300.50 EUR) for Acme; contracts on them."""
    crm("user", "add", "Ann Lee", "--role", "admin")
    crm("company", "add", "Acme")
    for title, amount in (("Support", "€1200"), ("Hosting", "€300.50")):
        crm("deal", "add", title, "--amount", amount, "--company", "Acme")
    for deal in ("1", "2"):
        crm("deal", "move", deal, "won")
        crm("order", "add", "--deal", deal)
    crm("contract", "add", "--order", "1", "--from", "2026-01-01", "--to", "2026-12-31",
        "--renew", "auto", "--notice", "30d")  # fmt: skip
    crm("contract", "add", "--order", "2", "--from", "2026-02-01", "--to", "2027-01-31",
        "--notice", "60d")  # fmt: skip
    crm("contract", "add", "--order", "2", "--from", "2026-03-01", "--to", "2026-12-15",
        "--value", "99.99", "--draft")  # fmt: skip
    return crm


def test_contracts_list_with_their_notice_dates_and_status(signed: Crm) -> None:
    rows = signed("contract", "list", "-f", "csv").out.splitlines()
    assert rows == [
        "id,order_id,customer,starts_on,ends_on,renew,notice_on,value,currency,status",
        "3,2,Acme,2026-03-01,2026-12-15,manual,2026-11-15,99.99,EUR,draft",
        "1,1,Acme,2026-01-01,2026-12-31,auto,2026-12-01,1200.00,EUR,active",
        "2,2,Acme,2026-02-01,2027-01-31,manual,2026-12-02,300.50,EUR,active",
    ]
    renewed = signed("contract", "renew", "1", "--value", "1250").out
    assert renewed == "contract #1 renewed as #4: 1,250.00 EUR, 2027-01-01 to 2027-12-31\n"
    assert signed("contract", "show", "1", "-f", "json").json()["status"] == "renewed"
    signed("contract", "terminate", "2")
    signed("contract", "activate", "3")
    assert [c["status"] for c in signed("contract", "list", "-f", "json").json()] == [
        "active", "renewed", "terminated", "active",
    ]  # fmt: skip


def test_renewals_report_per_month(signed: Crm) -> None:
    rows = signed("report", "renewals", "--months", "3", "-f", "csv").out.splitlines()
    assert rows == [
        "month,contracts,auto,value,currency,first_notice",
        "2026-12,2,1,1299.99,EUR,2026-11-15",
        "2027-01,1,0,300.50,EUR,2026-12-02",
    ]
    none = signed("report", "renewals", "--months", "1", ok=False)  # November: nothing ends
    assert (none.code, none.out) == (1, "")


def test_renewal_reminders_come_once_ahead_of_the_notice_date(signed: Crm) -> None:
    first = signed("remind", "-f", "json").json()  # today 2026-11-23: notices 12-01, 12-02
    assert [(r["type"], r["id"], r["date"], r["amount"]) for r in first] == [
        ("renewal", 1, "2026-12-01", 1200.0),
        ("renewal", 2, "2026-12-02", 300.5),
    ]
    assert signed("remind", "-f", "json", ok=False).code in (0, 1)
    assert signed("remind", "-f", "csv").out.count("renewal") == 0
    text = signed("remind", "--all").out
    assert "Contract renewals (2)" in text
    assert "#1 contract ends 2026-12-31, renews by itself — 1,200.00 EUR · notice by" in text
    agenda = signed("agenda", "--days", "10", "-f", "json").json()
    assert [(a["kind"], a["id"], a["due_at"][:10]) for a in agenda] == [
        ("renewal", 1, "2026-12-01"), ("renewal", 2, "2026-12-02"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (("--from", "2026-12-31", "--to", "2026-01-01"), "--to: before --from 2026-12-31: "
         "'2026-01-01'"),
        (("--from", "2026-01-01", "--to", "2026-12-31", "--renew", "maybe"),
         "renew: must be auto or manual: 'maybe'"),
        (("--from", "2026-01-01", "--to", "2026-01-10", "--notice", "30d"),
         "notice: must be between 0 days and the whole term: 30"),
    ],
)  # fmt: skip
def test_bad_contracts_are_refused_in_one_line(
    signed: Crm, args: tuple[str, ...], line: str
) -> None:
    ran = signed("contract", "add", "--order", "1", *args, ok=False)
    assert (ran.code, ran.err.splitlines()) == (2, [f"crm: error: {line}"])
