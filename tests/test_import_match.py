"""Who is who on import: two different emails are two different people; a shared phone or
name makes at most a possible duplicate, imported and listed, never a skipped row."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlmodel import func, select

from tests.conftest import NOW
from tests.test_import_services import rows
from tinycrm.db.store import Database, session_scope
from tinycrm.formats.read.decode import Replacements
from tinycrm.formats.read.mapping import apply, identity_map
from tinycrm.formats.read.vcard import read_vcards
from tinycrm.models import Contact, ContactCreate
from tinycrm.normalize import normalize_email
from tinycrm.services import contacts, dupes
from tinycrm.services.imports import ImportOptions, ImportRow, OnDuplicate
from tinycrm.services.imports.people import import_contacts

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "data" / "corpora"
needs_corpora = pytest.mark.skipif(not CORPORA.is_dir(), reason="shared corpora not present")


def run(db: Database, data: list[ImportRow], region: str = "FR", **kw: Any) -> Any:
    options = ImportOptions(now=NOW, currency="EUR", region=region, **kw)
    with session_scope(db, write=True) as s:
        result, rejected = import_contacts(s, rows=data, source="t.csv", options=options)
    assert rejected == []
    return result


def people(db: Database) -> list[tuple[str, str | None, str | None]]:
    with session_scope(db, write=False) as s:
        found = s.exec(select(Contact).order_by(Contact.id)).all()  # type: ignore[arg-type]
        return [(c.full_name, c.email, c.phone) for c in found]


def pairs(result: Any) -> list[tuple[int, str, int | None, int | None]]:
    return [(p.line, p.reason, p.other_id, p.other_line) for p in result.possible_duplicates]


# Each case: the first record, then a second one; whether the second is the same person
# (skipped), and if not, why it is a possible duplicate (None: not even that).
CASES = {
    "colleagues at one switchboard": (
        {"name": "Ann Lee", "email": "ann@acme.example", "phone": "+33 1 40 00 00 00"},
        {"name": "Bob Ray", "email": "bob@acme.example", "phone": "+33 1 40 00 00 00"},
        False,
        "phone",
    ),
    "a family at one home number, no emails": (
        {"name": "Carl Lee", "phone": "01 40 00 00 01"},
        {"name": "Dora Lee", "phone": "+33140000001"},
        False,
        "phone",
    ),
    "father and son: one name, one number, two emails": (
        {"name": "John Smith", "email": "john@smith.example", "phone": "06 12 34 56 78"},
        {"name": "John Smith", "email": "junior@smith.example", "phone": "06 12 34 56 78"},
        False,
        "phone",
    ),
    "one name and one number, no email: the same person": (
        {"name": "Eve Moss", "phone": "06 11 11 11 11"},
        {"name": "EVE  moss", "phone": "+33 6 11 11 11 11"},
        True,
        None,
    ),
    "one name and one number, an email on one side only: the same person": (
        {"name": "Eve Moss", "phone": "06 11 11 11 11"},
        {"name": "Eve Moss", "email": "eve@moss.example", "phone": "0611111111"},
        True,
        None,
    ),
    "the same email: the same person, whatever the name": (
        {"name": "Li Wei", "email": "li@x.example"},
        {"name": "Wei Li", "email": "LI@x.example", "phone": "+33 6 22 22 22 22"},
        True,
        None,
    ),
    "the same name at one company": (
        {"name": "Fay Wong", "company": "Acme"},
        {"name": "fay wong", "company": "ACME"},
        False,
        "name+company",
    ),
    "the same name elsewhere: namesakes": (
        {"name": "Fay Wong", "company": "Acme"},
        {"name": "Fay Wong", "company": "Globex"},
        False,
        None,
    ),
    "the same external id with another email": (
        {"name": "Gus", "email": "gus@a.example", "external_id": "7"},
        {"name": "Hal", "email": "hal@b.example", "external_id": "7"},
        False,
        "external_id",
    ),
    "the same external id, no email: the same record": (
        {"name": "Gus", "email": "gus@a.example", "external_id": "7"},
        {"name": "Gus G.", "external_id": "7"},
        True,
        None,
    ),
    "a phone alone, no name: not the named person": (
        {"name": "Ida Park", "phone": "+33 6 33 33 33 33"},
        {"phone": "06 33 33 33 33"},
        False,
        "phone",
    ),
}


@pytest.mark.parametrize("where", ["in the file", "already there"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_who_is_the_same_person(db: Database, case: str, where: str) -> None:
    first, second, same, reason = CASES[case]
    if where == "in the file":
        result = run(db, rows(first, second))
        before = 1
    else:
        run(db, rows(first))
        result = run(db, rows(second))
        before = 0
    assert (result.created, result.skipped) == ((before, 1) if same else (before + 1, 0))
    assert len(people(db)) == (1 if same else 2)
    if reason is None:
        assert pairs(result) == []
    elif where == "in the file":
        assert pairs(result) == [(3, reason, 1, 2)]
    else:
        assert pairs(result) == [(2, reason, 1, None)]


def test_update_gives_the_person_the_email_and_a_later_row_finds_it(db: Database) -> None:
    run(db, rows({"name": "Eve Moss", "phone": "06 11 11 11 11"}))
    data = rows(
        {"name": "Eve Moss", "email": "eve@moss.example", "phone": "0611111111", "title": "CEO"},
        {"name": "Eve M.", "email": "EVE@moss.example", "notes": "met at the fair"},
    )
    result = run(db, data, on_duplicate=OnDuplicate.update)
    assert (result.created, result.updated) == (0, 2)
    with session_scope(db, write=False) as s:
        eve = contacts.get_contact(s, ref="1")
    assert (eve.row.email, eve.row.title, eve.notes) == (
        "eve@moss.example",
        "CEO",
        "met at the fair",
    )


def test_one_name_one_number_and_several_people_is_not_a_guess(db: Database) -> None:
    """John Smith senior and junior share a number; a row with neither email is a third
    record to review (not merged into either), and importing it again finds that one."""
    data = rows(
        {"name": "John Smith", "email": "john@smith.example", "phone": "06 12 34 56 78"},
        {"name": "John Smith", "email": "junior@smith.example", "phone": "06 12 34 56 78"},
        {"name": "John Smith", "phone": "06 12 34 56 78"},
    )
    result = run(db, data)
    assert (result.created, result.skipped) == (3, 0)
    assert pairs(result) == [(3, "phone", 1, 2), (4, "phone", 1, 2)]
    again = run(db, data)
    assert (again.created, again.skipped, pairs(again)) == (0, 3, [])


def test_without_a_region_national_numbers_compare_by_their_digits(db: Database) -> None:
    data = rows(
        {"name": "Wang Li", "phone": "13800138002"},
        {"name": "Wang Li", "phone": "138 0013 8002"},  # the same person
        {"name": "Wang Fang", "phone": "138-0013-8002"},  # his wife
        {"name": "Li Na", "phone": "+86 138 0013 8002"},  # other digits as typed
    )
    result = run(db, data, region="")
    assert (result.created, result.skipped) == (3, 1)
    assert people(db) == [
        ("Wang Li", None, "13800138002"),
        ("Wang Fang", None, "138-0013-8002"),
        ("Li Na", None, "+86 138 0013 8002"),
    ]
    assert pairs(result) == [(4, "phone", 1, 2)]
    again = run(db, rows({"name": "wang li", "phone": "(138) 0013 8002"}), region="")
    assert (again.created, again.skipped) == (0, 1)
    with session_scope(db, write=False) as s:
        found = [(p.keep.id, p.other.id, p.score, p.reasons) for p in dupes.find_dupes(s)]
    assert found == [(1, 2, 70, ["phone"])]


def test_a_row_with_only_a_national_phone_and_no_region_is_kept(db: Database) -> None:
    result = run(db, rows({"phone": "06 12 34 56 78"}), region="")
    assert result.created == 1
    assert people(db) == [("06 12 34 56 78", None, "06 12 34 56 78")]


# Generated data: offices with switchboards, families with one home number ---------------

OFFICES, STAFF, HOUSEHOLDS = 300, 20, 2000
FIRST = ["Wei", "Fang", "Ann", "Bob", "Zoë", "José", "Li", "Mia", "Sam", "Tom", "Eva", "Jan"]


def _office_rows() -> list[dict[str, str]]:
    """Every other employee gives the switchboard number; names are unique per office."""
    out = []
    for office in range(OFFICES):
        for n in range(STAFF):
            name = f"{FIRST[n % len(FIRST)]} Staff{n}"
            hundreds, rest = divmod(office, 100)
            phone = f"+33 1 40 {hundreds:02d} {rest:02d} 00"
            if n % 2 == 0:
                phone = f"+33 6 {hundreds:02d} {rest:02d} {n:02d} 01"
            out.append(
                {"name": name, "email": f"s{n}@office{office}.example", "phone": phone,
                 "company": f"Office {office}"}
            )  # fmt: skip
    return out


def _household_rows(members: range) -> list[dict[str, str]]:
    """Four people per household at one mobile number written without +86. In one household
    in four, father and son share a name, each with an email."""
    out = []
    for home in range(HOUSEHOLDS):
        phone = f"138 {home // 100:04d} {home % 100:04d}"
        family = f"Zhang{home}"
        for member in members:
            record = {"name": f"{FIRST[member]} {family}", "phone": phone}
            if member < 2 and home % 4 == 0:
                record = {"name": f"Wei {family}", "phone": phone,
                          "email": f"wei{member}@home{home}.example"}  # fmt: skip
            out.append(record)
    return out


def test_twenty_thousand_generated_people_all_arrive(db: Database) -> None:
    """6,000 office staff (half at a switchboard) and 8,000 family members (four to a home
    number, some fathers and sons with one name), then 6,000 more relatives joining homes
    that are already there: everyone is imported, and every shared number listed once."""
    offices, families = _office_rows(), _household_rows(range(4))
    first = run(db, rows(*offices, *families), region="CN")
    assert (first.created, first.skipped, first.rejected) == (14_000, 0, 0)
    staff_pairs = OFFICES * (STAFF // 2 - 1)  # the first at each switchboard is not a pair
    family_pairs = HOUSEHOLDS * 3
    assert first.possible_count == staff_pairs + family_pairs == 8_700
    assert len(first.possible_duplicates) == 1000  # the summary keeps the first thousand
    assert first.possible_duplicates[0].reason == "phone"

    relatives = _household_rows(range(4, 7))  # three new names per existing home number
    later = run(db, rows(*relatives), region="CN")
    assert (later.created, later.skipped, later.possible_count) == (6_000, 0, 6_000)
    assert all(p.other_line is None for p in later.possible_duplicates[:1000])

    again = run(db, rows(*offices, *families, *relatives), region="CN")
    assert (again.created, again.skipped, again.possible_count) == (0, 20_000, 0)
    with session_scope(db, write=False) as s:
        assert s.exec(select(func.count()).select_from(Contact)).one() == 20_000


# The public corpora: address books from phones, mail clients and CRMs -------------------

VCARD_DIRS = ("ezvcard_client_vcards", "vobject_testfiles")


def _corpus_emails() -> set[str]:
    emails = set()
    fields = identity_map("contacts")
    for folder in VCARD_DIRS:
        for path in sorted((CORPORA / folder).glob("*.vcf")):
            for card in read_vcards(path.open("rb"), name=path.name, replaced=Replacements()):
                email = apply(fields, card).values.get("email", "")
                if (normal := normalize_email(email.strip() or None)) is not None:
                    emails.add(normal)
    return emails


@needs_corpora
@pytest.mark.parametrize("region", ["", "US"])
def test_no_address_book_card_with_an_email_is_lost(db: Database, region: str) -> None:
    fields = identity_map("contacts")
    for folder in VCARD_DIRS:
        for path in sorted((CORPORA / folder).glob("*.vcf")):
            # ez-vcard's Android card holds a byte that is no text: read as --replace-invalid
            cards = read_vcards(path.open("rb"), name=path.name, replaced=Replacements())
            data = [
                ImportRow(c.line, (m := apply(fields, c)).values, m.custom, c.problem, c.values)
                for c in cards
            ]
            run(db, data, region=region)
    stored = {email for _, email, _ in people(db) if email}
    assert stored == _corpus_emails()
    assert (len(stored), len(people(db))) == (21, 29)
    # vobject's photo-test.vcf is a card at the number of ez-vcard's "Dummy, Dummy" card
    assert ("should be ok to share", None, "+49123456789") in people(db)


def test_the_contact_service_and_the_import_agree_on_phones(db: Database) -> None:
    with session_scope(db, write=True) as s:
        contacts.create_contact(
            s, data=ContactCreate(name="Wang Li", phone="13800138002"), region=""
        )
    result = run(db, rows({"name": "Wang Li", "phone": "138 0013 8002"}), region="")
    assert (result.created, result.skipped) == (0, 1)
