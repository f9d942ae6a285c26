"""How long everyday commands take to start on the demo database, next to `crm --version`.

    python bench/startup_bench.py            # 11 runs each after 2 warm-ups
    python bench/startup_bench.py --runs 5

On a fresh demo database (`crm demo`, in a temporary folder), as processes run round-robin
so that machine noise hits them alike: `python -c pass`, `crm --version`, `crm --help`,
`crm remind --dry-run`, `crm deal list`, `crm contact list`, `crm company list`,
`crm contact show EMAIL`, `crm report funnel` and `crm deal add` (each adds one deal).
Prints medians, min and max in ms and the ratio to `crm --version`.

Then the flame of `crm deal list`, as it starts (on its query compiled ahead) and with a
filter (through the ORM): where the wall time goes, from `python -X importtime` (each
module's own import time, grouped by package; the ORM's model classes are defined while
`tinycrm.models` imports) and, for what is not importing, from the same run's wall time.
A benchmark, not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from core_bench import Command, cached_bytecode, crm_argv, measure, table, timing_rows

NOW = "2026-11-23T12:00:00+00:00"
GOAL = 2.5
EMAIL = "amelia.clarke@kestreldental.example"
"""A demo contact with deals and activities."""
GROUPS = (
    ("sqlalchemy", "SQLAlchemy"),
    ("sqlmodel", "SQLModel"),
    ("pydantic", "Pydantic"),
    ("pydantic_core", "Pydantic"),
    ("tinycrm.models", "tinycrm.models (model classes)"),
    ("tinycrm", "tinycrm, other modules"),
    ("rich", "rich"),
    ("typer", "typer + click"),
    ("click", "typer + click"),
    ("zoneinfo", "zoneinfo + dateutil"),
    ("dateutil", "zoneinfo + dateutil"),
    ("platformdirs", "platformdirs"),
)


FLAMES = (
    (["deal", "list"], "its query compiled ahead"),
    (["deal", "list", "--stage", "qualified"], "a filter: through the ORM"),
)


def demo_env(folder: Path) -> dict[str, str]:
    env = {**os.environ, "CRM_HOME": str(folder / "home"), "CRM_DB": str(folder / "demo.db")}
    return cached_bytecode({**env, "CRM_NOW": NOW, "CRM_USER": ""})


def commands(env: dict[str, str]) -> list[Command]:
    crm = crm_argv()
    deal_add = ["deal", "add", "Bench deal", "--amount", "1200", "--company", "Lumière Events"]
    return [
        Command("python -c pass", [sys.executable, "-c", "pass"], env),
        Command("crm --version", [*crm, "--version"], env),
        Command("crm --help", [*crm, "--help"], env),
        Command("crm remind --dry-run", [*crm, "remind", "--all-owners", "--dry-run"], env),
        Command("crm deal list", [*crm, "deal", "list"], env),
        Command("crm contact list", [*crm, "contact", "list"], env),
        Command("crm company list", [*crm, "company", "list"], env),
        Command("crm contact show EMAIL", [*crm, "contact", "show", EMAIL], env),
        Command("crm report funnel", [*crm, "report", "funnel"], env),
        Command("crm deal add", [*crm, *deal_add], env),
    ]


def group_of(module: str) -> str:
    for prefix, label in GROUPS:
        if module == prefix or module.startswith(prefix + "."):
            return label
    return "Python's standard library, other"


def flame(env: dict[str, str], runs: int, args: list[str]) -> list[list[str]]:
    """Self import time by group, and the rest of the wall time, of `crm ARGS`, medians over
    `runs`."""
    per_group: dict[str, list[float]] = defaultdict(list)
    walls = []
    for _ in range(runs):
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "tinycrm", *args],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=True,
        )  # fmt: skip
        wall = time.perf_counter() - started
        sums: dict[str, float] = defaultdict(float)
        for line in proc.stderr.splitlines():
            if not line.startswith("import time:") or "|" not in line:
                continue
            _, own, _total, name = (part.strip() for part in line.replace(":", "|", 1).split("|"))
            if own.isdigit():
                sums[group_of(name)] += int(own) / 1e6
        sums["not importing: interpreter, DB open, query, render"] = wall - sum(sums.values())
        walls.append(wall)
        for label, seconds in sums.items():
            per_group[label].append(seconds)
    wall = statistics.median(walls)
    rows = []
    for label, samples in sorted(per_group.items(), key=lambda kv: -statistics.median(kv[1])):
        med = statistics.median(samples)
        rows.append([label, f"{med * 1000:.0f}", f"{med / wall:.0%}"])
    rows.append(["total (with -X importtime's own overhead)", f"{wall * 1000:.0f}", "100%"])
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = demo_env(Path(tmp))
        subprocess.run([*crm_argv(), "demo"], env=env, check=True, stdout=subprocess.DEVNULL)
        timed = commands(env)
        measure(timed, runs=args.runs, warmup=args.warmup)
        print(f"Start-up on the demo database, medians of {args.runs} interleaved runs "
              f"(goal: reads and writes <= {GOAL}x crm --version, --help <= 2x)")  # fmt: skip
        headers = ["command", "median ms", "min", "max", "x --version", ""]
        print(table(headers, timing_rows(timed, timed[1])))
        runs = max(3, args.runs // 2)
        for argv, how in FLAMES:
            print(f"\nFlame of crm {' '.join(argv)} ({how}; medians of {runs} runs)")
            print(table(["where", "ms", "share"], flame(env, runs, argv)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
