"""What every `crm report …` command shares: the group's app and options, a report computed
on one read snapshot, its tables and bars. The reports themselves are in cli/commands:
reporting (the pipeline and its pace), accounting (sources and customers: what finding
and keeping them is worth), reviewing (the week in review, lost deals)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import typer

from tinycrm.cli import render, state

if TYPE_CHECKING:
    from sqlmodel import Session


Figures = TypeVar("Figures")

app = typer.Typer(
    help="Reports: pipeline, forecast, win rate, funnel, cycle, velocity, stale, sources, "
    "customers, the week's activity, lost deals.",
    no_args_is_help=True,
)

SEGMENT = typer.Option(None, "--segment", help="Count only the contacts and deals of a segment.")
PIPELINE = typer.Option(None, "--pipeline", help="Pipeline name (default: the default one).")
SINCE = typer.Option(None, "--since", help="Only deals closed on or after this day.")
BAR_WIDTH = 24


def bar(value: float, biggest: float, width: int = BAR_WIDTH) -> str:
    """Return a bar of unicode blocks, `width` long for `biggest`."""
    from tinycrm.domain.text import bar as blocks

    return blocks(value, biggest, width)


def days(value: float | None) -> str:
    """A number of days as a report shows it (one decimal; empty when there is none)."""
    return "" if value is None else f"{value:.1f}"


def segment_filter(name: str | None) -> Any:
    """Return the filters of a segment by name (None when no --segment)."""
    if not name:
        return None
    from tinycrm.core import segments

    with state.database(write=False).snapshot() as session:
        return segments.segment_filter(session, name)


def since_day(text: str | None) -> Any:
    """Return the day a --since option names (None when not given)."""
    if not text:
        return None
    from tinycrm.domain import dates

    return dates.parse_day(text, state.now(), calendar=state.calendar(), past=True)


def run(build: Callable[[Session], Figures]) -> Figures:
    """Compute a report on one read snapshot."""
    with state.database(write=False).snapshot() as session:
        return build(session)


def table(
    rows: list[dict[str, Any]], columns: list[tuple[str, str]], title: str, empty: str
) -> None:
    """Print rows as a titled table (a column key starting with # is a number, right-aligned),
    or `empty` when there are none."""
    from rich.table import Table

    out = render.console()
    if not rows:
        out.print(empty)
        return
    tab = Table(title=title, title_justify="left", show_edge=False, pad_edge=False,
                header_style="bold", title_style="bold")  # fmt: skip
    for key, heading in columns:
        numeric = key.startswith("#")
        tab.add_column(heading, justify="right" if numeric else "left", no_wrap=key == "bar")
    for row in rows:
        tab.add_row(*(str(row.get(key.lstrip("#"), "")) for key, _ in columns))
    render.print_unbroken(out, tab)


def biggest(rows: Sequence[Mapping[str, Any]], key: str) -> dict[str, int]:
    """The largest amount per currency, so bars compare like with like."""
    out: dict[str, int] = {}
    for r in rows:
        amount = r.get(key)
        if amount:
            out[amount["currency"]] = max(out.get(amount["currency"], 0), amount["value_minor"])
    return out
