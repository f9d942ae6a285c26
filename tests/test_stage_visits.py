"""Stage conversion read from each change's visit columns (`db.stage_visits`) counts exactly
what the history says: checked against a plain reading of the history itself (entries, leaves,
stays) over random histories with comebacks, skips, reopened deals and moves at one instant,
in periods whose edges are local midnights behind and ahead of UTC; and a database migrated
from before the columns existed gets the same figures."""

from __future__ import annotations

import random
import statistics
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from tinycrm.db.store import Database, downgrade, session_scope, upgrade
from tinycrm.models import DealCreate
from tinycrm.services import deals, reports

T0 = datetime(2026, 9, 28, 21, 15, 7, 654_321, tzinfo=UTC)
ZONES = (ZoneInfo("America/Los_Angeles"), ZoneInfo("Asia/Shanghai"))
STAGES = ("lead", "contacted", "qualified", "negotiation", "won", "lost")


def random_history(db: Database, seed: int, n: int = 40) -> None:
    """`n` deals, each moved 0-6 times to any other stage, 0 s to 4 days apart (a quarter of
    the moves at the same instant as the one before)."""
    r = random.Random(seed)
    with session_scope(db, write=True) as s:
        for i in range(n):
            at = T0 + timedelta(
                seconds=r.randrange(0, 40 * 86_400), microseconds=r.randrange(10**6)
            )
            data = DealCreate(title=f"deal {i}", amount_minor=100)
            row = deals.create_deal(s, data=data, currency="EUR", actor=None, now=at)
            here = "lead"
            for _ in range(r.randrange(7)):
                to = r.choice([x for x in STAGES if x != here])
                if r.random() > 0.25:
                    at += timedelta(
                        seconds=r.randrange(1, 4 * 86_400), microseconds=r.randrange(10**6)
                    )
                deals.move_deal(s, ref=row.id, stage=to, actor=None, now=at, force=True)
                here = to


def history(db: Database) -> dict[int, list[tuple[str | None, str, datetime]]]:
    """Each deal's changes in order: (stage left, stage entered, when)."""
    query = text(
        "SELECT c.deal_id, f.name, t.name, c.changed_at FROM stage_changes c "
        "LEFT JOIN stages f ON f.id = c.from_stage_id JOIN stages t ON t.id = c.to_stage_id "
        "ORDER BY c.deal_id, c.changed_at, c.id"
    )
    chains: dict[int, list[tuple[str | None, str, datetime]]] = defaultdict(list)
    with db.engine.connect() as conn:
        for deal_id, left, entered, at in conn.execute(query):
            at = datetime.fromisoformat(at) if isinstance(at, str) else at
            chains[deal_id].append((left and left.lower(), entered.lower(), at.replace(tzinfo=UTC)))
    return chains


def expected(db: Database, period: reports.Period) -> dict[str, tuple]:
    """Conversion as its definition reads: a deal entered a stage if it did in the period; it
    moved on (or was lost) there if it left the stage for a stage further on (a lost stage) at
    or after such an entry; its stays are its visits entered in the period that ended."""

    def inside(at: datetime) -> bool:
        return (period.start is None or at >= period.start) and (
            period.end is None or at < period.end
        )

    order = {name: i for i, name in enumerate(STAGES)}
    entered, moved, lost = defaultdict(set), defaultdict(set), defaultdict(set)
    stays = defaultdict(list)
    for deal_id, chain in history(db).items():
        for i, (left, to, at) in enumerate(chain):
            if inside(at):
                entered[to].add(deal_id)
            if i and inside(chain[i - 1][2]):
                stays[left].append(int(at.timestamp()) - int(chain[i - 1][2].timestamp()))
            if left is None:
                continue
            came = [a for (_, t, a) in chain if t == left and inside(a) and a <= at]
            if came and to == "lost":
                lost[left].add(deal_id)
            elif came and order[to] > order[left]:
                moved[left].add(deal_id)
    out = {}
    for stage in STAGES[:4]:
        n = len(entered[stage])
        median = statistics.median(stays[stage]) / 86_400 if stays[stage] else None
        rate = len(moved[stage]) / n if n else None
        out[stage] = (n, len(moved[stage]), len(lost[stage]), rate, median)
    return out


def found(db: Database, period: reports.Period) -> dict[str, tuple]:
    with session_scope(db, write=False) as s:
        rows = reports.conversion(s, period=period)
    return {r.stage: (r.entered, r.moved_on, r.lost, r.rate, r.median_days) for r in rows}


def periods() -> list[reports.Period]:
    out = [reports.ALL_TIME]
    for tz in ZONES:
        for today in (date(2026, 10, 1), date(2026, 11, 1)):
            out.append(reports.calendar_period("month", today=today, tz=tz))
        out.append(reports.calendar_period("quarter", today=date(2026, 10, 1), tz=tz))
    return out


@pytest.mark.parametrize("seed", [1, 2])
def test_conversion_matches_the_history(db: Database, seed: int) -> None:
    random_history(db, seed)
    for period in periods():
        assert found(db, period) == expected(db, period), period.label


def test_a_comeback_counts_once_and_its_later_leave_counts(db: Database) -> None:
    """In lead twice in October, lost from contacted, back to lead, then on: one entry, one
    move on; the stays are 1 day and 2 days."""
    day = timedelta(days=1)
    with session_scope(db, write=True) as s:
        row = deals.create_deal(
            s, data=DealCreate(title="Comeback", amount_minor=1), currency="EUR", actor=None, now=T0
        )
        for stage, at in (("lost", T0 + day), ("lead", T0 + 3 * day), ("contacted", T0 + 5 * day)):
            deals.move_deal(s, ref=row.id, stage=stage, actor=None, now=at, force=True)
    october = reports.calendar_period("month", today=date(2026, 10, 1), tz=UTC)
    assert found(db, reports.ALL_TIME)["lead"] == (1, 1, 1, 1.0, 1.5)
    assert found(db, october)["lead"] == (1, 1, 0, 1.0, 2.0)  # only the October visit
    assert found(db, october) == expected(db, october)


def test_a_database_from_before_the_visits_gets_them_on_upgrade(db: Database) -> None:
    random_history(db, 3, n=25)
    before = {p.label: found(db, p) for p in periods()}
    downgrade(db, revision="0012")
    with db.engine.connect() as conn:
        columns = (
            {r[1] for r in conn.execute(text("PRAGMA table_info(stage_changes)"))}
            if (db.engine.dialect.name == "sqlite")
            else set(
                conn.execute(
                    text(
                        "SELECT column_name FROM information_schema.columns "
                        "WHERE table_name = 'stage_changes' AND table_schema = current_schema()"
                    )
                ).scalars()
            )
        )
    assert "left_at" not in columns
    upgrade(db)
    assert {p.label: found(db, p) for p in periods()} == before
    assert before[reports.ALL_TIME.label] == expected(db, reports.ALL_TIME)


def test_a_leave_at_the_instant_of_the_entry_in_the_period_counts(db: Database) -> None:
    """Moved on from lead at midnight and back at the same instant (an import's history, or a
    slip undone in the same second): the October entry's deal did move on from lead then."""
    midnight = datetime(2026, 10, 1, tzinfo=UTC)
    with session_scope(db, write=True) as s:
        row = deals.create_deal(
            s, data=DealCreate(title="Blink", amount_minor=1), currency="EUR", actor=None,
            now=midnight - timedelta(hours=1),
        )  # fmt: skip
        for stage in ("contacted", "lead"):
            deals.move_deal(s, ref=row.id, stage=stage, actor=None, now=midnight)
    october = reports.calendar_period("month", today=date(2026, 10, 1), tz=UTC)
    assert found(db, october)["lead"] == (1, 1, 0, 1.0, None)
    assert found(db, october)["contacted"] == (1, 0, 0, 0.0, 0.0)
    assert found(db, october) == expected(db, october)
