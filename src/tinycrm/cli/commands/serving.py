"""`crm server start|stop|status`: the command server that makes every command start fast."""

from __future__ import annotations

import os
import time
from typing import Any

import typer

from tinycrm.cli import render
from tinycrm.cli.options import JSON
from tinycrm.errors import StorageError, TinyCrmError

app = typer.Typer(
    help="The command server: tinycrm kept loaded, so commands start fast.",
    no_args_is_help=True,
)


def _where() -> dict[str, str]:
    from tinycrm.server import wire

    where = wire.paths()
    if where is None:
        raise StorageError(
            "there is no private runtime folder for the command server",
            hint="set XDG_RUNTIME_DIR to a folder only you can enter (mode 0700)",
        )
    return where


def _shown(status: dict[str, Any]) -> dict[str, Any]:
    return {
        "running": True,
        "pid": status["pid"],
        "version": status["version"],
        "socket": status["socket"],
        "log": status["log"],
        "uptime": status["uptime"],
        "idle_exit": status["idle_exit"],
        "commands_running": status["running"],
        "commands_served": status["served"],
    }


def _mode_note() -> str | None:
    from tinycrm.server import wire

    chosen = wire.mode()
    if chosen == "off":
        return "note: the server is turned off (TINYCRM_SERVER or the server.mode setting)"
    return None


@app.command("status")
def status(as_json: bool = JSON) -> None:
    """Say whether the command server runs: its pid, version, socket, log and uptime.

    Exits 0 when it runs, 1 when it does not.
    Example: crm server status --json
    """
    from tinycrm.server import wire

    where = _where()
    found = wire.request(where, {"op": "status"})
    fresh = found is not None and found.get("hash") == wire.code_hash()
    if found is None or not fresh:
        data: dict[str, Any] = {"running": False, "socket": where["socket"], "log": where["log"]}
        if found is not None:
            data["stale_pid"] = found.get("pid")
        if as_json:
            render.print_json(data)
        elif found is not None:
            pid = found.get("pid")
            render.say(f"A server of other code runs (pid {pid}); it stops at the next command")
        else:
            render.say("The command server is not running")
        raise typer.Exit(1)
    data = _shown(found)
    if as_json:
        render.print_json(data)
        return
    render.say(
        f"The command server runs: pid {data['pid']}, tinycrm {data['version']},"
        f" up {_duration(data['uptime'])}, exits after {_duration(data['idle_exit'])} idle"
    )
    render.say(f"socket: {data['socket']}")
    render.say(f"log: {data['log']}")
    note = _mode_note()
    if note:
        render.say(note)


@app.command("start")
def start(as_json: bool = JSON) -> None:
    """Start the command server now (the first command starts it by itself, too).

    Example: crm server start
    """
    from tinycrm.server import wire

    where = _where()
    found = wire.request(where, {"op": "status"})
    if found is None or found.get("hash") != wire.code_hash():
        if found is not None:
            _stop(where, found)
        wire.spawn(where)
        found = wire.wait_until_up(where)
        if found is None:
            raise TinyCrmError(
                "the command server did not start",
                hint=f"its log may say why: {where['log']}",
            )
        line = f"Started the command server (pid {found['pid']})"
    else:
        line = f"The command server already runs (pid {found['pid']})"
    if as_json:
        render.print_json(_shown(found))
        return
    render.say(line)
    note = _mode_note()
    if note:
        render.say(note)


def _stop(where: dict[str, str], found: dict[str, Any]) -> None:
    from tinycrm.server import wire

    pid = int(found["pid"])
    wire.request(where, {"op": "stop"})
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        except PermissionError:
            return
        time.sleep(0.02)
    raise TinyCrmError(f"the command server (pid {pid}) did not stop", hint=f"kill {pid}")


@app.command("stop")
def stop() -> None:
    """Stop the command server (commands then run without it until one starts it again).

    Example: crm server stop
    """
    from tinycrm.server import wire

    where = _where()
    found = wire.request(where, {"op": "status"})
    if found is None:
        render.say("The command server is not running")
        return
    _stop(where, found)
    render.say(f"Stopped the command server (pid {found['pid']})")


def _duration(seconds: float) -> str:
    whole = int(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"
