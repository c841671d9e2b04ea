"""The layers: core and io never load the faces; the CLI's entry loads neither ORM nor TUI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

FACES = ("typer", "rich", "textual", "click")
HEAVY = ("sqlalchemy", "sqlmodel", "textual", "pydantic")


def loaded_after(code: str) -> set[str]:
    """Run `code` in a fresh interpreter and return the top-level modules it loaded."""
    probe = f"{code}\nimport sys\nprint(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def headless_modules() -> list[str]:
    """Every module of the core and io packages (found on disk, so new ones are checked too)."""
    import pkgutil

    import tinycrm.core
    import tinycrm.io

    found = []
    for package in (tinycrm.core, tinycrm.io):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            found.append(info.name)
    return sorted(found)


@pytest.mark.parametrize("module", headless_modules())
def test_core_modules_do_not_load_the_faces(module: str) -> None:
    assert not loaded_after(f"import {module}") & set(FACES)


def test_cli_entry_does_not_load_the_orm_or_the_tui() -> None:
    assert not loaded_after("import tinycrm.cli") & set(HEAVY)


def test_help_does_not_load_the_orm_or_the_tui() -> None:
    code = (
        "import sys\nsys.argv=['crm','--help']\nimport tinycrm.cli\n"
        "try:\n    tinycrm.cli.main()\nexcept SystemExit:\n    pass"
    )
    assert not loaded_after(code) & set(HEAVY)


@pytest.mark.parametrize(
    "argv",
    [
        ["agenda"],
        ["agenda", "--json"],
        ["list", "contacts", "--tag", "vip", "-n", "5"],
        ["list", "deals", "--stage", "pres", "--json"],
        ["list", "companies", "-q"],
        ["search", "acme"],
        ["search", "acme", "--kind", "deal", "--json"],
        ["show", "ann"],
        ["show", "2", "--kind", "deal", "--json"],
        ["list", "contacts", "--lifecycle", "lead", "--sort", "score"],
        ["list", "deals", "--segment", "hot", "--status", "open"],
        ["report", "pipeline"],
        ["report", "funnel", "--segment", "hot", "--json"],
        ["report", "stale"],
        ["score", "ann"],
        ["segment", "list"],
        ["segment", "show", "hot", "--json"],
    ],
)
def test_the_everyday_reads_do_not_load_the_orm(tmp_path: Path, argv: list[str]) -> None:
    """The reads (agenda, lists, search, show, reports, scores, segments) run SQL text on a
    plain snapshot: no SQLAlchemy, no pydantic."""
    from typer.testing import CliRunner

    from tinycrm.cli import app

    path = tmp_path / "r.db"
    for args in (
        ["add", "contact", "Ann Acme", "--tag", "hot"],
        ["add", "deal", "Acme pilot", "--contact", "ann"],
        ["segment", "save", "hot", "--tag", "hot"],
    ):
        assert CliRunner().invoke(app, ["--db", str(path), *args]).exit_code == 0
    code = (
        f"import sys\nsys.argv=['crm','--db',{str(path)!r},*{argv!r}]\nimport tinycrm.cli\n"
        "try:\n    tinycrm.cli.main()\nexcept SystemExit as exit:\n"
        "    assert not exit.code, exit.code"
    )
    assert not loaded_after(code) & set(HEAVY)
