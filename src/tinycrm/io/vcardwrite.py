"""vCard export (3.0, 4.0): one file, or a folder of UID.vcf kept in step with the database.

A card carries the whole record: the N a card came with, exactly, else the name's parts;
every type of an email, phone, url and address, a custom label in its group as Apple writes
it (`item1.X-ABLabel`); dates with or without a year; the photo; and, last, the lines a card
came with that nothing maps, as they were written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tinycrm.errors import UsageError, ValidationError
from tinycrm.io.vcardlines import escape, fold, split_escaped

if TYPE_CHECKING:
    from tinycrm.core.listing import ListFilter
    from tinycrm.store.db import Database

VERSIONS = ("3.0", "4.0")
PRODID = "-//tinycrm//tinycrm//EN"
# The TYPE values of RFC 2426 and RFC 6350 (and Apple's iPhone): any other label is custom,
# written as an X-ABLabel in the property's group.
_STANDARD = {"home", "work", "cell", "voice", "fax", "pager", "video", "text", "textphone",
             "main", "other", "iphone", "internet", "x400", "msg", "bbs", "modem", "car",
             "isdn", "pcs", "dom", "intl", "postal", "parcel"}  # fmt: skip
# Apple's built-in labels, written _$!<Name>!$_ so that Apple Contacts shows them in its
# own language.
_APPLE = {"Mobile", "Home", "Work", "Main", "HomeFAX", "WorkFAX", "OtherFAX", "Pager",
          "Other", "HomePage", "Anniversary", "Assistant", "Father", "Mother", "Parent",
          "Brother", "Sister", "Child", "Friend", "Spouse", "Partner", "Manager"}  # fmt: skip
# Types an import does not read as a label.
_UNLABELLED = {"internet", "pref", "voice", "x400", "text", "uri"}
_FILE_SAFE = re.compile(r"[^A-Za-z0-9_.@+-]")
_GROUP = re.compile(r"^item(\d+)\.", re.IGNORECASE)
# The list of the files an export wrote into a folder, and whose contact each one is.
MANIFEST = ".tinycrm-export"


class _Card:
    """The lines of one card being written, and the item groups it has used."""

    def __init__(self, contact: dict[str, Any], version: str) -> None:
        self.version = version
        self.lines: list[str] = []
        self.used: set[int] = set()
        for text in [*contact.get("kept_lines", []), *self._groups(contact)]:
            if found := _GROUP.match(text):
                self.used.add(int(found[1]))

    @staticmethod
    def _groups(contact: dict[str, Any]) -> list[str]:
        found = []
        for key in ("emails", "phones", "urls"):
            found += [f"{e[4]}." for e in contact[key] if len(e) > 4 and e[4]]
        for key in ("addresses", "dates"):
            found += [f"{r['vcard_group']}." for r in contact.get(key, []) if r["vcard_group"]]
        return found

    def new_group(self) -> str:
        number = 1
        while number in self.used:
            number += 1
        self.used.add(number)
        return f"item{number}"

    def add(self, line: str) -> None:
        self.lines.append(line)

    def labelled(
        self,
        name: str,
        value: str,
        label: str | None,
        types: str | None,
        primary: bool,
        group: str | None,
        extra: str = "",
    ) -> None:
        """Add an EMAIL, TEL, URL or ADR with its types, and its custom label, if any, as an
        X-ABLabel of its group."""
        kinds = [k for k in (types or "").split(",") if k]
        word = (label or "").lower()
        word = "cell" if word == "mobile" else word
        # the label an import reads from the types alone; any other one is the card's own
        derived = next((k for k in kinds if k not in _UNLABELLED), None)
        derived = "mobile" if derived == "cell" else derived
        custom = None
        if not kinds and word in _STANDARD:
            kinds = [word]
        elif label and label != derived:
            custom = label
        if extra and extra not in kinds:
            kinds.insert(0, extra)
        if self.version == "3.0":
            kinds = [*kinds, "pref"] if primary else kinds
            params = f";TYPE={','.join(k.upper() for k in kinds)}" if kinds else ""
        else:
            params = (
                f';TYPE="{",".join(kinds)}"'
                if len(kinds) > 1
                else (f";TYPE={kinds[0]}" if kinds else "")
            )
            params += ";PREF=1" if primary else ""
        if custom and not group:
            group = self.new_group()
        prefix = f"{group}." if group else ""
        self.add(f"{prefix}{name}{params}:{value}")
        if custom:
            self.add(f"{prefix}X-ABLabel:{ab_label_text(custom)}")


def ab_label_text(label: str) -> str:
    """Write a label as an X-ABLabel value (Apple's built-in ones as _$!<Name>!$_)."""
    return f"_$!<{label}>!$_" if label in _APPLE else escape(label)


def _name(contact: dict[str, Any]) -> str:
    """The N value: as the card gave it, else from the name's parts (never by splitting the
    full name, which cannot tell a family name from the words before it)."""
    if contact.get("vcard_n") is not None:
        return str(contact["vcard_n"])
    parts = ("family_name", "given_name", "middle_name", "name_prefix", "name_suffix")
    return ";".join(escape(contact.get(k) or "") for k in parts)


def _date_value(value: str, version: str) -> str:
    """A date as this version writes it: 3.0 1985-04-12 or --04-12, 4.0 19850412 or --0412."""
    if version == "3.0":
        return value
    return "--" + value[2:].replace("-", "") if value.startswith("--") else value.replace("-", "")


def _dates(card: _Card, contact: dict[str, Any]) -> None:
    for row in contact.get("dates", []):
        if row["written"]:
            card.add(row["written"])
            if row["vcard_group"] and row["label"]:
                card.add(f"{row['vcard_group']}.X-ABLabel:{ab_label_text(row['label'])}")
            continue
        value = _date_value(row["value"], card.version)
        if row["kind"] == "birthday":
            card.add(f"BDAY:{value}")
        elif row["kind"] == "anniversary":
            card.add(f"{'ANNIVERSARY' if card.version == '4.0' else 'X-ANNIVERSARY'}:{value}")
        else:
            group = row["vcard_group"] or card.new_group()
            card.add(f"{group}.X-ABDATE:{value}")
            card.add(f"{group}.X-ABLabel:{ab_label_text(row['label'] or 'Other')}")


def _photo(photo: str, version: str) -> str:
    if version == "4.0":
        return f"PHOTO:{photo}"
    head, sep, data = photo.partition(";base64,")
    if photo.startswith("data:") and sep:
        kind = head.removeprefix("data:").split("/")[-1].upper()
        return f"PHOTO;ENCODING=b;TYPE={kind}:{data}"
    return f"PHOTO;VALUE=uri:{photo}"


def _kept(card: _Card, contact: dict[str, Any]) -> list[str]:
    """The kept lines; a kept ORG (with its departments) stands in for the company's name
    while that is still the name it begins with."""
    kept = list(contact.get("kept_lines", []))
    company = contact.get("company")
    for line in kept:
        head, _, value = line.partition(":")
        if head.split(".")[-1].split(";")[0].upper() == "ORG":
            if company and split_escaped(value, ";")[0].strip() == company:
                card.add(line)
                kept.remove(line)
                contact = {**contact, "company": None}
            break
    if contact.get("company"):
        card.add(f"ORG:{escape(contact['company'])}")
    return kept


def card_text(contact: dict[str, Any], version: str = "3.0") -> str:
    """Render one contact (from io.exports.contacts) as a vCard with CRLF lines."""
    if version not in VERSIONS:
        raise UsageError(f"vCard version {version!r} cannot be written", hint="use 3.0 or 4.0")
    card = _Card(contact, version)
    card.add("BEGIN:VCARD")
    card.add(f"VERSION:{version}")
    card.add(f"PRODID:{PRODID}")
    card.add(f"UID:{card_uid(contact, version)}")
    card.add(f"FN:{escape(contact['name'])}")
    card.add(f"N:{_name(contact)}")
    if contact.get("nickname"):
        card.add("NICKNAME:" + ",".join(escape(n) for n in contact["nickname"].split(", ")))
    kept = _kept(card, contact)
    if contact["title"]:
        card.add(f"TITLE:{escape(contact['title'])}")
    for email, label, primary, *more in contact["emails"]:
        types, group = [*more, None, None][:2]
        extra = "internet" if version == "3.0" else ""
        card.labelled("EMAIL", escape(email), label, types, primary, group, extra)
    for phone, label, primary, *more in contact["phones"]:
        types, group = [*more, None, None][:2]
        card.labelled("TEL", escape(phone), label, types, primary, group)
    for url, label, primary, *more in contact["urls"]:
        types, group = [*more, None, None][:2]
        card.labelled("URL", url, label, types, primary, group)
    for adr in contact.get("addresses", []):
        value = ";".join(
            escape(adr[k] or "")
            for k in ("po_box", "extended", "street", "locality", "region", "postcode", "country")
        )
        card.labelled(
            "ADR", value, adr["label"], adr["types"], adr["is_primary"], adr["vcard_group"]
        )
    _dates(card, contact)
    if contact.get("photo"):
        card.add(_photo(contact["photo"], version))
    if contact["tags"]:
        card.add("CATEGORIES:" + ",".join(escape(t) for t in contact["tags"]))
    if contact["notes"]:
        card.add(f"NOTE:{escape(contact['notes'])}")
    if contact["lifecycle"]:
        card.add(f"X-TINYCRM-LIFECYCLE:{escape(contact['lifecycle'])}")
    if contact["source"]:
        card.add(f"X-TINYCRM-SOURCE:{escape(contact['source'])}")
    rev = (contact["updated_at"] or "").replace("-", "").replace(":", "")
    if rev:
        card.add(f"REV:{rev.split('.')[0].removesuffix('Z')}Z")
    out = [fold(line) for line in card.lines]
    # a kept quoted-printable line keeps its own soft line breaks
    out += [line.replace("\n", "\r\n") + "\r\n" if "\n" in line else fold(line) for line in kept]
    return "".join(out) + "END:VCARD\r\n"


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
    """What an export wrote: the text (one file), how many cards, the files removed."""

    text: str
    count: int
    removed: int = 0


def _manifest(folder: Path) -> dict[str, str]:
    """Return the files an earlier export wrote into the folder, with their contacts' UUIDs."""
    path = folder / MANIFEST
    if not path.is_file():
        return {}
    found: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        name, sep, uuid = line.partition("\t")
        if sep and name and "/" not in name and "\\" not in name and not name.startswith("."):
            found[name] = uuid
    return found


def _remove_stale(
    folder: Path, written: dict[str, str], live: set[str]
) -> tuple[int, dict[str, str]]:
    """Remove the files an earlier export wrote for contacts that are gone (deleted,
    forgotten, merged away) or now written under another name; return how many, and what
    the manifest keeps. A file tinycrm did not write is never in the manifest."""
    removed = 0
    keep: dict[str, str] = {}
    moved = set(written.values())
    for name, uuid in _manifest(folder).items():
        if name in written:
            continue
        path = folder / name
        if uuid in live and uuid not in moved:
            keep[name] = uuid  # outside this export's filter: still the contact's card
            continue
        if path.is_file() and PRODID in path.read_text(encoding="utf-8", errors="replace"):
            path.unlink()
            removed += 1
    return removed, keep


def export_vcards(
    db: Database, flt: ListFilter, *, version: str = "3.0", folder: Path | None = None
) -> VcardExport:
    """Render the contacts a filter selects as vCards; with `folder`, write UID.vcf files
    and remove the ones an earlier export wrote there for contacts that are gone."""
    from tinycrm.io.exports import contact_ids, contacts, live_contact_uuids
    from tinycrm.io.files import write_file

    if version not in VERSIONS:
        raise UsageError(f"vCard version {version!r} cannot be written", hint="use 3.0 or 4.0")
    people = contacts(db, contact_ids(db, flt))
    if folder is None:
        return VcardExport("".join(card_text(c, version) for c in people), len(people))
    if folder.exists() and not folder.is_dir():
        raise ValidationError(f"{folder} is a file, not a folder")
    written: dict[str, str] = {}
    for person in people:
        name = card_file_name(person)
        write_file(folder / name, card_text(person, version))
        written[name] = person["uuid"]
    removed, keep = _remove_stale(folder, written, live_contact_uuids(db))
    listing = "".join(f"{n}\t{u}\n" for n, u in sorted({**keep, **written}.items()))
    write_file(folder / MANIFEST, listing)
    return VcardExport("", len(people), removed)
