"""Phones written without a country code: read in the configured region, else the locale's
country, else kept as typed with no normal form; never given an invented country."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.clihelp import Crm
from tinycrm.config import load_settings


def phone_of(crm: Crm, ref: str) -> tuple[str, str | None]:
    shown = crm("contact", "show", ref, "-f", "json").json()
    return shown["phone"], shown["phone_normalized"]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, None),  # the test locale (C.UTF-8) names no country
        ({"LANG": "zh_CN.UTF-8"}, "+8613800138002"),
        ({"LANG": "en_US.UTF-8", "LC_ALL": "zh_CN.UTF-8"}, "+8613800138002"),
        ({"LANG": "zh_CN.UTF-8", "CRM_PHONE_REGION": "fr"}, None),  # not a French number
        ({"CRM_PHONE_REGION": "CN"}, "+8613800138002"),
        ({"CRM_PHONE_REGION": "US"}, None),  # not +13800138002: that number does not exist
    ],
)
def test_contact_add_reads_a_mobile_in_the_region_or_keeps_it_as_typed(
    crm: Crm, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str | None
) -> None:
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    ran = crm("contact", "add", "王大力", "--phone", "13800138002")
    assert phone_of(crm, "1") == ("13800138002", expected)
    if expected:
        assert ran.out == "contact #1 added: 王大力\n"
    else:
        region = load_settings().region
        why = f"not a valid number in {region}" if region else "no phone_region to read it in"
        assert ran.out.splitlines() == [
            "contact #1 added: 王大力",
            f"  phone '13800138002' kept as typed ({why}); write it with +country code",
        ]


def test_a_number_with_its_country_code_needs_no_region(crm: Crm) -> None:
    crm("contact", "add", "Ann", "--phone", "+1 415 555 0123")
    crm("contact", "add", "Bob", "--phone", "0086 138 0013 8002")
    assert phone_of(crm, "Ann") == ("+1 415 555 0123", "+14155550123")
    assert phone_of(crm, "Bob") == ("0086 138 0013 8002", "+8613800138002")


def test_contact_edit_reads_the_new_phone_in_the_region(
    crm: Crm, monkeypatch: pytest.MonkeyPatch
) -> None:
    crm("contact", "add", "Li Wei", "--phone", "+33 6 12 34 56 78")
    monkeypatch.setenv("CRM_PHONE_REGION", "CN")
    assert crm("contact", "edit", "1", "--phone", "138 0013 8002").out == (
        "contact #1 updated: Li Wei\n"
    )
    assert phone_of(crm, "1") == ("138 0013 8002", "+8613800138002")
    monkeypatch.delenv("CRM_PHONE_REGION")
    ran = crm("contact", "edit", "1", "--phone", "06 12 34 56 78")
    assert ran.out.splitlines()[1:] == [
        "  phone '06 12 34 56 78' kept as typed (no phone_region to read it in); "
        "write it with +country code"
    ]
    assert phone_of(crm, "1") == ("06 12 34 56 78", None)


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ('phone_region = "cn"\n', "+8613800138002"),
        ('region = "CN"\n', "+8613800138002"),  # the key's old name still works
        ('phone_region = "CN"\nregion = "US"\n', "+8613800138002"),
        ("", None),
    ],
)
def test_the_config_file_names_the_region(
    crm: Crm, crm_env: Path, toml: str, expected: str | None
) -> None:
    crm_env.mkdir(parents=True, exist_ok=True)
    (crm_env / "config.toml").write_text(toml, encoding="utf-8")
    crm("contact", "add", "王大力", "--phone", "13800138002")
    assert phone_of(crm, "1") == ("13800138002", expected)


def test_an_unknown_region_is_one_clear_line(crm: Crm, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_PHONE_REGION", "China")
    ran = crm("contact", "add", "X", "--phone", "13800138002", ok=False)
    assert (ran.code, ran.err) == (
        2,
        "crm: error: phone_region: not a region code (ISO 3166, e.g. CN, US, FR): 'CHINA'\n",
    )


MOBILES = (
    "姓名,手机,邮箱\n王大力,13800138002,wang@example.cn\n李芳,+86 139 1234 5678,li@example.cn\n"
)


@pytest.mark.parametrize(
    ("args", "expected"),
    [((), None), (("--region", "CN"), "+8613800138002"), (("--region", "us"), None)],
)
def test_import_region_option_reads_national_numbers(
    crm: Crm, tmp_path: Path, args: tuple[str, ...], expected: str | None
) -> None:
    path = tmp_path / "mobiles.csv"
    path.write_text(MOBILES, encoding="utf-8")
    crm("import", "contacts", str(path), *args)
    assert phone_of(crm, "wang@example.cn") == ("13800138002", expected)
    assert phone_of(crm, "li@example.cn") == ("+86 139 1234 5678", "+8613912345678")


def test_import_region_beats_the_configured_one(
    crm: Crm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRM_PHONE_REGION", "US")
    path = tmp_path / "mobiles.csv"
    path.write_text(MOBILES, encoding="utf-8")
    crm("import", "contacts", str(path), "--region", "CN")
    assert phone_of(crm, "wang@example.cn") == ("13800138002", "+8613800138002")


def test_vcard_import_takes_the_region_too(crm: Crm, tmp_path: Path) -> None:
    path = tmp_path / "phone.vcf"
    path.write_text(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:王大力\r\nTEL;TYPE=CELL:13800138002\r\nEND:VCARD\r\n",
        encoding="utf-8",
    )
    crm("import", "vcard", str(path), "--region", "CN")
    assert phone_of(crm, "王大力") == ("13800138002", "+8613800138002")


def test_import_with_an_unknown_region_is_one_clear_line(crm: Crm, tmp_path: Path) -> None:
    path = tmp_path / "mobiles.csv"
    path.write_text(MOBILES, encoding="utf-8")
    ran = crm("import", "contacts", str(path), "--region", "China", ok=False)
    assert (ran.code, ran.err) == (
        2,
        "crm: error: --region: not a region code (ISO 3166, e.g. CN, US, FR): 'China'\n",
    )


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, ""),
        ({"LANG": "zh_CN.UTF-8"}, "CN"),
        ({"LANG": "de_DE@euro"}, "DE"),
        ({"LANG": "zh_CN.UTF-8", "LC_ALL": "C"}, "CN"),  # C names no country: passed over
        ({"LANG": "en"}, ""),
        ({"LANG": "zh_CN.UTF-8", "CRM_PHONE_REGION": " gb "}, "GB"),
    ],
)
def test_settings_region_from_the_env_and_the_locale(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    assert load_settings().region == expected
