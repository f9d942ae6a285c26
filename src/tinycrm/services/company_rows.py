"""A company as lists show it, made from plain column values, with no SQLAlchemy: the ORM's
list (`services.companies.list_companies`) and the prepared read `crm company list` starts
with (the same query compiled ahead, see `db.prepared`) make the same rows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from tinycrm.db.plain_sql import Sql
from tinycrm.db.prepared import list_statement, rows

SORT_KEYS = ("name", "id", "city", "industry", "created")
"""What `--sort` takes, in the order `--help` names them."""
KIND = "company_list"
"""The prepared lists' names begin so (see `db.prepared.list_name`)."""


@dataclass(frozen=True)
class CompanyRow:
    """The list query selects these columns, in this order."""

    id: int
    name: str
    domain: str | None
    industry: str | None
    city: str | None
    country: str | None
    owner: str | None
    contacts: int
    open_deals: int
    created_at: datetime


def plain_company_list(
    open_sql: Callable[[], Sql | None], *, sort: str, limit: int | None, offset: int
) -> list[CompanyRow] | None:
    """What `list_companies` gives with no filter, read with the prepared statement over
    what `open_sql` opens (only when there is one); None when there is none for these
    options or nothing was opened (the caller asks the ORM)."""
    statement = list_statement(KIND, sort, SORT_KEYS, limit, offset)
    sql = open_sql() if statement is not None else None
    if statement is None or sql is None:
        return None
    found = rows(sql, statement, {"limit": limit, "offset": offset})
    return [CompanyRow(*values) for values in found]
