"""Contract renewals for `crm remind`: an active contract from `AHEAD_DAYS` before its
notice date (the last day to renew or give notice) until its last day, delivered once per
notice date to each person (plain SQL, like the rest of `crm remind`)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tinycrm.db.plain_sql import Sql
from tinycrm.services.reach import in_reach, joined
from tinycrm.services.reminders import Reminder, RemindOptions, about, undelivered

AHEAD_DAYS = 14
"""How long before a contract's notice date its renewal is a reminder."""

_RENEWALS = """
SELECT k.id, k.ends_on, k.notice_on, k.value_minor, k.currency, k.renew, u.name,
       c.full_name, co.name
FROM contracts k
JOIN orders o ON o.id = k.order_id
LEFT JOIN users u ON u.id = o.owner_id
LEFT JOIN contacts c ON c.id = o.contact_id {in_contacts}
LEFT JOIN companies co ON co.id = o.company_id {in_companies}
WHERE k.status = 'active' AND {when} {owner} {mine}
ORDER BY k.notice_on, k.id
"""


_ROLL_OVER_DUE = """
SELECT 1 FROM contracts
WHERE status = 'active' AND renew = 'auto' AND ends_on < :today {may}
LIMIT 1
"""


def roll_over_due(sql: Sql, *, today: date) -> bool:
    """Whether a contract that renews by itself has ended before `today` (and, on the team
    server, this login may add contracts): then `services.contracts.roll_over` has work. A
    cheap look, so `crm remind` loads the ORM only on the day a term ends."""
    may = "" if sql.sqlite else "AND has_table_privilege('contracts', 'INSERT')"
    return bool(sql.rows(_ROLL_OVER_DUE.format(may=may), today=today))


def contract_renewals(sql: Sql, opts: RemindOptions) -> list[Reminder]:
    """Active contracts whose notice date is at most `AHEAD_DAYS` away (or passed) and whose
    term has not ended, of the orders the user may read, soonest notice first."""
    today = opts.now.astimezone(opts.tz).date()
    horizon = today + timedelta(days=AHEAD_DAYS)
    when = "k.notice_on <= :horizon AND k.ends_on >= :today"
    found = _find(sql, opts, when, today=today, horizon=horizon)
    if not opts.delivered_too:
        found = undelivered(sql, found, opts.recipient_id, kinds=("renewal",))
    return found


def notice_dates(sql: Sql, opts: RemindOptions, *, first: date, last: date) -> list[Reminder]:
    """Active contracts whose notice date falls from `first` to `last` (the agenda's)."""
    when = "k.notice_on >= :first AND k.notice_on <= :last"
    return _find(sql, opts, when, first=first, last=last)


def _find(sql: Sql, opts: RemindOptions, when: str, **params: Any) -> list[Reminder]:
    query = _RENEWALS.format(
        when=when,
        owner="AND o.owner_id = :owner" if opts.owner_id is not None else "",
        mine=in_reach(opts.reach, "orders", "o.owner_id"),
        **joined(opts.reach),
    )
    found = []
    for id_, ends, notice, value, cur, renew, owner, contact, company in sql.rows(
        query, owner=opts.owner_id, **params
    ):
        notice_on, ends_on = Sql.day(notice), Sql.day(ends)
        assert notice_on is not None and ends_on is not None
        found.append(
            Reminder(
                kind="renewal",
                key=f"renewal:{id_}:{notice_on}",
                id=id_,
                title=f"contract ends {ends_on}"
                + (", renews by itself" if renew == "auto" else ""),
                day=notice_on,
                owner=owner,
                about=about(contact, company),
                amount_minor=int(value),
                currency=cur,
                reasons=(str(renew),),
            )
        )
    return found
