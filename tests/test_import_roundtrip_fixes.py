"""Exports that come back: activities updated in place, and contacts' tags and custom fields
through JSON lines."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, update

from tests.clihelp import Crm
from tests.conftest import sqlite_only
from tinycrm.models import Activity, Contact

REMINDER_STATE = ("remind_minutes", "rrule", "snoozed_until", "series_id", "alert_at")


@pytest.fixture
def cli_env() -> dict[str, str]:
    return {"CRM_NOW": "2026-11-23T09:30:00+00:00", "CRM_CURRENCY": "EUR", "CRM_PHONE_REGION": "FR"}


def activities(crm: Crm) -> None:
    """A logged call with a contact by email, a deal, a company and a note; a call with a
    contact known by name alone; a task with a reminder, snoozed; a repeating one."""
    crm("user", "add", "Ana Ruiz", "--email", "ana@shop.example")
    crm("user", "add", "Bo Chen", "--email", "bo@shop.example")
    crm("company", "add", "Acme Ltd")
    crm("contact", "add", "Li Wei", "--email", "li@acme.example", "--company", "Acme Ltd")
    crm("contact", "add", "王芳", "--phone", "+33 6 12 34 56 78")
    crm("deal", "add", "Acme renewal", "--company", "Acme Ltd", "--amount", "900")
    crm(
        "activity", "log", "call", "Intro call", "--contact", "li@acme.example", "--deal", "1",
        "--company", "Acme Ltd", "--note", "asked for a quote", "--at", "2026-11-20 10:00",
        "--owner", "ana",
    )  # fmt: skip
    crm("activity", "log", "call", "电话", "--contact", "王芳", "--at", "2026-11-21 08:00")
    crm(
        "activity", "schedule", "Send quote", "--deal", "1", "--due", "2026-11-25 09:00",
        "--remind", "2h", "--owner", "ana",
    )  # fmt: skip
    crm("activity", "snooze", "3", "2026-11-24 16:00")
    crm("activity", "schedule", "Weekly check", "--due", "2026-11-26 10:00", "--every", "week")


def state(db_url: str) -> dict[int, dict[str, object]]:
    """Every activity's columns by id."""
    engine = create_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(select(Activity.__table__)).mappings().all()  # type: ignore[attr-defined]
    engine.dispose()
    return {row["id"]: dict(row) for row in rows}


def edit(text: str, fmt: str, line: int, column: str, value: str) -> str:
    """The export with one cell of one record changed."""
    if fmt == "jsonl":
        records = [json.loads(x) for x in text.splitlines()]
        records[line][column] = value
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    rows = list(csv.DictReader(io.StringIO(text)))
    rows[line][column] = value
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_activities_update_from_their_own_export(
    crm: Crm, fresh_db: str, tmp_path: Path, fmt: str
) -> None:
    activities(crm)
    path = tmp_path / f"a.{fmt}"
    crm("export", "activities", "--format", fmt, "-o", str(path))
    first = path.read_bytes().decode()
    before = state(fresh_db)
    assert before[3]["snoozed_until"] is not None and before[3]["remind_minutes"] == 120
    assert before[4]["rrule"]

    changed = edit(first, fmt, 0, "body", "asked for a quote by Friday")
    changed = edit(changed, fmt, 2, "owner", "Bo Chen")
    path.write_bytes(changed.encode())
    ran = crm("import", "activities", str(path), "--on-duplicate", "update")
    assert "0 created, 4 updated, 0 skipped as duplicates, 0 rejected" in ran.out + ran.err

    again = tmp_path / f"again.{fmt}"
    crm("export", "activities", "--format", fmt, "-o", str(again))
    assert again.read_bytes() == changed.encode()
    after = state(fresh_db)
    assert after[1]["body"] == "asked for a quote by Friday"
    for activity_id, row in before.items():
        for column in REMINDER_STATE + ("kind", "subject", "due_at", "done_at", "created_at"):
            assert after[activity_id][column] == row[column], (activity_id, column)
        for column in ("contact_id", "company_id", "deal_id"):
            assert after[activity_id][column] == row[column], (activity_id, column)
    assert after[3]["owner_id"] != before[3]["owner_id"]


def test_an_update_leaves_what_the_row_does_not_say(crm: Crm, tmp_path: Path) -> None:
    """A row with an id and a note alone: the kind, subject and times stay as they are."""
    activities(crm)
    path = tmp_path / "a.csv"
    crm("export", "activities", "-o", str(path))
    crm("import", "activities", str(path), "--on-duplicate", "update")  # ids now known
    before = crm("export", "activities").out
    path.write_text("id,body\n3,bring the contract\n", encoding="utf-8")
    ran = crm("import", "activities", str(path), "--on-duplicate", "update")
    assert "0 created, 1 updated" in ran.out + ran.err
    assert crm("export", "activities").out == before.replace(
        "Send quote,,", "Send quote,bring the contract,"
    )


def contacts(crm: Crm, db_url: str) -> None:
    """Contacts with tags (one tag with a space), none, custom fields of text and, set by a
    program, a number, a boolean and nested values."""
    crm("company", "add", "Acme Ltd")
    crm(
        "contact", "add", "Li Wei", "--email", "li@acme.example", "--company", "Acme Ltd",
        "--tag", "vip", "--tag", "trade show", "--field", "size=40", "--owner", "ana",
    )  # fmt: skip
    crm("contact", "add", "王芳", "--phone", "+33 6 12 34 56 78", "--tag", "潜在")
    crm("contact", "add", "Zoë Martin", "--email", "zoe@globex.example", "--field", "x=[1]")
    engine = create_engine(db_url)
    nested = {"size": "40", "n": 3, "ok": True, "obj": {"a": [1, {"b": None}]}, "list": ["p"]}
    with engine.begin() as conn:
        conn.execute(update(Contact).where(Contact.id == 1).values(custom=nested))  # type: ignore[arg-type]
    engine.dispose()


@sqlite_only
@pytest.mark.parametrize("fmt", ["csv", "jsonl", "json"])
def test_contacts_come_back_byte_for_byte(
    crm: Crm, fresh_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    crm("user", "add", "Ana Ruiz", "--email", "ana@shop.example")
    contacts(crm, fresh_db)
    path = tmp_path / f"c.{fmt}"
    crm("export", "contacts", "--format", fmt, "-o", str(path))
    first = path.read_bytes()
    tags = '"tags": ["trade show", "vip"]' if fmt != "csv" else ",trade show;vip,"
    assert tags in first.decode()

    monkeypatch.setenv("CRM_DB", str(tmp_path / "second.db"))
    second = Crm()
    second("init")
    second("import", "contacts", str(path), "--create-owners")
    again = tmp_path / f"again.{fmt}"
    second("export", "contacts", "--format", fmt, "-o", str(again))
    assert again.read_bytes() == first


def test_a_json_list_of_tags_is_its_tags_and_of_emails_the_first_and_a_custom_field(
    crm: Crm, tmp_path: Path
) -> None:
    path = tmp_path / "in.jsonl"
    line = {"name": "A", "email": ["a@x.example", "b@x.example"], "tags": ["VIP", "b c"]}
    path.write_text(json.dumps(line) + "\n" + json.dumps({"name": "B", "tags": []}) + "\n")
    crm("import", "contacts", str(path))
    rows = [json.loads(x) for x in crm("export", "contacts", "--format", "jsonl").out.splitlines()]
    assert [(r["email"], r["tags"], r.get("custom:email_2")) for r in rows] == [
        ("a@x.example", ["b c", "vip"], "b@x.example"),
        (None, [], None),
    ]


def test_bad_json_cells_are_one_line_and_exit_2(crm: Crm, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"name": "A", "tags": ["ok", "ba\\u0000d"]}\n')
    ran = crm("import", "contacts", str(bad), ok=False)
    assert ran.code == 2
    assert "line 1: tags: holds a NUL character" in ran.err
    for text, reason in [
        ('[{"name": "A"},', "invalid JSON: Expecting value (line 1, column 16)"),
        ('[{"name": "A"}', "invalid JSON: Expecting ',' delimiter (line 1, column 15)"),
    ]:
        array = tmp_path / "c.json"
        array.write_text(text)
        ran = crm("import", "contacts", str(array), ok=False)
        assert (ran.code, ran.err.count("\n")) == (2, 1), ran.err
        assert reason in ran.err


def test_a_json_array_of_objects_is_imported_item_by_item(crm: Crm, tmp_path: Path) -> None:
    """Any JSON array of objects, pretty-printed or not; an item that is not an object is
    rejected by its number in the array."""
    path = tmp_path / "in.json"
    items = [{"name": "A", "tags": ["x"]}, {"name": "B", "email": "b@x.example"}, "oops"]
    path.write_text(json.dumps(items, indent=4))
    ran = crm("import", "contacts", str(path), ok=False)
    assert ran.code == 2
    assert "line 3: a JSON string, not an object" in ran.err
    crm("import", "contacts", str(path), "--skip-errors")
    rows = [json.loads(x) for x in crm("export", "contacts", "--format", "jsonl").out.splitlines()]
    assert [(r["name"], r["email"], r["tags"]) for r in rows] == [
        ("A", None, ["x"]),
        ("B", "b@x.example", []),
    ]
