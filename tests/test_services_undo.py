"""Undo through the services: an activity marked done opens again (its next occurrence
goes), a deleted campaign comes back with its contacts and deals, and an undo of a record
changed since is refused like any stale change."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import col, select

from tests.conftest import NOW
from tests.tuihelp import database
from tinycrm.db.store import session_scope
from tinycrm.errors import Changed
from tinycrm.models import (
    Activity,
    ActivityCreate,
    ActivityKind,
    ActivityUpdate,
    Campaign,
    Contact,
    Deal,
)
from tinycrm.services.activities import schedule_activity, update_activity
from tinycrm.services.campaigns import create_campaign
from tinycrm.services.deals import win_deal
from tinycrm.services.undo import (
    complete_undoably,
    deal_before,
    deal_undo,
    delete_campaign_undoably,
    take_back,
)

pytestmark = pytest.mark.demo(aftersale=False)
LATER = NOW + timedelta(minutes=5)


def test_undoing_a_done_opens_it_again_and_drops_its_next_occurrence(demo: Path) -> None:
    db = database(demo)
    with session_scope(db, write=True) as s:
        data = ActivityCreate(
            kind=ActivityKind.call, subject="Weekly check-in", deal=24,
            due_at=NOW - timedelta(hours=1), rrule="FREQ=WEEKLY",
        )  # fmt: skip
        made = schedule_activity(s, data=data, actor=None, now=NOW)
    with session_scope(db, write=True) as s:
        row, undo = complete_undoably(s, ref=made.id, now=NOW)
        assert row.done_at == NOW and undo.follow_up is not None
        follow_up = undo.follow_up
    with session_scope(db, write=True) as s:
        said = take_back(s, undo=undo, actor=None, now=LATER)
    with session_scope(db, write=False) as s:
        again = s.get(Activity, made.id)
        assert again is not None and again.done_at is None
        assert s.get(Activity, follow_up) is None
        series = s.exec(select(col(Activity.id)).where(Activity.series_id == made.id)).all()
    db.engine.dispose()
    assert said == "'Weekly check-in' is not done"
    assert list(series) == [made.id]  # itself: the series has no other occurrence


def test_undoing_a_campaign_delete_restores_it_and_its_links(demo: Path) -> None:
    db = database(demo)
    with session_scope(db, write=True) as s:
        made = create_campaign(s, name="Spring fair", currency="USD", cost_minor=50_000,
                               channel="event", now=NOW)  # fmt: skip
        for model, ids in ((Contact, (1, 2)), (Deal, (24,))):
            for record in s.exec(select(model).where(col(model.id).in_(ids))):
                record.campaign_id = made.id
                s.add(record)
    with session_scope(db, write=True) as s:
        undo = delete_campaign_undoably(s, ref=str(made.id))
    with session_scope(db, write=True) as s:
        assert s.get(Campaign, made.id) is None
        said = take_back(s, undo=undo, actor=None, now=LATER)
    with session_scope(db, write=False) as s:
        back = s.exec(select(Campaign).where(Campaign.name == "Spring fair")).one()
        contacts = s.exec(select(col(Contact.id)).where(Contact.campaign_id == back.id)).all()
        deals = s.exec(select(col(Deal.id)).where(Deal.campaign_id == back.id)).all()
    db.engine.dispose()
    assert said == "campaign 'Spring fair' restored"
    assert (back.cost_minor, back.currency, back.channel) == (50_000, "USD", "event")
    assert (sorted(c or 0 for c in contacts), list(deals)) == ([1, 2], [24])


def test_an_undo_of_a_record_changed_since_is_refused(demo: Path) -> None:
    db = database(demo)
    with session_scope(db, write=True) as s:
        before = deal_before(s, ref=24)
        win_deal(s, ref=24, actor=None, now=NOW)
        undo = deal_undo(s, before=before)
    with session_scope(db, write=True) as s:  # someone edits the won deal meanwhile
        deal = s.get(Deal, 24)
        assert deal is not None
        deal.title = "Tablet rollout, phase 1"
        s.add(deal)
    with pytest.raises(Changed), session_scope(db, write=True) as s:
        take_back(s, undo=undo, actor=None, now=LATER)
    with session_scope(db, write=True) as s:
        made = schedule_activity(
            s,
            data=ActivityCreate(kind=ActivityKind.task, subject="Send quote", due_at=NOW),
            actor=None,
        )
        _, done = complete_undoably(s, ref=made.id, now=NOW)
    with session_scope(db, write=True) as s:
        update_activity(s, ref=made.id, data=ActivityUpdate(subject="Send the quote"))
    with pytest.raises(Changed), session_scope(db, write=True) as s:
        take_back(s, undo=done, actor=None, now=LATER)
    with session_scope(db, write=False) as s:
        won = s.get(Deal, 24)
        task = s.get(Activity, made.id)
    db.engine.dispose()
    assert won is not None and won.status == "won"
    assert task is not None and task.done_at == NOW
