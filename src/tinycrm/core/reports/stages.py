"""The reports on a pipeline's stages: the funnel and the time deals spend in each stage."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tinycrm.core.pipelines import pipeline_row
from tinycrm.core.reports.common import days, rate
from tinycrm.core.segments import scope
from tinycrm.store import reports_sql as sql

if TYPE_CHECKING:
    from sqlmodel import Session

    from tinycrm.core.listing import ListFilter
    from tinycrm.domain.figures import CycleReport, FunnelReport, FunnelStage


def funnel_report(
    session: Session, pipeline: str | None = None, segment: ListFilter | None = None
) -> FunnelReport:
    """How many deals of a pipeline reached each stage, and the conversion to the next.

    A deal reached a stage if it ever entered that stage or a later one (by position), by its
    stage changes or its current stage; a won deal reached every stage, and 'won'.
    """
    pipe_id, pipe_name = pipeline_row(session, pipeline)
    found = scope(session, segment)
    params: dict[str, Any] = {}
    params["pid"] = pipe_id
    rows = sql.run(session, sql.funnel_figures(sql.kept("d", found.kept_deals())), params)
    out: list[FunnelStage] = []
    won = rows[0]["won"] if rows else 0
    for n, r in enumerate(rows):
        following = rows[n + 1]["reached"] if n + 1 < len(rows) else won
        out.append(
            {
                "stage": r["stage"],
                "position": r["position"],
                "reached": r["reached"],
                "lost_here": r["lost_here"],
                "next": rows[n + 1]["stage"] if n + 1 < len(rows) else "won",
                "conversion": rate(following, r["reached"]),
            }
        )
    first = rows[0]["reached"] if rows else 0
    return {
        "pipeline": pipe_name,
        "stages": out,
        "won": won,
        "overall": rate(won, first),
    }


def cycle_report(
    session: Session, pipeline: str | None = None, segment: ListFilter | None = None
) -> CycleReport:
    """Average and median days deals spent in each stage, and from creation to won.

    A stay in a stage starts at a stage change into it and ends at the deal's next stage
    change, or when the deal was won or lost; stays still going on are not counted.
    """
    pipe_id, pipe_name = pipeline_row(session, pipeline)
    found = scope(session, segment)
    params: dict[str, Any] = {}
    params["pid"] = pipe_id
    rows = sql.run(session, sql.stay_figures(sql.kept("d", found.kept_deals())), params)
    won = sql.run(session, sql.won_span_figures(sql.kept("d", found.kept_deals())), params)[0]
    return {
        "pipeline": pipe_name,
        "stages": [
            {
                "stage": r["stage"],
                "position": r["position"],
                "stays": r["stays"],
                "average_days": days(r["average"]),
                "median_days": days(r["median"]),
            }
            for r in rows
        ],
        "to_won": {
            "deals": won["deals"],
            "average_days": days(won["average"]),
            "median_days": days(won["median"]),
        },
    }
