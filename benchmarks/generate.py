"""A deterministic generator of realistic tinycrm databases at named scales, by bulk inserts."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import random
import shutil
import sqlite3
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tinycrm.domain.text import fold

# Bump when the generated data changes shape, so cached databases are made again.
GENERATOR_VERSION = 2
DEFAULT_SEED = 42
# The moment the data is generated around; benchmarks run with TINYCRM_NOW set to it.
NOW = datetime(2026, 11, 23, 10, 0, 0, tzinfo=UTC)
RESULTS = Path(__file__).parent / "results"

# Records planted at every scale, so benchmarks can name them the way a person would.
PLANTED_CONTACT = "Marguerite Quillfeather"
PLANTED_EMAIL = "marguerite@quillfeather-studio.example"
PLANTED_COMPANY = "Quillfeather Studio"
PLANTED_DEAL = "Quillfeather rollout"
RARE_WORD = "zeppelin"
COMMON_WORD = "proposal"


@dataclass(frozen=True)
class Scale:
    """How many of each record a generated database holds."""

    name: str
    contacts: int
    companies: int
    open_deals: int
    closed_deals: int
    interactions: int
    follow_ups: int
    due_follow_ups: int


SCALES: dict[str, Scale] = {
    "tiny": Scale("tiny", 20, 6, 8, 4, 120, 20, 4),
    "small": Scale("small", 100, 25, 30, 10, 1_000, 80, 10),
    "solo": Scale("solo", 5_000, 800, 400, 100, 50_000, 2_000, 200),
    "large": Scale("large", 100_000, 15_000, 10_000, 4_000, 1_000_000, 100_000, 10_000),
}


def _insert_sql(conn: sqlite3.Connection, table: str, count: int) -> str:
    """An INSERT naming the table's first `count` columns, so columns added later by a
    migration (at the end, with defaults) do not break the generator."""
    names = [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')][:count]
    return f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * count)})"


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST = _words(
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy "
    "Matthew Betty Anthony Sandra Mark Ashley Donald Kimberly Steven Emily Paul Donna Andrew "
    "Michelle Joshua Carol Kenneth Amanda Kevin Melissa Brian Deborah George Stephanie Timothy "
    "Rebecca Ronald Sharon Jason Laura Edward Cynthia Jeffrey Amy Ryan Kathleen Jacob Angela "
    "Gary Shirley Nicholas Brenda Eric Emma Jonathan Anna Stephen Pamela Larry Nicole Justin "
    "Samantha Scott Katherine Brandon Christine Benjamin Helen Samuel Debra Gregory Rachel "
    "Alexander Carolyn Patrick Janet Frank Maria Raymond Olivia Jack Heather Dennis Diane "
    "Jerry Julie Tyler Joyce Aaron Victoria José Zoë Renée Søren Françoise Jürgen Ana Lucía "
    "Mateo Sofía Hiroshi Yuki Wei Mei Arjun Priya Ahmed Fatima Olga Dmitri Ingrid Lars Chloé "
    "Noémie Björn Aoife Siobhán Tomás Inés Kofi Amara Chidi Ngozi Rafael Beatriz Luca Giulia"
)
LAST = _words(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White "
    "Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres "
    "Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts "
    "Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales "
    "Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos "
    "Kim Cox Ward Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes "
    "Price Alvarez Castillo Sanders Patel Myers Long Ross Foster Jimenez Müller Schmidt "
    "Schneider Fischer Weber Meyer Wagner Becker Dubois Lefèvre Moreau Laurent Rossi Russo "
    "Ferrari Esposito Bianchi Tanaka Suzuki Takahashi Watanabe Chen Wang Zhang Liu Singh "
    "Kumar Sharma Okafor Mensah Novak Kowalski Nowak Andersson Johansson Nielsen Hansen "
    "O'Brien Ó Súilleabháin Fernández González Álvarez Þórsdóttir Øverby Ångström"
)
COMPANY_A = _words(
    "North South East West Blue Red Green Silver Golden Bright Clear Swift Summit Harbor "
    "River Stone Iron Cedar Maple Oak Pine Falcon Eagle Fox Lynx Orbit Nova Vertex Apex Prime "
    "True Solid Quantum Pixel Signal Beacon Anchor Atlas Copper Crystal Delta Echo Fable "
    "Granite Horizon Indigo Juniper Kestrel Lumen Meridian Nimbus Onyx Polar Quartz Ridge "
    "Sable Tidal Umber Velvet Willow Zenith"
)
COMPANY_B = _words(
    "wind field works labs point line gate bridge forge craft path peak wave light stream "
    "field soft data logic mark shore view"
)
COMPANY_SUFFIX = ("Inc", "LLC", "Ltd", "GmbH", "SA", "Group", "Partners", "Co", "", "", "")
INDUSTRIES = (
    "software", "consulting", "retail", "manufacturing", "healthcare", "finance", "education",
    "logistics", "media", "hospitality", "construction", "energy", "legal", "nonprofit",
)  # fmt: skip
SIZES = ("1-10", "11-50", "51-200", "201-1000", "1000+")
TITLES = (
    "CEO", "CTO", "COO", "Founder", "Head of Sales", "Marketing Director", "Product Manager",
    "Operations Manager", "Engineer", "Designer", "Buyer", "Procurement Lead", "VP Sales",
    "Office Manager", "Consultant", "Owner", "Partner", "Account Manager", None, None,
)  # fmt: skip
SOURCES = ("referral", "inbound", "outbound", "event", "website", "linkedin", "partner", None)
LIFECYCLES = (("lead", 45), ("prospect", 25), ("customer", 22), ("former customer", 8))
TAGS = (
    "vip", "newsletter", "partner", "investor", "press", "agency", "enterprise", "smb",
    "warm", "cold", "renewal", "upsell", "churn-risk", "eu", "us",
)  # fmt: skip
PRODUCTS = (
    "website redesign", "annual retainer", "audit", "migration", "training", "support plan",
    "pilot", "licence renewal", "integration", "strategy workshop", "mobile app", "expansion",
    "data platform", "rollout", "consulting block", "maintenance",
)  # fmt: skip
LOST_REASONS = ("price", "timing", "went with a competitor", "no budget", "no decision", None)
FOLLOW_UP_TITLES = (
    "call back", "send proposal", "check in", "send invoice", "book a demo", "follow up on quote",
    "ask for referral", "send contract", "schedule kickoff", "renewal reminder",
    "share case study", "confirm meeting", "chase signature", "quarterly review",
)  # fmt: skip
RRULES = ("FREQ=WEEKLY", "FREQ=MONTHLY", "FREQ=WEEKLY;INTERVAL=2", "FREQ=MONTHLY;BYDAY=1MO")
KINDS = (("call", 25), ("email", 40), ("meeting", 15), ("message", 10), ("note", 10))

# Words of interaction summaries, most frequent first (weights fall off like Zipf's law).
VOCABULARY = _words(
    "the to and of a in for with on about we they next call week meeting team "
    "proposal price budget client project timeline scope discussed agreed sent "
    "follow review update need want asked said would could should will can new "
    "plan contract quote demo feedback decision manager approval quarter month "
    "support issue requirements deliver delivery launch pilot trial renewal "
    "discount terms signed invoice payment onboarding training integration data "
    "website design content marketing sales lead pipeline forecast target goal "
    "schedule friday monday tuesday wednesday thursday morning afternoon email "
    "phone notes summary options pricing package premium standard basic license "
    "seats users admin access security compliance legal procurement vendor "
    "competitor alternative comparison value benefit risk concern question answer "
    "interested excited hesitant positive negative neutral confirmed postponed "
    "cancelled rescheduled reminder draft final version document slides deck "
    "presentation workshop kickoff milestone phase rollout migration upgrade "
    "expansion upsell referral introduction partner board stakeholder champion "
    "blocker dependency estimate hours days weeks resources staffing hire "
    "travel visit office remote lunch coffee conference event booth webinar "
    "newsletter campaign social ads budgetary fiscal year planning strategy "
    "roadmap feature request bug fix release beta customer success churn "
    "retention satisfaction survey score nps case study testimonial logo"
)
RARE_WORDS = (
    RARE_WORD, "quokka", "marzipan", "obsidian", "xylophone", "zanzibar", "kumquat", "narwhal",
    "mandolin", "papyrus", "yodel", "fjord", "gazebo", "haiku", "igloo", "jodhpur",
)  # fmt: skip
RARE_RATE = 1 / 8_000  # chance that a summary carries one rare word


def _cumulative(weights: list[float]) -> list[float]:
    total = 0.0
    out = []
    for w in weights:
        total += w
        out.append(total)
    return out


_VOCAB_CUM = _cumulative([1.0 / (rank + 8) for rank in range(len(VOCABULARY))])


def utc_text(moment: datetime) -> str:
    """Render an aware time the way tinycrm stores it: naive UTC with microseconds."""
    return moment.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def results_dir() -> Path:
    """Return the folder for cached databases and scratch copies (TINYCRM_BENCH_DIR moves it)."""
    return Path(os.environ.get("TINYCRM_BENCH_DIR") or RESULTS)


def schema_tag() -> str:
    """Return a short tag of the shipped migrations, so a new schema means a new database."""
    from tinycrm.store.migrate import migration_scripts

    names = ",".join(name for _n, name, _sql in migration_scripts())
    return hashlib.sha1(names.encode()).hexdigest()[:8]


def cache_path(scale: str, seed: int = DEFAULT_SEED, folder: Path | None = None) -> Path:
    """Return where the generated database for a scale, seed and schema is cached."""
    base = folder or results_dir() / "cache"
    return base / f"{scale}-seed{seed}-g{GENERATOR_VERSION}-{schema_tag()}.db"


class _Gen:
    """One generation run: the random source, the clock and the ids handed out so far."""

    def __init__(self, scale: Scale, seed: int) -> None:
        self.scale = scale
        self.rng = random.Random(seed)
        self.start = NOW - timedelta(days=3 * 365)

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def moment(self, start: datetime | None = None, end: datetime | None = None) -> datetime:
        lo = start or self.start
        hi = end or NOW
        span = (hi - lo).total_seconds()
        return lo + timedelta(seconds=self.rng.random() * span)

    def summary(self, who: str) -> str:
        rng = self.rng
        words = rng.choices(VOCABULARY, cum_weights=_VOCAB_CUM, k=36)
        if rng.random() < RARE_RATE * len(RARE_WORDS):
            words[rng.randrange(len(words))] = rng.choice(RARE_WORDS)
        text = f"{who}: " + " ".join(words)
        cut = text.rfind(" ", 0, 200)
        text = text[: cut if cut > 150 else 200]
        return text[0].upper() + text[1:] + "."


def _companies(g: _Gen) -> Iterator[tuple[Any, ...]]:
    rng = g.rng
    for cid in range(1, g.scale.companies + 1):
        if cid == 1:
            name, domain = PLANTED_COMPANY, "quillfeather-studio.example"
        else:
            base = rng.choice(COMPANY_A) + rng.choice(COMPANY_B)
            suffix = rng.choice(COMPANY_SUFFIX)
            name = f"{base} {suffix}".strip()
            domain = f"{base.lower()}{cid}.example"
        created = g.moment()
        yield (
            cid, g.uuid(), name, fold(name), domain, rng.choice(INDUSTRIES), rng.choice(SIZES),
            None, None, utc_text(created), utc_text(g.moment(created)), None,
        )  # fmt: skip


def _ascii(text: str) -> str:
    return "".join(ch for ch in fold(text) if ch.isalnum())


def _weighted(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def generate(
    scale: str | Scale,
    path: Path,
    seed: int = DEFAULT_SEED,
    *,
    fts: str = "bulk",
) -> dict[str, Any]:
    """Create a database at `path` (replacing it) filled at `scale`; return its description.

    `fts` is "triggers" (let the search triggers index every row as it is inserted) or "bulk"
    (drop the insert triggers, fill the search index with one INSERT … SELECT per kind, then
    create the triggers again exactly as the migration wrote them).
    """
    from tinycrm.core import open_db

    the_scale = SCALES[scale] if isinstance(scale, str) else scale
    if fts not in ("triggers", "bulk"):
        raise ValueError(f"fts must be 'triggers' or 'bulk', not {fts!r}")
    path = Path(path)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    db = open_db(path)
    db.dispose()
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -262144")
    try:
        stage_ids = [r[0] for r in conn.execute("SELECT id FROM stage ORDER BY position")]
        pipeline_id = conn.execute("SELECT id FROM pipeline WHERE is_default").fetchone()[0]
        conn.execute("BEGIN")
        triggers = _drop_insert_triggers(conn) if fts == "bulk" else []
        planted = _fill(conn, _Gen(the_scale, seed), pipeline_id, stage_ids)
        if fts == "bulk":
            _index_all(conn)
            for sql in triggers:
                conn.execute(sql)
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        counts = {
            name: conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
            for name in ("contact", "company", "deal", "stage_change", "interaction",
                         "follow_up", "search_index")
        }  # fmt: skip
        matches = {
            word: conn.execute(
                "SELECT count(*) FROM search_index WHERE search_index MATCH ?", (word,)
            ).fetchone()[0]
            for word in (RARE_WORD, COMMON_WORD)
        }
        due = conn.execute(
            "SELECT count(*) FROM follow_up WHERE status = 'open' AND due_at <= ?"
            " AND (snoozed_until IS NULL OR snoozed_until <= ?)",
            (utc_text(NOW), utc_text(NOW)),
        ).fetchone()[0]
    finally:
        conn.close()
    return {
        "scale": asdict(the_scale),
        "seed": seed,
        "generator": GENERATOR_VERSION,
        "fts": fts,
        "now": NOW.isoformat(),
        "seconds": round(time.perf_counter() - started, 2),
        "bytes": path.stat().st_size,
        "counts": counts,
        "matches": matches,
        "due_follow_ups": due,
        **planted,
    }


def _drop_insert_triggers(conn: sqlite3.Connection) -> list[str]:
    """Drop the search index's insert triggers; return their SQL to create them again."""
    rows = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%_search_ai'"
    ).fetchall()
    for name, _sql in rows:
        conn.execute(f'DROP TRIGGER "{name}"')
    return [sql for _name, sql in rows]


def _index_all(conn: sqlite3.Connection) -> None:
    """Fill the search index from every table, as the search migration does for old data."""
    from tinycrm.store.migrate import migration_scripts, split_sql

    script = next(sql for _n, name, sql in migration_scripts() if name == "0002_search.sql")
    for statement in split_sql(script):
        if statement.lstrip().upper().startswith("INSERT INTO SEARCH_INDEX"):
            conn.execute(statement)


def _fill(
    conn: sqlite3.Connection, g: _Gen, pipeline_id: int, stage_ids: list[int]
) -> dict[str, Any]:
    rng = g.rng
    s = g.scale
    conn.executemany(_insert_sql(conn, "company", 12), _companies(g))
    conn.executemany("INSERT INTO tag (id, name) VALUES (?, ?)", enumerate(TAGS, start=1))
    company_domain = dict(conn.execute("SELECT id, domain FROM company"))

    contacts: list[tuple[Any, ...]] = []
    emails: list[tuple[Any, ...]] = []
    phones: list[tuple[Any, ...]] = []
    contact_tags: list[tuple[int, int]] = []
    names: list[str] = [""]
    companies_of: list[int | None] = [None]
    for cid in range(1, s.contacts + 1):
        if cid == 1:
            first, last = PLANTED_CONTACT.split()
            company_id: int | None = 1
        else:
            first, last = rng.choice(FIRST), rng.choice(LAST)
            company_id = rng.randint(1, s.companies) if rng.random() < 0.8 else None
        name = f"{first} {last}"
        created = g.moment()
        notes = g.summary(first)[:120] if rng.random() < 0.2 else None
        cadence = rng.choice((14, 30, 60, 90)) if rng.random() < 0.05 else None
        contacts.append(
            (
                cid, g.uuid(), name, fold(name), rng.choice(TITLES), company_id,
                _weighted(rng, LIFECYCLES), rng.choice(SOURCES), notes, None, cadence,
                utc_text(created), utc_text(g.moment(created)), None,
            )
        )  # fmt: skip
        names.append(name)
        companies_of.append(company_id)
        if cid == 1:
            emails.append((cid, PLANTED_EMAIL, PLANTED_EMAIL, "work", 1))
        elif rng.random() < 0.92:
            domain = company_domain[company_id] if company_id else rng.choice(
                ("gmail.example", "mail.example", "outlook.example")
            )  # fmt: skip
            email = f"{_ascii(first)}.{_ascii(last)}{cid}@{domain}"
            emails.append((cid, email, email.lower(), "work", 1))
            if rng.random() < 0.1:
                other = f"{_ascii(first)}{cid}@home.example"
                emails.append((cid, other, other, "home", 0))
        if rng.random() < 0.6:
            phone = f"+1 555 {rng.randrange(10_000_000):07d}"
            phones.append((cid, phone, "+" + phone[1:].replace(" ", ""), "mobile", 1))
        if rng.random() < 0.3:
            for tag_id in rng.sample(range(1, len(TAGS) + 1), rng.choice((1, 1, 2))):
                contact_tags.append((cid, tag_id))
    conn.executemany(_insert_sql(conn, "contact", 14), contacts)
    conn.executemany(
        "INSERT INTO contact_email (contact_id, email, email_key, label, is_primary)"
        " VALUES (?, ?, ?, ?, ?)",
        emails,
    )
    conn.executemany(
        "INSERT INTO contact_phone (contact_id, phone, phone_key, label, is_primary)"
        " VALUES (?, ?, ?, ?, ?)",
        phones,
    )
    conn.executemany("INSERT INTO contact_tag VALUES (?, ?)", contact_tags)
    del contacts, emails, phones, contact_tags

    deals: list[tuple[Any, ...]] = []
    changes: list[tuple[Any, ...]] = []
    deal_contact: list[int] = [0]
    n_deals = s.open_deals + s.closed_deals
    stage_weights = [40, 28, 20, 12][: len(stage_ids)]
    for did in range(1, n_deals + 1):
        contact_id = 1 if did == 1 else rng.randint(min(2, s.contacts), s.contacts)
        company_id = companies_of[contact_id]
        last_name = names[contact_id].split()[-1]
        title = PLANTED_DEAL if did == 1 else f"{last_name} {rng.choice(PRODUCTS)}"
        status = "open" if did == 1 or did <= s.open_deals else rng.choice(("won", "lost"))
        reached = 0 if did == 1 else rng.choices(range(len(stage_ids)), stage_weights)[0]
        created = g.moment(NOW - timedelta(days=540), NOW - timedelta(days=2))
        at = created
        path = [None, *stage_ids[: reached + 1]]
        for src, dst in itertools.pairwise(path):
            if src is not None:
                at = g.moment(at, min(NOW, at + timedelta(days=40)))
            changes.append((did, src, dst, utc_text(at)))
        stage_entered = at
        closed_at = g.moment(at, min(NOW, at + timedelta(days=30))) if status != "open" else None
        updated = closed_at or g.moment(stage_entered)
        value = int(rng.lognormvariate(8.5, 1.1)) * 100
        deals.append(
            (
                did, g.uuid(), title, fold(title), contact_id, company_id, pipeline_id,
                stage_ids[reached], value, "USD" if rng.random() < 0.85 else "EUR",
                (NOW.date() + timedelta(days=rng.randint(-30, 180))).isoformat(),
                None, status, rng.choice(LOST_REASONS) if status == "lost" else None,
                utc_text(closed_at) if closed_at else None, utc_text(stage_entered),
                None, None, utc_text(created), utc_text(updated), None,
            )
        )  # fmt: skip
        deal_contact.append(contact_id)
    conn.executemany(_insert_sql(conn, "deal", 21), deals)
    conn.executemany(
        "INSERT INTO stage_change (deal_id, from_stage_id, to_stage_id, at) VALUES (?, ?, ?, ?)",
        changes,
    )
    del deals, changes

    def interactions() -> Iterator[tuple[Any, ...]]:
        kinds = [k for k, _ in KINDS]
        kind_cum = _cumulative([float(w) for _, w in KINDS])
        for iid in range(1, s.interactions + 1):
            if iid <= 40:
                contact_id, deal_id = 1, (1 if iid % 2 else None)
            elif rng.random() < 0.3:
                deal_id = rng.randint(1, n_deals)
                contact_id = deal_contact[deal_id]
            else:
                contact_id, deal_id = rng.randint(1, s.contacts), None
            kind = rng.choices(kinds, cum_weights=kind_cum)[0]
            direction = None if kind == "note" else rng.choice(("in", "out"))
            occurred = g.moment()
            summary = g.summary(names[contact_id].split()[0])
            if iid == 1:
                summary = f"Talked about the {RARE_WORD} exhibit sponsorship. " + summary
            stamp = utc_text(occurred)
            yield (
                iid, g.uuid(), contact_id, deal_id, kind, direction, stamp, summary, stamp,
                stamp, None,
            )  # fmt: skip

    conn.executemany(_insert_sql(conn, "interaction", 11), interactions())

    def follow_ups() -> Iterator[tuple[Any, ...]]:
        due_ids = {1, *rng.sample(range(2, s.follow_ups + 1), s.due_follow_ups - 1)}
        for fid in range(1, s.follow_ups + 1):
            roll = rng.random()
            snoozed = notified = completed = rrule = None
            if fid in due_ids:
                status = "open"
                due = g.moment(NOW - timedelta(days=20), NOW)
            elif roll < 0.45:
                status = "open"
                due = g.moment(NOW + timedelta(minutes=1), NOW + timedelta(days=180))
                if rng.random() < 0.05:
                    # a snoozed one: it fell due, then was put off until after now
                    due = g.moment(NOW - timedelta(days=30), NOW)
                    snoozed = utc_text(g.moment(NOW + timedelta(hours=1), NOW + timedelta(7)))
            else:
                status = "done" if roll < 0.93 else "cancelled"
                due = g.moment(g.start, NOW - timedelta(days=1))
                notified = utc_text(due)
                completed = utc_text(g.moment(due, min(NOW, due + timedelta(days=3))))
            if status == "open" and rng.random() < 0.1:
                rrule = rng.choice(RRULES)
            deal_id = rng.randint(1, n_deals) if rng.random() < 0.4 else None
            contact_id = deal_contact[deal_id] if deal_id else rng.randint(1, s.contacts)
            if fid == 1:
                contact_id, deal_id = 1, 1
            all_day = rng.random() < 0.5
            if all_day:
                due = due.replace(hour=0, minute=0, second=0, microsecond=0)
            created = min(due, NOW) - timedelta(days=rng.randint(1, 30))
            yield (
                fid, g.uuid(), contact_id, deal_id, rng.choice(FOLLOW_UP_TITLES),
                utc_text(due), int(all_day), rrule, int(rng.random() < 0.1), status, snoozed,
                notified, notified, completed, utc_text(created), utc_text(created), None,
            )  # fmt: skip

    conn.executemany(_insert_sql(conn, "follow_up", 17), follow_ups())
    return {
        "planted": {
            "contact": PLANTED_CONTACT,
            "contact_ref": fold(PLANTED_CONTACT),
            "email": PLANTED_EMAIL,
            "deal_id": 1,
            "deal": PLANTED_DEAL,
            "rare_word": RARE_WORD,
            "common_word": COMMON_WORD,
        }
    }


def cached(
    scale: str, seed: int = DEFAULT_SEED, folder: Path | None = None, *, fts: str = "bulk"
) -> tuple[Path, dict[str, Any]]:
    """Return a generated database for a scale (made once, then reused) and its description.

    The cache is keyed by scale, seed, generator version and the shipped migrations, so a
    database is never reused across schema changes (it is made again instead).
    """
    path = cache_path(scale, seed, folder)
    meta_path = path.with_suffix(".json")
    if path.exists() and meta_path.exists():
        return path, json.loads(meta_path.read_text(encoding="utf-8"))
    temp = path.with_name(path.name + ".partial")
    meta = generate(scale, temp, seed, fts=fts)
    os.replace(temp, path)
    for suffix in ("-wal", "-shm"):
        Path(f"{temp}{suffix}").unlink(missing_ok=True)
    meta_path.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return path, meta


def working_copy(source: Path, target: Path) -> Path:
    """Copy a cached database to a scratch file that benchmarks may write to."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, target)
    return target
