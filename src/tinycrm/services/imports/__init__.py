"""Imports: mapped rows in, records out, all or nothing, with a batch that can be undone.

An import runs in two phases, so that it holds the write lock only briefly (cron's `crm
remind` and the app keep writing during a long import; they wait, see `tinycrm.db.store`):

1. Prepare, with no lock and no transaction of its own: every row is read, mapped and
   converted (the per-row work, most of an import's time), and the results wait in a
   temporary file (`prep.Spill`). What converting reads from the database (users,
   stages) is read in a short read of its own and checked again in phase 2.
2. Write, in one transaction: chunk by chunk, the prepared rows are checked against the
   database with indexed `IN (...)` lookups, and what a chunk creates is written before the
   next chunk is looked up, so rows later in the file find those earlier ones as duplicates
   without any in-memory index of the whole file. Every lookup is made here, under the
   write lock, so a record another writer added while the rows were prepared is found too.
   On PostgreSQL that lock is an advisory one that only imports take (`import_lock`):
   others keep writing; a contact someone adds with an email the import is about to
   insert, in the moment between the lookup and the insert of its chunk, makes the import
   fail on the unique email (all or nothing, as ever).

When a row is rejected (and `skip_errors` is off), or on a dry run, the transaction is
rolled back at the end, after every row has been checked, so the user sees every problem at
once.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, tzinfo
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select, text, update
from sqlmodel import Session, SQLModel, col

from tinycrm.db.bulk import RawRows
from tinycrm.errors import Conflict, CrmError, NotFound
from tinycrm.models import Activity, Company, Contact, Deal, ImportBatch, User
from tinycrm.models.activity import refresh_last_activity
from tinycrm.models.base import table_of
from tinycrm.normalize import name_key, normalize_email, search_key
from tinycrm.services import audit
from tinycrm.services.search import SEARCHED, fill_search_keys
from tinycrm.words import plural

if TYPE_CHECKING:
    from tinycrm.services.imports.prep import UserKey

CHUNK = 2000


class OnDuplicate(StrEnum):
    skip = "skip"
    update = "update"
    error = "error"


@dataclass(frozen=True)
class ImportRow:
    """One input row after column mapping: canonical fields, custom fields, raw cells."""

    line: int
    fields: dict[str, str]
    custom: dict[str, Any] = field(default_factory=dict)
    """Text, or a JSON line's value as it was (a number, a list, an object)."""
    problem: str | None = None
    raw: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Rejected:
    line: int
    column: str | None
    reason: str
    raw: dict[str, str]
    use: str | None = None
    """What would have let the row in (`create owners`): each face words the advice."""


@dataclass(frozen=True)
class ImportOptions:
    now: datetime
    currency: str
    region: str
    on_duplicate: OnDuplicate = OnDuplicate.skip
    skip_errors: bool = False
    dry_run: bool = False
    create_owners: bool = False
    actor_id: int | None = None
    stage_map: dict[str, str] = field(default_factory=dict)
    tz: tzinfo = UTC
    """The user's zone: a time in the file without an offset is wall-clock time there, and
    a date without a time is that calendar day there."""
    workday_start: time = time(9)
    """When a due date without a time of day is due."""
    yen: str = ""
    """What `¥` means in an amount (CNY or JPY; "" when nothing says)."""


@dataclass(frozen=True)
class PossibleDuplicate:
    """A row imported as a new record that shares a phone, or a name at one company, with a
    record already there or an earlier row: maybe the same person, to review."""

    line: int
    name: str
    reason: str
    """`phone`, `name+company` or `external_id`."""
    other_name: str
    other_id: int | None = None
    """The contact it resembles (when an earlier row, the id that row was given)."""
    other_line: int | None = None
    """The earlier row of the file it resembles, if it is one."""


MAX_LISTED = 1000
"""Possible duplicates kept for the summary; the rest are only counted."""


@dataclass
class ImportResult:
    noun: str
    source: str
    batch_id: int | None = None
    created: int = 0
    updated: int = 0
    skipped: int = 0
    rejected: int = 0
    also_created: dict[str, int] = field(default_factory=dict)
    """Records made along the way: companies named by contacts, owners (--create-owners)."""
    custom_fields: list[str] = field(default_factory=list)
    written: bool = False
    possible_duplicates: list[PossibleDuplicate] = field(default_factory=list)
    """The first MAX_LISTED of them, in file order."""
    possible_count: int = 0
    phones_as_typed: int = 0
    """Phones kept as written, with no international form (no region, or not valid in it)."""

    def possible(self, pair: PossibleDuplicate) -> None:
        self.possible_count += 1
        if len(self.possible_duplicates) < MAX_LISTED:
            self.possible_duplicates.append(pair)


class RowError(CrmError):
    """A problem with one value of one row; becomes a Rejected with its column."""

    def __init__(self, column: str | None, reason: str, *, use: str | None = None) -> None:
        super().__init__(reason, use=use)
        self.column = column


WHOLE = {"crm_unscoped": True}
"""The import's own bookkeeping (ids, row counts, matching) reads the whole table, beyond
the importing user's read scope: ids must not collide and a match must find the row."""


def chunks(rows: Iterable[ImportRow], size: int = CHUNK) -> Iterator[list[ImportRow]]:
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def written_columns(model: type[SQLModel], *, leaving: Iterable[str] = ()) -> tuple[str, ...]:
    """The columns an import writes into `model`'s table, in table order: every one but those
    `leaving` to their default (other commands keep them: an alert, a lead's drop reason).
    A new record's `version` is always its default, 1."""
    left = {"version", *leaving}
    return tuple(c.name for c in table_of(model).columns if c.name not in left)


KEPT_ON_UPDATE = frozenset(
    {"id", "custom", "import_batch_id", "created_at", "updated_at", "version"}
)
"""Columns an import never overwrites in a record it updates: its id, the import that created
it and when; custom fields are merged and `updated_at` set on their own."""


class BulkWriter:
    """Inserts many rows with explicit ids by `db.bulk.RawRows`: one prepared executemany on
    SQLite (the fast path the design measured); on PostgreSQL COPY, or multi-row VALUES
    where the table has row-level security (which refuses COPY FROM), so a chunk costs a
    round trip or two, never one per row."""

    def __init__(self, session: Session, model: type[SQLModel], columns: Sequence[str]) -> None:
        self.table = table_of(model)
        self.columns = list(columns)
        conn = session.connection()
        copy = conn.dialect.name == "postgresql" and not _row_security(session, self.table.name)
        self.rows = RawRows(conn, self.table, self.columns, copy=copy)
        self.searched = SEARCHED.get(model, ()) if "search_key" in self.columns else ()

    def insert(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        if self.searched:  # what the ORM would have kept, in the same pass
            for row in rows:
                row["search_key"] = search_key(*(row.get(f) for f in self.searched))
        self.insert_values([list(map(row.get, self.columns)) for row in rows])

    def insert_values(self, values: list[list[Any]]) -> None:
        """Rows given as lists of values in `columns` order (changed in place)."""
        self.rows.write(values)


def _row_security(session: Session, table: str) -> bool:
    """Whether PostgreSQL applies row-level security to `table` (the team server's)."""
    query = text("SELECT relrowsecurity FROM pg_class WHERE oid = to_regclass(:t)")
    return bool(session.execute(query, {"t": table}).scalar())


FEW_ROWS = 10_000
"""Below this many rows, a table's secondary indexes are built once after a bulk import."""


@contextmanager
def deferred_indexes(session: Session, model: type[SQLModel], *, keep: set[str]) -> Iterator[None]:
    """On SQLite, when the table starts (nearly) empty, drop the indexes the import never reads
    and build each once at the end: a million-row load spends about a third of its time
    keeping them up to date row by row. SQLite's DDL is transactional, so a rolled-back
    import (rejected rows, --dry-run) leaves them as they were."""
    conn = session.connection()
    table = table_of(model)
    rows = session.execute(select(func.count()).select_from(table).execution_options(**WHOLE))
    rows = rows.scalar_one()
    if conn.dialect.name != "sqlite" or rows > FEW_ROWS:
        yield
        return
    dropped = [
        ix for ix in table.indexes if not ix.unique and not {c.name for c in ix.columns} & keep
    ]
    for index in dropped:
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS {index.name}")
    try:
        yield
    finally:
        for index in dropped:
            index.create(conn)


WRITE_CACHE_KIB = 16_384


@contextmanager
def write_settings(session: Session) -> Iterator[None]:
    """What the write transaction of an import sets for itself.

    On SQLite, a larger page cache (16 MB; SQLite's default is 2 MB): the indexes it keeps
    up to date stay in memory rather than going to and from the WAL file, which shortens
    the write, and so the time the write lock is held, by a tenth.

    On PostgreSQL, every lookup planned for the rows it is given: a plan the server cached
    for an early chunk, when the table was (nearly) empty, scans the whole table, and kept
    for every later chunk it made an import slower with every row (80k contacts took 242 s;
    each lookup read every row written before it)."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")
        yield
        return
    if conn.dialect.name != "sqlite":
        yield
        return
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    conn.exec_driver_sql(f"PRAGMA cache_size = -{WRITE_CACHE_KIB}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size = {int(before or -2000)}")


IMPORT_LOCK = 0x7469_6E79_696D_7074
"""The PostgreSQL advisory lock key imports take (`tinyimpt`): one import at a time."""


def import_lock(session: Session) -> None:
    """Make this import the only one writing until its transaction ends. SQLite's write
    lock does that already; on PostgreSQL a transaction-level advisory lock does, and other
    users' writes to the same tables go on (two imports of the same people at once would
    each miss the other's uncommitted rows and collide on them)."""
    if session.connection().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": IMPORT_LOCK})


class IdAllocator:
    """Ids for new rows of one table, taken as rows are placed. SQLite: after the largest
    id, while this transaction holds the write lock. PostgreSQL: drawn from the table's
    sequence in blocks (nextval, which any login may call), so other users adding rows
    meanwhile get other ids and nothing waits for the import; the sequence, not the
    largest id the importer sees: on the team server row-level security hides other
    people's rows, and their ids must not be taken again. A block drawn and not used is a
    gap, as a rolled-back insert leaves; blocks grow from 16 ids, so an import that adds
    few rows (a re-import, all duplicates) draws few."""

    def __init__(self, session: Session, model: type[SQLModel]) -> None:
        self.session = session
        self.table = table_of(model)
        self.postgres = session.connection().dialect.name == "postgresql"
        self.sequence = f"pg_get_serial_sequence('{self.table.name}', 'id')"
        top = session.execute(select(func.max(self.table.c.id)).execution_options(**WHOLE))
        self.next: int = (top.scalar() or 0) + 1
        self.free: list[int] = []
        """Drawn from the sequence and not taken yet, the smallest last."""
        self.block = 16
        if self.postgres:
            (drawn,) = self._draw(1)
            if drawn < self.next:  # ids were stored past the sequence (a restore, by hand)
                self._draw(self.next - drawn)
            else:
                self.free = [drawn]

    def _draw(self, n: int) -> list[int]:
        query = text(f"SELECT nextval({self.sequence}) FROM generate_series(1, :n)")
        return sorted(self.session.execute(query, {"n": n}).scalars(), reverse=True)

    def take(self) -> int:
        if not self.postgres:
            self.next += 1
            return self.next - 1
        if not self.free:
            self.free = self._draw(self.block)
            self.block = min(self.block * 2, CHUNK)
        return self.free.pop()


def _select_by(
    session: Session, column: Any, keys: Iterable[Any], columns: Sequence[Any]
) -> Iterator[tuple[Any, ...]]:
    """(key, *values of `columns`) of the rows whose `column` is one of `keys`, in id order
    (by key), through the DB-API: compiling an expanding IN for every chunk cost more than
    the index probes themselves. SQLite: IN (…) in parts of 900; PostgreSQL: one = ANY(…)
    with the keys as one array."""
    wanted = sorted({k for k in keys if k})
    if not wanted:
        return
    conn = session.connection()
    raw: Any = conn.connection.driver_connection
    names = ", ".join(c.name for c in columns)
    head = f"SELECT {column.name}, {names} FROM {column.table.name} WHERE {column.name}"
    if conn.dialect.name == "postgresql":
        yield from raw.execute(f"{head} = ANY(%s) ORDER BY id", [wanted])
        return
    for start in range(0, len(wanted), 900):
        part = wanted[start : start + 900]
        yield from raw.execute(f"{head} IN ({','.join('?' * len(part))}) ORDER BY id", part)


def lookup(session: Session, column: Any, keys: Iterable[Any]) -> dict[Any, int]:
    """`{key: id}` for the rows whose `column` is one of `keys` (the first id wins)."""
    found: dict[Any, int] = {}
    for key, row_id in _select_by(session, column, keys, [column.table.c.id]):
        found.setdefault(key, row_id)
    return found


def lookup_rows(
    session: Session, column: Any, keys: Iterable[Any], columns: Sequence[Any]
) -> dict[Any, list[tuple[Any, ...]]]:
    """`{key: [row, …]}` for the rows whose `column` is one of `keys`, in id order, each row
    with the values of `columns` (Core columns of the same table)."""
    found: dict[Any, list[tuple[Any, ...]]] = {}
    for key, *row in _select_by(session, column, keys, columns):
        found.setdefault(key, []).append(tuple(row))
    return found


class Owners:
    """Owners by name or email, as the users were when the import read them; unknown ones are
    a row error unless `create` is on, when they are planned as new reps (a stand-in id below
    zero) and added when the write starts (`settle`)."""

    def __init__(self, users: Iterable[UserKey], *, create: bool, now: datetime) -> None:
        self.create, self.now = create, now
        self.known: dict[str, int] = {}
        for user in users:
            for key in (user.name_key, user.email, *user.name_key.split()):
                if key:
                    self.known.setdefault(key, user.id)
        self.planned: list[str] = []
        """Owners to add, as first written, in the order the file names them."""
        self.real: dict[int, int] = {}
        """Stand-in id -> the id the user was given."""
        self.created = 0

    def resolve(self, text: str | None) -> int | None:
        if not text or not text.strip():
            return None
        key = text.strip().lower() if "@" in text else name_key(text)
        if key in self.known:
            return self.known[key]
        if not self.create:
            raise RowError("owner", f"unknown user {text.strip()!r}", use="create owners")
        return self._plan(text.strip())

    def _plan(self, text: str) -> int:
        email = normalize_email(text) if "@" in text else None
        name = text.split("@")[0] if email else text
        stand_in = -1 - len(self.planned)
        self.planned.append(text)
        self.known[name_key(name)] = stand_in
        if email:
            self.known[email] = stand_in
        return stand_in

    def settle(self, session: Session, rows: Iterable[dict[str, Any]]) -> None:
        """Add the planned owners not added yet, and give `rows` their real ids."""
        for written in self.planned[len(self.real) :]:
            self.real[-1 - len(self.real)] = self._add(session, written)
        for row in rows:
            if (owner := row.get("owner_id")) is not None and owner < 0:
                row["owner_id"] = self.real[owner]

    def _add(self, session: Session, text: str) -> int:
        email = normalize_email(text) if "@" in text else None
        name = text.split("@")[0] if email else text
        user = User(name=name, name_key=name_key(name), email=email, created_at=self.now)
        session.add(user)
        session.flush()
        assert user.id is not None
        self.created += 1
        return user.id


def start_batch(session: Session, *, noun: str, source: str, options: ImportOptions) -> int:
    batch = ImportBatch(noun=noun, source=source, started_at=options.now, actor_id=options.actor_id)
    import_lock(session)
    audit.quiet(session)  # one entry for the batch (`finish`), not one per row
    session.add(batch)
    session.flush()
    assert batch.id is not None
    return batch.id


def finish(session: Session, result: ImportResult, options: ImportOptions) -> ImportResult:
    """Record the counts, then keep or roll back everything."""
    if options.dry_run or (result.rejected and not options.skip_errors):
        session.rollback()
        result.written = False
        result.batch_id = None
        return result
    fill_search_keys(session)  # any row a bulk write left without its key
    batch = session.get(ImportBatch, result.batch_id)
    assert batch is not None
    batch.created, batch.updated = result.created, result.updated
    batch.skipped, batch.rejected = result.skipped, result.rejected
    session.add(batch)
    session.flush()
    counts = {"created": result.created, "updated": result.updated, "skipped": result.skipped}
    counts |= {"rejected": result.rejected, **result.also_created}
    audit.record_batch(
        session, noun=result.noun, batch_id=result.batch_id, counts=counts, note=result.source
    )
    result.written = True
    return result


@dataclass(frozen=True)
class BatchRow:
    id: int
    noun: str
    source: str
    started_at: datetime
    created: int
    updated: int
    skipped: int
    rejected: int
    undone_at: datetime | None


def list_batches(session: Session) -> list[BatchRow]:
    batches = session.exec(select(ImportBatch).order_by(col(ImportBatch.id)))  # type: ignore[call-overload]
    return [
        BatchRow(
            b.id,
            b.noun,
            b.source,
            b.started_at,
            b.created,
            b.updated,
            b.skipped,
            b.rejected,
            b.undone_at,
        )
        for b in batches.scalars()
    ]


_CREATED_BY = (Activity, Deal, Contact, Company)
"""Undo order: what points at others goes first."""


def undo_batch(session: Session, *, batch_id: int, now: datetime) -> dict[str, int]:
    """Delete what an import created (not what it updated); returns counts per table."""
    batch = session.get(ImportBatch, batch_id)
    if batch is None:
        raise NotFound("import", batch_id)
    if batch.undone_at is not None:
        raise Conflict(f"import #{batch_id} was already undone")
    _refuse_if_used(session, batch_id)
    activities = table_of(Activity)
    touched = select(activities.c.deal_id).where(
        activities.c.import_batch_id == batch_id, activities.c.deal_id.is_not(None)
    )
    deal_ids = sorted(set(session.execute(touched).scalars()))
    audit.quiet(session)  # one entry for the undo, below
    counts: dict[str, int] = {}
    for model in _CREATED_BY:
        table = table_of(model)
        result = session.execute(delete(table).where(table.c.import_batch_id == batch_id))
        counts[table.name] = result.rowcount or 0  # type: ignore[attr-defined]
    for start in range(0, len(deal_ids), 10_000):
        session.execute(refresh_last_activity(deal_ids[start : start + 10_000]))
    session.execute(
        update(ImportBatch).where(col(ImportBatch.id) == batch_id).values(undone_at=now)
    )
    changes: dict[str, list[Any]] = {"batch": [batch_id, None]}
    changes |= {table: [n, 0] for table, n in counts.items() if n}
    audit.record(session, object=batch.noun, action="undo import", changes=changes)
    return counts


def _refuse_if_used(session: Session, batch_id: int) -> None:
    """Deals from elsewhere that belong to a company this import created would lose it."""
    created = select(col(Company.id)).where(col(Company.import_batch_id) == batch_id)
    used = session.execute(
        select(func.count())
        .select_from(table_of(Deal))
        .where(
            col(Deal.import_batch_id).is_(None) | (Deal.import_batch_id != batch_id),
            col(Deal.company_id).in_(created),
        )
    ).scalar_one()
    if used:
        raise Conflict(
            f"{plural(used, 'deal')} added since belong to companies "
            f"import #{batch_id} created; delete or move them first"
        )
