"""How fast `crm import contacts` loads a big CSV, next to a plain loader and sqlite-utils.

    python bench/import_bench.py                        # 1,000,000 rows, 3 runs each
    python bench/import_bench.py --rows 200000 --repeat 5
    python bench/import_bench.py --rows 100000 --profile
    python bench/import_bench.py --pg postgresql://postgres@127.0.0.1:5432/crm_bench

The CSV (about 150 bytes a row, headers as another CRM exports them: `First Name`, `Email`,
`Phone Number`, `Company Name`, `Job Title`, `City`, `Lifecycle Stage`...) is generated
deterministically into bench/out/ and reused when there. Then, round-robin so that machine
noise hits them all alike, each run against a fresh database:

a) crm: `crm --db PATH import contacts FILE --quiet` into a database made by `crm init`;
b) the ceiling: a plain `csv` + `sqlite3.executemany` loader, one transaction, into the same
   tinycrm schema (same indexes, the same unique email, the same connection pragmas), with
   trivially derived values only (lowercased email, casefolded name key, text timestamps,
   companies by a dict of their names): what Python and SQLite can do at best;
c) the peer: `sqlite-utils insert PATH contacts FILE --csv` into an empty file;
d) re-import: (a) again into the database (a) filled, every row a duplicate (default
   `--on-duplicate skip`).

Each is timed as a process (wall time) with its peak RSS from `wait4`; the counts are checked
(N contacts made by (a), none by (d)). The table gives medians and the ratios issue 17 sets
goals for. `--profile` runs the crm import once in-process under cProfile instead and prints
where the time goes. `--pg URL` times (a) into PostgreSQL instead, at several sizes (the
database the URL names is emptied for every run), next to (a) on SQLite at the same size,
and prints rows/s and the ratio. Nothing is written outside bench/out/ and that database
(the CLI runs with CRM_HOME=bench/out/home and no CRM_* variable of the caller's).
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import itertools
import json
import os
import pstats
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gen import FIRST_NAMES, LAST_NAMES, company_domain, company_name

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
WORK = OUT / "import"
HEADERS = ["First Name", "Last Name", "Email", "Phone Number", "Company Name", "Job Title",
           "City", "Lifecycle Stage"]  # fmt: skip
TITLES = ("Chief Executive Officer", "Chief Technology Officer", "VP of Sales",
          "Head of Customer Success", "Procurement Manager", "Senior Software Engineer",
          "Office Manager", "Marketing Lead", "Founder", "Director of Operations",
          "Account Executive", "Sales Development Representative")  # fmt: skip
CITIES = ("New York", "San Francisco", "Chicago", "Austin", "Toronto", "London", "Berlin",
          "Paris", "Madrid", "Amsterdam", "Sydney", "Los Angeles", "São Paulo",
          "Zürich")  # fmt: skip
STAGES = (("Lead",) * 30 + ("Subscriber",) * 20 + ("Marketing Qualified Lead",) * 10
          + ("Sales Qualified Lead",) * 8 + ("Opportunity",) * 10 + ("Customer",) * 17
          + ("Evangelist",) * 2 + ("Other",) * 3)  # fmt: skip
SUFFIXES = ("", "", "", ", Inc.", " GmbH", " Ltd.", " LLC")
"""Every company keeps one suffix (by its number); `, Inc.` makes the cell a quoted one."""
STATUS_OF = {"lead": "lead", "subscriber": "lead", "marketing qualified lead": "lead",
             "sales qualified lead": "prospect", "opportunity": "prospect",
             "customer": "customer", "evangelist": "customer", "other": "inactive"}  # fmt: skip
"""The ceiling's whole 'normalisation' of the stage: one dict lookup."""
MB = 1024 * 1024


# --- the CSV -------------------------------------------------------------------------------


def csv_file(rows: int, seed: int) -> Path:
    return OUT / f"import-contacts-{rows}-s{seed}.csv"


def ensure_csv(rows: int, seed: int) -> tuple[Path, dict[str, int]]:
    """The CSV for that size and seed, with facts about it; generated unless already there."""
    path = csv_file(rows, seed)
    meta_path = path.with_suffix(".json")
    if path.exists() and meta_path.exists():
        return path, json.loads(meta_path.read_text())
    print(f"generating {path.relative_to(HERE.parent)} ...", flush=True)
    started = time.perf_counter()
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(HEADERS)
        facts = write_rows(writer, rows, seed)
    facts["bytes"] = tmp.stat().st_size
    tmp.replace(path)
    meta_path.write_text(json.dumps(facts))
    print(f"  done in {time.perf_counter() - started:.1f} s", flush=True)
    return path, facts


def write_rows(writer: Any, rows: int, seed: int) -> dict[str, int]:
    """Unique emails (some typed with capitals), unique phones (80% `+1 555 ...`, 12% in
    national form, 8% none), about one company per ten contacts, stages as HubSpot names them."""
    r = random.Random(f"tinycrm-import-bench:{seed}").random
    companies = max(1, rows // 10)
    names: dict[int, tuple[str, str]] = {}
    used: set[int] = set()
    national = 0
    for i in range(1, rows + 1):
        first = FIRST_NAMES[int(r() * len(FIRST_NAMES))]
        last = LAST_NAMES[int(r() * len(LAST_NAMES))]
        n = 1 + int(r() * companies)
        used.add(n)
        if n not in names:
            base = company_name(n)
            names[n] = (base + SUFFIXES[n % len(SUFFIXES)], company_domain(base) + ".com")
        company, domain = names[n]
        email = f"{first}.{last}.{i}@{domain}"
        if r() >= 0.2:
            email = email.lower()
        area, exchange, line = 555 + i // 8_000_000, 200 + (i // 10_000) % 800, i % 10_000
        u = r()
        if u < 0.80:
            phone = f"+1 {area} {exchange} {line:04d}"
        elif u < 0.92:
            phone = f"({area}) {exchange}-{line:04d}"
            national += 1
        else:
            phone = ""
        writer.writerow(
            [
                first,
                last,
                email,
                phone,
                company,
                TITLES[int(r() * len(TITLES))],
                CITIES[int(r() * len(CITIES))],
                STAGES[int(r() * len(STAGES))],
            ]
        )
    return {"rows": rows, "companies": len(used), "national_phones": national}


# --- the ceiling: a plain loader (runs as its own process, for a fair RSS) ---------------


CONTACT_SQL = (
    "INSERT INTO contacts (first_name, last_name, full_name, name_key, email, phone, phone_norm,"
    " title, status, company_id, custom, created_at, updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
COMPANY_SQL = (
    "INSERT INTO companies (id, name, name_key, custom, created_at, updated_at)"
    " VALUES (?, ?, ?, '{}', ?, ?)"
)


def ceiling_load(db: str, source: str) -> int:
    """Load the CSV into tinycrm's contacts (and companies) tables; returns rows read."""
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    conn = sqlite3.connect(db, isolation_level=None)
    for pragma in ("journal_mode = WAL", "synchronous = NORMAL", "foreign_keys = ON"):
        conn.execute(f"PRAGMA {pragma}")  # what tinycrm's engine sets on every connection
    companies: dict[str, int] = {}
    total = 0
    conn.execute("BEGIN IMMEDIATE")
    with open(source, newline="", encoding="utf-8") as stream:
        reader = csv.reader(stream)
        at = {h: k for k, h in enumerate(next(reader))}
        cols = [at[h] for h in HEADERS]
        while chunk := list(itertools.islice(reader, 10_000)):
            new: list[tuple[object, ...]] = []
            rows: list[tuple[object, ...]] = []
            for cells in chunk:
                first, last, email, phone, company, title, city, stage = (cells[c] for c in cols)
                company_id = companies.get(company) if company else None
                if company and company_id is None:
                    company_id = companies[company] = len(companies) + 1
                    new.append((company_id, company, company.casefold(), now, now))
                full = f"{first} {last}"
                rows.append(
                    (
                        first or None,
                        last or None,
                        full,
                        full.casefold(),
                        email.lower() or None,
                        phone or None,
                        phone or None,
                        title or None,
                        STATUS_OF.get(stage.lower(), "prospect"),
                        company_id,
                        json.dumps({"City": city}) if city else "{}",
                        now,
                        now,
                    )
                )
            conn.executemany(COMPANY_SQL, new)
            conn.executemany(CONTACT_SQL, rows)
            total += len(rows)
    conn.execute("COMMIT")
    conn.close()
    return total


# --- running and timing processes ----------------------------------------------------------


def crm_env() -> dict[str, str]:
    """No CRM_* of the caller's (no user config, no other database); the home in bench/out."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    env.update(CRM_HOME=str(OUT / "home"), CRM_TIMEZONE="UTC", COLUMNS="120")
    return env


def crm_argv() -> list[str]:
    """The `crm` script installed next to this Python, else `python -m tinycrm`."""
    script = Path(sys.executable).with_name("crm")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tinycrm"]


def sqlite_utils_argv() -> list[str] | None:
    script = Path(sys.executable).with_name("sqlite-utils")
    found = str(script) if script.exists() else shutil.which("sqlite-utils")
    return [found] if found else None


@dataclass
class Run:
    seconds: float
    rss_mb: float
    code: int
    output: str
    cpu: float = 0.0
    """User + system CPU seconds of the process itself: on a busy machine, steadier than
    wall time (what a database server does for it is not counted)."""


def run(argv: list[str], env: dict[str, str] | None = None) -> Run:
    """Run a process to its end: wall time, peak RSS (its own, from wait4), exit code, output."""
    log = WORK / "last-output.txt"
    with open(log, "wb") as sink:
        started = time.perf_counter()
        proc = subprocess.Popen(
            argv, env=env, stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT
        )
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    output = log.read_text(errors="replace").strip()
    cpu = usage.ru_utime + usage.ru_stime
    return Run(elapsed, usage.ru_maxrss / 1024, proc.returncode, output, cpu)  # Linux: KiB


def fresh(path: Path, *, init: bool) -> Path:
    """Remove a database and its WAL files; with `init`, have tinycrm create it empty."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    if init:
        done = run([*crm_argv(), "--db", str(path), "init"], crm_env())
        if done.code != 0:
            raise SystemExit(f"crm init failed ({done.code}): {last_line(done.output)}")
    return path


def last_line(text: str) -> str:
    return (text.strip().splitlines() or ["(no output)"])[-1][:200]


def count(db: Path, sql: str) -> tuple[Any, ...]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchone()


@dataclass
class Contender:
    label: str
    samples: list[Run] = field(default_factory=list)
    error: str | None = None
    note: str = ""

    def add(self, done: Run, check: str | None) -> None:
        """Keep a sample; a failed run or a failed check stops this contender."""
        if done.code != 0:
            self.error = f"exit {done.code}: {last_line(done.output)}"
        elif check:
            self.error = check
        else:
            self.samples.append(done)

    @property
    def median(self) -> float | None:
        return statistics.median(s.seconds for s in self.samples) if self.samples else None

    @property
    def cpu(self) -> float | None:
        return statistics.median(s.cpu for s in self.samples) if self.samples else None

    @property
    def peak_mb(self) -> float | None:
        return max(s.rss_mb for s in self.samples) if self.samples else None


def measure(source: Path, facts: dict[str, int], repeat: int) -> list[Contender]:
    rows = facts["rows"]
    crm, env, peer = crm_argv(), crm_env(), sqlite_utils_argv()
    first = Contender("a) crm import contacts")
    ceiling = Contender("b) ceiling: csv + sqlite3.executemany")
    sqlite_utils = Contender("c) sqlite-utils insert --csv")
    again = Contender("d) crm re-import (all duplicates)")
    if peer is None:
        sqlite_utils.error = "sqlite-utils not installed (pip install sqlite-utils): skipped"
    crm_db, ceiling_db, peer_db = WORK / "crm.db", WORK / "ceiling.db", WORK / "sqlite-utils.db"
    import_argv = [*crm, "--db", str(crm_db), "import", "contacts", str(source), "--quiet"]
    for round_no in range(1, repeat + 1):
        print(f"  round {round_no}/{repeat}:", end="", flush=True)
        if not first.error:
            fresh(crm_db, init=True)
            done = run(import_argv, env)
            got = count(crm_db, "SELECT COUNT(*), (SELECT COUNT(*) FROM companies) FROM contacts")
            ok = done.code != 0 or got == (rows, facts["companies"])
            first.add(done, None if ok else f"made {got[0]:,} contacts, {got[1]:,} companies")
            first.note = "" if first.error else f"{got[0]:,} contacts, {got[1]:,} companies"
            print(f" crm {done.seconds:.1f}s", end="", flush=True)
        if not ceiling.error:
            fresh(ceiling_db, init=True)
            done = run([sys.executable, __file__, "--ceiling-worker", str(ceiling_db), str(source)])
            (got,) = count(ceiling_db, "SELECT COUNT(*) FROM contacts")
            ceiling.add(done, None if done.code or got == rows else f"loaded {got:,} rows")
            ceiling.note = "" if ceiling.error else f"{got:,} contacts, same indexes"
            print(f", ceiling {done.seconds:.1f}s", end="", flush=True)
        if not sqlite_utils.error and peer is not None:
            fresh(peer_db, init=False)
            done = run([*peer, "insert", str(peer_db), "contacts", str(source), "--csv"])
            if done.code == 0:
                (got,) = count(peer_db, "SELECT COUNT(*) FROM contacts")
            sqlite_utils.add(done, None if done.code or got == rows else f"loaded {got:,} rows")
            sqlite_utils.note = "" if sqlite_utils.error else f"{got:,} rows, no index"
            print(f", sqlite-utils {done.seconds:.1f}s", end="", flush=True)
        if not again.error and first.samples:
            done = run(import_argv, env)
            (total,) = count(crm_db, "SELECT COUNT(*) FROM contacts")
            batch = count(
                crm_db,
                "SELECT created, skipped, rejected FROM import_batches ORDER BY id DESC LIMIT 1",
            )
            ok = done.code != 0 or (total == rows and batch == (0, rows, 0))
            again.add(done, None if ok else f"now {total:,} contacts; batch {batch}")
            again.note = (
                "" if again.error else (f"0 created, {rows:,} skipped; still {total:,} contacts")
            )
            print(f", re-import {done.seconds:.1f}s", end="", flush=True)
        print(flush=True)
    for path in (crm_db, ceiling_db, peer_db):
        fresh(path, init=False)  # a million-row database is ~0.5 GB: do not leave three
    return [first, ceiling, sqlite_utils, again]


# --- the report ----------------------------------------------------------------------------


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


def report(contenders: list[Contender], rows: int, repeat: int) -> int:
    first, ceiling, peer, again = contenders
    lines = []
    for c in contenders:
        if not c.samples:
            lines.append([c.label, "-", "-", "-", "-", "-", "-", c.error or "no sample"])
            continue
        times = [s.seconds for s in c.samples]
        med = statistics.median(times)
        lines.append(
            [
                c.label,
                f"{med:.2f}",
                f"{min(times):.2f}",
                f"{max(times):.2f}",
                f"{c.cpu:.2f}",
                f"{c.peak_mb:.0f}",
                f"{rows / med:,.0f}",
                c.note + (f" ({c.error})" if c.error else ""),
            ]
        )
    print(f"\n{rows:,} rows, {repeat} run(s) each, wall time of the whole process:")
    print(table(["", "median s", "min", "max", "cpu s", "peak RSS MB", "rows/s", "note"], lines))

    def ratio(a: Contender, b: Contender) -> float | None:
        return a.median / b.median if a.median and b.median else None

    goals = [
        ("crm / ceiling (wall time)", ratio(first, ceiling), "x", "<= 1.5x", lambda v: v <= 1.5),
        ("sqlite-utils / crm (wall time)", ratio(peer, first), "x", ">= 1.5x", lambda v: v >= 1.5),
        ("crm peak RSS", first.peak_mb, " MB", "< 150 MB", lambda v: v < 150),
        ("re-import / first import", ratio(again, first), "x", "<= 0.6x", lambda v: v <= 0.6),
    ]
    cpu = [
        ("crm / ceiling", first.cpu and ceiling.cpu and first.cpu / ceiling.cpu),
        ("sqlite-utils / crm", peer.cpu and first.cpu and peer.cpu / first.cpu),
        ("re-import / first import", again.cpu and first.cpu and again.cpu / first.cpu),
    ]
    shown = ", ".join(f"{label} {value:.2f}x" for label, value in cpu if value)
    print(f"\nthe same ratios in CPU time (median user + system): {shown or '-'}")
    print("\ngoals (issue 17):")
    missed = 0
    for label, value, unit, goal, met in goals:
        if value is None:
            print(f"  {label:<32}{'-':>10}   goal {goal:<9} not measured")
            missed += 1
            continue
        shown = f"{value:.0f}{unit}" if unit == " MB" else f"{value:.2f}{unit}"
        verdict = "met" if met(value) else "MISSED"
        missed += verdict != "met"
        print(f"  {label:<32}{shown:>10}   goal {goal:<9} {verdict}")
    return 1 if missed else 0


def show_mapping(source: Path) -> bool:
    """Print the column mapping crm will use; False when the import command does not work."""
    db = fresh(WORK / "mapping.db", init=True)
    done = run(
        [*crm_argv(), "--db", str(db), "import", "contacts", str(source), "--show-mapping"],
        crm_env(),
    )
    fresh(db, init=False)
    if done.code != 0:
        print(
            f"crm import contacts --show-mapping failed: exit {done.code}: {last_line(done.output)}"
        )
        return False
    print("column mapping (crm import contacts --show-mapping):")
    print("\n".join(f"  {line}" for line in done.output.splitlines()))
    return True


# --- --profile -----------------------------------------------------------------------------


def profile(source: Path, top: int) -> int:
    """The crm import once, in this process, under cProfile: where does the time go."""
    db = fresh(WORK / "profile.db", init=True)
    for var in [v for v in os.environ if v.startswith("CRM_")]:
        del os.environ[var]
    os.environ.update(CRM_HOME=str(OUT / "home"), CRM_TIMEZONE="UTC")
    from tinycrm import cli

    sys.argv = ["crm", "--db", str(db), "import", "contacts", str(source), "--quiet"]
    profiler = cProfile.Profile()
    code: object = 0
    started = time.perf_counter()
    profiler.enable()
    try:
        cli.main()
    except SystemExit as exc:
        code = exc.code
    finally:
        profiler.disable()
    elapsed = time.perf_counter() - started
    (made,) = count(db, "SELECT COUNT(*) FROM contacts")
    fresh(db, init=False)
    dump = OUT / "import_profile.prof"
    profiler.dump_stats(dump)
    print(
        f"\nprofiled crm import: exit {code}, {made:,} contacts, {elapsed:.1f} s under "
        f"cProfile (which slows it down); stats in {dump.relative_to(HERE.parent)}"
    )
    stats = pstats.Stats(profiler)
    for key, label in (("cumulative", "cumulative"), ("tottime", "own (total) time")):
        print(f"\ntop {top} by {label}:")
        print(profile_table(stats, key, top))
    return 0 if code in (0, None) else 1


def profile_table(stats: pstats.Stats, key: str, top: int) -> str:
    entries = stats.stats
    column = 3 if key == "cumulative" else 2
    ranked = sorted(entries.items(), key=lambda item: item[1][column], reverse=True)[:top]
    rows = []
    for (path, line, func), (cc, nc, tt, ct, _) in ranked:
        calls = f"{nc}" if nc == cc else f"{nc}/{cc}"
        rows.append([f"{ct:.2f}", f"{tt:.2f}", calls, f"{short(path)}:{line}({func})"])
    return table(["cum s", "own s", "calls", "function"], rows)


def short(path: str) -> str:
    for marker in ("site-packages/", "/src/"):
        if marker in path:
            return path.split(marker, 1)[1]
    if path.startswith(sys.base_prefix):
        return Path(path).name
    return path


# --- --pg: the same import into PostgreSQL ---------------------------------------------------


def pg_urls(url: str) -> tuple[str, str, str]:
    """(tinycrm's URL, libpq's URL of the database, libpq's URL of the server's `postgres`)."""
    plain = url.replace("postgresql+psycopg://", "postgresql://", 1)
    server, _, name = plain.rpartition("/")
    if not name or "?" in name:
        raise SystemExit(f"--pg: expected postgresql://USER@HOST:PORT/DATABASE, got {url}")
    return plain.replace("postgresql://", "postgresql+psycopg://", 1), plain, f"{server}/postgres"


def pg_fresh(url: str) -> None:
    """Empty the database the URL names (made first if it is not there: dropping a database
    waits for a checkpoint, emptying its schema does not), then give it tinycrm's schema."""
    import psycopg

    _, plain, admin = pg_urls(url)
    name = plain.rpartition("/")[2]
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")
    done = run([*crm_argv(), "init"], {**crm_env(), "CRM_DATABASE_URL": pg_urls(url)[0]})
    if done.code != 0:
        raise SystemExit(f"crm init on {url} failed ({done.code}): {last_line(done.output)}")


def pg_count(url: str) -> tuple[int, int]:
    import psycopg

    with psycopg.connect(pg_urls(url)[1]) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM contacts), (SELECT count(*) FROM companies)"
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def measure_pg(url: str, sizes: list[int], seed: int, repeat: int) -> int:
    """Each size: (a) into a fresh PostgreSQL database, then into a fresh SQLite file."""
    env = {**crm_env(), "CRM_DATABASE_URL": pg_urls(url)[0]}
    lines = []
    for rows in sizes:
        source, facts = ensure_csv(rows, seed)
        pg, lite = Contender(f"{rows:,} rows"), Contender("sqlite")
        for round_no in range(1, repeat + 1):
            print(f"  {rows:,} rows, round {round_no}/{repeat}:", end="", flush=True)
            pg_fresh(url)
            done = run([*crm_argv(), "import", "contacts", str(source), "--quiet"], env)
            got = pg_count(url)
            ok = done.code != 0 or got == (rows, facts["companies"])
            pg.add(done, None if ok else f"made {got[0]:,} contacts, {got[1]:,} companies")
            print(f" postgresql {done.seconds:.1f}s", end="", flush=True)
            db = fresh(WORK / "crm.db", init=True)
            argv = [*crm_argv(), "--db", str(db), "import", "contacts", str(source), "--quiet"]
            lite.add(run(argv, crm_env()), None)
            print(f", sqlite {lite.samples[-1].seconds if lite.samples else 0:.1f}s", flush=True)
            fresh(db, init=False)
        if pg.median is None or lite.median is None:
            lines.append([pg.label, "-", "-", "-", "-", pg.error or lite.error or "no sample"])
            continue
        lines.append(
            [
                pg.label,
                f"{pg.median:.2f}",
                f"{rows / pg.median:,.0f}",
                f"{lite.median:.2f}",
                f"{pg.median / lite.median:.2f}x",
                f"peak RSS {pg.peak_mb:.0f} MB",
            ]
        )
    print(f"\ncrm import contacts into PostgreSQL, medians of {repeat} run(s):")
    print(table(["", "postgresql s", "rows/s", "sqlite s", "pg / sqlite", "note"], lines))
    return 0 if all(line[1] != "-" for line in lines) else 1


# --- the command ---------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--rows", type=int, default=1_000_000, help="CSV rows (default 1,000,000)")
    p.add_argument("--repeat", type=int, default=3, help="runs of each contender (default 3)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument(
        "--profile",
        action="store_true",
        help="only profile one crm import in-process (cProfile), no timing table",
    )
    p.add_argument("--top", type=int, default=25, help="functions shown by --profile")
    p.add_argument(
        "--pg",
        metavar="URL",
        help="time the import into this PostgreSQL database instead (emptied for every run), "
        "at each of --pg-rows",
    )
    p.add_argument(
        "--pg-rows",
        default="10000,20000,40000,80000,200000",
        help="comma-separated sizes for --pg (default 10000,20000,40000,80000,200000)",
    )
    p.add_argument("--ceiling-worker", nargs=2, metavar=("DB", "CSV"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.rows < 1 or args.repeat < 1:
        p.error("--rows and --repeat must be at least 1")
    return args


def main() -> int:
    args = parse_args()
    if args.ceiling_worker:
        ceiling_load(*args.ceiling_worker)
        return 0
    WORK.mkdir(parents=True, exist_ok=True)
    if args.pg:
        sizes = [int(n) for n in args.pg_rows.split(",")]
        return measure_pg(args.pg, sizes, args.seed, args.repeat)
    print(
        f"import_bench: Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, "
        f"{os.cpu_count()} CPUs"
    )
    source, facts = ensure_csv(args.rows, args.seed)
    print(
        f"{source.relative_to(HERE.parent)}: {facts['rows']:,} rows, "
        f"{facts['bytes'] / MB:.0f} MB ({facts['bytes'] / facts['rows']:.0f} bytes a row), "
        f"{facts['companies']:,} companies, {facts['national_phones']:,} national phones"
    )
    if args.profile:
        return profile(source, args.top)
    if not show_mapping(source):
        return 2
    print(f"\nmeasuring, {args.repeat} round(s), round-robin:")
    return report(measure(source, facts, args.repeat), args.rows, args.repeat)


if __name__ == "__main__":
    sys.exit(main())
