"""What only a real process shows: --version and --help, start-up imports, the database
location, and that every command documents itself."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer

from tests.clihelp import Crm
from tinycrm import __version__
from tinycrm.cli import app


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def test_version() -> None:
    done = run("-m", "tinycrm", "--version")
    assert (done.returncode, done.stdout) == (0, f"tinycrm {__version__}\n")


def test_cli_root_loads_no_database_or_ui_library() -> None:
    """`crm --version`, `--help` and the cron path must start fast: importing the CLI loads
    neither Textual nor SQLAlchemy/SQLModel (they load inside the commands that need them)."""
    code = (
        "import sys, tinycrm.cli\n"
        "heavy = [m for m in ('textual', 'sqlalchemy', 'sqlmodel', 'alembic') "
        "if m in sys.modules]\nprint(heavy)"
    )
    assert run("-c", code).stdout == "[]\n"


def test_import_contracts() -> None:
    """import-linter: models/services are UI-free; the CLI never reaches Textual."""
    linter = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(linter)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def _commands(
    group: typer.core.TyperGroup, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], Any]]:
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from _commands(command, (*path, name))  # type: ignore[arg-type]
        else:
            yield (*path, name), command


ALL_COMMANDS = list(_commands(typer.main.get_command(app)))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("path", "command"), ALL_COMMANDS, ids=[" ".join(p) for p, _ in ALL_COMMANDS]
)
def test_every_command_explains_itself(path: tuple[str, ...], command: object) -> None:
    ran = Crm()(*path, "--help")
    assert ran.out.startswith("\n Usage: crm " + " ".join(path)) or "Usage:" in ran.out
    assert command.help, f"crm {' '.join(path)} has no help text"  # type: ignore[attr-defined]
    for param in command.params:  # type: ignore[attr-defined]
        if param.param_type_name == "option" and param.name != "help":
            assert param.help, f"crm {' '.join(path)} {param.opts[0]} has no help text"


def test_default_database_is_private_and_in_the_data_dir(crm_env: Path) -> None:
    ran = Crm()("init")
    path = crm_env / "crm.db"
    assert ran.out == f"database ready: {path}\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_db_option_and_env_choose_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_DB", str(tmp_path / "env.db"))
    assert Crm()("init").out == f"database ready: {tmp_path / 'env.db'}\n"
    assert Crm()("--db", str(tmp_path / "flag.db"), "init").out == (
        f"database ready: {tmp_path / 'flag.db'}\n"
    )
    monkeypatch.setenv("CRM_DATABASE_URL", f"sqlite:///{tmp_path / 'url.db'}")
    assert Crm()("init").out == f"database ready: {tmp_path / 'url.db'}\n"


def test_a_newer_schema_is_refused_in_one_line(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "new.db"
    Crm()("--db", str(db), "init")
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    ran = Crm()("--db", str(db), "contact", "list", ok=False)
    assert ran.code == 2
    assert ran.err == (
        "crm: error: database schema '9999' is newer than this tinycrm knows; upgrade tinycrm\n"
    )


def test_no_arguments_prints_help() -> None:
    ran = Crm()()
    assert "contact" in ran.out and "deal" in ran.out and ran.code == 0


def test_a_reader_that_stops_early_is_not_an_error(tmp_path: Path) -> None:
    """`crm contact list | head -1` exits 0 with nothing on stderr."""
    from tinycrm.config import load_settings
    from tinycrm.db.store import open_database, session_scope
    from tinycrm.models import ContactCreate
    from tinycrm.services.contacts import create_contact

    db = open_database(load_settings(db_path=str(tmp_path / "many.db")))
    with session_scope(db, write=True) as session:
        for i in range(3000):
            create_contact(session, data=ContactCreate(name=f"Person {i}"), region="US")
    db.engine.dispose()
    env = {**os.environ, "CRM_DB": str(tmp_path / "many.db")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tinycrm", "contact", "list", "-f", "csv"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline() == b"id,name,email,phone,company,title,status,owner,tags\n"
    proc.stdout.close()
    assert (proc.wait(timeout=60), proc.stderr.read()) == (0, b"")


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--version"], ""),
        (["--db", "x.db", "remind", "--all"], "remind"),
        (["--as", "ana", "deal", "list"], "deal"),
        (["--db=x.db", "contact", "add", "Li"], "contact"),
        (["--help"], None),
        (["deal", "--help"], "deal"),
        (["nonsense"], None),
        ([], None),
    ],
)
def test_only_the_command_named_is_built(argv: list[str], expected: str | None) -> None:
    from tinycrm.cli import _wanted

    assert _wanted(argv) == expected


def test_version_loads_no_command_module() -> None:
    code = (
        "import sys\nfrom tinycrm.cli import main\nsys.argv = ['crm', '--version']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('tinycrm.commands.')))"
    )
    done = run("-c", code)
    version, loaded = done.stdout.splitlines()
    assert version == f"tinycrm {__version__}"
    shared = {"base", "common", "flags", "plain"}  # what every command is made of
    assert set(eval(loaded)) <= {f"tinycrm.commands.{name}" for name in shared}
