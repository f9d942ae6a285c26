"""What people type: dates and times, amounts of money, emails, phones and names."""

from __future__ import annotations

import re
import time as time_module
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import NOW
from tinycrm.dates import parse_date, parse_datetime, parse_duration, parse_time, user_timezone
from tinycrm.errors import InvalidInput
from tinycrm.money import Money, parse_money
from tinycrm.normalize import (
    name_key,
    normalize_email,
    normalize_phone,
    phone_region,
    split_name,
)

PARIS = ZoneInfo("Europe/Paris")
FRIDAY = date(2026, 11, 27)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# --- dates and times -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("now", utc(2026, 11, 23, 9, 30)),
        ("today", utc(2026, 11, 23)),
        ("Tomorrow", utc(2026, 11, 24)),
        ("yesterday", utc(2026, 11, 22)),
        ("+3d", utc(2026, 11, 26)),
        ("-2w", utc(2026, 11, 9)),
        ("+2h", utc(2026, 11, 23, 11, 30)),
        ("+15m", utc(2026, 11, 23, 9, 45)),
        ("+1mo", utc(2026, 12, 23)),
        ("+1y", utc(2027, 11, 23)),
        ("in 3 days", utc(2026, 11, 26)),
        ("fri", utc(2026, 11, 27)),
        ("friday", utc(2026, 11, 27)),
        ("mon", utc(2026, 11, 23)),  # NOW is a Monday: `mon` is today
        ("next mon", utc(2026, 11, 30)),  # ... and `next mon` strictly after it
        ("next fri", utc(2026, 11, 27)),
        ("mon 9:00", utc(2026, 11, 23, 9)),
        ("tomorrow 10:00", utc(2026, 11, 24, 10)),
        ("tomorrow at 10", utc(2026, 11, 24, 10)),
        ("next fri 9am", utc(2026, 11, 27, 9)),
        ("monday 9:30 pm", utc(2026, 11, 23, 21, 30)),
        ("9am", utc(2026, 11, 23, 9)),
        ("at 9am", utc(2026, 11, 23, 9)),
        ("14:30", utc(2026, 11, 23, 14, 30)),
        ("2026-12-01", utc(2026, 12, 1)),
        ("2026-12-01 14:30", utc(2026, 12, 1, 14, 30)),
        ("2026-12-01T14:30+02:00", utc(2026, 12, 1, 12, 30)),
        ("2026-12-01 14:30-05:00", utc(2026, 12, 1, 19, 30)),
        ("2026-12-01T14:30Z", utc(2026, 12, 1, 14, 30)),
        ("1 Dec 2026", utc(2026, 12, 1)),
        ("Dec 1 14:30", utc(2026, 12, 1, 14, 30)),
    ],
)
def test_parse_datetime_in_utc(text: str, expected: datetime) -> None:
    assert parse_datetime(text, now=NOW, tz=UTC, field="due") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("now", utc(2026, 11, 23, 9, 30)),
        ("today", utc(2026, 11, 22, 23)),  # midnight in Paris (UTC+1 in November)
        ("tomorrow 10:00", utc(2026, 11, 24, 9)),
        ("9am", utc(2026, 11, 23, 8)),
        ("+2h", utc(2026, 11, 23, 11, 30)),
        ("2026-12-01 14:30", utc(2026, 12, 1, 13, 30)),
        ("2026-12-01T14:30+02:00", utc(2026, 12, 1, 12, 30)),  # an explicit offset wins
        ("1 Dec 2026", utc(2026, 11, 30, 23)),
    ],
)
def test_parse_datetime_in_a_non_utc_zone_returns_utc(text: str, expected: datetime) -> None:
    result = parse_datetime(text, now=NOW, tz=PARIS, field="due")
    assert result == expected
    assert result.utcoffset() == timedelta(0)


def test_today_is_the_local_day_not_the_utc_day() -> None:
    late = utc(2026, 11, 23, 23, 30)  # already the 24th in Paris
    assert parse_datetime("today", now=late, tz=PARIS, field="due") == utc(2026, 11, 23, 23)
    assert parse_date("today", today=date(2026, 11, 24), field="close") == date(2026, 11, 24)


@pytest.mark.parametrize(
    ("text", "now", "expected"),
    [
        # Summer time starts in Paris on Sunday 2026-03-29 at 02:00 (UTC+1 -> UTC+2).
        ("2026-03-28 9:00", utc(2026, 3, 20, 12), utc(2026, 3, 28, 8)),
        ("2026-03-30 9:00", utc(2026, 3, 20, 12), utc(2026, 3, 30, 7)),
        ("tomorrow 9:00", utc(2026, 3, 28, 12), utc(2026, 3, 29, 7)),
        ("mon 9:00", utc(2026, 3, 28, 12), utc(2026, 3, 30, 7)),
        # It ends on Sunday 2026-10-25 at 03:00 (UTC+2 -> UTC+1).
        ("2026-10-24 9:00", utc(2026, 10, 20, 12), utc(2026, 10, 24, 7)),
        ("2026-10-26 9:00", utc(2026, 10, 20, 12), utc(2026, 10, 26, 8)),
        ("tomorrow 9:00", utc(2026, 10, 24, 12), utc(2026, 10, 25, 8)),
    ],
)
def test_local_time_of_day_survives_a_dst_change(
    text: str, now: datetime, expected: datetime
) -> None:
    result = parse_datetime(text, now=now, tz=PARIS, field="due")
    assert result == expected
    assert result.astimezone(PARIS).time() == time(9, 0)


@pytest.mark.parametrize(
    "now",
    [
        utc(2026, 3, 29, 0, 30),  # 01:30 CET, the clocks jump 02:00 -> 03:00 in between
        utc(2026, 10, 25, 0, 30),  # 02:30 CEST, the clocks fall back 03:00 -> 02:00 in between
    ],
)
def test_hour_offsets_are_real_elapsed_time_across_dst(now: datetime) -> None:
    assert parse_datetime("+2h", now=now, tz=PARIS, field="due") == now + timedelta(hours=2)


def test_bare_at_time_is_today_at_that_time() -> None:
    assert parse_datetime("at 9", now=NOW, tz=UTC, field="due") == utc(2026, 11, 23, 9)


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        ("fri", FRIDAY, FRIDAY),  # today is a Friday: `fri` is today
        ("next fri", FRIDAY, date(2026, 12, 4)),  # `next fri` is strictly after today
        ("mon", FRIDAY, date(2026, 11, 30)),
        ("next mon", FRIDAY, date(2026, 11, 30)),
        ("thu", FRIDAY, date(2026, 12, 3)),
        ("today", FRIDAY, FRIDAY),
        ("tomorrow", FRIDAY, date(2026, 11, 28)),
        ("today 10:00", FRIDAY, FRIDAY),  # a time of day is ignored
        ("+1mo", date(2026, 1, 31), date(2026, 2, 28)),
        ("-2w", FRIDAY, date(2026, 11, 13)),
        ("2026-12-01T23:30-05:00", FRIDAY, date(2026, 12, 1)),
        ("1 Dec 2026", FRIDAY, date(2026, 12, 1)),
    ],
)
def test_parse_date(text: str, today: date, expected: date) -> None:
    assert parse_date(text, today=today, field="close") == expected


BAD_DATES = [
    "",
    "   ",
    "blah",
    "next",
    "next foo",
    "next fri 25:00",
    "tomorrow 25:00",
    "tomorrow later",
    "+5x",
    "2026-02-30",
    "32/13/2026",
]


@pytest.mark.parametrize("text", BAD_DATES)
def test_parse_datetime_rejects_with_field_and_value(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_datetime(text, now=NOW, tz=PARIS, field="due")
    assert caught.value.field == "due"
    assert caught.value.value == text
    assert caught.value.message.startswith("due: ")
    assert caught.value.message.endswith(repr(text))
    assert caught.value.exit_code == 2


@pytest.mark.parametrize("text", ["blah", "+5x", "next foo"])
def test_parse_date_rejects_with_field_and_value(text: str) -> None:
    with pytest.raises(InvalidInput, match=rf"^close: .*{re.escape(repr(text))}$"):
        parse_date(text, today=FRIDAY, field="close")


@pytest.mark.parametrize("text", ["+99999999d", "+99999999999h"])
def test_huge_offsets_are_invalid_input(text: str) -> None:
    with pytest.raises(InvalidInput, match="due"):
        parse_datetime(text, now=NOW, tz=UTC, field="due")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15m", timedelta(minutes=15)),
        ("2h", timedelta(hours=2)),
        ("+3d", timedelta(days=3)),
        ("2w", timedelta(weeks=2)),
        (" 90 min ", timedelta(minutes=90)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text, field="before") == expected


@pytest.mark.parametrize("text", ["", "abc", "1mo", "1y", "-2h", "in 3 days", "2x"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_duration(text, field="before")
    assert caught.value.field == "before"
    assert caught.value.message == (f"before: not a duration (use e.g. 15m, 2h, 3d, 2w): {text!r}")


def test_huge_duration_is_invalid_input() -> None:
    with pytest.raises(InvalidInput):
        parse_duration("99999999999d", field="before")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9", time(9)),
        ("9:30", time(9, 30)),
        ("14:30:15", time(14, 30, 15)),
        ("9am", time(9)),
        ("9:30 PM", time(21, 30)),
        ("12am", time(0)),
        ("12pm", time(12)),
        ("at 9", time(9)),
        ("x", None),
        ("13pm", None),
        ("0am", None),
        ("24:00", None),
        ("9:60", None),
    ],
)
def test_parse_time(text: str, expected: time | None) -> None:
    assert parse_time(text) == expected


def test_unknown_time_zone_is_invalid_input() -> None:
    with pytest.raises(InvalidInput, match=r"^timezone: unknown time zone: 'Mars/Olympus'$"):
        user_timezone("Mars/Olympus")
    assert user_timezone("Europe/Paris") == PARIS


@pytest.fixture
def system_tz(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """`TZ` set or removed for one test, and the C library told of it before and after."""
    yield monkeypatch
    monkeypatch.undo()
    time_module.tzset()


def test_no_zone_configured_is_the_zone_tz_names_with_its_history(
    system_tz: pytest.MonkeyPatch,
) -> None:
    system_tz.setenv("TZ", "America/Los_Angeles")
    tz = user_timezone()
    assert utc(2026, 7, 1).astimezone(tz).utcoffset() == timedelta(hours=-7)
    assert utc(2026, 1, 1).astimezone(tz).utcoffset() == timedelta(hours=-8)
    # Before 2007 summer time began on the first Sunday of April, not the second of March.
    assert utc(2006, 3, 20, 20).astimezone(tz).utcoffset() == timedelta(hours=-8)
    assert utc(2007, 3, 20, 20).astimezone(tz).utcoffset() == timedelta(hours=-7)


def test_a_tz_rule_rather_than_a_name_is_read_as_the_c_library_reads_it(
    system_tz: pytest.MonkeyPatch,
) -> None:
    system_tz.setenv("TZ", "XST-3XDT,M3.5.0,M10.5.0/3")
    time_module.tzset()
    tz = user_timezone()
    assert utc(2026, 1, 10).astimezone(tz).utcoffset() == timedelta(hours=3)
    assert utc(2026, 7, 10).astimezone(tz).utcoffset() == timedelta(hours=4)


def test_no_tz_is_the_systems_zone_file(system_tz: pytest.MonkeyPatch) -> None:
    if not Path("/etc/localtime").exists():
        pytest.skip("no /etc/localtime here")
    system_tz.delenv("TZ", raising=False)
    time_module.tzset()
    tz = user_timezone()
    for moment in (utc(2026, 1, 15, 12), utc(2026, 7, 15, 12), utc(1999, 12, 31, 23)):
        by_c = datetime.fromtimestamp(moment.timestamp()).astimezone()  # the C library's view
        assert moment.astimezone(tz).utcoffset() == by_c.utcoffset()


# --- money -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "currency", "expected"),
    [
        ("12500", "EUR", Money(1_250_000, "EUR")),
        ("12,500.50", "EUR", Money(1_250_050, "EUR")),
        ("12.500,50", "EUR", Money(1_250_050, "EUR")),
        ("12,5", "EUR", Money(1_250, "EUR")),  # a lone comma before 1-2 digits is decimal
        ("1,234,567", "EUR", Money(123_456_700, "EUR")),
        ("12 500", "EUR", Money(1_250_000, "EUR")),
        ("12.5k", "EUR", Money(1_250_000, "EUR")),
        ("€1.2m", "EUR", Money(120_000_000, "EUR")),
        ("$5", "USD", Money(500, "USD")),
        ("12500 EUR", "USD", Money(1_250_000, "EUR")),  # a code in the text wins
        ("usd 99.99", "EUR", Money(9_999, "USD")),
        ("0", "EUR", Money(0, "EUR")),
        ("1200", "JPY", Money(1_200, "JPY")),
        ("1,234", "JPY", Money(1_234, "JPY")),
        ("1.5k JPY", "EUR", Money(1_500, "JPY")),
        ("1.234", "KWD", Money(1_234, "KWD")),
        ("0.001 KWD", "EUR", Money(1, "KWD")),
    ],
)
def test_parse_money(text: str, currency: str, expected: Money) -> None:
    assert parse_money(text, currency=currency) == expected


@pytest.mark.parametrize(
    ("text", "currency", "reason"),
    [
        ("-5", "EUR", "must not be negative"),
        ("€-5", "EUR", "must not be negative"),
        ("abc", "EUR", "not an amount"),
        ("", "EUR", "not an amount"),
        ("€", "EUR", "not an amount"),
        ("1.2.3", "EUR", "not an amount"),
        ("1e5", "EUR", "not an amount"),
        ("12.345", "EUR", "more than 2 decimal places for EUR"),
        ("12.5", "JPY", "more than 0 decimal places for JPY"),
        ("1.2345", "KWD", "more than 3 decimal places for KWD"),
        ("12.5 JPY", "EUR", "more than 0 decimal places for JPY"),
    ],
)
def test_parse_money_rejects(text: str, currency: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_money(text, currency=currency, field="amount")
    assert caught.value.message == f"amount: {reason}: {text!r}"


@pytest.mark.parametrize(
    ("money", "shown", "plain"),
    [
        (Money(1_250_050, "EUR"), "12,500.50 EUR", "12500.50"),
        (Money(1_250_000, "USD"), "12,500.00 USD", "12500.00"),
        (Money(5, "EUR"), "0.05 EUR", "0.05"),
        (Money(0, "EUR"), "0.00 EUR", "0.00"),
        (Money(1_234_567, "JPY"), "1,234,567 JPY", "1234567"),
        (Money(1_234, "KWD"), "1.234 KWD", "1.234"),
    ],
)
def test_money_str_and_plain(money: Money, shown: str, plain: str) -> None:
    assert str(money) == shown
    assert money.plain() == plain


# --- emails, phones, names -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  Ann.Lee@Example.COM ", "ann.lee@example.com"),
        ("ann.lee+crm@sub.example.co.uk", "ann.lee+crm@sub.example.co.uk"),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_normalize_email(text: str | None, expected: str | None) -> None:
    assert normalize_email(text) == expected


@pytest.mark.parametrize(
    "text", ["ann@example", "a b@x.com", "ann@@x.com", "ann@x..com", "ann@x.c", "<a@x.com>"]
)
def test_normalize_email_rejects_malformed(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        normalize_email(text, field="email")
    assert caught.value.message == f"email: not an email address: {text!r}"


@pytest.mark.parametrize(
    ("text", "region", "expected"),
    [
        ("06 12 34 56 78", "FR", "+33612345678"),
        ("(415) 555-0123", "US", "+14155550123"),
        ("+44 20 7946 0958", "US", "+442079460958"),  # a country code beats the region
        ("020 7946 0958", "gb", "+442079460958"),
        ("13800138002", "CN", "+8613800138002"),  # a mobile from a 手机 column
        ("", "US", None),
        (None, "US", None),
        # No region: a number with its country code is read, a national one is kept as typed.
        ("+86 138 0013 8002", "", "+8613800138002"),
        ("0086 138 0013 8002", "", "+8613800138002"),  # `00`, the international prefix
        ("00 33 6 12 34 56 78", None, "+33612345678"),
        ("13800138002", "", None),
        ("0612345678", "", None),
        ("(415) 555-0123", None, None),
        # A region where the number is not valid: kept as typed, never a made-up country.
        ("13800138002", "US", None),
        ("13800138002", "FR", None),
        ("(555) 555-5555", "US", None),
        ("0086 138 0013 8002", "US", "+8613800138002"),  # the US dials abroad with 011
        ("011 86 138 0013 8002", "US", "+8613800138002"),
        ("0033 6 12 34 56 78", "FR", "+33612345678"),
    ],
)
def test_normalize_phone(text: str | None, region: str | None, expected: str | None) -> None:
    assert normalize_phone(text, region=region) == expected


@pytest.mark.parametrize(
    ("text", "region", "reason"),
    [
        ("12", "US", "not a possible phone number"),
        ("abc", "US", "not a phone number"),
        ("+999 123", "US", "not a phone number"),
        ("+999 123", "", "not a phone number"),
        ("12", "", "not a phone number"),
        ("abc", None, "not a phone number"),
    ],
)
def test_normalize_phone_rejects_impossible(text: str, region: str | None, reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        normalize_phone(text, region=region)
    assert caught.value.message == f"phone: {reason}: {text!r}"


def test_normalize_phone_rejects_number_without_area_code() -> None:
    with pytest.raises(InvalidInput, match="phone"):
        normalize_phone("555-0123", region="US")


@pytest.mark.parametrize(("text", "expected"), [("cn", "CN"), (" us ", "US"), ("", ""), (None, "")])
def test_phone_region_is_a_known_region_code(text: str | None, expected: str) -> None:
    assert phone_region(text) == expected


@pytest.mark.parametrize("text", ["China", "XX", "1"])
def test_phone_region_refuses_what_is_no_region(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        phone_region(text, field="--region")
    assert caught.value.message == (
        f"--region: not a region code (ISO 3166, e.g. CN, US, FR): {text!r}"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  Ann   LEE ", "ann lee"),
        ("Ann\tLee", "ann lee"),
        ("ＡＣＭＥ", "acme"),  # full-width letters (NFKC)
        ("Straße", "strasse"),  # casefold, not just lower
        ("李伟", "李伟"),
    ],
)
def test_name_key(text: str, expected: str) -> None:
    assert name_key(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Li Wei", ("Li", "Wei")),
        ("Mary Jane Watson", ("Mary Jane", "Watson")),
        ("  Ann  ", ("Ann", None)),
        ("李伟", ("李伟", None)),  # a Chinese name without a space is kept whole
        ("", (None, None)),
    ],
)
def test_split_name(text: str, expected: tuple[str | None, str | None]) -> None:
    assert split_name(text) == expected
