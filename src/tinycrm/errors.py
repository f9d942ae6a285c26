"""The errors every layer raises; the CLI maps them to one line and an exit code."""

from __future__ import annotations


class CrmError(Exception):
    """A problem the user can fix; its message is one line that names it."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(CrmError):
    """A value that cannot be used: names the field and the value."""

    def __init__(self, field: str, value: object, reason: str) -> None:
        super().__init__(
            f"{field}: {reason}: {value!r}" if value is not None else f"{field}: {reason}"
        )
        self.field = field
        self.value = value


class NotFound(CrmError):
    """A reference that matches no record."""

    def __init__(self, what: str, ref: object) -> None:
        super().__init__(f"{what} not found: {ref!r}")


class Ambiguous(CrmError):
    """A reference that matches more than one record."""

    def __init__(self, what: str, ref: object, candidates: list[str]) -> None:
        shown = ", ".join(candidates[:5]) + (" …" if len(candidates) > 5 else "")
        super().__init__(f"{what} {ref!r} is ambiguous: matches {shown}")


class Conflict(CrmError):
    """The change clashes with data already there (a duplicate, a record in use)."""

    exit_code = 3


class DatabaseError(CrmError):
    """The database cannot be opened or used (missing, locked, too new)."""
