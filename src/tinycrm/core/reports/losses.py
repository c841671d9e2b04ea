"""Why deals are lost and where: lost deals by reason and by the stage they died in (a lost
deal keeps its stage), with their values per currency."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tinycrm.core.pipelines import pipeline_row
from tinycrm.core.reports.common import money, start_of
from tinycrm.core.segments import scope
from tinycrm.domain.dates import local_tz, to_stored
from tinycrm.store import reports_sql as sql

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import date, tzinfo

    from sqlmodel import Session

    from tinycrm.core.listing import ListFilter
    from tinycrm.domain.figures import LostReason, LostReport, LostStage, Money


class _Tally:
    """Lost deals counted, and their values summed per currency (never across them)."""

    def __init__(self) -> None:
        self.deals = 0
        self.values: dict[str, int] = {}

    def add(self, deals: int, currency: str, total: int) -> None:
        self.deals += deals
        self.values[currency] = self.values.get(currency, 0) + total

    def amounts(self) -> list[Money]:
        return [money(total, cur) for cur, total in sorted(self.values.items())]


def lost_report(
    session: Session,
    configured: Sequence[str] = (),
    since: date | None = None,
    pipeline: str | None = None,
    segment: ListFilter | None = None,
    tz: tzinfo | None = None,
) -> LostReport:
    """Lost deals (closed on or after the local day `since`, of one pipeline or of all) by
    reason and by the stage they were lost in, with their values per currency.

    The reasons are the `configured` ones (the settings' `deals.lost_reasons`, in their
    order, each shown even when no deal was lost for it), then the other reasons stored on
    deals, the most frequent first, then None for deals lost without a reason. Reasons are
    matched whatever their case, and a configured one is shown as configured. Every stage
    is listed, those where nothing was lost too.
    """
    tz = tz or local_tz()
    params: dict[str, Any] = {}
    if since is not None:
        params["since"] = to_stored(start_of(since, tz))
    pipe_name = None
    if pipeline:
        params["pid"], pipe_name = pipeline_row(session, pipeline)
    found = scope(session, segment)
    statement = sql.lost_figures(
        sql.kept("d", found.kept_deals()), since is not None, bool(pipeline)
    )
    every = _Tally()
    reasons: dict[str | None, tuple[str | None, _Tally]] = {
        reason.casefold(): (reason, _Tally()) for reason in configured
    }
    stages: dict[int, tuple[Any, _Tally]] = {}
    for r in sql.run(session, statement, params):
        stage = stages.setdefault(r["stage_id"], (r, _Tally()))[1]
        if r["currency"] is None:
            continue
        reason = r["reason"] or None
        key = reason.casefold() if reason else None
        reasons.setdefault(key, (reason, _Tally()))[1].add(r["deals"], r["currency"], r["total"])
        stage.add(r["deals"], r["currency"], r["total"])
        every.add(r["deals"], r["currency"], r["total"])
    known = {reason.casefold() for reason in configured}
    others = sorted(
        (k for k in reasons if k is not None and k not in known),
        key=lambda k: (-reasons[k][1].deals, k),
    )
    order: list[str | None] = [reason.casefold() for reason in configured]
    order += others
    if None in reasons:
        order.append(None)
    by_reason: list[LostReason] = [
        {
            "deals": reasons[k][1].deals,
            "values": reasons[k][1].amounts(),
            "reason": reasons[k][0],
            "configured": k in known,
        }
        for k in dict.fromkeys(order)
    ]
    by_stage: list[LostStage] = [
        {
            "deals": tally.deals,
            "values": tally.amounts(),
            "pipeline": row["pipeline"],
            "stage": row["stage"],
            "position": row["position"],
        }
        for row, tally in stages.values()
    ]
    return {
        "deals": every.deals,
        "values": every.amounts(),
        "since": since.isoformat() if since else None,
        "pipeline": pipe_name,
        "reasons": by_reason,
        "stages": by_stage,
    }
