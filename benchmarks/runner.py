"""`python -m benchmarks run`: time every case at each scale, beside floors measured alongside."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import generate, hooks, inprocess, process, server, startup
from benchmarks.timing import Measure, call_with, measure

STARTUP_CASES = ("crm add contact", "crm move")


def machine() -> dict[str, Any]:
    """Describe the machine the figures were measured on."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor()
    ram = None
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                ram = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu": model or platform.machine(),
        "ram_gib": ram,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "system": f"{platform.system()} {platform.release()}",
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _selected(name: str, only: list[str]) -> bool:
    return not only or any(o.lower() in name.lower() for o in only)


def run_scale(scale: str, args: argparse.Namespace, log: Any) -> dict[str, Any]:
    """Measure everything at one scale; return the figures."""
    only = [o.strip() for o in args.only.split(",") if o.strip()]
    log(f"[{scale}] preparing the database")
    path, meta = generate.cached(scale, args.seed)
    scratch = generate.results_dir() / "work" / scale
    work = generate.working_copy(path, scratch / "work.db")
    ctx = process.Context(scale, meta, work, scratch, args.runs)
    out: dict[str, Any] = {"meta": meta, "cli": [], "inprocess": [], "startup": []}

    log(f"[{scale}] floors")
    floors = {m.name: m for m in process.time_floors(args.runs)}
    out["floors"] = [m.as_json() for m in floors.values()]

    cli: dict[str, Measure] = {}
    if not args.skip_cli:
        cases = process.cli_cases(ctx)
        for module in hooks.load():
            cases += [process.CliCase(n, a) for n, a in hooks.cli_cases(module)]
        for case in cases:
            if not _selected(case.name, only):
                continue
            result = process.time_case(ctx, case)
            log(f"[{scale}] {_line(result)}")
            cli[case.name] = result
        out["cli"] = [m.as_json() for m in cli.values()]

    opened: Measure | None = None
    results: list[Measure] = []
    if not args.skip_inprocess:
        opened = inprocess.time_open(work, args.runs)
        log(f"[{scale}] {_line(opened)}")
        results = [opened]
        for service in inprocess.services(meta):
            if _selected(service.name, only):
                result = inprocess.time_service(work, service, args.runs)
                log(f"[{scale}] {_line(result)}")
                results.append(result)
        results += _hook_functions(ctx, args, only, log)
        out["inprocess"] = [{**m.as_json(), "ratio": _round(inprocess.ratio(m))} for m in results]

    if not args.skip_server:
        log(f"[{scale}] the command server")
        measured = {m.name: m for m in results} if not args.skip_inprocess else {}
        out["server"] = server.run_part(
            ctx,
            lambda name: _selected(name, only),
            lambda name: _query_ms(work, meta, name, args.runs, measured),
            log,
            with_first=not args.server_warm_only,
        )

    if not args.no_startup and not args.skip_cli:
        wanted = [c for c in process.cli_cases(ctx) if c.name in STARTUP_CASES and c.name in cli]
        if wanted:
            log(f"[{scale}] start-up breakdown")
            imports = startup.import_times(args.runs)
            out["imports"] = {k: round(v * 1000, 1) for k, v in imports.items()}
            for case in wanted:
                opened_s = opened.median if opened else None
                row = startup.breakdown(ctx, case, opened_s, args.runs)
                out["startup"].append(row)
    return out


def _query_ms(
    work: Path, meta: dict[str, Any], name: str, runs: int, measured: dict[str, Measure]
) -> float | None:
    """Return the in-process time of a service, in ms: from this run's in-process part, else
    timed now (the server part's targets add it)."""
    found = measured.get(name)
    if found is None:
        service = next((s for s in inprocess.services(meta) if s.name == name), None)
        if service is None:
            return None
        found = inprocess.time_service(work, service, runs)
    return None if found.median is None else round(found.median * 1000, 3)


def _hook_functions(
    ctx: process.Context, args: argparse.Namespace, only: list[str], log: Any
) -> list[Measure]:
    results = []
    for module in hooks.load():
        for name, fn in hooks.functions(module):
            if not _selected(name, only):
                continue
            available = {
                "db_path": ctx.work_db, "path": ctx.work_db, "scale": ctx.scale,
                "meta": ctx.meta, "now": generate.NOW, "seed": args.seed, "scratch": ctx.scratch,
            }  # fmt: skip

            def once(i: int, fn: Any = fn, available: dict[str, Any] = available) -> Any:
                return call_with(fn, {**available, "run": i})

            result = measure(name, "inprocess", args.runs, once)
            log(f"[{ctx.scale}] {_line(result)}")
            results.append(result)
    return results


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _line(m: Measure) -> str:
    if m.error:
        return f"{m.name}: n/a ({m.error})"
    extra = f" (floor {m.floor_median * 1000:.2f} ms)" if m.floor_median is not None else ""
    return f"{m.name}: {m.median * 1000:.1f} ms{extra}" if m.median is not None else m.name


def main(args: argparse.Namespace) -> int:
    """Run the benchmark and print (and optionally save) the figures."""

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    results: dict[str, Any] = {
        "machine": machine(),
        "runs": args.runs,
        "seed": args.seed,
        "command": "python -m benchmarks run " + " ".join(sys.argv[2:]),
        "scales": {},
    }
    process.compile_code()
    for scale in args.scale:
        results["scales"][scale] = run_scale(scale, args, log)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    from benchmarks import tables

    print(tables.render(results, markdown=args.markdown))
    return 0
