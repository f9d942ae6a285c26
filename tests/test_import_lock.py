"""An import holds the write lock only while it writes: other writers (cron's `crm remind`,
the app, another command) go on while its rows are read and converted, what they add
meanwhile is still seen by the import, and the import stays all or nothing.

The import is paused deterministically in its progress callback, which phase 1 calls after
each chunk of rows it has prepared; the other writer there waits at most half a second."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import DatabaseError as SQLAlchemyDatabaseError
from sqlmodel import col, func, select

from tests.conftest import NOW, pg_only
from tests.test_import_services import rows
from tinycrm.config import load_settings
from tinycrm.db import plain_sql, store
from tinycrm.db.store import Database, open_database, session_scope
from tinycrm.errors import CrmError
from tinycrm.models import Company, Contact, ContactCreate, Deal, ImportBatch, User, UserCreate
from tinycrm.services import contacts, imports, stages, users
from tinycrm.services.imports import ImportOptions, ImportRow, OnDuplicate
from tinycrm.services.imports import people as import_people
from tinycrm.services.imports.deals import import_deals
from tinycrm.services.imports.people import import_contacts

PEOPLE = rows(
    {"name": "Ann Lee", "email": "ann@acme.example", "company": "Acme"},
    {"name": "Bob Ray", "email": "bob@acme.example", "owner": "Ana Ruiz"},
    {"name": "Cy Dunn", "email": "cy@acme.example", "company": "Acme"},
)


@pytest.fixture
def other(db: Database, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    """The same database as another process opens it, waiting at most half a second for a
    lock (SQLite's busy timeout; PostgreSQL's lock_timeout)."""
    monkeypatch.setattr(store, "BUSY_TIMEOUT_MS", 500)
    monkeypatch.setenv("PGOPTIONS", "-c lock_timeout=500")
    database = open_database(load_settings(database_url=db_url, currency="EUR"))
    yield database
    database.engine.dispose()


def meanwhile(action: Callable[[], None]) -> Callable[[int], None]:
    """A progress callback that runs `action` once, the first time it is called."""
    calls: list[int] = []

    def progress(n: int) -> None:
        if not calls:
            action()
        calls.append(n)

    return progress


def run(
    db: Database,
    data: list[ImportRow],
    progress: Callable[[int], None] | None = None,
    importer: Any = import_contacts,
    **kw: Any,
) -> Any:
    options = ImportOptions(now=NOW, currency="EUR", region="FR", **kw)
    with session_scope(db, write=True) as s:
        return importer(s, rows=data, source="t.csv", options=options, progress=progress)


def add_contact(db: Database, email: str) -> Callable[[], None]:
    def action() -> None:
        with session_scope(db, write=True) as s:
            data = ContactCreate(name="Added Meanwhile", email=email)
            contacts.create_contact(s, data=data, region="FR", now=NOW)

    return action


def add_user(db: Database, name: str) -> Callable[[], None]:
    def action() -> None:
        with session_scope(db, write=True) as s:
            users.create_user(s, data=UserCreate(name=name), currency="EUR", now=NOW)

    return action


def count(db: Database, model: type) -> int:
    with session_scope(db, write=False) as s:
        return s.exec(select(func.count()).select_from(model)).one()


def emails(db: Database) -> list[str | None]:
    with session_scope(db, write=False) as s:
        return list(s.exec(select(Contact.email).order_by(col(Contact.id))))


def test_another_writer_goes_on_while_the_rows_are_prepared(db: Database, other: Database) -> None:
    result, rejected = run(
        db, PEOPLE, meanwhile(add_contact(other, "dora@else.example")), create_owners=True
    )
    assert (result.created, result.written, rejected) == (3, True, [])
    assert emails(db) == [
        "dora@else.example",
        "ann@acme.example",
        "bob@acme.example",
        "cy@acme.example",
    ]


@pytest.mark.parametrize(
    ("policy", "created", "skipped", "reasons"),
    [
        (OnDuplicate.skip, 2, 1, []),
        (OnDuplicate.error, 2, 0, [(3, "email", "duplicate of contact #1")]),
    ],
)
def test_a_contact_added_while_the_rows_are_prepared_is_a_duplicate(
    db: Database,
    other: Database,
    policy: OnDuplicate,
    created: int,
    skipped: int,
    reasons: list[tuple[int, str, str]],
) -> None:
    result, rejected = run(
        db,
        PEOPLE,
        meanwhile(add_contact(other, "BOB@acme.example")),
        on_duplicate=policy,
        create_owners=True,
    )
    assert (result.created, result.skipped) == (created, skipped)
    assert [(r.line, r.column, r.reason) for r in rejected] == reasons
    assert emails(db) == (
        ["bob@acme.example", "ann@acme.example", "cy@acme.example"]
        if policy is OnDuplicate.skip
        else ["bob@acme.example"]  # a rejected row: nothing of the import is kept
    )


def test_a_company_added_while_the_rows_are_prepared_is_used(db: Database, other: Database) -> None:
    def add_company() -> None:
        with session_scope(other, write=True) as s:
            s.add(Company(name="ACME", name_key="acme", created_at=NOW, updated_at=NOW))

    result, _ = run(db, PEOPLE, meanwhile(add_company), create_owners=True)
    assert (result.created, result.also_created["companies"], count(db, Company)) == (3, 0, 1)


def test_an_owner_added_while_the_rows_are_prepared_is_known(db: Database, other: Database) -> None:
    """The users the rows were converted against changed: the rows are converted again."""
    result, rejected = run(db, PEOPLE, meanwhile(add_user(other, "Ana Ruiz")))
    assert (result.created, rejected) == (3, [])
    with session_scope(db, write=False) as s:
        bob = s.exec(select(Contact).where(Contact.email == "bob@acme.example")).one()
        ana = s.exec(select(User).where(User.name == "Ana Ruiz")).one()
    assert bob.owner_id == ana.id


def test_an_owner_to_create_that_another_writer_added_is_not_added_twice(
    db: Database, other: Database
) -> None:
    result, rejected = run(db, PEOPLE, meanwhile(add_user(other, "Ana Ruiz")), create_owners=True)
    assert (result.created, result.also_created["users"], rejected) == (3, 0, [])
    assert count(db, User) == 1


def test_owners_to_create_are_added_once_each_in_the_order_named(db: Database) -> None:
    data = rows(
        {"name": "A", "owner": "zed@shop.example"},
        {"name": "B", "owner": "Yan Ho"},
        {"name": "C", "owner": "zed"},  # the user the first row made, by name
    )
    result, _ = run(db, data, create_owners=True)
    assert result.also_created["users"] == 2
    with session_scope(db, write=False) as s:
        made = s.exec(select(User.name, User.id).order_by(col(User.id))).all()
        owners = s.exec(select(Contact.owner_id).order_by(col(Contact.id))).all()
    assert [tuple(m) for m in made] == [("zed", 1), ("Yan Ho", 2)]
    assert list(owners) == [1, 2, 1]


def test_a_stage_added_while_deal_rows_are_prepared_is_known(db: Database, other: Database) -> None:
    def add_stage() -> None:
        with session_scope(other, write=True) as s:
            stages.add_stage(s, name="Demo", probability=40, before="qualified")

    data = rows({"title": "Pilot", "stage": "demo"}, {"title": "Renewal", "stage": "lead"})
    result, rejected = run(db, data, meanwhile(add_stage), importer=import_deals)
    assert (result.created, rejected) == (2, [])
    with session_scope(db, write=False) as s:
        titles = s.exec(select(Deal.title).order_by(col(Deal.id))).all()
    assert list(titles) == ["Pilot", "Renewal"]


def small_chunks(monkeypatch: pytest.MonkeyPatch, size: int = 2) -> None:
    def chunked(data: Iterable[ImportRow]) -> Iterator[list[ImportRow]]:
        return imports.chunks(data, size)

    monkeypatch.setattr(import_people, "chunks", chunked)


def test_rejects_keep_their_order_chunk_by_chunk(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Per chunk, the rows that cannot be read come first, then the duplicates: as when
    each chunk was converted and placed in turn."""
    run(db, rows({"name": "Old", "email": "old@x.example"}))
    small_chunks(monkeypatch)
    dup, bad = {"name": "Dup", "email": "old@x.example"}, {"name": "Bad", "status": "??"}
    result, rejected = run(
        db, rows(dup, bad, dup, bad, {"name": "Fine"}), on_duplicate=OnDuplicate.error
    )
    assert [r.line for r in rejected] == [3, 2, 5, 4]
    assert (result.rejected, result.created, result.written) == (4, 1, False)


def test_a_failure_while_writing_leaves_nothing(
    db: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    small_chunks(monkeypatch)
    inserts = []
    insert = imports.BulkWriter.insert

    def failing(self: imports.BulkWriter, values: list[dict[str, Any]]) -> None:
        if self.table.name == "contacts" and values:
            inserts.append(len(values))
            if len(inserts) == 2:
                raise RuntimeError("power cut")
        insert(self, values)

    monkeypatch.setattr(imports.BulkWriter, "insert", failing)
    data = rows(
        *({"name": f"P{i}", "email": f"p{i}@x.example", "company": "Acme"} for i in range(5))
    )
    with pytest.raises(RuntimeError, match="power cut"):
        run(db, data)
    assert inserts == [2, 2]  # the first chunk was written, then the write failed
    assert [count(db, m) for m in (Contact, Company, ImportBatch)] == [0, 0, 0]
    if db.sqlite_path is not None:
        with sqlite3.connect(db.sqlite_path) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    monkeypatch.setattr(imports.BulkWriter, "insert", insert)
    result, _ = run(db, data)
    assert (result.created, count(db, Contact)) == (5, 5)


def test_a_failure_while_reading_takes_no_lock_and_writes_nothing(
    db: Database, other: Database
) -> None:
    def broken() -> Iterator[ImportRow]:
        yield from rows({"name": "Ann"})
        with session_scope(other, write=True) as s:  # the lock is free while reading
            s.add(User(name="Ana Ruiz", name_key="ana ruiz", created_at=NOW))
        raise ValueError("bad bytes")

    with pytest.raises(ValueError, match="bad bytes"):
        options = ImportOptions(now=NOW, currency="EUR", region="FR")
        with session_scope(db, write=True) as s:
            import_contacts(s, rows=broken(), source="t.csv", options=options)
    assert [count(db, m) for m in (Contact, ImportBatch, User)] == [0, 0, 1]


def test_the_prepared_rows_leave_no_file_behind(
    db: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    spill = tmp_path / "spill"
    spill.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(spill))
    seen: list[list[Path]] = []
    result, _ = run(db, PEOPLE, meanwhile(lambda: seen.append(list(spill.iterdir()))))
    assert result.created == 2  # Bob's owner is unknown: rejected
    assert seen == [[]] and list(spill.iterdir()) == []  # no name a kill -9 could leave


def test_cron_waits_for_the_write_lock_as_long_as_every_other_connection(
    tmp_path: Path,
) -> None:
    """`crm remind` (plain sqlite3) waits as long as the engine's connections: 30 s, well
    over an import's write."""
    path = tmp_path / "crm.db"
    db = open_database(load_settings(database_url=f"sqlite:///{path}"))
    sql = plain_sql.open_sqlite(path)
    assert sql is not None
    try:
        (waits,) = sql.conn.execute("PRAGMA busy_timeout").fetchone()
        with db.engine.connect() as conn:
            engine_waits = conn.exec_driver_sql("PRAGMA busy_timeout").scalar()
    finally:
        sql.conn.close()
        db.engine.dispose()
    assert waits == engine_waits == 30_000


def deal_titles(db: Database) -> list[tuple[str, int | None]]:
    with session_scope(db, write=False) as s:
        query = select(Deal.title, Deal.company_id).order_by(col(Deal.id))
        return [(title, company) for title, company in s.exec(query)]


def test_deals_are_the_same_by_title_at_one_company_or_at_none(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    small_chunks(monkeypatch)  # later chunks find the deals earlier ones wrote
    data = rows(
        {"title": "Renewal", "company": "Acme"},
        {"title": "Renewal", "company": "Globex"},  # another company: another deal
        {"title": "Solo"},
        {"title": "Renewal", "company": "acme"},  # the first again
        {"title": "Solo"},  # the third again
    )
    result, _ = run(db, data, importer=import_deals)
    assert (result.created, result.skipped) == (3, 2)
    again, _ = run(db, data, importer=import_deals)
    assert (again.created, again.skipped) == (0, 5)
    assert deal_titles(db) == [("Renewal", 1), ("Renewal", 2), ("Solo", None)]


def test_deals_naming_one_new_contact_in_several_ways_make_one(db: Database) -> None:
    data = rows(
        {"title": "A", "contact": "New@Shop.example"},
        {"title": "B", "contact": "new@shop.example "},
        {"title": "C", "contact": "Nobody Known"},  # by name: none, and none is made
    )
    result, rejected = run(db, data, importer=import_deals)
    assert (result.created, result.also_created["contacts"], rejected) == (3, 1, [])
    with session_scope(db, write=False) as s:
        linked = s.exec(select(Deal.contact_id).order_by(col(Deal.id))).all()
    assert list(linked) == [1, 1, None]


def test_no_room_for_the_prepared_rows_is_one_line_and_nothing_imported(
    db: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "gone"))
    with pytest.raises(CrmError) as caught:
        run(db, PEOPLE, create_owners=True)
    assert caught.value.message == (
        f"cannot keep the rows being imported in {tmp_path / 'gone'}: No such file or "
        "directory; nothing was imported (set TMPDIR to a folder with room)"
    )
    assert [count(db, m) for m in (Contact, ImportBatch)] == [0, 0]


@pg_only
def test_on_postgresql_others_write_contacts_while_an_import_writes_its_own(
    db: Database, other: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another user's contact goes in at once (lock_timeout 0.5 s) while an import holds its
    write transaction, between two of its chunks; neither takes the other's id."""
    many = rows(*({"name": f"P {n}", "email": f"p{n}@big.example"} for n in range(5000)))
    waited: list[float] = []
    written = import_people.ContactImport.written

    def chunk_written(job: Any, pending: Any) -> None:
        written(job, pending)
        if not waited:
            started = time.perf_counter()
            add_contact(other, "dora@else.example")()
            waited.append(time.perf_counter() - started)

    monkeypatch.setattr(import_people.ContactImport, "written", chunk_written)
    result, rejected = run(db, many)
    assert (result.created, result.written, rejected) == (5000, True, [])
    assert len(waited) == 1 and waited[0] < 0.5
    assert count(db, Contact) == 5001
    with session_scope(db, write=False) as s:
        ids = s.exec(select(Contact.id, Contact.email).order_by(col(Contact.id))).all()
    assert len({i for i, _ in ids}) == 5001
    assert [e for _, e in ids if not (e or "").endswith("@big.example")] == ["dora@else.example"]


@pg_only
def test_on_postgresql_a_deadlock_is_named_a_deadlock(db: Database, db_url: str) -> None:
    """Two transactions that each wait for a row the other updated: PostgreSQL ends one of
    them, and its error says deadlock (its own words speak of being "blocked by" a process,
    which once read as "database is locked")."""
    with session_scope(db, write=True) as s:
        for name in ("A", "B"):
            contacts.create_contact(s, data=ContactCreate(name=name), region="FR", now=NOW)
    second = create_engine(db_url)
    raise_in: list[BaseException] = []
    sql = "UPDATE contacts SET notes = 'x' WHERE full_name = '{}'"
    with db.engine.connect() as one, second.connect() as two:
        one.exec_driver_sql(sql.format("A"))
        two.exec_driver_sql(sql.format("B"))

        def crosses() -> None:
            try:
                two.exec_driver_sql(sql.format("A"))
            except SQLAlchemyDatabaseError as exc:
                raise_in.append(exc)

        waiter = threading.Thread(target=crosses)
        waiter.start()
        time.sleep(0.3)
        try:
            one.exec_driver_sql(sql.format("B"))
        except SQLAlchemyDatabaseError as exc:
            raise_in.append(exc)
        one.rollback()
        waiter.join()
        two.rollback()
    second.dispose()
    assert len(raise_in) == 1
    assert isinstance(raise_in[0], SQLAlchemyDatabaseError)
    message = store._operational_error(db, raise_in[0]).message
    assert message.startswith("deadlock with another transaction on ")
    assert message.endswith(": nothing was changed; run it again")
