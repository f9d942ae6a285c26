"""The audit log: an append-only record of every change, and who may read which of it.

One place writes it, like `services.access` enforces the grants: a session hook that, after
each flush, appends an entry for every record of the audited tables the flush created,
edited or deleted (new records' ids are known by then), with when, who (the session's
actor; on PostgreSQL also the database login), from where (`cli`, `app`, `import`,
`restore` …), and each changed field's old and new value, JSON-safe (dates in ISO 8601,
money in minor units as stored). A deal's stage change is its `move`, a change of its
status to won or lost its `win` or `lose`. Bulk statements on an audited table (a reclaim,
a merge) are one entry each, with how many records they touched.

Imports write rows in bulk: a batch is one entry with its counts (`record_batch`), and
so is its undo and a restore (`record`). Nothing here updates or deletes an entry; on the
team server, row-level security keeps the table append-only for everyone but its owner.

Readers see the entries of records they may read (the record's object and owner under their
read grant), and their own; entries of records that no longer exist, of grants and of
imports only an admin (or an unrestricted session) sees.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    event,
    exists,
    false,
    func,
    insert,
    inspect,
    or_,
    select,
)
from sqlalchemy.orm import ORMExecuteState, Session
from sqlmodel import col

from tinycrm.models import (
    AuditEntry,
    Campaign,
    Company,
    Contact,
    Contract,
    Deal,
    DealStatus,
    Order,
    Payment,
    Product,
    Quote,
    Stage,
    Team,
    User,
)
from tinycrm.models.base import utcnow
from tinycrm.money import Money
from tinycrm.services.access import OWNED, Actor, actor_of, is_admin, owner_condition

AUDITED = frozenset(
    {*OWNED, "payments", "campaigns", "users", "teams", "grants", "products", "quotes", "contracts"}
)
"""The tables whose changes are logged; an entry's object is the table's name."""
OTHER_OBJECTS = ("database", "tiers")
"""Objects of entries written by their service rather than the flush: a restore, the tier
catalogue (`services.loyalty.tiers`)."""
SKIPPED = frozenset(
    {
        "id",
        "name_key",
        "search_key",
        "phone_norm",
        "created_at",
        "updated_at",
        "version",
        "last_activity_at",
        "alerted_close",
        "alerted_overdue",
        "alerted_quiet",
        "alert_at",
        "reminded_at",
    }
)
"""Columns tinycrm keeps for itself (keys, counters, alert bookkeeping): not a change anyone
made, so not logged; a flush that changes only these logs nothing."""
QUIET = "audit_quiet"
"""`session.info` key: while set, a bulk job (an import) logs itself once, not row by row."""
HELD = "audit_held"
"""`session.info` key: the records `created_once` and `changed_once` log themselves when
they are complete."""
_DEAL_ACTIONS = {DealStatus.won: "win", DealStatus.lost: "lose"}


# --- writing ---------------------------------------------------------------------------------


def safe(value: Any) -> Any:
    """A value as JSON holds it: dates and times in ISO 8601, enums by value."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [safe(v) for v in value]
    return value


def _audited(row: Any) -> str | None:
    name = getattr(row, "__tablename__", None)
    return name if name in AUDITED else None


def _values(row: Any, *, old: bool) -> dict[str, list[Any]]:
    """A created (or, `old`, deleted) record's fields that hold a value."""
    state = inspect(row)
    changes: dict[str, list[Any]] = {}
    for attr in state.mapper.column_attrs:
        value = state.dict.get(attr.key)
        if attr.key in SKIPPED or value is None or value == {}:
            continue
        changes[attr.key] = [safe(value), None] if old else [None, safe(value)]
    return changes


def _edits(row: Any) -> dict[str, list[Any]]:
    """An edited record's changed fields, old and new."""
    state = inspect(row)
    changes: dict[str, list[Any]] = {}
    for attr in state.mapper.column_attrs:
        if attr.key in SKIPPED:
            continue
        history = state.attrs[attr.key].history
        if not history.added and not history.deleted:
            continue
        before = safe(history.deleted[0]) if history.deleted else None
        after = safe(history.added[0]) if history.added else None
        if before != after:
            changes[attr.key] = [before, after]
    return changes


def _action(row: Any, changes: Mapping[str, list[Any]]) -> str:
    if isinstance(row, Deal):
        if "status" in changes and (won_lost := _DEAL_ACTIONS.get(row.status)):
            return won_lost
        if "stage_id" in changes or "status" in changes:
            return "move"
    return "edit"


def _entry(row: Any, obj: str, action: str, changes: dict[str, list[Any]]) -> dict[str, Any]:
    record_id = getattr(row, "id", None)
    note = None
    if obj == "grants":
        note = f"{row.role} {row.object} {row.action}"
    return {
        "object": obj,
        "record_id": record_id,
        "action": action,
        "changes": changes,
        "note": note,
    }


@event.listens_for(Session, "after_flush")
def _record_flush(session: Session, _context: Any) -> None:
    """Every audited record the flush created, edited or deleted, one entry each. After the
    flush, the session still holds what it was (new, dirty, deleted, each attribute's
    history), and the new records have their ids."""
    if session.info.get(QUIET):
        return
    held = session.info.get(HELD, set())
    entries: list[dict[str, Any]] = []
    for row in session.new:
        if (obj := _audited(row)) and id(row) not in held:
            entries.append(_entry(row, obj, "create", _values(row, old=False)))
    for row in session.dirty:
        if (obj := _audited(row)) and id(row) not in held and (changes := _edits(row)):
            entries.append(_entry(row, obj, _action(row, changes), changes))
    for row in session.deleted:
        if obj := _audited(row):
            entries.append(_entry(row, obj, "delete", _values(row, old=True)))
    if entries:
        _write(session, entries)


@event.listens_for(Session, "do_orm_execute")
def _record_bulk(state: ORMExecuteState) -> Any:
    """An UPDATE or DELETE statement on an audited table: one entry for the statement."""
    if not (state.is_update or state.is_delete) or state.session.info.get(QUIET):
        return None
    table = getattr(state.statement, "table", None)
    obj = getattr(table, "name", None)
    if obj not in AUDITED:
        return None
    result = state.invoke_statement()
    count = getattr(result, "rowcount", None)
    if count:
        action = "edit" if state.is_update else "delete"
        entry = {"object": obj, "record_id": None, "action": action, "changes": {}}
        _write(state.session, [{**entry, "note": f"{count} records at once"}])
    return result


@contextmanager
def _held(session: Session, row: Any) -> Iterator[None]:
    """The row's flushes in the block write no entries of their own; it is flushed at the
    end, so the caller writes the one entry from what it is then."""
    held: set[int] = session.info.setdefault(HELD, set())
    held.add(id(row))
    try:
        yield
        session.flush()
    finally:
        held.discard(id(row))


@contextmanager
def created_once(session: Session, row: Any) -> Iterator[None]:
    """A new record the block adds and completes over several flushes (its id first, then
    what follows from it): one `create` entry with its values at the end, not a create and
    an edit."""
    with _held(session, row):
        yield
    if obj := _audited(row):
        _write(session, [_entry(row, obj, "create", _values(row, old=False))])


@contextmanager
def changed_once(session: Session, row: Any) -> Iterator[None]:
    """A record the block changes over several flushes (a quote accepted, then given its
    order): one entry with what changed from before the block to after it, not one per
    flush."""
    before = _snapshot(row)
    with _held(session, row):
        yield
    after = _snapshot(row)
    changes = {k: [v, after[k]] for k, v in before.items() if after[k] != v}
    if (obj := _audited(row)) and changes:
        _write(session, [_entry(row, obj, _action(row, changes), changes)])


def _snapshot(row: Any) -> dict[str, Any]:
    """A record's logged fields as they are now, JSON-safe."""
    keys = (a.key for a in inspect(row).mapper.column_attrs if a.key not in SKIPPED)
    return {k: safe(getattr(row, k)) for k in keys}


def record(
    session: Session,
    *,
    object: str,
    action: str,
    record_id: int | None = None,
    changes: Mapping[str, list[Any]] | None = None,
    note: str | None = None,
    source: str | None = None,
) -> None:
    """Append one entry for a change made outside the ORM's rows (an import, its undo)."""
    entry = {
        "object": object,
        "record_id": record_id,
        "action": action,
        "changes": {k: [safe(a), safe(b)] for k, (a, b) in (changes or {}).items()},
        "note": note,
    }
    _write(session, [entry], source=source)


def quiet(session: Session) -> None:
    """From now on, the session's rows are not logged one by one (a bulk job logs itself)."""
    session.info[QUIET] = True


def record_batch(
    session: Session, *, noun: str, batch_id: int | None, counts: Mapping[str, int], note: str
) -> None:
    """An import, one entry: its batch and its counts."""
    changes = {"batch": [None, batch_id], **{k: [None, n] for k, n in counts.items()}}
    session.info.pop(QUIET, None)
    record(session, object=noun, action="import", changes=changes, note=note, source="import")


def record_restore(conn: Connection, *, rows: int, tables: int, note: str) -> None:
    """A restore, one entry, written on the restoring connection (no session, no user)."""
    changes = {"rows": [None, rows], "tables": [None, tables]}
    entry = {"object": "database", "record_id": None, "action": "restore", "note": note}
    common = {"at": utcnow(), "user_id": None, "user_name": None, "source": "restore"}
    _insert(conn, [{**common, **entry, "changes": changes}])


def _write(session: Session, entries: list[dict[str, Any]], *, source: str | None = None) -> None:
    actor = actor_of(session)
    clock = session.info.get("clock")
    common = {
        "at": clock() if callable(clock) else utcnow(),
        "user_id": actor.user_id if actor else None,
        "user_name": actor.name if actor else None,
        "source": source or _source(session, actor),
    }
    _insert(session.connection(), [{**common, **e} for e in entries])


def _insert(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Append the rows; on PostgreSQL each names the database login that wrote it."""
    statement = insert(AuditEntry)
    if conn.dialect.name == "postgresql":
        statement = statement.values(login=func.current_user())
    conn.execute(statement, rows)


def _source(session: Session, actor: Actor | None) -> str:
    found = session.info.get("source") or (actor.source if actor else None)
    return str(found or "cli")


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryRow:
    id: int
    at: datetime
    user: str | None
    login: str | None
    source: str
    object: str
    record_id: int | None
    action: str
    changes: dict[str, Any]
    note: str | None
    summary: str = ""
    """The changes in one line, stages by name: `stage: Lead → Qualified; title: A → B`."""
    shown: dict[str, list[Any]] = field(default_factory=dict)
    """The changes as a person reads them (`readable_changes`), field → [old, new]."""


def readable(actor: Actor | None) -> ColumnElement[bool]:
    """The WHERE that keeps entries to those `actor` may read."""
    if is_admin(actor):
        return col(AuditEntry.id).is_not(None)
    assert actor is not None
    record_id = col(AuditEntry.record_id)
    within = [col(AuditEntry.user_id) == actor.user_id]
    for obj, model in OWNED.items():
        held = exists().where(
            col(model.id) == record_id, owner_condition(actor, obj, col(model.owner_id))
        )
        within.append((col(AuditEntry.object) == obj) & held)
    orders = owner_condition(actor, "orders", col(Order.owner_id))
    paid = exists().where(
        col(Payment.id) == record_id, col(Payment.order_id) == col(Order.id), orders
    )
    within.append((col(AuditEntry.object) == "payments") & paid)
    deals = owner_condition(actor, "deals", col(Deal.owner_id))
    quoted = exists().where(col(Quote.id) == record_id, col(Quote.deal_id) == col(Deal.id), deals)
    within.append((col(AuditEntry.object) == "quotes") & quoted)
    signed = exists().where(
        col(Contract.id) == record_id, col(Contract.order_id) == col(Order.id), orders
    )
    within.append((col(AuditEntry.object) == "contracts") & signed)
    if actor.may("products", "read"):
        listed = exists().where(col(Product.id) == record_id)
        within.append((col(AuditEntry.object) == "products") & listed)
    for obj, model in (("campaigns", Campaign), ("users", User), ("teams", Team)):
        grant = "users" if obj == "teams" else obj
        if actor.may(grant, "read"):
            there = exists().where(col(model.id) == record_id)
            within.append((col(AuditEntry.object) == obj) & there)
    return or_(false(), *within)


def list_entries(
    session: Session,
    *,
    user_id: int | None = None,
    user_name: str | None = None,
    object: str | None = None,
    record_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = 100,
) -> list[EntryRow]:
    """The entries the session's actor may read, newest first."""
    query = select(AuditEntry).where(readable(actor_of(session)))
    if user_id is not None:
        query = query.where(col(AuditEntry.user_id) == user_id)
    if user_name is not None:
        query = query.where(func.lower(col(AuditEntry.user_name)) == user_name.strip().lower())
    if object is not None:
        query = query.where(col(AuditEntry.object) == object)
    if record_id is not None:
        query = query.where(col(AuditEntry.record_id) == record_id)
    if since is not None:
        query = query.where(col(AuditEntry.at) >= since)
    if until is not None:
        query = query.where(col(AuditEntry.at) < until)
    query = query.order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc()).limit(limit)
    entries = list(session.scalars(query))
    names = _names_for(session, entries)
    return [_row(e, names) for e in entries]


def get_entry(session: Session, *, entry_id: int) -> EntryRow:
    from tinycrm.errors import NotFound

    query = select(AuditEntry).where(col(AuditEntry.id) == entry_id)
    found = session.scalars(query.where(readable(actor_of(session)))).first()
    if found is None:
        raise NotFound("audit entry", entry_id)
    return _row(found, _names_for(session, [found]))


def history(session: Session, *, object: str, record_id: int) -> list[EntryRow]:
    """One record's entries, newest first (a detail screen's History)."""
    return list_entries(session, object=object, record_id=record_id, limit=200)


@dataclass(frozen=True)
class _Names:
    """What entries' raw values stand for: stage and user names, and each record's
    currency (money is stored in minor units)."""

    stages: Mapping[int, str]
    users: Mapping[int, str]
    currencies: Mapping[tuple[str, int], str]
    records: Mapping[str, Mapping[int, str]] = field(default_factory=dict)
    """`company_id` and `contact_id` values by name (those the reader may read)."""


MONEY_TABLES: dict[str, type[Deal] | type[Order] | type[Payment]] = {
    "deals": Deal,
    "orders": Order,
    "payments": Payment,
}


def _names_for(session: Session, entries: list[AuditEntry]) -> _Names:
    """The names the entries' changes need, in one query per kind."""
    stages: dict[int, str] = {}
    if any(e.object == "deals" for e in entries):
        found = session.execute(select(col(Stage.id), col(Stage.name)))
        stages = {i: n for i, n in found if i}
    users = {i: n for i, n in session.execute(select(col(User.id), col(User.name))) if i}
    currencies: dict[tuple[str, int], str] = {}
    for obj, model in MONEY_TABLES.items():
        ids = {e.record_id for e in entries if e.object == obj and e.record_id is not None}
        if ids:
            query = select(col(model.id), col(model.currency)).where(col(model.id).in_(ids))
            currencies |= {(obj, int(i or 0)): c for i, c in session.execute(query)}
    records: dict[str, dict[int, str]] = {}
    for key, table, name in (
        ("company_id", Company, Company.name),
        ("contact_id", Contact, Contact.full_name),
    ):
        ids = {v for e in entries for v in (e.changes or {}).get(key, []) if isinstance(v, int)}
        if ids:
            query = select(col(table.id), col(name)).where(col(table.id).in_(ids))
            records[key] = {int(i or 0): str(n) for i, n in session.execute(query)}
    return _Names(stages, users, currencies, records)


def _row(entry: AuditEntry, names: _Names) -> EntryRow:
    assert entry.id is not None
    changes = dict(entry.changes or {})
    shown = readable_changes(changes, names, obj=entry.object, record_id=entry.record_id)
    return EntryRow(
        id=entry.id,
        at=entry.at,
        user=entry.user_name,
        login=entry.login,
        source=entry.source,
        object=entry.object,
        record_id=entry.record_id,
        action=entry.action,
        changes=changes,
        note=entry.note,
        summary=describe_changes(shown),
        shown=shown,
    )


def readable_changes(
    changes: Mapping[str, Any], names: _Names, *, obj: str, record_id: int | None
) -> dict[str, list[Any]]:
    """The changes as a person reads them: `stage_id` 3 → `stage` Qualified, `owner_id` 1 →
    `owner` Ana, `amount_minor` 10000 → `amount` 100.00 USD, times to the minute in UTC."""
    pairs = {
        k: (v + [None, None])[:2] if isinstance(v, list) else [None, v] for k, v in changes.items()
    }
    currency = pairs.get("currency", [None, None])[1] or names.currencies.get((obj, record_id or 0))
    shown: dict[str, list[Any]] = {}
    for key, pair in pairs.items():
        if key == "stage_id":
            shown["stage"] = [names.stages.get(v, v) for v in pair]
        elif key in ("owner_id", "user_id", "assignee_id", "recipient_id"):
            shown[key.removesuffix("_id")] = [names.users.get(v, v) for v in pair]
        elif key in names.records:
            shown[key.removesuffix("_id")] = [names.records[key].get(v, v) for v in pair]
        elif key.endswith("_minor") and currency:
            money = [str(Money(v, str(currency))) if isinstance(v, int) else v for v in pair]
            shown[key.removesuffix("_minor")] = money
        else:
            shown[key] = [_moment(v) for v in pair]
    return shown


def _moment(value: Any) -> Any:
    """A time as stored (ISO 8601 with an offset) to the minute in UTC; anything else as is."""
    if not (isinstance(value, str) and len(value) > 19 and value[10:11] == "T"):
        return value
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    return value if moment.tzinfo is None else f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def describe_changes(shown: Mapping[str, list[Any]], *, limit: int = 200) -> str:
    """`stage: Lead → Qualified; title: Old → New`, for a table cell or a History line."""
    parts = []
    for key, (before, after) in shown.items():
        if before is None:
            parts.append(f"{key}: {_shown(after)}")
        elif after is None:
            parts.append(f"{key}: {_shown(before)} → ∅")
        else:
            parts.append(f"{key}: {_shown(before)} → {_shown(after)}")
    text = "; ".join(parts)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _shown(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 60 else text[:59] + "…"
