"""Money as people type it: in the currency written (`€900`, `900 EUR`, `US$900`, `¥1,500`),
else the default; minor units follow the currency; what is ambiguous or malformed is refused
with the value named."""

from __future__ import annotations

from pathlib import Path

import pytest

from tinycrm.context import AppState
from tinycrm.errors import InvalidInput
from tinycrm.money import MAX_MINOR, Money, check_currency, parse_money, yen_of


@pytest.mark.parametrize(
    ("text", "currency", "yen", "expected"),
    [
        ("€900", "USD", "", Money(90_000, "EUR")),
        ("900 €", "USD", "", Money(90_000, "EUR")),
        ("900€", "USD", "", Money(90_000, "EUR")),
        ("EUR 900", "USD", "", Money(90_000, "EUR")),
        ("900 EUR", "USD", "", Money(90_000, "EUR")),
        ("eur900", "USD", "", Money(90_000, "EUR")),
        ("£12.50", "USD", "", Money(1_250, "GBP")),
        ("US$900", "EUR", "", Money(90_000, "USD")),
        ("900 US$", "EUR", "", Money(90_000, "USD")),
        ("$900", "USD", "", Money(90_000, "USD")),
        ("$900", "CAD", "", Money(90_000, "CAD")),  # $ is the default when that is a dollar
        ("$900", "EUR", "", Money(90_000, "USD")),  # else USD
        ("$900 CAD", "EUR", "", Money(90_000, "CAD")),  # a code beside it says which
        ("$ 1,234.50", "AUD", "", Money(123_450, "AUD")),
        ("RMB 900", "USD", "", Money(90_000, "CNY")),
        ("900 rmb", "USD", "", Money(90_000, "CNY")),
        ("CN¥900", "JPY", "JPY", Money(90_000, "CNY")),  # CN¥ is CNY whatever ¥ means
        ("900元", "USD", "", Money(90_000, "CNY")),
        ("¥1,500", "USD", "JPY", Money(1_500, "JPY")),  # JPY has no minor unit
        ("¥1,500", "USD", "CNY", Money(150_000, "CNY")),
        ("￥1500", "USD", "JPY", Money(1_500, "JPY")),
        ("￥１，５００", "USD", "CNY", Money(150_000, "CNY")),  # typed full width
        ("¥1500", "JPY", "", Money(1_500, "JPY")),  # nothing says: the default, a yen
        ("¥1500", "CNY", "", Money(150_000, "CNY")),
        ("¥1500 JPY", "USD", "CNY", Money(1_500, "JPY")),  # the code says which
        ("JP¥1500", "USD", "CNY", Money(1_500, "JPY")),
        ("1500円", "USD", "", Money(1_500, "JPY")),
        ("₹12,50,000", "USD", "", Money(125_000_000, "INR")),  # lakh grouping
        ("€1.2m", "USD", "", Money(120_000_000, "EUR")),
        ("1.5k JPY", "EUR", "", Money(1_500, "JPY")),
        ("12 500,50 €", "USD", "", Money(1_250_050, "EUR")),
        ("1.234.567,89 EUR", "USD", "", Money(123_456_789, "EUR")),
        ("1'234.50 CHF", "USD", "", Money(123_450, "CHF")),
        ("0.001 KWD", "USD", "", Money(1, "KWD")),
        ("1,234", "EUR", "", Money(123_400, "EUR")),  # a comma before three digits groups
        ("12,34", "EUR", "", Money(1_234, "EUR")),  # before one or two it is decimal
        ("92233720368547758.07", "USD", "", Money(MAX_MINOR, "USD")),
        ("9,223,372,036,854,775,807 JPY", "USD", "", Money(MAX_MINOR, "JPY")),
    ],
)
def test_money_is_read_in_the_currency_written(
    text: str, currency: str, yen: str, expected: Money
) -> None:
    assert parse_money(text, currency=currency, yen=yen) == expected


AMBIGUOUS = "¥ is ambiguous: write CNY or JPY, or set yen_currency to one of them"


@pytest.mark.parametrize(
    ("text", "currency", "yen", "reason"),
    [
        ("1,2,3", "EUR", "", "not an amount"),
        ("1.2.3", "EUR", "", "not an amount"),
        ("1,2345", "EUR", "", "not an amount"),
        ("1 2 3", "EUR", "", "not an amount"),
        ("1.234,567.8", "EUR", "", "not an amount"),
        ("9€00", "EUR", "", "not an amount"),
        ("EUR", "EUR", "", "not an amount"),
        ("1e5", "EUR", "", "not an amount"),
        ("€900 USD", "EUR", "", "two currencies in one amount (€ and USD)"),
        ("$900 EUR", "USD", "", "two currencies in one amount ($ and EUR)"),
        ("EUR 900 GBP", "EUR", "", "two currencies in one amount (EUR and GBP)"),
        ("¥900 €", "JPY", "JPY", "two currencies in one amount (¥ and €)"),
        ("900 XYZ", "EUR", "", "XYZ is not an ISO 4217 currency code"),
        ("XAU 5", "EUR", "", "XAU is not an ISO 4217 currency code"),  # gold is no currency
        ("¥900", "USD", "", AMBIGUOUS),
        ("￥900", "EUR", "", AMBIGUOUS),
        ("¥12.5", "USD", "JPY", "more than 0 decimal places for JPY"),
        ("-€5", "EUR", "", "must not be negative"),
        ("9223372036854775808", "JPY", "", "too large: at most 9,223,372,036,854,775,807 JPY"),
        ("92233720368547758.08", "USD", "", "too large: at most 92,233,720,368,547,758.07 USD"),
        ("10000000000000m", "EUR", "", "too large: at most 92,233,720,368,547,758.07 EUR"),
    ],
)
def test_what_is_ambiguous_or_malformed_is_refused_naming_it(
    text: str, currency: str, yen: str, reason: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_money(text, currency=currency, yen=yen, field="amount")
    assert refused.value.message == f"amount: {reason}: {text!r}"


def test_a_yen_setting_that_is_no_yen_is_refused_when_yen_is_typed() -> None:
    assert parse_money("900", currency="USD", yen="EUR") == Money(90_000, "USD")
    with pytest.raises(InvalidInput) as refused:
        parse_money("¥900", currency="USD", yen="EUR")
    assert refused.value.message == "yen_currency: must be CNY or JPY: 'EUR'"


@pytest.mark.parametrize(
    ("text", "currency", "expected"),
    [
        ("900", "usd", Money(90_000, "USD")),
        ("$900", "CAD", Money(90_000, "CAD")),
        ("900 JPY", "JPY", Money(900, "JPY")),
        ("€900", "USD", "amount: written in EUR, but --currency is USD: '€900'"),
        ("$900", "EUR", "amount: written in USD, but --currency is EUR: '$900'"),
    ],
)
def test_a_fixed_currency_refuses_another_written(
    text: str, currency: str, expected: Money | str
) -> None:
    if isinstance(expected, Money):
        assert parse_money(text, currency=currency, fixed_by="--currency") == expected
        return
    with pytest.raises(InvalidInput) as refused:
        parse_money(text, currency=currency, fixed_by="--currency")
    assert refused.value.message == expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("eur", "EUR"),
        (" jpy ", "JPY"),
        ("RMB", "CNY"),
        ("XCG", "XCG"),
        ("XYZ", None),
        ("EURO", None),
        ("", None),
        ("HRK", None),  # replaced by the euro in 2023
    ],
)
def test_currency_codes_are_iso_4217(code: str, expected: str | None) -> None:
    if expected is not None:
        assert check_currency(code) == expected
        return
    with pytest.raises(InvalidInput) as refused:
        check_currency(code, field="--currency")
    assert refused.value.message == (
        f"--currency: not an ISO 4217 currency code (e.g. USD, EUR, CNY): {code!r}"
    )


@pytest.mark.parametrize(
    ("setting", "language", "expected"),
    [("", "zh", "CNY"), ("", "ja", "JPY"), ("", "en", ""), ("", "", ""), ("jpy", "zh", "JPY")],
)
def test_yen_is_the_setting_else_the_locale(setting: str, language: str, expected: str) -> None:
    assert yen_of(setting, language=language) == expected


@pytest.mark.parametrize(
    ("locale", "config", "expected"),
    [
        ("zh_CN.UTF-8", "", "CNY"),
        ("ja_JP.UTF-8", "", "JPY"),
        ("en_US.UTF-8", "", ""),
        ("ja_JP.UTF-8", 'yen_currency = "CNY"\n', "CNY"),
    ],
)
def test_the_app_state_hands_the_yen_choice_down(
    crm_env: Path, monkeypatch: pytest.MonkeyPatch, locale: str, config: str, expected: str
) -> None:
    monkeypatch.setenv("LC_ALL", locale)
    crm_env.mkdir(parents=True, exist_ok=True)
    (crm_env / "config.toml").write_text(config, encoding="utf-8")
    st = AppState()
    assert st.yen == expected
    if expected:
        assert st.money("¥1,500", "amount") == parse_money("1500", currency=expected)
