"""The administrator's commands: teams, roles and their grants, users' role, team and login,
and someone who leaves (deactivated, their open work handed over, their history kept)."""

from __future__ import annotations

import pytest

from tests.clihelp import Crm
from tests.conftest import sqlite_only
from tinycrm.services.access import OBJECTS


@pytest.fixture
def office(crm: Crm) -> Crm:
    """Ada administers; Ana and Bo are reps in Sales; Mia manages."""
    crm("user", "add", "Ada Admin", "--role", "admin", "--email", "ada@shop.example")
    crm("team", "add", "Sales")
    crm("user", "add", "Ana Ruiz", "--role", "rep", "--team", "sales", "--os-login", "ana")
    crm("user", "add", "Bo Chen", "--role", "rep", "--team", "Sales")
    crm("user", "add", "Mia Park", "--role", "manager")
    return crm


def refused(ran_code: int, err: str, code: int, line: str) -> None:
    assert (ran_code, err) == (code, f"crm: error: {line}\n")


def test_teams_are_added_listed_and_removed(office: Crm) -> None:
    assert office("team", "add", "North").out == "team #2 added: North\n"
    teams = office("team", "list", "-f", "json").json()
    assert [(t["name"], t["members"]) for t in teams] == [("North", 0), ("Sales", 2)]
    assert office("team", "rm", "north").out == "team #2 removed: North\n"
    taken = office("team", "add", " sales ", ok=False)
    refused(taken.code, taken.err, 3, "team name: a team named 'Sales' already exists (#1)")
    held = office("team", "rm", "Sales", ok=False)
    refused(held.code, held.err, 3, "team 'Sales' has 2 members; --force leaves them in no team")
    forced = office("team", "rm", "Sales", "--force")
    assert forced.out == "team #1 removed: Sales; 2 members now in no team\n"
    assert {u["team"] for u in office("user", "list", "-f", "json").json()} == {None}
    gone = office("team", "rm", "Sales", ok=False)
    refused(gone.code, gone.err, 2, "team not found: 'Sales'")


@sqlite_only  # on PostgreSQL the login is made (tests/test_server_rls.py)
def test_a_user_gets_a_login_later_and_a_password_only_on_the_server(office: Crm) -> None:
    assert office("user", "show", "bo", "-f", "json").json()["login"] is None
    assert "(login bo_chen)" in office("user", "edit", "bo", "--login", "bo_chen").out
    assert office("user", "show", "bo", "-f", "json").json()["login"] == "bo_chen"
    taken = office("user", "edit", "ana", "--login", "bo_chen", ok=False)
    refused(taken.code, taken.err, 3, "login: user #3 'Bo Chen' already has the login 'bo_chen'")
    none = office("user", "edit", "mia", "--password-stdin", input="pw\n", ok=False)
    refused(none.code, none.err, 2, "--password-stdin: Mia Park has no login; give --login")
    local = office("user", "edit", "bo", "--password-stdin", input="pw\n", ok=False)
    refused(local.code, local.err, 2, "password: a password is kept by the team server only")


def test_user_list_shows_role_team_and_whether_active(office: Crm) -> None:
    rows = office("user", "list", "-f", "json").json()
    assert [(u["name"], u["role"], u["team"], u["active"]) for u in rows] == [
        ("Ada Admin", "admin", None, True),
        ("Ana Ruiz", "rep", "Sales", True),
        ("Bo Chen", "rep", "Sales", True),
        ("Mia Park", "manager", None, True),
    ]
    assert office("user", "show", "ana", "-f", "json").json()["os_login"] == "ana"
    office("user", "edit", "mia", "--team", "Sales", "--os-login", "mia")
    office("user", "edit", "ana", "--team", "", "--os-login", "")
    shown = office("user", "show", "ana", "-f", "json").json()
    assert (shown["team"], shown["os_login"]) == (None, None)
    assert office("user", "show", "mia", "-f", "json").json()["team"] == "Sales"
    dup = office("user", "edit", "bo", "--os-login", "mia", ok=False)
    refused(dup.code, dup.err, 3, "os login: 'mia' already acts as #4 'Mia Park'")
    bad = office("user", "add", "Val Ortiz", "--role", "boss", ok=False)
    refused(bad.code, bad.err, 2, "--role: must be admin, manager, rep or viewer: 'boss'")
    nowhere = office("user", "add", "Val Ortiz", "--team", "Ops", ok=False)
    refused(nowhere.code, nowhere.err, 2, "team not found: 'Ops'")


def test_role_list_and_show_read_the_presets(office: Crm) -> None:
    listed = office("role", "list").out
    assert "object       admin (1)   manager (1)   rep (2)   viewer (0)" in listed
    assert " contacts     aaaaaaa     ttttttt       toootoo   a------" in listed
    assert " reports      aaaaaaa     t---t--       o---o--   a------" in listed
    assert listed.endswith(
        "levels for read, create, edit, delete, export, import, assign in that order:\n"
        "a all, t team, o own, - none\n"
    )
    roles = office("role", "list", "-f", "json").json()
    assert [(r["role"], r["active_users"]) for r in roles] == [
        ("admin", 1), ("manager", 1), ("rep", 2), ("viewer", 0),
    ]  # fmt: skip
    assert (roles[2]["deals"]["delete"], roles[2]["users"]["read"]) == ("own", "all")
    compact = office("role", "list", "-f", "csv").out.splitlines()
    assert compact[0].startswith(
        "role,active_users,contacts,companies,deals,activities,orders,tickets,campaigns,"
        "reports,users"
    )
    assert compact[3].startswith(
        "rep,2,toootoo,toootoo,ooooooo,ooooooo,ooooooo,ooooooo,a------,o---o--,a------"
    )
    products = compact[0].split(",").index("products")
    assert [row.split(",")[products] for row in compact[1:]] == [
        "aaaaaaa",
        "aaaaaaa",
        "a---a--",
        "a---a--",
    ]  # fmt: skip  (the catalogue: everyone reads it, admins and managers change it)
    rep = office("role", "show", "rep", "-f", "csv").out.splitlines()
    assert rep[0] == "object,read,create,edit,delete,export,import,assign"
    assert rep[1] == "contacts,team,own,own,own,team,own,own"
    assert rep[9] == "users,all,none,none,none,none,none,none"
    viewer = office("role", "show", "viewer", "-f", "json").json()
    assert {row["read"] for row in viewer} == {"all"}


def test_role_set_changes_one_grant_and_holds_from_the_next_command(office: Crm) -> None:
    office("deal", "add", "Bo's deal", "--owner", "bo")
    before = office("--as", "ana", "deal", "list", "-f", "json", ok=False)
    assert before.code == 1
    assert office("role", "set", "rep", "deals", "read", "team").out == (
        "role rep: deals read team (was own)\n"
    )
    after = office("--as", "ana", "deal", "list", "-f", "json").json()
    assert [d["title"] for d in after] == ["Bo's deal"]
    again = office("role", "set", "REP", "Deals", "read", "team").out
    assert again == "role rep: deals read team (unchanged)\n"
    assert office("role", "show", "rep", "-f", "json").json()[2]["read"] == "team"


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ("boss", "deals", "read", "all"),
            "role: must be one of admin, manager, rep, viewer: 'boss'",
        ),
        (
            ("rep", "dealz", "read", "all"),
            f"object: must be one of {', '.join(OBJECTS)}: 'dealz'",
        ),
        (
            ("rep", "deals", "steal", "all"),
            "action: must be one of read, create, edit, delete, export, import, assign: 'steal'",
        ),
        (("rep", "deals", "read", "most"), "level: must be one of none, own, team, all: 'most'"),
    ],
)
def test_role_set_refuses_bad_input_in_one_line(
    office: Crm, args: tuple[str, ...], line: str
) -> None:
    ran = office("role", "set", *args, ok=False)
    refused(ran.code, ran.err, 2, line)


def test_only_a_role_that_may_edit_users_changes_users_teams_and_roles(office: Crm) -> None:
    cases = [
        (("team", "add", "North"), "edit users"),
        (("team", "rm", "Sales", "--force"), "edit users"),
        (("role", "set", "rep", "deals", "read", "all"), "edit users"),
        (("user", "edit", "bo", "--role", "admin"), "edit users"),
        (("user", "deactivate", "bo", "--reassign-to", "ana"), "edit users"),
        (("user", "activate", "bo"), "edit users"),
        (("user", "add", "Val Ortiz"), "create users"),
        (("user", "rm", "bo", "--yes"), "delete users"),
    ]
    for args, what in cases:
        ran = office("--as", "mia", *args, ok=False)
        action = what.split()[0]
        refused(
            ran.code,
            ran.err,
            4,
            f"not allowed: {what} (role manager has users {action}: none)",
        )
    assert office("--as", "ada", "team", "add", "North").out == "team #2 added: North\n"
    assert office("team", "add", "South").code == 0  # nobody acting: the file's owner


def test_the_last_active_admin_stays_one(office: Crm) -> None:
    demoted = office("user", "edit", "ada", "--role", "rep", ok=False)
    refused(
        demoted.code,
        demoted.err,
        3,
        "Ada Admin is the last active admin and cannot be demoted; make someone else an admin "
        "first",
    )
    gone = office("user", "deactivate", "ada", ok=False)
    assert gone.code == 3 and "cannot be deactivated" in gone.err
    deleted = office("user", "rm", "ada", "--yes", ok=False)
    assert deleted.code == 3 and "cannot be deleted" in deleted.err
    locked = office("role", "set", "admin", "users", "edit", "none", ok=False)
    refused(
        locked.code,
        locked.err,
        3,
        "admins keep users edit: without it nobody could change roles again",
    )
    office("user", "edit", "mia", "--role", "admin")
    assert office("user", "edit", "ada", "--role", "rep").out == "user #1 updated: Ada Admin\n"


def test_deactivating_someone_who_leaves_hands_over_their_open_work(office: Crm) -> None:
    office("contact", "add", "Li Wei", "--owner", "bo", "--status", "lead")
    office("contact", "add", "Sam Ode", "--owner", "bo")
    office("deal", "add", "Open one", "--owner", "bo", "--contact", "Sam Ode")
    office("deal", "add", "Won one", "--owner", "bo")
    office("deal", "won", "2")
    office("activity", "schedule", "Call back", "--due", "tomorrow", "--owner", "bo")
    office("activity", "log", "call", "--note", "Called", "--owner", "bo", "--deal", "1")
    office("ticket", "open", "Broken", "--owner", "bo")
    office("ticket", "open", "Old", "--owner", "bo")
    office("ticket", "resolve", "2")

    held = office("user", "deactivate", "bo", ok=False)
    refused(
        held.code,
        held.err,
        3,
        "Bo Chen still has 1 open deal, 1 lead, 1 open task, 1 open ticket; say who takes "
        "them over (use --reassign-to USER)",
    )
    self_ = office("user", "deactivate", "bo", "--reassign-to", "bo", ok=False)
    refused(
        self_.code, self_.err, 2,
        "--reassign-to: the person who leaves cannot take their own work: 'bo'",
    )  # fmt: skip
    gone = office("--as", "ada", "user", "deactivate", "bo", "--reassign-to", "ana")
    assert gone.out == (
        "user #3 deactivated: Bo Chen; to Ana Ruiz: 1 open deal, 1 lead, 1 open task, "
        "1 open ticket\n"
    )
    deals = {
        d["title"]: d["owner"]
        for d in office("deal", "list", "--status", "all", "-f", "json").json()
    }
    assert deals == {"Open one": "Ana Ruiz", "Won one": "Bo Chen"}
    contacts = {c["name"]: c["owner"] for c in office("contact", "list", "-f", "json").json()}
    assert contacts == {"Li Wei": "Ana Ruiz", "Sam Ode": "Bo Chen"}
    acts = office("activity", "list", "-f", "json").json()
    assert sorted((a["subject"], a["owner"]) for a in acts) == [
        ("Call back", "Ana Ruiz"), ("Called", "Bo Chen"),
    ]  # fmt: skip
    tickets = {
        t["subject"]: t["owner"]
        for t in office("ticket", "list", "--status", "all", "-f", "json").json()
    }
    assert tickets == {"Broken": "Ana Ruiz", "Old": "Bo Chen"}
    history = office("contact", "show", "Li Wei", "-f", "json").json()["owners"]
    assert [(h["from_user"], h["to_user"], h["reason"], h["by"]) for h in history] == [
        ("Bo Chen", "Ana Ruiz", "deactivate", "Ada Admin")
    ]

    acting = office("--as", "bo", "deal", "list", ok=False)
    refused(
        acting.code,
        acting.err,
        2,
        "acting user (--as / CRM_USER): Bo Chen is deactivated and can no longer act",
    )
    again = office("user", "deactivate", "bo", ok=False)
    refused(again.code, again.err, 3, "Bo Chen is already deactivated")
    to_gone = office("user", "deactivate", "mia", "--reassign-to", "bo", ok=False)
    refused(to_gone.code, to_gone.err, 3, "reassign to: Bo Chen is deactivated")
    assert office("user", "activate", "bo").out == "user #3 activated: Bo Chen\n"
    assert office("--as", "bo", "deal", "list", "--status", "all", "-f", "json").json()[0][
        "title"
    ] == ("Won one")
    nothing = office("user", "deactivate", "mia")
    assert nothing.out == "user #4 deactivated: Mia Park\n"
