"""The cells of a CSV row that make the rest of a whole contact record: the name's parts and
nickname, a birthday, an anniversary and other dates, and postal addresses (in one cell, or
in parts that a layout groups by address: Google's "Address 1 - …", Outlook's "Home …")."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tinycrm.domain.parts import ADDRESS_PARTS, read_address
from tinycrm.errors import ValidationError
from tinycrm.io.csvcells import record_date

if TYPE_CHECKING:
    from tinycrm.io.csvcells import Cells
    from tinycrm.io.records import ContactIn

# The name's columns of a row, and the part of the contact's name each one is.
NAME_PARTS = {"first_name": "given_name", "middle_name": "middle_name",
              "last_name": "family_name", "name_prefix": "name_prefix",
              "name_suffix": "name_suffix", "nickname": "nickname"}  # fmt: skip
# The fields this module reads.
FIELDS = frozenset({*NAME_PARTS, *ADDRESS_PARTS, "address", "address_label", "formatted",
                    "birthday", "anniversary", "event"})  # fmt: skip


class WholeRecord:
    """Collects a row's name parts, dates and address parts, then adds them to its contact."""

    def __init__(self, cells: Cells) -> None:
        self.cells = cells
        self.parts: dict[str, str] = {}
        self.dates: list[dict[str, Any]] = []
        # per address (its group): its parts, label, whether it is the primary one
        self.addresses: dict[str, dict[str, Any]] = {}

    def take(self, field: str, label: str | None, value: str) -> None:
        """Read one cell of a field in FIELDS."""
        cells = self.cells
        if field in NAME_PARTS:
            self.parts[NAME_PARTS[field]] = value
        elif field in ("birthday", "anniversary", "event"):
            self._date(field, label, value)
        else:
            address = self.addresses.setdefault(cells.group, {"parts": {}})
            if label and field != "address":
                address.setdefault("label", label)
            if cells.primary:
                address["primary"] = True
            if field == "address_label":
                address["label"] = value  # tinycrm's own column: the label as written
            elif field == "address":
                try:
                    written, parts = read_address(value)
                except ValidationError as exc:
                    cells.refuse(exc.message, value, strict=cells.strict)
                    return
                address["cell"] = parts
                if written:
                    address.setdefault("label", written.lower())
            elif field == "formatted":
                address["formatted"] = value.strip()
            else:
                part = address["parts"]
                # Outlook's "Business Street 2" and "3" are more lines of its street
                part[field] = f"{part[field]}\n{value.strip()}" if field in part else value.strip()

    def _date(self, field: str, label: str | None, value: str) -> None:
        found = self.cells.read(value, record_date)
        if found is None:
            return
        kind = field
        if field == "event":  # Google's "Event 1 - Value", named by its label
            kind = "anniversary" if label == "anniversary" else "other"
        if kind != "other" and any(d["kind"] == kind for d in self.dates):
            if not any(d["kind"] == kind and d["value"] == found.value for d in self.dates):
                self.cells.refuse(f"a second {kind}: {value!r}", value, strict=self.cells.strict)
            return
        self.dates.append(
            {"kind": kind, "label": label if kind == "other" else None, "value": found.value,
             "month": found.month, "day": found.day, "written": None, "vcard_group": None}
        )  # fmt: skip

    def fill(self, rec: ContactIn) -> None:
        """Add the name parts, dates and addresses read to the contact."""
        rec.parts.update(self.parts)
        rec.dates += self.dates
        for address in self.addresses.values():
            parts: dict[str, Any] = dict.fromkeys(ADDRESS_PARTS)
            for key, value in (address.get("cell") or {}).items():
                parts[key] = value
            parts.update(address["parts"])
            if not any(parts.values()) and address.get("formatted"):
                parts["street"] = address["formatted"]  # Google's address in one text
            if not any(parts.values()):
                continue  # a label with no address
            row = {**parts, "label": address.get("label"), "types": None,
                   "is_primary": bool(address.get("primary")), "vcard_group": None}  # fmt: skip
            rec.addresses.insert(0 if row["is_primary"] else len(rec.addresses), row)
