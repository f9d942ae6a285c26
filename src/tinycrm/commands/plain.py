"""Everything tinycrm takes from Typer beyond its documented API, in one place.

1. Reading plain option values (text, whole numbers, yes/no, a choice) without Pydantic.
   Typer turns each option's text into its annotated type through a Pydantic TypeAdapter,
   and the first one imports Pydantic and builds its schema machinery: about 90 ms, more
   than a whole `crm remind` needs once the file is open. Neither `parser=` (Typer wraps
   it in a TypeAdapter too) nor any other public option avoids that, so options of the
   plain types we use get a small converter, set on the parameter before Typer builds its
   own; anything else (lists, ranges, files) keeps Typer's.
2. `TyperGroup` and `TyperCommand`, the classes Typer's `cls=` parameters ask for, which
   live in `typer.core` rather than in the `typer` namespace.

With a Typer whose internals differ, (1) does nothing and everything still works, only
slower; `missing()` says what moved, and a test turns that into a loud failure naming the
Typer version.
"""

from __future__ import annotations

import importlib
import types
from dataclasses import dataclass
from enum import Enum
from typing import Any, Union, get_args, get_origin

from typer import BadParameter
from typer.core import TyperCommand, TyperGroup

__all__ = ["TESTED_WITH", "TyperCommand", "TyperGroup", "install", "missing"]

TESTED_WITH = "0.29"
"""The Typer minor release these internals were read from."""

RuntimeParam: Any
try:
    RuntimeParam = importlib.import_module("typer._coercion").RuntimeParam
except (ImportError, AttributeError):  # pragma: no cover - another Typer: leave it alone
    RuntimeParam = None


def _parameter_base() -> Any:
    return getattr(importlib.import_module("typer.core"), "_TyperParameter", None)


def missing() -> list[str]:
    """What this module reaches for in Typer and did not find (empty when all is there)."""
    gone = []
    if RuntimeParam is None or not hasattr(RuntimeParam, "_coerce_value"):
        gone.append("typer._coercion.RuntimeParam._coerce_value")
    base = _parameter_base()
    if base is None or not hasattr(base, "get_runtime_param"):
        gone.append("typer.core._TyperParameter.get_runtime_param")
    elif "_runtime_param" not in getattr(base, "__annotations__", {}):
        gone.append("typer.core._TyperParameter._runtime_param")
    try:
        descriptor = getattr(importlib.import_module("typer._coercion"), "TypeDescriptor", None)
    except ImportError:  # pragma: no cover - another Typer
        descriptor = None
    fields = getattr(descriptor, "__dataclass_fields__", {})
    for name in ("annotation", "parameter_info", "file_annotation"):
        if name not in fields:
            gone.append(f"typer._coercion.TypeDescriptor.{name}")
    return gone


PLAIN = (str, int, bool)
WHOLE = range(-(2**63), 2**63)
"""The whole numbers an option takes: what a 64-bit integer column holds, so an id, a limit
or a count is refused here, in one line, rather than overflowing deep in the database."""


def install() -> None:
    """Make Typer ask `_plain` first whenever it needs a parameter's converter (the help
    option included, which click makes only when it parses)."""
    base = _parameter_base()
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
    class _Plain(RuntimeParam):  # type: ignore[misc]  # Typer's class, untyped here
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
