"""The `crm` command: the root Typer app, its global options and the error policy.

Every error a user can cause becomes one line on stderr and an exit code (2 bad input,
3 conflict); nothing heavy (SQLAlchemy, SQLModel, Textual) is imported at module level so
`crm --version`, `crm --help` and cron start fast.
"""

from __future__ import annotations

import os
import re
import sys
from typing import Annotated, Any

import typer

from tinycrm import __version__, context
from tinycrm.commands import flags
from tinycrm.commands.base import App, Group, usage_said
from tinycrm.errors import CrmError


class CrmGroup(Group):
    """Runs a command and turns every expected failure into one line and an exit code."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            result = super().main(*args, **kwargs)
            sys.stdout.flush()  # a closed pipe shows here, inside the handlers below
        except CrmError as exc:
            fail(flags.said(exc), exc.exit_code)
        except typer.Abort:
            fail("aborted", 1)
        except typer.exceptions.TyperException as exc:
            _usage_failure(exc)
        except KeyboardInterrupt:
            fail("interrupted", 130)
        except BrokenPipeError:
            _reader_went_away()
        except Exception as exc:
            if (refused := _refused_by_system(exc)) is not None:
                fail(refused, 2)
            if os.environ.get("CRM_DEBUG"):
                raise
            fail(
                f"internal error: {type(exc).__name__}: {exc} (CRM_DEBUG=1 shows the traceback)", 70
            )
        sys.exit(result if isinstance(result, int) else 0)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:  # caught here: Typer would turn it into exit code 1
            _reader_went_away()


def _usage_failure(exc: Exception) -> None:
    """Click's errors, reached through Typer's public exception base (Typer carries its own
    copy of click): `crm` alone shows help and exits 0; a usage error points at --help."""
    if type(exc).__name__ == "NoArgsIsHelpError":
        sys.exit(0)
    message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    ctx = getattr(exc, "ctx", None)
    hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
    fail(usage_said(message) + hint, getattr(exc, "exit_code", 2))


def _reader_went_away() -> None:
    """`crm deal list | head` is not an error: exit 0, and point stdout at /dev/null so the
    interpreter's last flush does not fail again."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(0)


def _refused_by_system(exc: Exception) -> str | None:
    """What the system refused of a value the user gave (a file name too long, a folder that
    is not there, a NUL character the OS cannot take): bad input, said in one line, not a
    bug. None for anything else."""
    from tinycrm.errors import shown

    if isinstance(exc, OSError):
        what = f" {shown(exc.filename)}" if exc.filename is not None else ""
        return f"cannot use{what}: {exc.strerror or exc}"
    if isinstance(exc, ValueError) and str(exc).startswith("embedded null"):
        return "a file name or value has a NUL character (\\0) in it"
    return None


def fail(message: str, code: int) -> None:
    """One line on stderr, whatever the message holds: a line break or a terminal control
    character in a value the user gave is shown escaped (`\\n`, `\\x1b`)."""
    line = _CONTROL.sub(lambda c: c.group().encode("unicode_escape").decode("ascii"), message)
    sys.stderr.write(f"crm: error: {line}\n")
    sys.exit(code)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
"""Line breaks and terminal control characters: C0, DEL, C1, and the Unicode line and
paragraph separators."""


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tinycrm {__version__}")
        raise typer.Exit()


def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            metavar="PATH",
            help="SQLite file to use (default: crm.db in the user data dir; "
            "env CRM_DB, or CRM_DATABASE_URL for a server).",
        ),
    ] = None,
    as_user: Annotated[
        str | None,
        typer.Option(
            "--as",
            metavar="USER",
            help="Act as this user (name or email): owner of new records and "
            "author of stage changes. Env CRM_USER.",
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """tinycrm: contacts, companies, deals and activities for a small sales team."""
    app_state = context.begin(context.AppState(db_path=db, as_user=as_user))
    ctx.call_on_close(app_state.close)
    if ctx.invoked_subcommand is None:
        if sys.stdin.isatty() and sys.stdout.isatty():
            _run_tui()
        else:
            typer.echo(ctx.get_help())


def _run_tui() -> None:
    state = context.state()
    state.database()  # a database that is not there is refused before the screen changes
    state.access()  # and so is an acting user who is not there, or deactivated
    if not (sys.stdin.isatty() and sys.stdout.isatty()):  # else it waits on no keys, at full CPU
        fail("crm tui needs a terminal: run it in one (scripts and cron use the crm commands)", 2)
    from tinycrm.tui import run

    run(state)


def tui() -> None:
    """Open the terminal app: pipeline board, contacts, calendar and reports."""
    _run_tui()


def init() -> None:
    """Create the database (or bring an older one up to date) and say where it is."""
    state = context.state()
    db = state.database(create=True)
    typer.echo(f"database ready: {context.describe(db)}")


def demo() -> None:
    """Fill a new, empty database with a small team's realistic data to explore."""
    from tinycrm.services.demo import load_demo
    from tinycrm.words import counted

    state = context.state()
    state.database(create=True)
    with state.session(write=True) as session:
        summary = load_demo(session, now=state.now(), currency=state.settings.currency)
    made = "users companies contacts deals activities orders payments tickets".split()
    shown = counted({noun: getattr(summary, noun) for noun in made})
    typer.echo(f"demo data loaded into {context.describe(state.database())}: {shown}")


SUB_APPS: dict[str, tuple[str, str]] = {
    "contact": ("contacts", "People: add, list, show, edit and remove contacts."),
    "company": ("companies", "Companies: add, list, show, edit and remove accounts."),
    "deal": ("deals", "Deals: add, list, show, move through stages, win, lose."),
    "activity": ("activities", "Log what happened, schedule what is due, and mark it done."),
    "lead": ("leads", "Leads and the lead pool: claim, assign, qualify, drop, reclaim."),
    "product": ("products", "Products: the catalogue quotes and deal lines name by SKU."),
    "line": ("lines", "Line items on a deal: its amount follows them."),
    "quote": ("quotes", "Quotes: priced offers on a deal, with versions."),
    "contract": ("contracts", "Contracts: the term an order runs for, and its renewal."),
    "order": ("orders", "Orders: what a won deal turned into."),
    "payment": ("payments", "Payments received against orders."),
    "tier": (
        "tiers",
        "Membership tiers: reached by spending or orders over a window, moved on each payment.",
    ),
    "points": ("points", "Points customers earn on payments and redeem."),
    "campaign": ("campaigns", "Campaigns: what they cost and what they brought in."),
    "ticket": ("tickets", "Service tickets: open, assign, comment, resolve, rate."),
    "followup": (
        "followups",
        "Follow-up calls scheduled after tickets are resolved and orders delivered "
        "(config followup_days).",
    ),
    "kb": ("kb", "Solution articles: add, search, show, list."),
    "user": ("users", "Users: who owns records, their role and team, and who can act."),
    "team": ("teams", "Teams: who works together, and what a manager sees."),
    "role": ("roles", "Roles: what admins, managers, reps and viewers may read and change."),
    "stage": ("stages", "The pipeline: ordered stages and their win probabilities."),
    "import": (
        "imports",
        "Bring contacts, companies, deals and activities in from CSV, TSV, JSON lines, "
        "spreadsheets (.xlsx, .xls, .ods) or vCard files (exports of HubSpot, Pipedrive, "
        "Salesforce, Google, Outlook…).",
    ),
    "export": (
        "exports",
        "Export contacts, companies, deals or activities as CSV, JSON lines, JSON or vCard, "
        "with the same filters as `list`, in a form `crm import` reads back.",
    ),
    "report": (
        "reports",
        "Funnel, stage conversion, rep performance, forecast and pipeline reports.",
    ),
    "server": ("server", "The team server (PostgreSQL): roles and row-level security."),
    "audit": ("audit", "The audit log: who changed what, when and from where (read only)."),
}
"""Command groups: `crm NAME …`, the module in tinycrm.commands whose `app` it is, and its
help (here, so that `crm --help` lists every group without importing one)."""
COMMANDS: dict[str, tuple[str, str]] = {
    "tui": ("tinycrm.cli", "tui"),
    "init": ("tinycrm.cli", "init"),
    "demo": ("tinycrm.cli", "demo"),
    "remind": ("tinycrm.commands.remind", "remind"),
    "agenda": ("tinycrm.commands.agenda", "agenda"),
    "backup": ("tinycrm.commands.backup", "backup"),
    "restore": ("tinycrm.commands.backup", "restore"),
}
"""Top-level commands: `crm NAME` and where its function lives."""
SUMMARIES = {
    "backup": "Write every table to one portable archive (zip of JSON lines).",
    "restore": "Load a backup into an empty database (SQLite or PostgreSQL).",
    "import": "Bring records in from CSV, TSV, JSON lines, spreadsheets or vCard files.",
    "export": "Export records as CSV, JSON lines, JSON, vCard or iCalendar.",
}
"""What `crm --help` lists for a command whose help starts with a sentence too long for
one line."""
_TAKES_VALUE = frozenset({"--db", "--as"})


def make_app(only: str | None = None, *, outline: bool = False) -> typer.Typer:
    """The `crm` app; with `only`, just that command or group under the root options; with
    `outline` (and no `only`), every group as its name and help alone, enough for `crm
    --help` and for naming an unknown command.

    Typer turns every command's signature into click options on each run, so `crm remind`
    from cron does not pay for the other hundred and fifty commands (nor import their
    modules), nor `crm --help` for any of the groups' commands."""
    import importlib

    app = App(
        cls=CrmGroup,
        name="crm",
        help="tinycrm: contacts, companies, deals and activities for a small sales team.",
        no_args_is_help=False,
        invoke_without_command=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.callback()(root)
    for name, (module, attr) in COMMANDS.items():
        if only in (None, name):
            app.command(name, short_help=SUMMARIES.get(name))(
                getattr(importlib.import_module(module), attr)
            )
    for name, (where, about) in SUB_APPS.items():
        if only in (None, name):
            outlined = outline and only is None
            sub = App() if outlined else importlib.import_module(f"tinycrm.commands.{where}").app
            app.add_typer(sub, name=name, help=about, short_help=SUMMARIES.get(name))
    return app


def _wanted(argv: list[str]) -> str | None:
    """The command or group named on the command line, when it is one we know."""
    args = iter(argv)
    for arg in args:
        if arg in _TAKES_VALUE:
            next(args, None)
        elif arg in ("-h", "--help"):
            return None
        elif not arg.startswith("-"):
            return arg if arg in COMMANDS or arg in SUB_APPS else None
    return "" if "--version" in argv else None


def main() -> None:
    typer.main.get_command(make_app(_wanted(sys.argv[1:]), outline=True))()


def __getattr__(name: str) -> Any:
    """`tinycrm.cli.app`: the whole app (tests and tools import it)."""
    if name == "app":
        return make_app()
    raise AttributeError(name)
