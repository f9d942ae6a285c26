"""`crm product`, `crm line` and `crm quote` as a user types them: exact figures in every
format, the customer's document in Markdown, HTML and PDF (Chinese included), and bad input
refused in one line with exit code 2."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.ttGlyphPen import TTGlyphPen

from tests.clihelp import Crm
from tests.conftest import sqlite_only
from tinycrm.config import config_path
from tinycrm.services import documents


def make_font(path: Path, chars: str) -> Path:
    """A TrueType font with a box for each of `chars` (and nothing else)."""
    names = [".notdef", "space"] + [f"g{ord(c):04X}" for c in chars]
    fb = FontBuilder(1000, isTTF=True)
    fb.setupGlyphOrder(names)
    fb.setupCharacterMap({32: "space"} | {ord(c): f"g{ord(c):04X}" for c in chars})
    pen = TTGlyphPen(None)
    for x, y in ((100, 0), (100, 700), (600, 700)):
        (pen.moveTo if (x, y) == (100, 0) else pen.lineTo)((x, y))
    pen.lineTo((600, 0))
    pen.closePath()
    box, empty = pen.glyph(), TTGlyphPen(None).glyph()
    fb.setupGlyf({n: empty if n == "space" else box for n in names})
    fb.setupHorizontalMetrics(dict.fromkeys(names, (700, 100)))
    fb.setupHorizontalHeader(ascent=800, descent=-200)
    fb.setupNameTable({"familyName": "Boxes", "styleName": "Regular"})
    fb.setupOS2(sTypoAscender=800, usWinAscent=800, usWinDescent=200)
    fb.setupPost()
    fb.save(str(path))
    return path


LATIN = string.printable.strip() + "—"


@pytest.fixture
def quoted(crm: Crm) -> Crm:
    crm("user", "add", "Ann Lee", "--role", "admin")
    crm("product", "add", "GTX Pro", "--sku", "gtxp", "--price", "48.21", "--currency", "EUR",
        "--unit", "unit")  # fmt: skip
    crm("deal", "add", "Acme rollout", "--amount", "€1")
    crm("quote", "add", "--deal", "1", "--line", "GTXP x3 -10%", "--line", "安装服务 500",
        "--discount", "5%", "--valid", "30d", "--tax", "19%", "--notes", "谢谢")  # fmt: skip
    return crm


def test_products_list_show_edit_and_archive(quoted: Crm) -> None:
    crm = quoted
    assert crm("product", "list", "-f", "csv").out.splitlines() == [
        "id,sku,name,price,currency,unit,archived",
        "1,GTXP,GTX Pro,48.21,EUR,unit,False",
    ]
    edited = crm("product", "edit", "gtxp", "--price", "50").out
    assert edited == "product GTXP updated: GTX Pro at 50.00 EUR\n"
    assert crm("product", "rm", "GTXP", "--yes").out == "product GTXP archived: lines name it\n"
    assert crm("product", "list", "-f", "json", ok=False).code == 1  # nothing to list
    assert crm("product", "show", "1", "-f", "json").json()["archived"] is True


def test_quote_figures_in_every_format(quoted: Crm) -> None:
    shown = quoted("quote", "show", "1", "-f", "json").json()
    assert (shown["subtotal"], shown["tax"], shown["total"]) == (598.66, 113.75, 712.41)
    assert (shown["valid_until"], shown["discount"]) == ("2026-12-23", "5%")
    assert [(r["description"], r["net"], r["tax"], r["total"]) for r in shown["lines"]] == [
        ("GTX Pro", 123.66, 23.5, 147.16),
        ("安装服务", 475.0, 90.25, 565.25),
    ]
    listed = quoted("quote", "list", "-f", "csv").out.splitlines()
    assert listed[1] == "1,1,Acme rollout,1,1,draft,5%,598.66,113.75,712.41,EUR,2026-12-23,"


def test_markdown_and_html_documents_and_a_users_template(quoted: Crm, tmp_path: Path) -> None:
    md = quoted("quote", "show", "1", "-f", "md").out
    assert "| 安装服务 | 1 | 500.00 EUR | - | 19% | 565.25 EUR |" in md
    assert "| **Total** | **712.41 EUR** |" in md
    page = quoted("quote", "show", "1", "-f", "html", "-o", str(tmp_path / "q.html"))
    assert page.out == f"quote #1 written to {tmp_path / 'q.html'}\n"
    text = (tmp_path / "q.html").read_text(encoding="utf-8")
    assert "<td>安装服务</td>" in text and "<p>谢谢</p>" in text
    folder = config_path().parent / "templates"  # beside the config file (in CRM_HOME)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "quote.md").write_text("报价 $number: $total\n", encoding="utf-8")
    assert quoted("quote", "show", "1", "-f", "md").out == "报价 Q1: 712.41 EUR\n"
    (folder / "quote.md").write_text("$nope\n", encoding="utf-8")
    bad = quoted("quote", "show", "1", "-f", "md", ok=False)
    assert (bad.code, bad.err) == (
        2,
        "crm: error: template: unknown placeholder $nope: 'quote.md'\n",
    )


def test_pdf_with_chinese_draws_in_the_font_given(quoted: Crm, tmp_path: Path) -> None:
    font = make_font(tmp_path / "boxes.ttf", LATIN + "安装服务谢报价€")
    doc = documents.pdf_bytes(
        documents.Document(dict.fromkeys(documents.FIELDS, "报价") | {"date": "2026-11-23"}, []),
        font=font,
        compress=False,
    )
    assert doc.startswith(b"%PDF-") and b"Boxes" in doc
    assert b"<0001> <62A5>" in doc and b"<0002> <4EF7>" in doc  # 报 and 价, copyable as text
    out = tmp_path / "q.pdf"
    quoted("quote", "show", "1", "-f", "pdf", "--font", str(font), "-o", str(out))
    assert out.read_bytes().startswith(b"%PDF-")


def test_pdf_refuses_a_font_without_the_characters(quoted: Crm, tmp_path: Path) -> None:
    latin = make_font(tmp_path / "latin.ttf", LATIN + "€")
    ran = quoted("quote", "show", "1", "-f", "pdf", "--font", str(latin), "-o",
                 str(tmp_path / "q.pdf"), ok=False)  # fmt: skip
    assert ran.code == 2
    assert ran.err == (
        "crm: error: PDF: the font latin.ttf has no glyph for 务安服装谢; give a font that "
        "has (e.g. Noto Sans CJK for Chinese)\n"
    )
    assert not (tmp_path / "q.pdf").exists()
    with pytest.raises(documents.DocumentError, match="install a CJK font"):
        documents.pick_font("报价", None, places=[str(latin)])


def test_accept_from_the_command_line(quoted: Crm) -> None:
    crm = quoted
    crm("quote", "send", "1")
    assert crm("quote", "accept", "1").out == (
        "quote #1 accepted: deal #1 won at 712.41 EUR, order #1\n"
    )
    deal = crm("deal", "show", "1", "-f", "json").json()
    assert (deal["status"], deal["amount"]) == ("won", 712.41)
    order = crm("order", "list", "-f", "json").json()
    assert [(o["deal_id"], o["amount"]) for o in order] == [(1, 712.41)]
    logged = {
        (e["object"], e["record_id"], e["action"])
        for e in crm("audit", "list", "-f", "json").json()
    }
    assert {("products", 1, "create"), ("quotes", 1, "create"), ("deals", 1, "win")} <= logged
    assert deal["amount_from"] == "its 2 line(s)"
    assert [q["status"] for q in deal["quotes"]] == ["accepted"]
    crm("deal", "edit", "1", "--amount", "700")
    edited = crm("deal", "show", "1", "-f", "json").json()["amount_from"]
    assert edited == "set by hand; its 2 line(s) come to 712.41 EUR"
    lines = crm("line", "list", "--deal", "1", "-f", "csv").out.splitlines()
    assert lines[1:] == [
        "1,GTXP,GTX Pro,3,unit,48.21,10%,19%,123.66,23.50,147.16,EUR",
        "2,,安装服务,1,,500.00,,19%,475.00,90.25,565.25,EUR",
    ]


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (("quote", "add", "--deal", "1", "--line", "Nope"),
         "line: no product has the SKU 'Nope'; give a price (e.g. 'Nope 500'): 'Nope'"),
        (("quote", "add", "--deal", "1", "--line", "GTXP", "--discount", "120%"),
         "discount: a percent from 0 to 100: '120%'"),
        (("quote", "add", "--deal", "1", "--line", "GTXP", "--valid", "someday"),
         "--valid: not a date or time I can read: 'someday'"),
        (("quote", "show", "1", "-f", "docx"),
         "--format: must be one of table, csv, json, jsonl, md, html, pdf: 'docx'"),
        (("product", "add", "X", "--sku", "GTXP", "--price", "1"),
         "sku: a product already has the SKU GTXP"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line(quoted: Crm, args: tuple[str, ...], line: str) -> None:
    ran = quoted(*args, ok=False)
    assert ran.code in (2, 3)
    assert ran.err.splitlines() == [f"crm: error: {line}"]


@sqlite_only
def test_a_backup_carries_products_quotes_lines_and_orders(
    quoted: Crm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    quoted("quote", "accept", "1")
    before = quoted("quote", "show", "1", "-f", "json").json()
    quoted("backup", "-o", str(tmp_path / "b.zip"))
    monkeypatch.setenv("CRM_DB", str(tmp_path / "restored.db"))
    quoted("restore", str(tmp_path / "b.zip"))
    assert quoted("quote", "show", "1", "-f", "json").json() == before
    assert quoted("line", "list", "--deal", "1", "-f", "json").json()[1]["total"] == 565.25
    assert quoted("product", "show", "GTXP", "-f", "json").json()["price"] == 48.21


def test_adding_or_revising_a_quote_is_one_audit_entry_each(quoted: Crm) -> None:
    def logged() -> list[tuple[int, str, dict[str, list[object]]]]:
        found = quoted("audit", "list", "--object", "quotes", "-f", "json").json()
        return [(e["record_id"], e["action"], e["changes"]) for e in reversed(found)]

    [(record, action, changes)] = logged()
    assert (record, action) == (1, "create")
    assert {k: changes[k] for k in ("series", "revision", "status", "discount_percent",
                                    "subtotal_minor", "tax_minor", "total_minor")} == {
        "series": [None, 1], "revision": [None, 1], "status": [None, "draft"],
        "discount_percent": [None, "5"], "subtotal_minor": [None, 59866],
        "tax_minor": [None, 11375], "total_minor": [None, 71241],
    }  # fmt: skip
    quoted("quote", "revise", "1", "--discount", "0")
    assert [(r, a) for r, a, _ in logged()] == [(1, "create"), (1, "edit"), (2, "create")]
    revised = logged()[2][2]
    assert (revised["series"], revised["revision"], revised["total_minor"]) == (
        [None, 1], [None, 2], [None, 74990],
    )  # 130.17 + 24.73 (3 x 48.21 less 10%, 19% tax) + 500.00 + 95.00  # fmt: skip


def test_accepting_is_one_audit_entry_per_record_it_changes(quoted: Crm) -> None:
    quoted("quote", "send", "1")
    sent = len(quoted("audit", "list", "-f", "json").json())
    quoted("quote", "accept", "1")
    found = quoted("audit", "list", "-f", "json").json()
    assert len(found) == sent + 3
    logged = {(e["object"], e["record_id"], e["action"]): e["changes"] for e in found[:3]}
    assert logged == {
        ("quotes", 1, "edit"): {
            "status": ["sent", "accepted"], "order_id": [None, 1],
            "decided_at": [None, "2026-11-23T09:30:00+00:00"],
        },
        ("deals", 1, "win"): {
            "amount_minor": [100, 71241], "stage_id": [1, 5], "status": ["open", "won"],
            "closed_at": [None, "2026-11-23T09:30:00+00:00"],
        },
        ("orders", 1, "create"): {
            "deal_id": [None, 1], "amount_minor": [None, 71241], "currency": [None, "EUR"],
            "ordered_on": [None, "2026-11-23"], "paid_minor": [None, 0],
        },
    }  # fmt: skip
