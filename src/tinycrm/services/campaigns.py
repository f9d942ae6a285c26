"""Campaigns, what they cost and what they brought in: leads, deals and money received.

Won revenue is money actually received: the payments on the orders of the campaign's won
deals (in the campaign's currency), not the deal amounts, which are shown beside it as
`won_amount`. ROI = (won revenue − cost) ÷ cost, none when the cost is zero.

The period of the report selects campaigns by their own dates: a campaign is in a period
when it ran during some of it (no start date: since always; no end date: still running).
Its figures are then everything it brought in, whenever the leads, deals and payments came,
so a campaign's whole cost is set against everything it returned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlmodel import Session

from tinycrm.errors import Conflict, EndsBeforeStart, InvalidInput, check_version
from tinycrm.models import Campaign, Contact, Deal, DealStatus, Order, Payment
from tinycrm.models.base import table_of
from tinycrm.money import Money, check_currency
from tinycrm.normalize import clean, name_key
from tinycrm.services import access
from tinycrm.services.refs import resolve_campaign
from tinycrm.services.reports.aggregates import round_half_up, sum_if

CAMPAIGNS = table_of(Campaign)
CONTACTS = table_of(Contact)
DEALS = table_of(Deal)
ORDERS = table_of(Order)
PAYMENTS = table_of(Payment)
EDITABLE = ("name", "channel", "cost_minor", "currency", "starts_on", "ends_on", "notes")


@dataclass(frozen=True)
class CampaignRow:
    id: int
    name: str
    channel: str | None
    cost: Money
    starts_on: date | None
    ends_on: date | None
    notes: str | None


def _row(c: Campaign) -> CampaignRow:
    assert c.id is not None
    return CampaignRow(
        c.id, c.name, c.channel, Money(c.cost_minor, c.currency), c.starts_on, c.ends_on, c.notes
    )


def _check(c: Campaign) -> None:
    if not c.name:
        raise InvalidInput("name", c.name, "a campaign needs a name")
    if c.cost_minor < 0:
        raise InvalidInput("cost", c.cost_minor, "must not be negative")
    if c.starts_on and c.ends_on and c.ends_on < c.starts_on:
        raise EndsBeforeStart("to", c.ends_on, start_field="from", start=c.starts_on)


def _unique(session: Session, c: Campaign) -> None:
    query = select(Campaign).where(CAMPAIGNS.c.name_key == c.name_key)
    if c.id is not None:
        query = query.where(CAMPAIGNS.c.id != c.id)
    clash = session.scalars(query).first()
    if clash is not None:
        raise Conflict(f"a campaign named {clash.name!r} exists (#{clash.id})")


def create_campaign(
    session: Session,
    *,
    name: str,
    currency: str,
    cost_minor: int = 0,
    channel: str | None = None,
    starts_on: date | None = None,
    ends_on: date | None = None,
    notes: str | None = None,
    now: datetime,
) -> CampaignRow:
    """A campaign; names are unique whatever their case and spacing."""
    campaign = Campaign(
        name=" ".join(name.split()),
        name_key=name_key(name),
        channel=_channel(channel),
        cost_minor=cost_minor,
        currency=check_currency(currency),
        starts_on=starts_on,
        ends_on=ends_on,
        notes=clean(notes),
        created_at=now,
    )
    _check(campaign)
    _unique(session, campaign)
    session.add(campaign)
    session.flush()
    return _row(campaign)


def _channel(text: str | None) -> str | None:
    return " ".join(text.lower().split()) or None if text else None


def update_campaign(
    session: Session, *, ref: str, changes: dict[str, Any], version: int | None = None
) -> CampaignRow:
    """Change the given fields (keys of `EDITABLE`); a None value clears an optional one.
    Refused when `version` is given and the campaign is at another."""
    campaign = resolve_campaign(session, ref)
    check_version(f"campaign #{campaign.id}", campaign.version, version)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InvalidInput("field", ", ".join(sorted(unknown)), "not a campaign field")
    if "name" in changes:
        changes["name_key"] = name_key(changes["name"] or "")
        changes["name"] = " ".join((changes["name"] or "").split())
    if "channel" in changes:
        changes["channel"] = _channel(changes["channel"])
    if "currency" in changes:
        changes["currency"] = check_currency(changes["currency"] or "")
    if "notes" in changes:
        changes["notes"] = clean(changes["notes"])
    campaign.sqlmodel_update(changes)
    _check(campaign)
    _unique(session, campaign)
    session.add(campaign)
    session.flush()
    return _row(campaign)


def delete_campaign(session: Session, *, ref: str) -> CampaignRow:
    """Delete a campaign; its contacts and deals stay, with no campaign."""
    campaign = resolve_campaign(session, ref)
    row = _row(campaign)
    conn = session.connection()
    for table in (CONTACTS, DEALS):
        conn.execute(
            update(table).where(table.c.campaign_id == campaign.id).values(campaign_id=None)
        )
    session.delete(campaign)
    session.flush()
    return row


def get_campaign(session: Session, *, ref: str) -> CampaignRow:
    return _row(resolve_campaign(session, ref))


def list_campaigns(session: Session, *, channel: str | None = None) -> list[CampaignRow]:
    """Campaigns, latest start first (undated ones last)."""
    query = select(Campaign)
    if channel:
        query = query.where(CAMPAIGNS.c.channel == _channel(channel))
    starts = CAMPAIGNS.c.starts_on
    query = query.order_by(starts.is_(None), starts.desc(), CAMPAIGNS.c.id)
    return [_row(c) for c in session.scalars(query)]


def campaign_id(session: Session, ref: str | None) -> int | None:
    """The id of the campaign a user named; None for an empty reference (no campaign)."""
    if ref is None or not ref.strip():
        return None
    return resolve_campaign(session, ref).id


# --- report --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignFigures:
    id: int | None
    """None for the total row."""
    name: str
    channel: str | None
    starts_on: date | None
    ends_on: date | None
    currency: str
    leads: int
    """Contacts the campaign brought in (whatever their status now)."""
    deals: int
    """Deals opened from the campaign."""
    won: int
    won_amount_minor: int
    """Σ amounts of the won deals (for reference; ROI does not use it)."""
    revenue_minor: int
    """Σ payments received on the orders of the won deals."""
    cost_minor: int
    roi: float | None
    cost_per_lead_minor: int | None
    cost_per_won_minor: int | None
    other_currency: int
    """Won deals and payments in another currency than the campaign's: counted, not summed."""


def _ratio(cost: int, count: int) -> int | None:
    """cost ÷ count rounded half up to the minor unit."""
    return round_half_up(Fraction(cost, count)) if count else None


def _figures(
    id_: int | None, head: tuple[Any, ...], currency: str, counts: list[int]
) -> CampaignFigures:
    name, channel, starts_on, ends_on = head
    leads, deals, won, won_amount, revenue, cost, other = counts
    roi = float(Fraction(revenue - cost, cost)) if cost else None
    return CampaignFigures(
        id_,
        name,
        channel,
        starts_on,
        ends_on,
        currency,
        leads,
        deals,
        won,
        won_amount,
        revenue,
        cost,
        roi,
        _ratio(cost, leads),
        _ratio(cost, won),
        other,
    )


def _grouped(session: Session, query: Any, ids: list[int]) -> dict[int, list[int]]:
    if not ids:
        return {}
    return {r[0]: [int(x) for x in r[1:]] for r in session.connection().execute(query)}


@access.reads_for("reports", "read")
def campaign_report(
    session: Session,
    *,
    currency: str,
    first: date | None = None,
    last: date | None = None,
    channel: str | None = None,
    ids: list[int] | None = None,
) -> tuple[list[CampaignFigures], CampaignFigures]:
    """Per campaign that ran in `first`..`last`: leads, deals, won, revenue, cost and ROI;
    and a total over the campaigns in `currency` (others are left out of it)."""
    c = CAMPAIGNS
    where = []
    if first is not None:
        where.append(or_(c.c.ends_on.is_(None), c.c.ends_on >= first))
    if last is not None:
        where.append(or_(c.c.starts_on.is_(None), c.c.starts_on <= last))
    if channel:
        where.append(c.c.channel == _channel(channel))
    if ids is not None:
        where.append(c.c.id.in_(ids))
    campaigns = list(
        session.connection().execute(
            select(
                c.c.id,
                c.c.name,
                c.c.channel,
                c.c.starts_on,
                c.c.ends_on,
                c.c.currency,
                c.c.cost_minor,
            )  # fmt: skip
            .where(*where)
            .order_by(c.c.starts_on.is_(None), c.c.starts_on, c.c.name_key)
        )
    )
    ids = [r.id for r in campaigns]
    leads = _grouped(session, _leads(ids), ids)
    deals = _grouped(session, _deals(ids), ids)
    paid = _grouped(session, _payments(ids), ids)
    rows = []
    for r in campaigns:
        opened, won, amount, other_deals = deals.get(r.id, [0, 0, 0, 0])
        revenue, other_paid = paid.get(r.id, [0, 0])
        counts = [leads.get(r.id, [0])[0], opened, won, amount, revenue, int(r.cost_minor)]
        head = (r.name, r.channel, r.starts_on, r.ends_on)
        rows.append(_figures(r.id, head, r.currency, [*counts, other_deals + other_paid]))
    mine = [f for f in rows if f.currency == currency]
    sums = [
        sum(getattr(f, k) for f in mine)
        for k in ("leads", "deals", "won", "won_amount_minor", "revenue_minor", "cost_minor",
                  "other_currency")
    ]  # fmt: skip
    return rows, _figures(None, ("total", None, first, last), currency, sums)


def campaign_figures(session: Session, *, campaign_id: int) -> CampaignFigures:
    """One campaign's report row."""
    rows, _ = campaign_report(session, currency="", ids=[campaign_id])
    return rows[0]


def _leads(ids: list[int]) -> Any:
    return (
        select(CONTACTS.c.campaign_id, func.count())
        .where(CONTACTS.c.campaign_id.in_(ids))
        .group_by(CONTACTS.c.campaign_id)
    )


def _deals(ids: list[int]) -> Any:
    won = DEALS.c.status == DealStatus.won.value
    same = DEALS.c.currency == CAMPAIGNS.c.currency
    return (
        select(
            DEALS.c.campaign_id,
            func.count(),
            sum_if(won),
            sum_if(and_(won, same), DEALS.c.amount_minor),
            sum_if(and_(won, ~same)),
        )
        .join(CAMPAIGNS, CAMPAIGNS.c.id == DEALS.c.campaign_id)
        .where(DEALS.c.campaign_id.in_(ids))
        .group_by(DEALS.c.campaign_id)
    )


def _payments(ids: list[int]) -> Any:
    same = PAYMENTS.c.currency == CAMPAIGNS.c.currency
    return (
        select(DEALS.c.campaign_id, sum_if(same, PAYMENTS.c.amount_minor), sum_if(~same))
        .select_from(PAYMENTS)
        .join(ORDERS, ORDERS.c.id == PAYMENTS.c.order_id)
        .join(DEALS, DEALS.c.id == ORDERS.c.deal_id)
        .join(CAMPAIGNS, CAMPAIGNS.c.id == DEALS.c.campaign_id)
        .where(DEALS.c.campaign_id.in_(ids), DEALS.c.status == DealStatus.won.value)
        .group_by(DEALS.c.campaign_id)
    )


# --- imports -------------------------------------------------------------------------------


class ImportCampaigns:
    """Campaigns an import names, by name in any case and spacing; missing ones are created
    (with no cost, in the import's currency) and counted in `created`."""

    def __init__(self, session: Session, currency: str, now: datetime) -> None:
        self.session, self.currency, self.now = session, currency, now
        self.ids: dict[str, int] = {}
        self.created = 0

    def resolve(self, names: list[str | None]) -> None:
        keys: dict[str, str] = {}
        for n in names:
            if n and n.strip():
                keys.setdefault(name_key(n), " ".join(n.split()))  # the first spelling wins
        wanted = [k for k in keys if k not in self.ids]
        if not wanted:
            return
        found = self.session.connection().execute(
            select(CAMPAIGNS.c.name_key, CAMPAIGNS.c.id).where(CAMPAIGNS.c.name_key.in_(wanted))
        )
        self.ids.update({k: int(i) for k, i in found})
        for key in wanted:
            if key not in self.ids:
                row = create_campaign(
                    self.session, name=keys[key], currency=self.currency, now=self.now
                )
                self.ids[key] = row.id
                self.created += 1

    def id_of(self, name: str | None) -> int | None:
        return self.ids.get(name_key(name)) if name and name.strip() else None
