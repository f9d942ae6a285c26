"""Pictures of the companies list and the jump box (ctrl+k) at 80x24 and 140x40 over the
demo data. Refresh them on purpose with `pytest tests/test_tui_find_snapshots.py
--snapshot-update` and look at the SVGs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.test_tui_snapshots import after
from tests.tuihelp import make_app

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((140, 40), id="140x40")]


@pytest.mark.parametrize("size", SIZES)
def test_companies_list(size: tuple[int, int], demo: Path, snap_compare: Any) -> None:
    assert snap_compare(make_app(demo), terminal_size=size, run_before=after("7"))


@pytest.mark.parametrize("size", SIZES)
def test_jump_box(size: tuple[int, int], demo: Path, snap_compare: Any) -> None:
    keys = ("ctrl+k", *"mesa", "down")
    assert snap_compare(make_app(demo), terminal_size=size, run_before=after(*keys))
