"""`crm export …`: every matching record of a noun as CSV, JSON lines, JSON or vCard.

Rows stream from the database a page at a time, so the size of the table does not matter.
A file (`-o FILE`) is written next to its target and renamed into place only when complete,
readable by its owner only; standard output (`-`, the default) gets the data and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tinycrm.commands.activities import KINDS, _kind
from tinycrm.commands.base import App
from tinycrm.commands.contacts import STATUSES, contact_filter
from tinycrm.context import state
from tinycrm.errors import InvalidInput
from tinycrm.formats.write.outfile import output_file
from tinycrm.formats.write.records import WRITERS
from tinycrm.words import plural, singular

if TYPE_CHECKING:
    from sqlmodel import Session

app = App(no_args_is_help=True)

Row = dict[str, Any]
Rows = Callable[["Session"], Iterator[Row]]
FORMATS = ("csv", "jsonl", "json")
Format = Annotated[str, typer.Option("--format", "-f", help="csv (the default), jsonl or json.")]
ContactFormat = Annotated[
    str,
    typer.Option("--format", "-f", help="csv (the default), jsonl, json or vcf (vCard 3.0)."),
]
Output = Annotated[
    str,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        help="Write to FILE (private to you; replaced only once the export is complete) "
        "instead of standard output (-).",
    ),
]
Raw = Annotated[
    bool,
    typer.Option(
        "--raw",
        help="CSV only: write every cell exactly as stored. Without it, a cell starting with "
        "= + - @ tab or CR (a phone like +33 6… too) gets a ' in front so that a spreadsheet "
        "does not run it as a formula; use --raw when a program reads the file.",
    ),
]
Owner = Annotated[str | None, typer.Option(help="Only this user's records (name, email or id).")]
Company = Annotated[str | None, typer.Option(help="Only records of this company (id or name).")]
Contact = Annotated[
    str | None, typer.Option(help="Only records of this contact (id, email, name).")
]


@app.command("contacts")
def contacts(
    tag: Annotated[str | None, typer.Option(help="Only contacts with this tag.")] = None,
    status: Annotated[str | None, typer.Option(help=f"Only this status: {STATUSES}.")] = None,
    company: Company = None,
    owner: Owner = None,
    search: Annotated[
        str | None,
        typer.Option("--search", "-q", help="Words in the name, email, phone, company or tags."),
    ] = None,
    segment: Annotated[
        str | None,
        typer.Option(
            help="The contacts of this saved segment (`crm contact list --save-segment`)."
        ),
    ] = None,
    fmt: ContactFormat = "csv",
    output: Output = "-",
    raw: Raw = False,
) -> None:
    """Export contacts: one custom:KEY column per custom field, tags joined by ';' in CSV."""
    from tinycrm.services import exports

    chosen = _format(fmt, "contacts", (*FORMATS, "vcf"))
    with state().session(write=False) as session:
        filters = contact_filter(
            session,
            segment=segment,
            status=status,
            tag=tag,
            company=company,
            owner=owner,
            search=search,
        )
    _export(
        "contacts",
        chosen,
        output,
        raw,
        lambda session: exports.export_contacts(session, filters=filters),
        exports.CONTACT_COLUMNS,
        lambda session: exports.custom_columns(session, filters=filters),
    )


@app.command("companies")
def companies(
    industry: Annotated[str | None, typer.Option(help="Only this industry.")] = None,
    city: Annotated[str | None, typer.Option(help="Only this city.")] = None,
    country: Annotated[str | None, typer.Option(help="Only this country.")] = None,
    owner: Owner = None,
    search: Annotated[
        str | None, typer.Option("--search", "-q", help="Words in the name or domain.")
    ] = None,
    fmt: Format = "csv",
    output: Output = "-",
    raw: Raw = False,
) -> None:
    """Export companies, with one custom:KEY column per custom field."""
    from tinycrm.services import exports
    from tinycrm.services import filters as where

    chosen = _format(fmt, "companies", FORMATS)
    filters = where.CompanyFilter(
        search=search, industry=industry, city=city, country=country, owner=owner
    )
    _export(
        "companies",
        chosen,
        output,
        raw,
        lambda session: exports.export_companies(session, filters=filters),
        exports.COMPANY_COLUMNS,
        lambda session: exports.custom_columns(session, filters=filters),
    )


@app.command("deals")
def deals(
    stage: Annotated[str | None, typer.Option(help="Only deals in this stage.")] = None,
    status: Annotated[
        str, typer.Option(help="open, won, lost or all (the default: an export keeps them all).")
    ] = "all",
    owner: Owner = None,
    company: Company = None,
    contact: Contact = None,
    search: Annotated[
        str | None, typer.Option("--search", "-q", help="Words in the title or company name.")
    ] = None,
    fmt: Format = "csv",
    output: Output = "-",
    raw: Raw = False,
) -> None:
    """Export deals of every status (or those --status says), amounts as plain numbers."""
    from tinycrm.models import DealStatus
    from tinycrm.services import exports
    from tinycrm.services import filters as where

    chosen = _format(fmt, "deals", FORMATS)
    if status not in ("open", "won", "lost", "all"):
        raise InvalidInput("--status", status, "must be open, won, lost or all")
    filters = where.DealFilter(
        stage=stage,
        status=None if status == "all" else DealStatus(status),
        owner=owner,
        company=company,
        contact=contact,
        search=search,
    )
    _export(
        "deals",
        chosen,
        output,
        raw,
        lambda session: exports.export_deals(session, filters=filters),
        exports.DEAL_COLUMNS,
    )


@app.command("activities")
def activities(
    contact: Contact = None,
    company: Company = None,
    deal: Annotated[int | None, typer.Option(help="Only activities of this deal (id).")] = None,
    owner: Owner = None,
    kind: Annotated[str | None, typer.Option(help=f"Only this kind: {KINDS}.")] = None,
    state_: Annotated[str, typer.Option("--state", help="open (not done), done or all.")] = "all",
    fmt: Format = "csv",
    output: Output = "-",
    raw: Raw = False,
) -> None:
    """Export activities, logged and scheduled, in id order."""
    from tinycrm.services import exports
    from tinycrm.services import filters as where
    from tinycrm.services.filters import State

    chosen = _format(fmt, "activities", FORMATS)
    try:
        wanted = State(state_)
    except ValueError:
        raise InvalidInput("--state", state_, "must be open, done or all") from None
    filters = where.ActivityFilter(
        contact=contact,
        company=company,
        deal=deal,
        owner=owner,
        kind=_kind(kind) if kind else None,
        state=wanted,
    )
    _export(
        "activities",
        chosen,
        output,
        raw,
        lambda session: exports.export_activities(session, filters=filters),
        exports.ACTIVITY_COLUMNS,
    )


def _format(text: str, noun: str, allowed: tuple[str, ...]) -> str:
    chosen = text.strip().lower()
    if chosen not in allowed:
        names = ", ".join(allowed[:-1]) + " or " + allowed[-1]
        raise InvalidInput("--format", text, f"not a format for {noun} (use {names})")
    return chosen


def _export(
    noun: str,
    fmt: str,
    output: str,
    raw: bool,
    rows: Rows,
    columns: tuple[str, ...],
    custom: Callable[[Session], list[str]] | None = None,
) -> None:
    """Write the rows to the output; the custom-field pass comes first, in the same session,
    so that it sees the same snapshot as the rows."""
    st = state()
    with output_file(output, field="--output") as out, st.session(write=False) as session:
        extra = custom(session) if custom is not None and fmt == "csv" else []
        count = WRITERS[fmt](out, rows(session), (*columns, *extra), raw)
    if output != "-":
        typer.echo(f"exported {plural(count, singular(noun), noun)} to {output}", err=True)


@app.command("ics")
def ics(
    output: Output = "-",
    owner: Owner = None,
    deals: Annotated[
        bool, typer.Option("--deals/--no-deals", help="Add open deals' expected close dates.")
    ] = True,
    todos: Annotated[
        bool, typer.Option("--todos", help="Write tasks as to-dos (VTODO) instead of events.")
    ] = False,
    care: Annotated[
        bool,
        typer.Option("--care/--no-care", help="Add contacts' birthdays and anniversaries."),
    ] = True,
) -> None:
    """Export scheduled activities (with their reminders and repeats) and deal close dates
    as an iCalendar file for any calendar app; re-exporting updates the same events."""
    from tinycrm.services.refs import resolve_user
    from tinycrm.services.reminders.calendar_export import IcsOptions, build_calendar

    st = state()
    with st.session(write=False) as session:
        owner_id = resolve_user(session, owner).id if owner else None
        opts = IcsOptions(
            now=st.now(), tz=st.tz, owner_id=owner_id, deals=deals, todos=todos, care=care
        )
        cal, count = build_calendar(session, opts)
    with output_file(output, field="--output") as out:
        out.write(cal.to_ical().decode("utf-8"))
    if output != "-":
        typer.echo(f"exported {plural(count, 'calendar entry')} to {output}", err=True)
