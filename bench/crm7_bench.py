"""How long the reports of the sales-administration, marketing, segmentation and service parts
take as `crm` processes on a 1M-deal SQLite database (goal: under 2 s each).

    python bench/crm7_bench.py              # bench/out/crm7-1m.db, 5 runs after 1 warm-up
    python bench/crm7_bench.py --runs 9
    python bench/crm7_bench.py --contacts 100000 --deals 100000 --runs 3

The database (1M contacts, 1M deals, 2M activities, and the orders, payments, campaigns,
tickets and articles gen.py makes with them) is generated with bench/gen.py when missing.
Each report runs as a process with its output to /dev/null, round-robin with the others so
machine noise hits them alike; a report whose command does not exist (yet) is skipped. The
table gives median, min and max in ms and the ratio to `crm report --help` (start-up alone);
the exit code is 1 when a median misses the goal.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from core_bench import OUT, Command, cli_env, crm_argv, measure, table, table_size, timing_rows

HERE = Path(__file__).resolve().parent
NOW = "2026-11-23T12:00:00+00:00"
"""gen.py's default 'now', so 'today' and the overdue lines match the data."""
GOAL = 2.0
REPORTS = (
    ("segments abc", ("segments", "--by", "abc")),
    ("segments abc H1 2026", ("segments", "--by", "abc", "--from", "2026-01-01",
                              "--to", "2026-06-30")),
    ("segments rfm", ("segments", "--by", "rfm")),
    ("retention quarter", ("retention", "--period", "quarter")),
    ("retention month", ("retention", "--period", "month")),
    ("receivables", ("receivables",)),
    ("campaigns", ("campaigns",)),
    ("service", ("service",)),
)  # fmt: skip


def ensure_db(contacts: int, deals: int) -> Path:
    """The database, generated with gen.py unless it is there with payments already."""
    name = "crm7-1m.db" if (contacts, deals) == (1_000_000, 1_000_000) else (
        f"crm7-{contacts}x{deals}.db")  # fmt: skip
    path = OUT / name
    if path.exists() and table_size(path, "payments"):
        return path
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    argv = [sys.executable, str(HERE / "gen.py"), "--db", str(path),
            "--contacts", str(contacts), "--deals", str(deals)]  # fmt: skip
    print(f"generating {path.relative_to(HERE.parent)} ...", flush=True)
    started = time.perf_counter()
    subprocess.run(argv, env=cli_env(path), check=True)
    print(f"  done in {time.perf_counter() - started:.1f} s", flush=True)
    return path


def env(path: Path) -> dict[str, str]:
    return {**cli_env(path), "CRM_NOW": NOW, "CRM_CURRENCY": "USD"}


def exists(path: Path, name: str) -> bool:
    """Whether `crm report NAME` is a command (its --help exits 0)."""
    argv = [*crm_argv(), "report", name, "--help"]
    done = subprocess.run(argv, env=env(path), capture_output=True)
    return done.returncode == 0


def commands(path: Path) -> tuple[Command, list[Command], list[str]]:
    base = Command("crm report --help", [*crm_argv(), "report", "--help"], env(path))
    found, skipped = [], []
    for label, args in REPORTS:
        if exists(path, args[0]):
            argv = [*crm_argv(), "report", *args, "--format", "csv"]
            found.append(Command(label, argv, env(path)))
        else:
            skipped.append(label)
    return base, found, skipped


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--contacts", type=int, default=1_000_000)
    p.add_argument("--deals", type=int, default=1_000_000)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--warmup", type=int, default=1)
    return p.parse_args()


def main() -> int:
    args = parse_args()
    path = ensure_db(args.contacts, args.deals)
    sizes = {t: table_size(path, t) for t in ("deals", "orders", "payments", "tickets")}
    print(f"{path.relative_to(HERE.parent)}: " + ", ".join(f"{n:,} {t}" for t, n in sizes.items()))
    base, found, skipped = commands(path)
    measure([base, *found], runs=args.runs, warmup=args.warmup)
    headers = ["command", "median ms", "min ms", "max ms", "vs start-up", "note"]
    rows = timing_rows([base, *found], base)
    slow = [c.label for c in found if not c.samples or statistics.median(c.samples) >= GOAL]
    for row, command in zip(rows[1:], found, strict=True):
        if command.label in slow and not row[-1]:
            row[-1] = f"over {GOAL:.0f} s"
    print(f"\n{args.runs} runs each after {args.warmup} warm-up, round-robin, SQLite:")
    print(table(headers, rows))
    if skipped:
        print(f"skipped (no such command yet): {', '.join(skipped)}")
    print(f"goal: every report under {GOAL:.0f} s — " + ("missed: " + ", ".join(slow)
                                                       if slow else "met"))  # fmt: skip
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
