"""Pipelines and their stages: the default pipeline, finding a stage by what people type."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from tinycrm import clock
from tinycrm.core.models import Pipeline, Stage
from tinycrm.core.text import fold
from tinycrm.errors import AmbiguousError, NotFoundError


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


def get_pipeline(session: Session, name: str | None) -> Pipeline:
    """Return the pipeline called `name` (any case, unambiguous prefix) or the default one."""
    if not name:
        return default_pipeline(session)
    pipelines = list(session.exec(select(Pipeline).order_by(col(Pipeline.id))))
    key = fold(name)
    exact = [p for p in pipelines if fold(p.name) == key]
    if exact:
        return exact[0]
    found = [p for p in pipelines if fold(p.name).startswith(key)]
    if len(found) == 1:
        return found[0]
    names = ", ".join(p.name for p in pipelines)
    if found:
        raise AmbiguousError(
            f"pipeline {name!r} matches several: {', '.join(p.name for p in found)}"
        )
    raise NotFoundError(f"no pipeline called {name!r}", hint=f"pipelines: {names}")


def stages(session: Session, pipeline_id: int) -> list[Stage]:
    """Return a pipeline's stages in order."""
    return list(
        session.exec(
            select(Stage).where(Stage.pipeline_id == pipeline_id).order_by(col(Stage.position))
        )
    )


def find_stage(session: Session, pipeline_id: int, text: str) -> Stage:
    """Return the stage whose name is `text` or starts with it, in any case and accents."""
    all_stages = stages(session, pipeline_id)
    key = fold(text)
    if not key:
        raise NotFoundError("no stage given")
    exact = [s for s in all_stages if fold(s.name) == key]
    if exact:
        return exact[0]
    found = [s for s in all_stages if fold(s.name).startswith(key)]
    if len(found) == 1:
        return found[0]
    names = ", ".join(s.name for s in all_stages)
    if found:
        raise AmbiguousError(
            f"stage {text!r} matches several: {', '.join(s.name for s in found)}",
            hint="type more of the name",
        )
    raise NotFoundError(f"no stage called {text!r}", hint=f"stages: {names}, or won / lost")


def get_stage(session: Session, stage_id: int) -> Stage:
    """Return a stage by id."""
    stage = session.get(Stage, stage_id)
    if stage is None:
        raise NotFoundError(f"no stage #{stage_id}")
    return stage
