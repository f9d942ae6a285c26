"""Follow-up calls for `crm remind` and the agenda: a follow-up not done is a reminder from its
due day (the user's calendar day) for the owner of the ticket or the order it follows, once per
due day to each person; the agenda lists it on its due day (plain SQL, like the rest of
`crm remind`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from typing import Any

from tinycrm.db.plain_sql import Sql
from tinycrm.services.reach import in_reach, joined
from tinycrm.services.reminders import Reminder, RemindOptions, about

_FOLLOWUPS = """
SELECT f.id, f.due_on, f.ticket_id, f.order_id, t.subject, u.name, c.id, c.full_name,
       co.id, co.name
FROM followups f
LEFT JOIN tickets t ON t.id = f.ticket_id
LEFT JOIN orders o ON o.id = f.order_id
LEFT JOIN users u ON u.id = COALESCE(t.owner_id, o.owner_id)
LEFT JOIN contacts c ON c.id = COALESCE(t.contact_id, o.contact_id) {in_contacts}
LEFT JOIN companies co ON co.id = COALESCE(t.company_id, o.company_id) {in_companies}
WHERE f.done_at IS NULL AND {when} {new} {owner}
  AND ((t.id IS NOT NULL {tickets}) OR (o.id IS NOT NULL {orders}))
ORDER BY f.due_on, f.id
"""
"""A follow-up is read, and its owner is, through its ticket or its order (one of the two);
one the user may not read is left out."""
_NEW = "AND (f.reminded_on IS NULL OR f.reminded_on <> f.due_on)"

Customer = tuple[str, int, str] | None
"""Whom a follow-up calls: ("contact", id, name), else ("company", id, name); None when the
user may read neither."""


def due_followups(sql: Sql, opts: RemindOptions) -> Iterator[Reminder]:
    """Follow-ups not done that are due by the end of today in the user's zone (or of the day
    `opts.within` reaches), not yet delivered for that due day (all of them with
    `delivered_too`), by due day."""
    today = opts.now.astimezone(opts.tz).date()
    until = (opts.now + opts.within).astimezone(opts.tz).date()
    new = "" if opts.delivered_too else _NEW
    for r, _customer, _follows in _find(sql, opts, "f.due_on <= :until", new, until=until):
        assert r.day is not None
        state = "overdue" if r.day < today else "due" if r.day == today else "upcoming"
        yield replace(r, reasons=(state,))


def followups_between(
    sql: Sql, opts: RemindOptions, *, first: date, last: date
) -> list[tuple[Reminder, Customer, str]]:
    """Follow-ups not done due from `first` to `last` (the agenda's), with whom to call and
    what the call follows (`ticket #4`, `order #7`)."""
    when = "f.due_on >= :first AND f.due_on <= :last"
    return list(_find(sql, opts, when, "", first=first, last=last))


def _find(
    sql: Sql, opts: RemindOptions, when: str, new: str, **params: Any
) -> Iterator[tuple[Reminder, Customer, str]]:
    query = _FOLLOWUPS.format(
        when=when,
        new=new,
        owner="AND COALESCE(t.owner_id, o.owner_id) = :owner" if opts.owner_id is not None else "",
        tickets=in_reach(opts.reach, "tickets", "t.owner_id"),
        orders=in_reach(opts.reach, "orders", "o.owner_id"),
        **joined(opts.reach),
    )
    for row in sql.stream(query, owner=opts.owner_id, **params):
        id_, due, ticket, order, subject, owner, contact_id, contact, company_id, company = row
        due_on = Sql.day(due)
        assert due_on is not None
        title = f"ticket #{ticket} resolved: {subject}" if ticket else f"order #{order} delivered"
        customer: Customer = (
            ("contact", int(contact_id), contact) if contact_id is not None
            else ("company", int(company_id), company) if company_id is not None else None
        )  # fmt: skip
        reminder = Reminder(
            kind="followup",
            key=f"followup:{id_}:{due_on}",
            marks=(due_on,),
            id=id_,
            title=title,
            day=due_on,
            owner=owner,
            about=about(contact, company),
        )
        yield reminder, customer, f"ticket #{ticket}" if ticket else f"order #{order}"
