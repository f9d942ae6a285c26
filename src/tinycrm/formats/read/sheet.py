"""Tables from one sheet of a workbook (.xlsx, .xlsm, .xlsb, .xls, .ods), read by calamine.

A sheet comes out as the same `Table` of text `Record`s as a CSV file, so mapping, dry
runs, rejects and undo treat both alike. Cells become the text the mappers read:

- a number without a fraction is written without `.0` (`4155550100`, not `4155550100.0`),
  any other as its shortest exact decimal, never in exponent form (`0.0000001`);
- a date is ISO (`2026-12-01`), a date and time `2026-12-01 14:30` (seconds when there are
  some), to the nearest second: a wall-clock time in the user's zone, as in a CSV file;
- a time of day is `14:30`, a duration `25:00` (hours past 24 are kept), a boolean
  `true` or `false`; an empty cell is empty text, and so is an error cell (`#N/A`), as
  calamine reads them.

A number cannot say how it was shown: a zip code `02134` typed into a cell formatted as a
number is the number 2134 in the file, and is read as `2134` (no zeros are guessed back;
cells formatted as text keep them). The header is the first row with a non-empty cell, and
a record's line is its row number in the sheet, as the spreadsheet shows it.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import PurePath
from typing import Any, BinaryIO

from tinycrm.errors import CrmError, InvalidInput
from tinycrm.formats.read.tabular import Record, Table, unique_headers

SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
"""File names that say workbook; the bytes decide which kind."""
_SIGNATURES = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")
"""A ZIP archive (.xlsx, .ods) and an OLE compound file (.xls)."""
_NUL = "a cell contains a NUL character"
_HALF_SECOND = timedelta(milliseconds=500)
_EXACT = 2.0**53
"""Floats below this in size are whole numbers exactly (their `int` adds no digits)."""
_INF = float("inf")


def is_workbook(name: str, head: bytes) -> bool:
    """Whether a file is to be read as a workbook: by its name's suffix, or (standard input,
    a file named otherwise) by its first bytes."""
    if PurePath(name).suffix.casefold() in SUFFIXES:
        return True
    return head.startswith(_SIGNATURES)


def read_sheet(stream: BinaryIO, *, name: str, sheet: str | None = None) -> Table:
    """The sheet named `sheet` (else the first visible worksheet) of the workbook in
    `stream`, as a table of text records."""
    from python_calamine import CalamineError, CalamineWorkbook

    data = stream if stream.seekable() else io.BytesIO(stream.read())
    try:
        book = CalamineWorkbook.from_filelike(data)
        chosen = _pick_sheet(book, name=name, sheet=sheet)
        rows: Iterator[list[Any]] = book.get_sheet_by_name(chosen).iter_rows()
    except (CalamineError, ValueError, OSError) as error:
        kind = _kind(name, data)
        raise InvalidInput("file", name, f"not a readable .{kind} workbook ({error})") from None
    numbered = (
        (n, [c if type(c) is str else cell_text(c) for c in cells])  # most cells are text
        for n, cells in enumerate(rows, 1)
    )
    for _line, cells in numbered:
        if any(cell.strip() for cell in cells):
            first, last = _span(cells)
            headers = unique_headers(cells[first : last + 1])
            records = _records(numbered, headers, first, last)
            return Table(headers, "", None, _kind(name, data), records)
    raise InvalidInput("file", name, f"sheet {chosen!r} has no header row")


def _pick_sheet(book: Any, *, name: str, sheet: str | None) -> str:
    from python_calamine import SheetVisibleEnum

    names: list[str] = list(book.sheet_names)
    if sheet is None:
        visible = [m.name for m in book.sheets_metadata if m.visible == SheetVisibleEnum.Visible]
        if not names:
            raise InvalidInput("file", name, "has no sheets")
        return (visible or names)[0]
    if sheet in names:
        return sheet
    folded = [n for n in names if n.casefold() == sheet.casefold()]
    if len(folded) == 1:
        return folded[0]
    listed = ", ".join(repr(n) for n in names)
    raise CrmError(f"no sheet {sheet!r} in {name}; its sheets: {listed}", field="sheet")


def _span(cells: list[str]) -> tuple[int, int]:
    """The first and last columns with a non-empty header cell."""
    filled = [i for i, cell in enumerate(cells) if cell.strip()]
    return filled[0], filled[-1]


def _records(
    numbered: Iterator[tuple[int, list[str]]], headers: list[str], first: int, last: int
) -> Iterator[Record]:
    width = len(headers)
    for line, cells in numbered:
        inside = cells[first : last + 1]
        if len(inside) < width:
            inside += [""] * (width - len(inside))
        joined = "".join(inside)
        outside = cells[:first] + cells[last + 1 :]
        if outside and "".join(outside).strip():
            yield Record(line, dict(zip(headers, inside, strict=True)), _extra(outside))
        elif joined.strip():
            problem = _NUL if "\x00" in joined else None
            yield Record(line, dict(zip(headers, inside, strict=True)), problem)


def _extra(outside: list[str]) -> str:
    shown = ", ".join(repr(cell[:40]) for cell in [c for c in outside if c.strip()][:3])
    return f"cells outside the header's columns (extra: {shown})"


def _kind(name: str, data: BinaryIO) -> str:
    """`xlsx`, `xls`, `ods`…: the file's suffix when it names a workbook, else the bytes'."""
    suffix = PurePath(name).suffix.casefold()
    if suffix in SUFFIXES:
        return suffix[1:]
    data.seek(0)
    return "xls" if data.read(4) == _SIGNATURES[1][:4] else "xlsx"


def cell_text(value: object) -> str:
    """A cell as the text a CSV file would hold for it (see the module's notes)."""
    convert = _BY_TYPE.get(type(value))
    if convert is not None:
        return convert(value)
    if isinstance(value, str):
        return value
    return "" if value is None else str(value)


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _date(value: date) -> str:
    return value.isoformat()


def _time(value: time) -> str:
    return value.isoformat(timespec="seconds" if value.second else "minutes")


def _number(value: float) -> str:
    if isinstance(value, int):
        return str(value)
    if value.is_integer() and -_EXACT < value < _EXACT:
        return str(int(value))  # -0.0 too, as `0`
    if value != value or value in (_INF, -_INF):  # NaN, infinities
        return ""
    shortest = repr(value)  # the fewest digits that read back as this float
    return shortest if "e" not in shortest else format(Decimal(shortest).normalize(), "f")


def _moment(value: datetime) -> str:
    """To the nearest second: a serial day number rarely lands on a whole one exactly."""
    rounded = (value + _HALF_SECOND).replace(microsecond=0) if value.microsecond else value
    return rounded.isoformat(sep=" ", timespec="seconds" if rounded.second else "minutes")


def _duration(value: timedelta) -> str:
    seconds = round(value.total_seconds())
    sign, seconds = ("-", -seconds) if seconds < 0 else ("", seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{sign}{hours}:{minutes:02d}" + (f":{seconds:02d}" if seconds else "")


_BY_TYPE: dict[type, Callable[[Any], str]] = {
    str: str,
    float: _number,
    int: _number,
    bool: _bool,
    datetime: _moment,
    date: _date,
    time: _time,
    timedelta: _duration,
}
"""What each kind of value calamine gives becomes (exact types: a bool is not an int here)."""
