"""The parts of a whole contact record as a person types them: a labelled email, phone or web
address (`work:jane@acme.com`), a postal address, a date with or without a year."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from tinycrm.errors import ValidationError

# A label before a colon is a word or two ("work", "home fax", "Mum's"); a URI scheme is not.
_LABEL = re.compile(r"^([^\W\d_][\w' -]{0,30}):(.*)$", re.DOTALL)
# Schemes that name the kind of address itself: never a label.
SCHEMES = frozenset({"mailto", "tel", "sip", "http", "https", "ftp", "xmpp", "urn"})
# The kinds of a contact's dates; birthday and anniversary are one each.
DATE_KINDS = ("birthday", "anniversary", "other")
# A postal address's parts, in the order of vCard ADR.
ADDRESS_PARTS = ("po_box", "extended", "street", "locality", "region", "postcode", "country")
# The parts `--address` takes, in order, separated by semicolons.
TYPED_PARTS = ("street", "locality", "region", "postcode", "country")

_FULL = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})$")
_NO_YEAR = re.compile(r"^--(\d{2})-?(\d{2})$")


def split_label(text: str) -> tuple[str | None, str]:
    """Split `label:value` into its label and value; (None, text) when what precedes the
    first colon is not a label (a URI scheme such as `mailto:` or `https:`, or no colon)."""
    found = _LABEL.match(text.strip())
    if not found:
        return None, text.strip()
    label, rest = found[1].strip(), found[2].strip()
    if label.lower() in SCHEMES or rest.startswith("//"):
        return None, text.strip()
    return label, rest


@dataclass(frozen=True)
class PartialDate:
    """A date with or without a year: its ISO 8601 form ('1985-04-12' or '--04-12')."""

    value: str
    month: int
    day: int

    @property
    def year(self) -> int | None:
        """The year, when the date has one."""
        return None if self.value.startswith("--") else int(self.value[:4])


def read_partial_date(text: str) -> PartialDate:
    """Read `1985-04-12`, `19850412`, `--04-12` or `--0412` exactly; a date that does not
    exist (`--02-30`) or any other form is refused, never guessed."""
    value = text.strip()
    if found := _FULL.match(value):
        year, month, day = (int(g) for g in found.groups())
    elif found := _NO_YEAR.match(value):
        year, (month, day) = None, (int(g) for g in found.groups())
    else:
        raise ValidationError(
            f"not a date: {text!r}", hint="write it 1985-04-12, or --04-12 with no year"
        )
    try:
        date(2000 if year is None else year, month, day)  # 2000 has a 29 February
    except ValueError:
        raise ValidationError(f"no such date: {text!r}") from None
    iso = f"--{month:02d}-{day:02d}" if year is None else f"{year:04d}-{month:02d}-{day:02d}"
    return PartialDate(iso, month, day)


def read_labelled_date(text: str) -> tuple[str | None, PartialDate]:
    """Read `label: 2010-06-01` (the label is optional) as given to --date."""
    label, rest = split_label(text)
    return label, read_partial_date(rest)


def read_address(text: str) -> tuple[str | None, dict[str, str | None]]:
    """Read `[label:] street; locality; region; postcode; country` (as given to --address):
    the parts in that order, separated by semicolons; missing trailing parts and empty ones
    (`;;`) stay empty. A comma is part of a street."""
    label, rest = split_label(text)
    pieces = [p.strip() for p in rest.split(";")]
    if len(pieces) > len(TYPED_PARTS):
        raise ValidationError(
            f"an address has at most {len(TYPED_PARTS)} parts: {text!r}",
            hint='write it "work: 1 Main St; Springfield; IL; 62701; USA"',
        )
    parts: dict[str, str | None] = dict.fromkeys(ADDRESS_PARTS)
    for name, piece in zip(TYPED_PARTS, pieces, strict=False):
        parts[name] = piece or None
    if not any(parts.values()):
        raise ValidationError(f"an empty address: {text!r}")
    return label, parts


def address_line(parts: Mapping[str, Any]) -> str:
    """Render an address on one line, its parts that are set joined by commas."""
    return ", ".join(str(parts[k]) for k in ADDRESS_PARTS if parts.get(k))
