"""Tables from CSV (any of four delimiters), TSV and JSON lines, one record at a time.

A row that cannot be shaped (more cells than the header has columns, a JSON line that is
not an object) comes back as a record with a `problem` instead of raising, so the importer
can reject that one row by its line number. Rows are a generator: memory stays flat.
"""

from __future__ import annotations

import csv
import itertools
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from tinycrm.errors import InvalidInput
from tinycrm.formats.read.decode import Replacements, open_text
from tinycrm.words import plural

FORMATS = ("auto", "csv", "tsv", "jsonl", "json")
DELIMITERS = ",;\t|"
SNIFF_LINES = 50
SNIFF_CHARS = 32 * 1024
JSONL_HEADER_LINES = 1000
_NUL = "a cell contains a NUL character"
_JSON_KINDS = {
    list: "array", str: "string", int: "number", float: "number", bool: "boolean",
    type(None): "null",
}  # fmt: skip
_SEP_HINT = re.compile(r"^sep=(.)\s*$", re.IGNORECASE)
"""Excel's `sep=;` first line, which names the delimiter."""


@dataclass(frozen=True)
class Record:
    """One row: where it starts in the file, its cells by header, or why it cannot be used."""

    line: int
    """The 1-based physical line the row starts on (a quoted cell may span several)."""
    values: dict[str, str]
    problem: str | None = None
    typed: dict[str, Any] = field(default_factory=dict)
    """A JSON line's values that are not text (lists, objects, numbers, booleans), as read:
    `values` holds their text, this their shape (a list of tags, a custom field's object)."""


@dataclass
class Table:
    headers: list[str]
    """Unique, trimmed column names. For JSON lines, keys first seen later are appended."""
    encoding: str
    delimiter: str | None
    fmt: str
    """`csv`, `tsv`, `jsonl` or `json` (one array of objects)."""
    rows: Iterator[Record]

    @property
    def is_json(self) -> bool:
        """Cells came as JSON values, never through a spreadsheet's formula guard."""
        return self.fmt in ("jsonl", "json")


def read_table(
    stream: BinaryIO,
    *,
    name: str,
    encoding: str | None = None,
    fmt: str = "auto",
    replaced: Replacements | None = None,
) -> Table:
    """The table in a binary stream; `fmt="auto"` reads JSON lines when it starts with `{`
    and a JSON array of objects (what `crm export --format json` writes) when with `[`.
    With `replaced`, bytes that do not fit the encoding are read as U+FFFD and listed there."""
    if fmt not in FORMATS:
        raise InvalidInput("format", fmt, "unknown format (use csv, tsv, jsonl or json)")
    text = open_text(stream, name=name, encoding=encoding, replaced=replaced)
    head, lines = _peek(text.lines, SNIFF_LINES, SNIFF_CHARS)
    if fmt == "auto":
        fmt = _guess_format(head, name)
    if fmt == "jsonl":
        return _jsonl_table(lines, encoding=text.encoding)
    if fmt == "json":
        return _json_array_table(lines, name=name, encoding=text.encoding)
    return _csv_table(head, lines, name=name, encoding=text.encoding, tsv=fmt == "tsv")


def _peek(
    lines: Iterator[str], count: int, chars: int = sys.maxsize
) -> tuple[list[str], Iterator[str]]:
    """The first lines (at most `count`, about `chars` long) and an iterator over all lines."""
    head: list[str] = []
    size = 0
    for line in lines:
        head.append(line)
        size += len(line)
        if len(head) >= count or size >= chars:
            break
    return head, itertools.chain(head, lines)


def _guess_format(head: list[str], name: str) -> str:
    first = next((line.lstrip()[:1] for line in head if line.strip()), "")
    return {"[": "json", "{": "jsonl"}.get(first, "csv")


# CSV ------------------------------------------------------------------------------------


def _csv_table(
    head: list[str], lines: Iterator[str], *, name: str, encoding: str, tsv: bool
) -> Table:
    delimiter, skip_space, hinted = "\t", False, False
    if not tsv:
        delimiter, skip_space, hinted = sniff_delimiter(head)
    if hinted:
        next(lines)  # the `sep=` line
    reader = csv.reader(lines, delimiter=delimiter, skipinitialspace=skip_space)
    headers = unique_headers(_header_row(reader, name=name, offset=int(hinted)))
    fmt = "tsv" if delimiter == "\t" else "csv"
    return Table(headers, encoding, delimiter, fmt, _records(reader, headers, name, int(hinted)))


def sniff_delimiter(head: list[str]) -> tuple[str, bool, bool]:
    """(delimiter, skip spaces after it, named by a `sep=` line) for the first lines.

    csv.Sniffer proposes; a quote-aware count checks it: the delimiter that splits the
    header into most columns and keeps the most rows that wide wins over a worse guess.
    Spaces after delimiters are skipped when every delimiter in the header has one.
    """
    first = next((line for line in head if line.strip()), "")
    if hint := _SEP_HINT.match(first):
        return hint.group(1), False, True
    best = max(DELIMITERS, key=lambda d: _fit(head, d))
    try:
        sniffed = csv.Sniffer().sniff("".join(head), delimiters=DELIMITERS).delimiter
    except csv.Error:
        sniffed = best
    delimiter = sniffed if _fit(head, sniffed) >= _fit(head, best) else best
    if _fit(head, delimiter) == (0, 0):
        delimiter = ","
    spaced = first.count(delimiter) == first.count(delimiter + " ") > 0
    return delimiter, spaced, False


def _fit(head: list[str], delimiter: str) -> tuple[int, int]:
    """(rows as wide as the header, header width) when read with this delimiter."""
    try:
        rows = [row for row in csv.reader(head, delimiter=delimiter) if any(row)]
    except csv.Error:
        return 0, 0
    width = len(rows[0]) if rows else 0
    if width < 2:
        return 0, 0
    return sum(1 for row in rows[1:] if len(row) == width), width


def _header_row(reader: Any, *, name: str, offset: int) -> list[str]:
    """The first row with a non-blank cell (blank lines before it are skipped)."""
    try:
        for cells in reader:
            if "".join(cells).strip():
                return list(cells)
    except csv.Error as error:
        raise InvalidInput("file", name, f"line {reader.line_num + offset}: {error}") from None
    raise InvalidInput("file", name, "has no header row")


def unique_headers(cells: list[str]) -> list[str]:
    """Trimmed header names, BOM removed; blanks become `column_N`, repeats `Email_2`."""
    seen: set[str] = set()
    headers: list[str] = []
    for position, cell in enumerate(cells, 1):
        base = cell.replace("\ufeff", "").strip() or f"column_{position}"
        header, n = base, 1
        while header.casefold() in seen:
            n += 1
            header = f"{base}_{n}"
        seen.add(header.casefold())
        headers.append(header)
    return headers


def _records(reader: Any, headers: list[str], name: str, offset: int) -> Iterator[Record]:
    """The rows after the header; `offset` counts lines the reader did not see (`sep=`)."""
    width = len(headers)
    start = reader.line_num + offset + 1
    try:
        for cells in reader:
            line, start = start, reader.line_num + offset + 1
            joined = "".join(cells)
            if not joined.strip():
                continue
            if len(cells) != width:
                yield _ragged(line, cells, headers)
            else:
                values = dict(zip(headers, cells, strict=True))
                yield Record(line, values, _NUL if "\x00" in joined else None)
    except csv.Error as error:
        raise InvalidInput("file", name, f"line {start}: {error}") from None


def _ragged(line: int, cells: list[str], headers: list[str]) -> Record:
    """A short row padded with empty cells; a long one is a problem unless the extra
    cells are blank (a trailing delimiter, as in Thunderbird's export)."""
    width = len(headers)
    values = dict(zip(headers, cells + [""] * (width - len(cells)), strict=False))
    extra = [cell for cell in cells[width:] if cell.strip()]
    if extra:
        shown = ", ".join(repr(cell[:40]) for cell in extra[:3])
        problem = (
            f"{plural(len(cells), 'cell')} but the header has {plural(width, 'column')} "
            f"(extra: {shown})"
        )
        return Record(line, values, problem)
    return Record(line, values, _NUL if "\x00" in "".join(cells) else None)


# JSON lines -----------------------------------------------------------------------------


def _jsonl_table(lines: Iterator[str], *, encoding: str) -> Table:
    head, lines = _peek(lines, JSONL_HEADER_LINES)
    headers: list[str] = []
    known: set[str] = set()
    for line in head:
        obj = _loads(line)
        if isinstance(obj, dict):
            _add_keys(obj, headers, known)
    return Table(headers, encoding, None, "jsonl", _jsonl_records(lines, headers, known))


def _loads(line: str) -> object:
    try:
        return json.loads(line)
    except ValueError:
        return None


def _add_keys(obj: dict[str, Any], headers: list[str], known: set[str]) -> None:
    for key in obj:
        if key not in known:
            known.add(key)
            headers.append(key)


def _jsonl_records(lines: Iterator[str], headers: list[str], known: set[str]) -> Iterator[Record]:
    for number, line in enumerate(lines, 1):
        if line.strip():
            yield _json_record(number, line, headers, known)


def _json_record(number: int, line: str, headers: list[str], known: set[str]) -> Record:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as error:
        return Record(number, {}, f"invalid JSON: {error.msg} (column {error.colno})")
    return _object_record(number, obj, headers, known)


def _object_record(number: int, obj: object, headers: list[str], known: set[str]) -> Record:
    if not isinstance(obj, dict):
        kind = _JSON_KINDS.get(type(obj), "value")
        return Record(number, {}, f"a JSON {kind}, not an object")
    _add_keys(obj, headers, known)
    values = {key: _cell(value) for key, value in obj.items()}
    typed = {key: value for key, value in obj.items() if not isinstance(value, str | None)}
    bad = any("\x00" in value for value in values.values())
    return Record(number, values, "a value contains a NUL character" if bad else None, typed)


def _json_array_table(lines: Iterator[str], *, name: str, encoding: str) -> Table:
    """One JSON array of objects, read whole (a JSON array has no lines to stream by); each
    object's number in the array stands for its line in messages."""
    try:
        items = json.loads("".join(lines))
    except json.JSONDecodeError as error:
        reason = f"invalid JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        raise InvalidInput("file", name, reason) from None
    if not isinstance(items, list):
        raise InvalidInput("file", name, "is JSON but not an array of objects")
    headers: list[str] = []
    known: set[str] = set()
    for obj in items:
        if isinstance(obj, dict):
            _add_keys(obj, headers, known)
    rows = (_object_record(n, obj, headers, known) for n, obj in enumerate(items, 1))
    return Table(headers, encoding, None, "json", rows)


def _cell(value: object) -> str:
    """Text as is, null as empty, everything else (numbers, nested values) as JSON text."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False)
