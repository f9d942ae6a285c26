"""vCard 2.1, 3.0 and 4.0 in, as contact records with canonical field names; vCard 3.0 out.

A hand parser rather than vobject: real client exports (Android and Outlook 2.1 with
quoted-printable soft breaks, iPhone photos, Lotus Notes) break vobject 0.9.9 on 6 of the
18 files in ez-vcard's client collection, and a contact needs only a dozen properties.
It streams: one card at a time, unfolded line by line.
"""

from __future__ import annotations

import codecs
import quopri
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from tinycrm.errors import InvalidInput
from tinycrm.formats import aliases
from tinycrm.formats.decode import Replacements, open_text
from tinycrm.formats.tabular import Record
from tinycrm.formats.vcard_write import CUSTOM_PROPERTY, EXTRA_FIELDS, write_vcard
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
    return _cards(content_lines(text.lines), name=name, encoding=text.encoding)


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
    value = match.group("value")
    if "QUOTED-PRINTABLE" in (e.upper() for e in params.get("ENCODING", [])):
        value = _from_quoted_printable(value, params.get("CHARSET", [encoding])[0])
    return Property(match.group("name").upper(), params, value)


def _params(text: str) -> dict[str, list[str]]:
    params: dict[str, list[str]] = {}
    for item in _PARAM_SPLIT.split(text)[1:]:
        key, has_value, value = item.partition("=")
        if not has_value:  # vCard 2.1: `TEL;CELL;PREF`, `;QUOTED-PRINTABLE`
            key, value = ("ENCODING" if key.upper() in _BARE_ENCODINGS else "TYPE"), key
        values = [v.strip().strip('"') for v in value.split(",")]
        params.setdefault(key.strip().upper(), []).extend(v for v in values if v)
    return params


def _from_quoted_printable(value: str, charset: str) -> str:
    try:
        codec = codecs.lookup(charset).name
    except LookupError:
        codec = "utf-8"
    if codec.startswith(("utf-16", "utf-32")):
        codec = "utf-8"
    raw = quopri.decodestring(value.encode(codec, "replace"))
    return raw.decode(codec, "replace").replace("\r\n", "\n")


# Cards ----------------------------------------------------------------------------------


def _cards(lines: Iterable[tuple[int, str]], *, name: str, encoding: str) -> Iterator[Record]:
    card: Card | None = None
    depth, found = 0, False
    for number, line in lines:
        prop = parse_line(line, encoding)
        if prop is None:
            continue
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
