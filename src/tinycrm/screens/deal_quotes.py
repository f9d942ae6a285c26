"""The deal screen's lines and quotes: add, edit and remove the deal's own lines (its amount
follows them, as `crm line` does), quote them, revise a quote (the new version supersedes
it) and mark one sent or declined (as `crm quote`). Accepting one is in the palette
(`DealScreen.accept_quote`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial
from typing import TYPE_CHECKING

from textual.binding import Binding

from tinycrm.screens.dialogs import Field, FormDialog
from tinycrm.screens.record import RecordScreen

if TYPE_CHECKING:
    from sqlmodel import Session

    from tinycrm.context import AppState
    from tinycrm.services.lines import LineRow
    from tinycrm.services.quotes import DealLines, QuoteDetail, QuoteRow

QUOTE_LINES, DEAL_LINES = "the quote's lines", "the deal's lines now"
VALID_HINT = "e.g. 30d, 2w or a date"


def line_choice(r: LineRow) -> str:
    """`2. Setup × 2 @ 250.00 USD = 500.00 USD`, as the pick lists offer a line."""
    return f"{r.position}. {r.description} × {r.quantity} @ {r.unit_price} = {r.total}"


def quote_choice(q: QuoteRow) -> str:
    until = f", until {q.valid_until}" if q.valid_until else ""
    return f"#{q.id} rev {q.revision} · {q.status} · {q.total}{until}"


def valid_until(st: AppState, text: str) -> date | None:
    """How long a quote is valid, as `crm quote --valid` reads it: a span (`30d`, `2w`; a
    bare number is days) from today, or a date; empty is no end."""
    from tinycrm.dates import parse_duration
    from tinycrm.errors import InvalidInput

    text = text.strip()
    if not text:
        return None
    if text.isdigit():
        text += "d"
    try:
        return st.today() + parse_duration(text, field="valid for")
    except InvalidInput:
        return st.day(text, "valid for")


def line_fields(r: LineRow | None = None) -> list[Field]:
    """The line form, filled in from `r` when it edits one."""
    off = r.discount if r is not None else ""
    tax = r.tax_percent if r is not None and r.tax_percent not in ("0%", "0.00%") else ""
    return [
        Field("item", "Item", (r.sku or r.description) if r else "",
              placeholder="a product's SKU or name, or a description", required=True),
        Field("quantity", "Quantity", r.quantity if r else "", placeholder="1"),
        Field("price", "Unit price", r.unit_price.plain() if r else "",
              placeholder="the product's price (a description needs one)"),
        Field("off", "Discount", off, placeholder="e.g. 10% or 50 (optional)"),
        Field("tax", "Tax", tax, placeholder="e.g. 19% (optional)"),
    ]  # fmt: skip


class QuoteForms(RecordScreen):
    """A deal's screen, whose `lines` and `quotes` (the open ones) are those of the deal
    `deal_id` as last read."""

    BINDINGS = [
        Binding("i", "add_line", "Line", tooltip="Add a line", id="deal.line-add"),
        Binding("I", "edit_line", "Edit line", show=False, tooltip="Edit a line",
                id="deal.line-edit"),
        Binding("D", "remove_line", "Remove line", show=False, tooltip="Remove a line",
                id="deal.line-remove"),
        # hidden from the footer: with it, `?` no longer fits 80 columns on a deal with lines
        Binding("q", "quote", "Quote", show=False, tooltip="Quote the deal's lines",
                id="deal.quote"),
        Binding("Q", "revise_quote", "Revise", show=False, tooltip="Revise a quote",
                id="deal.quote-revise"),
        Binding("S", "send_quote", "Send", show=False, tooltip="Mark a quote sent",
                id="deal.quote-send"),
        Binding("x", "decline_quote", "Decline", show=False, tooltip="Decline a quote",
                id="deal.quote-decline"),
    ]  # fmt: skip
    deal_id: int

    @property
    def lines(self) -> list[LineRow]:
        view = getattr(self, "view", None)
        return list(view.lines) if view is not None else []

    @property
    def quotes(self) -> list[QuoteRow]:
        """The deal's draft and sent quotes, newest first."""
        view = getattr(self, "view", None)
        return list(view.quotes) if view is not None else []

    def is_open(self) -> bool:
        view = getattr(self, "view", None)
        return view is not None and view.detail.row.status == "open"

    def quote_action(self, action: str) -> bool | None:
        """Whether a line or quote action applies now (None: not one of them)."""
        drafts = [q for q in self.quotes if q.status == "draft"]
        return {
            "add_line": True,
            "edit_line": bool(self.lines),
            "remove_line": bool(self.lines),
            "quote": self.is_open() and bool(self.lines),
            "revise_quote": bool(self.quotes),
            "send_quote": bool(drafts),
            "decline_quote": bool(self.quotes),
        }.get(action)

    def _lines_saved(self, what: str, lines: DealLines) -> None:
        self.notify(f"{what}: {len(lines.lines)} line(s), amount {lines.amount}")
        self.reload()

    # --- lines ------------------------------------------------------------------------------

    def action_add_line(self) -> None:
        form = FormDialog(f"Add a line to deal #{self.deal_id}", line_fields())
        self.ask(form, partial(self._put_line, None))

    def action_edit_line(self) -> None:
        self.choose("Edit which line?", self.lines, line_choice, self._edit_line)

    def action_remove_line(self) -> None:
        self.choose("Remove which line?", self.lines, line_choice, self._remove_line, one_asks=True)

    def _edit_line(self, r: LineRow) -> None:
        form = FormDialog(f"Edit line {r.position} of deal #{self.deal_id}", line_fields(r))
        self.ask(form, partial(self._put_line, r.position))

    def _put_line(self, position: int | None, values: dict[str, str] | None) -> None:
        from tinycrm.services.quotes import put_deal_line

        if values is None:
            return
        st = self.state

        def job(session: Session) -> DealLines:
            return put_deal_line(
                session, deal=self.deal_id, item=values["item"], quantity=values["quantity"],
                unit_price=values["price"], off=values["off"], tax=values["tax"],
                position=position, yen=st.yen,
            )  # fmt: skip

        what = "line added" if position is None else f"line {position} saved"
        self.db(job, partial(self._lines_saved, what), write=True)

    def _remove_line(self, r: LineRow) -> None:
        from tinycrm.services.quotes import remove_deal_line

        job = partial(remove_deal_line, deal=self.deal_id, position=r.position)
        done = partial(self._lines_saved, f"line {r.position} removed ({r.description})")
        self.db(lambda s: job(s), done, write=True)

    # --- quotes -----------------------------------------------------------------------------

    def action_quote(self) -> None:
        fields = [
            Field("discount", "Discount on the whole quote", placeholder="e.g. 5% or 100"),
            Field("valid", "Valid for", "30d", placeholder=f"{VALID_HINT} (empty: no end)"),
            Field("notes", "Notes", placeholder="printed on the quote (optional)"),
        ]
        form = FormDialog(f"Quote the lines of deal #{self.deal_id}", fields)
        self.ask(form, self._quote)

    def _quote(self, values: dict[str, str] | None) -> None:
        from tinycrm.services.quotes import quote_deal

        if values is None:
            return
        st = self.state

        def job(session: Session) -> QuoteDetail:
            return quote_deal(
                session, deal=self.deal_id, discount=values["discount"] or None,
                valid_until=valid_until(st, values["valid"]), notes=values["notes"] or None,
                now=st.now(), today=st.today(), yen=st.yen,
            )  # fmt: skip

        self.db(job, partial(self._quoted, "added"), write=True)

    def _quoted(self, verb: str, d: QuoteDetail) -> None:
        self.notify(f"quote #{d.row.id} {verb}: {d.row.total} (revision {d.row.revision})")
        self.reload()

    def _pick_quote(
        self, title: str, then: Callable[[QuoteRow], None], *, status: str | None = None
    ) -> None:
        offers = [q for q in self.quotes if status in (None, q.status)]
        self.choose(title, offers, quote_choice, then, one_asks=True)

    def action_revise_quote(self) -> None:
        self.choose("Revise which quote?", self.quotes, quote_choice, self._revise_form)

    def _revise_form(self, q: QuoteRow) -> None:
        lines = (QUOTE_LINES, DEAL_LINES) if self.lines else (QUOTE_LINES,)
        fields = [
            Field("lines", "Lines", choices=lines),
            Field("discount", "Discount on the whole quote", q.discount,
                  placeholder="e.g. 5% or 100 (empty: none)"),
            Field("valid", "Valid for", placeholder=f"{VALID_HINT} (empty: as it was)"),
        ]  # fmt: skip
        form = FormDialog(f"Revise quote #{q.id} (rev {q.revision})", fields)
        self.ask(form, partial(self._revise, q.id))

    def _revise(self, quote_id: int, values: dict[str, str] | None) -> None:
        from tinycrm.services.quotes import revise_quote

        if values is None:
            return
        st = self.state

        def job(session: Session) -> QuoteDetail:
            return revise_quote(
                session, ref=quote_id, discount=values["discount"],
                valid_until=valid_until(st, values["valid"]),
                from_deal=values["lines"] == DEAL_LINES, now=st.now(), today=st.today(),
                yen=st.yen,
            )  # fmt: skip

        self.db(job, partial(self._quoted, f"replaces #{quote_id}"), write=True)

    def action_send_quote(self) -> None:
        self._pick_quote("Mark which quote sent?", partial(self._decide, "sent"), status="draft")

    def action_decline_quote(self) -> None:
        self._pick_quote("Which quote did the customer decline?", partial(self._decide, "declined"))

    def _decide(self, verb: str, q: QuoteRow) -> None:
        from tinycrm.services.quotes import decline_quote, send_quote

        st, write = self.state, send_quote if verb == "sent" else decline_quote

        def job(session: Session) -> QuoteRow:
            return write(session, ref=q.id, now=st.now(), today=st.today(), version=q.version)

        def done(row: QuoteRow) -> None:
            self.notify(f"quote #{row.id} {verb}: {row.total}")
            self.reload()

        self.db(job, done, write=True)
