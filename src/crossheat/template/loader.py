"""Loading a template file with its environments, nested templates and files.

    template = load_template("stack.yaml", ["env.yaml"], {"vpn_psk": "..."})
    template, diagnostics = parse_template("stack.yaml")   # never raises
    template = load_template_text(text, "inline.yaml")

``load_template`` raises ``TemplateError`` carrying every diagnostic found.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from crossheat.errors import Diagnostic, Location, TemplateError, TemplatePath, raise_if_errors
from crossheat.template.binding import Origin, bind
from crossheat.template.environment import TEMPLATE_SUFFIXES, Environment, load_environments
from crossheat.template.fanout import FanOut
from crossheat.template.functions.base import (
    PlanContext,
    Scope,
    did_you_mean,
    functions_in,
    resolve,
)
from crossheat.template.model import ResourceDefinition, Template
from crossheat.template.parameters import declare
from crossheat.template.remote_stack import REMOTE_ATTRIBUTES, REMOTE_STACK, remote_template
from crossheat.template.sections import (
    build_conditions,
    build_outputs,
    build_resource,
    enabled_resources,
    unknown_keys,
)
from crossheat.template.versions import CONDITIONS_SINCE, SUPPORTED_VERSIONS, at_least, describe
from crossheat.yamlmarks import SourceMap, load_yaml

_SECTIONS: Final = (
    "heat_template_version",
    "description",
    "parameter_groups",
    "parameters",
    "resources",
    "outputs",
)
_CFN_KEYS: Final = ("AWSTemplateFormatVersion", "HeatTemplateFormatVersion")

Diagnostics = list[Diagnostic]
#: Reads a file by its path (``OSError`` when it cannot): the disk, or content given.
Reader = Callable[[Path], str]


def load_template(
    path: str | Path,
    environment_files: Sequence[str | Path] = (),
    parameters: Mapping[str, str] | None = None,
) -> Template:
    """Load and validate ``path``; raises ``TemplateError`` with every problem."""
    template, found = parse_template(path, environment_files, parameters)
    return _checked(template, found)


def load_template_text(
    text: str,
    filename: str = "<template>",
    environment_files: Sequence[str | Path] = (),
    parameters: Mapping[str, str] | None = None,
) -> Template:
    """Like ``load_template`` for text in hand; files are relative to ``filename``'s folder."""
    envs = [Path(p) for p in environment_files]
    template, found = _Loader(envs).root(Path(filename), text, dict(parameters or {}))
    return _checked(template, _unique(found))


def parse_content(
    template: str | Mapping[str, Any],
    name: str,
    environments: Sequence[str | Path] = (),
    parameters: Mapping[str, str] | None = None,
    *,
    read: Reader,
) -> tuple[Template | None, Diagnostics]:
    """Like ``parse_template`` for content in hand: ``template`` is the text (or the data)
    of the template named ``name``; every other file (environments, ``get_file``, nested
    templates) is read with ``read``, named by its path joined to the folder of the file
    that names it (``lib/server.yaml`` for ``type: server.yaml`` in ``lib/web.yaml``)."""
    envs = [Path(p) for p in environments]
    template_, found = _Loader(envs, read).root(Path(name), template, dict(parameters or {}))
    return template_, _unique(found)


def parse_template(
    path: str | Path,
    environment_files: Sequence[str | Path] = (),
    parameters: Mapping[str, str] | None = None,
) -> tuple[Template | None, Diagnostics]:
    """Like ``load_template`` without raising; ``None`` only when nothing could be read."""
    file = Path(path)
    try:
        text = file.read_text()
    except OSError as exc:
        return None, [Diagnostic(f"cannot read template: {exc.strerror}", (), Location(str(file)))]
    envs = [Path(p) for p in environment_files]
    template, found = _Loader(envs).root(file, text, dict(parameters or {}))
    return template, _unique(found)


def _unique(found: Diagnostics) -> Diagnostics:
    """Each diagnostic once (a condition used twice reports its problems once)."""
    return list(dict.fromkeys(found))


def _checked(template: Template | None, found: Diagnostics) -> Template:
    raise_if_errors(found)
    if template is None:
        raise TemplateError(found)
    return template


class _Loader:
    """One load: the merged environment and the chain of template files."""

    def __init__(self, env_paths: list[Path], read: Reader = Path.read_text) -> None:
        self.env_paths = env_paths
        self.env = Environment()
        self.read = read

    def root(
        self, path: Path, text: str | Mapping[str, Any], given: dict[str, Any]
    ) -> tuple[Template | None, Diagnostics]:
        return self.load(path, text, given, Origin(), (path.resolve(),), None)

    def load(
        self,
        path: Path,
        text: str | Mapping[str, Any],
        given: Mapping[str, Any],
        origin: Origin,
        chain: tuple[Path, ...],
        facade: dict[str, Any] | None,
    ) -> tuple[Template | None, Diagnostics]:
        if isinstance(text, str):
            data, source, found = load_yaml(text, str(path))
        else:  # data in hand (a stored template): no marks to locate problems with
            data, source, found = dict(text), SourceMap(str(path)), []
        if data is None:
            if not found:
                found.append(Diagnostic("the template is empty", (), Location(str(path))))
            return None, found
        version = _version(data, source, found)
        if version is None:
            return None, found
        found += _sections(data, version, source)
        params, problems = declare(data.get("parameters"), version, source)
        found += problems
        if not origin.nested:
            self.env, problems = load_environments(self.env_paths, params, self.read)
            found += problems
            for name in self.env.encrypted_param_names:  # as secret as hidden: true
                if isinstance(name, str) and name in params:
                    params[name].hidden = True
        found += bind(params, source, self.env, given, origin)
        scope = Scope(version, source, base_dir=path.parent, facade=facade, read=self.read)
        scope.hidden = frozenset(name for name, p in params.items() if p.hidden)
        scope.parameters = {name: p.value for name, p in params.items()}
        template = Template(path, version, source, parameters=params, environment=self.env)
        template.description = str(data.get("description") or "")
        template.conditions = build_conditions(data.get("conditions"), scope, found)
        fan = self._resources(template, data.get("resources"), scope, found, chain)
        template.outputs = build_outputs(fan.outputs(data.get("outputs")), scope, found)
        template.parameter_groups = _groups(data.get("parameter_groups"), params, scope, found)
        found += _validate_functions(template)
        found += _nested_attributes(template)
        template.files = scope.files
        return template, found

    def _resources(
        self,
        template: Template,
        section: Any,
        scope: Scope,
        found: Diagnostics,
        chain: tuple[Path, ...],
    ) -> FanOut:
        """The resources, fanned-out ones as their copies (``FanOut`` rewrites outputs)."""
        fan = FanOut(scope, found)
        if section is not None and not isinstance(section, dict):
            found.append(
                Diagnostic(
                    "resources must be a map", ("resources",), scope.source.locate(("resources",))
                )
            )
            return fan
        for name, data in fan.resources(enabled_resources(section or {}, scope, found)).items():
            resource = build_resource(name, data, scope, found)
            if resource is not None:
                self._typed(resource, scope, found, chain)
                template.resources[name] = resource
        return fan

    def _typed(
        self,
        resource: ResourceDefinition,
        scope: Scope,
        found: Diagnostics,
        chain: tuple[Path, ...],
    ) -> None:
        """Apply the registry; load the template of a template resource."""
        if resource.type == REMOTE_STACK:
            self._remote(resource, scope, found, chain)
            return
        if resource.type.endswith(TEMPLATE_SUFFIXES):
            self._nest(resource, scope.base_dir / _local(resource.type), scope, found, chain)
            return
        entry = self.env.resolve_type(resource.type, resource.name)
        if entry is None:
            return
        if not entry.is_file:  # an alias: the engine acts on the registered type
            resource.type = entry.target
        else:  # a template resource keeps the name it was given, as Heat shows it
            self._nest(resource, entry.base_dir / _local(entry.target), scope, found, chain)

    def _nest(
        self,
        resource: ResourceDefinition,
        file: Path,
        scope: Scope,
        found: Diagnostics,
        chain: tuple[Path, ...],
    ) -> None:
        where: TemplatePath = (*resource.path, "type")
        location = scope.source.locate(where)
        if file.resolve() in chain:
            loop = " -> ".join(p.name for p in (*chain, file.resolve()))
            found.append(
                Diagnostic(f"template resources form a loop: {loop}", where, location, code="loop")
            )
            return
        try:
            text = self.read(file)
        except OSError as exc:
            message = f"cannot read template {resource.type!r}: {exc.strerror}"
            found.append(Diagnostic(message, where, location))
            return
        scope.files[resource.type] = text
        given = resolve(resource.properties, PlanContext())
        origin = Origin(scope.source, (*resource.path, "properties"))
        nested, problems = self.load(
            file,
            text,
            given if isinstance(given, dict) else {},
            origin,
            (*chain, file.resolve()),
            _facade(resource),
        )
        found += problems
        resource.nested = nested

    def _remote(
        self,
        resource: ResourceDefinition,
        scope: Scope,
        found: Diagnostics,
        chain: tuple[Path, ...],
    ) -> None:
        """``OS::Heat::Stack``: its inline template loaded as a template resource's."""
        template, problems = remote_template(resource, scope)
        found += problems
        if template is None:
            return
        given = resolve(resource.properties, PlanContext())
        origin = Origin(scope.source, (*resource.path, "properties", "parameters"))
        file = scope.base_dir / f"{resource.name}.template"
        nested, problems = self.load(
            file, template, given if isinstance(given, dict) else {}, origin, chain,
            _facade(resource),
        )  # fmt: skip
        found += problems
        resource.nested = nested


def _facade(resource: ResourceDefinition) -> dict[str, Any]:
    return {
        "metadata": resolve(resource.metadata, PlanContext()),
        "deletion_policy": resource.deletion_policy,
        "update_policy": resolve(resource.update_policy, PlanContext()),
    }


def _version(data: Any, source: SourceMap, found: Diagnostics) -> str | None:
    if not isinstance(data, dict):
        found.append(Diagnostic("a template must be a map", (), source.locate(())))
        return None
    for key in _CFN_KEYS:
        if key in data:
            message = "CloudFormation-format templates are not supported by crossheat"
            hint = "write a HOT template (heat_template_version)"
            found.append(
                Diagnostic(message, (key,), source.locate((key,)), hint, code="not-supported")
            )
            return None
    raw = data.get("heat_template_version")
    path: TemplatePath = ("heat_template_version",)
    if raw is None:
        found.append(
            Diagnostic(
                "heat_template_version is missing",
                path,
                source.locate(()),
                "e.g. heat_template_version: 2021-04-16",
            )
        )
        return None
    version = SUPPORTED_VERSIONS.get(str(raw))
    if version is None:
        known = ", ".join(SUPPORTED_VERSIONS)
        found.append(
            Diagnostic(
                f"unknown heat_template_version {raw!r}",
                path,
                source.locate(path),
                f"one of: {known}",
            )
        )
    return version


def _sections(data: dict[str, Any], version: str, source: SourceMap) -> Diagnostics:
    allowed = _SECTIONS + (("conditions",) if at_least(version, CONDITIONS_SINCE) else ())
    scope = Scope(version, source)
    found = unknown_keys(data, allowed, (), scope, "the template")
    if "conditions" in data and "conditions" not in allowed:
        path: TemplatePath = ("conditions",)
        message = f"conditions are not available in heat_template_version {describe(version)}"
        hint = f"the conditions section was added in {describe(CONDITIONS_SINCE)}"
        found = [d for d in found if d.path != path]
        found.append(Diagnostic(message, path, source.locate(path), hint, code="unknown-key"))
    return found


def _groups(
    section: Any, params: Mapping[str, Any], scope: Scope, found: Diagnostics
) -> list[dict[str, Any]]:
    if section is None:
        return []
    if not isinstance(section, list):
        found.append(
            Diagnostic(
                "parameter_groups must be a list",
                ("parameter_groups",),
                scope.source.locate(("parameter_groups",)),
            )
        )
        return []
    for index, group in enumerate(section):
        path: TemplatePath = ("parameter_groups", index)
        if not isinstance(group, dict):
            found.append(
                Diagnostic("a parameter group must be a map", path, scope.source.locate(path))
            )
            continue
        found += unknown_keys(
            group, ("label", "description", "parameters"), path, scope, "parameter group"
        )
        for pos, name in enumerate(group.get("parameters") or []):
            if name not in params:
                where = (*path, "parameters", pos)
                found.append(
                    Diagnostic(
                        f"parameter group names unknown parameter {name!r}",
                        where,
                        scope.source.locate(where),
                    )
                )
    return [g for g in section if isinstance(g, dict)]


def _validate_functions(template: Template) -> Diagnostics:
    values: list[Any] = []
    for r in template.resources.values():
        values += [r.properties, r.metadata, r.update_policy, r.external_id]
    values += [o.value for o in template.outputs.values()]
    return [d for fn in functions_in(values) for d in fn.validate()]


#: Attributes every template resource has besides its template's outputs.
_STACK_ATTRIBUTES: Final = ("OS::stack_id",)


def _nested_attributes(template: Template) -> Diagnostics:
    """``get_attr`` on a template resource must name one of its template's outputs."""
    found = []
    for ref in template.references():
        target = template.resources.get(ref.resource)
        if ref.kind != "get_attr" or not ref.attribute or target is None or not target.nested:
            continue
        known = (*target.nested.outputs, *_STACK_ATTRIBUTES)
        if target.type == REMOTE_STACK:
            known += REMOTE_ATTRIBUTES
        first = ref.attribute[0]
        if isinstance(first, str) and first not in known and not first.startswith("resource."):
            message = f"{ref.resource} ({target.type}) has no attribute {first!r}"
            hint = did_you_mean(first, known) or f"its outputs: {', '.join(known)}"
            found.append(Diagnostic(message, ref.path, template.source.locate(ref.path), hint))
    return found


def _local(name: str) -> str:
    """A template's path as named: heatclient names files by ``file://`` URLs (as
    ``get_file`` may), which are absolute paths."""
    return name.removeprefix("file://")
