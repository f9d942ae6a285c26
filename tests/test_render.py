"""Machine formats of `emit`: every kind of value a report row holds, to the byte, including
columns whose type changes from row to row (None, then a date) and values inside lists."""

from __future__ import annotations

import gc
from datetime import UTC, date, datetime, timedelta, timezone
from enum import Enum
from typing import Any

import pytest
import typer

from tinycrm.commands.render import Format, emit, many_rows
from tinycrm.money import Money


class Stage(Enum):
    won = "won"


ROWS: list[dict[str, Any]] = [
    {"name": 'Acme "Ltd", Lyon', "amount": Money(123456, "USD"), "due": None,
     "stage": Stage.won, "n": 3},
    {"name": "Ōsaka Shōji", "amount": Money(-5, "JPY"), "due": date(2026, 11, 2), "stage": None,
     "n": 1.5},
    {"name": "Gulf", "amount": Money(1005, "BHD"), "due": datetime(2026, 11, 2, 9, 30, tzinfo=UTC),
     "tags": ["a", "b"], "n": True},
    {"name": None, "amount": None, "due": {"b": Money(250, "EUR"), "a": [date(2026, 1, 1)]},
     "stage": "lost", "n": None},
]  # fmt: skip
COLUMNS = ("name", "amount", "due", "stage", "n", "tags")

CSV = """\
name,amount,due,stage,n,tags
"Acme ""Ltd"", Lyon",1234.56,,won,3,
Ōsaka Shōji,-5,2026-11-02,,1.5,
Gulf,1.005,2026-11-02T09:30:00+00:00,,True,a;b
,,"{""a"": [""2026-01-01""], ""b"": 2.5}",lost,,
"""
JSONL = """\
{"name": "Acme \\"Ltd\\", Lyon", "amount": 1234.56, "due": null, "stage": "won", "n": 3, "tags": null}
{"name": "Ōsaka Shōji", "amount": -5, "due": "2026-11-02", "stage": null, "n": 1.5, "tags": null}
{"name": "Gulf", "amount": 1.005, "due": "2026-11-02T09:30:00+00:00", "stage": null, "n": true, "tags": ["a", "b"]}
{"name": null, "amount": null, "due": {"b": 2.5, "a": ["2026-01-01"]}, "stage": "lost", "n": null, "tags": null}
"""  # noqa: E501
JSON = """\
[
  {
    "name": "Acme \\"Ltd\\", Lyon",
    "amount": 1234.56,
    "due": null,
    "stage": "won",
    "n": 3,
    "tags": null
  },
  {
    "name": "Ōsaka Shōji",
    "amount": -5,
    "due": "2026-11-02",
    "stage": null,
    "n": 1.5,
    "tags": null
  },
  {
    "name": "Gulf",
    "amount": 1.005,
    "due": "2026-11-02T09:30:00+00:00",
    "stage": null,
    "n": true,
    "tags": [
      "a",
      "b"
    ]
  },
  {
    "name": null,
    "amount": null,
    "due": {
      "b": 2.5,
      "a": [
        "2026-01-01"
      ]
    },
    "stage": "lost",
    "n": null,
    "tags": null
  }
]
"""


@pytest.mark.parametrize(("fmt", "expected"), [(Format.csv, CSV), (Format.json, JSON),
                                               (Format.jsonl, JSONL)])  # fmt: skip
def test_machine_formats_to_the_byte(
    fmt: Format, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    emit(ROWS, fmt, timezone(timedelta(hours=2)), columns=COLUMNS)
    assert capsys.readouterr().out == expected


def test_json_of_no_rows_is_an_empty_list(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(typer.Exit) as stopped:
        emit([], Format.json, UTC, columns=COLUMNS)
    assert stopped.value.exit_code == 1
    assert capsys.readouterr().out == "[]\n"


def test_many_rows_pauses_the_collector_and_restores_it() -> None:
    assert gc.isenabled()
    with many_rows():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with many_rows():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
