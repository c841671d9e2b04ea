"""A line filter that keeps control characters in the data off the terminal.

Textual paints a widget's text as it is: a deal title holding ESC, a C1 control or a bidi
override (an old database, a restored export) would reach the terminal raw and could move the
cursor, recolour or retitle it. These characters take no cell, so dropping them leaves every
line exactly as wide as Textual laid it out.
"""

from __future__ import annotations

import re

from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


class ControlCharacters(LineFilter):
    """Drop control characters from the text of every painted line (not Textual's own
    control segments, which are how it moves the cursor)."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        """Return the segments with control characters removed from their text."""
        return [
            Segment(_CONTROL.sub("", seg.text), seg.style, seg.control)
            if not seg.control and _CONTROL.search(seg.text)
            else seg
            for seg in segments
        ]
