"""Tables into a pipe or a file never break a value over lines: `crm list contacts | grep`
finds every name, email and title whole, however long. (CliRunner's stdout is not a
terminal, as a pipe is not.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

NAME = "Maximiliana Theodora Featherstonehaugh-Cholmondeley"
EMAIL = "maximiliana.featherstonehaugh@averyveryverylongdomainname-example.com"
COMPANY = "The Extraordinarily Long Company Name Incorporated"
TITLE = "A rather long deal title that goes on and on for quite a while yet"
NOTE = "a long note about a great many things that happened during the meeting with them"
SOURCE = "an-extraordinarily-long-lead-source-name-that-someone-typed-once-upon-a-time"


@pytest.fixture
def long_values(crm: Any, db_path: Path) -> Path:
    steps = [
        ("add", "contact", NAME, "--email", EMAIL, "--company", COMPANY, "--source", SOURCE),
        ("add", "deal", TITLE, "--contact", "maximiliana", "--value", "5k"),
        ("log", "maximiliana", "note", NOTE),
        ("follow-up", "maximiliana", TITLE, "--due", "2026-11-20"),
        ("add", "deal", "Won one", "--contact", "maximiliana", "--value", "1k"),
        ("move", "won one", "won"),
        ("edit", "maximiliana", "--lifecycle", "customer"),
    ]
    for step in steps:
        result = crm(*step)
        assert result.exit_code == 0, (step, result.stderr)
    return db_path


@pytest.mark.parametrize(
    ("args", "values"),
    [
        (("list", "contacts"), (NAME, EMAIL, COMPANY)),
        (("list", "companies"), (COMPANY,)),
        (("list", "deals"), (TITLE, NAME, COMPANY)),
        (("search", "long"), (COMPANY, TITLE)),
        (("timeline", "maximiliana"), (NOTE, TITLE)),
        (("agenda",), (TITLE,)),
        (("report", "sources"), (SOURCE,)),
        (("report", "customers"), (NAME,)),
        (("report", "win-rate", "--by", "source"), (SOURCE,)),
    ],
)
def test_a_piped_table_keeps_each_value_on_one_line(
    crm: Any, long_values: Path, args: tuple[str, ...], values: tuple[str, ...]
):
    result = crm(*args)
    assert result.exit_code == 0, result.stderr
    for value in values:
        assert any(value in line for line in result.stdout.splitlines()), (value, result.stdout)


def test_a_piped_long_list_keeps_each_value_whole(crm: Any, db: Any):
    from tinycrm import clock
    from tinycrm.cli import render
    from tinycrm.core import contacts

    with db.transaction() as session:
        for i in range(render.PLAIN_ROWS + 1):
            contacts.add_contact(session, f"{NAME} {i:03d}", now=clock.now())
    result = crm("list", "contacts", "--sort", "id")
    assert f"{NAME} 000" in result.stdout.splitlines()[2]


def test_a_short_piped_table_is_drawn_as_before(crm: Any, jane: Path):
    assert crm("list", "contacts").stdout.splitlines() == [
        "# ┃ Name     ┃ Company ┃ Email         ┃ Phone ┃ Lifecycle ┃ Tags",
        "━━╇━━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━━━━━━━━╇━━━━━━━╇━━━━━━━━━━━╇━━━━━",
        "1 │ Jane Doe │         │ jane@acme.com │       │ lead      │     ",
    ]


def test_a_terminal_still_gets_the_table_folded_to_its_width():
    import io

    from rich.console import Console
    from rich.table import Table

    from tinycrm.cli import render

    screen = io.StringIO()
    out = Console(file=screen, force_terminal=True, width=40, color_system=None)
    table = Table(show_edge=False, pad_edge=False)
    table.add_column("Name", overflow="fold")
    table.add_row(NAME + " " + NAME)
    render.print_unbroken(out, table)
    lines = screen.getvalue().splitlines()
    assert len(lines) > 3
    assert all(len(line) <= 40 for line in lines)
