"""The `--format` option every listing command takes, apart from how each format is printed
(`commands.render`), so that `crm remind` names it without loading the printers."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    jsonl = "jsonl"


FormatOption = Annotated[
    Format,
    typer.Option("--format", "-f", help="Output format: table, csv, json or jsonl."),
]
