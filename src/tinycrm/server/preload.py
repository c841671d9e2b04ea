"""What the command server does once, before it serves: import every module a command uses,
build the command tree, and run a few commands on a throwaway database so that SQLAlchemy has
compiled, and rich loaded, what the first real command needs."""

from __future__ import annotations

import contextlib
import io
import os
import sys
import time

IDLE_SECONDS = 300.0


def log(text: str) -> None:
    """Write one line to the server's log (its stderr)."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    sys.stderr.write(f"{stamp} [{os.getpid()}] {text}\n")
    sys.stderr.flush()


def preload() -> None:
    """Import what commands use and build the whole command tree, once."""
    import importlib
    import pkgutil

    import tinycrm
    from tinycrm import cli

    for info in pkgutil.walk_packages(tinycrm.__path__, "tinycrm."):
        if info.name.startswith(("tinycrm.tui", "tinycrm.server", "tinycrm.__main__")):
            continue  # the board runs in the terminal's own process
        importlib.import_module(info.name)
    for name in (
        "sqlalchemy.dialects.sqlite.pysqlite",
        "sqlalchemy.orm",
        "rich.console",
        "rich.table",
        "rich.text",
        "rich.markup",
        "rich.progress",
        "dateutil.parser",
        "dateutil.relativedelta",
        "dateutil.rrule",
        "zoneinfo",
        "platformdirs",
        "csv",
        "sqlite3",
        "uuid",
        "tempfile",
        "subprocess",
        "shlex",
    ):
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    from sqlalchemy.orm import configure_mappers

    configure_mappers()
    cli.prepare()
    warm_up()


# Commands run once on a throwaway database before serving: SQLAlchemy compiles and caches
# what a statement needs the first time it runs (in a cold process that is most of a small
# command's time), and rich loads its tables on first use. None of them has an effect
# outside that database (no reminders, no editor, no crontab).
WARM_UP = (
    ("add", "contact", "Warm Up", "--email", "warm@up.invalid", "--phone", "+1 555 0100"),
    ("add", "company", "Warm Co"),
    ("add", "deal", "Warm deal", "--contact", "warm up", "--value", "1000"),
    ("move", "warm deal", "qualifying"),
    ("move", "warm deal", "won"),
    ("log", "warm up", "call", "A first call"),
    ("follow-up", "warm up", "Call back", "--due", "tomorrow"),
    ("edit", "warm up", "--title", "Buyer"),
    ("tag", "warm up", "hot"),
    ("add", "contact", "Warm Two"),
    ("list", "contacts"),
    ("list", "contacts", "-n", "20"),
    ("list", "deals"),
    ("list", "deals", "-n", "20"),
    ("list", "deals", "--status", "open"),
    ("list", "companies"),
    ("show", "warm up"),
    ("show", "#1"),
    ("show", "warm deal"),
    ("show", "warm co"),
    ("search", "first"),
    ("agenda",),
    ("report", "pipeline"),
    ("pipeline", "show"),
    ("history",),
    ("timeline", "warm up"),
    ("undo",),
    ("redo",),
    ("--help",),
    ("add", "--help"),
)


def warm_up() -> None:
    """Run WARM_UP in this process on a database in a temporary folder, then close it and
    remove the folder, leaving the process as idle as before (no connection, no thread)."""
    import gc
    import tempfile
    import threading

    from tinycrm import cli
    from tinycrm.cli import state

    saved_env = dict(os.environ)
    saved_streams = (sys.stdin, sys.stdout, sys.stderr)
    saved_argv = sys.argv
    with tempfile.TemporaryDirectory(prefix="tinycrm-warm-") as folder:
        os.environ.pop("TINYCRM_DB", None)
        os.environ.pop("TINYCRM_NOW", None)
        os.environ["TINYCRM_HOME"] = folder
        os.environ["TINYCRM_SERVER"] = "off"
        try:
            for args in WARM_UP:
                sys.stdin = io.StringIO("")
                sys.stdout = sys.stderr = io.StringIO()
                sys.argv = ["crm", *args]
                with contextlib.suppress(SystemExit):
                    cli.main()
        finally:
            sys.stdin, sys.stdout, sys.stderr = saved_streams
            sys.argv = saved_argv
            state.configure(None)  # closes the database
            os.environ.clear()
            os.environ.update(saved_env)
    gc.collect()
    if threading.active_count() != 1:
        raise RuntimeError("a thread outlived the warm-up; the server cannot fork safely")
    # What is loaded now lives as long as the server: keep the collector away from it, so
    # a child's collections neither walk it nor copy its pages.
    gc.freeze()


def idle_seconds() -> float:
    """The quiet time after which the server exits: TINYCRM_SERVER_IDLE (seconds), else the
    `server.idle_minutes` setting, else five minutes."""
    text = os.environ.get("TINYCRM_SERVER_IDLE")
    if text:
        with contextlib.suppress(ValueError):
            return max(float(text), 0.1)
    try:
        from tinycrm import config

        minutes = config.load().server.idle_minutes
    except Exception:  # a broken config.toml is the command's to report, not the server's
        return IDLE_SECONDS
    return float(minutes) * 60
