"""Real exports' headers to canonical fields, and records to canonical values."""

from __future__ import annotations

from pathlib import Path

import pytest

from tinycrm.errors import InvalidInput
from tinycrm.formats.read.mapping import (
    HeaderMap,
    apply,
    header_key,
    identity_map,
    map_headers,
    noun_fields,
    parse_overrides,
)
from tinycrm.formats.read.tabular import Record, read_table

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "data" / "corpora"
needs_corpora = pytest.mark.skipif(not CORPORA.is_dir(), reason="shared corpora not present")

RECOGNISED = {
    "contacts": {
        # HubSpot
        "First Name": "first_name", "Last Name": "last_name", "Email": "email",
        "Phone Number": "phone", "Mobile Phone Number": "phone",
        "Associated Company": "company", "Company Name": "company", "Contact owner": "owner",
        "Lifecycle Stage": "status", "Job Title": "title", "Record ID": "external_id",
        "Original Source": "source",
        # Pipedrive
        "Person - Name": "name", "Person - Email": "email", "Person - Phone": "phone",
        "Organization - Name": "company", "Person - Owner": "owner", "Person - ID": "external_id",
        "Person - Labels": "tags", "Person - Email - Work": "email",
        "Person - Phone - Mobile": "phone", "Person - First name": "first_name",
        # Google Contacts, current and legacy
        "E-mail 1 - Value": "email", "E-mail 2 - Value": "email", "Phone 1 - Value": "phone",
        "Organization Name": "company", "Organization Title": "title", "Labels": "tags",
        "Notes": "notes", "Given Name": "first_name", "Family Name": "last_name",
        "Organization 1 - Name": "company", "Organization 1 - Title": "title",
        "Group Membership": "tags", "Name": "name", "Birthday": "birthday",
        # Outlook
        "E-mail Address": "email", "E-mail 2 Address": "email", "Business Phone": "phone",
        "Business Phone 2": "phone", "Mobile Phone": "phone", "Home Phone": "phone",
        "Company": "company", "Categories": "tags",
        # Salesforce API names
        "FirstName": "first_name", "LastName": "last_name", "Phone": "phone",
        "MobilePhone": "phone", "Title": "title", "Account.Name": "company",
        "LeadSource": "source", "Id": "external_id", "Birthdate": "birthday",
        "Description": "notes", "Owner.Name": "owner",
        # Thunderbird
        "Display Name": "name", "Primary Email": "email", "Secondary Email": "email",
        "Work Phone": "phone", "Mobile Number": "phone", "Organization": "company",
        # Chinese
        "姓名": "name", "名": "first_name", "姓": "last_name", "手机": "phone", "电话": "phone",
        "手机号码": "phone", "邮箱": "email", "电子邮件": "email", "公司": "company",
        "单位": "company", "职位": "title", "职务": "title", "备注": "notes", "来源": "source",
        "负责人": "owner", "标签": "tags", "生日": "birthday", "电话2": "phone",
        # tinycrm's own export
        "id": "external_id", "company_domain": "company_domain", "external_id": "external_id",
    },
    "companies": {
        "Company name": "name", "Company Domain Name": "domain", "Industry": "industry",
        "City": "city", "Country/Region": "country", "Phone Number": "phone",
        "Website URL": "website", "Company owner": "owner", "Record ID": "external_id",
        "Organization - Name": "name", "Organization - Owner": "owner",
        "Organization - ID": "external_id", "Name": "name", "BillingCity": "city",
        "BillingCountry": "country", "Website": "website", "Description": "notes",
        "名称": "name", "行业": "industry", "城市": "city", "国家": "country", "网站": "website",
        "备注": "notes", "domain": "domain",
    },
    "deals": {
        "Deal Name": "title", "Amount": "amount", "Deal Stage": "stage",
        "Close Date": "expected_close", "Deal owner": "owner", "Create Date": "created_at",
        "Associated Company": "company", "Associated Contact": "contact",
        "Deal - Title": "title", "Deal - Value": "amount", "Deal - Currency": "currency",
        "Deal - Stage": "stage", "Deal - Status": "status", "Deal - Owner": "owner",
        "Deal - Expected close date": "expected_close", "Deal - Lost reason": "lost_reason",
        "Deal - ID": "external_id", "Deal - Organization": "company",
        "Deal - Contact person": "contact", "Person - Name": "contact",
        "Organization - Name": "company", "Deal - Won time": "closed_at",
        "Deal - Deal created": "created_at", "Name": "title", "StageName": "stage",
        "CloseDate": "expected_close", "Account.Name": "company",
        "CurrencyIsoCode": "currency", "CreatedDate": "created_at", "IsWon": "status",
        "IsClosed": "status", "金额": "amount", "阶段": "stage", "预计成交日期": "expected_close",
        "商机名称": "title", "客户": "company", "联系人": "contact", "币种": "currency",
        "expected_close": "expected_close", "lost_reason": "lost_reason",
    },
    "activities": {
        "Activity - Subject": "subject", "Activity - Type": "kind", "Activity - Note": "body",
        "Activity - Due date": "due_at", "Activity - Due time": "due_at",
        "Activity - Marked as done time": "done_at", "Activity - Assigned to user": "owner",
        "Activity - Deal": "deal", "Activity - Person": "contact",
        "Activity - Organization": "company", "Deal - Title": "deal", "Subject": "subject",
        "ActivityDate": "due_at", "主题": "subject", "类型": "kind", "内容": "body",
        "due_at": "due_at", "done_at": "done_at",
    },
}  # fmt: skip

KEPT_CUSTOM = {
    "contacts": ["Lead Status", "AccountId", "OwnerId", "Fax Number", "Nickname", "城市",
                 "E-mail 1 - Type", "E-mail Display Name", "Create Date", "Custom 1"],
    "companies": ["OwnerId", "Organization - Address", "Number of Employees"],
    "deals": ["AccountId", "OwnerId", "Pipeline", "Deal - Pipeline", "Probability",
              "Person - Email", "LeadSource"],
    "activities": ["Activity - Done", "WhoId"],
}  # fmt: skip


@pytest.mark.parametrize(
    ("noun", "header", "field"),
    [(noun, h, f) for noun, table in RECOGNISED.items() for h, f in table.items()],
)
def test_real_export_headers_are_recognised(noun: str, header: str, field: str) -> None:
    found = map_headers([header], noun=noun)
    assert found.fields == {header: field}
    assert found.custom == found.ignored == []


@pytest.mark.parametrize(
    ("noun", "header"), [(n, h) for n, headers in KEPT_CUSTOM.items() for h in headers]
)
def test_other_headers_become_custom_fields_named_by_their_text(noun: str, header: str) -> None:
    found = map_headers([header], noun=noun)
    assert (found.fields, found.custom, found.custom_keys) == ({}, [header], {header: header})


@pytest.mark.parametrize("noun", ["contacts", "companies", "deals", "activities"])
def test_matching_ignores_case_spaces_and_punctuation(noun: str) -> None:
    for name in noun_fields(noun):
        spelled = name.upper().replace("_", " - ")
        assert map_headers([spelled], noun=noun).fields == {spelled: name}


def test_header_key() -> None:
    assert header_key(" E-mail 1 - Value ") == "email1value"
    assert header_key("Ｆｉｒｓｔ　Ｎａｍｅ") == "firstname"
    assert header_key("电子 邮件") == "电子邮件"


@pytest.mark.parametrize(
    ("noun", "columns"),
    [
        ("contacts", "id first_name last_name name email phone title company owner status "
                     "source notes tags created_at"),
        ("companies", "id name domain industry city country phone website owner notes "
                      "created_at"),
        ("deals", "id title amount currency stage status company contact owner expected_close "
                  "created_at closed_at lost_reason"),
        ("activities", "id kind subject body contact company deal owner due_at done_at "
                       "created_at"),
    ],
)  # fmt: skip
def test_tinycrm_export_columns_map_back_without_loss(noun: str, columns: str) -> None:
    updated = ["updated_at"] if noun != "activities" else []  # activities have no updated_at
    headers = [*columns.split(), *updated, "custom:Favourite colour", "custom:区域"]
    found = map_headers(headers, noun=noun)
    assert found.fields == {h: ("external_id" if h == "id" else h) for h in columns.split()}
    assert found.custom_keys == {
        "custom:Favourite colour": "Favourite colour",
        "custom:区域": "区域",
    }
    assert found.ignored == updated


def test_outlook_title_is_a_salutation_when_job_title_is_there() -> None:
    found = map_headers(["Title", "First Name", "Job Title"], noun="contacts")
    assert found.fields == {"First Name": "first_name", "Job Title": "title"}
    assert found.custom == ["Title"]


def test_overrides_win_and_may_name_custom_keys_or_ignore() -> None:
    headers = ["Deal - Value", "Deal - Stage", "Weird", "Notes", "Deal - Title"]
    overrides = parse_overrides(
        [
            "deal - value=amount",
            "Weird=custom:legacy code",
            "Notes=-",
            "Deal - Title=Expected Close",
        ]
    )
    found = map_headers(headers, noun="deals", overrides=overrides)
    assert found.fields == {
        "Deal - Value": "amount",
        "Deal - Stage": "stage",
        "Deal - Title": "expected_close",
    }
    assert (found.custom_keys, found.ignored) == ({"Weird": "legacy code"}, ["Notes"])


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"Email": "e-mail-ish"}, "--map: unknown contacts field (use name, first_name, "),
        ({"Nope": "email"}, "--map: no such column (the columns are: Email, Name): 'Nope'"),
        ({"Email": "custom: "}, "--map: custom: needs a key (custom:KEY)"),
    ],
)
def test_bad_overrides_are_clear_errors(override: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        map_headers(["Email", "Name"], noun="contacts", overrides=override)
    assert raised.value.message.startswith(message)


def test_an_unknown_field_error_lists_every_valid_field() -> None:
    with pytest.raises(InvalidInput) as raised:
        map_headers(["Email"], noun="companies", overrides={"Email": "emails"})
    assert raised.value.message == (
        "--map: unknown companies field (use name, domain, industry, city, country, phone, "
        "website, owner, notes, external_id, created_at, custom:KEY or -): 'emails'"
    )


def test_parse_overrides_needs_an_equals_sign() -> None:
    assert parse_overrides(["a=b=c", " x = y "]) == {"a=b": "c", "x": "y"}
    with pytest.raises(InvalidInput, match="expected SRC=FIELD"):
        parse_overrides(["amount"])


def test_nouns_singular_or_plural_and_unknown() -> None:
    assert map_headers(["Name"], noun="deal").noun == "deals"
    with pytest.raises(InvalidInput, match="noun: unknown"):
        map_headers(["Name"], noun="tickets")


# apply ----------------------------------------------------------------------------------


def mapped(headers: list[str], cells: list[str], noun: str = "contacts") -> tuple[dict, dict]:
    result = apply(
        map_headers(headers, noun=noun), Record(9, dict(zip(headers, cells, strict=True)))
    )
    assert result.line == 9
    return result.values, result.custom


def test_google_multi_values_keep_the_first_and_move_the_rest_to_custom() -> None:
    headers = ["Name", "E-mail 1 - Value", "Phone 1 - Value", "Labels", "E-mail 1 - Type"]
    cells = [
        " Ann Lee ",
        "a@x.io ::: b@x.io ::: c@x.io",
        "+1 555",
        "* myContacts ::: VIP ::: * starred",
        "* Work",
    ]
    assert mapped(headers, cells) == (
        {"name": "Ann Lee", "email": "a@x.io", "phone": "+1 555", "tags": "VIP, starred"},
        {"email_2": "b@x.io", "email_3": "c@x.io", "E-mail 1 - Type": "* Work"},
    )


def test_the_first_non_empty_phone_wins_and_the_others_go_to_custom() -> None:
    headers = ["Business Phone", "Business Phone 2", "Home Phone", "Mobile Phone", "Notes"]
    assert mapped(headers, ["", " 222 ", "", "444", "  "]) == (
        {"phone": "222"},
        {"phone_2": "444"},
    )


def test_tag_columns_merge_and_empty_cells_are_dropped() -> None:
    headers = ["Categories", "Labels", "Email", "Extra"]
    assert mapped(headers, ["a; b", "c ::: d", "", ""]) == ({"tags": "a; b, c, d"}, {})


def test_outlook_empty_birthday_is_no_birthday() -> None:
    assert mapped(["Birthday", "Name"], ["0/0/00", "Ann"]) == ({"name": "Ann"}, {})
    assert mapped(["Birthday"], ["1980-03-22"]) == ({"birthday": "1980-03-22"}, {})


@pytest.mark.parametrize(
    ("cells", "birthday"),
    [(["1980", "3", "22"], "1980-03-22"), (["", "12", "1"], "--12-01"), (["", "13", "1"], None)],
)
def test_thunderbird_birthday_columns_make_one_date(cells: list[str], birthday: str | None) -> None:
    values, custom = mapped(["Birth Year", "Birth Month", "Birth Day", "Name"], [*cells, "A"])
    assert values == {"name": "A", **({"birthday": birthday} if birthday else {})}
    assert custom == {}


@pytest.mark.parametrize(
    ("is_won", "is_closed", "status"),
    [
        ("true", "true", "won"),
        ("false", "true", "lost"),
        ("false", "false", "open"),
        ("1", "", "won"),
    ],
)
def test_salesforce_won_and_closed_make_a_status(is_won: str, is_closed: str, status: str) -> None:
    values, _ = mapped(["Name", "IsWon", "IsClosed"], ["Big deal", is_won, is_closed], noun="deals")
    assert values == {"title": "Big deal", "status": status}


def test_a_status_column_wins_over_salesforce_flags() -> None:
    values, _ = mapped(["StageName", "IsWon", "Deal - Status"], ["x", "true", "lost"], noun="deals")
    assert values == {"stage": "x", "status": "lost"}


def test_pipedrive_due_date_and_time_make_one_moment() -> None:
    headers = ["Activity - Subject", "Activity - Due date", "Activity - Due time"]
    assert mapped(headers, ["Call", "2026-05-01", "10:30"], noun="activities") == (
        {"subject": "Call", "due_at": "2026-05-01 10:30"},
        {},
    )


def test_custom_columns_keys_and_late_json_keys() -> None:
    header_map = map_headers(["name", "custom:Region"], noun="contacts")
    record = Record(3, {"name": "Ann", "custom:Region": "EU", "late": "x", "custom:New": "y"}, "p")
    result = apply(header_map, record)
    assert (result.values, result.custom, result.problem) == (
        {"name": "Ann"},
        {"Region": "EU", "late": "x", "New": "y"},
        "p",
    )


def test_identity_map_keeps_canonical_keys() -> None:
    header_map = identity_map("contacts")
    assert isinstance(header_map, HeaderMap)
    result = apply(header_map, Record(1, {"name": "A", "email_2": "b@x.io", "address": "Main"}))
    assert (result.values, result.custom) == (
        {"name": "A"},
        {"email_2": "b@x.io", "address": "Main"},
    )


@needs_corpora
def test_thunderbird_address_book_maps_to_contacts() -> None:
    path = CORPORA / "thunderbird_addrbook_csv" / "basic_csv_addressbook.csv"
    found = read_table(path.open("rb"), name=path.name)
    header_map = map_headers(found.headers, noun="contacts")
    got = [(r.line, apply(header_map, r).values, r.problem) for r in found.rows]
    assert got == [
        (
            2,
            {
                "first_name": "John",
                "last_name": "Doe",
                "name": "John Doe",
                "email": "john@doe.invalid",
            },
            None,
        ),
        (
            3,
            {
                "first_name": "Jane",
                "last_name": "Doe",
                "name": "Jane Doe",
                "email": "jane@doe.invalid",
            },
            None,
        ),
    ]


@needs_corpora
def test_thunderbird_semicolon_address_book_maps_to_contacts() -> None:
    path = CORPORA / "thunderbird_addrbook_csv" / "csv_semicolon.csv"
    found = read_table(path.open("rb"), name=path.name)
    header_map = map_headers(found.headers, noun="contacts")
    assert header_map.fields == {
        "Display Name": "name",
        "First Name": "first_name",
        "Last Name": "last_name",
        "Primary Email": "email",
    }
    assert [apply(header_map, r).values["email"] for r in found.rows] == [
        "john@doe.invalid",
        "jane@doe.invalid",
    ]
