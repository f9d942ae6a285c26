"""SQL pieces the reports share (conditional sums, medians, seconds between instants, the
stages in order) and the arithmetic on the figures that come back.

Every figure is counted and summed in SQL (medians too, with window functions), so a report
costs about what the same hand-written query costs, whatever the number of deals.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from sqlalchemy import BigInteger, Select, case, cast, func, select
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session

from tinycrm.models import Deal, Stage
from tinycrm.models.base import table_of
from tinycrm.services.refs import resolve_user

DEALS = table_of(Deal)
STAGES = table_of(Stage)
DAY_SECONDS = 86_400


def owner_id_of(session: Session, owner: str | None) -> int | None:
    return resolve_user(session, owner).id if owner else None


def seconds_between(session: Session, start: Any, end: Any) -> Any:
    """Whole seconds from `start` to `end` (each truncated to the second), on either backend."""
    if session.get_bind().dialect.name == "sqlite":
        return cast(func.strftime("%s", end), BigInteger) - cast(
            func.strftime("%s", start), BigInteger
        )
    return func.floor(func.extract("epoch", end)) - func.floor(func.extract("epoch", start))


def median_per(values: Any, key: str | None) -> Any:
    """Median of `values.c.v` per `values.c[key]` (or over all rows): the middle value, or the
    mean of the two middle values, found with ROW_NUMBER and COUNT windows."""
    group = [values.c[key]] if key else []
    ranked = select(
        *group,
        values.c.v,
        func.row_number().over(partition_by=group or None, order_by=values.c.v).label("rn"),
        func.count().over(partition_by=group or None).label("n"),
    ).subquery()
    middle = ranked.c.rn.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2])
    out = [ranked.c[key]] if key else []
    return select(*out, func.avg(ranked.c.v)).where(middle).group_by(*out)


def days_of(seconds: Any) -> float | None:
    return None if seconds is None else float(seconds) / DAY_SECONDS


def in_currency(currency: str) -> ColumnElement[bool]:
    return DEALS.c.currency == currency


def sum_if(condition: ColumnElement[bool], value: Any = 1) -> Any:
    return func.coalesce(func.sum(case((condition, value), else_=0)), 0)


def stages_in_order(session: Session) -> list[Any]:
    return list(session.connection().execute(stages_query()))


def stages_query() -> Select[Any]:
    """Every stage (id, name, position, kind, probability) in pipeline order."""
    query = select(
        STAGES.c.id, STAGES.c.name, STAGES.c.position, STAGES.c.kind, STAGES.c.probability
    )
    return query.order_by(STAGES.c.position, STAGES.c.id)


def round_half_up(value: Fraction) -> int:
    """A non-negative fraction rounded half up to an integer."""
    whole, rest = divmod(value.numerator, value.denominator)
    return whole + (1 if 2 * rest >= value.denominator else 0)
