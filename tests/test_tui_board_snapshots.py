"""The board with an overflowing column (503 cards in lead) at 80x24 and 140x40, at the
column's end after G: the focused card on screen, every header with its count. Refresh on
purpose with `--snapshot-update` on this file and look at the SVGs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.test_tui_board_long import long_board
from tests.test_tui_snapshots import after
from tests.tuihelp import make_app

__all__ = ["long_board"]  # the fixture, used by name


@pytest.mark.parametrize(
    ("size", "keys"),
    [
        pytest.param((80, 24), ("G",), id="80x24"),
        pytest.param((140, 40), ("G", "right"), id="140x40"),
    ],
)
def test_long_board(
    size: tuple[int, int], keys: tuple[str, ...], long_board: Path, snap_compare: Any
) -> None:
    assert snap_compare(make_app(long_board), terminal_size=size, run_before=after(*keys))
