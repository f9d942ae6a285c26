"""`crm backup` and `crm restore`: the whole database as one portable archive, and that
archive loaded into an empty SQLite file or PostgreSQL database (the move to a team
server)."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from pathlib import Path
from typing import IO, Annotated

import typer

from tinycrm.context import describe, state
from tinycrm.db.revision import HEAD_REVISION
from tinycrm.errors import Conflict, CrmError, InvalidInput
from tinycrm.formats.write.outfile import private_binary_file
from tinycrm.words import plural


def backup(
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Where to write it, or - for standard output "
            "(default: crm-backup-<UTC time>.zip here).",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace FILE when it already exists.")
    ] = False,
) -> None:
    """Write every table to one portable archive (zip of JSON lines), from a consistent
    snapshot, while others keep working. It holds every record, so only a user whose grants
    reach every record (an admin) may make one."""
    from tinycrm.db.store import open_database
    from tinycrm.services.access import require_everything
    from tinycrm.services.backup.dump import backup_database

    st = state()
    now = st.now()
    target = output or f"crm-backup-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}.zip"
    with archive_file(target, force=force) as out:
        with st.session(write=False) as session:
            require_everything(session)
        db = open_database(st.settings, create=False)
        try:
            manifest = backup_database(db.engine, out, now=now)
        finally:
            db.engine.dispose()
    tables = plural(len(manifest.members), "table")
    where = "standard output" if target == "-" else target
    typer.echo(
        f"backed up {plural(manifest.rows, 'row')} in {tables} (schema {manifest.revision}) "
        f"to {where}",
        err=True,
    )
    if manifest.left_out:
        typer.echo(f"left out tables not tinycrm's: {', '.join(manifest.left_out)}", err=True)


@contextmanager
def archive_file(path: str, *, force: bool) -> Iterator[IO[bytes]]:
    """Standard output for `-`; otherwise a private file written whole, through no link
    (`formats.outfile`): a link at the target is replaced, never the file it points to."""
    if path == "-":
        if sys.stdout.isatty():
            raise InvalidInput("--output", path, "standard output is a terminal; redirect it")
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    if os.path.lexists(path) and not force and not os.path.isdir(path):
        raise Conflict(f"{path} already exists; --force replaces it")
    with private_binary_file(path, field="--output", replace=force) as out:
        yield out


def restore(
    archive: Annotated[
        str, typer.Argument(metavar="FILE", help="The backup to load, or - for standard input.")
    ],
) -> None:
    """Load a backup into an empty database (--db, CRM_DB or CRM_DATABASE_URL): a new SQLite
    file, or a PostgreSQL database with no tables or only what `crm init` made."""
    from tinycrm.db.store import Database, make_engine, sqlite_file
    from tinycrm.services.backup.restore import restore_backup

    st = state()
    settings = st.settings
    path = sqlite_file(settings.url)
    new_file = path is not None and not path.exists()
    with archive_source(archive) as source:
        db = Database(engine=make_engine(settings.url), settings=settings)
        try:
            restored = restore_backup(db, source, name=archive)
        except BaseException:
            db.engine.dispose()
            if new_file and path is not None:  # a failed restore leaves no file behind
                for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                    leftover.unlink(missing_ok=True)
            raise
        db.engine.dispose()
    manifest = restored.manifest
    taken = manifest.taken_at.strftime("%Y-%m-%d %H:%M UTC")
    upgraded = f", upgraded to schema {HEAD_REVISION}" if restored.upgraded else ""
    typer.echo(
        f"restored {plural(manifest.rows, 'row')} in {plural(len(manifest.members), 'table')} "
        f"(backup of {taken}, schema {manifest.revision}{upgraded}) into {describe(db)}"
    )


@contextmanager
def archive_source(path: str) -> Iterator[IO[bytes]]:
    """The archive to read; standard input is copied to a temporary file first (a zip is
    read from its end)."""
    if path == "-":
        with tempfile.TemporaryFile() as spool:
            shutil.copyfileobj(sys.stdin.buffer, spool)
            spool.seek(0)
            yield spool
        return
    try:
        source = open(path, "rb")  # noqa: SIM115
    except OSError as exc:
        raise CrmError(f"cannot read {path}: {exc.strerror}") from None
    with source:
        yield source
