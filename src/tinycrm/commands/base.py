"""What every `crm` command and group is made of: `App`, `Group` and `Command`.

Their help pages read like sqlite-utils' or gh's: plain text, rewrapped to the terminal,
each option with the word its value stands for (`--owner OWNER`, `--db PATH`) and flags
with none; the list of commands gives each one's first sentence on one logical line. All of
it through click's public formatting methods, which Typer's classes inherit; Rich is not
loaded to print help.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from enum import Enum
from typing import Any

import typer

from tinycrm.commands.plain import TyperCommand, TyperGroup, adopt, adopt_flag


class _Pages:
    """Help pages for a command or a group, in click's plain layout."""

    def get_help_option(self, ctx: Any) -> Any:
        return adopt_flag(super().get_help_option(ctx))  # type: ignore[misc]

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self.format_usage(ctx, formatter)  # type: ignore[attr-defined]
        self.format_help_text(ctx, formatter)  # type: ignore[attr-defined]
        self.format_options(ctx, formatter)
        self.format_epilog(ctx, formatter)  # type: ignore[attr-defined]

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        metavar = self.options_metavar  # type: ignore[attr-defined]
        pieces = [metavar] if metavar else []
        for param in self.get_params(ctx):  # type: ignore[attr-defined]
            if param.param_type_name == "argument":
                pieces.append(_usage(param))
        return pieces

    def format_options(self, ctx: Any, formatter: Any) -> None:
        rows: dict[str, list[tuple[str, str]]] = {"argument": [], "option": []}
        for param in self.get_params(ctx):  # type: ignore[attr-defined]
            if not getattr(param, "hidden", False) and param.param_type_name in rows:
                rows[param.param_type_name].append(_record(param, ctx))
        for title, kind in (("Arguments", "argument"), ("Options", "option")):
            if rows[kind]:
                with formatter.section(title):
                    formatter.write_dl(rows[kind])


class Command(_Pages, TyperCommand):
    """A `crm` command; its plain options are read without Pydantic (`plain.adopt`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        adopt(self)


class Group(_Pages, TyperGroup):
    """A `crm` group: its options, then its commands, each with its summary."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        adopt(self)

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        return [*super().collect_usage_pieces(ctx), self.subcommand_metavar]

    def format_options(self, ctx: Any, formatter: Any) -> None:
        super().format_options(ctx, formatter)
        self.format_commands(ctx, formatter)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, summary(command)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


class App(typer.Typer):
    """`typer.Typer` whose groups and commands are `Group` and `Command` unless told
    otherwise, with plain help (no Rich)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("cls", Group)
        kwargs.setdefault("rich_markup_mode", None)
        super().__init__(**kwargs)

    def command(  # type: ignore[override]
        self, name: str | None = None, *, tabular: bool | None = None, **kwargs: Any
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """A command; a `tabular` one (by default a list: a command named in `TABULAR`
        with a `--format`) also takes `--columns`."""
        if kwargs.get("cls") is None:
            kwargs["cls"] = Command
        register = super().command(name, **kwargs)

        def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
            wanted = name in TABULAR if tabular is None else tabular
            if wanted and "fmt" in inspect.signature(func).parameters:
                register(with_columns(func))
                return func
            return register(func)

        return decorate


TABULAR = frozenset({"list", "search", "dupes", "segments"})
"""Commands that print rows, so take `--columns` (each `crm report` says so itself)."""


def with_columns(func: Callable[..., Any]) -> Callable[..., Any]:
    """`func` with a `--columns` option, which `emit` reads while it runs."""
    import functools
    import typing

    from tinycrm.commands.render import ColumnsOption, choosing

    @functools.wraps(func)
    def run(*args: Any, columns: str | None = None, **kwargs: Any) -> Any:
        with choosing(columns):
            return func(*args, **kwargs)

    sig = inspect.signature(func, eval_str=True)
    extra = inspect.Parameter(
        "columns", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=ColumnsOption
    )
    run.__signature__ = sig.replace(parameters=[*sig.parameters.values(), extra])  # type: ignore[attr-defined]
    hints = typing.get_type_hints(func, include_extras=True)
    run.__annotations__ = {**hints, "columns": ColumnsOption}
    return run


def summary(command: Any) -> str:
    """A command's summary for its group's list: its short help, else the first sentence
    of its help, on one line whatever line breaks the docstring has."""
    text = command.short_help or (command.help or "").partition("\f")[0]
    paragraph = " ".join(inspect.cleandoc(text).split("\n\n")[0].split())
    first = _SENTENCE_END.search(paragraph)
    return paragraph[: first.start() + 1] if first else paragraph


_SENTENCE_END = re.compile(r"[.!?](?=\s+[A-Z`(\"'])")
"""The end of a sentence followed by another (`e.g. price` goes on)."""


def _usage(param: Any) -> str:
    name = _name(param)
    if param.nargs != 1:
        name += "..."
    return name if param.required else f"[{name}]"


def _name(param: Any) -> str:
    """The word a value stands for: its metavar, else its own name in capitals."""
    if param.metavar:
        return str(param.metavar)
    if param.param_type_name == "argument":
        return str(param.name).upper()
    longest: str = max(param.opts, key=len).lstrip("-/")
    return _WORDS.get(longest, longest.upper())


_WORDS = {"owner": "USER", "limit": "N", "offset": "N"}
"""Options whose value reads better as another word than as their own name."""


def _record(param: Any, ctx: Any) -> tuple[str, str]:
    """One row of the Arguments or Options list: the names, then the help and its notes."""
    if param.param_type_name == "argument":
        names = _name(param)
    else:
        names = " / ".join(
            ", ".join(sorted(opts, key=lambda o: len(o) - len(o.lstrip("-/"))))
            for opts in (param.opts, param.secondary_opts)
            if opts
        )
        if not (param.is_flag or param.count):
            names += f" {_name(param)}" + ("..." if param.nargs != 1 else "")
    notes = []
    default = _default(param, ctx)
    if default:
        notes.append(f"default: {default}")
    if param.required and param.param_type_name == "option":
        notes.append("required")
    help_text = " ".join((param.help or "").split())
    if notes:
        help_text = f"{help_text}  [{'; '.join(notes)}]".strip()
    return names, help_text


def _default(param: Any, ctx: Any) -> str:
    """The default to show, as Typer says it (`open`, `table`, `0`); "" for none."""
    shown = getattr(param, "show_default", False)
    if isinstance(shown, str):
        return f"({shown})"
    if not (shown or ctx.show_default):
        return ""
    resilient = ctx.resilient_parsing
    ctx.resilient_parsing = True
    try:
        value = param.get_default(ctx, call=False)
    finally:
        ctx.resilient_parsing = resilient
    return _said(param, value)


def _said(param: Any, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(filter(None, (_said(param, v) for v in value)))
    if isinstance(value, Enum):
        return str(value.value)
    if inspect.isfunction(value):
        return "(dynamic)"
    if getattr(param, "is_flag", False) and isinstance(value, bool):
        if param.secondary_opts:
            chosen: str = max(param.opts if value else param.secondary_opts, key=len)
            return chosen.lstrip("-/")
        return "" if not value else str(value)
    return str(value)


_MISSING_CHOICE = re.compile(r"\. Choose from:\s*(.*)", re.DOTALL)


def usage_said(message: str) -> str:
    """A usage error in one line: Typer lists the choices of a missing option on lines of
    their own (`Missing option '--by'. Choose from:` …); say them in brackets instead."""
    found = _MISSING_CHOICE.search(message)
    if found is None:
        return message
    choices = ", ".join(c.strip() for c in found.group(1).split(",") if c.strip())
    return f"{message[: found.start()]} (choose from {choices})"
