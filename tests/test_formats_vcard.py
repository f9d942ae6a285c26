"""vCard 2.1/3.0/4.0 to contact records, and vCard 3.0 out."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinycrm.errors import InvalidInput
from tinycrm.formats.read.decode import Replaced, Replacements
from tinycrm.formats.read.mapping import apply, identity_map
from tinycrm.formats.read.tabular import Record
from tinycrm.formats.read.vcard import read_vcards, write_vcard
from tinycrm.formats.write.vcard import fold

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "data" / "corpora"
needs_corpora = pytest.mark.skipif(not CORPORA.is_dir(), reason="shared corpora not present")
KEYS = ("name", "email", "phone", "company")


def cards(text: str | bytes, **kwargs: Any) -> list[Record]:
    data = text.encode() if isinstance(text, str) else text
    return list(read_vcards(io.BytesIO(data), name="c.vcf", **kwargs))


def main_fields(record: Record) -> dict[str, str]:
    return {k: record.values[k] for k in KEYS if k in record.values}


N4 = "Ñ Ñ Ñ Ñ"
EZVCARD: dict[str, list[dict[str, str]]] = {
    "John_Doe_ANDROID.vcf": [
        {"email": "john.doe@company.com"},
        {"email": "jane.doe@company.com"},
        {"name": N4 + " Ñ", "phone": "123456789"},
        {"name": " ".join(["Ñ"] * 11), "phone": "123456"},
        {"name": N4, "email": "bob@company.com", "phone": "123456", "company": "Ñ" * 12},
        {"name": "ÑÑÑÑ", "email": "henry@company.com", "phone": "55556666", "company": "Ñ" * 44},
    ],
    "John_Doe_BLACK_BERRY.vcf": [
        {"name": "John Doe", "phone": "+96123456789", "company": "Acme Solutions"}
    ],
    "John_Doe_EVOLUTION.vcf": [
        {
            "name": "Mr. John Richter, James Doe Sr.",
            "email": "john.doe@ibm.com",
            "phone": "905-666-1234",
            "company": "IBM",
        }
    ],
    "John_Doe_GMAIL.vcf": [
        {
            "name": "Mr. John Richter, James Doe Sr.",
            "email": "john.doe@ibm.com",
            "phone": "905-555-1234",
            "company": "IBM",
        }
    ],
    "John_Doe_IPHONE.vcf": [
        {
            "name": "Mr. John Richter James Doe Sr.",
            "email": "john.doe@ibm.com",
            "phone": "905-555-1234",
            "company": "IBM",
        }
    ],
    "John_Doe_LOTUS_NOTES.vcf": [
        {
            "name": "Mr. Doe John I Johny",
            "email": "john.doe@ibm.com",
            "phone": "+1 (212) 204-34456",
            "company": "IBM",
        }
    ],
    "John_Doe_MAC_ADDRESS_BOOK.vcf": [
        {
            "name": "Mr. John Richter,James Doe Sr.",
            "email": "john.doe@ibm.com",
            "phone": "905-777-1234",
            "company": "IBM",
        }
    ],
    "John_Doe_MS_OUTLOOK.vcf": [
        {
            "name": "Mr. John Richter James Doe Sr.",
            "email": "john.doe@ibm.cm",
            "phone": "(905) 555-1234",
            "company": "IBM",
        }
    ],
    "fullcontact.vcf": [
        {
            "name": "Prefix FirstName MiddleName LastName Suffix",
            "email": "home@example.com",
            "phone": "555-555-1111",
            "company": "Organization1",
        }
    ],
    "gmail-list.vcf": [
        {"name": "Arnold Smith", "email": "asmithk@gmail.com"},
        {"name": "Chris Beatle", "email": "chrisy55d@yahoo.com"},
        {"name": "Doug White", "email": "dwhite@gmail.com"},
    ],
    "gmail-single.vcf": [
        {
            "name": "Greg Dartmouth",
            "email": "gdartmouth@hotmail.com",
            "phone": "555 555 1111",
            "company": "TheCompany",
        }
    ],
    "gmail-single2.vcf": [
        {
            "name": "VCard Test",
            "email": "email@example.com",
            "phone": "5555551111",
            "company": "TheCompany",
        }
    ],
    "issue114.vcf": [
        {
            "name": "Dummy, Dummy",
            "email": "dummy.dummy@dummy.com",
            "phone": "+49 1234 56789",
            "company": "Dummy GmbH",
        }
    ],
    "outlook-2003.vcf": [
        {
            "name": "John Doe III",
            "email": "jdoe@hotmail.com",
            "phone": "BusinessPhone",
            "company": "Company, The",
        }
    ],
    "outlook-2007.vcf": [
        {
            "name": "Mr. Michael Angstadt Jr.",
            "email": "mike.angstadt@gmail.com",
            "phone": "(111) 555-1111",
            "company": "TheCompany",
        }
    ],
    "rfc2426-example.vcf": [
        {
            "name": "Frank Dawson",
            "email": "Frank_Dawson@Lotus.com",
            "phone": "+1-919-676-9515",
            "company": "Lotus Development Corporation",
        },
        {
            "name": "Tim Howes",
            "email": "howes@netscape.com",
            "phone": "+1-415-937-3419",
            "company": "Netscape Communications Corp.",
        },
    ],
    "rfc6350-example.vcf": [
        {
            "name": "Simon Perreault",
            "email": "simon.perreault@viagenie.ca",
            "phone": "+1-418-656-9254 ext. 102",
            "company": "Viagenie",
        }
    ],
    "thunderbird-MoreFunctionsForAddressBook-extension.vcf": [
        {
            "name": "John Doe",
            "email": "doe.john@hotmail.com",
            "phone": "555-555-1111",
            "company": "TheOrganization",
        }
    ],
}
VOBJECT: dict[str, list[dict[str, str]]] = {
    "photo-test.vcf": [{"name": "should be ok to share", "phone": "+49123456789"}],
    "radicale-1587.vcf": [{"name": "Given Family"}],
    "vcard40_full.vcf": [
        {
            "name": "Dr. John Q. Public, III",
            "email": "john.public@example.com",
            "phone": "+1-555-555-5555",
            "company": "Example Corp.",
        }
    ],
    "vcard40_group.vcf": [{"name": "The Doe Family"}],
    "vcard40_location.vcf": [{"name": "Empire State Building", "phone": "+1-212-736-3100"}],
    "vcard40_multilang.vcf": [{"name": "Yamada Taro"}],
    "vcard40_org.vcf": [
        {
            "name": "ABC Marketing",
            "email": "marketing@abc.example.com",
            "phone": "+1-555-000-0000",
            "company": "ABC, Inc.",
        }
    ],
    "vcard40_simple.vcf": [{"name": "John Doe"}],
}


@needs_corpora
def test_the_expectations_cover_every_vcard_in_the_corpora() -> None:
    assert {p.name for p in (CORPORA / "ezvcard_client_vcards").glob("*.vcf")} == set(EZVCARD)
    assert {p.name for p in (CORPORA / "vobject_testfiles").glob("*.vcf")} == set(VOBJECT)


@needs_corpora
@pytest.mark.parametrize(
    ("folder", "name"),
    [("ezvcard_client_vcards", n) for n in EZVCARD] + [("vobject_testfiles", n) for n in VOBJECT],
)
def test_every_corpus_vcard_gives_its_names_emails_phones_and_organisation(
    folder: str, name: str
) -> None:
    expected = {**EZVCARD, **VOBJECT}[name]
    replaced = Replacements()  # one Android card has a byte that is no UTF-8 (see below)
    records = list(read_vcards((CORPORA / folder / name).open("rb"), name=name, replaced=replaced))
    assert [main_fields(r) for r in records] == expected
    assert all(r.problem is None for r in records)
    assert replaced.count == (name == "John_Doe_ANDROID.vcf")


@needs_corpora
def test_a_full_client_export_keeps_the_rest_as_readable_custom_fields() -> None:
    path = CORPORA / "ezvcard_client_vcards" / "John_Doe_IPHONE.vcf"
    (record,) = read_vcards(path.open("rb"), name="iphone.vcf")
    assert record.line == 1
    assert {k: v for k, v in record.values.items() if k not in KEYS} == {
        "first_name": "John",
        "last_name": "Doe",
        "nickname": "Johny",
        "department": "Accounting",
        "title": "Money Counter",
        "phone_2": "905-666-1234",
        "phone_3": "905-777-1234",
        "fax": "905-888-1234",
        "fax_2": "905-999-1234",
        "phone_4": "905-111-1234",
        "phone_5": "905-222-1234",
        "address": "Silicon Alley 5,, New York, New York, 12345, United States of America",
        "address_2": "Street4\nBuilding 6\nFloor 8, New York, 12345, USA",
        "url": "http://www.ibm.com",
        "birthday": "2012-06-06",
    }


@needs_corpora
def test_android_cards_start_on_their_begin_lines() -> None:
    path = CORPORA / "ezvcard_client_vcards" / "John_Doe_ANDROID.vcf"
    with pytest.raises(InvalidInput) as refused:  # `=80` is no UTF-8: never replaced unasked
        list(read_vcards(path.open("rb"), name="android.vcf"))
    assert refused.value.message == (
        "file: byte 0x80 at line 86 (byte offset 4196) is not valid utf-8: 'android.vcf'"
    )
    replaced = Replacements()
    records = list(read_vcards(path.open("rb"), name="android.vcf", replaced=replaced))
    assert [r.line for r in records] == [1, 6, 11, 18, 36, 71]
    soft_broken = "Ñ " * 7 + "Ñ"  # a QP line ending in `=` runs on into the next one
    note = soft_broken + soft_broken + "Ñ Ñ Ñ Ñ Ñ"
    assert records[3].values["notes"] == f"{note}\n\n{note}"
    assert records[5].values["company_2"] == "Ñ" * 44 + "\ufffd"
    assert replaced.found == [Replaced(86, 4196, b"\x80")]


def test_vcard_21_quoted_printable_charset_and_bare_types() -> None:
    text = (
        "BEGIN:VCARD\r\nVERSION:2.1\r\n"
        "N;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:M=FCller;J=FCrgen\r\n"
        "TEL;WORK;FAX:+49 30 1\r\nTEL;CELL;PREF:+49 170 2\r\n"
        "NOTE;ENCODING=QUOTED-PRINTABLE:first=0D=0A=\r\nsecond\r\n"
        "EMAIL;INTERNET:j@example.de\r\nEND:VCARD\r\n"
    )
    (record,) = cards(text)
    assert record.values == {
        "last_name": "Müller",
        "first_name": "Jürgen",
        "fax": "+49 30 1",
        "phone": "+49 170 2",
        "email": "j@example.de",
        "notes": "first\nsecond",
        "name": "Jürgen Müller",
    }


def test_vcard_30_folding_escapes_groups_and_categories() -> None:
    text = (
        "begin:vcard\nversion:3.0\nFN:Li\\, Wei\nN:Li;Wei;;;\n"
        "item1.EMAIL;type=INTERNET;type=pref:li@example.cn\n"
        "NOTE:one\\ntwo\\; three\\, four \n five\n"
        'ORG:"Acme\\; Co";Sales\nCATEGORIES:vip,重要客户\\,大客户\nUID:urn:uuid:1\n'
        "BDAY:19800322\nX-UNKNOWN:skipped\nend:vcard\n"
    )
    (record,) = cards(text)
    assert record.values == {
        "name": "Li, Wei",
        "last_name": "Li",
        "first_name": "Wei",
        "email": "li@example.cn",
        "company": '"Acme; Co"',
        "department": "Sales",
        "external_id": "urn:uuid:1",
        "birthday": "1980-03-22",
        "notes": "one\ntwo; three, four five",
        "tags": "vip, 重要客户,大客户",
    }


def test_vcard_40_uri_values_and_partial_birthdays() -> None:
    text = (
        "BEGIN:VCARD\nVERSION:4.0\nFN:Simon\n"
        'TEL;VALUE=uri;TYPE="work,voice";PREF=1:tel:+1-418-656-9254;ext=102\n'
        "EMAIL:mailto:s@example.ca\nBDAY:--0203\nEND:VCARD\n"
    )
    assert cards(text)[0].values == {
        "name": "Simon",
        "phone": "+1-418-656-9254 ext. 102",
        "email": "s@example.ca",
        "birthday": "--02-03",
    }


def test_a_card_inside_a_card_is_skipped_and_a_nameless_card_is_a_problem() -> None:
    text = (
        "BEGIN:VCARD\nVERSION:2.1\nFN:Boss\nAGENT:\nBEGIN:VCARD\nFN:Assistant\n"
        "TEL:1\nEND:VCARD\nTEL:2\nEND:VCARD\n"
        "BEGIN:VCARD\nVERSION:3.0\nORG:Nobody Inc\nEND:VCARD\n"
        "BEGIN:VCARD\nFN:Unterminated\n"
    )
    assert [(r.line, r.values, r.problem) for r in cards(text)] == [
        (1, {"name": "Boss", "phone": "2"}, None),
        (11, {"company": "Nobody Inc"}, "the card has no name, email or phone"),
        (15, {"name": "Unterminated"}, None),
    ]


def test_a_file_without_cards_is_a_clear_error() -> None:
    with pytest.raises(InvalidInput, match="has no vCard in it"):
        cards("name,email\nAnn,a@x.io\n")


def test_a_legacy_encoded_vcard_file_is_decoded() -> None:
    text = "BEGIN:VCARD\r\nVERSION:2.1\r\nN:张;三\r\nFN:张三\r\nTEL:13800000000\r\nEND:VCARD\r\n"
    (record,) = cards(text.encode("gb18030"), encoding="gb18030")
    assert record.values["name"] == "张三"


def test_records_map_to_contacts_with_the_identity_map() -> None:
    (record,) = cards("BEGIN:VCARD\nFN:Ann\nEMAIL:a@x.io\nEMAIL:b@x.io\nURL:x.io\nEND:VCARD\n")
    mapped = apply(identity_map("contacts"), record)
    assert mapped.values == {"name": "Ann", "email": "a@x.io"}
    assert mapped.custom == {"email_2": "b@x.io", "url": "x.io"}


# Writing --------------------------------------------------------------------------------


def test_write_vcard_escapes_and_folds() -> None:
    card = write_vcard(
        {
            "id": 7,
            "name": "Li Wei",
            "email": "li@example.cn",
            "phone": "+86 138 0000 0000",
            "company": "北京科技有限公司, Ltd",
            "title": "CEO; founder",
            "notes": "a\\b\r\nc",
            "tags": "vip, 重要客户",
            "owner": "ann@x.io",
            "custom:email_2": "li2@example.cn",
            "custom:colour": "blue;green",
            "custom:empty": "",
            "created_at": "2026-01-01",
        }
    )
    assert card.split("\r\n") == [
        "BEGIN:VCARD",
        "VERSION:3.0",
        "FN:Li Wei",
        "N:Wei;Li;;;",
        "ORG:北京科技有限公司\\, Ltd",
        "TITLE:CEO\\; founder",
        "EMAIL;TYPE=INTERNET:li@example.cn",
        "TEL:+86 138 0000 0000",
        "NOTE:a\\\\b\\nc",
        "CATEGORIES:vip,重要客户",
        "UID:7",
        "X-TINYCRM-OWNER:ann@x.io",
        "EMAIL;TYPE=INTERNET:li2@example.cn",
        "X-TINYCRM-CUSTOM:colour;blue\\;green",
        "END:VCARD",
        "",
    ]


def test_custom_fields_that_clash_with_contact_fields_come_back_prefixed() -> None:
    card = write_vcard({"name": "Ann", "custom": {"name": "nickname-ish", "colour": "red"}})
    (record,) = cards(card)
    assert record.values == {
        "name": "Ann",
        "first_name": "Ann",
        "custom:name": "nickname-ish",
        "colour": "red",
    }
    mapped = apply(identity_map("contacts"), record)
    assert mapped.custom == {"name": "nickname-ish", "colour": "red"}


def test_fold_cuts_at_75_octets_between_characters() -> None:
    line = "NOTE:" + "长" * 60
    folded = fold(line).split("\r\n")
    assert all(len(part.encode()) <= 75 for part in folded)
    assert all(part.startswith(" ") for part in folded[1:])
    assert "".join(part[1:] if i else part for i, part in enumerate(folded)) == line
    assert fold("short") == "short"


TEXT = st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=60).map(str.strip)
ROUTED = ("email", "phone", "fax", "url", "address")  # written as EMAIL, TEL, URL, ADR


@settings(max_examples=200, deadline=None)
@given(
    name=TEXT.filter(bool),
    email=TEXT,
    notes=st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\r")),
    custom=st.dictionaries(
        TEXT.filter(lambda k: bool(k) and not k.startswith(ROUTED)), TEXT.filter(bool), max_size=3
    ),
)
def test_what_write_vcard_writes_read_vcards_reads_back(
    name: str, email: str, notes: str, custom: dict[str, str]
) -> None:
    (record,) = cards(write_vcard({"name": name, "email": email, "notes": notes, "custom": custom}))
    mapped = apply(identity_map("contacts"), record)
    expected = {"name": name, "email": email, "notes": notes.strip()}
    assert {k: mapped.values[k] for k in ("name", "email", "notes") if k in mapped.values} == {
        k: v for k, v in expected.items() if v
    }
    assert mapped.custom == custom
