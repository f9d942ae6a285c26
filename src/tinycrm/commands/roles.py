"""`crm role …`: what each role may do to each kind of record."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from tinycrm.commands.base import App
from tinycrm.commands.render import Format, FormatOption, console, done, emit
from tinycrm.context import state

if TYPE_CHECKING:
    from tinycrm.services.roles import RoleRow

app = App(no_args_is_help=True)

RoleName = Annotated[str, typer.Argument(help="admin, manager, rep or viewer.")]
LEGEND = (
    "levels for read, create, edit, delete, export, import, assign in that order:\n"
    "a all, t team, o own, - none"
)


@app.command("list")
def list_(fmt: FormatOption = Format.table) -> None:
    """List roles, their active users and a compact matrix of their grants."""
    from tinycrm.services import access, roles

    st = state()
    with st.session(write=False) as session:
        rows = roles.list_roles(session)
    if fmt is not Format.table:
        csv = fmt is Format.csv  # a cell holds text: the compact levels
        flat = [
            {"role": r.role, "active_users": r.users}
            | {o: r.compact(o) if csv else r.grants[o] for o in access.OBJECTS}
            for r in rows
        ]
        emit(flat, fmt, st.tz, columns=("role", "active_users", *access.OBJECTS))
        return
    _matrix(rows, access.OBJECTS)


def _matrix(rows: list[RoleRow], objects: tuple[str, ...]) -> None:
    from rich import box
    from rich.table import Table

    table = Table(header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("object")
    for r in rows:
        table.add_column(f"{r.role} ({r.users})")
    for obj in objects:
        table.add_row(obj, *(r.compact(obj) for r in rows))
    console().print(table)
    typer.echo(LEGEND)


@app.command("show")
def show(role: RoleName, fmt: FormatOption = Format.table) -> None:
    """Show a role's level for each object and action."""
    from tinycrm.services import access, roles

    st = state()
    with st.session(write=False) as session:
        row = roles.get_role(session, role=role)
    cells = [{"object": obj, **levels} for obj, levels in row.grants.items()]
    emit(cells, fmt, st.tz, columns=("object", *access.ACTIONS))


@app.command("set")
def set_(
    role: RoleName,
    obj: Annotated[
        str,
        typer.Argument(
            metavar="OBJECT",
            help="contacts, companies, deals, activities, orders, tickets, campaigns, "
            "reports or users.",
        ),
    ],
    action: Annotated[
        str,
        typer.Argument(help="read, create, edit, delete, export, import or assign."),
    ],
    level: Annotated[str, typer.Argument(help="none, own, team or all.")],
) -> None:
    """Change what a role may do: one object, one action, one level."""
    from tinycrm.services import roles

    st = state()
    with st.session(write=True) as session:
        change = roles.set_grant(session, role=role, obj=obj, action=action, level=level)
    was = "" if change.before == change.level else f" (was {change.before})"
    same = " (unchanged)" if change.before == change.level else ""
    done(f"role {change.role}: {change.object} {change.action} {change.level}{was}{same}")
