"""Solution articles (the knowledge base): added, listed, and found by the words in them
(SQLite's FTS5 index ranked by bm25; a case-insensitive LIKE over title and body on
PostgreSQL). Resolving a ticket can link one (`tickets.resolve_ticket`)."""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from datetime import datetime
from functools import reduce

from sqlalchemy import case, func, or_, select, text
from sqlmodel import Session, col
from sqlmodel import select as model_select

from tinycrm.db.query import check_limit
from tinycrm.errors import InvalidInput
from tinycrm.models import KbArticle, Ticket
from tinycrm.models.base import table_of
from tinycrm.normalize import clean
from tinycrm.services.refs import by_id, escape_like

TICKETS = table_of(Ticket)


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
        raise InvalidInput("article body", body, "must not be empty")
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
    """Articles holding every word (as a word prefix: `invoice` finds `invoices`), best
    first; when none holds them all, those holding any of them (a user's `wifi controller`
    still finds the article on the Wi-Fi controller)."""
    words = _words(query)
    hits = _hits(session, words, limit, every=True)
    if not hits and len(words) > 1:
        hits = _hits(session, words, limit, every=False)
    articles = {a.id: a for a in _articles(session, ids=[h[0] for h in hits])}
    return [
        ArticleRow(**{**articles[i].__dict__, "snippet": snip, "score": score})
        for i, score, snip in hits
        if i in articles
    ]


def _hits(
    session: Session, words: list[str], limit: int, *, every: bool
) -> list[tuple[int, float, str | None]]:
    """(article id, score, snippet) of the best matches, best first."""
    if session.get_bind().dialect.name != "sqlite":
        return _like_search(session, words, limit, every=every)
    terms = ['"' + w.replace('"', '""') + '"*' for w in words]
    ranked = session.connection().execute(
        text(
            f"SELECT rowid, bm25(kb_fts, {TITLE_WEIGHT}, 1.0) AS rank, "
            "snippet(kb_fts, -1, '«', '»', '…', 12) FROM kb_fts WHERE kb_fts MATCH :match "
            "ORDER BY rank, rowid LIMIT :limit"
        ),
        {"match": (" " if every else " OR ").join(terms), "limit": check_limit(limit)},
    )
    return [(int(r[0]), -float(r[1]), r[2]) for r in ranked]


def _like_search(
    session: Session, words: list[str], limit: int, *, every: bool
) -> list[tuple[int, float, str | None]]:
    """Every word (or any, with `every` false) somewhere in the title or body, in any case;
    ranked by the words in the title, then by the words found."""
    title, body = col(KbArticle.title), col(KbArticle.body)
    patterns = ["%" + escape_like(w) + "%" for w in words]
    in_title = reduce(
        operator.add, [case((title.ilike(p, escape="\\"), 1), else_=0) for p in patterns]
    )
    found = [or_(title.ilike(p, escape="\\"), body.ilike(p, escape="\\")) for p in patterns]
    in_all = reduce(operator.add, [case((f, 1), else_=0) for f in found])
    query = (
        select(col(KbArticle.id), in_title.label("score"), col(KbArticle.body))
        .where(*found if every else [or_(*found)])
        .order_by(text("score DESC"), in_all.desc(), col(KbArticle.id))
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
