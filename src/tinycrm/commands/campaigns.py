"""`crm campaign …`: marketing campaigns, their cost and what they brought in."""

from __future__ import annotations

import typer

app = typer.Typer(help="Campaigns: what they cost and what they brought in.", no_args_is_help=True)


def add_reports(report: typer.Typer) -> None:
    """`crm report campaigns`."""
