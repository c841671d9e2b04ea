"""Text keys for matching (case- and accent-insensitive, whitespace collapsed), and the one
check that keeps control characters out of what is stored and off the terminal."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import TypeVar

from tinycrm.errors import AmbiguousError, NotFoundError, ValidationError

T = TypeVar("T")

_SPACE = re.compile(r"\s+")
_TAG = re.compile(r"^[\w][\w.+/-]*$")
_EMAIL = re.compile(r"^[^@\s,;<>()\[\]]+@[^@\s,;<>()\[\]]+\.[^@\s,;<>()\[\].]{2,}$")


# What a terminal may act on rather than show: C0 and C1 controls, DEL, the bidirectional
# overrides and isolates (they reorder what is shown), the line and paragraph separators, and
# lone surrogates (bytes that were not UTF-8). Multi-line text may keep tab and line breaks.
_OTHER_CONTROLS = "\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_ONE_LINE_BAD = re.compile(f"[\x00-\x1f{_OTHER_CONTROLS}]")
_MULTI_LINE_BAD = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f{_OTHER_CONTROLS}]")
_MULTI_LINE_SHOWN = re.compile(f"[\x00-\x08\x0b-\x1f{_OTHER_CONTROLS}]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(text: str, multi_line: bool = False) -> str:
    """Return `text` with every control character written as an escape (ESC as `\\x1b`),
    so that printing it cannot move the cursor, recolour or retitle the terminal; with
    `multi_line`, tabs and line breaks stay as they are (a CR only as part of CR LF)."""
    if multi_line:
        text = text.replace("\r\n", "\n")
    pattern = _MULTI_LINE_SHOWN if multi_line else _ONE_LINE_BAD
    return pattern.sub(_escape_char, text) if pattern.search(text) else text


# What json.dumps leaves raw with ensure_ascii=False (it escapes only C0, quote and backslash)
# and a terminal may still act on: DEL, C1 controls (0x9b is CSI), bidi overrides, separators.
_JSON_RAW = re.compile(f"[{_OTHER_CONTROLS}]")


def json_safe(text: str) -> str:
    """Return JSON text with those characters written as \\u escapes too: the same JSON
    value, readable UTF-8 otherwise, and harmless on a terminal."""
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def check_text(value: str, what: str, multi_line: bool = False) -> str:
    """Return `value` if it holds no control character, else raise ValidationError naming
    the field (`what`, e.g. "contact name"); notes (`multi_line`) may hold tabs and line
    breaks."""
    found = (_MULTI_LINE_BAD if multi_line else _ONE_LINE_BAD).search(value)
    if found is None:
        return value
    bad = visible(found.group())
    shown = visible(value if len(value) <= 60 else value[:57] + "...")
    if "\\ud" in bad:
        raise ValidationError(
            f"the {what} '{shown}' is not valid UTF-8 text",
            hint="set your terminal (or the file) to UTF-8, e.g. LANG=C.UTF-8",
        )
    raise ValidationError(
        f"the {what} '{shown}' holds a control character ({bad})",
        hint="control characters and escape sequences cannot be stored"
        + ("" if multi_line else "; this field is one line"),
    )


def fold(text: str) -> str:
    """Return `text` without accents, case-folded, with single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACE.sub(" ", stripped.casefold()).strip()


def starting_with(choices: Sequence[str], typed: str) -> list[str]:
    """Return the choices that begin with what was typed (any case, any accents), in their
    order: what completion and the board offer from a list of suggestions."""
    key = fold(typed)
    return [choice for choice in choices if fold(choice).startswith(key)]


def escape_like(value: str) -> str:
    """Escape LIKE's wildcards (and the escape character, a backslash) in `value`."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def tag_name(name: str) -> str:
    """Return the stored form of a tag name ('#VIP' -> 'vip'), or raise ValidationError."""
    tag = name.strip().lstrip("#").lower()
    if not tag or not _TAG.match(tag):
        raise ValidationError(
            f"not a tag: {name!r}", hint="tags are one word: letters, digits, - _ . / +"
        )
    return tag


def clean(text: str | None) -> str | None:
    """Strip a value; an empty one becomes None."""
    if text is None:
        return None
    text = text.strip()
    return text or None


def is_email(text: str) -> bool:
    """Tell whether `text` looks like one email address."""
    return bool(_EMAIL.match(text))


def phone_key(phone: str) -> str:
    """Return the digits of a phone number (and a leading +) for matching."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    return ("+" + digits) if phone.strip().startswith("+") else digits


_EIGHTHS = " ▏▎▍▌▋▊▉"


def bar(value: float, biggest: float, width: int) -> str:
    """Return a bar of unicode blocks (to an eighth of a cell), `width` long for `biggest`."""
    if biggest <= 0 or value <= 0:
        return ""
    eighths = round(value / biggest * width * 8)
    full, part = divmod(eighths, 8)
    return "█" * full + (_EIGHTHS[part] if part else "")


def pick(
    items: Sequence[T],
    name_of: Callable[[T], str],
    text: str,
    what: str,
    *,
    names_hint: str,
    ambiguous_hint: str | None = None,
) -> T:
    """Return the item whose name is `text`, or the only one whose name starts with it, in
    any case and accents; otherwise raise NotFoundError or AmbiguousError naming `what`."""
    key = fold(text)
    for item in items:
        if fold(name_of(item)) == key:
            return item
    found = [item for item in items if fold(name_of(item)).startswith(key)]
    if len(found) == 1:
        return found[0]
    if found:
        raise AmbiguousError(
            f"{what} {text!r} matches several: {', '.join(name_of(i) for i in found)}",
            hint=ambiguous_hint,
        )
    raise NotFoundError(f"no {what} called {text!r}", hint=names_hint)
