"""`crm` reads money in the currency typed, refuses what it cannot read in one line (exit 2),
and keeps a won deal's orders and payments from being lost or orphaned without --force
(exit 3, saying what --force does)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from tests.clihelp import Crm
from tinycrm.config import load_settings
from tinycrm.db.store import open_database, session_scope
from tinycrm.models import Campaign, Deal, Order, Payment, User


@pytest.fixture
def cli_env() -> dict[str, str]:
    return {
        "CRM_NOW": "2026-11-23T09:30:00+00:00",
        "CRM_CURRENCY": "EUR",
        "LC_ALL": "en_GB.UTF-8",  # a locale that says nothing of ¥
    }


def stored(db_url: str, model: Any, *columns: str) -> list[tuple[object, ...]]:
    """`columns` of every row of `model`, by id."""
    db = open_database(load_settings(database_url=db_url))
    try:
        with session_scope(db, write=False) as s:
            rows = s.exec(select(model).order_by(col(model.id)))
            return [tuple(getattr(r, c) for c in columns) for r in rows]
    finally:
        db.engine.dispose()


@pytest.mark.parametrize(
    ("args", "shown", "minor", "currency"),
    [
        (["--amount", "€900"], "900.00 EUR", 90_000, "EUR"),
        (["--amount", "900 €"], "900.00 EUR", 90_000, "EUR"),
        (["--amount", "GBP 900"], "900.00 GBP", 90_000, "GBP"),
        (["--amount", "900", "--currency", "usd"], "900.00 USD", 90_000, "USD"),
        (["--amount", "€900", "--currency", "EUR"], "900.00 EUR", 90_000, "EUR"),
        (["--amount", "$900"], "900.00 USD", 90_000, "USD"),  # EUR configured: $ is USD
        (["--amount", "$900", "--currency", "CAD"], "900.00 CAD", 90_000, "CAD"),
        (["--amount", "US$1,200.50"], "1,200.50 USD", 120_050, "USD"),
        (["--amount", "¥1,500", "--currency", "JPY"], "1,500 JPY", 1_500, "JPY"),
        (["--amount", "1500", "--currency", "JPY"], "1,500 JPY", 1_500, "JPY"),
        (["--amount", "CN¥900"], "900.00 CNY", 90_000, "CNY"),
        (["--amount", "900 RMB"], "900.00 CNY", 90_000, "CNY"),
        (["--amount", "900", "--currency", "RMB"], "900.00 CNY", 90_000, "CNY"),
    ],
)
def test_deal_add_reads_the_currency_typed(
    crm: Crm, db_url: str, args: list[str], shown: str, minor: int, currency: str
) -> None:
    ran = crm("deal", "add", "X", *args)
    assert ran.out == f"deal #1 added: X ({shown}, lead)\n"
    assert stored(db_url, Deal, "amount_minor", "currency") == [(minor, currency)]


AMBIGUOUS = "¥ is ambiguous: write CNY or JPY, or set yen_currency to one of them"
NOT_ISO = "not an ISO 4217 currency code (e.g. USD, EUR, CNY)"
MOST = "at most 92,233,720,368,547,758.07 EUR"
BUT = "but --currency is"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--amount", "€900", "--currency", "USD"], f"written in EUR, {BUT} USD: '€900'"),
        (["--amount", "$900", "--currency", "GBP"], f"written in USD, {BUT} GBP: '$900'"),
        (["--amount", "1,2,3"], "not an amount: '1,2,3'"),
        (["--amount", "1.2.3"], "not an amount: '1.2.3'"),
        (["--amount", "€900 USD"], "two currencies in one amount (€ and USD): '€900 USD'"),
        (["--amount", "900 XYZ"], "XYZ is not an ISO 4217 currency code: '900 XYZ'"),
        (["--amount", "¥900"], f"{AMBIGUOUS}: '¥900'"),
        (["--amount", "¥1.5", "--currency", "JPY"], "more than 0 decimal places for JPY: '¥1.5'"),
        (["--amount", "92233720368547758.08"], f"too large: {MOST}: '92233720368547758.08'"),
    ],
)
def test_money_that_cannot_be_read_is_one_line_and_exit_2(
    crm: Crm, db_url: str, args: list[str], message: str
) -> None:
    ran = crm("deal", "add", "X", *args, ok=False)
    assert (ran.code, ran.out, ran.err) == (2, "", f"crm: error: --amount: {message}\n")
    assert stored(db_url, Deal, "id") == []


def test_a_currency_code_must_be_iso_4217(crm: Crm, db_url: str) -> None:
    ran = crm("deal", "add", "X", "--amount", "5", "--currency", "XYZ", ok=False)
    assert (ran.code, ran.err) == (2, f"crm: error: --currency: {NOT_ISO}: 'XYZ'\n")
    assert stored(db_url, Deal, "id") == []


@pytest.mark.parametrize(
    ("locale", "config", "shown"),
    [
        ("zh_CN.UTF-8", "", "1,500.00 CNY"),
        ("ja_JP.UTF-8", "", "1,500 JPY"),
        ("en_GB.UTF-8", 'yen_currency = "JPY"\n', "1,500 JPY"),
        ("zh_CN.UTF-8", 'yen_currency = "JPY"\n', "1,500 JPY"),  # the setting wins
    ],
)
def test_yen_follows_the_setting_else_the_locale(
    crm: Crm, crm_env: Path, monkeypatch: pytest.MonkeyPatch, locale: str, config: str, shown: str
) -> None:
    monkeypatch.setenv("LC_ALL", locale)
    crm_env.mkdir(parents=True, exist_ok=True)
    (crm_env / "config.toml").write_text(config, encoding="utf-8")
    ran = crm("deal", "add", "X", "--amount", "￥1,500")
    assert ran.out == f"deal #1 added: X ({shown}, lead)\n"


def test_editing_an_amount_keeps_the_deals_currency_and_its_minor_units(
    crm: Crm, db_url: str
) -> None:
    crm("deal", "add", "X", "--amount", "1500", "--currency", "JPY")
    crm("deal", "edit", "1", "--amount", "2,000")  # in JPY, the deal's: not 2,000.00 EUR
    assert stored(db_url, Deal, "amount_minor", "currency") == [(2_000, "JPY")]
    crm("deal", "edit", "1", "--currency", "USD")  # the figure stays: 2,000.00 USD
    assert stored(db_url, Deal, "amount_minor", "currency") == [(200_000, "USD")]
    crm("deal", "edit", "1", "--amount", "£7.50")
    assert stored(db_url, Deal, "amount_minor", "currency") == [(750, "GBP")]


def test_orders_and_payments_read_symbols_in_the_deals_currency(crm: Crm, db_url: str) -> None:
    crm("deal", "add", "Yen deal", "--amount", "5000", "--currency", "JPY")
    crm("deal", "won", "1")
    assert crm("order", "add", "--deal", "1", "--amount", "¥3,000").out.startswith(
        "order #1 added: 3,000 JPY for deal #1"  # ¥ alone: the order's currency, a yen
    )
    refused = crm("payment", "add", "--order", "1", "--amount", "€5", ok=False)
    assert (refused.code, refused.err) == (
        2,
        "crm: error: --amount: must be in JPY, the currency of the order: '€5'\n",
    )
    crm("payment", "add", "--order", "1", "--amount", "1,000 JPY")
    orders = stored(db_url, Order, "amount_minor", "paid_minor", "currency")
    assert orders == [(3_000, 1_000, "JPY")]
    assert stored(db_url, Payment, "amount_minor", "currency") == [(1_000, "JPY")]


def test_campaign_cost_and_quota_read_the_currency_typed(crm: Crm, db_url: str) -> None:
    crm("campaign", "add", "Fair", "--cost", "£900")
    crm("campaign", "edit", "Fair", "--cost", "1,000")  # the campaign's own currency
    assert stored(db_url, Campaign, "cost_minor", "currency") == [(100_000, "GBP")]
    crm("user", "add", "Bo", "--quota", "€5k/quarter")
    refused = crm("user", "add", "Cy", "--quota", "$5000/quarter", ok=False)
    assert (refused.code, refused.err) == (
        2,
        "crm: error: quota: written in USD, but the configured currency is EUR: '$5000'\n",
    )
    assert stored(db_url, User, "name", "quota_minor") == [("Bo", 500_000)]


def test_an_import_refuses_an_amount_against_its_currency_column(
    crm: Crm, db_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "deals.csv"
    path.write_text("Title,Amount,Currency\nA,€900,USD\nB,¥1500,JPY\nC,£5,\n", encoding="utf-8")
    ran = crm("import", "deals", str(path), "--skip-errors")
    assert "line 2: amount: written in EUR, but the currency column is USD: '€900'" in ran.err
    assert stored(db_url, Deal, "title", "amount_minor", "currency") == [
        ("B", 1_500, "JPY"),
        ("C", 500, "GBP"),
    ]


# --- a won deal's money ----------------------------------------------------------------------

HELD = "2 orders (1,200.00 EUR) and 1 payment (500.00 EUR) received"
KEPT = "keeps them in receivables and customer revenue"


@pytest.fixture
def won(crm: Crm) -> Crm:
    """Deal #1 won for 1,200.00 EUR, ordered 700.00 + 500.00, 500.00 received."""
    crm("deal", "add", "Acme renewal", "--amount", "€1,200")
    crm("deal", "won", "1")
    crm("order", "add", "--deal", "1", "--amount", "700")
    crm("order", "add", "--deal", "1")
    crm("payment", "add", "--order", "1", "--amount", "€500")
    return crm


LOST = f"deal #1 is won with {HELD}; --force marks it lost and {KEPT}"
BACK = f"deal #1 is won with {HELD}; --force moves it to negotiation and {KEPT}"


@pytest.mark.parametrize(
    ("args", "message", "status"),
    [
        (("deal", "lost", "1"), LOST, "lost"),
        (("deal", "move", "1", "lost", "--reason", "cancelled"), LOST, "lost"),
        (("deal", "move", "1", "negotiation"), BACK, "open"),
    ],
)
def test_a_won_deal_with_orders_leaves_won_only_with_force(
    won: Crm, db_url: str, args: tuple[str, ...], message: str, status: str
) -> None:
    refused = won(*args, ok=False)
    assert (refused.code, refused.out, refused.err) == (3, "", f"crm: error: {message}\n")
    assert stored(db_url, Deal, "status") == [("won",)]
    won(*args, "--force")
    assert stored(db_url, Deal, "status") == [(status,)]
    assert stored(db_url, Order, "deal_id", "amount_minor", "paid_minor") == [
        (1, 70_000, 50_000),
        (1, 50_000, 0),
    ]


def test_deleting_a_deal_with_orders_needs_force_and_takes_them_along(
    won: Crm, db_url: str
) -> None:
    refused = won("deal", "rm", "1", "--yes", ok=False)
    assert (refused.code, refused.err) == (
        3,
        f"crm: error: deal #1 has {HELD}; --force deletes them with the deal: "
        "receivables and revenue no longer count them\n",
    )
    asked = won("deal", "rm", "1", "--force", input="n\n", ok=False)
    assert asked.code == 1
    assert f"delete deal #1 Acme renewal with its {HELD}?" in asked.err
    assert len(stored(db_url, Order, "id")) == 2
    gone = won("deal", "rm", "1", "--force", "--yes")
    assert gone.out == f"deal #1 deleted: Acme renewal with its {HELD}\n"
    assert (stored(db_url, Deal, "id"), stored(db_url, Order, "id")) == ([], [])
    assert stored(db_url, Payment, "id") == []


def test_lost_without_a_reason_is_fine_and_the_help_says_so(crm: Crm) -> None:
    crm("deal", "add", "X", "--amount", "10")
    assert crm("deal", "lost", "1").out == "deal #1 lost: X\n"
    help_text = " ".join(crm("deal", "lost", "--help").out.split())
    assert "Why it was lost, e.g. price (optional)." in help_text
    assert "with or without a reason" in help_text
    assert "--force" in help_text
