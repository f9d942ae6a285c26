"""The errors every layer raises; the CLI maps them to one line and an exit code."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from shlex import quote
from types import MappingProxyType

NONE: Mapping[str, str] = MappingProxyType({})


def shown(value: object) -> str:
    """A value as the user would type it: text quoted, so spaces and empty text show;
    numbers (a Decimal too), dates and durations plain (`2026-12-01`, `3d`), never a repr
    like `datetime.timedelta(0)`."""
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, date):  # a datetime too
        return value.isoformat()
    if isinstance(value, timedelta):
        return _duration(value)
    return str(value)


def _duration(value: timedelta) -> str:
    """`0d`, `3d`, `2h`, `90m`, `45s`: the largest unit `parse_duration` reads that fits."""
    seconds = int(value.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


class CrmError(Exception):
    """A problem the user can fix; its message is one line that names it.

    What is wrong (`field`) and what would let it through (`use`, an option such as
    `allow overpay`) are data, never a command line's flag: each face words them (`said`)."""

    exit_code = 2

    def __init__(self, message: str, *, field: str | None = None, use: str | None = None) -> None:
        self.problem = message
        self.field = field
        self.use = use
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """The line as the app says it: each field by its name, no advice on options."""
        return self.said()

    def said(self, flags: Mapping[str, str] = NONE, hints: Mapping[str, str] = NONE) -> str:
        """The line naming each field as `flags` does (else by its name), with the advice
        `hints` gives on `use` (else none): the command line passes its options here."""
        text = self._problem(flags) + (hints.get(self.use, "") if self.use else "")
        return f"{flags.get(self.field, self.field)}: {text}" if self.field else text

    def _problem(self, flags: Mapping[str, str]) -> str:
        return self.problem


class InvalidInput(CrmError):
    """A value that cannot be used: names the field and the value."""

    def __init__(self, field: str, value: object, reason: str, *, use: str | None = None) -> None:
        self.value = value
        super().__init__(reason, field=field, use=use)

    def said(self, flags: Mapping[str, str] = NONE, hints: Mapping[str, str] = NONE) -> str:
        text = super().said(flags, hints)
        return f"{text}: {shown(self.value)}" if self.value is not None else text


class EndsBeforeStart(InvalidInput):
    """An end (`to`) before the start (`from`) it goes with: names both fields."""

    def __init__(self, field: str, value: date, *, start_field: str, start: date) -> None:
        self.start_field = start_field
        self.start = start
        super().__init__(field, value.isoformat(), f"before {start_field} {start.isoformat()}")

    def _problem(self, flags: Mapping[str, str]) -> str:
        return f"before {flags.get(self.start_field, self.start_field)} {self.start.isoformat()}"


class NotFound(CrmError):
    """A reference that matches no record."""

    def __init__(self, what: str, ref: object) -> None:
        super().__init__(f"{what} not found: {shown(ref)}")


class Ambiguous(CrmError):
    """A reference that matches more than one record."""

    def __init__(self, what: str, ref: object, candidates: list[str]) -> None:
        listed = ", ".join(candidates[:5]) + (" …" if len(candidates) > 5 else "")
        super().__init__(f"{what} {shown(ref)} is ambiguous: matches {listed}")


class Conflict(CrmError):
    """The change clashes with data already there (a duplicate, a record in use), or with
    a record's state: what is asked is already so (`deal #4 is already won`, a ticket
    already resolved, an activity already done) or the state rules it out (a closed deal
    has no next stage). Input wrong whatever the data is an InvalidInput (exit 2)."""

    exit_code = 3


class Changed(Conflict):
    """An edit made from a stale read: the record changed since it was read (its version
    moved on), so applying the edit would overwrite someone else's change unseen."""

    def __init__(self, record: str, *, version: int | None = None, read: int | None = None) -> None:
        self.record = record
        self.version = version
        self.read = read
        at = f" (now version {version}, you read {read})" if version is not None else ""
        super().__init__(
            f"{record} was changed by someone else since you read it{at}; show it again and retry"
        )


def check_version(record: str, version: int, expected: int | None) -> None:
    """Refuse an edit meant for version `expected` of a record now at `version`."""
    if expected is not None and version != expected:
        raise Changed(record, version=version, read=expected)


class NeedsForce(Conflict):
    """A change that would take other records with it, or leave them behind: refused unless
    the caller forces it. `what` says how things stand and `forced` what forcing does, so
    each face can word how to force (`--force`, a confirm dialog)."""

    def __init__(self, what: str, forced: str) -> None:
        super().__init__(f"{what}; forced, this {forced}")
        self.what = what
        self.forced = forced


class DatabaseError(CrmError):
    """The database cannot be opened or used (missing, locked, too new)."""


class NoDatabase(DatabaseError):
    """No database where one was named: only `crm init` makes one (and `crm demo`, `crm
    restore`, and the default file on first use), so a mistyped path is never a new, empty
    database that "has no deals"."""

    def __init__(self, path: object) -> None:
        super().__init__(f"no database at {path}; `crm init --db {quote(str(path))}` creates one")
