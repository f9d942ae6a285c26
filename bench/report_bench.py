"""Each `crm report` service next to a plain SQL query for the same figures, on 100k and 1M
deals (about 3 stage changes and 2 activities each), SQLite or PostgreSQL.

    python bench/report_bench.py                  # SQLite: bench/out/reports-{100k,1m}.db
    python bench/report_bench.py --quick          # 100k deals only, 3 runs
    python bench/report_bench.py --url postgresql+psycopg://postgres@127.0.0.1:5432/scratch

The SQLite files are generated with bench/gen.py when missing. With --url, each size lives in
its own schema of that database (`reports_100k`, `reports_1m`): migrated by tinycrm, then
filled by COPY from the SQLite file of that size unless it already holds that many deals
(replacing what the schema held), then vacuumed and analysed. Both backends so hold the same
rows.

Before timing, every report's figures are checked equal to the plain query's. Then the two
run side by side, alternating which goes first; the medians are printed with their ratio
(goal: at most 1.5) and the report's 1M ÷ 100k ratio (goal: at most 12, nothing quadratic).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
"""gen.py's default 'now'."""
CURRENCY = "USD"
STALE_DAYS = 14
MONTHS = 6
Q3 = (datetime(2026, 7, 1, tzinfo=UTC), datetime(2026, 10, 1, tzinfo=UTC))
MAX_RATIO, MAX_SCALING = 1.5, 12.0


@dataclass
class Target:
    """One database of one size: the tinycrm Database and how to bind times in raw SQL."""

    db: Any
    sqlite: bool
    stages: dict[int, str]

    def ts(self, moment: datetime) -> Any:
        """A time as the backend stores it (SQLite: SQLAlchemy's naive UTC text)."""
        if self.sqlite:
            return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
        return moment

    def seconds(self, start: str, end: str) -> str:
        if self.sqlite:
            return (
                f"CAST(strftime('%s', {end}) AS INTEGER) - CAST(strftime('%s', {start}) AS INTEGER)"
            )
        return f"floor(extract(epoch FROM {end})) - floor(extract(epoch FROM {start}))"

    def month(self, column: str) -> str:
        return f"strftime('%Y-%m', {column})" if self.sqlite else f"to_char({column}, 'YYYY-MM')"

    def rows(self, sql: str, **params: Any) -> list[Any]:
        from sqlalchemy import text

        with self.db.engine.connect() as conn:
            return list(conn.execute(text(sql), params).all())


# --- the reports and the plain SQL for the same figures --------------------------------------


def median_sql(values: str, key: str) -> str:
    """Median of `v` per `key` over the rows of `values` (a SELECT), by hand."""
    return f"""
        SELECT {key}, avg(v) FROM (
          SELECT {key}, v, row_number() OVER (PARTITION BY {key} ORDER BY v) AS rn,
                 count(*) OVER (PARTITION BY {key}) AS n
          FROM ({values}) AS vals) AS ranked
        WHERE rn IN ((n + 1) / 2, (n + 2) / 2) GROUP BY {key}"""


def crm_funnel(s: Any, t: Target) -> dict[str, tuple[int, ...]]:
    from tinycrm.services import reports

    rows = reports.funnel(s, period=reports.ALL_TIME, currency=CURRENCY)
    return {r.stage: (r.reached, r.reached_minor, r.now, r.now_minor) for r in rows if r.reached}


def sql_funnel(t: Target) -> dict[str, tuple[int, ...]]:
    rows = t.rows(
        """SELECT e.stage_id, count(*),
             sum(CASE WHEN d.currency = :cur THEN d.amount_minor ELSE 0 END),
             sum(CASE WHEN d.stage_id = e.stage_id THEN 1 ELSE 0 END),
             sum(CASE WHEN d.stage_id = e.stage_id AND d.currency = :cur
                      THEN d.amount_minor ELSE 0 END)
           FROM (SELECT DISTINCT to_stage_id AS stage_id, deal_id FROM stage_changes) AS e
           JOIN deals d ON d.id = e.deal_id
           GROUP BY e.stage_id""",
        cur=CURRENCY,
    )
    return {t.stages[r[0]]: tuple(int(x) for x in r[1:]) for r in rows}


def crm_conversion(s: Any, t: Target) -> dict[str, tuple[Any, ...]]:
    from tinycrm.services import reports

    rows = reports.conversion(s, period=reports.ALL_TIME)
    return {r.stage: (r.entered, r.moved_on, r.lost, round(r.median_days or 0, 6)) for r in rows}


def sql_conversion(t: Target) -> dict[str, tuple[Any, ...]]:
    entered = dict(
        t.rows("SELECT to_stage_id, count(DISTINCT deal_id) FROM stage_changes GROUP BY 1")
    )
    left = {
        r[0]: r[1:]
        for r in t.rows(
            """SELECT l.from_stage_id,
                 count(DISTINCT CASE WHEN t.kind <> 'lost' AND t.position > f.position
                                     THEN l.deal_id END),
                 count(DISTINCT CASE WHEN t.kind = 'lost' THEN l.deal_id END)
               FROM stage_changes l
               JOIN stages f ON f.id = l.from_stage_id
               JOIN stages t ON t.id = l.to_stage_id
               WHERE f.kind = 'open'
               GROUP BY l.from_stage_id"""
        )
    }
    stays = f"""
        SELECT from_stage_id, {t.seconds("entered_at", "changed_at")} AS v FROM (
          SELECT from_stage_id, changed_at,
                 lag(changed_at) OVER (PARTITION BY deal_id ORDER BY changed_at, id) AS entered_at
          FROM stage_changes) AS moves
        WHERE from_stage_id IS NOT NULL"""
    medians = dict(t.rows(median_sql(stays, "from_stage_id")))
    return {
        t.stages[k]: (
            int(entered.get(k, 0)),
            int(left[k][0]),
            int(left[k][1]),
            round(float(medians[k]) / 86_400, 6),
        )
        for k in left
    }


def crm_performance(s: Any, t: Target) -> dict[str, tuple[Any, ...]]:
    from tinycrm.services import reports

    period = reports.date_range(Q3[0].date(), Q3[1].date() - timedelta(days=1), UTC)
    found = reports.performance(s, period=period, currency=CURRENCY)
    return {
        r.name: (r.won, r.lost, r.won_minor, round(r.median_cycle_days or 0, 6), r.activities)
        for r in [*found.reps, found.team]
    }


def sql_performance(t: Target) -> dict[str, tuple[Any, ...]]:
    span = {"start": t.ts(Q3[0]), "end": t.ts(Q3[1])}
    closed = "closed_at >= :start AND closed_at < :end"
    figures = t.rows(
        f"""SELECT u.name, sum(CASE WHEN d.status = 'won' THEN 1 ELSE 0 END),
              sum(CASE WHEN d.status = 'lost' THEN 1 ELSE 0 END),
              sum(CASE WHEN d.status = 'won' AND d.currency = :cur THEN d.amount_minor ELSE 0 END)
            FROM deals d JOIN users u ON u.id = d.owner_id
            WHERE d.status IN ('won', 'lost') AND d.{closed}
            GROUP BY u.name""",
        cur=CURRENCY,
        **span,
    )
    cycles = (
        f"SELECT owner_id, 1 AS team, {t.seconds('created_at', 'closed_at')} AS v "
        f"FROM deals WHERE status = 'won' AND {closed}"
    )
    medians = dict(t.rows(median_sql(cycles, "owner_id"), **span))
    team = t.rows(median_sql(cycles, "team"), **span)[0][1]
    logged = dict(
        t.rows(
            "SELECT owner_id, count(*) FROM activities "
            "WHERE done_at >= :start AND done_at < :end GROUP BY owner_id",
            **span,
        )
    )
    names = dict(t.rows("SELECT name, id FROM users"))
    out = {
        name: (
            int(w),
            int(lo),
            int(a),
            round(float(medians[names[name]]) / 86_400, 6),
            int(logged.get(names[name], 0)),
        )
        for name, w, lo, a in figures
    }
    out["team"] = tuple(
        [sum(v[i] for v in out.values()) for i in range(3)]
        + [round(float(team) / 86_400, 6), sum(int(n) for n in logged.values())]
    )
    return out


def crm_forecast(s: Any, t: Target) -> dict[str, tuple[int, ...]]:
    from tinycrm.services import reports

    rows = reports.forecast(s, today=NOW.date(), months=MONTHS, currency=CURRENCY)
    return {r.bucket: (r.deals, r.amount_minor, r.weighted_minor) for r in rows if r.deals}


def sql_forecast(t: Target) -> dict[str, tuple[int, ...]]:
    today = NOW.date()
    index = today.year * 12 + today.month - 1 + MONTHS
    later = date(index // 12, index % 12 + 1, 1)
    rows = t.rows(
        f"""SELECT CASE WHEN d.expected_close IS NULL THEN 'undated'
                        WHEN d.expected_close < :today THEN 'overdue'
                        WHEN d.expected_close >= :later THEN 'later'
                        ELSE {t.month("d.expected_close")} END AS bucket,
              count(*),
              sum(CASE WHEN d.currency = :cur THEN d.amount_minor ELSE 0 END),
              sum(CASE WHEN d.currency = :cur THEN d.amount_minor * s.probability ELSE 0 END)
            FROM deals d JOIN stages s ON s.id = d.stage_id
            WHERE d.status = 'open'
            GROUP BY 1""",
        today=today,
        later=later,
        cur=CURRENCY,
    )
    return {r[0]: (int(r[1]), int(r[2]), (int(r[3]) + 50) // 100) for r in rows}


def crm_pipeline(s: Any, t: Target) -> dict[str, tuple[int, ...]]:
    from tinycrm.services import reports

    rows = reports.pipeline(s, now=NOW, stale_days=STALE_DAYS, currency=CURRENCY)
    return {
        r.stage: (r.deals, r.amount_minor, r.weighted_minor, r.stalled, r.stalled_minor)
        for r in rows
    }


def sql_pipeline(t: Target) -> dict[str, tuple[int, ...]]:
    stalled = """d.created_at < :cutoff
        AND d.id NOT IN (SELECT deal_id FROM stage_changes WHERE changed_at >= :cutoff)
        AND d.id NOT IN (SELECT deal_id FROM activities
                         WHERE done_at >= :cutoff AND deal_id IS NOT NULL)"""
    rows = t.rows(
        f"""SELECT s.name, count(*),
              sum(CASE WHEN d.currency = :cur THEN d.amount_minor ELSE 0 END),
              sum(CASE WHEN d.currency = :cur THEN d.amount_minor * s.probability ELSE 0 END),
              sum(CASE WHEN {stalled} THEN 1 ELSE 0 END),
              sum(CASE WHEN d.currency = :cur AND {stalled} THEN d.amount_minor ELSE 0 END)
            FROM deals d JOIN stages s ON s.id = d.stage_id
            WHERE d.status = 'open'
            GROUP BY s.name""",
        cur=CURRENCY,
        cutoff=t.ts(NOW - timedelta(days=STALE_DAYS)),
    )
    return {
        r[0]: (int(r[1]), int(r[2]), (int(r[3]) + 50) // 100, int(r[4]), int(r[5])) for r in rows
    }


Report = tuple[str, Callable[[Any, Target], Any], Callable[[Target], Any]]
REPORTS: list[Report] = [
    ("funnel", crm_funnel, sql_funnel),
    ("conversion", crm_conversion, sql_conversion),
    ("performance Q3", crm_performance, sql_performance),
    ("forecast 6 mo", crm_forecast, sql_forecast),
    ("pipeline", crm_pipeline, sql_pipeline),
]


# --- databases ------------------------------------------------------------------------------


def label(deals: int) -> str:
    return f"{deals // 1_000_000}m" if deals >= 1_000_000 else f"{deals // 1000}k"


def gen(where: list[str], deals: int) -> None:
    argv = [sys.executable, str(HERE / "gen.py"), *where,
            "--contacts", str(deals), "--deals", str(deals)]  # fmt: skip
    print(f"  generating {deals:,} deals ...", flush=True)
    started = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    print(f"  done in {time.perf_counter() - started:.0f} s", flush=True)


def open_target(url: str | None, deals: int) -> Target:
    from sqlalchemy import text

    from tinycrm.config import load_settings
    from tinycrm.db.store import open_database

    if url is None:
        db = open_database(load_settings(db_path=str(sqlite_file(deals)), currency=CURRENCY))
    else:
        url = load_postgres(url, deals)
        db = open_database(load_settings(database_url=url, currency=CURRENCY))
    with db.engine.connect() as conn:
        stages = dict(conn.execute(text("SELECT id, name FROM stages")).all())
    return Target(db, url is None, stages)


def load_postgres(url: str, deals: int) -> str:
    """The URL of a schema `reports_100k` (…) in the database holding `deals` generated deals,
    copied from the SQLite file of that size unless it already holds them."""
    from sqlalchemy import create_engine, text

    from tinycrm.config import load_settings
    from tinycrm.db.store import open_database

    schema = f"reports_{label(deals)}"
    sized = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
            exists = conn.execute(text(f"SELECT to_regclass('{schema}.deals')")).scalar()
            have = exists and conn.execute(text(f"SELECT count(*) FROM {schema}.deals")).scalar()
            if have == deals:
                return sized
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        open_database(load_settings(database_url=sized)).engine.dispose()  # the schema
        print(f"  copying {deals:,} deals from SQLite ...", flush=True)
        started = time.perf_counter()
        copy_from_sqlite(sqlite_file(deals), sized)
        with engine.connect() as conn:
            for table in COPIED:
                conn.execute(text(f"VACUUM ANALYZE {schema}.{table}"))
        print(f"  done in {time.perf_counter() - started:.0f} s", flush=True)
    finally:
        engine.dispose()
    return sized


COPIED = ("users", "companies", "contacts", "contact_tags", "deals", "stage_changes",
          "activities")  # fmt: skip
"""Tables gen.py fills (the stages are the ones every migrated database starts with)."""


def copy_from_sqlite(path: Path, url: str) -> None:
    """COPY every generated row from the SQLite file into the (migrated, empty) PostgreSQL
    schema: the columns both have, timestamps marked as UTC, id sequences moved past them.

    gen.py can fill PostgreSQL itself, but at 1M deals its last step (each deal's latest
    activity, one correlated subquery per deal before any ANALYZE) did not finish in 10
    minutes here; the columns it fills are not read by the reports."""
    import sqlite3

    from sqlalchemy import DateTime, create_engine, inspect

    engine = create_engine(url)
    src = sqlite3.connect(path)
    raw = engine.raw_connection()
    try:
        with raw.driver_connection.cursor() as cur:
            for table in COPIED:
                target = {c["name"]: c["type"] for c in inspect(engine).get_columns(table)}
                have = [r[1] for r in src.execute(f"PRAGMA table_info({table})")]
                cols = [c for c in have if c in target]
                stamps = [
                    i for i, c in enumerate(cols) if isinstance(target[c], DateTime)
                ]  # naive UTC text in SQLite
                rows = src.execute(f"SELECT {', '.join(cols)} FROM {table}")
                with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                    for row in rows:
                        if stamps:
                            row = list(row)
                            for i in stamps:
                                if row[i] is not None:
                                    row[i] += "+00"
                        copy.write_row(row)
                if "id" in target:
                    cur.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM {table}"
                    )
        raw.commit()
    finally:
        raw.close()
        src.close()
        engine.dispose()


def sqlite_file(deals: int) -> Path:
    """The SQLite database of that size, generated with gen.py when missing."""
    path = OUT / f"reports-{label(deals)}.db"
    if not path.exists():
        gen(["--db", str(path)], deals)
    return path


# --- timing ---------------------------------------------------------------------------------


def crm_call(t: Target, fn: Callable[[Any, Target], Any]) -> Any:
    from tinycrm.db.store import session_scope

    with session_scope(t.db, write=False) as s:
        return fn(s, t)


def timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def bench(t: Target, runs: int) -> dict[str, tuple[float, float]]:
    """{report: (crm median ms, plain SQL median ms)}; checks the figures agree first."""
    for name, crm, sql in REPORTS:
        mine, plain = crm_call(t, crm), sql(t)
        if mine != plain:
            raise SystemExit(f"{name}: the report and the plain SQL disagree:\n{mine}\n{plain}")
    times: dict[str, tuple[list[float], list[float]]] = {n: ([], []) for n, _, _ in REPORTS}
    for run in range(runs):
        for name, crm, sql in REPORTS:
            pair = [
                (0, lambda crm=crm: crm_call(t, crm)),  # type: ignore[misc]
                (1, lambda sql=sql: sql(t)),  # type: ignore[misc]
            ]
            for which, call in pair if run % 2 == 0 else pair[::-1]:
                times[name][which].append(timed(call))
    return {n: (statistics.median(a), statistics.median(b)) for n, (a, b) in times.items()}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--url", help="PostgreSQL URL; data goes to schemas reports_100k/_1m")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--quick", action="store_true", help="100k deals only, 3 runs")
    p.add_argument("--only", action="append", choices=[n for n, _, _ in REPORTS],
                   help="time this report alone (repeatable)")  # fmt: skip
    args = p.parse_args(argv)
    if args.only:
        REPORTS[:] = [r for r in REPORTS if r[0] in args.only]
    sizes = [100_000] if args.quick else [100_000, 1_000_000]
    runs = 3 if args.quick else args.runs
    backend = "PostgreSQL" if args.url else "SQLite"
    results: dict[int, dict[str, tuple[float, float]]] = {}
    for deals in sizes:
        print(f"{backend}, {deals:,} deals:", flush=True)
        target = open_target(args.url, deals)
        try:
            results[deals] = bench(target, runs)
        finally:
            target.db.engine.dispose()
    return report(backend, results, runs)


def report(backend: str, results: dict[int, dict[str, tuple[float, float]]], runs: int) -> int:
    sizes = sorted(results)
    print(f"\n{backend}: medians of {runs} runs, figures checked equal")
    grow_head = "1M ÷ 100k" if len(sizes) > 1 else ""
    print(f"| report | deals | crm ms | plain SQL ms | ratio | {grow_head} |")
    print("|---|---:|---:|---:|---:|---:|")
    bad = 0
    for name, _, _ in REPORTS:
        for deals in sizes:
            crm, sql = results[deals][name]
            ratio = crm / sql
            scaling = ""
            if deals == sizes[-1] and len(sizes) > 1:
                grow = crm / results[sizes[0]][name][0]
                scaling = f"{grow:.1f}x" + (" !" if grow > MAX_SCALING else "")
                bad += grow > MAX_SCALING
            flag = " !" if ratio > MAX_RATIO else ""
            bad += ratio > MAX_RATIO
            cells = [
                name,
                label(deals),
                f"{crm:,.0f}",
                f"{sql:,.0f}",
                f"{ratio:.2f}{flag}",
                scaling,
            ]
            print("| " + " | ".join(cells) + " |")
    print(f"\n{bad} figure(s) over the goals (ratio {MAX_RATIO}, scaling {MAX_SCALING}x)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
