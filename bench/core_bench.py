"""How fast the crm CLI starts, and whether its two everyday reads scan whole tables.

    python bench/core_bench.py            # 15 runs each; 100k and 1M-contact databases
    python bench/core_bench.py --quick    # 5 runs each; 100k-contact databases only

a) cold start: `python -c "import sqlite3"`, `python -c "import typer"`, `crm --version` and
   `crm contact list --limit 1` (100k contacts), side by side, as ratios to the first;
b) on a big database: `crm contact show EMAIL` and `crm deal list --owner "Rep 007"
   --limit 50` as processes, then the service calls behind them in-process, with every SQL
   statement they run captured and explained (EXPLAIN QUERY PLAN), flagging whole-table scans.

Databases are generated with bench/gen.py into bench/out/ when missing; nothing is written
anywhere else (the CLI runs with CRM_HOME=bench/out/home). Exits 1 when a plan scans a
whole big table.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
BIG_TABLES = frozenset({"contacts", "deals", "activities", "stage_changes", "contact_tags"})
OWNER = "Rep 007"
COLD_SIZE = (100_000, 100_000)


# --- databases -----------------------------------------------------------------------------


def db_file(contacts: int, deals: int) -> Path:
    return OUT / ("big.db" if (contacts, deals) == (1_000_000, 1_000_000) else
                  f"crm-{contacts}x{deals}.db")  # fmt: skip


def ensure_db(contacts: int, deals: int) -> Path:
    """The database of that size, generated with gen.py unless it is there already."""
    path = db_file(contacts, deals)
    if path.exists() and table_size(path, "contacts"):
        return path
    argv = [sys.executable, str(HERE / "gen.py"), "--db", str(path),
            "--contacts", str(contacts), "--deals", str(deals)]  # fmt: skip
    print(f"generating {path.relative_to(HERE.parent)} ...", flush=True)
    started = time.perf_counter()
    subprocess.run(argv, env=cli_env(path), check=True, stdout=subprocess.DEVNULL)
    print(f"  done in {time.perf_counter() - started:.1f} s", flush=True)
    return path


def table_size(path: Path, table: str) -> int:
    """Rows in a table the generator filled (ids are dense), without counting them."""
    with sqlite3.connect(path) as conn:
        try:
            return conn.execute(f"SELECT COALESCE(MAX(rowid), 0) FROM {table}").fetchone()[0]
        except sqlite3.OperationalError:
            return 0


def sample_contact(path: Path) -> tuple[int, str]:
    """A contact from the middle of the database that has a deal: (id, email)."""
    with sqlite3.connect(path) as conn:
        middle = table_size(path, "deals") // 2
        row = conn.execute(
            "SELECT c.id, c.email FROM deals d JOIN contacts c ON c.id = d.contact_id "
            "WHERE d.id >= ? ORDER BY d.id LIMIT 1",
            (middle,),
        ).fetchone()
    return row[0], row[1]


# --- timing processes ----------------------------------------------------------------------


def cli_env(db: Path) -> dict[str, str]:
    """The environment for a crm process: no CRM_* of the caller's, the home in bench/out."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    env.update(CRM_HOME=str(OUT / "home"), CRM_DB=str(db), CRM_TIMEZONE="UTC", COLUMNS="120")
    return cached_bytecode(env)


def cached_bytecode(env: dict[str, str]) -> dict[str, str]:
    """`env` without PYTHONDONTWRITEBYTECODE: start-up is measured as an installed crm runs,
    its modules' bytecode cached after the first run (compiling tinycrm's own sources again
    on every run costs about a third of `crm remind`)."""
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def crm_argv() -> list[str]:
    """The `crm` script installed next to this Python, else `python -m tinycrm`."""
    script = Path(sys.executable).with_name("crm")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tinycrm"]


@dataclass
class Command:
    label: str
    argv: list[str]
    env: dict[str, str]
    samples: list[float] = field(default_factory=list)
    error: str | None = None

    def run(self) -> float | None:
        if self.error:
            return None
        started = time.perf_counter()
        proc = subprocess.run(self.argv, env=self.env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
        elapsed = time.perf_counter() - started
        if proc.returncode != 0:
            lines = proc.stderr.decode(errors="replace").strip().splitlines() or ["(no output)"]
            self.error = f"exit {proc.returncode}: {lines[-1][:160]}"
            return None
        return elapsed


def measure(commands: list[Command], *, runs: int, warmup: int) -> None:
    """Run the commands round-robin, so that machine noise hits them all alike."""
    for round_no in range(warmup + runs):
        for command in commands:
            elapsed = command.run()
            if elapsed is not None and round_no >= warmup:
                command.samples.append(elapsed)


def timing_rows(commands: list[Command], base: Command | None) -> list[list[str]]:
    ref = statistics.median(base.samples) if base and base.samples else None
    rows = []
    for c in commands:
        if not c.samples:
            rows.append([c.label, "-", "-", "-", "-", c.error or "no sample"])
            continue
        med = statistics.median(c.samples)
        ratio = f"{med / ref:.1f}x" if ref else "-"
        rows.append([c.label, ms(med), ms(min(c.samples)), ms(max(c.samples)), ratio, ""])
    return rows


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def table(headers: list[str], rows: list[list[str]]) -> str:
    """Plain-text columns: the first and last left-aligned, the figures between right-aligned."""
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    edge = {0, len(widths) - 1}
    lines = [
        "  ".join(
            c.ljust(w) if i in edge else c.rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in [headers, ["-" * w for w in widths], *rows]
    ]
    return "\n".join(line.rstrip() for line in lines)


HEADERS = ["command", "median ms", "min", "max", "vs sqlite3", "note"]


# --- a) cold start -------------------------------------------------------------------------


def cold_start(runs: int, warmup: int) -> None:
    db = ensure_db(*COLD_SIZE)
    env, crm = cli_env(db), crm_argv()
    commands = [
        Command('python -c "import sqlite3"', [sys.executable, "-c", "import sqlite3"], env),
        Command('python -c "import typer"', [sys.executable, "-c", "import typer"], env),
        Command("crm --version", [*crm, "--version"], env),
        Command("crm contact list --limit 1", [*crm, "contact", "list", "--limit", "1"], env),
    ]
    measure(commands, runs=runs, warmup=warmup)
    print(f"\na) cold start: {runs} runs each after {warmup} warm-up, round-robin; "
          f"crm = {' '.join(crm)}; CRM_DB={db.relative_to(HERE.parent)}")  # fmt: skip
    print(table(HEADERS, timing_rows(commands, commands[0])))


# --- b) the two reads on a big database ----------------------------------------------------


def big_reads(path: Path, runs: int, warmup: int) -> list[str]:
    contact_id, email = sample_contact(path)
    sizes = ", ".join(f"{t} {table_size(path, t):,}" for t in ("contacts", "deals", "activities",
                                                               "stage_changes"))  # fmt: skip
    print(f"\nb) {path.relative_to(HERE.parent)}: {sizes}")
    print(f"   contact: #{contact_id} {email}; owner: {OWNER}")
    env, crm = cli_env(path), crm_argv()
    base = Command('python -c "import sqlite3"', [sys.executable, "-c", "import sqlite3"], env)
    commands = [
        base,
        Command(f"crm contact show {email}", [*crm, "contact", "show", email], env),
        Command(f'crm deal list --owner "{OWNER}" --limit 50',
                [*crm, "deal", "list", "--owner", OWNER, "--limit", "50"], env),
    ]  # fmt: skip
    measure(commands, runs=runs, warmup=warmup)
    print(table(HEADERS, timing_rows(commands, base)))
    return in_process(path, email, contact_id, repeats=max(3, runs // 3))


def in_process(path: Path, email: str, contact_id: int, *, repeats: int) -> list[str]:
    """The services behind both commands, timed, with every statement they run explained."""
    from tinycrm.config import load_settings
    from tinycrm.db.store import open_database
    from tinycrm.services import activities, contacts, deals

    db = open_database(load_settings(db_path=str(path)), create=False)

    def show(session: Any) -> int:
        contacts.get_contact(session, ref=email)
        found = deals.list_deals(session, contact=email, status=None)
        return 1 + len(found) + len(activities.list_activities(session, contact_id=contact_id))

    def listing(session: Any) -> int:
        return len(deals.list_deals(session, owner=OWNER, limit=50))

    scans: list[str] = []
    rows = []
    for label, work in (("contact show (services)", show), ("deal list (services)", listing)):
        with captured(db.engine) as statements:
            got = run_in_session(db, work)
        times = [timed(db, work) for _ in range(repeats)]
        rows.append([label, ms(statistics.median(times)), ms(min(times)), ms(max(times)),
                     f"{len(statements)} statements, {got} rows"])  # fmt: skip
        scans += explain_all(db, label, statements)
    print(f"\n   in-process, {repeats} runs each (first run not counted):")
    print(table(["work", "median ms", "min", "max", "note"], rows))
    db.engine.dispose()
    return scans


def run_in_session(db: Any, work: Callable[[Any], int]) -> int:
    from tinycrm.db.store import session_scope

    with session_scope(db, write=False) as session:
        return work(session)


def timed(db: Any, work: Callable[[Any], int]) -> float:
    started = time.perf_counter()
    run_in_session(db, work)
    return time.perf_counter() - started


@contextmanager
def captured(engine: Any) -> Iterator[list[tuple[str, Any]]]:
    """Every statement (with its parameters) the engine sends while the block runs."""
    from sqlalchemy import event

    seen: list[tuple[str, Any]] = []

    def listener(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().split(None, 1)[0].upper() in ("SELECT", "WITH"):
            seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listener)


def explain_all(db: Any, label: str, statements: list[tuple[str, Any]]) -> list[str]:
    print(f"\n   EXPLAIN QUERY PLAN, {label}:")
    scans: list[str] = []
    done: set[str] = set()
    with db.engine.connect() as conn:
        for n, (sql, params) in enumerate(statements, start=1):
            flat = " ".join(sql.split())
            if flat in done:
                print(f"   [{n}] same statement as above, params {params!r}")
                continue
            done.add(flat)
            print(f"   [{n}] {flat}\n       params {params!r}")
            plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params).all()
            for line in plan_lines(plan):
                flag = scan_flag(line)
                print(f"       {line}{'   <-- ' + flag if flag else ''}")
                if flag:
                    scans.append(f"{label} [{n}]: {line.strip()} ({flag})\n      {flat}")
    return scans


def plan_lines(plan: list[Any]) -> list[str]:
    """EXPLAIN QUERY PLAN rows (id, parent, _, detail) as an indented tree."""
    depth: dict[int, int] = {0: -1}
    lines = []
    for node, parent, _, detail in plan:
        depth[node] = depth.get(parent, -1) + 1
        lines.append("  " * depth[node] + detail)
    return lines


def scan_flag(line: str) -> str | None:
    """Whether a plan line reads a whole big table: SCAN without an index, or of an index."""
    words = line.split()
    if len(words) < 2 or words[0] != "SCAN" or words[1] not in BIG_TABLES:
        return None
    if "USING" in words:
        return f"FULL SCAN of {words[1]} (through an index, still every row)"
    return f"FULL SCAN of {words[1]} without an index"


# --- the command ---------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--quick", action="store_true", help="5 runs, 100k-contact databases")
    p.add_argument("--runs", type=int, help="measured runs per command (default 15, quick 5)")
    p.add_argument("--big-contacts", type=int, help="default 1,000,000 (quick 100,000)")
    p.add_argument("--big-deals", type=int, help="default 1,000,000 (quick 100,000)")
    p.add_argument("--skip-cold", action="store_true", help="only part b")
    args = p.parse_args()
    big = COLD_SIZE if args.quick else (1_000_000, 1_000_000)
    args.big_contacts = args.big_contacts or big[0]
    args.big_deals = args.big_deals or big[1]
    args.runs = args.runs or (5 if args.quick else 15)
    args.warmup = 1 if args.quick else 2
    return args


def main() -> int:
    args = parse_args()
    OUT.mkdir(exist_ok=True)
    for var in [v for v in os.environ if v.startswith("CRM_")]:
        del os.environ[var]  # only this process: read no user config, use no other database
    os.environ["CRM_HOME"] = str(OUT / "home")
    print(f"core_bench: Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, "
          f"{os.cpu_count()} CPUs")  # fmt: skip
    if not args.skip_cold:
        cold_start(args.runs, args.warmup)
    big = ensure_db(args.big_contacts, args.big_deals)
    scans = big_reads(big, args.runs, args.warmup)
    print("\nwhole-table scans of big tables:", "none" if not scans else "")
    for scan in scans:
        print(f"  - {scan}")
    return 1 if scans else 0


if __name__ == "__main__":
    sys.exit(main())
