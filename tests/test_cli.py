"""The everyday CLI, end to end, on a real database (SQLite, and PostgreSQL in CI)."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from tests.clihelp import Crm
from tinycrm.models import Activity, Contact, Deal, StageChange


@pytest.fixture
def cli_env() -> dict[str, str]:
    return {"CRM_NOW": "2026-11-23T09:30:00+00:00", "CRM_CURRENCY": "EUR", "CRM_PHONE_REGION": "US"}


@pytest.fixture
def acme(crm: Crm) -> Crm:
    """The issue's walkthrough up to the first deal."""
    crm("user", "add", "Ana Ruiz", "--email", "ana@shop.example", "--quota", "50000/quarter")
    crm("company", "add", "Acme Ltd", "--industry", "retail", "--city", "Lyon", "--country", "FR")
    crm(
        "contact",
        "add",
        "Li Wei",
        "--email",
        "LI.WEI@acme.example",
        "--phone",
        "+33 6 12 34 56 78",
        "--company",
        "Acme Ltd",
        "--tag",
        "vip",
    )
    crm(
        "deal",
        "add",
        "Acme renewal",
        "--company",
        "Acme Ltd",
        "--contact",
        "li.wei@acme.example",
        "--amount",
        "12500",
        "--close",
        "next fri",
        "--owner",
        "ana",
    )
    return crm


def count(db_url: str, model: type) -> int:
    engine = create_engine(db_url)
    with engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(model)).scalar_one()
    engine.dispose()
    return n


def test_walkthrough_from_the_issue(acme: Crm) -> None:
    crm = acme
    assert crm("--as", "ana", "deal", "move", "1", "qualified").out == (
        "deal #1 moved to qualified: Acme renewal\n"
    )
    assert (
        crm(
            "activity",
            "log",
            "call",
            "--contact",
            "li.wei@acme.example",
            "--note",
            "asked for a quote",
        ).out
        == "call #1 logged: asked for a quote\n"
    )
    assert (
        crm("activity", "schedule", "Send quote", "--deal", "1", "--due", "tomorrow 10:00").out
        == "activity #2 scheduled: Send quote (due Tue 2026-11-24 10:00)\n"
    )
    crm("activity", "done", "2")

    [contact] = crm("contact", "list", "--tag", "vip", "--format", "json").json()
    assert contact["email"] == "li.wei@acme.example"
    assert contact["company"] == "Acme Ltd" and contact["tags"] == ["vip"]

    shown = crm("contact", "show", "li.wei@acme.example", "--format", "json").json()
    assert shown["phone_normalized"] == "+33612345678"
    assert [
        (d["title"], d["stage"], d["amount"], d["currency"], d["expected_close"])
        for d in shown["deals"]
    ] == [("Acme renewal", "qualified", 12500, "EUR", "2026-11-27")]
    assert [(a["kind"], a["subject"], a["state"]) for a in shown["timeline"]] == [
        ("task", "Send quote", "done"),
        ("call", "asked for a quote", "done"),
    ]

    deal = crm("deal", "show", "1", "--format", "json").json()
    assert [(h["from_stage"], h["to_stage"], h["by"]) for h in deal["stage_history"]] == [
        (None, "lead", None),
        ("lead", "qualified", "Ana Ruiz"),
    ]
    assert deal["stage_history"][1]["at"] == "2026-11-23T09:30:00+00:00"


def test_won_and_lost_record_the_stage_change(acme: Crm, db_url: str) -> None:
    acme("deal", "add", "Acme extra", "--company", "Acme Ltd", "--amount", "2.5k")
    assert acme("deal", "won", "1").out == "deal #1 won: Acme renewal (12,500.00 EUR)\n"
    assert (
        acme("deal", "lost", "2", "--reason", "price").out == "deal #2 lost: Acme extra (price)\n"
    )
    rows = {d["id"]: d for d in acme("deal", "list", "--status", "all", "-f", "json").json()}
    assert (rows[1]["status"], rows[1]["stage"]) == ("won", "won")
    assert (rows[2]["status"], rows[2]["stage"], rows[2]["amount"]) == ("lost", "lost", 2500)
    assert count(db_url, StageChange) == 4
    assert acme("deal", "list", "--status", "open", ok=False).code == 1


def test_deal_list_filters_and_sorts(acme: Crm) -> None:
    acme("user", "add", "Bo Chen")
    acme(
        "deal",
        "add",
        "Big one",
        "--amount",
        "90,000.50",
        "--owner",
        "ana",
        "--stage",
        "negotiation",
    )
    acme("deal", "add", "Small", "--amount", "100", "--owner", "ana", "--stage", "negotiation")
    acme("deal", "add", "Not Ana's", "--amount", "1m", "--owner", "bo", "--stage", "negotiation")
    rows = acme(
        "deal",
        "list",
        "--stage",
        "negotiation",
        "--owner",
        "ana",
        "--sort",
        "-amount",
        "-f",
        "json",
    ).json()
    assert [(r["title"], r["amount"]) for r in rows] == [("Big one", 90000.5), ("Small", 100)]


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl", "table"])
def test_every_list_format(acme: Crm, fmt: str) -> None:
    out = acme("contact", "list", "--format", fmt).out
    if fmt == "csv":
        [row] = list(csv.DictReader(io.StringIO(out)))
        assert (row["name"], row["tags"], row["company"]) == ("Li Wei", "vip", "Acme Ltd")
    elif fmt == "jsonl":
        assert out.count("\n") == 1 and '"email": "li.wei@acme.example"' in out
    elif fmt == "json":
        assert out.startswith("[\n")
    else:
        assert "Li Wei" in out and "li.wei@acme.example" in out and "\x1b[" not in out


def test_amounts_in_csv_are_plain_and_exact(acme: Crm) -> None:
    acme("deal", "add", "Odd cents", "--amount", "12,345.67")
    rows = list(csv.DictReader(io.StringIO(acme("deal", "list", "-f", "csv").out)))
    assert {r["title"]: r["amount"] for r in rows} == {
        "Acme renewal": "12500.00",
        "Odd cents": "12345.67",
    }


BAD_INPUT = [
    (("deal", "move", "1", "closing"), 2, "stage: unknown stage (one of: lead, contacted"),
    (
        ("deal", "add", "X", "--close", "someday"),
        2,
        "--close: not a date or time I can read: 'someday'",
    ),
    (("deal", "add", "X", "--amount", "-5"), 2, "--amount: must not be negative: '-5'"),
    (("deal", "add", "X", "--amount", "lots"), 2, "--amount: not an amount: 'lots'"),
    (
        ("deal", "add", "X", "--contact", "nobody@x.example"),
        2,
        "contact not found: 'nobody@x.example'",
    ),
    (
        ("contact", "add", "Li Two", "--email", "li.wei@ACME.example"),
        3,
        "email: contact #1 'Li Wei' already has 'li.wei@acme.example'",
    ),
    (
        ("contact", "add", "Bad", "--email", "not-an-email"),
        2,
        "email: not an email address: 'not-an-email'",
    ),
    (("contact", "add", "Bad", "--phone", "12"), 2, "phone: not a possible phone number: '12'"),
    (("contact", "add", "Bad", "--status", "vip"), 2, "--status: must be lead, prospect"),
    (("activity", "schedule", "X", "--due", "next blursday"), 2, "--due: not a date"),
    (("activity", "log", "dance"), 2, "kind: must be call, email, meeting, note or task"),
    (("company", "add", "acme  LTD"), 3, "name: company #1 'Acme Ltd' already exists"),
    (("user", "add", "X", "--quota", "5000"), 2, "quota: write it as AMOUNT/PERIOD"),
    (("deal", "list", "--sort", "size"), 2, "sort: unknown field (one of: close, id"),
    (("deal", "show", "99"), 2, "deal not found: 99"),
    (("deal", "show", "abc"), 2, "Invalid value for 'deal_id'"),
    (("contact", "add", "X", "--bogus"), 2, "No such option: --bogus"),
    (
        ("--as", "nobody", "deal", "move", "1", "won"),
        2,
        "acting user (--as / CRM_USER): user not found: 'nobody'",
    ),
]


@pytest.mark.parametrize(("args", "code", "message"), BAD_INPUT)
def test_bad_input_is_one_line_and_changes_nothing(
    acme: Crm, db_url: str, args: tuple[str, ...], code: int, message: str
) -> None:
    before = [count(db_url, m) for m in (Contact, Deal, StageChange, Activity)]
    ran = acme(*args, ok=False)
    assert ran.code == code
    assert ran.err.startswith("crm: error: ") and message in ran.err, ran.err
    assert ran.err.count("\n") == 1 and "Traceback" not in ran.err
    assert [count(db_url, m) for m in (Contact, Deal, StageChange, Activity)] == before


def test_rm_asks_and_only_yes_deletes(acme: Crm, db_url: str) -> None:
    ran = acme("contact", "rm", "li.wei@acme.example", input="n\n", ok=False)
    assert ran.code == 1 and "nothing deleted" in ran.err
    assert count(db_url, Contact) == 1
    ran = acme("contact", "rm", "li.wei@acme.example", input="y\n")
    assert ran.out.endswith("contact #1 deleted: Li Wei\n")  # the runner echoes the "y"
    assert "delete contact #1 Li Wei?" in ran.err
    assert count(db_url, Contact) == 0
    assert count(db_url, Deal) == 1  # the deal stays, without a contact


def test_company_with_deals_needs_cascade(acme: Crm, db_url: str) -> None:
    ran = acme("company", "rm", "Acme Ltd", "--yes", ok=False)
    assert ran.code == 3 and "has 1 deal; use --cascade" in ran.err
    assert count(db_url, Deal) == 1
    assert acme("company", "rm", "acme ltd", "--cascade", "--yes").out == (
        "company #1 deleted: Acme Ltd with 1 deal\n"
    )
    assert (count(db_url, Deal), count(db_url, StageChange), count(db_url, Contact)) == (0, 0, 1)


def test_edits_change_only_what_is_given(acme: Crm) -> None:
    acme(
        "contact",
        "edit",
        "li.wei@acme.example",
        "--title",
        "Buyer",
        "--tag",
        "newsletter",
        "--untag",
        "vip",
        "--field",
        "size=40",
        "--phone",
        "+33 6 00 00 00 01",
    )
    shown = acme("contact", "show", "1", "-f", "json").json()
    assert (shown["title"], shown["tags"], shown["custom"]) == (
        "Buyer",
        ["newsletter"],
        {"size": "40"},
    )
    assert (shown["email"], shown["phone_normalized"]) == ("li.wei@acme.example", "+33600000001")
    acme("deal", "edit", "1", "--amount", "13k", "--close", "2026-12-31", "--title", "Renewal")
    deal = acme("deal", "show", "1", "-f", "json").json()
    assert (deal["title"], deal["amount"], deal["expected_close"]) == (
        "Renewal",
        13000,
        "2026-12-31",
    )
    acme("user", "edit", "ana", "--quota", "60k/quarter", "--role", "manager")
    user = acme("user", "show", "ana@shop.example", "-f", "json").json()
    assert (user["quota"], user["quota_period"], user["role"]) == (60000, "quarter", "manager")
    acme(
        "company",
        "edit",
        "Acme Ltd",
        "--name",
        "Acme Group",
        "--domain",
        "https://www.acme.example/",
    )
    company = acme("company", "show", "acme.example", "-f", "json").json()
    assert (company["name"], company["domain"]) == ("Acme Group", "acme.example")
    assert [c["email"] for c in company["contacts"]] == ["li.wei@acme.example"]


def test_empty_list_exits_1_and_says_so(crm: Crm) -> None:
    ran = crm("contact", "list", ok=False)
    assert (ran.code, ran.out, ran.err) == (1, "", "no contacts match\n")
    assert crm("deal", "list", "-f", "json", ok=False).out == "[]\n"


def test_stage_configuration(crm: Crm) -> None:
    crm("stage", "add", "demo", "--probability", "30", "--before", "qualified")
    crm("stage", "edit", "negotiation", "--probability", "75")
    rows = crm("stage", "list", "-f", "json").json()
    assert [(r["name"], r["probability"]) for r in rows] == [
        ("lead", 10),
        ("contacted", 20),
        ("demo", 30),
        ("qualified", 40),
        ("negotiation", 75),
        ("won", 100),
        ("lost", 0),
    ]


def test_close_dates_read_relative_to_today(crm: Crm) -> None:
    for text in ("next fri", "+2w", "2026-12-24", "tomorrow"):
        crm("deal", "add", text, "--close", text)
    rows = crm("deal", "list", "--sort", "id", "-f", "json").json()
    closes = [date.fromisoformat(r["expected_close"]) for r in rows]
    assert closes == [date(2026, 11, 27), date(2026, 12, 7), date(2026, 12, 24), date(2026, 11, 24)]


def test_tables_show_brackets_as_written(tmp_path: Path) -> None:
    """Cell text is text, never rich markup: `[urgent]` and `[/]` print as typed."""
    crm = Crm()
    db = str(tmp_path / "crm.db")
    crm("--db", db, "init")
    crm("--db", db, "contact", "add", "Ann [urgent] Lee", "--title", "[bold]Boss[/]")
    listed = crm("--db", db, "contact", "list").out
    shown = crm("--db", db, "contact", "show", "1").out
    assert "Ann [urgent] Lee" in listed and "[bold]Boss[/]" in listed
    assert "Ann [urgent] Lee" in shown and "[bold]Boss[/]" in shown
