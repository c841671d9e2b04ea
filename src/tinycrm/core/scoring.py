"""Lead scoring: points from config.toml rules, computed by the database so thousands of
contacts sort quickly, and explained line by line for one contact."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Integer, case, cast, func, literal, select
from sqlmodel import col

from tinycrm.config import Rules
from tinycrm.core import qualify
from tinycrm.domain.dates import stored_time, to_stored
from tinycrm.domain.money import exponent, format_money
from tinycrm.domain.qualification import CRITERIA, qualification, summary
from tinycrm.domain.text import fold
from tinycrm.domain.values import DealStatus
from tinycrm.errors import NotFoundError
from tinycrm.store.dialect import days_between, greatest, least, stored_text
from tinycrm.store.models import Contact, ContactTag, Deal, Interaction, Tag
from tinycrm.store.query import execute, live, table

if TYPE_CHECKING:
    from sqlalchemy.sql.elements import ColumnElement
    from sqlmodel import Session

    from tinycrm.domain.rows import ScoreExplanation


def rules_from(rules: Rules) -> Rules:
    """Return the [scoring] rules of the settings with their names folded as the data is
    compared: lifecycle, source and tag names without case or accents, a tag without its #."""

    def folded(table: dict[str, int], strip: str = "") -> dict[str, int]:
        return {fold(name).lstrip(strip): points for name, points in table.items()}

    return replace(
        rules,
        lifecycle=folded(rules.lifecycle),
        source=folded(rules.source),
        tags=folded(rules.tags, "#"),
    )


def _lookup(column: Any, table: dict[str, int]) -> ColumnElement[int]:
    """A CASE giving each listed value of `column` its points (0 for the rest)."""
    pairs = [
        (col(column) == name, literal(int(points))) for name, points in table.items() if points
    ]
    return case(*pairs, else_=literal(0)) if pairs else literal(0)


def components(session: Session, rules: Rules, now: datetime) -> dict[str, ColumnElement[int]]:
    """Return each part of the score as an expression on the contact row."""
    tag_points: ColumnElement[int] = (
        select(func.coalesce(func.sum(_lookup(Tag.name, rules.tags)), 0))
        .where(col(ContactTag.tag_id) == Tag.id, col(ContactTag.contact_id) == Contact.id)
        .scalar_subquery()
        if any(rules.tags.values())
        else literal(0)
    )
    recent_count = (
        select(func.count())
        .where(
            col(Interaction.contact_id) == Contact.id,
            col(Interaction.occurred_at) >= now - timedelta(days=rules.interactions.per),
            live(Interaction),
        )
        .scalar_subquery()
    )
    currencies = execute(session, select(col(Deal.currency)).distinct()).scalars()
    odd = [
        (col(Deal.currency) == currency, literal(10 ** exponent(currency)))
        for currency in currencies
        if exponent(currency) != 2
    ]
    unit = case(*odd, else_=literal(100)) if odd else literal(100)
    open_major = (
        select(func.coalesce(func.sum(func.coalesce(Deal.value, 0) * literal(1.0) / unit), 0))
        .where(
            col(Deal.contact_id) == Contact.id,
            col(Deal.status) == DealStatus.OPEN,
            live(Deal),
        )
        .scalar_subquery()
    )
    last = (
        select(func.max(Interaction.occurred_at))
        .where(col(Interaction.contact_id) == Contact.id, live(Interaction))
        .scalar_subquery()
    )
    deal = table(Deal).alias("scored_deal").c
    best_deal = (
        select(func.max(qualify.points(deal, rules.qualified, rules.unqualified)))
        .where(col(deal.contact_id) == Contact.id, col(deal.status) == DealStatus.OPEN, live(deal))
        .scalar_subquery()
    )
    qualified = (
        func.coalesce(best_deal, 0)
        if any(rules.qualified.values()) or any(rules.unqualified.values())
        else literal(0)
    )
    idle_days = days_between(literal(to_stored(now)), func.coalesce(last, Contact.created_at))
    steps = cast(idle_days / literal(float(rules.decay.per)), Integer)
    i, o, d = rules.interactions, rules.open_deals, rules.decay
    return {
        "lifecycle": _lookup(Contact.lifecycle, rules.lifecycle),
        "source": _lookup(Contact.source, rules.source),
        "tags": tag_points,
        "interactions": least(recent_count * literal(i.points), literal(i.most)),
        "open_deals": least(
            cast(open_major / literal(float(o.per)), Integer) * literal(o.points),
            literal(o.most),
        ),
        "qualification": qualified,
        "decay": -least(greatest(steps, literal(0)) * literal(d.points), literal(d.most)),
    }


def score_expression(session: Session, rules: Rules, now: datetime) -> ColumnElement[int]:
    """Return the whole score of the contact row as one expression (to show and sort by)."""
    parts = list(components(session, rules, now).values())
    total = parts[0]
    for part in parts[1:]:
        total = total + part
    return total


def _each(answer: str, table: dict[str, int]) -> str:
    """The points of one answer: "+5 each yes", or per criterion when they differ."""
    given = [table.get(c, 0) for c in CRITERIA]
    if len(set(given)) == 1:
        return f"{given[0]:+} each {answer}"
    return f"{answer}: " + " ".join(f"{c} {p:+}" for c, p in zip(CRITERIA, given, strict=True))


def _best_deal(session: Session, contact_id: int, rules: Rules) -> str:
    """Say which open deal of the contact earns the qualification points and how it is
    qualified (the first by id among equals, as the score's maximum does not say)."""
    deal = table(Deal).c
    earned = qualify.points(deal, rules.qualified, rules.unqualified)
    mine = (col(deal.contact_id) == contact_id, col(deal.status) == DealStatus.OPEN, live(deal))
    statement = select(
        col(deal.id), col(deal.title), func.count().over(), *(deal[c] for c in CRITERIA)
    ).where(*mine)
    found = execute(session, statement.order_by(earned.desc(), col(deal.id)).limit(1)).first()
    rule = f"({_each('yes', rules.qualified)}, {_each('no', rules.unqualified)})"
    if found is None:
        return f"no open deal {rule}"
    deal_id, title, count, *answers = found
    best = f"the best of {count} open deals, " if count > 1 else ""
    return f"#{deal_id} {title}, {best}{summary(qualification(answers))} {rule}"


@dataclass(frozen=True)
class Line:
    """One reason for points: which rule, what the contact has, how many points."""

    rule: str
    detail: str
    points: int


def explain(session: Session, contact_id: int, rules: Rules, now: datetime) -> ScoreExplanation:
    """Return a contact's score and the lines that make it up."""
    found = execute(
        session,
        select(
            col(Contact.name),
            col(Contact.lifecycle),
            col(Contact.source),
            stored_text(Contact.created_at),
        ).where(col(Contact.id) == contact_id),
    ).first()
    if found is None:
        raise NotFoundError(f"no contact #{contact_id}")
    name, lifecycle, source, created_at = found
    parts = components(session, rules, now)
    statement = select(*(sql.label(part) for part, sql in parts.items())).where(
        col(Contact.id) == contact_id
    )
    row = execute(session, statement).one()
    points = dict(zip(parts, (int(v or 0) for v in row), strict=True))
    recent = now - timedelta(days=rules.interactions.per)
    mine = (col(Interaction.contact_id) == contact_id, live(Interaction))
    count, last_at = execute(
        session,
        select(
            func.count().filter(col(Interaction.occurred_at) >= recent),
            stored_text(func.max(Interaction.occurred_at)),
        ).where(*mine),
    ).one()
    open_values = execute(
        session,
        select(col(Deal.currency), func.sum(func.coalesce(Deal.value, 0)))
        .where(col(Deal.contact_id) == contact_id, live(Deal), col(Deal.status) == DealStatus.OPEN)
        .group_by(col(Deal.currency))
        .order_by(col(Deal.currency)),
    ).all()
    held = [
        tag
        for tag in execute(
            session,
            select(col(Tag.name))
            .where(col(ContactTag.tag_id) == Tag.id, col(ContactTag.contact_id) == contact_id)
            .order_by(col(Tag.name)),
        ).scalars()
        if rules.tags.get(tag)
    ]
    qualified = _best_deal(session, contact_id, rules)
    last = stored_time(last_at)
    since = last or stored_time(created_at)
    assert since is not None
    idle = (now - since).total_seconds() / 86400
    i, o, d = rules.interactions, rules.open_deals, rules.decay
    worth = " + ".join(format_money(v, c) for c, v in open_values) or "none"
    lines = [
        Line("lifecycle", lifecycle, points["lifecycle"]),
        Line("source", source or "(none)", points["source"]),
        Line("tags", ", ".join(held) or "(none that score)", points["tags"]),
        Line(
            "interactions",
            f"{count} in the last {i.per} days ({i.points} each, at most {i.most})",
            points["interactions"],
        ),
        Line(
            "open deals",
            f"{worth} ({o.points} per {o.per:,} of value, at most {o.most})",
            points["open_deals"],
        ),
        Line("qualification", qualified, points["qualification"]),
        Line(
            "inactivity",
            f"{math.floor(idle)} days since "
            + ("the last interaction" if last is not None else "added, no interaction yet")
            + f" (-{d.points} per {d.per} days, at most -{d.most})",
            points["decay"],
        ),
    ]
    return {
        "id": contact_id,
        "name": name,
        "score": sum(points.values()),
        "lines": [{"rule": ln.rule, "detail": ln.detail, "points": ln.points} for ln in lines],
    }
