"""`crm user …`: the team."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from tinycrm.commands.base import App
from tinycrm.commands.common import confirm, given
from tinycrm.commands.render import Format, FormatOption, as_row, done, emit, emit_record
from tinycrm.context import state
from tinycrm.words import counted, plural

app = App(no_args_is_help=True)

Ref = Annotated[str, typer.Argument(help="User id, email, name or a unique part of the name.")]
Email = Annotated[str | None, typer.Option(help="Email address (at most 320 characters).")]
Role = Annotated[str | None, typer.Option(help="admin, manager, rep or viewer.")]
Team = Annotated[
    str | None, typer.Option(help="Team name or id (see crm team list); '' for no team.")
]
OsLogin = Annotated[
    str | None,
    typer.Option("--os-login", help="OS login that acts as this user; '' for none."),
]
Quota = Annotated[
    str | None, typer.Option(help="Sales target per period, e.g. 50000/quarter, 12k/month.")
]
DbLogin = Annotated[
    str | None,
    typer.Option(
        "--login",
        help="Their own PostgreSQL login on the team server (made there, in the crm_user "
        "group; see crm server init).",
    ),
]
PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin", help="Read the login's password from standard input's first line."
    ),
]

COLUMNS = ("id", "name", "email", "role", "team", "active", "quota", "quota_period", "open_deals")


def _changes(email: str | None, role: str | None, quota: str | None) -> dict[str, Any]:
    from tinycrm.errors import InvalidInput
    from tinycrm.models import Role as RoleEnum
    from tinycrm.services.users import parse_quota

    values: dict[str, Any] = given(email=email)
    if role is not None:
        try:
            values["role"] = RoleEnum(role.strip().lower())
        except ValueError:
            raise InvalidInput("--role", role, "must be admin, manager, rep or viewer") from None
    if quota is not None:
        st = state()
        values["quota_minor"], values["quota_period"] = parse_quota(
            quota, currency=st.settings.currency, yen=st.yen
        )
    return values


@app.command("add")
def add(
    name: Annotated[
        str, typer.Argument(help="Full name, e.g. 'Ana Ruiz' (at most 200 characters).")
    ],
    email: Email = None,
    role: Role = None,
    quota: Quota = None,
    team: Team = None,
    os_login: OsLogin = None,
    login: DbLogin = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Add a user (only a role that may create users)."""
    from tinycrm.models import UserCreate
    from tinycrm.services import server, users

    st = state()
    data = UserCreate(name=name, **_changes(email, role, quota))
    placement = users.Placement(team=team, os_login=os_login)
    password = _password() if password_stdin else None
    with st.session(write=True) as session:
        row = users.create_user(
            session, data=data, currency=st.settings.currency, now=st.now(), placement=placement
        )
        if login is not None:
            server.give_login(session, user_id=row.id, login=login, password=password)
    done(f"user #{row.id} added: {row.name}" + (f" (login {login.strip()})" if login else ""))


def _password() -> str:
    import sys

    from tinycrm.errors import InvalidInput

    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise InvalidInput("--password-stdin", None, "standard input held no password")
    return line


@app.command("list")
def list_(fmt: FormatOption = Format.table) -> None:
    """List users with their role, team, whether active, quotas and open deals."""
    from tinycrm.services import users

    st = state()
    with st.session(write=False) as session:
        rows = users.list_users(session, currency=st.settings.currency)
    emit([as_row(r) for r in rows], fmt, st.tz, columns=COLUMNS, empty="no users yet")


@app.command("show")
def show(ref: Ref, fmt: FormatOption = Format.table) -> None:
    """Show a user."""
    from tinycrm.services import users

    st = state()
    with st.session(write=False) as session:
        row = users.get_user(session, ref=ref, currency=st.settings.currency)
    emit_record(as_row(row), fmt, st.tz)


@app.command("edit")
def edit(
    ref: Ref,
    name: Annotated[str | None, typer.Option(help="New name (at most 200 characters).")] = None,
    email: Email = None,
    role: Role = None,
    quota: Quota = None,
    team: Team = None,
    os_login: OsLogin = None,
    login: DbLogin = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Change a user; only the options given change. `--login` gives someone who has none
    (say, after the move to the team server) their own login; `--password-stdin` alone sets
    a new password for the login they have."""
    from tinycrm.errors import InvalidInput
    from tinycrm.models import UserUpdate
    from tinycrm.services import server, users

    st = state()
    data = UserUpdate(**given(name=name), **_changes(email, role, quota))
    placement = users.Placement(team=team, os_login=os_login)
    password = _password() if password_stdin else None
    with st.session(write=True) as session:
        row = users.update_user(
            session, ref=ref, data=data, currency=st.settings.currency, placement=placement
        )
        if login is not None or password is not None:
            if not (login or row.login):
                raise InvalidInput(
                    "--password-stdin", None, f"{row.name} has no login; give --login"
                )
            login = server.give_login(
                session, user_id=row.id, login=login or str(row.login), password=password
            )
    done(f"user #{row.id} updated: {row.name}" + (f" (login {login})" if login else ""))


@app.command("rm")
def rm(
    ref: Ref,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
) -> None:
    """Delete a user; what they owned stays, with no owner."""
    from tinycrm.services import users

    st = state()
    with st.session(write=False) as session:
        row = users.get_user(session, ref=ref, currency=st.settings.currency)
        owned = users.count_owned(session, user_id=row.id)
    confirm(
        f"delete user #{row.id} {row.name}? Their {plural(owned['deals'], 'deal')} and "
        f"{plural(owned['activities'], 'activity')} will have no owner.",
        yes=yes,
    )
    with st.session(write=True) as session:
        users.delete_user(session, ref=str(row.id))
    done(f"user #{row.id} deleted: {row.name}")


@app.command("deactivate")
def deactivate(
    ref: Ref,
    reassign_to: Annotated[
        str | None,
        typer.Option(
            "--reassign-to",
            metavar="USER",
            help="Who takes over their open deals, leads, open tasks and open tickets.",
        ),
    ] = None,
) -> None:
    """Deactivate someone who leaves: they can no longer act; their history stays theirs."""
    from tinycrm.services import users

    st = state()
    with st.session(write=True) as session:
        gone = users.deactivate_user(
            session, ref=ref, reassign_to=reassign_to, actor=st.actor(session), now=st.now()
        )
    moved = counted(gone.moved)
    handed = f"; to {gone.to}: {moved}" if moved else ""
    done(f"user #{gone.id} deactivated: {gone.name}{handed}")


@app.command("activate")
def activate(ref: Ref) -> None:
    """Let a deactivated user act again."""
    from tinycrm.services import users

    st = state()
    with st.session(write=True) as session:
        row = users.activate_user(session, ref=ref)
    done(f"user #{row.id} activated: {row.name}")
