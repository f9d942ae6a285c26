"""`crm import` of spreadsheets (.xlsx, .xls, .ods): the rows a CSV file would give, so the
same mapping, dry run, rejects and undo; cells as the text a person typed, not as floats."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import create_engine, func, select
from sqlmodel import col

from tests.clihelp import Crm
from tinycrm.formats.read.sheet import cell_text, is_workbook, read_sheet
from tinycrm.models import Activity, Contact, Deal, ImportBatch

DATA = Path(__file__).resolve().parent / "data"
ZONES = {
    # zone: (2026-03-01 18:30 local in UTC, 2026-03-01 00:00 local in UTC)
    "America/Los_Angeles": ("2026-03-02T02:30:00+00:00", "2026-03-01T08:00:00+00:00"),
    "Asia/Shanghai": ("2026-03-01T10:30:00+00:00", "2026-02-28T16:00:00+00:00"),
}


@pytest.fixture(params=sorted(ZONES))
def zone(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def cli_env(zone: str) -> dict[str, str]:
    return {
        "CRM_NOW": "2026-11-23T09:30:00+00:00",
        "CRM_CURRENCY": "EUR",
        "CRM_PHONE_REGION": "US",
        "CRM_TIMEZONE": zone,
    }


def count(db_url: str, model: type) -> int:
    engine = create_engine(db_url)
    with engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(model)).scalar_one()
    engine.dispose()
    return n


def xlsx(path: Path, sheets: dict[str, list[list[Any]]]) -> str:
    """A workbook with these sheets (in order), each given row by row."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return str(path)


CONTACTS: list[list[Any]] = [
    [],
    [],  # the header is the first row with something in it: row 3
    ["Name", "Email", "Phone Number", "Company", "Zip", "Postcode", "Create Date", "Score", "VIP"],
    ["张伟", "Zhang.Wei@Example.CN", 4155550100, "北京科技", "02134", 2134,
     datetime(2026, 3, 1, 18, 30), 0.1, True],
    ["Ana Lima", "ana@example.com", 4155550101.0, None, None, None, date(2026, 3, 1), 12.0,
     False],
]  # fmt: skip


def show(crm: Crm, email: str) -> dict[str, Any]:
    found: dict[str, Any] = crm("contact", "show", email, "-f", "json").json()
    return found


def test_contacts_from_xlsx_are_the_cells_as_typed(
    crm: Crm, tmp_path: Path, db_url: str, zone: str
) -> None:
    path = xlsx(tmp_path / "hubspot.xlsx", {"Contacts": CONTACTS})
    ran = crm("import", "contacts", path, "--map", "Create Date=created_at")
    assert ran.out.splitlines()[0] == (
        f"imported contacts from {path} as import #1: 2 created, 0 updated, "
        "0 skipped as duplicates, 0 rejected (also created: 1 company)"
    )
    zhang, ana = show(crm, "zhang.wei@example.cn"), show(crm, "ana@example.com")
    moment, midnight = ZONES[zone]
    assert {
        k: zhang[k] for k in ("name", "phone", "phone_normalized", "company", "created_at")
    } == {
        "name": "张伟",
        "phone": "4155550100",
        "phone_normalized": "+14155550100",
        "company": "北京科技",
        "created_at": moment,
    }
    assert zhang["custom"] == {"Zip": "02134", "Postcode": "2134", "Score": "0.1", "VIP": "true"}
    assert (ana["name"], ana["phone"], ana["created_at"]) == ("Ana Lima", "4155550101", midnight)
    assert ana["custom"] == {"Score": "12", "VIP": "false"}


def test_a_sheet_chosen_by_name_and_a_missing_one_listed(crm: Crm, tmp_path: Path) -> None:
    path = xlsx(
        tmp_path / "book.xlsx",
        {"Read me": [["Exported 2026-11-20"]], "Contacts": CONTACTS, "Deals": [["x"]]},
    )
    ran = crm("import", "contacts", path, "--sheet", "contacts")  # case does not matter
    assert "2 created" in ran.out
    assert show(crm, "zhang.wei@example.cn")["name"] == "张伟"
    missing = crm("import", "contacts", path, "--sheet", "People", ok=False)
    assert (missing.code, missing.out) == (2, "")
    assert missing.err == (
        f"crm: error: --sheet: no sheet 'People' in {path}; its sheets: 'Read me', "
        "'Contacts', 'Deals'\n"
    )


def test_the_first_visible_sheet_is_read_by_default(crm: Crm, tmp_path: Path) -> None:
    path = tmp_path / "hidden.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "Lookups"
    book.active.append(["Name", "Email"])
    book.active.append(["Not Me", "not.me@example.com"])
    book.active.sheet_state = "hidden"
    shown = book.create_sheet("People")
    shown.append(["Name", "Email"])
    shown.append(["Li Wei", "li.wei@example.com"])
    book.save(path)
    crm("import", "contacts", str(path))
    listed = crm("contact", "list", "-f", "json").json()
    assert [(c["name"], c["email"]) for c in listed] == [("Li Wei", "li.wei@example.com")]


BAD: list[list[Any]] = [
    ["Name", "Email", "Phone"],
    ["Good", "good@example.com", 4155550100],
    ["Bad", "nope", 4155550101],
    [None, None, None],
    ["Also Bad", "also@", 33612345678],
]


def test_dry_run_writes_nothing(crm: Crm, tmp_path: Path, db_url: str) -> None:
    path = xlsx(tmp_path / "c.xlsx", {"Contacts": CONTACTS})
    ran = crm("import", "contacts", path, "--dry-run")
    assert ran.out.splitlines()[0] == (
        f"dry run, nothing written: contacts from {path} would be 2 created, 0 updated, "
        "0 skipped as duplicates, 0 rejected (also created: 1 company)"
    )
    assert (count(db_url, Contact), count(db_url, ImportBatch)) == (0, 0)


def test_rejects_name_the_sheet_rows_and_undo_removes_the_batch(
    crm: Crm, tmp_path: Path, db_url: str
) -> None:
    path = xlsx(tmp_path / "bad.xlsx", {"Sheet1": BAD})
    refused = crm("import", "contacts", path, ok=False)
    assert refused.code == 2
    assert refused.err.splitlines()[:2] == [
        "line 3: email: not an email address: 'nope'",
        "line 5: email: not an email address: 'also@'",
    ]
    assert count(db_url, Contact) == 0
    rejects = tmp_path / "rejects.csv"
    done = crm("import", "contacts", path, "--skip-errors", "--rejects", str(rejects)).out
    batch = done.split("as import #")[1].split(":")[0]  # PostgreSQL does not reuse numbers
    assert list(csv.reader(io.StringIO(rejects.read_text()))) == [
        ["line", "reason", "Name", "Email", "Phone"],
        ["3", "email: not an email address: 'nope'", "Bad", "nope", "4155550101"],
        ["5", "email: not an email address: 'also@'", "Also Bad", "also@", "33612345678"],
    ]
    assert count(db_url, Contact) == 1
    assert crm("import", "undo", batch).out == f"import #{batch} undone: removed 1 contact\n"
    assert count(db_url, Contact) == 0


DEALS: list[list[Any]] = [
    ["Deal - Title", "Deal - Value", "Deal - Currency", "Deal - Stage",
     "Deal - Expected close date", "Deal - Deal created", "Deal - Organization"],
    ["大单", 12500.5, "EUR", "Qualified", date(2026, 12, 1), datetime(2026, 3, 1, 18, 30),
     "Acme"],
    ["Small", 900, "USD", "Negotiation", datetime(2026, 12, 24), date(2026, 3, 1), "Acme"],
]  # fmt: skip
ACTIVITIES: list[list[Any]] = [
    ["Subject", "Type", "Due date", "Due time", "Deal", "Done time"],
    ["Call 张伟", "call", date(2026, 3, 1), time(18, 30), "大单", None],
    ["Kickoff", "meeting", date(2026, 3, 1), None, "Small", datetime(2026, 3, 1, 18, 30)],
]


def deal_rows(db_url: str) -> list[tuple[Any, ...]]:
    engine = create_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                col(Deal.title),
                col(Deal.amount_minor),
                col(Deal.currency),
                col(Deal.expected_close),
                col(Deal.created_at),
            ).order_by(col(Deal.title))
        ).all()
    engine.dispose()
    return [(t, a, c, e, utc(at)) for t, a, c, e, at in rows]


def utc(moment: datetime | None) -> str | None:
    """A stored moment as ISO text in UTC (SQLite hands them back without a zone)."""
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None).isoformat() + "+00:00"


def test_deals_and_activities_from_two_sheets_of_one_workbook(
    crm: Crm, tmp_path: Path, db_url: str, zone: str
) -> None:
    path = xlsx(tmp_path / "pipedrive.xlsx", {"Deals": DEALS, "Activities": ACTIVITIES})
    crm("import", "deals", path)  # the first sheet
    moment, midnight = ZONES[zone]
    assert deal_rows(db_url) == [
        ("Small", 90000, "USD", date(2026, 12, 24), midnight),
        ("大单", 1250050, "EUR", date(2026, 12, 1), moment),
    ]
    ran = crm("import", "activities", path, "--sheet", "Activities")
    assert "import #2: 2 created" in ran.out
    listed = crm("activity", "list", "-f", "json").json()
    assert sorted((a["subject"], a["kind"], a["deal"], a["when"], a["state"]) for a in listed) == [
        ("Call 张伟", "call", "大单", moment, "overdue"),
        ("Kickoff", "meeting", "Small", moment, "done"),
    ]
    assert count(db_url, Activity) == 2


def test_ods_and_xls_read_as_xlsx_does(crm: Crm, tmp_path: Path, zone: str) -> None:
    crm("import", "contacts", str(DATA / "contacts.xls"), "--map", "Create Date=created_at")
    crm("import", "contacts", ods(tmp_path / "more.ods"), "--map", "Create Date=created_at")
    moment, midnight = ZONES[zone]
    listed = crm("contact", "list", "--sort", "email", "-f", "json").json()
    assert [(c["name"], c["email"], c["phone"]) for c in listed] == [
        ("Ana Lima", "ana@example.com", "4155550101"),
        ("王芳", "wang.fang@example.cn", "4155550102"),
        ("张伟", "zhang.wei@example.cn", "4155550100"),
    ]
    zhang, ana = show(crm, "zhang.wei@example.cn"), show(crm, "ana@example.com")
    assert (zhang["custom"], zhang["created_at"]) == ({"Zip": "02134"}, midnight)
    assert (ana["custom"], ana["created_at"]) == ({"Zip": "2134"}, moment)
    wang = show(crm, "wang.fang@example.cn")
    assert (wang["custom"], wang["created_at"]) == ({"Zip": "02134", "VIP": "true"}, moment)


def ods(path: Path) -> str:
    """A one-sheet OpenDocument spreadsheet, written as LibreOffice would type its cells."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    def cell(value: Any) -> Any:
        if value is None:
            return TableCell()
        if isinstance(value, bool):
            made = TableCell(valuetype="boolean", booleanvalue=str(value).lower())
        elif isinstance(value, int | float):
            made = TableCell(valuetype="float", value=value)
        elif isinstance(value, datetime):
            made = TableCell(valuetype="date", datevalue=value.isoformat())
        else:
            made = TableCell(valuetype="string")
        made.addElement(P(text=str(value)))
        return made

    doc = OpenDocumentSpreadsheet()
    table = Table(name="Kontakte")
    rows: list[list[Any]] = [
        [None],
        ["Name", "Email", "Phone", "Zip", "Create Date", "VIP"],
        ["王芳", "wang.fang@example.cn", 4155550102, "02134", datetime(2026, 3, 1, 18, 30), True],
    ]
    for values in rows:
        row = TableRow()
        for value in values:
            row.addElement(cell(value))
        table.addElement(row)
    doc.spreadsheet.addElement(table)
    doc.save(str(path))
    return str(path)


# Bad files: one line, exit 2, nothing written -------------------------------------------


def test_a_file_named_xlsx_that_is_not_one(crm: Crm, tmp_path: Path, db_url: str) -> None:
    fake = tmp_path / "contacts.xlsx"
    fake.write_text("Name,Email\nLi,li@example.com\n")
    ran = crm("import", "contacts", str(fake), ok=False)
    assert (ran.code, ran.out) == (2, "")
    assert ran.err == (
        f"crm: error: file: not a readable .xlsx workbook (Cannot detect file format): '{fake}'\n"
    )
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(Path(xlsx(tmp_path / "whole.xlsx", {"C": CONTACTS})).read_bytes()[:2000])
    ran = crm("import", "contacts", str(cut), ok=False)
    assert (ran.code, len(ran.err.splitlines())) == (2, 1)
    assert ran.err.startswith("crm: error: file: not a readable .xlsx workbook (")
    assert (count(db_url, Contact), count(db_url, ImportBatch)) == (0, 0)


def test_sheet_with_a_csv_and_encoding_with_a_workbook(crm: Crm, tmp_path: Path) -> None:
    text = tmp_path / "in.csv"
    text.write_text("Name,Email\nLi,li@example.com\n")
    ran = crm("import", "contacts", str(text), "--sheet", "Contacts", ok=False)
    assert (ran.code, ran.err) == (
        2,
        f"crm: error: --sheet: {text} is not a workbook (.xlsx, .xls, .ods): it has no "
        "sheets: 'Contacts'\n",
    )
    path = xlsx(tmp_path / "c.xlsx", {"C": CONTACTS})
    ran = crm("import", "contacts", path, "--encoding", "gbk", ok=False)
    assert (ran.code, ran.err) == (
        2,
        f"crm: error: --encoding: {path} is a workbook: it has no encoding: 'gbk'\n",
    )


def test_an_empty_sheet_and_cells_right_of_the_header(crm: Crm, tmp_path: Path) -> None:
    path = xlsx(tmp_path / "e.xlsx", {"Empty": [], "Wide": [["Name", "Email"]]})
    ran = crm("import", "contacts", path, ok=False)
    assert ran.err == f"crm: error: file: sheet 'Empty' has no header row: '{path}'\n"
    wide = xlsx(
        tmp_path / "w.xlsx",
        {"W": [["Name", "Email"], ["Li", "li@example.com", "stray"], ["Wu", "wu@example.com"]]},
    )
    ran = crm("import", "contacts", wide, ok=False)
    assert ran.err.splitlines()[0] == (
        "line 2: cells outside the header's columns (extra: 'stray')"
    )


# Cells -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (4155550100.0, "4155550100"),
        (2134, "2134"),
        (12500.5, "12500.5"),
        (0.1, "0.1"),
        (1e-07, "0.0000001"),
        (1e20, "100000000000000000000"),
        (-0.0, "0"),
        (-3.0, "-3"),
        (float("nan"), ""),
        (True, "true"),
        (False, "false"),
        ("", ""),
        ("  张伟 ", "  张伟 "),
        (date(2026, 12, 1), "2026-12-01"),
        (datetime(2026, 12, 1, 14, 30), "2026-12-01 14:30"),
        (datetime(2026, 12, 1, 14, 30, 15), "2026-12-01 14:30:15"),
        (datetime(2026, 12, 1, 14, 29, 59, 999_600), "2026-12-01 14:30"),
        (datetime(2026, 12, 1, 23, 59, 59, 600_000), "2026-12-02 00:00"),
        (time(9, 30), "09:30"),
        (time(9, 30, 5), "09:30:05"),
        (timedelta(hours=25), "25:00"),
        (timedelta(minutes=90, seconds=5), "1:30:05"),
    ],
)
def test_cell_text(value: object, text: str) -> None:
    assert cell_text(value) == text


def test_workbooks_are_known_by_name_or_by_their_first_bytes(tmp_path: Path) -> None:
    assert is_workbook("Export.XLSX", b"")
    assert is_workbook("-", b"PK\x03\x04\x14\x00")
    assert is_workbook("-", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
    assert not is_workbook("in.csv", b"Name,Email\r\n")


class Pipe(io.RawIOBase):
    """Standard input from a pipe: it cannot seek."""

    def __init__(self, data: bytes) -> None:
        self.data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self.data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_a_workbook_through_a_pipe(tmp_path: Path) -> None:
    data = Path(xlsx(tmp_path / "p.xlsx", {"P": BAD})).read_bytes()
    table = read_sheet(io.BufferedReader(Pipe(data)), name="-")
    assert (table.headers, table.fmt) == (["Name", "Email", "Phone"], "xlsx")
    assert [(r.line, r.values["Email"], r.values["Phone"]) for r in table.rows] == [
        (2, "good@example.com", "4155550100"),
        (3, "nope", "4155550101"),
        (5, "also@", "33612345678"),
    ]
