"""Target lists: contact filters by the company's industry, city and country, tag, status
and source campaign; saved as named segments, listed and exported for a mailing; the
campaign on add, edit and import."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlmodel import Session

from tests.clihelp import Crm
from tests.conftest import NOW
from tinycrm.db.store import Database, session_scope
from tinycrm.errors import InvalidInput, NotFound
from tinycrm.models import (
    Campaign,
    CompanyCreate,
    Contact,
    ContactCreate,
    ContactStatus,
    ContactUpdate,
)
from tinycrm.services import companies, contacts, filters
from tinycrm.services.filters import ContactFilter


def campaign(s: Session, name: str) -> None:
    s.add(Campaign(name=name, name_key=name.lower(), currency="EUR", cost_minor=3000_00))
    s.flush()


@pytest.fixture
def book(db: Database) -> Database:
    """Acme (software, Paris, FR), Globex (retail, Lyon, FR), Initech (software, Berlin, DE);
    campaigns Spring fair and Webinar."""
    with session_scope(db, write=True) as s:
        for name, industry, city, country in (
            ("Acme", "Software", "Paris", "FR"),
            ("Globex", "retail", "Lyon", "FR"),
            ("Initech", "software", "Berlin", "DE"),
        ):
            companies.create_company(
                s, data=CompanyCreate(name=name, industry=industry, city=city, country=country)
            )
        campaign(s, "Spring fair")
        campaign(s, "Webinar")
        for name, company, tags, status, source in (
            ("Ada", "Acme", ["vip"], ContactStatus.customer, "Spring fair"),
            ("Ben", "Acme", [], ContactStatus.lead, "Spring fair"),
            ("Cai", "Globex", ["vip"], ContactStatus.customer, "Webinar"),
            ("Dee", "Initech", ["vip"], ContactStatus.prospect, None),
            ("Eve", None, ["vip"], ContactStatus.customer, "spring FAIR"),
        ):
            contacts.create_contact(
                s,
                data=ContactCreate(
                    name=name, company=company, tags=tags, status=status, campaign=source
                ),
                region="FR",
                now=NOW,
            )
    return db


def names(db: Database, wanted: ContactFilter) -> list[str]:
    with session_scope(db, write=False) as s:
        return [r.name for r in contacts.list_contacts(s, where=wanted)]


@pytest.mark.parametrize(
    ("wanted", "expected"),
    [
        (ContactFilter(industry="SOFTWARE"), ["Ada", "Ben", "Dee"]),
        (ContactFilter(city=" paris "), ["Ada", "Ben"]),
        (ContactFilter(country="fr", tag="VIP"), ["Ada", "Cai"]),
        (ContactFilter(campaign="spring fair"), ["Ada", "Ben", "Eve"]),
        (ContactFilter(campaign="2"), ["Cai"]),
        (ContactFilter(tag="vip", status=ContactStatus.customer), ["Ada", "Cai", "Eve"]),
        (ContactFilter(industry="software", country="DE"), ["Dee"]),
        (ContactFilter(industry="mining"), []),
    ],
)
def test_contact_filters(book: Database, wanted: ContactFilter, expected: list[str]) -> None:
    assert names(book, wanted) == expected


def test_unknown_campaign_is_an_error(book: Database) -> None:
    with pytest.raises(NotFound):
        names(book, ContactFilter(campaign="Autumn"))


def test_save_replace_and_use_a_segment(book: Database) -> None:
    with session_scope(book, write=True) as s:
        saved, new = filters.save_segment(
            s,
            name=" Paris  VIPs ",
            filters=ContactFilter(city="Paris", tag="vip", status=ContactStatus.customer),
            now=NOW,
        )
        assert (saved.id, saved.name, new) == (1, "Paris VIPs", True)
        assert saved.filters == {"tag": "vip", "status": "customer", "city": "Paris"}
        again, new = filters.save_segment(
            s, name="paris vips", filters=ContactFilter(country="FR", tag="vip"), now=NOW
        )
        assert (again.id, again.filters, new) == (1, {"tag": "vip", "country": "FR"}, False)
        with pytest.raises(InvalidInput, match="at least one filter"):
            filters.save_segment(s, name="all", filters=ContactFilter(), now=NOW)
    with session_scope(book, write=False) as s:
        segment = filters.segment_filter(s, name="PARIS VIPS")
        narrowed = filters.segment_filter(
            s, name="paris vips", overrides=ContactFilter(industry="retail")
        )
        with pytest.raises(NotFound):
            filters.segment_filter(s, name="nobody")
        assert [r.name for r in filters.list_segments(s)] == ["Paris VIPs"]
    assert segment == ContactFilter(tag="vip", country="FR")
    assert names(book, segment) == ["Ada", "Cai"]
    assert names(book, narrowed) == ["Cai"]
    with session_scope(book, write=True) as s:
        assert filters.delete_segment(s, name="Paris VIPs").id == 1
        assert filters.list_segments(s) == []


def test_campaign_on_add_edit_and_show(book: Database) -> None:
    with session_scope(book, write=True) as s:
        assert contacts.get_contact(s, ref="Ada").campaign == "Spring fair"
        updated = contacts.update_contact(
            s, ref="Dee", data=ContactUpdate(campaign="webinar"), region="FR"
        )
        assert updated.campaign == "Webinar"
        cleared = contacts.update_contact(
            s, ref="Ada", data=ContactUpdate(campaign=""), region="FR"
        )
        assert cleared.campaign is None
        assert s.get(Contact, 1).campaign_id is None  # type: ignore[union-attr]
        with pytest.raises(NotFound):
            contacts.create_contact(
                s, data=ContactCreate(name="Fay", campaign="Autumn"), region="FR"
            )


# The CLI


def test_cli_save_list_and_export_a_segment(book: Database, crm: Crm) -> None:
    ran = crm(
        "contact", "list", "--country", "FR", "--tag", "vip", "--save-segment", "French VIPs",
        "--format", "csv",
    )  # fmt: skip
    assert ran.err == "segment 'French VIPs' saved: --tag 'vip' --country 'FR'\n"
    assert [line.split(",")[1] for line in ran.out.splitlines()] == ["name", "Ada", "Cai"]
    listed = crm("contact", "list", "--segment", "french vips", "--format", "json").json()
    assert [r["name"] for r in listed] == ["Ada", "Cai"]
    narrowed = crm("contact", "list", "--segment", "French VIPs", "--industry", "retail")
    assert "Cai" in narrowed.out and "Ada" not in narrowed.out
    exported = list(
        csv.DictReader(io.StringIO(crm("export", "contacts", "--segment", "French VIPs").out))
    )
    assert [(r["name"], r["company"], r["tags"]) for r in exported] == [
        ("Ada", "Acme", "vip"),
        ("Cai", "Globex", "vip"),
    ]
    assert crm("contact", "segments", "--format", "json").json() == [
        {
            "id": 1,
            "name": "French VIPs",
            "filters": {"tag": "vip", "country": "FR"},
            "created_at": "2026-11-23T09:30:00+00:00",
        }
    ]
    missing = crm("export", "contacts", "--segment", "nope", ok=False)
    assert missing.code != 0 and "segment" in missing.err
    gone = crm("contact", "segment-rm", "French VIPs", "--yes")
    assert gone.out == "segment deleted: French VIPs\n"


def test_a_segment_saved_from_the_app_search_box_is_described_and_applied(
    crm: Crm, book: Database
) -> None:
    with session_scope(book, write=True) as s:
        filters.save_segment(s, name="Acme people", filters=ContactFilter(words="acm"), now=NOW)
    listed = crm("contact", "segments").out
    assert "words 'acm'" in listed and "--words" not in listed
    found = crm("contact", "list", "--segment", "acme people", "--format", "json").json()
    assert [r["company"] for r in found] == ["Acme"] * len(found) and found


def test_cli_campaign_on_add_and_edit(book: Database, crm: Crm) -> None:
    crm("contact", "add", "Gus", "--campaign", "Webinar")
    assert crm("contact", "show", "Gus", "--format", "json").json()["campaign"] == "Webinar"
    crm("contact", "edit", "Gus", "--campaign", "spring fair")
    listed = crm("contact", "list", "--campaign", "Spring fair", "--format", "json").json()
    assert [r["name"] for r in listed] == ["Ada", "Ben", "Eve", "Gus"]
    bad = crm("contact", "add", "Hal", "--campaign", "Autumn", ok=False)
    assert bad.code != 0 and "Autumn" in bad.err


@pytest.mark.parametrize("header", ["Campaign", "utm_campaign", "Source Campaign", "市场活动"])
def test_import_reads_the_campaign_column(
    book: Database, crm: Crm, tmp_path: Path, header: str
) -> None:
    source = tmp_path / "people.csv"
    source.write_text(f"Name,Email,{header}\nIda,ida@x.example,webinar\nJo,jo@x.example,\n")
    crm("import", "contacts", str(source))
    listed = crm("contact", "list", "--campaign", "Webinar", "--format", "json").json()
    assert [r["name"] for r in listed] == ["Cai", "Ida"]
    assert crm("contact", "show", "Jo", "--format", "json").json()["campaign"] is None


def test_import_creates_an_unknown_campaign_at_no_cost(
    book: Database, crm: Crm, tmp_path: Path
) -> None:
    """As deal imports do: the campaign is made (cost 0, to fill in) and counted."""
    source = tmp_path / "people.csv"
    source.write_text("Name,Campaign\nIda,Webinar\nJo,Autumn\nKim,autumn\n")
    ran = crm("import", "contacts", str(source))
    assert ran.out.endswith("(also created: 1 campaign)\n")
    listed = crm("contact", "list", "--campaign", "Autumn", "--format", "json").json()
    assert [r["name"] for r in listed] == ["Jo", "Kim"]
    autumn = crm("campaign", "show", "autumn", "--format", "json").json()
    assert (autumn["name"], autumn["cost"], autumn["leads"]) == ("Autumn", 0, 2)
