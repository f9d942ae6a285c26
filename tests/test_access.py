"""Roles and their grants: what a user sees and may change, on both faces' shared services."""

from __future__ import annotations

import pytest

from tests.clihelp import Crm


@pytest.fixture
def shop(crm: Crm) -> Crm:
    """Ana and Bo are reps, Mia manages, Val views; each rep owns a deal; one is unowned."""
    crm("user", "add", "Ana Ruiz", "--role", "rep")
    crm("user", "add", "Bo Chen", "--role", "rep")
    crm("user", "add", "Mia Park", "--role", "manager")
    crm("user", "add", "Val Ortiz", "--role", "viewer")
    crm("contact", "add", "Li Wei", "--owner", "ana")
    crm("contact", "add", "Sam Ode", "--owner", "bo")
    crm("deal", "add", "Ana's deal", "--owner", "ana", "--amount", "100")
    crm("deal", "add", "Bo's deal", "--owner", "bo", "--amount", "200")
    crm("deal", "add", "Nobody's deal", "--amount", "300")
    return crm


def titles(crm: Crm, *who: str) -> list[str]:
    return [d["title"] for d in crm(*who, "deal", "list", "--format", "json").json()]


def test_a_rep_sees_their_own_deals_and_the_pool_nobody_elses(shop: Crm) -> None:
    assert sorted(titles(shop, "--as", "ana")) == ["Ana's deal", "Nobody's deal"]
    assert sorted(titles(shop, "--as", "mia")) == ["Ana's deal", "Bo's deal", "Nobody's deal"]
    assert sorted(titles(shop)) == ["Ana's deal", "Bo's deal", "Nobody's deal"]
    hidden = shop("--as", "ana", "deal", "show", "2", ok=False)
    assert (hidden.code, hidden.err) == (2, "crm: error: deal not found: 2\n")


def test_a_change_outside_the_grants_is_one_line_and_exit_4(shop: Crm) -> None:
    # Contacts are read by the whole team (no duplicates), but edited by their owner.
    names = [c["name"] for c in shop("--as", "ana", "contact", "list", "-f", "json").json()]
    assert sorted(names) == ["Li Wei", "Sam Ode"]
    refused = shop("--as", "ana", "contact", "edit", "Sam Ode", "--title", "CEO", ok=False)
    assert refused.code == 4
    assert refused.err == (
        "crm: error: not allowed: edit contacts owned by someone else "
        "(role rep has contacts edit: own)\n"
    )
    assert shop("--as", "ana", "contact", "edit", "Li Wei", "--title", "CEO").code == 0
    viewer = shop("--as", "val", "deal", "add", "Mine", ok=False)
    assert (viewer.code, viewer.err.splitlines()[0]) == (
        4,
        "crm: error: not allowed: create deals (role viewer has deals create: none)",
    )


def test_a_rep_takes_a_pool_deal_but_deletes_nothing_they_do_not_own(shop: Crm) -> None:
    shop("--as", "bo", "deal", "edit", "3", "--owner", "bo")
    assert sorted(titles(shop, "--as", "bo")) == ["Bo's deal", "Nobody's deal"]
    assert titles(shop, "--as", "ana") == ["Ana's deal"]
    refused = shop("--as", "ana", "contact", "rm", "Sam Ode", "--yes", ok=False)
    assert refused.code == 4
    assert "not allowed: delete contacts owned by someone else" in refused.err


def test_the_app_refuses_to_start_for_someone_who_is_not_there(shop: Crm) -> None:
    ran = shop("--as", "nobody", "tui", ok=False)
    assert (ran.code, ran.err) == (
        2,
        "crm: error: acting user (--as / CRM_USER): user not found: 'nobody'\n",
    )
