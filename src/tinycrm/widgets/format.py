"""Short text forms for narrow places: `12.5k USD`, `3 days ago`; text cut to a width in
terminal cells (a Chinese character takes two)."""

from __future__ import annotations

from datetime import datetime, tzinfo

from rich.cells import cell_len, set_cell_size

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


def clip(text: str, width: int) -> str:
    """`text` in at most `width` terminal cells, ending in `…` when cut."""
    if cell_len(text) <= width:
        return text
    if width < 1:
        return ""
    return set_cell_size(text, width - 1).rstrip() + "…"


def pad(text: str, width: int, *, right: bool = False) -> str:
    """`text` filling exactly `width` cells: cut, or padded with spaces (on the left when
    `right`-aligned)."""
    if right and cell_len(text) < width:
        return " " * (width - cell_len(text)) + text
    return set_cell_size(text, width)
