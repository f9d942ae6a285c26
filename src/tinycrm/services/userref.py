"""Finding a user by what a person types, over a list already read (the team is small), and
the plain-SQL lookups built on it.

Kept free of SQLAlchemy so the cron path (`crm remind`) and the prepared reads can use the
same rules as every other command."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from tinycrm.db.plain_sql import Sql
from tinycrm.errors import Ambiguous, InvalidInput, NotFound
from tinycrm.normalize import name_key

T = TypeVar("T")


class UserLike(Protocol):
    @property
    def id(self) -> int | None: ...
    @property
    def name(self) -> str: ...
    @property
    def name_key(self) -> str: ...
    @property
    def email(self) -> str | None: ...


U = TypeVar("U", bound=UserLike)


MAX_ID = 2**63 - 1
"""The largest id a table can hold: a larger number is no record's id (and would overflow
the database's integer before it could say so)."""


def is_id(ref: str) -> bool:
    """`42` or `#42`: a number that can be an id (a longer one is a name, or nothing)."""
    digits = ref.strip().lstrip("#")
    if not digits.isdigit() or len(digits) > len(str(MAX_ID)):
        return False
    try:
        return int(digits) <= MAX_ID
    except ValueError:  # digits int() does not read, like ²: as_id says it is not an id
        return True


def as_id(ref: object, what: str) -> int:
    """`ref` as an id; a number too large to be one matches no record."""
    try:
        number = int(str(ref).strip().lstrip("#"))
    except ValueError:
        raise InvalidInput(what, ref, "not an id") from None
    if abs(number) > MAX_ID:
        raise NotFound(what, ref)
    return number


def pick_user(users: Sequence[U], ref: str) -> U:
    """A user by id, email, full name, or a unique prefix of their name or of a word in it."""
    ref = ref.strip()
    if is_id(ref):
        wanted = as_id(ref, "user")
        for user in users:
            if user.id == wanted:
                return user
    if "@" in ref:
        return one([u for u in users if u.email == ref.lower()], "user", ref)
    key = name_key(ref)
    for user in users:
        if user.name_key == key:
            return user
    found = [
        u
        for u in users
        if u.name_key.startswith(key)
        or any(word.startswith(key) for word in u.name_key.split()[1:])
    ]
    return one(sorted(found, key=lambda u: u.id or 0)[:6], "user", ref)


def one(rows: Sequence[T], what: str, ref: str, label: str = "name") -> T:
    if len(rows) == 1:
        return rows[0]
    if not rows:
        raise NotFound(what, ref)
    raise Ambiguous(what, ref, [f"#{_id(r)} {getattr(r, label)}" for r in rows])


def _id(row: object) -> object:
    return getattr(row, "id", None)


def recipient(sql: Sql, me: str | None, login: str | None) -> int:
    """The user a run delivers to: the one `me` names (--as, CRM_USER, the config), else the
    one whose OS login is `login`; 0 when nobody is."""
    if me:
        return find_owner(sql, me)[0]
    if login:
        found = sql.rows("SELECT id FROM users WHERE os_login = :login", login=login)
        if found:
            return int(found[0][0])
    return 0


def find_owner(sql: Sql, ref: str) -> tuple[int, str]:
    """The user `ref` names (same rules as every other command)."""
    users = [
        _User(id=r[0], name=r[1], name_key=r[2], email=r[3])
        for r in sql.rows("SELECT id, name, name_key, email FROM users ORDER BY id")
    ]
    user = pick_user(users, ref)
    return user.id, user.name


@dataclass(frozen=True)
class _User:
    id: int
    name: str
    name_key: str
    email: str | None
