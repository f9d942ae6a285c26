"""Reminders and deal close dates as an RFC 5545 calendar (`crm export ics`).

Written with the icalendar library. Every component's UID is derived from the record, and a
recurring activity keeps the UID of its first occurrence, so a calendar app that re-reads
the file updates its events instead of adding copies. Times carry the user's TZID (with its
VTIMEZONE), so a weekly 9:00 meeting stays at 9:00 across a daylight-saving change.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from icalendar import Alarm, Calendar, Event, Todo, vRecur
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from tinycrm import __version__
from tinycrm.models import (
    Activity,
    ActivityKind,
    Company,
    Contact,
    ContactDate,
    Deal,
    DealStatus,
    User,
)
from tinycrm.money import Money
from tinycrm.services import access

PRODID = f"-//tinycrm//tinycrm {__version__}//EN"
LENGTH = {ActivityKind.meeting: timedelta(hours=1)}
"""How long an event lasts on the calendar; anything else takes half an hour."""


@dataclass(frozen=True)
class IcsOptions:
    now: datetime
    tz: tzinfo
    owner_id: int | None = None
    deals: bool = True
    todos: bool = False
    """Tasks as VTODO (to-do apps) rather than VEVENT (every calendar shows those)."""
    care: bool = True
    """Contacts' birthdays and other remembered days, as yearly all-day events."""


@access.reads_for("activities", "export")
def build_calendar(session: Session, opts: IcsOptions) -> tuple[Calendar, int]:
    """The calendar and how many components it holds."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "tinycrm")
    count = 0
    for component in _activities(session, opts):
        cal.add_component(component)
        count += 1
    if opts.deals:
        for component in _deal_dates(session, opts):
            cal.add_component(component)
            count += 1
    if opts.care:
        for component in _care_dates(session, opts):
            cal.add_component(component)
            count += 1
    cal.add_missing_timezones()
    return cal, count


def _activities(session: Session, opts: IcsOptions) -> Iterator[Event | Todo]:
    owner = aliased(User)
    query = (
        select(Activity, Contact.full_name, Company.name, owner.name)
        .outerjoin(Contact, col(Contact.id) == col(Activity.contact_id))
        .outerjoin(Company, col(Company.id) == col(Activity.company_id))
        .outerjoin(owner, col(owner.id) == col(Activity.owner_id))
        .where(col(Activity.done_at).is_(None), col(Activity.due_at).is_not(None))
        .order_by(col(Activity.due_at), col(Activity.id))
    )
    if opts.owner_id is not None:
        query = query.where(Activity.owner_id == opts.owner_id)
    for activity, contact, company, owner_name in session.exec(query).yield_per(1000):
        assert activity.due_at is not None
        start = activity.due_at.astimezone(opts.tz)
        as_todo = opts.todos and activity.kind == ActivityKind.task
        item: Event | Todo = Todo() if as_todo else Event()
        item.add("uid", f"activity-{activity.series_id or activity.id}@tinycrm")
        item.add("dtstamp", opts.now)
        item.add("created", activity.created_at)
        item.add("summary", activity.subject)
        if as_todo:
            item.add("due", start)
            item.add("status", "NEEDS-ACTION")
        else:
            item.add("dtstart", start)
            item.add("dtend", start + LENGTH.get(activity.kind, timedelta(minutes=30)))
            item.add("transp", "OPAQUE" if activity.kind == ActivityKind.meeting else "TRANSPARENT")
        item.add("categories", [activity.kind.upper()])
        about = " · ".join(p for p in (contact, company) if p)
        lines = [
            p for p in (about, activity.body, f"owner: {owner_name}" if owner_name else "") if p
        ]
        if lines:
            item.add("description", "\n".join(lines))
        if activity.rrule:
            item.add("rrule", vRecur.from_ical(activity.rrule))
        item.add_component(_alarm(activity))
        yield item


def _alarm(activity: Activity) -> Alarm:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", activity.subject)
    alarm.add("trigger", -timedelta(minutes=activity.remind_minutes or 0))
    return alarm


def _deal_dates(session: Session, opts: IcsOptions) -> Iterator[Event]:
    """Each open deal's expected close date, as an all-day event that blocks no time."""
    query = (
        select(Deal, Company.name)
        .outerjoin(Company, col(Company.id) == col(Deal.company_id))
        .where(Deal.status == DealStatus.open, col(Deal.expected_close).is_not(None))
        .order_by(col(Deal.expected_close), col(Deal.id))
    )
    if opts.owner_id is not None:
        query = query.where(Deal.owner_id == opts.owner_id)
    for deal, company in session.exec(query).yield_per(1000):
        day = deal.expected_close
        assert day is not None
        event = Event()
        event.add("uid", f"deal-{deal.id}-close@tinycrm")
        event.add("dtstamp", opts.now)
        amount = Money(deal.amount_minor, deal.currency)
        event.add("summary", f"Close: {deal.title} ({amount})")
        event.add("dtstart", day)
        event.add("dtend", day + timedelta(days=1))
        event.add("transp", "TRANSPARENT")
        event.add("categories", ["DEAL"])
        if company:
            event.add("description", company)
        yield event


def _care_dates(session: Session, opts: IcsOptions) -> Iterator[Event]:
    """Each remembered day of a contact as a yearly all-day event (from its first known
    year, else from this year)."""
    query = (
        select(ContactDate, Contact.full_name)
        .join(Contact, col(Contact.id) == col(ContactDate.contact_id))
        .order_by(col(ContactDate.month), col(ContactDate.day), col(ContactDate.contact_id))
    )
    if opts.owner_id is not None:
        query = query.where(Contact.owner_id == opts.owner_id)
    this_year = opts.now.astimezone(opts.tz).year
    for remembered, name in session.exec(query):
        start = _first_day(remembered.year or this_year, remembered.month, remembered.day)
        event = Event()
        event.add("uid", f"contact-{remembered.contact_id}-{remembered.kind}@tinycrm")
        event.add("dtstamp", opts.now)
        event.add("summary", f"{name}: {remembered.kind}")
        event.add("dtstart", start)
        event.add("dtend", start + timedelta(days=1))
        event.add("rrule", {"FREQ": "YEARLY"})
        event.add("transp", "TRANSPARENT")
        event.add("categories", ["CARE"])
        yield event


def _first_day(year: int, month: int, day: int) -> date:
    """That day in that year; 29 February of a common year is the 28th."""
    try:
        return date(year, month, day)
    except ValueError:
        return date(year, month, 28)
