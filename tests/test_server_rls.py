"""The team server holds each person to their grants whatever client they use: `crm server
init` is re-runnable, and a rep connecting with their own login over plain psycopg reads,
changes, reassigns and deletes exactly what `crm` would let them, and nothing of the audit
log but what they may read.

Roles are the cluster's: each test's logins have their own names (a uuid suffix) and are
dropped when it ends; the tests use a database of their own (`<test database>_rls`)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.clihelp import Crm, Ran
from tests.conftest import NOW, PG_URL, reset_pg

pytestmark = [
    pytest.mark.pg,
    pytest.mark.skipif(not PG_URL, reason="CRM_TEST_DATABASE_URL is not set"),
]

psycopg = pytest.importorskip("psycopg")
PASSWORD = "s3cret pass"


def _rls_url() -> str:
    if not PG_URL:
        return ""
    parsed = make_url(PG_URL)
    return parsed.set(database=f"{parsed.database}_rls").render_as_string(hide_password=False)


ADMIN_URL = _rls_url()


@dataclass
class Server:
    """The test's team server: the admin URL, and a URL per person's login."""

    monkeypatch: pytest.MonkeyPatch
    logins: dict[str, str] = field(default_factory=dict)
    """user name -> their login role"""

    def crm(self, *args: str, who: str | None = None, ok: bool = True, stdin: str = "") -> Ran:
        """`crm` over the admin connection, or over `who`'s own login."""
        self.monkeypatch.setenv("CRM_DATABASE_URL", self.url(who))
        return Crm()(*args, ok=ok, input=stdin or None)

    def url(self, who: str | None = None) -> str:
        if who is None:
            return ADMIN_URL
        login = self.logins[who]
        parsed = make_url(ADMIN_URL).set(username=login, password=PASSWORD)
        return parsed.render_as_string(hide_password=False)

    def connect(self, who: str) -> Any:
        """Plain psycopg, as `who`'s login: nothing of tinycrm between them and the server."""
        parsed = make_url(self.url(who))
        return psycopg.connect(
            host=parsed.host or "127.0.0.1",
            port=parsed.port or 5432,
            dbname=parsed.database,
            user=parsed.username,
            password=PASSWORD,
            autocommit=True,
        )

    def add_user(self, name: str, role: str, *, login: bool = True) -> None:
        args = ["user", "add", name, "--email", f"{name.lower()}@example.com", "--role", role]
        if login:
            self.logins[name] = f"{name.lower()}_{uuid.uuid4().hex[:10]}"
            args += ["--login", self.logins[name], "--password-stdin"]
        self.crm(*args, stdin=PASSWORD + "\n")

    def sql(self, statement: str, **params: Any) -> list[Any]:
        """A statement over the admin connection (a superuser: no row security)."""
        engine = create_engine(ADMIN_URL)
        try:
            with engine.begin() as conn:
                result = conn.execute(text(statement), params)
                return list(result) if result.returns_rows else []
        finally:
            engine.dispose()

    def drop_logins(self) -> None:
        engine = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                for login in self.logins.values():
                    role = '"' + login.replace('"', '""') + '"'
                    found = conn.execute(
                        text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": login}
                    ).first()
                    if found is None:
                        continue
                    conn.exec_driver_sql(f"REASSIGN OWNED BY {role} TO CURRENT_USER")
                    conn.exec_driver_sql(f"DROP OWNED BY {role}")
                    conn.exec_driver_sql(f"DROP ROLE {role}")
        finally:
            engine.dispose()


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    """A prepared team server: teams East and West; Ana and Bob (reps) and Mia (manager) in
    East, Zed (rep) in West, each with a login; Boss (admin) without one. Deals: one each
    for Ana, Bob and Zed, and one in the pool; a contact each for Ana, Bob and Zed."""
    reset_pg(ADMIN_URL)
    monkeypatch.setenv("CRM_NOW", NOW.isoformat())
    srv = Server(monkeypatch)
    try:
        srv.crm("init")
        srv.crm("server", "init")
        for name, role in (("Ana", "rep"), ("Bob", "rep"), ("Mia", "manager"), ("Zed", "rep")):
            srv.add_user(name, role)
        srv.add_user("Boss", "admin", login=False)
        srv.sql("INSERT INTO teams (name, name_key, created_at) VALUES "
                "('East', 'east', now()), ('West', 'west', now())")  # fmt: skip
        srv.sql(
            "UPDATE users SET team_id = (SELECT id FROM teams WHERE name = "
            "CASE WHEN users.name = 'Zed' THEN 'West' ELSE 'East' END) WHERE name <> 'Boss'"
        )
        for owner in ("Ana", "Bob", "Zed"):
            srv.crm("deal", "add", f"{owner}'s deal", "--owner", owner, "--amount", "1000")
            srv.crm("contact", "add", f"{owner}'s client", "--owner", owner)
        srv.crm("deal", "add", "Pool deal", "--amount", "500")
        yield srv
    finally:
        srv.drop_logins()


def _deal(srv: Server, title: str) -> int:
    return int(srv.sql("SELECT id FROM deals WHERE title = :t", t=title)[0][0])


def _titles(conn: Any, table: str = "deals", column: str = "title") -> set[str]:
    return {row[0] for row in conn.execute(f"SELECT {column} FROM {table}")}


def test_server_init_is_rerunnable_and_hands_every_table_to_the_owner(server: Server) -> None:
    def catalog() -> tuple[Any, ...]:
        owners = server.sql(
            "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = current_schema()"
        )
        forced = server.sql(
            "SELECT relname FROM pg_class WHERE relkind = 'r' AND relrowsecurity "
            "AND relforcerowsecurity AND relnamespace = current_schema()::regnamespace "
            "ORDER BY relname"
        )
        policies = server.sql(
            "SELECT tablename, policyname, cmd, qual, with_check FROM pg_policies "
            "WHERE schemaname = current_schema() ORDER BY 1, 2"
        )
        return owners, forced, policies

    before = catalog()
    ran = server.crm("server", "init")
    assert "row-level security on" in ran.out
    assert server.logins["Ana"] in ran.out
    assert catalog() == before
    assert before[0] == [("crm_owner",)]
    assert {"deals", "contacts", "audit_log", "users", "grants"} <= {r[0] for r in before[1]}
    people = server.sql(
        "SELECT r.rolname, r.rolsuper OR r.rolbypassrls OR r.rolcreaterole "
        "OR pg_has_role(r.rolname, 'crm_owner', 'MEMBER') OR EXISTS (SELECT FROM pg_tables t "
        "WHERE t.tableowner = r.rolname AND t.schemaname = current_schema()) "
        "FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member "
        "WHERE m.roleid = 'crm_user'::regrole AND r.rolname = ANY(:logins)",
        logins=list(server.logins.values()),
    )
    assert sorted(people) == sorted((login, False) for login in server.logins.values())


def test_a_rep_reads_only_their_own_and_the_pool_and_their_teams_contacts(
    server: Server,
) -> None:
    with server.connect("Ana") as conn:
        assert _titles(conn) == {"Ana's deal", "Pool deal"}
        assert _titles(conn, "contacts", "full_name") == {"Ana's client", "Bob's client"}
        total = conn.execute("SELECT count(*), sum(amount_minor) FROM deals").fetchone()
        assert total == (2, 150000)
        stages = conn.execute("SELECT count(*) FROM stage_changes").fetchone()
        assert stages == (2,)
    with server.connect("Mia") as conn:
        assert _titles(conn) == {"Ana's deal", "Bob's deal", "Pool deal"}
    with server.connect("Zed") as conn:
        assert _titles(conn) == {"Zed's deal", "Pool deal"}


def test_a_rep_cannot_change_delete_or_take_others_records(server: Server) -> None:
    bob, pool = _deal(server, "Bob's deal"), _deal(server, "Pool deal")
    ana_id = server.sql("SELECT id FROM users WHERE name = 'Ana'")[0][0]
    bob_id = server.sql("SELECT id FROM users WHERE name = 'Bob'")[0][0]
    with server.connect("Ana") as conn:
        assert conn.execute("UPDATE deals SET title = 'mine' WHERE id = %s", [bob]).rowcount == 0
        assert (
            conn.execute("UPDATE deals SET owner_id = %s WHERE id = %s", [ana_id, bob]).rowcount
            == 0
        )
        assert conn.execute("DELETE FROM deals WHERE id = %s", [bob]).rowcount == 0
        assert conn.execute("DELETE FROM deals WHERE id = %s", [pool]).rowcount == 0
        assert conn.execute("DELETE FROM stage_changes WHERE deal_id = %s", [bob]).rowcount == 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                "INSERT INTO deals (title, amount_minor, currency, stage_id, status, owner_id, "
                "created_at, updated_at) SELECT 'planted', 1, 'USD', stage_id, 'open', %s, "
                "now(), now() FROM deals WHERE id = %s",
                [bob_id, pool],
            )
        # The pool is claimed, as `crm` lets a rep claim it.
        assert (
            conn.execute("UPDATE deals SET owner_id = %s WHERE id = %s", [ana_id, pool]).rowcount
            == 1
        )
        assert conn.execute("UPDATE users SET role = 'admin' WHERE id = %s", [ana_id]).rowcount == 0
        assert conn.execute("UPDATE grants SET level = 'all'").rowcount == 0
    assert server.sql("SELECT title, owner_id FROM deals WHERE id = :i", i=bob) == [
        ("Bob's deal", bob_id)
    ]
    assert server.sql("SELECT role FROM users WHERE id = :i", i=ana_id) == [("rep",)]


def test_reassigning_needs_the_assign_grant_over_the_owner_before(server: Server) -> None:
    ana, bob = _deal(server, "Ana's deal"), _deal(server, "Bob's deal")
    bob_id = server.sql("SELECT id FROM users WHERE name = 'Bob'")[0][0]
    server.sql("UPDATE grants SET level = 'none' WHERE role = 'rep' AND object = 'deals' "
               "AND action = 'assign'")  # fmt: skip
    with server.connect("Ana") as conn:
        assert conn.execute("UPDATE deals SET title = 'renamed' WHERE id = %s", [ana]).rowcount == 1
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="assign deals"):
            conn.execute("UPDATE deals SET owner_id = %s WHERE id = %s", [bob_id, ana])
    pool = _deal(server, "Pool deal")
    with server.connect("Mia") as conn:  # a manager reassigns within the team
        assert conn.execute("DELETE FROM deals WHERE id = %s", [pool]).rowcount == 1
        assert (
            conn.execute("UPDATE deals SET owner_id = %s WHERE id = %s", [bob_id, ana]).rowcount
            == 1
        )
        assert conn.execute("SELECT owner_id FROM deals WHERE id = %s", [bob]).fetchone() == (
            bob_id,
        )


def test_nobody_but_the_owner_alters_the_audit_log(server: Server) -> None:
    server.crm("deal", "edit", str(_deal(server, "Ana's deal")), "--amount", "2000", who="Ana")
    for who in ("Ana", "Mia"):
        with server.connect(who) as conn:
            assert conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] >= 1
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("UPDATE audit_log SET note = 'nothing happened'")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("DELETE FROM audit_log")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("TRUNCATE audit_log")
    with server.connect("Zed") as conn:  # Ana's deal's history is not Zed's to read
        seen = conn.execute("SELECT object, record_id FROM audit_log WHERE object = 'deals'")
        assert _deal(server, "Ana's deal") not in {r[1] for r in seen}


def test_crm_over_a_reps_login_acts_as_them_and_no_one_else(server: Server) -> None:
    ran = server.crm("deal", "add", "Fresh", who="Ana")
    assert "added" in ran.out
    owner = server.sql("SELECT u.name FROM deals d JOIN users u ON u.id = d.owner_id "
                       "WHERE d.title = 'Fresh'")  # fmt: skip
    assert owner == [("Ana",)]
    refused = server.crm("--as", "Bob", "deal", "list", who="Ana", ok=False)
    assert refused.code == 4
    assert "cannot act as Bob" in refused.err
    assert server.crm("--as", "Ana", "deal", "list", who="Ana").code == 0


def test_a_reps_import_takes_ids_nobody_holds_even_where_they_cannot_see(
    server: Server,
) -> None:
    """Row security hides East's contacts and deals from Zed; his import must not give its
    rows their ids (the largest id he can see is below theirs)."""
    server.sql("UPDATE contacts SET id = id + 100 WHERE full_name <> 'Zed''s client'")
    contacts = "full_name,email\nIvy Import,ivy@example.com\nJo Import,jo@example.com\n"
    ran = server.crm("import", "contacts", "-", who="Zed", stdin=contacts)
    assert "2 created" in ran.out
    deals = "title,amount\nZed import,250\n"
    assert "1 created" in server.crm("import", "deals", "-", who="Zed", stdin=deals).out
    server.crm("contact", "add", "After Import", who="Ana")
    owners = server.sql(
        "SELECT c.full_name, u.name FROM contacts c LEFT JOIN users u ON u.id = c.owner_id "
        "WHERE c.full_name IN ('Ivy Import', 'Jo Import', 'After Import') ORDER BY c.id"
    )
    # rows that name no owner go to the pool, as on SQLite
    assert owners == [("Ivy Import", None), ("Jo Import", None), ("After Import", "Ana")]
    assert server.sql("SELECT count(*), count(DISTINCT id) FROM contacts") == [(6, 6)]
    with server.connect("Zed") as conn:
        assert _titles(conn) == {"Zed's deal", "Pool deal", "Zed import"}


def test_a_user_restored_without_a_login_gets_one_later(server: Server) -> None:
    login = f"boss_{uuid.uuid4().hex[:10]}"
    server.logins["Boss"] = login
    ran = server.crm("user", "edit", "Boss", "--login", login, "--password-stdin", stdin=PASSWORD)
    assert f"(login {login})" in ran.out
    with server.connect("Boss") as conn:
        assert _titles(conn) == {"Ana's deal", "Bob's deal", "Zed's deal", "Pool deal"}

    def stored() -> Any:  # the server trusts this machine: compare the stored secret
        return server.sql("SELECT rolpassword FROM pg_authid WHERE rolname = :r", r=login)[0][0]

    before = stored()
    server.crm("user", "edit", "Boss", "--password-stdin", stdin="another one\n")
    assert before.startswith("SCRAM-SHA-256$")
    assert stored() != before


def test_reports_search_and_exports_show_a_rep_nothing_beyond_their_scope(
    server: Server,
) -> None:
    listed = server.crm("deal", "list", "--format", "json", who="Ana").json()
    assert {d["title"] for d in listed} == {"Ana's deal", "Pool deal"}
    found = server.crm("deal", "list", "--search", "deal", "--format", "json", who="Ana").json()
    assert {d["title"] for d in found} == {"Ana's deal", "Pool deal"}
    exported = server.crm("export", "deals", "--format", "jsonl", who="Ana").out
    assert {json.loads(line)["title"] for line in exported.splitlines()} == {
        "Ana's deal",
        "Pool deal",
    }
    pipeline = server.crm("report", "pipeline", "--format", "json", who="Ana").json()
    assert (sum(s["deals"] for s in pipeline), sum(s["amount"] for s in pipeline)) == (2, 1500)
    server.crm("deal", "won", str(_deal(server, "Zed's deal")))
    performance = server.crm("report", "performance", "--format", "json", who="Ana").out
    assert '"won": 1' not in performance
    assert '"won": 1' in server.crm("report", "performance", "--format", "json").out


def test_the_cron_role_reads_and_marks_reminders_and_nothing_more(server: Server) -> None:
    login = f"cron_{uuid.uuid4().hex[:10]}"
    server.logins["cron"] = login
    server.sql(f"CREATE ROLE \"{login}\" LOGIN PASSWORD '{PASSWORD}' IN ROLE crm_cron")
    deal = _deal(server, "Bob's deal")
    with server.connect("cron") as conn:
        assert _titles(conn) == {"Ana's deal", "Bob's deal", "Zed's deal", "Pool deal"}
        marked = conn.execute("UPDATE deals SET alerted_overdue = true WHERE id = %s", [deal])
        assert marked.rowcount == 1
        calls = conn.execute("UPDATE followups SET reminded_on = due_on WHERE done_at IS NULL")
        assert calls.rowcount == 0  # a follow-up call's mark (there are none here)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE followups SET outcome = 'cron was here'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE deals SET title = 'cron was here' WHERE id = %s", [deal])
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM deals")


def _sql_entries(srv: Server, obj: str, record: int) -> list[Any]:
    return srv.sql(
        "SELECT source, login, user_name, action, changes::text FROM audit_log "
        "WHERE object = :o AND record_id = :r AND source = 'sql' ORDER BY id",
        o=obj,
        r=record,
    )


def test_changes_made_outside_tinycrm_are_logged_by_the_server(server: Server) -> None:
    ana = _deal(server, "Ana's deal")
    admin = make_url(ADMIN_URL)
    with psycopg.connect(
        host=admin.host or "127.0.0.1",
        port=admin.port or 5432,
        dbname=admin.database,
        user=admin.username,
        autocommit=True,
    ) as conn:
        conn.execute("UPDATE deals SET amount_minor = 300000, version = version + 1 "
                     "WHERE id = %s", [ana])  # fmt: skip
        conn.execute("UPDATE deals SET updated_at = now() WHERE id = %s", [ana])
        added = conn.execute(
            "INSERT INTO teams (name, name_key, created_at) "
            "VALUES ('North', 'north', now()) RETURNING id"
        ).fetchone()
        conn.execute("DELETE FROM teams WHERE id = %s", [added[0]])
    login = str(admin.username)
    (edited,) = _sql_entries(server, "deals", ana)
    assert edited[:4] == ("sql", login, None, "edit")
    assert json.loads(edited[4]) == {"amount_minor": [100000, 300000]}
    created, deleted = _sql_entries(server, "teams", added[0])
    assert (created[3], deleted[3]) == ("create", "delete")
    assert json.loads(created[4]) == {"name": [None, "North"]}
    assert json.loads(deleted[4]) == {"name": ["North", None]}
    with server.connect("Ana") as conn:
        conn.execute("UPDATE deals SET title = 'Ana''s big deal' WHERE id = %s", [ana])
        conn.execute("UPDATE deals SET status = 'won' WHERE id = %s", [ana])
    renamed, won = _sql_entries(server, "deals", ana)[1:]
    assert renamed[:4] == ("sql", server.logins["Ana"], "Ana", "edit")
    assert json.loads(renamed[4]) == {"title": ["Ana's deal", "Ana's big deal"]}
    assert (won[3], json.loads(won[4])) == ("win", {"status": ["open", "won"]})
    with server.connect("Ana") as conn:  # the server's entries are read like tinycrm's
        seen = conn.execute("SELECT count(*) FROM audit_log WHERE record_id = %s AND "
                            "object = 'deals' AND source = 'sql'", [ana]).fetchone()  # fmt: skip
        assert seen == (3,)
    server.crm("server", "init")  # re-run: one trigger each, still
    with server.connect("Bob") as conn:
        conn.execute("UPDATE deals SET title = 'Bob''s renamed' WHERE title = 'Bob''s deal'")
    assert len(_sql_entries(server, "deals", _deal(server, "Bob's renamed"))) == 1


def test_a_change_through_crm_is_logged_once_by_tinycrm(server: Server) -> None:
    ana = _deal(server, "Ana's deal")
    start = server.sql("SELECT max(id) FROM audit_log")[0][0]
    server.crm("deal", "edit", str(ana), "--amount", "2000", who="Ana")
    server.crm("deal", "add", "Fresh", who="Ana")
    server.crm("import", "contacts", "-", stdin="full_name\nIvy Import\n")
    fresh = _deal(server, "Fresh")
    found = server.sql(
        "SELECT object, record_id, action, source FROM audit_log WHERE id > :s ORDER BY id",
        s=start,
    )
    assert found == [
        ("deals", ana, "edit", "cli"),
        ("deals", fresh, "create", "cli"),
        ("contacts", None, "import", "import"),
    ]


def test_a_rep_cannot_forge_or_remove_the_servers_entries(server: Server) -> None:
    ana = _deal(server, "Ana's deal")
    with server.connect("Ana") as conn:
        conn.execute("UPDATE deals SET title = 'quietly' WHERE id = %s", [ana])
        conn.execute(
            "INSERT INTO audit_log (at, login, source, object, record_id, action, changes) "
            "VALUES (now(), 'postgres', 'sql', 'deals', %s, 'edit', '{}')",
            [ana],
        )
        for statement in ("UPDATE audit_log SET login = 'bob'", "DELETE FROM audit_log"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
        with pytest.raises(psycopg.errors.Error):
            conn.execute("SELECT crm_log_sql()")
    logins = {row[1] for row in _sql_entries(server, "deals", ana)}
    assert logins == {server.logins["Ana"]}
    assert len(_sql_entries(server, "deals", ana)) == 2
