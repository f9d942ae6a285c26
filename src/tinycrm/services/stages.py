"""The pipeline's stages: ordered, named, each with a win probability for forecasts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from tinycrm.errors import Conflict, InvalidInput
from tinycrm.models import Deal, DealStatus, Stage, StageChange, StageKind
from tinycrm.normalize import clean, name_key
from tinycrm.services.refs import resolve_stage
from tinycrm.words import plural


@dataclass(frozen=True)
class StageRow:
    id: int
    name: str
    position: int
    probability: int
    kind: str
    open_deals: int


def list_stages(session: Session) -> list[StageRow]:
    counts = dict(
        session.exec(
            select(Deal.stage_id, func.count())
            .where(Deal.status == DealStatus.open)
            .group_by(col(Deal.stage_id))
        ).all()
    )
    stages = session.exec(select(Stage).order_by(col(Stage.position)))
    return [
        StageRow(s.id or 0, s.name, s.position, s.probability, s.kind, counts.get(s.id or 0, 0))
        for s in stages
    ]


def _probability(value: int) -> int:
    if not 0 <= value <= 100:
        raise InvalidInput("probability", value, "must be between 0 and 100")
    return value


def _checked_name(session: Session, text: str, *, skip: int | None = None) -> str:
    name = clean(text)
    if not name:
        raise InvalidInput("name", text, "a stage needs a name")
    other = session.exec(select(Stage).where(Stage.name_key == name_key(name))).first()
    if other is not None and other.id != skip:
        raise Conflict(f"name: stage {other.name!r} already exists")
    return name


def _place(session: Session, stage: Stage, before: str | None) -> None:
    """Put `stage` just before `before` (default: before the first closed stage), renumbering."""
    others = [
        s for s in session.exec(select(Stage).order_by(col(Stage.position))) if s.id != stage.id
    ]
    anchor = resolve_stage(session, before) if before else None
    if anchor is not None and anchor.id == stage.id:
        return  # before itself: it stays where it is
    if anchor is not None:
        index = next(i for i, s in enumerate(others) if s.id == anchor.id)
    else:
        index = next((i for i, s in enumerate(others) if s.kind != StageKind.open), len(others))
    ordered = [*others[:index], stage, *others[index:]]
    for position, item in enumerate(ordered, start=1):
        item.position = position
        session.add(item)
    session.flush()


def add_stage(
    session: Session,
    *,
    name: str,
    probability: int,
    kind: StageKind = StageKind.open,
    before: str | None = None,
) -> StageRow:
    stage = Stage(
        name=_checked_name(session, name),
        name_key=name_key(name),
        position=0,
        probability=_probability(probability),
        kind=kind,
    )
    session.add(stage)
    session.flush()
    _place(session, stage, before)
    return next(r for r in list_stages(session) if r.id == stage.id)


def edit_stage(
    session: Session,
    *,
    ref: str,
    name: str | None = None,
    probability: int | None = None,
    before: str | None = None,
) -> StageRow:
    stage = resolve_stage(session, ref)
    if name is not None:
        stage.name = _checked_name(session, name, skip=stage.id)
        stage.name_key = name_key(stage.name)
    if probability is not None:
        stage.probability = _probability(probability)
    session.add(stage)
    session.flush()
    if before is not None:
        _place(session, stage, before)
    return next(r for r in list_stages(session) if r.id == stage.id)


def remove_stage(session: Session, *, ref: str) -> Stage:
    """Remove a stage no deal is in or ever passed through; keep one won and one lost stage."""
    stage = removable_stage(session, ref=ref)
    session.delete(stage)
    session.flush()
    return stage


def removable_stage(session: Session, *, ref: str) -> Stage:
    """The stage, if `remove_stage` may remove it; else the Conflict it would raise (so a
    face asks to confirm only a removal that can go through)."""
    stage = resolve_stage(session, ref)
    in_use = session.exec(
        select(func.count()).select_from(Deal).where(Deal.stage_id == stage.id)
    ).one()
    history = session.exec(
        select(func.count())
        .select_from(StageChange)
        .where(
            or_(
                col(StageChange.to_stage_id) == stage.id, col(StageChange.from_stage_id) == stage.id
            )
        )
    ).one()
    if in_use or history:
        raise Conflict(
            f"stage {stage.name!r} is used by {plural(in_use, 'deal')} and "
            f"{plural(history, 'stage change')}; move the deals first or rename it"
        )
    same_kind = session.exec(
        select(func.count()).select_from(Stage).where(Stage.kind == stage.kind)
    ).one()
    if same_kind == 1:
        raise Conflict(f"stage {stage.name!r} is the only {stage.kind} stage")
    return stage
