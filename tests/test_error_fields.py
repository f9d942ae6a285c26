"""Services name fields, never a command line's flags: the command line words a field as its
option (`--to`) and adds its advice (`use --allow-overpay`), the app words it by name."""

from __future__ import annotations

import ast
import re
from datetime import UTC, date
from pathlib import Path
from typing import Any, cast

import pytest

from tests.conftest import NOW
from tinycrm.commands import flags
from tinycrm.config import load_settings
from tinycrm.context import AppState
from tinycrm.db.store import open_database, session_scope
from tinycrm.errors import Conflict, CrmError, EndsBeforeStart, InvalidInput, NeedsForce
from tinycrm.screens.base import in_app
from tinycrm.services.demo import load_demo
from tinycrm.services.leads import claim_lead
from tinycrm.services.periods import date_range
from tinycrm.services.reminders.recurrence import parse_every

SRC = Path(__file__).parent.parent / "src" / "tinycrm"
FLAG = re.compile(r"--[a-z]")


def _raised_texts(path: Path) -> list[tuple[int, str]]:
    """Every string in a `raise` statement of the module, and every default of a `field`
    parameter, with its line."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None:
            found += [
                (c.lineno, c.value)
                for c in ast.walk(node.exc)
                if isinstance(c, ast.Constant) and isinstance(c.value, str)
            ]
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            args = node.args.kwonlyargs
            for arg, default in zip(args, node.args.kw_defaults, strict=True):
                if arg.arg == "field" and isinstance(default, ast.Constant):
                    found.append((default.lineno, str(default.value)))
    return found


def test_no_service_error_names_a_flag() -> None:
    modules = [*(SRC / "services").rglob("*.py"), SRC / "context.py", *(SRC / "db").rglob("*.py")]
    flagged = [
        f"{path.relative_to(SRC)}:{line}: {text}"
        for path in modules
        for line, text in _raised_texts(path)
        if FLAG.search(text)
    ]
    assert flagged == []


ERRORS: list[tuple[CrmError, str, str]] = [
    (
        InvalidInput("period", "week", "must be month, quarter or year"),
        "--period: must be month, quarter or year: 'week'",
        "period: must be month, quarter or year: 'week'",
    ),
    (
        EndsBeforeStart("to", date(2026, 1, 1), start_field="from", start=date(2026, 2, 1)),
        "--to: before --from 2026-02-01: '2026-01-01'",
        "to: before from 2026-02-01: '2026-01-01'",
    ),
    (
        InvalidInput(
            "payment amount", "9", "more than the 5.00 EUR outstanding", use="allow overpay"
        ),
        "--amount: more than the 5.00 EUR outstanding (use --allow-overpay): '9'",
        "payment amount: more than the 5.00 EUR outstanding: '9'",
    ),
    (
        Conflict("order #2 is already paid in full", use="allow overpay"),
        "order #2 is already paid in full (use --allow-overpay)",
        "order #2 is already paid in full",
    ),
    (
        Conflict("company 'Acme' has 2 deals", use="cascade"),
        "company 'Acme' has 2 deals; use --cascade to delete them with it",
        "company 'Acme' has 2 deals",
    ),
    (
        CrmError("user not found: 'nobody'", field="acting user"),
        "acting user (--as / CRM_USER): user not found: 'nobody'",
        "acting user: user not found: 'nobody'",
    ),
    (
        InvalidInput("claimed by", None, "who claims it? no acting user is set", use="acting user"),
        "claimed by: who claims it? no acting user is set",
        "claimed by: who claims it? no acting user is set; start the app as you "
        "(crm --as USER) or set CRM_USER; A assigns it to someone",
    ),
    (
        NeedsForce("deal #4 has 1 order", "deletes them"),
        "deal #4 has 1 order; forced, this deletes them",
        "deal #4 has 1 order; forced, this deletes them",
    ),
]


@pytest.mark.parametrize(("error", "cli", "app"), ERRORS)
def test_each_face_words_the_same_error(error: CrmError, cli: str, app: str) -> None:
    assert flags.said(error) == cli
    assert in_app(error) == app
    assert not FLAG.search(error.message)  # what the services say, and any other caller reads


def test_services_name_fields_and_what_would_let_it_through() -> None:
    with pytest.raises(EndsBeforeStart) as backwards:
        date_range(date(2026, 2, 1), date(2026, 1, 1), UTC)
    assert (backwards.value.field, backwards.value.start_field) == ("to", "from")
    assert backwards.value.message == "to: before from 2026-02-01: '2026-01-01'"
    with pytest.raises(InvalidInput) as every:
        parse_every("fortnightly")
    assert every.value.field == "every"
    with pytest.raises(InvalidInput) as nobody:
        claim_lead(cast(Any, None), ref="1", actor=None, now=NOW)
    assert (nobody.value.field, nobody.value.use) == ("claimed by", "acting user")


def test_an_import_rejection_keeps_the_command_lines_advice_apart() -> None:
    assert flags.advice("create owners") == " (use --create-owners)"
    assert flags.advice(None) == ""


@pytest.mark.asyncio
async def test_the_app_names_the_acting_user_without_a_flag(tmp_path: Path) -> None:
    from tinycrm.screens.contact import ContactScreen
    from tinycrm.tui import CrmApp

    path = tmp_path / "crm.db"
    db = open_database(load_settings(db_path=str(path), currency="USD"))
    with session_scope(db, write=True) as session:
        load_demo(session, now=NOW, currency="USD")
    db.engine.dispose()
    app = CrmApp(AppState(db_path=str(path), as_user="nobody"))
    said: list[tuple[str, str]] = []
    shown = app.notify

    def notify(message: str, **options: Any) -> None:
        said.append((options.get("severity", "information"), str(message)))
        shown(message, **options)

    app.notify = notify  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        pilot.app.push_screen(ContactScreen(30))  # a lead nobody owns
        await pilot.pause()
        await pilot.press("c")
        for _ in range(20):
            await app.workers.wait_for_complete()
            await pilot.pause()
            if said:
                break
    # Said as the app starts, by the screen that cannot load, and again on the claim.
    assert set(said) == {("error", "acting user: user not found: 'nobody'")}
