"""Compiles the prepared reads (`db.prepared`) from the queries their services build, and
writes them into `db.prepared_sql`:

    python -m tinycrm.services.plain_reads          # rewrite src/tinycrm/db/prepared_sql.py
    python -m tinycrm.services.plain_reads --check  # exit 1 when it is not what they compile to

Each shape's query is built by the service's own builder with a marker for every value the
caller gives (a status, a limit, an offset), compiled for SQLite, and each bound parameter is
traced back to its marker; what is bound but given by no marker is a constant of the shape.
A result column whose type changes the stored value on reading (a UTC timestamp, a date) is
recorded with its kind, so the plain read converts it as the ORM does."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from enum import Enum
from functools import partial
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Date, Select
from sqlalchemy.dialects import sqlite
from sqlmodel import Session

from tinycrm.db.prepared import list_name
from tinycrm.models import DealStatus
from tinycrm.models.base import UTCDateTime
from tinycrm.services import company_rows, contact_rows, deal_rows
from tinycrm.services.deal_rows import list_kind
from tinycrm.services.report_rows import funnel_shape

TARGET = Path(__file__).resolve().parent.parent / "db" / "prepared_sql.py"
MARKERS: dict[str, Any] = {
    "status": "\x00status",
    "currency": "\x00currency",
    "limit": 7_000_000_001,
    "offset": 7_000_000_002,
    "start": datetime(1901, 2, 3, 4, 5, 6, 7, tzinfo=UTC),
    "end": datetime(1902, 3, 4, 5, 6, 7, 8, tzinfo=UTC),
    "ids": [7_000_000_003],
}
"""A value for each input no query builds in by itself."""


def shapes(session: Session) -> Iterator[tuple[str, Select[Any]]]:
    """(name, query) for every prepared read."""
    from tinycrm.services.companies import company_list_query
    from tinycrm.services.contacts import contact_list_query, tags_query
    from tinycrm.services.deals import deal_list_query
    from tinycrm.services.filters import CompanyFilter, ContactFilter, DealFilter

    for status in (None, cast(DealStatus, MARKERS["status"])):  # `crm deal list`
        query = partial(deal_list_query, session, where=DealFilter(status=status))
        yield from lists(list_kind(status=status is not None), deal_rows.SORT_KEYS, query)
    query = partial(contact_list_query, session, where=ContactFilter())  # no filter
    yield from lists(contact_rows.KIND, contact_rows.SORT_KEYS, query)
    yield "contact_tags", tags_query(MARKERS["ids"])
    query = partial(company_list_query, session, where=CompanyFilter())  # no filter
    yield from lists(company_rows.KIND, company_rows.SORT_KEYS, query)
    yield from funnels()


def lists(
    kind: str, keys: tuple[str, ...], query: Callable[..., Select[Any]]
) -> Iterator[tuple[str, Select[Any]]]:
    """A list's shapes: each sort key either way, with a limit or none (`query` takes the
    sort, the limit and the offset)."""
    for sort in (order + key for key in keys for order in ("", "-")):
        for paged in (False, True):
            name = list_name(kind, sort, keys, paged=paged)
            assert name is not None
            limit = MARKERS["limit"] if paged else None
            yield name, query(sort=sort, limit=limit, offset=MARKERS["offset"])


def funnels() -> Iterator[tuple[str, Select[Any]]]:
    """`crm report funnel` for everyone's deals over a period with or without a start and
    an end, and the stages it lists."""
    from tinycrm.services.periods import ALL_TIME
    from tinycrm.services.reports.aggregates import stages_query
    from tinycrm.services.reports.stage_flow import funnel_query

    for start in (None, MARKERS["start"]):
        for end in (None, MARKERS["end"]):
            period = replace(ALL_TIME, start=start, end=end)
            query = funnel_query(period=period, currency=MARKERS["currency"], owner_id=None)
            yield funnel_shape(period), query
    yield "stages", stages_query()


def compiled(query: Select[Any]) -> tuple[str, tuple[Any, ...], tuple[Any, ...], tuple[str, ...]]:
    """(SQL text, inputs, constants, kinds) of `query` on SQLite (see `db.prepared`)."""
    dialect = sqlite.dialect(paramstyle="named")
    done = query.compile(dialect=dialect)
    by_marker = {value: key for key, value in MARKERS.items() if not isinstance(value, list)}
    inputs, constants = [], []
    for name, value in sorted(done.params.items()):
        if isinstance(value, list) and value == MARKERS["ids"]:
            inputs.append((name, "ids"))  # an IN list, expanded when run (`db.prepared`)
        elif isinstance(value, str | int | datetime) and value in by_marker:
            inputs.append((name, by_marker[value]))
        elif isinstance(value, Enum):  # a StrEnum member: bound as its value
            constants.append((name, value.value))
        elif value is None or isinstance(value, bool | int | str):
            constants.append((name, value))
        else:  # pragma: no cover - a query that binds something else needs a new rule
            raise TypeError(f"parameter {name} binds {value!r}: no rule for it")
    kinds = tuple(_kind(column.type, dialect) for column in query.selected_columns)
    return str(done), tuple(inputs), tuple(constants), kinds


def _kind(type_: Any, dialect: Any) -> str:
    if isinstance(type_, UTCDateTime):
        return "moment"
    if isinstance(type_, Date):
        return "day"
    if type_.dialect_impl(dialect).result_processor(dialect, None) is not None:
        raise TypeError(f"a column of type {type_!r} needs a conversion db.prepared lacks")
    return ""


def render() -> str:
    """The text of `db/prepared_sql.py`."""
    import sqlalchemy

    lines = [
        '"""Generated by `python -m tinycrm.services.plain_reads`; do not edit."""',
        "",
        "from typing import Any",
        "",
        f"SQLALCHEMY = {sqlalchemy.__version__!r}",
        '"""The SQLAlchemy that compiled them (another may word the same SQL otherwise)."""',
        "",
        "STATEMENTS: dict[str, tuple[Any, ...]] = {",
    ]
    with Session() as session:
        for name, query in shapes(session):
            lines.append(f"    {name!r}: {compiled(query)!r},")
    lines += ["}", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="Only say whether it is current.")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = TARGET.read_text(encoding="utf-8") == text
        print(f"{TARGET.name} is {'current' if current else 'stale: run without --check'}")
        return 0 if current else 1
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
