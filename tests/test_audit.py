"""The audit log: one entry per change, with old and new values, who and from where; read
within the reader's scope; written only, never changed."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Any

import pytest

from tests.clihelp import Crm
from tinycrm.services import audit

NOW = "2026-11-23T09:30:00+00:00"


def entries(crm: Crm, *args: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = crm(*args, "audit", "list", "--format", "json").json()
    return found


@pytest.fixture
def shop(crm: Crm) -> Crm:
    """An admin, two reps; each rep owns a deal."""
    crm("user", "add", "Ada Admin", "--role", "admin")
    crm("user", "add", "Ana Ruiz", "--role", "rep")
    crm("user", "add", "Bo Chen", "--role", "rep")
    crm("--as", "ana", "deal", "add", "Ana's deal", "--amount", "100")
    crm("--as", "bo", "deal", "add", "Bo's deal", "--amount", "200")
    return crm


def test_create_edit_and_delete_are_logged_with_old_and_new_values(crm: Crm) -> None:
    crm("user", "add", "Ana Ruiz", "--role", "admin")
    crm("--as", "ana", "company", "add", "Acme")
    crm("--as", "ana", "company", "edit", "Acme", "--city", "Oslo")
    crm("--as", "ana", "company", "rm", "Acme", "--yes")
    found = entries(crm, "--as", "ana")
    assert [(e["object"], e["record_id"], e["action"]) for e in found] == [
        ("companies", 1, "delete"),
        ("companies", 1, "edit"),
        ("companies", 1, "create"),
        ("users", 1, "create"),
    ]
    deleted, edited, created, user = found
    assert created["changes"] == {"name": [None, "Acme"]}
    assert edited["changes"] == {"city": [None, "Oslo"]}
    assert deleted["changes"] == {"name": ["Acme", None], "city": ["Oslo", None]}
    assert {(e["user"], e["source"], e["at"]) for e in found[:3]} == {("Ana Ruiz", "cli", NOW)}
    assert user["user"] is None  # nobody was named when the first user was added
    assert user["changes"]["role"] == [None, "admin"]


def test_a_deal_move_win_and_loss_are_named_for_what_they_are(shop: Crm) -> None:
    shop("--as", "ana", "deal", "move", "1", "qualified")
    shop("--as", "ana", "deal", "won", "1")
    shop("--as", "ana", "deal", "edit", "1", "--amount", "150")
    found = shop("--as", "ana", "audit", "list", "--object", "deals", "--id", "1", "-f", "json")
    rows = found.json()
    assert [e["action"] for e in rows] == ["edit", "win", "move", "create"]
    edit, win, move, _ = rows
    assert edit["changes"] == {"amount_minor": [10000, 15000]}
    assert move["changes"] == {"stage_id": [1, 3]}
    assert win["changes"]["status"] == ["open", "won"]
    table = shop("--as", "ana", "audit", "list", "--object", "deals", "--id", "1").out
    assert "stage: qualified → won" in table and "stage: lead → qualified" in table
    # Read as a person reads them: money in its currency, owners by name, times to the minute.
    assert "amount: 100.00 USD → 150.00 USD" in table
    assert "closed_at: 2026-11-23 09:30 UTC" in table
    assert "owner: Ana Ruiz" in table
    shown = shop("--as", "ana", "audit", "show", str(edit["id"])).out
    assert "amount   100.00 USD   150.00 USD" in shown
    shop("--as", "ana", "company", "add", "Acme")
    shop("--as", "ana", "contact", "add", "Li Wei")
    shop("--as", "ana", "deal", "edit", "1", "--company", "Acme", "--contact", "Li Wei")
    linked = shop("--as", "ana", "audit", "list", "--object", "deals", "--id", "1", "-f", "json")
    assert linked.json()[0]["changes"] == {"company_id": [None, 1], "contact_id": [None, 1]}
    latest = shop("--as", "ana", "audit", "list", "--object", "deals", "--id", "1", "--limit", "1")
    assert "company: Acme; contact: Li Wei" in latest.out


def test_a_rep_sees_entries_of_records_they_may_read_and_their_own(shop: Crm) -> None:
    mine = entries(shop, "--as", "ana")
    assert {(e["object"], e["record_id"]) for e in mine} >= {("deals", 1)}
    assert ("deals", 2) not in {(e["object"], e["record_id"]) for e in mine}
    assert len(entries(shop, "--as", "ada")) == len(entries(shop)) == 5
    bo_entry = next(e for e in entries(shop) if e["record_id"] == 2 and e["object"] == "deals")
    hidden = shop("--as", "ana", "audit", "show", str(bo_entry["id"]), ok=False)
    assert (hidden.code, hidden.err) == (
        2,
        f"crm: error: audit entry not found: {bo_entry['id']}\n",
    )
    # A deleted record's entries: only an admin still sees them.
    shop("--as", "ana", "deal", "rm", "1", "--yes")
    assert ("deals", 1) not in {(e["object"], e["record_id"]) for e in entries(shop, "--as", "bo")}
    assert ("deals", 1) in {(e["object"], e["record_id"]) for e in entries(shop, "--as", "ada")}


def test_an_import_is_one_entry_with_its_counts(crm: Crm, tmp_path: Path) -> None:
    crm("user", "add", "Ana Ruiz", "--role", "admin")
    rows = "\n".join(f"Person {i},p{i}@example.com,Firm {i % 3}" for i in range(40))
    (tmp_path / "people.csv").write_text("name,email,company\n" + rows + "\n")
    crm("--as", "ana", "import", "contacts", str(tmp_path / "people.csv"))
    (found,) = [e for e in entries(crm) if e["action"] == "import"]
    assert found["object"] == "contacts" and found["source"] == "import"
    assert found["user"] == "Ana Ruiz" and found["note"].endswith("people.csv")
    changes = found["changes"]
    assert changes["created"] == [None, 40] and changes["batch"] == [None, 1]
    assert changes["companies"] == [None, 3]
    assert [e["action"] for e in entries(crm)] == ["import", "create"]  # no entry per row
    crm("--as", "ana", "import", "undo", "1")
    undo = entries(crm)[0]
    assert (undo["action"], undo["changes"]["contacts"]) == ("undo import", [40, 0])


def test_the_app_is_named_as_the_source(crm: Crm, fresh_db: str) -> None:
    from tinycrm.config import load_settings
    from tinycrm.context import AppState
    from tinycrm.models import CompanyCreate
    from tinycrm.services.companies import create_company
    from tinycrm.tui import CrmApp

    crm("user", "add", "Ana Ruiz", "--role", "admin")
    state = AppState(as_user="ana")
    state.settings = load_settings(database_url=fresh_db) if "://" in fresh_db else state.settings
    app = CrmApp(state)
    with app.state.session(write=True) as session:
        create_company(session, data=CompanyCreate(name="Acme"))
    newest = entries(crm)[0]
    assert (newest["object"], newest["source"], newest["user"]) == ("companies", "app", "Ana Ruiz")


def test_the_filters_and_formats(shop: Crm) -> None:
    assert [e["object"] for e in entries(shop, "--as", "ada")][:2] == ["deals", "deals"]
    only = shop("audit", "list", "--user", "bo", "-f", "json").json()
    assert [(e["object"], e["record_id"]) for e in only] == [("deals", 2)]
    assert shop("audit", "list", "--since", "2026-11-24", ok=False).code == 1
    csv = shop("audit", "list", "--object", "deals", "-f", "csv").out.splitlines()
    assert csv[0] == "id,at,user,login,source,object,record_id,action,changes,note"
    bad = shop("audit", "list", "--object", "dealz", ok=False)
    assert bad.code == 2 and "--object" in bad.err


def test_nothing_in_the_service_updates_or_deletes_an_entry() -> None:
    tree = ast.parse(inspect.getsource(audit))
    called = {
        node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
    }
    assert "insert" in called
    assert not called & {"update", "delete"}
