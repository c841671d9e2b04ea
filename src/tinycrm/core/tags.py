"""Tags: short lowercase labels on contacts, companies and deals."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Integer, Select, bindparam
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from tinycrm.domain.text import tag_name
from tinycrm.store.models import CompanyTag, ContactTag, DealTag, Tag
from tinycrm.store.query import execute


def normalise(name: str) -> str:
    """Return the stored form of a tag name, or raise ValidationError."""
    return tag_name(name)


def tag_for(session: Session, name: str) -> Tag:
    """Return the tag called `name`, creating it if new."""
    tag_name = normalise(name)
    tag = session.exec(select(Tag).where(Tag.name == tag_name)).first()
    if tag is None:
        tag = Tag(name=tag_name)
        session.add(tag)
        session.flush()
    return tag


def _link(kind: str, record_id: int, tag_id: int) -> ContactTag | CompanyTag | DealTag:
    if kind == "contact":
        return ContactTag(contact_id=record_id, tag_id=tag_id)
    if kind == "company":
        return CompanyTag(company_id=record_id, tag_id=tag_id)
    return DealTag(deal_id=record_id, tag_id=tag_id)


_LINKS: dict[str, type[ContactTag] | type[CompanyTag] | type[DealTag]] = {
    "contact": ContactTag,
    "company": CompanyTag,
    "deal": DealTag,
}


@cache
def _tags_statement(kind: str) -> Select[*tuple[Any, ...]]:
    link = _LINKS[kind]
    owner: Any = getattr(link, f"{kind}_id")
    return select_columns(col(Tag.name)).where(
        col(link.tag_id) == Tag.id, col(owner) == bindparam("record", type_=Integer)
    )


def tags_of(session: Session, kind: str, record_id: int) -> list[str]:
    """Return the tag names on one record, sorted."""
    return sorted(execute(session, _tags_statement(kind), {"record": record_id}).scalars())


def add_tags(session: Session, kind: str, record_id: int, names: list[str]) -> list[str]:
    """Put tags on a record; return the ones that were new to it."""
    have = set(tags_of(session, kind, record_id))
    added = []
    for name in names:
        tag = tag_for(session, name)
        if tag.name in have:
            continue
        assert tag.id is not None
        session.add(_link(kind, record_id, tag.id))
        have.add(tag.name)
        added.append(tag.name)
    session.flush()
    return added


def remove_tags(session: Session, kind: str, record_id: int, names: list[str]) -> list[str]:
    """Take tags off a record; return the ones it had."""
    link = _LINKS[kind]
    removed = []
    for name in names:
        tag = session.exec(select(Tag).where(Tag.name == normalise(name))).first()
        if tag is None:
            continue
        row = session.get(link, (record_id, tag.id))
        if row is not None:
            session.delete(row)
            removed.append(tag.name)
    session.flush()
    return removed
