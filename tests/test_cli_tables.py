"""Command-line tables fit the terminal: at 80 and at 200 columns every list and every report
on the demo data shows each number, amount, rate, date and id whole, hides exactly the
columns it says it hides (one line on stderr), and `--columns` picks columns in every format.
CSV and JSON are the same at any width."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len

from tests.clihelp import Crm, Ran
from tinycrm.commands.fit import measure
from tinycrm.commands.render import Format, emit

HIDDEN_AT_80: dict[str, str] = {
    "user list": "quota_period, open_deals",
    "stage list": "",
    "team list": "",
    "lead list": "source, campaign, created_at, last_activity_at",
    "deal list": "expected_close, owner, days_in_stage",
    "contact list": "title, status, owner, tags",
    "campaign list": "",
    "ticket list": "contact, company, opened_at, resolved_at, csat",
    "payment list": "reference",
    "company list": "country, owner, contacts, open_deals",
    "audit list": "user, login, changes, note",
    "order list": "outstanding, currency, ordered_on, due_on, overdue",
    "kb search invoice": "",
    "kb list": "",
    "activity list": "company, deal, owner",
    "report funnel --no-chart": "",
    "report conversion": "",
    "report performance": "avg_won, median_cycle_days, activities",
    "report forecast": "",
    "report pipeline": "probability",
    "report receivables": "",
    "report campaigns": "channel, starts_on, ends_on, cost_per_lead, cost_per_won",
    "report segments --by abc": "",
    "report segments --by abc --list": "",
    "report segments --by rfm": "",
    "report segments --by rfm --list": "kind, last_paid, recency_days",
    "report retention": "from, to, avg_revenue",
    "report service": "csat_count",
    "report service --by month": "csat_count",
}
"""What each command's table hides at 80 columns (at 200, nothing)."""

FIGURE = re.compile(r"(?<!\S)(?:\d{4}-\d\d-\d\d(?: \d\d:\d\d)?|[-−]?\d[\d,]*(?:\.\d+)?%?)(?!\S)")
"""A figure as a table shows it, whole: `14,800.00`, `50.0%`, `2026-11-20`, `2026-12-07 14:01`."""


@pytest.fixture
def run(demo: Path, monkeypatch: pytest.MonkeyPatch) -> object:
    monkeypatch.setenv("CRM_DB", str(demo))
    monkeypatch.setenv("CRM_CURRENCY", "USD")
    crm = Crm()

    def at(width: int, *args: str) -> Ran:
        monkeypatch.setenv("COLUMNS", str(width))
        return crm(*args)

    return at


def hidden_line(width: int, hidden: str) -> str:
    if not hidden:
        return ""
    return f"hidden at {width} columns: {hidden} — use --columns or a wider terminal\n"


def shown_columns(run: object, args: list[str], hidden: str) -> list[str]:
    """The columns a table of `args` shows: what JSON gives, less those hidden, less a
    report's currency columns (everything in the demo is in USD)."""
    keys = list(run(200, *args, "--format", "json").json()[0])  # type: ignore[operator]
    gone = set(hidden.split(", ")) if hidden else set()
    if args[0] == "report":
        gone |= {"other_currency", "currency"}
    return [k for k in keys if k not in gone]


@pytest.mark.parametrize("command", list(HIDDEN_AT_80))
def test_a_table_never_cuts_a_figure_and_says_what_it_hides(run: object, command: str) -> None:
    args = command.split()
    for width, hidden in ((80, HIDDEN_AT_80[command]), (200, "")):
        ran: Ran = run(width, *args)  # type: ignore[operator]
        assert ran.err == hidden_line(width, hidden)
        assert max(cell_len(line) for line in ran.out.splitlines()) <= width
        shown = shown_columns(run, args, hidden)
        wide: Ran = run(400, *args, "--columns", ",".join(shown))  # type: ignore[operator]
        missing = Counter(FIGURE.findall(wide.out)) - Counter(FIGURE.findall(ran.out))
        assert not missing, f"cut or wrapped at {width}: {sorted(missing)}"
        assert ran.out.count("…") == wide.out.count("…")  # only what the data itself holds


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_machine_formats_are_the_same_at_any_width(run: object, fmt: str) -> None:
    for command in ("deal list", "report performance", "report campaigns"):
        narrow = run(80, *command.split(), "--format", fmt)  # type: ignore[operator]
        wide = run(400, *command.split(), "--format", fmt)  # type: ignore[operator]
        assert (narrow.out, narrow.err) == (wide.out, "")
        assert "currency" in narrow.out


def test_columns_picks_and_orders_columns_in_every_format(run: object) -> None:
    table = run(80, "deal", "list", "--columns", "amount,id,owner")  # type: ignore[operator]
    assert table.out.splitlines()[1].split() == ["amount", "id", "owner"]
    assert table.err == ""
    csv = run(80, "deal", "list", "--columns", "id, expected close", "--format", "csv")  # type: ignore[operator]
    assert csv.out.splitlines()[0] == "id,expected_close"
    report = run(80, "report", "funnel", "--no-chart", "--columns", "stage,other currency")  # type: ignore[operator]
    assert report.out.splitlines()[2].split() == ["stage", "other", "currency"]
    assert report.out.splitlines()[0].rstrip() == "Funnel, all time"  # chosen: no currency dropped


def test_an_unknown_column_is_one_line_and_exit_2(
    demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRM_DB", str(demo))
    ran = Crm()("contact", "list", "--columns", "id,nmae", ok=False)
    assert ran.code == 2
    assert ran.err == (
        "crm: error: --columns: no such column (choose from id, name, email, phone, company, "
        "title, status, owner, tags): 'nmae'\n"
    )


def test_a_report_in_one_currency_drops_its_currency_columns(run: object) -> None:
    out = run(200, "report", "forecast").out  # type: ignore[operator]
    assert (
        out.splitlines()[0].rstrip() == "Forecast of open deals by expected close — amounts in USD"
    )
    assert "currency" not in out
    assert '"other_currency": 0' in run(200, "report", "forecast", "--format", "json").out  # type: ignore[operator]


def test_a_report_with_another_currency_keeps_them(run: object) -> None:
    run(200, "deal", "add", "Tokyo pilot", "--amount", "900000 JPY", "--close", "2026-12-20")  # type: ignore[operator]
    out = run(200, "report", "forecast").out  # type: ignore[operator]
    assert out.splitlines()[0].rstrip() == "Forecast of open deals by expected close"
    assert "other currency" in out.splitlines()[2]


def test_widths_are_terminal_cells(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Next to Chinese names the figures line up: widths count cells, not characters."""
    rows: list[dict[str, Any]] = [
        {"name": "云帆科技 Yunfan Technology", "amount": 64000},
        {"name": "王芳", "amount": 5},
        {"name": "Ōsaka Shōji", "amount": 123456},
    ]
    assert [
        c.natural
        for c in measure(["name", "amount"], rows, [[r["name"], str(r["amount"])] for r in rows])
    ] == [26, 6]
    monkeypatch.setenv("COLUMNS", "24")
    emit(rows, Format.table, tz=None, columns=("name", "amount"))  # type: ignore[arg-type]
    lines = [line.rstrip() for line in capsys.readouterr().out.splitlines()]
    ends = {cell_len(line) for line in lines if re.search(r"\d$", line)}
    assert len(ends) == 1 and ends.pop() <= 24
    assert "123456" in "".join(lines) and "64000" in "".join(lines)
