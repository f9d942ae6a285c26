"""Exports: every record of a noun that matches the `list` filters, streamed page by page.

Rows are read with keyset pagination (`WHERE id > last ORDER BY id LIMIT n`) inside one
read transaction, so a million-row table never sits in memory and every page (and the
custom-field pass before them) sees the same snapshot. Each row is a plain dict whose keys
are the export's column names, which the importer maps back:

- references are by name (company, owner, stage) or by email, else name (contact), and an
  activity's deal by its id;
- custom fields are flattened to one `custom:KEY` key per field the record has.

The `*_filters` helpers give the same conditions as the matching `list_*` service; a test
keeps them in step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeAlias

from sqlalchemy import func, select
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.orm import Mapped
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, col

from tinycrm.models import (
    Activity,
    Company,
    Contact,
    Deal,
    Stage,
    User,
)
from tinycrm.money import Money
from tinycrm.services import access
from tinycrm.services.contacts import tags_of
from tinycrm.services.filters import (
    ActivityFilter,
    CompanyFilter,
    ContactFilter,
    DealFilter,
    activity_filters,
    company_filters,
    contact_filters,
    deal_filters,
)

PAGE_SIZE = 1000
CUSTOM_PREFIX = "custom:"
CONTACT_COLUMNS: tuple[str, ...] = tuple(
    "id first_name last_name name email phone title company owner status source notes tags "
    "created_at".split()
)
COMPANY_COLUMNS: tuple[str, ...] = tuple(
    "id name domain industry city country phone website owner notes created_at".split()
)
DEAL_COLUMNS: tuple[str, ...] = tuple(
    "id title amount currency stage status company contact owner expected_close created_at "
    "closed_at lost_reason".split()
)
ACTIVITY_COLUMNS: tuple[str, ...] = tuple(
    "id kind subject body contact company deal owner due_at done_at created_at".split()
)

Row = dict[str, Any]
if TYPE_CHECKING:
    from sqlalchemy.sql import Select

    AnySelect: TypeAlias = Select[*tuple[Any, ...]]


# The joined tables of each noun; a LEFT JOIN on a key left unused costs nothing.


def _contact_joins(query: AnySelect) -> AnySelect:
    return (
        query.select_from(Contact)
        .outerjoin(Company, col(Company.id) == col(Contact.company_id))
        .outerjoin(User, col(User.id) == col(Contact.owner_id))
    )


def _company_joins(query: AnySelect) -> AnySelect:
    return query.select_from(Company).outerjoin(User, col(User.id) == col(Company.owner_id))


def _deal_joins(query: AnySelect) -> AnySelect:
    return (
        query.select_from(Deal)
        .join(Stage, col(Stage.id) == col(Deal.stage_id))
        .outerjoin(Company, col(Company.id) == col(Deal.company_id))
        .outerjoin(Contact, col(Contact.id) == col(Deal.contact_id))
        .outerjoin(User, col(User.id) == col(Deal.owner_id))
    )


def _activity_joins(query: AnySelect) -> AnySelect:
    return (
        query.select_from(Activity)
        .outerjoin(Contact, col(Contact.id) == col(Activity.contact_id))
        .outerjoin(Company, col(Company.id) == col(Activity.company_id))
        .outerjoin(User, col(User.id) == col(Activity.owner_id))
    )


def _contact_ref() -> ColumnElement[Any]:
    """A contact as the importer finds it again: the email, else the full name."""
    return func.coalesce(col(Contact.email), col(Contact.full_name))


# Exports: each resolves its filters at once (a bad reference fails before any output) and
# returns a generator of rows in id order.


@access.reads_for("contacts", "export")
def export_contacts(
    session: Session, *, filters: ContactFilter, page_size: int = PAGE_SIZE
) -> Iterator[Row]:
    conn = _connection(session)
    query = _contact_query(
        session,
        filters,
        col(Contact.id),
        col(Contact.first_name),
        col(Contact.last_name),
        col(Contact.full_name).label("name"),
        col(Contact.email),
        col(Contact.phone),
        col(Contact.title),
        col(Company.name).label("company"),
        col(User.name).label("owner"),
        col(Contact.status),
        col(Contact.source),
        col(Contact.notes),
        col(Contact.created_at),
        col(Contact.custom),
    )

    def with_tags(page: list[RowMapping]) -> list[Row]:
        tags = tags_of(session, [r["id"] for r in page])  # one query per page
        return [_row(r, CONTACT_COLUMNS, tags=tags.get(r["id"], [])) for r in page]

    return _rows(conn, query, col(Contact.id), page_size, with_tags)


@access.reads_for("companies", "export")
def export_companies(
    session: Session, *, filters: CompanyFilter, page_size: int = PAGE_SIZE
) -> Iterator[Row]:
    conn = _connection(session)
    query = _company_query(
        session,
        filters,
        col(Company.id),
        col(Company.name),
        col(Company.domain),
        col(Company.industry),
        col(Company.city),
        col(Company.country),
        col(Company.phone),
        col(Company.website),
        col(User.name).label("owner"),
        col(Company.notes),
        col(Company.created_at),
        col(Company.custom),
    )

    def plain(page: list[RowMapping]) -> list[Row]:
        return [_row(r, COMPANY_COLUMNS) for r in page]

    return _rows(conn, query, col(Company.id), page_size, plain)


@access.reads_for("deals", "export")
def export_deals(
    session: Session, *, filters: DealFilter, page_size: int = PAGE_SIZE
) -> Iterator[Row]:
    conn = _connection(session)
    columns: tuple[Any, ...] = (
        col(Deal.id),
        col(Deal.title),
        col(Deal.amount_minor),
        col(Deal.currency),
        col(Stage.name).label("stage"),
        col(Deal.status),
        col(Company.name).label("company"),
        _contact_ref().label("contact"),
        col(User.name).label("owner"),
        col(Deal.expected_close),
        col(Deal.created_at),
        col(Deal.closed_at),
        col(Deal.lost_reason),
    )
    query = _deal_joins(select(*columns)).where(*deal_filters(session, filters))

    def with_money(page: list[RowMapping]) -> list[Row]:
        return [_row(r, DEAL_COLUMNS, amount=Money(r["amount_minor"], r["currency"])) for r in page]

    return _rows(conn, query, col(Deal.id), page_size, with_money)


@access.reads_for("activities", "export")
def export_activities(
    session: Session, *, filters: ActivityFilter, page_size: int = PAGE_SIZE
) -> Iterator[Row]:
    conn = _connection(session)
    columns: tuple[Any, ...] = (
        col(Activity.id),
        col(Activity.kind),
        col(Activity.subject),
        col(Activity.body),
        _contact_ref().label("contact"),
        col(Company.name).label("company"),
        col(Activity.deal_id).label("deal"),
        col(User.name).label("owner"),
        col(Activity.due_at),
        col(Activity.done_at),
        col(Activity.created_at),
    )
    query = _activity_joins(select(*columns)).where(*activity_filters(session, filters))

    def plain(page: list[RowMapping]) -> list[Row]:
        return [_row(r, ACTIVITY_COLUMNS) for r in page]

    return _rows(conn, query, col(Activity.id), page_size, plain)


def custom_columns(
    session: Session, *, filters: ContactFilter | CompanyFilter, page_size: int = PAGE_SIZE
) -> list[str]:
    """The `custom:KEY` columns the export with these filters will have, sorted.

    A CSV header needs them before the first row: this pass reads only the id and the custom
    JSON of the matching rows, page by page, and keeps nothing but the set of keys. Call it
    first: the export that follows then runs in the same snapshot and has no other key.
    """
    conn = _connection(session)
    if isinstance(filters, ContactFilter):
        ident = col(Contact.id)
        query = _contact_query(session, filters, ident, col(Contact.custom))
    else:
        ident = col(Company.id)
        query = _company_query(session, filters, ident, col(Company.custom))
    keys: set[str] = set()
    for page in _pages(conn, query, ident, page_size):
        for r in page:
            keys.update(r["custom"] or {})
    return [CUSTOM_PREFIX + k for k in sorted(keys)]


def _contact_query(session: Session, filters: ContactFilter, *columns: Any) -> AnySelect:
    return _contact_joins(select(*columns)).where(*contact_filters(session, filters))


def _company_query(session: Session, filters: CompanyFilter, *columns: Any) -> AnySelect:
    return _company_joins(select(*columns)).where(*company_filters(session, filters))


def _connection(session: Session) -> Connection:
    """The session's connection. Called before anything else, it makes the transaction a
    snapshot on PostgreSQL (SQLite's read transaction in WAL mode already is one)."""
    if session.in_transaction():
        return session.connection()
    options = {}
    if session.get_bind().dialect.name == "postgresql":
        options["isolation_level"] = "REPEATABLE READ"
    return session.connection(execution_options=options)


def _rows(
    conn: Connection,
    query: AnySelect,
    ident: Mapped[int | None],
    page_size: int,
    finish: Callable[[list[RowMapping]], list[Row]],
) -> Iterator[Row]:
    for page in _pages(conn, query, ident, page_size):
        yield from finish(page)


def _pages(
    conn: Connection, query: AnySelect, ident: Mapped[int | None], page_size: int
) -> Iterator[list[RowMapping]]:
    """The rows of `query` in id order, `page_size` at a time: `WHERE id > last`, so every
    page is one index range scan however deep into the table it is."""
    if page_size < 1:
        raise ValueError("page_size must be at least 1")
    last: int | None = None
    while True:
        page_query = query if last is None else query.where(ident > last)
        page = list(conn.execute(page_query.order_by(ident).limit(page_size)).mappings())
        if page:
            yield page
        if len(page) < page_size:
            return
        last = page[-1]["id"]


def _row(found: RowMapping, columns: tuple[str, ...], **computed: Any) -> Row:
    """The export row: the columns in order, then one `custom:KEY` per custom field."""
    row = {c: computed[c] if c in computed else found[c] for c in columns}
    custom = found.get("custom") or {}
    row.update((CUSTOM_PREFIX + k, custom[k]) for k in sorted(custom))
    return row


# Spreadsheet safety, for the command that writes CSV and for an importer reading it back.
