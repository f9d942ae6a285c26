"""vCard 2.1, 3.0 and 4.0 in, as contact records with canonical field names; vCard 3.0 out.

A hand parser rather than vobject: real client exports (Android and Outlook 2.1 with
quoted-printable soft breaks, iPhone photos, Lotus Notes) break vobject 0.9.9 on 6 of the
18 files in ez-vcard's client collection, and a contact needs only a dozen properties.
It streams: one card at a time, unfolded line by line.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from tinycrm.errors import InvalidInput
from tinycrm.formats.read import aliases
from tinycrm.formats.read.decode import Replaced, Replacements, Text, Undecodable, open_text
from tinycrm.formats.read.tabular import Record
from tinycrm.formats.write.vcard import CUSTOM_PROPERTY, EXTRA_FIELDS, write_vcard
from tinycrm.normalize import join_name

__all__ = ["Card", "Property", "read_vcards", "write_vcard"]

_LINE = re.compile(
    r"^(?:[A-Za-z0-9-]+\.)?(?P<name>[A-Za-z0-9-]+)"  # an optional group (`item1.`), the name
    r'(?P<params>(?:;(?:[^";:]|"[^"]*")*)*)'  # parameters; quoted ones may hold : and ;
    r":(?P<value>.*)$",
    re.DOTALL,
)
_PARAM_SPLIT = re.compile(r';(?=(?:[^"]*"[^"]*")*[^"]*$)')
_ESCAPED = re.compile(r"\\(.)", re.DOTALL)
_BARE_ENCODINGS = {"QUOTED-PRINTABLE", "BASE64", "B", "8BIT", "7BIT"}


@dataclass
class Property:
    name: str
    params: dict[str, list[str]]
    value: str
    """Decoded from quoted-printable, still backslash-escaped."""
    invalid: list[tuple[int, bytes]] = field(default_factory=list)
    """Quoted-printable bytes that are not text in the value's charset (read as U+FFFD):
    where their escape starts in the content line, and the bytes."""

    @property
    def types(self) -> set[str]:
        return {t.lower() for t in self.params.get("TYPE", [])}


def read_vcards(
    stream: BinaryIO,
    *,
    name: str,
    encoding: str | None = None,
    replaced: Replacements | None = None,
) -> Iterator[Record]:
    """One record per card: `line` is its BEGIN:VCARD line; `problem` when it names nobody.
    With `replaced`, bytes that do not fit the encoding are read as U+FFFD and listed there."""
    text = open_text(stream, name=name, encoding=encoding, replaced=replaced)
    placed = _Placed(text)
    return _cards(content_lines(placed), name=name, placed=placed, replaced=replaced)


# Lines ----------------------------------------------------------------------------------


def content_lines(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    """(first physical line, unfolded content line): folds and quoted-printable soft breaks."""
    start, current = 0, None
    for number, raw in enumerate(lines, 1):
        line = raw.rstrip("\r\n")
        if current is not None and current.endswith("=") and _is_quoted_printable(current):
            current += "\n" + line
        elif current is not None and line[:1] in (" ", "\t"):
            current += line[1:]
        else:
            if current is not None:
                yield start, current
            start, current = number, (line if line.strip() else None)
    if current is not None:
        yield start, current


def _is_quoted_printable(line: str) -> bool:
    head = line.split(":", 1)[0].upper()
    return "QUOTED-PRINTABLE" in head


def parse_line(line: str, encoding: str = "utf-8") -> Property | None:
    """A content line as a property (group dropped); None for a line that is not one."""
    match = _LINE.match(line)
    if match is None:
        return None
    params = _params(match.group("params"))
    value, invalid = match.group("value"), list[Where]()
    if "QUOTED-PRINTABLE" in (e.upper() for e in params.get("ENCODING", [])):
        charset = params.get("CHARSET", [encoding])[0]
        value, invalid = _from_quoted_printable(value, charset, encoding)
        invalid = [(match.start("value") + at, bad) for at, bad in invalid]
    return Property(match.group("name").upper(), params, value, invalid)


def _params(text: str) -> dict[str, list[str]]:
    params: dict[str, list[str]] = {}
    for item in _PARAM_SPLIT.split(text)[1:]:
        key, has_value, value = item.partition("=")
        if not has_value:  # vCard 2.1: `TEL;CELL;PREF`, `;QUOTED-PRINTABLE`
            key, value = ("ENCODING" if key.upper() in _BARE_ENCODINGS else "TYPE"), key
        values = [v.strip().strip('"') for v in value.split(",")]
        params.setdefault(key.strip().upper(), []).extend(v for v in values if v)
    return params


Where = tuple[int, bytes]
"""A place in a text, and the bytes found there."""
_QP_TOKEN = re.compile(r"=(?:\n|\Z)|=[0-9A-Fa-f]{2}|.", re.DOTALL)
"""A soft line break (no bytes), an escaped byte, or a character standing for itself."""


def _from_quoted_printable(value: str, charset: str, encoding: str) -> tuple[str, list[Where]]:
    """The text of a quoted-printable value, and where bytes that are not text in `charset`
    are (their escape's place in `value`, the bytes), each read as U+FFFD. Characters
    written as they are stand for their bytes in the file's `encoding`."""
    codec, written = _codec(charset), _codec(encoding)
    raw, origin = bytearray(), []
    for token in _QP_TOKEN.finditer(value):
        text = token.group()
        data = b"" if text in ("=\n", "=") else _token_bytes(text, written)
        raw += data
        origin += [token.start()] * len(data)
    out, invalid, start = [], [], 0
    while True:
        try:
            out.append(bytes(raw[start:]).decode(codec))
            break
        except UnicodeDecodeError as error:
            first, end = start + error.start, start + error.end
            out += [bytes(raw[start:first]).decode(codec), "\ufffd"]
            invalid.append((origin[first], bytes(raw[first:end])))
            start = end
    return "".join(out).replace("\r\n", "\n"), invalid


def _token_bytes(text: str, codec: str) -> bytes:
    if text.startswith("=") and len(text) == 3:
        return bytes([int(text[1:], 16)])
    return text.encode(codec, "surrogateescape")


def _codec(name: str) -> str:
    """A codec for a CHARSET parameter: its own, UTF-8 for an unknown one or a wide one."""
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return "utf-8"
    return "utf-8" if codec.startswith(("utf-16", "utf-32")) else codec


class _Placed:
    """The physical lines of a stream, remembering where the recent ones start (in bytes),
    so that a bad byte inside a quoted-printable value is named by its byte offset too."""

    KEPT = 1000
    """Lines remembered: a property longer than this is named by its line only."""

    def __init__(self, text: Text) -> None:
        self.text = text
        self.starts: dict[int, int] = {}

    def __iter__(self) -> Iterator[str]:
        encoder = codecs.getincrementalencoder(self.text.encoding)("surrogateescape")
        offset = self.text.bom
        for number, line in enumerate(self.text.lines, 1):
            self.starts[number] = offset
            self.starts.pop(number - self.KEPT, None)
            offset += len(encoder.encode(line))
            yield line

    def where(self, number: int, line: str, at: int, bad: bytes) -> Replaced:
        """Bytes whose escape starts at `at` in the content line `line`, which starts on
        physical line `number` (quoted-printable soft breaks are its line breaks)."""
        before = line[:at]
        physical = number + before.count("\n")
        column = before[before.rfind("\n") + 1 :]
        start = self.starts.get(physical)
        if start is None:
            return Replaced(physical, -1, bad)
        return Replaced(physical, start + len(column.encode(self.text.encoding, "replace")), bad)


# Cards ----------------------------------------------------------------------------------


def _cards(
    lines: Iterable[tuple[int, str]],
    *,
    name: str,
    placed: _Placed,
    replaced: Replacements | None,
) -> Iterator[Record]:
    card: Card | None = None
    depth, found = 0, False
    encoding = placed.text.encoding
    for number, line in lines:
        prop = parse_line(line, encoding)
        if prop is None:
            continue
        for at, bad in prop.invalid:  # as decode does for bytes of the file itself
            where = placed.where(number, line, at, bad)
            if replaced is None:
                raise Undecodable(name, _codec(prop.params.get("CHARSET", [encoding])[0]), where)
            replaced.add(where)
        marker = prop.value.strip().upper() == "VCARD"
        if prop.name == "BEGIN" and marker:
            found = True
            if card is None:
                card = Card(number)
            else:
                depth += 1  # a card inside a card (a 2.1 AGENT): skipped
        elif prop.name == "END" and marker and depth:
            depth -= 1
        elif prop.name == "END" and marker and card is not None:
            yield card.record()
            card = None
        elif card is not None and not depth:
            card.add(prop)
    if card is not None:
        yield card.record()
    if not found:
        raise InvalidInput("file", name, "has no vCard in it (no BEGIN:VCARD line)")


@dataclass
class Card:
    """The properties of one card, gathered as contact fields and custom fields."""

    line: int
    values: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)

    def add(self, prop: Property) -> None:
        handler = _HANDLERS.get(prop.name)
        if handler is not None:
            handler(self, prop)
        elif prop.name.startswith("X-TINYCRM-"):
            self._extension(prop)

    def put(self, key: str, value: str) -> None:
        """The first value under `key`, the next ones under `key_2`, `key_3`…"""
        value = value.strip()
        if not value:
            return
        slot, n = key, 1
        while slot in self.values:
            n += 1
            slot = f"{key}_{n}"
        self.values[slot] = value

    def record(self) -> Record:
        values = dict(self.values)
        if self.notes:
            values["notes"] = "\n\n".join(self.notes)
        if self.tags:
            values["tags"] = ", ".join(dict.fromkeys(self.tags))
        if "name" not in values and ("first_name" in values or "last_name" in values):
            values["name"] = join_name(values.get("first_name"), values.get("last_name"))
        named = any(key in values for key in ("name", "email", "phone"))
        problem = None if named else "the card has no name, email or phone"
        return Record(self.line, values, problem)

    def _extension(self, prop: Property) -> None:
        if prop.name == CUSTOM_PROPERTY:
            key, value = (split_value(prop.value, ";") + [""])[:2]
            if key and value:  # `custom:KEY` when KEY would clash with a field
                clash = key in self.values or key in aliases.NOUN_FIELDS["contacts"]
                self.values[f"custom:{key}" if clash else key] = value
            return
        wanted = prop.name.removeprefix("X-TINYCRM-").lower().replace("-", "_")
        if wanted in EXTRA_FIELDS:
            self.put(wanted, unescape(prop.value))


def unescape(text: str) -> str:
    r"""`\n` is a line break; `\,` `\;` `\\` (and any other `\x`) stand for the character."""
    return _ESCAPED.sub(lambda m: "\n" if m.group(1) in "nN" else m.group(1), text)


def split_value(text: str, separator: str) -> list[str]:
    """A structured value split on unescaped separators, each part unescaped."""
    parts: list[str] = []
    current: list[str] = []
    chars = iter(text)
    for ch in chars:
        if ch == "\\":
            current.append(ch + next(chars, ""))
        elif ch == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [unescape(part).strip() for part in parts]


def _fn(card: Card, prop: Property) -> None:
    if "name" not in card.values:
        card.put("name", unescape(prop.value))


def _n(card: Card, prop: Property) -> None:
    if "first_name" in card.values or "last_name" in card.values:
        return  # a second N (another language or ALTID) repeats the first
    parts = split_value(prop.value, ";") + ["", ""]
    card.put("last_name", parts[0].replace(",", " "))
    card.put("first_name", parts[1].replace(",", " "))


def _email(card: Card, prop: Property) -> None:
    value = unescape(prop.value).strip()
    card.put("email", value[7:] if value.lower().startswith("mailto:") else value)


def _tel(card: Card, prop: Property) -> None:
    value = unescape(prop.value).strip()
    if value.lower().startswith("tel:"):
        number, _, extension = value[4:].partition(";ext=")
        value = f"{number} ext. {extension}" if extension else number
    card.put("fax" if "fax" in prop.types else "phone", value)


def _org(card: Card, prop: Property) -> None:
    parts = [p for p in split_value(prop.value, ";") if p]
    if parts:
        card.put("company", parts[0])
        card.put("department", ", ".join(parts[1:]))


def _adr(card: Card, prop: Property) -> None:
    card.put("address", ", ".join(p for p in split_value(prop.value, ";") if p))


def _note(card: Card, prop: Property) -> None:
    if note := unescape(prop.value).strip():
        card.notes.append(note)


def _categories(card: Card, prop: Property) -> None:
    card.tags.extend(tag for tag in split_value(prop.value, ",") if tag)


def _bday(card: Card, prop: Property) -> None:
    if "birthday" not in card.values:
        card.put("birthday", iso_date(unescape(prop.value)))


def iso_date(text: str) -> str:
    """`19800322`, `1980-03-22T00:00:00Z` -> `1980-03-22`; `--0203` -> `--02-03`; else as is."""
    text = text.strip()
    day = text.split("T", 1)[0]
    if re.fullmatch(r"\d{8}", day):
        return f"{day[:4]}-{day[4:6]}-{day[6:]}"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
        return day
    if re.fullmatch(r"--\d{4}", day):
        return f"--{day[2:4]}-{day[4:]}"
    return text


def _simple(key: str) -> Callable[[Card, Property], None]:
    def handler(card: Card, prop: Property) -> None:
        card.put(key, unescape(prop.value))

    return handler


_HANDLERS: dict[str, Callable[[Card, Property], None]] = {
    "FN": _fn,
    "N": _n,
    "EMAIL": _email,
    "TEL": _tel,
    "ORG": _org,
    "ADR": _adr,
    "NOTE": _note,
    "CATEGORIES": _categories,
    "BDAY": _bday,
    "TITLE": _simple("title"),
    "ROLE": _simple("role"),
    "NICKNAME": _simple("nickname"),
    "URL": _simple("url"),
    "UID": _simple("external_id"),
}
