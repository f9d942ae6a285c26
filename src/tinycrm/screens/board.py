"""The pipeline board: a column per open stage, a card per open deal."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widgets import Header, Input, Static

from tinycrm.screens.deal_moves import DealMoves, Outcome, Overtaken, Target
from tinycrm.screens.dialogs import ChoiceDialog, Field, FormDialog
from tinycrm.services.board import SHOWN
from tinycrm.widgets.board_column import PAGE, BoardColumn
from tinycrm.widgets.steady_footer import SteadyFooter
from tinycrm.words import plural

if TYPE_CHECKING:
    from sqlmodel import Session

    from tinycrm.services.board import BoardCard, StageColumn
    from tinycrm.services.filters import DealFilter

EVERYONE = "Everyone"
EDGE = 15
"""A cursor this close to a page's edge brings the neighbouring page along."""


@dataclass
class BoardData:
    """What one trip to the database brings back: every column's header and the pages of
    cards around each column's cursor; `focus` is where a just-moved deal now sits."""

    columns: list[StageColumn]
    pages: dict[int, dict[int, list[BoardCard]]]
    focus: tuple[int, int] | None = None


class BoardScreen(DealMoves):
    NOUN = "deal"
    BINDINGS = [
        Binding("left", "column(-1)", "Prev column", show=False, id="board.left"),
        Binding("right", "column(1)", "Next column", show=False, id="board.right"),
        Binding("down,j", "card(1)", "Next card", show=False, id="board.down"),
        Binding("up,k", "card(-1)", "Prev card", show=False, id="board.up"),
        Binding("g,home", "edge(-1)", "First card", show=False, id="board.top"),
        Binding("G,end", "edge(1)", "Last card", show=False, id="board.bottom"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="board.page-up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="board.page-down"),
        Binding("enter", "open", "Open", show=False, tooltip="Open deal", id="board.open"),
        Binding(
            "shift+right,greater_than_sign",
            "step(1)",
            "Next",
            key_display=">",
            tooltip="Move to next stage",
            id="board.move-right",
        ),
        Binding(
            "shift+left,less_than_sign",
            "step(-1)",
            "Prev",
            key_display="<",
            tooltip="Move to previous stage",
            id="board.move-left",
        ),
        Binding("m", "move", "Move", tooltip="Move to any stage (reopen)", id="board.move"),
        Binding("w", "won", "Won", tooltip="Mark won", id="board.won"),
        Binding("l", "lost", "Lost", tooltip="Mark lost", id="board.lost"),
        Binding("n", "new", "New", tooltip="New deal", id="board.new"),
        Binding("slash", "search", "Find", tooltip="Filter by text", id="board.filter"),
        Binding("f", "show", "Show", tooltip="Show open / won / lost / all deals", id="board.show"),
        Binding("o", "owner", "Owner", show=False, tooltip="Filter by owner", id="board.owner"),
        Binding("r", "reload", "Reload", show=False, id="board.reload"),
        Binding("escape", "clear_filters", "Clear filters", show=False, id="board.clear"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.search = ""
        self.owner = ""
        self.shown = "open"
        """Which deals the board shows: one of `services.board.SHOWN`."""
        self.columns: list[BoardColumn] = []
        self._debounce: Timer | None = None
        self._showing = asyncio.Lock()

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="filter deals by title or company", id="board-search")
        yield Static("", id="board-status")
        yield Horizontal(id="board-columns")
        yield SteadyFooter(compact=True)

    def on_mount(self) -> None:
        self.sub_title = "Pipeline"
        self.query_one("#board-search").display = False
        self.reload()

    def on_screen_resume(self) -> None:
        """Back from another mode or a deal: deals may have changed there. Back from a dialog
        whose change is still being written, that change shows the board after it; a reload
        now could read the board before it and land last."""
        changing = any(
            w.node is self and w.group == "board-change" and not w.is_finished
            for w in self.app.workers
        )
        if self.columns and not changing:
            self.reload()

    # --- loading ------------------------------------------------------------------------

    def wanted(self) -> DealFilter:
        from tinycrm.services.board import board_filter

        return board_filter(search=self.search, owner=self.owner, status=self.shown)

    def reload(self, *, focus_deal: int | None = None, only: set[int] | None = None) -> None:
        """Fetch headers and visible pages in one worker; `focus_deal` puts the cursor on it,
        `only` limits the refetched cards to those columns (and the focused deal's)."""
        fetch = partial(self._fetch, self.wanted(), self._cursors(), focus_deal, only)
        self.db(fetch, self._show, group="board", exclusive=True)

    def apply(
        self, job: Callable[[Session], Outcome], t: Target, done: Callable[[Outcome], None]
    ) -> None:
        """Write with `job`, then show the board as it is after it, in one worker: the
        deal's old column and the one it is in now, or all of it when the move was refused
        (someone else changed the board)."""
        wanted, cursors, source = self.wanted(), self._cursors(), self._source()
        outcome: list[Outcome] = []

        def write(session: Session) -> None:
            outcome.append(job(session))

        def fetch(session: Session) -> BoardData:
            only = None if isinstance(outcome[0], Overtaken) else source
            return self._fetch(wanted, cursors, t.deal_id, only, session)

        async def show(data: BoardData) -> None:
            await self._show(data)
            done(outcome[0])

        self.db(write, show, write=True, then=fetch, group="board-change")

    def target(self) -> Target | None:
        column = self.current
        card = column.selected if column is not None else None
        if column is None or card is None:
            self.notify("no deal selected", severity="warning")
            return None
        return Target(card.id, card.version, card.title, column.stage_name, card.status)

    def _cursors(self) -> dict[int, int]:
        return {c.stage_id: c.cursor for c in self.columns}

    def _fetch(
        self,
        wanted: DealFilter,
        cursors: dict[int, int],
        focus_deal: int | None,
        only: set[int] | None,
        session: Session,
    ) -> BoardData:
        from tinycrm.services.board import board_columns, board_position

        columns = board_columns(session, wanted=wanted)
        focus = board_position(session, deal_id=focus_deal, wanted=wanted) if focus_deal else None
        if focus is not None:
            cursors = {**cursors, focus[0]: focus[1]}
            only = None if only is None else {*only, focus[0]}
        pages = {
            c.stage_id: self._pages_around(session, wanted, c.stage_id, cursors.get(c.stage_id, 0))
            for c in columns
            if only is None or c.stage_id in only
        }
        return BoardData(columns, pages, focus)

    def _pages_around(
        self, session: Session, wanted: DealFilter, stage_id: int, cursor: int
    ) -> dict[int, list[BoardCard]]:
        """The cursor's page of cards, and its neighbour when the cursor is near an edge."""
        from tinycrm.services.board import board_cards

        page, within = divmod(cursor, PAGE)
        wanted_pages = {page}
        if within < EDGE and page:
            wanted_pages.add(page - 1)
        if within >= PAGE - EDGE:
            wanted_pages.add(page + 1)
        st = self.state
        return {
            p: board_cards(
                session,
                stage_id=stage_id,
                wanted=wanted,
                now=st.now(),
                stale_days=st.settings.stale_days,
                offset=p * PAGE,
                limit=PAGE,
            )
            for p in wanted_pages
        }

    async def _show(self, data: BoardData) -> None:
        """Show what a trip brought; other stages (another view) rebuild the columns, the
        old ones gone before the new ones come (they share ids: `stage-<id>`)."""
        async with self._showing:  # one answer at a time: a rebuild awaits
            await self._rebuild(data)
            for column, stage in zip(self.columns, data.columns, strict=True):
                column.set_stage(stage)
                if stage.stage_id in data.pages:
                    column.replace_pages(data.pages[stage.stage_id])
            if data.focus is not None:
                stage_id, index = data.focus
                target = next(c for c in self.columns if c.stage_id == stage_id)
                target.cursor = index
                target.focus()
            self._show_status(data)

    async def _rebuild(self, data: BoardData) -> None:
        holder = self.query_one("#board-columns", Horizontal)
        if [c.stage_id for c in self.columns] != [s.stage_id for s in data.columns]:
            await holder.remove_children()
            self.columns = [
                BoardColumn(
                    s, self._load_page, self.state.settings.currency, id=f"stage-{s.stage_id}"
                )
                for s in data.columns
            ]
            await holder.mount_all(self.columns)
            if self.columns:
                self.columns[0].focus()

    def _show_status(self, data: BoardData) -> None:
        deals = sum(c.count for c in data.columns)
        parts = [plural(deals, "deal" if self.shown == "all" else f"{self.shown} deal")]
        if self.search:
            parts.append(f"filter: {self.search!r}")
        if self.owner:
            parts.append(f"owner: {self.owner}")
        filtered = self.search or self.owner or self.shown != "open"
        then = SHOWN[(SHOWN.index(self.shown) + 1) % len(SHOWN)]
        hint = f"  (f shows {then}{', esc clears' if filtered else ''})"
        self.query_one("#board-status", Static).update(" · ".join(parts) + hint)

    def _load_page(self, stage_id: int, offset: int, limit: int) -> None:
        from tinycrm.services.board import board_cards

        wanted, st = self.wanted(), self.state

        def job(session: Session) -> list[BoardCard]:
            return board_cards(
                session,
                stage_id=stage_id,
                wanted=wanted,
                now=st.now(),
                stale_days=st.settings.stale_days,
                offset=offset,
                limit=limit,
            )

        def done(cards: list[BoardCard]) -> None:
            for column in self.columns:
                if column.stage_id == stage_id:
                    column.put_page(offset // PAGE, cards)

        self.db(job, done, group=f"page-{stage_id}-{offset}")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The won view offers no `w` and no steps, the lost view no `l` and no steps: every
        card there already is (as on the deal screen); `m` still reopens."""
        closed = self.shown in ("won", "lost")
        if action == "step":
            return not closed
        if action in ("won", "lost"):
            return self.shown != action
        return True

    # --- focus and cursor ---------------------------------------------------------------

    @property
    def current(self) -> BoardColumn | None:
        focused = self.focused
        if isinstance(focused, BoardColumn):
            return focused
        return self.columns[0] if self.columns else None

    def action_column(self, delta: int) -> None:
        if not self.columns or (column := self.current) is None:
            return
        index = self.columns.index(column) + delta
        self.columns[max(0, min(len(self.columns) - 1, index))].focus()

    def action_card(self, delta: int) -> None:
        if (column := self.current) is not None:
            column.move_cursor(delta)

    def action_edge(self, direction: int) -> None:
        if (column := self.current) is not None:
            column.cursor = 0 if direction < 0 else max(0, column.count - 1)

    def action_page(self, direction: int) -> None:
        if (column := self.current) is not None:
            column.move_cursor(direction * column.page_cards)

    def selected_deal(self) -> int | None:
        column = self.current
        card = column.selected if column is not None else None
        if card is None:
            self.notify("no deal selected", severity="warning")
            return None
        return card.id

    # --- actions on the selected deal ---------------------------------------------------

    def action_open(self) -> None:
        if (deal_id := self.selected_deal()) is not None:
            self.open_deal(deal_id)

    def on_board_column_opened(self, event: BoardColumn.Opened) -> None:
        self.open_deal(event.deal_id)

    def open_deal(self, deal_id: int) -> None:
        from tinycrm.screens.deal import DealScreen

        self.app.push_screen(DealScreen(deal_id), lambda _: self.reload())

    def _source(self) -> set[int]:
        column = self.current
        return {column.stage_id} if column is not None else set()

    def action_new(self) -> None:
        column = self.current
        stage = column.stage_name if column else ""
        fields = [
            Field("title", "Title", required=True),
            Field(
                "amount",
                "Amount",
                placeholder=f"e.g. 12500 or 12.5k {self.state.settings.currency}",
            ),
            Field("company", "Company", placeholder="name or domain"),
            Field("contact", "Contact", placeholder="name or email"),
            Field("owner", "Owner", value=self.owner or self.state.settings.user),
            Field("stage", "Stage", value=stage),
            Field("close", "Expected close", placeholder="e.g. 2026-12-15, +2w, next fri"),
        ]
        self.ask(FormDialog("New deal", fields), self._create)

    def _create(self, values: dict[str, str] | None) -> None:
        from tinycrm.models import DealCreate
        from tinycrm.services.deals import create_deal

        if values is None:
            return
        st = self.state
        created: list[int] = []

        def job(session: Session) -> None:
            amount = st.money(values["amount"] or "0", "amount")
            data = DealCreate(
                title=values["title"],
                amount_minor=amount.minor if amount else 0,
                currency=amount.currency if amount else None,
                company=values["company"] or None,
                contact=values["contact"] or None,
                owner=values["owner"] or None,
                stage=values["stage"] or None,
                expected_close=st.day(values["close"], "expected close"),
            )
            row = create_deal(
                session,
                data=data,
                currency=st.settings.currency,
                actor=st.actor(session),
                now=st.now(),
            )
            created.append(row.id)

        wanted, cursors = self.wanted(), self._cursors()

        def show(session: Session) -> BoardData:
            return self._fetch(wanted, cursors, created[0], set(), session)

        self.db(job, self._show, write=True, then=show, group="board-change")

    # --- filters ------------------------------------------------------------------------

    def action_search(self) -> None:
        search = self.query_one("#board-search", Input)
        search.display = True
        self.set_focus(search)  # now, not later: the keys typed next are the filter's

    def on_input_changed(self, event: Input.Changed) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(0.12, partial(self._apply_search, event.value))

    def _apply_search(self, text: str) -> None:
        self.search = text.strip()
        self.reload()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._apply_search(event.value)
        if not event.value.strip():
            event.input.display = False
        if self.columns:
            self.columns[0].focus()

    def action_owner(self) -> None:
        from tinycrm.services.board import owner_names

        def pick(names: list[str]) -> None:
            self.app.push_screen(ChoiceDialog("Show deals of", [EVERYONE, *names]), self._owned)

        self.db(owner_names, pick)

    def _owned(self, owner: str | None) -> None:
        if owner is None:
            return
        self.owner = "" if owner == EVERYONE else owner
        self.reload()

    def action_clear_filters(self) -> None:
        search = self.query_one("#board-search", Input)
        if search.has_focus and search.value:
            search.value = ""
            return
        search.value, search.display = "", False
        if self.search or self.owner or self.shown != "open":
            self.search = self.owner = ""
            self.shown = "open"
            self.refresh_bindings()
            self.reload()
        if self.columns:
            self.columns[0].focus()

    def action_show(self) -> None:
        """Show the next of open, won, lost and all deals."""
        self.shown = SHOWN[(SHOWN.index(self.shown) + 1) % len(SHOWN)]
        self.refresh_bindings()
        self.reload()

    def action_reload(self) -> None:
        self.reload()
