"""An export imports back into an empty database with no loss, for every noun."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tests.clihelp import Crm
from tests.conftest import sqlite_only

NOUNS = ("companies", "contacts", "deals", "activities")


def build(crm: Crm) -> None:
    """A small CRM with everything an export must carry: non-ASCII text, tags, custom
    fields, a formula-looking note, closed deals and a logged and a scheduled activity."""
    crm("user", "add", "Ana Ruiz", "--email", "ana@shop.example")
    crm(
        "company",
        "add",
        "Acme Ltd",
        "--domain",
        "acme.example",
        "--industry",
        "retail",
        "--city",
        "Lyon",
        "--country",
        "FR",
        "--field",
        "tier=gold",
        "--note",
        "=1+1",
    )
    crm("company", "add", "云帆科技", "--city", "杭州")
    crm(
        "contact",
        "add",
        "Li Wei",
        "--email",
        "li.wei@acme.example",
        "--phone",
        "+33 6 12 34 56 78",
        "--company",
        "Acme Ltd",
        "--tag",
        "vip",
        "--tag",
        "newsletter",
        "--field",
        "size=40",
        "--owner",
        "ana",
        "--status",
        "customer",
    )
    crm(
        "contact",
        "add",
        "王芳",
        "--phone",
        "+86 138 0013 8000",
        "--company",
        "云帆科技",
        "--note",
        "@call her",
        "--title",
        "经理",
    )
    crm("contact", "add", "Zoë Martin", "--email", "zoe@globex.example", "--status", "lead")
    crm(
        "deal",
        "add",
        "Acme renewal",
        "--company",
        "Acme Ltd",
        "--contact",
        "li.wei@acme.example",
        "--amount",
        "12,500.50",
        "--close",
        "2026-12-31",
        "--owner",
        "ana",
    )
    crm("deal", "add", "云帆 cloud", "--company", "云帆科技", "--amount", "64k", "--owner", "ana")
    crm("deal", "add", "Lost pilot", "--company", "Acme Ltd", "--amount", "900")
    crm("deal", "move", "1", "qualified")
    crm("deal", "won", "2")
    crm("deal", "lost", "3", "--reason", "price")
    crm(
        "activity",
        "log",
        "call",
        "Intro call",
        "--contact",
        "li.wei@acme.example",
        "--deal",
        "1",
        "--note",
        "asked for a quote",
        "--at",
        "2026-11-20 10:00",
    )
    crm("activity", "schedule", "Send quote", "--deal", "1", "--due", "2026-11-25 09:00")


def exported(crm: Crm, noun: str) -> list[dict[str, str]]:
    """The export without the columns an import gives new values: ids and links by id."""
    rows = list(csv.DictReader(io.StringIO(crm("export", noun).out)))
    return [{k: v for k, v in r.items() if k not in ("id", "deal")} for r in rows]


@sqlite_only
def test_every_noun_survives_export_and_import(
    crm: Crm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRM_NOW", "2026-11-23T09:30:00+00:00")
    monkeypatch.setenv("CRM_PHONE_REGION", "FR")
    monkeypatch.setenv("CRM_CURRENCY", "EUR")
    first = crm
    build(first)
    files = {}
    for noun in NOUNS:
        files[noun] = tmp_path / f"{noun}.csv"
        first("export", noun, "-o", str(files[noun]))
    before = {noun: exported(first, noun) for noun in NOUNS}

    monkeypatch.setenv("CRM_DB", str(tmp_path / "second.db"))
    monkeypatch.setenv("CRM_NOW", "2026-11-24T15:00:00+00:00")  # a day later: times must travel
    second = Crm()
    second("init")  # only `crm init` makes a named database
    for noun in NOUNS:
        second("import", noun, str(files[noun]), "--create-owners")
    after = {noun: exported(second, noun) for noun in NOUNS}
    for noun in NOUNS:
        assert after[noun] == before[noun], noun
    assert [r["note"] if "note" in r else r["notes"] for r in before["companies"]][0] == "'=1+1"
    assert {r["name"]: r["tags"] for r in after["contacts"]}["Li Wei"] == "newsletter;vip"
