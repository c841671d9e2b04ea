"""Importing contacts from CSV against the floor: a plain executemany of the same rows.

`measure(100_000)` writes a deterministic CSV, imports it in-process with `import_csv` into a
fresh database, inserts the same rows with plain `sqlite3.executemany` into another fresh
database of the same schema, and returns both times in seconds.
"""

from __future__ import annotations

import csv
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
FIRST = ("Ana", "Ben", "Chloé", "Dario", "Eva", "Farid", "Greta", "Hugo", "Ines", "Jonas")
LAST = ("Moreau", "Smith", "García", "Kowalski", "Nguyen", "Okafor", "Rossi", "Sato")
TITLES = ("CEO", "CTO", "Head of Sales", "Buyer", "Engineer", None)
SOURCES = ("referral", "inbound", "outbound", "event")
TAGS = ("vip", "newsletter", "partner", "")


@dataclass(frozen=True)
class Row:
    """One generated contact."""

    name: str
    email: str
    phone: str
    company: str
    title: str | None
    tags: str
    source: str
    notes: str


def rows(n: int) -> list[Row]:
    """Return n deterministic contacts (500 companies among them)."""
    out = []
    for i in range(n):
        name = f"{FIRST[i % len(FIRST)]} {LAST[(i // 10) % len(LAST)]} {i}"
        out.append(
            Row(
                name=name,
                email=f"person{i}@example{i % 97}.com",
                phone=f"+1 555 {i:07d}",
                company=f"Company {i % 500}",
                title=TITLES[i % len(TITLES)],
                tags=TAGS[i % len(TAGS)],
                source=SOURCES[i % len(SOURCES)],
                notes=f"met at event {i % 13}",
            )
        )
    return out


def write_csv(path: Path, data: list[Row]) -> Path:
    """Write contacts as a plain CSV (name,email,phone,company,title,tags,source,notes)."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["name", "email", "phone", "company", "title", "tags", "source", "notes"])
        for r in data:
            writer.writerow([r.name, r.email, r.phone, r.company, r.title or "", r.tags,
                             r.source, r.notes])  # fmt: skip
    return path


def plain_executemany(db_path: Path, data: list[Row], staged: bool = False) -> float:
    """Insert the same companies, contacts, emails, phones and tag links with executemany;
    return the seconds taken (rows prepared beforehand, as a floor).

    With `staged`, contacts go through a temporary table and one INSERT ... SELECT, so the
    search-index trigger runs inside one statement (the way the import writes them).
    """
    from tinycrm.core import open_db
    from tinycrm.domain.text import fold, phone_key

    database = open_db(db_path)
    database.dispose()
    stamp = NOW.strftime("%Y-%m-%d %H:%M:%S.%f")
    company_ids: dict[str, int] = {}
    companies = []
    tag_ids: dict[str, int] = {}
    contacts = []
    emails = []
    phones = []
    links = []
    for i, r in enumerate(data, start=1):
        if r.company not in company_ids:
            company_ids[r.company] = len(company_ids) + 1
            companies.append((company_ids[r.company], str(uuid.uuid4()), r.company,
                              fold(r.company), stamp, stamp))  # fmt: skip
        company_id = company_ids[r.company]
        contacts.append((i, str(uuid.uuid4()), r.name, fold(r.name), r.title, company_id,
                         "lead", r.source, r.notes, stamp, stamp))  # fmt: skip
        emails.append((i, i, r.email, r.email.lower(), None, 1))
        phones.append((i, i, r.phone, phone_key(r.phone), None, 1))
        if r.tags:
            if r.tags not in tag_ids:
                tag_ids[r.tags] = len(tag_ids) + 1
            links.append((i, tag_ids[r.tags]))
    conn = database.raw()
    try:
        start = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO company (id, uuid, name, name_key, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            companies,
        )
        conn.executemany("INSERT INTO tag (id, name) VALUES (?, ?)",
                         [(v, k) for k, v in tag_ids.items()])  # fmt: skip
        columns = (
            "id, uuid, name, name_key, title, company_id, lifecycle, source, notes, created_at,"
            " updated_at"
        )
        marks = ", ".join("?" * 11)
        if staged:
            conn.execute(f"CREATE TEMP TABLE staging AS SELECT {columns} FROM contact WHERE 0")
            conn.executemany(f"INSERT INTO temp.staging VALUES ({marks})", contacts)
            conn.execute(f"INSERT INTO main.contact ({columns}) SELECT * FROM temp.staging")
            conn.execute("DROP TABLE temp.staging")
        else:
            conn.executemany(f"INSERT INTO contact ({columns}) VALUES ({marks})", contacts)
        listed = "id, contact_id, {0}, {0}_key, label, is_primary"
        conn.executemany(
            f"INSERT INTO contact_email ({listed.format('email')}) VALUES (?, ?, ?, ?, ?, ?)",
            emails,
        )
        conn.executemany(
            f"INSERT INTO contact_phone ({listed.format('phone')}) VALUES (?, ?, ?, ?, ?, ?)",
            phones,
        )
        conn.executemany("INSERT INTO contact_tag VALUES (?, ?)", links)
        conn.execute("COMMIT")
        return time.perf_counter() - start
    finally:
        conn.close()


def timed_import(db_path: Path, csv_path: Path) -> float:
    """Import the CSV in-process into a fresh database; return the seconds taken."""
    from tinycrm.core import open_db
    from tinycrm.io.csvfiles import import_csv

    database = open_db(db_path)
    database.dispose()
    start = time.perf_counter()
    report = import_csv(database, csv_path, now=NOW)
    elapsed = time.perf_counter() - start
    assert report.count("create") > 0 and not report.problems
    return elapsed


def measure(n: int = 100_000, workdir: Path | None = None) -> dict[str, float]:
    """Time importing n generated contacts against plain executemany of the same rows.

    Returns {"rows": n, "import_s": ..., "executemany_s": ..., "ratio": ...,
    "staged_executemany_s": ..., "staged_ratio": ...}: the plain floor runs the search-index
    trigger once per statement (per row); the staged floor inserts the same rows through a
    temporary table, as the import does.
    """
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        folder = Path(tmp)
        data = rows(n)
        csv_path = write_csv(folder / "contacts.csv", data)
        floor = plain_executemany(folder / "plain.db", data)
        staged = plain_executemany(folder / "staged.db", data, staged=True)
        took = timed_import(folder / "import.db", csv_path)
    return {
        "rows": n,
        "import_s": took,
        "executemany_s": floor,
        "ratio": took / floor,
        "staged_executemany_s": staged,
        "staged_ratio": took / staged,
    }


if __name__ == "__main__":
    import sys

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    print(measure(count))
