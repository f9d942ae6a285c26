"""The Textual app behind `crm tui`."""

from __future__ import annotations

from typing import Any


def run(state: Any) -> None:
    from tinycrm.errors import CrmError

    raise CrmError("the terminal app is not built yet")
