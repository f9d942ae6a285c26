"""Customer segmentation over a small hand-built set of payments: ABC classes, RFM scores and
segments, retention per period and lifecycle tags, every figure exact.

Customers (a company, or the contact when the order has none), payments in EUR unless said,
today = 2026-11-23:
  Acme (company; orders by Li)  o1 2026-11-20 2,000.00; o2 2026-09-30 2,000.00;
                                o3 2026-06-15 1,000.00        → 5,000.00, 3 orders
  Beta (company; Mia)           o4 2026-11-01 1,500.00 + 2026-11-20 1,500.00 → 3,000.00, 1 order
  Solo (contact, no company)    o5 2025-10-01 600.00; o6 2025-06-01 400.00 → 1,000.00, 2 orders
  Gamma (company)               o7 2026-08-10 600.00
  Delta (company)               o8 2026-04-01 400.00
  Epsilon (company)             o9 2026-11-22 90.00 USD (activity, never EUR revenue)
  an order with no customer     2026-11-01 777.00 (ignored)
Zeta (company) and Nobody (contact) never paid.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from tests.clihelp import Crm
from tinycrm.db.store import Database, session_scope
from tinycrm.errors import InvalidInput
from tinycrm.models import Company, Contact, Order, Payment
from tinycrm.services import reports
from tinycrm.services.reports import segments

TODAY = date(2026, 11, 23)
PARIS = ZoneInfo("Europe/Paris")

PAID = {
    "Acme": [(1, "2026-11-20", 200_000), (2, "2026-09-30", 200_000), (3, "2026-06-15", 100_000)],
    "Beta": [(4, "2026-11-01", 150_000), (4, "2026-11-20", 150_000)],
    "Solo": [(5, "2025-10-01", 60_000), (6, "2025-06-01", 40_000)],
    "Gamma": [(7, "2026-08-10", 60_000)],
    "Delta": [(8, "2026-04-01", 40_000)],
    "Epsilon": [(9, "2026-11-22", 9_000)],
    "": [(10, "2026-11-01", 77_700)],
}


def _company(s: Session, name: str) -> int:
    row = Company(name=name, name_key=name.lower())
    s.add(row)
    s.flush()
    assert row.id is not None
    return row.id


def _contact(s: Session, name: str, company_id: int | None) -> int:
    row = Contact(full_name=name, name_key=name.lower(), company_id=company_id)
    s.add(row)
    s.flush()
    assert row.id is not None
    return row.id


def populate(db: Database) -> dict[str, int]:
    """The payments described at the top of this module; returns the ids by name."""
    ids: dict[str, int] = {}
    with session_scope(db, write=True) as s:
        for name in ("Acme", "Beta", "Gamma", "Delta", "Epsilon", "Zeta"):
            ids[name] = _company(s, name)
        ids["Li"] = _contact(s, "Li Wei", ids["Acme"])
        ids["Mia"] = _contact(s, "Mia Beta", ids["Beta"])
        ids["Solo"] = _contact(s, "Solo Trader", None)
        ids["Nobody"] = _contact(s, "No Body", None)
        people = {"Acme": ids["Li"], "Beta": ids["Mia"]}
        orders: dict[int, int] = {}
        for customer, payments in PAID.items():
            for number, day, minor in payments:
                if number not in orders:
                    solo = customer == "Solo"
                    order = Order(
                        company_id=None if solo or not customer else ids[customer],
                        contact_id=ids["Solo"] if solo else people.get(customer),
                        amount_minor=500_000,
                        currency="USD" if customer == "Epsilon" else "EUR",
                        ordered_on=date.fromisoformat(day),
                    )
                    s.add(order)
                    s.flush()
                    assert order.id is not None
                    orders[number] = order.id
                cur = "USD" if customer == "Epsilon" else "EUR"
                s.add(Payment(order_id=orders[number], amount_minor=minor, currency=cur,
                              received_on=date.fromisoformat(day)))  # fmt: skip
    return ids


@pytest.fixture
def customers(db: Database) -> Database:
    populate(db)
    return db


def _abc(
    db: Database, period: reports.Period = reports.ALL_TIME, *, a: int = 80, b: int = 15
) -> segments.AbcReport:
    with session_scope(db, write=False) as s:
        return segments.abc(s, period=period, currency="EUR", a=a, b=b, listing=True)


# --- ABC -------------------------------------------------------------------------------------


def test_segmentation_abc_classes_by_revenue_received(customers: Database) -> None:
    found = _abc(customers)
    assert (found.total_minor, found.customers) == (1_000_000, 5)
    assert [(c.cls, c.customers, c.revenue_minor) for c in found.classes] == [
        ("A", 2, 800_000), ("B", 2, 160_000), ("C", 1, 40_000),
    ]  # fmt: skip
    assert [c.revenue_share for c in found.classes] == [0.8, 0.16, 0.04]
    # Beta brings the running total to exactly 80%: the next customer starts B.
    assert [(c.rank, c.name, c.kind, c.cls) for c in found.listed] == [
        (1, "Acme", "company", "A"),
        (2, "Beta", "company", "A"),
        (3, "Solo Trader", "contact", "B"),
        (4, "Gamma", "company", "B"),
        (5, "Delta", "company", "C"),
    ]
    assert [c.cumulative_share for c in found.listed] == [0.5, 0.8, 0.9, 0.96, 1.0]


def test_segmentation_abc_the_customer_crossing_a_line_stays_above_it(customers: Database) -> None:
    # A = 60%: Beta starts at 50% and ends at 80%, so it is still A; B = next 15% (to 75%).
    found = _abc(customers, a=60)
    assert [(c.name, c.cls) for c in found.listed] == [
        ("Acme", "A"), ("Beta", "A"), ("Solo Trader", "C"), ("Gamma", "C"), ("Delta", "C"),
    ]  # fmt: skip
    found = _abc(customers, a=70, b=15)
    assert [c.cls for c in found.listed] == ["A", "A", "B", "C", "C"]


def test_segmentation_abc_period_and_currency(customers: Database) -> None:
    q3q4 = reports.date_range(date(2026, 7, 1), date(2026, 12, 31), PARIS)
    found = _abc(customers, q3q4)
    assert [(c.name, c.revenue_minor, c.cls) for c in found.listed] == [
        ("Acme", 400_000, "A"), ("Beta", 300_000, "A"), ("Gamma", 60_000, "B"),
    ]  # fmt: skip
    assert [(c.cls, c.customers) for c in found.classes] == [("A", 2), ("B", 1), ("C", 0)]


@pytest.mark.parametrize(("a", "b", "field"), [(0, 15, "a"), (100, 0, "a"), (80, 21, "b"),
                                               (80, -1, "b")])  # fmt: skip
def test_segmentation_abc_bad_thresholds(customers: Database, a: int, b: int, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        _abc(customers, a=a, b=b)
    assert caught.value.field == field


# --- RFM -------------------------------------------------------------------------------------


def test_segmentation_rfm_scores_and_segments(customers: Database) -> None:
    with session_scope(customers, write=False) as s:
        found = segments.rfm(s, period=reports.ALL_TIME, today=TODAY, currency="EUR", listing=True)
    assert found.as_of == TODAY
    rows = {c.name: (c.recency_days, c.frequency, c.monetary_minor, c.r, c.f, c.m, c.segment)
            for c in found.listed}  # fmt: skip
    assert rows == {
        # Acme and Beta paid last on the same day: they share rank 4 of 5, so both get R 4.
        "Acme": (3, 3, 500_000, 4, 5, 5, "loyal"),
        "Beta": (3, 1, 300_000, 4, 1, 4, "potential loyalist"),
        "Gamma": (105, 1, 60_000, 3, 1, 2, "about to sleep"),
        "Delta": (236, 1, 40_000, 2, 1, 1, "hibernating"),
        "Solo Trader": (418, 2, 100_000, 1, 4, 3, "at risk"),
    }
    assert [c.name for c in found.listed] == ["Acme", "Beta", "Gamma", "Delta", "Solo Trader"]
    counts = {g.segment: (g.customers, g.revenue_minor) for g in found.segments if g.customers}
    assert counts == {
        "loyal": (1, 500_000),
        "potential loyalist": (1, 300_000),
        "about to sleep": (1, 60_000),
        "hibernating": (1, 40_000),
        "at risk": (1, 100_000),
    }
    assert [g.segment for g in found.segments][0] == "champions"
    assert len(found.segments) == 11 and found.customers == 5


def test_segmentation_rfm_as_of_the_period_end(customers: Database) -> None:
    h1 = reports.date_range(date(2026, 1, 1), date(2026, 6, 30), UTC)
    with session_scope(customers, write=False) as s:
        found = segments.rfm(s, period=h1, today=TODAY, currency="EUR", listing=True)
    assert found.as_of == date(2026, 6, 30)
    assert [(c.name, c.recency_days, c.r, c.f, c.m) for c in found.listed] == [
        ("Acme", 15, 3, 1, 3),
        ("Delta", 90, 1, 1, 1),
    ]  # fmt: skip  (rank 2 of 2 is the 50th percentile: ⌊5 · 1 ÷ 2⌋ + 1 = 3)


# --- retention -------------------------------------------------------------------------------


def _retention(db: Database, kind: str, first: date, last: date) -> list[tuple[object, ...]]:
    with session_scope(db, write=False) as s:
        rows = segments.retention(s, kind=kind, first=first, last=last, currency="EUR", tz=PARIS)
    return [
        (r.period, r.active, r.retained, r.new, r.churned, r.churn_rate, r.retention_rate,
         r.revenue_minor, r.avg_revenue_minor)
        for r in rows
    ]  # fmt: skip


def test_segmentation_retention_by_quarter(customers: Database) -> None:
    assert _retention(customers, "quarter", date(2025, 7, 15), date(2026, 11, 23)) == [
        ("2025-Q3", 0, 0, 0, 1, 1.0, 0.0, 0, None),
        ("2025-Q4", 1, 0, 0, 0, None, None, 60_000, 60_000),
        ("2026-Q1", 0, 0, 0, 1, 1.0, 0.0, 0, None),
        ("2026-Q2", 2, 0, 2, 0, None, None, 140_000, 70_000),
        ("2026-Q3", 2, 1, 1, 1, 0.5, 0.5, 260_000, 130_000),
        # Epsilon paid in USD: active and new, but its money is not in EUR revenue.
        ("2026-Q4", 3, 1, 2, 1, 0.5, 0.5, 500_000, 166_667),
    ]


def test_segmentation_retention_by_month_and_year(customers: Database) -> None:
    assert _retention(customers, "month", date(2026, 9, 1), date(2026, 11, 30)) == [
        ("2026-09", 1, 0, 0, 1, 1.0, 0.0, 200_000, 200_000),
        ("2026-10", 0, 0, 0, 1, 1.0, 0.0, 0, None),
        ("2026-11", 3, 0, 2, 0, None, None, 500_000, 166_667),
    ]
    assert _retention(customers, "year", date(2025, 1, 1), date(2026, 1, 1)) == [
        ("2025", 1, 0, 1, 0, None, None, 100_000, 100_000),
        ("2026", 5, 0, 5, 1, 1.0, 0.0, 900_000, 180_000),
    ]


def test_segmentation_retention_default_span_and_bad_input(customers: Database) -> None:
    assert segments.default_span("quarter", TODAY) == (date(2025, 1, 1), TODAY)
    assert segments.default_span("month", TODAY) == (date(2025, 12, 1), TODAY)
    assert segments.default_span("year", TODAY) == (date(2022, 1, 1), TODAY)
    with pytest.raises(InvalidInput):
        _retention(customers, "week", TODAY, TODAY)
    with pytest.raises(InvalidInput):
        _retention(customers, "month", TODAY, date(2026, 1, 1))


# --- lifecycle -------------------------------------------------------------------------------


def test_segmentation_lifecycle_tags(customers: Database) -> None:
    with session_scope(customers, write=False) as s:
        ids = {c.full_name: c.id for c in s.exec(select(Contact)) if c.id is not None}
        cos = {c.name: c.id for c in s.exec(select(Company)) if c.id is not None}
        found = segments.lifecycles(
            s, today=TODAY, contact_ids=ids.values(), company_ids=cos.values()
        )
    by_name = {name: found.contacts[i] for name, i in ids.items()}
    assert by_name == {"Li Wei": "loyal", "Mia Beta": "new", "Solo Trader": "lost",
                       "No Body": None}  # fmt: skip
    assert {name: found.companies[i] for name, i in cos.items()} == {
        "Acme": "loyal", "Beta": "new", "Gamma": "regular", "Delta": "declining",
        "Epsilon": "new", "Zeta": None,
    }  # fmt: skip


def test_segmentation_lifecycle_moves_with_today(customers: Database) -> None:
    with session_scope(customers, write=False) as s:
        acme = s.exec(select(Company).where(Company.name == "Acme")).one().id
        assert acme is not None
        later = segments.lifecycles(s, today=date(2027, 6, 1), company_ids=[acme])
        earlier = segments.lifecycles(s, today=date(2026, 7, 1), company_ids=[acme])
    assert later.companies == {acme: "declining"}  # last paid 193 days before
    assert earlier.companies == {acme: "new"}  # first paid 16 days before


@pytest.mark.parametrize(
    ("tag", "contacts", "companies"),
    [
        ("loyal", ["Li Wei"], ["Acme"]),
        ("new", ["Mia Beta"], ["Beta", "Epsilon"]),
        ("lost", ["Solo Trader"], []),
        ("declining", [], ["Delta"]),
        ("regular", [], ["Gamma"]),
    ],
)
def test_segmentation_lifecycle_condition_filters(
    customers: Database, tag: str, contacts: list[str], companies: list[str]
) -> None:
    with session_scope(customers, write=False) as s:
        where = segments.lifecycle_condition(tag, today=TODAY)
        found = s.exec(select(Contact.full_name).where(where).order_by(Contact.full_name)).all()
        on = segments.lifecycle_condition(tag, today=TODAY, on="company")
        firms = s.exec(select(Company.name).where(on).order_by(Company.name)).all()
    assert (list(found), list(firms)) == (contacts, companies)


def test_segmentation_lifecycle_condition_rejects_unknown_tag() -> None:
    with pytest.raises(InvalidInput):
        segments.lifecycle_condition("vip", today=TODAY)


# --- the CLI ---------------------------------------------------------------------------------


@pytest.fixture
def cli(customers: Database, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Crm:
    monkeypatch.setenv("CRM_DATABASE_URL", db_url)
    monkeypatch.setenv("CRM_NOW", "2026-11-23T09:30:00+00:00")
    monkeypatch.setenv("CRM_CURRENCY", "EUR")
    monkeypatch.setenv("CRM_TIMEZONE", "Europe/Paris")
    return Crm()


def test_segmentation_cli_abc_json_and_list(cli: Crm) -> None:
    rows = cli("report", "segments", "--by", "abc", "--format", "json").json()
    assert rows[0] == {"class": "A", "customers": 2, "customer_share": 0.4, "revenue": 8000.0,
                       "revenue_share": 0.8, "currency": "EUR"}  # fmt: skip
    listed = cli("report", "segments", "--by", "abc", "--list", "--limit", "2",
                 "--from", "2026-07-01", "--format", "csv").out  # fmt: skip
    assert list(csv.reader(io.StringIO(listed))) == [
        ["rank", "customer", "kind", "id", "revenue", "share", "cumulative_share", "class",
         "currency"],
        ["1", "Acme", "company", "1", "4000.00", str(40 / 76), str(40 / 76), "A", "EUR"],
        ["2", "Beta", "company", "2", "3000.00", str(30 / 76), str(70 / 76), "A", "EUR"],
    ]  # fmt: skip


def test_segmentation_cli_rfm_table_and_list(cli: Crm) -> None:
    out = cli("report", "segments", "--by", "rfm").out
    assert "RFM on 2026-11-23, payments all time: 5 customers — amounts in EUR" in out
    line = next(x for x in out.splitlines() if x.strip().startswith("potential loyalist"))
    assert re.split(r"\s{2,}", line.strip()) == [  # all in EUR: no currency column
        "potential loyalist", "R 4–5, FM 2–3", "1", "20.0%", "3,000.00",
    ]  # fmt: skip
    rows = cli("report", "segments", "--by", "rfm", "--list", "--format", "json").json()
    assert rows[-1] == {"customer": "Solo Trader", "kind": "contact", "id": 3,
                        "last_paid": "2025-10-01", "recency_days": 418, "frequency": 2,
                        "monetary": 1000.0, "r": 1, "f": 4, "m": 3, "segment": "at risk",
                        "currency": "EUR"}  # fmt: skip


def test_segmentation_cli_retention(cli: Crm) -> None:
    rows = cli("report", "retention", "--period", "quarter", "--from", "2026-07-01",
               "--format", "json").json()  # fmt: skip
    assert rows == [
        {"period": "2026-Q3", "from": "2026-07-01", "to": "2026-09-30", "active": 2,
         "retained": 1, "new": 1, "churned": 1, "churn_rate": 0.5, "retention_rate": 0.5,
         "revenue": 2600.0, "avg_revenue": 1300.0, "currency": "EUR"},
        {"period": "2026-Q4", "from": "2026-10-01", "to": "2026-12-31", "active": 3,
         "retained": 1, "new": 2, "churned": 1, "churn_rate": 0.5, "retention_rate": 0.5,
         "revenue": 5000.0, "avg_revenue": 1666.67, "currency": "EUR"},
    ]  # fmt: skip
    default = cli("report", "retention", "--format", "json").json()
    assert [r["period"] for r in default] == [
        f"{y}-Q{q}" for y in (2025, 2026) for q in range(1, 5)
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("segments", "--by", "abc", "--a", "90", "--b", "20"), "--b"),
        (("segments", "--by", "xyz"), "--by"),
        (("retention", "--period", "week"), "--period"),
        (("retention", "--from", "2026-12-01", "--to", "2026-01-01"), "--to"),
    ],
)
def test_segmentation_cli_bad_input(cli: Crm, args: tuple[str, ...], message: str) -> None:
    ran = cli("report", *args, ok=False)
    assert ran.code == 2
    assert message in ran.err and len(ran.err.strip().splitlines()) == 1


def test_segmentation_with_no_payments(db: Database) -> None:
    with session_scope(db, write=False) as s:
        found = segments.abc(s, period=reports.ALL_TIME, currency="EUR")
        ranked = segments.rfm(s, period=reports.ALL_TIME, today=TODAY, currency="EUR")
        rows = segments.retention(s, kind="year", first=TODAY, last=TODAY, currency="EUR", tz=PARIS)
    assert [(c.cls, c.customers, c.revenue_share) for c in found.classes] == [
        ("A", 0, None), ("B", 0, None), ("C", 0, None),
    ]  # fmt: skip
    assert ranked.customers == 0 and {g.customers for g in ranked.segments} == {0}
    assert [(r.period, r.active, r.churn_rate, r.avg_revenue_minor) for r in rows] == [
        ("2026", 0, None, None)
    ]
