"""Interactions and follow-ups as CSV: exported with stable columns, imported about the
contacts and deals already here (named exactly, never guessed), and back again, with a deal's
qualification and an email's Message-ID."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import FIXED_NOW, snapshot_of, table_rows
from tinycrm.core import open_db

INTERACTION_ROWS = (
    "SELECT c.name, d.title, i.kind, i.direction, i.occurred_at, i.summary, i.message_id, i.uuid"
    " FROM interaction i LEFT JOIN contact c ON c.id = i.contact_id"
    " LEFT JOIN deal d ON d.id = i.deal_id ORDER BY i.occurred_at, i.summary"
)
DEAL_ROWS = "SELECT title, budget, authority, need, timing FROM deal ORDER BY title"
FOLLOW_UP_ROWS = (
    "SELECT c.name, d.title, f.title, f.due_at, f.all_day, f.rrule, f.status, f.snoozed_until,"
    " f.priority, f.completed_at, f.uuid FROM follow_up f LEFT JOIN contact c ON"
    " c.id = f.contact_id LEFT JOIN deal d ON d.id = f.deal_id ORDER BY f.due_at, f.title"
)


def people(crm: Any) -> None:
    """#1 Jane Doe <jane@acme.com> with deal #2 Acme website; #3 Sam Lee (no email); #4 and
    #5, two contacts called Alex Kim."""
    for args in (
        ("add", "contact", "Jane Doe", "--email", "jane@acme.com"),
        ("add", "deal", "Acme website", "--contact", "jane"),
        ("add", "contact", "Sam Lee"),
        ("add", "contact", "Alex Kim", "--email", "alex@one.io"),
        ("add", "contact", "Alex Kim", "--email", "alex@two.io"),
    ):
        assert crm(*args).exit_code == 0


def test_interactions_name_their_contact_and_deal_exactly(crm: Any, db_path: Path, tmp_path: Path):
    people(crm)
    path = tmp_path / "calls.csv"
    path.write_text(
        "contact,deal,kind,direction,when,summary\n"
        "jane@acme.com,,call,out,2026-11-20T15:00:00Z,Talked prices\n"
        "#3,,email,in,2026-11-21,Asked for a quote\n"
        "sam lee,,note,,2026-11-22T09:30,Likes coffee\n"
        ",Acme website,meeting,,2026-11-22T10:00:00+01:00,Kick-off\n"
        "Alex Kim,,call,,2026-11-20T15:00:00Z,Which one?\n"
        "Alexandra,,call,,2026-11-20T15:00:00Z,Nobody\n"
        "Sam Lee,Acme website,call,,2026-11-20T15:00:00Z,Not Sam's deal\n"
        "Jane,,call,,2026-11-20T15:00:00Z,A first name is not a name\n",
        encoding="utf-8",
    )
    open_db(db_path).dispose()
    before = snapshot_of(db_path)
    r = crm("import", "csv", str(path), "--kind", "interactions")
    assert r.exit_code == 1
    assert r.stderr.splitlines()[:4] == [
        "line 6: 'Alex Kim' names more than one contact (#4, #5); give its email or #id",
        "line 7: no contact is 'Alexandra'",
        "line 8: deal #2 'Acme website' belongs to another contact (#1)",
        "line 9: no contact is 'Jane'",
    ]
    assert snapshot_of(db_path) == before
    r = crm("import", "csv", str(path), "--kind", "interactions", "--skip-bad")
    assert r.exit_code == 0, r.stderr
    assert "Imported interactions from calls.csv (plain layout): 4 created" in r.stdout
    assert [row[:6] for row in table_rows(db_path, INTERACTION_ROWS)] == [
        ("Jane Doe", None, "call", "out", "2026-11-20 15:00:00.000000", "Talked prices"),
        ("Sam Lee", None, "email", "in", "2026-11-21 00:00:00.000000", "Asked for a quote"),
        ("Jane Doe", "Acme website", "meeting", None, "2026-11-22 09:00:00.000000", "Kick-off"),
        ("Sam Lee", None, "note", None, "2026-11-22 09:30:00.000000", "Likes coffee"),
    ]
    # the same file again: each row is one already here
    r = crm("import", "csv", str(path), "--kind", "interactions", "--skip-bad")
    assert "0 created, 0 updated, 4 skipped" in r.stdout
    assert crm("undo").exit_code == 0  # the second import wrote nothing; this is the first
    assert table_rows(db_path, "SELECT count(*) FROM interaction WHERE deleted_at IS NULL") == [
        (0,)
    ]


def test_interaction_cells_read_exactly(crm: Any, db_path: Path, tmp_path: Path):
    people(crm)
    path = tmp_path / "i.csv"
    path.write_text(
        "contact,kind,direction,when,summary\n"
        "jane@acme.com,call,sideways,2026-11-20T15:00:00Z,Left out: the direction\n"
        "jane@acme.com,chat,,2026-11-20T15:00:00Z,Not a kind\n"
        "jane@acme.com,call,,last tuesday,Not a time\n"
        "jane@acme.com,call,,2027-01-01,In the future\n"
        "jane@acme.com,call,,,\n",
        encoding="utf-8",
    )
    r = crm("import", "csv", str(path), "--kind", "interactions", "--dry-run")
    assert r.exit_code == 1
    assert r.stderr.splitlines()[:4] == [
        "line 3: column kind: not an interaction kind: 'chat' (call, email, meeting, message,"
        " note)",
        "line 4: column when: cannot read the time 'last tuesday' (write it as"
        " 2026-12-01T15:30:00Z or 2026-12-01)",
        "line 5: when is in the future; an interaction is something that happened",
        "line 6: no summary",
    ]
    assert "  line 2, column direction: not a direction: 'sideways' (in or out)" in r.stdout


def test_follow_ups_with_days_times_rules_and_statuses(crm: Any, db_path: Path, tmp_path: Path):
    people(crm)
    path = tmp_path / "f.csv"
    path.write_text(
        "contact,deal,title,due,all_day,recurrence,status,snoozed_until,priority\n"
        "jane@acme.com,Acme website,Send proposal,2026-12-01,,,open,,yes\n"
        "#3,,Weekly call,2026-12-02T09:00:00Z,false,FREQ=WEEKLY;BYDAY=WE,open,,\n"
        "#3,,Old task,2026-11-01T09:00:00Z,,,done,,\n"
        "#3,,Bad rule,2026-12-03,true,FREQ=SOMETIMES,open,2026-12-05,\n"
        "#3,,Bad status,2026-12-03,,,later,,\n"
        "#3,,Day at a time,2026-12-03T15:00:00Z,true,,,,\n",
        encoding="utf-8",
    )
    r = crm("import", "csv", str(path), "--kind", "follow-ups", "--skip-bad")
    assert r.exit_code == 0, r.stderr
    assert (
        "line 6: column status: not a follow-up status: 'later' (open, done or cancelled)"
        in r.stderr
    )
    assert "line 7: an all-day follow-up is due on a day, not at a time" in r.stderr
    assert "4 created, 0 updated, 0 skipped, 2 bad rows skipped, 1 value left out" in r.stdout
    assert "  line 5, column recurrence: not a recurrence rule: 'FREQ=SOMETIMES'" in r.stdout
    assert [row[:10] for row in table_rows(db_path, FOLLOW_UP_ROWS)] == [
        ("Sam Lee", None, "Old task", "2026-11-01 09:00:00.000000", 0, None, "done", None, 0,
         None),
        ("Jane Doe", "Acme website", "Send proposal", "2026-12-01 00:00:00.000000", 1, None,
         "open", None, 1, None),
        ("Sam Lee", None, "Weekly call", "2026-12-02 09:00:00.000000", 0, "FREQ=WEEKLY;BYDAY=WE",
         "open", None, 0, None),
        ("Sam Lee", None, "Bad rule", "2026-12-03 00:00:00.000000", 1, None, "open",
         "2026-12-05 00:00:00.000000", 0, None),
    ]  # fmt: skip


def test_export_columns_and_wrong_calls(crm: Any, jane: Path, tmp_path: Path):
    assert crm("log", "jane", "call", "Talked", "--at", "yesterday 3pm").exit_code == 0
    assert crm("follow-up", "acme website", "Call back", "--due", "tomorrow").exit_code == 0
    r = crm("export", "csv", "--kind", "interactions")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines()[0] == (
        "id,uuid,contact,deal,kind,direction,when,summary,message_id,created_at"
    )
    assert ",jane@acme.com,,call,,2026-11-22T15:00:00Z,Talked," in r.stdout.splitlines()[1]
    r = crm("export", "csv", "--kind", "follow-ups")
    assert r.stdout.splitlines()[0] == (
        "id,uuid,contact,deal,title,due,all_day,recurrence,status,snoozed_until,priority,"
        "completed_at,created_at"
    )
    assert (
        ",jane@acme.com,Acme website,Call back,2026-11-24,true,,open,,false,,"
        in (r.stdout.splitlines()[1])
    )
    r = crm("export", "csv", "--kind", "follow-ups", "--tag", "vip")
    assert r.exit_code == 2
    assert "the filters of crm list do not apply to follow-ups" in r.stderr
    path = tmp_path / "f.csv"
    path.write_text(crm("export", "csv", "--kind", "follow-ups").stdout, encoding="utf-8")
    r = crm("import", "csv", str(path), "--kind", "follow-ups", "--on-duplicate", "update")
    assert r.exit_code == 2
    assert "--on-duplicate update is for contacts, companies and deals" in r.stderr
    r = crm("import", "csv", str(path), "--kind", "follow-ups", "--json")
    assert json.loads(r.stdout)["skipped"] == 1
    r = crm("import", "csv", str(path), "--kind", "follow-ups", "--map", "title=custom.x")
    assert r.exit_code == 2
    assert "--map title=custom.x: follow-ups have no custom fields" in r.stderr


def _export_all(crm: Any, folder: Path, *db: str) -> None:
    for kind in ("contacts", "deals", "interactions", "follow-ups"):
        r = crm(*db, "export", "csv", "--kind", kind, "-o", str(folder / f"{kind}.csv"))
        assert r.exit_code == 0, r.stderr


def _import_all(crm: Any, folder: Path, *db: str) -> None:
    for kind in ("contacts", "deals", "interactions", "follow-ups"):
        r = crm(*db, "import", "csv", str(folder / f"{kind}.csv"), "--kind", kind)
        assert r.exit_code == 0, (kind, r.stderr)
        assert "values left out" not in r.stdout


def change(db_path: Path, sql: str) -> None:
    """Change a row straight in the file (what no command sets at once: a direction, a
    status with its completion time, a priority)."""
    import sqlite3

    conn = sqlite3.connect(db_path)
    try:
        with conn:
            conn.execute(sql)
    finally:
        conn.close()


NOW = datetime.fromisoformat(FIXED_NOW)
moments = st.integers(min_value=-400 * 24 * 60, max_value=-1).map(
    lambda minutes: (NOW + timedelta(minutes=minutes)).astimezone(UTC)
)
texts = st.text(
    st.characters(codec="utf-8", categories=("L", "N", "P", "Zs")), min_size=1, max_size=30
).filter(lambda t: t.strip() == t and t.strip() and not t.startswith("-"))  # not an option
interactions = st.lists(
    st.tuples(
        st.sampled_from(["jane", "sam", "deal"]),
        st.sampled_from(["call", "email", "meeting", "message", "note"]),
        st.sampled_from([None, "in", "out"]),
        moments,
        texts,
        st.booleans(),  # logged from mail: it has a Message-ID
    ),
    max_size=6,
)
follow_ups = st.lists(
    st.tuples(
        st.sampled_from(["jane", "sam", "deal"]),
        texts,
        moments.map(lambda m: m + timedelta(days=400)),
        st.booleans(),
        st.sampled_from([None, "FREQ=WEEKLY", "FREQ=MONTHLY;BYMONTHDAY=1"]),
        st.sampled_from(["open", "done", "cancelled"]),
        st.booleans(),
    ),
    max_size=6,
)
# a deal's qualification: budget, authority, need, timing, each yes, no or not known (None)
qualifications = st.tuples(*[st.sampled_from([None, "yes", "no"])] * 4)


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(interactions, follow_ups, qualifications)
def test_export_then_import_into_an_empty_database_round_trips(
    crm: Any, tmp_path_factory: Any, made: list[Any], planned: list[Any], bant: tuple[Any, ...]
):
    folder = tmp_path_factory.mktemp("trip")
    one, two = folder / "one.db", folder / "two.db"
    db = ("--db", str(one))
    for setup in (
        ("add", "contact", "Jane Doe", "--email", "jane@acme.com"),
        ("add", "deal", "Acme website", "--contact", "jane"),
        ("add", "contact", "Sam Lee"),
    ):
        assert crm(*db, *setup).exit_code == 0
    about = {"jane": "jane", "sam": "#3", "deal": "acme website"}
    criteria = ("--budget", "--authority", "--need", "--timing")
    given = [x for pair in zip(criteria, bant, strict=True) if pair[1] for x in pair]
    if given:
        r = crm(*db, "qualify", "acme website", *given)
        assert r.exit_code == 0, r.output
    for who, kind, direction, at, summary, from_mail in made:
        args = ["log", about[who], kind, summary, "--at", at.isoformat()]
        if who == "jane":
            args += ["--deal", "acme website"]
        assert crm(*db, *args).exit_code == 0
        rid = table_rows(one, "SELECT max(id) FROM interaction")[0][0]
        if direction:
            change(one, f"UPDATE interaction SET direction = '{direction}' WHERE id = {rid}")
        if from_mail:
            mid = f"<{rid}.{kind}@mail.example>"
            change(one, f"UPDATE interaction SET message_id = '{mid}' WHERE id = {rid}")
    for who, title, due, all_day, rule, status, priority in planned:
        when = due.date().isoformat() if all_day else due.isoformat()
        args = ["follow-up", about[who], title, "--due", when]
        if rule:
            args += ["--rrule", rule]
        assert crm(*db, *args).exit_code == 0, args
        fid = table_rows(one, "SELECT max(id) FROM follow_up")[0][0]
        done = f"'{FIXED_NOW[:10]} {FIXED_NOW[11:19]}.000000'" if status == "done" else "NULL"
        change(
            one,
            f"UPDATE follow_up SET status = '{status}', priority = {int(priority)},"
            f" completed_at = {done} WHERE id = {fid}",
        )
    _export_all(crm, folder, *db)
    _import_all(crm, folder, "--db", str(two))
    assert table_rows(two, DEAL_ROWS) == table_rows(one, DEAL_ROWS)
    assert table_rows(two, DEAL_ROWS) == [("Acme website", *bant)]
    assert table_rows(two, INTERACTION_ROWS) == table_rows(one, INTERACTION_ROWS)
    assert table_rows(two, FOLLOW_UP_ROWS) == table_rows(one, FOLLOW_UP_ROWS)
    assert len(table_rows(two, INTERACTION_ROWS)) == len(made)
    assert len(table_rows(two, FOLLOW_UP_ROWS)) == len(planned)
