"""EXPLAIN QUERY PLAN of every statement the hot read services send, with full scans flagged."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

from benchmarks import generate, inprocess

# Tables that grow with the seller's data; a full scan of one of these is a finding.
BIG_TABLES = (
    "contact", "company", "deal", "interaction", "follow_up", "stage_change", "event",
    "contact_email", "contact_phone", "contact_tag", "deal_tag", "search_index",
)  # fmt: skip
HOT = (
    "list deals, first page",
    "list open deals by value, first page",
    "list contacts, first page",
    "show contact (by name)",
    "show deal (by title)",
    "agenda",
)
_SCAN = re.compile(r"^SCAN (\w+)(?: AS \w+)?(?: USING (?:COVERING )?INDEX (\w+))?$")


def full_scans(sql: str, plan: list[tuple[int, int, str]]) -> list[str]:
    """Return what a plan reads whole: a big table, or every entry of an index on one.

    A walk in the order the query wants, under a LIMIT and with no sort on top, stops after
    the page: that is not a full scan — unless a substring filter (LIKE) may reject nearly
    every row it walks.
    """
    text = f" {sql.upper()} "
    top_sort = any(p == 0 and d.startswith("USE TEMP B-TREE FOR") for _i, p, d in plan)
    stops_early = " LIMIT " in text and " LIKE " not in text and not top_sort
    found = []
    for _id, _parent, detail in plan:
        m = _SCAN.match(detail.strip())
        if not m or m.group(1) not in BIG_TABLES or stops_early:
            continue
        found.append(f"all of index {m.group(2)}" if m.group(2) else f"all of table {m.group(1)}")
    return found


def plans_of(path: Path, names: tuple[str, ...] = HOT) -> dict[str, list[dict[str, Any]]]:
    """Return, per service, each statement it sent with its query plan lines."""
    from tinycrm.core import open_db

    meta_services = {s.name: s for s in inprocess.services(_meta())}
    db = open_db(path)
    conn = sqlite3.connect(str(path))
    out: dict[str, list[dict[str, Any]]] = {}
    try:
        for name in names:
            service = meta_services[name]
            with inprocess.captured(db) as seen:
                service.call(db, 0)
            rows = []
            for sql, params in seen:
                if sql.lstrip().split(None, 1)[0].upper() not in ("SELECT", "WITH"):
                    continue
                plan = [
                    (r[0], r[1], r[3])
                    for r in conn.execute("EXPLAIN QUERY PLAN " + sql, params or ())
                ]
                rows.append({"sql": " ".join(sql.split()), "plan": plan})
            out[name] = rows
    finally:
        conn.close()
        db.dispose()
    return out


def _meta() -> dict[str, Any]:
    from tinycrm.domain.text import fold

    return {
        "planted": {
            "contact_ref": fold(generate.PLANTED_CONTACT),
            "deal": generate.PLANTED_DEAL,
            "rare_word": generate.RARE_WORD,
            "common_word": generate.COMMON_WORD,
        }
    }


def findings(plans: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Return one line per full scan of a big table or index."""
    found = []
    for name, statements in plans.items():
        for st in statements:
            for what in full_scans(st["sql"], st["plan"]):
                found.append(f"{name}: reads {what}: {st['sql'][:100]}")
    return found


def report(path: Path) -> str:
    """Render the plans of the hot services as text."""
    plans = plans_of(path)
    lines = []
    for name, statements in plans.items():
        lines.append(f"== {name}")
        for st in statements:
            lines.append(f"  {st['sql'][:160]}")
            lines += [f"    {d}" for _i, _p, d in st["plan"]]
    scans = findings(plans)
    lines.append("")
    lines += ["full scans:", *(f"  {s}" for s in scans)] if scans else ["no full scans"]
    return "\n".join(lines)
