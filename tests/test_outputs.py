"""What tinycrm writes out, and what it lets in: CSV a spreadsheet cannot run, files written
whole and through no link, outputs opened before the database is touched, and text with no
control characters (SQLite, and PostgreSQL in CI)."""

from __future__ import annotations

import csv
import errno
import io
import os
import re
import stat
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from tests.clihelp import Crm
from tinycrm.config import load_settings
from tinycrm.db.store import open_database, session_scope
from tinycrm.formats.cells import FORMULA_STARTS
from tinycrm.formats.write import outfile
from tinycrm.formats.write.csv import CsvWriter
from tinycrm.models import Activity, Company, Contact, Deal, ImportBatch, KbArticle, User
from tinycrm.services.filters import ContactFilter

T = "2026-11-23T09:30:00+00:00"
NEGATIVE = re.compile(r"-[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?")


@pytest.fixture
def cli_env() -> dict[str, str]:
    return {"CRM_NOW": T, "CRM_CURRENCY": "EUR", "CRM_PHONE_REGION": "FR"}


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


# 2. Files are written whole, private, and through no link -------------------------------

BAD_ROWS = "Name,Email\nGood,good@x.example\nBad,nope\n"


def writers(tmp_path: Path) -> dict[str, tuple[str, ...]]:
    """Commands that write a file, each with `{out}` where the file goes."""
    return {
        "export": ("export", "contacts", "-o", "{out}"),
        "export-vcf": ("export", "contacts", "-f", "vcf", "-o", "{out}"),
        "export-ics": ("export", "ics", "-o", "{out}"),
        "rejects": (
            "import",
            "contacts",
            write(tmp_path, BAD_ROWS),
            "--skip-errors",
            "--rejects",
            "{out}",
        ),
        "backup": ("backup", "-o", "{out}", "--force"),
    }


WRITERS = ["export", "export-vcf", "export-ics", "rejects", "backup"]


def run_writer(crm: Crm, tmp_path: Path, name: str, out: Path, ok: bool = True) -> object:
    args = [str(out) if a == "{out}" else a for a in writers(tmp_path)[name]]
    return crm(*args, ok=ok)


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    """A file someone would like tinycrm to overwrite."""
    path = tmp_path / "victim.txt"
    path.write_text("precious\n")
    path.chmod(0o644)
    return path


@pytest.mark.parametrize("name", WRITERS)
def test_a_link_at_the_output_is_replaced_not_followed(
    crm: Crm, tmp_path: Path, victim: Path, name: str
) -> None:
    out = tmp_path / "out.csv"
    out.symlink_to(victim)
    run_writer(crm, tmp_path, name, out)
    assert victim.read_text() == "precious\n"
    assert stat.S_IMODE(victim.stat().st_mode) == 0o644
    assert not out.is_symlink() and out.is_file()
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


@pytest.mark.parametrize("name", WRITERS)
def test_a_link_planted_at_the_temporary_name_is_passed_over(
    crm: Crm, tmp_path: Path, victim: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    out = tmp_path / "out.csv"
    planted = tmp_path / ".out.csv.planted.part"
    planted.symlink_to(victim)
    names = iter([planted, tmp_path / ".out.csv.fresh.part"])
    monkeypatch.setattr(outfile, "temp_name", lambda target: next(names))
    run_writer(crm, tmp_path, name, out)
    assert victim.read_text() == "precious\n"
    assert planted.is_symlink() and planted.readlink() == victim
    assert out.is_file() and not out.is_symlink()
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_an_existing_file_is_replaced_whole_and_made_private(crm: Crm, tmp_path: Path) -> None:
    out = tmp_path / "rejects.csv"
    out.write_text("old\n")
    out.chmod(0o644)
    run_writer(crm, tmp_path, "rejects", out)
    assert (
        out.read_text()
        == "line,reason,Name,Email\n3,email: not an email address: 'nope',Bad,nope\n"
    )
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_the_apps_export_writes_through_no_link(
    crm: Crm, db_url: str, tmp_path: Path, victim: Path
) -> None:
    from tinycrm.screens.filters import write_contacts

    crm("contact", "add", "=Li Wei", "--email", "li@acme.example")
    out = tmp_path / "contacts.csv"
    out.symlink_to(victim)
    db = open_database(load_settings(database_url=db_url))
    with session_scope(db, write=False) as session:
        assert write_contacts(session, path=str(out), wanted=ContactFilter()) == 1
    db.engine.dispose()
    assert victim.read_text() == "precious\n"
    assert not out.is_symlink() and stat.S_IMODE(out.stat().st_mode) == 0o600
    assert out.read_text().splitlines()[1].startswith("1,'=Li,Wei,'=Li Wei,li@acme.example,")


def test_private_file_leaves_the_target_alone_when_the_block_fails(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    out.write_text("old\n")
    with pytest.raises(RuntimeError), outfile.private_file(str(out), field="--output") as f:
        f.write("half")
        raise RuntimeError("boom")
    assert out.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir() if "out.csv" in p.name] == ["out.csv"]


def test_private_file_without_replace_refuses_an_existing_name(tmp_path: Path) -> None:
    from tinycrm.errors import Conflict

    out = tmp_path / "b.zip"
    out.symlink_to(tmp_path / "nowhere")
    with pytest.raises(Conflict, match="already exists"):
        with outfile.private_binary_file(str(out), field="--output", replace=False):
            pass
    assert out.is_symlink()


# 3. Outputs are opened before the first database write ----------------------------------


MISSING = "/no/such/dir/r.csv"
NO_DIR = "cannot write there (No such file or directory)"
REFUSED = [
    (("import", "contacts", "{bad}", "--skip-errors", "--rejects", MISSING), "--rejects", NO_DIR),
    (("import", "contacts", "{bad}", "--rejects", MISSING), "--rejects", NO_DIR),
    (("import", "vcard", "{vcf}", "--skip-errors", "--rejects", MISSING), "--rejects", NO_DIR),
    (
        ("import", "contacts", "{bad}", "--skip-errors", "--rejects", "{folder}"),
        "--rejects",
        "is a folder, not a file",
    ),
    (("export", "contacts", "-o", MISSING), "--output", NO_DIR),
    (("export", "ics", "-o", MISSING), "--output", NO_DIR),
    (("backup", "-o", MISSING), "--output", NO_DIR),
]


@pytest.mark.parametrize(("args", "field", "reason"), REFUSED)
def test_an_output_that_cannot_be_written_stops_the_command_first(
    crm: Crm, tmp_path: Path, db_url: str, args: tuple[str, ...], field: str, reason: str
) -> None:
    (tmp_path / "folder").mkdir()
    files = {
        "{bad}": write(tmp_path, BAD_ROWS),
        "{vcf}": write(
            tmp_path, "BEGIN:VCARD\nFN:Li\nEND:VCARD\nBEGIN:VCARD\nEND:VCARD\n", "p.vcf"
        ),
        "{folder}": str(tmp_path / "folder"),
    }
    ran = crm(*(files.get(a, a) for a in args), ok=False)
    assert (ran.code, ran.out) == (2, "")
    assert ran.err == f"crm: error: {field}: {reason}: {files.get(args[-1], args[-1])!r}\n"
    assert (count(db_url, Contact), count(db_url, ImportBatch)) == (0, 0)


def test_a_rejects_file_that_fails_half_way_imports_nothing(
    crm: Crm, tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(self: CsvWriter, rows: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(CsvWriter, "writerows", full)
    rejects = tmp_path / "r.csv"
    ran = crm(
        "import", "contacts", write(tmp_path, BAD_ROWS), "--skip-errors", "--rejects",
        str(rejects), ok=False,
    )  # fmt: skip
    assert ran.code == 2
    full_disk = "cannot write there (No space left on device)"
    assert ran.err == f"crm: error: --rejects: {full_disk}: {str(rejects)!r}\n"
    assert (count(db_url, Contact), count(db_url, ImportBatch)) == (0, 0)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(("r.csv", ".r.csv"))] == []


# 4. Text that cannot be stored: NUL and other control characters ------------------------

CANNOT = "which cannot be stored (tab and line breaks can)"
NUL = f"holds a NUL character (U+0000), {CANNOT}"
TYPED = [
    (("contact", "add", "a\x00b"), Contact, f"name: {NUL}: 'a\\x00b'"),
    (
        ("contact", "add", "Li", "--note", "x\x1b[2Jy"),
        Contact,
        f"notes: holds a control character (U+001B), {CANNOT}: 'x\\x1b[2Jy'",
    ),
    (("contact", "add", "Li", "--email", "li\x00@x.example"), Contact, "email: holds a NUL"),
    (("company", "add", "Acme\x00"), Company, f"name: {NUL}: 'Acme\\x00'"),
    (("company", "add", "Acme", "--field", "k=v\x01"), Company, "custom.k: holds a control"),
    (("deal", "add", "Big\x00deal", "--amount", "5"), Deal, f"title: {NUL}: 'Big\\x00deal'"),
    (("activity", "log", "call", "--note", "a\x00b"), Activity, f"body: {NUL}: 'a\\x00b'"),
    (("kb", "add", "T", "--body", "a\x00b"), KbArticle, f"body: {NUL}: 'a\\x00b'"),
    (("user", "add", "Ann\x00", "--email", "ann@x.example"), User, "name: holds a NUL"),
]


@pytest.mark.parametrize(("args", "model", "message"), TYPED)
def test_text_typed_with_a_control_character_is_refused(
    crm: Crm, db_url: str, args: tuple[str, ...], model: type, message: str
) -> None:
    ran = crm(*args, ok=False)
    assert (ran.code, ran.out) == (2, "")
    assert ran.err.startswith(f"crm: error: {message}") and ran.err.count("\n") == 1, ran.err
    assert count(db_url, model) == 0


def test_an_article_read_from_stdin_with_a_nul_is_refused_by_its_line(
    crm: Crm, db_url: str
) -> None:
    ran = crm("kb", "add", "Reset", "--file", "-", input="Step one\nStep \x00two\n", ok=False)
    assert (ran.code, ran.err) == (2, f"crm: error: body: {NUL}, on line 2\n")
    assert count(db_url, KbArticle) == 0
    crm("kb", "add", "Reset", "--file", "-", input="Step\tone\r\nStep two\n")
    assert crm("kb", "show", "1", "-f", "json").json()["body"] == "Step\tone\nStep two"


VCARDS = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Li Wei\r\nNOTE:bad\x00note\r\nEND:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ann Lee\r\nNOTE:tab\there\\nand a line\r\nEND:VCARD\r\n"
)
IMPORTS = [
    ("contacts", 'Name,Notes\nLi Wei,"a\x1b[2Jb"\nAnn Lee,"tab\there\nand a line"\n', 2),
    ("contacts", 'Name,Notes\nLi Wei,a\x07b\nAnn Lee,"tab\there\nand a line"\n', 2),
    ("vcard", VCARDS, 1),
]


@pytest.mark.parametrize(("noun", "data", "line"), IMPORTS)
def test_an_imported_record_with_a_control_character_is_rejected_by_its_line(
    crm: Crm, tmp_path: Path, db_url: str, noun: str, data: str, line: int
) -> None:
    path = write(tmp_path, data, "in.vcf" if noun == "vcard" else "in.csv")
    ran = crm("import", noun, path, ok=False)
    assert ran.code == 2 and ran.err.startswith(f"line {line}: notes: holds a "), ran.err
    assert count(db_url, Contact) == 0
    crm("import", noun, path, "--skip-errors")
    [ann] = crm("contact", "list", "-f", "json").json()
    note = crm("contact", "show", str(ann["id"]), "-f", "json").json()["notes"]
    assert (ann["name"], note) == ("Ann Lee", "tab\there\nand a line")


QP_CARD = (
    b"BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Zo\xc3\xab Faure\r\n"
    b"NOTE;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:caf=E9 =\r\nau lait\r\nEND:VCARD\r\n"
)


def test_a_quoted_printable_byte_that_is_no_text_is_refused_unless_replaced(
    crm: Crm, tmp_path: Path, db_url: str
) -> None:
    path = tmp_path / "qp.vcf"
    path.write_bytes(QP_CARD)
    assert QP_CARD.index(b"=E9") == 89
    ran = crm("import", "vcard", str(path), ok=False)
    assert (ran.code, ran.out) == (2, "")
    assert ran.err == (
        f"crm: error: file: byte 0xe9 at line 4 (byte offset 89) is not valid utf-8: "
        f"{str(path)!r}; fix it, or import it as U+FFFD with --replace-invalid (or name the "
        "file's encoding with --encoding if it is not utf-8)\n"
    )
    assert count(db_url, Contact) == 0
    ran = crm("import", "vcard", str(path), "--replace-invalid")
    assert ran.out.splitlines()[-1] == (
        "1 invalid byte sequence (not utf-8) read as U+FFFD: line 4 (byte offset 89)"
    )
    assert crm("contact", "show", "Zoë Faure", "-f", "json").json()["notes"] == "caf\ufffd au lait"
