"""Prepared reads: `crm deal list` starts on the SQL its query compiles to, kept in
`db/prepared_sql.py`, without importing SQLAlchemy; what it reads is what the ORM reads, for
every prepared shape, and whatever the prepared text cannot answer goes through the ORM."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import NOW
from tinycrm.config import load_settings
from tinycrm.db.plain_sql import open_sqlite
from tinycrm.db.prepared import list_name, statements
from tinycrm.db.store import open_database, session_scope
from tinycrm.models import DealStatus
from tinycrm.services import deals
from tinycrm.services.company_rows import SORT_KEYS as COMPANY_SORTS
from tinycrm.services.company_rows import plain_company_list
from tinycrm.services.contact_rows import SORT_KEYS as CONTACT_SORTS
from tinycrm.services.contact_rows import plain_contact_list
from tinycrm.services.deal_rows import SORT_KEYS, list_kind, plain_deal_list
from tinycrm.services.periods import ALL_TIME, Period, calendar_period, date_range
from tinycrm.services.plain_reads import TARGET, render
from tinycrm.services.report_rows import plain_funnel

TS = "%Y-%m-%d %H:%M:%S.%f"


def test_the_prepared_text_is_what_the_queries_compile_to() -> None:
    """Change a query and this fails until `python -m tinycrm.services.plain_reads` writes
    the new text: the query stays defined in its service alone. (Another SQLAlchemy may
    word the same SQL otherwise: then only the tests below, which read every shape both
    ways, hold.)"""
    import sqlalchemy

    from tinycrm.db import prepared_sql

    if prepared_sql.SQLALCHEMY != sqlalchemy.__version__:
        pytest.skip(f"compiled by SQLAlchemy {prepared_sql.SQLALCHEMY}")
    assert TARGET.read_text(encoding="utf-8") == render()
    lists = 2 * len(SORT_KEYS) * 2 * 2 + (len(CONTACT_SORTS) + len(COMPANY_SORTS)) * 2 * 2
    assert len(statements()) == lists + 1 + 4 + 1  # and contacts' tags, funnels, stages


def test_shapes_are_named_by_the_options_alone() -> None:
    def list_shape(*, status: bool, sort: str, paged: bool) -> str | None:
        return list_name(list_kind(status=status), sort, SORT_KEYS, paged=paged)

    assert list_shape(status=True, sort="close", paged=True) == "deal_list/status/close/asc/page"
    assert list_shape(status=False, sort=" -amount ", paged=False) == (
        "deal_list/any/amount/desc/all"
    )
    assert list_shape(status=True, sort="+title", paged=False) == "deal_list/status/title/asc/all"
    assert list_shape(status=True, sort="amount,-title", paged=True) is None  # several keys
    assert list_shape(status=True, sort="colour", paged=True) is None  # the ORM says what is wrong


def ties_and_gaps(path: Path) -> None:
    """Deals that sort alike (the same close date, amount and stage; no close date, no owner,
    no company) and a stage history with several changes, so order and NULLS LAST show."""
    with sqlite3.connect(path) as conn:
        first = conn.execute("SELECT max(id) FROM deals").fetchone()[0] + 1
        stage = conn.execute("SELECT id FROM stages ORDER BY position LIMIT 1").fetchone()[0]
        at = (NOW - timedelta(days=3)).strftime(TS)
        for n in range(6):
            conn.execute(
                "INSERT INTO deals (id, title, amount_minor, currency, expected_close, "
                "stage_id, status, created_at, updated_at, version, custom) "
                "VALUES (?, ?, 100000, 'USD', ?, ?, 'open', ?, ?, 1, '{}')",
                (first + n, f"Tie {n}", None if n % 2 else "2026-12-01", stage, at, at),
            )
            conn.execute(
                "INSERT INTO stage_changes (deal_id, to_stage_id, changed_at) VALUES (?, ?, ?)",
                (first + n, stage, at),
            )


@pytest.mark.parametrize("status", [None, "open", "won", "lost"])
def test_every_shape_reads_what_the_orm_reads(demo: Path, status: str | None) -> None:
    ties_and_gaps(demo)
    wanted = None if status is None else DealStatus(status)
    read = both_ways(
        demo,
        SORT_KEYS,
        ((None, 0), (None, 4), (5, 0), (5, 3), (0, 0), (500, 2)),
        partial(plain_deal_list, status=status),
        partial(deals.list_deals, status=wanted),
    )
    assert len(read) > 100  # the shapes read rows, not only empty pages


def both_ways(
    path: Path,
    keys: tuple[str, ...],
    pages: tuple[tuple[int | None, int], ...],
    plain: Callable[..., list[Any] | None],
    orm: Callable[..., list[Any]],
) -> list[Any]:
    """Every sort key of `keys` either way, on each (limit, offset) of `pages`, read
    plainly and through the ORM: the same rows every time; all of them, once each read."""
    db = open_database(load_settings(db_path=str(path)))
    sql = open_sqlite(path)
    assert sql is not None
    read: list[Any] = []
    try:
        with session_scope(db, write=False) as session:
            for sort in (order + key for key in keys for order in ("", "-")):
                for limit, offset in pages:
                    paging: dict[str, Any] = {"sort": sort, "limit": limit, "offset": offset}
                    found = plain(lambda: sql, **paging)
                    assert found == orm(session, **paging), paging
                    read += found or []
    finally:
        sql.conn.close()
        db.engine.dispose()
    return read


LIST = ("deal", "list")


def run_crm(path: Path, *args: str, user: str = "") -> tuple[str, list[str]]:
    """`crm ARGS` in a new process: its output and the heavy modules it loaded."""
    code = (
        "import sys\nfrom tinycrm.cli import main\n"
        f"sys.argv = ['crm', *{list(args)!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "sys.stdout.flush()\n"
        "print('loaded:', [m for m in ('sqlalchemy', 'sqlmodel', 'pydantic', 'tinycrm.models')"
        " if m in sys.modules])\n"
    )
    env = {**os.environ, "CRM_DB": str(path), "CRM_USER": user, "CRM_NOW": NOW.isoformat()}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    *out, loaded = done.stdout.splitlines()
    return "\n".join(out), json.loads(loaded.removeprefix("loaded: ").replace("'", '"'))


def test_deal_list_starts_without_the_orm_and_prints_what_it_printed(demo: Path) -> None:
    """The same rows, to the byte, as the ORM's: `close,id` sorts as `close` does (the id
    breaks ties) but has two keys, so it goes through the ORM."""
    for args in (["--format", "json"], ["--status", "all", "--limit", "7", "--format", "csv"]):
        fast, loaded = run_crm(demo, *LIST, *args)
        slow, loaded_slow = run_crm(demo, *LIST, *args, "--sort", "close,id")
        assert loaded == []
        assert "sqlalchemy" in loaded_slow
        assert fast == slow and fast.count("\n") > 6


def test_a_filter_a_narrower_reach_or_an_old_file_goes_through_the_orm(demo: Path) -> None:
    """A rep who reads only their own deals is held to them: the prepared text has no read
    scope, so they are read through the ORM, as is any list it has no shape for."""
    _, loaded = run_crm(demo, *LIST, "--owner", "Priya Raman")
    assert "sqlalchemy" in loaded
    with sqlite3.connect(demo) as conn:
        rep, name = conn.execute(
            "SELECT id, name FROM users WHERE role = 'rep' ORDER BY id LIMIT 1"
        ).fetchone()
        owners = {r[0] for r in conn.execute("SELECT owner_id FROM deals WHERE status = 'open'")}
    assert len(owners) > 2
    out, loaded = run_crm(demo, *LIST, "--format", "json", user=name)
    assert "sqlalchemy" in loaded
    listed = json.loads(out)
    with sqlite3.connect(demo) as conn:
        theirs = {
            r[0]
            for r in conn.execute(
                "SELECT id FROM deals WHERE status = 'open' AND (owner_id = ? OR owner_id IS NULL)",
                (rep,),
            )
        }
    assert {d["id"] for d in listed} == theirs
    with sqlite3.connect(demo) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0015'")
    assert open_sqlite(demo) is None  # an older schema: the ORM's path upgrades it first


def periods() -> list[Period]:
    """All time, calendar periods and open-ended ranges, in zones behind and ahead of UTC
    (their edges fall on other UTC instants), and a range holding nothing."""
    found = [ALL_TIME]
    for zone in ("UTC", "America/Los_Angeles", "Asia/Shanghai"):
        tz = ZoneInfo(zone)
        today = NOW.astimezone(tz).date()
        found += [calendar_period(kind, today=today, tz=tz) for kind in ("month", "quarter")]
        found += [
            date_range(today - timedelta(days=20), None, tz),
            date_range(None, today - timedelta(days=20), tz),
        ]
    found.append(date_range(date(2001, 1, 1), date(2001, 1, 31), ZoneInfo("UTC")))
    # years before 1000 (a mistyped year): stored and compared with four digits all the same
    found += [date_range(None, date(999, 6, 1), tz), date_range(date(500, 1, 1), None, tz)]
    return found


@pytest.mark.parametrize("currency", ["USD", "EUR"])
def test_the_prepared_funnel_reads_what_the_report_reads(demo: Path, currency: str) -> None:
    from tinycrm.services import reports

    db = open_database(load_settings(db_path=str(demo)))
    sql = open_sqlite(demo)
    assert sql is not None
    reached = 0
    with session_scope(db, write=False) as session:
        for period in periods():
            plain = plain_funnel(lambda: sql, period=period, currency=currency)
            assert plain == reports.funnel(session, period=period, currency=currency), period
            reached += sum(r.reached for r in plain or [])
    sql.conn.close()
    db.engine.dispose()
    assert reached > 100


def test_the_funnel_starts_without_the_orm_unless_the_reports_grant_is_narrower(
    demo: Path,
) -> None:
    """A manager who reads every deal but whose reports cover only their own deals gets
    their own funnel, through the ORM."""

    def run(user: str) -> tuple[str, bool]:
        out, loaded = run_crm(demo, "report", "funnel", "--format", "csv", user=user)
        return out, "sqlalchemy" in loaded

    everyone, loaded = run("")
    assert loaded is False and everyone.startswith("stage,reached")
    with sqlite3.connect(demo) as conn:
        role, name = conn.execute(
            "SELECT role, name FROM users WHERE team_id IS NOT NULL AND role = 'manager'"
        ).fetchone()
        conn.execute(
            "UPDATE grants SET level = 'all' WHERE role = ? AND action = 'read' "
            "AND object IN ('contacts', 'companies', 'deals', 'activities', 'orders', 'tickets')",
            (role,),
        )
        conn.execute(
            "UPDATE grants SET level = 'own' WHERE role = ? AND object = 'reports' "
            "AND action = 'read'",
            (role,),
        )
    own, loaded = run(name)
    assert loaded is True and own != everyone
    with sqlite3.connect(demo) as conn:
        conn.execute(
            "UPDATE grants SET level = 'all' WHERE role = ? AND object = 'reports' "
            "AND action = 'read'",
            (role,),
        )
    again, loaded = run(name)
    assert loaded is False and again == everyone


def test_every_contact_list_reads_what_the_orm_reads(demo: Path) -> None:
    """With contacts that sort alike (the same name, no email, no company) and several tags
    each, on pages that cut through them."""
    from tinycrm.services import contacts

    with sqlite3.connect(demo) as conn:
        first = conn.execute("SELECT max(id) FROM contacts").fetchone()[0] + 1
        at = (NOW - timedelta(days=2)).strftime(TS)
        for n in range(5):
            conn.execute(
                "INSERT INTO contacts (id, full_name, name_key, status, created_at, updated_at,"
                " version, custom) VALUES (?, 'Li Wei', 'li wei', 'lead', ?, ?, 1, '{}')",
                (first + n, at, at),
            )
            for tag in ("zeta", "alpha", f"t{n}")[: n % 3 + 1]:
                conn.execute(
                    "INSERT INTO contact_tags (contact_id, tag) VALUES (?, ?)", (first + n, tag)
                )
    pages = ((None, 0), (None, 7), (6, 0), (6, 4), (0, 0), (500, 1))
    read = both_ways(demo, CONTACT_SORTS, pages, plain_contact_list, contacts.list_contacts)
    assert sum(len(r.tags) for r in read) > 100


def test_contact_list_starts_without_the_orm_unless_filtered(demo: Path) -> None:
    def run(*args: str) -> tuple[str, bool]:
        out, loaded = run_crm(demo, "contact", "list", "--format", "csv", *args)
        return out, "sqlalchemy" in loaded

    fast, loaded = run()
    assert loaded is False and fast.count("\n") > 20
    slow, loaded = run("--sort", "name,id")  # the same order, through the ORM
    assert loaded is True and slow == fast
    _, loaded = run("--tag", "vip")
    assert loaded is True


def test_every_company_list_reads_what_the_orm_reads(demo: Path) -> None:
    """With companies of the same name and city, no owner and no contacts."""
    from tinycrm.services import companies

    with sqlite3.connect(demo) as conn:
        first = conn.execute("SELECT max(id) FROM companies").fetchone()[0] + 1
        at = (NOW - timedelta(days=2)).strftime(TS)
        for n in range(4):
            conn.execute(
                "INSERT INTO companies (id, name, name_key, city, created_at, updated_at,"
                " version, custom) VALUES (?, ?, ?, 'Lagos', ?, ?, 1, '{}')",
                (first + n, f"Acme {n % 2}", f"acme {n % 2}!{n}", at, at),
            )
    pages = ((None, 0), (None, 3), (4, 0), (4, 2), (0, 0))
    read = both_ways(demo, COMPANY_SORTS, pages, plain_company_list, companies.list_companies)
    assert sum(r.contacts + r.open_deals for r in read) > 100


def test_the_prepared_path_knows_every_option_and_every_owned_object() -> None:
    """A command takes its prepared path only when none of its filters is given: an option
    added to one of these commands must be added to that check (then here). And the plain
    read check covers every object a read scope holds to its owners."""
    from typer.main import get_command

    from tinycrm.cli import app
    from tinycrm.services.access import OWNED
    from tinycrm.services.reach import READ

    assert set(READ) == set(OWNED)
    root = get_command(app)
    options = {
        ("deal", "list"): {"stage", "status", "owner", "company", "contact", "search"},
        ("contact", "list"): {
            "tag",
            "status",
            "company",
            "owner",
            "industry",
            "city",
            "country",
            "campaign",
            "lifecycle",
            "tier",
            "search",
            "segment",
            "save_segment",
        },  # fmt: skip
        ("company", "list"): {"industry", "city", "country", "owner", "search", "tier"},
        ("report", "funnel"): {"start", "end", "period", "year", "owner", "chart"},
    }
    for (group, name), filters in options.items():
        command = root.get_command(None, group).get_command(None, name)  # type: ignore[attr-defined]
        shaping = {"fmt", "columns"} | ({"sort", "limit", "offset"} if name == "list" else set())
        assert {p.name for p in command.params} == filters | shaping, (group, name)


def test_a_locked_file_is_reported_once_not_waited_for_twice(demo: Path) -> None:
    """Another process holds the write lock past CRM_LOCK_WAIT: one line saying so, exit 2,
    after one wait (the ORM's path is not tried again)."""
    import time

    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys, time\n"
            "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "c.execute('PRAGMA locking_mode = EXCLUSIVE')\n"
            "c.execute('BEGIN EXCLUSIVE')\n"
            "c.execute('UPDATE deals SET title = title')\n"
            "print('held', flush=True)\n"
            "time.sleep(30)\n",
            str(demo),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        env = {**os.environ, "CRM_DB": str(demo), "CRM_USER": "", "CRM_LOCK_WAIT": "1"}
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "tinycrm", "deal", "list"],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        took = time.perf_counter() - started
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and "locked" in done.stderr
    assert took < 4.5  # one wait of 1 s, not that and the ORM's own
