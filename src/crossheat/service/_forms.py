"""The launch form of a template: its parameters as fields, grouped, with their
constraints in words, and the problems of what was submitted, each beside the field
or the template line it concerns.

    form = parameter_form(service, Inputs(text, environments=[env]))
    for group in form.groups:            # the template's parameter_groups, then the rest
        for field in group.fields:       # name, type, label, help, hidden, constraints...
            ...
    checked = parameter_form(service, Inputs(text, parameters=submitted), submitted=True)
    checked.errors_for("vpn_psk")        # ["parameter 'vpn_psk': length must be at least 16"]
    checked.template_problems            # the others, each with its file, line and path

The checks are the template module's (``template.binding``: types, constraints, values
missing) and the analysis' (resources, regions): run by ``Service.validate``, not
redone here. Hidden parameters' values and defaults never appear in a form: a field
shows neither, and every message is scrubbed of the values given for them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from crossheat.errors import Diagnostic, format_path
from crossheat.plan.analysis import Analysis
from crossheat.redact import scrub
from crossheat.template.parameters import Parameter
from crossheat.template.values import UNKNOWN

if TYPE_CHECKING:
    from crossheat.service._service import Service
    from crossheat.service.inputs import Inputs

#: Diagnostics about a parameter's value (``template.binding``), shown beside its field.
PARAMETER_CODES = frozenset({"parameter", "constraint", "missing-parameter"})


@dataclass(frozen=True)
class ConstraintView:
    """One constraint in words: ``kind`` (``length``, ``range``, ``modulo``,
    ``allowed_values``, ``allowed_pattern``, ``custom_constraint``), ``text`` (what it
    asks) and the template's own ``description`` of it."""

    kind: str
    text: str
    description: str | None = None


@dataclass(frozen=True)
class ParameterField:
    """One parameter as a form field. ``value`` is the text to prefill (the value given,
    else the environment's, else the default); None for a hidden parameter, whose
    ``default`` is None too (``has_default`` says whether it has one, ``has_value``
    whether a value is given for it)."""

    name: str
    type: str
    label: str
    description: str
    hidden: bool
    default: str | None
    value: str | None
    has_default: bool
    #: A value is given for it (typed, the environment's, the stack's): hidden or not.
    has_value: bool = False
    constraints: tuple[ConstraintView, ...] = ()
    #: The allowed values (a choice), and the bounds, for the field's own attributes.
    allowed_values: tuple[str, ...] = ()
    min_value: float | None = None
    max_value: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    immutable: bool = False
    tags: tuple[str, ...] = ()

    @property
    def required(self) -> bool:
        """No value is known for it: the user must give one."""
        return not self.has_default and not self.has_value and self.type != "boolean"


@dataclass(frozen=True)
class FieldGroup:
    """A ``parameter_groups`` entry (its label, description and fields, in its order);
    the parameters no group names come last, in a group without a label."""

    label: str | None
    description: str | None
    fields: tuple[ParameterField, ...]


@dataclass(frozen=True)
class Problem:
    """One error (or warning) of a submitted template: about the parameter ``parameter``
    (shown beside its field), else at ``file``/``line`` and the template ``path``."""

    message: str
    parameter: str | None = None
    file: str | None = None
    line: int | None = None
    column: int | None = None
    path: str = ""
    hint: str | None = None
    code: str = "invalid"
    severity: str = "error"

    def as_dict(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "parameter": self.parameter,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": self.path,
            "hint": self.hint,
            "code": self.code,
            "severity": self.severity,
        }


@dataclass
class ParameterForm:
    """The form of a template and what is wrong with it (or with what was submitted)."""

    description: str = ""
    groups: list[FieldGroup] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def fields(self) -> list[ParameterField]:
        return [f for group in self.groups for f in group.fields]

    def field(self, name: str) -> ParameterField:
        for candidate in self.fields:
            if candidate.name == name:
                return candidate
        raise KeyError(name)

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    @property
    def errors(self) -> dict[str, list[str]]:
        """Each parameter's error messages (only the parameters that have some)."""
        found: dict[str, list[str]] = {}
        for problem in self.problems:
            if problem.parameter is not None and problem.severity == "error":
                found.setdefault(problem.parameter, []).append(problem.message)
        return found

    def errors_for(self, name: str) -> list[str]:
        return self.errors.get(name, [])

    @property
    def template_problems(self) -> list[Problem]:
        """The problems that concern no parameter: shown at their file and line."""
        return [p for p in self.problems if p.parameter is None]


def parameter_form(service: Service, inputs: Inputs, *, submitted: bool = False) -> ParameterForm:
    """The form of ``inputs``' template (its environments applied, ``inputs.parameters``
    the values given). ``submitted``: the values are the user's answer, so a parameter
    still without a value is an error; else it is a field to fill in."""
    analysis, missing = analyse(service, inputs)
    return form_of(analysis, missing, inputs.parameters, submitted=submitted)


def form_of(
    analysis: Analysis, missing: list[str], given: Mapping[str, Any], *, submitted: bool
) -> ParameterForm:
    """The form of an analysis (``analyse``'s, with the names of the parameters without a
    value), the values ``given``."""
    template = analysis.template
    hidden = set(template.hidden_parameters()) if template is not None else set()
    if template is not None:
        hidden |= set(template.environment.encrypted_param_names)
    secrets = _secret_texts(given, hidden)
    problems = [_problem(d, template_parameters(analysis), secrets) for d in analysis.diagnostics]
    if submitted:
        problems[:0] = [
            Problem(
                f"parameter {name!r} needs a value: it has no default",
                parameter=name,
                path=format_path(("parameters", name)),
                code="missing-parameter",
            )
            for name in missing
        ]
    if template is None:
        return ParameterForm(problems=problems)
    env = template.environment
    typed = {k: v for k, v in given.items() if k not in missing}
    fields = {
        name: _field(param, name in hidden, typed.get(name, env.parameters.get(name)), env)
        for name, param in template.parameters.items()
    }
    return ParameterForm(
        description=(template.description or "").strip(),
        groups=_groups(template.parameter_groups, fields),
        problems=problems,
    )


def check_parameters(service: Service, inputs: Inputs) -> ParameterForm:
    """The submitted values ``inputs.parameters`` checked: ``parameter_form`` with
    ``submitted``; ``errors`` holds each parameter's messages."""
    return parameter_form(service, inputs, submitted=True)


def template_problems(service: Service, inputs: Inputs) -> list[Problem]:
    """Every problem of a submitted template with what was given for it, each naming
    its parameter, or its file, line and template path."""
    return check_parameters(service, inputs).problems


def analyse(service: Service, inputs: Inputs) -> tuple[Analysis, list[str]]:
    """``Service.validate`` of ``inputs``; the parameters without a value stand for values
    known later (as Heat's validate takes them), so their absence hides nothing else.
    Also gives the names of those parameters."""
    analysis = service.validate(inputs)
    missing = [
        str(d.path[1])
        for d in analysis.errors
        if d.code == "missing-parameter" and len(d.path) == 2 and d.path[0] == "parameters"
    ]
    if missing:
        unknown: dict[str, Any] = dict.fromkeys(missing, UNKNOWN)
        analysis = service.validate(replace(inputs, parameters={**inputs.parameters, **unknown}))
    return analysis, missing


def template_parameters(analysis: Analysis) -> set[str]:
    return set(analysis.template.parameters) if analysis.template is not None else set()


def _secret_texts(given: Mapping[str, Any], hidden: Iterable[str]) -> set[str]:
    return {str(given[name]) for name in hidden if str(given.get(name) or "")}


def _problem(diagnostic: Diagnostic, parameters: set[str], secrets: set[str]) -> Problem:
    path = diagnostic.path
    about = None
    if (
        diagnostic.code in PARAMETER_CODES
        and len(path) == 2
        and path[0] == "parameters"
        and str(path[1]) in parameters
    ):
        about = str(path[1])
    where = diagnostic.location
    return Problem(
        scrub(diagnostic.message, secrets),
        parameter=about,
        file=where.file if where else None,
        line=where.line if where else None,
        column=where.column if where else None,
        path=format_path(path),
        hint=scrub(diagnostic.hint, secrets) if diagnostic.hint else None,
        code=diagnostic.code,
        severity=diagnostic.severity.value,
    )


def _field(param: Parameter, hidden: bool, value: Any, env: Any) -> ParameterField:
    default = env.parameter_defaults.get(param.name, param.default)
    views, bounds = constraint_views(param.constraints)
    shown = None if hidden or value is None or value is UNKNOWN else display(value, param.type)
    if shown is None and not hidden and default is not None:
        shown = display(default, param.type)
    return ParameterField(
        name=param.name,
        type=param.type,
        label=param.label or param.name,
        description=(param.description or "").strip(),
        hidden=hidden,
        default=None if hidden or default is None else display(default, param.type),
        value=shown,
        has_default=default is not None,
        has_value=value is not None and value is not UNKNOWN,
        constraints=views,
        immutable=param.immutable,
        tags=tuple(str(t) for t in param.tags),
        **bounds,
    )


def display(value: Any, kind: str) -> str:
    """A value as a form field's text: a list comma-separated, JSON as JSON, a boolean
    as ``true``/``false``."""
    if kind == "comma_delimited_list" and isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    if kind == "json" and not isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def constraint_views(
    constraints: list[dict[str, Any]],
) -> tuple[tuple[ConstraintView, ...], dict[str, Any]]:
    """Each constraint in words, and the bounds and choices a field can enforce."""
    views = []
    bounds: dict[str, Any] = {}
    for constraint in constraints:
        description = constraint.get("description")
        for kind, spec in constraint.items():
            if kind == "description":
                continue
            text = _words(kind, spec)
            views.append(ConstraintView(kind, text, str(description) if description else None))
            if kind == "allowed_values" and isinstance(spec, list):
                bounds["allowed_values"] = tuple(display(v, "string") for v in spec)
            elif kind == "range" and isinstance(spec, Mapping):
                bounds.update(min_value=spec.get("min"), max_value=spec.get("max"))
            elif kind == "length" and isinstance(spec, Mapping):
                bounds.update(min_length=spec.get("min"), max_length=spec.get("max"))
    return tuple(views), bounds


def _words(kind: str, spec: Any) -> str:
    if kind in ("length", "range") and isinstance(spec, Mapping):
        what = "length" if kind == "length" else "value"
        low, high = spec.get("min"), spec.get("max")
        if low is not None and high is not None:
            return f"{what} from {low} to {high}"
        if low is not None:
            return f"{what} at least {low}"
        return f"{what} at most {high}"
    if kind == "modulo" and isinstance(spec, Mapping):
        return f"a multiple of {spec.get('step', 1)} plus {spec.get('offset', 0)}"
    if kind == "allowed_values" and isinstance(spec, list):
        return "one of: " + ", ".join(display(v, "string") for v in spec)
    if kind == "allowed_pattern":
        return f"matches the pattern {spec}"
    if kind == "custom_constraint":
        return f"a valid {spec}"
    return f"{kind}: {spec}"


def _groups(declared: list[dict[str, Any]], fields: dict[str, ParameterField]) -> list[FieldGroup]:
    groups = []
    placed: set[str] = set()
    for group in declared:
        names = [
            str(n)
            for n in group.get("parameters") or []
            if str(n) in fields and str(n) not in placed
        ]
        placed.update(names)
        groups.append(
            FieldGroup(
                label=str(group["label"]) if group.get("label") else None,
                description=str(group["description"]).strip() if group.get("description") else None,
                fields=tuple(fields[n] for n in names),
            )
        )
    rest = tuple(f for name, f in fields.items() if name not in placed)
    if rest:
        groups.append(FieldGroup(None, None, rest))
    return groups
