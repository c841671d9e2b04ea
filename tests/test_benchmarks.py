"""The benchmark suite at tiny scale: it generates realistic data and reports figures."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from benchmarks import generate, plans, startup


@pytest.fixture
def bench_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep generated databases and scratch copies of this test in its temp folder."""
    folder = tmp_path / "bench"
    monkeypatch.setenv("TINYCRM_BENCH_DIR", str(folder))
    return folder


def rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_generation_is_deterministic_and_sized_by_scale(tmp_path: Path) -> None:
    first = generate.generate("tiny", tmp_path / "a.db", seed=7)
    again = generate.generate("tiny", tmp_path / "b.db", seed=7)
    other = generate.generate("tiny", tmp_path / "c.db", seed=8)
    query = "SELECT uuid, name FROM contact ORDER BY id"
    assert rows(tmp_path / "a.db", query) == rows(tmp_path / "b.db", query)
    assert rows(tmp_path / "a.db", query) != rows(tmp_path / "c.db", query)
    tiny = generate.SCALES["tiny"]
    assert first["counts"]["contact"] == tiny.contacts
    assert first["counts"]["deal"] == tiny.open_deals + tiny.closed_deals
    assert first["counts"]["interaction"] == tiny.interactions
    assert first["due_follow_ups"] >= tiny.due_follow_ups
    assert first == {**again, "seconds": first["seconds"]}
    assert other["counts"]["contact"] == first["counts"]["contact"]


def test_generated_rows_are_what_tinycrm_writes(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    generate.generate("tiny", path)
    from tinycrm.core import listing, open_db

    db = open_db(path)
    with db.snapshot() as session:
        deals = listing.list_deals(session, listing.ListFilter(), listing.Page(limit=5))
        contacts = listing.list_contacts(session, listing.ListFilter(), listing.Page())
    db.dispose()
    assert deals[0]["title"] == generate.PLANTED_DEAL
    assert (deals[0]["created_at"] or "").endswith("Z")
    assert len(contacts) == generate.SCALES["tiny"].contacts
    stamp = rows(path, "SELECT occurred_at FROM interaction LIMIT 1")[0][0]
    assert len(stamp) == len("2026-11-23 10:00:00.000000")
    statuses = {r[0] for r in rows(path, "SELECT DISTINCT status FROM follow_up")}
    assert statuses == {"open", "done", "cancelled"}
    summaries = [r[0] for r in rows(path, "SELECT summary FROM interaction")]
    assert 150 <= sorted(len(s) for s in summaries)[len(summaries) // 2] <= 210


def test_bulk_search_index_equals_the_one_triggers_build(tmp_path: Path) -> None:
    generate.generate("tiny", tmp_path / "bulk.db", fts="bulk")
    generate.generate("tiny", tmp_path / "trig.db", fts="triggers")
    query = "SELECT rowid, kind, record_id, title, body FROM search_index ORDER BY rowid"
    assert rows(tmp_path / "bulk.db", query) == rows(tmp_path / "trig.db", query)
    triggers = "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
    assert rows(tmp_path / "bulk.db", triggers) == rows(tmp_path / "trig.db", triggers)
    hits = rows(
        tmp_path / "bulk.db",
        f"SELECT count(*) FROM search_index WHERE search_index MATCH '{generate.RARE_WORD}'",
    )
    assert hits[0][0] >= 1


def test_runner_reports_figures_and_failed_commands(bench_dir: Path, tmp_path: Path) -> None:
    from benchmarks.__main__ import main

    out = tmp_path / "results.json"
    only = "crm --help,crm list deals -n 20,crm search (rare,list deals,agenda,open_db"
    argv = ["run", "--scale", "tiny", "--runs", "1", "--only", only, "--out", str(out)]
    assert main([*argv, "--no-startup", "--skip-server"]) == 0
    results = json.loads(out.read_text(encoding="utf-8"))
    tiny = results["scales"]["tiny"]
    assert {f["name"] for f in tiny["floors"]} == set(
        ["python -c pass", "python -c 'import sqlite3'", "bare Typer app --help"]
    )
    assert all(f["median_ms"] > 0 for f in tiny["floors"])
    cli = {c["name"]: c for c in tiny["cli"]}
    assert cli["crm --help"]["median_ms"] > 0
    assert cli["crm list deals -n 20"]["median_ms"] > 0
    search = next(c for name, c in cli.items() if name.startswith("crm search (rare"))
    assert search["median_ms"] is not None or search["error"].startswith("command failed")
    services = {c["name"]: c for c in tiny["inprocess"]}
    assert services["list deals, first page"]["median_ms"] > 0
    assert services["list deals, first page"]["floor_median_ms"] > 0
    assert services["agenda"]["ratio"] > 0
    assert services["open_db"]["median_ms"] > 0


def test_markdown_table_shows_each_case(bench_dir: Path, capsys: pytest.CaptureFixture[str]):
    from benchmarks.__main__ import main

    argv = ["run", "--scale", "tiny", "--runs", "1", "--only", "crm --help,crm nothing"]
    assert main([*argv, "--markdown", "--skip-inprocess", "--skip-server"]) == 0
    text = capsys.readouterr().out
    assert "Reproduce: `python -m benchmarks run" in text
    help_row = next(line for line in text.splitlines() if line.startswith("| crm --help"))
    assert any(ch.isdigit() for ch in help_row.split("|")[2])


def test_importtime_is_summed_by_package() -> None:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import json, email.message"],
        capture_output=True,
        text=True,
        check=True,
    )
    packages = startup.by_package(done.stderr)
    assert packages["json"] > 0
    assert packages["email"] > 0
    assert "email.message" not in packages


def test_list_pages_and_the_agenda_read_only_what_they_need(tmp_path: Path) -> None:
    # Without ANALYZE statistics SQLite plans the same at any size, so tiny shows large's plans.
    path = tmp_path / "p.db"
    generate.generate("tiny", path)
    found = plans.plans_of(
        path,
        ("list deals, first page", "list open deals by value, first page",
         "list contacts, first page", "agenda"),
    )  # fmt: skip
    assert all(found.values())
    assert plans.findings(found) == []
    due, snoozed = ([d for _i, _p, d in statement["plan"]] for statement in found["agenda"])
    assert any("ix_follow_up_open_due" in d for d in due), due
    assert any("ix_follow_up_open_snoozed" in d for d in snoozed), snoozed


def test_a_filtered_walk_of_a_whole_table_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    generate.generate("tiny", path)
    found = plans.plans_of(path, ("show contact (by name)",))
    assert any("reads all of table contact" in f for f in plans.findings(found))


def test_hook_modules_are_read_by_name() -> None:
    import types

    from benchmarks import hooks
    from benchmarks.timing import call_with

    seen: dict[str, Any] = {}

    def bench_pipeline_report(db_path: Path, run: int, extra: int = 3) -> list[int]:
        seen.update(db_path=db_path, run=run, extra=extra)
        return [run]

    module = types.ModuleType("benchmarks.reports")
    module.bench_pipeline_report = bench_pipeline_report  # type: ignore[attr-defined]
    module.CLI_CASES = [("crm report pipeline", ["report", "pipeline"])]  # type: ignore[attr-defined]
    found = hooks.functions(module)
    assert [name for name, _fn in found] == ["reports: pipeline report"]
    assert hooks.cli_cases(module) == [("crm report pipeline", ["report", "pipeline"])]
    assert call_with(found[0][1], {"db_path": Path("x.db"), "run": 2, "scale": "tiny"}) == [2]
    assert seen == {"db_path": Path("x.db"), "run": 2, "extra": 3}
    with pytest.raises(TypeError, match="needs 'run'"):
        call_with(bench_pipeline_report, {"db_path": Path("x.db")})


def test_the_board_cases_report_a_figure_each_on_a_tiny_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from benchmarks import board, hooks
    from benchmarks.timing import call_with, measure

    path = tmp_path / "board.db"
    generate.generate("tiny", path)
    state = (
        "SELECT d.id, d.stage_id, f.id, f.status FROM deal d"
        " LEFT JOIN follow_up f ON f.deal_id = d.id ORDER BY d.id, f.id"
    )
    before = rows(path, state)
    monkeypatch.setattr(board, "IDLE_SECONDS", 0.3)
    monkeypatch.setattr(board, "CURSOR_KEYS", 4)
    cases = dict(hooks.functions(board))
    assert set(cases) == {
        "board: agenda done",
        "board: agenda open",
        "board: cursor key p95",
        "board: filter key",
        "board: first paint",
        "board: idle cpu ms per s",
        "board: sort key",
        "board: stage move",
    }
    for name, fn in cases.items():

        def once(i: int, fn: Any = fn) -> Any:
            return call_with(fn, {"db_path": path, "run": i})

        result = measure(name, "inprocess", 1, once, warmup=False)
        assert result.error is None, (name, result.error)
        assert result.median is not None and 0 <= result.median < 30, (name, result.median)
    # one pass of the board served every case, and undid what it changed
    assert list(board._PASSES) == [(str(path), 1)]
    assert rows(path, state) == before


def test_a_sub_millisecond_read_is_timed_in_batches_beside_its_floor(tmp_path: Path) -> None:
    from benchmarks import inprocess

    path = tmp_path / "s.db"
    meta = generate.generate("tiny", path)
    service = next(s for s in inprocess.services(meta) if s.name.startswith("search (rare"))
    result = inprocess.time_service(path, service, runs=2)
    assert result.error is None
    assert len(result.times) == 2 and len(result.floor_times) == 2
    assert result.floor is not None and result.floor.startswith("the same SQL in plain sqlite3")
    assert inprocess._batch(lambda: None) == 1000
    assert inprocess._batch(lambda: time.sleep(0.02)) == 1


def _servers_under(folders: list[Path]) -> list[int]:
    """Pids of command servers whose runtime folder is one of `folders` (Linux's /proc)."""
    wanted = {f"XDG_RUNTIME_DIR={f}".encode() for f in folders}
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            environ = set((entry / "environ").read_bytes().split(b"\0"))
        except OSError:
            continue
        if b"tinycrm.server" in cmdline and wanted & environ:
            found.append(int(entry.name))
    return found


@pytest.fixture
def runtime_folders(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Record every private runtime folder the benchmark's server part makes."""
    from benchmarks import server

    made: list[Path] = []
    original = server.private_runtime

    def recorded() -> Path:
        made.append(original())
        return made[-1]

    monkeypatch.setattr(server, "private_runtime", recorded)
    return made


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads /proc")
def test_server_part_times_commands_through_a_server_it_stops(
    bench_dir: Path, tmp_path: Path, runtime_folders: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    from benchmarks.__main__ import main

    out = tmp_path / "results.json"
    argv = ["run", "--scale", "tiny", "--runs", "1", "--only", "crm --version,crm agenda"]
    flags = ["--skip-cli", "--skip-inprocess", "--no-startup", "--markdown", "--out", str(out)]
    assert main([*argv, *flags]) == 0
    served = {c["name"]: c for c in json.loads(out.read_text())["scales"]["tiny"]["server"]}
    assert set(served) == {"crm --version (client + hand-over)", "crm agenda"}
    for case in served.values():
        assert case["error"] is None
        assert case["served"] == 2  # the warm-up and the counted run went through the server
        assert case["warm_ms"] > case["child_ms"] > 0
        assert case["client_ms"] > 0 and case["cold_ms"] > 0
        assert case["paired_floors_ms"]["python -c 'import sqlite3'"] > 0
    agenda = served["crm agenda"]
    assert agenda["first_ms"] > 0  # timed as the first command after no server, too
    assert agenda["queries"] == "agenda" and agenda["queries_ms"] > 0
    sqlite = agenda["paired_floors_ms"]["python -c 'import sqlite3'"]
    assert agenda["target_ms"] == pytest.approx(2.5 * sqlite + agenda["queries_ms"], abs=0.01)
    text = capsys.readouterr().out
    assert "### Command server, `tiny`" in text
    row = next(line for line in text.splitlines() if line.startswith("| crm agenda"))
    assert row.split("|")[2].strip()[0].isdigit()
    # the main server and the two started by first commands: all gone, their folders too
    assert len(runtime_folders) == 3
    assert _servers_under(runtime_folders) == []
    assert not any(folder.exists() for folder in runtime_folders)


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads /proc")
def test_server_part_stops_its_server_when_a_case_fails(
    bench_dir: Path, runtime_folders: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from benchmarks import generate, process, server

    path, meta = generate.cached("tiny")
    scratch = generate.results_dir() / "work" / "tiny"
    work = generate.working_copy(path, scratch / "work.db")
    ctx = process.Context("tiny", meta, work, scratch, 1)
    pids: list[int] = []

    def broken(ctx: Any, case: Any, runtime: Path, with_first: bool = True) -> Any:
        found = server.status(ctx, runtime)
        assert found is not None
        pids.append(int(found["pid"]))
        raise RuntimeError("the case broke")

    monkeypatch.setattr(server, "time_case", broken)
    rows = server.run_part(ctx, lambda name: name == "crm agenda", lambda _n: None, print)
    assert rows == [{"name": "(the command server)", "error": "RuntimeError: the case broke"}]
    assert len(pids) == 1 and len(runtime_folders) == 1
    assert _servers_under(runtime_folders) == []
