"""Every test gets a fresh database: a SQLite file in tmp_path, and the PostgreSQL server
named by CRM_TEST_DATABASE_URL when that is set. No test touches the user's own files."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tinycrm.config import load_settings
from tinycrm.db.store import Database, open_database

PG_URL = os.environ.get("CRM_TEST_DATABASE_URL", "")
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


def reset_pg(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database on each backend."""
    if request.param == "pg":
        reset_pg(PG_URL)
        return PG_URL
    return f"sqlite:///{tmp_path / 'crm.db'}"


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = open_database(load_settings(database_url=db_url, currency="EUR"))
    yield database
    database.engine.dispose()
