"""Printing results: a rich table on a terminal, or CSV, JSON and JSON lines for programs.

Machine formats carry raw values (amounts as numbers, times as ISO 8601 in UTC); tables
show amounts with separators and times in the user's time zone. Colour only on a terminal,
never with NO_COLOR.
"""

from __future__ import annotations

import gc
import json
import os
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import fields
from datetime import tzinfo
from typing import Annotated, Any

import typer

from tinycrm.commands.outputs import Format as Format
from tinycrm.commands.outputs import FormatOption as FormatOption
from tinycrm.formats.write.rows import Row, csv_text, json_text, machine_value, text_value
from tinycrm.money import Money


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
    if "currency" not in base:
        for value in base.values():
            if type(value) is Money:
                base["currency"] = value.currency
                break
    base.update(extra)
    return base


@contextmanager
def many_rows() -> Iterator[None]:
    """No cyclic garbage collection while a long report is made and printed.

    Its rows (dicts, read models, Money) hold no reference cycles, yet making tens of
    thousands of them sets off full collections that walk every object the imports of the
    database layer made: on 58,000 receivables rows about a sixth of the command's time."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def emit(
    rows: Sequence[Row],
    fmt: Format,
    tz: tzinfo,
    *,
    columns: Sequence[str] | None = None,
    title: str | None = None,
    empty: str = "nothing matched",
    drop: Sequence[str] = (),
    one_currency: bool = False,
) -> None:
    """Print rows; with no rows, say so on stderr (table) and exit with code 1.

    `--columns` (see `ColumnsOption`) picks the columns in every format. A table fits the
    terminal (`fit.py`): `drop` names the columns to hide first when it is too narrow, and
    with `one_currency` a report's `other_currency` and `currency` columns go when every
    row is in one currency (the title then says which)."""
    keys = list(columns or (rows[0].keys() if rows else []))
    picked = chosen_columns(keys, rows)
    if picked is not None:
        keys = picked
    elif fmt is Format.table and one_currency and rows:
        keys, title = _one_currency(rows, keys, title)
    if fmt is Format.csv:
        sys.stdout.write(csv_text(rows, keys, tz))
    elif fmt in (Format.json, Format.jsonl):
        sys.stdout.write(json_text(rows, list(dict.fromkeys(keys)), lines=fmt is Format.jsonl))
    elif rows:
        _table(rows, keys, tz, title=title, drop=drop)
    else:
        typer.echo(empty, err=True)
    if not rows:
        raise typer.Exit(1)


ColumnsOption = Annotated[
    str | None,
    typer.Option(
        "--columns",
        metavar="A,B,C",
        help="Only these columns, in this order (names as in the header or the CSV), in "
        "every format. A table too wide for the terminal hides its last columns and says which.",
    ),
]
"""`--columns`, which `App.command` gives every list and report (see `tinycrm.commands.base`)."""

_CHOSEN: ContextVar[str | None] = ContextVar("chosen_columns", default=None)


@contextmanager
def choosing(text: str | None) -> Iterator[None]:
    """The `--columns` of the command running inside the block."""
    token = _CHOSEN.set(text)
    try:
        yield
    finally:
        _CHOSEN.reset(token)


def chosen_columns(keys: Sequence[str], rows: Sequence[Row]) -> list[str] | None:
    """The columns `--columns` names, checked against what the rows hold; None when not given."""
    text = _CHOSEN.get()
    if text is None:
        return None
    from tinycrm.errors import InvalidInput

    known = list(dict.fromkeys([*keys, *(rows[0].keys() if rows else [])]))
    wanted = [re.sub(r"[\s-]+", "_", name.strip()) for name in text.split(",") if name.strip()]
    if not wanted:
        raise InvalidInput("--columns", text, f"name at least one column ({', '.join(keys)})")
    for name in wanted:
        if name not in known:
            raise InvalidInput("--columns", name, f"no such column (choose from {', '.join(keys)})")
    return list(dict.fromkeys(wanted))


def _one_currency(
    rows: Sequence[Row], keys: list[str], title: str | None
) -> tuple[list[str], str | None]:
    """Without `other_currency`/`currency` when every row is in the one currency."""
    others = any(r.get("other_currency") for r in rows)
    codes = {r.get("currency") for r in rows} - {None}
    if others or len(codes) > 1 or "currency" not in keys:
        return keys, title
    kept = [k for k in keys if k not in ("other_currency", "currency")]
    if codes:
        title = f"{title} — amounts in {codes.pop()}" if title else None
    return kept, title


def _table(
    rows: Sequence[Row],
    keys: list[str],
    tz: tzinfo,
    *,
    title: str | None,
    drop: Sequence[str] = (),
) -> None:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from tinycrm.commands.fit import fit, hidden_line, measure

    out = console()
    texts = [[text_value(r.get(k), tz) for k in keys] for r in rows]
    cols = measure(keys, rows, texts)
    shown, widths = fit(cols, out.width, drop=drop)
    table = Table(
        title=title, title_justify="left", header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False
    )
    for col in shown:
        table.add_column(
            col.key.replace("_", " "),
            justify="right" if col.numeric else "left",
            width=widths.get(col.key),
            overflow="ellipsis" if col.rigid else "fold",
        )
    where = [cols.index(c) for c in shown]
    for cells in texts:
        table.add_row(*(Text(cells[i]) for i in where))  # never markup
    out.print(table)
    if len(shown) < len(cols):
        typer.echo(hidden_line([c.key for c in cols if c not in shown], out.width), err=True)


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
    """A rich console as wide as COLUMNS says, else the terminal; piped output (no terminal,
    no COLUMNS) is not cut to 80 columns, so no row is truncated."""
    from rich.console import Console

    given = os.environ.get("COLUMNS", "").strip()
    if given.isdigit() and int(given) > 0:
        width: int | None = int(given)
    else:
        width = None if sys.stdout.isatty() else 400
    return Console(highlight=False, width=width)


def done(message: str) -> None:
    """One line saying what changed, e.g. `contact #4 added: Li Wei`."""
    typer.echo(message)
