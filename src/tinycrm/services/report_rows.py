"""Report rows made from plain query results, with no SQLAlchemy: the ORM's report
(`services.reports`) and the prepared read `crm report funnel` starts with (the same queries
compiled ahead, see `db.prepared`) make the same rows."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from tinycrm.db.plain_sql import Sql
from tinycrm.db.prepared import find, rows
from tinycrm.services.periods import Period


def ratio_of(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class FunnelRow:
    stage: str
    kind: str
    reached: int
    """Deals that entered the stage in the period (each deal once)."""
    reached_minor: int
    now: int
    """Of those, the deals in the stage now."""
    now_minor: int
    drop_off: int | None
    """reached here − reached at the next stage (not for won and lost)."""
    drop_off_rate: float | None
    other_currency: int


def funnel_rows(found: Iterable[Sequence[Any]], stages: Iterable[Sequence[Any]]) -> list[FunnelRow]:
    """The funnel from its query's rows (stage id, entered, their amount, there now, their
    amount, in another currency) and the stages in order (id, name, position, kind, …)."""
    by_stage = {r[0]: r[1:] for r in found}
    ordered = list(stages)
    onward = [s[0] for s in ordered if s[3] != "lost"]
    after = dict(zip(onward, onward[1:], strict=False))  # the next stage a deal moves on to
    reached = {stage_id: int(v[0]) for stage_id, v in by_stage.items()}
    out = []
    for stage_id, name, _position, kind, *_ in ordered:
        came, amount, now, now_amount, other = (int(v) for v in by_stage.get(stage_id, (0,) * 5))
        drop = came - reached.get(after.get(stage_id), 0) if kind == "open" else None
        rate = ratio_of(drop, came) if drop is not None else None
        out.append(FunnelRow(name, kind, came, amount, now, now_amount, drop, rate, other))
    return out


def funnel_shape(period: Period) -> str:
    """The name of the prepared funnel for a period (whether it has a start, an end)."""
    return f"funnel/{'from' if period.start else 'ever'}/{'to' if period.end else 'on'}"


def plain_funnel(
    open_sql: Callable[[], Sql | None], *, period: Period, currency: str
) -> list[FunnelRow] | None:
    """What `services.reports.funnel` gives for everyone's deals, read with the prepared
    statements over what `open_sql` opens (only when there are some); None when there are
    none or nothing was opened (the caller asks the ORM)."""
    query, stages = find(funnel_shape(period)), find("stages")
    sql = open_sql() if query is not None and stages is not None else None
    if query is None or stages is None or sql is None:
        return None
    inputs = {"start": period.start, "end": period.end, "currency": currency}
    return funnel_rows(rows(sql, query, inputs), rows(sql, stages, {}))
