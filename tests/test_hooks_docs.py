"""The examples of docs/hooks.md run as written: each `[hooks]` block is the settings of a real
`crm` run, with curl, khal and xdg-open replaced by programs that note what they were given."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import fenced_blocks

PAGE = (Path(__file__).resolve().parent.parent / "docs" / "hooks.md").read_text(encoding="utf-8")
NOTING = '#!/bin/sh\nprintf "%s\\n" "$@" >> "$HOME/{name}.args"\necho --- >> "$HOME/{name}.args"\n'


def block(language: str, holding: str) -> str:
    """The one block of `language` on the page that holds `holding`."""
    [found] = [b for b in fenced_blocks(PAGE, language) if holding in "\n".join(b)]
    return "\n".join(found) + "\n"


@pytest.fixture
def user(hermetic: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home folder (HOME) with curl, khal and xdg-open first on the PATH, as noting stubs."""
    import os

    home = tmp_path / "user"
    stubs = home / "stubs"
    stubs.mkdir(parents=True)
    for name in ("curl", "khal", "xdg-open"):
        (stubs / name).write_text(NOTING.format(name=name))
        (stubs / name).chmod(0o755)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("PATH", f"{stubs}{os.pathsep}{os.environ['PATH']}")
    hermetic.mkdir(parents=True, exist_ok=True)
    return home


def calls(home: Path, program: str) -> list[list[str]]:
    """The argument lists a stub was run with."""
    path = home / f"{program}.args"
    if not path.exists():
        return []
    return [run.strip("\n").split("\n") for run in path.read_text().split("---\n") if run]


def settings(hermetic: Path, toml: str) -> None:
    (hermetic / "config.toml").write_text(toml)


def won_deal(crm: Any) -> None:
    assert crm("add", "contact", "Jane Doe").exit_code == 0
    assert crm("add", "deal", "Acme website", "--contact", "jane", "--value", "5000").exit_code == 0
    result = crm("move", "acme", "won")
    assert (result.exit_code, result.stderr) == (0, ""), result.output


def test_the_first_example_is_settings_crm_reads(crm: Any, hermetic: Path, user: Path) -> None:
    settings(hermetic, block("toml", "new-lead.sh"))
    got = crm("config", "get", "hooks.deal_won", "--json")
    assert json.loads(got.stdout) == [
        "cat >> ~/wins.jsonl",
        "notify-send 'tinycrm' 'A deal was won'",
    ]
    assert crm("config", "get", "hooks.timeout").stdout.strip() == "10"


def test_the_ledger_example_appends_the_entry_shown(crm: Any, hermetic: Path, user: Path) -> None:
    settings(hermetic, block("toml", "ledger.journal"))
    won_deal(crm)
    assert (user / "ledger.journal").read_text() == block("text", "assets:receivable")


def test_the_chat_example_posts_the_win(crm: Any, hermetic: Path, user: Path) -> None:
    settings(hermetic, block("toml", "curl"))
    won_deal(crm)
    [args] = calls(user, "curl")
    assert args[-1] == "https://chat.example.com/hooks/your-webhook-key"
    body = args[args.index("-d") + 1]
    assert json.loads(body) == {"text": "Won: Acme website, 5000.00 USD"}


@pytest.mark.parametrize("calendar", ["khal", "xdg-open"])
def test_the_calendar_example_gives_each_follow_up_due_to_the_calendar(
    crm: Any, hermetic: Path, user: Path, calendar: str
) -> None:
    script = user / ".config" / "tinycrm" / "hooks" / "calendar.py"
    script.parent.mkdir(parents=True)
    script.write_text(block("python", "follow_up_due hook"))
    settings(hermetic, block("toml", "calendar.py"))
    if calendar == "xdg-open":
        (user / "stubs" / "khal").unlink()
    assert crm("add", "contact", "Jane Doe").exit_code == 0
    assert (
        crm("follow-up", "jane", "call back; then, mail", "--due", "2026-11-23 09:00").exit_code
        == 0
    )
    assert crm("follow-up", "jane", "send contract", "--due", "2026-11-23").exit_code == 0
    result = crm("remind")
    assert (result.exit_code, result.stderr) == (0, ""), result.output
    opened = calls(user, calendar)
    assert len(opened) == 2
    if calendar == "khal":
        assert all(args[:2] == ["import", "--batch"] for args in opened)
    written = sorted((user / ".local/share/tinycrm-calendar").iterdir())
    assert sorted(args[-1] for args in opened) == [str(path) for path in written]
    events = [path.read_bytes().decode().split("\r\n") for path in written]
    timed = next(e for e in events if "DTSTART:20261123T090000Z" in e)
    assert "DTEND:20261123T093000Z" in timed
    assert "SUMMARY:call back\\; then\\, mail (Jane Doe)" in timed
    all_day = next(e for e in events if e is not timed)
    assert "DTSTART;VALUE=DATE:20261123" in all_day and "DTEND;VALUE=DATE:20261124" in all_day
    assert "SUMMARY:send contract (Jane Doe)" in all_day
