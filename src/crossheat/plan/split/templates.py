"""Turning a split into plain single-region HOT templates and a manifest.

Each piece is a template stock Heat accepts: no ``region`` keys, the original
parameters it uses, a parameter for each value that comes from another piece
(``get_resource``/``get_attr`` across pieces), and an output for each value
another piece needs. The source template's own outputs go into the piece that
holds every resource they refer to (one that spans pieces is left out).
``manifest.yaml`` says in which order to deploy the pieces, in which region,
in which wave (the pieces of a wave are started together: a region's Heat
completes an IPsec connection only once its peer, in another piece of the
same wave, exists too), which source outputs each gives, and which output
feeds which parameter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from crossheat.plan.analysis import Analysis
from crossheat.plan.split.pieces import Piece
from crossheat.plan.split.solve import SplitProblem, SplitResult, split
from crossheat.resources.coerce import PropertyType
from crossheat.resources.estimates import estimate
from crossheat.resources.tunnels import tunnel_pairs
from crossheat.template import Template
from crossheat.template.functions.base import render
from crossheat.template.model import dependencies_in

MANIFEST = "manifest.yaml"


@dataclass
class Wire:
    """Output ``output`` of piece ``source`` feeds parameter ``parameter`` of another piece."""

    parameter: str
    source: str
    output: str
    type: str
    value: dict[str, Any]


@dataclass
class PieceTemplate:
    name: str
    region: str
    resources: list[str]
    after: list[str]
    template: dict[str, Any]
    #: Deployed wave by wave (1 first); ``start_with``: pieces that must start at once.
    wave: int = 1
    start_with: list[str] = field(default_factory=list)
    inputs: list[Wire] = field(default_factory=list)
    user_parameters: list[str] = field(default_factory=list)
    #: Outputs of the source template this piece gives, under their own names.
    outputs: list[str] = field(default_factory=list)

    @property
    def file(self) -> str:
        return f"{self.name}.yaml"


def problem_of(analysis: Analysis) -> SplitProblem:
    assert analysis.template is not None
    template = analysis.template
    return SplitProblem(
        nodes=dict(analysis.regions),
        edges=analysis.graph.edges(),
        durations={n: estimate(d.type) for n, d in template.resources.items()},
        pairs=[(a.connection, b.connection) for a, b in tunnel_pairs(template)],
    )


def split_analysis(
    analysis: Analysis,
    objective: Literal["pieces", "time"] = "pieces",
) -> tuple[SplitResult, list[PieceTemplate]]:
    result = split(problem_of(analysis), objective)
    return result, build_pieces(analysis, result)


def _slug(parts: tuple[Any, ...]) -> str:
    return re.sub(r"[^A-Za-z0-9_]+", "_", "_".join(str(p) for p in parts)).strip("_")


class _Builder:
    def __init__(self, analysis: Analysis, result: SplitResult) -> None:
        assert analysis.template is not None
        self.analysis = analysis
        self.template: Template = analysis.template
        self.owner = {n: p.index for p in result.pieces for n in p.nodes}
        self.names = {p.index: f"{i + 1:02d}-{p.region}" for i, p in enumerate(result.pieces)}
        self.outputs: dict[int, dict[str, Any]] = {p.index: {} for p in result.pieces}

    def parameter_for(self, piece: int, ref: dict[str, Any], wires: list[Wire]) -> dict[str, Any]:
        """``{get_param: X}`` standing for ``ref`` (a get_resource/get_attr on another piece)."""
        kind, args = next(iter(ref.items()))
        target = args if kind == "get_resource" else args[0]
        path = () if kind == "get_resource" else tuple(args[1:])
        name = _slug((target, *path)) if path else f"{target}_id"
        source = self.owner[target]
        self.outputs[source][name] = {"value": ref}
        if not any(w.parameter == name for w in wires):
            wires.append(Wire(name, self.names[source], name, self._type(target, path), ref))
        return {"get_param": name}

    def _type(self, target: str, path: tuple[Any, ...]) -> str:
        """``json`` for a whole map or list attribute, else ``string`` (what Heat accepts)."""
        cls = self.analysis.types.get(target)
        attribute = cls.attributes_schema.get(str(path[0])) if cls and path else None
        whole = len(path) == 1 and attribute is not None
        if whole and attribute.type in (PropertyType.MAP, PropertyType.LIST):  # type: ignore[union-attr]
            return "json"
        return "string"

    def rewrite(self, piece: int, value: Any, wires: list[Wire]) -> Any:
        if isinstance(value, dict):
            if len(value) == 1:
                kind, args = next(iter(value.items()))
                target = (
                    args
                    if kind == "get_resource"
                    else (
                        args[0] if kind == "get_attr" and isinstance(args, list) and args else None
                    )
                )
                if isinstance(target, str) and self.owner.get(target, piece) != piece:
                    return self.parameter_for(piece, {kind: args}, wires)
            return {k: self.rewrite(piece, v, wires) for k, v in value.items()}
        if isinstance(value, list):
            return [self.rewrite(piece, v, wires) for v in value]
        return value


def build_pieces(analysis: Analysis, result: SplitResult) -> list[PieceTemplate]:
    """Every piece's template, with cross-piece values wired through outputs and parameters.

    An output of the source template goes into the one piece holding every
    resource it refers to; an output that spans pieces is left out.
    """
    b = _Builder(analysis, result)
    rewritten: dict[int, tuple[dict[str, Any], list[Wire]]] = {}
    for piece in result.pieces:
        wires: list[Wire] = []
        resources = {n: _resource(b, piece.index, n, wires) for n in piece.nodes}
        rewritten[piece.index] = resources, wires
    carried = _carried_outputs(b)
    return [_piece(b, piece, *rewritten[piece.index], carried[piece.index])
            for piece in result.pieces]  # fmt: skip


def _piece(b: _Builder, piece: Piece, resources: dict[str, Any], wires: list[Wire],
           carried: dict[str, Any]) -> PieceTemplate:  # fmt: skip
    used = _parameters_used(resources) | _parameters_used(carried)
    params = {n: _parameter_schema(b.template, n) for n in b.template.parameters if n in used}
    for wire in wires:
        params[wire.parameter] = {"type": wire.type,
                                  "description": f"From {wire.source}: {wire.output}"}  # fmt: skip
    name = b.names[piece.index]
    template: dict[str, Any] = {
        "heat_template_version": b.template.version,
        "description": f"{name}: part of {b.template.path.name}, region {piece.region}",
        "parameters": params,
        "resources": resources,
        "outputs": carried | b.outputs[piece.index],
    }
    for section in ("parameters", "outputs"):
        if not template[section]:
            del template[section]
    return PieceTemplate(
        name=name, region=piece.region, resources=list(piece.nodes),
        after=[b.names[i] for i in piece.after], template=template, inputs=wires,
        user_parameters=[n for n in b.template.parameters if n in used], outputs=list(carried),
        wave=piece.wave, start_with=[b.names[i] for i in piece.together],
    )  # fmt: skip


def _carried_outputs(b: _Builder) -> dict[int, dict[str, Any]]:
    """Piece -> the source template's outputs it can give (those within it, by name)."""
    carried: dict[int, dict[str, Any]] = {index: {} for index in b.outputs}
    for name, output in b.template.outputs.items():
        owners = {b.owner.get(r) for r in dependencies_in(output.value)}
        if len(owners) != 1:
            continue
        (piece,) = owners
        if piece is None or name in b.outputs[piece]:
            continue  # not a resource of any piece, or the name is taken by a wired value
        carried[piece][name] = {"value": render(output.value)}
        if output.description:
            carried[piece][name]["description"] = output.description
    return carried


def _resource(b: _Builder, piece: int, name: str, wires: list[Wire]) -> dict[str, Any]:
    definition = b.template.resources[name]
    out: dict[str, Any] = {"type": definition.type}
    properties = b.rewrite(piece, render(definition.properties), wires)
    if properties:
        out["properties"] = properties
    metadata = b.rewrite(piece, render(definition.metadata), wires)
    if metadata:
        out["metadata"] = metadata
    same_piece = [d for d in definition.depends_on if b.owner.get(d) == piece]
    if same_piece:
        out["depends_on"] = same_piece
    if definition.deletion_policy != "Delete":
        out["deletion_policy"] = definition.deletion_policy
    return out


def _parameters_used(value: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "get_param":
                found.add(item if isinstance(item, str) else str(item[0]))
            found |= _parameters_used(item)
    elif isinstance(value, list):
        for item in value:
            found |= _parameters_used(item)
    return found


def _parameter_schema(template: Template, name: str) -> dict[str, Any]:
    p = template.parameters[name]
    out: dict[str, Any] = {"type": p.type}
    for key in ("description", "label", "default", "constraints"):
        value = getattr(p, key, None)
        if value not in (None, "", [], ()):
            out[key] = value
    if p.hidden:
        out["hidden"] = True
    return out


def manifest(result: SplitResult, pieces: list[PieceTemplate], source: str) -> dict[str, Any]:
    return {
        "source": source,
        "objective": result.objective,
        "pieces_count": len(pieces),
        "waves": max((p.wave for p in pieces), default=0),
        "lower_bound": result.lower_bound,
        "optimal": result.optimal,
        "method": result.method,
        "estimated_seconds": result.estimated_time,
        "pieces": [
            {
                "name": p.name, "file": p.file, "region": p.region, "wave": p.wave,
                "start_with": p.start_with, "after": p.after,
                "resources": p.resources, "user_parameters": p.user_parameters,
                "outputs": p.outputs,
                "inputs": [{"parameter": w.parameter, "from": w.source, "output": w.output,
                            "type": w.type} for w in p.inputs],
            }
            for p in pieces
        ],
    }  # fmt: skip


def write(directory: Path, result: SplitResult, pieces: list[PieceTemplate], source: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for piece in pieces:
        (directory / piece.file).write_text(
            yaml.safe_dump(piece.template, sort_keys=False, default_flow_style=False)
        )
    target = directory / MANIFEST
    target.write_text(yaml.safe_dump(manifest(result, pieces, source), sort_keys=False))
    return target
