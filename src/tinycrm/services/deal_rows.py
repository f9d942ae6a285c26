"""A deal as lists show it, made from plain column values, with no SQLAlchemy: the ORM's list
(`services.deals.list_deals`) and the prepared read `crm deal list` starts with
(`plain_deal_list`, the same query compiled ahead, see `db.prepared`) make the same rows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from tinycrm.db.plain_sql import Sql
from tinycrm.db.prepared import find, page_shape, rows, sort_shape
from tinycrm.money import Money

SORT_KEYS = ("close", "id", "title", "amount", "stage", "owner", "created", "closed")
"""What `--sort` takes, in the order `--help` names them."""
LIST_COLUMNS = (
    "id",
    "title",
    "company",
    "contact",
    "owner",
    "amount_minor",
    "currency",
    "stage",
    "status",
    "expected_close",
    "stage_since",
    "lost_reason",
    "created_at",
    "closed_at",
)
"""The columns the list query selects, in order (`deal_row` takes them so)."""


@dataclass(frozen=True)
class DealRow:
    id: int
    title: str
    company: str | None
    contact: str | None
    owner: str | None
    amount: Money
    stage: str
    status: str
    expected_close: date | None
    stage_since: datetime | None
    lost_reason: str | None
    created_at: datetime
    closed_at: datetime | None


def deal_row(
    id: int,
    title: str,
    company: str | None,
    contact: str | None,
    owner: str | None,
    amount_minor: int,
    currency: str,
    stage: str,
    status: str,
    expected_close: date | None,
    stage_since: datetime | None,
    lost_reason: str | None,
    created_at: datetime,
    closed_at: datetime | None,
) -> DealRow:
    return DealRow(
        id,
        title,
        company,
        contact,
        owner,
        Money(amount_minor, currency),
        stage,
        status,
        expected_close,
        stage_since,
        lost_reason,
        created_at,
        closed_at,
    )


def list_shape(*, status: bool, sort: str, paged: bool) -> str | None:
    """The name of the prepared deal list for these options (whether a status and a limit
    are given, and the sort), or None for a sort of several keys or an unknown one."""
    order = sort_shape(sort, SORT_KEYS)
    if order is None:
        return None
    return f"deal_list/{'status' if status else 'any'}/{order}/{'page' if paged else 'all'}"


def plain_deal_list(
    open_sql: Callable[[], Sql | None],
    *,
    status: str | None,
    sort: str,
    limit: int | None,
    offset: int,
) -> list[DealRow] | None:
    """What `list_deals` gives for a status, a sort, a limit and an offset alone, read with
    the prepared statement over what `open_sql` opens (only when there is one); None when
    there is none for these options or nothing was opened (the caller then asks the ORM,
    which also says what is wrong with a bad value)."""
    name = list_shape(status=status is not None, sort=sort, paged=limit is not None)
    statement = find(name) if page_shape(limit, offset) else None
    sql = open_sql() if statement is not None else None
    if statement is None or sql is None:
        return None
    inputs: dict[str, Any] = {"status": status, "limit": limit, "offset": offset}
    return [deal_row(*values) for values in rows(sql, statement, inputs)]
