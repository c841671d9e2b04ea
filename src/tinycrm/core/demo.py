"""A realistic, seeded demo pipeline (made through the services) in its own database file."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from pathlib import Path

from tinycrm.core import contacts, deals, followups, interactions, open_db, pipelines
from tinycrm.domain.dates import When, local_tz
from tinycrm.store import history
from tinycrm.store.db import Database
from tinycrm.store.models import Contact, Deal

SEED = 20261123

_PEOPLE = [
    ("Ada Lovelace", "Analytical Engines", "CTO"),
    ("Grace Hopper", "Cobol Works", "Head of Engineering"),
    ("Alan Turing", "Bletchley Labs", "Founder"),
    ("Katherine Johnson", "Orbit Analytics", "Director"),
    ("Linus Pauling", "Helix Bio", "Research Lead"),
    ("Marie Curie", "Radium & Co", "CEO"),
    ("Nikola Tesla", "Coil Energy", "Founder"),
    ("Rosalind Franklin", "Helix Bio", "Lab Manager"),
    ("Hedy Lamarr", "Spread Spectrum", "Product Lead"),
    ("Emmy Noether", "Symmetry Partners", "Partner"),
    ("Carl Sagan", "Pale Blue Media", "Editor"),
    ("Barbara Liskov", "Substitution Systems", "VP Engineering"),
    ("Donald Knuth", "Literate Press", "Publisher"),
    ("Margaret Hamilton", "Apollo Software", "CEO"),
    ("Tim Berners-Lee", "Web Foundry", "Founder"),
    ("Frances Allen", "Optimizing Compilers", "CTO"),
    ("Dennis Ritchie", "Bell Tools", "Engineer"),
    ("Radia Perlman", "Spanning Networks", "Architect"),
    ("John McCarthy", "Lisp Machines", "Founder"),
    ("Shafi Goldwasser", "Zero Knowledge", "Chief Scientist"),
    ("Edsger Dijkstra", "Shortest Path Logistics", "Owner"),
    ("Lise Meitner", "Fission Labs", "Director"),
    ("Chien-Shiung Wu", "Parity Instruments", "Head of R&D"),
    ("Srinivasa Ramanujan", "Infinite Series", "Analyst"),
    ("Mary Somerville", "Connexion Press", "Editor"),
    ("Claude Shannon", "Information Works", "Founder"),
    ("Sophie Germain", "Prime Numbers Ltd", "Partner"),
    ("Alan Kay", "Dynabook", "Designer"),
    ("Annie Easley", "Centaur Rockets", "Engineer"),
    ("Leslie Lamport", "Paxos Consulting", "Principal"),
    ("Joan Clarke", "Bletchley Labs", "Analyst"),
    ("Ken Thompson", "Bell Tools", "Founder"),
]

_DEALS = [
    "website redesign",
    "CRM migration",
    "data audit",
    "mobile app",
    "annual retainer",
    "security review",
    "training workshop",
    "cloud move",
    "API integration",
    "brand refresh",
    "support contract",
    "analytics dashboard",
]

_NOTES = [
    "intro call, interested in a Q1 start",
    "sent the proposal",
    "asked for references",
    "demo went well; wants a quote for two teams",
    "budget approved on their side",
    "follow-up about the timeline",
    "met at the meetup, exchanged cards",
    "they are comparing us with two other vendors",
]

_REASONS = ["price", "went with a competitor", "no budget this year", "timing"]


def _slug(name: str) -> str:
    return name.lower().replace(" ", ".").replace("-", "").replace("&", "and")


def _qualify(deal: Deal, index: int, steps: int) -> None:
    """Answer the qualification of a demo deal as far as its stage has come: the need from
    Qualifying on (and the budget of every other deal), the authority from Presenting (one
    deal in five a no), the timing in Closing; the first stage knows nothing yet."""
    if steps >= 1:
        deal.need = "yes"
        deal.budget = "yes" if index % 2 == 0 else None
    if steps >= 2:
        deal.authority = "no" if index % 5 == 3 else "yes"
    if steps >= 3:
        deal.timing = "yes"


def fill(db: Database, now: datetime, seed: int = SEED) -> None:
    """Add the demo contacts, companies, deals, interactions and follow-ups to `db`.

    Everything is placed relative to `now`, so the agenda always has overdue, today's and
    upcoming follow-ups. The load is one system change: `undo` does not take it back.
    """
    rng = random.Random(seed)
    tz = local_tz()
    today = now.astimezone(tz).date()
    with db.transaction(origin="system", now=now) as session:
        history.describe(session, "load the demo data")
        pipe = pipelines.default_pipeline(session)
        assert pipe.id is not None
        stages = pipelines.stages(session, pipe.id)
        people: list[Contact] = []
        for index, (name, company, title) in enumerate(_PEOPLE):
            domain = company.lower().replace(" & ", "").replace(" ", "") + ".example"
            people.append(
                contacts.add_contact(
                    session,
                    name,
                    now=now - timedelta(days=120 - index),
                    emails=[f"{_slug(name)}@{domain}"],
                    phones=[f"+1 555 01{index:02d}"],
                    company=company,
                    title=title,
                    tag_names=["vip"] if index % 7 == 0 else [],
                    source=rng.choice(["referral", "inbound", "outbound", "event"]),
                    lifecycle=rng.choice(["lead", "prospect", "prospect", "customer"]),
                )
            )
        for index, person in enumerate(people[:28]):
            age = rng.randint(2, 60)
            created = now - timedelta(days=age, hours=rng.randint(0, 8))
            currency = "EUR" if index % 9 == 4 else "USD"
            deal = deals.add_deal(
                session,
                f"{(person.name.split()[-1])} {_DEALS[index % len(_DEALS)]}",
                now=created,
                currency=currency,
                contact=person,
                value=rng.choice([1_500, 3_000, 4_800, 7_500, 12_000, 18_000, 25_000, 40_000])
                * 100,
                expected_close=today + timedelta(days=rng.randint(7, 90)),
            )
            steps = index % 4 if index < 20 else rng.randint(1, 3)
            moved = created
            for step in range(1, steps + 1):
                moved = moved + timedelta(days=rng.randint(1, max(1, age // (steps + 1))))
                moved = min(moved, now - timedelta(hours=1))
                deals.move_deal(session, deal, stages[min(step, len(stages) - 1)], moved)
            _qualify(deal, index, steps)
            note = rng.choice(_NOTES)
            interactions.log_interaction(
                session,
                rng.choice(["call", "email", "meeting"]),
                note,
                now=moved,
                deal=deal,
                direction="out",
            )
            if index >= 24:
                status = "won" if index % 2 == 0 else "lost"
                reason = rng.choice(_REASONS) if status == "lost" else None
                closed = now - timedelta(days=rng.randint(1, 20))
                deals.close_deal(session, deal, status, max(closed, moved), reason)
                continue
            if index % 3 == 0:
                due = When(now - timedelta(days=rng.randint(1, 5), hours=2), all_day=False)
            elif index % 3 == 1:
                hour = datetime.combine(today, time(rng.choice([14, 16, 17])), tz)
                due = When(hour, all_day=False)
            elif index % 5 == 2:
                continue
            else:
                day = today + timedelta(days=rng.randint(1, 12))
                due = When(datetime.combine(day, time(0), tz), all_day=True)
            followups.add_follow_up(
                session,
                rng.choice(["call back", "send the proposal", "check in", "book the demo"]),
                due,
                now=created,
                deal=deal,
            )
        for person in people[28:]:
            interactions.log_interaction(
                session,
                "meeting",
                "met at the meetup, exchanged cards",
                now=now - timedelta(days=3),
                contact=person,
            )
            followups.add_follow_up(
                session,
                "say hello",
                When(datetime.combine(today + timedelta(days=2), time(0), tz), all_day=True),
                now=now - timedelta(days=3),
                contact=person,
            )


def demo_database(path: Path, now: datetime, reset: bool = False) -> tuple[Database, bool]:
    """Open the demo database at `path`, filling it when new (or when `reset`).

    Returns the database and whether it was (re)filled.
    """
    if reset:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    fresh = not path.exists()
    db = open_db(path)
    if fresh:
        fill(db, now)
    return db, fresh
