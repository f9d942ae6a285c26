"""Finding a user by what a person types, over a list already read (the team is small).

Kept free of SQLAlchemy so the cron path (`crm remind`) can use the same rules as every
other command."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

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


def is_id(ref: str) -> bool:
    return ref.strip().lstrip("#").isdigit()


def as_id(ref: object, what: str) -> int:
    try:
        return int(str(ref).strip().lstrip("#"))
    except ValueError:
        raise InvalidInput(what, ref, "not an id") from None


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
