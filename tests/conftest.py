"""Every test gets a fresh database: a SQLite file in tmp_path, and the PostgreSQL server
named by CRM_TEST_DATABASE_URL when that is set. No test touches the user's own files.

Under pytest-xdist each worker has its own temporary directory and its own PostgreSQL
database (`<name>_<worker>`, made on first use), so no two workers share a file or a table.

The fixtures:
- `db_url`: the URL of this test's database on each backend (`backend`), empty;
- `fresh_db`: that database with the schema (a copy of one migrated once per session: a
  file on SQLite, a database made from a template one on PostgreSQL);
- `db`: it open, for service tests;
- `crm`: the `crm` command line run in-process against it (tests.clihelp.Crm);
- `demo`: a SQLite file holding the demo data at NOW, copied from one made once per session.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tinycrm.config import load_settings
from tinycrm.db.store import Database, open_database, session_scope, sqlite_file

if TYPE_CHECKING:
    from tests.clihelp import Crm


def worker_url(url: str, worker: str) -> str:
    """The database a pytest-xdist worker uses on the server `url` names: its own."""
    if not url or not worker:
        return url
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{worker}").render_as_string(hide_password=False)


PG_URL = worker_url(
    os.environ.get("CRM_TEST_DATABASE_URL", ""), os.environ.get("PYTEST_XDIST_WORKER", "")
)
"""This process's PostgreSQL database, or "" when CRM_TEST_DATABASE_URL is not set."""
NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
"""A Monday; the fixed 'now' of service tests."""

BACKENDS = [
    "sqlite",
    pytest.param(
        "pg",
        marks=[
            pytest.mark.pg,
            pytest.mark.skipif(not PG_URL, reason="CRM_TEST_DATABASE_URL is not set"),
        ],
    ),
]


@pytest.fixture(autouse=True)
def crm_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point tinycrm's home (config and default data file) into tmp_path; clear overrides.
    The locale names no country, so no test reads phones in the region of the machine it
    runs on: a test that needs one says so (CRM_PHONE_REGION, or `region=`)."""
    home = tmp_path / "home"
    for var in (
        "CRM_DB",
        "CRM_DATABASE_URL",
        "CRM_USER",
        "CRM_CONFIG",
        "CRM_CURRENCY",
        "CRM_PHONE_REGION",
        "CRM_REGION",
        "CRM_NOW",
        "NO_COLOR",
        "LC_ALL",
        "LC_CTYPE",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.setenv("CRM_HOME", str(home))
    monkeypatch.setenv("CRM_TIMEZONE", "UTC")
    monkeypatch.setenv("COLUMNS", "200")
    return home


# --- PostgreSQL --------------------------------------------------------------------------------

_MADE: set[str] = set()
"""The PostgreSQL databases this process has made sure exist."""


def _ensure_pg_database(url: str) -> None:
    """Create the database `url` names when it is not there, from the one the
    CRM_TEST_DATABASE_URL names (which must exist)."""
    if url in _MADE:
        return
    name = make_url(url).database
    given = os.environ.get("CRM_TEST_DATABASE_URL", "") or url
    engine = create_engine(given, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            found = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).first()
            if found is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    _MADE.add(url)


def reset_pg(url: str) -> None:
    """Empty the PostgreSQL database `url` names (made first if it is not there)."""
    _ensure_pg_database(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


_SCHEMAS: set[str] = set()
"""The migrated PostgreSQL databases this process has made, to copy."""


def clone_pg(url: str) -> None:
    """Make the database `url` names anew as a copy of one migrated once per process
    (`<name>_schema`): CREATE DATABASE … TEMPLATE takes tens of milliseconds where
    migrating takes half a second and more."""
    parsed = make_url(url)
    name, schema = parsed.database, f"{parsed.database}_schema"
    schema_url = parsed.set(database=schema).render_as_string(hide_password=False)
    if schema_url not in _SCHEMAS:
        reset_pg(schema_url)
        open_database(load_settings(database_url=schema_url)).engine.dispose()
        _SCHEMAS.add(schema_url)
    # From the database the tests were given, unless that is the one made anew (no xdist
    # worker): a database cannot drop itself, so then from the server's own `postgres`.
    given = make_url(os.environ.get("CRM_TEST_DATABASE_URL", "") or url)
    admin = given if given.database != name else given.set(database="postgres")
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{schema}" STRATEGY FILE_COPY'))
    finally:
        engine.dispose()
    _MADE.add(url)


# --- SQLite files made once per session and copied ---------------------------------------------


class Templates:
    """SQLite files made once per session (per xdist worker), each copied by the tests that
    start from it: migrating a new file costs far more than copying one."""

    def __init__(self, where: Path) -> None:
        self.where = where
        self.made: dict[str, Path] = {}

    def schema(self) -> Path:
        """An empty database at the head revision."""
        if "schema" not in self.made:
            path = self.where / "schema.db"
            open_database(load_settings(db_path=str(path))).engine.dispose()
            self.made["schema"] = path
        return self.made["schema"]

    def demo(self, *, aftersale: bool = True) -> Path:
        """The demo data at NOW, in USD; without `aftersale`, no orders, payments, tickets
        or articles, for tests that count the ones they make themselves."""
        key = f"demo-{aftersale}"
        if key not in self.made:
            from sqlmodel import delete

            from tinycrm.models import KbArticle, Order, Payment, Ticket, TicketComment
            from tinycrm.services.demo import load_demo

            path = copy_database(self.schema(), self.where / f"{key}.db")
            db = open_database(load_settings(db_path=str(path), currency="USD"))
            with session_scope(db, write=True) as session:
                load_demo(session, now=NOW, currency="USD")
                if not aftersale:
                    for model in (Payment, Order, TicketComment, Ticket, KbArticle):
                        session.execute(delete(model))
            db.engine.dispose()
            self.made[key] = path
        return self.made[key]


def copy_database(template: Path, path: Path) -> Path:
    """A copy of a closed SQLite file at `path`, private to its owner as tinycrm makes them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with (
        template.open("rb") as source,
        os.fdopen(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600), "wb") as target,
    ):
        shutil.copyfileobj(source, target)
    return path


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Templates:
    return Templates(tmp_path_factory.mktemp("templates"))


@pytest.fixture
def db_template(templates: Templates) -> Path:
    """The SQLite file a test's database starts as: the schema alone. A module whose tests
    all start from other data overrides this (and `backend`, to run on SQLite only)."""
    return templates.schema()


# --- one database per test ---------------------------------------------------------------------


sqlite_only = pytest.mark.parametrize("backend", ["sqlite"])
"""A test of the database on SQLite alone (it reads the file itself, say)."""
pg_only = pytest.mark.parametrize("backend", BACKENDS[1:])
"""A test of the database on PostgreSQL alone (row locks across sessions, say): skipped
without CRM_TEST_DATABASE_URL, like every PostgreSQL test."""


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each test of a database runs on SQLite and, with CRM_TEST_DATABASE_URL, on
    PostgreSQL; a module that is about SQLite alone overrides this to return "sqlite"."""
    return str(request.param)


@pytest.fixture
def db_url(backend: str, tmp_path: Path) -> str:
    """The URL of an empty database on the backend: a SQLite file not made yet, or a
    PostgreSQL schema without tables."""
    if backend == "pg":
        reset_pg(PG_URL)
        return PG_URL
    return f"sqlite:///{tmp_path / 'crm.db'}"


@pytest.fixture
def fresh_db(db_url: str, db_template: Path) -> str:
    """db_url, holding the schema (and whatever `db_template` holds, on SQLite)."""
    path = sqlite_file(db_url)
    if path is not None:
        copy_database(db_template, path)
    else:
        clone_pg(db_url)
    return db_url


@pytest.fixture
def db(fresh_db: str) -> Iterator[Database]:
    database = open_database(load_settings(database_url=fresh_db, currency="EUR"))
    yield database
    database.engine.dispose()


@pytest.fixture
def cli_env() -> dict[str, str]:
    """What `crm` runs with besides its database; a module overrides this to add to it."""
    return {"CRM_NOW": NOW.isoformat()}


@pytest.fixture
def crm(fresh_db: str, cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Crm:
    """`crm(...)` runs the real command line in-process on this test's database (named by
    CRM_DB on SQLite, CRM_DATABASE_URL on PostgreSQL), with `cli_env` set."""
    from tests.clihelp import Crm

    path = sqlite_file(fresh_db)
    if path is not None:
        monkeypatch.setenv("CRM_DB", str(path))
    else:
        monkeypatch.setenv("CRM_DATABASE_URL", fresh_db)
    for var, value in cli_env.items():
        monkeypatch.setenv(var, value)
    return Crm()


@pytest.fixture
def empty_db(templates: Templates, tmp_path: Path) -> Path:
    """tmp_path/crm.db with the schema and no rows, for SQLite tests that fill it themselves."""
    return copy_database(templates.schema(), tmp_path / "crm.db")


@pytest.fixture
def demo(
    request: pytest.FixtureRequest,
    templates: Templates,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    """tmp_path/crm.db holding the demo data at NOW (CRM_NOW), in USD. A module marked
    `pytest.mark.demo(aftersale=False)` gets it without orders, payments, tickets or
    articles."""
    marker = request.node.get_closest_marker("demo")
    aftersale = bool(marker.kwargs.get("aftersale", True)) if marker else True
    monkeypatch.setenv("CRM_NOW", NOW.isoformat())
    return copy_database(templates.demo(aftersale=aftersale), tmp_path / "crm.db")
