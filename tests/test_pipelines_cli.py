"""`crm pipeline`: the stage summary, and adding, renaming, reordering and removing stages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import snapshot_of, table_rows


def _stages(crm: Any, *args: str) -> list[str]:
    r = crm("pipeline", *args, "--json")
    assert r.exit_code == 0, r.stderr
    return [s["name"] for s in json.loads(r.stdout)["stages"]]


def test_pipeline_shows_counts_and_open_values_per_stage(crm: Any) -> None:
    crm("add", "deal", "One", "--value", "5k")
    crm("add", "deal", "Two", "--value", "300", "--currency", "EUR")
    crm("add", "deal", "Three", "--value", "1k", "--stage", "closing")
    crm("add", "deal", "Lost one", "--value", "9k")
    crm("move", "lost one", "lost")
    crm("add", "deal", "Trashed", "--value", "7k")
    crm("delete", "trashed", "--yes")
    data = json.loads(crm("pipeline", "--json").stdout)
    assert data["pipeline"] == "Sales"
    assert data["default"] is True
    first, second, _, last = data["stages"]
    assert (first["name"], first["open_deals"]) == ("Prospecting", 2)
    assert first["open_value"] == {"EUR": "300.00", "USD": "5000.00"}
    assert first["open_value_minor"] == {"EUR": 30000, "USD": 500000}
    assert (second["open_deals"], second["open_value"]) == (0, {})
    assert (last["name"], last["open_deals"], last["probability"]) == ("Closing", 1, 75)
    text = crm("pipeline").stdout
    assert text.startswith("Pipeline Sales (default)\n")
    assert "€300.00, $5,000.00" in text
    assert "$9,000.00" not in text


def test_the_summary_and_the_pipeline_report_agree(crm: Any) -> None:
    crm("add", "deal", "One", "--value", "5k")
    crm("add", "deal", "Two", "--value", "300", "--currency", "EUR")
    crm("add", "deal", "Three", "--value", "1k", "--stage", "closing")
    crm("add", "deal", "Won one", "--value", "9k")
    crm("move", "won one", "won")
    shown = json.loads(crm("pipeline", "--json").stdout)["stages"]
    report = json.loads(crm("report", "pipeline", "--json").stdout)["rows"]
    for stage in shown:
        rows = [r for r in report if r["stage"] == stage["name"]]
        assert stage["open_deals"] == sum(r["deals"] for r in rows)
        assert stage["open_value_minor"] == {
            r["currency"]: r["total"]["value_minor"] for r in rows if r["currency"]
        }


def test_the_summary_is_one_query(db: Any) -> None:
    from sqlalchemy import event

    from tinycrm.core import pipelines, reports

    statements: list[str] = []
    with db.snapshot() as session:
        pipeline = pipelines.get_pipeline(session, None)
        assert pipeline.id is not None
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        reports.stage_summaries(session, pipeline.id)
    assert len(statements) == 1


def test_add_rename_move_set_and_remove_stages(crm: Any, db_path: Path) -> None:
    r = crm("pipeline", "add-stage", "Demo", "--after", "qual")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "Added stage Demo to Sales at position 3 (37%)\n"
    assert _stages(crm) == ["Prospecting", "Qualifying", "Demo", "Presenting", "Closing"]
    assert crm("pipeline", "rename-stage", "demo", "Live demo").exit_code == 0
    assert crm("pipeline", "move-stage", "live", "--before", "qual").exit_code == 0
    assert _stages(crm) == ["Prospecting", "Live demo", "Qualifying", "Presenting", "Closing"]
    assert crm("pipeline", "move-stage", "closing", "--position", "1").exit_code == 0
    assert crm("pipeline", "move-stage", "closing", "--after", "present").exit_code == 0
    r = crm("pipeline", "set-stage", "live", "--probability", "40", "--stale-days", "0")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "Live demo: probability 40%, stale after never\n"
    assert table_rows(
        db_path, "SELECT probability, stale_days FROM stage WHERE name = 'Live demo'"
    ) == [(40, None)]
    positions = table_rows(db_path, "SELECT position FROM stage ORDER BY position")
    assert positions == [(1,), (2,), (3,), (4,), (5,)]
    crm("add", "deal", "Acme website", "--stage", "live")
    r = crm("pipeline", "remove-stage", "live", "--to", "qual")
    assert r.exit_code == 0, r.stderr
    assert "(1 deal(s) moved to Qualifying)" in r.stdout
    deal = json.loads(crm("show", "acme website", "--json").stdout)
    assert deal["stage"] == "Qualifying"
    assert [h["to"] for h in deal["stage_history"]] == [None, "Qualifying"]
    assert _stages(crm) == ["Prospecting", "Qualifying", "Presenting", "Closing"]


def test_removing_a_stage_is_one_undo_step_that_restores_its_history(crm: Any) -> None:
    crm("add", "deal", "Acme website")
    crm("pipeline", "remove-stage", "prosp", "--to", "qual")
    r = crm("undo")
    assert r.exit_code == 0, r.stderr
    assert "remove stage Prospecting from Sales" in r.stdout
    deal = json.loads(crm("show", "acme website", "--json").stdout)
    assert deal["stage"] == "Prospecting"
    assert [h["to"] for h in deal["stage_history"]] == ["Prospecting"]
    assert _stages(crm) == ["Prospecting", "Qualifying", "Presenting", "Closing"]


def test_create_list_and_default_pipelines(crm: Any) -> None:
    r = crm("pipeline", "create", "Hiring", "--stages", "Sourced, Screen ,Offer")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "Created pipeline Hiring: Sourced, Screen, Offer\n"
    assert _stages(crm, "hiring") == ["Sourced", "Screen", "Offer"]
    assert crm("pipeline", "default", "hir").exit_code == 0
    rows = json.loads(crm("pipeline", "list", "--json").stdout)
    assert [(p["name"], p["default"], p["stages"]) for p in rows] == [
        ("Sales", False, 4),
        ("Hiring", True, 3),
    ]
    crm("add", "deal", "Engineer")
    assert json.loads(crm("show", "engineer", "--json").stdout)["stage"] == "Sourced"
    assert crm("pipeline", "add-stage", "Reference", "--pipeline", "sales").exit_code == 0
    assert _stages(crm, "sales")[-1] == "Reference"
    assert crm("pipeline", "create", "Partners").exit_code == 0
    assert _stages(crm, "partners") == ["Prospecting", "Qualifying", "Presenting", "Closing"]


def test_add_stage_takes_the_stale_days_from_config(crm: Any, db_path: Path) -> None:
    assert crm("config", "set", "pipeline.stale_days", "30").exit_code == 0
    crm("pipeline", "add-stage", "Contract")
    assert table_rows(db_path, "SELECT stale_days FROM stage WHERE name = 'Contract'") == [(30,)]


@pytest.mark.parametrize(
    ("args", "code", "first_line"),
    [
        (("remove-stage", "prosp"), 1, "error: Prospecting still holds 1 deal(s)"),
        (
            ("remove-stage", "prosp", "--to", "prosp"),
            1,
            "error: --to names the stage being removed",
        ),
        (("add-stage", "Won"), 1, "error: 'Won' cannot be a stage name"),
        (("add-stage", "closing"), 1, "error: the pipeline already has a stage called Closing"),
        (("add-stage", "X", "--probability", "101"), 1, "error: not a probability: 101"),
        (("add-stage", "X", "--after", "nowhere"), 1, "error: no stage called 'nowhere'"),
        (
            ("rename-stage", "qual", "PRESENTING"),
            1,
            "error: the pipeline already has a stage called Presenting",
        ),
        (
            ("move-stage", "qual"),
            2,
            "error: say where: one of --after STAGE, --before STAGE or --position N",
        ),
        (("move-stage", "qual", "--position", "9"), 1, "error: no position 9"),
        (
            ("move-stage", "qual", "--after", "qual"),
            1,
            "error: a stage cannot be placed next to itself",
        ),
        (("set-stage", "qual"), 2, "error: nothing to change"),
        (("set-stage", "qual", "--stale-days", "-3"), 1, "error: not a number of days: -3"),
        (("create", "sales"), 1, "error: there is already a pipeline called Sales"),
        (("create", "Empty", "--stages", " , "), 1, "error: a pipeline needs at least one stage"),
        (("default", "nope"), 1, "error: no pipeline called 'nope'"),
        (("nope",), 1, "error: no pipeline called 'nope'"),
        (("add-stage", "X", "--pipeline", "nope"), 1, "error: no pipeline called 'nope'"),
    ],
)
def test_bad_pipeline_changes_are_refused_and_change_nothing(
    crm: Any, db_path: Path, args: tuple[str, ...], code: int, first_line: str
) -> None:
    crm("add", "deal", "Acme website")
    before = snapshot_of(db_path)
    r = crm("pipeline", *args)
    assert r.exit_code == code, r.stdout
    assert r.stderr.splitlines()[0] == first_line
    assert "Traceback" not in r.stderr
    assert snapshot_of(db_path) == before


def test_the_only_stage_cannot_be_removed(crm: Any) -> None:
    crm("pipeline", "create", "Tiny", "--stages", "Only")
    r = crm("pipeline", "remove-stage", "only", "--pipeline", "tiny")
    assert (r.exit_code, r.stderr.splitlines()[0]) == (1, "error: Only is the only stage of Tiny")
