"""Output: rich tables for people, JSON for scripts. stdout carries data only.

Nothing from the data reaches the terminal raw: control characters and escape sequences in a
name (an old database, a restored export) are printed as visible escapes such as `\\x1b`.
"""

from __future__ import annotations

import functools
import io
import json
import os
import shutil
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, redirect_stdout
from typing import Any


def shown(text: str) -> str:
    """Return text safe to print: control characters escaped, line breaks and tabs kept."""
    from tinycrm.domain.text import visible

    return visible(text, multi_line=True)


@functools.cache
def _console_class() -> Any:
    from rich.console import Console
    from rich.segment import Segment

    class SafeConsole(Console):
        """A Console that escapes control characters in the text it renders (rich passes
        ESC and most C0 and C1 controls through); its own styling is not text, and stays."""

        _checking = False

        def render(self, renderable: Any, options: Any = None) -> Any:
            if self._checking:
                # Within a render already (a table renders its cells): the outermost one
                # looks at every segment once, so this one need not.
                yield from super().render(renderable, options)
                return
            self._checking = True
            try:
                for segment in super().render(renderable, options):
                    if not segment.control and not segment.text.isprintable():
                        segment = Segment(shown(segment.text), segment.style)
                    yield segment
            finally:
                self._checking = False

    return SafeConsole


def console() -> Any:
    """Return a rich Console on stdout (colour follows the terminal and NO_COLOR)."""
    Console = _console_class()
    if _paging:
        # Output is being collected for the pager: keep the terminal's colours and width.
        width = shutil.get_terminal_size().columns
        return Console(highlight=False, file=sys.stdout, force_terminal=True, width=width)
    return Console(highlight=False)


_paging: list[bool] = []


def should_page(text: str, stream: Any = None) -> bool:
    """Return True when `text` goes to a terminal and is taller than it (never when piped)."""
    out = stream if stream is not None else sys.stdout
    isatty = getattr(out, "isatty", None)
    if isatty is None or not isatty():
        return False
    return text.count("\n") > shutil.get_terminal_size().lines - 1


def page(text: str) -> None:
    """Show text through $PAGER (default `less -FRX`), or print it if no pager starts."""
    import shlex

    from tinycrm.system import foreground

    command = shlex.split(os.environ.get("PAGER") or "less")
    env = {**os.environ}
    env.setdefault("LESS", "FRX")
    try:
        foreground.run(command, stdin_text=text, env=env)
    except OSError:
        sys.stdout.write(text)


@contextmanager
def paged() -> Iterator[None]:
    """Collect what the block prints; page it if a terminal is too short for it.

    When stdout is not a terminal (a pipe, a file, a test), output goes straight through.
    """
    real = sys.stdout
    isatty = getattr(real, "isatty", None)
    if isatty is None or not isatty():
        yield
        return
    buffer = io.StringIO()
    _paging.append(True)
    try:
        with redirect_stdout(buffer):
            yield
    finally:
        _paging.pop()
        text = buffer.getvalue()
        if should_page(text, real):
            page(text)
        else:
            real.write(text)


def print_json(data: Any) -> None:
    """Print data as indented JSON (UTF-8 kept readable, every control character escaped)."""
    from tinycrm.domain.text import json_safe

    sys.stdout.write(json_safe(json.dumps(data, indent=2, ensure_ascii=False)) + "\n")


def table(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[tuple[str, str]],
    title: str | None = None,
    styles: dict[str, str] | None = None,
) -> None:
    """Print rows as a table; columns are (key, heading); styles colour columns by key.

    Past PLAIN_ROWS rows the table is laid out as plain aligned text: rich's layout costs
    about a millisecond a row, which would make a long list take seconds.
    """
    if not rows:
        sys.stdout.write(("(none)" if title is None else f"no {title}") + "\n")
        return
    if len(rows) > PLAIN_ROWS:
        plain_table(rows, columns)
        return
    out = console()
    cells = [[_cell(row.get(key)) for key, _ in columns] for row in rows]
    if unstyled_table(out, [heading for _, heading in columns], cells):
        return
    from rich.table import Table
    from rich.text import Text

    tab = Table(title=None, show_edge=False, pad_edge=False, header_style="bold")
    for key, heading in columns:
        tab.add_column(heading, overflow="fold", style=(styles or {}).get(key))
    for row in rows:
        # Text, not markup: a name or summary may hold brackets such as '[/b]'.
        tab.add_row(*(Text(_cell(row.get(key))) for key, _ in columns))
    print_unbroken(out, tab)


def print_unbroken(out: Any, renderable: Any) -> None:
    """Print a rich renderable on `out`; into a pipe or a file as wide as it needs, so that
    no value is broken over lines (`crm list contacts | grep` finds it). A terminal's output
    keeps the terminal's width."""
    if not out.is_terminal:
        from rich.measure import Measurement

        unbounded = out.options.update(max_width=sys.maxsize)
        out.width = max(out.width, Measurement.get(out, unbounded, renderable).maximum)
    out.print(renderable)


def unstyled_table(out: Any, headings: Sequence[str], cells: Sequence[Sequence[str]]) -> bool:
    """Print a table of plain cells as rich would on `out`, without rich's layout, when `out`
    prints no styles (a pipe, a file: see cli/grid.py); return False, printing nothing, when
    rich must draw it."""
    if out.color_system is not None or out.is_terminal or not out.encoding.startswith("utf"):
        return False
    from tinycrm.cli.grid import draw, natural_width

    # as wide as the longest values need: a value broken over lines is missed by grep
    drawn = draw(headings, cells, max(out.width, natural_width(headings, cells)))
    if drawn is None:
        return False
    sys.stdout.write(drawn)
    return True


PLAIN_ROWS = 200
_PLAIN_WIDTH = 40


def plain_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[tuple[str, str]]) -> None:
    """Print rows as aligned text columns (at a terminal, long cells cut with an ellipsis;
    into a pipe or a file, whole)."""
    whole = not sys.stdout.isatty()

    def cut(text: str) -> str:
        text = " ".join(text.split())
        return text if whole or len(text) <= _PLAIN_WIDTH else text[: _PLAIN_WIDTH - 1] + "…"

    cells = [[cut(_cell(row.get(key))) for key, _ in columns] for row in rows]
    widths = [
        max(len(heading), *(len(line[i]) for line in cells))
        for i, (_, heading) in enumerate(columns)
    ]
    lines = ["  ".join(h.ljust(w) for (_, h), w in zip(columns, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for line in cells:
        lines.append("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
    sys.stdout.write("\n".join(lines) + "\n")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return shown(", ".join(str(v) for v in value))
    return shown(str(value))


def fields(pairs: Sequence[tuple[str, Any]], title: str | None = None) -> None:
    """Print a record as aligned 'label  value' lines, skipping empty values."""
    from rich.table import Table

    out = console()
    if title:
        out.print(f"[bold]{_escape(shown(title))}[/bold]")
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


def record(data: Mapping[str, Any], as_json: bool, quiet: bool, line: str) -> None:
    """Print what a command made or changed: JSON, only its id (-q), or a line for people."""
    if as_json:
        print_json(data)
    elif quiet:
        say(str(data["id"]))
    else:
        say(line)


def day(value: str | None) -> str:
    """Render a day as JSON writes it ('2026-12-31', or the start of an ISO time) the way the
    seller's `general.date_format` shows days; empty for none."""
    if not value:
        return ""
    from datetime import date

    from tinycrm.cli import state

    return state.calendar().show_day(date.fromisoformat(value[:10]))


def say(message: str) -> None:
    """Print a short confirmation line on stdout."""
    sys.stdout.write(shown(message) + "\n")


def say_lines(messages: Sequence[str]) -> None:
    """Print lines as `say` prints each, in one write."""
    sys.stdout.write("".join(shown(message) + "\n" for message in messages))


def warn(message: str) -> None:
    """Print a warning line on stderr (the command still succeeded)."""
    sys.stderr.write(f"warning: {shown(message)}\n")


def confirm(question: str, yes: bool) -> None:
    """Ask before a change that is hard to take back; scripts pass --yes.

    Without a terminal to ask on, and without --yes, this is a usage error (exit 2).
    """
    from tinycrm.errors import TinyCrmError, UsageError

    if yes:
        return
    if not sys.stdin.isatty():
        raise UsageError(
            "this needs confirmation and there is no terminal to ask on",
            hint="add --yes to do it without asking",
        )
    import typer

    if not typer.confirm(question, default=False, err=True):
        raise TinyCrmError("cancelled; nothing was changed")
