"""Likely duplicates: pairs of live contacts (or companies) that may be one person (or one
company), each with why and the `crm merge` line that would merge them. Nothing here
changes anything: two people may share a name, so only the seller merges.

What counts, for contacts: the same email address, the same phone number (at least 7
digits), the same name (case, accents and spacing aside), the same name with its words in
the other order around a comma ("Smith, Jan" and "Jan Smith"), and a first name given as an
initial ("J. Smith" and "Jan Smith"). For companies: the same name, the same web domain.

Each rule is one statement that groups the live records on a key column (or a key computed
in SQL from one) and returns only the members of groups of two or more, so the work grows
with the duplicates found, never with the pairs of all records.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from itertools import groupby
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import Integer, String, bindparam, case, func, literal, select, type_coerce
from sqlmodel import col

from tinycrm.store.dialect import position
from tinycrm.store.models import Company, Contact, ContactEmail, ContactPhone
from tinycrm.store.query import execute, live

if TYPE_CHECKING:
    from sqlalchemy import Select
    from sqlmodel import Session

    from tinycrm.domain.rows import DuplicatePair, Ref

Kind = Literal["contact", "company"]
KINDS: tuple[Kind, ...] = ("contact", "company")
# The rules, strongest first: pairs are listed by the strongest rule that found them.
RULES = ("same email", "same phone", "same domain", "same name", "name order", "initial")
SHORTEST_PHONE = 7
"""Phone numbers of fewer digits than this (an extension, a typo) are not compared."""


# The pairs found so far, by (kind, older id, newer id), with the rank of the strongest rule
# that found each (rules are applied strongest first).
Found = dict[tuple[str, int, int], tuple[int, "DuplicatePair"]]


def _text(value: Any) -> Any:
    """A computed value read as text, so that `+` joins it to more text."""
    return type_coerce(value, String)


def _flipped(key: Any) -> Any:
    """A folded name with the words around its first comma swapped ("smith, jan" -> "jan
    smith"); a name without a comma as it is."""
    comma = position(key, ",")
    return case(
        (
            comma > 0,
            func.trim(
                _text(func.trim(func.substr(key, comma + 1)))
                + " "
                + _text(func.substr(key, 1, comma - 1))
            ),
        ),
        else_=key,
    )


def _initial_key(name: Any) -> Any:
    """A name's first letter and its words after the first ("jan smith" -> "j smith")."""
    return _text(func.substr(name, 1, 1)) + _text(func.substr(name, position(name, " ")))


def _is_initial(name: Any) -> Any:
    """1 when a name's first word is a single letter, with or without its dot ("j. smith")."""
    first = func.rtrim(func.substr(name, 1, position(name, " ") - 1), ".")
    return case((func.length(first) == 1, 1), else_=0)


@cache
def _same_key(rule: str) -> Select[*tuple[Any, ...]]:
    """The live members of every group of two or more records sharing a key: (key, id, name,
    detail), by key then id; `detail` is what they share, shown with the reason.

    The groups are found on the key's own index alone (no row is read for them); a group
    whose other members are in the trash then pairs no one."""
    if rule in ("same email", "same phone"):
        model: Any = ContactEmail if rule == "same email" else ContactPhone
        shared: Any = col(model.email_key if rule == "same email" else model.phone_key)
        shown: Any = col(model.email if rule == "same email" else model.phone)
        rows: Any = (
            select(shared, col(Contact.id), col(Contact.name), shown)
            .join(Contact, col(Contact.id) == model.contact_id)
            .where(live(Contact))
        )
        groups: Any = select(shared).group_by(shared).having(func.count() > 1)
        if rule == "same phone":
            groups = groups.where(func.length(func.replace(shared, "+", "")) >= SHORTEST_PHONE)
    elif rule == "same domain":
        shared = col(Company.domain)
        rows = select(shared, col(Company.id), col(Company.name), shared).where(live(Company))
        groups = select(shared).where(shared.is_not(None)).group_by(shared).having(func.count() > 1)
    else:
        model = Contact if rule == "same name contact" else Company
        shared = col(model.name_key)
        rows = select(shared, col(model.id), col(model.name), literal(None)).where(live(model))
        groups = select(shared).group_by(shared).having(func.count() > 1)
    found: Select[*tuple[Any, ...]] = rows.where(shared.in_(groups))
    return found.order_by(shared, found.selected_columns[1])


@cache
def _variants(rule: str) -> Select[*tuple[Any, ...]]:
    """The members of every group of live contacts whose names are variants of one name
    (`name order`: the words around a comma; `initial`: a first name and its initial):
    (key, id, name, name_key, flag), by key then id; `flag` marks a comma name, or an
    initial."""
    flipped = _flipped(col(Contact.name_key))
    if rule == "name order":
        key: Any = flipped
        flag: Any = case((position(col(Contact.name_key), ",") > 0, 1), else_=0)
    else:
        key = _initial_key(flipped)
        flag = _is_initial(flipped)
    keyed = (
        select(
            key.label("key"),
            col(Contact.id).label("id"),
            col(Contact.name).label("name"),
            col(Contact.name_key).label("name_key"),
            flag.label("flag"),
        )
        .where(live(Contact), position(flipped, " ") > 1)
        .cte("keyed")
    )
    groups = (
        select(keyed.c.key)
        .group_by(keyed.c.key)
        .having(
            func.sum(keyed.c.flag) > 0,
            func.sum(1 - keyed.c.flag) > 0,
            func.count(func.distinct(keyed.c.name_key)) > 1,
        )
    )
    return (
        select(keyed.c.key, keyed.c.id, keyed.c.name, keyed.c.name_key, keyed.c.flag)
        .where(keyed.c.key.in_(groups))
        .order_by(keyed.c.key, keyed.c.id)
    )


def _note(
    pairs: Found, kind: Kind, one: tuple[int, str], other: tuple[int, str], rule: str, why: str
) -> None:
    first, second = (one, other) if one[0] < other[0] else (other, one)
    key = (kind, first[0], second[0])
    known = pairs.get(key)
    if known is None:
        pairs[key] = (
            RULES.index(rule),
            {
                "kind": kind,
                "keep": {"id": first[0], "name": first[1]},
                "duplicate": {"id": second[0], "name": second[1]},
                "reasons": [why],
                "merge": merge_line(kind, first[0], second[0]),
            },
        )
    elif why not in known[1]["reasons"]:
        known[1]["reasons"].append(why)


def _shared(session: Session, kind: Kind, rule: str, pairs: Found) -> None:
    """Pair the members of each group sharing a key: each with the oldest of its group."""
    statement = _same_key(f"{rule} {kind}" if rule == "same name" else rule)
    for _key, members in groupby(execute(session, statement), key=lambda row: row[0]):
        found = list(members)
        oldest = (found[0][1], found[0][2])
        for _, record_id, name, detail in found[1:]:
            if record_id != oldest[0]:
                why = f"{rule} {detail}" if detail else rule
                _note(pairs, kind, oldest, (record_id, name), rule, why)


_VARIANTS = {
    "name order": "same name, words in another order",
    "initial": "same name, a first name as an initial",
}


def _variant_pairs(session: Session, rule: str, pairs: Found) -> None:
    """Pair each flagged member of a group (a comma name, an initial) with each member
    whose name is written the other way."""
    for _key, members in groupby(execute(session, _variants(rule)), key=lambda row: row[0]):
        found = list(members)
        flagged = [row for row in found if row[4]]
        others = [row for row in found if not row[4]]
        for one in flagged:
            for other in others:
                if one[3] != other[3]:
                    pair = ((one[1], one[2]), (other[1], other[2]))
                    _note(pairs, "contact", *pair, rule, _VARIANTS[rule])


def merge_line(kind: str, keep: int, duplicate: int) -> str:
    """The command that merges `duplicate` into `keep`, after asking."""
    return f"crm merge {keep} {duplicate} --kind {kind}"


def duplicates(session: Session, kinds: Iterable[str] = KINDS) -> list[DuplicatePair]:
    """Return the likely duplicate pairs of contacts and companies, the strongest reasons
    first; in each pair the older record is the one a merge would keep."""
    pairs: Found = {}
    kinds = tuple(kinds)
    if "contact" in kinds:
        for rule in ("same email", "same phone", "same name"):
            _shared(session, "contact", rule, pairs)
        for rule in _VARIANTS:
            _variant_pairs(session, rule, pairs)
    if "company" in kinds:
        for rule in ("same domain", "same name"):
            _shared(session, "company", rule, pairs)
    return [pairs[key][1] for key in sorted(pairs, key=lambda key: (pairs[key][0], key))]


@cache
def _same_name_statement() -> Select[*tuple[Any, ...]]:
    return (
        select(col(Contact.id), col(Contact.name))
        .where(
            col(Contact.name_key) == bindparam("key"),
            col(Contact.id) != bindparam("record", type_=Integer),
            live(Contact),
        )
        .order_by(col(Contact.id))
        .limit(5)
    )


def same_name(session: Session, contact_id: int, name_key: str) -> list[Ref]:
    """Return the other live contacts with this folded name, the oldest first (at most 5)."""
    rows = execute(session, _same_name_statement(), {"key": name_key, "record": contact_id})
    return [{"id": found_id, "name": name} for found_id, name in rows]
