"""Target lists on the contact list: a filter form, saved segments, export of the list for a
mailing, and the return of quiet leads to the pool. The same services as `crm contact list
--segment`, `crm export contacts` and `crm lead reclaim`, so the same rows."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static

from tinycrm.errors import CrmError
from tinycrm.models import ContactStatus
from tinycrm.screens.base import CrmScreen
from tinycrm.screens.dialogs import ChoiceDialog, Field, FormDialog
from tinycrm.services.reports.lifecycle import LIFECYCLES as STAGES
from tinycrm.words import plural

if TYPE_CHECKING:
    from sqlmodel import Session

    from tinycrm.services.filters import ContactFilter, SegmentRow
    from tinycrm.services.leads import Handover

ANY = "any"
STATUSES = (ANY, *(s.value for s in ContactStatus))
LIFECYCLES = (ANY, *STAGES)
TYPED = ("owner", "company", "industry", "city", "country", "campaign")
"""The `ContactFilter` fields typed in the filter form after the tag and the status."""
SHOWN_MOVES = 200
"""At most this many records listed in the reclaim question; the count covers them all."""


def describe(wanted: ContactFilter | dict[str, Any]) -> str:
    """`tag vip, city paris`: the non-empty fields of a filter (or of a segment's stored
    ones), the search box's as 'text'."""
    values = wanted if isinstance(wanted, dict) else asdict(wanted)
    return ", ".join(
        repr(str(value)) if key == "words" else f"{key} {value}"
        for key, value in values.items()
        if value not in (None, "")
    )


def filter_fields(current: ContactFilter) -> list[Field]:
    """The filter form, filled in with `current`: the tag, the status (a drop-down), the
    typed fields, and the lifecycle (a drop-down)."""

    def now(key: str) -> str:
        return str(getattr(current, key) or "")

    def typed(key: str) -> Field:
        return Field(key, key.capitalize(), now(key), placeholder=ANY)

    return [
        typed("tag"),
        Field("status", "Status", now("status") or ANY, choices=STATUSES),
        *(typed(key) for key in TYPED),
        Field("lifecycle", "Lifecycle", now("lifecycle") or ANY, choices=LIFECYCLES),
    ]


def filter_of(values: dict[str, str], current: ContactFilter) -> ContactFilter:
    """The form's answer as a filter; fields it does not show (a CLI segment's `search`)
    stay as they were."""
    given = {k: (v if v and v != ANY else None) for k, v in values.items()}
    status = given.pop("status", None)
    return replace(current, status=ContactStatus(status) if status else None, **given)


def export_name(segment: str | None) -> str:
    """`contacts-paris-vips.csv` for a segment, else `contacts.csv`, in the current folder."""
    slug = re.sub(r"[^\w-]+", "-", (segment or "").casefold()).strip("-")
    return f"contacts-{slug}.csv" if slug else "contacts.csv"


def write_contacts(session: Session, *, path: str, wanted: ContactFilter) -> int:
    """Write the matching contacts as `crm export contacts` does (same columns, the custom
    fields' after them, cells made safe for a spreadsheet); the number of rows written."""
    from tinycrm.formats.write.csv import write_records
    from tinycrm.formats.write.outfile import private_file
    from tinycrm.services import exports

    if path.strip() == "-":
        raise CrmError("export: give a file name (the app itself is on standard output)")
    target = str(Path(path).expanduser())
    with private_file(target, field="export") as out:
        extra = exports.custom_columns(session, filters=wanted)
        rows = exports.export_contacts(session, filters=wanted)
        return write_records(out, rows, (*exports.CONTACT_COLUMNS, *extra), False)


def move_line(h: Handover) -> str:
    """`lead #4 Li Wei (Ann Lee)`, as `crm lead reclaim --dry-run` names a record."""
    kind = "lead" if h.record_type == "contact" else "deal"
    return f"{kind} #{h.record_id} {h.name} ({h.from_user or 'nobody'})"


class LineForm(FormDialog):
    """A form of one line per field, the label beside it, so that a long one (the filter)
    fits on 80x24 without scrolling."""

    DEFAULT_CSS = """
    LineForm .dialog-fields {
        layout: grid;
        grid-size: 2;
        grid-columns: 10 1fr;
        grid-rows: 1;
        grid-gutter: 0 1;
        height: auto;
    }
    LineForm .dialog-fields Input, LineForm .dialog-fields Input:focus {
        border: none;
        height: 1;
        padding: 0 1;
    }
    LineForm .dialog-fields Input:focus {
        background: $accent 30%;
    }
    LineForm .dialog-fields Select {
        height: 1;
    }
    LineForm .dialog-fields SelectCurrent {
        border: none;
        height: 1;
        padding: 0 1;
    }
    LineForm .dialog-fields Select:focus > SelectCurrent {
        border: none;
        background: $accent 30%;
    }
    """


class MovesDialog(ModalScreen[bool]):
    """What a reclaim would return to the pool, and a yes or no."""

    AUTO_FOCUS = "OptionList"
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="moves.cancel")]

    def __init__(self, title: str, moves: list[Handover]) -> None:
        super().__init__(classes="dialog")
        self.title_text = title
        self.moves = moves

    def compose(self) -> ComposeResult:
        lines = [move_line(h) for h in self.moves[:SHOWN_MOVES]]
        if len(self.moves) > SHOWN_MOVES:
            lines.append(f"… and {len(self.moves) - SHOWN_MOVES} more")
        with Vertical(classes="dialog-box"):
            yield Static(self.title_text, classes="dialog-title")
            with VerticalScroll(classes="dialog-fields"):
                yield Static("\n".join(lines), markup=False, id="moves-list")
            count = len(self.moves)
            which = "it" if count == 1 else f"these {count}"
            yield OptionList(f"return {which} to the pool", "cancel", id="moves-answer")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option_index == 0)

    def action_cancel(self) -> None:
        self.dismiss(False)


class TargetScreen(CrmScreen):
    """The filter, segment, export and reclaim actions of a list of contacts; the list says
    what it shows (`wanted`) and takes a new filter (`apply`)."""

    BINDINGS = [
        Binding("ctrl+f", "filter", "Filter", tooltip="Filter the list", id="contacts.filter"),
        Binding("ctrl+t", "segments", "Segments", tooltip="Apply a segment", id="contacts.segment"),
        Binding(
            "ctrl+s",
            "save_segment",
            "Save segment",
            show=False,
            tooltip="Save the filter as a segment",
            id="contacts.save-segment",
        ),
        Binding(
            "ctrl+o", "export", "Export", tooltip="Export the list (CSV)", id="contacts.export"
        ),
    ]

    def wanted(self) -> ContactFilter:
        raise NotImplementedError

    def segment(self) -> str | None:
        """The saved segment the list shows, if it shows one unchanged."""
        raise NotImplementedError

    def reload(self) -> None:
        raise NotImplementedError

    def apply(self, wanted: ContactFilter, *, segment: str | None = None) -> None:
        raise NotImplementedError

    def extra_commands(self) -> list[tuple[str, Callable[[], object]]]:
        commands: list[tuple[str, Callable[[], object]]] = [
            ("Delete a segment", self.action_delete_segment)
        ]
        if describe(replace(self.wanted(), words=None)):
            commands.insert(0, ("Clear the filter", self.clear_filter))
        return commands

    def clear_filter(self) -> None:
        from tinycrm.services.filters import ContactFilter

        self.apply(ContactFilter())

    def action_filter(self) -> None:
        dialog = LineForm("Filter contacts", filter_fields(self.wanted()))
        self.ask(dialog, self._filtered)

    def _filtered(self, values: dict[str, str] | None) -> None:
        if values is not None:
            self.apply(filter_of(values, replace(self.wanted(), words=None)))

    def _with_segments(self, then: Callable[[list[SegmentRow]], Any]) -> None:
        from tinycrm.services.filters import list_segments

        def shown(rows: list[SegmentRow]) -> None:
            if not rows:
                self.notify("no saved segments (ctrl+s saves the filter as one)")
                return
            then(rows)

        self.db(list_segments, shown)

    def action_segments(self) -> None:
        def pick(rows: list[SegmentRow]) -> None:
            choices = [f"{r.name}  ({describe(r.filters)})" for r in rows]
            names = dict(zip(choices, (r.name for r in rows), strict=True))
            self.app.push_screen(
                ChoiceDialog("Apply which segment?", choices),
                lambda choice: self._use_segment(names[choice]) if choice else None,
            )

        self._with_segments(pick)

    def _use_segment(self, name: str) -> None:
        from tinycrm.services.filters import segment_filter

        self.db(
            lambda session: segment_filter(session, name=name),
            lambda wanted: self.apply(wanted, segment=name),
        )

    def action_save_segment(self) -> None:
        wanted = self.wanted()
        if not describe(wanted):
            self.notify("set a filter or type a search first", severity="warning")
            return
        field = Field("name", "Segment name", self.segment() or "", required=True)
        self.ask(
            FormDialog(f"Save as segment: {describe(wanted)}", [field]),
            lambda values: self._save_segment(values["name"], wanted) if values else None,
        )

    def _save_segment(self, name: str, wanted: ContactFilter) -> None:
        from tinycrm.services.filters import save_segment

        now = self.state.now()

        def job(session: Session) -> tuple[SegmentRow, bool]:
            return save_segment(session, name=name, filters=wanted, now=now)

        def saved(found: tuple[SegmentRow, bool]) -> None:
            row, new = found
            self.notify(f"segment {row.name!r} {'saved' if new else 'replaced'}")
            self.apply(wanted, segment=row.name)

        self.db(job, saved, write=True)

    def action_delete_segment(self) -> None:
        def pick(rows: list[SegmentRow]) -> None:
            self.app.push_screen(
                ChoiceDialog("Delete which segment?", [r.name for r in rows]),
                lambda name: self._confirm_delete(name) if name else None,
            )

        self._with_segments(pick)

    def _confirm_delete(self, name: str) -> None:
        yes = f"delete segment {name!r} (its contacts stay)"
        self.app.push_screen(
            ChoiceDialog(f"Delete segment {name!r}?", [yes, "cancel"]),
            lambda answer: self._delete_segment(name) if answer == yes else None,
        )

    def _delete_segment(self, name: str) -> None:
        from tinycrm.services.filters import delete_segment

        def deleted(row: SegmentRow) -> None:
            if self.segment() == row.name:
                self.apply(self.wanted())
            self.notify(f"segment {row.name!r} deleted")

        self.db(lambda session: delete_segment(session, name=name), deleted, write=True)

    def action_export(self) -> None:
        segment = self.segment()
        what = f"segment {segment!r}" if segment else describe(self.wanted())
        field = Field("path", "File (CSV)", export_name(segment), required=True)
        self.ask(
            FormDialog(f"Export {what or 'all contacts'} for a mailing", [field]),
            lambda values: self._export(values["path"]) if values else None,
        )

    def _export(self, path: str) -> None:
        wanted = self.wanted()

        def job(session: Session) -> int:
            return write_contacts(session, path=path, wanted=wanted)

        def written(count: int) -> None:  # the whole path: the app's folder is not in view
            where = Path(path).expanduser().resolve()
            self.notify(f"exported {plural(count, 'contact')} to {where}")

        self.db(job, written)

    def action_reclaim(self) -> None:
        fields = [
            Field("after", "Stale after (no logged activity for)", "30d", required=True),
            Field("deals", "Open deals too?", "no", choices=("no", "yes")),
        ]
        self.ask(FormDialog("Reclaim stale leads", fields), self._preview)

    def _preview(self, values: dict[str, str] | None) -> None:
        from tinycrm.dates import parse_duration
        from tinycrm.services.leads import reclaim

        if values is None:
            return
        st, deals = self.state, values["deals"] == "yes"
        try:
            after = parse_duration(values["after"], field="stale after")
        except CrmError as exc:
            self.notify(exc.message, severity="error")
            return

        def job(session: Session) -> list[Handover]:
            now = st.now()
            return reclaim(session, stale_after=after, now=now, deals=deals, dry_run=True)

        self.db(job, lambda moves: self._ask_reclaim(values["after"], after, deals, moves))

    def _ask_reclaim(self, text: str, after: Any, deals: bool, moves: list[Handover]) -> None:
        what = "leads and open deals" if deals else "leads"
        if not moves:
            self.notify(f"no {what} quiet for {text}: nothing to reclaim")
            return
        title = f"Quiet for {text}: return these {what} to the pool?"
        self.app.push_screen(
            MovesDialog(title, moves),
            lambda yes: self._reclaim(after, deals) if yes else None,
        )

    def _reclaim(self, after: Any, deals: bool) -> None:
        from tinycrm.services.leads import reclaim

        st = self.state

        def job(session: Session) -> list[Handover]:
            actor, now = st.actor(session), st.now()
            return reclaim(session, stale_after=after, now=now, actor=actor, deals=deals)

        def moved(found: list[Handover]) -> None:
            leads = sum(1 for h in found if h.record_type == "contact")
            text = plural(leads, "lead")
            if deals:
                text += f" and {plural(len(found) - leads, 'deal')}"
            self.notify(f"returned {text} to the pool")
            self.reload()

        self.db(job, moved, write=True)
