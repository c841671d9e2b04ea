"""Fuzzing every parser and importer through the real command line.

Whatever is typed or imported, `crm` answers with an exit code of 0, 1 or 2, never a
traceback, and a refused command leaves every row of the database as it was. Values come from
valid seeds with mutations: huge and negative numbers, random bytes and text, control
characters and escape sequences, undecodable argument bytes, wrong JSON types, truncation.

TINYCRM_FUZZ_EXAMPLES raises the number of examples per test (the long CI step).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Crm, snapshot_of
from tinycrm.core import open_db

EXAMPLES = int(os.environ.get("TINYCRM_FUZZ_EXAMPLES", "0") or 0)
FUZZ = settings(
    max_examples=EXAMPLES or 100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# --- values ---------------------------------------------------------------------------------

# Characters that have broken parsers or terminals somewhere: C0, DEL, C1, bidi overrides,
# line separators, BOM, surrogate escapes (undecodable argument bytes), quotes and separators.
NASTY = (
    "\x00\x01\x07\x08\t\n\r\x0b\x0c\x1b\x7f\x80\x85\x9b\x9f\u200b\u2028\u2029\u202a"
    "\u202e\u2066\u2069\ufeff\udce9\udcff\ud800\"',;:=#@%+-_.\\/[]{}()<> "
)
TOKENS = (
    "0", "1", "-1", "07", "99999999999999999", "9223372036854775807", "9223372036854775808",
    "-9223372036854775809", "99999999999999999999", "1e309", "NaN", "inf", "0x1f", "1_000",
    "5k", "1.2m", "5,000.50", ".5", "5.", "1,2,3", "999999999999m", "today", "tomorrow",
    "fri", "next tue 10am", "in 3 days", "+2w", "2h", "dec 1", "31 feb", "9999-12-31",
    "0001-01-01", "2026-12-01 15:30", "2026-13-45", "25:61", "noon", "in 9999999 years",
    "in 99999999999999999999 days", "\x1b[2J", "\x1b]0;pwned\x07", "\u202eevil", "Ren\udce9",
    "#1", "#0", "#-1", "#99999999999999999999", "jane", "jane@acme.com", "acme", "Acme website",
    "lead", "Won", "lost", "=cmd|' /C calc'!A0", "", " ", "--help", "-x", "plan=gold", "=",
    "key=", "a.b=c", "USD", "JPY", "usd", "XXX", "€", "week", "2 weeks", "FREQ=DAILY;COUNT=-1",
    "²", "٣", "#²", "#٣٣", "1²", "FREQ=DAILY;COUNT=²", "FREQ=WEEKLY;INTERVAL=99999999999999999",
)  # fmt: skip


def numbers() -> st.SearchStrategy[str]:
    """Integers as text, from small to far beyond 64 bits, in a few spellings."""
    big = st.integers(min_value=-(10**40), max_value=10**40)
    edge = st.sampled_from([2**31, 2**32, 2**53, 2**63 - 1, 2**63, 2**64, -(2**63) - 1, 10**20])
    return st.one_of(big, edge, st.integers(-3, 400)).map(str) | st.builds(
        lambda n, s: f"{n}{s}", st.integers(-(10**25), 10**25), st.sampled_from(["k", "m", ".5"])
    )


def values() -> st.SearchStrategy[str]:
    """What a person (or a script, or an attacker) might put in one argument."""
    nasty = st.text(alphabet=st.sampled_from(NASTY), max_size=6)
    anything = st.text(max_size=12)
    mixed = st.lists(
        st.one_of(st.sampled_from(TOKENS), nasty, anything, numbers()), min_size=1, max_size=3
    ).map(lambda parts: "".join(parts))
    return st.one_of(st.sampled_from(TOKENS), numbers(), mixed, anything)


# Every command line that parses something a person typed; {} is the fuzzed value.
COMMANDS: tuple[tuple[str, ...], ...] = (
    ("add", "contact", "{}"),
    ("add", "contact", "Pat Lee", "--email", "{}"),
    ("add", "contact", "Pat Lee", "--phone", "{}"),
    ("add", "contact", "Pat Lee", "--company", "{}", "--title", "{}"),
    ("add", "contact", "Pat Lee", "--tag", "{}"),
    ("add", "contact", "Pat Lee", "--lifecycle", "{}", "--source", "{}", "--note", "{}"),
    ("add", "company", "{}"),
    ("add", "deal", "{}", "--contact", "jane"),
    ("add", "deal", "Big one", "--value", "{}"),
    ("add", "deal", "Big one", "--value", "{}", "--currency", "{}"),
    ("add", "deal", "Big one", "--close", "{}"),
    ("add", "deal", "Big one", "--stage", "{}"),
    ("add", "deal", "Big one", "--pipeline", "{}"),
    ("show", "{}"),
    ("show", "{}", "--json"),
    ("timeline", "{}"),
    ("timeline", "jane", "--limit", "{}", "--kind", "{}"),
    ("show", "{}", "--kind", "{}"),
    ("tag", "{}", "vip"),
    ("tag", "jane", "{}"),
    ("move", "{}", "won"),
    ("move", "acme website", "{}"),
    ("edit", "{}", "--title", "CTO"),
    ("edit", "jane", "--name", "{}"),
    ("edit", "jane", "--email", "{}"),
    ("edit", "jane", "--set", "{}"),
    ("edit", "jane", "--unset", "{}"),
    ("edit", "jane", "--lifecycle", "{}"),
    ("edit", "jane", "--keep-in-touch", "{}"),
    ("edit", "acme website", "--value", "{}"),
    ("edit", "acme website", "--probability", "{}"),
    ("edit", "acme website", "--close", "{}"),
    ("edit", "acme website", "--budget", "{}"),
    ("qualify", "{}", "--need", "yes"),
    ("qualify", "acme website", "--budget", "{}", "--timing", "{}"),
    ("list", "deals", "--qualified", "{}", "--bant", "{}"),
    ("segment", "save", "ready", "--bant", "{}"),
    ("log", "jane", "call", "{}"),
    ("log", "jane", "{}", "talked"),
    ("log", "jane", "call", "talked", "--at", "{}"),
    ("follow-up", "jane", "Call back", "--due", "{}"),
    ("follow-up", "jane", "{}", "--due", "fri"),
    ("follow-up", "jane", "Call back", "--due", "fri", "--every", "{}"),
    ("follow-up", "jane", "Call back", "--due", "fri", "--rrule", "{}"),
    ("sequence", "add", "{}", "--step", "0d call: intro"),
    ("sequence", "add", "Onboarding", "--step", "{}", "--step", "{}"),
    ("sequence", "start", "{}", "jane"),
    ("sequence", "start", "Onboarding", "jane", "--at", "{}"),
    ("sequence", "stop", "{}"),
    ("sequence", "show", "{}"),
    ("snooze", "{}", "2h"),
    ("snooze", "{follow_up}", "{}"),
    ("done", "{}"),
    ("cancel", "{}"),
    ("keep-in-touch", "jane", "{}"),
    ("search", "{}"),
    ("search", "jane", "--limit", "{}"),
    ("export", "csv", "--kind", "{}", "--stage", "{}", "--status", "{}"),
    ("list", "contacts", "--segment", "{}"),
    ("list", "deals", "--status", "{}", "--pipeline", "{}"),
    ("list", "contacts", "--limit", "{}"),
    ("list", "contacts", "--no-interaction-days", "{}"),
    ("list", "contacts", "--created-after", "{}"),
    ("list", "contacts", "--tag", "{}", "--name", "{}"),
    ("list", "deals", "--stage", "{}"),
    ("list", "deals", "--sort", "{}"),
    ("agenda", "--days", "{}"),
    ("history", "--limit", "{}"),
    ("history", "{}"),
    ("report", "stale", "--days", "{}"),
    ("report", "stale", "--limit", "{}"),
    ("report", "forecast", "--months", "{}"),
    ("report", "customers", "--since", "{}"),
    ("report", "customers", "--limit", "{}"),
    ("report", "win-rate", "--since", "{}"),
    ("report", "activity", "--weeks", "{}"),
    ("report", "lost", "--since", "{}"),
    ("report", "lost", "--pipeline", "{}"),
    ("score", "{}"),
    ("segment", "save", "{}", "--tag", "vip"),
    ("pipeline", "{}"),
    ("pipeline", "create", "{}"),
    ("pipeline", "add-stage", "{}"),
    ("pipeline", "rename-stage", "Prospecting", "{}"),
    ("pipeline", "move-stage", "Prospecting", "--position", "{}"),
    ("pipeline", "set-stage", "Prospecting", "--probability", "{}"),
    ("pipeline", "set-stage", "Prospecting", "--stale-days", "{}"),
    ("delete", "{}", "--yes"),
    ("restore", "{}"),
    ("merge", "{}", "jane", "--yes"),
    ("merge", "jane", "{}", "--yes"),
    ("tag", "jane", "+{}", "-{}"),
    ("forget", "{}", "--yes"),
)


# --- running crm ----------------------------------------------------------------------------


# Stored text never holds these (notes may hold tabs and line breaks).
STORED_BAD = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


def stored_controls(db: Path) -> list[tuple[str, str]]:
    """Return (table, text) for every stored text holding a control character."""
    return [
        (table, value)
        for table, rows in snapshot_of(db).items()
        for row in rows
        for value in row
        if isinstance(value, str) and STORED_BAD.search(value)
    ]


def outcome(crm: Crm, db: Path, args: list[str], exact: bool = False) -> Any:
    """Run crm on `db`; fail on a traceback, an odd exit code, a change after a refusal, or
    a control character stored (except by a restore, which is `exact`)."""
    before = snapshot_of(db)
    try:
        result = crm("--db", str(db), *args)
    finally:
        release()
    exc = result.exception
    if exc is not None and not isinstance(exc, SystemExit):
        trace = "".join(traceback.format_exception(exc))
        raise AssertionError(f"crm {args!r} raised {type(exc).__name__}: {exc}\n{trace}")
    assert result.exit_code in (0, 1, 2), (args, result.exit_code, result.stderr)
    assert "Traceback" not in result.stderr, (args, result.stderr)
    if result.exit_code != 0:
        assert snapshot_of(db) == before, f"crm {args!r} refused but changed the database"
    elif not exact:
        assert stored_controls(db) == [], f"crm {args!r} stored control characters"
    return result


def release() -> None:
    """Close the connections the last command kept, before its file is replaced."""
    from tinycrm.cli import state

    state.configure(None)


def checkpoint(db: Path) -> None:
    """Fold the WAL into the main file so a plain copy is the whole database."""
    release()
    conn = sqlite3.connect(db)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


class Seeds(dict[str, Any]):
    """The seeded files (a short repr: Hypothesis prints it with every failing example)."""

    def __repr__(self) -> str:
        return "<seeds>"


@pytest.fixture
def seeded(crm: Crm, db_path: Path, tmp_path: Path) -> dict[str, Any]:
    """A database with a contact, a company, a deal, a follow-up and an interaction, its
    JSON export, and an empty database to restore into; copies are made per example."""
    steps = [
        ("add", "contact", "Jane Doe", "--email", "jane@acme.com", "--company", "Acme"),
        ("add", "contact", "Bob Roe", "--phone", "+1 555 0100", "--tag", "vip"),
        ("add", "deal", "Acme website", "--contact", "jane", "--value", "5k"),
        ("follow-up", "jane", "Send proposal", "--due", "fri", "-q"),
        ("log", "jane", "call", "talked budget"),
        ("edit", "jane", "--set", "plan=gold"),
    ]
    follow_up = ""
    for step in steps:
        result = crm(*step)
        assert result.exit_code == 0, (step, result.stderr)
        if step[0] == "follow-up":
            follow_up = result.stdout.strip()
    export = tmp_path / "seed.json"
    assert crm("export", "json", "-o", str(export)).exit_code == 0
    checkpoint(db_path)
    empty = tmp_path / "empty.db"
    open_db(empty).dispose()  # a new, empty database
    checkpoint(empty)
    return Seeds(
        template=db_path,
        empty=empty,
        json=export.read_text(encoding="utf-8"),
        follow_up=follow_up,
        dir=tmp_path,
        copies=0,
    )


def fresh(seeded: dict[str, Any], which: str = "template") -> Path:
    """A private copy of a seeded database for one example."""
    done: Path = seeded["dir"] / f"work{seeded['copies']}.db"
    for path in (done, Path(f"{done}-wal"), Path(f"{done}-shm")):
        path.unlink(missing_ok=True)
    seeded["copies"] += 1
    work: Path = seeded["dir"] / f"work{seeded['copies']}.db"
    shutil.copyfile(seeded[which], work)
    return work


# --- typed arguments ------------------------------------------------------------------------


@FUZZ
@given(command=st.sampled_from(COMMANDS), data=st.data())
def test_typed_arguments_never_crash(
    crm: Crm, seeded: dict[str, Any], command: tuple[str, ...], data: st.DataObject
) -> None:
    args = [
        data.draw(values(), label=f"arg {i}") if part == "{}" else part
        for i, part in enumerate(command)
    ]
    args = [seeded["follow_up"] if a == "{follow_up}" else a for a in args]
    outcome(crm, fresh(seeded), args)


@FUZZ
@given(steps=numbers(), redo=st.booleans())
def test_undo_and_redo_counts_never_crash(
    crm: Crm, seeded: dict[str, Any], steps: str, redo: bool
) -> None:
    db = fresh(seeded)
    if redo:
        outcome(crm, db, ["undo", "2"])
    outcome(crm, db, ["redo" if redo else "undo", steps])


# --- import files ---------------------------------------------------------------------------

CSV_SEEDS = {
    "contacts": (
        "name,email,phone,company,title,tags,notes,lifecycle\r\n"
        'Ann Lee,ann@x.example,+1 555 0101,Acme,CTO,vip;new,"two\nlines",lead\r\n'
        "Carl Max,carl@y.example,,Beta,,,,customer\r\n"
    ),
    "companies": "name,domain,industry,size,tags\r\nBeta,beta.example,Software,11-50,partner\r\n",
    "deals": (
        "title,value,currency,stage,status,contact_email,expected_close,probability,budget,"
        "timing\r\n"
        "Beta deal,12k,EUR,Qualifying,open,jane@acme.com,2026-12-31,40,yes,n\r\n"
        "Old deal,500,USD,,lost,,2026-01-01,,,unknown\r\n"
    ),
}
VCARD_SEED = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:urn:uuid:6f1c2d0e-93a4-4d2b-9c11-000000000001\r\n"
    "FN:Ann Lee\r\nN:Lee;Ann;;;\r\nEMAIL;TYPE=work:ann@x.example\r\nTEL;TYPE=cell:+1 555 0101\r\n"
    "ORG:Acme;Sales\r\nTITLE:CTO\r\nBDAY:1990-02-03\r\nCATEGORIES:vip,new\r\n"
    "NOTE:line one\\nline two\r\nURL:https://ann.example\r\nEND:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:Ren=E9;Jos=E9\r\n"
    "TEL;HOME:555 0102\r\nEND:VCARD\r\n"
)
SPLICES = (
    b"99999999999999999999", b"-1", b"\x1b[31m", b"\x1b]0;x\x07", b"\x00", b"\xff\xfe",
    b"\xe9", b"\xc2\x9b", b"\xe2\x80\xae", b"\r", b"\n", b'"', b",", b";", b":", b"=",
    b"BEGIN:VCARD\r\n", b"END:VCARD\r\n", b"\r\n ", b"1e309", b"{", b"[", b"null",
)  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    """The seed with a few byte-level mutations: cuts, splices, random bytes, re-encodings."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(data)))
        how = draw(st.sampled_from(["cut", "splice", "bytes", "drop", "repeat"]))
        if how == "cut":
            del data[at:]
        elif how == "splice":
            data[at:at] = draw(st.sampled_from(SPLICES))
        elif how == "bytes":
            data[at:at] = draw(st.binary(min_size=1, max_size=4))
        elif how == "drop":
            del data[at : at + draw(st.integers(1, 20))]
        else:
            data[at:at] = data[at : at + draw(st.integers(1, 40))]
    text = bytes(data)
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "utf-16", "latin-1"]))
    if encoding != "utf-8":
        text = text.decode("utf-8", "replace").encode(encoding, "replace")
    return text


def json_values() -> st.SearchStrategy[Any]:
    """JSON values of every type, including the awkward ones."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(alphabet=st.sampled_from(NASTY.replace("\ud800", "").replace("\udce9", "")))
        | st.text(max_size=8)
        | st.sampled_from(["2026-13-01T00:00:00Z", "not a time", "2026-11-23T10:00:00Z", "{}"]),
    )
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=3), max_leaves=4)


@st.composite
def mutated_export(draw: st.DrawFn, seed: str) -> bytes:
    """A tinycrm JSON export with values, rows, tables or keys of the wrong shape."""
    doc = json.loads(seed)
    tables: dict[str, Any] = doc["tables"]
    for _ in range(draw(st.integers(1, 3))):
        name = draw(st.sampled_from(sorted(tables)))
        how = draw(
            st.sampled_from(["value", "value", "value", "row", "table", "key", "drop", "new"])
        )
        rows = tables[name]
        if how == "table":
            tables[name] = draw(json_values() | st.dictionaries(st.text(max_size=3), st.none()))
        elif how == "new":
            tables[draw(st.text(max_size=8))] = draw(st.lists(st.just({"id": 1}), max_size=2))
        elif not isinstance(rows, list) or not rows:
            continue
        elif how == "row":
            rows[draw(st.integers(0, len(rows) - 1))] = draw(json_values())
        else:
            row = rows[draw(st.integers(0, len(rows) - 1))]
            if not isinstance(row, dict) or not row:
                continue
            key = draw(st.sampled_from(sorted(row)))
            if how == "value":
                row[key] = draw(json_values())
            elif how == "drop":
                del row[key]
            else:
                row[draw(st.text(max_size=6))] = draw(json_values())
    if draw(st.booleans()):
        doc[draw(st.sampled_from(["format", "version", "schema", "tables"]))] = draw(json_values())
    text = json.dumps(doc, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")
    return draw(mutated(text)) if draw(st.integers(0, 4)) == 0 else text


def _import(crm: Crm, db: Path, tmp: Path, name: str, body: bytes, args: list[str]) -> None:
    path = tmp / name
    path.write_bytes(body)
    outcome(crm, db, [*args[:2], str(path), *args[2:]], exact=args[1] == "json")


@FUZZ
@given(
    kind=st.sampled_from(sorted(CSV_SEEDS)),
    data=st.data(),
    extra=st.sampled_from(
        [[], ["--dry-run"], ["--on-duplicate", "update"], ["--on-duplicate", "merge"]]
    ),
)
def test_csv_imports_never_crash(
    crm: Crm, seeded: dict[str, Any], kind: str, data: st.DataObject, extra: list[str]
) -> None:
    body = data.draw(mutated(CSV_SEEDS[kind].encode("utf-8")), label="file")
    args = ["import", "csv", "--kind", kind, *extra]
    _import(crm, fresh(seeded), seeded["dir"], "in.csv", body, args)


@FUZZ
@given(body=mutated(VCARD_SEED.encode("utf-8")), update=st.booleans())
def test_vcard_imports_never_crash(
    crm: Crm, seeded: dict[str, Any], body: bytes, update: bool
) -> None:
    args = ["import", "vcard", *(["--on-duplicate", "update"] if update else [])]
    _import(crm, fresh(seeded), seeded["dir"], "in.vcf", body, args)


@FUZZ
@given(data=st.data())
def test_json_restores_never_crash(crm: Crm, seeded: dict[str, Any], data: st.DataObject) -> None:
    body = data.draw(mutated_export(seeded["json"]), label="file")
    _import(crm, fresh(seeded, "empty"), seeded["dir"], "in.json", body, ["import", "json"])


def test_the_seeds_themselves_import(crm: Crm, seeded: dict[str, Any]) -> None:
    """The mutations start from files that import cleanly."""
    tmp: Path = seeded["dir"]
    runs: list[tuple[str, str, Callable[[Path], list[str]]]] = [
        ("c.csv", CSV_SEEDS["contacts"], lambda p: ["import", "csv", str(p)]),
        ("d.csv", CSV_SEEDS["deals"], lambda p: ["import", "csv", str(p), "--kind", "deals"]),
        ("v.vcf", VCARD_SEED, lambda p: ["import", "vcard", str(p)]),
    ]
    for name, text, args in runs:
        (tmp / name).write_text(text, encoding="utf-8")
        result = outcome(crm, fresh(seeded), args(tmp / name))
        assert result.exit_code == 0, (name, result.stderr)
    (tmp / "seed.json").write_text(seeded["json"], encoding="utf-8")
    result = outcome(
        crm, fresh(seeded, "empty"), ["import", "json", str(tmp / "seed.json")], exact=True
    )
    assert result.exit_code == 0, result.stderr
