"""Rows out as text: CSV, JSON and JSON lines, exactly and fast, for every list, `show`,
report and agenda of both faces; and the one rule each value follows (`machine_value` for
programs: numbers for money, ISO 8601 for times; `text_value` for a cell a person reads).

"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, tzinfo
from decimal import Decimal
from enum import Enum
from functools import cache, partial
from operator import itemgetter
from typing import Any

from tinycrm.money import Money, decimals

Row = Mapping[str, Any]


def machine_value(value: Any) -> Any:
    """The value as JSON wants it: numbers for money, ISO 8601 text for times."""
    if isinstance(value, Money):
        number = value.to_decimal()
        return int(number) if decimals(value.currency) == 0 else float(number)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list):
        return [machine_value(v) for v in value]
    if isinstance(value, dict):
        return {k: machine_value(v) for k, v in value.items()}
    return value


def text_value(value: Any, tz: tzinfo, *, for_csv: bool = False) -> str:
    """The value as one cell of text."""
    kind = type(value)
    if kind is str:
        return str(value)
    if kind is int or kind is float:
        return str(value)
    if value is None:
        return ""
    if kind is bool:  # a table says yes or no; CSV keeps the True/False a program reads
        return str(value) if for_csv else ("yes" if value else "no")
    if isinstance(value, Money):
        return value.plain() if for_csv else f"{value.to_decimal():,}"
    if isinstance(value, datetime):
        if for_csv:
            return value.isoformat()
        return value.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, list):
        return ";".join(text_value(v, tz, for_csv=for_csv) for v in value)
    if isinstance(value, dict):
        if for_csv:
            return json.dumps(machine_value(value), ensure_ascii=False, sort_keys=True)
        return ", ".join(f"{k}={text_value(v, tz)}" for k, v in sorted(value.items()))
    return str(value)


# A report can have tens of thousands of rows. They are turned into columns, and each column
# is converted by functions picked once per type of value in it, through map and zip: no
# chain of isinstance checks per cell, and no work at all on columns of plain text and
# numbers. The text is the same as text_value / machine_value give.

Convert = Callable[[Any], Any]
AS_IS = frozenset({str, int, float, bool, type(None)})
"""Types the csv module writes just as text_value would (None as an empty cell)."""


def csv_text(rows: Sequence[Row], keys: list[str], tz: tzinfo) -> str:
    from tinycrm.formats.write.csv import CsvWriter

    buffer = io.StringIO()
    writer = CsvWriter(buffer)
    writer.writerow(keys)
    writer.writerows(_converted(rows, keys, lambda kind: _csv_convert(kind, tz)))
    return buffer.getvalue()


def _csv_convert(kind: type, tz: tzinfo) -> Convert | None:
    """How a value of this type becomes a CSV cell; None: the csv module writes it as it is."""
    if kind in AS_IS:
        return None
    if kind is Money:
        return _plain
    if issubclass(kind, date):  # datetime too: ISO 8601 as it is stored
        return kind.isoformat
    return partial(text_value, tz=tz, for_csv=True)


def json_text(rows: Sequence[Row], keys: list[str], *, lines: bool) -> str:
    """What json.dumps gives for the rows as dicts: a list indented by 2, or one per line."""
    quote = json.encoder.encode_basestring
    sep, start, end = (", ", "{", "}\n") if lines else (",\n    ", "\n  {\n    ", "\n  }")
    if not keys:
        start, end = ("{", "}\n") if lines else ("\n  {", "}")
    heads = [("" if i == 0 else sep) + quote(k) + ": " for i, k in enumerate(keys)]
    columns = _columns(rows, keys, partial(_json_convert, indent=not lines))
    members = [map(head.__add__, texts) for head, texts in zip(heads, columns, strict=True)]
    inner = map("".join, zip(*members, strict=True)) if keys else [""] * len(rows)
    body = [start + text + end for text in inner]
    if lines:
        return "".join(body)
    return "[" + ",".join(body) + "\n]\n" if body else "[]\n"


def _json_convert(kind: type, *, indent: bool) -> Convert:
    """How a value of this type becomes its JSON text (of machine_value of it)."""
    simple = _JSON_SIMPLE.get(kind)
    if simple is not None:
        return simple
    if kind is Money:
        return _json_number
    if issubclass(kind, date):
        return lambda value: '"' + value.isoformat() + '"'
    return _nested_json if indent else _flat_json


def _nested_json(value: Any) -> str:
    """A list or an object as it stands inside a row inside the list: two levels in."""
    return json.dumps(machine_value(value), ensure_ascii=False, indent=2).replace("\n", "\n    ")


def _flat_json(value: Any) -> str:
    return json.dumps(machine_value(value), ensure_ascii=False)


def _json_float(value: float) -> str:
    return float.__repr__(value) if math.isfinite(value) else json.dumps(value)


_JSON_SIMPLE: dict[type, Convert] = {
    str: json.encoder.encode_basestring,
    int: int.__repr__,
    float: _json_float,
    bool: {True: "true", False: "false"}.__getitem__,
    type(None): lambda _: "null",
}


def _converted(
    rows: Sequence[Row], keys: list[str], convert_for: Callable[[type], Convert | None]
) -> Iterable[Sequence[Any]]:
    """Each row's values under `keys` (None where one is missing), converted."""
    if not keys:
        return [()] * len(rows)
    return zip(*_columns(rows, keys, convert_for), strict=True)


def _columns(
    rows: Sequence[Row], keys: list[str], convert_for: Callable[[type], Convert | None]
) -> list[Sequence[Any]]:
    """The values under each key, column by column, converted as their types call for."""
    columns = list(zip(*map(_picker(keys), rows), strict=True)) or [() for _ in keys]
    return [_column(values, convert_for) for values in columns]


def _column(values: Sequence[Any], convert_for: Callable[[type], Convert | None]) -> Sequence[Any]:
    converts = {kind: convert_for(kind) for kind in set(map(type, values))}
    if len(converts) == 1:
        (convert,) = converts.values()
        return values if convert is None else list(map(convert, values))
    if not any(converts.values()):
        return values
    return [(convert(v) if (convert := converts[type(v)]) else v) for v in values]


def _picker(keys: list[str]) -> Callable[[Row], tuple[Any, ...]]:
    """A function giving a row's values under `keys`, None where a key is missing."""
    if len(keys) < 2:
        return lambda row: tuple(row.get(k) for k in keys)
    get = itemgetter(*keys)

    def pick(row: Row) -> tuple[Any, ...]:
        try:
            values: tuple[Any, ...] = get(row)
        except KeyError:
            return tuple(row.get(k) for k in keys)
        return values

    return pick


@cache
def _scale(currency: str) -> tuple[int, int]:
    """Decimal places of a currency, and ten to that power."""
    places = decimals(currency)
    return places, 10**places


_SHAPES: dict[str, tuple[int, str]] = {}
"""Per currency with decimals: ten to their number, and the pattern of whole and part."""
EXACT = 10**28
"""Amounts (in minor units) below this have every digit in a Decimal of the default context;
larger ones are rounded by it, so they go through Money as before."""


def _plain(money: Money) -> str:
    """`Money.plain()` from integer arithmetic: the same text in about half the time."""
    minor = money.minor
    shape = _SHAPES.get(money.currency)
    if shape is None or type(minor) is not int or not -EXACT < minor < EXACT:
        return _plain_first(money)
    unit, pattern = shape
    if minor < 0:
        return "-" + pattern % divmod(-minor, unit)
    return pattern % divmod(minor, unit)


def _plain_first(money: Money) -> str:
    """`Money.plain()`, noting the shape of its currency for the amounts after it."""
    places = decimals(money.currency)
    if places:
        _SHAPES[money.currency] = 10**places, f"%d.%0{places}d"
    return money.plain()


def _json_number(money: Money) -> str:
    """The JSON text of machine_value(money): an int, or the float nearest the amount (a
    correctly rounded division gives the same float as converting the Decimal)."""
    minor = money.minor
    if type(minor) is not int or not -EXACT < minor < EXACT:
        return json.dumps(machine_value(money))
    places, unit = _scale(money.currency)
    return str(minor) if not places else _json_float(minor / unit)
