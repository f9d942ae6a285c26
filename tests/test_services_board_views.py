"""The board's won, lost and all views (services/board.py) on both backends: which stages
are columns, closed deals latest closed first, where a closed deal sits."""

from __future__ import annotations

import pytest

from tests.conftest import NOW
from tinycrm.db.store import Database, session_scope
from tinycrm.errors import InvalidInput
from tinycrm.services.board import board_cards, board_columns, board_filter, board_position
from tinycrm.services.demo import load_demo


def test_won_lost_and_all_views(db: Database) -> None:
    with session_scope(db, write=True) as session:
        load_demo(session, now=NOW, currency="USD")
    with session_scope(db, write=False) as session:
        views = {
            shown: [
                (c.name, c.count) for c in board_columns(session, wanted=board_filter(status=shown))
            ]
            for shown in ("won", "lost", "all")
        }
        won = board_columns(session, wanted=board_filter(status="won"))[0]
        cards = board_cards(
            session, stage_id=won.stage_id, wanted=board_filter(status="won"), now=NOW,
            stale_days=14, offset=0, limit=10,
        )  # fmt: skip
        closed = [c.id for c in cards]
        third = board_position(session, deal_id=cards[2].id, wanted=board_filter(status="won"))
        hidden = board_position(session, deal_id=cards[2].id, wanted=board_filter())
    assert views == {
        "won": [("won", 6)],
        "lost": [("lost", 4)],
        "all": [("lead", 3), ("contacted", 4), ("qualified", 5), ("negotiation", 3),
                ("won", 6), ("lost", 4)],
    }  # fmt: skip
    assert len(cards) == 6 and not any(c.stale for c in cards)  # closed deals are never stale
    assert closed == [5, 3, 6, 4, 1, 2]  # latest closed first, not by expected close
    assert third == (won.stage_id, 2)
    assert hidden is None  # a won deal is not on the open board


def test_an_unknown_view_is_refused() -> None:
    with pytest.raises(InvalidInput, match="status"):
        board_filter(status="closed")
