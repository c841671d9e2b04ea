"""The dashboard: the week in review, the forecast, the funnel and the win rate over time
drawn as charts, the lost deals, lead sources with their acquisition cost, customers with their
recurring revenue, then the pipeline, velocity, stale deals and contacts gone dark."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar, TypedDict

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.events import Resize
from textual.widgets import DataTable, Static
from textual.worker import get_current_worker

from tinycrm.tui.base import CrmScreen
from tinycrm.tui.screens.seller_numbers import customers_text, money, percent, sources_text
from tinycrm.tui.widgets.charts import Chart, forecast_chart, funnel_chart, win_trend_chart
from tinycrm.tui.widgets.footer import KeyFooter

if TYPE_CHECKING:
    from sqlmodel import Session

    from tinycrm.domain.dates import Calendar
    from tinycrm.domain.figures import (
        ActivityReport,
        CustomersReport,
        ForecastReport,
        FunnelReport,
        LostReason,
        LostReport,
        LostStage,
        PipelineReport,
        SourcesReport,
        StaleReport,
        VelocityReport,
        WinRateReport,
        WinTrendReport,
    )

MONTHS = 6
TREND_MONTHS = 12
REVIEW_WEEKS = 4
TOP = 5
BAR_WIDTH = 20


def bar(value: float, biggest: float, width: int = BAR_WIDTH) -> str:
    """Return a bar of unicode blocks, `width` long for `biggest`."""
    from tinycrm.domain.text import bar as blocks

    return blocks(value, biggest, width)


class Figures(TypedDict):
    """What the dashboard shows: eleven reports."""

    activity: ActivityReport
    pipeline: PipelineReport
    forecast: ForecastReport
    funnel: FunnelReport
    win_rate: WinRateReport
    win_trend: WinTrendReport
    lost: LostReport
    sources: SourcesReport
    customers: CustomersReport
    velocity: VelocityReport
    stale: StaleReport


def load_reports(
    session: Session,
    now: datetime,
    pipeline: str | None = None,
    calendar: Calendar | None = None,
    lost_reasons: tuple[str, ...] = (),
) -> Figures:
    """Read every figure the dashboard shows, from the report functions; the funnel is the
    one of `pipeline` (the board's), or of the default pipeline if that one is gone; the
    weeks in review start on the `calendar`'s day, the lost reasons shown first are the
    settings' `lost_reasons`."""
    from tinycrm.core import reports
    from tinycrm.errors import NotFoundError

    try:
        funnel = reports.funnel_report(session, pipeline)
    except NotFoundError:
        funnel = reports.funnel_report(session)
    return {
        "activity": reports.activity_report(session, now, REVIEW_WEEKS, calendar),
        "pipeline": reports.pipeline_report(session),
        "forecast": reports.forecast_report(session, now, months=MONTHS),
        "funnel": funnel,
        "win_rate": reports.win_rate_report(session, now),
        "win_trend": reports.win_trend_report(session, now, months=TREND_MONTHS),
        "lost": reports.lost_report(session, lost_reasons),
        "sources": reports.sources_report(session, now=now),
        "customers": reports.customers_report(session, now, limit=TOP),
        "velocity": reports.velocity_report(session, now),
        "stale": reports.stale_report(session, now),
    }


def pipeline_text(report: PipelineReport) -> str:
    """The open deals per stage and currency, and a total line per currency."""
    rows = report["rows"]
    several = len({r["pipeline"] for r in rows}) > 1
    lines = [f"  {'Stage':<22} {'Prob.':>5} {'Deals':>6} {'Total':>16} {'Weighted':>16}"]
    last = None
    for r in rows:
        stage = f"{r['pipeline']}: {r['stage']}" if several else r["stage"]
        same = (r["pipeline"], r["stage"]) == last
        last = (r["pipeline"], r["stage"])
        name, prob = ("", "") if same else (stage[:22], f"{r['probability']}%")
        lines.append(
            f"  {name:<22} {prob:>5} {r['deals']:>6} "
            f"{money(r['total']):>16} {money(r['weighted']):>16}"
        )
    for t in report["totals"]:
        lines.append(
            f"  {'total ' + t['currency']:<22} {'':>5} {t['deals']:>6} "
            f"{money(t['total']):>16} {money(t['weighted']):>16}"
        )
    if not report["totals"]:
        lines.append("  no open deals")
    return "\n".join(lines)


PERIODS = {"overdue": "overdue", "later": "later", "none": "no close date"}
AMOUNT = 13
FORECAST_BAR = 12


def forecast_text(report: ForecastReport) -> str:
    """Weighted value by expected close month: a row per period, a column per currency, each
    with a bar (bars compare amounts of one currency only)."""
    rows = report["rows"]
    currencies = sorted({r["currency"] for r in rows})
    periods = list(dict.fromkeys(r["period"] for r in rows))
    cells = {(r["period"], r["currency"]): r for r in rows}
    biggest = {
        cur: max(r["weighted"]["value_minor"] for r in rows if r["currency"] == cur)
        for cur in currencies
    }
    head = "".join(f" {'weighted ' + cur:>{AMOUNT}} {'':<{FORECAST_BAR}}" for cur in currencies)
    lines = [f"  {'Close':<13} {'Deals':>5}{head}".rstrip()]
    for period in periods:
        deals = sum(cells[(period, cur)]["deals"] for cur in currencies if (period, cur) in cells)
        line = f"  {PERIODS.get(period, period):<13} {deals:>5}"
        for cur in currencies:
            r = cells.get((period, cur))
            weighted = r["weighted"]["value_minor"] if r else 0
            shown = money(r["weighted"]) if r and r["deals"] else ""
            line += (
                f" {shown:>{AMOUNT}} {bar(weighted, biggest[cur], FORECAST_BAR):<{FORECAST_BAR}}"
            )
        lines.append(line.rstrip())
    if not rows:
        lines.append("  no open deals")
    return "\n".join(lines)


def win_rate_text(report: WinRateReport) -> str:
    """Won of closed deals by count, and by value per currency."""
    won, lost = report["won"], report["lost"]
    lines = [f"  by count  {percent(report['win_rate']) or '—':>6}  {won} won, {lost} lost"]
    values = [v for g in report["rows"] for v in g["values"]]
    for v in values:
        whole = v["won"]["value_minor"] + v["lost"]["value_minor"]
        total = money({"currency": v["currency"], "value_minor": whole})
        lines.append(
            f"  by value  {percent(v['value_win_rate']) or '—':>6}  "
            f"{money(v['won'])} won of {total} ({v['currency']})"
        )
    return "\n".join(lines)


def velocity_text(report: VelocityReport) -> str:
    """Velocity per currency with its four inputs."""
    lines = [
        f"  {'Cur.':<5} {'Open':>5} {'Avg won value':>15} {'Win rate':>9} {'Cycle days':>11} "
        f"{'Velocity':>18}"
    ]
    for r in report["rows"]:
        cycle = "" if r["cycle_days"] is None else f"{r['cycle_days']:.1f}"
        velocity = money(r["velocity_per_day"])
        lines.append(
            f"  {r['currency']:<5} {r['open_deals']:>5} {money(r['average_won']):>15} "
            f"{percent(r['win_rate']):>9} {cycle:>11} {velocity + ' / day' if velocity else '':>18}"
        )
    if not report["rows"]:
        lines.append("  no deals")
    return "\n".join(lines)


def gone_dark_text(report: StaleReport) -> str:
    """The contacts silent longest (never first), a few of them."""
    people = report["gone_dark"]
    lines = []
    for p in people[:TOP]:
        silent = "never" if p["silent_days"] is None else f"{p['silent_days']} d"
        deals = f"{p['open_deals']} open deal" + ("s" if p["open_deals"] != 1 else "")
        lines.append(f"  #{p['id']:<5} {p['name'][:28]:<28} {deals:<13} silent {silent}")
    if len(people) > TOP:
        lines.append(f"  … and {len(people) - TOP} more (crm report stale)")
    if not people:
        lines.append("  nobody")
    return "\n".join(lines)


def activity_text(report: ActivityReport) -> str:
    """Each figure of the week in review: its count in the earlier weeks and this week, their
    average and this week's change against it (the difference: the percentage is the
    command's, where there is room for it)."""
    from tinycrm.core.reports.activity import amount_text, label, week_label

    heads = "".join(f" {week_label(w['start']):>6}" for w in report["weeks"][:-1])
    lines = [f"  {'week of':<18}{heads} {'this week':>9} {'avg':>5} {'vs avg':>6}"]
    for f in report["figures"]:
        earlier = "".join(f" {n:>6}" for n in f["counts"][:-1])
        average, change = amount_text(f["average"]), amount_text(f["change"], signed=True)
        lines.append(
            f"  {label(f['figure'])[:18]:<18}{earlier} {f['this_week']:>9} {average:>5} {change:>6}"
        )
    return "\n".join(lines)


def lost_text(report: LostReport) -> str:
    """The lost deals by reason, then by the stage they were lost in, with their values."""
    if not report["deals"]:
        return "  no deals lost"

    def values(group: LostReason | LostStage) -> str:
        return ", ".join(money(v) for v in group["values"])

    lines = [f"  {'Reason':<22} {'Deals':>5}  Value"]
    for r in report["reasons"]:
        lines.append(f"  {(r['reason'] or '(no reason)')[:22]:<22} {r['deals']:>5}  {values(r)}")
    several = len({r["pipeline"] for r in report["stages"]}) > 1
    lines += ["", f"  {'Lost in stage':<22} {'Deals':>5}  Value"]
    for died in report["stages"]:
        stage = f"{died['pipeline']}: {died['stage']}" if several else died["stage"]
        lines.append(f"  {stage[:22]:<22} {died['deals']:>5}  {values(died)}")
    return "\n".join(lines).rstrip()


class DashboardScreen(CrmScreen[None]):
    """The reports at a glance."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("enter", "open", "Open deal", show=False),
        Binding("tab", "app.focus_next", "Stale deals / page", show=False),
    ]

    def __init__(self) -> None:
        super().__init__(id="dashboard-screen")
        self.figures: Figures | None = None
        self.loaded = False
        self.pipeline: str | None = None

    def compose(self) -> ComposeResult:
        yield Static("Loading the reports…", id="dashboard-status")
        with VerticalScroll(id="dashboard"):
            yield Static("", classes="dash-title", id="dash-activity-title")
            yield Static("", id="dash-activity", markup=False)
            yield Static(
                f"Forecast, weighted, by expected close month, next {MONTHS} months",
                classes="dash-title",
            )
            yield Chart(id="chart-forecast")
            yield Static("", id="dash-forecast", markup=False)
            yield Static("Funnel", classes="dash-title", id="dash-funnel-title")
            yield Chart(id="chart-funnel")
            yield Static(
                f"Win rate by month, last {TREND_MONTHS} months (deals won or lost)",
                classes="dash-title",
            )
            yield Chart(id="chart-win-rate")
            yield Static("", id="dash-win-rate", markup=False)
            yield Static("", classes="dash-title", id="dash-lost-title")
            yield Static("", id="dash-lost", markup=False)
            yield Static(
                "Lead sources, all time: what a new customer cost (CAC) and is worth (CLV)",
                classes="dash-title",
            )
            yield Static("", id="dash-sources", markup=False)
            yield Static("", classes="dash-title", id="dash-customers-title")
            yield Static("", id="dash-customers", markup=False)
            yield Static("Pipeline (open deals)", classes="dash-title")
            yield Static("", id="dash-pipeline", markup=False)
            yield Static("Sales velocity", classes="dash-title")
            yield Static("", id="dash-velocity", markup=False)
            yield Static("Stale deals", classes="dash-title", id="dash-stale-title")
            yield DataTable(id="dash-stale", cursor_type="row", zebra_stripes=False)
            yield Static("Gone dark", classes="dash-title", id="dash-dark-title")
            yield Static("", id="dash-dark", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one("#dash-stale", DataTable)
        table.add_columns("#", "deal", "stage", "contact", "value", "idle/limit")
        self.pipeline = self._board_pipeline()
        self.reload()
        self.set_focus(self.query_one("#dashboard", VerticalScroll))

    def on_resize(self, event: Resize) -> None:
        # A chart's own size follows its width; a taller or lower terminal changes its rows.
        for chart in self.query(Chart):
            chart.redraw()

    def _board_pipeline(self) -> str | None:
        """The pipeline the board below shows, whose funnel this page draws."""
        from tinycrm.tui.screens.board import BoardScreen

        for screen in self.app.screen_stack:
            if isinstance(screen, BoardScreen):
                return screen.board.pipeline if screen.board else screen.pipeline
        return None

    def reload(self) -> None:
        """Read the reports again (in a thread) and show them."""
        self.loaded = False
        self._load()

    @work(thread=True, exclusive=True, group="dashboard")
    def _load(self) -> None:
        from tinycrm.errors import TinyCrmError

        app = self.app
        try:
            with app.db.snapshot() as session:
                figures = load_reports(
                    session,
                    app.now(),
                    self.pipeline,
                    app.calendar,
                    app.settings.deals.lost_reasons,
                )
        except TinyCrmError as error:
            app.call_from_thread(app.notify, error.message, severity="error")
            return
        if not get_current_worker().is_cancelled:
            app.call_from_thread(self._show, figures)

    def _show(self, figures: Figures) -> None:
        from tinycrm.domain import dates

        self.figures = figures
        today = figures["forecast"]["today"]
        self.query_one("#dashboard-status", Static).update(
            f"Reports  ·  {today}  ·  {dates.to_local(self.app.now()):%H:%M}"
        )
        self.query_one("#dash-pipeline", Static).update(pipeline_text(figures["pipeline"]))
        activity = figures["activity"]
        this = activity["weeks"][-1]
        self.query_one("#dash-activity-title", Static).update(
            f"The week in review: {this['start']} to {this['end']}, against the "
            f"{len(activity['weeks']) - 1} weeks before"
        )
        self.query_one("#dash-activity", Static).update(activity_text(activity))
        lost = figures["lost"]
        self.query_one("#dash-lost-title", Static).update(
            f"Lost deals ({lost['deals']}), by reason and by the stage they were lost in"
        )
        self.query_one("#dash-lost", Static).update(lost_text(lost))
        self.query_one("#dash-sources", Static).update(sources_text(figures["sources"]))
        customers = figures["customers"]
        self.query_one("#dash-customers-title", Static).update(
            f"Customers ({customers['customers']}): lifetime value and recurring revenue"
        )
        self.query_one("#dash-customers", Static).update(customers_text(customers))
        forecast, funnel = figures["forecast"], figures["funnel"]
        self.query_one("#chart-forecast", Chart).show(lambda w, h: forecast_chart(forecast, w, h))
        self.query_one("#dash-forecast", Static).update(forecast_text(forecast))
        self.query_one("#dash-funnel-title", Static).update(
            f"Funnel of the {funnel['pipeline']} pipeline (deals that reached each stage)"
        )
        self.query_one("#chart-funnel", Chart).show(lambda w, _h: funnel_chart(funnel, w))
        trend = figures["win_trend"]
        ever = bool(figures["win_rate"]["won"] + figures["win_rate"]["lost"])
        self.query_one("#chart-win-rate", Chart).show(lambda _w, _h: win_trend_chart(trend, ever))
        self.query_one("#dash-win-rate", Static).update(win_rate_text(figures["win_rate"]))
        self.query_one("#dash-velocity", Static).update(velocity_text(figures["velocity"]))
        stale = figures["stale"]
        deals = stale["deals"]
        shown = deals[:TOP]
        more = f", the {len(shown)} idle longest" if len(deals) > TOP else ""
        self.query_one("#dash-stale-title", Static).update(
            f"Stale deals ({len(deals)}{more}; tab, enter opens one)"
            if deals
            else "Stale deals (none)"
        )
        table = self.query_one("#dash-stale", DataTable)
        keep = table.cursor_row
        table.clear()
        for d in shown:
            table.add_row(
                str(d["id"]),
                d["title"][:18],
                d["stage"][:12],
                (d["contact"]["name"] or "")[:12] if d["contact"] else "",
                money(d["value"]),
                f"{d['idle_days']}/{d['stale_days']} d",
                key=str(d["id"]),
            )
        table.display = bool(shown)
        if shown:
            table.move_cursor(row=min(keep, len(shown) - 1))
        self.query_one("#dash-dark-title", Static).update(
            f"Gone dark (open deals, no interaction for {stale['days']} days)"
        )
        self.query_one("#dash-dark", Static).update(gone_dark_text(stale))
        self.loaded = True

    def action_open(self) -> None:
        """Open the selected stale deal."""
        table = self.query_one("#dash-stale", DataTable)
        if table.row_count == 0:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        if key is not None:
            self.app.open_deal(int(key))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()
