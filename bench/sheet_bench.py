"""How long `crm import contacts` takes on a spreadsheet, next to the same rows as CSV.

    python bench/sheet_bench.py                      # 100,000 rows, 3 runs each
    python bench/sheet_bench.py --rows 20000 --repeat 5

One workbook (.xlsx, one sheet) of contacts is generated deterministically into bench/out/
and reused when there: names, emails, phones (half as numbers, as a spreadsheet keeps a
number typed without `+`, half as text), companies, titles, cities, zip codes kept as text
(`02134`), HubSpot's lifecycle stages, a score (a number with a fraction) and a create date
(a date and time cell). The CSV beside it holds the same rows as the text the sheet reader
makes of those cells, so both imports give the same contacts (the bench checks it).

Then, round-robin so that machine noise hits both alike, each run into a fresh database made
by `crm init`: `crm --db PATH import contacts FILE --map 'Create Date=created_at' --quiet`,
timed as a process (wall time, peak RSS from wait4). Before that, the readers alone run in
this process (the rows read and turned into text records, nothing mapped or written). The
table gives medians and the spreadsheet's time as a multiple of the CSV's. Nothing is
written outside bench/out/ (the CLI runs with CRM_HOME=bench/out/home and no CRM_* variable
of the caller's).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from gen import FIRST_NAMES, LAST_NAMES, company_domain, company_name

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
WORK = OUT / "sheet"
HEADERS = ["First Name", "Last Name", "Email", "Phone Number", "Company Name", "Job Title",
           "City", "Zip", "Lifecycle Stage", "Score", "Create Date"]  # fmt: skip
TITLES = ("Founder", "VP of Sales", "Procurement Manager", "Office Manager", "Marketing Lead",
          "Account Executive", "采购经理", "销售总监")  # fmt: skip
CITIES = ("Boston", "Austin", "Toronto", "London", "Berlin", "São Paulo", "上海", "深圳")
STAGES = ("Lead", "Subscriber", "Marketing Qualified Lead", "Sales Qualified Lead",
          "Opportunity", "Customer", "Evangelist", "Other")  # fmt: skip
MAPS = ("--map", "Create Date=created_at")
MB = 1024 * 1024


# --- the files -----------------------------------------------------------------------------


def rows_of(count: int) -> Iterator[list[Any]]:
    """The sheet's rows, as cells: numbers, text and datetimes."""
    r = random.Random(f"tinycrm-sheet-bench:{count}").random
    start = datetime(2024, 1, 1, 9, 0)
    for i in range(1, count + 1):
        first = FIRST_NAMES[int(r() * len(FIRST_NAMES))]
        last = LAST_NAMES[int(r() * len(LAST_NAMES))]
        base = company_name(1 + int(r() * max(1, count // 10)))
        national = 4_155_500_000 + i
        phone: Any = national if i % 2 else f"+1 {national}"
        yield [
            first,
            last,
            f"{first}.{last}.{i}@{company_domain(base)}.com".lower(),
            phone,
            base,
            TITLES[int(r() * len(TITLES))],
            CITIES[int(r() * len(CITIES))],
            f"{int(r() * 99_999):05d}",
            STAGES[int(r() * len(STAGES))],
            round(r() * 100, 2),
            start + timedelta(minutes=int(r() * 1_000_000)),
        ]


def ensure_files(count: int) -> tuple[Path, Path]:
    """The workbook and the CSV of its rows as text; generated unless already there."""
    xlsx, text = WORK / f"contacts-{count}.xlsx", WORK / f"contacts-{count}.csv"
    if xlsx.exists() and text.exists():
        return xlsx, text
    from openpyxl import Workbook

    from tinycrm.formats.read.sheet import cell_text

    print(f"generating {xlsx.relative_to(HERE.parent)} and its CSV ...", flush=True)
    started = time.perf_counter()
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Contacts")
    sheet.append(HEADERS)
    part_xlsx, part_text = (p.with_name(p.name + ".part") for p in (xlsx, text))
    with open(part_text, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(HEADERS)
        for row in rows_of(count):
            sheet.append(row)
            writer.writerow([cell_text(cell) for cell in row])
    book.save(part_xlsx)
    part_xlsx.replace(xlsx)
    part_text.replace(text)
    print(f"  done in {time.perf_counter() - started:.1f} s", flush=True)
    return xlsx, text


# --- the readers alone, in this process ----------------------------------------------------


def read_only(path: Path) -> float:
    """Seconds to read every record of the file (the import's reading, nothing after it)."""
    from tinycrm.formats.read.sheet import read_sheet
    from tinycrm.formats.read.tabular import read_table

    reader: Callable[..., Any] = read_sheet if path.suffix == ".xlsx" else read_table
    started = time.perf_counter()
    with open(path, "rb") as stream:
        n = sum(1 for _ in reader(stream, name=path.name).rows)
    elapsed = time.perf_counter() - started
    assert n > 0
    return elapsed


# --- the imports, as processes -------------------------------------------------------------


def crm_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    env.update(CRM_HOME=str(OUT / "home"), CRM_TIMEZONE="UTC", CRM_PHONE_REGION="US")
    return env


def crm_argv() -> list[str]:
    script = Path(sys.executable).with_name("crm")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tinycrm"]


@dataclass
class Run:
    seconds: float
    rss_mb: float
    code: int
    output: str


def run(argv: list[str]) -> Run:
    log = WORK / "last-output.txt"
    with open(log, "wb") as sink:
        started = time.perf_counter()
        proc = subprocess.Popen(
            argv, env=crm_env(), stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT
        )
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - started
    output = log.read_text(errors="replace").strip()
    return Run(elapsed, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status), output)


def fresh(db: Path) -> Path:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    done = run([*crm_argv(), "--db", str(db), "init"])
    if done.code:
        raise SystemExit(f"crm init failed: {done.output[-300:]}")
    return db


def contacts_digest(db: Path) -> tuple[int, str]:
    """How many contacts, and a digest of what they hold (not their ids or import times)."""
    digest = hashlib.sha256()
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT email, full_name, phone, phone_norm, title, status, custom, created_at"
            " FROM contacts ORDER BY email"
        ).fetchall()
    for row in rows:
        digest.update(repr(row).encode())
    return len(rows), digest.hexdigest()[:16]


@dataclass
class Contender:
    label: str
    path: Path
    samples: list[Run] = field(default_factory=list)
    read: list[float] = field(default_factory=list)
    digest: tuple[int, str] = (0, "")

    def median(self) -> float:
        return statistics.median(s.seconds for s in self.samples)


def measure(xlsx: Path, text: Path, count: int, repeat: int) -> list[Contender]:
    both = [Contender("xlsx", xlsx), Contender("csv", text)]
    for _ in range(repeat):
        for c in both:
            c.read.append(read_only(c.path))
    for i in range(repeat):
        for c in both:
            db = fresh(WORK / f"{c.label}.db")
            done = run([*crm_argv(), "--db", str(db), "import", "contacts", str(c.path),
                        *MAPS, "--quiet"])  # fmt: skip
            if done.code:
                raise SystemExit(f"{c.label}: exit {done.code}: {done.output[-300:]}")
            c.samples.append(done)
            c.digest = contacts_digest(db)
            print(f"  run {i + 1}/{repeat} {c.label}: {done.seconds:.2f} s", flush=True)
    for c in both:
        if c.digest[0] != count:
            raise SystemExit(f"{c.label}: {c.digest[0]} contacts, not {count}")
    if both[0].digest != both[1].digest:
        raise SystemExit("the workbook and the CSV gave different contacts")
    return both


def report(both: list[Contender], count: int, repeat: int) -> None:
    xlsx, text = both
    size = {c.label: c.path.stat().st_size / MB for c in both}
    read = [statistics.median(c.read) for c in both]
    rows = [
        ("file size (MB)", f"{size['xlsx']:.1f}", f"{size['csv']:.1f}", ""),
        ("read only, median (s)", *pair(*read)),
        ("crm import, median (s)", *pair(xlsx.median(), text.median())),
        ("crm import, rows/s", f"{count / xlsx.median():,.0f}", f"{count / text.median():,.0f}",
         ""),
        ("crm import, peak RSS (MB)", f"{max(s.rss_mb for s in xlsx.samples):.0f}",
         f"{max(s.rss_mb for s in text.samples):.0f}", ""),
    ]  # fmt: skip
    print(f"\ncrm import contacts, {count:,} rows, medians of {repeat} "
          f"(same contacts from both: {xlsx.digest[1]})\n")  # fmt: skip
    widths = [max(len(r[k]) for r in [("", "xlsx", "csv", "xlsx/csv"), *rows]) for k in range(4)]
    for r in [("", "xlsx", "csv", "xlsx/csv"), *rows]:
        print("  ".join(cell.ljust(w) if k == 0 else cell.rjust(w)
                        for k, (cell, w) in enumerate(zip(r, widths, strict=True))))  # fmt: skip


def pair(a: float, b: float) -> tuple[str, str, str]:
    return f"{a:.2f}", f"{b:.2f}", f"{a / b:.2f}x"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    xlsx, text = ensure_files(args.rows)
    report(measure(xlsx, text, args.rows, args.repeat), args.rows, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
