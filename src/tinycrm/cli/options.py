"""The options many commands share, declared once (a command's own options stay with it)."""

from __future__ import annotations

import typer

JSON = typer.Option(False, "--json", help="Print JSON.")
QUIET_NEW = typer.Option(False, "-q", "--quiet", help="Print only the new id.")
QUIET_IDS = typer.Option(False, "-q", "--quiet", help="Print only ids.")
