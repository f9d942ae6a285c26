"""Each stage change is also a visit: the deal entered `to_stage_id` at `changed_at`, and the
change after it (by time, then id) says when it left (`left_at`), for which stage
(`left_to_stage_id`) and after how long (`stay_seconds`, whole seconds, each instant
truncated to the second). `prev_entry_at` and `next_entry_at` are the deal's entries into the
same stage before and after this one.

All five follow from the deal's history alone, and `visits` alone derives them: a move marks
its deal's changes (`mark_deal`), an import gives its new deals' changes theirs as it writes
them, and a migration or a generated benchmark file marks every deal (`mark_visits`). With
them, stage conversion is an aggregate over an index instead of a self-join of the whole
history (`services.reports.stage_flow`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from itertools import groupby
from operator import itemgetter
from typing import Any, NamedTuple

from sqlalchemy import Connection, bindparam, column, func, select, table, update

VISIT_COLUMNS = ("left_at", "left_to_stage_id", "stay_seconds", "prev_entry_at", "next_entry_at")
CHANGES = table(
    "stage_changes",
    *(column(name) for name in ("id", "deal_id", "to_stage_id", "changed_at", *VISIT_COLUMNS)),
)
"""The columns this module reads and writes, independent of the model of the day (so the
migration that added them runs the same code), and without type conversions: an instant
comes back as the backend stores it (on SQLite, naive UTC text) and is written back as it
came, so marking a million changes does not parse and format every time twice."""
EPOCH, SECOND = datetime(1970, 1, 1, tzinfo=UTC), timedelta(seconds=1)
BATCH_DEALS = 20_000
"""Deals `mark_visits` reads and writes at a time."""


class Visit(NamedTuple):
    """A change's visit columns; its instants are as the chain gave them."""

    left_at: Any
    left_to_stage_id: int | None
    stay_seconds: int | None
    prev_entry_at: Any
    next_entry_at: Any


def visits(chain: Sequence[tuple[int, Any]]) -> list[Visit]:
    """The visit of each change of one deal, given as (stage entered, when) in the history's
    order (by time, then id); each instant is a datetime, or SQLite's text of one."""
    found: list[list[Any]] = [[None] * 5 for _ in chain]
    last: dict[int, int] = {}  # stage -> the index of its latest entry so far
    for i, (stage, at) in enumerate(chain):
        if i:
            found[i - 1][:3] = [at, stage, _seconds(at) - _seconds(chain[i - 1][1])]
        if (j := last.get(stage)) is not None:
            found[i][3], found[j][4] = chain[j][1], at
        last[stage] = i
    return [Visit(*v) for v in found]


def _seconds(at: datetime | str) -> int:
    """Seconds since the epoch, truncated to the second (as SQL's `strftime('%s')` reads);
    text is SQLite's naive UTC."""
    moment = datetime.fromisoformat(at) if isinstance(at, str) else at
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - EPOCH) // SECOND


def mark_deal(conn: Connection, deal_id: int) -> None:
    """The visits of one deal, after a change to its history: only the changes whose visit
    changed are written (the one before the new change, the new one, an earlier entry)."""
    _mark(conn, list(_read(conn, CHANGES.c.deal_id == deal_id)))


def mark_visits(conn: Connection) -> None:
    """The visits of every deal, a batch of deals at a time."""
    c = CHANGES.c
    low, high = conn.execute(select(func.min(c.deal_id), func.max(c.deal_id))).one()
    if low is None:
        return
    for start in range(low, high + 1, BATCH_DEALS):
        _mark(conn, list(_read(conn, c.deal_id.between(start, start + BATCH_DEALS - 1))))


def _read(conn: Connection, where: Any) -> Iterator[tuple[Any, ...]]:
    c = CHANGES.c
    query = select(c.deal_id, c.id, c.to_stage_id, c.changed_at, *(c[n] for n in VISIT_COLUMNS))
    yield from conn.execute(query.where(where).order_by(c.deal_id, c.changed_at, c.id)).all()


def _mark(conn: Connection, rows: list[tuple[Any, ...]]) -> None:
    changed = []
    for _, chain in groupby(rows, key=itemgetter(0)):
        history = list(chain)
        for row, visit in zip(history, visits([(r[2], r[3]) for r in history]), strict=True):
            if tuple(row[4:]) != visit:
                changed.append({"row_id": row[1], **visit._asdict()})
    if changed:
        conn.execute(update(CHANGES).where(CHANGES.c.id == bindparam("row_id")), changed)
