"""`crm lead …`: the lead pool: list, claim, assign, qualify, drop and reclaim leads."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Leads and the lead pool: claim, assign, qualify, drop, reclaim.", no_args_is_help=True
)
