"""vCard import (2.1, 3.0, 4.0) and export (3.0, 4.0): one file, or a folder of UID.vcf."""

from __future__ import annotations

import codecs
import quopri
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tinycrm.domain.text import is_email
from tinycrm.errors import UsageError, ValidationError
from tinycrm.io.records import (
    ContactIn,
    ImportReport,
    Problem,
    checked,
    phone_key,
    tag_name,
    uuid_key,
)

if TYPE_CHECKING:
    from tinycrm.core.listing import ListFilter
    from tinycrm.io.imports import ImportOptions, Progress
    from tinycrm.store.db import Database

VERSIONS = ("3.0", "4.0")
_IGNORED_TYPES = {"internet", "pref", "voice", "x400", "text", "uri"}
_LABELS = {"cell": "mobile"}
_NAME = re.compile(r"^[A-Za-z0-9-]+$")
# The properties a card is read from, and those that say nothing about the person.
READ = {"FN", "N", "EMAIL", "TEL", "URL", "ORG", "TITLE", "NOTE", "CATEGORIES", "UID",
        "X-TINYCRM-LIFECYCLE", "X-TINYCRM-SOURCE"}  # fmt: skip
_META = {"VERSION", "PRODID", "REV", "KIND", "CLIENTPIDMAP"}
# Characters a UID keeps in a file name; others are written %XX (as in a URL).
_FILE_SAFE = re.compile(r"[^A-Za-z0-9_.@+-]")


# --- reading ---------------------------------------------------------------------------------


@dataclass
class Property:
    """One content line: name, parameters (upper-case names, lower-case values), raw value."""

    name: str
    params: dict[str, list[str]]
    value: str
    line: int


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
    for number, raw in enumerate(re.split(r"\r\n|\n|\r", text), start=1):
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
            card.props.append(Property(prop_name, params, value, number))
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


def _text(prop: Property) -> str:
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


def _label(prop: Property) -> str | None:
    for kind in prop.params.get("TYPE", []):
        if kind not in _IGNORED_TYPES:
            return _LABELS.get(kind, kind)
    return None


def _is_pref(prop: Property) -> bool:
    return "pref" in prop.params.get("TYPE", []) or bool(prop.params.get("PREF"))


def contact_from_card(card: Card) -> ContactIn:
    """Read one card as a contact; raise ValueError with the reason if it cannot be read."""
    fn = card.first("FN")
    name = " ".join(unescape(_text(fn)).split()) if fn else ""
    if not name and (n := card.first("N")):
        family, given, additional, *_ = [*split_escaped(_text(n), ";"), "", "", ""]
        name = " ".join(" ".join([given, additional, family]).split())
    rec = ContactIn(card.line, name)
    for prop in sorted(card.all("EMAIL"), key=lambda p: not _is_pref(p)):
        email = unescape(_text(prop)).strip().removeprefix("mailto:")
        if not is_email(email):
            raise ValueError(f"not an email address: {email!r}")
        rec.emails.append((email, _label(prop)))
    for prop in sorted(card.all("TEL"), key=lambda p: not _is_pref(p)):
        phone = unescape(_text(prop)).strip().removeprefix("tel:")
        if len(phone_key(phone).lstrip("+")) < 3:
            raise ValueError(f"not a phone number: {phone!r}")
        rec.phones.append((phone, _label(prop)))
    for prop in card.all("URL"):
        url = unescape(_text(prop)).strip()
        if url:
            rec.urls.append((url, _label(prop)))
    if org := card.first("ORG"):
        rec.company = split_escaped(_text(org), ";")[0].strip() or None
    if title := card.first("TITLE"):
        rec.title = unescape(_text(title)).strip() or None
    notes = [unescape(_text(p)).strip() for p in card.all("NOTE")]
    rec.notes = "\n".join(n for n in notes if n) or None
    for prop in card.all("CATEGORIES"):
        for label in split_escaped(_text(prop), ","):
            tag = tag_name(label)
            if tag and tag not in rec.tags:
                rec.tags.append(tag)
    if (uid := card.first("UID")) and uid.value.strip():
        rec.uid = uid.value.strip()
        rec.uuid = uuid_key(unescape(rec.uid))
    if lifecycle := card.first("X-TINYCRM-LIFECYCLE"):
        from tinycrm.io.csvfiles import RowError, lifecycle_value

        try:
            rec.lifecycle = lifecycle_value(unescape(lifecycle.value))
        except RowError as exc:
            raise ValueError(str(exc)) from None
    if source := card.first("X-TINYCRM-SOURCE"):
        rec.source = unescape(source.value).strip() or None
    if not rec.name:
        if not rec.emails:
            raise ValueError("a vCard with no name (FN or N) and no email")
        rec.name = rec.emails[0][0]
    return rec


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        found = sorted(p for p in path.iterdir() if p.suffix.lower() in (".vcf", ".vcard"))
        if not found:
            raise ValidationError(f"{path} holds no .vcf files; nothing was imported")
        return found
    return [path]


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


def read_cards(path: Path) -> tuple[list[ContactIn], list[Problem], list[str]]:
    """Read the contacts of a .vcf file or a folder of them, with the cards that are bad
    and the names of the properties that are not imported (ADR, BDAY, ...)."""
    from tinycrm.io.sources import read_bytes

    records: list[ContactIn] = []
    problems: list[Problem] = []
    unread: set[str] = set()
    files = _files(path)
    for file in files:
        prefix = f"{file.name}: " if len(files) > 1 or path.is_dir() else ""
        for card in parse_cards(vcard_text(read_bytes(file), file.name), file.name):
            unread.update(p.name for p in card.props if p.name not in READ | _META)
            try:
                rec = checked(contact_from_card(card))
                rec.file = file.name if prefix else None
                records.append(rec)
            except ValueError as exc:
                problems.append(Problem(card.line, f"{prefix}{exc}"))
    return records, problems, sorted(unread)


def import_vcards(
    db: Database,
    path: Path,
    *,
    options: ImportOptions,
    now: datetime,
    progress: Progress | None = None,
) -> ImportReport:
    """Import contacts from vCards; matched by UID, then email, then full name and company."""
    from tinycrm.io.imports import import_contacts

    records, problems, unread = read_cards(path)
    report = ImportReport("contacts", path.name, "", options.dry_run)
    report.problems = problems
    report.ignored_columns = unread
    report.ignored_what = "vCard properties"
    return import_contacts(db, records, report, options, now, progress)


# --- writing ---------------------------------------------------------------------------------


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


def _types(label: str | None, primary: bool, version: str, extra: str = "") -> str:
    kinds = [k for k in (extra, (label or "").lower()) if k]
    kinds = ["cell" if k == "mobile" else k for k in kinds]
    kinds = [k for k in kinds if _NAME.match(k)]
    if version == "3.0":
        if primary:
            kinds.append("pref")
        return f";TYPE={','.join(k.upper() for k in kinds)}" if kinds else ""
    params = (
        f';TYPE="{",".join(kinds)}"' if len(kinds) > 1 else (f";TYPE={kinds[0]}" if kinds else "")
    )
    return params + (";PREF=1" if primary else "")


def card_text(contact: dict[str, Any], version: str = "3.0") -> str:
    """Render one contact (from io.exports.contacts) as a vCard with CRLF lines."""
    if version not in VERSIONS:
        raise UsageError(f"vCard version {version!r} cannot be written", hint="use 3.0 or 4.0")
    name = contact["name"]
    words = name.split()
    family = words[-1] if len(words) > 1 else name
    given = " ".join(words[:-1]) if len(words) > 1 else ""
    lines = ["BEGIN:VCARD", f"VERSION:{version}"]
    lines.append(f"UID:{card_uid(contact, version)}")
    lines.append(f"FN:{escape(name)}")
    lines.append(f"N:{escape(family)};{escape(given)};;;")
    if contact["company"]:
        lines.append(f"ORG:{escape(contact['company'])}")
    if contact["title"]:
        lines.append(f"TITLE:{escape(contact['title'])}")
    for email, label, primary in contact["emails"]:
        extra = "internet" if version == "3.0" else ""
        lines.append(f"EMAIL{_types(label, primary, version, extra)}:{escape(email)}")
    for phone, label, primary in contact["phones"]:
        lines.append(f"TEL{_types(label, primary, version)}:{escape(phone)}")
    for url, label, primary in contact["urls"]:
        lines.append(f"URL{_types(label, primary, version)}:{url}")
    if contact["tags"]:
        lines.append("CATEGORIES:" + ",".join(escape(t) for t in contact["tags"]))
    if contact["notes"]:
        lines.append(f"NOTE:{escape(contact['notes'])}")
    if contact["lifecycle"]:
        lines.append(f"X-TINYCRM-LIFECYCLE:{escape(contact['lifecycle'])}")
    if contact["source"]:
        lines.append(f"X-TINYCRM-SOURCE:{escape(contact['source'])}")
    rev = (contact["updated_at"] or "").replace("-", "").replace(":", "")
    if rev:
        lines.append(f"REV:{rev.split('.')[0].removesuffix('Z')}Z")
    lines.append("END:VCARD")
    return "".join(fold(line) for line in lines)


def card_uid(contact: dict[str, Any], version: str = "3.0") -> str:
    """Return the UID a contact's card is written under: the UID it came with from another
    address book, exactly as written there, else its UUID (`urn:uuid:…` in 4.0)."""
    if contact.get("uid"):
        return str(contact["uid"])
    return contact["uuid"] if version == "3.0" else f"urn:uuid:{contact['uuid']}"


def card_file_name(contact: dict[str, Any]) -> str:
    """Return the file a contact's card is written to in a folder: its UID, with the
    characters a file name should not hold written %XX (a very long UID is hashed)."""
    uid = str(contact.get("uid") or contact["uuid"])
    name = _FILE_SAFE.sub(lambda m: "".join(f"%{b:02X}" for b in m[0].encode()), uid)
    if name.startswith(".") or len(name) > 200:
        import hashlib

        name = hashlib.sha256(uid.encode()).hexdigest()
    return f"{name}.vcf"


@dataclass
class VcardExport:
    """What an export wrote: the text (one file) and how many cards."""

    text: str
    count: int


def export_vcards(
    db: Database, flt: ListFilter, *, version: str = "3.0", folder: Path | None = None
) -> VcardExport:
    """Render the contacts a filter selects as vCards; with `folder`, write UID.vcf files."""
    from tinycrm.io.exports import contact_ids, contacts
    from tinycrm.io.files import write_file

    if version not in VERSIONS:
        raise UsageError(f"vCard version {version!r} cannot be written", hint="use 3.0 or 4.0")
    people = contacts(db, contact_ids(db, flt))
    if folder is None:
        return VcardExport("".join(card_text(c, version) for c in people), len(people))
    if folder.exists() and not folder.is_dir():
        raise ValidationError(f"{folder} is a file, not a folder")
    for person in people:
        write_file(folder / card_file_name(person), card_text(person, version))
    return VcardExport("", len(people))
