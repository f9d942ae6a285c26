"""The team server: PostgreSQL holds everyone to their role's grants, whatever client they use.

`prepare_server` (what `crm server init` runs, over an admin connection) makes three roles
and hands the tables to the first:

- `crm_owner`, no login: owns every tinycrm table (and so its sequences and indexes);
- `crm_user`, no login: the group every person's login joins; the table privileges a
  person needs, and nothing more than row-level security lets through;
- `crm_cron`, no login: what `crm remind` reads and marks, for a login that runs it from cron.

Row-level security is enabled and forced on every table that holds records, with policies
that apply the grants `services.access` applies in the app: one function,
`crm_reach(login, object, action)`, answers the owners whose records a login reaches
(`0` standing for nobody's: the pool), and each policy asks it once per statement from a
scalar subquery. Everything here is re-runnable: roles and grants that exist are kept,
functions, policies and triggers are replaced.

Changes made outside tinycrm are logged too: a row trigger on each audited table appends
an audit entry (source `sql`, the login that made the change) for every row a statement
creates, edits or deletes, unless tinycrm made it (tinycrm marks each of its transactions,
see `db.store`, and logs its own changes, see `services.audit`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlmodel import Session, SQLModel, col, select

from tinycrm.db.store import MARK
from tinycrm.errors import CrmError, InvalidInput
from tinycrm.services.audit import AUDITED, SKIPPED

OWNER = "crm_owner"
PEOPLE = "crm_user"
CRON = "crm_cron"
ROLES = (OWNER, PEOPLE, CRON)

OWNED = ("contacts", "companies", "deals", "activities", "orders", "tickets")
"""Tables whose rows have an owner (`owner_id`); each is also the object of its grants."""
CHILDREN = {
    "stage_changes": ("deals", "deal_id"),
    "payments": ("orders", "order_id"),
    "ticket_comments": ("tickets", "ticket_id"),
    "contact_tags": ("contacts", "contact_id"),
    "contact_dates": ("contacts", "contact_id"),
    "quotes": ("deals", "deal_id"),
    "line_items": ("deals", "deal_id"),
    "contracts": ("orders", "order_id"),
}
"""Rows that belong to a record: read with it, written by whoever may edit it."""
EITHER = {"followups": (("tickets", "ticket_id"), ("orders", "order_id"))}
"""Rows that belong to one of two records (the other key null): as `CHILDREN`, by that one."""
CUSTOMER_LEDGERS = ("tier_moves", "points_entries")
"""Rows that belong to a company or a contact (one of the two): see `_customer_ledger`."""
SINGULAR = {"contacts": "contact", "companies": "company", "deals": "deal",
            "activities": "activity", "orders": "order", "tickets": "ticket",
            "quotes": "quote", "contracts": "contract"}  # fmt: skip
"""An audit entry names its record's table or the record's kind: either is read the same."""
OBJECT_TABLES = {"campaigns": "campaigns", "segments": "campaigns", "kb_articles": "tickets"}
"""Tables with no owner whose rows are the grant's object as a whole."""
CATALOGUES = {"products": "products"}
"""Tables with no owner read by everyone, changed by those the object's edit grant names."""
ADMIN_TABLES = ("users", "teams", "grants", "stages")
"""Read by everyone; changed by those who may edit users (admins)."""
LEDGERS = ("import_batches", "reminder_deliveries")
"""tinycrm's own bookkeeping, read and written by everyone who works."""
CRON_READS = ("users", "teams", "grants", "stages", "contacts", "companies", "deals",
              "activities", "tickets", "contact_dates", "reminder_deliveries",
              "orders", "contracts", "tier_moves", "followups")  # fmt: skip
CRON_MARKS = {
    "activities": ("reminded_at",),
    "deals": ("alerted_close", "alerted_overdue", "alerted_quiet"),
    "tickets": ("reminded_at",),
    "contracts": ("reminded_at",),
    "followups": ("reminded_on",),
}
"""The columns `crm remind` sets to say a reminder went out (see `services.reminders`)."""


class ServerError(CrmError):
    """What the team server cannot do over this connection."""


@dataclass(frozen=True)
class ServerReport:
    schema: str
    tables: int
    logins: list[str]


def quoted(name: str) -> str:
    """`name` as a PostgreSQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def reach(obj: str, action: str) -> str:
    """The policy's one call to the permission lookup: a scalar subquery is an InitPlan,
    evaluated once per statement, not once per row."""
    return f"(SELECT crm_reach(current_user, {_literal(obj)}, {_literal(action)}))"


def owned(obj: str, action: str, owner: str = "owner_id") -> str:
    return f"COALESCE({owner}, 0) = ANY ({reach(obj, action)}::integer[])"


def may(obj: str, action: str) -> str:
    return f"cardinality({reach(obj, action)}) > 0"


def require_server(conn: Connection) -> None:
    if conn.dialect.name != "postgresql":
        raise ServerError("the team server is PostgreSQL: set the database URL to it")


def prepare_server(session: Session) -> ServerReport:
    """Roles, ownership, privileges, the permission lookup and the policies, in one
    transaction; refused unless the connection may create roles and own the tables."""
    conn = session.connection()
    require_server(conn)
    _check_admin(conn)
    schema = str(conn.exec_driver_sql("SELECT current_schema()").scalar())
    tables = _tables(conn, schema)
    for role in ROLES:
        _ensure_group(conn, role)
    me = str(conn.exec_driver_sql("SELECT current_user").scalar())
    if not _is_superuser(conn, me):  # the database owner: to hand tables over, join the owner
        conn.exec_driver_sql(f"GRANT {OWNER} TO {quoted(me)}")
    conn.exec_driver_sql(f"REVOKE CREATE ON SCHEMA {quoted(schema)} FROM PUBLIC")
    for table in tables:
        conn.exec_driver_sql(f"ALTER TABLE {quoted(table)} OWNER TO {OWNER}")
    _functions(conn, schema)
    _privileges(conn, schema, tables)
    for table in tables:
        _policies(conn, table)
    logins = _user_logins(conn)
    return ServerReport(schema=schema, tables=len(tables), logins=logins)


def _check_admin(conn: Connection) -> None:
    row = conn.exec_driver_sql(
        "SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user"
    ).scalar()
    if not row:
        raise ServerError(
            "preparing the server takes an admin connection: a superuser or a database owner "
            "who may create roles"
        )


def _is_superuser(conn: Connection, role: str) -> bool:
    found = conn.execute(
        text("SELECT rolsuper FROM pg_roles WHERE rolname = :r"), {"r": role}
    ).scalar()
    return bool(found)


def _tables(conn: Connection, schema: str) -> list[str]:
    """tinycrm's tables that are in the schema (the metadata's, and alembic's own)."""
    present = set(
        conn.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = :s"), {"s": schema}
        ).scalars()
    )
    known = [*SQLModel.metadata.tables, "alembic_version"]
    if "deals" not in present:
        raise ServerError("the database has no tinycrm tables yet: run `init` first")
    return sorted(t for t in known if t in present)


def _ensure_group(conn: Connection, role: str) -> None:
    """The group role, made when missing and put right when someone gave it more; roles are
    the cluster's, so two databases prepared at once may race to make it."""
    conn.exec_driver_sql(
        "DO $$BEGIN "
        f"IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {_literal(role)}) THEN "
        f"CREATE ROLE {role} NOLOGIN; END IF; "
        "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END$$"
    )
    wrong = conn.execute(
        text(
            "SELECT rolcanlogin OR rolsuper OR rolbypassrls OR rolcreaterole "
            "FROM pg_roles WHERE rolname = :r"
        ),
        {"r": role},
    ).scalar()
    if wrong:
        conn.exec_driver_sql(f"ALTER ROLE {role} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE")


REACH = """
CREATE OR REPLACE FUNCTION crm_reach(who name, obj text, act text) RETURNS integer[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {schema}, pg_temp AS $fn$
  WITH me AS (
    SELECT u.id, u.team_id, COALESCE(g.level, 'none') AS level
    FROM users u
    LEFT JOIN grants g ON g.role = u.role AND g.object = obj AND g.action = act
    WHERE u.db_login = who AND u.active
  ), lvl AS (
    SELECT CASE
      WHEN EXISTS (SELECT FROM me) THEN
        (SELECT CASE WHEN level = 'team' AND team_id IS NULL THEN 'all' ELSE level END FROM me)
      WHEN EXISTS (SELECT FROM users WHERE db_login = who) THEN 'none'
      WHEN pg_has_role(who, 'crm_owner', 'USAGE') THEN 'all'
      WHEN pg_has_role(who, 'crm_cron', 'USAGE') AND act IN ('read', 'edit') THEN 'all'
      ELSE 'none'
    END AS level
  )
  SELECT CASE lvl.level
    WHEN 'all' THEN ARRAY(SELECT id FROM users) || 0
    WHEN 'team' THEN ARRAY(SELECT id FROM users WHERE team_id = (SELECT team_id FROM me)) || 0
    WHEN 'own' THEN ARRAY(SELECT id FROM me)
      || CASE WHEN act = 'delete' THEN '{{}}'::integer[] ELSE '{{0}}' END
    ELSE '{{}}'::integer[]
  END
  FROM lvl
$fn$
"""
"""The owners (user ids; 0 for nobody: the pool) whose records the login `who` reaches for
`obj` `act`, as `services.access.Actor.reaches` decides: `own` is theirs and the pool's
(never the pool's for delete), `team` adds their team's members' and the pool's for delete
too (for someone in no team: everyone's), `all` is everyone's. A deactivated person reaches
nothing; the owner role reaches everything; the cron role reads and marks everything (its
table privileges narrow it)."""

ASSIGN = """
CREATE OR REPLACE FUNCTION crm_check_assign() RETURNS trigger
LANGUAGE plpgsql SET search_path = {schema}, pg_temp AS $fn$
BEGIN
  IF NEW.owner_id IS DISTINCT FROM OLD.owner_id
     AND NOT COALESCE(OLD.owner_id, 0) = ANY (crm_reach(current_user, TG_ARGV[0], 'assign')) THEN
    RAISE EXCEPTION 'not allowed: assign %% owned by %%', TG_ARGV[0],
      CASE WHEN OLD.owner_id IS NULL THEN 'nobody' ELSE 'someone else' END
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END
$fn$
"""
"""A change of owner needs the assign grant over the record's owner before the change
(a policy's WITH CHECK sees only the new row)."""

STAMP = """
CREATE OR REPLACE FUNCTION crm_stamp_login() RETURNS trigger
LANGUAGE plpgsql SET search_path = {schema}, pg_temp AS $fn$
BEGIN
  IF NOT pg_has_role(current_user, 'crm_owner', 'USAGE') THEN
    NEW.login := current_user;
  END IF;
  RETURN NEW;
END
$fn$
"""
"""An audit entry written by a person carries the login that wrote it, whatever it says."""


LOG = """
CREATE OR REPLACE FUNCTION crm_log_sql() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp SET TimeZone = 'UTC'
AS $fn$
DECLARE
  skipped CONSTANT text[] := {skipped};
  was jsonb := CASE WHEN TG_OP = 'INSERT' THEN '{{}}' ELSE to_jsonb(OLD) - skipped END;
  now_ jsonb := CASE WHEN TG_OP = 'DELETE' THEN '{{}}' ELSE to_jsonb(NEW) - skipped END;
  whole jsonb := CASE WHEN TG_OP = 'DELETE' THEN to_jsonb(OLD) ELSE to_jsonb(NEW) END;
  who text := COALESCE(NULLIF(current_setting('role', true), 'none'), session_user);
  act text := CASE TG_OP WHEN 'INSERT' THEN 'create' WHEN 'UPDATE' THEN 'edit' ELSE 'delete' END;
  diff jsonb;
BEGIN
  IF COALESCE(current_setting({mark}, true), '') <> '' THEN
    RETURN NULL;
  END IF;
  SELECT COALESCE(jsonb_object_agg(k, jsonb_build_array(
           COALESCE(was -> k, 'null'), COALESCE(now_ -> k, 'null'))), '{{}}')
    INTO diff
    FROM (SELECT key AS k FROM jsonb_each(was) UNION SELECT key FROM jsonb_each(now_)) keys
   WHERE COALESCE(was -> k, 'null') IS DISTINCT FROM COALESCE(now_ -> k, 'null')
     AND (TG_OP = 'UPDATE' OR COALESCE(was -> k, now_ -> k) <> '{{}}');
  IF TG_OP = 'UPDATE' AND diff = '{{}}' THEN
    RETURN NULL;
  END IF;
  IF TG_TABLE_NAME = 'deals' AND TG_OP = 'UPDATE' THEN
    IF diff ? 'status' AND now_ ->> 'status' IN ('won', 'lost') THEN
      act := CASE now_ ->> 'status' WHEN 'won' THEN 'win' ELSE 'lose' END;
    ELSIF diff ? 'stage_id' OR diff ? 'status' THEN
      act := 'move';
    END IF;
  END IF;
  INSERT INTO audit_log (at, user_id, user_name, login, source, object, record_id, action,
                         changes, note)
  SELECT clock_timestamp(), u.id, u.name, who, 'sql', TG_TABLE_NAME, (whole ->> 'id')::integer,
         act, diff::json,
         CASE WHEN TG_TABLE_NAME = 'grants' THEN concat_ws(' ', whole ->> 'role',
           whole ->> 'object', whole ->> 'action') END
    FROM (SELECT) one LEFT JOIN users u ON u.db_login = who;
  RETURN NULL;
END
$fn$
"""
"""A row of an audited table created, edited or deleted by anyone but tinycrm (which marks
its transactions and logs its own changes): one audit entry, source `sql`, naming the login
that made the change (the caller's role: the function runs as the owner, to append to the
log whatever the caller may write) and its user, with the changed columns' old and new
values, leaving out those `services.audit` leaves out. An edit of those alone logs nothing."""


SPEND = """
CREATE OR REPLACE FUNCTION crm_customer_paid(company integer, contact integer, since date,
                                             until date, cur text)
RETURNS TABLE (spent bigint, orders bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {schema}, pg_temp AS $fn$
  WITH who AS (
    SELECT COALESCE(NULLIF(current_setting('role', true), 'none'), session_user)::name AS n
  ), seen AS (
    SELECT CASE WHEN company IS NOT NULL THEN EXISTS (
        SELECT FROM companies c, who WHERE c.id = company
           AND COALESCE(c.owner_id, 0) = ANY (crm_reach(who.n, 'companies', 'read')))
      ELSE EXISTS (
        SELECT FROM contacts c, who WHERE c.id = contact
           AND COALESCE(c.owner_id, 0) = ANY (crm_reach(who.n, 'contacts', 'read')))
    END AS ok
  )
  SELECT COALESCE(SUM(p.amount_minor) FILTER (WHERE p.currency = cur), 0)::bigint,
         COUNT(DISTINCT p.order_id)::bigint
    FROM payments p JOIN orders o ON o.id = p.order_id, seen
   WHERE seen.ok AND p.received_on BETWEEN since AND until
     AND CASE WHEN company IS NOT NULL THEN o.company_id = company
              ELSE o.company_id IS NULL AND o.contact_id = contact END
$fn$
"""
"""What a customer paid in a window, over every order whoever owns it, for a login that
reads the customer: a tier is the customer's, and a rep who records a payment moves it
by all the customer paid, not by the orders the rep reads (see `services.loyalty.tiers`)."""


def _functions(conn: Connection, schema: str) -> None:
    skipped = "ARRAY[" + ", ".join(_literal(c) for c in sorted(SKIPPED)) + "]::text[]"
    for body in (REACH, ASSIGN, STAMP, SPEND):
        conn.exec_driver_sql(body.format(schema=quoted(schema)))
    conn.exec_driver_sql(LOG.format(schema=quoted(schema), skipped=skipped, mark=_literal(MARK)))
    functions = ("crm_reach(name, text, text)", "crm_check_assign()", "crm_stamp_login()")
    paid = "crm_customer_paid(integer, integer, date, date, text)"
    for fn in (*functions, "crm_log_sql()", paid):
        conn.exec_driver_sql(f"ALTER FUNCTION {fn} OWNER TO {OWNER}")
        conn.exec_driver_sql(f"REVOKE ALL ON FUNCTION {fn} FROM PUBLIC")
        conn.exec_driver_sql(f"GRANT EXECUTE ON FUNCTION {fn} TO {PEOPLE}, {CRON}")


def _privileges(conn: Connection, schema: str, tables: list[str]) -> None:
    everyone = f"{PEOPLE}, {CRON}"
    conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA {quoted(schema)} TO {OWNER}, {everyone}")
    for table in tables:
        conn.exec_driver_sql(f"REVOKE ALL ON TABLE {quoted(table)} FROM PUBLIC, {everyone}")
    for table in tables:
        if table == "audit_log":
            rights = "SELECT, INSERT"
        elif table == "alembic_version":
            rights = "SELECT"
        else:
            rights = "SELECT, INSERT, UPDATE, DELETE"
        conn.exec_driver_sql(f"GRANT {rights} ON TABLE {quoted(table)} TO {PEOPLE}")
    conn.exec_driver_sql(
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {quoted(schema)} TO {everyone}"
    )
    for table in (*CRON_READS, "alembic_version"):
        if table in tables:
            conn.exec_driver_sql(f"GRANT SELECT ON TABLE {quoted(table)} TO {CRON}")
    for table, columns in CRON_MARKS.items():
        conn.exec_driver_sql(f"GRANT UPDATE ({', '.join(columns)}) ON TABLE {table} TO {CRON}")
    conn.exec_driver_sql(f"GRANT INSERT, DELETE ON TABLE reminder_deliveries TO {CRON}")
    conn.exec_driver_sql(f"GRANT INSERT ON TABLE audit_log TO {CRON}")


def _policy_rules(table: str) -> dict[str, tuple[str, str | None, str | None]]:
    """name -> (command, USING, WITH CHECK) for the people's and cron's policies."""
    if table in OWNED:
        return {
            "read": ("SELECT", owned(table, "read"), None),
            "create": ("INSERT", None, owned(table, "create")),
            "edit": ("UPDATE", owned(table, "edit"), "true"),
            "delete": ("DELETE", owned(table, "delete"), None),
        }
    if table in CHILDREN:
        parent, key = CHILDREN[table]
        visible = f"EXISTS (SELECT FROM {parent} p WHERE p.id = {key})"
        mine = owned(parent, "edit", "p.owner_id")
        editable = f"EXISTS (SELECT FROM {parent} p WHERE p.id = {key} AND {mine})"
        return _rows(visible, editable)
    if table in EITHER:
        pairs = EITHER[table]
        visible = " OR ".join(f"EXISTS (SELECT FROM {p} p WHERE p.id = {k})" for p, k in pairs)
        editable = " OR ".join(
            f"EXISTS (SELECT FROM {p} p WHERE p.id = {k} AND {owned(p, 'edit', 'p.owner_id')})"
            for p, k in pairs
        )
        return _rows(visible, editable)
    if table in CUSTOMER_LEDGERS:
        return _customer_ledger(table)
    if table == "tiers":  # a catalogue: read by everyone, changed by its edit grant
        return _rows("true", may("tiers", "edit"))
    if table == "owner_changes":
        visible = (
            "CASE record_type WHEN 'deal' THEN EXISTS (SELECT FROM deals p WHERE p.id = record_id) "
            "WHEN 'contact' THEN EXISTS (SELECT FROM contacts p WHERE p.id = record_id) "
            "ELSE false END"
        )
        return _rows(visible, visible)
    if table in CATALOGUES:
        return _rows("true", may(CATALOGUES[table], "edit"))
    if table in OBJECT_TABLES:
        obj = OBJECT_TABLES[table]
        return _rows(may(obj, "read"), may(obj, "edit"))
    if table in ADMIN_TABLES:
        return _rows("true", may("users", "edit"))
    if table in LEDGERS:
        return _rows("true", "true")
    if table == "audit_log":
        return {"read": ("SELECT", _audit_visible(), None), "write": ("INSERT", None, "true")}
    return {}


def _customer_ledger(table: str) -> dict[str, tuple[str, str | None, str | None]]:
    """A tier move or a points line: read with its company or contact, changed or deleted
    by those who may edit the customer. Added by them too, or for a payment the login can
    see (whoever records a payment moves its customer's tier and earns them its points), or,
    for points, an expiry (which only takes points away)."""
    edit = {t: " AND " + owned(t, "edit", "p.owner_id") for t in ("companies", "contacts")}
    arms = {
        kind: (
            f"CASE WHEN company_id IS NOT NULL THEN EXISTS (SELECT FROM companies p WHERE "
            f"p.id = company_id{mine.get('companies', '')}) ELSE EXISTS (SELECT FROM contacts p "
            f"WHERE p.id = contact_id{mine.get('contacts', '')}) END"
        )
        for kind, mine in (("read", {}), ("edit", edit))
    }
    paid = "EXISTS (SELECT FROM payments p WHERE p.id = payment_id)"
    added = f"{arms['read']} AND ({arms['edit']} OR {paid}"
    added += " OR (kind = 'expire' AND points < 0))" if table == "points_entries" else ")"
    return {
        "read": ("SELECT", arms["read"], None),
        "create": ("INSERT", None, added),
        "edit": ("UPDATE", arms["edit"], arms["edit"]),
        "delete": ("DELETE", arms["edit"], None),
    }


def _rows(visible: str, writable: str) -> dict[str, tuple[str, str | None, str | None]]:
    return {
        "read": ("SELECT", visible, None),
        "create": ("INSERT", None, writable),
        "edit": ("UPDATE", writable, writable),
        "delete": ("DELETE", writable, None),
    }


def _audit_visible() -> str:
    """An audit entry is read by whoever may read the record it is about; one about anything
    else (users, campaigns, an import, a whole table) by admins and by the login that made
    it."""
    mine = f"login = current_user OR {may('users', 'edit')}"
    arms = " ".join(
        f"WHEN object IN ('{t}', '{one}') THEN EXISTS (SELECT FROM {t} r WHERE r.id = record_id)"
        for t, one in SINGULAR.items()
    )
    return f"CASE WHEN record_id IS NULL THEN {mine} {arms} ELSE {mine} END"


def _policies(conn: Connection, table: str) -> None:
    rules = _policy_rules(table)
    if not rules:
        return
    q = quoted(table)
    conn.exec_driver_sql(f"ALTER TABLE {q} ENABLE ROW LEVEL SECURITY")
    conn.exec_driver_sql(f"ALTER TABLE {q} FORCE ROW LEVEL SECURITY")
    existing = conn.execute(
        text(
            "SELECT policyname FROM pg_policies "
            "WHERE tablename = :t AND schemaname = current_schema()"
        ),
        {"t": table},
    ).scalars()
    for name in list(existing):
        if name.startswith("crm_"):
            conn.exec_driver_sql(f"DROP POLICY {quoted(name)} ON {q}")
    conn.exec_driver_sql(
        f"CREATE POLICY crm_owner_all ON {q} TO {OWNER} USING (true) WITH CHECK (true)"
    )
    for name, (command, using, check) in rules.items():
        sql = f"CREATE POLICY crm_{name} ON {q} FOR {command} TO {PEOPLE}, {CRON}"
        sql += f" USING ({using})" if using else ""
        sql += f" WITH CHECK ({check})" if check else ""
        conn.exec_driver_sql(sql)
    if table in OWNED:
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS crm_assign ON {q}")
        conn.exec_driver_sql(
            f"CREATE TRIGGER crm_assign BEFORE UPDATE OF owner_id ON {q} FOR EACH ROW "
            f"EXECUTE FUNCTION crm_check_assign({_literal(table)})"
        )
    if table in AUDITED:
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS crm_log_sql ON {q}")
        conn.exec_driver_sql(
            f"CREATE TRIGGER crm_log_sql AFTER INSERT OR UPDATE OR DELETE ON {q} "
            "FOR EACH ROW EXECUTE FUNCTION crm_log_sql()"
        )
    if table == "audit_log":
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS crm_stamp_login ON {q}")
        conn.exec_driver_sql(
            f"CREATE TRIGGER crm_stamp_login BEFORE INSERT ON {q} FOR EACH ROW "
            "EXECUTE FUNCTION crm_stamp_login()"
        )


# --- logins ------------------------------------------------------------------------------------


def _user_logins(conn: Connection) -> list[str]:
    """Each user's recorded login made (without a password) when missing, and in the group."""
    logins = [
        str(x)
        for x in conn.exec_driver_sql(
            "SELECT db_login FROM users WHERE db_login IS NOT NULL ORDER BY db_login"
        ).scalars()
    ]
    for login in logins:
        ensure_login(conn, login=login, password=None)
    return logins


def check_login_name(login: str) -> str:
    name = login.strip()
    if not name or len(name.encode()) > 63:
        raise InvalidInput("login", login, "a login is 1 to 63 bytes")
    if name.lower().startswith("pg_") or name in ROLES or name.lower() == "public":
        raise InvalidInput("login", login, "that name is reserved")
    if any(c in name for c in '"\0') or not name.isprintable():
        raise InvalidInput("login", login, "a login cannot hold quotes or control characters")
    return name


def ensure_login(conn: Connection, *, login: str, password: str | None) -> None:
    """The LOGIN role `login`, a member of the people's group, never a superuser, never able
    to bypass row-level security, create roles or databases; made when missing."""
    require_server(conn)
    found = conn.execute(
        text(
            "SELECT rolsuper, rolbypassrls, rolcreaterole, "
            "pg_has_role(rolname, :owner, 'MEMBER') FROM pg_roles WHERE rolname = :r"
        ),
        {"r": login, "owner": OWNER},
    ).first()
    if found is not None and any(found):
        raise ServerError(
            f"the login {login!r} is a superuser, bypasses row-level security, creates roles or "
            "owns tinycrm's tables: a person's login may not",
            field="login",
        )
    q = quoted(login)
    if found is None:
        conn.exec_driver_sql(f"CREATE ROLE {q} LOGIN")
    conn.exec_driver_sql(f"ALTER ROLE {q} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB")
    if password is not None:
        conn.exec_driver_sql(f"ALTER ROLE {q} PASSWORD {_literal(_scram(conn, login, password))}")
    conn.exec_driver_sql(f"GRANT {PEOPLE} TO {q}")


def _scram(conn: Connection, login: str, password: str) -> str:
    """The password as the server stores it, so the clear text never reaches its logs."""
    raw = conn.connection.driver_connection
    pgconn = getattr(raw, "pgconn", None)
    if pgconn is None:
        raise ServerError("setting a password needs the psycopg driver", field="password")
    hashed: bytes = pgconn.encrypt_password(password.encode(), login.encode(), b"scram-sha-256")
    return hashed.decode()


def current_login(conn: Connection) -> str | None:
    """The database login this connection acts as (PostgreSQL), else None."""
    if conn.dialect.name != "postgresql":
        return None
    return str(conn.exec_driver_sql("SELECT current_user").scalar())


def give_login(session: Session, *, user_id: int, login: str, password: str | None) -> str:
    """Record `login` as the user's database login and, on the team server, make it: a
    LOGIN role in the people's group (with `password`, or none where the server trusts the
    machine). On a SQLite file the login is only recorded: `prepare_server` makes it after
    the move."""
    from tinycrm.errors import Conflict
    from tinycrm.models import User

    name = check_login_name(login)
    other = session.scalars(select(User).where(col(User.db_login) == name)).first()
    if other is not None and other.id != user_id:
        raise Conflict(f"login: user #{other.id} {other.name!r} already has the login {name!r}")
    user = session.get(User, user_id)
    if user is None:
        raise InvalidInput("user", user_id, "no such user")
    user.db_login = name
    session.add(user)
    session.flush()
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        if password is not None:
            raise InvalidInput("password", None, "a password is kept by the team server only")
        return name
    _check_admin(conn)
    ensure_login(conn, login=name, password=password)
    return name
