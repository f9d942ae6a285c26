"""Campaigns: add, edit, remove; deals carry one (add, edit, import); and the ROI report
from payments received on the orders of won deals, to the cent."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlmodel import Session

from tests.clihelp import Crm
from tests.conftest import NOW
from tinycrm.db.store import Database, session_scope
from tinycrm.errors import Conflict, InvalidInput
from tinycrm.models import Contact, ContactCreate, Deal, DealCreate, UserCreate
from tinycrm.services import campaigns, contacts, deals, orders, users
from tinycrm.services.campaigns import CampaignFigures

DAY = date(2026, 11, 1)


def _deal(s: Session, campaign: str, amount: int, end: str = "won", currency: str = "EUR") -> int:
    row = deals.create_deal(
        s,
        data=DealCreate(title=f"{campaign} {amount}", amount_minor=amount, campaign=campaign),
        currency=currency,
        actor=None,
        now=NOW - timedelta(days=90),
    )
    if end == "won":
        deals.win_deal(s, ref=row.id, actor=None, now=NOW - timedelta(days=60))
    elif end == "lost":
        deals.lose_deal(s, ref=row.id, reason=None, actor=None, now=NOW - timedelta(days=60))
    return row.id


def _paid(s: Session, deal: int, amount: str, *payments: str) -> None:
    order = orders.create_order(s, deal=deal, amount=amount, ordered_on=DAY, now=NOW)
    for paid in payments:
        orders.add_payment(s, order=order.id, amount=paid, received_on=DAY, now=NOW)


def populate(db: Database) -> None:
    """Spring fair (3,000.00, March): 4 leads, 5 deals, 2 won with 8,234.56 received, one won
    and paid then reopened. Web ads (1,000.01, from October): 1 lead, a won EUR deal with no
    order and a won USD deal paid in USD. Newsletter (free, undated): one open deal."""
    with session_scope(db, write=True) as s:
        users.create_user(s, data=UserCreate(name="Ann Lee"), currency="EUR")
        add = campaigns.create_campaign
        add(s, name="Spring  fair", channel="Event", cost_minor=300_000, currency="EUR",
            starts_on=date(2026, 3, 1), ends_on=date(2026, 3, 31), now=NOW)  # fmt: skip
        add(s, name="Newsletter", channel="email", currency="EUR", now=NOW)
        add(s, name="Web ads", channel="ads", cost_minor=100_001, currency="EUR",
            starts_on=date(2026, 10, 1), now=NOW)  # fmt: skip
        leads = {"spring fair": 4, "web ads": 1}
        for name, count in leads.items():
            for n in range(count):
                person = contacts.create_contact(
                    s, data=ContactCreate(name=f"{name} lead {n}"), region="US"
                )
                s.execute(
                    update(Contact)
                    .where(Contact.id == person.row.id)  # type: ignore[arg-type]
                    .values(campaign_id=campaigns.campaign_id(s, name))
                )
        _paid(s, _deal(s, "spring fair", 1_250_000), "12000", "5000", "1234.56")
        _paid(s, _deal(s, "spring fair", 200_000), "2000", "2000")
        _deal(s, "spring fair", 80_000, end="open")
        _deal(s, "spring fair", 50_000, end="lost")
        reopened = _deal(s, "spring fair", 10_000)
        _paid(s, reopened, "100", "100")
        deals.move_deal(s, ref=reopened, stage="negotiation", actor=None, now=NOW, force=True)
        _deal(s, "web ads", 100_000)
        _paid(s, _deal(s, "web ads", 70_000, currency="USD"), "700", "700")
        _deal(s, "newsletter", 5_000, end="open")


@pytest.fixture
def filled(db: Database) -> Database:
    populate(db)
    return db


def _report(db: Database, **period: date) -> tuple[list[CampaignFigures], CampaignFigures]:
    with session_scope(db, write=False) as s:
        return campaigns.campaign_report(s, currency="EUR", **period)  # type: ignore[arg-type]


def test_campaign_report_per_campaign(filled: Database) -> None:
    rows, total = _report(filled)
    spring, ads, news = rows
    assert spring == CampaignFigures(
        spring.id, "Spring fair", "event", date(2026, 3, 1), date(2026, 3, 31), "EUR",
        leads=4, deals=5, won=2, won_amount_minor=1_450_000,
        revenue_minor=823_456,  # 5,000.00 + 1,234.56 + 2,000.00; not the reopened deal's 100.00
        cost_minor=300_000, roi=float(Fraction(823_456 - 300_000, 300_000)),
        cost_per_lead_minor=75_000, cost_per_won_minor=150_000, other_currency=0,
    )  # fmt: skip
    assert (ads.leads, ads.deals, ads.won, ads.won_amount_minor, ads.revenue_minor) == (
        1, 2, 2, 100_000, 0,
    )  # fmt: skip
    # 1,000.01 ÷ 2 won = 500.005, rounded half up; the USD deal and its payment are counted apart.
    assert (ads.roi, ads.cost_per_lead_minor, ads.cost_per_won_minor, ads.other_currency) == (
        -1.0, 100_001, 50_001, 2,
    )  # fmt: skip
    assert (news.name, news.deals, news.won, news.cost_minor) == ("Newsletter", 1, 0, 0)
    assert (news.roi, news.cost_per_lead_minor, news.cost_per_won_minor) == (None, None, None)
    assert total == CampaignFigures(
        None, "total", None, None, None, "EUR",
        leads=5, deals=8, won=4, won_amount_minor=1_550_000, revenue_minor=823_456,
        cost_minor=400_001, roi=float(Fraction(823_456 - 400_001, 400_001)),
        cost_per_lead_minor=80_000, cost_per_won_minor=100_000, other_currency=2,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("period", "names"),
    [
        ({"first": date(2026, 4, 1)}, ["Web ads", "Newsletter"]),
        ({"last": date(2026, 9, 30)}, ["Spring fair", "Newsletter"]),
        ({"first": date(2026, 3, 31), "last": date(2026, 3, 31)}, ["Spring fair", "Newsletter"]),
        ({"first": date(2027, 1, 1), "last": date(2027, 3, 31)}, ["Web ads", "Newsletter"]),
    ],
)
def test_the_period_picks_campaigns_by_their_own_dates(
    filled: Database, period: dict[str, date], names: list[str]
) -> None:
    rows, total = _report(filled, **period)
    assert [r.name for r in rows] == names
    assert total.leads == sum(r.leads for r in rows)


def test_campaigns_add_edit_remove(filled: Database) -> None:
    with session_scope(filled, write=True) as s:
        with pytest.raises(Conflict, match="a campaign named 'Spring fair' exists"):
            campaigns.create_campaign(s, name="SPRING FAIR", currency="EUR", now=NOW)
        with pytest.raises(InvalidInput, match="^to: before from 2026-10-01"):
            campaigns.update_campaign(s, ref="web ads", changes={"ends_on": date(2026, 9, 1)})
        row = campaigns.update_campaign(
            s, ref="newsletter", changes={"cost_minor": 12_345, "channel": " E-Mail "}
        )
        assert (row.cost.minor, row.channel) == (12_345, "e-mail")
        assert [c.name for c in campaigns.list_campaigns(s)] == [
            "Web ads", "Spring fair", "Newsletter",
        ]  # fmt: skip
        gone = campaigns.delete_campaign(s, ref="spring fair")
        left = s.get(Deal, 1)
        assert left is not None and left.campaign_id is None
        assert campaigns.campaign_id(s, "web ads") != gone.id
    rows, _ = _report(filled)
    assert [r.name for r in rows] == ["Web ads", "Newsletter"]


# --- CLI -----------------------------------------------------------------------------------


@pytest.fixture
def cli_env() -> dict[str, str]:
    return {"CRM_NOW": "2026-11-23T09:30:00+00:00", "CRM_CURRENCY": "EUR"}


def test_cli_campaign_report(filled: Database, crm: Crm) -> None:
    rows = crm("report", "campaigns", "--format", "json").json()
    assert rows[0] == {
        "name": "Spring fair",
        "channel": "event",
        "starts_on": "2026-03-01",
        "ends_on": "2026-03-31",
        "leads": 4,
        "deals": 5,
        "won": 2,
        "won_amount": 14500.0,
        "revenue": 8234.56,
        "cost": 3000.0,
        "roi": 523_456 / 300_000,
        "cost_per_lead": 750.0,
        "cost_per_won": 1500.0,
        "other_currency": 0,
        "currency": "EUR",
    }
    assert rows[2]["roi"] is None and rows[3]["name"] == "total"
    table = crm("report", "campaigns", "--from", "2026-04-01").out
    assert "174.5%" not in table and "-100.0%" in table and "—" in table
    csv_rows = crm("report", "campaigns", "--channel", "event", "-f", "csv").out.splitlines()
    assert csv_rows[1].startswith("Spring fair,event,2026-03-01,2026-03-31,4,5,2,14500.00,8234.56,")
    shown = crm("campaign", "show", "Spring Fair", "-f", "json").json()
    assert (shown["leads"], shown["revenue"], shown["cost_per_won"]) == (4, 8234.56, 1500.0)


def test_cli_campaigns_and_deals(crm: Crm) -> None:
    added = crm("campaign", "add", "Spring fair", "--channel", "event", "--cost", "3000",
                "--from", "2026-03-01", "--to", "2026-03-31")  # fmt: skip
    assert added.out.strip() == "campaign #1 added: Spring fair (3,000.00 EUR)"
    dup = crm("campaign", "add", "spring  FAIR", ok=False)
    assert dup.code == 3
    crm("campaign", "edit", "1", "--cost", "2.5k", "--to", "")
    listed = crm("campaign", "list", "-f", "json").json()
    assert (listed[0]["cost"], listed[0]["ends_on"]) == (2500.0, None)
    crm("deal", "add", "Fair deal", "--amount", "900", "--campaign", "SPRING fair")
    assert crm("deal", "show", "1", "-f", "json").json()["campaign"] == "Spring fair"
    unknown = crm("deal", "edit", "1", "--campaign", "Autumn", ok=False)
    assert unknown.code == 2 and "campaign not found: 'Autumn'" in unknown.err
    crm("deal", "edit", "1", "--campaign", "")
    assert crm("deal", "show", "1", "-f", "json").json()["campaign"] is None
    crm("deal", "edit", "1", "--campaign", "1")
    crm("campaign", "rm", "spring fair", "--yes")
    assert crm("deal", "show", "1", "-f", "json").json()["campaign"] is None
    assert crm("campaign", "list", ok=False).code == 1


def test_deal_import_takes_a_campaign_column(crm: Crm, tmp_path: Path) -> None:
    crm("campaign", "add", "Spring fair", "--cost", "100")
    source = tmp_path / "deals.csv"
    source.write_text(
        "title,amount,company,status,utm_campaign\n"
        "Globex pilot,2000,Globex,won,spring FAIR\n"
        "Initech,500,Initech,open,Newsletter\n"
        "No campaign,100,Acme,open,\n"
    )
    out = crm("import", "deals", str(source)).out
    assert "3 created" in out and " 1 campaign)" in out
    assert [crm("deal", "show", str(n), "-f", "json").json()["campaign"] for n in (1, 2, 3)] == [
        "Spring fair", "Newsletter", None,
    ]  # fmt: skip
    news = crm("campaign", "show", "newsletter", "-f", "json").json()
    assert (news["cost"], news["deals"], news["currency"]) == (0.0, 1, "EUR")
    again = crm("import", "deals", str(source)).out
    assert "0 created" in again and "campaigns" not in again.split("also created")[-1]
