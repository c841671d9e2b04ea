"""Records as text forms: format, parse, diff, and `crm edit REF` in a (fake) $EDITOR."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Crm, snapshot_of, table_rows
from tinycrm.core import forms
from tinycrm.core.forms import Form, FormError


def fake_editor(folder: Path, steps: list[Any]) -> str:
    """Write an editor script; each run applies the next step to the file it is given.

    A step is a list of [old, new] replacements, or 'keep' (save unchanged), 'empty' (save an
    empty file) or 'fail' (exit 3). Each run also keeps a copy of what it was shown.
    """
    (folder / "steps.json").write_text(json.dumps(steps))
    script = folder / "editor.py"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, pathlib, sys\n"
        f"here = pathlib.Path({str(folder)!r})\n"
        "steps = json.loads((here / 'steps.json').read_text())\n"
        "counter = here / 'count'\n"
        "n = int(counter.read_text()) if counter.exists() else 0\n"
        "counter.write_text(str(n + 1))\n"
        "path = pathlib.Path(sys.argv[-1])\n"
        "text = path.read_text()\n"
        "(here / f'shown{n}.txt').write_text(text)\n"
        "step = steps[n]\n"
        "if step == 'fail':\n    sys.exit(3)\n"
        "if step == 'empty':\n    path.write_text('')\n    sys.exit(0)\n"
        "if step == 'keep':\n    sys.exit(0)\n"
        "for old, new in step:\n"
        "    assert old in text, old\n"
        "    text = text.replace(old, new)\n"
        "path.write_text(text)\n"
    )
    script.chmod(0o755)
    return str(script)


@pytest.fixture
def at_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend a person is at a terminal, so `crm edit REF` opens the editor."""
    from tinycrm.cli.commands import editing

    monkeypatch.setattr(editing, "interactive", lambda: True)


@pytest.fixture
def jane(crm: Crm) -> Crm:
    r = crm("add", "contact", "Jane Doe", "--email", "jane@acme.com", "--company", "Acme",
            "--tag", "vip", "--note", "likes tea")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert crm("add", "contact", "Jan Smith").exit_code == 0
    assert crm("add", "deal", "Acme website", "--contact", "jane", "--value", "5k").exit_code == 0
    return crm


def test_format_then_parse_gives_the_same_form() -> None:
    form = Form(
        "contact",
        fields={"name": "Jane", "title": "", "company": "Acme", "lifecycle": "lead",
                "source": "", "notes": "line one\n\nline three", "keep_in_touch_days": "30",
                "given_name": "Jane", "family_name": "", "middle_name": "", "name_prefix": "",
                "name_suffix": "", "nickname": "", "birthday": "--04-12", "anniversary": ""},
        lists={"emails": ["a@b.co", "c@d.co"], "phones": [], "tags": ["vip"]},
        custom={"plan": "gold: annual"},
    )  # fmt: skip
    text = forms.format_form(form, "contact #1 Jane")
    assert "name: Jane\n" in text
    assert "emails: a@b.co, c@d.co\n" in text
    assert "custom.plan: gold: annual\n" in text
    assert "notes: line one\n\n  line three\n" in text
    assert forms.parse_form("contact", text) == form


def test_diff_lists_only_what_changed() -> None:
    before = forms.parse_form("contact", "name: Jane\nemails: a@b.co\ntags: vip, cold\n")
    after = forms.parse_form(
        "contact", "name: Jane\ntitle: CTO\nemails: A@b.co, x@y.co\ntags: vip, warm\ncustom.k: v"
    )
    changes = forms.diff(before, after)
    assert changes.fields == {"title": "CTO"}
    assert (changes.add_emails, changes.remove_emails) == (["x@y.co"], [])
    assert (changes.add_tags, changes.remove_tags) == (["warm"], ["cold"])
    assert changes.set_custom == {"k": "v"}
    assert forms.diff(before, before).is_empty()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: Jane\nnmae: Jim\n", "line 2: a contact has no field 'nmae'"),
        ("name: Jane\njust words\n", "line 2: expected 'field: value'"),
        ("name: Jane\nname: Jim\n", "line 2: 'name' is given twice"),
        ("title: CTO\n  more\n", "line 2: only notes can go on over several lines"),
        ("custom.my plan: x\n", "line 1: not a custom field name"),
    ],
)
def test_parse_errors_name_the_line(text: str, message: str) -> None:
    with pytest.raises(FormError, match=message):
        forms.parse_form("contact", text)


def test_editor_saves_a_valid_form(
    jane: Any, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, at_terminal: None
) -> None:
    editor = fake_editor(
        tmp_path,
        [[["title:", "title: CTO"], ["tags: vip", "tags: vip, warm"],
          ["emails: jane@acme.com", "emails: jane@acme.com, jd@home.org"],
          ["notes: likes tea", "notes: likes tea\n  and cake"],
          ["keep_in_touch_days:", "keep_in_touch_days: 30\ncustom.plan: gold"]]],
    )  # fmt: skip
    monkeypatch.setenv("EDITOR", editor)
    r = jane("edit", "jane")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith("Updated contact #2 Jane Doe: ")
    shown = (tmp_path / "shown0.txt").read_text()
    assert shown.startswith("# contact #2 Jane Doe\n")
    assert "company: Acme\n" in shown
    data = json.loads(jane("show", "jane", "--json").stdout)
    assert data["title"] == "CTO"
    assert data["tags"] == ["vip", "warm"]
    assert [e["email"] for e in data["emails"]] == ["jane@acme.com", "jd@home.org"]
    assert data["notes"] == "likes tea\nand cake"
    assert data["keep_in_touch_days"] == 30
    assert data["custom"] == {"plan": "gold"}
    assert "edit contact #2 Jane Doe" in jane("undo").stdout


def test_editor_sets_a_birthday_and_a_nickname(
    jane: Any, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, at_terminal: None
) -> None:
    editor = fake_editor(
        tmp_path, [[["birthday:", "birthday: --04-12"], ["nickname:", "nickname: JD"]]]
    )
    monkeypatch.setenv("EDITOR", editor)
    r = jane("edit", "jane")
    assert r.exit_code == 0, r.stderr
    data = json.loads(jane("show", "jane", "--json").stdout)
    assert data["nickname"] == "JD"
    assert [(d["kind"], d["date"]) for d in data["dates"]] == [("birthday", "--04-12")]
    shown = (tmp_path / "shown0.txt").read_text()
    assert "birthday: \n" in shown or "birthday:\n" in shown


def test_editor_on_a_deal(
    jane: Any, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, at_terminal: None
) -> None:
    monkeypatch.setenv(
        "EDITOR",
        fake_editor(tmp_path, [[["value: 5000.00", "value: 6k"], ["close:", "close: 2026-12-24"]]]),
    )
    r = jane("edit", "acme website")
    assert r.exit_code == 0, r.stderr
    assert "stage: Prospecting (Sales), open" in (tmp_path / "shown0.txt").read_text()
    assert table_rows(db_path, "SELECT value, expected_close FROM deal") == [(600000, "2026-12-24")]


def test_invalid_form_is_reopened_with_the_error_and_saved_once_fixed(
    jane: Any, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, at_terminal: None
) -> None:
    editor = fake_editor(
        tmp_path,
        [
            [["title:", "titel: CTO"]],  # a syntax mistake: unknown field
            [["titel: CTO", "title: CTO"], ["lifecycle: lead", "lifecycle: friend"]],
            [["lifecycle: friend", "lifecycle: customer"]],
        ],
    )
    monkeypatch.setenv("EDITOR", editor)
    before = snapshot_of(db_path)
    r = jane("edit", "jane")
    assert r.exit_code == 0, r.stderr
    second = (tmp_path / "shown1.txt").read_text()
    assert second.startswith("# error: line ")
    assert "a contact has no field 'titel'" in second.splitlines()[0]
    third = (tmp_path / "shown2.txt").read_text()
    assert third.startswith("# error: not a lifecycle: 'friend'\n# hint: ")
    assert "titel" not in third.splitlines()[0]
    assert table_rows(db_path, "SELECT title, lifecycle FROM contact WHERE id = 2") == [
        ("CTO", "customer")
    ]
    # the failed attempts wrote nothing: exactly one command was added to the history
    assert snapshot_of(db_path)["contact"] != before["contact"]
    groups = table_rows(db_path, "SELECT count(DISTINCT group_id) FROM event")[0][0]
    assert groups == len({r[1] for r in before["event"]}) + 1


@pytest.mark.parametrize(
    ("steps", "code", "message"),
    [
        (["keep"], 0, "No changes to contact #2 Jane Doe"),
        ([[["Jane Doe\n", "Jane Doe\n"]]], 0, "No changes"),
        (["empty"], 1, "edit cancelled: the file was empty"),
        (["fail"], 1, "edit cancelled: the editor exited with an error"),
        ([[["title:", "titel:"]], "keep"], 1, "the form still had an error"),
        ([[["title:", "oops"]], "fail"], 1, "edit cancelled"),
        ([[["name: Jane Doe", "name:"]], "empty"], 1, "the file was empty"),
    ],
)
def test_editor_outcomes_that_change_nothing(
    jane: Any,
    db_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    at_terminal: None,
    steps: list[Any],
    code: int,
    message: str,
) -> None:
    monkeypatch.setenv("EDITOR", fake_editor(tmp_path, steps))
    before = snapshot_of(db_path)
    r = jane("edit", "jane")
    assert r.exit_code == code, r.stderr
    assert message in (r.stdout if code == 0 else r.stderr)
    assert "Traceback" not in r.stdout + r.stderr
    assert snapshot_of(db_path) == before


def test_what_the_form_cannot_show_is_kept(
    jane: Any, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, at_terminal: None
) -> None:
    """Values from elsewhere (an import) that a form line cannot hold are left as they are."""
    import sqlite3

    conn = sqlite3.connect(db_path)
    conn.execute(
        "UPDATE contact SET title = 'Head of\nSales', custom = ? WHERE id = 2",
        (json.dumps({"my plan": "gold", "tier": "2"}),),
    )
    conn.commit()
    conn.close()
    monkeypatch.setenv("EDITOR", fake_editor(tmp_path, [[["custom.tier: 2", "custom.tier: 3"]]]))
    r = jane("edit", "jane")
    assert r.exit_code == 0, r.stderr
    shown = (tmp_path / "shown0.txt").read_text()
    assert "title: Head of Sales\n" in shown
    assert "# custom field 'my plan' (kept as it is): gold\n" in shown
    assert table_rows(db_path, "SELECT title, custom FROM contact WHERE id = 2") == [
        ("Head of\nSales", json.dumps({"my plan": "gold", "tier": "3"}))
    ]


def test_an_editor_that_cannot_start_is_a_clear_error(
    jane: Any, db_path: Path, monkeypatch: pytest.MonkeyPatch, at_terminal: None
) -> None:
    monkeypatch.setenv("EDITOR", "/no/such/editor --wait")
    before = snapshot_of(db_path)
    r = jane("edit", "jane")
    assert r.exit_code == 1
    assert r.stderr.startswith("error: cannot start the editor '/no/such/editor'")
    assert snapshot_of(db_path) == before


def test_unknown_ref_fails_before_any_editor(
    jane: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, at_terminal: None
) -> None:
    monkeypatch.setenv("EDITOR", fake_editor(tmp_path, ["keep"]))
    r = jane("edit", "ja")
    assert r.exit_code == 1 and "matches several" in r.stderr
    assert not (tmp_path / "count").exists()


def test_edit_in_editor_as_a_service(db: Any, tmp_path: Path) -> None:
    """The loop the board reuses: any function that edits text will do as the editor."""
    from tests.test_core import NOW
    from tinycrm.core import companies

    with db.transaction() as s:
        company = companies.add_company(s, "Initech", now=NOW)
    seen: list[str] = []

    def edit(text: str) -> str:
        seen.append(text)
        if len(seen) == 1:
            return text.replace("domain:", "domain: not a domain")
        return text.replace("domain: not a domain", "domain: initech.com")

    assert company.id is not None
    outcome = forms.edit_in_editor(db, "company", company.id, now=NOW, edit=edit)
    assert outcome.status == "saved"
    assert seen[1].startswith("# error: not a domain")
    with db.snapshot() as s:
        assert companies.get_company(s, company.id).domain == "initech.com"
