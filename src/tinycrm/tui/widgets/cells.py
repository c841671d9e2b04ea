"""Text measured in terminal cells: a CJK or fullwidth letter, or most emoji, takes two."""

from __future__ import annotations

from rich.cells import cell_len


def clip(text: str, width: int) -> str:
    """Return `text` if it fits in `width` cells, else as much as fits followed by "…"."""
    if cell_len(text) <= width:
        return text
    if width <= 0:
        return ""
    kept, used = [], 0
    for char in text:
        size = cell_len(char)
        if used + size > width - 1:
            break
        kept.append(char)
        used += size
    return "".join(kept) + "…"


def fit(text: str, width: int) -> str:
    """Return `text` clipped (see clip) and padded with spaces to exactly `width` cells."""
    clipped = clip(text, width)
    return clipped + " " * max(0, width - cell_len(clipped))
