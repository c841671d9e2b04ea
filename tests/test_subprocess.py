"""The real `crm` program, as a shell runs it."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.helpers import crm_program


@pytest.mark.slow
def test_real_process_add_move_show_undo(tmp_path: Path) -> None:
    env = {**os.environ, "TINYCRM_DB": str(tmp_path / "real.db")}
    env.pop("TINYCRM_NOW", None)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [crm_program(), *args], env=env, capture_output=True, text=True, timeout=60
        )

    cid = run("add", "contact", "Jane Doe", "--email", "jane@acme.com", "-q")
    assert (cid.returncode, cid.stdout) == (0, "1\n"), cid.stderr
    assert (
        run(
            "add", "deal", "Acme website", "--contact", cid.stdout.strip(), "--value", "5k"
        ).returncode
        == 0
    )
    assert run("move", "acme web", "pres").returncode == 0
    shown = json.loads(run("show", "acme website", "--json").stdout)
    assert shown["stage"] == "Presenting"
    bad = run("move", "acme web", "nowhere")
    assert bad.returncode == 1
    assert bad.stderr.startswith("error: no stage called 'nowhere'")
    assert "Traceback" not in bad.stderr
    assert run("undo").returncode == 0
    assert json.loads(run("show", "acme website", "--json").stdout)["stage"] == "Prospecting"
