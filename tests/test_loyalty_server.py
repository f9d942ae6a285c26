"""Tiers and points on the team server: a rep's payment moves their customer's tier and
earns its points through row-level security; the ledger is read with its customer; the tier
catalogue is changed by admins and managers only, in `crm` and in plain SQL alike."""

from __future__ import annotations

import pytest

from tests.conftest import PG_URL
from tests.test_server_rls import Server, psycopg, server

pytestmark = [
    pytest.mark.pg,
    pytest.mark.skipif(not PG_URL, reason="CRM_TEST_DATABASE_URL is not set"),
]
__all__ = ["server"]


def _sell(srv: Server) -> None:
    srv.crm("deal", "add", "Ana sale", "--owner", "Ana", "--amount", "5000",
            "--contact", "Ana's client")  # fmt: skip
    deal = srv.sql("SELECT id FROM deals WHERE title = 'Ana sale'")[0][0]
    srv.crm("deal", "won", str(deal))
    srv.crm("order", "add", "--deal", str(deal))
    srv.crm("tier", "set", "Silver", "--min-spend", "1000", "--points-per", "1")


def test_a_reps_payment_moves_the_tier_and_earns_points(server: Server) -> None:
    _sell(server)
    order = server.sql("SELECT id FROM orders")[0][0]
    server.crm("payment", "add", "--order", str(order), "--amount", "1200.50", who="Ana")
    shown = server.crm("points", "show", "Ana's client", "--format", "json", who="Ana").json()
    assert (shown["tier"], shown["balance"]) == ("Silver", 1200)
    assert server.sql("SELECT to_name, payment_id FROM tier_moves") == [("Silver", 1)]
    with server.connect("Zed") as conn:  # West: does not read Ana's client
        assert conn.execute("SELECT count(*) FROM tier_moves").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM points_entries").fetchone() == (0,)
    refused = server.crm("points", "show", "Ana's client", who="Zed", ok=False)
    assert refused.code == 2
    with server.connect("Bob") as conn:  # East: reads Ana's client, may not edit them
        assert conn.execute("SELECT count(*) FROM points_entries").fetchone() == (1,)
        assert conn.execute("DELETE FROM points_entries").rowcount == 0
        assert conn.execute("UPDATE points_entries SET points = 99999").rowcount == 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                "INSERT INTO points_entries (contact_id, kind, points, on_day, at) "
                "SELECT contact_id, 'earn', 5000, current_date, now() FROM points_entries"
            )
    bob = server.crm("points", "redeem", "Ana's client", "100", who="Bob", ok=False)
    assert bob.code == 4 and "not allowed: edit contacts owned by someone else" in bob.err
    assert server.crm("points", "redeem", "Ana's client", "100", who="Ana").out.strip() == (
        "100 points redeemed: 1100 left"
    )


def test_the_tier_catalogue_is_changed_by_admins_and_managers(server: Server) -> None:
    server.crm("tier", "set", "Silver", "--min-spend", "1000")
    ana = server.crm("tier", "set", "Gold", "--min-spend", "9000", who="Ana", ok=False)
    assert ana.code == 4 and "not allowed: edit tiers" in ana.err
    with server.connect("Ana") as conn:
        assert conn.execute("UPDATE tiers SET min_spend_minor = 1").rowcount == 0
        assert conn.execute("SELECT count(*) FROM tiers").fetchone() == (1,)
    server.crm("tier", "set", "Gold", "--min-spend", "9000", who="Mia")
    listed = server.crm("tier", "list", "--format", "csv", who="Ana").out.splitlines()
    assert [line.split(",")[1] for line in listed[1:]] == ["Silver", "Gold"]
    logged = server.sql("SELECT action, user_name FROM audit_log WHERE object = 'tiers'")
    assert logged == [("create", None), ("create", "Mia")]


def test_a_rep_moves_the_tier_by_everything_the_customer_paid(server: Server) -> None:
    _sell(server)
    server.crm("deal", "add", "Bob sale", "--owner", "Bob", "--amount", "5000",
               "--contact", "Ana's client")  # fmt: skip
    deal = server.sql("SELECT id FROM deals WHERE title = 'Bob sale'")[0][0]
    server.crm("deal", "won", str(deal))
    server.crm("order", "add", "--deal", str(deal))
    ana_order, bob_order = (r[0] for r in server.sql("SELECT id FROM orders ORDER BY id"))
    server.crm("payment", "add", "--order", str(ana_order), "--amount", "600", who="Ana")
    assert server.sql("SELECT count(*) FROM tier_moves") == [(0,)]
    with server.connect("Bob") as conn:  # Bob does not read Ana's order
        assert conn.execute("SELECT count(*) FROM payments").fetchone() == (0,)
    server.crm("payment", "add", "--order", str(bob_order), "--amount", "600", who="Bob")
    assert server.sql("SELECT to_name, reason FROM tier_moves") == [
        ("Silver", "payment #2: 1,200.00 USD paid, 2 orders from 2025-11-24 to 2026-11-23"
         " reach Silver")
    ]  # fmt: skip
