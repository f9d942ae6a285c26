"""`crm ticket …` and `crm kb …`: customer service tickets and solution articles."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Service tickets: open, assign, comment, resolve, rate.", no_args_is_help=True
)
kb = typer.Typer(help="Solution articles: add, search, show.", no_args_is_help=True)


def add_reports(report: typer.Typer) -> None:
    """`crm report service`."""
