"""Piped tables are drawn without rich's layout: the text must be exactly what rich prints."""

from __future__ import annotations

import io

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tests.conftest import Crm
from tinycrm.cli.grid import draw

# letters, spaces (where lines break), wide characters (two cells), an emoji, an accent
CHARACTERS = st.sampled_from([*"abcdefghij    -@.é", "山", "田", "🚀", "Ｆ"])  # noqa: RUF001
CELLS = st.text(CHARACTERS, max_size=70)
HEADINGS = st.text(st.sampled_from(list("abcdefgh #")), min_size=1, max_size=12)


def by_rich(headings: list[str], rows: list[list[str]], width: int) -> str:
    """The table as `render.table` has rich print it on a console with no styles."""
    from rich.table import Table
    from rich.text import Text

    from tinycrm.cli.render import _console_class

    buffer = io.StringIO()
    console = _console_class()(highlight=False, file=buffer, width=width)
    table = Table(title=None, show_edge=False, pad_edge=False, header_style="bold")
    for heading in headings:
        table.add_column(heading, overflow="fold")
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    console.print(table)
    return buffer.getvalue()


@st.composite
def tables(draw_from: st.DrawFn) -> tuple[list[str], list[list[str]], int]:
    count = draw_from(st.integers(1, 9))
    headings = draw_from(st.lists(HEADINGS, min_size=count, max_size=count))
    rows = draw_from(
        st.lists(st.lists(CELLS, min_size=count, max_size=count), min_size=1, max_size=6)
    )
    return headings, rows, draw_from(st.integers(2, 200))


@settings(max_examples=400, deadline=None)
@given(tables())
def test_a_table_is_drawn_as_rich_draws_it(table: tuple[list[str], list[list[str]], int]) -> None:
    headings, rows, width = table
    drawn = draw(headings, rows, width)
    assume(drawn is not None)
    assert drawn == by_rich(headings, rows, width)


def test_what_the_drawing_does_not_cover_is_left_to_rich() -> None:
    assert draw(["Name"], [["two\nlines"]], 80) is None
    assert draw(["Name"], [["a\ttab"]], 80) is None
    assert draw(["a", "b", "c"], [["x", "y", "z"]], 5) is None  # narrower than the padding


def test_a_piped_list_is_drawn_by_the_grid(crm: Crm) -> None:
    """`crm list` through a pipe is drawn without rich, wide characters and all."""
    run = crm
    for args in (("add", "contact", "Ada Lovelace", "--email", "ada@example.org"),
                 ("add", "contact", "山田太郎", "--company", "山田太郎株式会社")):  # fmt: skip
        assert run(*args).exit_code == 0
    listed = run("list", "contacts").stdout
    assert "Ada Lovelace" in listed and "山田太郎" in listed
    assert listed.splitlines()[1].startswith("━")
