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
    Role,
    StageChange,
    Ticket,
    User,
    UserCreate,
)
from tinycrm.money import check_currency, decimals
from tinycrm.services.activities import log_activity, schedule_activity
from tinycrm.services.companies import create_company
from tinycrm.services.contacts import create_contact
from tinycrm.services.deals import DealRow, create_deal, lose_deal, move_deal, win_deal
from tinycrm.services.demo_trade import add_campaigns, add_orders, add_service_desk
from tinycrm.services.users import create_user

REFUSAL = "database already has data; demo data goes into a new database (use --db PATH)"
_REGION = "US"  # every demo phone number has its country code, so this is never used
_DOMAIN = ".example"  # a reserved top-level domain: no demo email can reach a real inbox
_MANAGER = "maria"  # owns people on their own, triages the lead pool, and may move deals back
_HISTORY = timedelta(days=200)
"""How long before `now` the team, its companies and its contacts were entered: before the
oldest deal, so the records are as old as their history (and a lead can go stale)."""

# key, name, email, role, quarterly quota in major units of the currency
_USERS = (
    ("maria", "Maria Lopez", "maria.lopez@brightdesk.example", Role.manager, 60_000),
    ("daniel", "Daniel Okafor", "daniel.okafor@brightdesk.example", Role.rep, 90_000),
    ("fang", "王芳", "wang.fang@brightdesk.example", Role.rep, 80_000),
    ("priya", "Priya Raman", "priya.raman@brightdesk.example", Role.rep, 75_000),
)

# name, domain (without _DOMAIN; also the key contacts use), industry, city, country, owner
_COMPANIES = (
    ("Harbourline Logistics", "harbourline", "Logistics", "Rotterdam", "Netherlands", "daniel"),
    ("Nordlicht Möbel GmbH", "nordlicht-moebel", "Furniture", "Hamburg", "Germany", "daniel"),
    ("Pampas Coffee Roasters", "pampascoffee", "Coffee", "Buenos Aires", "Argentina", "priya"),
    ("云帆科技 Yunfan Technology", "yunfan-tech", "Software", "Hangzhou", "China", "fang"),
    ("Kestrel Dental Group", "kestreldental", "Healthcare", "Manchester", "UK", "priya"),
    ("Lumière Events", "lumiere-events", "Events", "Lyon", "France", "daniel"),
    ("Blue Mesa Solar", "bluemesasolar", "Energy", "Albuquerque", "United States", "priya"),
    ("Tamarind Hotels", "tamarindhotels", "Hospitality", "Bengaluru", "India", "fang"),
    ("Fjord Analytics AB", "fjordanalytics", "Software", "Gothenburg", "Sweden", "daniel"),
    ("Sakura Print Works", "sakuraprint", "Printing", "Osaka", "Japan", "fang"),
    ("Eko Agritech", "ekoagritech", "Agriculture", "Lagos", "Nigeria", "priya"),
    ("Southern Cross Builders", "southerncross", "Construction", "Brisbane", "Australia", "fang"),
)  # fmt: skip

# name, title, company (or None), email (the part before @ at a company), phone, status,
# tags, source; a contact belongs to their company's owner
_CONTACTS = (
    ("Pieter de Vries", "Operations Director", "harbourline", "pieter.devries",
     "+31 10 234 5678", "customer", "vip", "referral"),
    ("Sanne Bakker", "Fleet Manager", "harbourline", "sanne.bakker", "+31 6 1234 5678",
     "customer", "newsletter", "referral"),
    ("Ruben Smit", "Warehouse Manager", "harbourline", "ruben.smit", "+31 6 4821 7730",
     "customer", "", "referral"),
    ("Jonas Becker", "Head of Production", "nordlicht-moebel", "jonas.becker",
     "+49 40 1234 5678", "prospect", "", "trade fair"),
    ("Lena Schulz", "Procurement Lead", "nordlicht-moebel", "lena.schulz", "+49 151 2345 6789",
     "prospect", "newsletter", "trade fair"),
    ("Valentina Gómez", "Founder", "pampascoffee", "valentina", "+54 9 11 2345 6789",
     "customer", "vip", "website"),
    ("Mateo Fernández", "Store Manager", "pampascoffee", "mateo", "+54 11 4321 5678",
     "customer", "", "website"),
    ("李伟", "CTO", "yunfan-tech", "li.wei", "+86 138 0013 8000", "prospect", "vip",
     "partner referral"),
    ("陈静", "Product Manager", "yunfan-tech", "chen.jing", "+86 571 8765 4321", "prospect", "",
     "partner referral"),
    ("Zhang Min", "Operations Manager", "yunfan-tech", "zhang.min", "+86 139 5712 3456", "lead",
     "newsletter", "webinar"),
    ("Oliver Hughes", "Practice Manager", "kestreldental", "oliver.hughes", "+44 161 496 0123",
     "customer", "", "referral"),
    ("Amelia Clarke", "Clinical Director", "kestreldental", "amelia.clarke",
     "+44 161 496 0456", "customer", "vip", "referral"),
    ("Camille Laurent", "Event Director", "lumiere-events", "camille.laurent",
     "+33 4 72 12 34 56", "prospect", "newsletter", "LinkedIn"),
    ("Hugo Moreau", "CFO", "lumiere-events", "hugo.moreau", "+33 6 12 34 56 78", "prospect", "",
     "LinkedIn"),
    ("Jake Morales", "VP Operations", "bluemesasolar", "jake.morales", "+1 505 555 0142",
     "prospect", "", "cold call"),
    ("Emily Tsosie", "Project Manager", "bluemesasolar", "emily.tsosie", "+1 505 555 0187",
     "prospect", "newsletter", "cold call"),
    ("Ryan Carter", "Procurement Officer", "bluemesasolar", "ryan.carter", "+1 505 555 0163",
     "inactive", "", "cold call"),
    ("Ananya Iyer", "General Manager", "tamarindhotels", "ananya.iyer", "+91 98450 12345",
     "customer", "vip", "trade fair"),
    ("Rohan Mehta", "Revenue Manager", "tamarindhotels", "rohan.mehta", "+91 80 4123 4567",
     "customer", "", "trade fair"),
    ("Kavya Nair", "Front Office Manager", "tamarindhotels", "kavya.nair", "+91 98861 54321",
     "lead", "newsletter", "website"),
    ("Erik Johansson", "CEO", "fjordanalytics", "erik.johansson", "+46 70 123 45 67",
     "prospect", "partner", "partner referral"),
    ("Linnea Berg", "Head of Data", "fjordanalytics", "linnea.berg", "+46 31 123 45 67",
     "prospect", "", "partner referral"),
    ("Kenji Sato", "President", "sakuraprint", "kenji.sato", "+81 6 6123 4567", "lead", "",
     "trade fair"),
    ("Yuki Tanaka", "Office Manager", "sakuraprint", "yuki.tanaka", "+81 90 1234 5678", "lead",
     "newsletter", "trade fair"),
    ("Chinedu Eze", "COO", "ekoagritech", "chinedu.eze", "+234 803 123 4567", "prospect", "vip",
     "webinar"),
    ("Funmi Adeyemi", "Finance Manager", "ekoagritech", "funmi.adeyemi", "+234 809 876 5432",
     "prospect", "newsletter", "webinar"),
    ("Liam O'Brien", "Site Operations Manager", "southerncross", "liam.obrien",
     "+61 7 3123 4567", "lead", "", "website"),
    ("Chloe Nguyen", "Estimator", "southerncross", "chloe.nguyen", "+61 491 570 156",
     "inactive", "", "website"),
    ("Sofia Rossi", "Independent consultant", None, "sofia@rossi-consulting.example",
     "+39 347 123 4567", "customer", "partner vip", "referral"),
    ("Aisha Bello", "Freelance designer", None, "aisha.bello@mailbox.example", "+61 491 570 157",
     "lead", "newsletter", "website"),
)  # fmt: skip

_OPEN = ("lead", "contacted", "qualified", "negotiation")
_WON = (*_OPEN, "won")

# title, contact (owner: theirs), amount in major units, stage path, expected close (days from
# today; None: around the day it closed), lost reason
_DEALS = (
    ("Fleet tracking for 60 trucks", "Pieter de Vries", 48_000, _WON, None, None),
    ("POS system for three cafés", "Valentina Gómez", 12_500, _WON, None, None),
    ("Online booking rollout", "Amelia Clarke", 27_800, _WON[1:], None, None),
    ("Guest Wi-Fi upgrade", "Ananya Iyer", 36_400, _WON, None, None),
    ("Support renewal 2027", "Sanne Bakker", 9_600, _WON[2:], None, None),
    ("Analytics consulting retainer", "Sofia Rossi", 4_750, _WON, None, None),
    ("Shop-floor tablets", "Lena Schulz", 22_000, (*_OPEN, "lost"), None, "price"),
    ("Field service app", "Ryan Carter", 18_900, (*_OPEN[:3], "lost"), None, "competitor"),
    ("Site camera network", "Chloe Nguyen", 15_300, (*_OPEN[:2], "lost"), None, "timing"),
    ("Ticketing integration", "Hugo Moreau", 7_200, (*_OPEN, "lost"), None, "price"),
    ("Cloud migration", "李伟", 64_000, _OPEN, 6, None),
    ("Data platform licences", "Erik Johansson", 31_500, _OPEN, -4, None),
    ("Farm sensor pilot", "Chinedu Eze", 19_750, _OPEN, 9, None),
    ("Solar monitoring dashboards", "Jake Morales", 42_000, (*_OPEN, "qualified"), 30, None),
    ("Revenue management module", "Rohan Mehta", 23_400, _OPEN[:3], 25, None),
    ("Event staff scheduling", "Camille Laurent", 14_800, _OPEN[:3], -10, None),
    ("Second clinic setup", "Oliver Hughes", 11_200, _OPEN[:3], 35, None),
    ("ERP connector", "Jonas Becker", 8_900, _OPEN[:3], 40, None),
    ("Support desk seats", "陈静", 6_300, _OPEN[:2], 45, None),
    ("Payroll setup", "Funmi Adeyemi", 5_400, _OPEN[:2], -2, None),
    ("Online shop", "Mateo Fernández", 9_800, _OPEN[:2], 28, None),
    ("Data team training workshop", "Linnea Berg", 3_200, _OPEN[:2], 5, None),
    ("Order tracking portal", "Kenji Sato", 16_000, _OPEN[:1], 60, None),
    ("Tablet rollout for site crews", "Liam O'Brien", 21_000, _OPEN[:1], 50, None),
    ("Warehouse scanners", "Ruben Smit", 13_750, _OPEN[:1], 55, None),
)  # fmt: skip

# A deal's age in working days (least, most) by how many stages it entered: up to ~6 months.
_AGE = {1: (2, 15), 2: (7, 32), 3: (14, 64), 4: (25, 93), 5: (43, 130)}

# What the owner did just before moving a deal into each stage.
_STEP_NOTES = {
    "contacted": (("call", "Intro call with {contact}"), ("email", "First email to {contact}")),
    "qualified": (("meeting", "Discovery meeting with {contact}"),
                  ("call", "Budget and timeline call with {contact}")),
    "negotiation": (("email", "Sent proposal for {title}"),
                    ("meeting", "Proposal walkthrough with {contact}")),
    "won": (("email", "Signed order received from {contact}"),
            ("call", "{contact} confirmed the order")),
}  # fmt: skip
_LOST_WHY = {
    "price": "Went with a cheaper offer; our quote was about 20% higher.",
    "competitor": "Chose a competitor that already serves their parent company.",
    "timing": "Project postponed to next year after a budget freeze.",
}
_BACK_NOTE = ("Back to qualified: scope under review",
              "New finance lead wants to revisit scope and phasing before signing.")  # fmt: skip

# More activities about a deal (by title) or a contact (by name): kind, subject, working days
# from today, and for a scheduled one the time it is due (UTC); None means logged that day.
_ACTIVITIES = (
    ("Sofia Rossi", "call", "Quarterly check-in", -15, None),
    ("Valentina Gómez", "meeting", "Tasting visit, feedback on the POS", -30, None),
    ("Ananya Iyer", "call", "Check-in after the Wi-Fi go-live", -6, None),
    ("Aisha Bello", "note", "Downloaded the pricing guide", -4, None),
    ("Emily Tsosie", "email", "Sent the monitoring case study", -14, None),
    ("Yuki Tanaka", "note", "Met at the Osaka print expo", -22, None),
    ("Chloe Nguyen", "note", "Left the estimating team", -18, None),
    ("Zhang Min", "email", "Intro email after the webinar", -8, None),
    ("Pieter de Vries", "meeting", "Quarterly business review", -2, None),
    ("Data platform licences", "task", "Chase the signed order form", -3, "10:00"),
    ("Event staff scheduling", "call", "Call Camille about the revised scope", -1, "15:00"),
    ("Aisha Bello", "task", "Qualify the website lead", -5, "11:30"),
    ("Cloud migration", "task", "Send the final quote to 李伟", 0, "11:00"),
    ("Farm sensor pilot", "task", "Prepare the pilot contract", 0, "15:30"),
    ("Solar monitoring dashboards", "meeting", "Revised proposal meeting", 1, "10:00"),
    ("Data team training workshop", "task", "Confirm the workshop dates", 2, "14:00"),
    ("Revenue management module", "meeting", "Demo the revenue module", 3, "09:30"),
    ("Sofia Rossi", "call", "Talk about the renewal", 5, "11:00"),
    ("Order tracking portal", "call", "First call with Kenji Sato", 6, "10:00"),
    ("Second clinic setup", "meeting", "Site visit at the second clinic", 8, "13:00"),
    ("Online shop", "task", "Follow up on the shop scope", 9, "16:00"),
)


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
        raise Conflict(REFUSAL)
    if now.tzinfo is None:
        raise InvalidInput("now", now, "must be timezone-aware")
    now = now.astimezone(UTC)
    currency = check_currency(currency)
    demo = _Demo(session, now, now.date(), currency, 10 ** decimals(currency), random.Random(seed))
    steps = (_add_users, _add_campaigns, _add_companies, _add_contacts, _add_deals,
             _add_activities, _add_aftersale)  # fmt: skip
    for step in steps:
        step(demo)
    tables = (User, Company, Contact, Deal, StageChange, Activity, Order, Payment, Ticket,
              KbArticle)  # fmt: skip
    return DemoSummary(*(_count(session, model) for model in tables))


def _count(session: Session, model: type[SQLModel]) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def _add_users(demo: _Demo) -> None:
    for key, name, email, role, quota in _USERS:
        data = UserCreate(name=name, email=email, role=role, quota_minor=quota * demo.unit,
                          quota_period=QuotaPeriod.quarter)  # fmt: skip
        row = create_user(demo.session, data=data, currency=demo.currency, now=demo.now - _HISTORY)
        demo.users[key] = demo.session.get_one(User, row.id)


def _add_campaigns(demo: _Demo) -> None:
    demo.campaigns = add_campaigns(
        demo.session, today=demo.today, now=demo.now, currency=demo.currency, unit=demo.unit
    )


def _add_companies(demo: _Demo) -> None:
    for name, key, industry, city, country, owner in _COMPANIES:
        domain = key + _DOMAIN
        data = CompanyCreate(name=name, domain=domain, industry=industry, city=city,
                             country=country, website=f"https://www.{domain}",
                             owner=str(demo.users[owner].id))  # fmt: skip
        company = create_company(demo.session, data=data, now=demo.now - _HISTORY).row
        demo.companies[key] = (str(company.id), demo.users[owner])


_BIRTHDAYS = {0: (2, 1984), 5: (9, None), 11: (0, 1979)}
"""Contacts (by position) whose birthday falls this many days after the demo's today."""


def _add_contacts(demo: _Demo) -> None:
    for n, (name, title, key, email, phone, status, tags, source) in enumerate(_CONTACTS):
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
    for title, contact, amount, path, close_in, reason in _DEALS:
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
    age = demo.rng.randint(*_AGE[stages])
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
    backwards = stage in _OPEN and _OPEN.index(stage) < _OPEN.index(before)
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
        return "note", *_BACK_NOTE
    if stage == "lost":
        return "note", f"Lost: {reason}", _LOST_WHY.get(reason or "")
    kind, subject = demo.rng.choice(_STEP_NOTES[stage])
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
    for ref, kind, subject, days, due in _ACTIVITIES:
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
