"""Output: rich tables for people, JSON for scripts. stdout carries data only."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any


def console() -> Any:
    """Return a rich Console on stdout (colour follows the terminal and NO_COLOR)."""
    from rich.console import Console

    return Console(highlight=False)


def print_json(data: Any) -> None:
    """Print data as indented JSON."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def table(
    rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]], title: str | None = None
) -> None:
    """Print rows as a table; columns are (key, heading)."""
    from rich.table import Table

    out = console()
    if not rows:
        out.print("(none)" if title is None else f"no {title}")
        return
    tab = Table(title=None, show_edge=False, pad_edge=False, header_style="bold")
    for _, heading in columns:
        tab.add_column(heading, overflow="fold")
    for row in rows:
        tab.add_row(*(_cell(row.get(key)) for key, _ in columns))
    out.print(tab)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def fields(pairs: Sequence[tuple[str, Any]], title: str | None = None) -> None:
    """Print a record as aligned 'label  value' lines, skipping empty values."""
    from rich.table import Table

    out = console()
    if title:
        out.print(f"[bold]{_escape(title)}[/bold]")
    tab = Table.grid(padding=(0, 2))
    tab.add_column(style="dim")
    tab.add_column(overflow="fold")
    for label, value in pairs:
        text = _cell(value)
        if text:
            tab.add_row(label, _escape(text))
    out.print(tab)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def say(message: str) -> None:
    """Print a short confirmation line on stdout."""
    sys.stdout.write(message + "\n")
