"""On the team server, quotes and their lines follow their deal and contracts their order;
products are read by everyone and changed only by those with the products grants, whether
through `crm` or over plain SQL with a person's own login; accepting works under row security.
"""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import PG_URL
from tests.test_server_rls import PASSWORD, Server, _deal, server

pytestmark = [
    pytest.mark.pg,
    pytest.mark.skipif(not PG_URL, reason="CRM_TEST_DATABASE_URL is not set"),
]
psycopg = pytest.importorskip("psycopg")
__all__ = ["server"]


def test_products_are_read_by_all_and_changed_by_managers(server: Server) -> None:
    server.crm("product", "add", "GTX Pro", "--sku", "GTXP", "--price", "48.21")
    listed = server.crm("product", "list", "-f", "csv", who="Ana").out.splitlines()
    assert listed[1:] == ["1,GTXP,GTX Pro,48.21,USD,,False"]
    refused = server.crm("product", "add", "X", "--sku", "X", "--price", "1", who="Ana", ok=False)
    assert (refused.code, refused.err) == (
        4, "crm: error: not allowed: create products (role rep has products create: none)\n"
    )  # fmt: skip
    with server.connect("Ana") as conn:
        assert conn.execute("SELECT sku FROM products").fetchall() == [("GTXP",)]
        assert conn.execute("UPDATE products SET price_minor = 1 RETURNING id").fetchall() == []
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                "INSERT INTO products (sku, name, price_minor, currency, archived, created_at, "
                "version) VALUES ('Y', 'Y', 1, 'USD', false, now(), 1)"
            )
    assert server.sql("SELECT price_minor FROM products") == [(4821,)]
    server.crm("product", "edit", "GTXP", "--price", "50", who="Mia")
    assert server.sql("SELECT price_minor FROM products") == [(5000,)]
    zed = _deal(server, "Zed's deal")
    server.crm("quote", "add", "--deal", str(zed), "--line", "GTXP", who="Zed")
    gone = server.crm("product", "rm", "GTXP", "--yes", who="Mia").out  # Zed's line: unseen
    assert gone == "product GTXP archived: lines name it\n"
    assert server.sql("SELECT archived FROM products") == [(True,)]


def test_quotes_follow_their_deal_and_accepting_works_under_row_security(
    server: Server,
) -> None:
    server.crm("product", "add", "GTX Pro", "--sku", "GTXP", "--price", "48.21")
    ana, bob = _deal(server, "Ana's deal"), _deal(server, "Bob's deal")
    server.crm("quote", "add", "--deal", str(ana), "--line", "GTXP x3", "--tax", "10%", who="Ana")
    server.crm("quote", "add", "--deal", str(bob), "--line", "Audit 200", who="Bob")
    hidden = server.crm("quote", "add", "--deal", str(bob), "--line", "X 1", who="Ana", ok=False)
    assert hidden.err == f"crm: error: deal not found: {bob}\n"
    mine = server.crm("quote", "list", "-f", "json", who="Ana").json()
    assert [(q["deal_id"], q["total"]) for q in mine] == [(ana, 159.09)]  # 144.63 + 14.46
    with server.connect("Ana") as conn:
        assert conn.execute("SELECT count(*) FROM quotes").fetchone() == (1,)
        assert conn.execute("SELECT count(*) FROM line_items").fetchone() == (1,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                "INSERT INTO quotes (deal_id, series, revision, status, currency, discount_minor,"
                " subtotal_minor, tax_minor, total_minor, created_at, version) "
                f"VALUES ({bob}, 1, 1, 'draft', 'USD', 0, 0, 0, 0, now(), 1)"
            )
    quote = mine[0]["id"]
    done = server.crm("quote", "accept", str(quote), who="Ana").out
    assert done == f"quote #{quote} accepted: deal #{ana} won at 159.09 USD, order #1\n"
    assert server.sql(f"SELECT status, amount_minor FROM deals WHERE id = {ana}") == [
        ("won", 15909)
    ]
    assert server.sql("SELECT deal_id, amount_minor FROM orders") == [(ana, 15909)]
    assert server.sql("SELECT count(*) FROM line_items WHERE order_id IS NOT NULL") == [(1,)]
    server.crm("contract", "add", "--order", "1", "--from", "2026-01-01", "--to", "2026-12-31",
               who="Ana")  # fmt: skip
    renewals = server.crm("report", "renewals", "--months", "2", "-f", "csv", who="Ana").out
    assert renewals.splitlines()[1:] == ["2026-12,1,0,159.09,USD,2026-12-01"]
    with server.connect("Zed") as conn:
        assert conn.execute("SELECT count(*) FROM quotes").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM line_items").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM contracts").fetchone() == (0,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                "INSERT INTO contracts (order_id, starts_on, ends_on, renew, notice_days, "
                "notice_on, value_minor, currency, status, created_at, version) VALUES "
                "(1, '2027-01-01', '2027-12-31', 'manual', 0, '2027-12-31', 1, 'USD', "
                "'active', now(), 1)"
            )
    zed = server.crm("contract", "list", "-f", "json", who="Zed", ok=False)
    assert zed.code == 1


def test_an_orders_follow_up_follows_the_order(server: Server) -> None:
    ana, bob = _deal(server, "Ana's deal"), _deal(server, "Bob's deal")
    for deal, who in ((ana, "Ana"), (bob, "Bob")):
        server.crm("deal", "move", str(deal), "won", who=who)
        server.crm("order", "add", "--deal", str(deal), who=who)
    server.crm("order", "deliver", "1", "--on", "2026-11-24", "--follow-up", "3", who="Ana")
    server.crm("order", "deliver", "2", "--on", "2026-11-24", "--follow-up", "5", who="Bob")
    mine = server.crm("followup", "list", "-f", "json", who="Ana").json()
    assert [(f["order_id"], f["due_on"]) for f in mine] == [(1, "2026-11-27")]
    hidden = server.crm("followup", "done", "2", who="Ana", ok=False)
    assert hidden.err == "crm: error: follow-up not found: 2\n"
    with server.connect("Ana") as conn:
        assert conn.execute("SELECT order_id FROM followups").fetchall() == [(1,)]
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                "INSERT INTO followups (order_id, due_on, created_at) "
                "VALUES (2, '2026-12-01', now())"
            )
    server.crm("followup", "done", "1", "--satisfaction", "4", who="Ana")
    assert server.sql("SELECT order_id, satisfaction FROM followups ORDER BY id") == [
        (1, 4), (2, None)
    ]  # fmt: skip


def test_cron_leaves_the_rollover_to_a_person_who_may_edit_the_order(server: Server) -> None:
    login = f"cron_{uuid.uuid4().hex[:10]}"
    server.logins["cron"] = login
    server.sql(f"CREATE ROLE \"{login}\" LOGIN PASSWORD '{PASSWORD}' IN ROLE crm_cron")
    ana = _deal(server, "Ana's deal")
    server.crm("deal", "move", str(ana), "won", who="Ana")
    server.crm("order", "add", "--deal", str(ana), who="Ana")
    server.crm("contract", "add", "--order", "1", "--from", "2025-11-01", "--to", "2026-10-31",
               "--renew", "auto", who="Ana")  # fmt: skip
    server.crm("remind", "--all-owners", who="cron")  # may not add contracts: leaves it
    assert server.sql("SELECT id, status FROM contracts") == [(1, "active")]
    assert server.crm("contract", "list", who="Zed", ok=False).code == 1  # not his to roll
    listed = server.crm("contract", "list", "-f", "json", who="Ana").json()
    assert [(c["id"], c["starts_on"], c["status"]) for c in listed] == [
        (1, "2025-11-01", "renewed"), (2, "2026-11-01", "active"),
    ]  # fmt: skip
    assert server.sql(
        "SELECT record_id, action, user_id, source FROM audit_log WHERE object = 'contracts' "
        "AND source = 'system' ORDER BY record_id"
    ) == [(1, "renew", None, "system"), (2, "create", None, "system")]
