"""A virtual list of rows: fetches pages by offset and limit, renders only visible lines."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

from rich.segment import Segment
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tinycrm.tui.messages import RowChosen

PAGE = 100
Fetch = Callable[[int, int], Sequence[Mapping[str, Any]]]


def header_line(columns: Sequence[tuple[str, str, int]]) -> str:
    """Return the headings of the columns, padded to their widths."""
    return " " + "".join(f"{h:<{w}} " for _, h, w in columns)


class RowList(ScrollView, can_focus=True):
    """Rows of a query, fetched a page at a time as they scroll into view."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor(-1)", show=False),
        Binding("down,j", "cursor(1)", show=False),
        Binding("pageup", "page(-1)", show=False),
        Binding("pagedown", "page(1)", show=False),
        Binding("home", "cursor(-100000000)", show=False),
        Binding("end", "cursor(100000000)", show=False),
        Binding("enter", "open", "Open"),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {"rows--cursor"}

    cursor: reactive[int] = reactive(0, always_update=True)

    def __init__(self, columns: Sequence[tuple[str, str, int]], *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.columns = list(columns)
        self.total = 0
        self.fetch: Fetch | None = None
        self.pages: dict[int, Sequence[Mapping[str, Any]]] = {}

    def show(self, total: int, fetch: Fetch) -> None:
        """Show `total` rows that `fetch(offset, limit)` returns."""
        self.total = total
        self.fetch = fetch
        self.pages = {}
        self.virtual_size = Size(sum(w + 1 for _, _, w in self.columns) + 1, total)
        self.cursor = min(self.cursor, max(0, total - 1))
        self.refresh()

    def row(self, index: int) -> Mapping[str, Any] | None:
        """Return row `index`, fetching its page if needed."""
        if not 0 <= index < self.total or self.fetch is None:
            return None
        page = index // PAGE
        if page not in self.pages:
            self.pages[page] = self.fetch(page * PAGE, PAGE)
        rows = self.pages[page]
        offset = index - page * PAGE
        return rows[offset] if offset < len(rows) else None

    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, self.total - 1)) if self.total else 0

    def watch_cursor(self, value: int) -> None:
        height = self.scrollable_content_region.height
        if value < self.scroll_y:
            self.scroll_to(y=value, animate=False)
        elif value >= self.scroll_y + height:
            self.scroll_to(y=value - height + 1, animate=False)
        self.refresh()

    def action_cursor(self, step: int) -> None:
        """Move the cursor."""
        self.cursor += step

    def action_page(self, step: int) -> None:
        """Move the cursor a screenful."""
        self.cursor += step * max(1, self.scrollable_content_region.height - 1)

    def action_open(self) -> None:
        """Open the row under the cursor."""
        row = self.row(self.cursor)
        if row is not None:
            self.post_message(RowChosen(dict(row)))

    def on_click(self, event: events.Click) -> None:
        index = int(event.y + self.scroll_y)
        if not 0 <= index < self.total:
            return
        again = index == self.cursor
        self.focus()
        self.cursor = index
        if again or event.chain > 1:
            self.action_open()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = int(self.scroll_y) + y
        row = self.row(index)
        if row is None:
            return Strip.blank(width, self.rich_style)
        text = " " + "".join(f"{self._cell(row.get(key)):<{w}.{w}} " for key, _, w in self.columns)
        style = self.rich_style
        if index == self.cursor:
            style += self.get_component_rich_style("rows--cursor")
        strip = Strip([Segment(text, style)]).crop(int(self.scroll_x), int(self.scroll_x) + width)
        return strip.extend_cell_length(width, style) if strip.cell_length < width else strip

    @staticmethod
    def _cell(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        return str(value)
