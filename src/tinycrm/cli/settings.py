"""`crm config`: read and change the settings in config.toml, checked against their schema."""

from __future__ import annotations

import json

import typer

from tinycrm.cli import render

app = typer.Typer(help="Read and change settings (config.toml).", no_args_is_help=True)


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
    as_json: bool = typer.Option(False, "--json", help="Print the value as JSON."),
) -> None:
    """Print a setting's value (its default when not set).

    Example: crm config get general.week_start
    """
    from tinycrm import config

    value = config.load().get(key)
    if as_json:
        render.say(json.dumps(value, ensure_ascii=False))
    else:
        render.say(_text(value))


@app.command("set")
def set_(
    key: str = typer.Argument(..., help="A setting, e.g. general.default_currency."),
    value: str = typer.Argument(..., help="Its value; a list as a,b,c."),
) -> None:
    """Change a setting; a value that does not fit is refused with the reason.

    Examples: crm config set general.default_currency EUR;
    crm config set reminders.channels stdout,desktop
    """
    from tinycrm import config

    stored = config.set_value(key, value)
    render.say(f"{config.known_key(key).name} = {_text(stored)}")


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
def list_(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List every setting with its value, and whether it is set or the default."""
    from tinycrm import config

    rows = [
        {
            "key": key,
            "value": value,
            "set": is_set,
            "help": config.SCHEMA[key].help,
        }
        for key, value, is_set in config.effective()
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
