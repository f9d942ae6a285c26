"""What row-level security costs a rep on the team server: 1M deals, the rep's `crm deal list`
and `crm report performance` over their own login (the app's scope and the server's
policies) against the same commands over the owner's connection acting as the rep
(`--as`: the app's scope alone), and EXPLAIN ANALYZE of the queries behind them.

    python bench/gen.py --url postgresql+psycopg://postgres@127.0.0.1/rls_bench \\
        --contacts 100000 --deals 1000000 --activities 200000
    python bench/rls_bench.py --url postgresql+psycopg://postgres@127.0.0.1/rls_bench

The URL is an admin connection (a superuser: it bypasses row-level security). The bench runs
`crm server init` (re-runnable), gives the first rep the login `rls_bench_rep` (made by
server init, no password: the server must trust local connections, or set PGPASSWORD),
then times each command several times, alternating which goes first, and prints medians.
A benchmark, not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

LOGIN = "rls_bench_rep"
NOW = "2026-11-23T12:00:00+00:00"
COMMANDS = {
    "deal list": ["deal", "list"],
    "report performance": ["report", "performance", "--from", "2026-07-01", "--to", "2026-09-30"],
}
QUERIES = {
    "a rep's open deals, first page": (
        "SELECT id, title, amount_minor FROM deals WHERE (owner_id = :rep OR owner_id IS NULL) "
        "AND status = 'open' ORDER BY expected_close, id LIMIT 50"
    ),
    "a rep's performance figures": (
        "SELECT owner_id, count(*) FILTER (WHERE status = 'won'), "
        "sum(amount_minor) FILTER (WHERE status = 'won'), count(*) FILTER (WHERE status = 'lost') "
        "FROM deals WHERE owner_id = :rep AND closed_at >= '2026-07-01' "
        "AND closed_at < '2026-10-01' GROUP BY owner_id"
    ),
    "every deal (psql: SELECT count(*) FROM deals)": "SELECT count(*) FROM deals",
}


def crm(url: str, args: list[str], *, as_user: str | None = None) -> float:
    env = {**os.environ, "CRM_DATABASE_URL": url, "CRM_NOW": NOW}
    env.pop("CRM_USER", None)
    who = ["--as", as_user] if as_user else []
    t0 = time.perf_counter()
    ran = subprocess.run(
        [sys.executable, "-m", "tinycrm", *who, *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    elapsed = time.perf_counter() - t0
    if ran.returncode != 0:
        raise SystemExit(f"crm {' '.join(args)} failed: {ran.stderr.strip()}")
    return elapsed


def prepare(admin: str) -> tuple[int, str, str]:
    """The rep (id, name) with the login, and the rep's URL; the server prepared."""
    engine = create_engine(admin)
    with engine.begin() as conn:
        row = conn.execute(
            text("SELECT id, name FROM users WHERE role = 'rep' ORDER BY id LIMIT 1")
        ).one()
        conn.execute(text("UPDATE users SET db_login = NULL WHERE db_login = :l"), {"l": LOGIN})
        conn.execute(
            text("UPDATE users SET db_login = :l WHERE id = :id"), {"l": LOGIN, "id": row.id}
        )
    engine.dispose()
    env = {**os.environ, "CRM_DATABASE_URL": admin}
    subprocess.run([sys.executable, "-m", "tinycrm", "server", "init"], env=env, check=True)
    rep_url = make_url(admin).set(username=LOGIN, password=None)
    return int(row.id), str(row.name), rep_url.render_as_string(hide_password=False)


def explain(admin: str, rep: int, *, as_rep: bool) -> dict[str, list[str]]:
    engine = create_engine(admin)
    plans: dict[str, list[str]] = {}
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE deals")
        if as_rep:
            conn.exec_driver_sql(f"SET ROLE {LOGIN}")
        for name, query in QUERIES.items():
            rows = conn.execute(text(f"EXPLAIN (ANALYZE, BUFFERS OFF) {query}"), {"rep": rep})
            plans[name] = [str(r[0]) for r in rows]
        conn.exec_driver_sql("RESET ROLE")
    engine.dispose()
    return plans


def median_ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:7.0f} ms"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1/rls_bench")
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args(argv)
    rep, name, rep_url = prepare(args.url)
    deals = _scalar(args.url, "SELECT count(*) FROM deals")
    mine = _scalar(args.url, f"SELECT count(*) FROM deals WHERE owner_id = {rep}")
    print(f"{deals:,} deals; the rep {name} (#{rep}) owns {mine:,}; login {LOGIN}\n")
    print(f"{'command':<22}{'RLS (own login)':>18}{'no RLS (owner --as)':>22}   ratio")
    for label, command in COMMANDS.items():
        timings: dict[str, list[float]] = {"rls": [], "plain": []}
        crm(rep_url, command)  # warm the cache
        for i in range(args.runs):
            order = ("rls", "plain") if i % 2 == 0 else ("plain", "rls")
            for kind in order:
                if kind == "rls":
                    timings[kind].append(crm(rep_url, command))
                else:
                    timings[kind].append(crm(args.url, command, as_user=str(rep)))
        ratio = statistics.median(timings["rls"]) / statistics.median(timings["plain"])
        print(
            f"crm {label:<18}{median_ms(timings['rls']):>18}{median_ms(timings['plain']):>22}"
            f"   {ratio:.2f}"
        )
    for as_rep in (True, False):
        who = f"as {LOGIN} (row-level security)" if as_rep else "as the owner (no RLS)"
        print(f"\nEXPLAIN ANALYZE {who}")
        for query, lines in explain(args.url, rep, as_rep=as_rep).items():
            print(f"-- {query}")
            for line in lines:
                print(f"   {line}")
    return 0


def _scalar(url: str, query: str) -> Any:
    engine = create_engine(url)
    with engine.connect() as conn:
        value = conn.execute(text(query)).scalar()
    engine.dispose()
    return value


if __name__ == "__main__":
    sys.exit(main())
