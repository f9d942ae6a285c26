"""Opening the wrong file: a file that is not tinycrm's database is one line, exit 2, and
stays exactly as it was."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.clihelp import Crm
from tests.conftest import sqlite_only

COMMANDS = [
    ("deal", "list"),
    ("contact", "add", "Li Wei"),
    ("remind",),
    ("report", "funnel"),
    ("init",),
]


def _not_sqlite(path: Path) -> str:
    path.write_text("name,email\nLi Wei,li@x.example\n")
    return "is not a tinycrm database (file is not a database)"


def _truncated(path: Path) -> str:
    made = path.with_name("whole.db")
    conn = sqlite3.connect(made)
    conn.execute("CREATE TABLE t (x)")
    conn.executemany("INSERT INTO t VALUES (?)", [("x" * 500,) for _ in range(200)])
    conn.commit()
    conn.close()
    path.write_bytes(made.read_bytes()[:50])
    return "is not a tinycrm database"


def _other_program(path: Path) -> str:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.execute("INSERT INTO notes VALUES ('mine')")
    conn.commit()
    conn.close()
    return "is a SQLite database of another program, not tinycrm's"


@pytest.mark.parametrize("make", [_not_sqlite, _truncated, _other_program])
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_file_that_is_not_a_tinycrm_database_is_refused_untouched(
    tmp_path: Path, make, command: tuple[str, ...]
) -> None:
    path = tmp_path / "wrong.db"
    expected = make(path)
    before = path.read_bytes()
    ran = Crm()("--db", str(path), *command, ok=False)
    assert ran.code == 2
    assert ran.err.count("\n") == 1 and expected in ran.err and "Traceback" not in ran.err
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("wrong")) == ["wrong.db"]


def test_an_empty_file_becomes_a_new_database(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    path.touch()
    crm = Crm()
    crm("--db", str(path), "contact", "add", "Li Wei")
    assert "Li Wei" in crm("--db", str(path), "contact", "list").out


@sqlite_only
def test_remind_killed_while_printing_prints_the_same_reminders_again(
    crm: Crm, tmp_path: Path
) -> None:
    """At least once after a crash: a run killed with its output half written has recorded
    nothing, so the next run prints every reminder (none is lost)."""
    import os
    import signal
    import subprocess
    import sys

    db = tmp_path / "crm.db"  # the `crm` fixture's
    conn = sqlite3.connect(db)
    due = "2026-11-20 09:00:00.000000"
    conn.executemany(
        "INSERT INTO activities (kind, subject, due_at, alert_at, custom, created_at) "
        "VALUES ('task', ?, ?, ?, '{}', ?)",
        [
            (f"Call customer number {i:05d} about the renewal", due, due, due) for i in range(3000)
        ],  # fmt: skip
    )
    conn.commit()
    conn.close()
    env = {**os.environ, "CRM_NOW": "2026-11-23T08:00:00+00:00"}
    command = [sys.executable, "-m", "tinycrm", "remind", "--all-owners", "--format", "jsonl"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, env=env)
    assert proc.stdout is not None
    assert b"Call customer number" in proc.stdout.readline()  # printing, pipe soon full
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    again = subprocess.run(command, capture_output=True, env=env, timeout=60, check=True)
    assert len(again.stdout.splitlines()) == 3000
    third = subprocess.run(command, capture_output=True, env=env, timeout=60, check=True)
    assert third.stdout == b""  # delivered now, once
