"""`crm remind` over a backlog larger than its batches (rows are fetched, marked and printed
a thousand at a time) prints what it always printed, in the same order, each once; and the
local times it prints come from one UTC offset per day, exact across a change of clocks."""

from __future__ import annotations

import json
import random
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import typer
from dateutil.tz import tzlocal

from tests.clihelp import Crm
from tinycrm.localtime import LocalClock

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
"""Monday 23 November 2026, 08:00 in Berlin."""
TS = "%Y-%m-%d %H:%M:%S.%f"


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture
def cli_env() -> dict[str, str]:
    return {"CRM_TIMEZONE": "Europe/Berlin", "CRM_NOW": NOW.isoformat()}


def backlog(path: Path, n: int) -> list[tuple[str, int]]:
    """`n` open activities for two owners: overdue, due (their reminder time has come) and
    coming up within two days, some without a due time and many sharing one; returns the
    (type, id) order `crm remind --within 2d` has always printed them in: by section, then
    by due time (none: now), then id."""
    r = random.Random(17)
    rows, expected = [], []
    with sqlite3.connect(path) as conn:
        first = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM activities").fetchone()[0]
        for id_ in range(first, first + n):
            pick = r.random()
            if pick < 0.05:
                due, alert = None, NOW - timedelta(minutes=r.randrange(600))
            else:
                # whole hours, so many activities share a due time and the id decides
                due = NOW + timedelta(hours=r.randrange(-24 * 40, 40))
                alert = due - timedelta(minutes=r.choice((0, 0, 15, 24 * 60)))
            if due is not None and due < NOW:
                kind = "overdue"
            else:
                kind = "due" if alert <= NOW else "upcoming"
            rows.append(
                (
                    id_,
                    r.choice(("task", "call")),
                    f"Backlog item {id_}",
                    due.strftime(TS) if due else None,
                    alert.strftime(TS),
                    1 + id_ % 2,
                    NOW.strftime(TS),
                )
            )
            order = ("overdue", "due", "upcoming").index(kind)
            expected.append(((order, due or NOW, id_), (kind, id_)))
        conn.executemany(
            "INSERT INTO activities (id, kind, subject, due_at, alert_at, owner_id, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    return [seen for _key, seen in sorted(expected)]


def test_a_backlog_prints_in_the_old_order_and_is_delivered_once(crm: Crm, tmp_path: Path) -> None:
    crm("user", "add", "Ana Reyes")
    crm("user", "add", "Bo Lind")
    db = tmp_path / "crm.db"
    expected = backlog(db, 2_600)
    assert {kind for kind, _id in expected} == {"overdue", "due", "upcoming"}
    args = ("remind", "--all-owners", "--within", "2d", "-f", "jsonl")

    dry = crm(*args, "--dry-run").out
    records = [json.loads(line) for line in dry.splitlines()]
    assert [(r["type"], r["id"]) for r in records] == expected
    one = next(r for r in records if r["id"] == expected[0][1])
    with sqlite3.connect(db) as conn:
        due_at = conn.execute("SELECT due_at FROM activities WHERE id = ?", (one["id"],))
        (stored,) = due_at.fetchone()
    berlin = ZoneInfo("Europe/Berlin")
    local = datetime.fromisoformat(stored).replace(tzinfo=UTC).astimezone(berlin)
    assert one["due_at"] == local.isoformat()

    text = crm("remind", "--all-owners", "--within", "2d", "--dry-run").out
    counts = {k: sum(1 for kind, _ in expected if kind == k) for k in ("overdue", "due")}
    assert text.startswith(f"Overdue ({counts['overdue']})\n  #{expected[0][1]} ")
    assert f"\n\nDue now ({counts['due']})\n" in text
    printed = [int(line.split()[0][1:]) for line in text.splitlines() if line.startswith("  #")]
    assert printed == [id_ for _kind, id_ in expected]

    ran = crm(*args).out  # marks each as it prints, a thousand at a time
    assert ran == dry
    with sqlite3.connect(db) as conn:
        (marked,) = conn.execute(
            "SELECT count(*) FROM activities WHERE reminded_at = alert_at"
        ).fetchone()
    assert marked == 2_600
    assert crm(*args).out == ""
    assert crm(*args, "--all", "--dry-run").out == dry


def test_a_failed_run_marks_nothing(
    crm: Crm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Printing fails after the first batch was marked: the run's one transaction rolls
    back, so the next run prints everything."""

    crm("user", "add", "Ana Reyes")
    crm("user", "add", "Bo Lind")
    db = tmp_path / "crm.db"
    backlog(db, 1_500)
    backlog_due = crm("remind", "--all-owners", "-f", "jsonl", "--dry-run").out.splitlines()
    assert len(backlog_due) > 1_000  # more than one batch is marked before the failure
    printed: list[str] = []
    echo = typer.echo

    def broken(text: str, nl: bool = True) -> None:
        if sum(line.count("\n") for line in printed) > 1_200:
            raise OSError("No space left on device")
        printed.append(text)
        echo(text, nl=nl)

    with monkeypatch.context() as patched:
        patched.setattr(typer, "echo", broken)
        failed = crm("remind", "--all-owners", "-f", "jsonl", ok=False)
    assert failed.code != 0 and len(failed.out.splitlines()) > 1_000
    assert failed.out.splitlines() == backlog_due[: len(failed.out.splitlines())]
    with sqlite3.connect(db) as conn:  # two batches were marked, then rolled back
        marked = conn.execute("SELECT count(*) FROM activities WHERE reminded_at IS NOT NULL")
        assert marked.fetchone() == (0,)
    due = crm("remind", "--all-owners", "-f", "jsonl").out.splitlines()
    assert len(due) == len(backlog_due) and due == backlog_due


ZONES = [
    # New York, behind UTC: clocks skip 02:00-03:00 on 8 March, repeat 01:00-02:00 on 1 November
    ("America/New_York", datetime(2026, 3, 7, tzinfo=UTC), datetime(2026, 3, 9, 12, tzinfo=UTC)),
    ("America/New_York", datetime(2026, 10, 31, tzinfo=UTC), datetime(2026, 11, 2, tzinfo=UTC)),
    # Sydney, ahead of UTC: 03:00 back to 02:00 on 5 April, 02:00 on to 03:00 on 4 October
    ("Australia/Sydney", datetime(2026, 4, 3, tzinfo=UTC), datetime(2026, 4, 6, tzinfo=UTC)),
    ("Australia/Sydney", datetime(2026, 10, 2, tzinfo=UTC), datetime(2026, 10, 5, tzinfo=UTC)),
    # Kolkata, ahead by a half hour, no daylight saving
    ("Asia/Kolkata", datetime(2026, 3, 28, tzinfo=UTC), datetime(2026, 3, 30, tzinfo=UTC)),
]


@pytest.mark.parametrize(("zone", "start", "end"), ZONES)
def test_one_offset_a_day_is_exact_across_a_change_of_clocks(
    zone: str, start: datetime, end: datetime
) -> None:
    tz = ZoneInfo(zone)
    clock = LocalClock(tz)
    moment, seen = start, set()
    while moment < end:
        local, exact = clock(moment), moment.astimezone(tz)
        assert (local.isoformat(), f"{local:%H:%M}", local.date()) == (
            exact.isoformat(),
            f"{exact:%H:%M}",
            exact.date(),
        ), moment
        offset = local.utcoffset()
        assert offset is not None
        assert local.replace(tzinfo=None) - offset == moment.replace(tzinfo=None)
        seen.add(offset)
        moment += timedelta(minutes=7, microseconds=1)
    assert len(seen) == (1 if zone == "Asia/Kolkata" else 2)


def test_the_repeated_and_the_skipped_hour() -> None:
    ny = LocalClock(ZoneInfo("America/New_York"))
    # 1 November: 05:30 and 06:30 UTC are both 01:30 in New York, an hour apart
    assert ny(datetime(2026, 11, 1, 5, 30, tzinfo=UTC)).isoformat() == "2026-11-01T01:30:00-04:00"
    assert ny(datetime(2026, 11, 1, 6, 30, tzinfo=UTC)).isoformat() == "2026-11-01T01:30:00-05:00"
    # 8 March: 02:30 never happens; 06:59 UTC is 01:59, 07:00 UTC is 03:00
    assert ny(datetime(2026, 3, 8, 6, 59, tzinfo=UTC)).isoformat() == "2026-03-08T01:59:00-05:00"
    assert ny(datetime(2026, 3, 8, 7, 0, tzinfo=UTC)).isoformat() == "2026-03-08T03:00:00-04:00"
    # the day after, one fixed offset
    assert ny(datetime(2026, 3, 9, 23, 0, tzinfo=UTC)).isoformat() == "2026-03-09T19:00:00-04:00"
    sydney = LocalClock(ZoneInfo("Australia/Sydney"))
    # 5 April local: 15:30 and 16:30 UTC (4 April) are both 02:30
    assert sydney(datetime(2026, 4, 4, 15, 30, tzinfo=UTC)).isoformat() == (
        "2026-04-05T02:30:00+11:00"
    )
    assert sydney(datetime(2026, 4, 4, 16, 30, tzinfo=UTC)).isoformat() == (
        "2026-04-05T02:30:00+10:00"
    )
    # 4 October local: 15:59 UTC is 01:59, 16:00 UTC is 03:00
    assert sydney(datetime(2026, 10, 3, 15, 59, tzinfo=UTC)).isoformat() == (
        "2026-10-04T01:59:00+10:00"
    )
    assert sydney(datetime(2026, 10, 3, 16, 0, tzinfo=UTC)).isoformat() == (
        "2026-10-04T03:00:00+11:00"
    )
    kolkata = LocalClock(ZoneInfo("Asia/Kolkata"))
    assert kolkata(datetime(2026, 3, 8, 20, 0, tzinfo=UTC)).isoformat() == (
        "2026-03-09T01:30:00+05:30"
    )


def test_the_system_zone_converts_the_same() -> None:
    """No zone configured: dateutil's tzlocal, a pure-Python zone, gives the same times."""
    tz = tzlocal()
    clock = LocalClock(tz)
    for hours in range(0, 24 * 400, 5):
        moment = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=hours)
        assert clock(moment).isoformat() == moment.astimezone(tz).isoformat()


def test_a_section_larger_than_memory_is_kept_in_a_file_and_printed_whole() -> None:
    """The text spool keeps a section in memory up to its limit, then moves it into a
    temporary file; either way it gives back exactly what was written, in order."""
    from tinycrm.commands.remind import _Spool

    lines = [f"  line {n} — über\n" for n in range(5000)]
    for limit, spilled in ((1 << 22, False), (1000, True)):
        with _Spool(limit) as spool:
            for line in lines:
                spool.write(line)
            assert (spool._file is not None) is spilled
            assert "".join(spool.chunks()) == "".join(lines)
