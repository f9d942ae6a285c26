"""A deal as lists show it, made from plain column values, with no SQLAlchemy: the ORM's list
(`services.deals.list_deals`) and the prepared read `crm deal list` starts with
(`plain_deal_list`, the same query compiled ahead, see `db.prepared`) make the same rows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from tinycrm.db.plain_sql import Sql
from tinycrm.db.prepared import list_statement, rows
from tinycrm.money import Money

SORT_KEYS = ("close", "id", "title", "amount", "stage", "owner", "created", "closed")
"""What `--sort` takes, in the order `--help` names them."""


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


def list_kind(*, status: bool) -> str:
    """The prepared deal lists with a status given, or without (see `db.prepared.list_name`)."""
    return f"deal_list/{'status' if status else 'any'}"


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
    statement = list_statement(list_kind(status=status is not None), sort, SORT_KEYS, limit, offset)
    sql = open_sql() if statement is not None else None
    if statement is None or sql is None:
        return None
    inputs: dict[str, Any] = {"status": status, "limit": limit, "offset": offset}
    return [deal_row(*values) for values in rows(sql, statement, inputs)]
