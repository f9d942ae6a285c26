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

    python bench/remind_bench.py --backlog                  # this tree alone
    python bench/remind_bench.py --backlog --before HEAD~1  # and a commit, side by side

A huge backlog (bench/out/remind-backlog.db: 1.5M activities, 10% of them overdue, and
200k deals): wall time and peak memory (ru_maxrss of each child) of
`crm remind --all-owners --dry-run` as jsonl and as text, medians of interleaved runs;
with --before, the same commands on that commit's src (`git archive` into a temporary
folder, run through PYTHONPATH) and whether each printed the same bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
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
    from tinycrm.services.userref import find_owner

    now = datetime.fromisoformat(NOW)
    sql = plain_sql.open_sqlite(DB)
    assert sql is not None
    captured: list[tuple[str, dict[str, object]]] = []
    original = sql.rows

    def spy(query: str, **params: object) -> list[tuple[object, ...]]:
        captured.append((query, params))
        return original(query, **params)

    streamed = sql.stream

    def spy_stream(query: str, **params: object) -> Iterator[tuple[object, ...]]:
        captured.append((query, params))
        return streamed(query, **params)

    sql.rows = spy  # type: ignore[method-assign]
    sql.stream = spy_stream  # type: ignore[method-assign]
    owner_id = find_owner(sql, OWNER)[0]
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


BACKLOG = OUT / "remind-backlog.db"


def ensure_backlog(db: Path, activities: int) -> None:
    if db.exists():
        return
    argv = [sys.executable, str(HERE / "gen.py"), "--db", str(db), "--contacts", "50000"]
    argv += ["--deals", "200000", "--activities", str(activities), "--now", NOW]
    print(f"generating {db} ...", flush=True)
    subprocess.run(argv, env=env(), check=True, stdout=subprocess.DEVNULL)


def run_child(argv: list[str], env: dict[str, str]) -> tuple[float, float, str, int]:
    """Wall seconds, peak RSS in MB (this child's own ru_maxrss), a digest of what it
    printed and how many lines."""
    digest, lines = hashlib.sha256(), 0
    started = time.perf_counter()
    with subprocess.Popen(argv, env=env, stdout=subprocess.PIPE) as proc:
        assert proc.stdout is not None
        while chunk := proc.stdout.read(1 << 20):
            digest.update(chunk)
            lines += chunk.count(b"\n")
        _pid, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{argv} exited {proc.returncode}")
    return elapsed, usage.ru_maxrss / 1024, digest.hexdigest()[:12], lines


def backlog(args: argparse.Namespace) -> int:
    db = Path(args.db) if args.db else BACKLOG
    ensure_backlog(db, args.activities)
    base = {**cli_env(db), "CRM_NOW": NOW, "CRM_TIMEZONE": args.tz}
    trees: list[tuple[str, dict[str, str]]] = [("now", base)]
    tmp = tempfile.TemporaryDirectory()
    if args.before:
        src = Path(tmp.name) / "before"
        src.mkdir()
        archive = subprocess.run(
            ["git", "archive", args.before, "src"], cwd=HERE.parent, capture_output=True, check=True
        )
        subprocess.run(["tar", "-x", "-C", str(src)], input=archive.stdout, check=True)
        trees.insert(0, (args.before, {**base, "PYTHONPATH": str(src / "src")}))
    commands = {f: ["remind", "--all-owners", "--dry-run", "-f", f] for f in ("jsonl", "table")}
    argv = [sys.executable, "-m", "tinycrm"]
    results: dict[tuple[str, str], list[tuple[float, float, str, int]]] = {}
    for _ in range(args.runs):  # round-robin, so load on the machine falls on each alike
        for fmt, cmd in commands.items():
            for label, child_env in trees:
                results.setdefault((fmt, label), []).append(run_child([*argv, *cmd], child_env))
    print(f"{db.name}, CRM_TIMEZONE={args.tz}; medians of {args.runs} runs\n")
    rows = []
    for (fmt, label), got in results.items():
        wall = statistics.median(g[0] for g in got)
        rss = statistics.median(g[1] for g in got)
        same = {g[2] for g in got}
        rows.append(
            [f"-f {fmt}", label, f"{got[0][3]:,}", f"{wall:.2f}", f"{rss:.0f}", ",".join(same)]
        )
    print(
        table(
            ["crm remind --all-owners --dry-run", "code", "lines", "s", "peak MB", "sha256"], rows
        )
    )
    if args.before:
        for fmt in commands:
            a, b = results[(fmt, args.before)], results[(fmt, "now")]
            same = {g[2] for g in a} == {g[2] for g in b}
            ratio = statistics.median(g[0] for g in a) / statistics.median(g[0] for g in b)
            print(f"-f {fmt}: {ratio:.2f}x faster, output {'identical' if same else 'DIFFERS'}")
    tmp.cleanup()
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--runs", type=int, default=15)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--backlog", action="store_true", help="time and memory on a huge backlog")
    p.add_argument("--before", help="with --backlog: also this commit's code, side by side")
    p.add_argument("--db", help="with --backlog: this database instead of generating one")
    p.add_argument("--activities", type=int, default=1_500_000, help="with --backlog")
    p.add_argument("--tz", default="America/New_York", help="with --backlog: CRM_TIMEZONE")
    args = p.parse_args()
    if args.backlog:
        return backlog(args)
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
