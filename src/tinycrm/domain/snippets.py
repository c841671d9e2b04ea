"""A search snippet with the fields it shows kept apart.

The search index keeps a record's searchable fields (a contact's title, notes and source…)
as one text, joined by single spaces, so the engine's snippet of it runs them together:
"CTO likes tea referral". Knowing the fields, the spaces that join them can be found again
in the snippet and shown as a separator: "CTO · likes tea · referral".
"""

from __future__ import annotations

from collections.abc import Sequence

SEPARATOR = " · "
ELLIPSIS = "…"


def _text_positions(snippet: str, marks: Sequence[str]) -> list[int]:
    """The positions in `snippet` of its characters that are not highlight marks."""
    positions: list[int] = []
    i = 0
    while i < len(snippet):
        mark = next((m for m in marks if m and snippet.startswith(m, i)), None)
        if mark is not None:
            i += len(mark)
        else:
            positions.append(i)
            i += 1
    return positions


def separated(snippet: str, fields: Sequence[str | None], marks: Sequence[str]) -> str:
    """Return `snippet` (of `fields` joined by spaces, highlighted with `marks`, cut with
    ELLIPSIS) with SEPARATOR between the fields it shows and the spaces of empty fields
    left out; a snippet that is not of those fields (a name's) is returned as it is."""
    parts = [field or "" for field in fields]
    filled = [k for k, part in enumerate(parts) if part]
    if len(filled) < 2:
        return snippet
    body = " ".join(parts)
    positions = _text_positions(snippet, marks)
    plain = "".join(snippet[i] for i in positions)
    lead = int(plain.startswith(ELLIPSIS))
    trail = int(plain.endswith(ELLIPSIS) and len(plain) > lead)
    shown = plain[lead : len(plain) - trail]
    if not shown or body.count(shown) != 1:
        return snippet
    start = body.index(shown)
    starts = [sum(len(part) + 1 for part in parts[:k]) for k in range(len(parts))]
    joins = {begin - 1 for begin in starts[1:]}
    separators = {starts[k] + len(parts[k]) for k in filled[:-1]}
    out: list[str] = []
    last = 0
    for offset, i in enumerate(positions[lead : len(positions) - trail]):
        if start + offset in joins:
            out.append(snippet[last:i])
            out.append(SEPARATOR if start + offset in separators else "")
            last = i + 1
    out.append(snippet[last:])
    return "".join(out).strip(" ")
