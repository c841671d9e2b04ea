"""`crm search`: find contacts, companies, deals, interactions and follow-ups by their words."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from tinycrm.cli import render, state
from tinycrm.cli.options import JSON

if TYPE_CHECKING:
    from tinycrm.domain.figures import SearchResult

_OPEN, _CLOSE = "\x02", "\x03"


def search(
    words: list[str] = typer.Argument(..., help="Words to find; the last may be a prefix."),
    kind: str | None = typer.Option(
        None, "--kind", "-k", help="contact, company, deal, interaction or follow-up."
    ),
    limit: int = typer.Option(20, "--limit", "-n", min=1, help="Show at most N matches."),
    as_json: bool = JSON,
    quiet: bool = typer.Option(False, "-q", "--quiet", help="Print only kind and id."),
) -> None:
    """Search everything: names, titles, notes, interactions and follow-ups, best first.

    Examples: crm search acme; crm search "budget call" --kind interaction; crm search jan
    """
    from tinycrm.core import search as searching

    text = " ".join(words)
    highlight = ("[", "]") if as_json else (_OPEN, _CLOSE)
    with state.database(write=False).snapshot() as session:
        hits = searching.search(session, text, kind=kind, limit=limit, highlight=highlight)
    if as_json:
        render.print_json(hits)
        return
    if quiet:
        for hit in hits:
            render.say(f"{hit['kind']} {hit['id']}")
        return
    _print(hits)


def _print(hits: list[SearchResult]) -> None:
    from rich.table import Table
    from rich.text import Text

    out = render.console()
    if not hits:
        out.print("no matches")
        return
    plain = [
        [str(hit["kind"]), str(hit["id"]), str(hit["label"]), _plain(str(hit["snippet"] or ""))]
        for hit in hits
    ]
    if render.unstyled_table(out, ("Kind", "#", "Name", "Match"), plain):
        return
    tab = Table(show_edge=False, pad_edge=False, header_style="bold")
    for heading in ("Kind", "#", "Name", "Match"):
        tab.add_column(heading, overflow="fold")
    for hit in hits:
        tab.add_row(
            Text(str(hit["kind"])),
            Text(str(hit["id"])),
            Text(str(hit["label"])),
            _highlighted(str(hit["snippet"] or "")),
        )
    render.print_unbroken(out, tab)


def _plain(snippet: str) -> str:
    """The snippet's text as `_highlighted` shows it, without its markers."""
    return snippet.replace(_CLOSE, "").replace(_OPEN, "").replace("\n", " ")


def _highlighted(snippet: str) -> Any:
    """Turn the snippet's markers into bold spans (plain text when colour is off)."""
    from rich.text import Text

    text = Text()
    for i, part in enumerate(snippet.replace(_CLOSE, _OPEN).split(_OPEN)):
        text.append(part.replace("\n", " "), style="bold" if i % 2 else "")
    return text
