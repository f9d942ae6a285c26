"""Reminders: recurrence, snooze, what `crm remind` finds, delivered once, the agenda."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, col, select

from tests.conftest import NOW
from tinycrm.config import load_settings
from tinycrm.db import plain_sql
from tinycrm.db.store import Database, dbapi, open_database, session_scope
from tinycrm.errors import Conflict, InvalidInput
from tinycrm.models import (
    Activity,
    ActivityCreate,
    ActivityKind,
    ActivityUpdate,
    CompanyCreate,
    ContactCreate,
    ContactDate,
    ContactUpdate,
    Deal,
    DealCreate,
    DealUpdate,
    UserCreate,
)
from tinycrm.services import activities, companies, contacts, deals, reminders, users
from tinycrm.services.refs import resolve_user
from tinycrm.services.reminders import agenda
from tinycrm.services.reminders.recurrence import (
    check_rrule,
    describe,
    next_occurrence,
    parse_every,
)
from tinycrm.services.userref import find_owner

BERLIN = ZoneInfo("Europe/Berlin")


def at(text: str, tz: Any = UTC) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=tz).astimezone(UTC)


# --- recurrence -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("2w", "FREQ=WEEKLY;INTERVAL=2"),
        ("week", "FREQ=WEEKLY"),
        ("weekday", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"),
        ("3mo", "FREQ=MONTHLY;INTERVAL=3"),
        ("daily", "FREQ=DAILY"),
        ("mon,thu", "FREQ=WEEKLY;BYDAY=MO,TH"),
        ("Year", "FREQ=YEARLY"),
    ],
)
def test_every_reads_as_an_rrule(text: str, rule: str) -> None:
    assert parse_every(text) == rule


@pytest.mark.parametrize("text", ["fortnightly", "0w", "2x", ""])
def test_every_refuses_what_it_cannot_read(text: str) -> None:
    with pytest.raises(InvalidInput, match="^every: "):
        parse_every(text)


def test_rrule_is_checked_and_normalised() -> None:
    assert check_rrule("rrule:freq=monthly;interval=3;bymonthday=1") == (
        "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=1"
    )
    for bad in ("FREQ=SOMETIMES", "INTERVAL=2", "DTSTART:20260101\nRRULE:FREQ=DAILY"):
        with pytest.raises(InvalidInput, match="^repeat rule: "):
            check_rrule(bad)
    assert describe("FREQ=WEEKLY;INTERVAL=2") == "every 2 weeks"
    assert describe("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR") == "every weekday"
    assert describe("FREQ=MONTHLY;BYMONTHDAY=1") == "FREQ=MONTHLY;BYMONTHDAY=1"


def test_a_weekly_nine_oclock_stays_at_nine_across_daylight_saving() -> None:
    # Berlin leaves summer time on Sunday 25 October 2026.
    first = at("2026-10-19 09:00", BERLIN)
    following = next_occurrence("FREQ=WEEKLY", due_at=first, after=first, tz=BERLIN)
    assert following == at("2026-10-26 09:00", BERLIN)
    assert following is not None
    assert (following.hour, first.hour) == (8, 7)  # UTC moved, the wall clock did not


def test_next_occurrence_skips_what_was_missed_and_ends_with_the_rule() -> None:
    due = at("2026-11-02 09:00")
    assert next_occurrence("FREQ=WEEKLY", due_at=due, after=NOW, tz=UTC) == at("2026-11-30 09:00")
    early = NOW - timedelta(days=1)
    assert next_occurrence(
        "FREQ=WEEKLY;INTERVAL=2", due_at=at("2026-11-27 16:00"), after=early, tz=UTC
    ) == at("2026-12-11 16:00")
    assert next_occurrence("FREQ=WEEKLY;COUNT=1", due_at=due, after=due, tz=UTC) is None
    assert next_occurrence(
        "FREQ=DAILY;UNTIL=20261104T090000Z", due_at=due, after=due, tz=UTC
    ) == at("2026-11-03 09:00")


# --- activities that repeat, snooze and remind ------------------------------------------


@pytest.fixture
def team(db: Database) -> Database:
    """Ann and Bob (reps); Carla at Acme; a big deal of Ann's and a small one of Bob's."""
    with session_scope(db, write=True) as s:
        users.create_user(s, data=UserCreate(name="Ann Lee"), currency="EUR")
        users.create_user(s, data=UserCreate(name="Bob Stone"), currency="EUR")
        companies.create_company(s, data=CompanyCreate(name="Acme"))
        contacts.create_contact(
            s, data=ContactCreate(name="Carla Diaz", company="Acme"), region="US"
        )
    return db


def schedule(s: Session, owner: str = "Ann Lee", **fields: Any) -> activities.ActivityRow:
    fields.setdefault("kind", ActivityKind.task)
    fields.setdefault("subject", "Follow up")
    return activities.schedule_activity(
        s, data=ActivityCreate(**fields), actor=resolve_user(s, owner), now=NOW - timedelta(days=30)
    )


def alert_of(s: Session, activity_id: int) -> datetime | None:
    found = s.get(Activity, activity_id)
    assert found is not None
    s.refresh(found)
    return found.alert_at


def test_alert_time_follows_due_lead_snooze_and_done(team: Database) -> None:
    due = NOW + timedelta(hours=2)
    with session_scope(team, write=True) as s:
        row = schedule(s, due_at=due, remind_minutes=15)
        assert alert_of(s, row.id) == due - timedelta(minutes=15)
        activities.snooze_activity(s, ref=row.id, until=NOW + timedelta(hours=3), now=NOW)
        assert alert_of(s, row.id) == NOW + timedelta(hours=3)
        moved = activities.update_activity(
            s, ref=row.id, data=ActivityUpdate(due_at=due + timedelta(days=1))
        )
        assert moved.snoozed_until is None  # a new due time starts afresh
        assert alert_of(s, row.id) == due + timedelta(days=1, minutes=-15)
        activities.complete_activity(s, ref=row.id, now=NOW)
        assert alert_of(s, row.id) is None


def test_snooze_refuses_the_past_and_done_activities(team: Database) -> None:
    with session_scope(team, write=True) as s:
        row = schedule(s, due_at=NOW)
        with pytest.raises(InvalidInput, match="future"):
            activities.snooze_activity(s, ref=row.id, until=NOW - timedelta(minutes=1), now=NOW)
        activities.complete_activity(s, ref=row.id, now=NOW)
        with pytest.raises(Conflict, match="already done"):
            activities.snooze_activity(s, ref=row.id, until=NOW + timedelta(hours=1), now=NOW)


def test_done_recurring_activity_schedules_the_next_one(team: Database) -> None:
    with session_scope(team, write=True) as s:
        row = schedule(
            s,
            subject="Weekly check-in",
            contact="Carla Diaz",
            due_at=at("2026-11-20 16:00", BERLIN),
            remind_minutes=30,
            rrule="FREQ=WEEKLY;INTERVAL=2",
        )
        done = activities.complete_activity(s, ref=row.id, now=NOW, tz=BERLIN)
        following = activities.next_in_series(s, done)
        assert following is not None
        assert following.due_at == at("2026-12-04 16:00", BERLIN)
        assert (following.subject, following.contact, following.owner) == (
            "Weekly check-in",
            "Carla Diaz",
            "Ann Lee",
        )
        assert (following.remind_minutes, following.rrule) == (30, "FREQ=WEEKLY;INTERVAL=2")
        assert following.series_id == row.id == done.series_id
        again = activities.complete_activity(s, ref=following.id, now=NOW, tz=BERLIN)
        third = activities.next_in_series(s, again)
        assert third is not None and third.due_at == at("2026-12-18 16:00", BERLIN)
        series = s.exec(select(Activity).where(Activity.series_id == row.id)).all()
        assert sorted(a.done_at is None for a in series) == [False, False, True]


def test_a_rule_that_ends_schedules_nothing_more(team: Database) -> None:
    with session_scope(team, write=True) as s:
        row = schedule(s, due_at=NOW, rrule="FREQ=DAILY;COUNT=1")
        done = activities.complete_activity(s, ref=row.id, now=NOW)
        assert activities.next_in_series(s, done) is None
        assert s.exec(select(Activity).where(col(Activity.done_at).is_(None))).all() == []


# --- what is due --------------------------------------------------------------------------


def options(**changes: Any) -> reminders.RemindOptions:
    values: dict[str, Any] = {
        "now": NOW,
        "tz": UTC,
        "min_amount_minor": 1_000_000,
    }
    return reminders.RemindOptions(**{**values, **changes})


@pytest.fixture
def due(team: Database) -> Database:
    """#1 overdue (Ann), #2 reminder time come (Ann, due in 10 min, 15 min lead), #3 due
    tomorrow (Bob), #4 done, #5 snoozed overdue (Ann)."""
    with session_scope(team, write=True) as s:
        schedule(s, subject="Overdue call", due_at=NOW - timedelta(days=2), contact="Carla Diaz")
        schedule(s, subject="Send quote", due_at=NOW + timedelta(minutes=10), remind_minutes=15)
        schedule(s, owner="Bob Stone", subject="Tomorrow", due_at=NOW + timedelta(days=1))
        done = schedule(s, subject="Done already", due_at=NOW - timedelta(days=1))
        activities.complete_activity(s, ref=done.id, now=NOW)
        snoozed = schedule(s, subject="Snoozed", due_at=NOW - timedelta(hours=1))
        activities.snooze_activity(s, ref=snoozed.id, until=NOW + timedelta(hours=2), now=NOW)
    return team


def test_due_tasks_are_overdue_or_due_and_skip_done_and_snoozed(due: Database) -> None:
    with dbapi(due) as sql:
        found = reminders.due_tasks(sql, options())
        assert [(r.kind, r.id, r.title, r.owner) for r in found] == [
            ("overdue", 1, "Overdue call", "Ann Lee"),
            ("due", 2, "Send quote", "Ann Lee"),
        ]
        assert found[0].about == "Carla Diaz · Acme"
        assert found[1].key == "activity:2:20261123T092500"
        ann = find_owner(sql, "ann")[0]
        bob = find_owner(sql, "Bob")[0]
        assert [r.id for r in reminders.due_tasks(sql, options(owner_id=bob))] == []
        ahead = reminders.due_tasks(sql, options(within=timedelta(days=1)))
        assert [(r.kind, r.id) for r in ahead] == [
            ("overdue", 1),
            ("overdue", 5),  # snoozed, but the snooze ends within the day asked for
            ("due", 2),
            ("upcoming", 3),
        ]
        assert [r.id for r in reminders.due_tasks(sql, options(owner_id=ann))] == [1, 2]


def test_claim_delivers_each_reminder_once(due: Database) -> None:
    with dbapi(due) as sql:
        found = reminders.collect(sql, options())
        with sql.writing():
            first = reminders.claim(sql, found, NOW)
        with sql.writing():
            second = reminders.claim(sql, found, NOW)
        assert [r.id for r in first] == [1, 2]
        assert second == []
        # Snoozing makes a new occurrence: it is delivered again when the snooze ends.
    with session_scope(due, write=True) as s:
        activities.snooze_activity(s, ref=1, until=NOW + timedelta(minutes=5), now=NOW)
    with dbapi(due) as sql:
        later = reminders.collect(sql, options(now=NOW + timedelta(minutes=6)))
        with sql.writing():
            assert [r.id for r in reminders.claim(sql, later, NOW)] == [1]


def test_a_failed_delivery_is_not_recorded(due: Database) -> None:
    with dbapi(due) as sql:
        found = reminders.collect(sql, options())
        with pytest.raises(RuntimeError), sql.writing():
            reminders.claim(sql, found, NOW)
            raise RuntimeError("the mail could not be printed")
        with sql.writing():
            assert len(reminders.claim(sql, found, NOW)) == 2


def test_overlapping_runs_deliver_each_reminder_once(tmp_path: Path) -> None:
    """Two cron runs at once on one SQLite file: every reminder goes to exactly one."""
    db = open_database(load_settings(db_path=str(tmp_path / "crm.db")))
    with session_scope(db, write=True) as s:
        users.create_user(s, data=UserCreate(name="Ann Lee"), currency="EUR")
        for n in range(40):
            schedule(s, subject=f"Task {n}", due_at=NOW - timedelta(minutes=n))
    db.engine.dispose()
    delivered: list[list[int]] = []
    start = threading.Barrier(2)

    def run() -> None:
        sql = plain_sql.open_sqlite(tmp_path / "crm.db")
        assert sql is not None
        start.wait()
        found = reminders.collect(sql, options())
        with sql.writing():
            delivered.append([r.id for r in reminders.claim(sql, found, NOW)])
        sql.conn.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(len(d) for d in delivered) == [0, 40]


def test_large_deals_closing_overdue_or_quiet(team: Database) -> None:
    with session_scope(team, write=True) as s:
        ann = resolve_user(s, "Ann Lee")
        opened = NOW - timedelta(days=40)
        for title, amount, close in (
            ("Closing soon", 20_000_00, date(2026, 11, 27)),
            ("Past its date", 15_000_00, date(2026, 11, 20)),
            ("Far off and quiet", 50_000_00, date(2027, 3, 1)),
            ("Small", 900_00, date(2026, 11, 24)),
            ("Far off, busy", 30_000_00, date(2027, 3, 1)),
        ):
            deals.create_deal(
                s,
                data=DealCreate(title=title, amount_minor=amount, expected_close=close),
                currency="EUR",
                actor=ann,
                now=opened,
            )
        activities.log_activity(
            s,
            data=ActivityCreate(kind=ActivityKind.call, subject="Chat", deal=5),
            actor=ann,
            now=NOW - timedelta(days=3),
        )
        activities.log_activity(
            s,
            data=ActivityCreate(kind=ActivityKind.call, subject="Chat", deal=1),
            actor=ann,
            now=NOW - timedelta(days=1),
        )
    with dbapi(team) as sql:
        found = reminders.large_deals(sql, options())
        assert [(r.id, r.title, r.reasons) for r in found] == [
            (3, "Far off and quiet", ("stale",)),
            (1, "Closing soon", ("closing",)),
            (2, "Past its date", ("overdue", "stale")),
        ]
        assert found[1].amount_minor == 20_000_00 and found[1].currency == "EUR"
        assert found[0].last_activity == opened  # no activity: quiet since it was opened
        lower = reminders.large_deals(sql, options(min_amount_minor=500_00, close_within_days=1))
        assert [(r.id, r.reasons) for r in lower] == [
            (3, ("stale",)),
            (2, ("overdue", "stale")),
            (4, ("closing", "stale")),
        ]
        [past] = reminders.large_deals(sql, options(stale_after_days=60, close_within_days=0))
        assert (past.id, past.reasons, past.day, past.owner, past.last_activity) == (
            2,
            ("overdue",),
            date(2026, 11, 20),
            "Ann Lee",
            opened,
        )


def test_a_deal_is_alerted_again_only_when_something_changes(team: Database) -> None:
    """Closing soon, once; overdue once more; quiet again after new activity, once more."""
    with session_scope(team, write=True) as s:
        ann = resolve_user(s, "Ann Lee")
        data = DealCreate(title="Big", amount_minor=20_000_00, expected_close=date(2026, 11, 27))
        deals.create_deal(s, data=data, currency="EUR", actor=ann, now=NOW - timedelta(days=2))

    def deliver(now: datetime) -> list[tuple[str, ...]]:
        with dbapi(team) as sql, sql.writing():
            found = reminders.large_deals(sql, options(now=now))
            return [r.reasons for r in reminders.claim(sql, found, now)]

    assert deliver(NOW) == [("closing",)]
    assert deliver(NOW + timedelta(days=1)) == []
    assert deliver(at("2026-11-28 08:00")) == [("overdue",)]
    assert deliver(at("2026-11-29 08:00")) == []
    assert deliver(at("2026-12-10 08:00")) == [("overdue", "stale")]  # quiet since 21 Nov
    with session_scope(team, write=True) as s:
        activities.log_activity(
            s,
            data=ActivityCreate(kind=ActivityKind.call, subject="Chased", deal=1),
            actor=None,
            now=at("2026-12-10 09:00"),
        )
        assert s.get(Deal, 1).last_activity_at == at("2026-12-10 09:00")  # type: ignore[union-attr]
    assert deliver(at("2026-12-20 08:00")) == []
    assert deliver(at("2026-12-25 08:00")) == [("overdue", "stale")]  # quiet again
    with session_scope(team, write=True) as s:
        deals.update_deal(
            s, ref=1, data=DealUpdate(expected_close=date(2027, 1, 2)), now=at("2026-12-26 08:00")
        )
    assert deliver(at("2026-12-27 08:00")) == [("closing", "stale")]
    with dbapi(team) as sql:
        again = reminders.large_deals(sql, options(now=at("2026-12-27 08:00"), delivered_too=True))
        assert [r.id for r in again] == [1]


def test_last_activity_follows_logs_moves_and_deletes(team: Database) -> None:
    with session_scope(team, write=True) as s:
        for title in ("One", "Two"):
            deals.create_deal(s, data=DealCreate(title=title), currency="EUR", actor=None, now=NOW)
        first = activities.log_activity(
            s,
            data=ActivityCreate(kind=ActivityKind.call, subject="a", deal=1),
            actor=None,
            now=NOW - timedelta(days=3),
        )
        later = activities.log_activity(
            s,
            data=ActivityCreate(kind=ActivityKind.call, subject="b", deal=1),
            actor=None,
            now=NOW - timedelta(days=1),
        )
        planned = schedule(s, due_at=NOW + timedelta(days=1), deal=1)

        def last(deal_id: int) -> datetime | None:
            found = s.get(Deal, deal_id)
            assert found is not None
            s.refresh(found)
            return found.last_activity_at

        assert last(1) == NOW - timedelta(days=1)  # a planned task is not activity yet
        activities.update_activity(s, ref=later.id, data=ActivityUpdate(deal=2))
        assert (last(1), last(2)) == (NOW - timedelta(days=3), NOW - timedelta(days=1))
        activities.complete_activity(s, ref=planned.id, now=NOW)
        assert last(1) == NOW
        activities.delete_activity(s, ref=planned.id)
        activities.delete_activity(s, ref=first.id)
        assert last(1) is None


def test_care_dates_in_the_coming_days(team: Database) -> None:
    with session_scope(team, write=True) as s:
        contacts.create_contact(s, data=ContactCreate(name="Leap Year"), region="US")
        contacts.create_contact(s, data=ContactCreate(name="Next Year"), region="US")
        for contact_id, kind, month, day, year in (
            (1, "birthday", 11, 25, 1980),
            (1, "anniversary", 11, 23, None),
            (2, "birthday", 2, 29, 1992),
            (3, "birthday", 11, 22, None),
        ):
            s.add(ContactDate(contact_id=contact_id, kind=kind, month=month, day=day, year=year))
    with dbapi(team) as sql:
        found = reminders.care_dates(sql, options())
        assert [(r.title, r.day, r.key) for r in found] == [
            ("Carla Diaz: anniversary", date(2026, 11, 23), "care:1:anniversary:2026-11-23"),
            ("Carla Diaz: birthday (46)", date(2026, 11, 25), "care:1:birthday:2026-11-25"),
        ]
        feb = reminders.care_dates(sql, options(now=at("2027-02-27 08:00"), care_within_days=1))
        assert [(r.title, r.day) for r in feb] == [("Leap Year: birthday (35)", date(2027, 2, 28))]
        new_year = reminders.care_dates(sql, options(now=at("2026-12-30 08:00")))
        assert new_year == []


# --- agenda and calendar -----------------------------------------------------------------


def test_the_overdue_total_is_of_now_whatever_span_is_shown(team: Database) -> None:
    """A span in the past, today or later: the same overdue count and list (the calendar's
    month used to change it: a past day missed what fell due after it)."""
    with session_scope(team, write=True) as s:
        schedule(s, subject="Old", due_at=NOW - timedelta(days=20))
        schedule(s, subject="Last week", due_at=NOW - timedelta(days=6))
        schedule(s, subject="Earlier today", due_at=NOW - timedelta(hours=1))
        schedule(s, subject="Later", due_at=NOW + timedelta(days=3))
    seen = set()
    with dbapi(team) as sql:
        for days in (-60, -10, 0, 30):
            start = at("2026-11-23 00:00") + timedelta(days=days)
            found = agenda.agenda(sql, start=start, end=start + timedelta(days=1), now=NOW, tz=UTC)
            seen.add((found.overdue_total, tuple(i.subject for i in found.overdue)))
    assert seen == {(3, ("Old", "Last week", "Earlier today"))}


def test_agenda_lists_overdue_and_the_window_with_repeats(team: Database) -> None:
    with session_scope(team, write=True) as s:
        schedule(s, subject="Old", due_at=NOW - timedelta(days=20))
        schedule(s, subject="Earlier today", due_at=NOW - timedelta(hours=1))
        schedule(s, subject="Daily stand-up", due_at=NOW + timedelta(hours=1), rrule="FREQ=DAILY")
        schedule(s, owner="Bob Stone", subject="Bob's", due_at=NOW + timedelta(days=2))
        schedule(s, subject="Next month", due_at=NOW + timedelta(days=40))
    start = at("2026-11-23 00:00")
    with dbapi(team) as sql:
        week = agenda.agenda(sql, start=start, end=start + timedelta(days=7), now=NOW, tz=UTC)
        assert [i.subject for i in week.overdue] == ["Old", "Earlier today"]
        assert week.overdue_total == 2
        assert [(i.subject, i.due_at.day, i.occurrence) for i in week.items] == [
            ("Earlier today", 23, False),
            ("Daily stand-up", 23, False),
            ("Daily stand-up", 24, True),
            ("Bob's", 25, False),
            ("Daily stand-up", 25, True),
            ("Daily stand-up", 26, True),
            ("Daily stand-up", 27, True),
            ("Daily stand-up", 28, True),
            ("Daily stand-up", 29, True),
        ]
        ann = find_owner(sql, "Ann")[0]
        mine = agenda.agenda(
            sql, start=start, end=start + timedelta(days=3), now=NOW, tz=UTC, owner_id=ann
        )
        assert "Bob's" not in {i.subject for i in mine.items}
        short = agenda.agenda(
            sql, start=start, end=start + timedelta(days=1), now=NOW, tz=UTC, overdue_limit=1
        )
        assert ([i.subject for i in short.overdue], short.overdue_total) == (["Old"], 2)
        counts = agenda.day_counts(sql, first=date(2026, 11, 1), last=date(2026, 11, 30), tz=UTC)
        assert counts == {
            date(2026, 11, 3): 1,
            date(2026, 11, 23): 2,
            date(2026, 11, 24): 1,
            date(2026, 11, 25): 2,
            date(2026, 11, 26): 1,
            date(2026, 11, 27): 1,
            date(2026, 11, 28): 1,
            date(2026, 11, 29): 1,
            date(2026, 11, 30): 1,
        }


def test_calendar_days_are_local_days(team: Database) -> None:
    with session_scope(team, write=True) as s:
        schedule(s, subject="Late call", due_at=at("2026-11-24 23:30", BERLIN))
    with dbapi(team) as sql:
        counts = agenda.day_counts(sql, first=date(2026, 11, 1), last=date(2026, 11, 30), tz=BERLIN)
        assert counts == {date(2026, 11, 24): 1}  # 22:30 UTC, still the 24th in Berlin
        assert (
            agenda.day_counts(sql, first=date(2026, 11, 25), last=date(2026, 11, 30), tz=UTC) == {}
        )


def dates_of(s: Session) -> list[tuple[int, str, int, int, int | None]]:
    query = select(ContactDate).order_by(col(ContactDate.contact_id), col(ContactDate.kind))
    return [(d.contact_id, d.kind, d.month, d.day, d.year) for d in s.exec(query)]


def test_birthdays_in_custom_fields_are_remembered_days(team: Database) -> None:
    with session_scope(team, write=True) as s:
        made = contacts.create_contact(
            s,
            data=ContactCreate(name="Dora", custom={"birthday": "19800412", "size": "L"}),
            region="US",
        )
        assert made.custom == {"birthday": "1980-04-12", "size": "L"}
        contacts.update_contact(
            s,
            ref="Carla Diaz",
            data=ContactUpdate(custom={"anniversary": "--06-01"}),
            region="US",
        )
        assert dates_of(s) == [(1, "anniversary", 6, 1, None), (2, "birthday", 4, 12, 1980)]
        contacts.update_contact(
            s, ref="Dora", data=ContactUpdate(custom={"birthday": ""}), region="US"
        )
        assert dates_of(s) == [(1, "anniversary", 6, 1, None)]
        with pytest.raises(InvalidInput, match="birthday"):
            contacts.update_contact(
                s,
                ref="Dora",
                data=ContactUpdate(custom={"birthday": "31/02"}),
                region="US",
            )


def test_imported_birthdays_are_remembered_days(team: Database) -> None:
    from tinycrm.services.imports import ImportOptions, ImportRow, OnDuplicate
    from tinycrm.services.imports.people import import_contacts

    def rows(*values: tuple[str, str, str]) -> list[ImportRow]:
        return [
            ImportRow(line=n + 2, fields={"name": name, "email": email, "birthday": bday})
            for n, (name, email, bday) in enumerate(values)
        ]

    with session_scope(team, write=True) as s:
        import_contacts(
            s,
            rows=rows(("Eve", "eve@x.example", "1990-02-03"), ("Fay", "fay@x.example", "soon")),
            options=ImportOptions(now=NOW, currency="EUR", region="US"),
            source="people.csv",
        )
        assert dates_of(s) == [(2, "birthday", 2, 3, 1990)]  # Fay's is no day: kept as text
        import_contacts(
            s,
            rows=rows(("Eve", "eve@x.example", "--02-04")),
            options=ImportOptions(
                now=NOW, currency="EUR", region="US", on_duplicate=OnDuplicate.update
            ),
            source="again.csv",
        )
        assert dates_of(s) == [(2, "birthday", 2, 4, None)]


def test_imported_activities_remind_and_date_their_deal(team: Database) -> None:
    from tinycrm.services.imports import ImportOptions, ImportRow, undo_batch
    from tinycrm.services.imports.deals import import_activities

    with session_scope(team, write=True) as s:
        deals.create_deal(s, data=DealCreate(title="Anvils"), currency="EUR", actor=None, now=NOW)
        rows = [
            ImportRow(
                line=2,
                fields={
                    "kind": "call",
                    "subject": "Talked",
                    "deal": "Anvils",
                    "done_at": "2026-11-20 10:00",
                },
            ),
            ImportRow(
                line=3,
                fields={
                    "kind": "task",
                    "subject": "Send it",
                    "deal": "Anvils",
                    "due_at": "2026-11-22 10:00",
                },
            ),
        ]
        result, _ = import_activities(
            s,
            rows=rows,
            source="log.csv",
            options=ImportOptions(now=NOW, currency="EUR", region="US"),
        )
        deal = s.get(Deal, 1)
        assert deal is not None
        s.refresh(deal)
        assert deal.last_activity_at == at("2026-11-20 10:00")
    with dbapi(team) as sql:
        assert [(r.kind, r.title) for r in reminders.due_tasks(sql, options())] == [
            ("overdue", "Send it")
        ]
    with session_scope(team, write=True) as s:
        assert result.batch_id is not None
        undo_batch(s, batch_id=result.batch_id, now=NOW)
        deal = s.get(Deal, 1)
        assert deal is not None
        s.refresh(deal)
        assert deal.last_activity_at is None
