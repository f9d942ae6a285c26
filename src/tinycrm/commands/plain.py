"""Reading plain option values (text, whole numbers, yes/no, a choice) without Pydantic.

Typer turns each option's text into its annotated type through a Pydantic TypeAdapter,
and the first one imports Pydantic and builds its schema machinery: about 90 ms, more than
a whole `crm remind` needs once the file is open. Options of the plain types we use get a
small converter instead, set on the parameter before Typer builds its own; anything else
(lists, ranges, files) keeps Typer's. With a Typer whose internals differ, this does
nothing and everything still works, only slower.
"""

from __future__ import annotations

import importlib
import types
from dataclasses import dataclass
from enum import Enum
from typing import Any, Union, get_args, get_origin

from typer import BadParameter

RuntimeParam: Any
try:
    RuntimeParam = importlib.import_module("typer._coercion").RuntimeParam
except (ImportError, AttributeError):  # pragma: no cover - another Typer: leave it alone
    RuntimeParam = None

PLAIN = (str, int, bool)
WHOLE = range(-(2**63), 2**63)
"""The whole numbers an option takes: what a 64-bit integer column holds, so an id, a limit
or a count is refused here, in one line, rather than overflowing deep in the database."""


def install() -> None:
    """Make Typer ask `_plain` first whenever it needs a parameter's converter (the help
    option included, which click makes only when it parses)."""
    base = getattr(importlib.import_module("typer.core"), "_TyperParameter", None)
    original = getattr(base, "get_runtime_param", None)
    if RuntimeParam is None or original is None or getattr(original, "plain", False):
        return  # pragma: no cover - another Typer, or installed already

    def get_runtime_param(self: Any) -> Any:
        if self._runtime_param is None:
            self._runtime_param = _plain(self)
        return self._runtime_param if self._runtime_param is not None else original(self)

    get_runtime_param.plain = True  # type: ignore[attr-defined]
    assert base is not None
    base.get_runtime_param = get_runtime_param


def _plain(param: Any) -> Any:
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is None or descriptor.file_annotation is not None:
        return None
    info = descriptor.parameter_info
    if getattr(info, "parser", None) is not None or getattr(info, "clamp", False):
        return None
    low, high = getattr(info, "min", None), getattr(info, "max", None)
    if getattr(param, "multiple", False) or getattr(param, "nargs", 1) != 1:
        return None
    target = descriptor.annotation
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
        parameter_info=info,
        annotation=descriptor.annotation,
        target=target,
        low=WHOLE.start if low is None else max(int(low), WHOLE.start),
        high=WHOLE.stop - 1 if high is None else min(int(high), WHOLE.stop - 1),
    )


if RuntimeParam is not None:

    @dataclass(frozen=True)
    class _Plain(RuntimeParam):
        target: type
        low: int = WHOLE.start
        high: int = WHOLE.stop - 1

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
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
