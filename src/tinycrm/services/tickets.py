"""Customer service: tickets with a due time set by their priority (the SLA), comments,
resolution with a solution article and a satisfaction score (CSAT 1–5), the service
report, and the solution articles themselves, found by the words in them (SQLite's FTS5
index ranked by bm25; a case-insensitive LIKE over title and body on PostgreSQL).

A ticket is open or resolved; an open ticket past its due time is overdue. Reopening a
ticket starts its clock again: a new due time from the moment it is reopened.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from functools import reduce
from typing import Any

from sqlalchemy import and_, case, func, or_, select, text, true
from sqlmodel import Session, col
from sqlmodel import select as model_select

from tinycrm.errors import Conflict, CrmError, InvalidInput
from tinycrm.models import (
    Company,
    Contact,
    KbArticle,
    Ticket,
    TicketComment,
    TicketPriority,
    TicketStatus,
    User,
)
from tinycrm.normalize import clean
from tinycrm.services.imports import table_of
from tinycrm.services.query import check_limit
from tinycrm.services.refs import (
    by_id,
    escape_like,
    optional,
    resolve_company,
    resolve_contact,
    resolve_user,
)
from tinycrm.services.reports import (
    Period,
    add_months,
    date_range,
    median_per,
    seconds_between,
    sum_if,
    within,
)

TICKETS = table_of(Ticket)
USERS = table_of(User)
PRIORITIES = tuple(p.value for p in TicketPriority)
DEFAULT_SLA_HOURS: dict[str, float] = {"urgent": 4, "high": 24, "normal": 72, "low": 168}
"""Hours from opening to the due time per priority; config `sla_hours = {high = 8, …}`."""


def sla_hours(config: Any) -> dict[str, float]:
    """The hours per priority: the defaults, with the config's `sla_hours` table over them."""
    hours = dict(DEFAULT_SLA_HOURS)
    if config is None:
        return hours
    if not isinstance(config, Mapping):
        raise CrmError(f"config sla_hours: must be a table like {{high = 24}}: {config!r}")
    for key, value in config.items():
        if key not in hours:
            raise CrmError(
                f"config sla_hours: unknown priority {key!r} (one of: {', '.join(PRIORITIES)})"
            )
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise CrmError(f"config sla_hours.{key}: must be a positive number of hours: {value!r}")
        hours[key] = float(value)
    return hours


def priority_of(text_: str) -> TicketPriority:
    try:
        return TicketPriority(text_.strip().lower())
    except ValueError:
        raise InvalidInput("--priority", text_, "must be urgent, high, normal or low") from None


# --- tickets --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketRow:
    id: int
    subject: str
    priority: str
    status: str
    state: str
    """open, overdue (open past its due time at `now`) or resolved."""
    due_at: datetime | None
    owner: str | None
    contact: str | None
    company: str | None
    opened_at: datetime
    resolved_at: datetime | None
    csat: int | None
    article_id: int | None
    article: str | None
    body: str | None


@dataclass(frozen=True)
class CommentRow:
    id: int
    created_at: datetime
    author: str | None
    body: str


def _query() -> Any:
    return (
        model_select(Ticket, Contact.full_name, Company.name, User.name, KbArticle.title)  # type: ignore[call-overload]
        .outerjoin(Contact, col(Contact.id) == col(Ticket.contact_id))
        .outerjoin(Company, col(Company.id) == col(Ticket.company_id))
        .outerjoin(User, col(User.id) == col(Ticket.owner_id))
        .outerjoin(KbArticle, col(KbArticle.id) == col(Ticket.article_id))
    )


def _row(found: Sequence[Any], now: datetime) -> TicketRow:
    t, contact, company, owner, article = found
    state = "resolved" if t.status == TicketStatus.resolved else "open"
    if state == "open" and t.due_at is not None and t.due_at < now:
        state = "overdue"
    return TicketRow(
        t.id, t.subject, str(t.priority), str(t.status), state, t.due_at, owner, contact,
        company, t.opened_at, t.resolved_at, t.csat, t.article_id, article, t.body,
    )  # fmt: skip


def get_ticket(session: Session, *, ref: object, now: datetime) -> TicketRow:
    ticket = by_id(session, Ticket, ref, "ticket")
    return _row(session.exec(_query().where(col(Ticket.id) == ticket.id)).one(), now)


def ticket_comments(session: Session, *, ref: object) -> list[CommentRow]:
    ticket = by_id(session, Ticket, ref, "ticket")
    query = (
        model_select(TicketComment, User.name)
        .outerjoin(User, col(User.id) == col(TicketComment.author_id))
        .where(TicketComment.ticket_id == ticket.id)
        .order_by(col(TicketComment.created_at), col(TicketComment.id))
    )
    return [CommentRow(c.id or 0, c.created_at, name, c.body) for c, name in session.exec(query)]


def open_ticket(
    session: Session,
    *,
    subject: str,
    now: datetime,
    priority: TicketPriority = TicketPriority.normal,
    sla: Mapping[str, float] = DEFAULT_SLA_HOURS,
    due_at: datetime | None = None,
    contact: str | None = None,
    company: str | None = None,
    owner: str | None = None,
    body: str | None = None,
    actor: User | None = None,
) -> TicketRow:
    """A new open ticket, due `sla[priority]` hours from `now` unless `due_at` is given. The
    company defaults to the contact's; the owner to the acting user."""
    title = clean(subject)
    if not title:
        raise InvalidInput("subject", subject, "must not be empty")
    who = optional(session, resolve_contact, contact)
    firm = optional(session, resolve_company, company)
    keeper = optional(session, resolve_user, owner) or actor
    ticket = Ticket(
        subject=title,
        body=clean(body),
        contact_id=who.id if who else None,
        company_id=firm.id if firm else (who.company_id if who else None),
        owner_id=keeper.id if keeper else None,
        priority=priority,
        opened_at=now,
        due_at=due_at or now + timedelta(hours=sla[priority.value]),
        created_at=now,
        updated_at=now,
    )
    session.add(ticket)
    session.flush()
    return get_ticket(session, ref=ticket.id, now=now)


def _save(session: Session, ticket: Ticket, now: datetime) -> TicketRow:
    ticket.updated_at = now
    session.add(ticket)
    session.flush()
    return get_ticket(session, ref=ticket.id, now=now)


def assign_ticket(session: Session, *, ref: object, owner: str, now: datetime) -> TicketRow:
    ticket = by_id(session, Ticket, ref, "ticket")
    ticket.owner_id = resolve_user(session, owner).id
    return _save(session, ticket, now)


def comment_ticket(
    session: Session, *, ref: object, body: str, now: datetime, actor: User | None = None
) -> CommentRow:
    ticket = by_id(session, Ticket, ref, "ticket")
    words = clean(body)
    if not words:
        raise InvalidInput("comment", body, "must not be empty")
    comment = TicketComment(
        ticket_id=ticket.id or 0, author_id=actor.id if actor else None, body=words, created_at=now
    )
    session.add(comment)
    ticket.updated_at = now
    session.add(ticket)
    session.flush()
    return CommentRow(comment.id or 0, now, actor.name if actor else None, words)


def _check_csat(score: int | None) -> int | None:
    if score is not None and not 1 <= score <= 5:
        raise InvalidInput("csat", score, "must be from 1 to 5")
    return score


def resolve_ticket(
    session: Session,
    *,
    ref: object,
    now: datetime,
    article: object | None = None,
    csat: int | None = None,
) -> TicketRow:
    """Mark an open ticket resolved, linking the solution article and the score if given."""
    ticket = by_id(session, Ticket, ref, "ticket")
    if ticket.status == TicketStatus.resolved:
        raise Conflict(f"ticket #{ticket.id} is already resolved")
    if article is not None:
        ticket.article_id = by_id(session, KbArticle, article, "article").id
    ticket.csat = _check_csat(csat)
    ticket.status = TicketStatus.resolved
    ticket.resolved_at = now
    return _save(session, ticket, now)


def reopen_ticket(
    session: Session,
    *,
    ref: object,
    now: datetime,
    sla: Mapping[str, float] = DEFAULT_SLA_HOURS,
    due_at: datetime | None = None,
) -> TicketRow:
    """Open a resolved ticket again with a new due time (its score goes: it rated the
    resolution that did not hold)."""
    ticket = by_id(session, Ticket, ref, "ticket")
    if ticket.status != TicketStatus.resolved:
        raise Conflict(f"ticket #{ticket.id} is not resolved")
    ticket.status = TicketStatus.open
    ticket.resolved_at = None
    ticket.csat = None
    ticket.due_at = due_at or now + timedelta(hours=sla[str(ticket.priority)])
    return _save(session, ticket, now)


def rate_ticket(session: Session, *, ref: object, score: int, now: datetime) -> TicketRow:
    """Record the customer's satisfaction (1–5) with a resolved ticket."""
    ticket = by_id(session, Ticket, ref, "ticket")
    if ticket.status != TicketStatus.resolved:
        raise Conflict(f"ticket #{ticket.id} is not resolved yet (rate it once resolved)")
    ticket.csat = _check_csat(score)
    return _save(session, ticket, now)


TICKET_STATUSES = ("open", "resolved", "all")


def list_tickets(
    session: Session,
    *,
    now: datetime,
    status: str = "open",
    owner: str | None = None,
    priority: TicketPriority | None = None,
    overdue: bool = False,
    contact: str | None = None,
    limit: int | None = 50,
) -> list[TicketRow]:
    """Tickets, open ones first by due time, then the resolved ones most recent first."""
    if status not in TICKET_STATUSES:
        raise InvalidInput("--status", status, "must be open, resolved or all")
    query = _query()
    if overdue:
        query = query.where(col(Ticket.due_at) < now)
    if owner:
        query = query.where(Ticket.owner_id == resolve_user(session, owner).id)
    if priority is not None:
        query = query.where(Ticket.priority == priority)
    if contact:
        query = query.where(Ticket.contact_id == resolve_contact(session, contact).id)
    check_limit(limit)
    rows: list[TicketRow] = []
    if status in ("open", "all"):
        waiting = query.where(Ticket.status == TicketStatus.open).order_by(
            col(Ticket.due_at).asc().nulls_last(), col(Ticket.id)
        )
        rows += [_row(r, now) for r in session.exec(waiting.limit(limit))]
    if status in ("resolved", "all") and not overdue and (limit is None or len(rows) < limit):
        done = query.where(Ticket.status == TicketStatus.resolved).order_by(
            col(Ticket.resolved_at).desc(), col(Ticket.id)
        )
        rest = None if limit is None else limit - len(rows)
        rows += [_row(r, now) for r in session.exec(done.limit(rest))]
    return rows


# --- solution articles ----------------------------------------------------------------------


@dataclass(frozen=True)
class ArticleRow:
    id: int
    title: str
    body: str
    tickets: int
    """Tickets resolved with it."""
    updated_at: datetime
    snippet: str | None = None
    """The best matching passage (search), the words found marked «so»."""
    score: float | None = None
    """Search relevance, higher is better (SQLite: −bm25; PostgreSQL: words in the title)."""


def add_article(session: Session, *, title: str, body: str, now: datetime) -> ArticleRow:
    heading, text_ = clean(title), clean(body)
    if not heading:
        raise InvalidInput("title", title, "must not be empty")
    if not text_:
        raise InvalidInput("--body", body, "must not be empty")
    article = KbArticle(title=heading, body=text_, created_at=now, updated_at=now)
    session.add(article)
    session.flush()
    return get_article(session, ref=article.id)


def get_article(session: Session, *, ref: object) -> ArticleRow:
    article = by_id(session, KbArticle, ref, "article")
    return _articles(session, ids=[article.id or 0])[0]


def list_articles(session: Session, *, limit: int | None = None) -> list[ArticleRow]:
    """Articles by id, each with the number of tickets it resolved."""
    return _articles(session, limit=limit)


def _articles(
    session: Session, *, ids: list[int] | None = None, limit: int | None = None
) -> list[ArticleRow]:
    query = model_select(KbArticle).order_by(col(KbArticle.id))
    if ids is not None:
        query = query.where(col(KbArticle.id).in_(ids))
    found = list(session.exec(query.limit(check_limit(limit))))
    # Counted in one pass over the tickets (they have no index on article_id).
    linked = select(TICKETS.c.article_id, func.count()).where(TICKETS.c.article_id.is_not(None))
    if ids is not None:
        linked = linked.where(TICKETS.c.article_id.in_(ids))
    counted = session.connection().execute(linked.group_by(TICKETS.c.article_id))
    counts = {r[0]: int(r[1]) for r in counted}
    return [
        ArticleRow(a.id or 0, a.title, a.body, counts.get(a.id, 0), a.updated_at) for a in found
    ]


def _words(query: str) -> list[str]:
    words = re.findall(r"\w+", query)
    if not words:
        raise InvalidInput("words", query, "give at least one word to search for")
    return words


TITLE_WEIGHT = 10.0
"""bm25 weight of a word in the title against one in the body."""


def search_articles(session: Session, *, query: str, limit: int = 20) -> list[ArticleRow]:
    """Articles holding every word (as a word prefix: `invoice` finds `invoices`), best first."""
    words = _words(query)
    if session.get_bind().dialect.name == "sqlite":
        match = " ".join('"' + w.replace('"', '""') + '"*' for w in words)
        ranked = session.connection().execute(
            text(
                f"SELECT rowid, bm25(kb_fts, {TITLE_WEIGHT}, 1.0) AS rank, "
                "snippet(kb_fts, -1, '«', '»', '…', 12) FROM kb_fts WHERE kb_fts MATCH :match "
                "ORDER BY rank, rowid LIMIT :limit"
            ),
            {"match": match, "limit": check_limit(limit)},
        )
        hits = [(int(r[0]), -float(r[1]), r[2]) for r in ranked]
    else:
        hits = _like_search(session, words, limit)
    articles = {a.id: a for a in _articles(session, ids=[h[0] for h in hits])}
    return [
        ArticleRow(**{**articles[i].__dict__, "snippet": snip, "score": score})
        for i, score, snip in hits
        if i in articles
    ]


def _like_search(
    session: Session, words: list[str], limit: int
) -> list[tuple[int, float, str | None]]:
    """Every word somewhere in the title or body (any case), ranked by words in the title."""
    title, body = col(KbArticle.title), col(KbArticle.body)
    patterns = ["%" + escape_like(w) + "%" for w in words]
    in_title = reduce(
        operator.add, [case((title.ilike(p, escape="\\"), 1), else_=0) for p in patterns]
    )
    query = (
        select(col(KbArticle.id), in_title.label("score"), col(KbArticle.body))
        .where(*(or_(title.ilike(p, escape="\\"), body.ilike(p, escape="\\")) for p in patterns))
        .order_by(text("score DESC"), col(KbArticle.id))
        .limit(check_limit(limit))
    )
    return [
        (int(i), float(score), _snippet(body_, words)) for i, score, body_ in session.execute(query)
    ]


def _snippet(body: str, words: list[str], width: int = 80) -> str:
    """The passage of `body` around the first word found, the words marked «so»."""
    low = body.lower()
    at = min((i for w in words if (i := low.find(w.lower())) >= 0), default=0)
    start = max(0, at - width // 3)
    piece = body[start : start + width]
    for w in words:
        piece = re.sub(f"({re.escape(w)})", "«\\1»", piece, flags=re.IGNORECASE)
    return ("…" if start else "") + piece + ("…" if start + width < len(body) else "")


# --- the service report ---------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceRow:
    key: str
    """The owner's name, `(no owner)`, the period (`2026-11`), or `total`."""
    user_id: int | None
    open: int | None
    """Open now (per owner and total; None for a period row)."""
    overdue: int | None
    """Open now and past due (per owner and total; None for a period row)."""
    opened: int
    """Opened in the period."""
    resolved: int
    """Resolved in the period."""
    resolved_late: int
    """Of those, resolved after their due time."""
    median_hours: float | None
    """Median hours from opening to resolution, over those resolved in the period."""
    csat: float | None
    """Average score of the tickets resolved in the period that were rated."""
    csat_count: int


@dataclass(frozen=True)
class ServiceReport:
    period: Period
    by: str
    rows: list[ServiceRow]
    total: ServiceRow


SERVICE_BY = ("owner", "month", "quarter", "year")


def service_report(
    session: Session,
    *,
    period: Period,
    now: datetime,
    tz: tzinfo,
    by: str = "owner",
    owner: str | None = None,
) -> ServiceReport:
    """Per owner (or per month, quarter or year of the period) and in total: tickets open
    and overdue now, opened and resolved in the period, median hours to resolve, CSAT."""
    if by not in SERVICE_BY:
        raise InvalidInput("--by", by, "must be owner, month, quarter or year")
    owner_id = resolve_user(session, owner).id if owner else None
    mine = [TICKETS.c.owner_id == owner_id] if owner_id is not None else []
    if by == "owner":
        return _by_owner(session, period, now, owner_id, mine)
    return _by_period(session, period, now, tz, by, mine)


def _figures(session: Session, period: Period, key: Any, mine: list[Any]) -> dict[Any, list[Any]]:
    """Per `key`: opened, resolved, resolved late, rated, sum of scores (in the period)."""
    t = TICKETS.c
    done = and_(t.resolved_at.is_not(None), *within(t.resolved_at, period))
    query = select(
        key.label("k"),
        sum_if(and_(true(), *within(t.opened_at, period))),
        sum_if(done),
        sum_if(and_(done, t.resolved_at > t.due_at)),
        sum_if(and_(done, t.csat.is_not(None))),
        sum_if(and_(done, t.csat.is_not(None)), t.csat),
    ).where(*mine)
    rows = session.connection().execute(query.group_by(text("k")))
    return {r[0]: [int(x) for x in r[1:]] for r in rows}


def _durations(session: Session, period: Period, key: Any, mine: list[Any]) -> Any:
    """Seconds from opening to resolution (`v`) per `key` (`k`), resolved in the period."""
    t = TICKETS.c
    return (
        select(key.label("k"), seconds_between(session, t.opened_at, t.resolved_at).label("v"))
        .where(t.resolved_at.is_not(None), *within(t.resolved_at, period), *mine)
        .subquery()
    )


def _key_medians(session: Session, period: Period, key: Any, mine: list[Any]) -> dict[Any, float]:
    """Median hours to resolve per `key`."""
    values = _durations(session, period, key, mine)
    return {k: float(v) / 3600 for k, v in session.connection().execute(median_per(values, "k"))}


def _median_of_all(session: Session, period: Period, mine: list[Any], count: int) -> float | None:
    """Median hours to resolve over the `count` tickets resolved in the period: the middle
    one or two by a sort with LIMIT and OFFSET, cheaper than a window over them all."""
    if not count:
        return None
    values = _durations(session, period, true(), mine)
    middle = select(values.c.v).order_by(values.c.v).limit(2 - count % 2)
    found = [float(r[0]) for r in session.connection().execute(middle.offset((count - 1) // 2))]
    return sum(found) / len(found) / 3600


def _service_row(
    key: str,
    user_id: int | None,
    figures: Sequence[int],
    median: float | None,
    backlog: tuple[int, int] | None,
) -> ServiceRow:
    opened, resolved, late, rated, points = figures
    return ServiceRow(
        key, user_id, backlog[0] if backlog else None, backlog[1] if backlog else None,
        opened, resolved, late, median, points / rated if rated else None, rated,
    )  # fmt: skip


def _backlog(session: Session, now: datetime, mine: list[Any]) -> dict[Any, tuple[int, int]]:
    """Per owner: tickets open now, and those past due (from the (owner, status) index)."""
    t = TICKETS.c
    query = select(t.owner_id, func.count(), sum_if(t.due_at < now)).where(
        t.status == "open", *mine
    )
    rows = session.connection().execute(query.group_by(t.owner_id))
    return {r[0]: (int(r[1]), int(r[2])) for r in rows}


def _by_owner(
    session: Session, period: Period, now: datetime, owner_id: int | None, mine: list[Any]
) -> ServiceReport:
    key = TICKETS.c.owner_id
    figures = _figures(session, period, key, mine)
    medians = _key_medians(session, period, key, mine)
    backlog = _backlog(session, now, mine)
    users = select(USERS.c.id, USERS.c.name).order_by(USERS.c.name)
    if owner_id is not None:
        users = users.where(USERS.c.id == owner_id)
    people: list[tuple[int | None, str]] = [
        (r[0], r[1]) for r in session.connection().execute(users)
    ]
    if owner_id is None and (None in figures or None in backlog):
        people.append((None, "(no owner)"))
    zero = [0] * 5
    rows = [
        _service_row(name, uid, figures.get(uid, zero), medians.get(uid), backlog.get(uid, (0, 0)))
        for uid, name in people
    ]
    sums = [sum(f[i] for f in figures.values()) for i in range(5)]
    total = _service_row(
        "total", None, sums, _median_of_all(session, period, mine, sums[1]), _waiting(backlog)
    )
    return ServiceReport(period, "owner", rows, total)


def _buckets(session: Session, period: Period, now: datetime, tz: tzinfo, by: str) -> list[Period]:
    """The months, quarters or years that the period covers, from its first day (the first
    ticket's when it has none) to its last day or today, whichever comes first."""
    today = now.astimezone(tz).date()
    first, last = period.first, min(period.last or today, today)
    if first is None:
        earliest = session.connection().execute(select(func.min(TICKETS.c.opened_at))).scalar()
        first = earliest.astimezone(tz).date() if earliest is not None else last
    size = {"month": 1, "quarter": 3, "year": 12}[by]
    start = date(first.year, (first.month - 1) // size * size + 1, 1)
    spans: list[Period] = []
    while start <= last and len(spans) < 1200:
        after = add_months(start, size)
        span = date_range(max(start, first), min(after - timedelta(days=1), last), tz)
        label = {
            "month": f"{start:%Y-%m}",
            "quarter": f"{start.year}-Q{(start.month - 1) // 3 + 1}",
            "year": f"{start.year}",
        }[by]
        spans.append(Period(label, span.first, span.last, span.start, span.end, span.months))
        start = after
    return spans


def _bucket_of(column: Any, spans: list[Period]) -> Any:
    """The index of the span holding `column` (-1 before the first, len after the last)."""
    whens = [(column < s.end, i) for i, s in enumerate(spans) if s.end is not None]
    return case((column < spans[0].start, -1), *whens, else_=len(spans))


def _by_period(
    session: Session, period: Period, now: datetime, tz: tzinfo, by: str, mine: list[Any]
) -> ServiceReport:
    """Opened per span of its opening; resolved, late, median and CSAT per span of its
    resolution; the total also has what is open and overdue now."""
    spans = _buckets(session, period, now, tz, by)
    t = TICKETS.c
    zero = [0] * 5
    opened: dict[Any, list[int]] = {}
    resolved: dict[Any, list[int]] = {}
    medians: dict[Any, float] = {}
    if spans:
        opened = _figures(session, period, _bucket_of(t.opened_at, spans), mine)
        resolved = _figures(session, period, _bucket_of(t.resolved_at, spans), mine)
        medians = _key_medians(session, period, _bucket_of(t.resolved_at, spans), mine)
    rows = [
        _service_row(
            span.label,
            None,
            [opened.get(i, zero)[0], *resolved.get(i, zero)[1:]],
            medians.get(i),
            None,
        )
        for i, span in enumerate(spans)
    ]
    sums = [sum(r[i] for r in (opened if i == 0 else resolved).values()) for i in range(5)]
    backlog = _backlog(session, now, mine)
    total = _service_row(
        "total", None, sums, _median_of_all(session, period, mine, sums[1]), _waiting(backlog)
    )
    return ServiceReport(period, by, rows, total)


def _waiting(backlog: dict[Any, tuple[int, int]]) -> tuple[int, int]:
    return sum(b[0] for b in backlog.values()), sum(b[1] for b in backlog.values())
