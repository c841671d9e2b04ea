"""`crm pipeline`: see a pipeline's stages with their open deals, and reshape pipelines."""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

from tinycrm.cli import render, state
from tinycrm.cli.options import JSON


class PipelineGroup(TyperGroup):
    """`crm pipeline [NAME]` shows a pipeline; a known word after it is a subcommand."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        completing = getattr(ctx, "resilient_parsing", False)
        if not completing and (
            not args or (args[0] not in self.commands and args[0] not in ("-h", "--help"))
        ):
            args = ["show", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=PipelineGroup,
    help="Show a pipeline's stages (crm pipeline [NAME]) or change its stages.",
    no_args_is_help=False,
)

PIPELINE = typer.Option(None, "--pipeline", "-p", help="Pipeline (default: the default one).")


@app.command("show")
def show(
    name: str | None = typer.Argument(None, help="Pipeline name (default: the default one)."),
    as_json: bool = JSON,
) -> None:
    """Show the stages of a pipeline with their open deals and open values.

    Examples: crm pipeline; crm pipeline Sales --json
    """
    from tinycrm.core import pipelines, reports
    from tinycrm.domain import money

    with state.database(write=False).snapshot() as session:
        pipeline = pipelines.get_pipeline(session, name)
        assert pipeline.id is not None
        title, is_default = pipeline.name, pipeline.is_default
        summary = reports.stage_summaries(session, pipeline.id)
    if as_json:
        render.print_json(
            {
                "pipeline": title,
                "default": is_default,
                "stages": [s.as_dict() for s in summary],
            }
        )
        return
    rows = [
        {
            "position": s.position,
            "name": s.name,
            "probability": f"{s.probability}%",
            "stale": f"{s.stale_days} days" if s.stale_days else "never",
            "deals": s.open_deals,
            "value": ", ".join(
                money.format_money(minor, currency)
                for currency, minor in sorted(s.open_values.items())
            ),
        }
        for s in summary
    ]
    marker = " (default)" if is_default else ""
    render.say(f"Pipeline {title}{marker}")
    render.table(
        rows,
        [("position", "#"), ("name", "Stage"), ("probability", "Probability"),
         ("stale", "Stale after"), ("deals", "Open deals"), ("value", "Open value")],
        title="stages",
        styles={"value": "green"},
    )  # fmt: skip


@app.command("list")
def list_pipelines(as_json: bool = JSON) -> None:
    """List the pipelines. Example: crm pipeline list"""
    from tinycrm.core import pipelines

    with state.database(write=False).snapshot() as session:
        rows = pipelines.list_pipelines(session)
    if as_json:
        render.print_json(rows)
        return
    render.table(
        [{**row, "default": "yes" if row["default"] else ""} for row in rows],
        [("id", "#"), ("name", "Pipeline"), ("default", "Default"), ("stages", "Stages"),
         ("open_deals", "Open deals")],
        title="pipelines",
    )  # fmt: skip


@app.command("create")
def create(
    name: str = typer.Argument(..., help="The new pipeline's name."),
    stages: str | None = typer.Option(
        None, "--stages", help='Stage names in order, e.g. "Lead,Call,Offer" (default: four).'
    ),
) -> None:
    """Create a pipeline. Example: crm pipeline create Hiring --stages "Sourced,Screen,Offer" """
    from tinycrm.core import pipelines

    names = stages.split(",") if stages is not None else None
    with state.database().transaction() as session:
        pipeline = pipelines.create_pipeline(session, name, state.now(), names)
        assert pipeline.id is not None
        made = [s.name for s in pipelines.stages(session, pipeline.id)]
    render.say(f"Created pipeline {pipeline.name}: {', '.join(made)}")


@app.command("default")
def default(name: str = typer.Argument(..., help="The pipeline new deals should go to.")) -> None:
    """Make a pipeline the default one. Example: crm pipeline default Hiring"""
    from tinycrm.core import pipelines

    with state.database().transaction() as session:
        pipeline = pipelines.get_pipeline(session, name)
        pipelines.set_default(session, pipeline, state.now())
    render.say(f"{pipeline.name} is now the default pipeline")


@app.command("add-stage")
def add_stage(
    name: str = typer.Argument(..., help="The new stage's name."),
    after: str | None = typer.Option(None, "--after", help="Put it after this stage."),
    probability: int | None = typer.Option(
        None, "--probability", help="Default probability, 0-100 (default: between neighbours)."
    ),
    stale_days: int | None = typer.Option(
        None, "--stale-days", help="Stale after N days (default from config; 0: never)."
    ),
    pipeline: str | None = PIPELINE,
) -> None:
    """Add a stage (at the end, or after another).

    Example: crm pipeline add-stage Demo --after qualifying --probability 40
    """
    from tinycrm.core import pipelines

    if stale_days is None:
        stale_days = state.settings().pipeline.stale_days
    with state.database().transaction() as session:
        the_pipeline = pipelines.get_pipeline(session, pipeline)
        stage = pipelines.add_stage(
            session,
            the_pipeline,
            name,
            now=state.now(),
            after=after,
            probability=probability,
            stale_days=stale_days,
        )
    render.say(
        f"Added stage {stage.name} to {the_pipeline.name} at position {stage.position} "
        f"({stage.probability}%)"
    )


@app.command("rename-stage")
def rename_stage(
    old: str = typer.Argument(..., help="The stage (any unambiguous prefix)."),
    new: str = typer.Argument(..., help="Its new name."),
    pipeline: str | None = PIPELINE,
) -> None:
    """Rename a stage. Example: crm pipeline rename-stage present Demo"""
    from tinycrm.core import pipelines

    with state.database().transaction() as session:
        the_pipeline = pipelines.get_pipeline(session, pipeline)
        stage = pipelines.rename_stage(session, the_pipeline, old, new, state.now())
    render.say(f"Renamed the stage to {stage.name}")


@app.command("move-stage")
def move_stage(
    stage: str = typer.Argument(..., help="The stage to move."),
    after: str | None = typer.Option(None, "--after", help="Put it after this stage."),
    before: str | None = typer.Option(None, "--before", help="Put it before this stage."),
    position: int | None = typer.Option(None, "--position", help="Put it at position N (1..)."),
    pipeline: str | None = PIPELINE,
) -> None:
    """Reorder a stage. Example: crm pipeline move-stage closing --before present"""
    from tinycrm.core import pipelines

    with state.database().transaction() as session:
        the_pipeline = pipelines.get_pipeline(session, pipeline)
        moved = pipelines.move_stage(
            session, the_pipeline, stage, state.now(), after=after, before=before, position=position
        )
        assert the_pipeline.id is not None
        order = [s.name for s in pipelines.stages(session, the_pipeline.id)]
    render.say(f"Moved {moved.name}; stages now: {', '.join(order)}")


@app.command("remove-stage")
def remove_stage(
    stage: str = typer.Argument(..., help="The stage to remove."),
    to: str | None = typer.Option(None, "--to", help="Move its deals to this stage first."),
    pipeline: str | None = PIPELINE,
) -> None:
    """Remove a stage; its deals must be moved first, or with --to.

    Example: crm pipeline remove-stage qualifying --to presenting
    """
    from tinycrm.core import pipelines

    with state.database().transaction() as session:
        the_pipeline = pipelines.get_pipeline(session, pipeline)
        assert the_pipeline.id is not None
        named = pipelines.find_stage(session, the_pipeline.id, stage).name
        target = pipelines.find_stage(session, the_pipeline.id, to).name if to else None
        removed, moved = pipelines.remove_stage(session, the_pipeline, named, state.now(), target)
    extra = f" ({moved} deal(s) moved to {target})" if moved else ""
    render.say(f"Removed stage {removed.name} from {the_pipeline.name}{extra}")


@app.command("set-stage")
def set_stage(
    stage: str = typer.Argument(..., help="The stage to change."),
    probability: int | None = typer.Option(
        None, "--probability", help="Default probability, 0-100."
    ),
    stale_days: int | None = typer.Option(
        None, "--stale-days", help="Stale after N days without change (0: never)."
    ),
    pipeline: str | None = PIPELINE,
) -> None:
    """Change a stage's probability or stale threshold.

    Example: crm pipeline set-stage closing --probability 80 --stale-days 7
    """
    from tinycrm.core import pipelines

    with state.database().transaction() as session:
        the_pipeline = pipelines.get_pipeline(session, pipeline)
        changed = pipelines.set_stage(
            session,
            the_pipeline,
            stage,
            state.now(),
            probability=probability,
            stale_days=stale_days,
        )
    stale = f"{changed.stale_days} days" if changed.stale_days else "never"
    render.say(f"{changed.name}: probability {changed.probability}%, stale after {stale}")
