"""`crm team …`: the groups a manager's view and a rep's reach follow."""

from __future__ import annotations

from typing import Annotated

import typer

from tinycrm.commands.base import App
from tinycrm.commands.common import forcing
from tinycrm.commands.render import Format, FormatOption, as_row, done, emit
from tinycrm.context import state

app = App(no_args_is_help=True)

Name = Annotated[str, typer.Argument(help="Team name, e.g. Sales (at most 200 characters).")]


@app.command("add")
def add(name: Name) -> None:
    """Add a team (only a role that may edit users)."""
    from tinycrm.services import teams

    st = state()
    with st.session(write=True) as session:
        row = teams.create_team(session, name=name, now=st.now())
    done(f"team #{row.id} added: {row.name}")


@app.command("list")
def list_(fmt: FormatOption = Format.table) -> None:
    """List teams with how many users are in each."""
    from tinycrm.services import teams

    st = state()
    with st.session(write=False) as session:
        rows = teams.list_teams(session)
    emit(
        [as_row(r) for r in rows],
        fmt,
        st.tz,
        columns=("id", "name", "members"),
        empty="no teams yet",
    )


@app.command("rm")
def rm(
    ref: Annotated[str, typer.Argument(help="Team id or name.")],
    force: Annotated[
        bool, typer.Option("--force", help="Remove it although it has members.")
    ] = False,
) -> None:
    """Remove a team; one with members only with --force, which leaves them in no team."""
    from tinycrm.services import teams
    from tinycrm.words import plural

    st = state()
    with st.session(write=True) as session, forcing():
        team, members = teams.delete_team(session, ref=ref, force=force)
    left = f"; {plural(members, 'member')} now in no team" if members else ""
    done(f"team #{team.id} removed: {team.name}{left}")
