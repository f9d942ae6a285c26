"""Demo data for `crm demo`: a small team's last six months, built only through the services
(so it obeys every rule the app enforces). The same `now` and seed give the same data."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise

from sqlalchemy import func
from sqlmodel import Session, SQLModel, select

from tinycrm.dates import format_day_of_year
from tinycrm.errors import Conflict, InvalidInput
from tinycrm.models import (
    Activity,
    ActivityCreate,
    ActivityKind,
    Company,
    CompanyCreate,
    Contact,
    ContactCreate,
    ContactStatus,
    Deal,
    DealCreate,
    KbArticle,
    Order,
    Payment,
    QuotaPeriod,
    StageChange,
    Ticket,
    User,
    UserCreate,
)
from tinycrm.money import check_currency, decimals
from tinycrm.services.activities import log_activity, schedule_activity
from tinycrm.services.companies import create_company
from tinycrm.services.contacts import create_contact
from tinycrm.services.deal_rows import DealRow
from tinycrm.services.deals import create_deal, lose_deal, move_deal, win_deal
from tinycrm.services.demo import team
from tinycrm.services.demo.trade import add_campaigns, add_orders, add_service_desk
from tinycrm.services.teams import create_team
from tinycrm.services.users import Placement, create_user

REFUSAL = "database already has data; demo data goes into a new database"
_REGION = "US"  # every demo phone number has its country code, so this is never used
_DOMAIN = ".example"  # a reserved top-level domain: no demo email can reach a real inbox
_MANAGER = "maria"  # owns people on their own, triages the lead pool, and may move deals back
_HISTORY = timedelta(days=200)
"""How long before `now` the team, its companies and its contacts were entered: before the
oldest deal, so the records are as old as their history (and a lead can go stale)."""


@dataclass(frozen=True)
class DemoSummary:
    """How many records `load_demo` made."""

    users: int
    companies: int
    contacts: int
    deals: int
    stage_changes: int
    activities: int
    orders: int
    payments: int
    tickets: int
    articles: int


@dataclass
class _Demo:
    """What the steps share: the session, the clock, and the records made so far."""

    session: Session
    now: datetime
    today: date
    currency: str
    unit: int  # minor units in one major unit of the currency
    rng: random.Random
    users: dict[str, User] = field(default_factory=dict)
    companies: dict[str, tuple[str, User]] = field(default_factory=dict)
    contacts: dict[str, tuple[int, User | None]] = field(default_factory=dict)
    deals: dict[str, tuple[int, User]] = field(default_factory=dict)
    campaigns: dict[str, str] = field(default_factory=dict)
    """The campaign that brought in the contacts of a source."""


def load_demo(session: Session, *, now: datetime, currency: str, seed: int = 7) -> DemoSummary:
    """Fill an empty database with a small team's last six months; refuse if it has data."""
    if any(_count(session, model) for model in (User, Company, Contact, Deal)):
        raise Conflict(REFUSAL, use="database")
    if now.tzinfo is None:
        raise InvalidInput("now", now, "must be timezone-aware")
    now = now.astimezone(UTC)
    currency = check_currency(currency)
    demo = _Demo(session, now, now.date(), currency, 10 ** decimals(currency), random.Random(seed))
    steps = (_add_users, _add_campaigns, _add_companies, _add_contacts, _add_deals,
             _add_activities, _add_aftersale)  # fmt: skip
    clock = session.info.get("clock")
    session.info["clock"] = lambda: now  # the audit log too: the same now, the same database
    try:
        for step in steps:
            step(demo)
        session.flush()
    finally:
        session.info["clock"] = clock
    tables = (User, Company, Contact, Deal, StageChange, Activity, Order, Payment, Ticket,
              KbArticle)  # fmt: skip
    return DemoSummary(*(_count(session, model) for model in tables))


def _count(session: Session, model: type[SQLModel]) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def _add_users(demo: _Demo) -> None:
    """The team's people, all in one team: Sales."""
    sales = create_team(demo.session, name=team.TEAM, now=demo.now - _HISTORY)
    for key, name, email, role, quota in team.USERS:
        data = UserCreate(name=name, email=email, role=role, quota_minor=quota * demo.unit,
                          quota_period=QuotaPeriod.quarter)  # fmt: skip
        row = create_user(demo.session, data=data, currency=demo.currency, now=demo.now - _HISTORY,
                          placement=Placement(team=str(sales.id)))  # fmt: skip
        demo.users[key] = demo.session.get_one(User, row.id)


def _add_campaigns(demo: _Demo) -> None:
    demo.campaigns = add_campaigns(
        demo.session, today=demo.today, now=demo.now, currency=demo.currency, unit=demo.unit
    )


def _add_companies(demo: _Demo) -> None:
    for name, key, industry, city, country, owner in team.COMPANIES:
        domain = key + _DOMAIN
        data = CompanyCreate(name=name, domain=domain, industry=industry, city=city,
                             country=country, website=f"https://www.{domain}",
                             owner=str(demo.users[owner].id))  # fmt: skip
        company = create_company(demo.session, data=data, now=demo.now - _HISTORY).row
        demo.companies[key] = (str(company.id), demo.users[owner])


_BIRTHDAYS = {0: (2, 1984), 5: (9, None), 11: (0, 1979)}
"""Contacts (by position) whose birthday falls this many days after the demo's today."""


def _add_contacts(demo: _Demo) -> None:
    for n, (name, title, key, email, phone, status, tags, source) in enumerate(team.CONTACTS):
        company, owner = demo.companies[key] if key else (None, _loner_owner(demo, status))
        data = ContactCreate(name=name, title=title, phone=phone, status=ContactStatus(status),
                             email=email if "@" in email else f"{email}@{key}{_DOMAIN}",
                             tags=tags.split(), source=source,
                             campaign=demo.campaigns.get(source),
                             company=company,
                             owner=str(owner.id) if owner else None)  # fmt: skip
        if n in _BIRTHDAYS:
            days, year = _BIRTHDAYS[n]
            day = demo.today + timedelta(days=days)
            data.custom = {"birthday": format_day_of_year(year, day.month, day.day)}
        contact = create_contact(demo.session, data=data, region=_REGION, now=demo.now - _HISTORY)
        demo.contacts[name] = (contact.row.id, owner)


def _loner_owner(demo: _Demo, status: str) -> User | None:
    """A person on their own is the manager's, or waits in the lead pool as a lead."""
    return None if status == "lead" else demo.users[_MANAGER]


def _add_deals(demo: _Demo) -> None:
    for title, contact, amount, path, close_in, reason in team.DEALS:
        times = _timeline(demo, len(path))
        contact_id, owner = demo.contacts[contact]
        assert owner is not None, f"the demo deal {title!r} needs an owner"
        campaign = demo.session.get_one(Contact, contact_id).campaign_id
        data = DealCreate(title=title, amount_minor=amount * demo.unit, stage=path[0],
                          contact=str(contact_id), owner=str(owner.id),
                          campaign=str(campaign) if campaign else None,
                          expected_close=_expected_close(demo, close_in, times))  # fmt: skip
        deal = create_deal(demo.session, data=data, currency=demo.currency, actor=owner,
                           now=times[0])  # fmt: skip
        demo.deals[title] = (deal.id, owner)
        for move, at in zip(pairwise(path), times[1:], strict=True):
            _step(demo, deal, owner, move, at, reason)


def _timeline(demo: _Demo, stages: int) -> list[datetime]:
    """When a deal entered each of its stages: distinct working days, all before today."""
    age = demo.rng.randint(*team.AGE[stages])
    later = sorted(demo.rng.sample(range(1, age), stages - 1))
    days = (_add_workdays(demo.today, step - age) for step in (0, *later))
    return [_office_time(demo.rng, day) for day in days]


def _office_time(rng: random.Random, day: date) -> datetime:
    return datetime.combine(day, time(rng.randint(10, 16), rng.choice((0, 15, 30, 45))), UTC)


def _expected_close(demo: _Demo, close_in: int | None, times: list[datetime]) -> date:
    """Days from today for an open deal; for a closed one, near when it closed (after it began)."""
    if close_in is not None:
        return demo.today + timedelta(close_in)
    guess = times[-1].date() + timedelta(demo.rng.randint(-10, 14))
    return max(guess, times[0].date() + timedelta(14))


def _step(demo: _Demo, deal: DealRow, owner: User, move: tuple[str, str], at: datetime,
          reason: str | None) -> None:  # fmt: skip
    """Log what led to the move, then make it; a step backwards is the manager's call."""
    before, stage = move
    backwards = stage in team.OPEN and team.OPEN.index(stage) < team.OPEN.index(before)
    actor = demo.users[_MANAGER] if backwards else owner
    kind, subject, body = _step_note(demo, deal, stage, reason=reason, backwards=backwards)
    done = at - timedelta(minutes=demo.rng.choice((20, 45, 60, 90, 120)))
    data = ActivityCreate(kind=ActivityKind(kind), subject=subject, body=body, deal=deal.id,
                          done_at=done)  # fmt: skip
    log_activity(demo.session, data=data, actor=actor, now=demo.now)
    if stage == "won":
        win_deal(demo.session, ref=deal.id, actor=actor, now=at)
    elif stage == "lost":
        lose_deal(demo.session, ref=deal.id, reason=reason, actor=actor, now=at)
    else:
        move_deal(demo.session, ref=deal.id, stage=stage, actor=actor, now=at)


def _step_note(demo: _Demo, deal: DealRow, stage: str, *, reason: str | None,
               backwards: bool) -> tuple[str, str, str | None]:  # fmt: skip
    """Kind, subject and body of the activity that led to entering `stage`."""
    if backwards:
        return "note", *team.BACK_NOTE
    if stage == "lost":
        return "note", f"Lost: {reason}", team.LOST_WHY.get(reason or "")
    kind, subject = demo.rng.choice(team.STEP_NOTES[stage])
    return kind, subject.format(contact=deal.contact, title=deal.title), None


def _add_workdays(day: date, count: int) -> date:
    """`count` working days after `day` (before it when negative); 0 is `day` itself."""
    step = timedelta(1 if count > 0 else -1)
    for _ in range(abs(count)):
        day += step
        while day.weekday() >= 5:
            day += step
    return day


def _add_activities(demo: _Demo) -> None:
    for ref, kind, subject, days, due in team.ACTIVITIES:
        deal, contact, owner = _link(demo, ref)
        day = _add_workdays(demo.today, days)
        data = ActivityCreate(kind=ActivityKind(kind), subject=subject, deal=deal, contact=contact)
        if due is None:
            data.done_at = _office_time(demo.rng, day)
            log_activity(demo.session, data=data, actor=owner, now=demo.now)
        else:
            data.due_at = _due(demo, day, time.fromisoformat(due))
            schedule_activity(demo.session, data=data, actor=owner, now=demo.now)


def _link(demo: _Demo, ref: str) -> tuple[int | None, str | None, User]:
    """(deal, contact, owner) for a deal's title or a contact's name."""
    if ref in demo.deals:
        deal_id, owner = demo.deals[ref]
        return deal_id, None, owner
    contact_id, contact_owner = demo.contacts[ref]
    return None, str(contact_id), contact_owner or demo.users[_MANAGER]


def _due(demo: _Demo, day: date, at: time) -> datetime:
    """`at` on `day`; a task due today stays ahead of `now` (and on today) when it can."""
    due = datetime.combine(day, at, UTC)
    if day != demo.today or due > demo.now:
        return due
    return min(demo.now + timedelta(hours=1), datetime.combine(day, time(23, 45), UTC))


def _add_aftersale(demo: _Demo) -> None:
    deals = {title: deal_id for title, (deal_id, _) in demo.deals.items()}
    add_orders(demo.session, deals=deals, today=demo.today, now=demo.now)
    contacts = {name: contact_id for name, (contact_id, _) in demo.contacts.items()}
    add_service_desk(demo.session, contacts=contacts, users=demo.users, now=demo.now)
