"""Render every command's `--help` into the Reference section of docs/commands.md.

Run `python -m tinycrm.cli.docgen` after changing a command; `--check` only reports whether
the file is current (exit 1 if not), which is what the test suite does.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

START = "<!-- reference:start -->"
END = "<!-- reference:end -->"
WIDTH = "100"
DOC = Path(__file__).resolve().parents[3] / "docs" / "commands.md"
COMMAND = "python -m tinycrm.cli.docgen"


def command_paths(command: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Yield the path of every visible command and group under `command`, depth first."""
    yield prefix
    if hasattr(command, "real"):  # a group built on first use
        command = command.real()
    subcommands = getattr(command, "commands", None)
    if not subcommands:
        return
    for name in sorted(subcommands):
        sub = subcommands[name]
        if getattr(sub, "hidden", False):
            continue
        yield from command_paths(sub, (*prefix, name))


def help_text(path: tuple[str, ...]) -> str:
    """Return what `crm PATH --help` prints, at a fixed width and without colour."""
    from typer.testing import CliRunner

    from tinycrm.cli import app

    env = {"COLUMNS": WIDTH, "NO_COLOR": "1", "TERM": "dumb", "TINYCRM_DB": None}
    result = CliRunner().invoke(app, [*path, "--help"], env=env, prog_name="crm")
    if result.exit_code != 0:
        raise RuntimeError(f"crm {' '.join(path)} --help failed: {result.output}")
    return "\n".join(line.rstrip() for line in result.stdout.strip().splitlines())


@cache
def reference() -> str:
    """Return the Reference section: every command's help, between the markers."""
    import typer

    from tinycrm.cli import app

    root = typer.main.get_command(app)
    parts = [
        START,
        "## Reference",
        "",
        f"Generated from each command's `--help` by `{COMMAND}`; do not edit by hand.",
    ]
    for path in command_paths(root):
        title = " ".join(("crm", *path))
        parts += ["", f"### `{title}`", "", "```text", help_text(path), "```"]
    parts.append(END)
    return "\n".join(parts)


def render(document: str) -> str:
    """Return `document` with its Reference section replaced (or appended) by a fresh one."""
    fresh = reference()
    if START in document and END in document:
        before, _, rest = document.partition(START)
        _, _, after = rest.partition(END)
        return before + fresh + after
    return document.rstrip("\n") + "\n\n" + fresh + "\n"


def main(argv: list[str] | None = None) -> int:
    """Regenerate docs/commands.md (or with --check, say whether it is current)."""
    args = sys.argv[1:] if argv is None else argv
    current = DOC.read_text(encoding="utf-8")
    fresh = render(current)
    if "--check" in args:
        if fresh != current:
            sys.stderr.write(f"{DOC} is out of date; run: {COMMAND}\n")
            return 1
        return 0
    if fresh != current:
        DOC.write_text(fresh, encoding="utf-8")
        sys.stdout.write(f"updated {DOC}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
