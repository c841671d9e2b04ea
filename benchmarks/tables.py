"""The benchmark's figures as aligned tables (Markdown, ready to paste into docs/performance.md)."""

from __future__ import annotations

from typing import Any

PYTHON = "python -c pass"
TYPER = "bare Typer app --help"


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        padded = [
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "| " + " | ".join(padded) + " |"

    rule = (
        "|"
        + "|".join("-" * (w + 1) + ":" if i else "-" * (w + 2) for i, w in enumerate(widths))
        + "|"
    )
    return "\n".join([line(header), rule, *(line(r) for r in rows)])  # fmt: skip


def _ms(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.2f}" if value < 10 else f"{value:.0f}"


def _x(value: float | None, base: float | None) -> str:
    if value is None or not base:
        return ""
    return f"{value / base:.1f}x"


def _floor(scale: dict[str, Any], name: str) -> float | None:
    return next((f["median_ms"] for f in scale.get("floors", []) if f["name"] == name), None)


def _na(row: dict[str, Any]) -> str:
    error = str(row["error"])
    return f"n/a ({error[:70]}…)" if len(error) > 70 else f"n/a ({error})"


def floors_table(results: dict[str, Any]) -> str:
    """The floors, measured in the same run, per scale."""
    scales = list(results["scales"])
    names: list[str] = []
    for data in results["scales"].values():
        names += [f["name"] for f in data.get("floors", []) if f["name"] not in names]
    rows = [[n, *(_ms(_floor(results["scales"][s], n)) for s in scales)] for n in names]
    return _table(["floor (whole process)", *(f"{s} ms" for s in scales)], rows)


def cli_table(results: dict[str, Any]) -> str:
    """Whole-process commands: median ms and the ratio to the floors, per scale."""
    scales = list(results["scales"])
    order: list[str] = []
    for data in results["scales"].values():
        order += [c["name"] for c in data.get("cli", []) if c["name"] not in order]
    header = ["command"]
    for s in scales:
        header += [f"{s} ms", "x python", "x Typer"]
    rows = []
    for name in order:
        row = [name]
        for s in scales:
            data = results["scales"][s]
            case = next((c for c in data.get("cli", []) if c["name"] == name), None)
            if case is None:
                row += ["", "", ""]
            elif case["error"]:
                row += [_na(case), "", ""]
            else:
                med = case["median_ms"]
                paired = case.get("paired_floors_ms") or {}
                python = paired.get(PYTHON) or _floor(data, PYTHON)
                typer = paired.get(TYPER) or _floor(data, TYPER)
                row += [_ms(med), _x(med, python), _x(med, typer)]
        rows.append(row)
    return _table(header, rows)


def inprocess_table(results: dict[str, Any]) -> str:
    """Services on an open database beside the same SQL in plain sqlite3, per scale."""
    scales = list(results["scales"])
    order: list[str] = []
    for data in results["scales"].values():
        order += [c["name"] for c in data.get("inprocess", []) if c["name"] not in order]
    header = ["service (in-process)"]
    for s in scales:
        header += [f"{s} ms", "sqlite3 ms", "ratio"]
    rows = []
    for name in order:
        row = [name]
        for s in scales:
            found = results["scales"][s].get("inprocess", [])
            case = next((c for c in found if c["name"] == name), None)
            if case is None:
                row += ["", "", ""]
            elif case["error"]:
                row += [_na(case), "", ""]
            else:
                ratio = case.get("ratio")
                row += [
                    _ms(case["median_ms"]),
                    _ms(case["floor_median_ms"]) if case["floor_median_ms"] is not None else "",
                    f"{ratio:.1f}x" if ratio is not None else "",
                ]
        rows.append(row)
    return _table(header, rows)


def startup_table(results: dict[str, Any]) -> str:
    """Where a short command's time goes, per scale."""
    rows = []
    for s, data in results["scales"].items():
        for r in data.get("startup", []):
            if r.get("error"):
                rows.append([f"{r['command']} ({s})", _na(r), "", "", "", "", ""])
                continue

            def ms(key: str, row: dict[str, Any] = r) -> str:
                value = row.get(key)
                return _ms(value * 1000) if value is not None else "n/a"

            rows.append(
                [f"{r['command']} ({s})", ms("total_s"), ms("interpreter_s"), ms("app_imports_s"),
                 ms("orm_imports_s"), ms("open_db_s"), ms("work_s")]
            )  # fmt: skip
    if not rows:
        return ""
    header = ["command (fastest run)", "total ms", "interpreter", "Typer + app",
              "ORM + core imports", "open db", "work (the rest)"]  # fmt: skip
    return _table(header, rows)


def packages_table(results: dict[str, Any]) -> str:
    """Import time by top-level package (python -X importtime self times, summed)."""
    for data in results["scales"].values():
        for r in data.get("startup", []):
            if r.get("importtime_by_package_s"):
                rows = [
                    [name, _ms(sec * 1000)] for name, sec in r["importtime_by_package_s"].items()
                ]
                rows.append(["total under -X importtime", _ms(r["importtime_total_s"] * 1000)])
                return f"Imports of `{r['command']}` by package:\n\n" + _table(
                    ["package", "ms"], rows
                )
    return ""


def imports_table(results: dict[str, Any]) -> str:
    """Whole-process `python -c "import X"` times."""
    for data in results["scales"].values():
        if data.get("imports"):
            rows = [[name, _ms(ms)] for name, ms in data["imports"].items()]
            return _table(["what importing adds to python -c pass", "ms"], rows)
    return ""


SQLITE = "python -c 'import sqlite3'"


def server_table(results: dict[str, Any], scale: str) -> str:
    """Commands through the command server (warm) and without one (cold; first after none),
    against `python -c "import sqlite3"` run beside them; the warm time split into the
    server's child and the client with its hand-over; the target and whether it is met."""
    rows = []
    for case in results["scales"][scale].get("server", []):
        if case.get("error"):
            rows.append([case["name"], _na(case), *[""] * 9])
            continue
        sqlite = (case.get("paired_floors_ms") or {}).get(SQLITE)
        target = case.get("target_ms")
        met = case.get("met")
        queries = case.get("queries_ms")
        rows.append(
            [
                case["name"],
                _ms(case["warm_ms"]),
                _x(case["warm_ms"], sqlite),
                _ms(case["cold_ms"]),
                _x(case["cold_ms"], sqlite),
                _ms(case["first_ms"]) if case.get("first_ms") is not None else "",
                _x(case.get("first_ms"), sqlite),
                _ms(case["child_ms"]),
                _ms(case["client_ms"]),
                (f"{_ms(target)} (+{_ms(queries)})" if queries is not None else _ms(target))
                if target is not None
                else "",
                "" if met is None else "yes" if met else "no",
            ]
        )
    if not rows:
        return ""
    header = ["command", "warm ms", "x sqlite3", "cold ms", "x sqlite3", "first ms",
              "x sqlite3", "child ms", "client ms", "target ms", "met"]  # fmt: skip
    return _table(header, rows)


def server_floors(results: dict[str, Any], scale: str) -> str:
    """The medians of the floors run beside the server part's cases."""
    found: dict[str, list[float]] = {}
    for case in results["scales"][scale].get("server", []):
        for name, ms in (case.get("paired_floors_ms") or {}).items():
            found.setdefault(name, []).append(ms)
    if not found:
        return ""
    import statistics

    parts = [f"{name} {_ms(statistics.median(v))} ms" for name, v in found.items()]
    return "Floors beside them (median over the cases): " + ", ".join(parts) + "."


def render(results: dict[str, Any], markdown: bool = False) -> str:
    """Render every table; with `markdown`, add the machine and headings for the docs."""
    parts = []
    if markdown:
        m = results["machine"]
        parts.append(
            f"Measured {m['date']} on {m['cpus']} x {m['cpu']}, {m['ram_gib']} GiB RAM, "
            f"{m['system']}, Python {m['python']}, SQLite {m['sqlite']}; "
            f"median of {results['runs']} runs after a warm-up run.\n\n"
            f"Reproduce: `{results['command']}`"
        )
    sections = [
        ("Floors", floors_table(results)),
        ("Whole process", cli_table(results)),
        ("In-process services", inprocess_table(results)),
        ("Start-up breakdown", startup_table(results)),
        ("", imports_table(results)),
        ("", packages_table(results)),
    ]
    for scale in results["scales"]:
        table = server_table(results, scale)
        if table:
            note = server_floors(results, scale)
            sections.append((f"Command server, `{scale}`", table + (f"\n\n{note}" if note else "")))
    for title, table in sections:
        if table.strip() and table.count("\n|") >= 2:  # a header, its rule and a row
            parts.append((f"### {title}\n\n" if markdown and title else "") + table)
    return "\n\n".join(parts)
