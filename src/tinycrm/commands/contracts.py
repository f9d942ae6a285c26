"""`crm contract …`: the term an order runs for, its value, and its renewal."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from tinycrm.commands.base import App
from tinycrm.commands.common import IfVersion, confirm
from tinycrm.commands.render import Format, FormatOption, as_row, done, emit, emit_record
from tinycrm.context import state

if TYPE_CHECKING:
    from tinycrm.context import AppState
    from tinycrm.services.contracts import ContractRow

app = App(no_args_is_help=True)

ContractId = Annotated[int, typer.Argument(help="Contract id.")]
COLUMNS = ("id", "order_id", "customer", "starts_on", "ends_on", "renew", "notice_on", "value",
           "currency", "status")  # fmt: skip


def _row(row: ContractRow) -> dict[str, Any]:
    return as_row(row)


def roll_over(st: AppState) -> None:
    """Contracts that renew by themselves and whose term is past get their next term (before
    anything shows contracts; see `services.contracts.roll_over`)."""
    from tinycrm.services import contracts

    with st.session(write=True) as session:
        contracts.roll_over(session, today=st.today(), now=st.now())


def _days(text: str) -> int:
    from tinycrm.dates import parse_duration

    span = parse_duration(text, field="--notice")
    return span.days


@app.command("add")
def add(
    order: Annotated[int, typer.Option("--order", help="The order it is for.")],
    start: Annotated[str, typer.Option("--from", help="First day of the term.")],
    end: Annotated[str, typer.Option("--to", help="Last day of the term.")],
    renew: Annotated[str, typer.Option("--renew", help="auto or manual.")] = "manual",
    notice: Annotated[
        str, typer.Option("--notice", help="Notice period before the last day, e.g. 30d.")
    ] = "30d",
    value: Annotated[
        str | None, typer.Option("--value", help="Its value (default: the order's amount).")
    ] = None,
    draft: Annotated[bool, typer.Option("--draft", help="Not signed yet.")] = False,
    notes: Annotated[str | None, typer.Option("--notes", help="Free text.")] = None,
) -> None:
    """Add a contract for an order."""
    from tinycrm.services import contracts

    st = state()
    starts, ends = st.day(start, "--from"), st.day(end, "--to")
    assert starts is not None and ends is not None
    with st.session(write=True) as session:
        row = contracts.create_contract(
            session, order=order, starts_on=starts, ends_on=ends, renew=renew,
            notice_days=_days(notice), value=value, draft=draft, notes=notes, now=st.now(),
            today=st.today(), yen=st.yen,
        )  # fmt: skip
    done(f"contract #{row.id} added: {row.value}, {row.starts_on} to {row.ends_on}, "
         f"notice by {row.notice_on}")  # fmt: skip


@app.command("list")
def list_(
    status: Annotated[
        str,
        typer.Option("--status", help="draft, active, expired, renewed, terminated or all."),
    ] = "all",
    order: Annotated[int | None, typer.Option("--order", help="Only this order's.")] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """List contracts, the soonest to end first (those that renew by themselves and have
    ended are renewed first)."""
    from tinycrm.services import contracts

    st = state()
    roll_over(st)
    with st.session(write=False) as session:
        rows = contracts.list_contracts(session, today=st.today(), status=status, order=order)
    emit([_row(r) for r in rows], fmt, st.tz, columns=COLUMNS, empty="no contracts match")


@app.command("show")
def show(contract_id: ContractId, fmt: FormatOption = Format.table) -> None:
    """Show a contract (one that renews by itself and has ended is renewed first)."""
    from tinycrm.services import contracts

    st = state()
    roll_over(st)
    with st.session(write=False) as session:
        row = contracts.get_contract(session, ref=contract_id, today=st.today())
    emit_record(_row(row), fmt, st.tz)


def _change_status(change: str, contract_id: int, if_version: int | None) -> ContractRow:
    """`activate` or `terminate` the contract, as the service of that name does."""
    from tinycrm.services import contracts

    st = state()
    service = {"activate": contracts.activate_contract,
               "terminate": contracts.terminate_contract}[change]  # fmt: skip
    with st.session(write=True) as session:
        return service(session, ref=contract_id, today=st.today(), version=if_version)


@app.command("activate")
def activate(contract_id: ContractId, if_version: IfVersion = None) -> None:
    """A draft contract was signed."""
    row = _change_status("activate", contract_id, if_version)
    done(f"contract #{row.id} active until {row.ends_on}")


@app.command("renew")
def renew_(
    contract_id: ContractId,
    value: Annotated[
        str | None, typer.Option("--value", help="The new term's value (default: the same).")
    ] = None,
    if_version: IfVersion = None,
) -> None:
    """Renew for another term of the same length; this one becomes renewed."""
    from tinycrm.services import contracts

    st = state()
    with st.session(write=True) as session:
        row = contracts.renew_contract(
            session, ref=contract_id, value=value, now=st.now(), today=st.today(), yen=st.yen,
            version=if_version,
        )  # fmt: skip
    done(f"contract #{contract_id} renewed as #{row.id}: {row.value}, {row.starts_on} to "
         f"{row.ends_on}")  # fmt: skip


@app.command("terminate")
def terminate(contract_id: ContractId, if_version: IfVersion = None) -> None:
    """End a contract: it will not be renewed."""
    row = _change_status("terminate", contract_id, if_version)
    done(f"contract #{row.id} terminated")


@app.command("rm")
def rm(
    contract_id: ContractId,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
) -> None:
    """Delete a contract."""
    from tinycrm.services import contracts

    st = state()
    with st.session(write=False) as session:
        row = contracts.get_contract(session, ref=contract_id, today=st.today())
    confirm(f"delete contract #{row.id} ({row.value})?", yes=yes)
    with st.session(write=True) as session:
        contracts.delete_contract(session, ref=contract_id, today=st.today())
    done(f"contract #{row.id} deleted")
