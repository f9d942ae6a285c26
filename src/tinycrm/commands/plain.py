"""Reading plain option values (text, whole numbers, yes/no, a choice) without Pydantic,
through public APIs only.

Typer turns each option's text into its annotated type through a Pydantic TypeAdapter, and
the first one imports Pydantic and builds its schema machinery: about 90 ms, more than a
whole `crm remind` needs once the file is open. So each command (`commands.base.Command`
and `Group`, the classes Typer's public `cls=` asks for) `adopt`s its parameters: one whose
annotation (read from the command's function with `typing.get_type_hints`) is a plain type
gets its value through `_Plain` by click's public `Parameter.process_value`; anything else
(lists, ranges, files, a custom parser), and a required value that is missing, keeps
Typer's way.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any, Union, get_args, get_origin

from typer import BadParameter
from typer.core import TyperCommand, TyperGroup

__all__ = ["TyperCommand", "TyperGroup", "adopt", "adopt_flag", "adopted"]

PLAIN = (str, int, bool)
WHOLE = range(-(2**63), 2**63)
"""The whole numbers an option takes: what a 64-bit integer column holds, so an id, a limit
or a count is refused here, in one line, rather than overflowing deep in the database."""


def adopt(command: Any) -> None:
    """Read `command`'s plain-typed parameters with `_Plain` (see the module's docstring)."""
    callback = getattr(command, "callback", None)
    if callback is None:
        return
    try:
        hints = typing.get_type_hints(inspect.unwrap(callback), include_extras=True)
        # and what a wrapper adds (`--columns` on every list, see `commands.base`)
        hints.update(typing.get_type_hints(callback, include_extras=True))
    except (NameError, TypeError):  # pragma: no cover - an annotation we cannot resolve
        return
    for param in command.params:
        plain = _plain(hints.get(param.name or ""), param)
        if plain is not None:
            param.process_value = _processor(param, plain, param.process_value)


def adopt_flag(param: Any) -> Any:
    """Read a yes/no flag made outside the command's function (click's `--help`) plainly."""
    if param is not None and not adopted(param):
        param.process_value = _processor(param, _Plain(bool), param.process_value)
    return param


def adopted(param: Any) -> bool:
    """Whether `param` is read by `_Plain` (for the tests)."""
    return getattr(param.process_value, "plain", False) is True


def _processor(param: Any, plain: _Plain, typers: Callable[..., Any]) -> Callable[..., Any]:
    def process_value(ctx: Any, value: Any) -> Any:
        if value is None and param.required:
            return typers(ctx, value)  # Typer's own "Missing option" message
        if value is not None:
            value = plain.coerce(value, param, ctx)
        if param.callback is not None:
            value = param.callback(ctx, param, value)
        return value

    process_value.plain = True  # type: ignore[attr-defined]
    return process_value


def _plain(annotation: Any, param: Any) -> _Plain | None:
    if annotation is None or getattr(param, "multiple", False) or param.nargs != 1:
        return None
    info = None
    if get_origin(annotation) is typing.Annotated:
        annotation, *extras = get_args(annotation)
        info = next((e for e in extras if hasattr(e, "parser")), None)
    if info is not None and (
        getattr(info, "parser", None) is not None
        or getattr(info, "click_type", None) is not None
        or getattr(info, "clamp", False)
    ):
        return None
    low, high = getattr(info, "min", None), getattr(info, "max", None)
    target = annotation
    if get_origin(target) in (Union, types.UnionType):
        args = [a for a in get_args(target) if a is not type(None)]
        if len(args) != 1:
            return None
        target = args[0]
    if not (target in PLAIN or (isinstance(target, type) and issubclass(target, Enum))):
        return None
    if (low is not None or high is not None) and target is not int:
        return None
    return _Plain(
        target=target,
        low=WHOLE.start if low is None else max(int(low), WHOLE.start),
        high=WHOLE.stop - 1 if high is None else min(int(high), WHOLE.stop - 1),
    )


@dataclass(frozen=True)
class _Plain:
    """Text to the annotated plain type, refused with one line naming the value."""

    target: type
    low: int = WHOLE.start
    high: int = WHOLE.stop - 1

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        target = self.target
        if isinstance(value, target) and not (target is int and isinstance(value, bool)):
            return value
        text = str(value)
        if target is str:
            return text
        if target is int:
            try:
                number = int(text.strip())
            except ValueError:
                message = f"{text!r} is not a whole number"
                raise BadParameter(message, ctx=ctx, param=param) from None
            if number > self.high:
                message = f"{text!r} is too large (at most {self.high})"
                raise BadParameter(message, ctx=ctx, param=param)
            if number < self.low:
                message = f"{text!r} is too small (at least {self.low})"
                raise BadParameter(message, ctx=ctx, param=param)
            return number
        if target is bool:
            word = text.strip().lower()
            if word in ("1", "true", "yes", "y", "on"):
                return True
            if word in ("0", "false", "no", "n", "off"):
                return False
            raise BadParameter(f"{text!r} is not yes or no", ctx=ctx, param=param)
        try:
            return target(text)
        except ValueError:
            names = ", ".join(repr(m.value) for m in target)  # type: ignore[attr-defined]
            message = f"{text!r} is not one of {names}"
            raise BadParameter(message, ctx=ctx, param=param) from None
