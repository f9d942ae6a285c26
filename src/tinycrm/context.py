"""Who and where a run of tinycrm is: the database, the acting user, the clock and the time
zone, and the parsing of what a person types against them. Both faces use it: the CLI makes
one per invocation (`begin`), the app one per session."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, tzinfo
from functools import cached_property
from typing import TYPE_CHECKING

from tinycrm.errors import CrmError, InvalidInput

if TYPE_CHECKING:
    from pathlib import Path

    from sqlmodel import Session

    from tinycrm.config import Settings
    from tinycrm.db.plain_sql import Sql
    from tinycrm.db.store import Database
    from tinycrm.models import User
    from tinycrm.money import Money
    from tinycrm.services.access import Actor


@dataclass
class AppState:
    db_path: str | None = None
    as_user: str | None = None
    source: str = "cli"
    """Where changes come from, for the audit log: cli, app, import, cron or restore."""
    _db: Database | None = field(default=None, repr=False)
    _access: tuple[Actor | None] | None = field(default=None, repr=False)

    @cached_property
    def settings(self) -> Settings:
        from tinycrm.config import load_settings

        return load_settings(db_path=self.db_path)

    def database(self, *, create: bool = False) -> Database:
        """The database, opened once. A named SQLite file that is not there is refused
        unless `create` (`crm init`, `crm demo`): a mistyped `--db` is not a new, empty
        database. The default file is created on first use."""
        if self._db is None:
            from tinycrm.db.store import open_database

            create = create or not self.settings.named_database
            self._db = open_database(self.settings, create=create)
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.engine.dispose()
            self._db = None

    @contextmanager
    def session(self, *, write: bool) -> Iterator[Session]:
        """A session held to the acting user's grants (`services.access`); unrestricted
        when nobody is acting. Its changes are logged (`services.audit`) as the acting
        user's, from `source`, at `now()`."""
        import tinycrm.services.audit  # noqa: F401  (its hooks log every change)
        from tinycrm.db.store import session_scope

        info = {"actor": self.access(), "source": self.source, "clock": self.now}
        with session_scope(self.database(), write=write, info=info) as session:
            yield session

    def access(self) -> Actor | None:
        """Whom this run acts for, with their grants: the user named by --as, CRM_USER or
        the config, else the one whose OS login this is; None when nobody is."""
        if self._access is None:
            from tinycrm.db.store import session_scope
            from tinycrm.services.access import load_actor

            with session_scope(self.database(), write=False) as session:
                user = self._acting_user(session)
                self._access = (load_actor(session, user, source=self.source),) if user else (None,)
        return self._access[0]

    def sqlite_file(self) -> Path | None:
        """The SQLite file the database is, or None for a server (or an in-memory one)."""
        from pathlib import Path

        url = self.settings.database_url
        if not url:
            return self.settings.sqlite_path
        for prefix in ("sqlite:///", "sqlite+pysqlite:///"):
            if url.startswith(prefix) and url[len(prefix) :] not in ("", ":memory:"):
                return Path(url[len(prefix) :].split("?", 1)[0])
        return None

    @contextmanager
    def plain_reader(self, *grants: tuple[str, str]) -> Iterator[Callable[[], Sql | None]]:
        """An opener of the database through the standard library for a prepared read
        (`db.prepared`), called once the read knows it has a prepared statement. It gives
        the file in one read transaction (so a read of several statements sees one
        state) when it is a current SQLite file and whoever acts reads every record (and
        holds each of `grants`, e.g. `("reports", "read")`, for every record); else None,
        and the caller goes through the ORM, which upgrades an old file, makes the default
        one, speaks to a server, holds a rep to their own records and words every error.
        A file locked past the wait is an error here, not waited for twice."""
        opened: list[Sql | None] = []

        def open_sql() -> Sql | None:
            if not opened:
                opened.append(self._plain_sql(grants))
            return opened[0]

        try:
            yield open_sql
        finally:
            if opened and opened[0] is not None:
                opened[0].conn.close()  # ends the read transaction

    def _plain_sql(self, grants: tuple[tuple[str, str], ...]) -> Sql | None:
        from tinycrm.db.plain_sql import open_sqlite
        from tinycrm.errors import DatabaseError

        path = self.sqlite_file()
        if path is None or any(c in str(path) for c in "%?"):  # URL-quoted: the ORM's way
            return None
        try:
            sql = open_sqlite(path)
        except DatabaseError as exc:
            if "locked" in exc.message or "busy" in exc.message:
                raise
            return None  # unreadable, a folder: the ORM's path says what it is
        except CrmError:  # not there yet: the default file is made on first use
            return None
        if sql is None:
            return None
        try:
            sql.begin_read()
            if self._reads_everything(sql, grants):
                return sql
        except BaseException:
            sql.conn.close()
            raise
        sql.conn.close()
        return None

    def _reads_everything(self, sql: Sql, grants: tuple[tuple[str, str], ...]) -> bool:
        """Whether the acting user (as `access` picks them, read plainly) reads every
        record of every object, and holds `grants` for every record: nobody acting, or a
        role whose read grants (and those) are all `all`."""
        from tinycrm.services.reach import reach_of, reaches_every_record
        from tinycrm.services.userref import recipient

        try:
            user_id = recipient(sql, self.me, os_login())
            reach = reach_of(sql, user_id)
        except CrmError:
            return False
        if reach is None:
            return True
        return all(owners is None for owners in reach.values()) and all(
            reaches_every_record(sql, user_id, obj, action) for obj, action in grants
        )

    def forget_access(self) -> None:
        """Pick the acting user again (the app, once someone says who they are)."""
        self._access = None

    def _acting_user(self, session: Session) -> User | None:
        ref = self.me
        user: User | None
        if ref:
            from tinycrm.services.refs import resolve_user

            try:
                user = resolve_user(session, ref)
            except CrmError as exc:
                raise CrmError(exc.message, field="acting user") from None
            if (mine := _login_user(session)) is not None and mine.id != user.id:
                raise NotYourLogin(mine, user)
        else:
            user = _login_user(session) or _os_user(session)
        if user is not None and not user.active:
            raise CrmError(f"{user.name} is deactivated and can no longer act", field="acting user")
        return user

    @cached_property
    def tz(self) -> tzinfo:
        from tinycrm.dates import user_timezone

        return user_timezone(self.settings.timezone)

    def now(self) -> datetime:
        """The current time; `CRM_NOW` (ISO 8601) pretends it is another moment."""
        if fake := os.environ.get("CRM_NOW"):
            try:
                moment = datetime.fromisoformat(fake)
            except ValueError:
                raise InvalidInput("CRM_NOW", fake, "not an ISO 8601 time") from None
            return (moment if moment.tzinfo else moment.replace(tzinfo=self.tz)).astimezone(UTC)
        return datetime.now(UTC)

    def today(self) -> date:
        return self.now().astimezone(self.tz).date()

    @property
    def me(self) -> str | None:
        """Who is acting, as given (--as, CRM_USER or the config's `user`); None when unset."""
        return self.as_user or self.settings.user or None

    def actor(self, session: Session) -> User | None:
        """The acting user (see `access`) as a row of `session`; None when nobody acts."""
        from tinycrm.models import User

        acting = self.access()
        return None if acting is None else session.get(User, acting.user_id)

    def when(self, text: str | None, field: str) -> datetime | None:
        """A moment typed by the user; a bare date is the start of that day in their zone."""
        if text is None:
            return None
        from tinycrm.dates import parse_datetime

        return parse_datetime(text, now=self.now(), tz=self.tz, field=field)

    def due(self, text: str | None, field: str) -> datetime | None:
        """A due time typed by the user; a bare date (`tomorrow`, `fri`) is due when that
        working day starts (`workday_start`, 09:00 unless configured), not at midnight."""
        if text is None:
            return None
        from tinycrm.dates import parse_datetime

        return parse_datetime(
            text, now=self.now(), tz=self.tz, field=field, day_starts=self.workday_start
        )

    @cached_property
    def workday_start(self) -> time:
        from tinycrm.dates import workday_start

        return workday_start(self.settings.workday_start)

    def day(self, text: str | None, field: str) -> date | None:
        if text is None or not text.strip():
            return None
        from tinycrm.dates import parse_date

        return parse_date(text, today=self.today(), field=field)

    @cached_property
    def yen(self) -> str:
        """What `¥` means in a typed amount: the `yen_currency` setting, else CNY or JPY from
        the locale's language, else "" (then `¥` alone is refused as ambiguous)."""
        from tinycrm.config import locale_language
        from tinycrm.money import yen_of

        return yen_of(self.settings.yen_currency, language=locale_language())

    def money(
        self, text: str | None, field: str, currency: str | None = None, *, fixed_by: str = ""
    ) -> Money | None:
        """`text` as Money, in the currency written in it, else `currency` (default: the
        configured one); with `fixed_by`, one written in another currency is refused."""
        if text is None:
            return None
        from tinycrm.money import parse_money

        return parse_money(
            text,
            currency=currency or self.settings.currency,
            yen=self.yen,
            field=field,
            fixed_by=fixed_by,
        )


_current = AppState()


def begin(new: AppState) -> AppState:
    """Make `new` the state of this invocation (the root callback calls this)."""
    global _current
    _current = new
    return new


def state() -> AppState:
    return _current


def describe(db: Database) -> str:
    return str(db.sqlite_path or db.engine.url.render_as_string(hide_password=True))


class NotYourLogin(CrmError):
    """On the team server a person's own login acts as them and nobody else (exit 4)."""

    exit_code = 4

    def __init__(self, mine: User, named: User) -> None:
        super().__init__(
            f"this connection is {mine.name}'s database login ({mine.db_login}): "
            f"it cannot act as {named.name}",
            field="acting user",
        )


def _login_user(session: Session) -> User | None:
    """On PostgreSQL, the user whose database login this connection is (`users.db_login`):
    row-level security holds the connection to that user's grants, so the app does too."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    from sqlalchemy import func
    from sqlmodel import select

    from tinycrm.models import User

    return session.scalars(select(User).where(User.db_login == func.current_user())).first()


def _os_user(session: Session) -> User | None:
    """The user mapped to the OS login running tinycrm (`crm user edit ana --os-login ana`)."""
    from sqlmodel import select

    from tinycrm.models import User

    login = os_login()
    if login is None:
        return None
    return session.scalars(select(User).where(User.os_login == login)).first()


def os_login() -> str | None:
    """The OS login running this (mapped to a user with `crm user edit NAME --os-login`)."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None
