"""Activities: what happened (calls, emails, meetings, notes) and what is due (tasks)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from sqlalchemy import and_, delete, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from tinycrm.db.query import check_limit
from tinycrm.errors import Conflict, InvalidInput, check_version
from tinycrm.models import (
    Activity,
    ActivityCreate,
    ActivityKind,
    ActivityUpdate,
    Company,
    Contact,
    Deal,
    User,
)
from tinycrm.models.base import utcnow
from tinycrm.normalize import clean
from tinycrm.services.filters import State
from tinycrm.services.refs import (
    by_id,
    optional,
    resolve_company,
    resolve_contact,
    resolve_deal,
    resolve_user,
)
from tinycrm.services.reminders.recurrence import next_occurrence


@dataclass(frozen=True)
class ActivityRow:
    id: int
    kind: str
    subject: str
    body: str | None
    contact: str | None
    company: str | None
    deal_id: int | None
    deal: str | None
    owner: str | None
    due_at: datetime | None
    done_at: datetime | None
    created_at: datetime
    remind_minutes: int | None = None
    rrule: str | None = None
    snoozed_until: datetime | None = None
    series_id: int | None = None

    @property
    def at(self) -> datetime:
        return self.done_at or self.due_at or self.created_at


def _links(session: Session, data: ActivityCreate | ActivityUpdate) -> dict[str, Any]:
    """Link ids from the references given; a deal brings its contact and company, a contact
    its company, so each record's timeline is one indexed lookup."""
    deal = optional(session, resolve_deal, data.deal)
    contact = optional(session, resolve_contact, data.contact)
    company = optional(session, resolve_company, data.company)
    contact_id = contact.id if contact else (deal.contact_id if deal else None)
    company_id = company.id if company else (deal.company_id if deal else None)
    if company_id is None and contact is not None:
        company_id = contact.company_id
    return {
        "deal_id": deal.id if deal else None,
        "contact_id": contact_id,
        "company_id": company_id,
    }


def _subject(data: ActivityCreate) -> str:
    subject = clean(data.subject)
    if subject:
        return subject
    first_line = next(iter((clean(data.body) or "").splitlines()), "")
    return first_line.strip()[:80].strip() or data.kind.value.capitalize()


def log_activity(
    session: Session, *, data: ActivityCreate, actor: User | None, now: datetime
) -> ActivityRow:
    """Record something that happened (at `data.done_at`, or now)."""
    return _create(session, data=data, actor=actor, done_at=data.done_at or now, now=now)


def schedule_activity(
    session: Session, *, data: ActivityCreate, actor: User | None, now: datetime | None = None
) -> ActivityRow:
    """Add something to do by `data.due_at`."""
    if data.due_at is None:
        raise InvalidInput("due", None, "a scheduled activity needs a due time")
    _check_lead(data.remind_minutes)
    row = _create(session, data=data, actor=actor, done_at=None, now=now)
    if data.rrule:
        activity = by_id(session, Activity, row.id, "activity")
        activity.series_id = activity.id
        session.add(activity)
        session.flush()
    return row


def _check_lead(minutes: int | None) -> None:
    if minutes is not None and not 0 <= minutes <= 60 * 24 * 366:
        raise InvalidInput("remind", f"{minutes}m", "must be between 0 and a year before")


def _create(
    session: Session,
    *,
    data: ActivityCreate,
    actor: User | None,
    done_at: datetime | None,
    now: datetime | None,
) -> ActivityRow:
    owner = optional(session, resolve_user, data.owner) or actor
    activity = Activity(
        kind=data.kind,
        subject=_subject(data),
        body=clean(data.body),
        due_at=data.due_at,
        done_at=done_at,
        remind_minutes=data.remind_minutes if done_at is None else None,
        rrule=data.rrule if done_at is None else None,
        owner_id=owner.id if owner else None,
        created_at=now or utcnow(),
        **_links(session, data),
    )
    session.add(activity)
    session.flush()
    return get_activity(session, ref=activity.id)


def complete_activity(
    session: Session, *, ref: object, now: datetime, tz: tzinfo = UTC
) -> ActivityRow:
    """Mark an activity done. A recurring one schedules its next occurrence (the first after
    both its due time and now, on the wall clock of `tz`); `next_in_series` finds it."""
    activity = by_id(session, Activity, ref, "activity")
    if activity.done_at is not None:
        raise Conflict(f"activity #{activity.id} is already done")
    activity.done_at = now
    session.add(activity)
    if activity.rrule and activity.due_at is not None:
        due = next_occurrence(activity.rrule, due_at=activity.due_at, after=now, tz=tz)
        if due is not None:
            session.add(_next_of(activity, due, now))
    session.flush()
    return get_activity(session, ref=activity.id)


def _next_of(done: Activity, due: datetime, now: datetime) -> Activity:
    kept = ("kind", "subject", "body", "remind_minutes", "rrule", "owner_id", "custom")
    links = ("contact_id", "company_id", "deal_id")
    fields = {name: getattr(done, name) for name in kept + links}
    return Activity(**fields, due_at=due, series_id=done.series_id or done.id, created_at=now)


def next_in_series(session: Session, row: ActivityRow) -> ActivityRow | None:
    """The open occurrence that follows a done recurring activity, if the rule goes on."""
    if row.series_id is None:
        return None
    found = session.exec(
        select(Activity.id)
        .where(Activity.series_id == row.series_id, col(Activity.done_at).is_(None))
        .order_by(col(Activity.due_at))
    ).first()
    return get_activity(session, ref=found) if found is not None else None


def snooze_activity(
    session: Session, *, ref: object, until: datetime, now: datetime
) -> ActivityRow:
    """Remind again at `until`; the due time stays (reschedule with `update_activity`)."""
    activity = by_id(session, Activity, ref, "activity")
    if activity.done_at is not None:
        raise Conflict(f"activity #{activity.id} is already done")
    if until <= now:
        raise InvalidInput("until", until.isoformat(), "a snooze must end in the future")
    activity.snoozed_until = until
    session.add(activity)
    session.flush()
    return get_activity(session, ref=activity.id)


def update_activity(
    session: Session, *, ref: object, data: ActivityUpdate, version: int | None = None
) -> ActivityRow:
    """Change what `data` sets; refused when `version` is given and the activity is at another."""
    activity = by_id(session, Activity, ref, "activity")
    check_version(f"activity #{activity.id}", activity.version, version)
    changes = data.model_dump(exclude_unset=True)
    if {"deal", "contact", "company"} & changes.keys():
        links = _links(session, data)
        changes.update({k: v for k, v in links.items() if v is not None})
    if "owner" in changes:
        owner = optional(session, resolve_user, changes.pop("owner"))
        changes["owner_id"] = owner.id if owner else None
    if "subject" in changes and not clean(changes["subject"]):
        raise InvalidInput("subject", data.subject, "must not be empty")
    if "due_at" in changes:
        changes["snoozed_until"] = None  # a new due time starts its reminders afresh
    _check_lead(changes.get("remind_minutes"))
    if changes.get("rrule") and activity.series_id is None:
        changes["series_id"] = activity.id
    if "rrule" in changes and not changes["rrule"]:
        changes["rrule"] = None
    activity.sqlmodel_update(
        {k: v for k, v in changes.items() if k not in ("deal", "contact", "company")}
    )
    session.add(activity)
    session.flush()
    return get_activity(session, ref=activity.id)


def delete_activity(session: Session, *, ref: object) -> Activity:
    activity = by_id(session, Activity, ref, "activity")
    session.delete(activity)
    session.flush()
    return activity


def delete_sole_activities(
    session: Session,
    *,
    contact_ids: Sequence[int] = (),
    company_ids: Sequence[int] = (),
    deal_ids: Sequence[int] = (),
) -> None:
    """Delete the activities whose every link is to a record about to be deleted.

    The others only lose that link (the foreign keys set it to NULL)."""
    sets = (
        (Activity.contact_id, list(contact_ids)),
        (Activity.company_id, list(company_ids)),
        (Activity.deal_id, list(deal_ids)),
    )
    all_gone = [
        or_(col(c).is_(None), col(c).in_(ids)) if ids else col(c).is_(None) for c, ids in sets
    ]
    some_gone = [col(c).in_(ids) for c, ids in sets if ids]
    if some_gone:
        session.exec(delete(Activity).where(and_(*all_gone), or_(*some_gone)))


def list_activities(
    session: Session,
    *,
    contact_id: int | None = None,
    company_id: int | None = None,
    deal_id: int | None = None,
    owner: str | None = None,
    kind: ActivityKind | None = None,
    state: State = State.all,
    due_before: datetime | None = None,
    ids: list[int] | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[ActivityRow]:
    """Activities newest first (by when they happened or are due)."""
    owner_user = aliased(User)
    query = (
        select(Activity, Contact.full_name, Company.name, Deal.title, owner_user.name)  # type: ignore[call-overload]
        .outerjoin(Contact, col(Contact.id) == col(Activity.contact_id))
        .outerjoin(Company, col(Company.id) == col(Activity.company_id))
        .outerjoin(Deal, col(Deal.id) == col(Activity.deal_id))
        .outerjoin(owner_user, col(owner_user.id) == col(Activity.owner_id))
    )
    for column, value in (
        (Activity.contact_id, contact_id),
        (Activity.company_id, company_id),
        (Activity.deal_id, deal_id),
        (Activity.kind, kind),
    ):
        if value is not None:
            query = query.where(column == value)
    if owner:
        query = query.where(Activity.owner_id == resolve_user(session, owner).id)
    if state is State.open:
        query = query.where(col(Activity.done_at).is_(None))
    elif state is State.done:
        query = query.where(col(Activity.done_at).is_not(None))
    if due_before is not None:
        query = query.where(col(Activity.due_at) < due_before)
    if ids is not None:
        query = query.where(col(Activity.id).in_(ids))
    when = func.coalesce(Activity.done_at, Activity.due_at, Activity.created_at)
    query = query.order_by(when.desc(), col(Activity.id).desc())
    query = query.offset(offset).limit(check_limit(limit))
    return [_row(*found) for found in session.exec(query)]


def _row(
    a: Activity, contact: str | None, company: str | None, deal: str | None, owner: str | None
) -> ActivityRow:
    assert a.id is not None
    return ActivityRow(
        a.id,
        a.kind,
        a.subject,
        a.body,
        contact,
        company,
        a.deal_id,
        deal,
        owner,
        a.due_at,
        a.done_at,
        a.created_at,
        remind_minutes=a.remind_minutes,
        rrule=a.rrule,
        snoozed_until=a.snoozed_until,
        series_id=a.series_id,
    )


def get_activity(session: Session, *, ref: object) -> ActivityRow:
    activity = by_id(session, Activity, ref, "activity")
    assert activity.id is not None
    return list_activities(session, ids=[activity.id])[0]
