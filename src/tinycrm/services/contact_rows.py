"""A contact as lists show it, made from plain column values, with no SQLAlchemy: the ORM's
list (`services.contacts.list_contacts`) and the prepared read `crm contact list` starts with
(the same queries compiled ahead, see `db.prepared`) make the same rows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tinycrm.db.plain_sql import Sql
from tinycrm.db.prepared import find, list_statement, rows

SORT_KEYS = ("name", "id", "email", "company", "status", "created")
"""What `--sort` takes, in the order `--help` names them."""
KIND = "contact_list"
"""The prepared lists' names begin so (see `db.prepared.list_name`)."""


@dataclass(frozen=True)
class ContactRow:
    id: int
    name: str
    email: str | None
    phone: str | None
    title: str | None
    company: str | None
    owner: str | None
    status: str
    tags: list[str]
    created_at: datetime


def contact_rows(found: Iterable[Sequence[Any]], tags: Iterable[Sequence[Any]]) -> list[ContactRow]:
    """Rows from the list query's values and the (contact id, tag) pairs of their tags, in
    tag order."""
    theirs: dict[int, list[str]] = defaultdict(list)
    for contact_id, tag in tags:
        theirs[contact_id].append(tag)
    return [
        ContactRow(i, name, email, phone, title, company, owner, status, theirs.get(i, []), at)
        for i, name, email, phone, title, company, owner, status, at in found
    ]


def plain_contact_list(
    open_sql: Callable[[], Sql | None], *, sort: str, limit: int | None, offset: int
) -> list[ContactRow] | None:
    """What `list_contacts` gives with no filter, read with the prepared statements over
    what `open_sql` opens (only when there are some); None when there are none for these
    options or nothing was opened (the caller asks the ORM)."""
    statement = list_statement(KIND, sort, SORT_KEYS, limit, offset)
    tagged = find("contact_tags")
    sql = open_sql() if statement is not None and tagged is not None else None
    if statement is None or tagged is None or sql is None:
        return None
    found = rows(sql, statement, {"limit": limit, "offset": offset})
    ids = [r[0] for r in found]
    return contact_rows(found, rows(sql, tagged, {"ids": ids}) if ids else [])
