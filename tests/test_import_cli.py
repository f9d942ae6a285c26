"""`crm import` as power users run it: real exports' headers, pipes, rejects, undo, corpora."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from tests.clihelp import Crm
from tinycrm.models import Company, Contact, Deal, ImportBatch

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "data" / "corpora"
if not CORPORA.is_dir():  # the corpora sit next to the repository (../shared/data)
    CORPORA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "corpora"
needs_corpora = pytest.mark.skipif(not CORPORA.is_dir(), reason="../shared/data is not here")


@pytest.fixture
def cli_env() -> dict[str, str]:
    return {"CRM_NOW": "2026-11-23T09:30:00+00:00", "CRM_CURRENCY": "EUR", "CRM_PHONE_REGION": "FR"}


def count(db_url: str, model: type) -> int:
    engine = create_engine(db_url)
    with engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(model)).scalar_one()
    engine.dispose()
    return n


def write(tmp_path: Path, text: str, name: str = "in.csv", encoding: str = "utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


EXPORTS = {
    "hubspot": "Record ID,First Name,Last Name,Email,Phone Number,Associated Company,"
    "Lifecycle Stage,Job Title\n1,Li,Wei,LI.WEI@acme.example,+33 6 12 34 56 78,Acme,Customer,"
    "Buyer\n",
    "pipedrive": "Person - Name;Person - Email;Person - Phone;Organization - Name;Person - Labels"
    "\nLi Wei;li.wei@acme.example;+33612345678;Acme;VIP\n",
    "google": "First Name,Last Name,E-mail 1 - Value,Phone 1 - Value,Organization Name,"
    "Organization Title\nLi,Wei,li.wei@acme.example ::: li@home.example,+33 6 12 34 56 78,Acme,"
    "Buyer\n",
    "outlook": "First Name\tLast Name\tE-mail Address\tBusiness Phone\tCompany\tJob Title\n"
    "Li\tWei\tli.wei@acme.example\t+33 6 12 34 56 78\tAcme\tBuyer\n",
    "salesforce": "Id,FirstName,LastName,Email,Phone,Account.Name,Title\n003x1,Li,Wei,"
    "li.wei@acme.example,+33612345678,Acme,Buyer\n",
    "chinese": "姓名,邮箱,手机,公司,职位,城市\n"
    "李伟,li.wei@acme.example,+33 6 12 34 56 78,Acme,采购,里昂\n",
}


@pytest.mark.parametrize("source", sorted(EXPORTS))
def test_exports_of_other_crms_map_by_themselves(crm: Crm, tmp_path: Path, source: str) -> None:
    ran = crm("import", "contacts", write(tmp_path, EXPORTS[source]))
    assert ran.out.startswith("imported contacts from ") and "1 created" in ran.out
    [shown] = [crm("contact", "show", "li.wei@acme.example", "-f", "json").json()]
    assert (shown["email"], shown["phone_normalized"], shown["company"]) == (
        "li.wei@acme.example",
        "+33612345678",
        "Acme",
    )
    assert shown["name"] in ("Li Wei", "李伟")


def test_hubspot_lifecycle_stages_as_labels_or_internal_values(crm: Crm, tmp_path: Path) -> None:
    stages = ("subscriber", "lead", "marketingqualifiedlead", "Sales Qualified Lead",
              "opportunity", "customer", "evangelist", "other")  # fmt: skip
    rows = "".join(f"{n},P{n},p{n}@x.example,{stage}\n" for n, stage in enumerate(stages))
    crm(
        "import", "contacts", write(tmp_path, "Record ID,First Name,Email,Lifecycle Stage\n" + rows)
    )
    listed = crm("contact", "list", "--sort", "email", "-f", "json").json()
    assert [c["status"] for c in listed] == [
        "lead", "lead", "lead", "prospect", "prospect", "customer", "customer", "inactive",
    ]  # fmt: skip
    assert [p["name"] for p in crm("lead", "list", "--pool", "-f", "json").json()] == [
        "P0", "P1", "P2",
    ]  # fmt: skip


def test_stdin_and_a_second_run_that_creates_nothing(crm: Crm, db_url: str) -> None:
    ran = crm("import", "contacts", "-", input=EXPORTS["hubspot"])
    assert "import #1: 1 created, 0 updated, 0 skipped" in ran.out
    again = crm("import", "contacts", "-", input=EXPORTS["hubspot"])
    assert "import #2: 0 created, 0 updated, 1 skipped as duplicates" in again.out
    assert count(db_url, Contact) == 1


BAD = "Name,Email,Owner\nGood,good@x.example,\nBad,nope,\nGhost,,ghost\n"


def test_bad_rows_block_the_import_and_are_each_named(
    crm: Crm, tmp_path: Path, db_url: str
) -> None:
    ran = crm("import", "contacts", write(tmp_path, BAD), ok=False)
    assert ran.code == 2
    assert ran.err.splitlines() == [
        "line 3: email: not an email address: 'nope'",
        "line 4, owner: unknown user 'ghost' (use --create-owners)",
        "crm: error: nothing imported: 2 rows rejected; fix them, or use --skip-errors to "
        "import the other rows (1 created, 0 updated, 0 skipped as duplicates)",
    ]
    assert (count(db_url, Contact), count(db_url, ImportBatch)) == (0, 0)


def test_skip_errors_and_a_rejects_file_to_fix_and_retry(
    crm: Crm, tmp_path: Path, db_url: str
) -> None:
    rejects = tmp_path / "rejects.csv"
    crm("import", "contacts", write(tmp_path, BAD), "--skip-errors", "--rejects", str(rejects))
    assert count(db_url, Contact) == 1
    assert list(csv.reader(io.StringIO(rejects.read_text()))) == [
        ["line", "reason", "Name", "Email", "Owner"],
        ["3", "email: not an email address: 'nope'", "Bad", "nope", ""],
        ["4", "unknown user 'ghost' (use --create-owners)", "Ghost", "", "ghost"],
    ]
    assert rejects.stat().st_mode & 0o777 == 0o600


def test_dry_run_and_show_mapping_write_nothing(crm: Crm, tmp_path: Path, db_url: str) -> None:
    path = write(tmp_path, EXPORTS["hubspot"])
    ran = crm("import", "contacts", path, "--dry-run")
    assert ran.out.startswith("dry run, nothing written: contacts from ")
    assert "would be 1 created" in ran.out
    mapping = crm("import", "contacts", path, "--show-mapping", "--map", "Job Title=custom:role")
    lines = [" ".join(line.split()) for line in mapping.out.splitlines()]
    assert "Lifecycle Stage status" in lines and "Job Title custom:role" in lines
    assert count(db_url, Contact) == 0


def test_undo_removes_what_the_import_created(crm: Crm, tmp_path: Path, db_url: str) -> None:
    crm("import", "contacts", write(tmp_path, EXPORTS["pipedrive"]))
    assert crm("import", "undo", "1").out == "import #1 undone: removed 1 contact, 1 company\n"
    assert (count(db_url, Contact), count(db_url, Company)) == (0, 0)
    assert crm("import", "undo", "1", ok=False).err == "crm: error: import #1 was already undone\n"


PIPEDRIVE_DEALS = (
    "Deal - ID,Deal - Title,Deal - Value,Deal - Currency,Deal - Stage,Deal - Status,"
    "Deal - Owner,Organization - Name,Deal - Lost reason\n"
    '7,Acme renewal,"12,500.50",EUR,Appointment scheduled,open,Ana Ruiz,Acme,\n'
    "8,Globex pilot,900,EUR,qualified,lost,Ana Ruiz,Globex,price\n"
)


def test_deals_with_stage_map_and_created_owners(crm: Crm, tmp_path: Path, db_url: str) -> None:
    path = write(tmp_path, PIPEDRIVE_DEALS)
    ran = crm("import", "deals", path, "--stage-map", "Appointment scheduled=contacted", ok=False)
    assert "unknown user 'Ana Ruiz' (use --create-owners)" in ran.err
    crm(
        "import", "deals", path, "--stage-map", "Appointment scheduled=contacted", "--create-owners"
    )
    rows = {d["title"]: d for d in crm("deal", "list", "--status", "all", "-f", "json").json()}
    assert (rows["Acme renewal"]["stage"], rows["Acme renewal"]["amount"]) == ("contacted", 12500.5)
    assert (rows["Globex pilot"]["status"], rows["Globex pilot"]["owner"]) == ("lost", "Ana Ruiz")
    history = crm("deal", "show", str(rows["Globex pilot"]["id"]), "-f", "json").json()
    assert [h["to_stage"] for h in history["stage_history"]] == [
        "lead",
        "contacted",
        "qualified",
        "lost",
    ]
    crm("import", "deals", path, "--stage-map", "Appointment scheduled=contacted")
    assert count(db_url, Deal) == 2  # matched by Deal - ID the second time


def test_a_file_that_is_not_there_or_not_text(crm: Crm, tmp_path: Path) -> None:
    ran = crm("import", "contacts", str(tmp_path / "nope.csv"), ok=False)
    assert (ran.code, ran.err) == (2, f"crm: error: file: no such file: '{tmp_path}/nope.csv'\n")
    binary = tmp_path / "x.csv"
    binary.write_bytes(b"Name,Email\n\xff\xfe\x00\x81\x82\x83garbage\x00\n" * 3)
    ran = crm("import", "contacts", str(binary), "--encoding", "utf-8", ok=False)
    assert ran.code == 2 and ran.err.startswith("crm: error: ") and ran.err.count("\n") == 1


@needs_corpora
@pytest.mark.parametrize(
    "name", sorted(p.stem for p in (CORPORA / "csv_spectrum" / "csvs").glob("*.csv"))
)
def test_csv_spectrum_imports_to_the_records_its_json_describes(
    crm: Crm, name: str, db_url: str
) -> None:
    """Each file's first column becomes the name, the others custom fields."""
    expected = json.loads((CORPORA / "csv_spectrum" / "json" / f"{name}.json").read_text())
    path = str(CORPORA / "csv_spectrum" / "csvs" / f"{name}.csv")
    if isinstance(expected, dict):
        # location_coordinates.json is one object whose phone (1234567890) is not the CSV's
        # (2095257564): an upstream sample. Its columns and row count still have to match.
        expected = [{k: row[k] for k in expected} for row in csv.DictReader(open(path))]
    if not expected:
        assert crm("import", "contacts", path, ok=False).code in (0, 2)
        assert count(db_url, Contact) == 0
        return
    first, *rest = list(expected[0])
    maps = ["--map", f"{first}=name", *(a for h in rest for a in ("--map", f"{h}=custom:{h}"))]
    crm("import", "contacts", path, *maps)
    from tinycrm.config import load_settings
    from tinycrm.db.store import open_database, session_scope
    from tinycrm.services.contacts import get_contact, list_contacts

    db = open_database(load_settings(database_url=db_url))
    with session_scope(db, write=False) as s:
        got = [get_contact(s, ref=str(c.id)) for c in list_contacts(s, sort="id")]
    db.engine.dispose()
    want = [{k: v for k, v in r.items() if v} for r in expected if r[first].strip()]
    assert [{first: c.row.name, **c.custom} for c in got] == [
        {k: (" ".join(v.split()) if k == first else v) for k, v in r.items()} for r in want
    ]


@needs_corpora
@pytest.mark.parametrize(
    "path",
    sorted(
        [
            *(CORPORA / "csvkit_examples").glob("*.csv"),
            *(CORPORA / "messytables_horror").glob("*.csv"),
        ]
    ),
    ids=lambda p: p.name,
)
def test_messy_files_import_or_fail_cleanly_and_never_half_write(
    crm: Crm, path: Path, db_url: str
) -> None:
    crm("init")
    ran = crm("import", "contacts", str(path), ok=False)
    assert ran.code in (0, 2), ran.err
    assert "Traceback" not in ran.err and "internal error" not in ran.err
    for line in ran.err.splitlines():
        assert line.startswith(("line ", "crm: error: ", "…")), line
    if ran.code == 2:
        assert count(db_url, Contact) == count(db_url, ImportBatch) == 0


@needs_corpora
@pytest.mark.parametrize(
    "name",
    [
        "cities.gb18030.crlf.csv",
        "cities.gbk.csv",
        "cities.utf16le-bom.tab.csv",
        "cities.utf8-bom.crlf.csv",
    ],
)
def test_legacy_encodings_import_to_the_same_rows_as_utf8(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    maps = ["--map", "code=external_id", "--map", "name=name", "--map", "provinceCode=custom:p"]
    rows = []
    for source in (
        CORPORA / "china_admin_divisions" / "cities.csv",
        CORPORA / "china_admin_divisions" / "derived_encodings" / name,
    ):
        db = tmp_path / f"{source.name}.db"
        Crm()("--db", str(db), "init")
        Crm()("--db", str(db), "import", "contacts", str(source), *maps)
        out = Crm()("--db", str(db), "contact", "list", "--sort", "id", "-f", "csv").out
        rows.append(out)
    assert rows[0] == rows[1]
    assert "市辖区" in rows[0]


@needs_corpora
def test_every_client_vcard_imports_names_emails_phones_and_companies(
    crm: Crm, db_url: str
) -> None:
    for path in sorted((CORPORA / "ezvcard_client_vcards").glob("*.vcf")):
        ran = crm("import", "vcard", str(path), ok=False)
        if path.name == "John_Doe_ANDROID.vcf":  # `=80` in a quoted-printable ORG
            assert ran.code == 2 and "byte 0x80 at line 86 (byte offset 4196)" in ran.err
            ran = crm("import", "vcard", str(path), "--replace-invalid")
            assert "1 invalid byte sequence (not utf-8) read as U+FFFD: line 86" in ran.out
        assert ran.code == 0, f"{path.name}: {ran.err}"
    people = {c["email"] or c["name"]: c for c in crm("contact", "list", "-f", "json").json()}
    assert people["frank_dawson@lotus.com"]["company"] == "Lotus Development Corporation"
    assert people["simon.perreault@viagenie.ca"]["name"] == "Simon Perreault"
    assert people["howes@netscape.com"]["phone"] == "+1-415-937-3419"
    assert count(db_url, Contact) == len(people) >= 12


SHARED = (
    "Name,Email,Phone,Company\n"
    "Ann Lee,ann@acme.example,+33 1 40 00 00 00,Acme\n"
    "Bob Ray,bob@acme.example,01 40 00 00 00,Acme\n"  # the switchboard: a colleague
    "Carl Moss,,06 11 11 11 11,\n"
    "Dora Moss,,+33611111111,\n"  # the home number: his wife
    "carl  MOSS,carl@moss.example,0611111111,\n"  # Carl again, now with his email
    "Ann Lee,,,Acme\n"  # a namesake at Acme, or Ann without her details
)


def test_shared_phones_are_imported_and_listed_never_skipped(
    crm: Crm, tmp_path: Path, db_url: str
) -> None:
    path = write(tmp_path, SHARED)
    ran = crm("import", "contacts", path)
    assert ran.out.splitlines() == [
        f"imported contacts from {path} as import #1: 5 created, 0 updated, 1 skipped as "
        "duplicates, 0 rejected (also created: 1 company)",
        "3 possible duplicates (a shared phone, or a name at one company, but no email in "
        "common), imported as new people; review with `crm contact dupes`:",
        "  line 3 Bob Ray: same phone as line 2 Ann Lee",
        "  line 5 Dora Moss: same phone as line 4 Carl Moss",
        "  line 7 Ann Lee: same name and company as line 2 Ann Lee",
    ]
    assert count(db_url, Contact) == 5
    listed = crm("contact", "dupes", "-f", "json").json()
    assert [(p["keep"], p["other"], p["score"], p["reasons"]) for p in listed] == [
        (1, 5, 95, "name+company"),
        (1, 2, 70, "phone"),
        (3, 4, 70, "phone"),
    ]
    again = crm("import", "contacts", path)  # only the row with a bare name is new again
    assert "1 created, 0 updated, 5 skipped as duplicates" in again.out
    assert again.out.splitlines()[1:] == [
        "1 possible duplicate (a shared phone, or a name at one company, but no email in "
        "common), imported as a new person; review with `crm contact dupes`:",
        "  line 7 Ann Lee: same name and company as #1 Ann Lee",
    ]


def test_a_switchboard_lists_twenty_pairs_and_counts_the_rest(crm: Crm, tmp_path: Path) -> None:
    people = "".join(f"Rep {n},rep{n}@acme.example,+33 1 40 00 00 00\n" for n in range(31))
    ran = crm("import", "contacts", write(tmp_path, "Name,Email,Phone\n" + people))
    lines = ran.out.splitlines()
    assert "31 created" in lines[0] and lines[1].startswith("30 possible duplicates")
    assert lines[2:] == [
        *(f"  line {n + 2} Rep {n}: same phone as line 2 Rep 0" for n in range(1, 21)),
        "  … and 10 more",
    ]
    assert crm("import", "contacts", write(tmp_path, "Name\nX\n"), "--quiet").out == ""


def test_phones_kept_as_typed_are_counted(
    crm: Crm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CRM_PHONE_REGION")
    data = "姓名,手机\n王大力,13800138002\n李芳,+86 139 1234 5678\n张伟,138 0013 8003\n"
    ran = crm("import", "contacts", write(tmp_path, data))
    assert (
        ran.out.splitlines()[1]
        == "2 phones kept as typed, without +country (no region: use --region)"
    )
    ran = crm("import", "contacts", write(tmp_path, data), "--region", "CN", "--dry-run")
    assert len(ran.out.splitlines()) == 1


NAMES = "name,email\nZoë Martin,zoe@x.example\n王大力,wang@x.example\nJosé Núñez,jose@x.example\n"


@pytest.mark.parametrize(
    ("tail", "line", "shown"),
    [
        (b"Last One,last@x.exam\xffple\n", 5, "byte 0xff"),  # one bad byte on the last line
        (b"Last One,l@x.example\nBob,b@x.example" + "王".encode()[:2], 6, "bytes 0xe7 0x8e"),
    ],
    ids=["bad byte", "cut at the end"],
)
def test_a_utf8_file_with_a_bad_byte_is_refused_by_line_and_offset(
    crm: Crm, tmp_path: Path, db_url: str, tail: bytes, line: int, shown: str
) -> None:
    path = tmp_path / "bad.csv"
    data = NAMES.encode() + tail
    path.write_bytes(data)
    offset = data.rindex(tail.rstrip(b"\n")[-2:] if line == 6 else b"\xff")
    ran = crm("import", "contacts", str(path), ok=False)
    assert (ran.code, ran.out) == (2, "")
    assert ran.err == (
        f"crm: error: file: {shown} at line {line} (byte offset {offset}) is not valid utf-8: "
        f"'{path}'; fix it, or import it as U+FFFD with --replace-invalid (or name the file's "
        "encoding with --encoding if it is not utf-8)\n"
    )
    assert (count(db_url, Contact), count(db_url, ImportBatch)) == (0, 0)
    ran = crm("import", "contacts", str(path), "--replace-invalid")
    assert ran.out.splitlines()[1:] == [
        f"1 invalid byte sequence (not utf-8) read as U+FFFD: line {line} (byte offset {offset})"
    ]
    names = {c["name"] for c in crm("contact", "list", "-f", "json").json()}
    assert {"José Núñez", "Last One", "Zoë Martin", "王大力"} <= names  # and no mojibake


def test_a_bad_byte_far_into_a_big_file_is_refused_and_nothing_is_written(
    crm: Crm, tmp_path: Path, db_url: str
) -> None:
    rows = "".join(f"Zoë {n},z{n}@x.example\n" for n in range(20_000))
    data = ("name,email\n" + rows).encode() + b"Bad,b@x.example\x80\n"
    assert len(data) > 256 * 1024  # past the prefix the encoding is told from
    path = tmp_path / "big.csv"
    path.write_bytes(data)
    ran = crm("import", "contacts", str(path), ok=False)
    assert ran.code == 2
    assert f"byte 0x80 at line 20002 (byte offset {len(data) - 2})" in ran.err
    assert (count(db_url, Contact), count(db_url, ImportBatch)) == (0, 0)
    ran = crm("import", "contacts", str(path), "--replace-invalid", "--encoding", "utf-8", "-q")
    assert (ran.out, count(db_url, Contact)) == ("", 20_001)


def test_replace_invalid_in_a_vcard_and_with_many_bad_bytes(crm: Crm, tmp_path: Path) -> None:
    card = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Zoë {n}\r\nNOTE:caf\xe9\r\nEND:VCARD\r\n"
    data = b"".join(
        card.replace("{n}", str(n)).encode().replace(b"\xc3\xa9", b"\xe9") for n in range(25)
    )
    path = tmp_path / "book.vcf"
    path.write_bytes(data)
    assert crm("import", "vcard", str(path), ok=False).code == 2
    ran = crm("import", "vcard", str(path), "--replace-invalid")
    assert "25 created" in ran.out.splitlines()[0]
    offsets = [i + 3 for i in range(len(data)) if data.startswith(b"caf\xe9", i)]
    where = ", ".join(f"line {4 + 5 * n} (byte offset {offsets[n]})" for n in range(20))
    assert ran.out.splitlines()[1] == (
        f"25 invalid byte sequences (not utf-8) read as U+FFFD: {where} and 5 more"
    )
