"""Lead scoring: points from config.toml rules, computed in SQL so thousands of contacts sort
quickly, and explained line by line for one contact."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from tinycrm.config import Rules
from tinycrm.core.listing import Condition
from tinycrm.domain.dates import to_stored
from tinycrm.domain.money import exponent, format_money
from tinycrm.domain.text import fold
from tinycrm.errors import NotFoundError

if TYPE_CHECKING:
    from tinycrm.store.reader import Reader


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


def _lookup(column: str, table: dict[str, int], prefix: str, params: dict[str, Any]) -> str:
    """A CASE giving each listed value of `column` its points (0 for the rest)."""
    pairs: list[str] = []
    for name, points in table.items():
        if points:
            key = f"{prefix}{len(pairs)}"
            params[key] = name
            pairs.append(f"WHEN {column} = :{key} THEN {int(points)}")
    return f"CASE {' '.join(pairs)} ELSE 0 END" if pairs else "0"


def _capped(expr: str, most: int) -> str:
    # SQLite's two-argument min() is a scalar function: the expression is computed once
    return f"min({expr}, {int(most)})"


def components(
    reader: Reader, rules: Rules, now: datetime
) -> tuple[dict[str, str], dict[str, Any]]:
    """Return each part of the score as a SQL expression on the `contact` row, and the
    parameters they share."""
    from tinycrm.store.reader import fetch

    params: dict[str, Any] = {
        "score_recent": to_stored(now - timedelta(days=rules.interactions.per)),
        "score_now": to_stored(now),
    }
    tag_points = (
        "(SELECT coalesce(sum("
        + _lookup("tag.name", rules.tags, "score_tag", params)
        + "), 0) FROM contact_tag JOIN tag ON tag.id = contact_tag.tag_id"
        " WHERE contact_tag.contact_id = contact.id)"
        if any(rules.tags.values())
        else "0"
    )
    recent_count = (
        "(SELECT count(*) FROM interaction WHERE interaction.contact_id = contact.id"
        " AND interaction.occurred_at >= :score_recent AND interaction.deleted_at IS NULL)"
    )
    currencies = [r[0] for r in fetch(reader, "SELECT DISTINCT currency FROM deal")]
    odd: list[str] = []
    for currency in currencies:
        if exponent(currency) != 2:
            key = f"score_currency{len(odd)}"
            params[key] = currency
            odd.append(f"WHEN deal.currency = :{key} THEN {10 ** exponent(currency)}")
    unit = f"CASE {' '.join(odd)} ELSE 100 END" if odd else "100"
    open_major = (
        f"(SELECT coalesce(sum(coalesce(deal.value, 0) * 1.0 / {unit}), 0) FROM deal"
        " WHERE deal.contact_id = contact.id AND deal.status = 'open'"
        " AND deal.deleted_at IS NULL)"
    )
    last = (
        "(SELECT max(interaction.occurred_at) FROM interaction"
        " WHERE interaction.contact_id = contact.id AND interaction.deleted_at IS NULL)"
    )
    idle_days = f"julianday(:score_now) - julianday(coalesce({last}, contact.created_at))"
    steps = f"CAST(({idle_days}) / {float(rules.decay.per)} AS INTEGER)"
    i, o, d = rules.interactions, rules.open_deals, rules.decay
    parts = {
        "lifecycle": _lookup("contact.lifecycle", rules.lifecycle, "score_lifecycle", params),
        "source": _lookup("contact.source", rules.source, "score_source", params),
        "tags": tag_points,
        "interactions": _capped(f"{recent_count} * {int(i.points)}", i.most),
        "open_deals": _capped(
            f"CAST({open_major} / {float(o.per)} AS INTEGER) * {int(o.points)}", o.most
        ),
        "decay": "-" + _capped(f"max({steps}, 0) * {int(d.points)}", d.most),
    }
    return parts, params


def score_expression(reader: Reader, rules: Rules, now: datetime) -> Condition:
    """Return the whole score of the `contact` row as one SQL expression (for sorting)."""
    parts, params = components(reader, rules, now)
    return Condition(" + ".join(f"({sql})" for sql in parts.values()), params)


@dataclass(frozen=True)
class Line:
    """One reason for points: which rule, what the contact has, how many points."""

    rule: str
    detail: str
    points: int


def explain(reader: Reader, contact_id: int, rules: Rules, now: datetime) -> dict[str, Any]:
    """Return a contact's score and the lines that make it up."""
    from tinycrm.domain.dates import stored_time
    from tinycrm.store.reader import fetch

    rows = fetch(
        reader,
        "SELECT name, lifecycle, source, created_at FROM contact WHERE id = ?",
        (contact_id,),
    )
    if not rows:
        raise NotFoundError(f"no contact #{contact_id}")
    name, lifecycle, source, created_at = rows[0]
    parts, params = components(reader, rules, now)
    columns = ", ".join(f"{sql} AS {part}" for part, sql in parts.items())
    (row,) = fetch(
        reader,
        f"SELECT {columns} FROM contact WHERE contact.id = :score_id",
        {**params, "score_id": contact_id},
    )
    points = dict(zip(parts, (int(v or 0) for v in row), strict=True))
    live = "contact_id = :id AND deleted_at IS NULL"
    ((count, last_at),) = fetch(
        reader,
        "SELECT count(*) FILTER (WHERE occurred_at >= :recent), max(occurred_at)"
        f" FROM interaction WHERE {live}",
        {"id": contact_id, "recent": params["score_recent"]},
    )
    open_values = fetch(
        reader,
        "SELECT currency, sum(coalesce(value, 0)) FROM deal"
        f" WHERE {live} AND status = 'open' GROUP BY currency ORDER BY currency",
        {"id": contact_id},
    )
    held = [
        tag
        for (tag,) in fetch(
            reader,
            "SELECT tag.name FROM tag JOIN contact_tag ON contact_tag.tag_id = tag.id"
            " WHERE contact_tag.contact_id = ? ORDER BY tag.name",
            (contact_id,),
        )
        if rules.tags.get(tag)
    ]
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
