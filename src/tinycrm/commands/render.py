"""Printing results: a rich table on a terminal, or CSV, JSON and JSON lines for programs.

Machine formats carry raw values (amounts as numbers, times as ISO 8601 in UTC); tables
show amounts with separators and times in the user's time zone. Colour only on a terminal,
never with NO_COLOR.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import fields
from datetime import date, datetime, tzinfo
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Annotated, Any

import typer

from tinycrm.money import Money, decimals


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    jsonl = "jsonl"


FormatOption = Annotated[
    Format,
    typer.Option("--format", "-f", help="Output format: table, csv, json or jsonl."),
]

Row = Mapping[str, Any]


def as_row(item: Any, **extra: Any) -> dict[str, Any]:
    """A read model (dataclass) as a flat dict, with extra or replaced keys.

    A Money field stays a Money (so each format can print it) and adds a `currency` key."""
    if hasattr(type(item), "__dataclass_fields__"):
        if hasattr(item, "__dict__"):  # its fields, without asking dataclasses each row
            base = dict(item.__dict__)
        else:
            base = {f.name: getattr(item, f.name) for f in fields(item)}
    else:
        base = dict(item)
    money = next((v for v in base.values() if type(v) is Money), None)
    if money is not None:
        base.setdefault("currency", money.currency)
    base.update(extra)
    return base


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


def emit(
    rows: Sequence[Row],
    fmt: Format,
    tz: tzinfo,
    *,
    columns: Sequence[str] | None = None,
    title: str | None = None,
    empty: str = "nothing matched",
) -> None:
    """Print rows; with no rows, say so on stderr (table) and exit with code 1."""
    keys = list(columns or (rows[0].keys() if rows else []))
    if fmt is Format.json:
        out = [{k: machine_value(r.get(k)) for k in keys} for r in rows]
        sys.stdout.write(json.dumps(out, ensure_ascii=False, indent=2) + "\n")
    elif fmt is Format.jsonl:
        for r in rows:
            sys.stdout.write(
                json.dumps({k: machine_value(r.get(k)) for k in keys}, ensure_ascii=False) + "\n"
            )
    elif fmt is Format.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(keys)
        writer.writerows([text_value(r.get(k), tz, for_csv=True) for k in keys] for r in rows)
    elif rows:
        _table(rows, keys, tz, title=title)
    else:
        typer.echo(empty, err=True)
    if not rows:
        raise typer.Exit(1)


def _table(rows: Sequence[Row], keys: list[str], tz: tzinfo, *, title: str | None) -> None:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(
        title=title, title_justify="left", header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False
    )
    for key in keys:
        numeric = any(
            isinstance(r.get(key), Money | int) and not isinstance(r.get(key), bool) for r in rows
        )
        table.add_column(key.replace("_", " "), justify="right" if numeric else "left")
    for r in rows:
        table.add_row(*(Text(text_value(r.get(k), tz)) for k in keys))  # never markup
    console().print(table)


def emit_record(
    fields: Row,
    fmt: Format,
    tz: tzinfo,
    *,
    sections: Mapping[str, tuple[Sequence[Row], Sequence[str]]] | None = None,
) -> None:
    """One record: its fields, then related lists (e.g. deals, timeline) under headings."""
    sections = sections or {}
    if fmt in (Format.json, Format.jsonl):
        doc = {k: machine_value(v) for k, v in fields.items()}
        for name, (rows, cols) in sections.items():
            doc[name] = [{k: machine_value(r.get(k)) for k in cols} for r in rows]
        indent = 2 if fmt is Format.json else None
        sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=indent) + "\n")
        return
    if fmt is Format.csv:
        emit([fields], fmt, tz)
        return
    _fields_table(fields, tz)
    for name, (rows, cols) in sections.items():
        if rows:
            console().print()
            _table(rows, list(cols), tz, title=name.replace("_", " ").capitalize())


def _fields_table(record: Row, tz: tzinfo) -> None:
    from rich.table import Table
    from rich.text import Text

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    for key, value in record.items():
        text = text_value(value, tz)
        if text:
            grid.add_row(key.replace("_", " "), Text(text))
    console().print(grid)


def console() -> Any:
    """A rich console; piped output is not cut to 80 columns, so no row is truncated."""
    from rich.console import Console

    width = None if sys.stdout.isatty() else 400
    return Console(highlight=False, width=width)


def done(message: str) -> None:
    """One line saying what changed, e.g. `contact #4 added: Li Wei`."""
    typer.echo(message)
