"""`crm contact …`: people."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from tinycrm.commands.activities import TIMELINE_COLUMNS, timeline_row
from tinycrm.commands.common import confirm, given, key_values, state
from tinycrm.commands.render import Format, FormatOption, as_row, done, emit, emit_record

app = typer.Typer(help="People: add, list, show, edit and remove contacts.", no_args_is_help=True)

STATUSES = "lead, prospect, customer or inactive"
Ref = Annotated[str, typer.Argument(help="Contact id, email, or full name.")]
Email = Annotated[str | None, typer.Option(help="Email address (stored lowercased).")]
Phone = Annotated[
    str | None, typer.Option(help="Phone; without +country it is read in the configured region.")
]
Title = Annotated[str | None, typer.Option(help="Job title.")]
CompanyOpt = Annotated[str | None, typer.Option("--company", help="Company id or name.")]
Owner = Annotated[str | None, typer.Option(help="Owning user (name, email or id).")]
Status = Annotated[str | None, typer.Option(help=f"Lifecycle status: {STATUSES}.")]
Source = Annotated[str | None, typer.Option(help="Where the contact came from.")]
Note = Annotated[str | None, typer.Option("--note", help="Free notes.")]
Birthday = Annotated[
    str | None,
    typer.Option(help="Birthday, e.g. 1980-04-12 or 04-12 (crm remind tells you the week before)."),
]
Fields = Annotated[
    list[str] | None,
    typer.Option(
        "--field", metavar="KEY=VALUE", help="Custom field; repeat for more. KEY= removes it."
    ),
]
First = Annotated[str | None, typer.Option("--first", help="First name.")]
Last = Annotated[str | None, typer.Option("--last", help="Last name.")]

LIST_COLUMNS = ("id", "name", "email", "phone", "company", "title", "status", "owner", "tags")


def _status(text: str | None) -> object:
    if text is None:
        return None
    from tinycrm.errors import InvalidInput
    from tinycrm.models import ContactStatus

    try:
        return ContactStatus(text.strip().lower())
    except ValueError:
        raise InvalidInput("--status", text, f"must be {STATUSES}") from None


@app.command("add")
def add(
    name: Annotated[str | None, typer.Argument(help="Full name, e.g. 'Li Wei'.")] = None,
    first: First = None,
    last: Last = None,
    email: Email = None,
    phone: Phone = None,
    title: Title = None,
    company: CompanyOpt = None,
    owner: Owner = None,
    status: Status = None,
    source: Source = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Tag; repeat for more.")] = None,
    note: Note = None,
    field: Fields = None,
    birthday: Birthday = None,
) -> None:
    """Add a contact."""
    from tinycrm.models import ContactCreate
    from tinycrm.services import contacts

    st = state()
    data = ContactCreate(
        **given(
            name=name,
            first_name=first,
            last_name=last,
            email=email,
            phone=phone,
            title=title,
            company=company,
            owner=owner,
            status=_status(status),
            source=source,
            notes=note,
            tags=tag,
            custom=_custom(field, birthday),
        )
    )
    with st.session(write=True) as session:
        if data.owner is None and (actor := st.actor(session)):
            data.owner = str(actor.id)
        contact = contacts.create_contact(
            session, data=data, region=st.settings.region, now=st.now()
        )
    done(f"contact #{contact.row.id} added: {contact.row.name}")


def _custom(field: list[str] | None, birthday: str | None) -> dict[str, Any] | None:
    custom = key_values(field)
    if birthday is None:
        return custom
    return {**(custom or {}), "birthday": birthday.strip()}


@app.command("list")
def list_(
    tag: Annotated[str | None, typer.Option(help="Only contacts with this tag.")] = None,
    status: Status = None,
    company: CompanyOpt = None,
    owner: Owner = None,
    search: Annotated[
        str | None, typer.Option("--search", "-q", help="Text in the name, email or company.")
    ] = None,
    sort: Annotated[
        str,
        typer.Option(
            help="Sort by name, id, email, company, status or created; '-' first for descending."
        ),
    ] = "name",
    limit: Annotated[int | None, typer.Option(help="Show at most this many.")] = None,
    offset: Annotated[int, typer.Option(help="Skip this many first.")] = 0,
    fmt: FormatOption = Format.table,
) -> None:
    """List contacts, filtered and sorted."""
    from tinycrm.services import contacts

    st = state()
    with st.session(write=False) as session:
        rows = contacts.list_contacts(
            session,
            tag=tag,
            status=_status(status),  # type: ignore[arg-type]
            company=company,
            owner=owner,
            search=search,
            sort=sort,
            limit=limit,
            offset=offset,
        )
    emit([as_row(r) for r in rows], fmt, st.tz, columns=LIST_COLUMNS, empty="no contacts match")


@app.command("show")
def show(ref: Ref, fmt: FormatOption = Format.table) -> None:
    """Show a contact with their company, deals and activity timeline."""
    from tinycrm.services import activities, contacts, deals

    st = state()
    with st.session(write=False) as session:
        detail = contacts.get_contact(session, ref=ref)
        their_deals = deals.list_deals(session, contact=str(detail.row.id), status=None)
        timeline = activities.list_activities(session, contact_id=detail.row.id)
    fields = as_row(
        detail.row,
        first_name=detail.first_name,
        last_name=detail.last_name,
        phone_normalized=detail.phone_normalized,
        source=detail.source,
        notes=detail.notes,
        custom=detail.custom,
        updated_at=detail.updated_at,
    )
    emit_record(
        fields,
        fmt,
        st.tz,
        sections={
            "deals": (
                [as_row(d) for d in their_deals],
                ("id", "title", "stage", "status", "amount", "currency", "expected_close"),
            ),
            "timeline": ([timeline_row(a, st.now()) for a in timeline], TIMELINE_COLUMNS),
        },
    )


@app.command("edit")
def edit(
    ref: Ref,
    name: Annotated[str | None, typer.Option(help="New full name.")] = None,
    first: First = None,
    last: Last = None,
    email: Email = None,
    phone: Phone = None,
    title: Title = None,
    company: Annotated[str | None, typer.Option(help="Company id or name ('' for none).")] = None,
    owner: Owner = None,
    status: Status = None,
    source: Source = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Add this tag.")] = None,
    untag: Annotated[list[str] | None, typer.Option("--untag", help="Remove this tag.")] = None,
    note: Note = None,
    field: Fields = None,
    birthday: Birthday = None,
) -> None:
    """Change a contact; only the options given change."""
    from tinycrm.models import ContactUpdate
    from tinycrm.services import contacts

    st = state()
    data = ContactUpdate(
        **given(
            name=name,
            first_name=first,
            last_name=last,
            email=email,
            phone=phone,
            title=title,
            company=company,
            owner=owner,
            status=_status(status),
            source=source,
            notes=note,
            add_tags=tag,
            remove_tags=untag,
            custom=_custom(field, birthday),
        )
    )
    with st.session(write=True) as session:
        contact = contacts.update_contact(
            session, ref=ref, data=data, region=st.settings.region, now=st.now()
        )
    done(f"contact #{contact.row.id} updated: {contact.row.name}")


@app.command("rm")
def rm(
    ref: Ref,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
) -> None:
    """Delete a contact. Their deals stay (without a contact); activities about them alone go."""
    from tinycrm.services import contacts

    st = state()
    with st.session(write=False) as session:
        found = contacts.get_contact(session, ref=ref).row
    confirm(f"delete contact #{found.id} {found.name}?", yes=yes)
    with st.session(write=True) as session:
        contacts.delete_contact(session, ref=str(found.id))
    done(f"contact #{found.id} deleted: {found.name}")
