"""The [scoring] rules of the settings: the lead score's point tables (lifecycle, source,
tags), its qualification tables (a deal's BANT answers) and its counted rules, each with its
defaults; `tinycrm.config` builds their keys and reads them from config.toml."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rule:
    """`points` for each `per` units of something, at most `most` in all (`max` in the file)."""

    points: int
    per: int
    most: int


# The point tables of [scoring]: a lifecycle, source or tag name -> its points. A name not
# listed earns 0; the file's entries are merged with these.
POINT_TABLES: dict[str, dict[str, int]] = {
    "lifecycle": {"lead": 5, "prospect": 15, "customer": 25, "former customer": 0},
    "source": {"referral": 20, "inbound": 15, "event": 10, "outbound": 5},
    "tags": {"vip": 10},
}
# The qualification tables of [scoring]: points for each criterion of a contact's best open
# deal answered yes (qualified) or no (unqualified). Only these four names may be given.
QUALIFICATION: dict[str, dict[str, int]] = {
    "qualified": {"budget": 5, "authority": 5, "need": 5, "timing": 5},
    "unqualified": {"budget": -5, "authority": -5, "need": -5, "timing": -5},
}
# The counted rules of [scoring], with what their points, per and max mean.
RULES: dict[str, tuple[Rule, str, str, str]] = {
    "interactions": (
        Rule(points=5, per=30, most=25),
        "points per interaction in the last `per` days",
        "days in which interactions earn points",
        "most points from interactions",
    ),
    "open_deals": (
        Rule(points=1, per=1000, most=30),
        "points per `per` of open deal value",
        "open deal value (major units) earning `points`",
        "most points from open deals",
    ),
    "decay": (
        Rule(points=5, per=30, most=30),
        "points taken per `per` days without an interaction",
        "days without an interaction that cost `points`",
        "most points taken for inactivity",
    ),
}


@dataclass(frozen=True)
class Rules:
    """[scoring]: how a contact earns points (see docs/reports.md, "Lead score")."""

    lifecycle: dict[str, int] = field(default_factory=lambda: dict(POINT_TABLES["lifecycle"]))
    source: dict[str, int] = field(default_factory=lambda: dict(POINT_TABLES["source"]))
    tags: dict[str, int] = field(default_factory=lambda: dict(POINT_TABLES["tags"]))
    qualified: dict[str, int] = field(default_factory=lambda: dict(QUALIFICATION["qualified"]))
    unqualified: dict[str, int] = field(default_factory=lambda: dict(QUALIFICATION["unqualified"]))
    interactions: Rule = RULES["interactions"][0]
    open_deals: Rule = RULES["open_deals"][0]  # value in major units: dollars, euros, yen
    decay: Rule = RULES["decay"][0]
