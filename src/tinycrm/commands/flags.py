"""The services' errors as the command line words them: a field the services name is said
as the option that gave it (`to` is `--to`), and what would let a change through as the
option to use. The app words the same errors by the fields' own names."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tinycrm.errors import CrmError

FLAGS = {
    "a": "--a",
    "article body": "--body",
    "acting user": "acting user (--as / CRM_USER)",
    "b": "--b",
    "by": "--by",
    "cost": "--cost",
    "delivery date": "--on",
    "drop reason": "--reason",
    "due date": "--due",
    "every": "--every",
    "from": "--from",
    "lifecycle": "--lifecycle",
    "months": "--months",
    "order amount": "--amount",
    "payment amount": "--amount",
    "os login": "--os-login",
    "payment date": "--date",
    "period": "--period",
    "remind": "--remind",
    "reassign to": "--reassign-to",
    "repeat rule": "--rrule",
    "segment": "--save-segment",
    "sheet": "--sheet",
    "sort keys": "--sort",
    "stage map": "--stage-map",
    "state": "--state",
    "status filter": "--status",
    "ticket priority": "--priority",
    "to": "--to",
    "year": "--year",
}
"""Field (as the services name it) -> how the command line says it."""

HINTS = {
    "allow overpay": " (use --allow-overpay)",
    "cascade": "; use --cascade to delete them with it",
    "create owners": " (use --create-owners)",
    "database": " (use --db PATH)",
    "reassign to": " (use --reassign-to USER)",
    "stage map": " (or map it with --stage-map)",
}
"""What would let a change through (an error's `use`) -> the advice the command line adds."""


def said(error: CrmError) -> str:
    """The error's one line as the command line says it."""
    return error.said(FLAGS, HINTS)


def advice(use: str | None) -> str:
    """The command line's advice on `use` (what an import's rejected row would need)."""
    return HINTS.get(use, "") if use else ""
