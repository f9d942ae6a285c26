"""Write a deterministic synthetic CRM straight into a database, for benchmarks.

    python bench/gen.py --db bench/out/big.db --contacts 1000000 --deals 1000000

Besides users, companies, contacts (with tags), deals (with their stage history) and
activities, it writes campaigns (30% of contacts, and their deals, come from one), orders
and payments for the won deals (1–3 orders each; most paid in full, some in part, some not
at all and overdue), service tickets (priorities, SLA due times, open or resolved, CSAT on
some) and solution articles. Each table draws from its own random stream, so adding these
left every value the earlier tables had unchanged.

The same arguments give the same database content. The schema comes from tinycrm itself
(`open_database` runs the migration and seeds the default stages); the rows are then
bulk-loaded: SQLite through the stdlib sqlite3 module in one transaction, with the secondary
indexes dropped for the load and rebuilt from the SQLAlchemy metadata after it; PostgreSQL
through COPY. Values are stored in the formats SQLAlchemy writes, so the app reads them back.
"""

from __future__ import annotations

import argparse
import math
import random
import sqlite3
import sys
import time
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

DAY = 86_400_000_000
"""One day in microseconds: every time below is an integer count of them since 1970 (UTC)."""
EPOCH = datetime(1970, 1, 1)
CHUNK = 50_000
"""Deals written per batch (with their stage changes), to keep memory flat."""
CACHE_KIB = 1024 * 1024
"""SQLite page cache during the load (1 GiB)."""
TABLES = ("users", "campaigns", "companies", "contacts", "contact_tags", "deals", "stage_changes",
          "activities", "orders", "payments", "kb_articles", "tickets")  # fmt: skip

FIRST_NAMES = (
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Nancy Matthew Lisa Anthony "
    "Betty Mark Sandra Paul Ashley Steven Emily Andrew Donna Joshua Michelle Kevin Carol Brian "
    "Amanda George Melissa Omar Sofia Luca Chloe Mateo Amara Kenji Priya Ivan Fatima Noah Ines"
).split()
LAST_NAMES = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris "
    "Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill "
    "Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Okafor Tanaka"
).split()
TITLES = ("CEO", "CTO", "CFO", "VP Sales", "Head of Operations", "Procurement Manager",
          "Engineer", "Office Manager", "Marketing Lead", "Founder")  # fmt: skip
SOURCES = ("web", "referral", "event", "outbound", "partner", None, None)
CONTACT_STATUS = ("lead",) * 25 + ("prospect",) * 40 + ("customer",) * 25 + ("inactive",) * 10
TAGS = ("vip", "newsletter", "partner", "decision-maker", "churn-risk", "event-2026")
INDUSTRIES = ("Software", "Manufacturing", "Retail", "Healthcare", "Finance", "Logistics",
              "Education", "Energy", "Media", "Construction")  # fmt: skip
PLACES = (("New York", "USA"), ("Chicago", "USA"), ("Austin", "USA"), ("Toronto", "Canada"),
          ("London", "UK"), ("Berlin", "Germany"), ("Paris", "France"), ("Madrid", "Spain"),
          ("Amsterdam", "Netherlands"), ("Sydney", "Australia"))  # fmt: skip
CO_WORDS = (
    "Blue North Bright Silver Red Green Iron Summit River Cedar Oak Pine Stone Golden Swift "
    "Prime Apex Lunar Solar Coastal".split(),
    "Harbor Peak Field Bridge Valley Ridge Forge Works Point Line Gate Wave Path Crest Stream "
    "Grove Haven Arc Core Signal".split(),
    "Labs Group Systems Logistics Foods Partners Industries Media Health Capital".split(),
)
PRODUCTS = ("Annual license", "Pilot", "Renewal", "Expansion", "Support plan", "Onboarding",
            "Consulting", "Hardware refresh", "Training", "Enterprise tier")  # fmt: skip
LOST_REASONS = ("price", "timing", "competitor", "no budget", "no decision", "went silent")
ACTIVITY_KINDS = (
    ("call",) * 30 + ("email",) * 30 + ("meeting",) * 15 + ("note",) * 15 + ("task",) * 10
)
SUBJECTS = {
    "call": ("Intro call", "Follow-up call", "Check-in call"),
    "email": ("Sent proposal", "Follow-up email", "Pricing details"),
    "meeting": ("Demo", "Kick-off meeting", "Quarterly review"),
    "note": ("Notes from call", "Budget confirmed", "Stakeholder map"),
    "task": ("Send contract", "Prepare quote", "Book demo"),
}
BODIES = ("Discussed pricing and next steps.", "Waiting on legal review.",
          "Asked for a revised quote.", "Champion is moving teams.")  # fmt: skip

Row = tuple[Any, ...]
Batch = tuple[str, tuple[str, ...], Iterable[Row]]


# --- the plan: sizes, "now", the stages and the formats of the target backend --------------


@dataclass(frozen=True)
class Stages:
    open: tuple[int, ...]
    """Ids of the open stages in pipeline order."""
    won: int
    lost: int
    weights: tuple[int, ...]
    """Open-stage indexes, repeated by how likely an open deal is to sit there now."""


@dataclass
class Plan:
    contacts: int
    deals: int
    activities: int
    users: int
    companies: int
    campaigns: int
    tickets: int
    articles: int
    seed: int
    now: int
    stages: Stages
    ts: Callable[[int], str]
    contact_company: array[int] = field(default_factory=lambda: array("l"))
    contact_owner: array[int] = field(default_factory=lambda: array("l"))
    deal_facts: array[int] = field(default_factory=lambda: array("q"))
    """Per deal: contact id (0 = none), company id, owner id, created_at; flat, 4 per deal."""
    contact_campaign: array[int] = field(default_factory=lambda: array("l"))
    """Per contact: the campaign that brought it in (0 = none)."""
    won: array[int] = field(default_factory=lambda: array("q"))
    """Per won deal: deal id, amount, closed_at; flat, 3 per deal."""


def rng(plan: Plan, stream: str) -> random.Random:
    """An independent, reproducible random stream per table."""
    return random.Random(f"tinycrm-bench:{plan.seed}:{stream}")


def ts_sqlite(us: int) -> str:
    """SQLAlchemy's SQLite DATETIME text: naive UTC, always six microsecond digits."""
    return (EPOCH + timedelta(microseconds=us)).isoformat(" ", "microseconds")


def ts_postgres(us: int) -> str:
    return ts_sqlite(us) + "+00"


def day(us: int) -> str:
    return (EPOCH + timedelta(microseconds=us)).date().isoformat()


def name_key(text: str) -> str:
    return " ".join(text.casefold().split())


# --- rows ----------------------------------------------------------------------------------


def user_rows(plan: Plan) -> Iterator[Row]:
    created = plan.ts(plan.now - 3 * 365 * DAY)
    for i in range(1, plan.users + 1):
        name = f"Rep {i:03d}"
        role = "manager" if i == 1 else "rep"
        quota = None if role == "manager" else (50_000 + 10_000 * (i % 6)) * 100
        period = None if quota is None else "quarter"
        yield (i, name, name_key(name), f"rep{i:03d}@bench.example", role, quota, period, created)


def company_name(i: int) -> str:
    """A unique name for company `i` (1-based): word combinations, numbered once they run out."""
    a, b, c = CO_WORDS
    n = i - 1
    n, x = divmod(n, len(a))
    n, y = divmod(n, len(b))
    cycle, z = divmod(n, len(c))
    kind = c[(z + x + y) % len(c)]  # a bijection on z for each (x, y): names stay unique
    return f"{a[x]} {b[y]} {kind}" + (f" {cycle + 1}" if cycle else "")


def company_domain(name: str) -> str:
    return name.lower().replace(" ", "-") + ".example"


def company_rows(plan: Plan) -> Iterator[Row]:
    r = rng(plan, "companies").random
    for i in range(1, plan.companies + 1):
        name = company_name(i)
        domain = company_domain(name)
        city, country = PLACES[int(r() * len(PLACES))]
        created = plan.ts(plan.now - int(r() * 3 * 365 * DAY))
        yield (i, name, name_key(name), domain, INDUSTRIES[int(r() * len(INDUSTRIES))], city,
               country, f"+1 555 {i % 10_000_000:07d}", f"https://{domain}", None,
               1 + int(r() * plan.users), "{}", created, created)  # fmt: skip


def assign_contacts(plan: Plan) -> None:
    """Pick every contact's company and owner up front: deals need them to stay consistent."""
    r = rng(plan, "contact-links").random
    plan.contact_company = array("l", (1 + int(r() * plan.companies) for _ in range(plan.contacts)))
    plan.contact_owner = array("l", (1 + int(r() * plan.users) for _ in range(plan.contacts)))
    c = rng(plan, "contact-campaigns").random  # a stream of its own: the links above stay put
    plan.contact_campaign = array(
        "l", (1 + int(c() * plan.campaigns) if c() < 0.3 else 0 for _ in range(plan.contacts))
    )


def contact_rows(plan: Plan) -> Iterator[Row]:
    r = rng(plan, "contacts").random
    domains: dict[int, str] = {}
    for i in range(1, plan.contacts + 1):
        first = FIRST_NAMES[int(r() * len(FIRST_NAMES))]
        last = LAST_NAMES[int(r() * len(LAST_NAMES))]
        company = plan.contact_company[i - 1]
        domain = domains.get(company) or domains.setdefault(
            company, company_domain(company_name(company))
        )
        phone, phone_norm = _phone(r)
        created = plan.now - int(r() * 3 * 365 * DAY)
        updated = created + int(r() * (plan.now - created))
        yield (i, first, last, f"{first} {last}", name_key(f"{first} {last}"),
               f"{first}.{last}.{i}@{domain}".lower(), phone, phone_norm,
               TITLES[int(r() * len(TITLES))], CONTACT_STATUS[int(r() * 100)],
               SOURCES[int(r() * len(SOURCES))], None, company, plan.contact_owner[i - 1], "{}",
               plan.ts(created), plan.ts(updated),
               plan.contact_campaign[i - 1] or None)  # fmt: skip


def _phone(r: Callable[[], float]) -> tuple[str | None, str | None]:
    """A US number as typed and in E.164 (what `normalize_phone` makes of it); 15% have none."""
    if r() < 0.15:
        return None, None
    area, exchange, line = 201 + int(r() * 788), 200 + int(r() * 800), int(r() * 10_000)
    return f"({area}) {exchange}-{line:04d}", f"+1{area}{exchange}{line:04d}"


def tag_rows(plan: Plan) -> Iterator[Row]:
    r = rng(plan, "tags")
    for i in range(1, plan.contacts + 1):
        if r.random() < 0.10:
            for tag in sorted(r.sample(TAGS, 1 if r.random() < 0.7 else 2)):
                yield (i, tag)


# --- deals and their stage history ---------------------------------------------------------


def deal_batches(plan: Plan) -> Iterator[Batch]:
    """Deals in chunks, each followed by the stage changes of its deals."""
    r = rng(plan, "deals")
    plan.deal_facts, plan.won = array("q"), array("q")
    change_id = 1
    for start in range(1, plan.deals + 1, CHUNK):
        deals: list[Row] = []
        changes: list[Row] = []
        for i in range(start, min(plan.deals, start + CHUNK - 1) + 1):
            deal, moves = _deal(plan, r, i)
            deals.append(deal)
            for from_id, to_id, at, by in moves:
                changes.append((change_id, i, from_id, to_id, plan.ts(at), by))
                change_id += 1
        yield "deals", DEAL_COLUMNS, deals
        yield "stage_changes", CHANGE_COLUMNS, changes


def _deal(plan: Plan, r: random.Random, i: int) -> tuple[Row, list[Row]]:
    """Deal `i` and its moves (from stage, to stage, time, by whom), the owner making them."""
    contact, company, owner = _parties(plan, r.random)
    created = plan.now - int(r.random() * 730 * DAY)
    plan.deal_facts.extend((contact or 0, company, owner, created))
    path, status = _path(plan.stages, r.random)
    times = _times(r.random, created, len(path), plan.now)
    moves = [(path[k - 1] if k else None, path[k], times[k], owner) for k in range(len(path))]
    closed = times[-1] if status != "open" else None
    title = f"{PRODUCTS[int(r.random() * len(PRODUCTS))]} - {company_name(company)}"
    amount = _amount(r)
    deal = (i, title, amount, "USD", _expected_close(plan, r.random, closed), company,
            contact, owner, path[-1], status,
            LOST_REASONS[int(r.random() * len(LOST_REASONS))] if status == "lost" else None,
            plan.ts(created), plan.ts(times[-1]), plan.ts(closed) if closed else None,
            plan.contact_campaign[contact - 1] or None if contact else None)  # fmt: skip
    if status == "won" and closed is not None:
        plan.won.extend((i, amount, closed))
    return deal, moves


def _parties(plan: Plan, r: Callable[[], float]) -> tuple[int | None, int, int]:
    """(contact, company, owner): 95% of deals have a contact, and then its company and owner."""
    if r() < 0.05:
        return None, 1 + int(r() * plan.companies), 1 + int(r() * plan.users)
    c = int(r() * plan.contacts)
    return c + 1, plan.contact_company[c], plan.contact_owner[c]


def _path(stages: Stages, r: Callable[[], float]) -> tuple[list[int], str]:
    """The stage ids a deal went through, in order, and its status now.

    20% won (through every open stage), 15% lost (from some open stage), the rest open at a
    stage weighted towards the start; 10% of those with two open stages or more stepped back
    once on the way."""
    u, n = r(), len(stages.open)
    if u < 0.20:
        steps, end, status = list(range(n)), stages.won, "won"
    elif u < 0.35:
        steps, end, status = list(range(1 + int(r() * n))), stages.lost, "lost"
    else:
        last = stages.weights[int(r() * len(stages.weights))]
        steps, end, status = list(range(last + 1)), None, "open"
    if len(steps) >= 2 and r() < 0.10:
        j = 1 + int(r() * (len(steps) - 1))
        steps[j + 1 : j + 1] = [steps[j] - 1, steps[j]]
    path = [stages.open[k] for k in steps]
    return (path + [end] if end is not None else path), status


def _times(r: Callable[[], float], created: int, n: int, now: int) -> list[int]:
    """`n` strictly increasing times: the first at creation, the rest within 180 days of it."""
    span = min(now - created, 180 * DAY)
    times = [created]
    for t in sorted(created + 1 + int(r() * span) for _ in range(n - 1)):
        times.append(max(t, times[-1] + 1))
    return times


def _amount(r: random.Random) -> int:
    """Minor units, log-normal around $5k, 1% of deals forty times bigger, whole $10 steps."""
    dollars = math.exp(r.gauss(8.6, 1.0)) * (40 if r.random() < 0.01 else 1)
    return max(10, round(dollars / 10)) * 1000


def _expected_close(plan: Plan, r: Callable[[], float], closed: int | None) -> str | None:
    if r() < 0.05:
        return None
    if closed is None:
        return day(plan.now + int((r() * 180 - 45) * DAY))
    return day(closed + int((r() * 40 - 20) * DAY))


# --- activities ----------------------------------------------------------------------------


def activity_rows(plan: Plan) -> Iterator[Row]:
    """Each about a deal (with its contact and company, owned by its owner); 70% done."""
    r = rng(plan, "activities").random
    facts, now = plan.deal_facts, plan.now
    for i in range(1, plan.activities + 1):
        d = int(r() * plan.deals)
        contact, company, owner, created = facts[4 * d : 4 * d + 4]
        kind = ACTIVITY_KINDS[int(r() * 100)]
        subjects = SUBJECTS[kind]
        body = BODIES[int(r() * len(BODIES))] if r() < 0.2 else None
        if r() < 0.70:
            done = created + int(r() * (now - created))
            due = done - int(r() * 2 * DAY) if kind == "task" else None
            logged = done
        else:
            due, done = now + int((r() * 90 - 30) * DAY), None
            logged = max(created, min(due, now) - int(r() * 14 * DAY))
        yield (i, kind, subjects[int(r() * len(subjects))], body,
               plan.ts(due) if due is not None else None,
               plan.ts(done) if done is not None else None,
               contact or None, company, d + 1, owner, plan.ts(logged),
               plan.ts(due) if done is None else None)  # fmt: skip


USER_COLUMNS = ("id", "name", "name_key", "email", "role", "quota_minor", "quota_period",
                "created_at")  # fmt: skip
COMPANY_COLUMNS = ("id", "name", "name_key", "domain", "industry", "city", "country",
                   "phone", "website", "notes", "owner_id", "custom", "created_at",
                   "updated_at")  # fmt: skip
CONTACT_COLUMNS = ("id", "first_name", "last_name", "full_name", "name_key", "email", "phone",
                   "phone_norm", "title", "status", "source", "notes", "company_id", "owner_id",
                   "custom", "created_at", "updated_at", "campaign_id")  # fmt: skip
TAG_COLUMNS = ("contact_id", "tag")
DEAL_COLUMNS = ("id", "title", "amount_minor", "currency", "expected_close", "company_id",
                "contact_id", "owner_id", "stage_id", "status", "lost_reason", "created_at",
                "updated_at", "closed_at", "campaign_id")  # fmt: skip
CHANGE_COLUMNS = ("id", "deal_id", "from_stage_id", "to_stage_id", "changed_at", "changed_by_id")
ACTIVITY_COLUMNS = ("id", "kind", "subject", "body", "due_at", "done_at", "contact_id",
                    "company_id", "deal_id", "owner_id", "created_at", "alert_at")  # fmt: skip


def batches(plan: Plan) -> Iterator[Batch]:
    """Everything to write, parents before children."""
    assign_contacts(plan)
    yield "users", USER_COLUMNS, user_rows(plan)
    yield "campaigns", CAMPAIGN_COLUMNS, campaign_rows(plan)
    yield "companies", COMPANY_COLUMNS, company_rows(plan)
    yield "contacts", CONTACT_COLUMNS, contact_rows(plan)
    yield "contact_tags", TAG_COLUMNS, tag_rows(plan)
    yield from deal_batches(plan)
    yield "activities", ACTIVITY_COLUMNS, activity_rows(plan)
    yield from sales_batches(plan)
    yield "kb_articles", ARTICLE_COLUMNS, article_rows(plan)
    yield "tickets", TICKET_COLUMNS, ticket_rows(plan)


# --- campaigns, orders and payments, solution articles and tickets --------------------------


CHANNELS = ("event", "email", "ads", "web", "referral", "partner")
CAMPAIGN_NAMES = ("Spring fair", "Autumn webinar", "Partner summit", "Search ads",
                  "Newsletter push", "Trade show", "Referral drive", "Product launch")  # fmt: skip
ORDER_PARTS = (1,) * 6 + (2,) * 3 + (3,)
"""How many orders a won deal turns into: 60% one, 30% two, 10% three."""
METHODS = ("transfer",) * 12 + ("card",) * 5 + ("cheque",) * 2 + ("cash",)
PRIORITIES = ("low",) * 25 + ("normal",) * 50 + ("high",) * 20 + ("urgent",) * 5
SLA_HOURS = {"low": 168, "normal": 72, "high": 24, "urgent": 4}
CSAT = (5,) * 45 + (4,) * 30 + (3,) * 12 + (2,) * 8 + (1,) * 5
TOPICS = ("Invoice wrong", "Cannot log in", "Export fails", "Slow dashboard", "Change billing",
          "Add a seat", "Data import error", "Password reset", "Refund request",
          "Integration broken")  # fmt: skip
ARTICLE_WORDS = ("invoice billing login password export import dashboard seat refund "
                 "integration sync report email calendar permissions").split()  # fmt: skip


def campaign_rows(plan: Plan) -> Iterator[Row]:
    r = rng(plan, "campaigns").random
    for i in range(1, plan.campaigns + 1):
        name = f"{CAMPAIGN_NAMES[(i - 1) % len(CAMPAIGN_NAMES)]} {i:03d}"
        start = plan.now - int(r() * 2 * 365 * DAY)
        cost = (500 + int(r() * 200) * 100) * 100
        end = start + int((1 + r() * 60) * DAY)
        yield (i, name, name_key(name), CHANNELS[int(r() * len(CHANNELS))], cost, "USD",
               day(start), day(end), None, plan.ts(start))  # fmt: skip


def sales_batches(plan: Plan) -> Iterator[Batch]:
    """Orders for the won deals (1–3 each, splitting the amount, due 30 days after), each
    followed by the payments of its orders: 78% paid in full (a quarter of those in two
    instalments), 12% in part, the rest not at all; nothing is received after `now`."""
    r = rng(plan, "orders").random
    won, facts = plan.won, plan.deal_facts
    order_id = payment_id = 1
    for start in range(0, len(won), 3 * CHUNK):
        orders: list[Row] = []
        payments: list[Row] = []
        for k in range(start, min(len(won), start + 3 * CHUNK), 3):
            deal_id, amount, closed = won[k : k + 3]
            contact, company, owner, _ = facts[4 * (deal_id - 1) : 4 * deal_id]
            parts = ORDER_PARTS[int(r() * len(ORDER_PARTS))]
            for n, share in enumerate(_split(amount, parts)):
                ordered = min(plan.now, closed + n * 30 * DAY)
                paid = _payments(plan, r, order_id, share, ordered, payment_id)
                payments.extend(paid)
                payment_id += len(paid)
                orders.append((order_id, deal_id, company, contact or None, owner, share, "USD",
                               day(ordered), day(ordered + 30 * DAY), sum(p[2] for p in paid),
                               None, plan.ts(ordered)))  # fmt: skip
                order_id += 1
        yield "orders", ORDER_COLUMNS, orders
        yield "payments", PAYMENT_COLUMNS, payments


def _split(amount: int, parts: int) -> list[int]:
    """`amount` in `parts` nearly equal shares (whole cents) that add up to it."""
    share = amount // parts
    return [share] * (parts - 1) + [amount - share * (parts - 1)]


def _payments(
    plan: Plan, r: Callable[[], float], order_id: int, amount: int, ordered: int, first_id: int
) -> list[Row]:
    u = r()
    if u < 0.78:
        shares = _split(amount, 2) if r() < 0.25 else [amount]
    elif u < 0.90:
        shares = [max(1, amount * (30 + int(r() * 41)) // 100)]
    else:
        shares = []
    rows: list[Row] = []
    at = ordered
    for share in shares:
        at += int(r() * 45 * DAY)
        if at > plan.now:
            break
        rows.append((first_id + len(rows), order_id, share, "USD", day(at),
                     METHODS[int(r() * len(METHODS))], None, plan.ts(at)))  # fmt: skip
    return rows


def article_rows(plan: Plan) -> Iterator[Row]:
    r = rng(plan, "articles").random
    for i in range(1, plan.articles + 1):
        words = [ARTICLE_WORDS[int(r() * len(ARTICLE_WORDS))] for _ in range(40)]
        created = plan.ts(plan.now - int(r() * 2 * 365 * DAY))
        title = f"How to fix {TOPICS[(i - 1) % len(TOPICS)].lower()} ({i})"
        yield (i, title, " ".join(words).capitalize() + ".", created, created)


def ticket_rows(plan: Plan) -> Iterator[Row]:
    """Opened in the last year about a contact (and its company); 85% of those older than
    their SLA are resolved, mostly in time; 40% of the resolved ones have a CSAT score."""
    r = rng(plan, "tickets").random
    for i in range(1, plan.tickets + 1):
        contact = 1 + int(r() * plan.contacts)
        priority = PRIORITIES[int(r() * len(PRIORITIES))]
        opened = plan.now - int(r() * 365 * DAY)
        sla = SLA_HOURS[priority] * DAY // 24
        took = int(-math.log(1 - r()) * 0.7 * sla)
        resolved = opened + took if r() < 0.85 and opened + took <= plan.now else None
        csat = CSAT[int(r() * len(CSAT))] if resolved and r() < 0.4 else None
        article = 1 + int(r() * plan.articles) if resolved and plan.articles and r() < 0.3 else None
        touched = plan.ts(resolved or opened)
        yield (i, TOPICS[int(r() * len(TOPICS))], None, contact, plan.contact_company[contact - 1],
               1 + int(r() * plan.users), priority, "resolved" if resolved else "open",
               plan.ts(opened), plan.ts(opened + sla), plan.ts(resolved) if resolved else None,
               csat, article, None, plan.ts(opened), touched)  # fmt: skip


CAMPAIGN_COLUMNS = ("id", "name", "name_key", "channel", "cost_minor", "currency", "starts_on",
                    "ends_on", "notes", "created_at")  # fmt: skip
ORDER_COLUMNS = ("id", "deal_id", "company_id", "contact_id", "owner_id", "amount_minor",
                 "currency", "ordered_on", "due_on", "paid_minor", "notes",
                 "created_at")  # fmt: skip
PAYMENT_COLUMNS = ("id", "order_id", "amount_minor", "currency", "received_on", "method",
                   "reference", "created_at")  # fmt: skip
ARTICLE_COLUMNS = ("id", "title", "body", "created_at", "updated_at")
TICKET_COLUMNS = ("id", "subject", "body", "contact_id", "company_id", "owner_id", "priority",
                  "status", "opened_at", "due_at", "resolved_at", "csat", "article_id",
                  "reminded_at", "created_at", "updated_at")  # fmt: skip


# --- SQLite: one transaction, indexes rebuilt after the load -------------------------------


LAST_ACTIVITY = (
    "UPDATE deals SET last_activity_at = latest.at FROM "
    "(SELECT deal_id, max(done_at) AS at FROM activities "
    "WHERE deal_id IS NOT NULL GROUP BY deal_id) AS latest "
    "WHERE deals.id = latest.deal_id"
)
"""Each deal's last logged activity, which the app keeps on every write (and reminders read):
one grouped pass, not a subquery per deal (PostgreSQL, without statistics yet, would walk an
index backwards for each of a million deals)."""


def load_sqlite(path: str, plan: Plan, *, keep_indexes: bool) -> tuple[dict[str, int], str]:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for pragma in ("journal_mode = WAL", "synchronous = OFF", f"cache_size = -{CACHE_KIB}",
                       "temp_store = MEMORY", "foreign_keys = OFF"):  # fmt: skip
            conn.execute(f"PRAGMA {pragma}")
        t0 = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        try:
            dropped = [] if keep_indexes else _drop_indexes(conn)
            counts = _insert_all(conn, plan)
            t1 = time.perf_counter()
            _recreate_indexes(conn, dropped)
            conn.execute(LAST_ACTIVITY)
            t2 = time.perf_counter()
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        t3 = time.perf_counter()
    finally:
        conn.close()
    return counts, f"rows {t1 - t0:.1f} s, indexes {t2 - t1:.1f} s, commit {t3 - t2:.1f} s"


def _insert_all(conn: sqlite3.Connection, plan: Plan) -> dict[str, int]:
    counts = dict.fromkeys(TABLES, 0)
    for table, columns, rows in batches(plan):
        marks = ", ".join("?" * len(columns))
        cur = conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
        counts[table] += cur.rowcount
    return counts


def _metadata_indexes() -> list[Any]:
    """The secondary (non-unique) indexes the models declare on the tables we load."""
    from sqlmodel import SQLModel

    import tinycrm.models  # noqa: F401  (registers the tables)

    tables = [SQLModel.metadata.tables[t] for t in TABLES]
    return sorted((ix for t in tables for ix in t.indexes if not ix.unique), key=lambda i: i.name)


def _drop_indexes(conn: sqlite3.Connection) -> list[tuple[str, str, str]]:
    """Drop the secondary indexes: (name, SQL it was made with, SQL the metadata makes) each."""
    from sqlalchemy.dialects import sqlite as sqlite_dialect
    from sqlalchemy.schema import CreateIndex

    dialect = sqlite_dialect.dialect()
    dropped = []
    for index in _metadata_indexes():
        row = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?",
                           (index.name,)).fetchone()  # fmt: skip
        if row is not None:
            conn.execute(f"DROP INDEX {index.name}")
            dropped.append((index.name, row[0], str(CreateIndex(index).compile(dialect=dialect))))
    return dropped


def _recreate_indexes(conn: sqlite3.Connection, dropped: list[tuple[str, str, str]]) -> None:
    """Create the dropped indexes from the metadata; check each is the one that was there."""
    for name, before, create_sql in dropped:
        conn.execute(create_sql)
        (after,) = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).fetchone()
        if " ".join(after.split()) != " ".join(before.split()):
            raise RuntimeError(f"index {name} was {before!r}, the metadata makes {after!r}")


# --- PostgreSQL: COPY through the raw DBAPI connection --------------------------------------


SETVAL = (
    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 1), "
    "MAX(id) IS NOT NULL) FROM {table}"
)
"""Point a table's id sequence past the ids COPY wrote, so the app's inserts get new ones."""


def load_postgres(db: Any, plan: Plan) -> tuple[dict[str, int], str]:
    counts = dict.fromkeys(TABLES, 0)
    t0 = time.perf_counter()
    raw = db.engine.raw_connection()
    try:
        with raw.driver_connection.cursor() as cur:
            for table, columns, rows in batches(plan):
                with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                        counts[table] += 1
            for table in TABLES:
                if table != "contact_tags":
                    cur.execute(SETVAL.format(table=table))
            cur.execute(LAST_ACTIVITY)
        raw.commit()
    finally:
        raw.close()
    return counts, f"copy {time.perf_counter() - t0:.1f} s"


# --- the command ---------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--db", help="SQLite file to fill (created if missing)")
    where.add_argument("--url", help="SQLAlchemy URL, e.g. postgresql+psycopg://...")
    p.add_argument("--contacts", type=int, required=True)
    p.add_argument("--deals", type=int, required=True)
    p.add_argument("--activities", type=int, help="default: 2 per deal")
    p.add_argument("--users", type=int, default=20)
    p.add_argument("--companies", type=int, help="default: contacts // 10, at least 1")
    p.add_argument("--campaigns", type=int, help="default: contacts // 10000, 1 to 200")
    p.add_argument("--tickets", type=int, help="default: contacts // 10")
    p.add_argument("--articles", type=int, default=200, help="solution articles")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--now", default="2026-11-23T12:00:00+00:00", help="ISO time, UTC if naive")
    p.add_argument("--keep-indexes", action="store_true",
                   help="SQLite: load with the secondary indexes in place (slower)")  # fmt: skip
    args = p.parse_args(argv)
    args.activities = 2 * args.deals if args.activities is None else args.activities
    args.companies = max(1, args.contacts // 10) if args.companies is None else args.companies
    if args.campaigns is None:
        args.campaigns = min(200, max(1, args.contacts // 10_000))
    args.tickets = args.contacts // 10 if args.tickets is None else args.tickets
    if (
        min(args.contacts, args.users, args.companies, args.campaigns) < 1
        or min(args.deals, args.activities, args.tickets, args.articles) < 0
    ):
        p.error(
            "--contacts, --users, --companies and --campaigns must be at least 1, "
            "the others at least 0"
        )
    if args.activities and not args.deals:
        p.error("activities are about deals: give --deals too")
    return args


def parse_now(text: str) -> int:
    try:
        now = datetime.fromisoformat(text)
    except ValueError:
        raise SystemExit(f"gen.py: --now {text!r} is not an ISO date-time") from None
    now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    return (now - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def read_stages(conn: Any) -> Stages | None:
    from sqlalchemy import text

    rows = conn.execute(text("SELECT id, kind FROM stages ORDER BY position, id")).all()
    opens = tuple(i for i, kind in rows if kind == "open")
    won = next((i for i, kind in rows if kind == "won"), None)
    lost = next((i for i, kind in rows if kind == "lost"), None)
    if not opens or won is None or lost is None:
        return None
    weights = tuple(k for k in range(len(opens)) for _ in range(2 * (len(opens) - k) + 1))
    return Stages(opens, won, lost, weights)


def nonempty_table(conn: Any) -> str | None:
    from sqlalchemy import text

    for table in ("contacts", *TABLES):
        if conn.execute(text(f"SELECT 1 FROM {table} LIMIT 1")).first() is not None:
            return table
    return None


def main(argv: list[str] | None = None) -> int:
    started = time.perf_counter()
    args = parse_args(argv)
    now = parse_now(args.now)
    from tinycrm.config import load_settings
    from tinycrm.db.store import open_database

    db = open_database(load_settings(db_path=args.db, database_url=args.url))
    where = args.db or db.engine.url.render_as_string(hide_password=True)
    with db.engine.connect() as conn:
        full, stages = nonempty_table(conn), read_stages(conn)
    if full is not None or stages is None:
        db.engine.dispose()
        why = f"it already has {full}" if full else "it lacks an open, a won or a lost stage"
        print(f"gen.py: refusing to write into {where}: {why}", file=sys.stderr)
        return 2
    sqlite = db.sqlite_path is not None
    plan = Plan(args.contacts, args.deals, args.activities, args.users, args.companies,
                args.campaigns, args.tickets, args.articles, args.seed, now, stages,
                ts_sqlite if sqlite else ts_postgres)  # fmt: skip
    if sqlite:
        db.engine.dispose()
        counts, detail = load_sqlite(str(db.sqlite_path), plan, keep_indexes=args.keep_indexes)
    else:
        counts, detail = load_postgres(db, plan)
        db.engine.dispose()
    detail += f"; search keys {fill_search_keys(args):.1f} s"
    detail += f"; stage visits {mark_stage_visits(args):.1f} s"
    report(where, args, counts, f"{detail}; total {time.perf_counter() - started:.1f} s")
    return 0


def fill_search_keys(args: argparse.Namespace) -> float:
    """Give every row its folded search key, as `crm import` does after its bulk writes;
    returns the seconds it took."""
    from tinycrm.config import load_settings
    from tinycrm.db.store import open_database, session_scope
    from tinycrm.services import search

    started = time.perf_counter()
    db = open_database(load_settings(db_path=args.db, database_url=args.url))
    with session_scope(db, write=True) as session:
        search.fill_search_keys(session)
    db.engine.dispose()
    return time.perf_counter() - started


def mark_stage_visits(args: argparse.Namespace) -> float:
    """Derive every stage change's visit columns, as every writer of history does (see
    `tinycrm.db.stage_visits`); returns the seconds it took."""
    from tinycrm.config import load_settings
    from tinycrm.db.stage_visits import mark_visits
    from tinycrm.db.store import open_database

    started = time.perf_counter()
    db = open_database(load_settings(db_path=args.db, database_url=args.url))
    with db.engine.begin() as conn:
        mark_visits(conn)
    db.engine.dispose()
    return time.perf_counter() - started


def report(where: str, args: argparse.Namespace, counts: dict[str, int], timing: str) -> None:
    print(f"gen.py: wrote {where} (seed {args.seed}, now {args.now})")
    for table in TABLES:
        print(f"  {table:<14}{counts[table]:>12,}")
    print(f"  wall time: {timing}")


if __name__ == "__main__":
    sys.exit(main())
