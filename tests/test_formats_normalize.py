"""Properties of the normalisers the importer feeds mapped values to."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinycrm.errors import InvalidInput
from tinycrm.money import Money, decimals, parse_money
from tinycrm.normalize import join_name, name_key, normalize_email, split_name

ATOM = st.text(string.ascii_letters + string.digits + "+_-", min_size=1, max_size=12)
LABEL = st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=10)
EMAILS = st.builds(
    lambda local, labels, tld: f"{local}@{'.'.join(labels)}.{tld}",
    ATOM.filter(lambda s: ".." not in s),
    st.lists(LABEL, min_size=1, max_size=3),
    st.text(string.ascii_lowercase, min_size=2, max_size=6),
)
SPACE = st.text(" \t", max_size=3)


@given(EMAILS, SPACE, SPACE)
def test_normalize_email_lowercases_and_trims(email: str, before: str, after: str) -> None:
    normal = normalize_email(before + email.swapcase() + after)
    assert normal == email.lower()
    assert normalize_email(normal) == normal


@given(st.text(max_size=40))
def test_normalize_email_gives_an_email_none_or_a_clear_error(text: str) -> None:
    try:
        normal = normalize_email(text)
    except InvalidInput as error:
        assert error.field == "email"
        return
    if normal is None:
        assert not text.strip()
    else:
        assert normal == normal.strip().lower() and normal.count("@") == 1
        assert normalize_email(normal) == normal


@given(st.text(max_size=40))
def test_name_key_is_idempotent_and_space_insensitive(text: str) -> None:
    key = name_key(text)
    assert name_key(key) == key
    assert key == key.strip() and "  " not in key
    assert name_key("  " + "\t ".join(text.split()) + " \n") == key


@given(st.text(string.ascii_letters + "éüßÅ李伟", min_size=1, max_size=20))
def test_name_key_ignores_case(text: str) -> None:
    assert name_key(text.upper()) == name_key(text.lower()) == name_key(text)


WORD = st.text(
    st.characters(exclude_categories=("Cs", "Zs", "Zl", "Zp", "Cc")), min_size=1, max_size=8
).filter(lambda w: w.split() == [w])


@given(st.lists(WORD, min_size=1, max_size=5), SPACE)
def test_split_name_takes_the_last_word_as_the_last_name(words: list[str], pad: str) -> None:
    first, last = split_name(pad + " ".join(words) + pad)
    if len(words) == 1:
        assert (first, last) == (words[0], None)
    else:
        assert (first, last) == (" ".join(words[:-1]), words[-1])
    assert join_name(first, last) == " ".join(words)


def test_split_name_of_nothing() -> None:
    assert split_name("   ") == (None, None)


CURRENCIES = st.sampled_from(["USD", "EUR", "CNY", "JPY", "KRW", "KWD", "BHD", "GBP"])


@given(st.integers(min_value=0, max_value=10**15), CURRENCIES)
def test_parse_money_reads_back_plain(minor: int, currency: str) -> None:
    money = Money(minor, currency)
    assert parse_money(money.plain(), currency=currency) == money
    assert parse_money(f"{money.plain()} {currency.lower()}", currency="USD") == money


@given(st.integers(min_value=0, max_value=10**15), CURRENCIES)
def test_parse_money_reads_back_its_display_form(minor: int, currency: str) -> None:
    money = Money(minor, currency)
    assert parse_money(str(money), currency="XXX") == money


@given(st.integers(min_value=1, max_value=10**6), st.sampled_from(["k", "K", "m"]))
def test_parse_money_suffixes(whole: int, suffix: str) -> None:
    factor = 1_000 if suffix.lower() == "k" else 1_000_000
    assert parse_money(f"{whole}{suffix}", currency="USD") == Money(whole * factor * 100, "USD")


@given(st.text(max_size=20), CURRENCIES)
def test_parse_money_gives_money_or_a_clear_error(text: str, currency: str) -> None:
    try:
        money = parse_money(text, currency=currency)
    except InvalidInput as error:
        assert error.field == "amount"
        return
    assert money.minor >= 0 and len(money.currency) == 3


@pytest.mark.parametrize(("currency", "places"), [("JPY", 0), ("USD", 2), ("KWD", 3)])
def test_decimals(currency: str, places: int) -> None:
    assert decimals(currency) == places
