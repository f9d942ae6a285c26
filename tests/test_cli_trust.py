"""Small points of trust: messages in the user's words and grammar, counts that agree with
their nouns, booleans in words, one exit code for "already so", and deletes that ask only
when they can go through."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.clihelp import Crm
from tinycrm.errors import Ambiguous, InvalidInput, NotFound
from tinycrm.words import counted, plural


@pytest.fixture
def cli_env() -> dict[str, str]:
    return {"CRM_NOW": "2026-11-23T09:30:00+00:00", "CRM_CURRENCY": "EUR"}


@pytest.fixture
def world(crm: Crm, tmp_path: Path) -> Crm:
    """Records in every state an "already so" command can meet."""
    crm("user", "add", "Ana Ruiz")
    crm("user", "add", "Bo Chen")
    crm("company", "add", "Acme Ltd")
    crm("contact", "add", "Li Wei", "--status", "lead")  # 1: in the pool
    crm("contact", "add", "Mia Chen", "--status", "lead", "--owner", "ana")  # 2: Ana's
    crm("contact", "add", "Pat Prospect", "--status", "prospect")  # 3: qualified already
    crm("contact", "add", "Ida Gone", "--status", "lead")  # 4: dropped below
    crm("lead", "drop", "4", "--reason", "junk")
    crm("deal", "add", "Big order", "--amount", "1000", "--company", "Acme Ltd")  # 1: won
    crm("deal", "won", "1")
    crm("deal", "add", "Lost cause", "--amount", "500")  # 2: lost
    crm("deal", "lost", "2")
    crm("deal", "add", "Open one", "--amount", "300", "--stage", "qualified")  # 3
    # order 1: 400 due 10 Nov, unpaid (overdue); order 2: the other 600, paid in full
    crm("order", "add", "--deal", "1", "--amount", "400", "--date", "2026-11-01",
        "--due", "2026-11-10")  # fmt: skip
    crm("order", "add", "--deal", "1", "--due", "2026-12-31")
    crm("payment", "add", "--order", "2", "--amount", "600")
    crm("activity", "log", "call", "Called Li", "--contact", "1")  # 1: logged, so done
    crm("ticket", "open", "Broken", "--owner", "ana")  # 1: resolved below
    crm("ticket", "resolve", "1")
    crm("ticket", "open", "Question", "--owner", "ana")  # 2: open, Ana's
    source = tmp_path / "people.csv"
    source.write_text("Name\nZed Imported\n")
    crm("import", "contacts", str(source))
    crm("import", "undo", "1")
    return crm


ALREADY_SO = [
    (("deal", "won", "1"), "deal #1 is already won"),
    (("deal", "lost", "2"), "deal #2 is already lost"),
    (("deal", "move", "3", "Qualified"), "deal #3 is already in stage 'qualified'"),
    (("deal", "move", "1", "won"), "deal #1 is already won"),
    (("activity", "done", "1"), "activity #1 is already done"),
    (("activity", "snooze", "1", "+2h"), "activity #1 is already done"),
    (("ticket", "resolve", "1"), "ticket #1 is already resolved"),
    (("ticket", "reopen", "2"), "ticket #2 is already open"),
    (("ticket", "assign", "2", "--to", "ana"), "ticket #2 is already assigned to Ana Ruiz"),
    (("--as", "ana", "lead", "claim", "2"), "lead #2 'Mia Chen' is already owned by you"),
    (("--as", "bo", "lead", "claim", "2"), "lead #2 'Mia Chen' is already owned by Ana Ruiz"),
    (("lead", "assign", "2", "--to", "ana"), "lead #2 'Mia Chen' is already owned by Ana Ruiz"),
    (("lead", "qualify", "3"), "contact #3 'Pat Prospect' is a prospect, not a lead"),
    (("lead", "drop", "4", "--reason", "junk"), "contact #4 'Ida Gone' is inactive, not a lead"),
    (("--as", "bo", "lead", "claim", "4"), "contact #4 'Ida Gone' is inactive, not a lead"),
    (("order", "add", "--deal", "1"), "deal #1 is already fully ordered; give an amount for more"),
    (
        ("order", "add", "--deal", "2", "--amount", "5"),
        "deal #2 is lost; only a won deal has orders",
    ),
    (
        ("payment", "add", "--order", "2", "--amount", "1"),
        "order #2 is already paid in full (use --allow-overpay)",
    ),
    (("import", "undo", "1"), "import #1 was already undone"),
]


def test_already_so_is_a_conflict_in_one_line_and_changes_nothing(world: Crm) -> None:
    """The whole table on one database (a refusal changes nothing, so each case meets the
    state the fixture made): every case exits 3 with its one line."""
    before = [world(*what, "--format", "json").out for what in SNAPSHOT]
    got = {args: world(*args, ok=False) for args, _ in ALREADY_SO}
    assert {args: (r.code, r.out, r.err) for args, r in got.items()} == {
        args: (3, "", f"crm: error: {message}\n") for args, message in ALREADY_SO
    }
    assert [world(*what, "--format", "json").out for what in SNAPSHOT] == before


SNAPSHOT = [
    ("deal", "list", "--status", "all"),
    ("order", "list", "--state", "all"),
    ("payment", "list"),
    ("activity", "list", "--state", "all"),
    ("ticket", "list", "--status", "all"),
    ("contact", "list"),
]


def test_a_wrong_amount_on_an_order_that_owes_is_still_bad_input(world: Crm) -> None:
    """Only "nothing left to pay" is the order's state; too much typed is the input's."""
    ran = world("payment", "add", "--order", "1", "--amount", "401", ok=False)
    assert (ran.code, ran.err) == (
        2,
        "crm: error: --amount: more than the 400.00 EUR outstanding on order #1 "
        "(use --allow-overpay): '401'\n",
    )


# --- messages in the user's words --------------------------------------------------------


@pytest.mark.parametrize("typed", ["0d", "0w", "+0h"])
def test_stale_after_zero_is_named_as_typed(crm: Crm, typed: str) -> None:
    ran = crm("lead", "reclaim", "--stale-after", typed, ok=False)
    assert (ran.code, ran.err) == (
        2,
        f"crm: error: --stale-after: must be longer than zero: {typed!r}\n",
    )


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (timedelta(0), "0d"),
        (timedelta(days=3), "3d"),
        (timedelta(hours=2), "2h"),
        (timedelta(minutes=90), "90m"),
        (timedelta(seconds=45), "45s"),
        (date(2026, 12, 1), "2026-12-01"),
        (-5, "-5"),
        ("0d", "'0d'"),
    ],
)
def test_errors_show_values_as_typed_never_as_a_repr(value: object, shown: str) -> None:
    assert InvalidInput("when", value, "not right").message == f"when: not right: {shown}"
    assert NotFound("deal", value).message == f"deal not found: {shown}"
    assert (
        Ambiguous("deal", value, ["a", "b"]).message == f"deal {shown} is ambiguous: matches a, b"
    )


# --- counts and their nouns --------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "one", "many", "text"),
    [
        (0, "deal", None, "0 deals"),
        (1, "deal", None, "1 deal"),
        (1, "company", None, "1 company"),
        (2, "company", None, "2 companies"),
        (2, "day", None, "2 days"),
        (1, "calendar entry", None, "1 calendar entry"),
        (3, "calendar entry", None, "3 calendar entries"),
        (2, "match", "matches", "2 matches"),
        (12_500, "row", None, "12,500 rows"),
    ],
)
def test_plural(n: int, one: str, many: str | None, text: str) -> None:
    assert plural(n, one, many) == text


def test_counted_names_each_count_with_its_noun_and_skips_zeros() -> None:
    found = {"contacts": 1, "companies": 2, "deals": 0, "activities": 1}
    assert counted(found) == "1 contact, 2 companies, 1 activity"
    assert counted({"deals": 0}) == ""


def test_one_of_a_thing_is_singular_in_cli_messages(world: Crm) -> None:
    used = world("stage", "rm", "qualified", ok=False)
    assert used.err == (
        "crm: error: stage 'qualified' is used by 1 deal and 1 stage change; "
        "move the deals first or rename it\n"
    )
    owner = world("user", "rm", "bo", input="n\n", ok=False)
    assert "Their 0 deals and 0 activities will have no owner." in owner.err
    world("activity", "log", "call", "Chat", "--owner", "bo")
    owner = world("user", "rm", "bo", input="n\n", ok=False)
    assert "Their 0 deals and 1 activity will have no owner." in owner.err


# --- booleans in words --------------------------------------------------------------------


def test_a_table_says_yes_or_no_and_machine_formats_keep_booleans(world: Crm) -> None:
    table = world("order", "list", "--state", "all").out.splitlines()
    header = next(line for line in table if "overdue" in line)
    assert header.split()[-1] == "overdue"
    rows = {line.split()[0]: line.split()[-1] for line in table if line.strip()[:1].isdigit()}
    assert rows == {"1": "yes", "2": "no"}
    assert "True" not in "\n".join(table) and "False" not in "\n".join(table)
    shown = world("order", "show", "1").out
    assert any(line.split() == ["overdue", "yes"] for line in shown.splitlines())
    as_json = world("order", "list", "--state", "all", "--format", "json").json()
    assert {r["id"]: r["overdue"] for r in as_json} == {1: True, 2: False}
    as_csv = world("order", "list", "--state", "all", "--format", "csv").out.splitlines()
    assert as_csv[0].endswith(",overdue")
    assert sorted(line.rsplit(",", 1)[1] for line in as_csv[1:]) == ["False", "True"]


# --- deletes ask, and only when they can go through ---------------------------------------


def test_segment_rm_asks_first(world: Crm) -> None:
    world("contact", "list", "--status", "lead", "--save-segment", "Pool")
    refused = world("contact", "segment-rm", "pool", input="n\n", ok=False)
    assert refused.code == 1
    assert "delete segment 'Pool' (its contacts stay)?" in refused.err
    assert "nothing deleted" in refused.err
    assert [s["name"] for s in world("contact", "segments", "--format", "json").json()] == ["Pool"]
    agreed = world("contact", "segment-rm", "pool", input="y\n")
    assert agreed.out.endswith("segment deleted: Pool\n")
    assert world("contact", "segments", ok=False).code == 1


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ("stage", "rm", "Qualified"),
            3,
            "stage 'qualified' is used by 1 deal and 1 stage change; "
            "move the deals first or rename it",
        ),
        (
            ("stage", "rm", "nope"),
            2,
            "stage: unknown stage (one of: lead, contacted, qualified, negotiation, won, lost): "
            "'nope'",
        ),
        (("payment", "rm", "99"), 2, "payment not found: 99"),
        (("contact", "segment-rm", "nope"), 2, "segment not found: 'nope'"),
    ],
)
def test_a_delete_that_cannot_go_through_says_so_without_asking(
    world: Crm, args: tuple[str, ...], code: int, message: str
) -> None:
    ran = world(*args, input="y\n", ok=False)
    assert (ran.code, ran.out, ran.err) == (code, "", f"crm: error: {message}\n")


def test_the_only_won_stage_is_kept_without_asking(crm: Crm) -> None:
    ran = crm("stage", "rm", "won", input="y\n", ok=False)
    assert (ran.code, ran.err) == (3, "crm: error: stage 'won' is the only won stage\n")


def test_stage_rm_asks_only_for_a_removable_stage(world: Crm) -> None:
    refused = world("stage", "rm", "contacted", input="n\n", ok=False)
    assert refused.code == 1 and "remove stage 'contacted'?" in refused.err
    assert "contacted" in world("stage", "list").out
    assert world("stage", "rm", "Contacted", "--yes").out == "stage 'contacted' removed\n"


def test_payment_rm_names_what_it_deletes(world: Crm) -> None:
    refused = world("payment", "rm", "1", input="n\n", ok=False)
    assert refused.code == 1 and "delete payment #1 (600.00 EUR on order #2)?" in refused.err
    assert world("payment", "rm", "1", "--yes").out == (
        "payment #1 deleted: 600.00 EUR on order #2\n"
    )
