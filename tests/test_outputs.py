"""What tinycrm writes out: CSV a spreadsheet cannot run (SQLite, and PostgreSQL in CI)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from tests.clihelp import Crm
from tinycrm.formats.cells import FORMULA_STARTS
from tinycrm.formats.csv_write import CsvWriter
from tinycrm.models import Contact

T = "2026-11-23T09:30:00+00:00"
NEGATIVE = re.compile(r"-[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?")


@pytest.fixture
def crm(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Crm:
    monkeypatch.setenv("CRM_DATABASE_URL", db_url)
    monkeypatch.setenv("CRM_NOW", T)  # a Monday
    monkeypatch.setenv("CRM_CURRENCY", "EUR")
    monkeypatch.setenv("CRM_PHONE_REGION", "FR")
    run = Crm()
    run("init")
    return run


def count(db_url: str, model: type) -> int:
    engine = create_engine(db_url)
    with engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(model)).scalar_one()
    engine.dispose()
    return n


def write(tmp_path: Path, text: str, name: str = "in.csv") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return str(path)


# 1. Formula injection: one writer, one rule, every CSV ----------------------------------


@pytest.fixture
def risky(crm: Crm) -> Crm:
    """Records whose text a spreadsheet would run as a formula."""
    crm("user", "add", "=Ana", "--email", "ana@shop.example")
    crm("company", "add", "@Acme")
    crm(
        "contact", "add", "Li Wei", "--email", "li@acme.example", "--phone", "+33 6 12 34 56 78",
        "--company", "@Acme", "--note", "=cmd|' /C calc'!A0", "--owner", "ana@shop.example",
    )  # fmt: skip
    crm(
        "deal", "add", "=SUM(A1)", "--company", "@Acme", "--amount", "12500", "--close",
        "tomorrow", "--owner", "ana@shop.example",
    )  # fmt: skip
    crm(
        "activity", "schedule", "=2+3", "--due", "2026-11-20 10:00", "--owner",
        "ana@shop.example", "--contact", "li@acme.example",
    )  # fmt: skip
    crm("campaign", "add", "=Fair", "--cost", "500", "--from", "2026-11-01")
    return crm


FORMULA_CELLS = [
    (("contact", "list"), "company", "'@Acme"),
    (("contact", "list"), "owner", "'=Ana"),
    (("contact", "list"), "phone", "'+33 6 12 34 56 78"),
    (("contact", "show", "li@acme.example"), "notes", "'=cmd|' /C calc'!A0"),
    (("company", "list"), "name", "'@Acme"),
    (("deal", "list"), "title", "'=SUM(A1)"),
    (("activity", "list"), "subject", "'=2+3"),
    (("remind", "--all-owners"), "title", "'=2+3"),
    (("agenda",), "subject", "'=2+3"),
    (("report", "performance"), "name", "'=Ana"),
    (("report", "campaigns"), "name", "'=Fair"),
]


@pytest.mark.parametrize(("args", "column", "cell"), FORMULA_CELLS)
def test_every_csv_output_quotes_formula_cells(
    risky: Crm, args: tuple[str, ...], column: str, cell: str
) -> None:
    out = risky(*args, "--format", "csv").out
    rows = list(csv.DictReader(io.StringIO(out)))
    assert cell in [row[column] for row in rows]
    cells = [c for row in csv.reader(io.StringIO(out)) for c in row]
    assert [c for c in cells if c.startswith(FORMULA_STARTS) and not NEGATIVE.fullmatch(c)] == []


def test_contact_list_csv_to_the_byte(risky: Crm) -> None:
    assert risky("contact", "list", "-f", "csv").out == (
        "id,name,email,phone,company,title,status,owner,tags\n"
        "1,Li Wei,li@acme.example,'+33 6 12 34 56 78,'@Acme,,prospect,'=Ana,\n"
    )


def test_the_writer_quotes_text_and_leaves_numbers() -> None:
    row = ["=1+1", "-12.50", -12.5, -5, "-5 apples", "+5", "@x", "\tx", "'=q", "a=b", None, ""]
    safe, raw = io.StringIO(), io.StringIO()
    CsvWriter(safe).writerow(row)
    CsvWriter(raw, raw=True).writerow(row)
    assert safe.getvalue() == "'=1+1,-12.50,-12.5,-5,'-5 apples,'+5,'@x,'\tx,''=q,a=b,,\n"
    assert raw.getvalue() == "=1+1,-12.50,-12.5,-5,-5 apples,+5,@x,\tx,'=q,a=b,,\n"


BAD = 'Name,Email,Phone\nGood,good@x.example,\n=HYPERLINK("http://x"),nope,+33 6 12 34 56 78\n'


def test_rejects_file_is_safe_and_imports_back_after_fixing(
    crm: Crm, tmp_path: Path, db_url: str
) -> None:
    rejects = tmp_path / "rejects.csv"
    crm("import", "contacts", write(tmp_path, BAD), "--skip-errors", "--rejects", str(rejects))
    assert rejects.read_bytes() == (
        b"line,reason,Name,Email,Phone\n"
        b'3,email: not an email address: \'nope\',"\'=HYPERLINK(""http://x"")",nope,'
        b"'+33 6 12 34 56 78\n"
    )
    rejects.write_bytes(rejects.read_bytes().replace(b",nope,", b",fixed@x.example,"))
    ran = crm("import", "contacts", str(rejects))
    assert "1 created" in ran.out and "custom fields" not in ran.out
    shown = crm("contact", "show", "fixed@x.example", "-f", "json").json()
    assert (shown["name"], shown["phone"], shown["custom"]) == (
        '=HYPERLINK("http://x")',
        "+33 6 12 34 56 78",
        {},
    )
    assert count(db_url, Contact) == 2


def test_a_quoted_column_name_is_read_back_as_written(crm: Crm, tmp_path: Path) -> None:
    crm("import", "contacts", write(tmp_path, "Name,'@handle\nLi Wei,'=x\n"))
    shown = crm("contact", "show", "Li Wei", "-f", "json").json()
    assert shown["custom"] == {"@handle": "=x"}
