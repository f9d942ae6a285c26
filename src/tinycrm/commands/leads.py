"""`crm lead …`: the lead pool: list, claim, assign, qualify, drop and reclaim leads."""

from __future__ import annotations

import sys
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated

import typer

from tinycrm.commands.base import App
from tinycrm.commands.render import Format, FormatOption, as_row, done, emit
from tinycrm.context import state
from tinycrm.errors import InvalidInput

if TYPE_CHECKING:
    from tinycrm.services.leads import Handover

app = App(no_args_is_help=True)

Ref = Annotated[str, typer.Argument(help="Lead: contact id, email, or full name.")]
LIST_COLUMNS = (
    "id", "name", "email", "phone", "company", "owner", "source", "campaign", "created_at",
    "last_activity_at",
)  # fmt: skip


def _line(h: Handover, *, dry_run: bool = False) -> str:
    """`lead #4 Li Wei: Ann Lee -> pool (reclaim)`."""
    kind = "lead" if h.record_type == "contact" else "deal"
    moved = f"{h.from_user or 'pool'} -> {h.to_user or 'pool'}"
    return f"{'would move ' if dry_run else ''}{kind} #{h.record_id} {h.name}: {moved} ({h.reason})"


@app.command("list")
def list_(
    pool: Annotated[bool, typer.Option("--pool", help="Only leads nobody owns.")] = False,
    owner: Annotated[str | None, typer.Option(help="Only this user's leads.")] = None,
    limit: Annotated[int | None, typer.Option(help="Show at most this many.")] = None,
    offset: Annotated[int, typer.Option(help="Skip this many first.")] = 0,
    fmt: FormatOption = Format.table,
) -> None:
    """List leads (contacts with status lead), oldest first."""
    from tinycrm.services import leads

    st = state()
    with st.session(write=False) as session:
        rows = leads.list_leads(session, pool=pool, owner=owner, limit=limit, offset=offset)
    empty = "the lead pool is empty" if pool else "no leads"
    emit([as_row(r) for r in rows], fmt, st.tz, columns=LIST_COLUMNS, empty=empty)


@app.command("claim")
def claim(ref: Ref) -> None:
    """Take a lead from the pool (as --as USER or CRM_USER)."""
    from tinycrm.services import leads

    st = state()
    if st.me is None:
        raise InvalidInput("--as", None, "who claims it? give --as USER or set CRM_USER")
    with st.session(write=True) as session:
        moved = leads.claim_lead(session, ref=ref, actor=st.actor(session), now=st.now())
    done(_line(moved))


@app.command("assign")
def assign(
    ref: Ref,
    to: Annotated[str, typer.Option("--to", help="The user who gets the lead.")],
) -> None:
    """Give a lead to a user (from the pool or from another user)."""
    from tinycrm.services import leads

    st = state()
    with st.session(write=True) as session:
        moved = leads.assign_lead(session, ref=ref, to=to, actor=st.actor(session), now=st.now())
    done(_line(moved))


@app.command("qualify")
def qualify(
    ref: Ref,
    deal: Annotated[
        bool, typer.Option("--deal", help="Also open a deal at the first stage.")
    ] = False,
    title: Annotated[
        str | None,
        typer.Option(help="The deal's title (default: the lead's name; at most 300 characters)."),
    ] = None,
    amount: Annotated[
        str | None, typer.Option(help="The deal's amount, e.g. 12500 or €900.")
    ] = None,
) -> None:
    """Make a lead a prospect; a lead from the pool goes to you."""
    from tinycrm.services import leads

    st = state()
    money = st.money(amount, "--amount")
    with st.session(write=True) as session:
        result = leads.qualify_lead(
            session,
            ref=ref,
            actor=st.actor(session),
            now=st.now(),
            currency=money.currency if money else st.settings.currency,
            deal=deal or money is not None or title is not None,
            title=title,
            amount_minor=money.minor if money else 0,
        )
    if result.handover is not None:
        done(_line(result.handover))
    done(f"lead #{result.contact_id} qualified: {result.name} is now a prospect")
    if result.deal is not None:
        done(f"deal #{result.deal.id} opened at {result.deal.stage}: {result.deal.title}")


@app.command("drop")
def drop(
    ref: Ref,
    reason: Annotated[
        str, typer.Option(help="Why: junk, duplicate, not a fit … (at most 200 characters).")
    ],
) -> None:
    """Drop a lead: it becomes inactive, with the reason, and leaves its owner."""
    from tinycrm.services import leads

    st = state()
    with st.session(write=True) as session:
        moved = leads.drop_lead(
            session, ref=ref, reason=reason, actor=st.actor(session), now=st.now()
        )
    done(f"lead #{moved.record_id} dropped: {moved.name} ({reason.strip()})")


@app.command("reclaim")
def reclaim(
    stale_after: Annotated[
        str,
        typer.Option(help="Quiet for this long goes back to the pool, e.g. 30d, 6w."),
    ],
    deals: Annotated[
        bool, typer.Option("--deals", help="Also return quiet open deals to the pool.")
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only list what would move.")] = False,
    fmt: Annotated[
        Format | None,
        typer.Option(
            "--format",
            "-f",
            help="table, csv, json or jsonl of what moved (default: a line per record).",
        ),
    ] = None,
) -> None:
    """Return owned leads (and open deals) with no logged activity for that long to the
    pool. Made for cron: prints nothing when nothing moved, else one line per record; it
    exits 0 either way."""
    from tinycrm.dates import parse_duration
    from tinycrm.services import leads

    st = state()
    after = parse_duration(stale_after, field="--stale-after")
    if after <= timedelta(0):  # named as typed: the flag and its text
        raise InvalidInput("--stale-after", stale_after, "must be longer than zero")
    with st.session(write=not dry_run) as session:
        moved = leads.reclaim(
            session,
            stale_after=after,
            now=st.now(),
            actor=st.actor(session),
            deals=deals,
            dry_run=dry_run,
        )
    if fmt is None:
        for handover in moved:
            typer.echo(_line(handover, dry_run=dry_run))
        return
    rows = [as_row(h, moved=not dry_run) for h in moved]
    columns = ("record_type", "record_id", "name", "from_user", "to_user", "reason", "moved")
    if rows:
        emit(rows, fmt, st.tz, columns=columns)
    elif fmt is Format.table:  # an empty answer, not a failed one: cron mails on exit 1
        typer.echo("nothing went quiet for that long", err=True)
    else:
        sys.stdout.write({Format.csv: ",".join(columns) + "\n", Format.json: "[]\n"}.get(fmt, ""))
