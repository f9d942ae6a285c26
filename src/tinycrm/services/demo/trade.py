"""The demo team's marketing and after-sale records: the campaigns that brought contacts in,
the orders their won deals led to, the money received on them, and the service desk
(tickets, some resolved with a solution article and a satisfaction score).

Dates follow each deal's own history: an order comes a few days after the deal was won, and
money arrives some days after the order, but nothing lands after today. So whatever `now`
the demo is built at, receivables have something paid, something owed and (unless every
deal was won in the last days) something overdue."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlmodel import Session

from tinycrm.models import Deal, TicketPriority, User
from tinycrm.money import Money
from tinycrm.services.campaigns import create_campaign
from tinycrm.services.kb import add_article
from tinycrm.services.orders import add_payment, create_order
from tinycrm.services.tickets import comment_ticket, open_ticket, resolve_ticket

if TYPE_CHECKING:
    from collections.abc import Mapping

# name, channel, cost in major units, days before today it started and ended, the contact
# source it brought in
_CAMPAIGNS = (
    ("Spring trade fair", "event", 3_000, 160, 157, "trade fair"),
    ("LinkedIn ads", "ads", 1_200, 120, 30, "LinkedIn"),
    ("Partner webinars", "webinar", 800, 75, 20, "webinar"),
)

# deal title: orders as (percent of the deal, days after it was won, days until due,
# payments as (percent of the order, days after the order, method))
_ORDERS: dict[str, tuple[tuple[int, int, int, tuple[tuple[int, int, str], ...]], ...]] = {
    "POS system for three cafés": ((100, 1, 30, ((50, 5, "card"), (50, 35, "transfer"))),),
    "Fleet tracking for 60 trucks": (
        (50, 2, 30, ((100, 28, "transfer"),)),
        (50, 40, 30, ()),
    ),
    "Guest Wi-Fi upgrade": ((100, 1, 14, ((55, 10, "transfer"),)),),
    "Analytics consulting retainer": ((100, 0, 30, ((100, 3, "card"),)),),
    "Online booking rollout": ((100, 1, 30, ()),),
    "Support renewal 2027": ((100, 0, 14, ()),),
}

# title, body
_ARTICLES = (
    ("Tracker shows offline",
     "A tracker that shows offline has usually lost mobile data. Check the SIM has credit, "
     "then power-cycle the unit: hold the button for ten seconds until the LED blinks green."),
    ("Receipt printer troubleshooting",
     "If receipts stop printing, check the paper roll faces the right way, then restart the "
     "printer and the POS app. A red light means the cover is not closed."),
    ("Changing invoice details",
     "Company name, address and VAT number on invoices come from the customer record. Correct "
     "them there and ask finance to reissue the invoice; the old number is cancelled."),
    ("Resetting the guest Wi-Fi controller",
     "When access points drop clients, restart the controller from the admin page, then the "
     "access points one wing at a time. Keep the controller firmware up to date."),
)  # fmt: skip

# contact, subject, priority, hours before now it was opened, owner key, and when resolved:
# (hours after opening, article title, satisfaction score); a comment on the ticket or None
_TICKETS = (
    ("Valentina Gómez", "Receipt printer stopped printing", "urgent", 40 * 24, "priya",
     (3, "Receipt printer troubleshooting", 4), None),
    ("Sanne Bakker", "Invoice shows the wrong VAT number", "normal", 12 * 24, "daniel",
     (30, "Changing invoice details", 3), "Finance will reissue the invoice this week."),
    ("Pieter de Vries", "Two trackers show offline", "high", 9 * 24, "daniel",
     (6, "Tracker shows offline", 5), None),
    ("Ananya Iyer", "Wi-Fi drops in the east wing", "high", 2 * 24, "fang", None,
     "Asked for the controller logs."),
    ("Amelia Clarke", "Booking confirmation emails arrive late", "normal", 20, "priya", None,
     None),
    ("Sofia Rossi", "Question about the retainer hours", "low", 1, "maria", None, None),
)  # fmt: skip


def add_campaigns(
    session: Session, *, today: date, now: datetime, currency: str, unit: int
) -> dict[str, str]:
    """The campaigns, and which one brought in a contact of each source."""
    by_source = {}
    for name, channel, cost, start, end, source in _CAMPAIGNS:
        create_campaign(
            session,
            name=name,
            channel=channel,
            cost_minor=cost * unit,
            currency=currency,
            starts_on=today - timedelta(start),
            ends_on=today - timedelta(end),
            now=now,
        )
        by_source[source] = name
    return by_source


def add_orders(session: Session, *, deals: Mapping[str, int], today: date, now: datetime) -> None:
    """Orders on the won deals and what was received on them, up to today."""
    for title, orders in _ORDERS.items():
        deal = session.get_one(Deal, deals[title])
        assert deal.closed_at is not None, f"the demo deal {title!r} must be won"
        won = deal.closed_at.date()
        for percent, after, due_in, payments in orders:
            ordered = min(won + timedelta(after), today)
            order = create_order(
                session,
                deal=deal.id,
                amount=_share(deal.amount_minor, percent, deal.currency),
                ordered_on=ordered,
                due_on=ordered + timedelta(due_in),
                now=now,
            )
            for part, days, method in payments:
                add_payment(
                    session,
                    order=order.id,
                    amount=_share(order.amount.minor, part, order.amount.currency),
                    received_on=min(ordered + timedelta(days), today),
                    method=method,
                    now=now,
                )


def _share(minor: int, percent: int, currency: str) -> str:
    """`percent` of an amount in minor units, as the text the services take."""
    return Money(minor * percent // 100, currency).plain()


def add_service_desk(
    session: Session, *, contacts: Mapping[str, int], users: Mapping[str, User], now: datetime
) -> None:
    """Solution articles, and tickets: resolved (linked and rated), overdue and open."""
    articles = {
        title: add_article(session, title=title, body=body, now=now - timedelta(days=60)).id
        for title, body in _ARTICLES
    }
    for contact, subject, priority, hours, owner, resolved, comment in _TICKETS:
        opened = now - timedelta(hours=hours)
        ticket = open_ticket(
            session,
            subject=subject,
            priority=TicketPriority(priority),
            contact=str(contacts[contact]),
            actor=users[owner],
            now=opened,
        )
        if comment is not None:
            at = opened + timedelta(hours=1)
            comment_ticket(session, ref=ticket.id, body=comment, actor=users[owner], now=at)
        if resolved is not None:
            after, article, score = resolved
            at = opened + timedelta(hours=after)
            resolve_ticket(session, ref=ticket.id, now=at, article=articles[article], csat=score)
