"""What an import does before it takes the write lock: read what converting rows depends on,
and keep the converted rows until the write.

Reading, mapping and converting the rows of a file is most of an import's time and needs no
lock, so an import does all of it first and writes afterwards, in one short transaction
(see `imports`). Converting reads only the users (owners by name or email) and the stages
(deals): a `Snapshot` of them is taken with a read of its own, and taken again inside the
write transaction; when another writer changed them in between, the rows are converted again
there. The prepared rows wait in a `Spill`, an anonymous temporary file, so memory stays flat
however long the file, and nothing is left behind, even by `kill -9`.
"""

from __future__ import annotations

import gc
import pickle
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, select
from sqlmodel import Session

from tinycrm.errors import CrmError
from tinycrm.models import Stage, User
from tinycrm.models.base import table_of


@dataclass(frozen=True)
class UserKey:
    """A user as owner columns are resolved against."""

    id: int
    name_key: str
    email: str | None


@dataclass(frozen=True)
class StageRow:
    """A stage as deal rows are converted against (a plain value: it is spilled with them)."""

    id: int
    name: str
    name_key: str
    kind: str
    position: int


@dataclass(frozen=True)
class Snapshot:
    users: tuple[UserKey, ...]
    stages: tuple[StageRow, ...]
    """In pipeline order."""


def read_snapshot(session: Session) -> Snapshot:
    """The users and stages, read in the session's transaction when it has one, else in a
    short read of its own (so that no write lock is taken or waited for)."""
    with _reading(session) as conn:
        u, s = table_of(User).c, table_of(Stage).c
        users = conn.execute(select(u.id, u.name_key, u.email).order_by(u.id))
        stages = conn.execute(
            select(s.id, s.name, s.name_key, s.kind, s.position).order_by(s.position, s.id)
        )
        return Snapshot(
            tuple(UserKey(*row) for row in users), tuple(StageRow(*row) for row in stages)
        )


@contextmanager
def _reading(session: Session) -> Iterator[Connection]:
    bind = session.get_bind()
    if session.in_transaction() or isinstance(bind, Connection):
        yield session.connection()
        return
    with bind.execution_options(crm_write=False).connect() as conn:  # SQLite: a deferred BEGIN
        yield conn


@contextmanager
def paused_gc() -> Iterator[None]:
    """Python's cycle collector paused for an import, which makes and drops millions of small
    objects that form no cycles: each collection walks every live object again, a third of
    the write's time on 200k rows. What is cyclic is collected once it ends."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


Prepared = list[tuple[Any, Any]]
"""One chunk of prepared rows: (the row as read, what converting it gave)."""


class Spill:
    """The prepared chunks of one import, in an anonymous temporary file (in TMPDIR), read
    back in order: pickled (the file is this process's own, created unlinked where the
    system allows, else removed at once) and compressed, about 130 bytes a contact."""

    def __init__(self) -> None:
        try:
            self.file = tempfile.TemporaryFile()
        except OSError as exc:
            raise _unwritable(exc) from None
        self.sizes: list[int] = []

    def put(self, chunk: Prepared) -> None:
        data = zlib.compress(pickle.dumps(chunk, protocol=pickle.HIGHEST_PROTOCOL), 1)
        try:
            self.file.write(data)
        except OSError as exc:
            raise _unwritable(exc) from None
        self.sizes.append(len(data))

    def __iter__(self) -> Iterator[Prepared]:
        self.file.seek(0)
        for size in self.sizes:
            data = zlib.decompress(self.file.read(size))
            yield pickle.loads(data)  # noqa: S301 - written above by this process

    def __enter__(self) -> Spill:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.file.close()


def _unwritable(exc: OSError) -> CrmError:
    return CrmError(
        f"cannot keep the rows being imported in {tempfile.gettempdir()}: "
        f"{exc.strerror or exc}; nothing was imported (set TMPDIR to a folder with room)"
    )
