"""The `crm` command line: the root app, its global options and the one error edge.

Only typer and the standard library are imported here, so `crm --help`, completion and cron
start quickly; each command imports the core when it runs.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperGroup

from tinycrm import __version__
from tinycrm.cli import groups, state
from tinycrm.errors import TinyCrmError


def report(error: TinyCrmError) -> None:
    """Print an error (and its hint) as plain lines on stderr, control characters escaped."""
    from tinycrm.domain.text import visible

    sys.stderr.write(f"error: {visible(error.message)}\n")
    if error.hint:
        sys.stderr.write(f"hint: {visible(error.hint)}\n")


# Integers a SQLite column (and so any id, count or option) can hold.
LARGEST = 2**63 - 1


def _undecodable(args: list[str]) -> str | None:
    """Return the first argument that held bytes that are not UTF-8 (Python passes them on
    as lone surrogates), or None."""
    for arg in args:
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            return arg
    return None


def _bounded(param: Any) -> None:
    """Make an integer parameter refuse numbers beyond 64 bits as a usage error, instead of
    failing deep in the database; its help and range stay as they were."""
    kind = type(param.type)
    if kind.__name__ not in ("IntParamType", "IntRange") or getattr(param, "_bounded", False):
        return

    def convert(self: Any, value: Any, param: Any, ctx: Any) -> Any:
        number = kind.convert(self, value, param, ctx)
        if isinstance(number, int) and number > LARGEST:
            self.fail(f"{value} is too large (at most {LARGEST})", param, ctx)
        if isinstance(number, int) and number < -LARGEST - 1:
            self.fail(f"{value} is too small (at least {-LARGEST - 1})", param, ctx)
        return number

    bounded = copy.copy(param.type)
    bounded.__class__ = type(f"Bounded{kind.__name__}", (kind,), {"convert": convert})
    param.type = bounded
    param._bounded = True


def _bound_integers(command: Any) -> None:
    """Bound every integer parameter of a command and of the commands under it."""
    real = getattr(command, "real", None)
    command = real() if callable(real) else command
    for param in command.params:
        _bounded(param)
    for sub in getattr(command, "commands", {}).values():
        _bound_integers(sub)


# Every command of `crm`, in the order `crm --help` lists them (how often a seller reaches for
# them): its word, the module of tinycrm.cli.commands holding it, and the function it runs or, for
# a group, the Typer app of its subcommands (built only when used, see cli/groups.py).
COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("add", "adding", "app"),
    ("list", "listing", "app"),
    ("show", "showing", "show"),
    ("move", "moving", "move"),
    ("qualify", "qualifying", "qualify"),
    ("edit", "editing", "edit"),
    ("tag", "editing", "tag"),
    ("log", "recording", "log"),
    ("mail", "mailing", "app"),
    ("timeline", "recording", "timeline"),
    ("search", "searching", "search"),
    ("follow-up", "scheduling", "follow_up"),
    ("agenda", "scheduling", "agenda"),
    ("done", "scheduling", "done"),
    ("snooze", "scheduling", "snooze"),
    ("cancel", "scheduling", "cancel"),
    ("keep-in-touch", "scheduling", "keep_in_touch"),
    ("sequence", "sequencing", "sequence_app"),
    ("remind", "reminding", "remind"),
    ("cron", "reminding", "cron_app"),
    ("board", "browsing", "board"),
    ("demo", "browsing", "demo"),
    ("report", "reporting", "app"),
    ("score", "segmenting", "score"),
    ("segment", "segmenting", "segment_app"),
    ("spend", "spending", "app"),
    ("pipeline", "staging", "app"),
    ("import", "exchanging", "import_app"),
    ("export", "exchanging", "export_app"),
    ("undo", "undoing", "undo"),
    ("redo", "undoing", "redo"),
    ("history", "undoing", "history"),
    ("delete", "deleting", "delete"),
    ("restore", "deleting", "restore"),
    ("trash", "deleting", "trash"),
    ("merge", "deleting", "merge"),
    ("duplicates", "deleting", "duplicates"),
    ("forget", "deleting", "forget"),
    ("config", "configuring", "app"),
    ("server", "serving", "app"),
)
# Commands whose words are not all options: `crm tag jane -cold` removes the tag `cold`.
_CONTEXT = {
    "tag": {"ignore_unknown_options": True, "help_option_names": ["--help"]},
}


class CrmGroup(TyperGroup):
    """The root group: turns TinyCrmError into a message on stderr and an exit code, and
    holds the command groups that are built only when used (see cli/groups.py)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, sub in groups.LAZY.items():
            self.add_command(groups.LazyGroup(name, sub, self.rich_markup_mode))
        rank = {word: i for i, (word, _module, _name) in enumerate(COMMANDS)}
        ordered = sorted(self.commands.items(), key=lambda item: rank.get(item[0], len(rank)))
        self.commands = dict(ordered)

    def main(self, args: Any = None, *rest: Any, **extra: Any) -> Any:
        """Refuse argument bytes that are not UTF-8 before anything reads them."""
        argv = list(sys.argv[1:] if args is None else args)
        bad = _undecodable(argv)
        if bad is not None:
            from tinycrm.domain.text import visible
            from tinycrm.errors import UsageError

            try:  # the bytes as typed ('Ren\xe9'), else the code points
                raw = bad.encode("utf-8", "surrogateescape")
            except UnicodeEncodeError:
                raw = bad.encode("utf-8", "backslashreplace")
            shown = visible(raw.decode("utf-8", "backslashreplace"))
            report(
                UsageError(
                    f"the argument '{shown}' is not UTF-8 text; nothing was changed",
                    hint="set your terminal to UTF-8 (e.g. LANG=C.UTF-8) and type it again",
                )
            )
            if extra.get("standalone_mode", True):
                sys.exit(UsageError.exit_code)
            raise typer.Exit(UsageError.exit_code)
        return super().main(argv, *rest, **extra)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        name, command, rest = super().resolve_command(ctx, args)
        if command is not None:
            _bound_integers(command)
        return name, command, rest

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except TinyCrmError as error:
            report(error)
            raise typer.Exit(error.exit_code) from None
        except KeyboardInterrupt:
            # Ctrl-C: the open transaction was rolled back on the way here.
            sys.stderr.write("interrupted\n")
            raise typer.Exit(130) from None
        except Exception as exc:
            from tinycrm.store.files import driver_error

            translated = driver_error(exc)
            if translated is None:
                raise
            report(translated)
            raise typer.Exit(translated.exit_code) from None


app = typer.Typer(
    name="crm",
    cls=CrmGroup,
    help="tinycrm: an offline-first CRM for solo sellers, in your terminal.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tinycrm {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    db: Path | None = typer.Option(
        None, "--db", envvar="TINYCRM_DB", help="Database file (default: in your data folder)."
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """tinycrm: contacts, deals and follow-ups in one SQLite file you own.

    Start with `crm add contact "Jane Doe" --email jane@acme.com`, then `crm list contacts`.
    """
    _check_server_mode()
    state.configure(db)


def _check_server_mode() -> None:
    """Refuse a TINYCRM_SERVER that is not on, off or auto (it would be ignored silently)."""
    import os

    from tinycrm.server.wire import MODES

    value = os.environ.get("TINYCRM_SERVER")
    if value is not None and value.strip().lower() not in MODES:
        from tinycrm.domain.text import visible
        from tinycrm.errors import UsageError

        raise UsageError(
            f"TINYCRM_SERVER is '{visible(value)}'; it must be on, off or auto",
            hint="unset it to let tinycrm choose (auto)",
        )


def _register() -> None:
    """Add every command of COMMANDS to the root app: a function as a command, an app as a
    group built when it is used."""
    import importlib

    for word, module, name in COMMANDS:
        found = getattr(importlib.import_module(f"tinycrm.cli.commands.{module}"), name)
        if isinstance(found, typer.Typer):
            groups.add(word, found)
        else:
            app.command(word, context_settings=_CONTEXT.get(word))(found)


_register()


_built: list[Any] = []


def prepare() -> Any:
    """Build the whole command tree once (the command server does it before it forks), with
    every group built and every integer option bounded; return the root command."""
    if not _built:
        command: Any = typer.main.get_command(app)
        for name in groups.LAZY:
            _bound_integers(command.commands[name])
        for sub in command.commands.values():
            _bound_integers(sub)
        _built.append(command)
    return _built[0]


def main() -> None:
    """Run `crm`; the process exit code follows the error's.

    An exception nothing expected still ends in one line and exit 1, never a traceback
    (TINYCRM_DEBUG=1 shows it); a write it interrupted was rolled back with its transaction.
    Ctrl-C ends the command with exit 130, its unfinished change rolled back.
    """
    import os

    try:
        (_built[0] if _built else typer.main.get_command(app))(prog_name="crm")
    except BrokenPipeError:
        # `crm list contacts | head`: the reader has gone; say nothing more.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except Exception as exc:
        if os.environ.get("TINYCRM_DEBUG"):
            raise
        from tinycrm.domain.text import visible

        sys.stderr.write(f"error: crm failed unexpectedly ({type(exc).__name__}: ")
        sys.stderr.write(f"{visible(str(exc))[:300]})\n")
        sys.stderr.write("hint: this is a bug in tinycrm; TINYCRM_DEBUG=1 shows the details\n")
        sys.exit(1)
