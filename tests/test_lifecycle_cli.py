"""Lifecycle tags from payments, shown on the contact and used as a list filter."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.clihelp import Crm
from tinycrm.config import load_settings
from tinycrm.db.store import open_database, session_scope
from tinycrm.models import Order, Payment

TODAY = date(2026, 11, 23)


@pytest.fixture
def cli_env() -> dict[str, str]:
    return {"CRM_NOW": "2026-11-23T10:00"}


@pytest.fixture
def customers(crm: Crm, fresh_db: str) -> None:
    """Ann (3 orders paid this year, first a year ago: loyal), Bob (first paid last month:
    new), Cy (last paid 200 days ago: declining), Di (never paid: no tag)."""
    for name in ("Ann", "Bob", "Cy", "Di"):
        crm("contact", "add", name, "--status", "customer")
    paid = {1: [300, 200, 100], 2: [30], 3: [200]}
    db = open_database(load_settings(database_url=fresh_db))
    with session_scope(db, write=True) as s:
        for contact_id, ages in paid.items():
            for age in ages:
                day = TODAY - timedelta(days=age)
                order = Order(
                    contact_id=contact_id,
                    amount_minor=100_00,
                    currency="USD",
                    ordered_on=day,
                    paid_minor=100_00,
                )
                s.add(order)
                s.flush()
                assert order.id is not None
                s.add(
                    Payment(order_id=order.id, amount_minor=100_00, currency="USD", received_on=day)
                )
    db.engine.dispose()


def test_lifecycle_on_show_and_as_a_filter(crm: Crm, customers: None) -> None:
    tags = {
        name: crm("contact", "show", name, "--format", "json").json()["lifecycle"]
        for name in ("Ann", "Bob", "Cy", "Di")
    }
    assert tags == {"Ann": "loyal", "Bob": "new", "Cy": "declining", "Di": None}
    loyal = crm("contact", "list", "--lifecycle", "loyal", "--format", "json").json()
    assert [c["name"] for c in loyal] == ["Ann"]
    crm("contact", "list", "--lifecycle", "new", "--save-segment", "fresh")
    fresh = crm("contact", "list", "--segment", "fresh", "--format", "json").json()
    assert [c["name"] for c in fresh] == ["Bob"]
    bad = crm("contact", "list", "--lifecycle", "sleepy", ok=False)
    assert bad.code == 2 and "--lifecycle" in bad.err and bad.err.count("\n") == 1
