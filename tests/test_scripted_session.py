"""A whole working session driven as a script would: real `crm` processes, JSON only."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import crm_program


class Shell:
    """Runs `crm` as a subprocess against one database."""

    def __init__(self, db: Path) -> None:
        self.env = {**os.environ, "TINYCRM_DB": str(db), "TINYCRM_NOW": "2026-11-23T10:00:00Z"}

    def run(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [crm_program(), *args], env=self.env, capture_output=True, text=True, timeout=120
        )
        if ok:
            assert done.returncode == 0, (args, done.stderr)
        return done

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "--json").stdout)

    def quiet(self, *args: str) -> str:
        return self.run(*args, "-q").stdout.strip()


@pytest.mark.slow
def test_a_scripted_session_reading_json_only(tmp_path: Path) -> None:
    sh = Shell(tmp_path / "crm.db")

    # create
    jane = sh.quiet("add", "contact", "Jane Doe", "--email", "jane@acme.com", "--company", "Acme")
    dupe = sh.quiet("add", "contact", "Jane D.", "--email", "jdoe@home.net", "--phone", "555 0100")
    deal = sh.json("add", "deal", "Acme website", "--contact", jane, "--value", "5k")
    assert (deal["stage"], deal["value"], deal["currency"]) == ("Prospecting", "5000.00", "USD")

    # edit, tag, log
    edited = sh.json("edit", jane, "--kind", "contact", "--title", "CTO", "--set", "budget=20k")
    assert (edited["title"], edited["custom"]) == ("CTO", {"budget": "20k"})
    tagged = sh.json("tag", jane, "--kind", "contact", "+vip", "+warm")
    assert tagged["tags"] == ["vip", "warm"]
    logged = sh.json("log", jane, "call", "talked about the quarterly roadmap")
    assert logged["type"] == "call"

    # search finds the interaction and the contact
    hits = sh.json("search", "roadmap")
    assert [(h["kind"], h["id"]) for h in hits] == [("interaction", logged["id"])]
    assert any(h["kind"] == "contact" for h in sh.json("search", "jane"))

    # merge the duplicate into Jane: both emails and the phone stay
    sh.run("merge", jane, dupe, "--kind", "contact", "--yes")
    merged = sh.json("show", jane, "--kind", "contact")
    assert sorted(e["email"] for e in merged["emails"]) == ["jane@acme.com", "jdoe@home.net"]
    assert [p["phone"] for p in merged["phones"]] == ["555 0100"]
    assert [c["id"] for c in sh.json("list", "contacts")] == [int(jane)]

    # delete to the trash and restore
    sh.run("delete", str(deal["id"]), "--kind", "deal", "--yes")
    assert sh.json("list", "deals") == []
    assert [t["id"] for t in sh.json("trash") if t["kind"] == "deal"] == [deal["id"]]
    sh.run("restore", str(deal["id"]), "--kind", "deal")
    assert [d["id"] for d in sh.json("list", "deals")] == [deal["id"]]

    # pipeline changes, then a move into the new stage
    sh.run("pipeline", "add-stage", "Negotiating", "--after", "Presenting", "--probability", "60")
    sh.run("pipeline", "rename-stage", "Qualifying", "Discovery")
    stages = [s["name"] for s in sh.json("pipeline")["stages"]]
    assert stages == ["Prospecting", "Discovery", "Presenting", "Negotiating", "Closing"]
    sh.run("move", str(deal["id"]), "nego")
    assert sh.json("show", str(deal["id"]), "--kind", "deal")["stage"] == "Negotiating"

    # undo twice, redo once
    sh.run("undo", "2")
    assert sh.json("show", str(deal["id"]), "--kind", "deal")["stage"] == "Prospecting"
    assert "Discovery" not in [s["name"] for s in sh.json("pipeline")["stages"]]
    sh.run("redo")
    assert "Discovery" in [s["name"] for s in sh.json("pipeline")["stages"]]

    # a mistake changes nothing and says so on one line
    bad = sh.run("move", str(deal["id"]), "nowhere", ok=False)
    assert bad.returncode == 1 and bad.stderr.startswith("error: no stage called 'nowhere'")

    # forget the person: nothing of hers is left, the deal stays without her
    sh.run("forget", jane, "--yes")
    assert sh.json("list", "contacts") == []
    assert sh.json("search", "jane") == []
    assert sh.json("show", str(deal["id"]), "--kind", "deal")["contact"] is None
    assert "jane" not in json.dumps(sh.json("history", "--limit", "100")).lower()
