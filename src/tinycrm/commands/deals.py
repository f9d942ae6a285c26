"""`crm deal …`: deals and their moves through the pipeline."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from tinycrm.commands.activities import TIMELINE_COLUMNS, timeline_row
from tinycrm.commands.base import App
from tinycrm.commands.common import IfVersion, confirm, forcing, given
from tinycrm.commands.render import Format, FormatOption, as_row, done, emit, emit_record
from tinycrm.context import state

app = App(no_args_is_help=True)

DealId = Annotated[int, typer.Argument(help="Deal id.")]
Amount = Annotated[
    str | None,
    typer.Option(
        help="Amount, e.g. 12500, 12,500.50, 12.5k, €900, '900 EUR', US$900, CN¥900; "
        "a currency written in it is the deal's ($ alone: --currency or the configured one "
        "if a dollar, else USD; ¥ alone: the yen_currency setting, else the locale's)."
    ),
]
Currency = Annotated[
    str | None,
    typer.Option(help="ISO 4217 code, e.g. EUR (default: as written in --amount, else config)."),
]
Force = Annotated[bool, typer.Option("--force", help="Do it although the deal has orders.")]
Company = Annotated[str | None, typer.Option(help="Company id or name.")]
Contact = Annotated[str | None, typer.Option(help="Contact id, email or name.")]
Owner = Annotated[str | None, typer.Option(help="Owning user (default: the acting user).")]
Campaign = Annotated[
    str | None, typer.Option(help="Campaign the deal came from (id or name; '' for none).")
]
Close = Annotated[
    str | None,
    typer.Option(
        "--close",
        help="Expected close date, e.g. 2026-12-31, 'next fri', +2w; for a deal added "
        "won or lost (--stage), the day it closed.",
    ),
]

LIST_COLUMNS = (
    "id",
    "title",
    "company",
    "stage",
    "status",
    "amount",
    "currency",
    "expected_close",
    "owner",
    "days_in_stage",
)


def _amount(
    text: str | None, currency: str | None, default: str | None = None
) -> tuple[int | None, str | None]:
    """--amount in minor units and its currency: as written in it, else --currency, else
    `default` (a deal's own currency), else the configured one. An amount written in another
    currency than --currency is refused."""
    from tinycrm.money import check_currency

    code = check_currency(currency, field="--currency") if currency is not None else None
    money = state().money(text, "--amount", code or default, fixed_by="--currency" if code else "")
    if money is None:
        return None, code
    return money.minor, money.currency


def _list_row(row: Any, now: Any) -> dict[str, Any]:
    days = (now - row.stage_since).days if row.stage_since and row.status == "open" else None
    return as_row(row, days_in_stage=days)


@app.command("add")
def add(
    title: Annotated[
        str,
        typer.Argument(help="What is being sold, e.g. 'Acme renewal' (at most 300 characters)."),
    ],
    amount: Amount = None,
    currency: Currency = None,
    company: Company = None,
    contact: Contact = None,
    owner: Owner = None,
    stage: Annotated[str | None, typer.Option(help="Starting stage (default: the first).")] = None,
    close: Close = None,
    campaign: Campaign = None,
) -> None:
    """Open a deal."""
    from tinycrm.models import DealCreate
    from tinycrm.services import deals

    st = state()
    minor, code = _amount(amount, currency)
    data = DealCreate(
        **given(
            title=title,
            amount_minor=minor,
            currency=code,
            company=company,
            contact=contact,
            owner=owner,
            stage=stage,
            campaign=campaign,
            expected_close=st.day(close, "--close"),
        )
    )
    with st.session(write=True) as session:
        actor = st.actor(session)
        currency = st.settings.currency
        row = deals.create_deal(
            session, data=data, currency=currency, actor=actor, now=st.now(), tz=st.tz
        )
    done(f"deal #{row.id} added: {row.title} ({row.amount}, {row.stage})")


@app.command("list")
def list_(
    stage: Annotated[str | None, typer.Option(help="Only deals in this stage.")] = None,
    status: Annotated[str, typer.Option(help="open, won, lost or all.")] = "open",
    owner: Annotated[str | None, typer.Option(help="Only this user's deals.")] = None,
    company: Company = None,
    contact: Contact = None,
    search: Annotated[
        str | None, typer.Option("--search", "-q", help="Words in the title or company name.")
    ] = None,
    sort: Annotated[
        str,
        typer.Option(
            help="Sort by close, amount, title, stage, owner, "
            "created, closed or id; '-' first for "
            "descending."
        ),
    ] = "close",
    limit: Annotated[int | None, typer.Option(help="Show at most this many.")] = None,
    offset: Annotated[int, typer.Option(help="Skip this many first.")] = 0,
    fmt: FormatOption = Format.table,
) -> None:
    """List deals (open ones unless --status says otherwise)."""
    from tinycrm.errors import InvalidInput
    from tinycrm.services.deal_rows import plain_deal_list

    st = state()
    if status not in ("open", "won", "lost", "all"):
        raise InvalidInput("--status", status, "must be open, won, lost or all")
    wanted = None if status == "all" else status
    rows = None
    if not (stage or owner or company or contact or search):
        with st.plain_reader() as open_sql:  # no ORM to import: the query compiled ahead
            rows = plain_deal_list(open_sql, status=wanted, sort=sort, limit=limit, offset=offset)
    if rows is None:
        from tinycrm.models import DealStatus
        from tinycrm.services import deals

        with st.session(write=False) as session:
            rows = deals.list_deals(
                session,
                stage=stage,
                status=None if wanted is None else DealStatus(wanted),
                owner=owner,
                company=company,
                contact=contact,
                search=search,
                sort=sort,
                limit=limit,
                offset=offset,
            )
    now = st.now()
    emit(
        [_list_row(r, now) for r in rows], fmt, st.tz, columns=LIST_COLUMNS, empty="no deals match"
    )


@app.command("show")
def show(deal_id: DealId, fmt: FormatOption = Format.table) -> None:
    """Show a deal with its stage history and activities."""
    from tinycrm.services import activities, deals

    st = state()
    with st.session(write=False) as session:
        detail = deals.get_deal(session, ref=deal_id)
        timeline = activities.list_activities(session, deal_id=deal_id)
        extra, priced = _priced(session, deal_id, st.today())
    now = st.now()
    emit_record(
        {**_list_row(detail.row, now), "campaign": detail.campaign, "version": detail.version}
        | extra,
        fmt,
        st.tz,
        sections={
            "stage_history": (
                [as_row(h) for h in detail.history],
                ("at", "from_stage", "to_stage", "by"),
            ),
            "timeline": ([timeline_row(a, now) for a in timeline], TIMELINE_COLUMNS),
            **priced,
        },
    )


def _priced(session: Any, deal_id: int, today: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """A deal's lines and quotes, when it has any: where its amount comes from (its lines'
    total, or a figure set by hand since, said so), and the two lists."""
    from tinycrm.commands.lines import COLUMNS as LINE_COLUMNS
    from tinycrm.commands.quotes import COLUMNS as QUOTE_COLUMNS
    from tinycrm.services import quotes

    lines = quotes.deal_lines(session, deal=deal_id)
    offers = quotes.list_quotes(session, today=today, deal=deal_id)
    extra: dict[str, Any] = {}
    priced: dict[str, Any] = {}
    if lines.lines:
        n = len(lines.lines)
        same = lines.total == lines.amount
        extra["amount_from"] = (
            f"its {n} line(s)" if same else f"set by hand; its {n} line(s) come to {lines.total}"
        )
        priced["lines"] = ([as_row(r) for r in lines.lines], LINE_COLUMNS)
    if offers:
        priced["quotes"] = ([as_row(q, currency=q.total.currency) for q in offers], QUOTE_COLUMNS)
    return extra, priced


@app.command("edit")
def edit(
    deal_id: DealId,
    title: Annotated[str | None, typer.Option(help="New title (at most 300 characters).")] = None,
    amount: Amount = None,
    currency: Currency = None,
    company: Company = None,
    contact: Contact = None,
    owner: Owner = None,
    close: Close = None,
    reason: Annotated[
        str | None, typer.Option(help="Why it was lost (at most 500 characters).")
    ] = None,
    campaign: Campaign = None,
    if_version: IfVersion = None,
) -> None:
    """Change a deal; only the options given change (use `deal move` for the stage)."""
    from tinycrm.models import DealUpdate
    from tinycrm.services import deals

    st = state()
    with st.session(write=True) as session:
        own = deals.get_deal(session, ref=deal_id).row.amount.currency if amount else None
        minor, code = _amount(amount, currency, own)
        data = DealUpdate(
            **given(
                title=title,
                amount_minor=minor,
                currency=code,
                company=company,
                contact=contact,
                owner=owner,
                lost_reason=reason,
                campaign=campaign,
                expected_close=st.day(close, "--close"),
            )
        )
        row = deals.update_deal(session, ref=deal_id, data=data, now=st.now(), version=if_version)
    done(f"deal #{row.id} updated: {row.title}")


@app.command("move")
def move(
    deal_id: DealId,
    stage: Annotated[
        str,
        typer.Argument(
            help="Stage to move to (see `crm stage list`), or next or back: the open stage "
            "after or before the deal's own."
        ),
    ],
    reason: Annotated[
        str | None,
        typer.Option(help="Why, when moving to a lost stage (optional; at most 500 characters)."),
    ] = None,
    force: Force = False,
    if_version: IfVersion = None,
) -> None:
    """Move a deal to a stage; the move is recorded with time and user.

    A won deal with orders leaves won only with --force: its orders and payments stay (still
    owed and counted as the customer's revenue), but its campaign no longer counts them."""
    from tinycrm.services import deals

    st = state()
    with st.session(write=True) as session, forcing():
        step = _STEPS.get(stage.strip().casefold())
        if step is not None and not deals.stage_named(session, stage):
            row = deals.step_deal(
                session,
                ref=deal_id,
                step=step,
                actor=st.actor(session),
                now=st.now(),
                version=if_version,
            )
        else:
            row = deals.move_deal(
                session,
                ref=deal_id,
                stage=stage,
                actor=st.actor(session),
                now=st.now(),
                reason=reason,
                force=force,
                version=if_version,
            )
    done(f"deal #{row.id} moved to {row.stage}: {row.title}")


_STEPS = {"next": 1, "back": -1}
"""`deal move 4 next`: a stage by its place, unless a stage has that name."""


@app.command("won")
def won(deal_id: DealId, if_version: IfVersion = None) -> None:
    """Mark a deal won."""
    from tinycrm.services import deals

    st = state()
    with st.session(write=True) as session:
        row = deals.win_deal(
            session, ref=deal_id, actor=st.actor(session), now=st.now(), version=if_version
        )
    done(f"deal #{row.id} won: {row.title} ({row.amount})")


@app.command("lost")
def lost(
    deal_id: DealId,
    reason: Annotated[
        str | None,
        typer.Option(help="Why it was lost, e.g. price (optional). At most 500 characters."),
    ] = None,
    force: Force = False,
    if_version: IfVersion = None,
) -> None:
    """Mark a deal lost, with or without a reason.

    A won deal with orders is marked lost only with --force: its orders and payments stay
    (still owed and counted as the customer's revenue), but its campaign no longer counts
    them."""
    from tinycrm.services import deals

    st = state()
    with st.session(write=True) as session, forcing():
        row = deals.lose_deal(
            session,
            ref=deal_id,
            reason=reason,
            actor=st.actor(session),
            now=st.now(),
            force=force,
            version=if_version,
        )
    done(f"deal #{row.id} lost: {row.title}" + (f" ({row.lost_reason})" if row.lost_reason else ""))


@app.command("rm")
def rm(
    deal_id: DealId,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
    force: Force = False,
) -> None:
    """Delete a deal and its stage history.

    A deal with orders is deleted only with --force, and its orders and their payments are
    deleted with it (no longer owed, no longer revenue); to keep them, mark it lost instead."""
    from tinycrm.services import deal_orders, deals

    st = state()
    with st.session(write=False) as session, forcing():
        row = deals.get_deal(session, ref=deal_id).row
        held = deal_orders.check_deleting(session, deal_id=row.id, force=force)
    also = f" with its {held}" if held.orders else ""
    confirm(f"delete deal #{row.id} {row.title}{also}?", yes=yes)
    with st.session(write=True) as session, forcing():
        deals.delete_deal(session, ref=row.id, force=force)
    done(f"deal #{row.id} deleted: {row.title}{also}")
