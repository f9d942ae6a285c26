"""`crm order …` and `crm payment …`: what won deals turned into, and money received."""

from __future__ import annotations

import typer

app = typer.Typer(help="Orders: what a won deal turned into.", no_args_is_help=True)
payments = typer.Typer(help="Payments received against orders.", no_args_is_help=True)


def add_reports(report: typer.Typer) -> None:
    """`crm report receivables`."""
