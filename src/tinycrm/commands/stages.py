"""`crm stage …`: the pipeline's stages, in order, with win probabilities."""

from __future__ import annotations

from typing import Annotated

import typer

from tinycrm.commands.base import App
from tinycrm.commands.common import confirm
from tinycrm.commands.render import Format, FormatOption, as_row, done, emit
from tinycrm.context import state

app = App(no_args_is_help=True)

Name = Annotated[str, typer.Argument(help="Stage name.")]
Before = Annotated[str | None, typer.Option(help="Place it just before this stage.")]
COLUMNS = ("position", "name", "probability", "kind", "open_deals")


@app.command("list")
def list_(fmt: FormatOption = Format.table) -> None:
    """List the stages in pipeline order."""
    from tinycrm.services import stages

    st = state()
    with st.session(write=False) as session:
        rows = stages.list_stages(session)
    emit([as_row(r) for r in rows], fmt, st.tz, columns=COLUMNS)


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Stage name (at most 100 characters).")],
    probability: Annotated[int, typer.Option(help="Chance of winning a deal here, 0-100 %.")],
    before: Before = None,
) -> None:
    """Add an open stage (by default after the last open one)."""
    from tinycrm.services import stages

    st = state()
    with st.session(write=True) as session:
        row = stages.add_stage(session, name=name, probability=probability, before=before)
    done(f"stage {row.name!r} added at position {row.position}")


@app.command("edit")
def edit(
    name: Name,
    rename: Annotated[
        str | None, typer.Option("--name", help="New name (at most 100 characters).")
    ] = None,
    probability: Annotated[int | None, typer.Option(help="New probability, 0-100 %.")] = None,
    before: Before = None,
) -> None:
    """Rename a stage, change its probability or move it."""
    from tinycrm.services import stages

    st = state()
    with st.session(write=True) as session:
        row = stages.edit_stage(
            session, ref=name, name=rename, probability=probability, before=before
        )
    done(f"stage {row.name!r} updated (position {row.position}, {row.probability} %)")


@app.command("rm")
def rm(
    name: Name, yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False
) -> None:
    """Remove a stage no deal is in or has passed through."""
    from tinycrm.services import stages

    st = state()
    with st.session(write=False) as session:
        found = stages.removable_stage(session, ref=name).name
    confirm(f"remove stage {found!r}?", yes=yes)
    with st.session(write=True) as session:
        stage = stages.remove_stage(session, ref=found)
    done(f"stage {stage.name!r} removed")
