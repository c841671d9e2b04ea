"""`crm config`: read and change the settings in config.toml, checked against their schema."""

from __future__ import annotations

import json
import sys

import typer

from tinycrm.cli import render
from tinycrm.cli.options import JSON

app = typer.Typer(help="Read and change settings (config.toml).", no_args_is_help=True)

REVEAL = typer.Option(False, "--reveal", help="Show secrets (passwords, tokens) instead of ***.")


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@app.command("get")
def get(
    key: str = typer.Argument(..., help="A setting, e.g. general.default_currency."),
    as_json: bool = JSON,
    reveal: bool = REVEAL,
) -> None:
    """Print a setting's value (its default when not set); a secret shows as *** unless
    --reveal.

    Example: crm config get general.week_start
    """
    from tinycrm import config
    from tinycrm.config import checks

    known = config.known_key(key)
    value = config.load().get(known.name)
    if not reveal:
        value = checks.shown(known.name, value)
    if as_json:
        render.say(json.dumps(value, ensure_ascii=False))
    else:
        render.say(_text(value))


@app.command("set")
def set_(
    key: str = typer.Argument(..., help="A setting, e.g. general.default_currency."),
    value: str | None = typer.Argument(
        None, help="Its value; a list as a,b,c. A secret left out is read from standard input."
    ),
) -> None:
    """Change a setting; a value that does not fit is refused with the reason.

    A secret (a password, a token) is never printed back; leave its value out to type it
    without it showing, or to pipe it in, so it stays out of your shell history.

    Examples: crm config set general.default_currency EUR;
    crm config set reminders.channels stdout,desktop; crm config set reminders.smtp_password
    """
    from tinycrm import config
    from tinycrm.config import checks, files
    from tinycrm.errors import UsageError

    name = config.known_key(key).name
    if value is None:
        if not checks.is_secret(name):
            raise UsageError(f"missing VALUE for {name}", hint=f"crm config set {name} VALUE")
        value = _read_secret(name)
    if name == "general.default_currency":
        from tinycrm.domain.money import check_currency

        # the settings check the shape; the ISO 4217 list lives in the domain, above them
        check_currency(str(config.parse(name, value)))
    stored = config.set_value(name, value)
    render.say(f"{name} = {_text(checks.shown(name, stored))}")
    if files.exposed():
        from tinycrm import paths

        sys.stderr.write(
            f"warning: {paths.config_file()} holds a secret and other users can read it; "
            f"chmod 600 {paths.config_file()}\n"
        )


def _read_secret(name: str) -> str:
    """Read a secret without echoing it on a terminal, or as one line from a pipe."""
    if sys.stdin.isatty():
        return str(typer.prompt(name, hide_input=True))
    return sys.stdin.readline().rstrip("\r\n")


@app.command("unset")
def unset(key: str = typer.Argument(..., help="A setting to return to its default.")) -> None:
    """Remove a setting from config.toml, so its default applies.

    Example: crm config unset general.week_start
    """
    from tinycrm import config

    known = config.known_key(key)
    if config.unset(known.name):
        render.say(f"{known.name} is back to its default ({_text(known.default)})")
    else:
        render.say(f"{known.name} was not set; its default is {_text(known.default)}")


@app.command("list")
def list_(as_json: bool = JSON, reveal: bool = REVEAL) -> None:
    """List every setting with its value, and whether it is set or the default; secrets show
    as *** unless --reveal."""
    from tinycrm import config
    from tinycrm.config import checks

    rows = [
        {
            "key": known.name,
            "value": value if reveal else checks.shown(known.name, value),
            "set": is_set,
            "help": known.help,
        }
        for known, value, is_set in config.effective()
    ]
    if as_json:
        render.print_json(rows)
        return
    for row in rows:
        row["shown"] = _text(row["value"])
        row["origin"] = "set" if row["set"] else "default"
    render.table(
        rows,
        [("key", "Key"), ("shown", "Value"), ("origin", "From"), ("help", "Meaning")],
        title="settings",
    )


@app.command("path")
def path() -> None:
    """Print where config.toml is (it may not exist yet)."""
    from tinycrm import paths

    render.say(str(paths.config_file()))
