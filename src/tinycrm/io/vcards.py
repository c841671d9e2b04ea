"""vCard import (2.1, 3.0, 4.0): every property is mapped to the contact or kept with it as
the exact line it was (and written back on export, see io/vcardwrite.py)."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tinycrm.domain.parts import ADDRESS_PARTS
from tinycrm.domain.text import is_email
from tinycrm.errors import ValidationError
from tinycrm.io.records import (
    ContactIn,
    ImportReport,
    Problem,
    checked,
    phone_key,
    tag_name,
    uuid_key,
)
from tinycrm.io.vcardlines import (
    Card,
    Property,
    escape,
    parse_cards,
    split_escaped,
    text_of,
    unescape,
    vcard_text,
)

if TYPE_CHECKING:
    from tinycrm.io.imports import ImportOptions, Progress
    from tinycrm.store.db import Database

_IGNORED_TYPES = {"internet", "pref", "voice", "x400", "text", "uri"}
_LABELS = {"cell": "mobile"}
# Written anew by every export: a card's own copies say nothing about the person.
META = {"VERSION", "PRODID", "REV"}
# Properties a contact has one of: a second one is kept as written.
_SINGLE = {"FN", "N", "NICKNAME", "ORG", "TITLE", "PHOTO", "BDAY", "ANNIVERSARY", "UID",
           "X-TINYCRM-LIFECYCLE", "X-TINYCRM-SOURCE"}  # fmt: skip
# Properties whose parameters say how the value is written, or what its types are.
_PARAMS = {"TYPE", "PREF", "ENCODING", "CHARSET", "VALUE"}
# Apple's built-in labels are written _$!<Name>!$_.
_APPLE_LABEL = re.compile(r"^_\$!<(.+)>!\$_$")
_ANNIVERSARIES = {"ANNIVERSARY", "X-ANNIVERSARY", "X-EVOLUTION-ANNIVERSARY", "X-MS-ANNIVERSARY"}
_FULL_DATE = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})$")
_NO_YEAR = re.compile(r"^--(\d{2})-?(\d{2})$")


_N_ORDER = ("family_name", "given_name", "middle_name", "name_prefix", "name_suffix")


def ab_label(text: str) -> str:
    """Read an X-ABLabel value: Apple's `_$!<Mobile>!$_` is Mobile."""
    value = unescape(text).strip()
    found = _APPLE_LABEL.match(value)
    return found[1] if found else value


def _types(prop: Property) -> list[str]:
    return [t for t in prop.params.get("TYPE", []) if t != "pref"]


def _label(prop: Property, labels: dict[str, str]) -> str | None:
    if prop.group and prop.group in labels:
        return labels[prop.group]
    for kind in prop.params.get("TYPE", []):
        if kind not in _IGNORED_TYPES:
            return _LABELS.get(kind, kind)
    return None


def _is_pref(prop: Property) -> bool:
    return "pref" in prop.params.get("TYPE", []) or bool(prop.params.get("PREF"))


def read_date(prop: Property) -> tuple[str, int, int] | None:
    """Return a BDAY-like property's date as (ISO value, month, day), '--04-15' when it has no
    year (`--0415`, `--04-15`, or Apple's year 1604 with X-APPLE-OMIT-YEAR); None when it is
    not a plain date (text, a time, a partial form other than these), to keep it as written."""
    if "text" in prop.params.get("VALUE", []):
        return None
    value = text_of(prop).strip()
    omit = prop.params.get("X-APPLE-OMIT-YEAR", [])
    if found := _FULL_DATE.match(value):
        year, month, day = (int(g) for g in found.groups())
        if omit and omit[0] == f"{year:04d}":
            year = 0
    elif found := _NO_YEAR.match(value):
        year, month, day = 0, int(found[1]), int(found[2])
    else:
        return None
    try:
        date(year or 2000, month, day)
    except ValueError:
        return None
    iso = f"{year:04d}-{month:02d}-{day:02d}" if year else f"--{month:02d}-{day:02d}"
    return iso, month, day


def _photo(prop: Property) -> str:
    """Return a PHOTO as a data: URI (its media type and base64 data) or the URI it names."""
    value = prop.value.strip()
    if prop.params.get("ENCODING", [""])[0] in ("b", "base64"):
        kind = (prop.params.get("TYPE") or prop.params.get("MEDIATYPE") or ["jpeg"])[0]
        media = kind if "/" in kind else f"image/{kind}"
        return f"data:{media};base64,{''.join(value.split())}"
    return value


class _Reader:
    """Reads one card into a contact, keeping as written what it does not map."""

    def __init__(self, card: Card) -> None:
        self.card = card
        self.labels: dict[str, str] = {}  # group -> its X-ABLabel
        self.label_lines: dict[str, Property] = {}
        for prop in card.props:
            if prop.name == "X-ABLABEL" and prop.group and prop.group not in self.labels:
                self.labels[prop.group] = ab_label(text_of(prop))
                self.label_lines[prop.group] = prop
        self.used_groups: set[str] = set()
        self.unkept_params: set[str] = set()

    def read(self) -> ContactIn:
        card = self.card
        rec = ContactIn(card.line, "")
        seen: set[str] = set()
        kept: list[Property] = []
        notes: list[str] = []
        for prop in card.props:
            if prop.name in META or prop.name == "X-ABLABEL":
                continue
            first = prop.name not in seen
            seen.add(prop.name)
            if (prop.name in _SINGLE and not first) or not self._map(rec, prop, notes):
                kept.append(prop)
        rec.notes = "\n".join(n for n in notes if n) or None
        for group, prop in self.label_lines.items():
            if group not in self.used_groups:
                kept.append(prop)
        kept.sort(key=lambda p: p.line)
        rec.kept_lines = [(p.name, p.raw) for p in kept]
        if not rec.name and (n := card.first("N")):
            family, given, additional, *_ = [*split_escaped(text_of(n), ";"), "", "", ""]
            rec.name = " ".join(" ".join([given, additional, family]).split())
        if not rec.name:
            if not rec.emails:
                raise ValueError("a vCard with no name (FN or N) and no email")
            rec.name = rec.emails[0][0]
        return rec

    def _grouped(self, prop: Property) -> str | None:
        if prop.group:
            self.used_groups.add(prop.group)
        return prop.group

    def _note_params(self, prop: Property) -> None:
        for key in prop.params:
            if key not in _PARAMS and not key.startswith("X-APPLE-OMIT"):
                self.unkept_params.add(f"{prop.name};{key}")

    def _map(self, rec: ContactIn, prop: Property, notes: list[str]) -> bool:
        """Map one property onto the contact; False when nothing maps it (kept as written)."""
        name = prop.name
        text = text_of(prop)
        if name == "FN":
            rec.name = " ".join(unescape(text).split())
        elif name == "N":
            family, given, middle, prefix, suffix, *_ = [*split_escaped(text, ";"), *[""] * 5]
            values = {"family_name": family, "given_name": given, "middle_name": middle,
                      "name_prefix": prefix, "name_suffix": suffix}  # fmt: skip
            rec.parts.update({k: v.strip() for k, v in values.items() if v.strip()})
            # kept only when the parts would not write it back as it is
            rebuilt = ";".join(escape(values[k].strip()) for k in _N_ORDER)
            if text != rebuilt:
                rec.parts["vcard_n"] = text
        elif name == "NICKNAME":
            nicknames = [n.strip() for n in split_escaped(text, ",") if n.strip()]
            if nicknames:
                rec.parts["nickname"] = ", ".join(nicknames)
        elif name in ("EMAIL", "TEL", "URL"):
            return self._listed(rec, prop, text)
        elif name == "ADR":
            self._note_params(prop)
            pieces = [*split_escaped(text, ";"), *[""] * 7][:7]
            row: dict[str, Any] = {
                k: (v.strip() or None) for k, v in zip(ADDRESS_PARTS, pieces, strict=True)
            }
            row.update(
                label=_label(prop, self.labels),
                types=",".join(_types(prop)) or None,
                is_primary=_is_pref(prop),
                vcard_group=self._grouped(prop),
            )
            preferred = row["is_primary"] and not any(a["is_primary"] for a in rec.addresses)
            rec.addresses.insert(0 if preferred else len(rec.addresses), row)
        elif name in ("BDAY", *_ANNIVERSARIES) or name == "X-ABDATE":
            return self._date(rec, prop)
        elif name == "PHOTO":
            rec.parts["photo"] = _photo(prop)
        elif name == "ORG":
            units = split_escaped(text, ";")
            rec.company = units[0].strip() or None
            return len([u for u in units if u.strip()]) <= 1  # departments: kept as written
        elif name == "TITLE":
            rec.title = unescape(text).strip() or None
        elif name == "NOTE":
            notes.append(unescape(text).replace("\r\n", "\n").strip())
        elif name == "CATEGORIES":
            for label in split_escaped(text, ","):
                tag = tag_name(label)
                if tag and tag not in rec.tags:
                    rec.tags.append(tag)
        elif name == "UID":
            if prop.value.strip():
                rec.uid = prop.value.strip()
                rec.uuid = uuid_key(unescape(rec.uid))
        elif name == "X-TINYCRM-LIFECYCLE":
            from tinycrm.io.csvfiles import RowError, lifecycle_value

            try:
                rec.lifecycle = lifecycle_value(unescape(prop.value))
            except RowError as exc:
                raise ValueError(str(exc)) from None
        elif name == "X-TINYCRM-SOURCE":
            rec.source = unescape(prop.value).strip() or None
        else:
            return False
        return True

    def _listed(self, rec: ContactIn, prop: Property, text: str) -> bool:
        value = unescape(text).strip()
        if prop.name == "EMAIL":
            value = value.removeprefix("mailto:")
            if not is_email(value):
                raise ValueError(f"not an email address: {value!r}")
            target, kind = rec.emails, "email"
        elif prop.name == "TEL":
            value = value.removeprefix("tel:")
            if len(phone_key(value).lstrip("+")) < 3:
                raise ValueError(f"not a phone number: {value!r}")
            target, kind = rec.phones, "phone"
        else:
            if not value:
                return True
            target, kind = rec.urls, "url"
        if any(v == value for v, _ in target):
            return False  # the same address twice: the second is kept as written
        entry = (value, _label(prop, self.labels))
        if _is_pref(prop) and kind != "url":
            target.insert(0, entry)
        else:
            target.append(entry)
        self._note_params(prop)
        rec.details[(kind, value)] = (",".join(_types(prop)) or None, self._grouped(prop))
        return True

    def _date(self, rec: ContactIn, prop: Property) -> bool:
        found = read_date(prop)
        if found is None:
            return False
        value, month, day = found
        label = self.labels.get(prop.group or "")
        if prop.name == "BDAY":
            kind = "birthday"
        elif prop.name in _ANNIVERSARIES or (label or "").lower() == "anniversary":
            kind = "anniversary"
        else:
            kind = "other"
        if any(d["kind"] == kind for d in rec.dates) and kind != "other":
            return False
        rec.dates.append(
            {
                "kind": kind,
                "label": label,
                "value": value,
                "month": month,
                "day": day,
                "written": prop.raw,
                "vcard_group": self._grouped(prop),
            }
        )
        return True


def contact_from_card(card: Card) -> ContactIn:
    """Read one card as a contact; raise ValueError with the reason if it cannot be read."""
    return _Reader(card).read()


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        found = sorted(p for p in path.iterdir() if p.suffix.lower() in (".vcf", ".vcard"))
        if not found:
            raise ValidationError(f"{path} holds no .vcf files; nothing was imported")
        return found
    return [path]


def read_cards(path: Path) -> tuple[list[ContactIn], list[Problem], list[str], list[str]]:
    """Read the contacts of a .vcf file or a folder of them, with the cards that are bad,
    the names of the properties kept as written, and the parameters not kept
    ("ADR;LABEL")."""
    from tinycrm.io.sources import read_bytes

    records: list[ContactIn] = []
    problems: list[Problem] = []
    kept: dict[str, None] = {}
    unkept: set[str] = set()
    files = _files(path)
    for file in files:
        prefix = f"{file.name}: " if len(files) > 1 or path.is_dir() else ""
        for card in parse_cards(vcard_text(read_bytes(file), file.name), file.name):
            reader = _Reader(card)
            try:
                rec = checked(reader.read())
                rec.file = file.name if prefix else None
                records.append(rec)
            except ValueError as exc:
                problems.append(Problem(card.line, f"{prefix}{exc}"))
                continue
            kept.update(dict.fromkeys(name for name, _ in rec.kept_lines))
            unkept |= reader.unkept_params
    return records, problems, list(kept), sorted(unkept)


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

    records, problems, kept, unkept = read_cards(path)
    report = ImportReport("contacts", path.name, "", options.dry_run)
    report.problems = problems
    report.kept_verbatim = kept
    report.ignored_columns = unkept
    report.ignored_what = "vCard parameters"
    return import_contacts(db, records, report, options, now, progress)
