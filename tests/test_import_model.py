"""A model of importing people: small sets of distinct people, some sharing a phone, a first
name or a name at another company, some rows repeated, imported as CSV and as vCards (and
exported and imported again). Every distinct person is there exactly once, with their own
fields; a repeated import changes nothing."""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from tests.conftest import FIXED_NOW

NAMES = ("Ann", "Ann Lee", "Ann Stone", "Bob Stone", "Bob", "Cy Young")
COMPANIES = (None, "Acme", "Beta")
PHONES = (None, "+1 555 0100", "+1 555 0101")
TITLES = (None, "Buyer", "CEO")
POLICIES = ("skip", "update", "merge")


@dataclass(frozen=True)
class Person:
    """One real person: their identity is their email, else their full name and company."""

    email: str | None
    uid: str | None
    name: str
    company: str | None
    phone: str | None
    title: str | None


def uid_of(style: int, i: int) -> str | None:
    """A UID as Apple, Google or khard write them, or none."""
    if style == 1:
        return f"{i:08X}-1E3F-4A5B-8C7D-9E0F1A2B3C4D:ABPerson"
    if style == 2:
        return f"{i + 0x3F1A2B0C8D:x}"
    if style == 3:
        return f"0c6e1c2a-5b7d-4e8f-9a0b-{i:012x}"
    return None


@st.composite
def pools(draw: Any) -> list[Person]:
    """Distinct people: no two share an email, a UID, or a full name with a company."""
    n = draw(st.integers(2, 7))
    out: list[Person] = []
    pairs: set[tuple[str, str]] = set()
    for i in range(n):
        name = draw(st.sampled_from(NAMES))
        company = draw(st.sampled_from(COMPANIES))
        email = f"p{i}@x.example" if draw(st.booleans()) else None
        full = " " in name
        if full and company:
            if (name.lower(), company.lower()) in pairs:
                company = None
            else:
                pairs.add((name.lower(), company.lower()))
        if email is None and not (full and company):
            email = f"p{i}@x.example"
        out.append(
            Person(
                email,
                uid_of(draw(st.integers(0, 3)), i),
                name,
                company,
                draw(st.sampled_from(PHONES)),
                draw(st.sampled_from(TITLES)),
            )
        )
    return out


def csv_text(people: list[Person]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["name", "email", "phone", "company", "title"])
    for p in people:
        writer.writerow([p.name, p.email or "", p.phone or "", p.company or "", p.title or ""])
    return buffer.getvalue()


def vcard_text(p: Person) -> str:
    lines = ["BEGIN:VCARD", "VERSION:3.0"]
    if p.uid:
        lines.append(f"UID:{p.uid}")
    lines.append(f"FN:{p.name}")
    if p.company:
        lines.append(f"ORG:{p.company}")
    if p.title:
        lines.append(f"TITLE:{p.title}")
    if p.email:
        lines.append(f"EMAIL;TYPE=INTERNET:{p.email}")
    if p.phone:
        lines.append(f"TEL;TYPE=WORK:{p.phone}")
    lines.append("END:VCARD")
    return "\r\n".join(lines) + "\r\n"


class ImportMachine(RuleBasedStateMachine):
    """Imports into one database; the model is the set of people imported so far."""

    def __init__(self) -> None:
        super().__init__()
        from tinycrm.core import open_db

        self.dir = Path(tempfile.mkdtemp(prefix="tinycrm-model-"))
        self.db = open_db(self.dir / "t.db")
        self.now = datetime.fromisoformat(FIXED_NOW)
        self.pool: list[Person] = []
        self.seen: set[int] = set()
        self.carded: set[int] = set()  # imported from a vCard: their UID is known
        self.last: tuple[str, Path] | None = None
        # a match under "skip" keeps the contact as it was (its card's UID included), so a
        # later "update" or "merge" of the same file may still bring that in
        self.skipped = False
        self.files = 0

    def teardown(self) -> None:
        self.db.dispose()
        shutil.rmtree(self.dir, ignore_errors=True)

    @initialize(pool=pools())
    def start(self, pool: list[Person]) -> None:
        self.pool = pool

    def _path(self, suffix: str) -> Path:
        self.files += 1
        return self.dir / f"f{self.files}{suffix}"

    def _import(self, kind: str, path: Path, policy: str) -> Any:
        from tinycrm.io.csvfiles import import_csv
        from tinycrm.io.imports import ImportOptions
        from tinycrm.io.vcards import import_vcards

        options = ImportOptions(on_duplicate=policy)
        if kind == "csv":
            report = import_csv(self.db, path, options=options, now=self.now)
        else:
            report = import_vcards(self.db, path, options=options, now=self.now)
        assert not report.problems, report.problems
        self.last = (kind, path)
        self.skipped = self.skipped or (policy == "skip" and report.count("skip") > 0)
        return report

    @rule(data=st.data(), policy=st.sampled_from(POLICIES))
    def import_csv(self, data: Any, policy: str) -> None:
        picked = data.draw(st.lists(st.integers(0, len(self.pool) - 1), min_size=1, max_size=8))
        path = self._path(".csv")
        path.write_text(csv_text([self.pool[i] for i in picked]), encoding="utf-8")
        self._import("csv", path, policy)
        self.seen.update(picked)

    @rule(data=st.data(), policy=st.sampled_from(POLICIES), folder=st.booleans())
    def import_vcard(self, data: Any, policy: str, folder: bool) -> None:
        picked = data.draw(st.lists(st.integers(0, len(self.pool) - 1), min_size=1, max_size=8))
        if folder:
            path = self._path("")
            path.mkdir()
            for n, i in enumerate(picked):
                (path / f"{n}.vcf").write_text(vcard_text(self.pool[i]), encoding="utf-8")
        else:
            path = self._path(".vcf")
            path.write_text("".join(vcard_text(self.pool[i]) for i in picked), encoding="utf-8")
        self._import("vcard", path, policy)
        # a card's UID is kept when it makes or changes a contact, not when it is skipped
        self.carded.update(i for i in picked if policy != "skip" or i not in self.seen)
        self.seen.update(picked)

    @precondition(lambda self: self.last is not None)
    @rule(policy=st.sampled_from(POLICIES))
    def import_again(self, policy: str) -> None:
        from tests.conftest import snapshot_of

        assert self.last is not None
        before = snapshot_of(self.db.path)
        may_update = self.skipped and policy != "skip"
        report = self._import(*self.last, policy)
        assert report.count("create") == 0, report.actions
        if not may_update:
            assert report.count("update") == 0, report.actions
            assert snapshot_of(self.db.path) == before

    @precondition(lambda self: bool(self.seen))
    @rule(policy=st.sampled_from(POLICIES), as_csv=st.booleans())
    def export_and_import_back(self, policy: str, as_csv: bool) -> None:
        from tests.conftest import snapshot_of
        from tinycrm.core.listing import ListFilter
        from tinycrm.io.csvfiles import write_csv
        from tinycrm.io.exports import export_rows
        from tinycrm.io.vcardwrite import export_vcards

        if as_csv:
            path = self._path(".csv")
            buffer = io.StringIO()
            write_csv("contacts", export_rows(self.db, "contacts", ListFilter()), buffer)
            path.write_text(buffer.getvalue(), encoding="utf-8")
        else:
            path = self._path("")
            export_vcards(self.db, ListFilter(), folder=path)
            before_export = sorted(path.iterdir())
            export_vcards(self.db, ListFilter(), folder=path)
            assert sorted(path.iterdir()) == before_export  # the same files again
        before = snapshot_of(self.db.path)
        report = self._import("csv" if as_csv else "vcard", path, policy)
        assert (report.count("create"), report.count("update")) == (0, 0), report.actions
        assert snapshot_of(self.db.path) == before

    @invariant()
    def everyone_once_with_their_own_fields(self) -> None:
        from tests.conftest import table_rows

        path = self.db.path
        live = table_rows(
            path,
            "SELECT c.id, c.name, c.title, co.name FROM contact c"
            " LEFT JOIN company co ON co.id = c.company_id WHERE c.deleted_at IS NULL",
        )
        assert len(live) == len(self.seen), (live, [self.pool[i] for i in sorted(self.seen)])
        by_id = {r[0]: r[1:] for r in live}
        emails = dict(table_rows(path, "SELECT email_key, contact_id FROM contact_email"))
        phones: dict[int, set[str]] = {}
        for cid, phone in table_rows(path, "SELECT contact_id, phone FROM contact_phone"):
            phones.setdefault(cid, set()).add(phone)
        uids: dict[int, set[str]] = {}
        for cid, uid in table_rows(path, "SELECT contact_id, uid FROM contact_uid"):
            uids.setdefault(cid, set()).add(uid)
        found: set[int] = set()
        for i in sorted(self.seen):
            p = self.pool[i]
            if p.email:
                cid = emails[p.email]
            else:
                named = [k for k, v in by_id.items() if v[0] == p.name and v[2] == p.company]
                assert len(named) == 1, (p, live)
                cid = named[0]
            assert cid not in found, (p, live)
            found.add(cid)
            assert by_id[cid] == (p.name, p.title, p.company), (p, by_id[cid])
            assert phones.get(cid, set()) == ({p.phone} if p.phone else set()), p
            if p.uid and i in self.carded:
                assert p.uid in uids.get(cid, set()), (p, uids)


ImportMachine.TestCase.settings = settings(
    max_examples=40,
    stateful_step_count=6,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_imports_against_a_model = ImportMachine.TestCase
