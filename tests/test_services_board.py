"""The read models behind the terminal app (services/board.py) on both backends: board
columns and windows, where a deal sits, and contact search by prefix."""

from __future__ import annotations

from tests.conftest import NOW
from tinycrm.db.store import Database, session_scope
from tinycrm.services.board import (
    board_cards,
    board_columns,
    board_filter,
    board_position,
    owner_names,
)
from tinycrm.services.contacts import list_contacts
from tinycrm.services.demo import load_demo


def demo(db: Database) -> None:
    with session_scope(db, write=True) as session:
        load_demo(session, now=NOW, currency="USD")


def test_columns_windows_and_positions(db: Database) -> None:
    demo(db)
    with session_scope(db, write=False) as session:
        columns = board_columns(session, wanted=board_filter())
        assert [(c.name, c.count, [m.minor for m in c.totals]) for c in columns] == [
            ("lead", 3, [5_075_000]),
            ("contacted", 4, [2_470_000]),
            ("qualified", 5, [10_030_000]),
            ("negotiation", 3, [11_525_000]),
        ]
        lead = columns[0].stage_id
        cards = board_cards(
            session,
            stage_id=lead,
            wanted=board_filter(),
            now=NOW,
            stale_days=14,
            offset=0,
            limit=10,
        )
        assert [(c.id, c.days_in_stage, c.stale) for c in cards] == [
            (24, 11, False),
            (25, 17, True),
            (23, 4, False),
        ]
        second = board_cards(
            session, stage_id=lead, wanted=board_filter(), now=NOW, stale_days=14, offset=1,
            limit=1,
        )  # fmt: skip
        assert [c.id for c in second] == [25]
        assert board_position(session, deal_id=23, wanted=board_filter()) == (lead, 2)
        cloud = board_filter(search="cloud")
        assert board_position(session, deal_id=11, wanted=cloud) == (columns[3].stage_id, 0)
        assert board_position(session, deal_id=24, wanted=cloud) is None
        priya = board_filter(owner="Priya Raman")
        assert [c.count for c in board_columns(session, wanted=priya)] == [0, 2, 2, 1]
        assert owner_names(session) == ["Daniel Okafor", "Maria Lopez", "Priya Raman", "王芳"]


def test_the_apps_contact_pages_search_words_in_name_email_company_and_tag(db: Database) -> None:
    demo(db)
    with session_scope(db, write=False) as session:

        def names(text: str) -> list[str]:
            return [c.name for c in list_contacts(session, search=text or None, limit=100)]

        assert len(names("")) == 30
        assert names("harb") == ["Pieter de Vries", "Ruben Smit", "Sanne Bakker"]
        assert names("ka") == ["Kavya Nair", "Yuki Tanaka"]  # anywhere in a word
        assert names("vries") == ["Pieter de Vries"]
        assert names("kavya.n") == ["Kavya Nair"]
        assert len(names("vip")) == 7
        assert names("zzq") == []
        page = list_contacts(session, limit=5, offset=5)
        assert [c.name for c in page] == names("")[5:10]
