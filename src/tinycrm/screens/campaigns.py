"""Campaigns with what they brought in (the figures of `crm report campaigns`, all time):
add, edit and delete them, and open the contacts a campaign brought in."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Header, Static

from tinycrm.money import Money
from tinycrm.screens.base import CrmScreen
from tinycrm.screens.dialogs import ChoiceDialog, Field
from tinycrm.screens.filters import LineForm
from tinycrm.widgets.format import clip, figure
from tinycrm.words import plural

if TYPE_CHECKING:
    from sqlmodel import Session

    from tinycrm.services.campaigns import CampaignFigures, CampaignRow

COLUMNS = ("Campaign", "Leads", "Deals", "Won", "Revenue", "Cost", "ROI")
NAME_WIDTH = 24
TOTAL = "total"


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def amount(minor: int | None, currency: str, home: str) -> str:
    """`1,500.00` in the home currency, `1,500.00 EUR` in another; `—` for none."""
    if minor is None:
        return "—"
    return figure(Money(minor, currency), code=currency != home)


def cells(f: CampaignFigures, home: str) -> tuple[str, ...]:
    """A campaign's row as the table shows it."""
    name = clip(f.name, NAME_WIDTH)  # in terminal cells: 春季展会 takes eight
    return (
        name,
        str(f.leads),
        str(f.deals),
        str(f.won),
        amount(f.revenue_minor, f.currency, home),
        amount(f.cost_minor, f.currency, home),
        percent(f.roi),
    )


def styled(row: tuple[str, ...], style: str = "") -> list[Text]:
    """The name to the left, the figures to the right."""
    return [Text(c, style=style, justify="right" if i else "left") for i, c in enumerate(row)]


def detail(f: CampaignFigures, home: str) -> str:
    """The highlighted campaign's other figures, on the line under the table."""
    span = " → ".join(str(d) if d else "…" for d in (f.starts_on, f.ends_on))
    parts = [
        f.channel or "no channel",
        span if f.starts_on or f.ends_on else "no dates",
        f"per lead {amount(f.cost_per_lead_minor, f.currency, home)}",
        f"per won deal {amount(f.cost_per_won_minor, f.currency, home)}",
    ]
    return " · ".join(parts)


class CampaignsScreen(CrmScreen):
    NOUN = "campaign"
    BINDINGS = [
        Binding("n", "add", "Add", tooltip="Add a campaign", id="campaign.add"),
        Binding("e", "edit", "Edit", tooltip="Edit the campaign", id="campaign.edit"),
        Binding("d", "delete", "Delete", tooltip="Delete the campaign", id="campaign.delete"),
        Binding("enter", "contacts", "Contacts", tooltip="Its contacts", id="campaign.contacts"),
        Binding("r", "reload", "Reload", show=False, id="campaign.reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[CampaignFigures] = []
        self.asking = False
        """A dialog of this screen is open: coming back from it reads nothing again."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="campaigns-status", classes="status-line")
        table: DataTable[Text] = DataTable(
            id="campaigns-table", cursor_type="row", zebra_stripes=True
        )
        yield table
        yield Static("", id="campaigns-detail", classes="status-line")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sub_title = "Campaigns"
        table: DataTable[Text] = self.query_one(DataTable)
        for name in COLUMNS:
            table.add_column(name, key=name.lower())
        table.focus()

    def on_screen_resume(self) -> None:
        if self.asking:  # back from a dialog: its answer reloads if it changed anything
            self.asking = False
            return
        self.reload()

    def ask(self, dialog: ModalScreen[Any], answered: Callable[[Any], Any]) -> None:
        self.asking = True
        super().ask(dialog, answered)

    def action_reload(self) -> None:
        self.reload()

    def reload(self, *, select: str | None = None) -> None:
        from tinycrm.services.campaigns import campaign_report

        home = self.state.settings.currency

        def job(session: Session) -> tuple[list[CampaignFigures], CampaignFigures]:
            return campaign_report(session, currency=home)

        self.db(
            job,
            lambda found: self._show(*found, select=select),
            group="campaigns",
            exclusive=True,
        )

    def _show(
        self, rows: list[CampaignFigures], total: CampaignFigures, *, select: str | None
    ) -> None:
        home = self.state.settings.currency
        table: DataTable[Text] = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear()
        self.rows = rows
        for f in rows:
            table.add_row(*styled(cells(f, home)), key=str(f.id))
        if rows:
            table.add_row(*styled(cells(total, home), "bold"), key=TOTAL)
        names = [f.name for f in rows]
        if select in names:
            cursor = names.index(select)
        if rows:
            table.move_cursor(row=min(cursor, len(rows) - 1))
        count = len(rows)
        status = (
            f"{plural(count, 'campaign')}, all time ({home} unless said) · enter: their contacts"
        )
        self.query_one("#campaigns-status", Static).update(
            status if rows else "no campaigns yet: n adds one"
        )
        self._detail()
        self.refresh_bindings()

    def highlighted(self) -> CampaignFigures | None:
        table: DataTable[Text] = self.query_one(DataTable)
        if 0 <= table.cursor_row < len(self.rows):
            return self.rows[table.cursor_row]
        return None

    def picked(self, doing: str) -> CampaignFigures | None:
        """The highlighted campaign; on the total row, a notice saying why nothing happens."""
        found = self.highlighted()
        if found is None and self.rows:
            self.notify(
                f"the total row adds up every campaign: pick one to {doing}", severity="warning"
            )
        return found

    def _detail(self) -> None:
        f = self.highlighted()
        text = detail(f, self.state.settings.currency) if f else ""
        self.query_one("#campaigns-detail", Static).update(text)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._detail()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_contacts()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("edit", "delete", "contacts"):
            return bool(self.rows)
        return True

    # Add, edit, delete.

    def _fields(self, f: CampaignFigures | None) -> list[Field]:
        def was(value: object) -> str:
            return "" if f is None or value is None else str(value)

        return [
            Field("name", "Name", was(f and f.name), "e.g. Spring fair", required=True),
            Field("channel", "Channel", was(f and f.channel), "event, email, ads, web …"),
            Field("cost", "Cost", was(f and Money(f.cost_minor, f.currency)), "e.g. 3000 or 2.5k"),
            Field("from", "From", was(f and f.starts_on), "first day, e.g. 2026-03-01"),
            Field("to", "To", was(f and f.ends_on), "last day"),
        ]

    def action_add(self) -> None:
        self.ask(LineForm("Add campaign", self._fields(None)), self._add)

    def _add(self, values: dict[str, str] | None) -> None:
        from tinycrm.services.campaigns import create_campaign

        if values is None:
            return
        st = self.state

        def job(session: Session) -> CampaignRow:
            cost = st.money(values["cost"] or None, "cost")
            return create_campaign(
                session,
                name=values["name"],
                channel=values["channel"] or None,
                cost_minor=cost.minor if cost else 0,
                currency=cost.currency if cost else st.settings.currency,
                starts_on=st.day(values["from"], "from"),
                ends_on=st.day(values["to"], "to"),
                now=st.now(),
            )

        self.db(job, lambda row: self._changed(f"campaign added: {row.name}", row), write=True)

    def action_edit(self) -> None:
        if (f := self.picked("edit")) is None:
            return
        self.ask(
            LineForm(f"Edit campaign #{f.id}", self._fields(f)),
            lambda values: self._edit(f, values),
        )

    def _edit(self, f: CampaignFigures, values: dict[str, str] | None) -> None:
        from tinycrm.services.campaigns import update_campaign

        if values is None:
            return
        st = self.state

        def job(session: Session) -> CampaignRow:
            cost = st.money(values["cost"] or "0", "cost", f.currency)
            assert cost is not None
            changes: dict[str, Any] = {
                "name": values["name"],
                "channel": values["channel"] or None,
                "cost_minor": cost.minor,
                "currency": cost.currency,
                "starts_on": st.day(values["from"], "from"),
                "ends_on": st.day(values["to"], "to"),
            }
            return update_campaign(session, ref=str(f.id), changes=changes)

        self.db(job, lambda row: self._changed(f"campaign updated: {row.name}", row), write=True)

    def _changed(self, message: str, row: CampaignRow) -> None:
        self.notify(message)
        self.reload(select=row.name)

    def action_delete(self) -> None:
        if (f := self.picked("delete")) is None:
            return
        yes = f"delete campaign {f.name!r} (its contacts and deals stay)"
        self.ask(
            ChoiceDialog(f"Delete campaign #{f.id} {f.name}?", [yes, "cancel"]),
            lambda answer: self._delete(f) if answer == yes else None,
        )

    def _delete(self, f: CampaignFigures) -> None:
        from tinycrm.services.undo import Undo, delete_campaign_undoably

        def deleted(undo: Undo) -> None:
            self.changed(f"campaign deleted: {f.name}", undo)  # ctrl+z restores it
            self.reload()

        self.db(lambda s: delete_campaign_undoably(s, ref=str(f.id)), deleted, write=True)

    # The contacts a campaign brought in.

    def action_contacts(self) -> None:
        from tinycrm.screens.contacts import contact_list
        from tinycrm.services.filters import ContactFilter

        if (f := self.picked("see its contacts")) is not None:
            contact_list(self.app).show(ContactFilter(campaign=f.name))
