"""The typed shapes of what the reads return: search results, agenda lines and the reports'
figures. They are the documented `--json` output, key for key and in this order."""

from __future__ import annotations

from typing import NotRequired, TypedDict

from tinycrm.domain.sequences import StepRef


class SearchResult(TypedDict):
    """One match of `crm search`: an interaction or follow-up also has its time and contact."""

    kind: str
    id: int
    label: str
    snippet: str
    score: float
    at: NotRequired[str | None]
    contact_id: NotRequired[int | None]


class Person(TypedDict):
    """A contact named in a line: its id and name."""

    id: int | None
    name: str | None


class DealRef(TypedDict):
    """A deal named in an agenda line: its id, title and stage."""

    id: int | None
    title: str | None
    stage: str | None


class AgendaFollowUpLine(TypedDict):
    """One follow-up of `crm agenda --json`."""

    kind: str
    bucket: str
    id: int
    title: str
    due: str | None
    all_day: bool
    snoozed: bool
    priority: bool
    rrule: str | None
    contact: Person | None
    deal: DealRef | None
    sequence: StepRef | None  # the sequence step it was scheduled for


class AgendaTouchLine(TypedDict):
    """One contact due for a touch in `crm agenda --json`."""

    kind: str
    bucket: str
    id: int
    title: str
    due: str | None
    all_day: bool
    cadence_days: int
    last_interaction_at: str | None
    contact: Person
    deal: None


class AgendaDateLine(TypedDict):
    """One contact's kept date (birthday, anniversary, other) in `crm agenda --json`: `due`
    is the local midnight of the day it falls on, `date` the date as kept ('1985-04-12', or
    '--04-12' with no year), `years` the age or years it counts that day (null: no year)."""

    kind: str
    bucket: str
    id: int
    title: str
    due: str | None
    all_day: bool
    date_kind: str
    label: str | None
    date: str
    on: str
    years: int | None
    contact: Person
    deal: None


AgendaLine = AgendaFollowUpLine | AgendaTouchLine | AgendaDateLine


# --- reports ------------------------------------------------------------------------------


class Money(TypedDict):
    """An amount of one currency: integer minor units and their decimal text."""

    currency: str
    value: str
    value_minor: int


class StageShown(TypedDict):
    """A stage of `crm pipeline show --json`: its open deals and their value per currency."""

    id: int
    name: str
    position: int
    probability: int
    stale_days: int | None
    open_deals: int
    open_value: dict[str, str]
    open_value_minor: dict[str, int]


class PipelineRow(TypedDict):
    """Open deals of one stage in one currency (currency None: the stage holds none)."""

    pipeline: str
    stage: str
    position: int
    probability: int
    currency: str | None
    deals: int
    total: Money | None
    weighted: Money | None


class PipelineTotal(TypedDict):
    """Open deals of every stage in one currency."""

    currency: str
    deals: int
    total: Money
    weighted: Money


class PipelineReport(TypedDict):
    """`crm report pipeline --json`."""

    rows: list[PipelineRow]
    totals: list[PipelineTotal]


class ForecastRow(TypedDict):
    """Open deals expected to close in one period, in one currency."""

    period: str
    currency: str
    deals: int
    total: Money
    weighted: Money


class ForecastReport(TypedDict):
    """`crm report forecast --json`."""

    today: str
    months: int
    rows: list[ForecastRow]


class WinValues(TypedDict):
    """Won and lost value of a group in one currency."""

    currency: str
    won: Money
    lost: Money
    value_win_rate: float | None


class WinGroup(TypedDict):
    """Won and lost deals of one lead source or month (group None: all, or no source)."""

    group: str | None
    won: int
    lost: int
    values: NotRequired[list[WinValues]]
    win_rate: NotRequired[float | None]


class WinRateReport(TypedDict):
    """`crm report win-rate --json`."""

    since: str | None
    by: str | None
    rows: list[WinGroup]
    won: int
    lost: int
    win_rate: float | None
    values: list[WinValues]


class WinMonth(TypedDict):
    """Won and lost deals (by count) of one local month ('2026-11')."""

    month: str
    won: int
    lost: int
    win_rate: float | None


class WinTrendReport(TypedDict):
    """The win rate of each of the last months, the oldest first, and of them all."""

    since: str
    months: list[WinMonth]
    won: int
    lost: int
    win_rate: float | None


class ReviewWeek(TypedDict):
    """One week of the week in review: its first and last local day."""

    start: str
    end: str


class ReviewFigure(TypedDict):
    """One figure of the week in review: its count in each week (oldest first, this week
    last), this week's, the earlier weeks' average and this week's change against it."""

    figure: str
    counts: list[int]
    this_week: int
    average: float
    change: float
    change_rate: float | None


class ActivityReport(TypedDict):
    """`crm report activity --json`."""

    week_start: str
    now: str
    weeks: list[ReviewWeek]
    figures: list[ReviewFigure]


class LostGroup(TypedDict):
    """Lost deals of one reason or one stage: how many, and their values per currency."""

    deals: int
    values: list[Money]


class LostReason(LostGroup):
    """The lost deals of one reason (None: no reason given); `configured` when the reason is
    one of the settings' `deals.lost_reasons`."""

    reason: str | None
    configured: bool


class LostStage(LostGroup):
    """The lost deals that died in one stage."""

    pipeline: str
    stage: str
    position: int


class LostReport(LostGroup):
    """`crm report lost --json`: every lost deal (`deals`, `values`), by reason and by stage."""

    since: str | None
    pipeline: str | None
    reasons: list[LostReason]
    stages: list[LostStage]


class FunnelStage(TypedDict):
    """How many deals reached a stage, and went on to the next."""

    stage: str
    position: int
    reached: int
    lost_here: int
    next: str
    conversion: float | None


class FunnelReport(TypedDict):
    """`crm report funnel --json`."""

    pipeline: str
    stages: list[FunnelStage]
    won: int
    overall: float | None


class StageStays(TypedDict):
    """How long deals stayed in a stage."""

    stage: str
    position: int
    stays: int
    average_days: float | None
    median_days: float | None


class WonSpan(TypedDict):
    """How long won deals took from creation to won."""

    deals: int
    average_days: float | None
    median_days: float | None


class CycleReport(TypedDict):
    """`crm report cycle --json`."""

    pipeline: str
    stages: list[StageStays]
    to_won: WonSpan


class VelocityRow(TypedDict):
    """Sales velocity in one currency, with its inputs."""

    currency: str
    open_deals: int
    average_won: Money | None
    win_rate: float | None
    cycle_days: float | None
    velocity_per_day: Money | None


class VelocityReport(TypedDict):
    """`crm report velocity --json`."""

    since: str | None
    rows: list[VelocityRow]


class StaleDeal(TypedDict):
    """An open deal idle past its stage's threshold."""

    id: int
    title: str
    stage: str
    stale_days: int
    contact: Person | None
    value: Money | None
    last_activity: str | None
    idle_days: int


class DarkContact(TypedDict):
    """A contact with open deals and no recent interaction."""

    id: int
    name: str
    open_deals: int
    last_interaction: str | None
    silent_days: int | None


class StaleReport(TypedDict):
    """`crm report stale --json`."""

    days: int
    deals: list[StaleDeal]
    gone_dark: list[DarkContact]


class SourceRow(TypedDict):
    """The contacts and deals of one lead source (None: no source)."""

    source: str | None
    leads: int
    deals: int
    won: int
    lost: int
    won_value: list[Money]
    new_customers: int
    spend: list[Money]
    cac: list[Money]
    customers: int
    lifetime_value: list[Money]
    clv_cac: list[Ratio]
    win_rate: NotRequired[float | None]


class Ratio(TypedDict):
    """Lifetime value per customer over acquisition cost, both in one currency."""

    currency: str
    ratio: float


class SourcesReport(TypedDict):
    """`crm report sources --json`: `since` is the period's first day (None: all time)."""

    since: str | None
    rows: list[SourceRow]


class LifetimeValue(Money):
    """The won deals of customers in one currency."""

    customers_with_won_deals: int
    average_per_customer: Money | None


class TopCustomer(TypedDict):
    """A customer and what its won deals are worth in one currency."""

    id: int
    name: str
    deals: int
    lifetime_value: Money
    mrr: Money | None  # of its won recurring deals in that currency; None: none recur


class Churn(TypedDict):
    """Customers at a day and how many became former customers since."""

    since: str
    customers_at_start: int
    churned: int
    rate: float | None


class RecurringRevenue(TypedDict):
    """What customers' won recurring deals bring in one currency: a month's (MRR) and a
    year's (ARR), and the MRR per customer with such a deal."""

    currency: str
    customers: int
    mrr: Money
    arr: Money
    average_mrr: Money


class CustomersReport(TypedDict):
    """`crm report customers --json`."""

    customers: int
    lifetime_value: list[LifetimeValue]
    recurring: list[RecurringRevenue]
    top: list[TopCustomer]
    churn: Churn
