"""vCard 3.0 out, for `crm export contacts --format vcf`: escaped, folded at 75 octets.

Fields with no vCard property (owner, status, source) and custom fields are written as
`X-TINYCRM-…` properties, so `read_vcards` gives the same values back.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from tinycrm.normalize import join_name, split_name

EXTRA_FIELDS = ("owner", "status", "source", "company_domain")
"""Contact fields with no vCard property, written as X-TINYCRM-… so they round-trip."""
CUSTOM_PROPERTY = "X-TINYCRM-CUSTOM"
"""A custom field: `X-TINYCRM-CUSTOM:KEY;VALUE`."""
FOLD_OCTETS = 75

_CUSTOM_PROPERTIES = (
    (re.compile(r"email(_\d+)?"), "EMAIL;TYPE=INTERNET"),
    (re.compile(r"phone(_\d+)?"), "TEL"),
    (re.compile(r"fax(_\d+)?"), "TEL;TYPE=FAX"),
    (re.compile(r"url(_\d+)?"), "URL"),
    (re.compile(r"nickname"), "NICKNAME"),
    (re.compile(r"role"), "ROLE"),
)


def write_vcard(values: Mapping[str, object]) -> str:
    """One vCard 3.0 for a contact row (canonical fields, `id`, `custom:KEY` or `custom`),
    escaped and folded at 75 octets, with CRLF line ends. Reads back with `read_vcards`."""
    text = {key: _text(value) for key, value in values.items()}
    lines = ["BEGIN:VCARD", "VERSION:3.0", *_identity(text), *_details(text)]
    lines += [line for key, value in _custom(values) if (line := _custom_line(key, value))]
    lines.append("END:VCARD")
    return "".join(fold(line) + "\r\n" for line in lines)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple | set):
        return ", ".join(str(v) for v in value)
    return str(value).strip()


def _identity(text: dict[str, str]) -> list[str]:
    first, last = text.get("first_name", ""), text.get("last_name", "")
    name = text.get("name") or join_name(first, last) or text.get("email", "")
    if not (first or last):
        first, last = (part or "" for part in split_name(name))
    return [f"FN:{escape(name)}", f"N:{escape(last)};{escape(first)};;;"]


def _details(text: dict[str, str]) -> list[str]:
    lines = []
    for prop, key in (("ORG", "company"), ("TITLE", "title"), ("EMAIL;TYPE=INTERNET", "email"),
                      ("TEL", "phone"), ("NOTE", "notes"), ("BDAY", "birthday")):  # fmt: skip
        if text.get(key):
            lines.append(f"{prop}:{escape(text[key])}")
    if tags := [t.strip() for t in re.split(r"[,;]", text.get("tags", "")) if t.strip()]:
        lines.append("CATEGORIES:" + ",".join(escape(t) for t in tags))
    if uid := text.get("external_id") or text.get("id"):
        lines.append(f"UID:{escape(uid)}")
    for key in EXTRA_FIELDS:
        if text.get(key):
            lines.append(f"X-TINYCRM-{key.upper().replace('_', '-')}:{escape(text[key])}")
    return lines


def _custom(values: Mapping[str, object]) -> list[tuple[str, str]]:
    found = [
        (k.removeprefix("custom:"), _text(v)) for k, v in values.items() if k.startswith("custom:")
    ]
    nested = values.get("custom")
    if isinstance(nested, dict):
        found += [(str(k), _text(v)) for k, v in nested.items()]
    return [(key, value) for key, value in found if key and value]


def _custom_line(key: str, value: str) -> str:
    for pattern, prop in _CUSTOM_PROPERTIES:
        if pattern.fullmatch(key):
            return f"{prop}:{escape(value)}"
    if re.fullmatch(r"address(_\d+)?", key):
        return f"ADR:;;{escape(value)};;;;"
    return f"{CUSTOM_PROPERTY}:{escape(key)};{escape(value)}"


def escape(text: str) -> str:
    """A vCard 3.0 text value: backslash, comma, semicolon and line breaks escaped."""
    text = text.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
    return text.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def fold(line: str, octets: int = FOLD_OCTETS) -> str:
    """A content line cut into lines of at most `octets` UTF-8 bytes (a character is never
    split), each continuation starting with a space."""
    data = line.encode()
    pieces: list[str] = []
    start, width = 0, octets
    while start < len(data):
        end = min(start + width, len(data))
        while end < len(data) and data[end] & 0xC0 == 0x80:
            end -= 1
        pieces.append(data[start:end].decode())
        start, width = end, octets - 1
    return "\r\n ".join(pieces) if pieces else line
