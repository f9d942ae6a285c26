"""Renewals: the contracts whose term ends in each month ahead, and what they are worth.

Counted are the contracts still to renew (active, or draft) ending in the months asked
for, per month and currency, summed in SQL; `auto` of them renew by themselves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import case, func, select
from sqlmodel import Session

from tinycrm.models import Contract, ContractStatus
from tinycrm.models.base import table_of
from tinycrm.money import Money
from tinycrm.services.access import reads_for

CONTRACTS = table_of(Contract)


@dataclass(frozen=True)
class RenewalMonth:
    month: str
    """`2026-12`."""
    contracts: int
    auto: int
    value: Money
    first_notice: date


def _month(session: Session, column: Any) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.strftime("%Y-%m", column)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@reads_for("reports", "read")
def renewals(session: Session, *, start: date, months: int = 12) -> list[RenewalMonth]:
    """Per month from `start`'s to `months` months on: contracts ending, their value."""
    c = CONTRACTS.c
    month = _month(session, c.ends_on)
    until = _add_months(start.replace(day=1), months)
    query = (
        select(
            month,
            c.currency,
            func.count(),
            func.sum(case((c.renew == "auto", 1), else_=0)),
            func.sum(c.value_minor),
            func.min(c.notice_on),
        )
        .where(
            c.status.in_([ContractStatus.active.value, ContractStatus.draft.value]),
            c.ends_on >= start.replace(day=1),
            c.ends_on < until,
        )
        .group_by(month, c.currency)
        .order_by(month, c.currency)
    )
    return [
        RenewalMonth(str(m), int(n), int(auto or 0), Money(int(total), cur), first)
        for m, cur, n, auto, total, first in session.connection().execute(query)
    ]
