"""Reports over small hand-built histories: every count, amount, rate and median is exact.

The fixture's pipeline (all amounts EUR unless said, times UTC, T0 = 2026-10-05 10:00):
  D1 ann 1,000.00  lead T0 → contacted +1d → qualified +3d → won +6d
  D2 ann   500.00  lead T0 → contacted +2d → lead +3d → contacted +4d → lost +5d
  D3 cy    200 USD lead T0 → won +3d
  D4 ann   300.00  lead T0, still open
  D5 ann   700.00  lead 09-20 22:30 → won 09-30 22:30 (1 Oct 00:30 in Paris)
  D6 ann   400.00  lead 09-20 21:30 → lost 09-30 21:30 (30 Sep 23:30 in Paris)
Ann's quota is 9,000.00 a quarter; Bob has no quota and no deals; Cy sells in USD.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session

from tests.conftest import NOW
from tinycrm.db.store import Database, session_scope
from tinycrm.errors import InvalidInput
from tinycrm.models import ActivityCreate, ActivityKind, DealCreate, QuotaPeriod, UserCreate
from tinycrm.services import activities, deals, reports, stages, users
from tinycrm.services.imports import ImportOptions, ImportRow
from tinycrm.services.imports.deals import import_deals
from tinycrm.services.refs import resolve_user

PARIS = ZoneInfo("Europe/Paris")
T0 = datetime(2026, 10, 5, 10, 0, tzinfo=UTC)
DAY = timedelta(days=1)
Q4_PARIS = reports.calendar_period("quarter", today=date(2026, 11, 23), tz=PARIS)


def deal(s: Session, owner: str, minor: int, at: datetime, *moves: tuple[str, datetime],
         currency: str = "EUR") -> int:  # fmt: skip
    row = deals.create_deal(
        s,
        data=DealCreate(
            title=f"deal {at:%m%d%H%M} {minor}", amount_minor=minor, currency=currency, owner=owner
        ),
        currency="EUR",
        actor=None,
        now=at,
    )
    for stage, when in moves:
        deals.move_deal(s, ref=row.id, stage=stage, actor=None, now=when)
    return row.id


@pytest.fixture
def pipeline(db: Database) -> Database:
    return populate(db)


def populate(db: Database) -> Database:
    """The pipeline described at the top of this module."""
    with session_scope(db, write=True) as s:
        users.create_user(
            s,
            data=UserCreate(name="Ann", quota_minor=900_000, quota_period=QuotaPeriod.quarter),
            currency="EUR",
        )
        users.create_user(s, data=UserCreate(name="Bob"), currency="EUR")
        users.create_user(s, data=UserCreate(name="Cy"), currency="EUR")
        deal(s, "ann", 100_000, T0, ("contacted", T0 + DAY), ("qualified", T0 + 3 * DAY),
             ("won", T0 + 6 * DAY))  # fmt: skip
        deal(s, "ann", 50_000, T0, ("contacted", T0 + 2 * DAY), ("lead", T0 + 3 * DAY),
             ("contacted", T0 + 4 * DAY), ("lost", T0 + 5 * DAY))  # fmt: skip
        deal(s, "cy", 20_000, T0, ("won", T0 + 3 * DAY), currency="USD")
        deal(s, "ann", 30_000, T0)
        sep20 = datetime(2026, 9, 20, 22, 30, tzinfo=UTC)
        deal(s, "ann", 70_000, sep20, ("won", sep20 + 10 * DAY))
        hour = timedelta(hours=1)
        deal(s, "ann", 40_000, sep20 - hour, ("lost", sep20 + 10 * DAY - hour))
        bob = resolve_user(s, "bob")
        for done in (datetime(2026, 10, 1, 8, tzinfo=UTC), datetime(2026, 9, 30, 21, tzinfo=UTC)):
            activities.log_activity(
                s, data=ActivityCreate(kind=ActivityKind.call, subject="Call", done_at=done),
                actor=bob, now=done,
            )  # fmt: skip
        activities.schedule_activity(
            s, data=ActivityCreate(kind=ActivityKind.task, subject="Later", due_at=NOW + DAY),
            actor=bob, now=NOW,
        )  # fmt: skip
    return db


def funnel_of(db: Database, period: reports.Period, **kw: str) -> dict[str, tuple]:
    with session_scope(db, write=False) as s:
        rows = reports.funnel(s, period=period, currency="EUR", **kw)
    return {
        r.stage: (r.reached, r.reached_minor, r.now, r.now_minor, r.drop_off, r.drop_off_rate,
                  r.other_currency)
        for r in rows
    }  # fmt: skip


def test_funnel_all_time_counts_each_deal_once_per_stage(pipeline: Database) -> None:
    assert funnel_of(pipeline, reports.ALL_TIME) == {
        "lead": (6, 290_000, 1, 30_000, 4, 4 / 6, 1),
        "contacted": (2, 150_000, 0, 0, 1, 0.5, 0),
        "qualified": (1, 100_000, 0, 0, 1, 1.0, 0),
        "negotiation": (0, 0, 0, 0, -3, None, 0),
        "won": (3, 170_000, 3, 170_000, None, None, 1),
        "lost": (2, 90_000, 2, 90_000, None, None, 0),
    }


def test_funnel_period_edges_are_local_midnights(pipeline: Database) -> None:
    found = funnel_of(pipeline, Q4_PARIS)
    assert {k: v[0] for k, v in found.items()} == {
        "lead": 4, "contacted": 2, "qualified": 1, "negotiation": 0, "won": 3, "lost": 1,
    }  # fmt: skip
    assert found["won"][1] == 170_000  # D5 won at 00:30 on 1 October in Paris
    in_utc = reports.calendar_period("quarter", today=date(2026, 11, 23), tz=UTC)
    assert funnel_of(pipeline, in_utc)["won"][:2] == (2, 100_000)  # ...but 30 September in UTC


def test_funnel_owner_and_empty_period(pipeline: Database) -> None:
    assert funnel_of(pipeline, reports.ALL_TIME, owner="cy")["won"] == (1, 0, 1, 0, None, None, 1)
    empty = reports.date_range(date(2025, 1, 1), date(2025, 1, 31), PARIS)
    assert set(funnel_of(pipeline, empty).values()) == {
        (0, 0, 0, 0, 0, None, 0),
        (0, 0, 0, 0, None, None, 0),
    }


def conversion_of(db: Database, period: reports.Period) -> dict[str, tuple]:
    with session_scope(db, write=False) as s:
        rows = reports.conversion(s, period=period)
    return {r.stage: (r.entered, r.moved_on, r.lost, r.rate, r.median_days) for r in rows}


def test_conversion_all_time(pipeline: Database) -> None:
    assert conversion_of(pipeline, reports.ALL_TIME) == {
        "lead": (6, 4, 1, 4 / 6, 2.5),  # visits of 1, 2, 1, 3, 10 and 10 days
        "contacted": (2, 1, 1, 0.5, 1.0),  # D2 went back to lead and came again: once
        "qualified": (1, 1, 0, 1.0, 3.0),
        "negotiation": (0, 0, 0, None, None),
    }


def test_conversion_in_a_period_counts_entries_in_it(pipeline: Database) -> None:
    assert conversion_of(pipeline, Q4_PARIS)["lead"] == (4, 3, 0, 0.75, 1.5)


def test_conversion_counts_the_way_a_deal_left_each_stage(db: Database) -> None:
    """Skipping forward is moving on; going back is not, and losing counts where it happened."""
    with session_scope(db, write=True) as s:
        users.create_user(s, data=UserCreate(name="Ann"), currency="EUR")
        users.create_user(s, data=UserCreate(name="Bob"), currency="EUR")
        deal(s, "ann", 100, T0, ("qualified", T0 + DAY), ("contacted", T0 + 3 * DAY),
             ("lost", T0 + 7 * DAY))  # fmt: skip
        deal(s, "bob", 100, T0, ("contacted", T0 + 2 * DAY))
    assert conversion_of(db, reports.ALL_TIME) == {
        "lead": (2, 2, 0, 1.0, 1.5),
        "contacted": (2, 0, 1, 0.0, 4.0),
        "qualified": (1, 0, 0, 0.0, 2.0),
        "negotiation": (0, 0, 0, None, None),
    }
    with session_scope(db, write=False) as s:
        bob = reports.conversion(s, period=reports.ALL_TIME, owner="bob")
    assert [(r.entered, r.moved_on, r.lost, r.median_days) for r in bob[:2]] == [
        (1, 1, 0, 2.0),
        (1, 0, 0, None),
    ]


def test_conversion_of_imported_deals_follows_their_synthesized_history(db: Database) -> None:
    opts = ImportOptions(now=NOW, currency="EUR", region="FR")
    records = [
        {"title": "At qualified", "stage": "qualified", "amount": "100"},
        {"title": "Lost at contacted", "stage": "contacted", "status": "lost", "amount": "50",
         "created_at": "2026-10-01 10:00", "closed_at": "2026-10-03 10:00"},
        {"title": "Won", "status": "won", "amount": "70"},
    ]  # fmt: skip
    with session_scope(db, write=True) as s:
        rows = [ImportRow(n, r, {}, None, dict(r)) for n, r in enumerate(records, start=2)]
        import_deals(s, rows=rows, source="deals.csv", options=opts)
    assert conversion_of(db, reports.ALL_TIME) == {
        "lead": (3, 3, 0, 1.0, 0.0),
        "contacted": (3, 2, 1, 2 / 3, 0.0),  # the lost one left contacted two days later...
        "qualified": (2, 1, 0, 0.5, 0.0),
        "negotiation": (1, 1, 0, 1.0, 0.0),
    }
    assert funnel_of(db, reports.ALL_TIME)["won"][:2] == (1, 7_000)


def perf(db: Database, period: reports.Period, **kw: str) -> reports.Performance:
    with session_scope(db, write=False) as s:
        return reports.performance(s, period=period, currency="EUR", **kw)


def figures(row: reports.RepRow) -> tuple:
    return (row.won, row.lost, row.won_minor, row.win_rate, row.avg_won_minor,
            row.median_cycle_days, row.activities, row.quota_minor, row.attainment,
            row.other_currency)  # fmt: skip


def test_performance_per_rep_and_team_in_a_paris_quarter(pipeline: Database) -> None:
    found = perf(pipeline, Q4_PARIS)
    assert {r.name: figures(r) for r in found.reps} == {
        "Ann": (2, 1, 170_000, 2 / 3, 85_000, 8.0, 0, 900_000, 170_000 / 900_000, 0),
        "Bob": (0, 0, 0, None, None, None, 1, None, None, 0),  # closed nothing: no rate
        "Cy": (1, 0, 0, 1.0, None, 3.0, 0, None, None, 1),  # won in USD: counted apart
    }
    assert figures(found.team) == (3, 1, 170_000, 0.75, 85_000, 6.0, 1, 900_000,
                                   170_000 / 900_000, 1)  # fmt: skip


def test_performance_quota_scales_to_the_period(pipeline: Database) -> None:
    october = reports.date_range(date(2026, 10, 1), date(2026, 10, 31), PARIS)
    ann = perf(pipeline, october, owner="ann")
    assert [r.name for r in ann.reps] == ["Ann"]
    assert (ann.reps[0].quota_minor, ann.reps[0].won_minor) == (300_000, 170_000)
    year = reports.calendar_period("year", today=date(2026, 11, 23), tz=PARIS)
    assert perf(pipeline, year).reps[0].quota_minor == 3_600_000
    assert (perf(pipeline, year).reps[0].won, perf(pipeline, year).reps[0].lost) == (2, 2)
    ten_days = reports.date_range(date(2026, 10, 1), date(2026, 10, 10), PARIS)
    assert ten_days.months == Fraction(120, 365)
    assert perf(pipeline, ten_days).reps[0].quota_minor == 98_630  # 9,000.00 × (10×12/365) ÷ 3


def test_performance_sort_and_empty_period(pipeline: Database) -> None:
    q4 = perf(pipeline, Q4_PARIS, sort="-won_amount,name")
    assert [r.name for r in q4.reps] == ["Ann", "Bob", "Cy"]
    assert [r.name for r in perf(pipeline, Q4_PARIS, sort="-win_rate").reps] == ["Cy", "Ann", "Bob"]
    q1 = reports.calendar_period("quarter", today=date(2026, 2, 1), tz=PARIS)
    assert figures(perf(pipeline, q1).team) == (0, 0, 0, None, None, None, 0, 900_000, 0.0, 0)
    with pytest.raises(InvalidInput, match="unknown field"):
        perf(pipeline, q1, sort="size")


def test_forecast_buckets_by_expected_close_month(db: Database) -> None:
    with session_scope(db, write=True) as s:
        stages.edit_stage(s, ref="contacted", probability=25)
        for close, minor, stage, currency in [
            (date(2026, 11, 22), 10_000, "lead", "EUR"),  # yesterday: overdue
            (date(2026, 11, 23), 10_001, "contacted", "EUR"),  # today: this month
            (date(2026, 11, 30), 30_000, "lead", "EUR"),
            (date(2026, 12, 1), 40_000, "qualified", "EUR"),
            (date(2027, 1, 31), 50_000, "negotiation", "EUR"),
            (date(2027, 2, 1), 60_000, "lead", "EUR"),  # past 3 months: later
            (None, 70_000, "lead", "EUR"),
            (date(2026, 12, 5), 99_000, "lead", "USD"),
        ]:
            deals.create_deal(
                s, data=DealCreate(title=f"d{minor}", amount_minor=minor, currency=currency,
                                   stage=stage, expected_close=close),
                currency="EUR", actor=None, now=NOW,
            )  # fmt: skip
        won = deals.create_deal(
            s, data=DealCreate(title="won", amount_minor=5, expected_close=date(2026, 12, 2)),
            currency="EUR", actor=None, now=NOW,
        )  # fmt: skip
        deals.win_deal(s, ref=won.id, actor=None, now=NOW)
        rows = reports.forecast(s, today=date(2026, 11, 23), months=3, currency="EUR")
    assert [
        (r.bucket, r.first, r.last, r.deals, r.amount_minor, r.weighted_minor, r.other_currency)
        for r in rows
    ] == [  # fmt: skip
        ("overdue", None, date(2026, 11, 22), 1, 10_000, 1_000, 0),
        ("2026-11", date(2026, 11, 23), date(2026, 11, 30), 2, 40_001, 5_500, 0),  # 2500.25+3000
        ("2026-12", date(2026, 12, 1), date(2026, 12, 31), 2, 40_000, 16_000, 1),
        ("2027-01", date(2027, 1, 1), date(2027, 1, 31), 1, 50_000, 35_000, 0),
        ("later", date(2027, 2, 1), None, 1, 60_000, 6_000, 0),
        ("undated", None, None, 1, 70_000, 7_000, 0),
    ]


def test_pipeline_counts_open_deals_and_stalled_ones(db: Database) -> None:
    with session_scope(db, write=True) as s:
        users.create_user(s, data=UserCreate(name="Ann"), currency="EUR")
        old = NOW - 30 * DAY
        quiet = deal(s, "ann", 10_000, old)  # nothing for 30 days: stalled
        deal(s, "ann", 20_000, old, ("contacted", NOW - 3 * DAY))  # moved lately
        talked = deal(s, "ann", 30_000, old)  # a call 2 days ago
        activities.log_activity(
            s, data=ActivityCreate(kind=ActivityKind.call, subject="Hi", deal=talked),
            actor=None, now=NOW - 2 * DAY,
        )  # fmt: skip
        deal(s, "ann", 40_000, NOW - DAY)  # new
        deal(s, "ann", 50_000, old, ("won", old + DAY))  # closed: not in the pipeline
        deal(s, "ann", 9_900, old, currency="USD")
        rows = reports.pipeline(s, now=NOW, stale_days=14, currency="EUR")
    assert quiet
    assert [
        (
            r.stage,
            r.probability,
            r.deals,
            r.amount_minor,
            r.weighted_minor,
            r.stalled,
            r.stalled_minor,
            r.other_currency,
        )
        for r in rows
    ] == [  # fmt: skip
        ("lead", 10, 4, 80_000, 8_000, 2, 10_000, 1),
        ("contacted", 20, 1, 20_000, 4_000, 0, 0, 0),
        ("qualified", 40, 0, 0, 0, 0, 0, 0),
        ("negotiation", 70, 0, 0, 0, 0, 0, 0),
    ]


def test_periods_reject_nonsense() -> None:
    with pytest.raises(InvalidInput, match="^to: before from "):
        reports.date_range(date(2026, 2, 1), date(2026, 1, 1), PARIS)
    with pytest.raises(InvalidInput, match="month, quarter or year"):
        reports.calendar_period("week", today=date(2026, 1, 1), tz=PARIS)
    q = reports.calendar_period("quarter", today=date(2026, 5, 9), tz=PARIS, year=2025)
    assert (q.label, q.start, q.end) == (
        "2025-Q2",
        datetime(2025, 3, 31, 22, tzinfo=UTC),
        datetime(2025, 6, 30, 22, tzinfo=UTC),
    )
