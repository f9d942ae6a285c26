"""`crm report …`: funnel, stage conversion, rep performance, forecast and pipeline."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Funnel, stage conversion, rep performance, forecast and pipeline reports.",
    no_args_is_help=True,
)
