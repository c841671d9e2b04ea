"""Lead scoring: points from config.toml rules, computed in SQL so thousands of contacts sort
quickly, and explained line by line for one contact."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, case, cast, func, literal, select
from sqlmodel import Session, col

from tinycrm.core.models import Contact, ContactTag, Deal, Interaction, Tag
from tinycrm.core.money import exponent, format_money
from tinycrm.core.text import fold
from tinycrm.errors import ValidationError

DEFAULT_LIFECYCLE = {"lead": 5, "prospect": 15, "customer": 25, "former customer": 0}
DEFAULT_SOURCE = {"referral": 20, "inbound": 15, "event": 10, "outbound": 5}
DEFAULT_TAGS = {"vip": 10}


@dataclass(frozen=True)
class Rule:
    """`points` for each `per` units of something, at most `most` in all."""

    points: int
    per: int
    most: int


@dataclass(frozen=True)
class Rules:
    """How a contact earns points (see docs/reports.md, "Lead score")."""

    lifecycle: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_LIFECYCLE))
    source: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_SOURCE))
    tags: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_TAGS))
    # points per interaction in the last `per` days
    interactions: Rule = Rule(points=5, per=30, most=25)
    # points per `per` of open deal value (major units: dollars, euros, yen)
    open_deals: Rule = Rule(points=1, per=1000, most=30)
    # points taken away per `per` days without an interaction
    decay: Rule = Rule(points=5, per=30, most=30)


def _whole(section: str, key: str, value: Any, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValidationError(
            f"config.toml [{section}] {key} must be a whole number"
            + (f" of at least {minimum}" if minimum else ""),
            hint=f"for example {key} = 5",
        )
    return value


def _points_table(raw: dict[str, Any], key: str, default: dict[str, int]) -> dict[str, int]:
    given = raw.get(key, {})
    if not isinstance(given, dict):
        raise ValidationError(
            f"config.toml [scoring] {key} must be a table of points",
            hint=f"for example {key} = {{ {next(iter(default))} = 10 }}",
        )
    out = dict(default)
    for name, points in given.items():
        if isinstance(points, bool) or not isinstance(points, int):
            raise ValidationError(f"config.toml [scoring] {key}.{name} must be a whole number")
        out[fold(str(name))] = points
    return out


def _rule(raw: dict[str, Any], key: str, default: Rule) -> Rule:
    given = raw.get(key, {})
    if not isinstance(given, dict):
        raise ValidationError(f"config.toml [scoring.{key}] must be a table")
    return Rule(
        points=_whole(f"scoring.{key}", "points", given.get("points", default.points)),
        per=_whole(f"scoring.{key}", "per", given.get("per", default.per), minimum=1),
        most=_whole(f"scoring.{key}", "max", given.get("max", default.most)),
    )


def rules_from(config: dict[str, Any] | None) -> Rules:
    """Read the [scoring] table of a parsed config.toml; what is missing keeps its default."""
    raw = (config or {}).get("scoring", {})
    if not isinstance(raw, dict):
        raise ValidationError("config.toml [scoring] must be a table")
    return Rules(
        lifecycle=_points_table(raw, "lifecycle", DEFAULT_LIFECYCLE),
        source=_points_table(raw, "source", DEFAULT_SOURCE),
        tags={
            k.lstrip("#").lower(): v for k, v in _points_table(raw, "tags", DEFAULT_TAGS).items()
        },
        interactions=_rule(raw, "interactions", Rules.interactions),
        open_deals=_rule(raw, "open_deals", Rules.open_deals),
        decay=_rule(raw, "decay", Rules.decay),
    )


def _lookup(column: Any, table: dict[str, int]) -> Any:
    pairs = [(column == name, points) for name, points in table.items() if points]
    return case(*pairs, else_=0) if pairs else literal(0)


def _capped(expr: Any, most: int) -> Any:
    # SQLite's two-argument min() is a scalar function: the expression is computed once
    return func.min(expr, most)


def components(session: Session, rules: Rules, now: datetime) -> dict[str, Any]:
    """Return each part of the score as a SQL expression on the contact row."""
    recent = now - timedelta(days=rules.interactions.per)
    tag_points = (
        select(func.coalesce(func.sum(_lookup(Tag.name, rules.tags)), 0))
        .select_from(ContactTag)
        .join(Tag, col(Tag.id) == ContactTag.tag_id)
        .where(col(ContactTag.contact_id) == Contact.id)
        .scalar_subquery()
        if any(rules.tags.values())
        else literal(0)
    )
    recent_count = (
        select(func.count())
        .select_from(Interaction)
        .where(
            col(Interaction.contact_id) == Contact.id,
            col(Interaction.occurred_at) >= recent,
            col(Interaction.deleted_at).is_(None),
        )
        .scalar_subquery()
    )
    currencies: list[str] = list(session.scalars(select(Deal.currency).distinct()))
    odd = [(col(Deal.currency) == c, 10 ** exponent(c)) for c in currencies if exponent(c) != 2]
    unit = case(*odd, else_=100) if odd else literal(100)
    open_major = (
        select(func.coalesce(func.sum(func.coalesce(Deal.value, 0) * 1.0 / unit), 0))
        .where(
            col(Deal.contact_id) == Contact.id,
            col(Deal.status) == "open",
            col(Deal.deleted_at).is_(None),
        )
        .scalar_subquery()
    )
    last = (
        select(func.max(Interaction.occurred_at))
        .where(col(Interaction.contact_id) == Contact.id, col(Interaction.deleted_at).is_(None))
        .scalar_subquery()
    )
    idle_days = func.julianday(
        now.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    ) - func.julianday(func.coalesce(last, Contact.created_at))
    steps = cast(idle_days / rules.decay.per, Integer)
    return {
        "lifecycle": _lookup(Contact.lifecycle, rules.lifecycle),
        "source": _lookup(Contact.source, rules.source),
        "tags": tag_points,
        "interactions": _capped(recent_count * rules.interactions.points, rules.interactions.most),
        "open_deals": _capped(
            cast(open_major / rules.open_deals.per, Integer) * rules.open_deals.points,
            rules.open_deals.most,
        ),
        "decay": -_capped(func.max(steps, 0) * rules.decay.points, rules.decay.most),
    }


def score_expression(session: Session, rules: Rules, now: datetime) -> Any:
    """Return the whole score of the contact row as one SQL expression (for sorting)."""
    parts = list(components(session, rules, now).values())
    total = parts[0]
    for part in parts[1:]:
        total = total + part
    return total


@dataclass(frozen=True)
class Line:
    """One reason for points: which rule, what the contact has, how many points."""

    rule: str
    detail: str
    points: int


def explain(session: Session, contact: Contact, rules: Rules, now: datetime) -> dict[str, Any]:
    """Return a contact's score and the lines that make it up."""
    from tinycrm.core import tags as tag_service

    assert contact.id is not None
    parts = components(session, rules, now)
    row = session.exec(
        select(*[expr.label(name) for name, expr in parts.items()]).where(
            col(Contact.id) == contact.id
        )
    ).one()
    points = dict(zip(parts, (int(v or 0) for v in row), strict=True))
    recent = now - timedelta(days=rules.interactions.per)
    count = session.scalar(
        select(func.count())
        .select_from(Interaction)
        .where(
            col(Interaction.contact_id) == contact.id,
            col(Interaction.occurred_at) >= recent,
            col(Interaction.deleted_at).is_(None),
        )
    )
    last = session.scalar(
        select(func.max(Interaction.occurred_at)).where(
            col(Interaction.contact_id) == contact.id, col(Interaction.deleted_at).is_(None)
        )
    )
    open_values = session.exec(
        select(Deal.currency, func.sum(func.coalesce(Deal.value, 0)))
        .where(
            col(Deal.contact_id) == contact.id,
            col(Deal.status) == "open",
            col(Deal.deleted_at).is_(None),
        )
        .group_by(col(Deal.currency))
        .order_by(col(Deal.currency))
    ).all()
    held = [t for t in tag_service.tags_of(session, "contact", contact.id) if rules.tags.get(t)]
    since = last if last is not None else contact.created_at
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    idle = (now - since).total_seconds() / 86400
    i, o, d = rules.interactions, rules.open_deals, rules.decay
    worth = " + ".join(format_money(v, c) for c, v in open_values) or "none"
    lines = [
        Line("lifecycle", contact.lifecycle, points["lifecycle"]),
        Line("source", contact.source or "(none)", points["source"]),
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
        Line(
            "inactivity",
            f"{math.floor(idle)} days since "
            + ("the last interaction" if last is not None else "added, no interaction yet")
            + f" (-{d.points} per {d.per} days, at most -{d.most})",
            points["decay"],
        ),
    ]
    return {
        "id": contact.id,
        "name": contact.name,
        "score": sum(points.values()),
        "lines": [{"rule": ln.rule, "detail": ln.detail, "points": ln.points} for ln in lines],
    }
