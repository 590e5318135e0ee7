"""``crossheat validate`` and ``crossheat plan``: what crossheat knows before touching a cloud."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from crossheat.cli.common import (
    EnvOpt,
    Format,
    ParamOpt,
    RegionMapOpt,
    TemplateOpt,
    console,
    dump,
    err_console,
    handle_errors,
    parse_parameters,
)

if TYPE_CHECKING:  # the commands import what they use: `crossheat --help` starts fast
    from crossheat.service import Analysis, Inputs, Plan


class Objective(StrEnum):
    pieces = "pieces"
    time = "time"


def _inputs(
    template: Path, environment: list[Path], parameter: list[str], region_map: Path | None
) -> Inputs:
    from crossheat.service import Inputs

    return Inputs.from_files(template, environment, parse_parameters(parameter), region_map)


def validate_summary(analysis: Analysis) -> dict[str, Any]:
    template = analysis.template
    regions = {r: analysis.resources_in(r) for r in analysis.region_names}
    return {
        "valid": analysis.ok,
        "template": str(template.path) if template else None,
        "heat_template_version": template.version if template else None,
        "resources": {region: len(names) for region, names in regions.items()},
        "regions": regions,
        "cross_region_references": [ref.as_dict() for ref in analysis.cross_region],
        "diagnostics": [d.as_dict() for d in analysis.diagnostics],
    }


def validate(
    template: Path = TemplateOpt,
    environment: list[Path] = EnvOpt,
    parameter: list[str] = ParamOpt,
    region_map: Path | None = RegionMapOpt,
    fmt: Format = typer.Option(Format.table, "--format", "-f", help="table or json."),
) -> None:
    """Check a template, its environments and parameters; report every problem at once.

    Exit status 0 when valid, 1 when not.
    """
    from crossheat.service import Service

    with handle_errors(), Service() as service:
        analysis = service.validate(_inputs(template, environment, parameter, region_map))
    if fmt in (Format.json, Format.yaml):
        dump(validate_summary(analysis), fmt)
    else:
        _print_validation(analysis)
    if not analysis.ok:
        raise typer.Exit(1)


def _print_validation(analysis: Analysis) -> None:
    for diagnostic in analysis.diagnostics:
        err_console.print(str(diagnostic), markup=False)
    if not analysis.ok:
        err_console.print(f"[red]invalid[/]: {len(analysis.errors)} error(s)")
        return
    assert analysis.template is not None
    console.print(
        f"{analysis.template.path}: valid (heat_template_version {analysis.template.version})"
    )
    table = Table()
    table.add_column("region")
    table.add_column("resources", justify="right")
    for region in analysis.region_names:
        table.add_row(region, str(len(analysis.resources_in(region))))
    console.print(table)
    _print_cross_region(analysis)


def _print_cross_region(analysis: Analysis) -> None:
    if not analysis.cross_region:
        console.print("no cross-region references")
        return
    console.print(f"{len(analysis.cross_region)} cross-region reference(s):")
    for ref in analysis.cross_region:
        prop = ".".join(str(p) for p in ref.path[3:]) or ".".join(str(p) for p in ref.path)
        value = ".".join(str(a) for a in ref.attribute)
        target = f"{ref.kind} {ref.producer}" + (f" {value}" if value else "")
        console.print(
            f"  {ref.consumer_region}/{ref.consumer}.{prop} <- {ref.producer_region}: {target}",
            markup=False,
        )


def plan(
    template: Path = TemplateOpt,
    environment: list[Path] = EnvOpt,
    parameter: list[str] = ParamOpt,
    region_map: Path | None = RegionMapOpt,
    fmt: Format = typer.Option(Format.table, "--format", "-f", help="table or json."),
    objective: Objective = typer.Option(
        Objective.pieces, "--objective", help="How to split into single-region pieces."
    ),
    stack: str | None = typer.Option(
        None, "--stack", help="Show what updating this stack to the template would change."
    ),
) -> None:
    """Show what would be created where, in which order, and the critical path.

    Touches no cloud. The JSON form also lists the single-region pieces. With
    --stack, shows Heat's update preview instead: per region, what would be
    added, updated in place, replaced, deleted and left unchanged (the stack's
    stored parameters apply unless given again).
    """
    if stack is not None:
        _preview(stack, _inputs(template, environment, parameter, region_map), fmt)
        return
    from crossheat.service import Service

    with handle_errors(), Service() as service:
        inputs = _inputs(template, environment, parameter, region_map)
        analysis, the_plan, _, pieces = service.split(inputs, objective.value)
    the_plan.pieces = [
        {"name": p.name, "region": p.region, "resources": p.resources, "after": p.after,
         "wave": p.wave, "start_with": p.start_with}
        for p in pieces
    ]  # fmt: skip
    if fmt in (Format.json, Format.yaml):
        dump(the_plan.as_dict(), fmt)
        return
    _print_plan(analysis, the_plan)


def _preview(stack: str, inputs: Inputs, fmt: Format) -> None:
    from crossheat.cli.common import connect_service
    from crossheat.cli.stack import show_preview

    with handle_errors(), connect_service() as service:
        prepared = service.prepare_update(stack, inputs, existing=True)
        preview = service.preview_update(prepared).preview()
    show_preview(preview, fmt)


def _print_plan(analysis: Analysis, the_plan: Plan) -> None:
    for region, names in the_plan.regions.items():
        table = Table(title=f"region {region}: {len(names)} resources")
        for column in ("stage", "resource", "type", "requires", "start (s)"):
            table.add_column(column)
        stage_of = {n: i for i, stage in enumerate(the_plan.stages) for n in stage}
        for name in names:
            res = the_plan.resources[name]
            table.add_row(
                str(stage_of[name] + 1), name, res.type, ", ".join(res.requires), f"{res.start:g}"
            )
        console.print(table)
    _print_cross_region(analysis)
    console.print(
        f"critical path ({the_plan.estimated_time:g} s estimated): "
        + " -> ".join(the_plan.critical_path)
    )


def split_command(
    template: Path = TemplateOpt,
    environment: list[Path] = EnvOpt,
    parameter: list[str] = ParamOpt,
    region_map: Path | None = RegionMapOpt,
    output: Path = typer.Option(..., "-o", "--output", help="Directory for the pieces."),
    objective: Objective = typer.Option(
        Objective.pieces, "--objective", help="pieces: fewest pieces; time: fastest deployment."
    ),
) -> None:
    """Split a multi-region template into single-region templates and a manifest.

    Each piece is a plain HOT file a region's own Heat deploys; manifest.yaml
    gives the region and wave of each piece and which output feeds which
    parameter. Deploy wave by wave, starting the pieces of a wave together:
    Heat completes an IPsec connection only once its peer, in another piece of
    the same wave, exists too.
    """
    from crossheat.service import Service

    with handle_errors(), Service() as service:
        inputs = _inputs(template, environment, parameter, region_map)
        _, _, result, pieces = service.split(inputs, objective.value)
        manifest_path = service.write_split(output, result, pieces, str(template))
    quality = (
        "proven optimal"
        if result.optimal
        else (f"at most {len(pieces) - result.lower_bound} above optimal")
    )
    waves = max((piece.wave for piece in pieces), default=0)
    console.print(
        f"{_count(len(pieces), 'piece')} in {_count(waves, 'wave')} (lower bound "
        f"{result.lower_bound}, {quality}; objective {result.objective}, method "
        f"{result.method}, estimated {result.estimated_time:g} s)"
    )
    for piece in pieces:
        after = f" after {', '.join(piece.after)}" if piece.after else ""
        together = f"; start with {', '.join(piece.start_with)}" if piece.start_with else ""
        console.print(
            f"  wave {piece.wave}: {output / piece.file}: "
            f"{_count(len(piece.resources), 'resource')} in {piece.region}{after}{together}",
            markup=False,
        )
    console.print(f"  {manifest_path}", markup=False)
    if any(piece.start_with for piece in pieces):
        console.print(
            "Deploy wave by wave; start the pieces of a wave together (stock Heat completes "
            "an IPsec connection only once its peer exists)."
        )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
