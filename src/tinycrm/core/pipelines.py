"""Pipelines and their stages: the default pipeline, finding a pipeline or a stage by what
people type (the one place that rule is written), and shaping a pipeline (add, rename,
reorder, remove stages; create pipelines)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from tinycrm import clock
from tinycrm.domain.dates import MAX_DAYS
from tinycrm.domain.text import clean, fold, pick
from tinycrm.domain.values import CLOSED, DealStatus, check_probability
from tinycrm.errors import (
    ConflictError,
    NotFoundError,
    UsageError,
    ValidationError,
)
from tinycrm.store import history
from tinycrm.store.models import Deal, Pipeline, Stage, StageChange
from tinycrm.store.query import live

if TYPE_CHECKING:
    from tinycrm.domain.rows import PipelineRow
    from tinycrm.store.db import Database


@dataclass(frozen=True)
class StageSpec:
    """A stage of the default pipeline."""

    name: str
    probability: int
    stale_days: int


DEFAULT_PIPELINE = "Sales"
DEFAULT_STAGES = (
    StageSpec("Prospecting", 10, 14),
    StageSpec("Qualifying", 25, 14),
    StageSpec("Presenting", 50, 21),
    StageSpec("Closing", 75, 14),
)


def ensure_default_pipeline(session: Session, now: datetime | None = None) -> Pipeline:
    """Return the default pipeline, creating the standard one if there is none."""
    existing = session.exec(select(Pipeline).where(col(Pipeline.is_default).is_(True))).first()
    if existing is not None:
        return existing
    now = now or clock.now()
    pipeline = Pipeline(
        uuid=str(uuid.uuid4()),
        name=DEFAULT_PIPELINE,
        is_default=True,
        created_at=now,
        updated_at=now,
    )
    session.add(pipeline)
    session.flush()
    assert pipeline.id is not None
    for position, spec in enumerate(DEFAULT_STAGES, start=1):
        session.add(
            Stage(
                uuid=str(uuid.uuid4()),
                pipeline_id=pipeline.id,
                name=spec.name,
                position=position,
                probability=spec.probability,
                stale_days=spec.stale_days,
                created_at=now,
                updated_at=now,
            )
        )
    session.flush()
    return pipeline


def default_pipeline(session: Session) -> Pipeline:
    """Return the default pipeline (the first one if none is marked)."""
    found = session.exec(
        select(Pipeline).order_by(col(Pipeline.is_default).desc(), col(Pipeline.id))
    ).first()
    if found is None:
        return ensure_default_pipeline(session)
    return found


def pipeline_row(session: Session, name: str | None) -> tuple[int, str]:
    """Return the id and name of the pipeline called `name` (any case and accents, or an
    unambiguous prefix), or of the default pipeline when no name is given."""
    if not name:
        first = session.execute(
            select(Pipeline.id, Pipeline.name)
            .order_by(col(Pipeline.is_default).desc(), col(Pipeline.id))
            .limit(1)
        ).first()
        if first is None:
            raise NotFoundError("there is no pipeline yet", hint="crm pipeline create NAME")
        return int(first[0] or 0), first[1]
    rows = session.execute(select(Pipeline.id, Pipeline.name).order_by(col(Pipeline.id))).all()
    found = pick(
        rows,
        lambda r: str(r[1]),
        name,
        "pipeline",
        names_hint=f"pipelines: {', '.join(r[1] for r in rows)}",
    )
    return int(found[0]), str(found[1])


def stage_row(session: Session, pipeline_id: int, text: str) -> tuple[int, str]:
    """Return the id and name of the stage of a pipeline whose name is `text` or starts with
    it, in any case and accents."""
    if not fold(text):
        raise NotFoundError("no stage given")
    rows = session.execute(
        select(Stage.id, Stage.name)
        .where(col(Stage.pipeline_id) == pipeline_id)
        .order_by(col(Stage.position))
    ).all()
    found = pick(
        rows,
        lambda r: str(r[1]),
        text,
        "stage",
        names_hint=f"stages: {', '.join(r[1] for r in rows)}, or won / lost",
        ambiguous_hint="type more of the name",
    )
    return int(found[0]), str(found[1])


def get_pipeline(session: Session, name: str | None) -> Pipeline:
    """Return the pipeline called `name` (any case, unambiguous prefix) or the default one."""
    if not name:
        return default_pipeline(session)
    found = session.get(Pipeline, pipeline_row(session, name)[0])
    assert found is not None
    return found


def stages(session: Session, pipeline_id: int) -> list[Stage]:
    """Return a pipeline's stages in order."""
    return list(
        session.exec(
            select(Stage).where(Stage.pipeline_id == pipeline_id).order_by(col(Stage.position))
        )
    )


def find_stage(session: Session, pipeline_id: int, text: str) -> Stage:
    """Return the stage whose name is `text` or starts with it, in any case and accents."""
    return get_stage(session, stage_row(session, pipeline_id, text)[0])


def get_stage(session: Session, stage_id: int) -> Stage:
    """Return a stage by id."""
    stage = session.get(Stage, stage_id)
    if stage is None:
        raise NotFoundError(f"no stage #{stage_id}")
    return stage


def list_pipelines(session: Session) -> list[PipelineRow]:
    """Return every pipeline with its stage count and open deals (the `--json` output)."""
    stage_counts = dict(
        session.exec(
            select(Stage.pipeline_id, func.count(col(Stage.id))).group_by(col(Stage.pipeline_id))
        ).all()
    )
    deal_counts = dict(
        session.exec(
            select(Deal.pipeline_id, func.count(col(Deal.id)))
            .where(col(Deal.status) == DealStatus.OPEN, live(Deal))
            .group_by(col(Deal.pipeline_id))
        ).all()
    )
    return [
        {
            "id": p.id,
            "name": p.name,
            "default": p.is_default,
            "stages": stage_counts.get(p.id or 0, 0),
            "open_deals": deal_counts.get(p.id or 0, 0),
        }
        for p in session.exec(select(Pipeline).order_by(col(Pipeline.id)))
    ]


def check_stale_days(value: int | None) -> int | None:
    """Return a positive number of days (0 or None: never stale), or raise ValidationError."""
    if value is None or value == 0:
        return None
    if not 0 < value <= MAX_DAYS:
        raise ValidationError(
            f"not a number of days: {value}",
            hint=f"use a positive number up to {MAX_DAYS}, or 0 for never",
        )
    return value


def _check_stage_name(
    session: Session, pipeline_id: int, name: str, skip: int | None = None
) -> str:
    new_name = clean(name) or ""
    if not new_name:
        raise ValidationError("a stage needs a name")
    if fold(new_name) in CLOSED:
        raise ValidationError(
            f"{new_name!r} cannot be a stage name",
            hint="won and lost are how a deal is closed (crm move DEAL won), not stages",
        )
    for stage in stages(session, pipeline_id):
        if stage.id != skip and fold(stage.name) == fold(new_name):
            raise ConflictError(f"the pipeline already has a stage called {stage.name}")
    return new_name


def _renumber(session: Session, ordered: list[Stage], now: datetime) -> None:
    """Give the stages positions 1..n in this order (only those that change are written)."""
    for position, stage in enumerate(ordered, start=1):
        if stage.position != position:
            stage.position = position
            stage.updated_at = now
            session.add(stage)
    session.flush()


def add_stage(
    session: Session,
    pipeline: Pipeline,
    name: str,
    *,
    now: datetime,
    after: str | None = None,
    probability: int | None = None,
    stale_days: int | None = None,
) -> Stage:
    """Add a stage at the end of a pipeline, or after the stage named `after`.

    Without a probability the new stage takes the one midway between its neighbours.
    """
    assert pipeline.id is not None
    new_name = _check_stage_name(session, pipeline.id, name)
    history.describe(session, f"add stage {new_name} to {pipeline.name}")
    ordered = stages(session, pipeline.id)
    index = len(ordered)
    if after is not None:
        anchor = find_stage(session, pipeline.id, after)
        index = next(i for i, s in enumerate(ordered) if s.id == anchor.id) + 1
    if probability is None:
        low = ordered[index - 1].probability if index > 0 else 0
        high = ordered[index].probability if index < len(ordered) else 100
        probability = (low + high) // 2
    stage = Stage(
        uuid=str(uuid.uuid4()),
        pipeline_id=pipeline.id,
        name=new_name,
        position=index + 1,
        probability=check_probability(probability),
        stale_days=check_stale_days(stale_days),
        created_at=now,
        updated_at=now,
    )
    session.add(stage)
    ordered.insert(index, stage)
    _renumber(session, ordered, now)
    return stage


def rename_stage(session: Session, pipeline: Pipeline, old: str, new: str, now: datetime) -> Stage:
    """Give a stage a new name (deals in it stay where they are)."""
    assert pipeline.id is not None
    stage = find_stage(session, pipeline.id, old)
    renamed = _check_stage_name(session, pipeline.id, new, skip=stage.id)
    history.describe(session, f"rename stage {stage.name} to {renamed} in {pipeline.name}")
    stage.name = renamed
    stage.updated_at = now
    session.add(stage)
    session.flush()
    return stage


def move_stage(
    session: Session,
    pipeline: Pipeline,
    name: str,
    now: datetime,
    *,
    after: str | None = None,
    before: str | None = None,
    position: int | None = None,
) -> Stage:
    """Put a stage after or before another one, or at a position (1 is the first)."""
    assert pipeline.id is not None
    if sum(x is not None for x in (after, before, position)) != 1:
        raise UsageError("say where: one of --after STAGE, --before STAGE or --position N")
    stage = find_stage(session, pipeline.id, name)
    history.describe(session, f"move stage {stage.name} in {pipeline.name}")
    ordered = [s for s in stages(session, pipeline.id) if s.id != stage.id]
    if position is not None:
        if not 1 <= position <= len(ordered) + 1:
            raise ValidationError(
                f"no position {position}", hint=f"positions go from 1 to {len(ordered) + 1}"
            )
        index = position - 1
    else:
        anchor = find_stage(session, pipeline.id, after or before or "")
        if anchor.id == stage.id:
            raise ValidationError("a stage cannot be placed next to itself")
        index = next(i for i, s in enumerate(ordered) if s.id == anchor.id)
        if after is not None:
            index += 1
    ordered.insert(index, stage)
    _renumber(session, ordered, now)
    return stage


def set_stage(
    session: Session,
    pipeline: Pipeline,
    name: str,
    now: datetime,
    *,
    probability: int | None = None,
    stale_days: int | None = None,
) -> Stage:
    """Change a stage's default probability and/or its stale threshold (0: never stale)."""
    assert pipeline.id is not None
    if probability is None and stale_days is None:
        raise UsageError("nothing to change", hint="give --probability N and/or --stale-days N")
    stage = find_stage(session, pipeline.id, name)
    history.describe(session, f"change stage {stage.name} in {pipeline.name}")
    if probability is not None:
        stage.probability = check_probability(probability)
    if stale_days is not None:
        stage.stale_days = check_stale_days(stale_days)
    stage.updated_at = now
    session.add(stage)
    session.flush()
    return stage


def remove_stage(
    session: Session, pipeline: Pipeline, name: str, now: datetime, to: str | None = None
) -> tuple[Stage, int]:
    """Remove a stage; its deals must be moved first, or now to the stage `to`.

    Returns the removed stage and how many deals were moved.
    """
    assert pipeline.id is not None
    stage = find_stage(session, pipeline.id, name)
    history.describe(session, f"remove stage {stage.name} from {pipeline.name}")
    ordered = stages(session, pipeline.id)
    if len(ordered) == 1:
        raise ConflictError(f"{stage.name} is the only stage of {pipeline.name}")
    held = list(session.exec(select(Deal).where(Deal.stage_id == stage.id)))
    target: Stage | None = None
    if to is not None:
        target = find_stage(session, pipeline.id, to)
        if target.id == stage.id:
            raise ValidationError("--to names the stage being removed")
    if held and target is None:
        others = ", ".join(s.name for s in ordered if s.id != stage.id)
        raise ConflictError(
            f"{stage.name} still holds {len(held)} deal(s)",
            hint=f"move them first, or use --to STAGE (stages: {others})",
        )
    assert target is None or target.id is not None
    for deal in held:
        assert target is not None and target.id is not None and deal.id is not None
        if deal.status == DealStatus.OPEN and deal.deleted_at is None:
            session.add(
                StageChange(deal_id=deal.id, from_stage_id=stage.id, to_stage_id=target.id, at=now)
            )
            deal.stage_entered_at = now
        deal.stage_id = target.id
        deal.updated_at = now
        session.add(deal)
    # Clear the history's links to the stage through the ORM, so undo can put them back.
    for change in session.exec(
        select(StageChange).where(
            or_(
                col(StageChange.from_stage_id) == stage.id, col(StageChange.to_stage_id) == stage.id
            )
        )
    ):
        if change.from_stage_id == stage.id:
            change.from_stage_id = None
        if change.to_stage_id == stage.id:
            change.to_stage_id = None
        session.add(change)
    session.flush()
    session.delete(stage)
    session.flush()
    _renumber(session, [s for s in ordered if s.id != stage.id], now)
    return stage, len(held)


def create_pipeline(
    session: Session, name: str, now: datetime, stage_names: list[str] | None = None
) -> Pipeline:
    """Create a pipeline with the named stages (default: the standard four)."""
    new_name = clean(name) or ""
    if not new_name:
        raise ValidationError("a pipeline needs a name")
    for other in session.exec(select(Pipeline)):
        if fold(other.name) == fold(new_name):
            raise ConflictError(f"there is already a pipeline called {other.name}")
    history.describe(session, f"create pipeline {new_name}")
    if stage_names is not None:
        names = [n for n in (clean(s) for s in stage_names) if n]
        if not names:
            raise ValidationError("a pipeline needs at least one stage")
        n = len(names)
        specs = [StageSpec(s, round(100 * i / (n + 1)), 14) for i, s in enumerate(names, start=1)]
    else:
        specs = list(DEFAULT_STAGES)
    pipeline = Pipeline(
        uuid=str(uuid.uuid4()), name=new_name, is_default=False, created_at=now, updated_at=now
    )
    session.add(pipeline)
    session.flush()
    assert pipeline.id is not None
    for spec in specs:
        add_stage(
            session,
            pipeline,
            spec.name,
            now=now,
            probability=spec.probability,
            stale_days=spec.stale_days,
        )
    return pipeline


def set_default(session: Session, pipeline: Pipeline, now: datetime) -> Pipeline:
    """Make `pipeline` the default one (new deals go there unless told otherwise)."""
    history.describe(session, f"make {pipeline.name} the default pipeline")
    for other in session.exec(select(Pipeline).where(col(Pipeline.is_default).is_(True))):
        if other.id != pipeline.id:
            other.is_default = False
            other.updated_at = now
            session.add(other)
    if not pipeline.is_default:
        pipeline.is_default = True
        pipeline.updated_at = now
        session.add(pipeline)
    session.flush()
    return pipeline


def ensure_defaults(db: Database) -> None:
    """Create the default pipeline on first use (cheaply skipped once it exists)."""
    with db.snapshot() as session:
        if session.execute(select(Pipeline.id).limit(1)).first() is not None:
            return
    with db.transaction(origin="system") as session:
        history.describe(session, "create the default pipeline")
        ensure_default_pipeline(session)
