"""Running `crm` in-process the way a user would, and reading back what it did."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from functools import cache
from typing import Any

import typer
from typer.testing import CliRunner

from tinycrm.cli import app


@dataclass
class Ran:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@cache
def _command() -> Any:
    """The whole `crm` command tree, built once: Typer builds it from every command's
    signature, about 70 ms, which `CliRunner.invoke` would pay on every call."""
    return typer.main.get_command(app)


class Crm:
    """`crm(...)` runs one command against the test database and returns what it printed."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None, ok: bool = True) -> Ran:
        code, failure = 0, None
        with self.runner.isolation(input=input) as (stdout, stderr, _):
            try:
                _command().main(args=list(args), prog_name="crm")
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
            except Exception as exc:  # what CliRunner.invoke would keep as result.exception
                code, failure = 1, exc
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
            ran = Ran(code, _text(stdout.getvalue()), _text(stderr.getvalue()))
        if ok and ran.code != 0:
            raise AssertionError(f"crm {' '.join(args)} exited {ran.code}: {ran.err or ran.out}")
        if failure is not None:
            raise failure
        return ran


def _text(data: bytes) -> str:
    """What was written, read as `Result.stdout` reads it."""
    return data.decode("utf-8", "replace").replace("\r\n", "\n")
