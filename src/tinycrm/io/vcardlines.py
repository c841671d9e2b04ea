"""vCard content lines (2.1, 3.0, 4.0): unfolding, parameters, escaping and folding; the
cards of a file as properties that keep the exact line they were read from."""

from __future__ import annotations

import codecs
import quopri
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from tinycrm.errors import ValidationError


@dataclass
class Property:
    """One content line: name, parameters (upper-case names, lower-case values), raw value;
    its group ("item1" of `item1.TEL`, Apple's way of tying a label to it) and the whole
    line exactly as read (unfolded), for what is kept verbatim."""

    name: str
    params: dict[str, list[str]]
    value: str
    line: int
    group: str | None = None
    raw: str = ""


@dataclass
class Card:
    """The properties of one BEGIN:VCARD ... END:VCARD block."""

    line: int
    props: list[Property] = field(default_factory=list)

    def all(self, name: str) -> list[Property]:
        """Return every property called `name`."""
        return [p for p in self.props if p.name == name]

    def first(self, name: str) -> Property | None:
        """Return the first property called `name`, if any."""
        found = self.all(name)
        return found[0] if found else None


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """Unfold physical lines (a leading space or tab continues the line above; a
    quoted-printable line ending in '=' continues on the next) and number them."""
    current: str | None = None
    start = 0
    # an iPhone ends lines with CR CR LF: one line break, not an empty line between
    for number, raw in enumerate(re.split(r"\r*\n|\r", text), start=1):
        if current is not None and raw[:1] in (" ", "\t"):
            current += raw[1:]
            continue
        if (
            current is not None
            and current.endswith("=")
            and "QUOTED-PRINTABLE" in (current.split(":", 1)[0].upper())
        ):
            current = current + "\n" + raw
            continue
        if current is not None:
            yield start, current
        current, start = raw, number
    if current is not None:
        yield start, current


def _group(head: str) -> str | None:
    """Return the group of a line's name part (`item1` of `item1.TEL;TYPE=CELL`)."""
    name = _split_unquoted(head, ";")[0]
    return name.rsplit(".", 1)[0] if "." in name else None


def _split_params(head: str) -> tuple[str, dict[str, list[str]]]:
    parts = _split_unquoted(head, ";")
    name = parts[0].split(".")[-1].upper()
    params: dict[str, list[str]] = {}
    for part in parts[1:]:
        key, sep, value = part.partition("=")
        if not sep:
            # vCard 2.1: a bare parameter is a TYPE (TEL;WORK;VOICE) or an ENCODING
            upper = key.upper()
            if upper in ("QUOTED-PRINTABLE", "BASE64", "8BIT", "7BIT"):
                params.setdefault("ENCODING", []).append(upper.lower())
            else:
                params.setdefault("TYPE", []).append(key.lower())
            continue
        values = [
            v.lower() for part in _split_unquoted(value, ",") for v in part.strip('"').split(",")
        ]
        params.setdefault(key.upper(), []).extend(v for v in values if v)
    return name, params


def _split_unquoted(text: str, sep: str) -> list[str]:
    out: list[str] = []
    buf: list[str] = []
    quoted = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        if ch == sep and not quoted:
            out.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    out.append("".join(buf))
    return out


def _colon(line: str) -> int:
    quoted = False
    for i, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif ch == ":" and not quoted:
            return i
    return -1


def parse_cards(text: str, name: str) -> list[Card]:
    """Split vCard text into cards; refuse a file with none or with an unfinished one."""
    cards: list[Card] = []
    card: Card | None = None
    depth = 0
    for number, line in _logical_lines(text):
        if not line.strip():
            continue
        at = _colon(line)
        if at < 0:
            if card is None:
                continue
            raise ValidationError(
                f"{name} line {number}: not a vCard line: {line[:40]!r}; nothing was imported"
            )
        prop_name, params = _split_params(line[:at])
        value = line[at + 1 :]
        if prop_name == "BEGIN" and value.strip().upper() == "VCARD":
            depth += 1
            if depth == 1:
                card = Card(number)
            continue
        if prop_name == "END" and value.strip().upper() == "VCARD":
            depth -= 1
            if depth == 0 and card is not None:
                cards.append(card)
                card = None
            continue
        if card is not None and depth == 1:
            card.props.append(Property(prop_name, params, value, number, _group(line[:at]), line))
    if card is not None:
        raise ValidationError(
            f"{name} is truncated: the vCard that begins on line {card.line} never ends"
            " (no END:VCARD); nothing was imported",
            hint="export the contacts again; the file was cut short",
        )
    if not cards:
        from tinycrm.io.sources import refuse_other_type

        refuse_other_type(text, name, "vcard")
        raise ValidationError(f"{name} holds no vCard (no BEGIN:VCARD); nothing was imported")
    return cards


def unescape(value: str) -> str:
    """Undo vCard text escaping (\\n, \\, \\; \\\\)."""
    if "\\" not in value:
        return value
    out, i = [], 0
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value):
            nxt = value[i + 1]
            out.append("\n" if nxt in "nN" else nxt)
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def split_escaped(value: str, sep: str) -> list[str]:
    """Split on `sep` where it is not escaped with a backslash; unescape each part."""
    parts: list[str] = []
    buf: list[str] = []
    i = 0
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value):
            buf.append(value[i : i + 2])
            i += 2
            continue
        if ch == sep:
            parts.append(unescape("".join(buf)))
            buf = []
        else:
            buf.append(ch)
        i += 1
    parts.append(unescape("".join(buf)))
    return parts


def text_of(prop: Property) -> str:
    """Return a property's value decoded (quoted-printable, charset) but still escaped."""
    value = prop.value
    if "quoted-printable" in prop.params.get("ENCODING", []):
        charset = (prop.params.get("CHARSET") or ["utf-8"])[0]
        raw = quopri.decodestring(value.encode("latin-1", "replace"))
        try:
            value = raw.decode(charset)
        except (LookupError, UnicodeDecodeError):
            value = raw.decode("latin-1")
    return value


def vcard_text(data: bytes, name: str) -> str:
    """Decode a vCard file. A writer that folded lines at 75 octets in the middle of a UTF-8
    character leaves bytes that are UTF-8 only once unfolded, so that is tried before the
    Windows-1252 fallback."""
    from tinycrm.io.sources import decode

    if not data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            try:
                return re.sub(rb"(\r\n|\n|\r)[ \t]", b"", data).decode("utf-8")
            except UnicodeDecodeError:
                pass
    return decode(data, name)


def escape(value: str) -> str:
    """Escape text for a vCard or iCalendar value (backslash, comma, semicolon, newline)."""
    return (
        value.replace("\\", "\\\\")
        .replace(",", "\\,")
        .replace(";", "\\;")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str, limit: int = 75) -> str:
    """Fold a content line into CRLF lines of at most `limit` octets (UTF-8), never
    splitting a character; continuation lines start with one space."""
    data = line.encode("utf-8")
    if len(data) <= limit:
        return line + "\r\n"
    out: list[str] = []
    chunk: list[str] = []
    size = 0
    room = limit
    for ch in line:
        width = len(ch.encode("utf-8"))
        if size + width > room:
            out.append("".join(chunk))
            chunk, size, room = [], 0, limit - 1
        chunk.append(ch)
        size += width
    out.append("".join(chunk))
    return "\r\n ".join(out) + "\r\n"
