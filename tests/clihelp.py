"""Running `crm` in-process the way a user would, and reading back what it did."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from typer.testing import CliRunner

from tinycrm.cli import app


@dataclass
class Ran:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


class Crm:
    """`crm(...)` runs one command against the test database and returns what it printed."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None, ok: bool = True) -> Ran:
        result = self.runner.invoke(app, list(args), input=input)
        ran = Ran(result.exit_code, result.stdout, result.stderr)
        if ok and ran.code != 0:
            raise AssertionError(f"crm {' '.join(args)} exited {ran.code}: {ran.err or ran.out}")
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return ran
