"""Reads compiled ahead of time: the SQL a service's query compiles to on SQLite, kept in
`db.prepared_sql` (written by `python -m tinycrm.services.plain_reads`, checked by a test
against what the queries compile to now), run over the standard library's sqlite3.

The query is still defined once, in its service, with SQLAlchemy; a command whose options fit
a prepared shape (`crm deal list` with a status, a sort, a limit) runs the compiled text at
start-up without importing SQLAlchemy, SQLModel or the model classes, which cost about five
times `crm --version` before the first query."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from tinycrm.db.plain_sql import Sql


@dataclass(frozen=True)
class Statement:
    text: str
    """The SQL, with `:name` parameters."""
    inputs: tuple[tuple[str, str], ...]
    """(parameter, the caller's input it takes) for every value the caller gives."""
    constants: tuple[tuple[str, Any], ...]
    """(parameter, value) for values the query builds in (an outer OFFSET 0)."""
    kinds: tuple[str, ...]
    """Per result column: "moment" (a UTC timestamp), "day" (a date), "" (as stored)."""


CONVERTERS: dict[str, Callable[[Any], Any]] = {"moment": Sql.moment, "day": Sql.day}
"""How a column of each kind comes back from the ORM, for the same column read plainly."""


@cache
def statements() -> dict[str, Statement]:
    """Every prepared statement by name, read from `db.prepared_sql` when first asked for
    (so that writing it again never needs it to load)."""
    from tinycrm.db.prepared_sql import STATEMENTS as COMPILED

    return {name: Statement(*parts) for name, parts in COMPILED.items()}


def find(name: str | None) -> Statement | None:
    """The prepared statement of that name, if there is one."""
    return statements().get(name) if name else None


def rows(sql: Sql, statement: Statement, inputs: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    """The statement's rows for `inputs`, each column as the ORM reads it. A list input
    fills an IN (…) with one parameter per item, as SQLAlchemy's expanding parameter does
    when it runs (it must not be empty: SQLAlchemy writes an empty IN another way)."""
    params = dict(statement.constants)
    text = statement.text
    for name, key in statement.inputs:
        value = inputs[key]
        if not isinstance(value, list):
            params[name] = value
            continue
        if not value:
            raise ValueError(f"{key}: an empty list")
        names = [f"{name}_{i}" for i in range(len(value))]
        text = text.replace(f"__[POSTCOMPILE_{name}]", ", ".join(f":{n}" for n in names))
        params.update(zip(names, value, strict=True))
    convert = [(i, CONVERTERS[kind]) for i, kind in enumerate(statement.kinds) if kind]
    found = sql.rows(text, **params)
    if not convert:
        return found
    out = []
    for row in found:
        values = list(row)
        for i, to in convert:
            values[i] = to(values[i])
        out.append(tuple(values))
    return out


def list_name(kind: str, sort: str, keys: tuple[str, ...], *, paged: bool) -> str | None:
    """The prepared list of `kind` (`contact_list`…) for a `--sort` of one key of `keys`
    (read as `db.query.order_by` reads it) with a limit or none: `KIND/KEY/asc|desc/page|all`;
    None for several keys or an unknown one."""
    parts = [p.strip() for p in sort.split(",") if p.strip()]
    if len(parts) != 1 or parts[0].lstrip("+-") not in keys:
        return None
    order = "desc" if parts[0].startswith("-") else "asc"
    return f"{kind}/{parts[0].lstrip('+-')}/{order}/{'page' if paged else 'all'}"


def list_statement(
    kind: str, sort: str, keys: tuple[str, ...], limit: int | None, offset: int
) -> Statement | None:
    """The prepared list for these options, if there is one; none for a negative limit or
    offset (the ORM's path says what is wrong with it)."""
    if (limit is not None and limit < 0) or offset < 0:
        return None
    return find(list_name(kind, sort, keys, paged=limit is not None))
