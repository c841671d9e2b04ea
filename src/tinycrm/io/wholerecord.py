"""What an import adds of a whole contact record beside its emails, phones and tags (from a
vCard): postal addresses, dates and the lines kept as written."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tinycrm.domain.parts import ADDRESS_PARTS

if TYPE_CHECKING:
    from tinycrm.io.matching import Record
    from tinycrm.io.records import ContactIn
    from tinycrm.store.bulk import Batch

# The contact's columns a vCard fills beside those of every import.
PART_COLUMNS = ("given_name", "family_name", "middle_name", "name_prefix", "name_suffix",
                "nickname", "vcard_n", "photo")  # fmt: skip


def address_key(row: Any) -> tuple[Any, ...]:
    """What makes two postal addresses the same one: their parts."""
    return tuple((row[k] or "").casefold() for k in ADDRESS_PARTS)


def queue_whole_record(batch: Batch, record: Record, rec: ContactIn) -> bool:
    """Queue the addresses, dates and vCard lines this contact does not have yet."""
    added = False
    for address in rec.addresses:
        key = address_key(address)
        if key in record.addresses:
            continue
        # the card's preferred one comes first: the first address is the primary one
        row = {"id": batch.new_id("contact_address"), "contact_id": record.id,
               **address, "is_primary": not record.addresses}  # fmt: skip
        batch.create("contact_address", row)
        record.addresses.add(key)
        added = True
    for when in rec.dates:
        if (when["kind"], when["value"]) in record.dates or (
            when["kind"] != "other" and any(k == when["kind"] for k, _ in record.dates)
        ):
            continue
        batch.create(
            "contact_date",
            {"id": batch.new_id("contact_date"), "contact_id": record.id, **when},
        )
        record.dates.add((when["kind"], when["value"]))
        added = True
    for name, line in rec.kept_lines:
        if line in record.kept_lines:
            continue
        row = {"id": batch.new_id("contact_property"), "contact_id": record.id,
               "position": len(record.kept_lines) + 1, "name": name, "line": line}  # fmt: skip
        batch.create("contact_property", row)
        record.kept_lines.add(line)
        added = True
    return added
