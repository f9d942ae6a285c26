"""Record streams for `crm export`: CSV, JSON lines, one JSON array, or vCards, written a
row at a time so a million records never sit in memory. Each writer takes the output, the
rows (dicts keyed by column), the columns, and `raw` (CSV only: every cell exactly, no
spreadsheet guard) and returns how many records it wrote."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import TextIO

from tinycrm.formats.write.csv import write_records
from tinycrm.formats.write.rows import Row, machine_value
from tinycrm.formats.write.vcard import write_vcard


def write_jsonl(out: TextIO, rows: Iterable[Row], columns: tuple[str, ...], raw: bool) -> int:
    count = 0
    for row in rows:
        out.write(_json(row) + "\n")
        count += 1
    return count


def write_json(out: TextIO, rows: Iterable[Row], columns: tuple[str, ...], raw: bool) -> int:
    """One JSON array, written a row at a time (one object per line)."""
    count = 0
    out.write("[")
    for row in rows:
        out.write((",\n  " if count else "\n  ") + _json(row))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


def _json(row: Row) -> str:
    return json.dumps({k: machine_value(v) for k, v in row.items()}, ensure_ascii=False)


def write_vcf(out: TextIO, rows: Iterable[Row], columns: tuple[str, ...], raw: bool) -> int:
    count = 0
    for row in rows:
        out.write(write_vcard(row))
        count += 1
    return count


WRITERS: dict[str, Callable[[TextIO, Iterable[Row], tuple[str, ...], bool], int]] = {
    "csv": write_records,
    "jsonl": write_jsonl,
    "json": write_json,
    "vcf": write_vcf,
}
