"""`crm quote …`: priced offers on a deal, their versions, and the document a customer reads.

A line reads `SKU|DESCRIPTION [xQTY] [@PRICE|PRICE] [-N%|-AMOUNT] [tax=N%]`: `GTXP x3` is
three of product GTXP at its list price, `Setup 500` one "Setup" at 500 in the deal's
currency. Amounts are worked out per line, rounded half up to the minor unit (README)."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tinycrm.commands.base import App
from tinycrm.commands.common import IfVersion, confirm
from tinycrm.commands.render import Format, FormatOption, as_row, done, emit, emit_record
from tinycrm.context import state

if TYPE_CHECKING:
    from datetime import date

    from tinycrm.services.quotes import QuoteRow

app = App(no_args_is_help=True)

QuoteId = Annotated[int, typer.Argument(help="Quote id.")]
Lines = Annotated[
    list[str] | None,
    typer.Option(
        "--line",
        metavar="LINE",
        help="A line, repeated: 'SKU xQTY', 'Text PRICE', '… -10%', '… tax=19%'.",
    ),
]
Discount = Annotated[
    str | None, typer.Option("--discount", help="Off the whole quote: 5% or an amount.")
]
Valid = Annotated[str | None, typer.Option("--valid", help="Valid for (30d, 2w) or until a date.")]
Tax = Annotated[
    str | None, typer.Option("--tax", help="Tax rate of lines that name none, e.g. 19%.")
]
Notes = Annotated[str | None, typer.Option("--notes", help="Free text printed on the quote.")]
COLUMNS = ("id", "deal_id", "deal", "series", "revision", "status", "discount", "subtotal",
           "tax", "total", "currency", "valid_until", "order_id")  # fmt: skip
LINE_COLUMNS = ("position", "sku", "description", "quantity", "unit", "unit_price", "discount",
                "tax_percent", "net", "tax", "total")  # fmt: skip
DOCUMENTS = ("md", "html", "pdf")


def _row(row: QuoteRow) -> dict[str, Any]:
    return as_row(row, currency=row.total.currency)


def _valid(text: str | None) -> date | None:
    from tinycrm.dates import parse_duration
    from tinycrm.errors import InvalidInput

    st = state()
    if text is None or not text.strip():
        return None
    try:
        return st.today() + parse_duration(text, field="--valid")
    except InvalidInput:
        return st.day(text, "--valid")


def _tax(text: str | None) -> Decimal:
    from tinycrm.services.lines import percent

    return Decimal(0) if text is None else percent(text, "--tax")


def _said(detail: Any, verb: str) -> None:
    r = detail.row
    done(f"quote #{r.id} {verb}: {r.total} for deal #{r.deal_id} {r.deal} (revision {r.revision})")


@app.command("add")
def add(
    deal: Annotated[int, typer.Option("--deal", help="The open deal it offers for.")],
    line: Lines = None,
    discount: Discount = None,
    valid: Valid = None,
    tax: Tax = None,
    notes: Notes = None,
) -> None:
    """Add a draft quote to a deal."""
    from tinycrm.services import quotes

    st = state()
    with st.session(write=True) as session:
        detail = quotes.create_quote(
            session, deal=deal, lines=line or [], discount=discount, valid_until=_valid(valid),
            tax=_tax(tax), notes=notes, now=st.now(), today=st.today(), yen=st.yen,
        )  # fmt: skip
    _said(detail, "added")


@app.command("revise")
def revise(
    quote_id: QuoteId,
    line: Lines = None,
    discount: Discount = None,
    valid: Valid = None,
    tax: Tax = None,
    notes: Notes = None,
) -> None:
    """Make the next version of a quote; it supersedes this one. What is not given is kept."""
    from tinycrm.services import quotes

    st = state()
    with st.session(write=True) as session:
        detail = quotes.revise_quote(
            session, ref=quote_id, lines=line, discount=discount, valid_until=_valid(valid),
            tax=_tax(tax), notes=notes, now=st.now(), today=st.today(), yen=st.yen,
        )  # fmt: skip
    _said(detail, "added")


@app.command("list")
def list_(
    deal: Annotated[int | None, typer.Option("--deal", help="Only this deal's quotes.")] = None,
    status: Annotated[
        str,
        typer.Option(
            "--status", help="draft, sent, accepted, declined, superseded, expired or all."
        ),  # fmt: skip
    ] = "all",
    fmt: FormatOption = Format.table,
) -> None:
    """List quotes, newest first."""
    from tinycrm.services import quotes

    st = state()
    with st.session(write=False) as session:
        rows = quotes.list_quotes(session, today=st.today(), deal=deal, status=status)
    emit([_row(r) for r in rows], fmt, st.tz, columns=COLUMNS, empty="no quotes match")


@app.command("show")
def show(
    quote_id: QuoteId,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="table, csv, json or jsonl; or a document: md, html or pdf.",
        ),
    ] = "table",
    output: Annotated[
        str, typer.Option("--output", "-o", metavar="FILE", help="Write to FILE (pdf: required).")
    ] = "-",
    font: Annotated[
        Path | None,
        typer.Option("--font", metavar="PATH", help="PDF: a TrueType font with every character."),
    ] = None,
) -> None:
    """Show a quote with its lines, or render it as a document (md, html, pdf)."""
    from tinycrm.errors import InvalidInput
    from tinycrm.services import quotes

    kinds = (*(f.value for f in Format), *DOCUMENTS)
    if fmt not in kinds:
        raise InvalidInput("--format", fmt, f"must be one of {', '.join(kinds)}")
    st = state()
    with st.session(write=False) as session:
        detail = quotes.get_quote(session, ref=quote_id, today=st.today())
    if fmt in DOCUMENTS:
        _document(detail, fmt, output, font)
        return
    emit_record(
        {**_row(detail.row), "notes": detail.notes, "customer": detail.customer},
        Format(fmt), st.tz,
        sections={"lines": ([as_row(r) for r in detail.lines], LINE_COLUMNS)},
    )  # fmt: skip


def _document(detail: Any, kind: str, output: str, font: Path | None) -> None:
    from tinycrm.config import config_path
    from tinycrm.errors import InvalidInput
    from tinycrm.services import documents

    doc = documents.document(detail)
    if kind == "pdf":
        if output == "-" and sys.stdout.isatty():
            raise InvalidInput("--output", None, "a PDF goes to a file: give -o FILE")
        configured = state().settings.extra.get("pdf_font")
        data = documents.pdf_bytes(doc, font=font or (Path(configured) if configured else None))
    else:
        folder = config_path().parent / "templates"
        template = documents.template_of(kind, folder)
        data = documents.RENDERERS[kind](doc, template, f"quote.{kind}").encode("utf-8")
    if output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    Path(output).write_bytes(data)
    done(f"quote #{detail.row.id} written to {output}")


def _decide(verb: str, quote_id: int, if_version: int | None) -> None:
    from tinycrm.services import quotes

    st = state()
    action = {"sent": quotes.send_quote, "declined": quotes.decline_quote}[verb]
    with st.session(write=True) as session:
        row = action(session, ref=quote_id, now=st.now(), today=st.today(), version=if_version)
    done(f"quote #{row.id} {verb}: {row.total}")


@app.command("send")
def send(quote_id: QuoteId, if_version: IfVersion = None) -> None:
    """Mark a draft quote sent to the customer."""
    _decide("sent", quote_id, if_version)


@app.command("decline")
def decline(quote_id: QuoteId, if_version: IfVersion = None) -> None:
    """The customer said no."""
    _decide("declined", quote_id, if_version)


@app.command("accept")
def accept(quote_id: QuoteId, if_version: IfVersion = None) -> None:
    """The customer said yes: the deal takes the quote's total, is won, and gets its order
    with the same lines."""
    from tinycrm.services import quotes

    st = state()
    with st.session(write=True) as session:
        got = quotes.accept_quote(
            session, ref=quote_id, actor=st.actor(session), now=st.now(), today=st.today(),
            version=if_version,
        )  # fmt: skip
    q = got.quote
    done(f"quote #{q.id} accepted: deal #{q.deal_id} won at {got.amount}, order #{got.order_id}")


@app.command("rm")
def rm(
    quote_id: QuoteId, yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False
) -> None:
    """Delete a quote that was not accepted."""
    from tinycrm.services import quotes

    st = state()
    with st.session(write=False) as session:
        row = quotes.get_quote(session, ref=quote_id, today=st.today()).row
    confirm(f"delete quote #{row.id} ({row.total}, {row.status})?", yes=yes)
    with st.session(write=True) as session:
        quotes.delete_quote(session, ref=quote_id, today=st.today())
    done(f"quote #{row.id} deleted")
