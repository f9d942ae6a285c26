"""`crm deal list --limit 50` on a million deals against the same command on the demo
database and `crm --version`, measured side by side in one run (medians of interleaved runs).

    python bench/deal_list_bench.py                      # bench/out/deals-1m.db, made when missing
    python bench/deal_list_bench.py --deals 200000 --runs 5

Goal: the big database's first page within 1.5x of the demo's (the page's ids are picked
first, and only its 50 rows are joined to stages, companies, contacts and owners). The
in-process figure is the service call alone, without start-up.
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
from pathlib import Path

HERE = Path(__file__).resolve().parent
NOW = "2026-11-23T12:00:00+00:00"
LIST = ["deal", "list", "--limit", "50"]


def crm(db: Path, *args: str) -> float:
    env = {**os.environ, "CRM_DB": str(db), "CRM_NOW": NOW, "CRM_USER": ""}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # start as an installed crm: bytecode cached
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "tinycrm", *args], env=env, check=True, stdout=subprocess.DEVNULL
    )
    return time.perf_counter() - start


def in_process(db: Path, runs: int) -> float:
    from sqlmodel import Session

    from tinycrm.config import load_settings
    from tinycrm.db.store import open_database
    from tinycrm.services.deals import list_deals

    database = open_database(load_settings(db_path=str(db)))
    times = []
    for _ in range(runs):
        with Session(database.engine) as session:
            start = time.perf_counter()
            list_deals(session, limit=50)
            times.append(time.perf_counter() - start)
    database.engine.dispose()
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deals", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    big = HERE / "out" / f"deals-{args.deals}.db"
    if not big.exists():
        big.parent.mkdir(exist_ok=True)
        subprocess.run(
            [sys.executable, str(HERE / "gen.py"), "--db", str(big), "--deals", str(args.deals),
             "--contacts", str(max(args.deals // 10, 1)), "--activities", str(args.deals // 10)],
            check=True,
        )  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        demo = Path(tmp) / "demo.db"
        env = {**os.environ, "CRM_DB": str(demo), "CRM_NOW": NOW}
        subprocess.run([sys.executable, "-m", "tinycrm", "demo"], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        crm(big, *LIST)  # warm the page cache
        timings: dict[str, list[float]] = {"version": [], "demo": [], "big": []}
        for n in range(args.runs):
            order = ["version", "demo", "big"] if n % 2 == 0 else ["big", "demo", "version"]
            for name in order:
                argv = ["--version"] if name == "version" else LIST
                timings[name].append(crm(demo if name == "demo" else big, *argv))
        medians = {name: statistics.median(ts) for name, ts in timings.items()}
        service = {name: in_process(db, args.runs) for name, db in (("demo", demo), ("big", big))}
    print(f"crm deal list --limit 50, medians of {args.runs} interleaved runs")
    print(f"  crm --version              {medians['version'] * 1000:8.0f} ms")
    print(f"  demo database              {medians['demo'] * 1000:8.0f} ms"
          f"   {medians['demo'] / medians['version']:.2f}x --version")  # fmt: skip
    print(f"  {args.deals:,} deals          {medians['big'] * 1000:8.0f} ms"
          f"   {medians['big'] / medians['demo']:.2f}x the demo (goal <= 1.5x)")  # fmt: skip
    print(f"  service call alone: demo {service['demo'] * 1000:.1f} ms, "
          f"{args.deals:,} deals {service['big'] * 1000:.1f} ms")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
