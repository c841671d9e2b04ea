"""The sequence step a follow-up was scheduled for ("Onboarding 2/4"), as the agenda and the
record view name it: read beside the follow-ups in their own query (two outer joins), then
the steps' totals in one more query for the sequences that appear."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlmodel import col

from tinycrm.domain.sequences import StepRef, step_label
from tinycrm.store.models import FollowUp, Sequence, SequenceStep

if TYPE_CHECKING:
    from sqlalchemy.sql import Select
    from sqlmodel import Session

# The columns a follow-up query adds (with `joined`): the run, the step's place, its
# sequence's id and name.
COLUMNS: tuple[Any, ...] = (
    FollowUp.sequence_run_id,
    SequenceStep.position,
    SequenceStep.sequence_id,
    Sequence.name,
)


def joined(query: Select[Any]) -> Select[Any]:
    """Add the outer joins `COLUMNS` read to a query of follow-ups."""
    return query.outerjoin(
        SequenceStep, col(SequenceStep.id) == FollowUp.sequence_step_id
    ).outerjoin(Sequence, col(Sequence.id) == SequenceStep.sequence_id)


def totals(session: Session, sequence_ids: set[int]) -> dict[int, int]:
    """Return how many steps each of these sequences has, in one query (none when no
    follow-up shown comes from a sequence)."""
    if not sequence_ids:
        return {}
    columns: list[Any] = [SequenceStep.sequence_id, func.count()]
    rows = session.connection().execute(
        select(*columns)
        .where(col(SequenceStep.sequence_id).in_(sequence_ids))
        .group_by(col(SequenceStep.sequence_id))
    )
    return {row[0]: row[1] for row in rows}


def step_ref(values: tuple[Any, ...], counted: dict[int, int]) -> StepRef | None:
    """Describe the step of a follow-up from its `COLUMNS` values and the `totals`; None
    for a follow-up no sequence scheduled."""
    run_id, position, sequence_id, name = values
    total = counted.get(sequence_id)
    if run_id is None or position is None or name is None or total is None:
        return None
    label = step_label(name, position, total)
    return {"run": run_id, "sequence": name, "step": position, "steps": total, "label": label}
