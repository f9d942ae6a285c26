"""`crm backup` and `crm restore`: the whole database through one archive, from SQLite to
PostgreSQL and back, with every report the same; a consistent snapshot while others write;
and nothing written where it should not be (a database with data, a damaged archive, a
symbolic link at the output)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import stat
import threading
import zipfile
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, create_engine, func, insert, inspect, select, text
from sqlmodel import SQLModel

import tinycrm.models  # noqa: F401  (every table on the metadata)
from tests.clihelp import Crm, Ran
from tests.conftest import BACKENDS, PG_URL, reset_pg
from tinycrm.cli import app
from tinycrm.config import load_settings
from tinycrm.db.revision import HEAD_REVISION
from tinycrm.db.store import open_database
from tinycrm.services.backup.archive import Member
from tinycrm.services.backup.dump import backup_database

NOW = "2026-11-23T09:30:00+00:00"
NOW_AT = datetime.fromisoformat(NOW)
STAMP = "20261123T093000Z"

REPORTS = [
    ("report", "funnel"),
    ("report", "conversion"),
    ("report", "performance"),
    ("report", "forecast"),
    ("report", "pipeline"),
    ("report", "receivables"),
    ("report", "campaigns"),
    ("report", "segments", "--by", "abc"),
    ("report", "segments", "--by", "rfm"),
    ("report", "retention"),
    ("report", "service"),
    ("deal", "list", "--status", "all"),
    ("deal", "show", "1"),
    ("contact", "list"),
    ("contact", "list", "--segment", "Ünïcode people"),
    ("contact", "show", "1"),
    ("contact", "segments"),
    ("company", "list"),
    ("activity", "list"),
    ("lead", "list"),
    ("order", "list"),
    ("payment", "list"),
    ("ticket", "list"),
    ("ticket", "show", "1"),
    ("campaign", "list"),
    ("user", "list"),
    ("stage", "list"),
    ("import", "list"),
    ("kb", "list"),
    ("kb", "search", "Ångström"),
    ("agenda",),
]
"""Everything compared between the original and each restored copy, as JSON."""
SEARCH = "kb search Ångström"
TABLES = SQLModel.metadata.tables

CONTACTS_CSV = (
    "First Name,Last Name,Email,Phone,Company,Lifecycle Stage,Shoe Size,Notes\n"
    'Zoë,Ångström,zoe@ex.example,+1 415 555 0100,Ünïcode GmbH,customer,42,"line one\n'
    'line two ☃ \u2028 tab\tend"\n'
    "李,伟,li@ex.example,,北京科技,lead,,👩‍💻 emoji and עברית\n"
    "Renée,O'Brien,renee@ex.example,,Ünïcode GmbH,prospect,39,\n"
)
DEALS_CSV = (
    "title,amount,currency,company,contact,stage,status,close date\n"
    "Big one,9999999999999.99,EUR,Ünïcode GmbH,zoe@ex.example,negotiation,open,2026-12-15\n"
    "Small,12.34,EUR,北京科技,li@ex.example,won,won,2026-11-01\n"
)


class Site:
    """`crm` run against one database (a URL), the way a user would."""

    def __init__(self, url: str, monkeypatch: pytest.MonkeyPatch) -> None:
        self.url = url
        self.monkeypatch = monkeypatch
        self.crm = Crm()

    def __call__(self, *args: str, ok: bool = True) -> Ran:
        self.monkeypatch.setenv("CRM_DATABASE_URL", self.url)
        return self.crm(*args, ok=ok)

    def raw(self, *args: str, input: bytes | None = None) -> Any:
        """The click Result, for bytes in and out."""
        self.monkeypatch.setenv("CRM_DATABASE_URL", self.url)
        return self.crm.runner.invoke(app, list(args), input=input)

    def views(self) -> dict[str, str]:
        return {" ".join(c): self(*c, "--format", "json", ok=False).out for c in REPORTS}


FILLED_VIEWS: dict[str, str] = {}
"""The views of the filled database (a SQLite file), seen once."""


def assert_same_views(other: Site, *, teamless: bool = False) -> None:
    """Every view of `other` is the filled database's, byte for byte; full-text search
    finds the same articles (SQLite's index and PostgreSQL's search word their snippets
    differently). `teamless`: `other` came from a backup older than teams and versions, so
    its users are in none and its records start again at version 1."""
    first, second = dict(FILLED_VIEWS), other.views()
    if teamless:
        for views in (first, second):
            users = json.loads(views["user list"])
            views["user list"] = json.dumps([{**u, "team": None} for u in users])
            for key in [k for k in views if k.endswith(" show 1")]:
                shown = json.loads(views[key])
                if isinstance(shown, dict):
                    shown.pop("version", None)
                    views[key] = json.dumps(shown, ensure_ascii=False)
    if not other.url.startswith("sqlite"):
        found = [[hit["id"] for hit in json.loads(v.pop(SEARCH))] for v in (first, second)]
        assert found[0] == found[1] == [5]
    assert first == second


ENV = {"CRM_NOW": NOW, "CRM_CURRENCY": "EUR", "CRM_PHONE_REGION": "US"}


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    for var, value in ENV.items():
        monkeypatch.setenv(var, value)


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], Site]:
    return lambda name: Site(f"sqlite:///{tmp_path / name}", monkeypatch)


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file made once for the module by `fill`, which each test copies."""
    where = tmp_path_factory.mktemp("filled")
    with pytest.MonkeyPatch.context() as env:
        for var in ("CRM_DB", "CRM_USER", "CRM_CONFIG", "LC_ALL", "LC_CTYPE", "NO_COLOR"):
            env.delenv(var, raising=False)
        for var, value in {**ENV, "CRM_HOME": str(where / "home"), "CRM_TIMEZONE": "UTC",
                           "LANG": "C.UTF-8", "COLUMNS": "200"}.items():  # fmt: skip
            env.setenv(var, value)
        made = Site(f"sqlite:///{where / 'filled.db'}", env)
        fill(made, where)
        FILLED_VIEWS.update(made.views())
        (where / "filled.zip").write_bytes(made.raw("backup", "-o", "-").stdout_bytes)
    assert all(FILLED_VIEWS.values())
    return where / "filled.db"


@pytest.fixture
def archive(filled: Path) -> bytes:
    """A backup of the filled database."""
    return filled.with_suffix(".zip").read_bytes()


@pytest.fixture
def source(filled: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Site:
    """A copy of the filled database."""
    shutil.copyfile(filled, tmp_path / "source.db")
    return Site(f"sqlite:///{tmp_path / 'source.db'}", monkeypatch)


@pytest.fixture
def target(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Site:
    """An empty database on each backend (a SQLite file not made yet; a schema without tables)."""
    return Site(db_url, monkeypatch)


def fill(crm: Site, tmp_path: Path) -> None:
    """The demo, imports of odd text and money, and a little of everything else: reminders
    delivered, a lead claimed, a saved segment, an article, a ticket comment."""
    crm("demo")
    (tmp_path / "c.csv").write_text(CONTACTS_CSV, encoding="utf-8")
    (tmp_path / "d.csv").write_text(DEALS_CSV, encoding="utf-8")
    crm("import", "contacts", str(tmp_path / "c.csv"))
    crm("import", "deals", str(tmp_path / "d.csv"))
    crm("remind")
    crm("--as", "Daniel Okafor", "lead", "claim", "li@ex.example")
    crm("contact", "list", "--company", "Ünïcode GmbH", "--save-segment", "Ünïcode people")
    crm("kb", "add", "Ångström units", "--body", "Convert: 1 Å = 0.1 nm — 😀\nsecond line")
    crm("ticket", "comment", "1", "Called back; 顧客 is happy")


def members(archive: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def manifest(archive: bytes) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(members(archive)["manifest.json"])
    return loaded


def counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in SQLModel.metadata.sorted_tables
            }
    finally:
        engine.dispose()


def table_names(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return set(inspect(conn).get_table_names())
    finally:
        engine.dispose()


def sqlite_path(site: Site) -> Path:
    return Path(site.url.removeprefix("sqlite:///"))


# --- the move: SQLite → (SQLite | PostgreSQL) → SQLite, every view the same -----------------


def test_sqlite_to_server_and_back_gives_the_same_reports(
    site: Callable[[str], Site], target: Site, tmp_path: Path, source: Site
) -> None:
    back = site("back.db")
    first = source.raw("backup", "-o", "-")
    assert first.exit_code == 0, first.stderr
    assert (
        "backed up" in first.stderr
        and f"(schema {HEAD_REVISION}) to standard output" in first.stderr
    )
    (tmp_path / "first.zip").write_bytes(first.stdout_bytes)

    restored = target("restore", str(tmp_path / "first.zip"))
    assert restored.out.startswith("restored ") and "backup of 2026-11-23 09:30 UTC" in restored.out
    target("backup", "-o", str(tmp_path / "second.zip"))
    back("restore", str(tmp_path / "second.zip"))

    assert_same_views(target)
    assert_same_views(back)
    second = (tmp_path / "second.zip").read_bytes()
    log = "tables/audit_log.jsonl"
    tables = {k: v for k, v in members(first.stdout_bytes).items() if k != "manifest.json"}
    again = {k: v for k, v in members(second).items() if k != "manifest.json"}
    # Each restore appends one entry to the audit log; every other row comes back as it was.
    assert again.pop(log).startswith(tables.pop(log))
    assert tables == again
    logged = counts(source.url).pop("audit_log")
    restored_counts = [counts(url) for url in (source.url, target.url, back.url)]
    assert [c.pop("audit_log") for c in restored_counts] == [logged, logged + 1, logged + 2]
    assert restored_counts[0] == restored_counts[1] == restored_counts[2]


def test_a_restored_database_goes_on_with_new_ids_and_its_own_schema(
    target: Site, tmp_path: Path, source: Site
) -> None:
    source("backup", "-o", str(tmp_path / "b.zip"))
    target("init")
    fresh = schema(target.url)
    _drop(target)
    target("restore", str(tmp_path / "b.zip"))
    # Indexes, constraints and triggers are those a new database has, ids go on from the last.
    assert schema(target.url) == fresh
    assert target("contact", "add", "New Person").out == "contact #34 added: New Person\n"
    assert target("deal", "add", "New deal", "--amount", "10").out.startswith("deal #28 added")


def _drop(site: Site) -> None:
    if site.url.startswith("sqlite"):
        sqlite_path(site).unlink()
    else:
        reset_pg(site.url)


def schema(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                rows = conn.exec_driver_sql(
                    "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL"
                )
            else:
                rows = conn.exec_driver_sql(
                    "SELECT 'index', indexname, indexdef FROM pg_indexes "
                    "WHERE schemaname = 'public' UNION ALL "
                    "SELECT 'constraint', conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE connamespace = 'public'::regnamespace"
                )
            # Alembic's batch mode writes a rebuilt table's constraints in no fixed order.
            return sorted(
                " ".join(" ".join(sorted(line.strip(" ,") for line in str(v).splitlines())).split())
                for row in rows
                for v in row
            )
    finally:
        engine.dispose()


# --- what a backup holds ---------------------------------------------------------------------


def test_a_backup_holds_every_table_of_the_schema_and_nothing_derived(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: Site
) -> None:
    engine = create_engine(source.url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE my_notes (id INTEGER PRIMARY KEY, body TEXT)")
    engine.dispose()
    monkeypatch.chdir(tmp_path)
    ran = source("backup")
    assert ran.err.endswith("left out tables not tinycrm's: my_notes\n")
    archive = (tmp_path / f"crm-backup-{STAMP}.zip").read_bytes()
    listed = manifest(archive)
    assert {t["name"] for t in listed["tables"]} == {
        t.name for t in SQLModel.metadata.sorted_tables
    }
    assert not {"alembic_version", "kb_fts", "kb_fts_data", "my_notes"} & {
        t["name"] for t in listed["tables"]
    }
    assert listed["schema_revision"] == HEAD_REVISION
    assert listed["taken_at"] == "2026-11-23T09:30:00.000000+00:00"
    assert listed["left_out"] == ["my_notes"]
    assert {t["name"]: t["rows"] for t in listed["tables"]} == counts(source.url)
    deals = next(t for t in listed["tables"] if t["name"] == "deals")
    assert deals["columns"]["created_at"] == "datetime" and deals["columns"]["custom"] == "json"
    assert (
        deals["columns"]["amount_minor"] == "int" and deals["columns"]["expected_close"] == "date"
    )


def test_values_round_trip_exactly(db_url: str, tmp_path: Path) -> None:
    """Odd values written straight into a database come back the same after a backup and a
    restore on each backend, and the second backup is the first, byte for byte."""
    source = open_database(load_settings(db_path=str(tmp_path / "odd.db")))
    odd_texts = ["", " ", "Zoë 李伟 👩‍💻", "a\nb\r\nc\u2028d\u0301", "\\\"'", "x" * 5000]
    with source.engine.begin() as conn:
        conn.execute(insert(TABLES["contacts"]), [
            {"id": i + 1, "full_name": t[:400], "name_key": t[:400], "first_name": t[:200] or None,
             "notes": t,
             "custom": {"k": t, "n": [1, 2.5, None, True], "deep": {"é": {}}},
             "created_at": datetime(2026, 1, 1, 0, 0, 0, i, tzinfo=UTC),
             "updated_at": datetime(1970 + i, 12, 31, 23, 59, 59, tzinfo=UTC),
             "status": "lead"}
            for i, t in enumerate(odd_texts)
        ])  # fmt: skip
        conn.execute(insert(TABLES["deals"]), [
            {"id": 7, "title": "big", "amount_minor": 2**62 + 1, "currency": "EUR", "stage_id": 1,
             "status": "open", "custom": {}, "created_at": datetime(2026, 2, 3, tzinfo=UTC),
             "updated_at": datetime(2026, 2, 3, 4, 5, 6, 7, tzinfo=UTC),
             "expected_close": date(2026, 2, 28), "alerted_overdue": True, "contact_id": 3},
            {"id": 9, "title": "small", "amount_minor": -1, "currency": "JPY", "stage_id": 6,
             "status": "lost", "custom": {"x": None}, "created_at": datetime(1, 1, 1, tzinfo=UTC),
             "updated_at": datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
             "expected_close": None, "alerted_overdue": False, "contact_id": None},
        ])  # fmt: skip
    first = io.BytesIO()
    backup_database(source.engine, first, now=datetime(2026, 11, 23, tzinfo=UTC))
    (tmp_path / "odd.zip").write_bytes(first.getvalue())
    rows = _rows(source.engine)
    source.engine.dispose()

    from tinycrm.db.store import Database, make_engine
    from tinycrm.services.backup.restore import restore_backup

    settings = load_settings(database_url=db_url)
    db = Database(engine=make_engine(db_url), settings=settings)
    with (tmp_path / "odd.zip").open("rb") as archive:
        restore_backup(db, archive, name="odd.zip")
    second = io.BytesIO()
    backup_database(db.engine, second, now=datetime(2026, 11, 23, tzinfo=UTC))
    assert _rows(db.engine) == rows
    db.engine.dispose()
    again, before = members(second.getvalue()), members(first.getvalue())
    again["manifest.json"] = again["manifest.json"].replace(b'"postgresql"', b'"sqlite"')
    # The restore appended its one audit entry; everything else is the first backup's.
    assert without_log(again) == without_log(before)
    assert rows["deals"][0][0:2] == ("big", 2**62 + 1)


def without_log(parts: dict[str, bytes]) -> dict[str, Any]:
    """An archive's members but the audit log, which each restore appends to."""
    kept: dict[str, Any] = {k: v for k, v in parts.items() if "audit_log" not in k}
    manifest = json.loads(kept.pop("manifest.json"))
    manifest["tables"] = [t for t in manifest["tables"] if t["name"] != "audit_log"]
    return {**kept, "manifest.json": manifest}


def _rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {
            name: [tuple(row) for row in conn.execute(select(TABLES[name]).order_by(text("id")))]
            for name in ("contacts", "deals")
        }


# --- a consistent snapshot while others write ------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_backup_is_one_snapshot_while_another_connection_writes(
    backend: str, tmp_path: Path
) -> None:
    url = _empty(backend, tmp_path)
    db = open_database(load_settings(database_url=url))
    _seed(db.engine, 40)
    before = counts(url)
    writer = _Writer(create_engine(url))
    writer.start()
    seen: list[Member] = []

    def after_each_table(member: Member) -> None:
        seen.append(member)
        writer.wait_for_more()  # someone commits between any two tables of the backup

    try:
        out = io.BytesIO()
        backup_database(db.engine, out, now=datetime.now(UTC), on_table=after_each_table)
    finally:
        writer.stop()
    db.engine.dispose()
    assert writer.done >= len(seen) > 10
    assert {t["name"]: t["rows"] for t in manifest(out.getvalue())["tables"]} == before
    after = counts(url)
    assert after["deals"] == before["deals"] + writer.done
    assert after["stage_changes"] == before["stage_changes"] + writer.done


def _empty(backend: str, tmp_path: Path) -> str:
    if backend == "pg":
        reset_pg(PG_URL)
        return PG_URL
    return f"sqlite:///{tmp_path / 'live.db'}"


def _seed(engine: Engine, n: int) -> None:
    """n contacts, each with a deal and its first stage change; ids from the database."""
    with engine.begin() as conn:
        for i in range(n):
            _deal(conn, contact=_insert(conn, "contacts", **CONTACT, full_name=f"P{i}"))


CONTACT = {"name_key": "p", "status": "lead", "custom": {}, "created_at": NOW_AT,
           "updated_at": NOW_AT}  # fmt: skip


def _insert(conn: Connection, table: str, **values: Any) -> Any:
    key = conn.execute(insert(TABLES[table]).values(**values)).inserted_primary_key
    assert key is not None
    return key[0]


def _deal(conn: Connection, *, contact: int | None = None) -> None:
    deal = _insert(conn, "deals", title="live", amount_minor=1, currency="EUR", stage_id=1,
                   status="open", contact_id=contact, custom={}, created_at=NOW_AT,
                   updated_at=NOW_AT)  # fmt: skip
    _insert(conn, "stage_changes", deal_id=deal, to_stage_id=1, changed_at=NOW_AT)


class _Writer(threading.Thread):
    """Commits a deal and its first stage change, again and again, on its own connection."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(daemon=True)
        self.engine = engine
        self.done = 0
        self.more = threading.Condition()
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            with self.engine.begin() as conn:
                _deal(conn)
            with self.more:
                self.done += 1
                self.more.notify_all()

    def wait_for_more(self) -> None:
        with self.more:
            goal = self.done + 1
            assert self.more.wait_for(lambda: self.done >= goal, timeout=10)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=10)
        self.engine.dispose()


# --- refusals that change nothing ------------------------------------------------------------


def test_restore_into_a_database_with_data_is_refused_and_changes_nothing(
    target: Site, tmp_path: Path, archive: bytes
) -> None:
    (tmp_path / "b.zip").write_bytes(archive)
    target("init")
    target("user", "add", "Only Me")
    target("stage", "add", "demo booked", "--probability", "30")
    before = target.raw("backup", "-o", "-").stdout_bytes
    refused = target("restore", str(tmp_path / "b.zip"), ok=False)
    assert (refused.code, refused.out) == (3, "")
    assert refused.err == (
        "crm: error: the database already holds data (7 stages, 1 audit_log, 1 user): "
        "restore into an empty one\n"
    )
    assert target.raw("backup", "-o", "-").stdout_bytes == before


def test_restore_takes_a_database_crm_init_made_but_not_one_with_other_stages(
    site: Callable[[str], Site], target: Site, tmp_path: Path, source: Site
) -> None:
    source("backup", "-o", str(tmp_path / "b.zip"))
    target("init")
    target("restore", str(tmp_path / "b.zip"))
    restored, before = counts(target.url), counts(source.url)
    assert restored.pop("audit_log") == before.pop("audit_log") + 1  # the restore's entry
    assert restored == before

    other = site("other.db")
    other("init")
    other("stage", "add", "demo booked", "--probability", "30")
    refused = other("restore", str(tmp_path / "b.zip"), ok=False)
    assert refused.code == 3 and refused.err.startswith(
        "crm: error: the database already holds data (7 stages)"
    )


def _damage(name: str, archive: bytes) -> bytes:
    """The archive, damaged one way."""
    parts = members(archive)
    listed = json.loads(parts["manifest.json"])
    if name == "garbage":
        return b"PK\x03\x04 not really a zip"
    if name == "truncated":
        return archive[: len(archive) // 2]
    if name == "edited row":  # still JSON, as many lines, but not the bytes the checksum covers
        parts["tables/deals.jsonl"] = parts["tables/deals.jsonl"].replace(b",", b", ", 1)
    if name == "count":
        next(t for t in listed["tables"] if t["name"] == "payments")["rows"] += 1
    if name == "extra member":
        parts["tables/extra.jsonl"] = b"[1]\n"
    if name == "missing member":
        del parts["tables/stage_changes.jsonl"]
    if name == "short row":
        lines = parts["tables/users.jsonl"].splitlines(keepends=True)
        parts["tables/users.jsonl"] = b"".join([b"[1]\n", *lines[1:]])
    if name == "not ours":
        listed["format"] = "something-else"
    if name == "newer":
        listed["schema_revision"] = "9999"
    parts["manifest.json"] = json.dumps(listed).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for member, data in parts.items():
            zf.writestr(member, data)
    data = out.getvalue()
    if name == "bad crc":  # flip a byte inside a stored member's data
        at = data.index(b"Harbourline") if b"Harbourline" in data else len(data) // 3
        data = data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :]
    return data


DAMAGES = {
    "garbage": "not a tinycrm backup (not a zip archive, or a damaged one)",
    "truncated": "not a tinycrm backup (not a zip archive, or a damaged one)",
    "bad crc": "damaged: tables/audit_log.jsonl: Bad CRC-32",
    "edited row": "damaged: tables/deals.jsonl does not match its checksum",
    "count": "damaged: tables/payments.jsonl holds",
    "extra member": "damaged: tables/extra.jsonl is not listed in manifest.json",
    "missing member": "damaged: tables/stage_changes.jsonl is missing",
    "short row": "damaged: tables/users.jsonl line 1: expected a list of",
    "not ours": "not a tinycrm backup (manifest.json is not a tinycrm manifest)",
}


@pytest.mark.parametrize("damage", [*DAMAGES, "newer"])
def test_a_damaged_archive_is_refused_and_leaves_the_target_empty(
    target: Site, tmp_path: Path, damage: str, archive: bytes
) -> None:
    good = archive
    (tmp_path / "bad.zip").write_bytes(_damage(damage, good))
    refused = target("restore", str(tmp_path / "bad.zip"), ok=False)
    assert refused.code == 2 and refused.out == ""
    assert refused.err.count("\n") == 1 and "Traceback" not in refused.err
    if damage == "newer":
        assert refused.err == (
            "crm: error: " + str(tmp_path / "bad.zip") + " holds schema '9999', newer than "
            f"this tinycrm knows ({HEAD_REVISION!r}): upgrade tinycrm to restore it\n"
        )
    else:
        assert refused.err.startswith(f"crm: error: {tmp_path / 'bad.zip'}: {DAMAGES[damage]}")
    if target.url.startswith("sqlite"):
        assert not sqlite_path(target).exists()  # the new file a failed restore began is gone
    else:
        assert table_names(target.url) == set()
    target("restore", str(tmp_path / "bad.zip"), ok=False)
    (tmp_path / "good.zip").write_bytes(good)
    target("restore", str(tmp_path / "good.zip"))  # and the target is still empty


@pytest.mark.pg
@pytest.mark.skipif(not PG_URL, reason="CRM_TEST_DATABASE_URL is not set")
def test_text_longer_than_the_server_takes_is_refused_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: Site
) -> None:
    """SQLite keeps text longer than a column's declared size; PostgreSQL does not."""
    engine = create_engine(source.url)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE contacts SET first_name = :long WHERE id = 3"), {"long": "é" * 201}
        )
    engine.dispose()
    source("backup", "-o", str(tmp_path / "b.zip"))
    reset_pg(PG_URL)
    refused = Site(PG_URL, monkeypatch)("restore", str(tmp_path / "b.zip"), ok=False)
    assert (refused.code, refused.err) == (
        2,
        f"crm: error: {tmp_path / 'b.zip'}: table contacts: the database refused a row: value "
        "too long for type character varying(200) (column first_name)\n",
    )
    assert table_names(PG_URL) == set()


ADDED_BY_0009 = {
    "tables": {"teams", "grants", "audit_log"}
    | {"products", "quotes", "line_items", "contracts"}  # and 0011
    | {"tiers", "tier_moves", "points_entries", "followups"},  # and 0012
    "columns": {"version", "team_id", "active", "os_login", "db_login", "recipient_id"}
    | {"search_key"}  # and 0010
    | {"left_at", "left_to_stage_id", "stay_seconds", "prev_entry_at", "next_entry_at"}  # 0013
    | {"delivered_on"},  # and 0014 (its followups.order_id: 0012's table goes whole)
}
"""What migrations 0009 to 0014 added: an archive without it is what a 0008 backup holds."""


def as_0008(archive: bytes) -> bytes:
    """The archive as tinycrm at schema 0008 wrote it: 0009's tables and columns taken out,
    the manifest's columns, counts and checksums made again."""
    parts = members(archive)
    listed = json.loads(parts.pop("manifest.json"))
    kept = []
    for entry in listed["tables"]:
        data = parts.pop(entry["member"])
        if entry["name"] in ADDED_BY_0009["tables"]:
            continue
        names = list(entry["columns"])
        keep = [i for i, name in enumerate(names) if name not in ADDED_BY_0009["columns"]]
        rows = [json.loads(line) for line in data.decode().split("\n") if line]
        text = "".join(
            json.dumps([row[i] for i in keep], ensure_ascii=False, separators=(",", ":")) + "\n"
            for row in rows
        ).encode()
        parts[entry["member"]] = text
        entry["columns"] = {names[i]: entry["columns"][names[i]] for i in keep}
        entry["sha256"] = hashlib.sha256(text).hexdigest()
        kept.append(entry)
    listed["tables"], listed["schema_revision"] = kept, "0008"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for member, data in parts.items():
            zf.writestr(member, data)
        zf.writestr("manifest.json", json.dumps(listed))
    return buffer.getvalue()


def test_a_backup_of_an_older_schema_is_restored_and_upgraded(
    site: Callable[[str], Site], target: Site, tmp_path: Path, archive: bytes
) -> None:
    (tmp_path / "old.zip").write_bytes(as_0008(archive))
    ran = target("restore", str(tmp_path / "old.zip"))
    assert f"schema 0008, upgraded to schema {HEAD_REVISION})" in ran.out
    assert_same_views(target, teamless=True)
    current = site("current.db")
    current("init")
    refused = current("restore", str(tmp_path / "old.zip"), ok=False)
    assert refused.code == 3
    assert f"already at schema {HEAD_REVISION!r} and the backup at '0008'" in refused.err


# --- the output file -------------------------------------------------------------------------


def test_the_archive_is_private_and_named_by_its_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: Site
) -> None:
    monkeypatch.chdir(tmp_path)
    old = os.umask(0o022)
    try:
        ran = source("backup")
    finally:
        os.umask(old)
    made = tmp_path / f"crm-backup-{STAMP}.zip"
    assert ran.out == "" and ran.err.endswith(f"to crm-backup-{STAMP}.zip\n")
    assert stat.S_IMODE(made.stat().st_mode) == 0o600
    with zipfile.ZipFile(made) as zf:
        assert zf.testzip() is None
    again = source("backup", ok=False)
    assert (again.code, again.err) == (
        3,
        f"crm: error: crm-backup-{STAMP}.zip already exists; --force replaces it\n",
    )
    source("backup", "--force")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize("dangling", [False, True])
def test_output_through_a_symlink_never_writes_the_link_target(
    tmp_path: Path, dangling: bool, source: Site
) -> None:
    victim = tmp_path / "victim.txt"
    if not dangling:
        victim.write_text("precious")
    link = tmp_path / "out.zip"
    link.symlink_to(victim)
    refused = source("backup", "-o", str(link), ok=False)
    assert refused.code == 3 and "already exists; --force replaces it" in refused.err
    source("backup", "-o", str(link), "--force")
    assert not link.is_symlink() and zipfile.is_zipfile(link)
    assert stat.S_IMODE(link.stat().st_mode) == 0o600
    if dangling:
        assert not victim.exists()
    else:
        assert victim.read_text() == "precious"


def test_a_failed_backup_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: Site
) -> None:
    from tinycrm.services.backup import dump

    def broken(conn: Any, table: Any) -> Iterator[Any]:
        if table.name == "deals":
            raise OSError(28, "No space left on device")
        yield from original(conn, table)

    original = dump._batches
    monkeypatch.setattr(dump, "_batches", broken)
    out = tmp_path / "out"
    out.mkdir()
    failed = source("backup", "-o", str(out / "b.zip"), ok=False)
    assert failed.err == (
        f"crm: error: --output: cannot write there (No space left on device): '{out / 'b.zip'}'\n"
    )
    assert list(out.iterdir()) == []


def test_bad_backup_and_restore_arguments_are_one_line(
    site: Callable[[str], Site], tmp_path: Path
) -> None:
    nowhere = site("nowhere.db")
    for args, code, message in [
        (("backup",), 2, f"no database at {tmp_path / 'nowhere.db'}"),
        (("backup", "-o", str(tmp_path)), 2, f"--output: is a folder, not a file: '{tmp_path}'"),
        (("restore", str(tmp_path / "none.zip")), 2, f"cannot read {tmp_path / 'none.zip'}:"),
    ]:
        ran = nowhere(*args, ok=False)
        assert ran.code == code and ran.err.startswith(f"crm: error: {message}"), ran.err
        assert ran.err.count("\n") == 1


def test_restore_reads_standard_input(site: Callable[[str], Site], archive: bytes) -> None:
    copy = site("copy.db")
    ran = copy.raw("restore", "-", input=archive)
    assert ran.exit_code == 0 and ran.stdout.startswith("restored "), ran.stderr
    assert_same_views(copy)


# --- the load order ---------------------------------------------------------------------------


def test_self_references_and_cycles_are_filled_in_after_every_row_is_in(tmp_path: Path) -> None:
    from sqlalchemy import Column, ForeignKey, ForeignKeyConstraint, Integer, MetaData, Table

    from tinycrm.db.store import make_engine
    from tinycrm.services.backup.restore import RowWriter
    from tinycrm.services.backup.tables import load_order

    meta = MetaData()
    nodes = Table(
        "nodes",
        meta,
        Column("id", Integer, primary_key=True),
        Column("parent_id", ForeignKey("nodes.id")),
    )
    a = Table("a", meta, Column("id", Integer, primary_key=True), Column("b_id", Integer))
    b = Table(
        "b", meta, Column("id", Integer, primary_key=True), Column("a_id", ForeignKey("a.id"))
    )
    a.append_constraint(ForeignKeyConstraint(["b_id"], ["b.id"]))
    steps = load_order([nodes, a, b])
    assert {step.table.name: step.later for step in steps} == {
        "nodes": ("parent_id",),
        "a": ("b_id",),
        "b": ("a_id",),
    }
    rows: dict[str, list[list[int | None]]] = {
        "nodes": [[1, 3], [2, 1], [3, None]],
        "a": [[1, 1]],
        "b": [[1, 1]],
    }
    engine = make_engine(f"sqlite:///{tmp_path / 'loops.db'}")  # foreign keys enforced
    meta.create_all(engine)
    with engine.begin() as conn:
        writers = []
        for step in steps:  # a child before its parent, and a cycle
            writer = RowWriter(conn, step.table, [c.name for c in step.table.columns], step.later)
            writer.insert([list(row) for row in rows[step.table.name]])
            writers.append(writer)
        for writer in writers:
            writer.fill_later()
        assert conn.execute(text("SELECT id, parent_id FROM nodes ORDER BY id")).all() == [
            (1, 3),
            (2, 1),
            (3, None),
        ]
        assert conn.execute(text("SELECT a.b_id, b.a_id FROM a, b")).one() == (1, 1)
        assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
    engine.dispose()
