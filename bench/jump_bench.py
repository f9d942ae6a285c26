"""One keystroke of the jump box (ctrl+k) and of the contacts search box, on 100k contacts.

    python bench/jump_bench.py [--contacts 100000] [--deals 20000] [--runs 7] [--url URL]

Generates its own database with bench/gen.py (a SQLite file kept in bench/out/ for the next
run, or, with `--url`, an empty PostgreSQL database it fills), then times the query each
keystroke runs: `services.search.jump` (the first 20 contacts, companies, deals and tickets
matching every word) and the contacts box's first page (`list_contacts`, 100 rows), for
queries typed letter by letter and for some that match many, few or nothing. Prints the
median and the worst of `--runs` runs of each, in ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).parent
OUT = HERE / "out"
QUERIES = (
    "j", "jo", "joh", "john",  # typed letter by letter: the first letters match the most
    "smith", "john smith", "vip", "example", "gmail", "ceo", "+1", "zzzz", "tanaka ceo",
)  # fmt: skip


def ensure_db(contacts: int, deals: int, url: str | None) -> dict[str, str]:
    """Where the data is, as `load_settings` takes it; generated when not there yet."""
    path = OUT / f"jump-{contacts}x{deals}.db"
    where = {"database_url": url} if url else {"db_path": str(path)}
    if not url and path.exists():
        return where
    OUT.mkdir(exist_ok=True)
    sys.path.insert(0, str(HERE))
    import gen

    print(f"generating {url or path.name} ...", flush=True)
    argv = ["--url", url] if url else ["--db", str(path)]
    code = gen.main([*argv, "--contacts", str(contacts), "--deals", str(deals)])
    if code != 0 and not url:  # on PostgreSQL: refused because already filled, say
        raise SystemExit(f"gen.py could not write {path}")
    return where


def timed(run: Callable[[], object], runs: int) -> tuple[float, float, object]:
    samples, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = run()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples), max(samples), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--deals", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--url", help="an empty PostgreSQL database (default: a SQLite file)")
    args = parser.parse_args(argv)
    where = ensure_db(args.contacts, args.deals, args.url)

    from tinycrm.config import load_settings
    from tinycrm.db.store import open_database, session_scope
    from tinycrm.services.contacts import list_contacts
    from tinycrm.services.filters import ContactFilter
    from tinycrm.services.search import jump

    db = open_database(load_settings(**where))
    print(f"{db.engine.url.database}: {args.contacts:,} contacts, {args.deals:,} deals; "
          f"median / worst of {args.runs} runs, ms")  # fmt: skip
    print(f"{'query':<14}{'jump box':>20}{'hits':>6}{'contacts box':>22}{'rows':>6}")
    medians: list[float] = []
    with session_scope(db, write=False) as session:
        for text in QUERIES:
            j_med, j_max, hits = timed(lambda t=text: jump(session, text=t), args.runs)
            wanted = ContactFilter(words=text)
            c_med, c_max, rows = timed(
                lambda w=wanted: list_contacts(session, where=w, limit=100), args.runs
            )
            medians.append(j_med)
            print(
                f"{text!r:<14}{j_med * 1000:>12.1f} / {j_max * 1000:>5.1f}{len(hits):>6}"  # type: ignore[arg-type]
                f"{c_med * 1000:>14.1f} / {c_max * 1000:>5.1f}{len(rows):>6}"  # type: ignore[arg-type]
            )
    print(f"jump box, median over the queries: {statistics.median(medians) * 1000:.1f} ms; "
          f"worst query's median {max(medians) * 1000:.1f} ms")  # fmt: skip
    db.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
