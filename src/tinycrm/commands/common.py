"""What every command shares beyond the run's state (`tinycrm.context`): `key=value`
options, `--force` and `--yes`, and the options the user actually gave."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tinycrm.errors import InvalidInput

if TYPE_CHECKING:
    pass

IfVersion = Annotated[
    int | None,
    typer.Option(
        "--if-version",
        help="Change it only if it is still at this version (shown by `show --format json`); "
        "else exit 3, nothing changed.",
    ),
]
"""For scripts: a change meant for the version they read is refused once it moved on."""


def key_values(pairs: list[str] | None, field: str = "--field") -> dict[str, Any] | None:
    """`["size=40", "vat=FR12"]` as a dict; an empty value (`size=`) removes the field."""
    if not pairs:
        return None
    result: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InvalidInput(field, pair, "write it as KEY=VALUE")
        result[key.strip()] = value.strip()
    return result


@contextmanager
def forcing() -> Iterator[None]:
    """A change the services refuse unless forced, told as the command line says it: how
    things stand, then what `--force` would do."""
    from tinycrm.errors import Conflict, NeedsForce

    try:
        yield
    except NeedsForce as exc:
        raise Conflict(f"{exc.what}; --force {exc.forced}") from None


def confirm(prompt: str, *, yes: bool) -> None:
    """Go on when --yes was given or the user says yes; otherwise stop with exit code 1."""
    if yes:
        return
    try:
        agreed = typer.confirm(f"{prompt} [use --yes to skip this question]", err=True)
    except typer.Abort:
        agreed = False
    if not agreed:
        typer.echo("nothing deleted", err=True)
        raise typer.Exit(1)


def given(**options: Any) -> dict[str, Any]:
    """The options the user actually passed (not None), for an `XUpdate(**given(...))`."""
    return {k: v for k, v in options.items() if v is not None}
