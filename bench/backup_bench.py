"""How fast `crm backup` and `crm restore` are, next to the database's own tools.

    python bench/backup_bench.py                          # 100k contacts, 100k deals, 3 runs
    python bench/backup_bench.py --contacts 20000 --deals 20000 --repeat 5
    python bench/backup_bench.py --url postgresql+psycopg://postgres@127.0.0.1:5432/bench

The data is made by bench/gen.py (users, companies, contacts with tags, deals with their
stage history, activities, orders, payments, tickets, articles: 100k contacts and deals make
about 800k rows) into bench/out/backup/, and reused when there. Then, round-robin so that
machine noise hits them all alike, each as a process timed by its wall clock:

SQLite
  crm backup                 against  sqlite3 .dump (SQL text), sqlite3 .backup (page copy)
  crm restore (new file)     against  sqlite3 reading that .dump into a new file
PostgreSQL (with --url: a scratch database; its public schema is dropped before each load)
  crm restore                against  pg_restore of a pg_dump -Fc archive
  crm backup                 against  pg_dump -Fc

Every load is checked (the row counts of contacts, deals and stage_changes). The table gives
medians, the archives' sizes, and crm's time as a multiple of the tool's. Nothing is written
outside bench/out/ (the CLI runs with CRM_HOME=bench/out/home and no CRM_* variable of the
caller's).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
WORK = OUT / "backup"
CHECKED = ("contacts", "deals", "stage_changes")


@dataclass
class Contender:
    label: str
    samples: list[float] = field(default_factory=list)
    error: str = ""
    size: int = 0
    """Bytes of what it wrote, for a backup."""

    @property
    def median(self) -> float | None:
        return statistics.median(self.samples) if self.samples and not self.error else None


def crm_env(url: str = "") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    env.update(CRM_HOME=str(OUT / "home"), CRM_TIMEZONE="UTC", COLUMNS="120")
    if url:
        env["CRM_DATABASE_URL"] = url
    return env


def crm_argv() -> list[str]:
    script = Path(sys.executable).with_name("crm")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tinycrm"]


def run(
    argv: list[str],
    *,
    env: dict[str, str] | None = None,
    stdin: Path | None = None,
    stdout: Path | None = None,
) -> tuple[float, str]:
    """Run a process to its end: wall seconds, and the last line it wrote when it failed."""
    log = WORK / "last-output.txt"
    with (
        open(stdin or os.devnull, "rb") as source,
        open(stdout or os.devnull, "wb") as sink,
        open(log, "wb") as errors,
    ):
        started = time.perf_counter()
        done = subprocess.run(argv, env=env, stdin=source, stdout=sink, stderr=errors)
        elapsed = time.perf_counter() - started
    if done.returncode != 0:
        said = log.read_text(errors="replace").strip().splitlines() or ["(no output)"]
        return elapsed, f"exit {done.returncode}: {said[-1][:200]}"
    return elapsed, ""


def timed(
    contender: Contender,
    argv: list[str],
    *,
    env: dict[str, str] | None = None,
    stdin: Path | None = None,
    stdout: Path | None = None,
) -> None:
    if contender.error:
        return
    seconds, contender.error = run(argv, env=env, stdin=stdin, stdout=stdout)
    contender.samples.append(seconds)
    print(f" {contender.label} {seconds:.1f}s;", end="", flush=True)


def remove(path: Path) -> Path:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


def sqlite_counts(path: Path) -> tuple[int, ...]:
    with sqlite3.connect(path) as conn:
        return tuple(conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in CHECKED)


def check(contender: Contender, got: tuple[int, ...], want: tuple[int, ...]) -> None:
    if not contender.error and got != want:
        contender.error = f"loaded {got} rows of {CHECKED}, not {want}"


def ensure_source(args: argparse.Namespace) -> Path:
    source = WORK / f"source-{args.contacts}-{args.deals}-s{args.seed}.db"
    if not source.exists():
        print(f"generating {source.name} with bench/gen.py …", flush=True)
        gen = [sys.executable, str(HERE / "gen.py"), "--db", str(source),
               "--contacts", str(args.contacts), "--deals", str(args.deals),
               "--seed", str(args.seed)]  # fmt: skip
        seconds, error = run(gen, env=crm_env())
        if error:
            remove(source)
            raise SystemExit(f"backup_bench.py: gen.py failed: {error}")
    return source


def measure_sqlite(source: Path, repeat: int) -> list[Contender]:
    want = sqlite_counts(source)
    crm, env = crm_argv(), crm_env()
    backup = Contender("crm backup")
    dump = Contender("sqlite3 .dump")
    copy = Contender("sqlite3 .backup")
    restore = Contender("crm restore")
    load = Contender("sqlite3 < dump")
    archive, sql, pages = WORK / "crm.zip", WORK / "dump.sql", WORK / "copy.db"
    restored, loaded = WORK / "restored.db", WORK / "loaded.db"
    for round_no in range(1, repeat + 1):
        print(f"  SQLite round {round_no}/{repeat}:", end="", flush=True)
        timed(backup, [*crm, "--db", str(source), "backup", "-o", str(archive), "--force"], env=env)
        timed(dump, ["sqlite3", str(source), ".dump"], stdout=sql)
        timed(copy, ["sqlite3", str(source), f".backup '{remove(pages)}'"])
        timed(restore, [*crm, "--db", str(remove(restored)), "restore", str(archive)], env=env)
        check(restore, sqlite_counts(restored) if not restore.error else (), want)
        timed(load, ["sqlite3", str(remove(loaded))], stdin=sql)
        check(load, sqlite_counts(loaded) if not load.error else (), want)
        print(flush=True)
    backup.size, dump.size, copy.size = (p.stat().st_size for p in (archive, sql, pages))
    return [backup, dump, copy, restore, load]


def libpq(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def reset_pg(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def pg_counts(url: str) -> tuple[int, ...]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        got = tuple(conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in CHECKED)
    engine.dispose()
    return got


def measure_postgres(
    url: str, archive: Path, want: tuple[int, ...], repeat: int
) -> list[Contender]:
    crm, env, server = crm_argv(), crm_env(url), libpq(url)
    restore = Contender("crm restore")
    pg_restore = Contender("pg_restore")
    backup = Contender("crm backup")
    pg_dump = Contender("pg_dump -Fc")
    ours, theirs = WORK / "pg.zip", WORK / "pg.dump"
    if not shutil.which("pg_dump") or not shutil.which("pg_restore"):
        pg_dump.error = pg_restore.error = "pg_dump / pg_restore not installed: skipped"
    for round_no in range(1, repeat + 1):
        print(f"  PostgreSQL round {round_no}/{repeat}:", end="", flush=True)
        reset_pg(url)
        timed(restore, [*crm, "restore", str(archive)], env=env)
        check(restore, pg_counts(url) if not restore.error else (), want)
        timed(backup, [*crm, "backup", "-o", str(ours), "--force"], env=env)
        timed(pg_dump, ["pg_dump", "-Fc", "--no-owner", "-d", server], stdout=theirs)
        reset_pg(url)
        timed(pg_restore, ["pg_restore", "--no-owner", "-d", server, str(theirs)])
        check(pg_restore, pg_counts(url) if not pg_restore.error else (), want)
        print(flush=True)
    reset_pg(url)
    backup.size = ours.stat().st_size if ours.exists() else 0
    pg_dump.size = theirs.stat().st_size if theirs.exists() else 0
    return [restore, pg_restore, backup, pg_dump]


def show(title: str, crm: Contender, *tools: Contender) -> None:
    def cell(c: Contender) -> str:
        if c.error:
            return f"{c.label}: {c.error}"
        size = f", {c.size / 1e6:.0f} MB" if c.size else ""
        return f"{c.label} {c.median:.2f} s{size}"

    print(f"{title:<22}{cell(crm)}")
    for tool in tools:
        ratio = f"   crm = {crm.median / tool.median:.1f}x" if crm.median and tool.median else ""
        print(f"{'':<22}  vs {cell(tool)}{ratio}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--contacts", type=int, default=100_000)
    p.add_argument("--deals", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--url", help="a scratch PostgreSQL database (SQLAlchemy URL) to load into")
    args = p.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    if not shutil.which("sqlite3"):
        raise SystemExit("backup_bench.py: the sqlite3 shell is needed for the baseline")
    source = ensure_source(args)
    want = sqlite_counts(source)
    print(f"{source.name}: {', '.join(f'{n:,} {t}' for n, t in zip(want, CHECKED, strict=True))}")
    lite = measure_sqlite(source, args.repeat)
    pg = measure_postgres(args.url, WORK / "crm.zip", want, args.repeat) if args.url else []
    print(f"\nmedians of {args.repeat} runs (wall time, each a process):")
    show("SQLite backup", lite[0], lite[1], lite[2])
    show("SQLite restore", lite[3], lite[4])
    if pg:
        show("PostgreSQL restore", pg[0], pg[1])
        show("PostgreSQL backup", pg[2], pg[3])
    failed = [c for c in (*lite, *pg) if c.error]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
