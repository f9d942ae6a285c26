"""CSV out: the one writer behind every CSV tinycrm writes, so one rule keeps spreadsheets
from running a cell as a formula: lists, `show`, reports, `crm remind`, `crm agenda`,
`crm export` (both faces) and the rejects file of `crm import`.

Text cells go through `cells.safe_cell` (a `'` before `=`, `+`, `-`, `@`, tab or CR; a plain
negative number such as `-12.50` stays a number); numbers and empty cells are written as
they are. `raw=True` writes every cell exactly, for programs (`crm export --raw`).
Lines end with `\\n`; a cell holding a line break or a delimiter is quoted, as RFC 4180 says.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any, TextIO

from tinycrm.errors import CrmError
from tinycrm.formats.cells import FORMULA_STARTS, safe_cell
from tinycrm.money import Money, decimals

Cells = Sequence[Any]


class CsvWriter:
    """`csv.writer` with tinycrm's dialect and its spreadsheet rule."""

    def __init__(self, out: TextIO, *, raw: bool = False) -> None:
        self._writer = csv.writer(out, lineterminator="\n")
        self._cells = _as_is if raw else safe_cells

    def writerow(self, cells: Cells) -> None:
        self._writer.writerow(self._cells(cells))

    def writerows(self, rows: Iterable[Cells]) -> None:
        self._writer.writerows(map(self._cells, rows))


def safe_cells(cells: Cells) -> Cells:
    """The row with each text cell made safe for a spreadsheet (`cells.safe_cell`)."""
    return [safe_cell(c) if type(c) is str and c[:1] in _CHECKED else c for c in cells]


_CHECKED = frozenset((*FORMULA_STARTS, "'"))
"""First characters of the text cells `safe_cell` may change (the others it leaves)."""


def _as_is(cells: Cells) -> Cells:
    return cells


# `crm export`: records (dicts) as the importer reads them back -------------------------


class NewColumn(CrmError):
    """A record has a key the header does not: the export cannot stay one table."""

    def __init__(self, keys: list[str]) -> None:
        super().__init__(f"{', '.join(keys)} appeared during the export; export again")


def write_records(
    out: TextIO, rows: Iterable[Mapping[str, Any]], columns: tuple[str, ...], raw: bool
) -> int:
    """A header of `columns`, then one line per record; the number of records written."""
    writer = CsvWriter(out, raw=raw)
    writer.writerow(columns)
    count = 0
    for cells in _record_cells(rows, columns):
        writer.writerow(cells)
        count += 1
    return count


def _record_cells(rows: Iterable[Mapping[str, Any]], columns: tuple[str, ...]) -> Iterator[Cells]:
    known = set(columns)
    for row in rows:
        if not known.issuperset(row):  # cannot happen in a snapshot; never drop a field
            raise NewColumn(sorted(set(row) - known))
        yield [record_cell(key, row.get(key)) for key in columns]


def record_cell(key: str, value: Any) -> str:
    """CSV text of an exported value: tags joined by ';', amounts plain (`12500.00`), times
    ISO 8601 as stored (UTC), and custom values that are not text as JSON."""
    if isinstance(value, str):  # most cells: first, for speed
        return value
    if value is None:
        return ""
    if key == "tags":
        return ";".join(value)
    if isinstance(value, bool | list | dict):
        return json.dumps(value, ensure_ascii=False, default=_json_default)
    if isinstance(value, Money):
        return value.plain()
    if isinstance(value, date):  # a datetime too
        return value.isoformat()
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


def _json_default(value: Any) -> Any:
    """A value inside a custom field that JSON has no type for, as `crm export -f json`
    writes it."""
    if isinstance(value, Money):
        number = value.to_decimal()
        return int(number) if decimals(value.currency) == 0 else float(number)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON")
