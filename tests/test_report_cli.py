"""`crm report …`: the figures of tests/test_reports.py through the CLI, in JSON, CSV and
tables, on a user in Paris; bad options are one line and exit code 2."""

from __future__ import annotations

import csv
import io

import pytest

from tests.clihelp import Crm
from tests.test_reports import populate
from tinycrm.db.store import Database


@pytest.fixture(autouse=True)
def pipeline(db: Database) -> Database:
    """Every test here reads the pipeline of tests.test_reports."""
    return populate(db)


@pytest.fixture
def cli_env() -> dict[str, str]:
    return {
        "CRM_NOW": "2026-11-23T09:30:00+00:00",
        "CRM_CURRENCY": "EUR",
        "CRM_TIMEZONE": "Europe/Paris",
    }


def test_funnel_json_has_raw_numbers(crm: Crm) -> None:
    rows = crm("report", "funnel", "--format", "json").json()
    assert [r["stage"] for r in rows] == [
        "lead", "contacted", "qualified", "negotiation", "won", "lost",
    ]  # fmt: skip
    assert rows[0] == {
        "stage": "lead",
        "reached": 6,
        "reached_amount": 2900.0,
        "now_in_stage": 1,
        "now_amount": 300.0,
        "drop_off": 4,
        "drop_off_rate": 4 / 6,
        "other_currency": 1,
        "currency": "EUR",
    }
    assert (rows[3]["drop_off"], rows[3]["drop_off_rate"]) == (-3, None)


def test_funnel_period_is_calendar_days_in_the_users_zone(crm: Crm) -> None:
    q4 = crm("report", "funnel", "--from", "2026-10-01", "--to", "2026-12-31", "-f", "json")
    assert [r["reached"] for r in q4.json()] == [4, 2, 1, 0, 3, 1]
    assert crm("report", "funnel", "--period", "quarter", "-f", "json").out == q4.out
    ann = crm("report", "funnel", "--owner", "ann", "-f", "json").json()
    assert [r["reached"] for r in ann] == [5, 2, 1, 0, 2, 2]


def test_funnel_table_draws_bars(crm: Crm) -> None:
    out = crm("report", "funnel", "--chart").out
    assert "Funnel, all time" in out
    bars = [line for line in out.splitlines() if "█" in line]
    assert [line.split()[0] for line in bars] == [
        "lead", "contacted", "qualified", "won",
    ]  # fmt: skip
    assert bars[0].count("█") == 50 and bars[1].count("█") == 17  # 2/6 of 50
    assert "█" not in crm("report", "funnel").out  # not a terminal: no chart by default


def test_conversion_json(crm: Crm) -> None:
    rows = crm("report", "conversion", "--format", "json").json()
    assert rows == [
        {"stage": "lead", "entered": 6, "moved_on": 4, "lost": 1, "rate": 4 / 6,
         "median_days": 2.5},
        {"stage": "contacted", "entered": 2, "moved_on": 1, "lost": 1, "rate": 0.5,
         "median_days": 1.0},
        {"stage": "qualified", "entered": 1, "moved_on": 1, "lost": 0, "rate": 1.0,
         "median_days": 3.0},
        {"stage": "negotiation", "entered": 0, "moved_on": 0, "lost": 0, "rate": None,
         "median_days": None},
    ]  # fmt: skip


def test_performance_defaults_to_this_quarter(crm: Crm) -> None:
    rows = crm("report", "performance", "--format", "json").json()
    assert [r["name"] for r in rows] == ["Ann", "Bob", "Cy", "team"]
    assert rows[0] == {
        "name": "Ann",
        "won": 2,
        "lost": 1,
        "won_amount": 1700.0,
        "win_rate": 2 / 3,
        "avg_won": 850.0,
        "median_cycle_days": 8.0,
        "activities": 0,
        "quota": 9000.0,
        "attainment": 170_000 / 900_000,
        "other_currency": 0,
        "currency": "EUR",
    }
    assert (rows[1]["win_rate"], rows[1]["avg_won"], rows[1]["activities"]) == (None, None, 1)
    assert (rows[3]["won"], rows[3]["lost"], rows[3]["median_cycle_days"]) == (3, 1, 6.0)


def test_performance_year_sort_and_table(crm: Crm) -> None:
    rows = crm("report", "performance", "--year", "2026", "--sort", "-lost", "-f", "json").json()
    assert [(r["name"], r["lost"], r["quota"]) for r in rows] == [
        ("Ann", 2, 36000.0), ("Bob", 0, None), ("Cy", 0, None), ("team", 2, 36000.0),
    ]  # fmt: skip
    table = crm("report", "performance").out
    bob = next(line for line in table.splitlines() if line.strip().startswith("Bob"))
    assert "—" in bob and "Performance, 2026-Q4" in table
    ann = next(line for line in table.splitlines() if line.strip().startswith("Ann"))
    assert "66.7%" in ann and "1,700.00" in ann and "18.9%" in ann


def test_forecast_and_pipeline_csv(crm: Crm) -> None:
    rows = list(csv.DictReader(io.StringIO(crm("report", "forecast", "--months", "2",
                                               "-f", "csv").out)))  # fmt: skip
    assert [(r["bucket"], r["deals"], r["amount"], r["weighted"]) for r in rows] == [
        ("overdue", "0", "0.00", "0.00"),
        ("2026-11", "0", "0.00", "0.00"),
        ("2026-12", "0", "0.00", "0.00"),
        ("later", "0", "0.00", "0.00"),
        ("undated", "1", "300.00", "30.00"),
    ]
    pipe = crm("report", "pipeline", "--stale-days", "60", "-f", "json").json()
    assert pipe[0] == {
        "stage": "lead",
        "probability": 10,
        "deals": 1,
        "amount": 300.0,
        "weighted": 30.0,
        "stalled": 0,
        "stalled_amount": 0.0,
        "other_currency": 0,
        "currency": "EUR",
    }
    assert crm("report", "pipeline", "-f", "json").json()[0]["stalled"] == 1  # 14 days


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("funnel", "--from", "someday"), "--from"),
        (("funnel", "--from", "2026-02-01", "--to", "2026-01-01"), "before --from"),
        (("funnel", "--period", "week"), "month, quarter or year"),
        (("conversion", "--from", "2026-01-01", "--period", "month"), "either --from/--to"),
        (("performance", "--sort", "size"), "unknown field"),
        (("performance", "--owner", "nobody"), "nobody"),
        (("forecast", "--months", "0"), "between 1 and 120"),
        (("pipeline", "--stale-days", "0"), "at least 1"),
        (("funnel", "--format", "xml"), "xml"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(crm: Crm, args: tuple[str, ...], message: str) -> None:
    ran = crm("report", *args, ok=False)
    assert ran.code == 2
    assert ran.out == ""
    assert len(ran.err.strip().splitlines()) == 1 and message in ran.err
