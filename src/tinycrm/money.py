"""Money as integer minor units plus an ISO 4217 currency code; never a float.

An amount is read in the currency it is written in (`€900`, `900 EUR`, `US$900`), else in
the currency the caller gives; see `parse_money` for the forms and what is refused.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, localcontext

from tinycrm.errors import InvalidInput

ISO_4217 = frozenset(
    """AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN
    BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD EGP
    ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR
    ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA
    MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK
    PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC
    SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND
    VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG""".split()
)
"""The currencies of ISO 4217 in force (2026); its codes for metals, bond units, SDRs and
testing are left out, as no sale is made in them."""
_ALIASES = {"RMB": "CNY"}
_ZERO_DECIMALS = frozenset(
    "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split()
)
_THREE_DECIMALS = frozenset("BHD IQD JOD KWD LYD OMR TND".split())
_FOUR_DECIMALS = frozenset("CLF UYW".split())
MAX_MINOR = 2**63 - 1
"""The most minor units a money column (a signed 64-bit integer) holds."""

YEN = frozenset({"CNY", "JPY"})
DOLLARS = frozenset(
    "USD AUD BBD BMD BND BSD BZD CAD FJD GYD HKD JMD KYD LRD NAD NZD SBD SGD SRD TTD TWD "
    "XCD ARS CLP COP CUP DOP MXN UYU".split()
)
"""Currencies written with a bare `$` (dollars, and the pesos that use the sign)."""
_SIGNS: dict[str, frozenset[str]] = {
    "$": DOLLARS,
    "¥": YEN,
    "US$": frozenset({"USD"}),
    "CA$": frozenset({"CAD"}),
    "AU$": frozenset({"AUD"}),
    "A$": frozenset({"AUD"}),
    "NZ$": frozenset({"NZD"}),
    "HK$": frozenset({"HKD"}),
    "SG$": frozenset({"SGD"}),
    "S$": frozenset({"SGD"}),
    "NT$": frozenset({"TWD"}),
    "MX$": frozenset({"MXN"}),
    "R$": frozenset({"BRL"}),
    "CN¥": frozenset({"CNY"}),
    "JP¥": frozenset({"JPY"}),
    "元": frozenset({"CNY"}),
    "円": frozenset({"JPY"}),
    "€": frozenset({"EUR"}),
    "£": frozenset({"GBP"}),
    "₩": frozenset({"KRW"}),
    "₹": frozenset({"INR"}),
    "₽": frozenset({"RUB"}),
    "₺": frozenset({"TRY"}),
    "₪": frozenset({"ILS"}),
    "₫": frozenset({"VND"}),
    "₱": frozenset({"PHP"}),
    "฿": frozenset({"THB"}),
    "₴": frozenset({"UAH"}),
    "₦": frozenset({"NGN"}),
    "₸": frozenset({"KZT"}),
    "₾": frozenset({"GEL"}),
    "¤": frozenset(),  # the generic currency sign: says nothing about which
}
_SIGN = "|".join(re.escape(s) for s in sorted(_SIGNS, key=len, reverse=True))
_LEAD = re.compile(rf"([+-])\s*|({_SIGN}|[A-Za-z]{{3}}(?![A-Za-z]))\s*", re.IGNORECASE)
_TRAIL = re.compile(rf"\s*({_SIGN}|(?<![A-Za-z])[A-Za-z]{{3}})$", re.IGNORECASE)
_SUFFIX = {"k": 1_000, "m": 1_000_000}
_GROUPS = " '’_,."
"""What may group the digits of the whole part (besides the one that marks decimals)."""
_UNGROUP = str.maketrans("", "", _GROUPS)


def decimals(currency: str) -> int:
    code = currency.upper()
    if code in _ZERO_DECIMALS:
        return 0
    return 3 if code in _THREE_DECIMALS else 4 if code in _FOUR_DECIMALS else 2


def check_currency(code: str, *, field: str = "currency") -> str:
    """`code` as an ISO 4217 currency code in capitals (`RMB` is taken for CNY)."""
    found = code.strip().upper()
    found = _ALIASES.get(found, found)
    if found not in ISO_4217:
        raise InvalidInput(field, code, "not an ISO 4217 currency code (e.g. USD, EUR, CNY)")
    return found


def yen_of(setting: str, *, language: str) -> str:
    """What `¥` stands for: the `yen_currency` setting as given, else CNY for a Chinese
    locale and JPY for a Japanese one, else "" (nothing says)."""
    return setting.strip().upper() or {"zh": "CNY", "ja": "JPY"}.get(language.lower(), "")


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


def parse_money(
    text: str, *, currency: str, yen: str = "", field: str = "amount", fixed_by: str = ""
) -> Money:
    """`12500`, `12,500.50`, `12.500,50`, `12 500`, `12.5k`, `€1.2m`, `900 €`, `EUR 900`,
    `900 EUR`, `US$900`, `£5`, `¥1,500`, `CN¥900`, `900 RMB`, `1500円` as Money.

    A currency written in the text is the amount's currency; otherwise it is `currency`.
    `$` alone is `currency` when that is a dollar (CAD, AUD …, or a peso written with `$`),
    else USD; a code beside it says which (`$900 CAD`). `¥`/`￥` alone is `yen` (the
    `yen_currency` setting, else what the locale says, see `yen_of`), else `currency` when
    that is CNY or JPY; otherwise it is refused as ambiguous. With `fixed_by` (what fixed
    `currency`, e.g. `--currency`), an amount written in another currency is refused. Minor
    units follow the amount's currency: `¥1,500` in JPY is 1500 of them, `€12.50` 1250.

    When both `,` and `.` appear the last one is the decimal mark; a lone `,` followed by
    one or two digits is a decimal comma, otherwise it groups thousands. Refused, each as
    an `InvalidInput` naming the text: what is not one number (`1,2,3`, `1.2.3`, `1e5`),
    two currencies (`€900 USD`), a code that is not ISO 4217, a negative amount, more
    decimals than the currency has, and more than a 64-bit column holds.
    """
    shape = unicodedata.normalize("NFKC", text).strip()  # ￥１，５００ -> ¥1,500
    marks, negative, rest = _marks(shape)
    multiplier = 1
    if rest[-1:].lower() in _SUFFIX and rest[:-1].strip():
        multiplier, rest = _SUFFIX[rest[-1].lower()], rest[:-1].strip()
    number = _to_decimal(rest, field=field, text=text)
    code = _currency(marks, currency=currency, yen=yen, field=field, text=text)
    if fixed_by and code != (wanted := check_currency(currency, field="currency")):
        raise InvalidInput(field, text, f"written in {code}, but {fixed_by} is {wanted}")
    if negative and number:
        raise InvalidInput(field, text, "must not be negative")
    places = decimals(code)
    with localcontext() as exact:
        exact.prec = len(rest) + 20  # enough digits that nothing below is rounded
        minor = number * multiplier * 10**places
    if minor != minor.to_integral_value():
        raise InvalidInput(field, text, f"more than {places} decimal places for {code}")
    if minor > MAX_MINOR:
        raise InvalidInput(field, text, f"too large: at most {Money(MAX_MINOR, code)}")
    return Money(int(minor), code)


def _marks(shape: str) -> tuple[list[str], bool, str]:
    """The currency marks before and after the number, whether a `-` came first, and the
    number left in between."""
    marks: list[str] = []
    negative = False
    rest = shape
    while rest and (lead := _LEAD.match(rest)):
        negative = negative or lead.group(1) == "-"
        if lead.group(2):
            marks.append(lead.group(2))
        rest = rest[lead.end() :]
    while rest and (trail := _TRAIL.search(rest)):
        marks.append(trail.group(1))
        rest = rest[: trail.start()]
    return marks, negative, rest.strip()


def _currency(marks: list[str], *, currency: str, yen: str, field: str, text: str) -> str:
    """The currency the marks say, or `currency` when there are none."""
    if not marks:
        return check_currency(currency, field="currency")
    options: frozenset[str] | None = None
    first = ""
    for mark in marks:
        said = _SIGNS.get(mark.upper())
        if said is None:
            code = _ALIASES.get(mark.upper(), mark.upper())
            if code not in ISO_4217:
                raise InvalidInput(field, text, f"{mark} is not an ISO 4217 currency code")
            said = frozenset({code})
        if not said:
            continue  # ¤
        if options is not None and not options & said:
            raise InvalidInput(field, text, f"two currencies in one amount ({first} and {mark})")
        options, first = (said, mark) if options is None else (options & said, first)
    if options is None:
        return check_currency(currency, field="currency")
    if len(options) == 1:
        return next(iter(options))
    if options == YEN:
        return _yen(currency=currency, yen=yen, field=field, text=text)
    return currency.upper() if currency.upper() in options else "USD"


def _yen(*, currency: str, yen: str, field: str, text: str) -> str:
    if yen and yen.upper() not in YEN:
        raise InvalidInput("yen_currency", yen, "must be CNY or JPY")
    chosen = yen.upper() or (currency.upper() if currency.upper() in YEN else "")
    if not chosen:
        raise InvalidInput(
            field, text, "¥ is ambiguous: write CNY or JPY, or set yen_currency to one of them"
        )
    return chosen


def _to_decimal(raw: str, *, field: str, text: str) -> Decimal:
    """The number in `raw`: digits, one decimal mark, and one kind of digit grouping."""
    if "," in raw and "." in raw:
        mark = "," if raw.rfind(",") > raw.rfind(".") else "."
    elif raw.count(",") == 1 and re.search(r",\d{1,2}$", raw):
        mark = ","
    elif raw.count(".") == 1:
        mark = "."
    else:
        mark = ""
    whole, _, part = raw.rpartition(mark) if mark else (raw, "", "")
    if not (whole or part) or not re.fullmatch(r"[0-9]*", part) or not _grouped(whole):
        raise InvalidInput(field, text, "not an amount")
    return Decimal(f"{whole.translate(_UNGROUP) or 0}.{part or 0}")


def _grouped(whole: str) -> bool:
    """Digits alone, or grouped by one separator in threes (`1,234,567`) or the Indian way
    (`12,34,567`)."""
    seps = set(re.sub(r"[0-9]", "", whole))
    if not seps:
        return True
    if len(seps) > 1 or not seps <= set(_GROUPS):
        return False
    sep = re.escape(seps.pop())
    return bool(
        re.fullmatch(rf"[0-9]{{1,3}}(?:{sep}[0-9]{{3}})+", whole)
        or re.fullmatch(rf"[0-9]{{1,2}}(?:{sep}[0-9]{{2}})*{sep}[0-9]{{3}}", whole)
    )
