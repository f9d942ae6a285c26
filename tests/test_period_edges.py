"""Period reports are exact at every edge, in every zone, whatever wrote the timestamps.

Instants around day, month, quarter and year edges go in through each write path (the ORM
services, the bulk importer with an offset, with local wall time and with a date alone, and
old databases upgraded by a migration). Every period report is then compared with a
plain-Python classification of the same instants by their calendar day in the user's zone.
"""

from __future__ import annotations

import re
import sqlite3
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, text
from sqlmodel import SQLModel

from tests.conftest import NOW, sqlite_only
from tinycrm.config import load_settings
from tinycrm.dates import day_start
from tinycrm.db.store import Database, downgrade, open_database, session_scope
from tinycrm.models import ActivityCreate, ActivityKind, DealCreate
from tinycrm.services import activities, deals
from tinycrm.services.imports import ImportOptions, ImportRow
from tinycrm.services.imports.deals import import_deals
from tinycrm.services.periods import Period, calendar_period, date_range
from tinycrm.services.reports.reps import performance
from tinycrm.services.reports.service_report import service_report
from tinycrm.services.reports.stage_flow import conversion, funnel
from tinycrm.services.tickets import open_ticket

if TYPE_CHECKING:
    from tests.clihelp import Crm

ZONES = ["UTC", "America/New_York", "Asia/Shanghai", "Asia/Kathmandu", "Pacific/Chatham"]
KINDS = ("day", "month", "quarter", "year")
PATHS = ("orm", "import-offset", "import-local", "import-date")
CANONICAL = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$")

_NEAR = [timedelta(microseconds=n) for n in (-1, 0, 1)] + [
    timedelta(seconds=n) for n in (-86400, -3600, -1, 1, 3600, 86399, 86400)
]
offsets = st.one_of(
    st.sampled_from(_NEAR),
    st.integers(-2 * 86400 * 10**6, 2 * 86400 * 10**6).map(lambda us: timedelta(microseconds=us)),
)


@dataclass(frozen=True)
class Written:
    instant: datetime
    """The moment the write path was asked to record."""
    amount_minor: int


def edge_day(kind: str, anchor: date) -> date:
    """The first day of the day, month, quarter or year holding `anchor`."""
    if kind == "day":
        return anchor
    if kind == "month":
        return anchor.replace(day=1)
    if kind == "quarter":
        return date(anchor.year, (anchor.month - 1) // 3 * 3 + 1, 1)
    return date(anchor.year, 1, 1)


def periods_around(kind: str, edge: date, tz: tzinfo) -> list[Period]:
    """The period that starts at the edge and the one that ends just before it."""
    if kind == "day":
        return [date_range(edge - timedelta(days=1), edge - timedelta(days=1), tz),
                date_range(edge, edge, tz)]  # fmt: skip
    before = edge - timedelta(days=1)
    return [calendar_period(kind, today=before, tz=tz), calendar_period(kind, today=edge, tz=tz)]


def local_day(moment: datetime, tz: tzinfo) -> date:
    return moment.astimezone(tz).date()


def expected(written: list[Written], period: Period, tz: tzinfo) -> tuple[int, int]:
    """(count, amount) of what falls in the period, by its calendar day in the zone."""
    assert period.first is not None and period.last is not None
    inside = [w for w in written if period.first <= local_day(w.instant, tz) <= period.last]
    return len(inside), sum(w.amount_minor for w in inside)


def wipe(db: Database) -> None:
    """Empty every table but users, stages and the schema version (between examples)."""
    keep = {"users", "stages", "alembic_version"}
    with session_scope(db, write=True) as s:
        for table in reversed(SQLModel.metadata.sorted_tables):
            if table.name not in keep:
                s.execute(delete(table))


def import_row(i: int, moment: datetime, path: str, tz: tzinfo) -> tuple[dict[str, str], datetime]:
    """A won deal's CSV row for the path, and the instant it stands for."""
    row = {"title": f"D{i}", "amount": f"{i + 1}.00", "status": "won"}
    local = moment.astimezone(tz)
    if path == "import-offset":
        row["closed_at"] = local.isoformat()
        return row, moment
    if path == "import-local":
        wall = local.replace(tzinfo=None)
        row["closed_at"] = wall.isoformat(sep=" ")
        return row, wall.replace(tzinfo=tz).astimezone(UTC)
    row["expected_close"] = local.date().isoformat()
    return row, day_start(local.date(), tz)


def write_deals(db: Database, plan: list[tuple[datetime, str]], tz: tzinfo) -> list[Written]:
    written: list[Written] = []
    rows: list[ImportRow] = []
    with session_scope(db, write=True) as s:
        for i, (moment, path) in enumerate(plan):
            amount = (i + 1) * 100
            if path == "orm":
                data = DealCreate(title=f"D{i}", amount_minor=amount)
                made = deals.create_deal(s, data=data, currency="EUR", actor=None, now=moment)
                deals.win_deal(s, ref=made.id, actor=None, now=moment)
                written.append(Written(moment, amount))
                continue
            fields, meant = import_row(i, moment, path, tz)
            rows.append(ImportRow(len(rows) + 2, fields, {}, None, dict(fields)))
            written.append(Written(meant, amount))
        if rows:
            options = ImportOptions(now=NOW, currency="EUR", region="", tz=tz)
            result, rejected = import_deals(s, rows=rows, source="t.csv", options=options)
            assert rejected == [] and result.created == len(rows)
    return written


def write_tickets_and_calls(db: Database, moments: list[datetime]) -> None:
    with session_scope(db, write=True) as s:
        for i, moment in enumerate(moments):
            open_ticket(s, subject=f"T{i}", now=moment)
            call = ActivityCreate(kind=ActivityKind.call, subject=f"C{i}", done_at=moment)
            activities.log_activity(s, data=call, actor=None, now=moment)


def assert_reports_match(db: Database, written: list[Written], kind: str, edge: date, tz: tzinfo):
    moments = [w.instant for w in written]
    with session_scope(db, write=False) as s:
        for period in periods_around(kind, edge, tz):
            want_won, want_minor = expected(written, period, tz)
            team = performance(s, period=period, currency="EUR").team
            assert (team.won, team.won_minor) == (want_won, want_minor), period.label
            assert team.activities == want_won, period.label
            won_row = next(r for r in funnel(s, period=period, currency="EUR") if r.kind == "won")
            assert (won_row.reached, won_row.reached_minor) == (want_won, want_minor)
            first = conversion(s, period=period)[0]  # every deal entered the first stage
            assert (first.entered, first.moved_on, first.lost) == (want_won, want_won, 0)
            service = service_report(s, period=period, now=NOW, tz=tz)
            assert service.total.opened == want_won, period.label
        if kind != "day":
            _assert_buckets(s, moments, kind, edge, tz)


def _assert_buckets(s, moments: list[datetime], kind: str, edge: date, tz: tzinfo) -> None:
    """The service report split by month, quarter or year puts each ticket in its own span."""
    before, after = periods_around(kind, edge, tz)
    assert before.first is not None and after.last is not None
    span = date_range(before.first, after.last, tz)
    now = day_start(after.last + timedelta(days=2), tz)
    report = service_report(s, period=span, now=now, tz=tz, by=kind)
    got = {row.key: row.opened for row in report.rows}
    want = Counter(
        p.label
        for m in moments
        for p in (before, after)
        if p.first is not None and p.last is not None and p.first <= local_day(m, tz) <= p.last
    )
    assert got == {p.label: want.get(p.label, 0) for p in (before, after)}


def assert_canonical(db: Database) -> None:
    """On SQLite every stored timestamp has the one text form that sorts as time."""
    if db.engine.dialect.name != "sqlite":
        return
    with db.engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            for column in table.columns:
                if column.type.python_type is not datetime:
                    continue
                values = conn.execute(
                    text(
                        f'SELECT "{column.name}" FROM "{table.name}" WHERE "{column.name}" '
                        "IS NOT NULL"
                    )  # fmt: skip
                ).scalars()
                odd = [v for v in values if not CANONICAL.match(str(v))]
                assert odd == [], f"{table.name}.{column.name}: {odd[:3]}"


@pytest.mark.parametrize("zone", ZONES)
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    kind=st.sampled_from(KINDS),
    anchor=st.dates(min_value=date(2015, 1, 1), max_value=date(2026, 10, 31)),
    plan=st.lists(st.tuples(offsets, st.sampled_from(PATHS)), min_size=1, max_size=8),
)
def test_period_reports_match_a_plain_classification(
    db: Database, zone: str, kind: str, anchor: date, plan: list[tuple[timedelta, str]]
) -> None:
    tz = ZoneInfo(zone)
    edge = edge_day(kind, anchor)
    start = day_start(edge, tz)
    wipe(db)
    written = write_deals(db, [(start + delta, path) for delta, path in plan], tz)
    write_tickets_and_calls(db, [w.instant for w in written])
    assert_canonical(db)
    assert_reports_match(db, written, kind, edge, tz)


@pytest.mark.parametrize("zone", ["America/New_York", "Pacific/Chatham"])
def test_a_deal_closed_on_the_first_of_april_counts_in_the_second_quarter(
    db: Database, zone: str
) -> None:
    """The reported case: a close date alone, imported, on a quarter's first day."""
    tz = ZoneInfo(zone)
    rows = [
        {"title": "April", "amount": "100", "status": "won", "expected_close": "2017-04-01"},
        {"title": "March", "amount": "200", "status": "won", "expected_close": "2017-03-31"},
    ]
    data = [ImportRow(i + 2, r, {}, None, dict(r)) for i, r in enumerate(rows)]
    with session_scope(db, write=True) as s:
        options = ImportOptions(now=NOW, currency="EUR", region="", tz=tz)
        import_deals(s, rows=data, source="t.csv", options=options)
    with session_scope(db, write=False) as s:
        q1, q2 = (calendar_period("quarter", today=date(2017, m, 1), tz=tz) for m in (1, 4))
        first = performance(s, period=q1, currency="EUR").team
        second = performance(s, period=q2, currency="EUR").team
    assert (first.won, first.won_minor) == (1, 20000)
    assert (second.won, second.won_minor) == (1, 10000)


# --- upgrading old databases ---------------------------------------------------------------

OLD_FORMS = (
    lambda m: m.strftime("%Y-%m-%d %H:%M:%S"),  # whole seconds without the fraction
    lambda m: m.isoformat(),  # 'T' and an offset
    lambda m: m.strftime("%Y-%m-%dT%H:%M:%S.%f"),  # 'T', no offset
    lambda m: m.astimezone(ZoneInfo("Asia/Kathmandu")).isoformat(sep=" "),  # another offset
)


def test_upgrade_rewrites_old_timestamps_in_the_canonical_form(tmp_path: Path) -> None:
    """A database written by an older version, with timestamps spelled four other ways,
    upgrades to one form, keeps every row, and reports each deal in its own quarter."""
    path = tmp_path / "old.db"
    db = open_database(load_settings(db_path=str(path), currency="EUR"))
    tz = ZoneInfo("America/New_York")
    edge = day_start(date(2017, 4, 1), tz)
    moments = [edge + timedelta(microseconds=d) for d in (-1, 0, 0, 0, 0, 1)]
    written = write_deals(db, [(m, "orm") for m in moments], tz)
    write_tickets_and_calls(db, moments)
    downgrade(db, revision="0008")  # 0008 changed no table: a 0008 database is a 0007 one
    db.engine.dispose()
    raw = sqlite3.connect(path)
    ids = [r[0] for r in raw.execute("SELECT id FROM deals ORDER BY id")]
    for n, (deal_id, moment) in enumerate(zip(ids, moments, strict=True)):
        old = OLD_FORMS[n % len(OLD_FORMS)](moment.astimezone(UTC))
        raw.execute("UPDATE deals SET closed_at = ?, created_at = ? WHERE id = ?",
                    (old, old, deal_id))  # fmt: skip
        raw.execute("UPDATE stage_changes SET changed_at = ? WHERE deal_id = ?", (old, deal_id))
    raw.execute("UPDATE alembic_version SET version_num = '0007'")
    raw.commit()
    before = raw.execute("SELECT count(*) FROM deals").fetchone()
    raw.close()

    db = open_database(load_settings(db_path=str(path), currency="EUR"))
    assert_canonical(db)
    with session_scope(db, write=False) as s:
        assert s.execute(text("SELECT count(*) FROM deals")).one() == before
    assert_reports_match(db, written, "quarter", date(2017, 4, 1), tz)
    db.engine.dispose()


# --- every write path of the command line ----------------------------------------------------


@sqlite_only
def test_demo_import_and_remind_store_the_canonical_form(
    crm: Crm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Demo data (ORM), a CSV import with whole-second times (bulk SQL) and cron's remind
    (plain SQL) leave every timestamp in one form."""
    monkeypatch.setenv("CRM_NOW", "2026-11-23T08:00:00+00:00")
    crm("demo")
    csv = tmp_path / "deals.csv"
    csv.write_text(
        "title,amount,status,closed_at,created_at\n"
        "Whole,100,won,2017-04-01 00:00:00,2017-03-01 10:00:00\n"
        "Date,100,won,2017-04-01,2017-03-01\n"
    )
    crm("import", "deals", str(csv))
    crm("remind", "--all-owners")
    assert_canonical(open_database(load_settings(db_path=str(tmp_path / "crm.db"))))


@pytest.mark.parametrize(
    ("zone", "typed", "due_local"),
    [
        ("America/New_York", "tomorrow", "2026-11-24 09:00"),
        ("Asia/Kathmandu", "fri", "2026-11-27 09:00"),
        ("Pacific/Chatham", "2026-12-01", "2026-12-01 09:00"),
        ("Asia/Shanghai", "tomorrow 07:30", "2026-11-24 07:30"),
        ("UTC", "+2h", "2026-11-23 10:00"),
    ],
)
@sqlite_only
def test_a_due_date_without_a_time_is_due_when_the_working_day_starts(
    crm: Crm, monkeypatch: pytest.MonkeyPatch, zone: str, typed: str, due_local: str
) -> None:
    monkeypatch.setenv("CRM_TIMEZONE", zone)
    monkeypatch.setenv("CRM_NOW", "2026-11-23T08:00:00")  # Monday 08:00, local
    crm("activity", "schedule", "Call back", "--due", typed)
    shown = crm("activity", "list", "--format", "json").json()[0]
    assert "when" in shown, shown
    due = datetime.fromisoformat(shown["when"]).astimezone(ZoneInfo(zone))
    assert due.strftime("%Y-%m-%d %H:%M") == due_local
    # At 08:00 the next morning, a task due "tomorrow" is not overdue yet.
    if typed == "tomorrow":
        monkeypatch.setenv("CRM_NOW", "2026-11-24T08:00:00")
        assert "Call back" not in crm("remind").out


@sqlite_only
def test_workday_start_comes_from_the_config_file(
    crm: Crm, monkeypatch: pytest.MonkeyPatch, crm_env: Path
) -> None:
    crm_env.mkdir(parents=True, exist_ok=True)
    (crm_env / "config.toml").write_text('workday_start = "8:30"\n')
    monkeypatch.setenv("CRM_NOW", "2026-11-23T08:00:00")
    crm("activity", "schedule", "Call back", "--due", "tomorrow")
    due = crm("activity", "list", "--format", "json").json()[0]["when"]
    assert datetime.fromisoformat(due) == datetime(2026, 11, 24, 8, 30, tzinfo=UTC)
    (crm_env / "config.toml").write_text('workday_start = "nine"\n')
    ran = crm("activity", "schedule", "Again", "--due", "tomorrow", ok=False)
    assert ran.code == 2
    assert "workday_start" in ran.err and "nine" in ran.err and "Traceback" not in ran.err


@sqlite_only
@pytest.mark.parametrize("zone", ["America/New_York", "Asia/Kathmandu", "Pacific/Chatham"])
def test_a_deal_added_won_with_a_past_close_date_closed_that_day(
    crm: Crm, monkeypatch: pytest.MonkeyPatch, zone: str
) -> None:
    monkeypatch.setenv("CRM_TIMEZONE", zone)
    monkeypatch.setenv("CRM_NOW", "2026-11-23T08:00:00")
    crm("deal", "add", "Old sale", "--stage", "won", "--close", "2017-04-01", "--amount", "500")
    crm("deal", "add", "New sale", "--stage", "won", "--close", "2027-01-01", "--amount", "70")

    def won(first: str, last: str) -> list[float]:
        args = ("report", "performance", "--from", first, "--to", last, "--format", "json")
        team = crm(*args).json()[-1]
        return [team["won"], team["won_amount"]]

    assert won("2017-04-01", "2017-06-30") == [1, 500.0]
    assert won("2017-01-01", "2017-03-31") == [0, 0.0]
    assert won("2026-11-23", "2026-11-23") == [1, 70.0]  # a future date: closed now
