"""Taking back the last change made in the app: a stage move, a won or lost, an activity
marked done, a campaign deleted.

A change made undoably returns an `Undo` beside its result: what the record was before and
its version right after the change. `take_back` applies the reverse through the same
services as any change, so it is checked (refused with `Changed` when someone changed the
record in between), written to the stage history and the audit log like any change, and
never rewrites what was recorded.

Undoing a delete restores the deleted campaign as a new record (a new number) with the same
name, channel, cost, dates and notes, and links the contacts and deals it had back to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo

from sqlmodel import Session, col, select

from tinycrm.errors import Conflict, check_version
from tinycrm.models import Activity, Contact, Deal, Stage, User
from tinycrm.services.activities import (
    ActivityRow,
    complete_activity,
    delete_activity,
    next_in_series,
)
from tinycrm.services.campaigns import create_campaign, delete_campaign
from tinycrm.services.deals import move_deal
from tinycrm.services.refs import by_id, resolve_campaign, resolve_deal


@dataclass(frozen=True)
class Undo:
    """How to take one change back; `version` is the record's right after the change."""

    kind: str
    """`deal` (a stage move, won or lost), `done` (an activity marked done) or `campaign`
    (a campaign deleted)."""
    record_id: int
    version: int
    said: str
    """What undoing does, as a notice says it: `deal #24 back to lead`."""
    stage: str = ""
    reason: str | None = None
    closed_at: datetime | None = None
    follow_up: int | None = None
    """The next occurrence a recurring activity's done scheduled (deleted on undo)."""
    campaign: dict[str, object] = field(default_factory=dict)
    contacts: tuple[int, ...] = ()
    deals: tuple[int, ...] = ()


@dataclass(frozen=True)
class DealBefore:
    """A deal as it was before a change: where it stood and how it had closed."""

    deal_id: int
    stage: str
    reason: str | None
    closed_at: datetime | None


def deal_before(session: Session, *, ref: object) -> DealBefore:
    deal = resolve_deal(session, ref)
    stage = session.get(Stage, deal.stage_id)
    assert deal.id is not None and stage is not None
    return DealBefore(deal.id, stage.name, deal.lost_reason, deal.closed_at)


def deal_undo(session: Session, *, before: DealBefore) -> Undo:
    """The undo of a change to the deal `before` describes, read after that change."""
    deal = resolve_deal(session, before.deal_id)
    said = f"deal #{before.deal_id} back to {before.stage}"
    return Undo(
        "deal", before.deal_id, deal.version, said, before.stage, before.reason, before.closed_at
    )


def complete_undoably(
    session: Session, *, ref: object, now: datetime, tz: tzinfo = UTC
) -> tuple[ActivityRow, Undo]:
    """Mark an activity done (`complete_activity`), with how to take it back."""
    row = complete_activity(session, ref=ref, now=now, tz=tz)
    following = next_in_series(session, row)
    activity = by_id(session, Activity, row.id, "activity")
    follow_up = following.id if following is not None else None
    said = f"{row.subject!r} is not done"
    return row, Undo("done", row.id, activity.version, said, follow_up=follow_up)


def delete_campaign_undoably(session: Session, *, ref: str) -> Undo:
    """Delete a campaign (`delete_campaign`), keeping what restores it."""
    campaign = resolve_campaign(session, ref)
    kept = ("name", "currency", "cost_minor", "channel", "starts_on", "ends_on", "notes")
    snapshot = {name: getattr(campaign, name) for name in kept}
    contacts = list(session.exec(select(col(Contact.id)).where(Contact.campaign_id == campaign.id)))
    deals = list(session.exec(select(col(Deal.id)).where(Deal.campaign_id == campaign.id)))
    assert campaign.id is not None
    row = delete_campaign(session, ref=str(campaign.id))
    said = f"campaign {row.name!r} restored"
    return Undo(
        "campaign", campaign.id, 0, said, campaign=snapshot,
        contacts=tuple(i for i in contacts if i is not None),
        deals=tuple(i for i in deals if i is not None),
    )  # fmt: skip


def take_back(session: Session, *, undo: Undo, actor: User | None, now: datetime) -> str:
    """Apply `undo`; refused (`Changed`) when its record changed since. Returns `undo.said`."""
    if undo.kind == "deal":
        _deal_back(session, undo, actor=actor, now=now)
    elif undo.kind == "done":
        _not_done(session, undo)
    elif undo.kind == "campaign":
        _campaign_back(session, undo, now=now)
    else:
        raise Conflict(f"cannot undo {undo.kind!r}")
    return undo.said


def _deal_back(session: Session, undo: Undo, *, actor: User | None, now: datetime) -> None:
    """Move the deal back to its stage (a move like any other, in its stage history); a
    deal that was closed keeps the day it had closed, not the undo's."""
    move_deal(
        session, ref=undo.record_id, stage=undo.stage, reason=undo.reason, actor=actor, now=now,
        version=undo.version,
    )  # fmt: skip
    if undo.closed_at is not None:
        deal = resolve_deal(session, undo.record_id)
        deal.closed_at = undo.closed_at
        session.add(deal)
        session.flush()


def _not_done(session: Session, undo: Undo) -> None:
    """Open the activity again; the next occurrence its done scheduled goes, unless it was
    changed or done since."""
    activity = by_id(session, Activity, undo.record_id, "activity")
    check_version(f"activity #{undo.record_id}", activity.version, undo.version)
    activity.done_at = None
    session.add(activity)
    if undo.follow_up is not None:
        following = session.get(Activity, undo.follow_up)
        if following is not None and following.done_at is None and following.version == 1:
            delete_activity(session, ref=undo.follow_up)
    session.flush()


def _campaign_back(session: Session, undo: Undo, *, now: datetime) -> None:
    data = undo.campaign
    row = create_campaign(
        session,
        name=str(data["name"]),
        currency=str(data["currency"]),
        cost_minor=int(str(data["cost_minor"])),
        channel=_text(data["channel"]),
        starts_on=_day(data["starts_on"]),
        ends_on=_day(data["ends_on"]),
        notes=_text(data["notes"]),
        now=now,
    )
    contacts = session.exec(select(Contact).where(col(Contact.id).in_(undo.contacts)))
    deals = session.exec(select(Deal).where(col(Deal.id).in_(undo.deals)))
    for record in [*contacts, *deals]:
        if record.campaign_id is None:  # linked to another campaign since: left as it is
            record.campaign_id = row.id
            session.add(record)
    session.flush()


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _day(value: object) -> date | None:
    return value if isinstance(value, date) else None
