"""Cron and other writers during a long import: how many fail with "database is locked", and
how long the import holds SQLite's write lock, for this code and another (before a change).

    python bench/lock_bench.py --before /tmp/before/src      # 200,000 rows, 3 rounds
    python bench/lock_bench.py --rows 50000 --repeat 1 --before /tmp/before/src
    python bench/lock_bench.py --kill 10                      # kill -9 imports at random moments

`--before SRC` names the source folder of the other code (e.g. `git worktree add /tmp/before
HEAD`), put first on PYTHONPATH for every process of its runs: the import, cron's remind and
the other writes. Without it, only this checkout is measured.

Data is generated, deterministically, into bench/out/: the contacts CSV of import_bench.py
(headers as HubSpot exports them), and a deals CSV of as many rows, each naming one of those
contacts by email, its company, an owner (one of 5 users) and a stage. Each run starts from a
copy of a template database: for contacts, `crm init` plus the 5 users; for deals, that plus
the contacts imported.

One run: `crm import contacts|deals FILE --quiet` as a process; while it runs, every second,
`crm remind --all-owners` is started as cron would (a fresh process, not waiting for the one
before) and so is one small write (`crm activity log`, `crm contact add` in turn). A probe
thread takes the write lock (BEGIN IMMEDIATE, then COMMIT) every 50 ms with a 10-minute
timeout: its longest wait is the longest time anyone held the lock (within about 0.15 s, the
probe's period plus SQLite's busy-wait steps). A run reports the import's wall time, the
remind runs and writes started and failed, the longest any of them took, and the probe's
longest wait; the table gives medians over the rounds (run round-robin, before and after
alternating, so that machine noise hits both alike) and the load average.

`--kill N` then starts N imports (this checkout) and kills each with SIGKILL at a random
moment of its expected run time (noting whether it was reading or writing then), and checks
that the database holds none or all of the rows and passes `PRAGMA integrity_check`, that
the import's temporary file left nothing in its TMPDIR, and that `crm remind` still runs.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from import_bench import OUT, crm_argv, crm_env, ensure_csv, fresh, last_line, table

WORK = OUT / "lock"
USERS = ("Rep One", "Rep Two", "Rep Three", "Rep Four", "Rep Five")
STAGES = ("lead", "contacted", "qualified", "negotiation", "won", "lost")
DEAL_HEADERS = ["Deal Name", "Amount", "Deal Stage", "Close Date", "Company", "Contact",
                "Deal Owner", "Create Date"]  # fmt: skip


# --- data ----------------------------------------------------------------------------------


def ensure_deals_csv(contacts_csv: Path, rows: int, seed: int) -> Path:
    """One deal per contact of the contacts CSV (its email and company), generated once."""
    path = OUT / f"import-deals-{rows}-s{seed}.csv"
    if path.exists():
        return path
    r = random.Random(f"tinycrm-lock-bench:{seed}").random
    tmp = path.with_suffix(".tmp")
    with (
        open(contacts_csv, newline="", encoding="utf-8") as src,
        open(tmp, "w", newline="", encoding="utf-8") as out,
    ):
        reader, writer = csv.DictReader(src), csv.writer(out, lineterminator="\n")
        writer.writerow(DEAL_HEADERS)
        for i, contact in enumerate(reader, start=1):
            stage = STAGES[int(r() * len(STAGES))]
            month, day = 1 + int(r() * 12), 1 + int(r() * 28)
            writer.writerow(
                [
                    f"{contact['Company Name']} deal {i}",
                    f"{100 + int(r() * 99_900)}.{int(r() * 100):02d}",
                    stage,
                    f"2026-{month:02d}-{day:02d}",
                    contact["Company Name"],
                    contact["Email"],
                    USERS[int(r() * len(USERS))],
                    f"2025-{month:02d}-{day:02d}",
                ]
            )
    tmp.replace(path)
    return path


def crm(db: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*crm_argv(), "--db", str(db), *args],
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )


def checked(done: subprocess.CompletedProcess[str], what: str) -> None:
    if done.returncode != 0:
        raise SystemExit(f"{what} failed ({done.returncode}): {last_line(done.stderr)}")


def templates(contacts_csv: Path, rows: int) -> dict[str, Path]:
    """The starting databases: users only (for contacts), and users plus the contacts (for
    deals); made by this checkout's code, checkpointed so one file is the whole database."""
    env = crm_env()
    base = fresh(WORK / f"template-{rows}-contacts.db", init=True)
    for name in USERS:
        checked(crm(base, "user", "add", name, env=env), f"crm user add {name}")
    deals = WORK / f"template-{rows}-deals.db"
    fresh(deals, init=False)
    shutil.copyfile(base, deals)
    done = crm(deals, "import", "contacts", str(contacts_csv), "--quiet", env=env)
    checked(done, "the contacts import of the deals template")
    for path in (base, deals):
        with sqlite3.connect(path) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return {"contacts": base, "deals": deals}


def copy_of(template: Path, name: str) -> Path:
    target = fresh(WORK / name, init=False)
    shutil.copyfile(template, target)
    return target


# --- one run -------------------------------------------------------------------------------


@dataclass
class Code:
    label: str
    src: str | None
    """Put first on PYTHONPATH; None: this checkout."""

    def env(self, tmpdir: Path | None = None) -> dict[str, str]:
        env = crm_env()
        if self.src:
            env["PYTHONPATH"] = self.src
        if tmpdir is not None:
            env["TMPDIR"] = str(tmpdir)
        return env


class Probe(threading.Thread):
    """Takes the write lock every 50 ms; the longest wait is the longest hold by another."""

    def __init__(self, db: Path) -> None:
        super().__init__(daemon=True)
        self.db, self.stop, self.waits = db, threading.Event(), [0.0]

    def run(self) -> None:
        conn = sqlite3.connect(self.db, timeout=600, isolation_level=None)
        try:
            while not self.stop.is_set():
                started = time.perf_counter()
                conn.execute("BEGIN IMMEDIATE")
                self.waits.append(time.perf_counter() - started)
                conn.execute("COMMIT")
                self.stop.wait(0.05)
        finally:
            conn.close()


@dataclass
class Child:
    kind: str
    proc: subprocess.Popen[str]
    started: float
    sink: IO[str]
    seconds: float = 0.0
    code: int | None = None
    output: str = ""


@dataclass
class Sample:
    import_s: float
    lock_s: float
    remind: tuple[int, int]
    """(started, failed)"""
    writes: tuple[int, int]
    remind_max_s: float
    write_max_s: float
    remind_median_s: float
    load: tuple[float, float]
    locked_lines: int
    note: str = ""


def launch(kind: str, argv: list[str], env: dict[str, str]) -> Child:
    """Start a process; its output goes to a file (a pipe nobody reads could fill and block
    it: `crm remind` prints every large deal due on its first run)."""
    sink = tempfile.TemporaryFile(mode="w+", dir=WORK)
    proc = subprocess.Popen(
        argv, env=env, stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT, text=True
    )
    return Child(kind, proc, time.perf_counter(), sink=sink)


def small_write(db: Path, n: int, env: dict[str, str]) -> Child:
    base = [*crm_argv(), "--db", str(db)]
    if n % 2:
        return launch("write", [*base, "activity", "log", "note", f"Bench note {n}"], env)
    return launch(
        "write", [*base, "contact", "add", f"Bench {n}", "--email", f"bench{n}@x.example"], env
    )


def one_run(code: Code, noun: str, source: Path, template: Path) -> Sample:
    db = copy_of(template, f"run-{noun}.db")
    env, base = code.env(), [*crm_argv(), "--db", str(db)]
    probe = Probe(db)
    load_before = os.getloadavg()[0]
    probe.start()
    importer = launch("import", [*base, "import", noun, str(source), "--quiet"], env)
    children: list[Child] = []
    tick, n = importer.started, 0
    while importer.code is None or any(c.code is None for c in children):
        if importer.code is None and time.perf_counter() >= tick:
            n += 1
            children.append(launch("remind", [*base, "remind", "--all-owners"], env))
            children.append(small_write(db, n, env))
            tick += 1.0
        for child in (importer, *children):
            reap(child)
        time.sleep(0.01)
    probe.stop.set()
    probe.join()
    return summary(importer, children, probe, (load_before, os.getloadavg()[0]))


def reap(child: Child) -> None:
    """Note when a child ended (polled every 10 ms), with its exit code and output."""
    if child.code is None and child.proc.poll() is not None:
        child.seconds = time.perf_counter() - child.started
        child.code = child.proc.returncode
        child.sink.seek(0)
        child.output = child.sink.read()
        child.sink.close()


def summary(
    importer: Child, children: list[Child], probe: Probe, load: tuple[float, float]
) -> Sample:
    def of(kind: str) -> list[Child]:
        return [c for c in children if c.kind == kind]

    def failed(kind: str) -> int:
        return sum(c.code != 0 for c in of(kind))

    locked = sum("locked" in c.output for c in children)
    note = (
        "" if importer.code == 0 else f"import exit {importer.code}: {last_line(importer.output)}"
    )
    return Sample(
        import_s=importer.seconds,
        lock_s=max(probe.waits),
        remind=(len(of("remind")), failed("remind")),
        writes=(len(of("write")), failed("write")),
        remind_max_s=max((c.seconds for c in of("remind")), default=0.0),
        write_max_s=max((c.seconds for c in of("write")), default=0.0),
        remind_median_s=statistics.median([c.seconds for c in of("remind")] or [0.0]),
        load=load,
        locked_lines=locked,
        note=note,
    )


# --- the report ----------------------------------------------------------------------------


@dataclass
class Series:
    code: Code
    noun: str
    samples: list[Sample] = field(default_factory=list)

    def median(self, attr: str) -> float:
        return statistics.median(getattr(s, attr) for s in self.samples)


def report(series: list[Series], rows: int) -> None:
    print(f"\n{rows:,} rows; medians over the rounds (each round: all its runs' figures):")
    lines = []
    for s in series:
        reminds = ", ".join(f"{f}/{n}" for n, f in (x.remind for x in s.samples))
        writes = ", ".join(f"{f}/{n}" for n, f in (x.writes for x in s.samples))
        lines.append(
            [
                f"{s.noun}: {s.code.label}",
                f"{s.median('import_s'):.1f}",
                f"{s.median('lock_s'):.1f}",
                reminds,
                writes,
                f"{s.median('remind_median_s'):.1f}",
                f"{s.median('remind_max_s'):.1f}",
                f"{s.median('write_max_s'):.1f}",
                "; ".join(filter(None, (x.note for x in s.samples))),
            ]
        )
    headers = ["import", "import s", "lock held s", "remind failed/run", "writes failed/run",
               "remind median s", "remind max s", "write max s", "note"]  # fmt: skip
    print(table(headers, lines))
    loads = [x.load for s in series for x in s.samples]
    print(
        f"\nload average (1 min) at the start of the runs: {min(a for a, _ in loads):.1f} to "
        f"{max(a for a, _ in loads):.1f}; at their end: {min(b for _, b in loads):.1f} to "
        f"{max(b for _, b in loads):.1f} ({os.cpu_count()} CPUs)"
    )
    for noun in dict.fromkeys(s.noun for s in series):
        pair = [s for s in series if s.noun == noun]
        if len(pair) == 2:
            before, after = pair
            print(
                f"{noun}: import time after/before {after.median('import_s') / before.median('import_s'):.2f}x; "  # noqa: E501
                f"lock held after/before {after.median('lock_s') / before.median('lock_s'):.2f}x"
            )


# --- kill -9 -------------------------------------------------------------------------------


def kill_check(times: int, noun: str, source: Path, template: Path, rows: int) -> int:
    """Kill imports at random moments; each must leave none or all rows, a sound file, no
    temporary file, and a database cron can use."""
    code, rng = Code("this checkout", None), random.Random(7)
    table_name = "contacts" if noun == "contacts" else "deals"
    (start,) = count(template, f"SELECT COUNT(*) FROM {table_name}")
    expected = Series(code, noun)
    expected.samples.append(timed_import(code, noun, source, template))
    span = expected.samples[0].import_s
    print(f"\nkill -9 of `crm import {noun}` ({rows:,} rows, about {span:.1f} s alone):")
    bad = 0
    for i in range(1, times + 1):
        db, tmpdir = copy_of(template, "kill.db"), fresh_dir(WORK / "kill-tmp")
        at = rng.uniform(0.05, 1.1) * span
        proc = subprocess.Popen(
            [*crm_argv(), "--db", str(db), "import", noun, str(source), "--quiet"],
            env=code.env(tmpdir),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            proc.wait(timeout=at)
            phase = "ended"
        except subprocess.TimeoutExpired:
            phase = "killed writing" if writing(db) else "killed reading"
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        (now,) = count(db, f"SELECT COUNT(*) FROM {table_name}")
        (integrity,) = count(db, "PRAGMA integrity_check")
        left = sorted(p.name for p in tmpdir.iterdir())
        remind = crm(db, "remind", "--all-owners", env=code.env())
        whole = now - start in (0, rows)
        ok = whole and integrity == "ok" and not left and remind.returncode == 0
        bad += not ok
        print(
            f"  {i:2}: {phase:<14} at {at:5.1f} s: {now - start:>9,} rows "
            f"of {rows:,} added, integrity {integrity}, temp files left {len(left)}, "
            f"remind exit {remind.returncode} -> {'ok' if ok else 'FAILED'}"
        )
    return bad


def writing(db: Path) -> bool:
    """Whether another connection holds the write lock right now."""
    conn = sqlite3.connect(db, timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        conn.close()


def timed_import(code: Code, noun: str, source: Path, template: Path) -> Sample:
    db = copy_of(template, "alone.db")
    started = time.perf_counter()
    done = crm(db, "import", noun, str(source), "--quiet", env=code.env())
    checked(done, f"crm import {noun}")
    return Sample(time.perf_counter() - started, 0.0, (0, 0), (0, 0), 0.0, 0.0, 0.0, (0, 0), 0)


def fresh_dir(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def count(db: Path, sql: str) -> tuple[Any, ...]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchone()


# --- the command ---------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--rows", type=int, default=200_000, help="rows per import (default 200,000)")
    p.add_argument("--repeat", type=int, default=3, help="rounds (default 3)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--before", metavar="SRC", help="source folder of the code to compare with")
    p.add_argument("--nouns", default="contacts,deals", help="imports to run (default both)")
    p.add_argument("--kill", type=int, default=0, metavar="N", help="also kill -9 N imports")
    p.add_argument("--kill-noun", default="contacts", choices=("contacts", "deals"))
    p.add_argument("--no-runs", action="store_true", help="only the kill -9 check")
    return p.parse_args()


def main() -> int:
    args = parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    print(
        f"lock_bench: Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )
    contacts_csv, _ = ensure_csv(args.rows, args.seed)
    sources = {
        "contacts": contacts_csv,
        "deals": ensure_deals_csv(contacts_csv, args.rows, args.seed),
    }
    bases = templates(contacts_csv, args.rows)
    codes = [Code("after (this checkout)", None)]
    if args.before:
        codes.insert(0, Code(f"before ({args.before})", args.before))
    nouns = [n for n in args.nouns.split(",") if n]
    series = [Series(c, n) for n in nouns for c in codes]
    for round_no in range(1, 0 if args.no_runs else args.repeat + 1):
        for s in series if round_no % 2 else series[::-1]:
            sample = one_run(s.code, s.noun, sources[s.noun], bases[s.noun])
            s.samples.append(sample)
            print(
                f"  round {round_no}: {s.noun}, {s.code.label}: import {sample.import_s:.1f} s, "
                f"lock {sample.lock_s:.1f} s, remind failed {sample.remind[1]}/{sample.remind[0]}, "  # noqa: E501
                f"writes failed {sample.writes[1]}/{sample.writes[0]} {sample.note}",
                flush=True,
            )
    if series and series[0].samples:
        report(series, args.rows)
    bad = 0
    if args.kill:
        noun = args.kill_noun
        bad = kill_check(args.kill, noun, sources[noun], bases[noun], args.rows)
    for path in (*bases.values(), *(WORK / n for n in ("run-contacts.db", "run-deals.db",
                                                       "alone.db", "kill.db"))):  # fmt: skip
        fresh(path, init=False)  # the templates are made again by each run
    shutil.rmtree(WORK / "kill-tmp", ignore_errors=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
