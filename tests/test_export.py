"""`crm export`: exact CSV, JSON and vCard output, the list filters, spreadsheet safety, the
private atomic file, and page-by-page streaming (SQLite, and PostgreSQL in CI)."""

from __future__ import annotations

import csv
import io
import json
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, event, insert

from tests.clihelp import Crm
from tests.conftest import NOW
from tinycrm.db.store import Database, session_scope
from tinycrm.errors import CrmError
from tinycrm.formats import cells
from tinycrm.formats.cells import neutralise_cell, restore_cell
from tinycrm.models import Contact, ContactTag
from tinycrm.normalize import name_key
from tinycrm.services import exports
from tinycrm.services.exports import custom_columns, export_contacts
from tinycrm.services.filters import ContactFilter

T = "2026-11-23T09:30:00+00:00"
"""CRM_NOW: when every record of the dataset was created."""


@pytest.fixture
def cli_env() -> dict[str, str]:
    return {"CRM_NOW": T, "CRM_CURRENCY": "EUR"}


@pytest.fixture
def shop(crm: Crm) -> Crm:
    """A small hand-built dataset: non-ASCII names, tags, custom fields, formula-like notes."""
    crm("user", "add", "Ana Ruiz", "--email", "ana@shop.example")
    crm(
        "company", "add", "Acme Ltd", "--domain", "acme.example", "--industry", "retail",
        "--city", "Lyon", "--country", "FR", "--owner", "ana", "--field", "tier=gold",
    )  # fmt: skip
    crm("company", "add", "北京科技", "--city", "北京", "--country", "CN")
    crm(
        "contact", "add", "Li Wei", "--email", "LI.WEI@acme.example", "--phone",
        "+33 6 12 34 56 78", "--company", "Acme Ltd", "--owner", "ana", "--status", "customer",
        "--tag", "vip", "--field", "size=40",
    )  # fmt: skip
    crm(
        "contact", "add", "李伟", "--company", "北京科技", "--source", "trade fair",
        "--note", "=1+1", "--field", "微信=liwei88",
    )  # fmt: skip
    crm(
        "contact", "add", "Zoë Faure", "--email", "zoe@faure.example", "--title", "CEO",
        "--status", "lead", "--note", "@cmd", "--tag", "VIP", "--tag", "b2b",
    )  # fmt: skip
    crm(
        "deal", "add", "Acme renewal", "--company", "Acme Ltd", "--contact",
        "li.wei@acme.example", "--amount", "12500", "--close", "next fri", "--owner", "ana",
    )  # fmt: skip
    crm("deal", "add", "北京 pilot", "--contact", "李伟", "--amount", "900.5")
    crm("deal", "lost", "2", "--reason", "price")
    crm("activity", "log", "call", "--contact", "li.wei@acme.example", "--note", "asked, twice")
    crm(
        "activity", "schedule", "Send quote", "--deal", "1", "--due", "tomorrow 10:00",
        "--owner", "ana",
    )  # fmt: skip
    return crm


CONTACTS_CSV = f"""\
id,first_name,last_name,name,email,phone,title,company,owner,status,source,notes,tags,created_at,custom:size,custom:微信
1,Li,Wei,Li Wei,li.wei@acme.example,'+33 6 12 34 56 78,,Acme Ltd,Ana Ruiz,customer,,,vip,{T},40,
2,李伟,,李伟,,,,北京科技,,prospect,trade fair,'=1+1,,{T},,liwei88
3,Zoë,Faure,Zoë Faure,zoe@faure.example,,CEO,,,lead,,'@cmd,b2b;vip,{T},,
"""  # noqa: E501

CONTACTS_JSON: list[dict[str, Any]] = [
    {
        "id": 1, "first_name": "Li", "last_name": "Wei", "name": "Li Wei",
        "email": "li.wei@acme.example", "phone": "+33 6 12 34 56 78", "title": None,
        "company": "Acme Ltd", "owner": "Ana Ruiz", "status": "customer", "source": None,
        "notes": None, "tags": ["vip"], "created_at": T, "custom:size": "40",
    },
    {
        "id": 2, "first_name": "李伟", "last_name": None, "name": "李伟", "email": None,
        "phone": None, "title": None, "company": "北京科技", "owner": None,
        "status": "prospect", "source": "trade fair", "notes": "=1+1", "tags": [],
        "created_at": T, "custom:微信": "liwei88",
    },
    {
        "id": 3, "first_name": "Zoë", "last_name": "Faure", "name": "Zoë Faure",
        "email": "zoe@faure.example", "phone": None, "title": "CEO", "company": None,
        "owner": None, "status": "lead", "source": None, "notes": "@cmd",
        "tags": ["b2b", "vip"], "created_at": T,
    },
]  # fmt: skip


def test_contacts_csv_is_exact_and_neutralises_formulas(shop: Crm) -> None:
    ran = shop("export", "contacts")
    assert (ran.out, ran.err) == (CONTACTS_CSV, "")


def test_raw_csv_keeps_every_value_as_stored(shop: Crm) -> None:
    out = shop("export", "contacts", "--raw").out
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["notes"] for r in rows] == ["", "=1+1", "@cmd"]
    assert rows[0]["phone"] == "+33 6 12 34 56 78"
    assert out == CONTACTS_CSV.replace("'", "")


def test_contacts_json_and_jsonl_are_exact(shop: Crm) -> None:
    out = shop("export", "contacts", "--format", "json").out
    assert out.startswith('[\n  {"id": 1, "first_name": "Li"') and out.endswith("}\n]\n")
    assert "李伟" in out  # UTF-8 text, not \\u escapes
    assert json.loads(out) == CONTACTS_JSON
    lines = shop("export", "contacts", "-f", "jsonl").out.splitlines()
    assert [json.loads(line) for line in lines] == CONTACTS_JSON


def test_companies_csv_and_json(shop: Crm) -> None:
    assert shop("export", "companies").out == (
        "id,name,domain,industry,city,country,phone,website,owner,notes,created_at,custom:tier\n"
        f"1,Acme Ltd,acme.example,retail,Lyon,FR,,,Ana Ruiz,,{T},gold\n"
        f"2,北京科技,,,北京,CN,,,,,{T},\n"
    )
    assert shop("export", "companies", "-f", "json").json()[1] == {
        "id": 2, "name": "北京科技", "domain": None, "industry": None, "city": "北京",
        "country": "CN", "phone": None, "website": None, "owner": None, "notes": None,
        "created_at": T,
    }  # fmt: skip


def test_deals_csv_has_plain_amounts_and_json_numbers(shop: Crm) -> None:
    assert shop("export", "deals").out == (
        "id,title,amount,currency,stage,status,company,contact,owner,expected_close,"
        "created_at,closed_at,lost_reason\n"
        f"1,Acme renewal,12500.00,EUR,lead,open,Acme Ltd,li.wei@acme.example,Ana Ruiz,"
        f"2026-11-27,{T},,\n"
        f"2,北京 pilot,900.50,EUR,lost,lost,北京科技,李伟,,,{T},{T},price\n"
    )
    deals = shop("export", "deals", "-f", "json").json()
    assert [(d["amount"], d["currency"], d["closed_at"]) for d in deals] == [
        (12500, "EUR", None),
        (900.5, "EUR", T),
    ]


def test_activities_csv(shop: Crm) -> None:
    assert shop("export", "activities").out == (
        "id,kind,subject,body,contact,company,deal,owner,due_at,done_at,created_at\n"
        f'1,call,"asked, twice","asked, twice",li.wei@acme.example,Acme Ltd,,,,{T},{T}\n'
        f"2,task,Send quote,,li.wei@acme.example,Acme Ltd,1,Ana Ruiz,"
        f"2026-11-24T10:00:00+00:00,,{T}\n"
    )


def _ids(ran_out: str) -> list[int]:
    return [int(r["id"]) for r in csv.DictReader(io.StringIO(ran_out))]


def test_filters_narrow_the_export(shop: Crm) -> None:
    assert _ids(shop("export", "contacts", "--tag", "VIP").out) == [1, 3]
    assert _ids(shop("export", "contacts", "--status", "lead").out) == [3]
    assert _ids(shop("export", "companies", "-q", "北京").out) == [2]
    assert _ids(shop("export", "deals", "--status", "open").out) == [1]
    assert _ids(shop("export", "activities", "--state", "open").out) == [2]
    # custom:KEY columns are those of the exported rows only
    assert (
        shop("export", "contacts", "--tag", "vip")
        .out.splitlines()[0]
        .endswith("tags,created_at,custom:size")
    )
    assert (
        shop("export", "contacts", "--tag", "nobody").out
        == ",".join(exports.CONTACT_COLUMNS) + "\n"
    )


# The same options as `list` select the same records (list sorts by name, export by id).
SAME_AS_LIST: dict[str, list[tuple[str, ...]]] = {
    "contact": [
        (),
        ("--tag", " Vip "),
        ("--status", "customer"),
        ("--company", "Acme ltd"),
        ("--owner", "ana"),
        ("-q", "acme"),
        ("-q", "ZOË"),
    ],
    "company": [
        ("--city", "lyon"),
        ("--country", "cn"),
        ("--industry", "Retail", "--owner", "ana@shop.example"),
        ("-q", "acme.ex"),
    ],
    "deal": [
        ("--status", "all"),
        ("--status", "lost"),
        ("--status", "all", "--stage", "lead"),
        ("--status", "all", "--contact", "李伟"),
        ("--status", "all", "--company", "1", "--owner", "ana"),
        ("--status", "all", "-q", "北京"),
    ],
    "activity": [
        (),
        ("--kind", "call"),
        ("--state", "done"),
        ("--deal", "1"),
        ("--contact", "li.wei@acme.example", "--owner", "ana"),
        ("--company", "北京科技"),
    ],
}
PLURAL = {"contact": "contacts", "company": "companies", "deal": "deals", "activity": "activities"}


@pytest.mark.parametrize("noun", SAME_AS_LIST)
def test_filters_select_what_list_selects(shop: Crm, noun: str) -> None:
    for options in SAME_AS_LIST[noun]:
        listed = shop(noun, "list", *options, "-f", "json", ok=False)
        assert listed.code in (0, 1), listed.err
        expected = sorted(r["id"] for r in json.loads(listed.out or "[]"))
        exported = shop("export", PLURAL[noun], *options, "-f", "json").json()
        assert [r["id"] for r in exported] == expected, options


def test_vcards_carry_name_email_phone(shop: Crm, tmp_path: Path) -> None:
    # through a file: the test runner's stdout turns CRLF into LF
    shop("export", "contacts", "--format", "vcf", "-o", str(tmp_path / "all.vcf"))
    out = (tmp_path / "all.vcf").read_bytes().decode("utf-8")
    assert out.count("BEGIN:VCARD\r\nVERSION:3.0\r\n") == 3 and out.endswith("END:VCARD\r\n")
    assert "\n" not in out.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in out.split("\r\n"))  # folded
    cards = [c.split("\r\n") for c in out.split("END:VCARD\r\n")[:-1]]
    props = [{k: v for k, _, v in (line.partition(":") for line in c if line)} for c in cards]
    assert [(p["FN"], p.get("EMAIL;TYPE=INTERNET"), p.get("TEL")) for p in props] == [
        ("Li Wei", "li.wei@acme.example", "+33 6 12 34 56 78"),
        ("李伟", None, None),
        ("Zoë Faure", "zoe@faure.example", None),
    ]
    assert (props[0]["N"], props[0]["ORG"], props[2]["CATEGORIES"]) == (
        "Wei;Li;;;",
        "Acme Ltd",
        "b2b,vip",
    )
    assert props[1]["NOTE"] == "=1+1"  # vCard is not a spreadsheet: values stay as they are
    assert props[1]["X-TINYCRM-CUSTOM"] == "微信;liwei88"


CELLS = [
    ("=1+1", "'=1+1"),
    ("+33 6 12 34 56 78", "'+33 6 12 34 56 78"),
    ("-5", "'-5"),
    ("@cmd", "'@cmd"),
    ("\tx", "'\tx"),
    ("\rx", "'\rx"),
    ("'=1+1", "''=1+1"),
    ("''", "'''"),
    ("'quoted'", "'quoted'"),
    ("'", "'"),
    ("a=b", "a=b"),
    ("", ""),
    ("李伟", "李伟"),
]


@pytest.mark.parametrize(("value", "cell"), CELLS)
def test_formula_cells_get_a_quote_that_restore_removes(value: str, cell: str) -> None:
    assert neutralise_cell(value) == cell
    assert restore_cell(cell) == value


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])  # crm_env: harmless
@given(st.text(alphabet=st.sampled_from("'=+-@\t\rab李 "), max_size=6))
def test_neutralising_is_safe_and_reversible(value: str) -> None:
    cell = neutralise_cell(value)
    assert not cell.startswith(cells.FORMULA_STARTS)
    assert restore_cell(cell) == value


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("deals", "-f", "vcf"),
            "--format: not a format for deals (use csv, jsonl or json): 'vcf'",
        ),
        (("contacts", "-f", "xml"), "not a format for contacts (use csv, jsonl, json or vcf)"),
        (("deals", "--status", "closed"), "--status: must be open, won, lost or all"),
        (("activities", "--state", "late"), "--state: must be open, done or all"),
        (("activities", "--kind", "dance"), "kind: must be call, email"),
        (("contacts", "--status", "vip"), "--status: must be lead, prospect"),
        (("contacts", "--company", "Nobody Inc"), "company not found: 'Nobody Inc'"),
        (("deals", "--stage", "closing"), "stage: unknown stage"),
        (("contacts", "-o", "no/such/folder/c.csv"), "--output: cannot write there"),
        (("contacts", "-o", "."), "--output: is a folder, not a file: '.'"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_no_file(
    crm: Crm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    crm("init")
    before = sorted(tmp_path.iterdir())
    to_file = () if "-o" in args else ("-o", "out.csv")
    ran = crm("export", *args, *to_file, ok=False)
    assert ran.code == 2 and ran.out == ""
    assert ran.err.startswith("crm: error: ") and message in ran.err, ran.err
    assert ran.err.count("\n") == 1
    assert sorted(tmp_path.iterdir()) == before


def test_output_file_is_private_and_complete(shop: Crm, tmp_path: Path) -> None:
    target = tmp_path / "contacts.csv"
    target.write_text("old export\n")
    target.chmod(0o644)
    ran = shop("export", "contacts", "-o", str(target))
    assert (ran.out, ran.err) == ("", f"exported 3 contacts to {target}\n")
    assert target.read_text(encoding="utf-8") == CONTACTS_CSV
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp file
    one = shop("export", "deals", "--status", "open", "-o", str(tmp_path / "d.json"), "-f", "json")
    assert one.err == f"exported 1 deal to {tmp_path / 'd.json'}\n"


def test_a_failing_export_leaves_no_file_and_the_old_one_intact(
    shop: Crm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def breaks_halfway(session: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:
        rows = export_contacts(session, **kwargs)
        yield next(rows)
        raise CrmError("database went away")

    monkeypatch.setattr(exports, "export_contacts", breaks_halfway)
    out = tmp_path / "out"
    out.mkdir()
    kept = out / "kept.jsonl"
    kept.write_text("yesterday's export\n")
    for target in (out / "new.jsonl", kept):
        ran = shop("export", "contacts", "-f", "jsonl", "-o", str(target), ok=False)
        assert (ran.code, ran.err) == (2, "crm: error: database went away\n")
    assert [p.name for p in out.iterdir()] == ["kept.jsonl"]
    assert kept.read_text() == "yesterday's export\n"


def test_an_empty_export_is_a_header_or_an_empty_list(crm: Crm) -> None:
    assert crm("export", "contacts").out == ",".join(exports.CONTACT_COLUMNS) + "\n"
    assert crm("export", "deals", "-f", "json").out == "[]\n"
    assert crm("export", "activities", "-f", "jsonl").out == ""


# Streaming: 2,500 contacts, tags and custom fields spread over three pages.

MANY = 2500


def _many_contacts(db_url: str) -> None:
    engine = create_engine(db_url)
    rows = [
        {
            "full_name": f"Person {MANY - i:04d}",  # names sort the other way round from ids
            "name_key": name_key(f"Person {MANY - i:04d}"),
            "status": "prospect",
            "custom": {"batch": str(i)} if i % 1000 == 999 else {},
            "created_at": NOW,
            "updated_at": NOW,
        }
        for i in range(MANY)
    ]
    with engine.begin() as conn:
        conn.execute(insert(Contact), rows)
        ids = [r.id for r in conn.execute(Contact.__table__.select().order_by("id"))]  # type: ignore[attr-defined]
        conn.execute(insert(ContactTag), [{"contact_id": i, "tag": "every7"} for i in ids[::7]])
    engine.dispose()


def test_2500_contacts_come_out_whole_in_id_order(crm: Crm, db_url: str) -> None:
    crm("init")
    _many_contacts(db_url)
    rows = list(csv.DictReader(io.StringIO(crm("export", "contacts").out)))
    ids = [int(r["id"]) for r in rows]
    assert len(ids) == MANY and ids == sorted(ids) and len(set(ids)) == MANY
    assert [r["custom:batch"] for r in rows if r["custom:batch"]] == ["999", "1999"]
    assert [i for i, r in enumerate(rows) if r["tags"] == "every7"] == list(range(0, MANY, 7))


def test_contacts_stream_a_page_at_a_time(db: Database, db_url: str) -> None:
    _many_contacts(db_url)
    pages: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "LIMIT" in statement.upper():
            pages.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        with session_scope(db, write=False) as session:
            assert custom_columns(session, filters=ContactFilter()) == ["custom:batch"]
            assert len(pages) == 3  # the custom-field pass: 1000 + 1000 + 500 rows
            rows = export_contacts(session, filters=ContactFilter(), page_size=1000)
            first = next(rows)
            assert len(pages) == 4  # only the first page has been read
            rest = list(rows)
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    ids = [first["id"], *(r["id"] for r in rest)]
    assert len(ids) == MANY and ids == sorted(ids)
    assert len(pages) == 6 and all("contacts.id >" in p for p in (pages[4], pages[5]))
    assert sum(r["tags"] == ["every7"] for r in [first, *rest]) == len(range(0, MANY, 7))
