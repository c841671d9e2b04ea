"""config.toml holds a password: it is private, written atomically, and secrets are never
echoed unless asked for."""

from __future__ import annotations

import json
import os
import stat
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tinycrm.config import checks, files

SECRET = "hunter2-Sekret"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_config_file_and_its_folder_are_private(
    crm: Any, hermetic: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = os.umask(0o022)
    try:
        assert crm("config", "set", "reminders.smtp_password", SECRET).exit_code == 0
    finally:
        os.umask(old)
    assert _mode(hermetic / "config.toml") == 0o600
    assert _mode(hermetic) == 0o700
    assert [p.name for p in hermetic.iterdir()] == ["config.toml"]  # no temporary left


def test_a_mode_the_user_chose_is_kept(crm: Any, hermetic: Path) -> None:
    assert crm("config", "set", "general.week_start", "sun").exit_code == 0
    path = hermetic / "config.toml"
    for chosen in (0o400 | 0o200, 0o640):
        path.chmod(chosen)
        assert crm("config", "set", "reminders.smtp_user", "me").exit_code == 0
        assert _mode(path) == chosen
        assert crm("config", "unset", "reminders.smtp_user").exit_code == 0
        assert _mode(path) == chosen


def test_a_secret_in_a_file_others_can_read_is_warned_about(crm: Any, hermetic: Path) -> None:
    assert crm("config", "set", "general.week_start", "sun").exit_code == 0
    (hermetic / "config.toml").chmod(0o644)
    r = crm("config", "set", "reminders.smtp_password", SECRET)
    assert r.exit_code == 0
    assert r.stderr.startswith("warning: ")
    assert "chmod 600" in r.stderr
    assert SECRET not in r.output


def test_a_failed_write_leaves_the_old_file_whole(
    crm: Any, hermetic: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert crm("config", "set", "general.week_start", "sun").exit_code == 0
    before = (hermetic / "config.toml").read_bytes()

    def full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files, "_fsync", full)
    r = crm("config", "set", "general.default_currency", "EUR")
    assert r.exit_code == 1
    assert r.stderr.startswith("error: cannot write ")
    assert "No space left on device" in r.stderr
    assert (hermetic / "config.toml").read_bytes() == before
    assert [p.name for p in hermetic.iterdir()] == ["config.toml"]


def test_a_symlinked_config_file_stays_a_symlink(crm: Any, hermetic: Path, tmp_path: Path) -> None:
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    real = dotfiles / "tinycrm.toml"
    real.write_text('[general]\nweek_start = "sunday"\n')
    hermetic.mkdir()
    (hermetic / "config.toml").symlink_to(real)
    assert crm("config", "set", "general.default_currency", "EUR").exit_code == 0
    assert (hermetic / "config.toml").is_symlink()
    assert tomllib.loads(real.read_text()) == {
        "general": {"week_start": "sunday", "default_currency": "EUR"}
    }


@pytest.mark.parametrize(
    "key", ["reminders.smtp_password", "x.api_token", "x.client_secret", "x.PASSWORD"]
)
def test_which_keys_are_secrets(key: str) -> None:
    assert checks.is_secret(key)


def test_ordinary_keys_are_not_secrets() -> None:
    assert not checks.is_secret("reminders.smtp_user")
    assert not checks.is_secret("general.default_currency")


def test_secrets_are_never_echoed(crm: Any, hermetic: Path) -> None:
    r = crm("config", "set", "reminders.smtp_password", SECRET)
    assert (r.exit_code, r.stdout) == (0, "reminders.smtp_password = ***\n")
    assert tomllib.loads((hermetic / "config.toml").read_text()) == {
        "reminders": {"smtp_password": SECRET}
    }
    outputs = [
        crm("config", "get", "reminders.smtp_password"),
        crm("config", "get", "reminders.smtp_password", "--json"),
        crm("config", "list"),
        crm("config", "list", "--json"),
    ]
    for r in outputs:
        assert r.exit_code == 0
        assert SECRET not in r.output
    assert outputs[0].stdout == "***\n"
    assert json.loads(outputs[1].stdout) == "***"
    rows = {row["key"]: row for row in json.loads(outputs[3].stdout)}
    assert rows["reminders.smtp_password"]["value"] == "***"
    assert rows["reminders.smtp_password"]["set"] is True
    assert "***" in outputs[2].stdout


def test_an_unset_secret_shows_as_unset(crm: Any) -> None:
    assert crm("config", "get", "reminders.smtp_password").stdout == "\n"
    rows = {row["key"]: row for row in json.loads(crm("config", "list", "--json").stdout)}
    assert rows["reminders.smtp_password"]["value"] is None


def test_reveal_shows_a_secret_when_asked(crm: Any) -> None:
    crm("config", "set", "reminders.smtp_password", SECRET)
    assert crm("config", "get", "reminders.smtp_password", "--reveal").stdout == f"{SECRET}\n"
    r = crm("config", "get", "reminders.smtp_password", "--reveal", "--json")
    assert json.loads(r.stdout) == SECRET
    rows = json.loads(crm("config", "list", "--json", "--reveal").stdout)
    assert {r["key"]: r["value"] for r in rows}["reminders.smtp_password"] == SECRET


def test_a_secret_can_be_given_on_standard_input(crm: Any, hermetic: Path) -> None:
    r = crm("config", "set", "reminders.smtp_password", stdin=f"{SECRET}\n")
    assert (r.exit_code, r.stdout) == (0, "reminders.smtp_password = ***\n")
    assert SECRET not in r.output
    data = tomllib.loads((hermetic / "config.toml").read_text())
    assert data == {"reminders": {"smtp_password": SECRET}}


def test_a_value_is_still_required_for_other_keys(crm: Any) -> None:
    r = crm("config", "set", "general.week_start", stdin="sun\n")
    assert r.exit_code == 2
    assert "VALUE" in r.stderr or "value" in r.stderr
