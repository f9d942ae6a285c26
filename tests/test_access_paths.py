"""No side path leaks a record: reports, exports, reminders, the agenda, duplicates and
search show a rep their own records, a manager their team's, and an unrestricted run all."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.clihelp import Crm

REPS = {"ana": 100, "bo": 200, "cy": 400}
"""Each rep's won deal, in whole euros; their open deal is worth ten times as much."""


@pytest.fixture
def team(crm: Crm, fresh_db: str) -> Crm:
    """North: Ana and Bo (reps), Mia (manager); South: Cy (rep). Each rep has a company,
    a contact, a won deal with an order half paid, an open deal, a task and a ticket."""
    for name, role in (("Ana", "rep"), ("Bo", "rep"), ("Cy", "rep"), ("Mia", "manager")):
        crm("user", "add", name, "--role", role)
    crm("user", "add", "Val", "--role", "viewer")
    engine = create_engine(fresh_db)
    with engine.begin() as conn:
        for team_id, name in ((1, "North"), (2, "South")):
            conn.execute(
                text("INSERT INTO teams (id, name, name_key, created_at) VALUES (:i, :n, :k, :t)"),
                {"i": team_id, "n": name, "k": name.lower(), "t": "2026-01-01 00:00:00+00:00"},
            )
        conn.execute(text("UPDATE users SET team_id = 1 WHERE name IN ('Ana', 'Bo', 'Mia')"))
        conn.execute(text("UPDATE users SET team_id = 2 WHERE name = 'Cy'"))
    engine.dispose()
    for n, (rep, amount) in enumerate(REPS.items()):
        won = 2 * n + 1
        who = ("--owner", rep)
        crm("company", "add", f"{rep} co", *who)
        crm(
            "contact",
            "add",
            f"{rep} person",
            "--email",
            f"{rep}@x.com",
            "--company",
            f"{rep} co",
            "--birthday",
            "11-24",
            *who,
        )
        crm("deal", "add", f"{rep} won", "--amount", str(amount), "--contact", f"{rep}@x.com", *who)
        crm(
            "deal",
            "add",
            f"{rep} open",
            "--amount",
            str(10 * amount),
            "--close",
            "+3d",
            "--contact",
            f"{rep}@x.com",
            *who,
        )
        crm("deal", "won", str(won))
        crm("order", "add", "--deal", str(won), "--date", "2026-10-20", "--due", "2026-11-01")
        crm(
            "payment",
            "add",
            "--order",
            str(n + 1),
            "--amount",
            str(amount // 2),
            "--date",
            "2026-11-10",
        )
        crm(
            "activity",
            "schedule",
            f"call {rep}",
            "--due",
            "today 15:00",
            "--contact",
            f"{rep}@x.com",
            *who,
        )
        crm(
            "ticket",
            "open",
            f"{rep} ticket",
            "--contact",
            f"{rep}@x.com",
            "--due",
            "2026-11-22 10:00",
            *who,
        )
    return crm


def out(crm: Crm, *args: str) -> Any:
    return crm(*args, "-f", "json").json()


WHO = {"rep": ("--as", "ana"), "manager": ("--as", "mia"), "unrestricted": ()}


def report(crm: Crm, who: str, name: str, *args: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = crm(*WHO[who], "report", name, *args, "-f", "json").json()
    return rows


def first(rows: list[dict[str, Any]], key: str, value: Any) -> dict[str, Any]:
    return next(r for r in rows if r[key] == value)


@pytest.mark.parametrize(
    ("who", "won", "won_amount", "open_amount", "owed", "tickets", "revenue"),
    [
        ("rep", 1, 100.0, 1000.0, 50.0, 1, 50.0),
        ("manager", 2, 300.0, 3000.0, 150.0, 2, 150.0),
        ("unrestricted", 3, 700.0, 7000.0, 350.0, 3, 350.0),
    ],
)
def test_every_report_sums_only_what_the_user_may_read(
    team: Crm,
    who: str,
    won: int,
    won_amount: float,
    open_amount: float,
    owed: float,
    tickets: int,
    revenue: float,
) -> None:
    funnel = first(report(team, who, "funnel"), "stage", "lead")
    assert (funnel["reached"], funnel["now_amount"]) == (2 * won, open_amount)
    assert first(report(team, who, "conversion"), "stage", "lead")["entered"] == 2 * won
    performance = report(team, who, "performance")
    total = first(performance, "name", "team")
    assert (total["won"], total["won_amount"]) == (won, won_amount)
    rows = {"rep": ["Ana"], "manager": ["Ana", "Bo", "Mia"]}  # a rep sees no one else's zeros
    names = sorted(r["name"] for r in performance if r["name"] not in ("team", "(no owner)"))
    assert names == rows.get(who, ["Ana", "Bo", "Cy", "Mia", "Val"])
    month = first(report(team, who, "forecast"), "bucket", "2026-11")
    assert (month["deals"], month["amount"]) == (won, open_amount)
    lead = first(report(team, who, "pipeline"), "stage", "lead")
    assert (lead["deals"], lead["amount"], lead["weighted"]) == (won, open_amount, won_amount)
    owing = first(report(team, who, "receivables"), "name", "total")
    assert (owing["orders"], owing["outstanding"]) == (won, owed)
    quarter = first(report(team, who, "retention"), "period", "2026-Q4")
    assert (quarter["active"], quarter["revenue"]) == (won, revenue)
    service = first(report(team, who, "service"), "owner", "total")
    assert (service["open"], service["overdue"]) == (tickets, tickets)
    abc = report(team, who, "segments", "--by", "abc")
    assert sum(r["customers"] for r in abc) == won


@pytest.mark.parametrize(
    ("who", "reps"),
    [("rep", ["ana"]), ("manager", ["ana", "bo"]), ("unrestricted", ["ana", "bo", "cy"])],
)
def test_exports_follow_the_export_grant(team: Crm, who: str, reps: list[str]) -> None:
    deals = team(*WHO[who], "export", "deals", "-f", "json").json()
    assert sorted(d["title"] for d in deals) == sorted(
        f"{r} {s}" for r in reps for s in ("won", "open")
    )
    tasks = team(*WHO[who], "export", "activities", "-f", "json").json()
    assert sorted(a["subject"] for a in tasks) == [f"call {r}" for r in reps]


@pytest.mark.parametrize(
    ("who", "reps"),
    [("rep", ["ana", "bo"]), ("manager", ["ana", "bo"]), ("unrestricted", ["ana", "bo", "cy"])],
)
def test_contacts_are_read_by_the_team_in_search_and_export(
    team: Crm, who: str, reps: list[str]
) -> None:
    found = team(*WHO[who], "contact", "list", "-q", "person", "-f", "json").json()
    assert sorted(c["name"] for c in found) == [f"{r} person" for r in reps]
    exported = team(*WHO[who], "export", "contacts", "-f", "json").json()
    assert sorted(c["name"] for c in exported) == [f"{r} person" for r in reps]


@pytest.mark.parametrize(
    ("who", "pairs"),
    [
        ("rep", [("ana person", "ana twin"), ("bo person", "bo twin")]),
        ("manager", [("ana person", "ana twin"), ("bo person", "bo twin")]),
        (
            "unrestricted",
            [("ana person", "ana twin"), ("bo person", "bo twin"), ("cy person", "cy twin")],
        ),
    ],
)
def test_duplicates_pair_only_contacts_the_user_may_read(
    team: Crm, who: str, pairs: list[tuple[str, str]]
) -> None:
    """Each rep's contact has a twin by email; Ana's has a second one at Cy's in the south,
    which nobody in the north may read: it is no duplicate for them."""
    for n, rep in enumerate(REPS):
        team("contact", "edit", f"{rep}@x.com", "--phone", f"+1 415 555 01{n:02}")
        team("contact", "add", f"{rep} twin", "--phone", f"+1 415 555 01{n:02}", "--owner", rep)
    team("contact", "add", "ana south", "--phone", "+1 415 555 0100", "--owner", "cy")
    found = team(*WHO[who], "contact", "dupes", "-f", "json").json()
    shown = sorted(
        {(p["keep_name"], p["other_name"]) for p in found if "south" not in p["other_name"]}
    )
    assert shown == pairs
    south = [p for p in found if "south" in p["keep_name"] + p["other_name"]]
    assert len(south) == (0 if who != "unrestricted" else 2)


def test_only_a_user_who_reaches_every_record_backs_up(team: Crm, tmp_path: Any) -> None:
    for who in ("ana", "mia", "val"):
        refused = team("--as", who, "backup", "-o", str(tmp_path / f"{who}.zip"), ok=False)
        assert refused.code == 4
        assert "of the whole database" in refused.err
        assert not (tmp_path / f"{who}.zip").exists()
    team("user", "add", "Root", "--role", "admin")
    team("--as", "root", "backup", "-o", str(tmp_path / "root.zip"))
    assert (tmp_path / "root.zip").stat().st_size > 0


def test_a_role_with_no_grant_is_refused_where_the_work_starts(team: Crm, tmp_path: Any) -> None:
    rows = tmp_path / "people.csv"
    rows.write_text("name,email\nNew Person,new@x.com\n")
    refused = team("--as", "val", "import", "contacts", str(rows), ok=False)
    assert (refused.code, refused.err) == (
        4,
        "crm: error: not allowed: import contacts (role viewer has contacts import: none)\n",
    )
    refused = team("--as", "val", "export", "deals", ok=False)
    assert refused.code == 4
    assert "not allowed: export deals (role viewer has deals export: none)" in refused.err


REMIND = ("remind", "--dry-run", "--within", "12h", "--min-amount", "500", "-f", "json")
"""What is due by 21:30 today: each rep's task, open deal (closing in 3 days), ticket and
their contact's birthday tomorrow."""


def reminded(crm: Crm, who: tuple[str, ...], *args: str) -> list[tuple[str, str, str]]:
    found = crm(*who, *REMIND, *args).out
    return [(r["type"], r["title"], r["owner"]) for r in json.loads(found or "[]")]


def due_of(rep: str) -> list[tuple[str, str, str]]:
    owner = rep.capitalize()
    return [
        ("upcoming", f"call {rep}", owner),
        ("deal", f"{rep} open", owner),
        ("ticket", f"{rep} ticket", owner),
        ("care", f"{rep} person: birthday", owner),
    ]


def by_kind(found: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """In the order `crm remind` lists them: large deals the largest first."""
    order = ("upcoming", "deal", "ticket", "care")
    return sorted(
        found, key=lambda r: (order.index(r[0]), r[0] == "deal" and -REPS[r[1][:-5]], r[1])
    )


@pytest.mark.parametrize(
    ("who", "all_owners", "own"),
    [
        ("rep", ["ana"], ["ana"]),
        ("manager", ["ana", "bo"], []),
        ("unrestricted", ["ana", "bo", "cy"], ["ana", "bo", "cy"]),
    ],
)
def test_reminders_show_only_what_the_user_may_read(
    team: Crm, who: str, all_owners: list[str], own: list[str]
) -> None:
    everyone = reminded(team, WHO[who], "--all-owners")
    expected = by_kind([r for rep in all_owners for r in due_of(rep)])
    if who == "rep":  # contacts are read by the whole team: Bo's customer's birthday too
        expected.append(("care", "bo person: birthday", "Bo"))
    assert everyone == expected
    assert reminded(team, WHO[who]) == by_kind([r for rep in own for r in due_of(rep)])


def test_a_rep_cannot_ask_for_anothers_reminders(team: Crm) -> None:
    assert reminded(team, ("--as", "ana"), "--owner", "cy") == []
    assert reminded(team, ("--as", "ana"), "--owner", "bo") == [
        ("care", "bo person: birthday", "Bo")
    ]
    assert team("--as", "cy", "remind", "--all-owners").out == (
        "Overdue tickets (1)\n"
        "  #3 cy ticket — due yesterday 10:00 · normal · cy person · cy co · Cy\n"
        "\n"
        "Care (1)\n"
        "  cy person: birthday — tomorrow · cy co · Cy\n"
    )


def test_a_managers_run_leaves_each_rep_their_own_reminder(team: Crm) -> None:
    first = team("--as", "mia", "remind", "--all-owners").out
    assert first.splitlines()[:3] == [
        "Overdue tickets (2)",
        "  #1 ana ticket — due yesterday 10:00 · normal · ana person · ana co · Ana",
        "  #2 bo ticket — due yesterday 10:00 · normal · bo person · bo co · Bo",
    ]
    assert team("--as", "mia", "remind", "--all-owners").out == ""
    assert team("--as", "ana", "remind").out == (
        "Overdue tickets (1)\n"
        "  #1 ana ticket — due yesterday 10:00 · normal · ana person · ana co · Ana\n"
        "\n"
        "Care (1)\n"
        "  ana person: birthday — tomorrow · ana co · Ana\n"
    )


@pytest.fixture
def late(team: Crm) -> Crm:
    """Each rep also has a task overdue since Friday."""
    for rep in REPS:
        team("activity", "schedule", f"late {rep}", "--due", "2026-11-20 10:00", "--owner", rep)
    return team


def agenda_rows(crm: Crm, who: tuple[str, ...], *args: str) -> list[tuple[str, str, str]]:
    rows = crm(*who, "agenda", "--all-owners", *args, "-f", "json").json()
    return [(r["state"], r["subject"], r["owner"]) for r in rows]


def agenda_of(reps: list[str]) -> list[tuple[str, str, str]]:
    late = [("overdue", f"late {rep}", rep.capitalize()) for rep in reps]
    today = [("due", f"call {rep}", rep.capitalize()) for rep in reps]
    return late + today


@pytest.mark.parametrize(
    ("who", "reps", "birthdays"),
    [
        ("rep", ["ana"], ["ana", "bo"]),
        ("manager", ["ana", "bo"], ["ana", "bo"]),
        ("unrestricted", ["ana", "bo", "cy"], ["ana", "bo", "cy"]),
    ],
)
def test_the_agenda_shows_only_what_the_user_may_read(
    late: Crm, who: str, reps: list[str], birthdays: list[str]
) -> None:
    care = [("care", f"{rep} person: birthday", rep.capitalize()) for rep in birthdays]
    expected = agenda_of(reps) + care
    assert agenda_rows(late, WHO[who]) == expected
    assert agenda_rows(late, WHO[who], "--week") == expected
    csv = late(*WHO[who], "agenda", "--all-owners", "-f", "csv").out.splitlines()
    assert [line.split(",")[3] for line in csv[1:]] == [r[1] for r in expected]
    month = late(*WHO[who], "agenda", "--all-owners", "--month").out
    title = f"November 2026 · {len(reps)} overdue"
    assert title in month
    assert f"│ 23  {len(reps)} due" in month
    assert f"│ 24  {len(birthdays)} due" in month
    week = late(*WHO[who], "agenda", "--all-owners", "--week").out
    assert [rep for rep in REPS if f"15:00 call {rep}" in week] == reps
    listed = late(*WHO[who], "agenda", "--all-owners").out
    assert [rep for rep in REPS if f"#{list(REPS).index(rep) + 1} call {rep}" in listed] == reps
