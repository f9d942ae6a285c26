"""Help pages that read like sqlite-utils' or gh's, usage errors in one line, and the one
place tinycrm reaches into Typer's internals failing loudly when an upgrade moves them."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer

from tests.clihelp import Crm
from tinycrm.cli import SUB_APPS, app
from tinycrm.commands import plain
from tinycrm.commands.base import summary, usage_said


def _pages(group: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    found = [(path, group)]
    for name, command in getattr(group, "commands", {}).items():
        found += _pages(command, (*path, name))
    return found


PAGES = _pages(typer.main.get_command(app))


@pytest.mark.parametrize(("path", "command"), PAGES, ids=[" ".join(p) or "crm" for p, _ in PAGES])
def test_help_has_no_type_placeholders_and_reads_at_80_columns(
    path: tuple[str, ...], command: Any
) -> None:
    ran = Crm().runner.invoke(app, [*path, "--help"], env={"COLUMNS": "80"})
    assert ran.exit_code == 0
    page = ran.stdout
    assert page.startswith(f"Usage: crm {' '.join(path)}".replace("  ", " "))
    for placeholder in ("<bool>", "<str>", "<int>", "{"):
        assert placeholder not in page, f"crm {' '.join(path)} --help shows {placeholder}"
    assert max(len(line) for line in page.splitlines()) <= 80
    for line in page.splitlines():
        flag = re.match(r"  (-\w, )?(--[\w-]+)(\s|$)", line)
        param = flag and next((p for p in command.params if flag.group(2) in p.opts), None)
        if param is not None and param.is_flag:  # a flag takes no value, so shows none
            assert re.match(r"  (-\w, )?--[\w-]+( / --[\w-]+)?  ", line), line


@pytest.mark.parametrize(
    ("path", "group"),
    [(p, c) for p, c in PAGES if hasattr(c, "commands")],
    ids=[" ".join(p) or "crm" for p, c in PAGES if hasattr(c, "commands")],
)
def test_each_command_is_listed_with_one_clean_sentence(path: tuple[str, ...], group: Any) -> None:
    """However its docstring breaks lines, a command's summary in its group's list is one
    sentence, wrapped only where the terminal ends."""
    page = Crm().runner.invoke(app, [*path, "--help"], env={"COLUMNS": "80"}).stdout
    listed = page.split("\nCommands:\n", 1)[1]
    rows: dict[str, str] = {}
    for line in listed.splitlines():
        if re.match(r"  \S", line):
            name, _, text = line.strip().partition(" ")
            rows[name] = text.strip()
        elif line.strip():
            joined = "" if rows[name].endswith("-") else " "  # wrapped at a hyphen
            rows[name] += joined + line.strip()
    assert list(rows) == list(group.commands)
    for name, text in rows.items():
        short = summary(group.commands[name])
        assert text == short and "\n" not in short
        assert re.search(r"[.!?)…]$", short), f"{name}: {short!r} is cut mid-sentence"


def test_a_multi_line_docstring_is_rewrapped_not_broken() -> None:
    page = Crm().runner.invoke(app, ["report", "campaigns", "--help"], env={"COLUMNS": "80"})
    text = page.stdout.split("\nOptions:")[0]
    assert "(payments received on the won deals' orders)" in " ".join(text.split())
    lines = [line for line in text.splitlines()[2:] if line.strip()]
    assert all(len(line) > 60 for line in lines[:-1] if not line.endswith(".")), lines


def test_options_show_the_word_their_value_stands_for() -> None:
    page = Crm().runner.invoke(app, ["deal", "list", "--help"], env={"COLUMNS": "80"}).stdout
    assert "  --owner USER " in page and "  --limit N " in page
    assert "  -f, --format FORMAT " in page and "  -h, --help " in page
    root = Crm().runner.invoke(app, ["--help"], env={"COLUMNS": "80"}).stdout
    assert "  --db PATH " in root and "  --as USER " in root and "  --version " in root
    add = Crm().runner.invoke(app, ["deal", "add", "--help"], env={"COLUMNS": "80"}).stdout
    assert add.startswith("Usage: crm deal add [OPTIONS] TITLE\n")


def test_a_missing_choice_is_one_line(crm: Crm) -> None:
    ran = crm("report", "segments", ok=False)
    assert (ran.code, ran.out) == (2, "")
    assert ran.err == (
        "crm: error: Missing option '--by' (choose from abc, rfm) "
        "(see 'crm report segments --help')\n"
    )


def test_usage_messages_without_choices_are_left_as_they_are() -> None:
    assert usage_said("Missing option '--to'.") == "Missing option '--to'."
    assert usage_said("Missing option '--by'. Choose from:\n\tabc,\n\trfm") == (
        "Missing option '--by' (choose from abc, rfm)"
    )


def test_plain_options_are_adopted_through_public_apis_only() -> None:
    """Every plain option of a command is read by tinycrm.commands.plain (no Pydantic);
    nothing in tinycrm imports a private Typer module."""
    from typer.main import get_command

    remind = get_command(app).get_command(None, "remind")  # type: ignore[attr-defined]
    assert remind is not None
    adopted = {p.name for p in remind.params if plain.adopted(p)}
    assert {"fmt", "all_owners", "owner", "within", "dry_run"} <= adopted
    deals = get_command(app).get_command(None, "deal")  # type: ignore[attr-defined]
    listing = deals.get_command(None, "list")
    # --columns is added to every list by a wrapper: read plainly all the same
    assert {p.name for p in listing.params if not plain.adopted(p)} == set()
    source = Path(plain.__file__).parent.parent
    private = [
        str(path.relative_to(source))
        for path in source.rglob("*.py")
        if "typer._" in path.read_text(encoding="utf-8")
        or "_TyperParameter" in path.read_text(encoding="utf-8")
    ]
    assert private == []


def _main(*args: str) -> tuple[str, set[str]]:
    """What `crm ARGS` prints, run as the installed command runs, and which command modules
    it imported."""
    code = (
        "import sys\n"
        "from tinycrm.cli import main\n"
        f"sys.argv = ['crm', *{list(args)!r}]\n"
        "try:\n    main()\n"
        "except SystemExit:\n    pass\n"
        "loaded = [m for m in sys.modules if m.startswith('tinycrm.commands.')]\n"
        "print(sorted(loaded), file=sys.stderr)\n"
    )
    env = {**os.environ, "COLUMNS": "80"}
    ran = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    return ran.stdout, set(ast.literal_eval(ran.stderr.strip().splitlines()[-1]))


def _words(page: str) -> str:
    return " ".join(page.split())


def test_crm_help_lists_every_group_without_importing_one() -> None:
    page, loaded = _main("--help")
    assert _words(page) == _words(Crm().runner.invoke(app, ["--help"]).stdout)
    groups = {f"tinycrm.commands.{where}" for where, _ in SUB_APPS.values()}
    assert "deal Deals: add, list, show, move through stages, win, lose. " in _words(page)
    assert loaded & groups == set()


@pytest.mark.parametrize("group", ["deal", "report", "import"])
def test_a_group_named_on_the_command_line_is_built_whole(group: str) -> None:
    page, loaded = _main(group, "--help")
    assert _words(page) == _words(Crm().runner.invoke(app, [group, "--help"]).stdout)
    assert "\nCommands:\n" in page
    assert f"tinycrm.commands.{SUB_APPS[group][0]}" in loaded
    assert "tinycrm.commands.contacts" not in loaded
