"""Real-world column headers to canonical fields, and records to canonical values.

`map_headers` decides once per file which column feeds which field (`--map SRC=FIELD`
wins); `apply` turns each record into canonical values plus custom fields. Several columns
may feed one field (`Business Phone`, `Mobile Phone`): the first non-empty one wins and
the others become custom fields `phone_2`, `phone_3`…, as do the extra values of a Google
` ::: ` multi-value cell. Unknown columns become custom fields named by their header.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from tinycrm.errors import InvalidInput
from tinycrm.formats.read import aliases
from tinycrm.formats.read.tabular import Record
from tinycrm.normalize import bad_character

CUSTOM_PREFIX = "custom:"
IGNORE = "-"
MULTI_VALUE = " ::: "
_GOOGLE_SYSTEM_LABELS = {"* mycontacts", "* my contacts"}
_NOUNS = {"contact": "contacts", "company": "companies", "deal": "deals", "activity": "activities"}
_REFERENCE_NAMES = ("name", "title", "fullname")
_SPECIAL = frozenset({"tags", "birthday"})
_ROLE_NEEDS = {"birth_day": "birth_month", "birth_year": "birth_month", "birth_month": "birth_day"}


@dataclass(frozen=True)
class HeaderMap:
    noun: str
    fields: dict[str, str]
    """Header -> canonical field, in header order (several headers may feed one field)."""
    custom: list[str]
    """Headers kept as custom fields; `custom_keys` says under which key."""
    ignored: list[str]
    custom_keys: dict[str, str] = field(default_factory=dict)
    """Header -> custom field key: the header text, or KEY for `custom:KEY` columns."""
    roles: dict[str, str] = field(default_factory=dict)
    """Header -> its part of a field built from several columns (`birth_year`, `is_won`)."""
    direct: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    """`fields` less the headers that are part of a field: what `apply` copies as is."""

    def __post_init__(self) -> None:
        direct = {h: f for h, f in self.fields.items() if h not in self.roles}
        object.__setattr__(self, "direct", direct)


@dataclass(frozen=True)
class MappedRow:
    line: int
    values: dict[str, str]
    """Canonical field -> trimmed, non-empty text."""
    custom: dict[str, Any]
    """Custom field -> text, or a JSON line's value as it was (a number, a list, an object)."""
    problem: str | None = None


def header_key(text: str) -> str:
    """The matching form of a header: NFKC, casefolded, letters and digits only."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


def noun_fields(noun: str) -> tuple[str, ...]:
    return aliases.NOUN_FIELDS[_noun(noun)]


def parse_overrides(items: Iterable[str]) -> dict[str, str]:
    """`--map` options (`SRC=FIELD`) as a dict; the last `=` separates them."""
    overrides: dict[str, str] = {}
    for item in items:
        source, equals, target = item.rpartition("=")
        if not equals or not source.strip() or not target.strip():
            raise InvalidInput("--map", item, "expected SRC=FIELD")
        overrides[source.strip()] = target.strip()
    return overrides


def map_headers(
    headers: list[str], *, noun: str, overrides: dict[str, str] | None = None
) -> HeaderMap:
    """Which field each header feeds, for a file of `noun` (contacts, companies, …)."""
    noun = _noun(noun)
    forced = _resolve_overrides(headers, overrides or {}, noun)
    fields: dict[str, str] = {}
    roles: dict[str, str] = {}
    keys: dict[str, str] = {}
    ignored: list[str] = []
    for header in headers:
        target = forced[header] if header in forced else _guess(header, noun)
        if target == IGNORE:
            ignored.append(header)
        elif target.startswith(CUSTOM_PREFIX):
            keys[header] = target[len(CUSTOM_PREFIX) :]
        else:
            fields[header], role = _split_role(target)
            if role:
                roles[header] = role
    _drop_lone_roles(roles)
    _demote_weak(fields, keys, noun, set(forced))
    custom = [h for h in headers if h in keys]
    return HeaderMap(noun, fields, custom, ignored, keys, roles)


def identity_map(noun: str) -> HeaderMap:
    """The map for records whose keys are already canonical (vCards, tinycrm's own export):
    every field feeds itself and any other key is a custom field."""
    return map_headers(list(noun_fields(noun)), noun=noun)


def _noun(noun: str) -> str:
    found = _NOUNS.get(noun, noun)
    if found not in aliases.NOUN_FIELDS:
        raise InvalidInput("noun", noun, "unknown (contacts, companies, deals or activities)")
    return found


def _split_role(target: str) -> tuple[str, str | None]:
    name, _, role = target.partition("/")
    return name, role or None


def _guess(header: str, noun: str) -> str:
    """`field`, `field/role`, `custom:KEY` or `-` for one header."""
    if header.startswith(CUSTOM_PREFIX) and header[len(CUSTOM_PREFIX) :].strip():
        return header
    key = header_key(header)
    if key in _keys(noun, "KEEP_CUSTOM"):
        return CUSTOM_PREFIX + header
    if key in _keys(noun, "IGNORED"):
        return IGNORE
    found = _lookup(key, noun) or _lookup(re.sub(r"\d+", "", key), noun)
    return found or CUSTOM_PREFIX + header


def _lookup(key: str, noun: str) -> str | None:
    if not key:
        return None
    table = _table(noun)
    if key in table:
        return table[key]
    for prefix, entity in _prefixes():
        rest = key.removeprefix(prefix)
        if rest == key or not rest:
            continue
        if entity == noun and rest in table:
            return table[rest]
        reference = aliases.REFERENCES[noun].get(entity)
        if reference and rest in _REFERENCE_NAMES:
            return reference
    return None


@cache
def _table(noun: str) -> dict[str, str]:
    """Matching key -> `field` or `field/role`, for one noun."""
    table = {header_key(f): f for f in aliases.NOUN_FIELDS[noun]}
    for name, spellings in aliases.ALIASES[noun].items():
        table.update({header_key(s): name for s in spellings.split("|")})
    for spelling, (name, role) in aliases.ROLES.get(noun, {}).items():
        table[header_key(spelling)] = f"{name}/{role}"
    return table


@cache
def _prefixes() -> list[tuple[str, str]]:
    """(prefix key, entity), longest first so `organisation` is tried before `org`."""
    found = [
        (header_key(p), entity)
        for entity, spellings in aliases.PREFIXES.items()
        for p in spellings.split("|")
    ]
    return sorted(found, key=lambda item: -len(item[0]))


@cache
def _keys(noun: str, table: str) -> frozenset[str]:
    spellings: str = getattr(aliases, table).get(noun, "")
    return frozenset(header_key(s) for s in spellings.split("|") if s)


def _drop_lone_roles(roles: dict[str, str]) -> None:
    """A part whose partner column is missing feeds its field alone: `Birthday` is a date
    unless a `Birth Month` column says it is Thunderbird's day of the month."""
    present = set(roles.values())
    for header, role in list(roles.items()):
        if _ROLE_NEEDS.get(role, role) not in present:
            del roles[header]


def _demote_weak(fields: dict[str, str], keys: dict[str, str], noun: str, forced: set[str]) -> None:
    """A weak spelling (`Title`) becomes a custom field when a strong one feeds its field."""
    weak = {header_key(s) for s in aliases.WEAK.get(noun, set())}
    for header, name in list(fields.items()):
        if header in forced or header_key(header) not in weak:
            continue
        if any(other != header and fields[other] == name for other in fields):
            del fields[header]
            keys[header] = header


def _resolve_overrides(headers: list[str], overrides: dict[str, str], noun: str) -> dict[str, str]:
    """`--map` targets by header; an unknown column or field is an error naming it."""
    resolved: dict[str, str] = {}
    for source, target in overrides.items():
        resolved[_find_header(headers, source)] = _check_target(target, noun)
    return resolved


def _find_header(headers: list[str], source: str) -> str:
    if source in headers:
        return source
    matches = [h for h in headers if header_key(h) == header_key(source)]
    if len(matches) != 1:
        shown = ", ".join(headers[:30]) + (" …" if len(headers) > 30 else "")
        raise InvalidInput("--map", source, f"no such column (the columns are: {shown})")
    return matches[0]


def _check_target(target: str, noun: str) -> str:
    if target == IGNORE:
        return IGNORE
    if target.startswith(CUSTOM_PREFIX):
        if not target[len(CUSTOM_PREFIX) :].strip():
            raise InvalidInput("--map", target, "custom: needs a key (custom:KEY)")
        return CUSTOM_PREFIX + target[len(CUSTOM_PREFIX) :].strip()
    by_key = {header_key(f): f for f in aliases.NOUN_FIELDS[noun]}
    if header_key(target) in by_key:
        return by_key[header_key(target)]
    valid = ", ".join(aliases.NOUN_FIELDS[noun])
    raise InvalidInput("--map", target, f"unknown {noun} field (use {valid}, custom:KEY or -)")


# Rows -----------------------------------------------------------------------------------


def apply(header_map: HeaderMap, record: Record) -> MappedRow:
    """A record's canonical values and custom fields; empty cells are dropped."""
    values: dict[str, str] = {}
    custom: dict[str, Any] = {}
    extras: dict[str, list[str]] = {}
    fields, typed = header_map.direct, record.typed
    for header, cell in record.values.items():
        target = fields.get(header)
        if typed and header in typed:
            _typed(header_map, header, target, typed[header], (values, extras, custom))
            continue
        text = cell.strip()
        if not text:
            continue
        if target is None:
            _other(header_map, header, text, custom)
        else:
            _field(values, extras, target, text)
    if header_map.roles:
        _combine(values, {r: record.values.get(h, "").strip() for h, r in header_map.roles.items()})
    if extras:
        _add_extras(custom, extras)
    return MappedRow(record.line, values, custom, record.problem or _bad_text(values, custom))


def _field(values: dict[str, str], extras: dict[str, list[str]], target: str, text: str) -> None:
    if target in values or target in _SPECIAL or MULTI_VALUE in text:
        _take(values, extras, target, text)
    else:
        values[target] = text


def _typed(
    header_map: HeaderMap,
    header: str,
    target: str | None,
    value: Any,
    into: tuple[dict[str, str], dict[str, list[str]], dict[str, Any]],
) -> None:
    """A JSON line's value that is not text. A list feeds its field item by item (every
    tag; a second email becomes `email_2`, as a second column would); a custom field keeps
    the value as it is, so an exported object or number comes back the same."""
    values, extras, custom = into
    if target is None:
        _other(header_map, header, value, custom)
        return
    for item in value if isinstance(value, list) else [value]:
        if item is not None and (text := _json_text(item).strip()):
            _field(values, extras, target, text)


def _json_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _bad_text(values: dict[str, str], custom: dict[str, Any]) -> str | None:
    """Why the row cannot be stored as it is (`notes: holds a NUL character…`), or None:
    the rule of `normalize.bad_character`, for every field and custom field kept."""
    kept = [_json_text(v) for v in custom.values()]
    if "".join((*values.values(), *kept, *custom)).isprintable():
        return None
    for key, text in (*values.items(), *zip(custom, kept, strict=True)):
        if reason := bad_character(key):
            return f"column {key!r}: {reason}"
        if reason := bad_character(text):
            return f"{key}: {reason}"
    return None


def _other(header_map: HeaderMap, header: str, text: Any, custom: dict[str, Any]) -> None:
    """A cell of a custom, ignored or part-of-a-field column (the last read by `_combine`).
    A column the map has not seen (a JSON key that came late) is a custom field too."""
    if header in header_map.roles or header in header_map.ignored:
        return
    key = header_map.custom_keys.get(header)
    custom[key if key is not None else header.removeprefix(CUSTOM_PREFIX) or header] = text


def _take(values: dict[str, str], extras: dict[str, list[str]], name: str, text: str) -> None:
    if name == "tags":
        tags = _tags(text)
        if tags:
            values["tags"] = ", ".join(filter(None, (values.get("tags"), tags)))
        return
    if name == "birthday" and not re.search(r"[1-9]", text):
        return  # Outlook writes 0/0/00 for no birthday
    first, *rest = [v.strip() for v in text.split(MULTI_VALUE) if v.strip()] or [text]
    if name in values:
        rest.insert(0, first)
    else:
        values[name] = first
    extras.setdefault(name, []).extend(rest)


def _tags(text: str) -> str:
    """Google labels without its system group (`* myContacts`) and star marks."""
    labels = [t.strip() for t in text.split(MULTI_VALUE)]
    kept = [t.removeprefix("* ") for t in labels if t and t.casefold() not in _GOOGLE_SYSTEM_LABELS]
    return ", ".join(kept)


def _add_extras(custom: dict[str, str], extras: dict[str, list[str]]) -> None:
    for name, values in extras.items():
        n = 1
        for value in values:
            n += 1
            while f"{name}_{n}" in custom:
                n += 1
            custom[f"{name}_{n}"] = value


def _combine(values: dict[str, str], parts: dict[str, str]) -> None:
    """Fields built from several columns, unless a column gave the field itself."""
    if "status" not in values and ("is_won" in parts or "is_closed" in parts):
        won, closed = (_truthy(parts.get(k, "")) for k in ("is_won", "is_closed"))
        values["status"] = "won" if won else "lost" if closed else "open"
    if "birthday" not in values and (day := _birthday(parts)):
        values["birthday"] = day
    if "due_at" not in values and "due_date" in parts:
        values["due_at"] = f"{parts['due_date']} {parts.get('due_time', '')}".strip()


def _truthy(text: str) -> bool:
    return text.strip().casefold() in ("true", "1", "yes", "y", "t", "是")


def _birthday(parts: dict[str, str]) -> str | None:
    """`1980-03-22` (or `--03-22` with no year) from Thunderbird's three columns."""
    try:
        month, day = int(parts["birth_month"]), int(parts["birth_day"])
        year = int(parts["birth_year"]) if parts.get("birth_year") else None
    except (KeyError, ValueError):
        return None
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}" if year else f"--{month:02d}-{day:02d}"
