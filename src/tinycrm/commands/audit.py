"""`crm audit …`: the log of every change, who made it, from where, and what it changed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from tinycrm.commands.base import App
from tinycrm.commands.render import Format, FormatOption, as_row, emit, emit_record
from tinycrm.context import state

if TYPE_CHECKING:
    from tinycrm.services.audit import EntryRow

app = App(no_args_is_help=True)

COLUMNS = (
    "id",
    "at",
    "user",
    "login",
    "source",
    "object",
    "record_id",
    "action",
    "changes",
    "note",
)
CHANGE_COLUMNS = ("field", "old", "new")
EntryId = Annotated[int, typer.Argument(help="Audit entry id.")]


@app.command("list")
def list_(
    user: Annotated[str | None, typer.Option(help="Only changes made by this user.")] = None,
    object_: Annotated[
        str | None,
        typer.Option("--object", help="Only this kind of record: contacts, deals, users …"),
    ] = None,
    record_id: Annotated[int | None, typer.Option("--id", help="Only this record's id.")] = None,
    since: Annotated[str | None, typer.Option(help="Only changes from this time on.")] = None,
    until: Annotated[
        str | None, typer.Option(help="Only changes before this time (a date: its start).")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Show at most this many.")] = 100,
    fmt: FormatOption = Format.table,
) -> None:
    """List changes, newest first: only those to records you may read, and your own."""
    from tinycrm.errors import InvalidInput
    from tinycrm.services import audit

    st = state()
    if object_ is not None and object_ not in (*sorted(audit.AUDITED), *audit.OTHER_OBJECTS):
        known = ", ".join((*sorted(audit.AUDITED), *audit.OTHER_OBJECTS))
        raise InvalidInput("--object", object_, f"must be one of {known}")
    start, end = st.when(since, "--since"), st.when(until, "--until")
    with st.session(write=False) as session:
        user_id, user_name = _user(session, user)
        rows = audit.list_entries(
            session,
            user_id=user_id,
            user_name=user_name,
            object=object_,
            record_id=record_id,
            since=start,
            until=end,
            limit=limit,
        )
    emit([_row(r, fmt) for r in rows], fmt, st.tz, columns=COLUMNS, empty="no changes match")


@app.command("show")
def show(entry_id: EntryId, fmt: FormatOption = Format.table) -> None:
    """One change, with each field's old and new value."""
    from tinycrm.services import audit

    st = state()
    with st.session(write=False) as session:
        row = audit.get_entry(session, entry_id=entry_id)
    readable = row.shown if fmt is Format.table else row.changes
    changes = [{"field": k, "old": _cell(v, 0), "new": _cell(v, 1)} for k, v in readable.items()]
    fields = {k: v for k, v in as_row(row).items() if k not in ("changes", "summary", "shown")}
    if fmt in (Format.json, Format.jsonl, Format.csv):
        fields["changes"] = row.changes
    emit_record(fields, fmt, st.tz, sections={"changes": (changes, CHANGE_COLUMNS)})


def _user(session: Any, ref: str | None) -> tuple[int | None, str | None]:
    """A user by what was typed; one since removed is matched by the name the log keeps."""
    if ref is None:
        return None, None
    from tinycrm.errors import NotFound
    from tinycrm.services.refs import resolve_user

    try:
        return resolve_user(session, ref).id, None
    except NotFound:
        return None, ref


def _row(row: EntryRow, fmt: Format) -> dict[str, Any]:
    shown = row.changes if fmt is not Format.table else row.summary
    return {k: v for k, v in as_row(row, changes=shown).items() if k != "shown"}


def _cell(pair: Any, index: int) -> Any:
    value = pair[index] if isinstance(pair, list) and len(pair) > index else None
    return value if isinstance(value, str | int | float | bool | None) else str(value)
