"""What a cron run of `crm remind` costs, next to `crm --version` and `import typer`.

    python bench/remind_bench.py             # 15 runs each after 2 warm-ups
    python bench/remind_bench.py --runs 5

On a database of 100k contacts, 100k deals and 200k activities (bench/gen.py, written to
bench/out/remind-100k.db when missing), as processes run round-robin:
  `python -c "import typer"`, `python -c "import sqlmodel"` (what an ORM cron path would
  pay before its first query), `crm --version`, `crm remind --all-owners` once everything
  has been delivered (the everyday quiet run: it still queries and checks the ledger),
  `crm remind --all-owners --dry-run` (prints every reminder due, thousands of lines) and
  `crm remind --owner "Rep 007" --dry-run` (one rep's morning).
Then the plan of every reminder query (EXPLAIN QUERY PLAN), flagging a whole-table scan.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core_bench import (
    OUT,
    Command,
    cli_env,
    crm_argv,
    measure,
    plan_lines,
    scan_flag,
    table,
    timing_rows,
)

HERE = Path(__file__).resolve().parent
DB = OUT / "remind-100k.db"
NOW = "2026-11-23T12:00:00+00:00"
"""The generator's clock: reminders are due relative to it."""
OWNER = "Rep 007"


def ensure_db() -> Path:
    if DB.exists():
        return DB
    argv = [
        sys.executable,
        str(HERE / "gen.py"),
        "--db",
        str(DB),
        "--contacts",
        "100000",
        "--deals",
        "100000",
        "--activities",
        "200000",
        "--now",
        NOW,
    ]
    print(f"generating {DB.relative_to(HERE.parent)} ...", flush=True)
    started = time.perf_counter()
    subprocess.run(argv, env=env(), check=True, stdout=subprocess.DEVNULL)
    print(f"  done in {time.perf_counter() - started:.1f} s", flush=True)
    return DB


def env() -> dict[str, str]:
    return {**cli_env(DB), "CRM_NOW": NOW}


def counts() -> str:
    with sqlite3.connect(DB) as conn:
        activities, open_, due = conn.execute(
            "SELECT count(*), sum(done_at IS NULL), sum(done_at IS NULL AND alert_at <= ?) "
            "FROM activities",
            (NOW[:19].replace("T", " ") + ".000000",),
        ).fetchone()
        deals = conn.execute("SELECT count(*) FROM deals").fetchone()[0]
        contacts = conn.execute("SELECT count(*) FROM contacts").fetchone()[0]
    return (
        f"{contacts:,} contacts, {deals:,} deals, {activities:,} activities "
        f"({open_:,} open, {due:,} with their reminder time come)"
    )


def first_delivery() -> str:
    """Deliver everything once (the ledger starts empty), so the timed runs are the
    everyday ones; returns what that first run did."""
    with sqlite3.connect(DB) as conn:
        conn.execute("DELETE FROM reminder_deliveries")
        conn.execute("UPDATE activities SET reminded_at = NULL")
        conn.execute("UPDATE tickets SET reminded_at = NULL")
        conn.execute(
            "UPDATE deals SET alerted_close = NULL, alerted_overdue = NULL, alerted_quiet = NULL"
        )
    argv = [*crm_argv(), "remind", "--all-owners"]
    started = time.perf_counter()
    proc = subprocess.run(argv, env=env(), capture_output=True, text=True, check=True)
    elapsed = time.perf_counter() - started
    lines = proc.stdout.count("\n")
    with sqlite3.connect(DB) as conn:
        recorded = conn.execute(
            "SELECT (SELECT count(*) FROM activities WHERE reminded_at IS NOT NULL)"
            " + (SELECT count(*) FROM deals WHERE alerted_close IS NOT NULL"
            " OR alerted_quiet IS NOT NULL) + (SELECT count(*) FROM reminder_deliveries)"
            " + (SELECT count(*) FROM tickets WHERE reminded_at IS NOT NULL)"
        ).fetchone()[0]
    return f"first run: {elapsed * 1000:.0f} ms, {lines:,} lines printed, {recorded:,} recorded"


def plans() -> list[str]:
    """The plan of each reminder query, as crm remind runs them."""
    sys.path.insert(0, str(HERE.parent / "src"))
    from tinycrm.db import plain_sql
    from tinycrm.services import reminders
    from tinycrm.services.reminders import agenda

    now = datetime.fromisoformat(NOW)
    sql = plain_sql.open_sqlite(DB)
    assert sql is not None
    captured: list[tuple[str, dict[str, object]]] = []
    original = sql.rows

    def spy(query: str, **params: object) -> list[tuple[object, ...]]:
        captured.append((query, params))
        return original(query, **params)

    sql.rows = spy  # type: ignore[method-assign]
    owner_id = reminders.find_owner(sql, OWNER)[0]
    for owner in (None, owner_id):
        opts = reminders.RemindOptions(now=now, tz=UTC, owner_id=owner)
        reminders.collect(sql, opts)
        start = now.replace(hour=0, minute=0)
        agenda.agenda(
            sql, start=start, end=start + timedelta(days=8), now=now, tz=UTC, owner_id=owner
        )
    lines, seen = [], set()
    for query, params in captured:
        text = sql._query(query)
        if text in seen or "FROM users" in text:
            continue
        seen.add(text)
        plan = sql.conn.execute("EXPLAIN QUERY PLAN " + text, sql._params(params)).fetchall()
        head = " ".join(query.split())[:110]
        lines.append(f"- {head}…")
        for line in plan_lines(plan):
            flag = scan_flag(line.strip())
            lines.append(f"    {line}" + (f"   <-- {flag}" if flag else ""))
    sql.conn.close()
    return lines


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--runs", type=int, default=15)
    p.add_argument("--warmup", type=int, default=2)
    args = p.parse_args()
    ensure_db()
    print(counts())
    print(first_delivery())
    crm = crm_argv()
    commands = [
        Command('python -c "import typer"', [sys.executable, "-c", "import typer"], env()),
        Command('python -c "import sqlmodel"', [sys.executable, "-c", "import sqlmodel"], env()),
        Command("crm --version", [*crm, "--version"], env()),
        Command("crm remind --all-owners (all delivered)", [*crm, "remind", "--all-owners"], env()),
        Command(
            "crm remind --all-owners --dry-run",
            [*crm, "remind", "--all-owners", "--dry-run"],
            env(),
        ),
        Command(
            f'crm remind --owner "{OWNER}" --dry-run',
            [*crm, "remind", "--owner", OWNER, "--dry-run"],
            env(),
        ),
    ]
    measure(commands, runs=args.runs, warmup=args.warmup)
    print(f"\n{args.runs} runs each after {args.warmup} warm-ups, round-robin; medians\n")
    rows = timing_rows(commands, commands[0])
    print(table(["command", "median ms", "min", "max", "vs import typer", "note"], rows))
    version = commands[2]
    ref = statistics.median(version.samples) if version.samples else None
    if ref:
        print("\nagainst crm --version:")
        for c in commands[3:]:
            if c.samples:
                print(f"  {c.label}: {statistics.median(c.samples) / ref:.2f}x")
    print("\nquery plans:")
    lines = plans()
    print("\n".join(lines))
    return 1 if any("<--" in line for line in lines) else 0


if __name__ == "__main__":
    sys.exit(main())
