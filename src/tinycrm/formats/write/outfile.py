"""Files tinycrm writes (`-o` of export and backup, the rejects of an import, the app's
export): private, whole or not at all, and never written through a link.

Each is written to a new temporary file beside its target, created with
O_CREAT|O_EXCL|O_NOFOLLOW and mode 0600 (so it can be neither an existing file nor a link
someone planted), then renamed over the target with os.replace(), which replaces a link
at the target rather than the file it points to. The temporary file is created when the
block starts: a place that cannot be written is refused before the caller does any work.
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import IO, Any, BinaryIO, TextIO, TypeVar

from tinycrm.errors import Conflict, InvalidInput

FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
MODE = 0o600
ATTEMPTS = 100
Out = TypeVar("Out", TextIO, BinaryIO)


def create_private(path: Path) -> int:
    """A new file at `path`, mode 0600, open for writing; never an existing file or link
    (FileExistsError then)."""
    fd = os.open(path, FLAGS, MODE)
    os.fchmod(fd, MODE)  # exactly 0600, whatever the umask
    return fd


def temp_name(target: Path) -> Path:
    """A fresh name beside `target` for the file that will replace it."""
    return target.with_name(f".{target.name}.{secrets.token_hex(6)}.part")


def create_temp(target: Path) -> tuple[int, Path]:
    """A new private temporary file beside `target`: its descriptor and its path. A name
    already taken (by anything, a link too) is passed over for another."""
    for _ in range(ATTEMPTS):
        temp = temp_name(target)
        try:
            return create_private(temp), temp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {target}")


def private_file(path: str, *, field: str, replace: bool = True) -> AbstractContextManager[TextIO]:
    """Write `path` (UTF-8 text, line ends as written) through a private temporary file.
    When the block ends without error the file is synced and moved into place; on an error
    it is removed and `path` is as it was. With `replace=False` a `path` that exists (or
    appears meanwhile) is a Conflict and is left alone.

    Problems name `field` and the path as given: InvalidInput (exit 2)."""
    return _private(path, field, replace, _text)


def private_binary_file(
    path: str, *, field: str, replace: bool = True
) -> AbstractContextManager[BinaryIO]:
    """`private_file` for bytes."""
    return _private(path, field, replace, _binary)


@contextmanager
def _private(path: str, field: str, replace: bool, opened: Callable[[int], Out]) -> Iterator[Out]:
    target = Path(path)
    if target.is_dir():
        raise InvalidInput(field, path, "is a folder, not a file")
    if not replace and os.path.lexists(target):
        raise Conflict(f"{path} already exists")
    try:
        fd, temp = create_temp(target)
    except OSError as exc:
        raise _unwritable(field, path, exc) from None
    try:
        try:
            with opened(fd) as out:
                yield out
                sync(out)
            _move(temp, target, path, replace=replace)
        except BrokenPipeError:
            raise
        except OSError as exc:  # a full disk, most likely
            raise _unwritable(field, path, exc) from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def sync(out: IO[Any]) -> None:
    """Everything written so far is on disk: call it inside a transaction, so that a full
    disk rolls the transaction back rather than losing the file after the commit."""
    out.flush()
    os.fsync(out.fileno())


def _text(fd: int) -> TextIO:
    return os.fdopen(fd, "w", encoding="utf-8", newline="")


def _binary(fd: int) -> BinaryIO:
    return os.fdopen(fd, "wb")


def _move(temp: Path, target: Path, path: str, *, replace: bool) -> None:
    if replace:
        os.replace(temp, target)
        return
    try:  # a hard link fails when the target appeared meanwhile: nothing is replaced
        os.link(temp, target, follow_symlinks=False)
    except FileExistsError:
        raise Conflict(f"{path} already exists") from None
    temp.unlink()


def _unwritable(field: str, path: str, exc: OSError) -> InvalidInput:
    return InvalidInput(field, path, f"cannot write there ({exc.strerror or exc})")


@contextmanager
def output_file(path: str, *, field: str) -> Iterator[TextIO]:
    """Standard output for `-`; otherwise a private file written whole, through no link
    (`private_file`)."""
    if path == "-":
        yield sys.stdout
        return
    with private_file(path, field=field) as out:
        yield out
