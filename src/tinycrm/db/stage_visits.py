"""Each stage change is also a visit: the deal entered `to_stage_id` at `changed_at`, and the
change after it (by time, then id) says when it left (`left_at`), for which stage
(`left_to_stage_id`) and after how long (`stay_seconds`, whole seconds, each instant
truncated to the second). `prev_entry_at` and `next_entry_at` are the deal's entries into the
same stage before and after this one.

All five follow from the deal's history alone, so one statement derives them: every writer of
history (a move, an import, a migration, a generated benchmark file) runs `mark_visits` for the
deals it touched. With them, stage conversion is an aggregate over an index instead of a
self-join of the whole history (`services.reports.stage_flow`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Connection, cast, column, func, select, table, update
from sqlalchemy.sql import ColumnElement

CHANGES = table(
    "stage_changes",
    column("id"),
    column("deal_id"),
    column("to_stage_id"),
    column("changed_at"),
    column("left_at"),
    column("left_to_stage_id"),
    column("stay_seconds"),
    column("prev_entry_at"),
    column("next_entry_at"),
)
"""The columns this module reads and writes, independent of the model of the day (so the
migration that added them runs the same statement)."""


def seconds_between(dialect: str, start: Any, end: Any) -> Any:
    """Whole seconds from `start` to `end` (each truncated to the second), on either backend."""
    if dialect == "sqlite":
        return cast(func.strftime("%s", end), BigInteger) - cast(
            func.strftime("%s", start), BigInteger
        )
    return func.floor(func.extract("epoch", end)) - func.floor(func.extract("epoch", start))


def mark_visits(conn: Connection, deals: ColumnElement[bool] | None = None) -> None:
    """Derive every visit column of the changes of the deals `deals` selects (a condition on
    `CHANGES.c.deal_id`; all deals when None) from their order in each deal's history."""
    c = CHANGES.c
    in_deal = {"partition_by": c.deal_id, "order_by": [c.changed_at, c.id]}
    in_stage = {"partition_by": [c.deal_id, c.to_stage_id], "order_by": [c.changed_at, c.id]}
    left_at = func.lead(c.changed_at).over(**in_deal)  # type: ignore[arg-type]
    derived = select(
        c.id,
        left_at.label("left_at"),
        func.lead(c.to_stage_id).over(**in_deal).label("left_to"),  # type: ignore[arg-type]
        seconds_between(conn.dialect.name, c.changed_at, left_at).label("stay"),
        func.lag(c.changed_at).over(**in_stage).label("prev"),  # type: ignore[arg-type]
        func.lead(c.changed_at).over(**in_stage).label("next"),  # type: ignore[arg-type]
    )
    if deals is not None:
        derived = derived.where(deals)
    d = derived.subquery("d")
    conn.execute(
        update(CHANGES)
        .where(c.id == d.c.id)
        .values(
            left_at=d.c.left_at,
            left_to_stage_id=d.c.left_to,
            stay_seconds=d.c.stay,
            prev_entry_at=d.c.prev,
            next_entry_at=d.c.next,
        )
    )


def mark_deal(conn: Connection, deal_id: int) -> None:
    """The visits of one deal, after a change to its history."""
    mark_visits(conn, CHANGES.c.deal_id == deal_id)


def mark_since(conn: Connection, after_id: int) -> None:
    """The visits of every deal with a change newer than `after_id` (what a bulk load wrote)."""
    n = CHANGES.alias("n")
    new = select(n.c.deal_id).where(n.c.id > after_id).distinct()
    mark_visits(conn, CHANGES.c.deal_id.in_(new.scalar_subquery()))


def last_change_id(conn: Connection) -> int:
    """The newest change's id (0 for none), to mark what a bulk load adds after it."""
    return int(conn.execute(select(func.coalesce(func.max(CHANGES.c.id), 0))).scalar_one())
