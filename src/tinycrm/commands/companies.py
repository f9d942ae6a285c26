"""`crm company …`: accounts."""

from __future__ import annotations

from typing import Annotated

import typer

from tinycrm.commands.activities import TIMELINE_COLUMNS, timeline_row
from tinycrm.commands.base import App
from tinycrm.commands.common import IfVersion, confirm, given, key_values
from tinycrm.commands.render import Format, FormatOption, as_row, done, emit, emit_record
from tinycrm.context import state
from tinycrm.words import plural

app = App(no_args_is_help=True)

Ref = Annotated[str, typer.Argument(help="Company id, name or web domain.")]
Domain = Annotated[
    str | None, typer.Option(help="Web domain, e.g. acme.example (at most 255 characters).")
]
Industry = Annotated[str | None, typer.Option(help="Industry (at most 120 characters).")]
City = Annotated[str | None, typer.Option(help="City (at most 120 characters).")]
Country = Annotated[
    str | None, typer.Option(help="Country, name or code (at most 120 characters).")
]
Phone = Annotated[str | None, typer.Option(help="Main phone number (at most 60 characters).")]
Website = Annotated[str | None, typer.Option(help="Web site address (at most 500 characters).")]
Owner = Annotated[str | None, typer.Option(help="Owning user (name, email or id).")]
Note = Annotated[str | None, typer.Option("--note", help="Free notes.")]
Fields = Annotated[
    list[str] | None,
    typer.Option(
        "--field", metavar="KEY=VALUE", help="Custom field; repeat for more. KEY= removes it."
    ),
]

LIST_COLUMNS = (
    "id",
    "name",
    "domain",
    "industry",
    "city",
    "country",
    "owner",
    "contacts",
    "open_deals",
)


@app.command("add")
def add(
    name: Annotated[
        str, typer.Argument(help="Company name, e.g. 'Acme Ltd' (at most 300 characters).")
    ],
    domain: Domain = None,
    industry: Industry = None,
    city: City = None,
    country: Country = None,
    phone: Phone = None,
    website: Website = None,
    owner: Owner = None,
    note: Note = None,
    field: Fields = None,
) -> None:
    """Add a company."""
    from tinycrm.models import CompanyCreate
    from tinycrm.services import companies

    st = state()
    data = CompanyCreate(
        **given(
            name=name,
            domain=domain,
            industry=industry,
            city=city,
            country=country,
            phone=phone,
            website=website,
            owner=owner,
            notes=note,
            custom=key_values(field),
        )
    )
    with st.session(write=True) as session:
        company = companies.create_company(session, data=data, now=st.now()).row
    done(f"company #{company.id} added: {company.name}")


@app.command("list")
def list_(
    industry: Annotated[str | None, typer.Option(help="Only companies in this industry.")] = None,
    city: Annotated[str | None, typer.Option(help="Only companies in this city.")] = None,
    country: Annotated[str | None, typer.Option(help="Only companies in this country.")] = None,
    owner: Owner = None,
    search: Annotated[
        str | None, typer.Option("--search", "-q", help="Words in the name or domain.")
    ] = None,
    tier: Annotated[
        str | None, typer.Option(help="Only companies in this membership tier now.")
    ] = None,
    sort: Annotated[
        str,
        typer.Option(help="Sort by name, id, city, industry or created; '-' first for descending."),
    ] = "name",
    limit: Annotated[int | None, typer.Option(help="Show at most this many.")] = None,
    offset: Annotated[int, typer.Option(help="Skip this many first.")] = 0,
    fmt: FormatOption = Format.table,
) -> None:
    """List companies with their number of contacts and open deals."""
    st = state()
    if all(v is None for v in (industry, city, country, owner, search, tier)):
        from tinycrm.services.company_rows import plain_company_list

        with st.plain_reader() as open_sql:  # no filter: the query compiled ahead, no ORM
            found = plain_company_list(open_sql, sort=sort, limit=limit, offset=offset)
        if found is not None:
            emit([as_row(r) for r in found], fmt, st.tz, columns=LIST_COLUMNS, empty=NO_MATCH)
            return
    from tinycrm.services import companies

    with st.session(write=False) as session:
        rows = companies.list_companies(
            session,
            search=search,
            industry=industry,
            city=city,
            country=country,
            owner=owner,
            tier=tier,
            sort=sort,
            limit=limit,
            offset=offset,
        )
    emit([as_row(r) for r in rows], fmt, st.tz, columns=LIST_COLUMNS, empty=NO_MATCH)


NO_MATCH = "no companies match"


@app.command("show")
def show(ref: Ref, fmt: FormatOption = Format.table) -> None:
    """Show a company with its contacts, deals and activity timeline."""
    from tinycrm.services import activities, companies, contacts, deals
    from tinycrm.services.loyalty.actions import standing_of

    st = state()
    with st.session(write=False) as session:
        detail = companies.get_company(session, ref=ref)
        people = contacts.list_contacts(session, company=str(detail.row.id))
        their_deals = deals.list_deals(session, company=str(detail.row.id), status=None)
        timeline = activities.list_activities(session, company_id=detail.row.id, limit=50)
        tier, points = standing_of(session, kind="company", id=detail.row.id)
    fields = as_row(
        detail.row,
        tier=tier,
        points=points,
        phone=detail.phone,
        website=detail.website,
        notes=detail.notes,
        custom=detail.custom,
        version=detail.version,
    )
    now = st.now()
    emit_record(
        fields,
        fmt,
        st.tz,
        sections={
            "contacts": ([as_row(c) for c in people], ("id", "name", "email", "phone", "title")),
            "deals": (
                [as_row(d) for d in their_deals],
                ("id", "title", "stage", "status", "amount", "currency", "expected_close"),
            ),
            "timeline": ([timeline_row(a, now) for a in timeline], TIMELINE_COLUMNS),
        },
    )


@app.command("edit")
def edit(
    ref: Ref,
    name: Annotated[str | None, typer.Option(help="New name (at most 300 characters).")] = None,
    domain: Domain = None,
    industry: Industry = None,
    city: City = None,
    country: Country = None,
    phone: Phone = None,
    website: Website = None,
    owner: Owner = None,
    note: Note = None,
    field: Fields = None,
    if_version: IfVersion = None,
) -> None:
    """Change a company; only the options given change."""
    from tinycrm.models import CompanyUpdate
    from tinycrm.services import companies

    st = state()
    data = CompanyUpdate(
        **given(
            name=name,
            domain=domain,
            industry=industry,
            city=city,
            country=country,
            phone=phone,
            website=website,
            owner=owner,
            notes=note,
            custom=key_values(field),
        )
    )
    with st.session(write=True) as session:
        company = companies.update_company(
            session, ref=ref, data=data, now=st.now(), version=if_version
        ).row
    done(f"company #{company.id} updated: {company.name}")


@app.command("rm")
def rm(
    ref: Ref,
    cascade: Annotated[bool, typer.Option(help="Also delete the company's deals.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
) -> None:
    """Delete a company; refused while it has deals unless --cascade. Contacts stay."""
    from tinycrm.errors import Conflict
    from tinycrm.services import companies

    st = state()
    with st.session(write=False) as session:
        detail = companies.get_company(session, ref=ref)
    row, deal_count = detail.row, detail.deals
    if deal_count and not cascade:
        raise Conflict(
            f"company {row.name!r} has {plural(deal_count, 'deal')}; "
            "use --cascade to delete them with it"
        )
    extra = f" and its {plural(deal_count, 'deal')}" if deal_count else ""
    confirm(f"delete company #{row.id} {row.name}{extra}?", yes=yes)
    with st.session(write=True) as session:
        _company, deleted = companies.delete_company(session, ref=str(row.id), cascade=cascade)
    done(
        f"company #{row.id} deleted: {row.name}"
        + (f" with {plural(deleted, 'deal')}" if deleted else "")
    )
