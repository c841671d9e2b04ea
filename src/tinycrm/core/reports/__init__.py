"""Reports: pipeline, forecast, win rate (and over time), funnel, cycle time, velocity, stale
deals, sources, customers, the week in review and lost deals, each computed by SQL
aggregates (the statements are the store's) and returned as the typed shapes of
`domain.figures`, which are the `--json` output.

Money is never added across currencies: every amount is a row of its own currency. Amounts
are integer minor units (`value_minor`) with their decimal text (`value`). See
docs/reports.md for the definition of every figure.
"""

from __future__ import annotations

from tinycrm.core.reports.activity import activity_report
from tinycrm.core.reports.deals import (
    forecast_report,
    pipeline_report,
    stage_figures,
    stage_summaries,
    velocity_report,
    win_rate_report,
)
from tinycrm.core.reports.losses import lost_report
from tinycrm.core.reports.people import customers_report, sources_report, stale_report
from tinycrm.core.reports.stages import cycle_report, funnel_report
from tinycrm.core.reports.trends import win_trend_report

__all__ = [
    "activity_report",
    "customers_report",
    "cycle_report",
    "forecast_report",
    "funnel_report",
    "lost_report",
    "pipeline_report",
    "sources_report",
    "stage_figures",
    "stage_summaries",
    "stale_report",
    "velocity_report",
    "win_rate_report",
    "win_trend_report",
]
