"""Hostile input to every command: a number too large for an id, a 10,000-character name,
a file name too long for the system, a date ten thousand years away. Each is ordinary bad
input, so each gets one line on stderr and exit 2 (or works), never exit 70 ("a bug").

The table walks the Typer/Click command tree, so a new command or option is covered
without touching this file: each parameter gets the hostile values of its kind (sampled,
not the cross product), the other parameters keep a valid value, and the database holds
`crm demo` so ids resolve."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import typer
import typer.testing

from tests.clihelp import Crm, Ran
from tests.conftest import Templates
from tinycrm.cli import app
from tinycrm.dates import earlier
from tinycrm.errors import InvalidInput
from tinycrm.models import (
    Activity,
    Campaign,
    Company,
    Contact,
    ContactTag,
    Deal,
    KbArticle,
    Payment,
    Segment,
    Stage,
    Ticket,
    User,
)

COMMAND = typer.main.get_command(app)
NOW = "2026-11-23T09:30:00"
"""A Monday, in the zone below."""
ZONE = "Pacific/Kiritimati"
"""UTC+14: the first day of year 1 is still in year 0 in UTC, a range edge a date can cross."""


def _commands(group: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name), command


ALL_COMMANDS = dict(_commands(COMMAND))
NOT_RUN = {("tui",): "starts the full-screen app; it has no parameters (see the --db tests)"}


@dataclass(frozen=True)
class Hostile:
    value: str
    refused: bool = False
    """Exit 2 is the only right answer (otherwise 0, 1, 2 or 3 may be)."""


HUGE = "9" * 20
INTS = [
    Hostile(HUGE, refused=True),
    Hostile("-" + HUGE, refused=True),
    Hostile(str(2**63), refused=True),
    Hostile("999999999"),
    Hostile("999999"),
    Hostile("-1"),
    Hostile("0"),
]
TEXTS = [
    Hostile("x" * 10_000),
    Hostile("a\x00b"),
    Hostile("\x1b[31mred\x07\r\nnext"),
    Hostile(""),
    Hostile(HUGE),
]
DATES = [
    Hostile("99999-01-01", refused=True),
    Hostile("+999999y", refused=True),
    Hostile("-999999d", refused=True),
    Hostile("2026-02-30", refused=True),
    Hostile("0001-01-01"),
    Hostile("9999-12-31 23:59"),
]
DURATIONS = [
    Hostile("999999d"),
    Hostile("+999999y", refused=True),
    Hostile(HUGE + "d", refused=True),
    Hostile("-5d"),
]
MONEY = [
    Hostile("9" * 25, refused=True),
    Hostile("1e400", refused=True),
    Hostile("nan", refused=True),
    Hostile("-5"),
    Hostile("99999999999999999.99"),
]
KEY_VALUES = [Hostile("key=" + "x" * 10_000), Hostile("=x", refused=True)]
RULES = [Hostile("FREQ=DAILY;COUNT=" + HUGE), Hostile("FREQ=YEARLY;UNTIL=99991231T235959Z")]
DATE_NAMES = {"from", "to", "date", "due", "at", "close", "birthday", "as_of", "until"}
DURATION_NAMES = {"within", "stale_after", "remind", "every"}
MONEY_NAMES = {"amount", "cost", "quota", "min_amount"}
OUTPUT_NAMES = {"output", "rejects"}
INPUT_NAMES = {"file", "archive"}
KEY_VALUE_NAMES = {"map", "field", "stage_map"}

VALID = {
    "name": "Probe",
    "title": "Probe",
    "subject": "Probe",
    "text": "Probe",
    "words": "fleet",
    "ref": "1",
    "keep": "1",
    "other": "2",
    "kind": "call",
    "stage": "negotiation",
    "until": "tomorrow",
    "score": "4",
    "to": "1",
    "probability": "50",
    "by": "industry",
}
"""A valid value for each required parameter, by name (ids are `crm demo`'s)."""
VALID_BY_COMMAND = {
    ("stage", "edit", "name"): "qualified",
    ("stage", "rm", "name"): "qualified",
    ("stage", "add", "name"): "Probe stage",
    ("report", "segments", "by"): "abc",
}


def _paths(tmp: Path) -> list[Hostile]:
    """A name too long for the system, a folder that is not there, a folder."""
    return [
        Hostile(str(tmp / ("n" * 300 + ".csv")), refused=True),
        Hostile(str(tmp / "no" / "such" / "x.csv"), refused=True),
        Hostile(str(tmp), refused=True),
    ]


def hostile_values(param: Any, command: Any, tmp: Path) -> list[Hostile]:
    """The hostile values for one parameter, by its type and what its name says it holds
    (`--to` is a date beside `--from`, else a person)."""
    name = param.name
    if name == "to" and not any(p.name == "from" for p in command.params):
        name = "user"
    descriptor = getattr(param, "type_descriptor", None)
    annotation = str(getattr(descriptor, "annotation", ""))
    if "int" in annotation and "Enum" not in annotation:
        return INTS
    values = list(TEXTS)
    if name in DATE_NAMES:
        values += DATES
    if name in DURATION_NAMES:
        values += DURATIONS
    if name in MONEY_NAMES:
        values += MONEY
    if name in OUTPUT_NAMES | INPUT_NAMES:
        values += _paths(tmp)
    if name in KEY_VALUE_NAMES:
        values += KEY_VALUES
    if name == "rrule":
        values += RULES
    return values


def _is_flag(param: Any) -> bool:
    return bool(getattr(param, "is_flag", False))


def _valid(path: tuple[str, ...], param: Any, tmp: Path) -> str:
    if param.name in INPUT_NAMES:
        return str(tmp / "people.csv")
    return VALID_BY_COMMAND.get((*path, param.name), VALID.get(param.name, "1"))


def _args(path: tuple[str, ...], command: Any, tmp: Path, vary: Any, value: str) -> list[str]:
    """The command line: required parameters valid, `vary` set to `value`; options first,
    then `--` and the arguments, so an argument like `-1` is not read as an option."""
    options: list[str] = []
    arguments: list[str] = []
    for param in command.params:
        if _is_flag(param) or param.name == "help":
            continue
        if param is vary:
            given = value
        elif param.required or param.param_type_name == "argument":
            given = _valid(path, param, tmp)
        else:
            continue
        if param.param_type_name == "argument":
            arguments.append(given)
        else:
            options += [param.opts[0], given]
    return [*path, *options, *(["--", *arguments] if arguments else [])]


@dataclass(frozen=True)
class Case:
    args: list[str]
    refused: bool
    label: str


def cases(path: tuple[str, ...], command: Any, tmp: Path) -> list[Case]:
    """The baseline (valid) command line, then one line per hostile value of each parameter."""
    found = [Case(_args(path, command, tmp, None, ""), False, "baseline")]
    for param in command.params:
        if _is_flag(param) or param.name == "help":
            continue
        for hostile in hostile_values(param, command, tmp):
            args = _args(path, command, tmp, param, hostile.value)
            found.append(Case(args, hostile.refused, f"{param.name}={hostile.value[:40]!r}"))
    return found


def problems(ran: Ran, case: Case) -> list[str]:
    """What is wrong with how `crm` answered a case; nothing when all is well."""
    found = []
    if ran.code not in (0, 1, 2, 3):
        found.append(f"exit {ran.code}")
    elif case.refused and ran.code != 2:
        found.append(f"exit {ran.code}, expected 2")
    text = ran.out + ran.err
    if "Traceback" in text or "internal error" in text:
        found.append("traceback or internal error")
    if ran.code != 0 and ran.err.count("\n") > 1:
        found.append(f"{ran.err.count(chr(10))} lines on stderr")
    return [
        f"{' '.join(a[:60] for a in case.args)} [{case.label}]: {p}: {ran.err[:300]!r}"
        for p in found
    ]


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture
def db_template(templates: Templates) -> Path:
    """`crm` runs on a copy of the demo database."""
    return templates.demo()


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """`crm` runs from tmp_path (backups land there) beside a CSV to import, with the
    command tree built once (Typer rebuilds it on every run otherwise)."""
    (tmp_path / "people.csv").write_text("name,email\nLi Wei,li@x.example\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(typer.testing, "_get_command", lambda _app: COMMAND)
    return {"CRM_TIMEZONE": ZONE, "CRM_NOW": NOW, "CRM_CURRENCY": "EUR"}


def run_all(crm: Crm, table: list[Case]) -> list[str]:
    found: list[str] = []
    for case in table:
        found += problems(crm(*case.args, ok=False, input=""), case)
    return found


RUN = [path for path in ALL_COMMANDS if path not in NOT_RUN]


@pytest.mark.parametrize("path", RUN, ids=" ".join)
def test_every_parameter_of_every_command_takes_hostile_values(
    crm: Crm, tmp_path: Path, path: tuple[str, ...]
) -> None:
    table = cases(path, ALL_COMMANDS[path], tmp_path)
    assert run_all(crm, table) == []


@pytest.mark.parametrize("command", [("deal", "list"), ("remind",)], ids=" ".join)
def test_root_options_take_hostile_values(
    crm: Crm, tmp_path: Path, command: tuple[str, ...]
) -> None:
    databases = [
        *_paths(tmp_path),
        Hostile("x" * 10_000, refused=True),
        Hostile("a\x00b", refused=True),
    ]
    table = [Case(["--db", v.value, *command], True, f"--db={v.value[:40]!r}") for v in databases]
    table += [Case(["--as", v.value, *command], False, f"--as={v.value[:40]!r}") for v in TEXTS]
    assert run_all(crm, table) == []


# --- limits on text: stated in --help, enforced on every path ------------------------------

LIMITS: dict[tuple[str, ...], tuple[Any, str]] = {
    ("contact", "add", "name"): (Contact, "full_name"),
    ("contact", "add", "first"): (Contact, "first_name"),
    ("contact", "add", "last"): (Contact, "last_name"),
    ("contact", "add", "email"): (Contact, "email"),
    ("contact", "add", "phone"): (Contact, "phone"),
    ("contact", "add", "title"): (Contact, "title"),
    ("contact", "add", "source"): (Contact, "source"),
    ("contact", "add", "tag"): (ContactTag, "tag"),
    ("contact", "edit", "name"): (Contact, "full_name"),
    ("contact", "edit", "email"): (Contact, "email"),
    ("contact", "edit", "tag"): (ContactTag, "tag"),
    ("contact", "list", "save_segment"): (Segment, "name"),
    ("company", "add", "name"): (Company, "name"),
    ("company", "add", "domain"): (Company, "domain"),
    ("company", "add", "industry"): (Company, "industry"),
    ("company", "add", "city"): (Company, "city"),
    ("company", "add", "country"): (Company, "country"),
    ("company", "add", "phone"): (Company, "phone"),
    ("company", "add", "website"): (Company, "website"),
    ("company", "edit", "name"): (Company, "name"),
    ("company", "edit", "city"): (Company, "city"),
    ("deal", "add", "title"): (Deal, "title"),
    ("deal", "edit", "title"): (Deal, "title"),
    ("deal", "edit", "reason"): (Deal, "lost_reason"),
    ("deal", "lost", "reason"): (Deal, "lost_reason"),
    ("deal", "move", "reason"): (Deal, "lost_reason"),
    ("activity", "log", "subject"): (Activity, "subject"),
    ("activity", "schedule", "subject"): (Activity, "subject"),
    ("activity", "schedule", "rrule"): (Activity, "rrule"),
    ("activity", "edit", "subject"): (Activity, "subject"),
    ("lead", "qualify", "title"): (Deal, "title"),
    ("lead", "drop", "reason"): (Contact, "drop_reason"),
    ("campaign", "add", "name"): (Campaign, "name"),
    ("campaign", "add", "channel"): (Campaign, "channel"),
    ("campaign", "edit", "name"): (Campaign, "name"),
    ("ticket", "open", "subject"): (Ticket, "subject"),
    ("kb", "add", "title"): (KbArticle, "title"),
    ("user", "add", "name"): (User, "name"),
    ("user", "add", "email"): (User, "email"),
    ("user", "edit", "name"): (User, "name"),
    ("stage", "add", "name"): (Stage, "name"),
    ("stage", "edit", "rename"): (Stage, "name"),
    ("payment", "add", "method"): (Payment, "method"),
    ("payment", "add", "reference"): (Payment, "reference"),
}
"""(command, parameter) -> the column that keeps what it gives."""


@pytest.mark.parametrize("where", list(LIMITS), ids=" ".join)
def test_help_states_the_limit_the_database_keeps(where: tuple[str, ...]) -> None:
    model, column = LIMITS[where]
    limit = model.__table__.c[column].type.length
    param = next(p for p in ALL_COMMANDS[where[:-1]].params if p.name == where[-1])
    assert f"at most {limit} characters" in " ".join(param.help.lower().split())


OVER_THE_LIMIT = [
    (
        ("contact", "add", "Ann", "--title", "t" * 201),
        "title: too long (201 characters; at most 200)",
    ),
    (("contact", "add", "n" * 401), "name: too long (401 characters; at most 400)"),
    (("contact", "add", "Ann", "--tag", "t" * 101), "tag: too long (101 characters; at most 100)"),
    (("contact", "edit", "1", "--email", "e" * 311 + "@x.example"), "email: too long (321"),
    (
        ("contact", "edit", "1", "--title", "t" * 201),
        "title: too long (201 characters; at most 200)",
    ),
    (("company", "edit", "1", "--city", "c" * 121), "city: too long (121 characters; at most 120)"),
    (("deal", "edit", "1", "--title", "t" * 301), "title: too long (301 characters; at most 300)"),
    (("campaign", "add", "c" * 201), "name: too long (201 characters; at most 200)"),
    (("ticket", "open", "s" * 501), "subject: too long (501 characters; at most 500)"),
    (("kb", "add", "k" * 301, "--body", "b"), "title: too long (301 characters; at most 300)"),
    (
        ("stage", "add", "s" * 101, "--probability", "10"),
        "name: too long (101 characters; at most 100)",
    ),
    (("user", "edit", "1", "--name", "u" * 201), "name: too long (201 characters; at most 200)"),
    # within the limit, but its comparison key (ß folds to ss) is not
    (("company", "add", "ß" * 300), "name: too long (600 characters; at most 300)"),
    (("user", "add", "ß" * 200), "name: too long (400 characters; at most 200)"),
]


@pytest.mark.parametrize(("args", "message"), OVER_THE_LIMIT, ids=lambda a: str(a)[:40])
def test_text_over_its_limit_is_one_line_naming_field_and_limit(
    crm: Crm, args: tuple[str, ...], message: str
) -> None:
    ran = crm(*args, ok=False)
    assert (ran.code, ran.out) == (2, "")
    assert ran.err.startswith(f"crm: error: {message}") and ran.err.count("\n") == 1


def test_text_at_its_limit_is_kept(crm: Crm) -> None:
    crm("contact", "add", "f" * 199 + " " + "l" * 200, "--title", "t" * 200, "--tag", "g" * 100)
    crm("contact", "edit", "1", "--email", "e" * 310 + "@x.example")
    assert crm("contact", "show", "1", "-f", "json").json()["email"] == "e" * 310 + "@x.example"


@pytest.mark.asyncio
async def test_the_app_keeps_the_same_limits(demo: Path) -> None:
    """A form in the app goes through the same validation: a title one character too long
    brings the form back, as typed, with the same line as the command line's."""
    from tests.tuihelp import make_app, notices, settle
    from tinycrm.screens.dialogs import FormDialog

    async with make_app(demo).run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        title: Any = pilot.app.screen.query_one("#field-title")
        title.value = "t" * 301
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, FormDialog)
        assert pilot.app.screen.values()["title"] == "t" * 301
        messages = [n.message for n in notices(pilot.app)]
    assert messages == ["title: too long (301 characters; at most 300)"]


def test_a_span_reaching_before_the_year_1_is_invalid_input() -> None:
    moment = datetime(2026, 11, 23, tzinfo=UTC)
    assert earlier(moment, 3, field="stale days") == datetime(2026, 11, 20, tzinfo=UTC)
    for span in (999_999, 2**63 - 1, timedelta(days=999_999)):
        with pytest.raises(InvalidInput, match="stale days: reaches back before the year 1"):
            earlier(moment, span, field="stale days")


# --- the database a command opens ---------------------------------------------------------

NEEDS_A_DATABASE = [
    ("deal", "list"),
    ("contact", "add", "Li Wei"),
    ("report", "funnel"),
    ("export", "contacts", "-o", "out.csv"),
    ("backup", "-o", "out.zip"),
    ("remind",),
    ("tui",),
]


@pytest.mark.parametrize("command", NEEDS_A_DATABASE, ids=" ".join)
@pytest.mark.parametrize("named_by", ["--db", "CRM_DB", "CRM_DATABASE_URL", "config"])
def test_a_named_database_that_is_not_there_is_refused_and_not_made(
    tmp_path: Path,
    crm_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: tuple[str, ...],
    named_by: str,
) -> None:
    """A mistyped path is one line and exit 2, with nothing created (no folder, no file,
    no screen started), whichever way the database was named."""
    import tinycrm.tui

    started: list[object] = []
    monkeypatch.setattr(tinycrm.tui, "run", started.append)
    monkeypatch.chdir(tmp_path)
    missing = tmp_path / "no" / "such" / "crm.db"
    args = [*command]
    if named_by == "--db":
        args = ["--db", str(missing), *command]
    elif named_by == "config":
        crm_env.mkdir()
        (crm_env / "config.toml").write_text(f'db_path = "{missing}"\n')
    else:
        url = f"sqlite:///{missing}" if named_by == "CRM_DATABASE_URL" else str(missing)
        monkeypatch.setenv(named_by, url)
    ran = Crm()(*args, ok=False)
    assert (ran.code, ran.out) == (2, "")
    assert (
        ran.err == f"crm: error: no database at {missing}; `crm init --db {missing}` creates one\n"
    )
    assert not (tmp_path / "no").exists() and not list(tmp_path.glob("out.*"))
    assert started == []


def test_init_and_demo_make_a_named_database(tmp_path: Path) -> None:
    new = tmp_path / "new" / "crm.db"
    assert Crm()("--db", str(new), "init").out == f"database ready: {new}\n"
    nothing = Crm()("--db", str(new), "deal", "list", ok=False)
    assert (nothing.code, nothing.err) == (1, "no deals match\n")
    demo = tmp_path / "demo.db"
    assert Crm()("--db", str(demo), "demo").out.startswith(f"demo data loaded into {demo}: ")


def test_the_default_database_is_made_on_first_use(crm_env: Path) -> None:
    Crm()("contact", "add", "Li Wei")
    assert (crm_env / "crm.db").exists()
    assert "Li Wei" in Crm()("contact", "list").out
