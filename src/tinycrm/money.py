"""Money as integer minor units plus an ISO 4217 currency code; never a float."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from tinycrm.errors import InvalidInput

_ZERO_DECIMALS = frozenset(
    "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF".split()
)
_THREE_DECIMALS = frozenset("BHD IQD JOD KWD LYD OMR TND".split())
_SYMBOLS = "$€£¥₩₹₽¤"
_SUFFIX = {"k": 1_000, "m": 1_000_000}
_CODE = re.compile(r"^([A-Za-z]{3})\s+|\s*([A-Za-z]{3})$")


def decimals(currency: str) -> int:
    code = currency.upper()
    return 0 if code in _ZERO_DECIMALS else 3 if code in _THREE_DECIMALS else 2


def check_currency(code: str, *, field: str = "currency") -> str:
    if not re.fullmatch(r"[A-Za-z]{3}", code.strip()):
        raise InvalidInput(field, code, "not a three-letter currency code")
    return code.strip().upper()


@dataclass(frozen=True, order=True)
class Money:
    minor: int
    currency: str

    def to_decimal(self) -> Decimal:
        return Decimal(self.minor).scaleb(-decimals(self.currency))

    def plain(self) -> str:
        """`12500.00`: for CSV and anything a program reads."""
        return f"{self.to_decimal():f}"

    def __str__(self) -> str:
        places = decimals(self.currency)
        return f"{self.to_decimal():,.{places}f} {self.currency}"


def parse_money(text: str, *, currency: str, field: str = "amount") -> Money:
    """`12500`, `12,500.50`, `12.500,50`, `12.5k`, `€1.2m`, `12500 EUR` as Money.

    When both `,` and `.` appear the last one is the decimal mark; a lone `,` followed by
    one or two digits is a decimal comma, otherwise it groups thousands.
    """
    raw = text.strip().strip(_SYMBOLS).strip()
    code_match = _CODE.search(raw)
    if code_match:
        currency = check_currency(code_match.group(1) or code_match.group(2), field=field)
        raw = _CODE.sub("", raw).strip(_SYMBOLS).strip()
    multiplier = 1
    if raw[-1:].lower() in _SUFFIX:
        multiplier, raw = _SUFFIX[raw[-1].lower()], raw[:-1].strip()
    number = _to_decimal(raw, field=field, text=text) * multiplier
    if number < 0:
        raise InvalidInput(field, text, "must not be negative")
    places = decimals(currency)
    minor = number.scaleb(places)
    if minor != minor.to_integral_value():
        raise InvalidInput(field, text, f"more than {places} decimal places for {currency}")
    return Money(int(minor), currency.upper())


def _to_decimal(raw: str, *, field: str, text: str) -> Decimal:
    cleaned = raw.replace("_", "").replace(" ", "").replace("\u00a0", "").replace("'", "")
    if "," in cleaned and "." in cleaned:
        mark = "," if cleaned.rfind(",") > cleaned.rfind(".") else "."
        group = "." if mark == "," else ","
        cleaned = cleaned.replace(group, "").replace(mark, ".")
    elif "," in cleaned:
        head, _, tail = cleaned.rpartition(",")
        decimal_comma = cleaned.count(",") == 1 and len(tail) in (1, 2)
        cleaned = f"{head}.{tail}" if decimal_comma else cleaned.replace(",", "")
    if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)", cleaned):
        raise InvalidInput(field, text, "not an amount")
    try:
        return Decimal(cleaned)
    except InvalidOperation:  # pragma: no cover - the pattern above admits only numbers
        raise InvalidInput(field, text, "not an amount") from None
