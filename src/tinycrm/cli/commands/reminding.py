"""`crm remind` (for cron: what is due, each reminded once) and `crm cron install|status|remove`."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

from tinycrm.cli import render, state
from tinycrm.cli.options import JSON

cron_app = typer.Typer(help="Run `crm remind` from your crontab.", no_args_is_help=True)


def _utf8_output() -> None:
    """Cron may give no locale at all: write UTF-8 whatever it says, never fail on a name."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", "") or "").lower().replace("-", "")
        reconfigure = getattr(stream, "reconfigure", None)
        if encoding != "utf8" and reconfigure is not None:
            reconfigure(encoding="utf-8", errors="replace")


def _note(message: str) -> None:
    sys.stderr.write(message + "\n")


_STOPPING = ("SIGTERM", "SIGINT", "SIGHUP")


@contextmanager
def _giving_back_on_signals() -> Iterator[None]:
    """Turn SIGTERM, SIGINT and SIGHUP into reminders.Interrupted while a run delivers, so it
    gives its claim back before it exits (a kill -9 is covered by the claim's lease)."""
    import signal

    from tinycrm.core import reminders

    signals = [getattr(signal, n) for n in _STOPPING if hasattr(signal, n)]

    def stop(signum: int, _frame: object) -> None:
        for s in signals:
            signal.signal(s, signal.SIG_IGN)  # one give-back; a second signal waits for it
        raise reminders.Interrupted(signum)

    try:
        before = {s: signal.signal(s, stop) for s in signals}
    except ValueError:  # not the main thread: leave the signals alone
        yield
        return
    try:
        yield
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)


def _prefix(db_path: Path) -> str:
    """Return how to call crm on this database in the commands a reminder suggests."""
    import shlex

    from tinycrm import paths

    if db_path.resolve() == (paths.data_dir() / "tinycrm.db").resolve():
        return "crm"
    return f"crm --db {shlex.quote(str(db_path))}"


def remind(
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Show what is due without recording or sending anything."
    ),
    digest: bool = typer.Option(
        False, "--digest", help="Print today's agenda (not recorded; for a morning cron line)."
    ),
    as_json: bool = JSON,
) -> None:
    """Remind of follow-ups and keep-in-touch contacts that are due, each exactly once.

    Meant for cron (see `crm cron install`); channels come from [reminders] in config.toml.
    Examples: crm remind; crm remind --dry-run; crm remind --digest
    """
    import json
    import signal

    from tinycrm.core import remindable, reminders
    from tinycrm.domain import dates, notices

    _utf8_output()
    db = state.database(write=not (dry_run or digest), create=False)
    now = state.now()
    prefix = _prefix(db.path)
    config = state.settings().reminders
    if digest:
        with db.snapshot() as session:
            items = remindable.digest(session, now, prefix=prefix, kinds=config.date_kinds)
        if as_json:
            render.print_json([r.to_dict() for r in items])
        elif items:
            render.say("Today's agenda\n")
            render.say("\n\n".join(r.text(now, dates.local_tz()) for r in items))
        else:
            render.say("Nothing due today.")
        return

    def write(text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()

    def write_json(items: list[notices.Reminder]) -> str:
        return json.dumps([r.to_dict() for r in items], indent=2, ensure_ascii=False) + "\n"

    try:
        with _giving_back_on_signals():
            result = reminders.run(
                db,
                now,
                config,
                write,
                dict(os.environ),
                dry_run=dry_run,
                prefix=prefix,
                as_json=write_json if as_json else None,
            )
    except reminders.Interrupted as stop:
        name = signal.Signals(stop.signum).name
        _note(f"error: stopped by {name}; what was not delivered is given back for the next run")
        raise typer.Exit(128 + stop.signum) from None
    if not result.retried_later:
        from tinycrm.core import hooks

        attached = hooks.attached(db)
        if attached is not None:
            attached.reminded(result.reminders, now)
    for outcome in result.outcomes:
        if outcome.status == "delivered" and outcome.detail:
            _note(f"note: {outcome.channel}: {outcome.detail}")
        elif outcome.status == "skipped":
            _note(f"note: {outcome.channel} skipped: {outcome.detail}")
        elif outcome.status == "failed":
            _note(f"error: the {outcome.channel} channel failed: {outcome.detail}")
    if result.failed:
        _note(f"hint: {len(result.reminders)} reminders will be tried again on the next run")
        raise typer.Exit(1)


def _program() -> list[str]:
    """Return the absolute command that runs this crm, for a line that works under cron."""
    import shutil

    argv0 = Path(sys.argv[0])
    if argv0.name == "crm" and argv0.exists():
        return [str(argv0.resolve())]
    found = shutil.which("crm") or shutil.which("crm", path=str(Path(sys.executable).parent))
    if found:
        return [str(Path(found).resolve())]
    return [str(Path(sys.executable).absolute()), "-m", "tinycrm"]


def _login_home() -> str | None:
    """Return the home folder cron gives this user (from the password database)."""
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_dir
    except (ImportError, KeyError, AttributeError):
        return None


@cron_app.command("install")
def cron_install(
    every: str = typer.Option("15m", "--every", help="How often to remind: 5m, 15m, 1h, ..."),
    digest: str | None = typer.Option(
        None, "--digest", help="Also print the day's agenda at this time, e.g. 08:00."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Show the lines without changing your crontab."
    ),
) -> None:
    """Add (or update) tinycrm's lines in your crontab; other lines are left alone.

    Each line sets the folders this shell uses (TINYCRM_HOME, XDG_CONFIG_HOME, XDG_DATA_HOME)
    and names the database, so cron finds the same data and config.toml.
    Example: crm cron install --every 15m --digest 08:00
    """
    from tinycrm.system import crontabs

    minutes = crontabs.every_minutes(every)
    at = crontabs.digest_time(digest) if digest else None
    db_path = state.database().path.resolve()
    program = _program()
    env = crontabs.locations(os.environ, _login_home())
    lines = [crontabs.remind_line(program, db_path, minutes, env)]
    if at is not None:
        lines.append(crontabs.digest_line(program, db_path, at, env))
    if dry_run:
        render.say("Would install in your crontab:")
        for line in lines:
            render.say(f"  {line}")
        return
    tab = crontabs.Crontab.find()
    before = tab.read()
    after = crontabs.merge(before, lines)
    if after == before:
        render.say("Your crontab already has these lines:")
    else:
        tab.write(after)
        render.say("Installed in your crontab:")
    for line in lines:
        render.say(f"  {line}")
    render.say("Test it with: crm remind --dry-run")


@cron_app.command("status")
def cron_status() -> None:
    """Show tinycrm's lines in your crontab.

    Example: crm cron status
    """
    from tinycrm.system import crontabs

    lines = crontabs.ours(crontabs.Crontab.find().read())
    if not lines:
        render.say("Not installed (crm cron install adds it).")
        return
    render.say("Installed:")
    for line in lines:
        render.say(f"  {line}")


@cron_app.command("remove")
def cron_remove() -> None:
    """Remove tinycrm's lines from your crontab; other lines are left alone.

    Example: crm cron remove
    """
    from tinycrm.system import crontabs

    tab = crontabs.Crontab.find()
    before = tab.read()
    lines = crontabs.ours(before)
    if not lines:
        render.say("Nothing to remove: tinycrm is not in your crontab.")
        return
    tab.write(crontabs.remove(before))
    render.say(f"Removed {len(lines)} line{'s' if len(lines) > 1 else ''} from your crontab.")
