"""Text keys for matching: case- and accent-insensitive, whitespace collapsed."""

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


def fold(text: str) -> str:
    """Return `text` without accents, case-folded, with single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACE.sub(" ", stripped.casefold()).strip()


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
