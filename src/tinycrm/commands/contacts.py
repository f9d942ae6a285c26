"""`crm contact …`: people."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from tinycrm.commands.activities import TIMELINE_COLUMNS, timeline_row
from tinycrm.commands.base import App
from tinycrm.commands.common import IfVersion, confirm, given, key_values
from tinycrm.commands.render import Format, FormatOption, as_row, done, emit, emit_record
from tinycrm.context import state
from tinycrm.words import counted

if TYPE_CHECKING:
    from sqlmodel import Session

    from tinycrm.services.filters import ContactFilter

app = App(no_args_is_help=True)

STATUSES = "lead, prospect, customer or inactive"
Ref = Annotated[str, typer.Argument(help="Contact id, email, or full name.")]
Email = Annotated[
    str | None, typer.Option(help="Email address, stored lowercased (at most 320 characters).")
]
Phone = Annotated[
    str | None,
    typer.Option(
        help="Phone; without +country it is read in phone_region (else the locale's country), "
        "and with neither it is kept as typed (at most 60 characters)."
    ),
]
Title = Annotated[str | None, typer.Option(help="Job title (at most 200 characters).")]
CompanyOpt = Annotated[str | None, typer.Option("--company", help="Company id or name.")]
Owner = Annotated[str | None, typer.Option(help="Owning user (name, email or id).")]
Status = Annotated[str | None, typer.Option(help=f"Lifecycle status: {STATUSES}.")]
Source = Annotated[
    str | None, typer.Option(help="Where the contact came from (at most 200 characters).")
]
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
CampaignOpt = Annotated[
    str | None, typer.Option("--campaign", help="Source campaign (id or name; '' for none).")
]
First = Annotated[str | None, typer.Option("--first", help="First name (at most 200 characters).")]
Last = Annotated[str | None, typer.Option("--last", help="Last name (at most 200 characters).")]

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
    name: Annotated[
        str | None, typer.Argument(help="Full name, e.g. 'Li Wei' (at most 400 characters).")
    ] = None,
    first: First = None,
    last: Last = None,
    email: Email = None,
    phone: Phone = None,
    title: Title = None,
    company: CompanyOpt = None,
    owner: Owner = None,
    status: Status = None,
    source: Source = None,
    campaign: CampaignOpt = None,
    tag: Annotated[
        list[str] | None,
        typer.Option("--tag", help="Tag, at most 100 characters; repeat for more."),
    ] = None,
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
            campaign=campaign,
            notes=note,
            tags=tag,
            custom=_custom(field, birthday),
        )
    )
    with st.session(write=True) as session:
        if data.owner is None and (actor := st.actor(session)):
            data.owner = str(actor.id)
        contact = contacts.create_contact(session, data=data, region=_region(), now=st.now())
    done(f"contact #{contact.row.id} added: {contact.row.name}")
    _kept_as_typed(phone, contact.phone_normalized)


def _region() -> str:
    from tinycrm.normalize import phone_region

    return phone_region(state().settings.region, field="phone_region")


def _kept_as_typed(phone: str | None, normalized: str | None) -> None:
    """Say so when a phone could not be read as an international number."""
    if not phone or not phone.strip() or normalized:
        return
    region = _region()
    why = f"not a valid number in {region}" if region else "no phone_region to read it in"
    done(f"  phone {phone.strip()!r} kept as typed ({why}); write it with +country code")


def _custom(field: list[str] | None, birthday: str | None) -> dict[str, Any] | None:
    custom = key_values(field)
    if birthday is None:
        return custom
    return {**(custom or {}), "birthday": birthday.strip()}


Industry = Annotated[str | None, typer.Option(help="Only contacts whose company is in it.")]
City = Annotated[str | None, typer.Option(help="Only contacts whose company is in this city.")]
Country = Annotated[str | None, typer.Option(help="Only contacts whose company is there.")]
Segment = Annotated[
    str | None,
    typer.Option(help="Start from this saved segment's filters (other options add to them)."),
]


def contact_filter(
    session: Session | None = None,
    *,
    segment: str | None = None,
    status: str | None = None,
    **given_filters: str | None,
) -> ContactFilter:
    """The filter of `crm contact list` and `crm export contacts`: the options given, on top
    of a saved segment's when one is named."""
    from tinycrm.services import filters

    wanted = filters.ContactFilter(status=_status(status), **given_filters)  # type: ignore[arg-type]
    if segment is None:
        return wanted
    assert session is not None
    return filters.segment_filter(session, name=segment, overrides=wanted)


@app.command("list")
def list_(
    tag: Annotated[str | None, typer.Option(help="Only contacts with this tag.")] = None,
    status: Status = None,
    company: CompanyOpt = None,
    owner: Owner = None,
    industry: Industry = None,
    city: City = None,
    country: Country = None,
    campaign: Annotated[
        str | None, typer.Option(help="Only contacts this campaign brought in.")
    ] = None,
    lifecycle: Annotated[
        str | None,
        typer.Option(help="Only customers at this stage: new, regular, loyal, declining, lost."),
    ] = None,
    tier: Annotated[
        str | None,
        typer.Option(help="Only contacts in this membership tier now (or whose company is)."),
    ] = None,
    search: Annotated[
        str | None,
        typer.Option("--search", "-q", help="Words in the name, email, phone, company or tags."),
    ] = None,
    segment: Segment = None,
    save_segment: Annotated[
        str | None,
        typer.Option(
            metavar="NAME",
            help="Save these filters as a named segment (replacing one of that name; "
            "at most 200 characters).",
        ),
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
    """List contacts, filtered and sorted; the filters can be saved as a segment."""
    st = state()
    filtered = (tag, status, company, owner, industry, city, country, campaign, lifecycle, tier)
    if all(v is None for v in (*filtered, search, segment, save_segment)):
        from tinycrm.services.contact_rows import plain_contact_list

        with st.plain_reader() as open_sql:  # no filter: the query compiled ahead, no ORM
            found = plain_contact_list(open_sql, sort=sort, limit=limit, offset=offset)
        if found is not None:
            emit([as_row(r) for r in found], fmt, st.tz, columns=LIST_COLUMNS, empty=NO_MATCH)
            return
    from tinycrm.services import contacts, filters

    with st.session(write=save_segment is not None) as session:
        wanted = contact_filter(
            session,
            segment=segment,
            status=status,
            tag=tag,
            company=company,
            owner=owner,
            industry=industry,
            city=city,
            country=country,
            campaign=campaign,
            lifecycle=lifecycle,
            tier=tier,
            search=search,
        )
        rows = contacts.list_contacts(
            session, where=wanted, sort=sort, limit=limit, offset=offset, today=st.today()
        )
        if save_segment is not None:
            saved, new = filters.save_segment(
                session, name=save_segment, filters=wanted, now=st.now()
            )
            verb = "saved" if new else "replaced"
            typer.echo(f"segment {saved.name!r} {verb}: {_describe(saved.filters)}", err=True)
    emit([as_row(r) for r in rows], fmt, st.tz, columns=LIST_COLUMNS, empty=NO_MATCH)


NO_MATCH = "no contacts match"


def _describe(stored: dict[str, str]) -> str:
    """A segment's filters as the options that give them; words typed in the app's search
    box (which has no option) as `words 'text'`."""
    return " ".join(f"{'' if k == 'words' else '--'}{k} {v!r}" for k, v in stored.items())


@app.command("segments")
def segments(fmt: FormatOption = Format.table) -> None:
    """List the saved segments and their filters."""
    from tinycrm.services import filters

    st = state()
    with st.session(write=False) as session:
        rows = filters.list_segments(session)
    emit(
        [
            as_row(r, filters=_describe(r.filters)) if fmt is Format.table else as_row(r)
            for r in rows
        ],
        fmt,
        st.tz,
        columns=("id", "name", "filters", "created_at"),
        empty="no saved segments",
    )


@app.command("segment-rm")
def segment_rm(
    name: Annotated[str, typer.Argument(help="The segment's name.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
) -> None:
    """Delete a saved segment (the contacts stay)."""
    from tinycrm.services import filters

    st = state()
    with st.session(write=False) as session:
        found = filters.get_segment(session, name=name)
    confirm(f"delete segment {found.name!r} (its contacts stay)?", yes=yes)
    with st.session(write=True) as session:
        gone = filters.delete_segment(session, name=found.name)
    done(f"segment deleted: {gone.name}")


@app.command("show")
def show(ref: Ref, fmt: FormatOption = Format.table) -> None:
    """Show a contact with their company, deals and activity timeline."""
    from tinycrm.services import activities, contacts, deals, leads
    from tinycrm.services.loyalty.actions import standing_of
    from tinycrm.services.reports import segments

    st = state()
    with st.session(write=False) as session:
        detail = contacts.get_contact(session, ref=ref)
        found = segments.lifecycles(session, today=st.today(), contact_ids=[detail.row.id])
        lifecycle = found.contacts.get(detail.row.id)
        their_deals = deals.list_deals(session, contact=str(detail.row.id), status=None)
        timeline = activities.list_activities(session, contact_id=detail.row.id)
        owners = leads.owner_history(session, record_type="contact", record_id=detail.row.id)
        tier, points = standing_of(session, kind="contact", id=detail.row.id)
    fields = as_row(
        detail.row,
        first_name=detail.first_name,
        last_name=detail.last_name,
        phone_normalized=detail.phone_normalized,
        source=detail.source,
        campaign=detail.campaign,
        lifecycle=lifecycle,
        tier=tier,
        points=points,
        drop_reason=detail.drop_reason,
        notes=detail.notes,
        custom=detail.custom,
        updated_at=detail.updated_at,
        version=detail.version,
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
            "owners": ([as_row(o) for o in owners], ("at", "from_user", "to_user", "reason", "by")),
        },
    )


@app.command("edit")
def edit(
    ref: Ref,
    name: Annotated[
        str | None, typer.Option(help="New full name (at most 400 characters).")
    ] = None,
    first: First = None,
    last: Last = None,
    email: Email = None,
    phone: Phone = None,
    title: Title = None,
    company: Annotated[str | None, typer.Option(help="Company id or name ('' for none).")] = None,
    owner: Owner = None,
    status: Status = None,
    source: Source = None,
    campaign: CampaignOpt = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", help="Add this tag (at most 100 characters).")
    ] = None,
    untag: Annotated[list[str] | None, typer.Option("--untag", help="Remove this tag.")] = None,
    note: Note = None,
    field: Fields = None,
    birthday: Birthday = None,
    if_version: IfVersion = None,
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
            campaign=campaign,
            notes=note,
            add_tags=tag,
            remove_tags=untag,
            custom=_custom(field, birthday),
        )
    )
    with st.session(write=True) as session:
        contact = contacts.update_contact(
            session, ref=ref, data=data, region=_region(), now=st.now(), version=if_version
        )
    done(f"contact #{contact.row.id} updated: {contact.row.name}")
    _kept_as_typed(phone, contact.phone_normalized)


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


DUPE_COLUMNS = (
    "score", "keep", "keep_name", "other", "other_name", "email", "phone", "company", "reasons",
)  # fmt: skip


@app.command("dupes")
def dupes(
    min_score: Annotated[
        int, typer.Option(help="Only pairs scoring at least this (70 to 100).")
    ] = 70,
    fmt: FormatOption = Format.table,
) -> None:
    """List likely duplicates, best first: the same email (100), the same phone (90, or 70
    when the names differ: a shared switchboard or family number), or a very similar name at
    the same company (90-95). Phones compare by their international form, or by the digits
    as typed when one was kept without it. Merge a pair with `crm contact merge KEEP OTHER`."""
    from tinycrm.services import dupes as finder

    st = state()
    with st.session(write=False) as session:
        pairs = finder.find_dupes(session, min_score=min_score)
    rows = [
        {
            "score": p.score,
            "keep": p.keep.id,
            "keep_name": p.keep.name,
            "other": p.other.id,
            "other_name": p.other.name,
            "email": _both(p.keep.email, p.other.email),
            "phone": _both(p.keep.phone, p.other.phone),
            "company": _both(p.keep.company, p.other.company),
            "reasons": ", ".join(p.reasons),
        }
        for p in pairs
    ]
    emit(rows, fmt, st.tz, columns=DUPE_COLUMNS, empty="no likely duplicates")


def _both(a: str | None, b: str | None) -> str:
    """`a`, or `a / b` when they differ."""
    return " / ".join(dict.fromkeys(v for v in (a, b) if v))


@app.command("merge")
def merge(
    keep: Annotated[str, typer.Argument(help="The contact that stays (id, email or name).")],
    other: Annotated[str, typer.Argument(help="The contact merged into it and deleted.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
) -> None:
    """Merge OTHER into KEEP: its deals, activities, orders, tickets, tags and remembered
    dates move to KEEP, KEEP takes its fields where KEEP has none, and OTHER is deleted,
    all in one transaction."""
    from tinycrm.services import contacts
    from tinycrm.services import dupes as finder

    st = state()
    with st.session(write=False) as session:
        pair = finder.merge_pair(session, keep=keep, other=other)
        kept, gone = (contacts.get_contact(session, ref=str(c.id)).row for c in pair)
    confirm(f"merge contact #{gone.id} {gone.name} into #{kept.id} {kept.name}?", yes=yes)
    with st.session(write=True) as session:
        result = finder.merge_contacts(session, keep=str(kept.id), other=str(gone.id), now=st.now())
    moved = counted(result.moved) or "nothing"
    into = f"#{result.keep_id} {result.keep_name}"
    done(f"contact #{result.other_id} merged into {into}: moved {moved}")
    if result.filled:
        done(f"  took from #{result.other_id}: {', '.join(result.filled)}")
    if result.discarded:
        lost = ", ".join(f"{k} {v!r}" for k, v in result.discarded.items())
        done(f"  not kept (#{result.keep_id} has its own): {lost}")
