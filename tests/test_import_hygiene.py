"""The layers: core and io never load the faces; the CLI's entry loads neither ORM nor TUI."""

from __future__ import annotations

import subprocess
import sys

import pytest

FACES = ("typer", "rich", "textual", "click")
HEAVY = ("sqlalchemy", "sqlmodel", "textual", "pydantic")


def loaded_after(code: str) -> set[str]:
    """Run `code` in a fresh interpreter and return the top-level modules it loaded."""
    probe = f"{code}\nimport sys\nprint(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def headless_modules() -> list[str]:
    """Every module below the faces (found on disk, so new ones are checked too)."""
    import pkgutil

    import tinycrm.core
    import tinycrm.domain
    import tinycrm.io
    import tinycrm.store
    import tinycrm.system

    found = []
    for package in (tinycrm.core, tinycrm.domain, tinycrm.store, tinycrm.system, tinycrm.io):
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
