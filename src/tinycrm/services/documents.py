"""A quote as a document the customer reads: Markdown, HTML or PDF.

Markdown and HTML come from a `string.Template` (`$name` placeholders, see `FIELDS`): the
packaged one below, or the user's own `quote.md` / `quote.html` in the `templates` folder
beside the config file, which takes its place. PDF is drawn with fpdf2 in a TrueType font
that has every character of the document: the one given (`--font`, or `pdf_font` in the
config), else the first found among common system fonts; Chinese needs a CJK font (e.g.
Debian's fonts-noto-cjk or fonts-wqy-zenhei), and without one the PDF is refused in one
line that says what to install or configure, never drawn with missing glyphs.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from string import Template

from tinycrm.errors import CrmError, InvalidInput
from tinycrm.services.lines import LineRow
from tinycrm.services.quotes import QuoteDetail

FIELDS = ("title", "number", "date", "valid_until", "customer", "deal", "owner", "status",
          "lines", "subtotal", "discount", "tax", "total", "currency", "notes")  # fmt: skip
"""What a template may use, each as `$name`: `lines` is the lines' table (Markdown or HTML)."""

MARKDOWN = """\
# $title $number

| | |
|---|---|
| Date | $date |
| Valid until | $valid_until |
| Customer | $customer |
| Deal | $deal |
| Your contact | $owner |
| Quote discount | $discount |

$lines

| | |
|---:|---:|
| Subtotal | $subtotal |
| Tax | $tax |
| **Total** | **$total** |

$notes
"""

HTML = """\
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>$title $number</title>
<style>body{font-family:sans-serif;max-width:50em;margin:2em auto}
table{border-collapse:collapse;width:100%}td,th{padding:.3em .6em;border-bottom:1px solid #ccc}
td.n,th.n{text-align:right}</style></head>
<body>
<h1>$title $number</h1>
<p>Date: $date<br>Valid until: $valid_until<br>Customer: $customer<br>Deal: $deal<br>
Your contact: $owner<br>Quote discount: $discount</p>
$lines
<table class="totals">
<tr><td class="n">Subtotal</td><td class="n">$subtotal</td></tr>
<tr><td class="n">Tax</td><td class="n">$tax</td></tr>
<tr><th class="n">Total</th><th class="n">$total</th></tr>
</table>
<p>$notes</p>
</body></html>
"""

HEADINGS = ("Item", "Qty", "Unit price", "Discount", "Tax", "Amount")
FONT_PLACES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/System/Library/Fonts/PingFang.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simsun.ttc",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
)
"""Where common systems keep a font, CJK ones first; the first with every character wins."""
NO_FONT = (
    "PDF: no font with every character of this quote ({chars}); install a CJK font "
    "(e.g. fonts-noto-cjk) or give one with --font PATH or pdf_font in the config"
)


class DocumentError(CrmError):
    """A document that cannot be made as asked (exit 2)."""

    exit_code = 2


@dataclass(frozen=True)
class Document:
    fields: dict[str, str]
    lines: list[LineRow]


def document(detail: QuoteDetail, *, title: str = "Quote") -> Document:
    row = detail.row
    number = f"Q{row.series}" + (f"-{row.revision}" if row.revision > 1 else "")
    fields = {
        "title": title,
        "number": number,
        "date": row.created_at.date().isoformat(),
        "valid_until": row.valid_until.isoformat() if row.valid_until else "-",
        "customer": detail.customer or "-",
        "deal": row.deal,
        "owner": detail.owner or "-",
        "status": row.status,
        "subtotal": str(row.subtotal),
        "discount": row.discount or "-",
        "tax": str(row.tax),
        "total": str(row.total),
        "currency": row.total.currency,
        "notes": detail.notes or "",
    }
    return Document(fields, detail.lines)


def _cells(line: LineRow) -> list[str]:
    name = f"{line.sku} {line.description}" if line.sku else line.description
    qty = f"{line.quantity} {line.unit}" if line.unit else line.quantity
    return [name, qty, str(line.unit_price), line.discount or "-", line.tax_percent,
            str(line.total)]  # fmt: skip


def template_of(kind: str, folder: Path | None) -> str:
    """The user's template `quote.<kind>` in `folder` when there is one, else the packaged."""
    own = folder / f"quote.{kind}" if folder is not None else None
    if own is not None and own.is_file():
        return own.read_text(encoding="utf-8")
    return MARKDOWN if kind == "md" else HTML


def _fill(text: str, fields: dict[str, str], source: str) -> str:
    try:
        return Template(text).substitute(fields)
    except KeyError as exc:
        raise InvalidInput("template", source, f"unknown placeholder ${exc.args[0]}") from None
    except ValueError as exc:
        raise InvalidInput("template", source, str(exc)) from None


def markdown(doc: Document, template: str = MARKDOWN, source: str = "quote.md") -> str:
    def esc(text: str) -> str:
        return text.replace("|", "\\|")

    rows = ["| " + " | ".join(HEADINGS) + " |", "|---|---:|---:|---:|---:|---:|"]
    rows += ["| " + " | ".join(esc(c) for c in _cells(line)) + " |" for line in doc.lines]
    fields = {k: esc(v) for k, v in doc.fields.items()} | {"lines": "\n".join(rows)}
    return _fill(template, fields, source)


def _tag(tag: str, i: int, text: str) -> str:
    """A cell; every column but the first is a number, aligned right."""
    return f"<{tag}>{text}</{tag}>" if i == 0 else f'<{tag} class="n">{text}</{tag}>'


def html_text(doc: Document, template: str = HTML, source: str = "quote.html") -> str:
    head = "".join(_tag("th", i, h) for i, h in enumerate(HEADINGS))
    body = "".join(
        "<tr>" + "".join(_tag("td", i, html.escape(c)) for i, c in enumerate(_cells(line)))
        + "</tr>\n"
        for line in doc.lines
    )  # fmt: skip
    table = f'<table class="lines">\n<tr>{head}</tr>\n{body}</table>'
    fields = {k: html.escape(v) for k, v in doc.fields.items()} | {"lines": table}
    return _fill(template, fields, source)


def _text_of(doc: Document) -> str:
    return " ".join([*doc.fields.values(), *HEADINGS, *(c for ln in doc.lines for c in _cells(ln))])


def _covers(path: Path, chars: set[str]) -> set[str]:
    """The characters of `chars` the font at `path` has no glyph for."""
    from fontTools.ttLib import TTFont

    try:
        font = TTFont(str(path), fontNumber=0, lazy=True)
    except Exception:  # not a font fontTools reads
        return chars
    cmap = font.getBestCmap() or {}
    return {c for c in chars if ord(c) not in cmap}


def pick_font(text: str, given: Path | None, places: Sequence[str] = FONT_PLACES) -> Path:
    """The font to draw `text` in: `given` (refused when it lacks a character), else the
    first of `places` that has every character."""
    chars = {c for c in text if not c.isspace()}
    if given is not None:
        if not given.is_file():
            raise InvalidInput("font", str(given), "no such file")
        if missing := _covers(given, chars):
            raise DocumentError(
                f"PDF: the font {given.name} has no glyph for {''.join(sorted(missing)[:5])}; "
                "give a font that has (e.g. Noto Sans CJK for Chinese)"
            )
        return given
    for place in places:
        path = Path(place)
        if path.is_file() and not _covers(path, chars):
            return path
    odd = "".join(sorted(c for c in chars if ord(c) > 0x2FF)[:5]) or "Latin letters"
    raise DocumentError(NO_FONT.format(chars=odd))


def pdf_bytes(doc: Document, *, font: Path | None = None, compress: bool = True,
              places: Sequence[str] = FONT_PLACES) -> bytes:  # fmt: skip
    """The document as a PDF (A4), drawn in the font `pick_font` chooses."""
    from fpdf import FPDF

    path = pick_font(_text_of(doc), font, places)
    pdf = FPDF(format="A4")
    pdf.set_compression(compress)
    pdf.set_creation_date(_midnight(doc.fields["date"]))
    pdf.add_font("body", fname=str(path))
    pdf.add_page()
    f = doc.fields
    pdf.set_font("body", size=18)
    pdf.cell(0, 12, f"{f['title']} {f['number']}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("body", size=10)
    heads = (("Date", "date"), ("Valid until", "valid_until"), ("Customer", "customer"),
             ("Deal", "deal"), ("Your contact", "owner"),
             ("Quote discount", "discount"))  # fmt: skip
    for label, key in heads:
        pdf.cell(0, 6, f"{label}: {f[key]}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    widths = (70, 20, 27, 20, 15, 28)
    aligned = ("LEFT", *["RIGHT"] * 5)
    with pdf.table(col_widths=widths, text_align=aligned, first_row_as_headings=False) as table:
        table.row(HEADINGS)
        for line in doc.lines:
            table.row(_cells(line))
    pdf.ln(4)
    for label, key in (("Subtotal", "subtotal"), ("Tax", "tax"), ("Total", "total")):
        pdf.cell(0, 7, f"{label}: {f[key]}", align="R", new_x="LMARGIN", new_y="NEXT")
    if f["notes"]:
        pdf.ln(4)
        pdf.multi_cell(0, 6, f["notes"])
    return bytes(pdf.output())


def _midnight(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), datetime.min.time(), tzinfo=UTC)


RENDERERS: dict[str, Callable[..., str]] = {"md": markdown, "html": html_text}
