"""A bare Typer app of two commands, set up like `crm` (plain help, no rich tracebacks): the
floor under any Typer program's `--help`."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="A bare app to time Typer itself.",
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.command()
def hello(name: str = typer.Argument("world"), loud: bool = typer.Option(False)) -> None:
    """Say hello."""
    typer.echo(f"hello {name}{'!' if loud else ''}")


@app.command()
def bye(name: str = typer.Argument("world")) -> None:
    """Say goodbye."""
    typer.echo(f"bye {name}")


if __name__ == "__main__":
    app()
