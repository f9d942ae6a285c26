"""How a table fits the terminal: figures whole, text wrapped, then columns hidden.

A figure (a number, an amount, a rate, a date or time, an id) is never cut: its column is at
least as wide as its widest cell. Text columns give way first, down to a few cells each,
wrapping their words (and folding a word too long for them). When even that is too wide, a
column is hidden: empty ones, those the command names as least wanted, then from the right,
never the first column nor `id`. Widths are terminal cells (`rich.cells.cell_len`), so a
Chinese name counts double, as the terminal draws it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from rich.cells import cell_len

from tinycrm.formats.write.rows import Row
from tinycrm.money import Money

TEXT_LEAST = 10
"""Cells a text column keeps however narrow the terminal (its header's longest word if more)."""
WORD_MOST = 20
"""A text column keeps its longest word whole up to this many cells (a stage, a city); a
longer one (an email) is folded."""

_FIGURE = re.compile(r"[-+−]?[\d,.]+%?|—|\d{4}-\d\d-\d\d( \d\d:\d\d)?")
"""Text that reads as a figure: `14,800.00`, `12.5%`, `—` (none), `2026-03-01 14:30`."""
_DAY = re.compile(r"\d{4}-\d\d-\d\d")


@dataclass(frozen=True)
class Col:
    key: str
    rigid: bool
    """A figure column: never narrower than its widest cell."""
    numeric: bool
    """Right-aligned."""
    natural: int
    """Cells it takes with room to spare: its widest cell or header."""
    least: int
    """Cells it needs at the least."""
    empty: bool = False
    """Not a value in it: the first to hide."""


def measure(keys: Sequence[str], rows: Sequence[Row], texts: Sequence[Sequence[str]]) -> list[Col]:
    """Each column's kind and widths, from its values and their text."""
    cols = []
    for i, key in enumerate(keys):
        values = [r.get(key) for r in rows]
        cells = [t[i] for t in texts]
        widest = max((cell_len(line) for c in cells for line in c.splitlines()), default=0)
        head = key.replace("_", " ")
        head_word = max(cell_len(w) for w in head.split())
        word = max((cell_len(w) for c in cells for w in c.split()), default=0)
        rigid = _rigid(key, values, cells)
        numeric = any(_number(v) for v in values) or (
            rigid
            and not any(
                isinstance(v, date) or _DAY.match(c) for v, c in zip(values, cells, strict=True)
            )
        )
        natural = max(widest, cell_len(head))
        if rigid:
            least = max(widest, head_word)
        else:
            least = min(natural, max(TEXT_LEAST, head_word, min(word, WORD_MOST)))
        cols.append(Col(key, rigid, numeric, natural, least, empty=not widest))
    return cols


def _number(value: Any) -> bool:
    return isinstance(value, Money | int | float | Decimal) and not isinstance(value, bool)


def _rigid(key: str, values: Sequence[Any], cells: Sequence[str]) -> bool:
    """Ids, numbers, amounts, dates, and text that reads as one of them (a rate as `12.5%`)."""
    if key == "id" or key.endswith("_id"):
        return True
    found = False
    for value, cell in zip(values, cells, strict=True):
        if value is None or cell == "":
            continue
        if _number(value) or isinstance(value, date):
            found = True
        elif isinstance(value, str) and _FIGURE.fullmatch(value):
            found = found or value != "—"
        else:
            return False
    return found


def overhead(count: int) -> int:
    """Cells a table of `count` columns spends around them (box.SIMPLE_HEAD, no edge padding)."""
    return 3 * count - 1 if count else 0


def fit(
    cols: Sequence[Col], width: int, *, drop: Sequence[str] = ()
) -> tuple[list[Col], dict[str, int]]:
    """The columns shown and the width of each (none when all fit at their natural width)."""
    shown = list(cols)
    while sum(c.least for c in shown) + overhead(len(shown)) > width:
        victim = _least_wanted(shown, drop)
        if victim is None:
            break
        shown.remove(victim)
    room = width - overhead(len(shown))
    if sum(c.natural for c in shown) <= room:
        return shown, {}
    return shown, _widths(shown, room)


def _least_wanted(shown: Sequence[Col], drop: Sequence[str]) -> Col | None:
    by_key = {c.key: c for c in shown}
    for col in reversed(shown[1:]):
        if col.empty:
            return col
    for key in drop:
        if key in by_key and len(shown) > 1:
            return by_key[key]
    for col in reversed(shown[1:]):
        if col.key != "id":
            return col
    return None


def _widths(shown: Sequence[Col], room: int) -> dict[str, int]:
    """Every column at its least, and the room left shared by the text columns (then the
    figures' headers) in proportion to what each lacks of its natural width."""
    widths = {c.key: c.least for c in shown}
    spare = room - sum(widths.values())
    for group in ([c for c in shown if not c.rigid], [c for c in shown if c.rigid]):
        lacking = {c.key: c.natural - c.least for c in group if c.natural > c.least}
        total = sum(lacking.values())
        if spare <= 0 or not total:
            continue
        if total <= spare:
            gives = lacking
        else:
            gives = {k: spare * n // total for k, n in lacking.items()}
            rest = spare - sum(gives.values())
            for k in list(lacking)[:rest]:
                gives[k] += 1
        for k, n in gives.items():
            widths[k] += n
        spare -= sum(gives.values())
    return widths


def hidden_line(keys: Sequence[str], width: int) -> str:
    """The line on stderr that says which columns a table hid."""
    return f"hidden at {width} columns: {', '.join(keys)} — use --columns or a wider terminal"
