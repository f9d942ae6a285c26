"""Short text forms for narrow places: `12.5k USD`, `3 days ago`."""

from __future__ import annotations

from datetime import datetime, tzinfo

from tinycrm.money import Money, decimals


def short_money(money: Money, *, home: str = "") -> str:
    """`850 USD`, `12.5k USD`, `1.2m EUR`: whole units, at most three significant digits;
    no code for the `home` currency."""
    value = money.to_decimal()
    code = "" if money.currency == home else f" {money.currency}"
    for limit, suffix in ((1_000_000, "m"), (1_000, "k")):
        if abs(value) >= limit:
            scaled = value / limit
            text = f"{scaled:.1f}".rstrip("0").rstrip(".") if scaled < 100 else f"{scaled:.0f}"
            return f"{text}{suffix}{code}"
    return f"{value:.0f}{code}"


def figure(money: Money, *, code: bool = False) -> str:
    """`20,000.00` for a column headed with its currency; `20,000.00 USD` with `code`."""
    return str(money) if code else f"{money.to_decimal():,.{decimals(money.currency)}f}"


def local(moment: datetime | None, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else ""
