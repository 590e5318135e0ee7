"""Template resources expanded into their parent, so the engine sees only registry types.

A resource ``east_mod`` of type ``net.yaml`` (or of a type the environment's
``resource_registry`` maps to a file) becomes the resources of ``net.yaml``,
named ``east_mod.net``, ``east_mod.subnet`` (nested in nested:
``east_mod.inner.x``)::

    template, diagnostics = flatten(load_template("top.yaml"))

In the expanded resources, references are renamed (``get_resource: net`` ->
``get_resource: east_mod.net``, likewise ``get_attr`` and ``depends_on``), and
``get_param: cidr`` becomes what the parent gives for ``cidr``: its value
when known at load time (the default, a literal; a string the parent
computes, e.g. its own ``get_param``, stays that expression), else the
parent's expression itself (e.g. a ``get_attr`` of a parent resource), which
stays live and makes a real dependency. A resource without
its own ``region`` takes the template resource's; ``depends_on`` of the
template resource applies to each of its resources.

In the parent, ``get_attr: [east_mod, network_id]`` becomes the nested
output's value expression, ``get_attr: [east_mod, resource.net.name]`` (or
``[east_mod, resource.net, name]``) becomes ``get_attr: [east_mod.net, name]``,
and ``depends_on: east_mod`` depends on every ``east_mod.*`` resource. The
template resource itself has no cloud object: ``get_resource: east_mod`` and
``get_attr: [east_mod, OS::stack_id]`` answer its name, ``"east_mod"``, once
every ``east_mod.*`` resource exists. The flattened template's ``nested_outputs``
holds each template resource's outputs (at every level: ``east_mod``,
``east_mod.inner``) rewritten so, as the parent's ``get_attr`` would read them:
what the nested stack shows as its own outputs.

Diagnostics about an expanded resource keep naming the nested file and line:
the flattened template's ``source`` locates ``resources.east_mod.net...`` at
``resources.net...`` in ``net.yaml``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Final

from crossheat.errors import Diagnostic, Location, TemplatePath, raise_if_errors
from crossheat.template.environment import TEMPLATE_SUFFIXES
from crossheat.template.functions.base import (
    Function,
    PlanContext,
    ResolveContext,
    Scope,
    functions_in,
    is_list,
    resolve,
)
from crossheat.template.functions.refs import GetAttr, GetParam, GetResource
from crossheat.template.model import OutputDefinition, ResourceDefinition, Template
from crossheat.template.parameters import Parameter, convert
from crossheat.template.remote_stack import REMOTE_ATTRIBUTES, REMOTE_STACK
from crossheat.template.values import UNKNOWN, contains_unknown
from crossheat.yamlmarks import SourceMap

#: Between a template resource's name and the name of a resource of its template.
SEPARATOR: Final = "."
#: The attribute of a template resource that names its stack.
STACK_ID: Final = "OS::stack_id"
_RESOURCE_PREFIX: Final = "resource."


def flatten(template: Template) -> tuple[Template, list[Diagnostic]]:
    """``template`` with every template resource expanded; the diagnostics say what failed."""
    if not any(_is_template_resource(r) for r in template.resources.values()):
        return template, []
    return _Flattener(template).run()


def flatten_checked(template: Template) -> Template:
    """Like ``flatten``; raises ``TemplateError`` when something cannot be expanded."""
    flat, found = flatten(template)
    raise_if_errors(found)
    return flat


def _is_template_resource(definition: ResourceDefinition) -> bool:
    return definition.nested is not None or definition.type.endswith(TEMPLATE_SUFFIXES)


@dataclass
class FlatSourceMap(SourceMap):
    """The parent's marks; an expanded resource's paths are located in its own file."""

    #: flattened name -> (the source map of its template, its name there)
    origins: dict[str, tuple[SourceMap, str]] = field(default_factory=dict)

    def locate(self, path: TemplatePath) -> Location:
        if len(path) >= 2 and path[0] == "resources" and path[1] in self.origins:
            source, name = self.origins[str(path[1])]
            return source.locate(("resources", name, *path[2:]))
        return super().locate(path)


class _Lookup(Function):
    """``[value, key_or_index, ...]``: ``value`` walked along the keys, at deploy time.

    What a nested ``get_param`` or a parent's ``get_attr`` of a nested output with
    a path becomes when the value is an expression; with ``parameter``, the
    result is converted to the parameter's type.
    """

    parameter: Parameter | None = None

    def result(self, ctx: ResolveContext) -> Any:
        value = resolve(self.args, ctx)
        if contains_unknown(value):
            return UNKNOWN
        found = _walk(value[0], value[1:])
        if self.parameter is None:
            return found
        try:
            return convert(self.parameter, found)
        except ValueError as exc:
            raise self.error(f"parameter {self.parameter.name!r}: {exc}") from exc

    def compute(self, args: Any) -> Any:
        return args


def _same_string(parameter: Parameter | None, given: Any) -> Any:
    """``given`` when it is an expression giving the string parameter its value as is."""
    if parameter is None or parameter.type != "string" or next(functions_in(given), None) is None:
        return None
    return given if resolve(given, PlanContext()) == parameter.value else None


def _walk(value: Any, path: list[Any]) -> Any:
    """Heat's walk into attributes: a missing key or index gives None."""
    for key in path:
        if isinstance(value, dict):
            value = value.get(key)
        elif is_list(value):
            try:
                value = value[int(key)]
            except (ValueError, IndexError):
                return None
        else:
            return None
    return value


class _StackName(Function):
    """A template resource's own value (``get_resource``, ``OS::stack_id``): its nested
    stack's id once the stack has one (the context's ``nested_ids``), else its name."""

    stack: str = ""

    def result(self, ctx: ResolveContext) -> Any:
        ids = getattr(ctx, "nested_ids", None) or {}
        return ids.get(self.stack, self.stack)

    def compute(self, args: Any) -> Any:
        return self.stack


class _NestedStackName(_StackName):
    """``stack_name`` of an ``OS::Heat::Stack``: its nested stack's name, which is the
    parent stack's name and the resource's (``vpn-remote``), once its resources exist."""

    def result(self, ctx: ResolveContext) -> Any:
        if contains_unknown(resolve(self.args, ctx)):
            return UNKNOWN
        parent = getattr(ctx, "stack_name", "")
        return nested_stack_name(parent, self.stack) if parent else self.stack


def nested_stack_name(parent: str, resource: str) -> str:
    """The name of the nested stack of resource ``resource`` of stack ``parent``
    (``resource`` a path, ``remote.sub``: ``<parent>-remote-sub``)."""
    return f"{parent}-{resource.replace(SEPARATOR, '-')}"


def _copy(fn: Function, args: Any, scope: Scope) -> Function:
    new = copy.copy(fn)
    new.args = args
    new.scope = scope
    return new


def _rewrite(value: Any, on_function: Callable[[Function], Any]) -> Any:
    if isinstance(value, Function):
        return on_function(value)
    if isinstance(value, dict):
        return {k: _rewrite(v, on_function) for k, v in value.items()}
    if isinstance(value, list):
        return [_rewrite(v, on_function) for v in value]
    return value


@dataclass
class _Module:
    """One template resource: its definition, and its template already flattened."""

    name: str
    definition: ResourceDefinition
    inner: Template

    @property
    def nested(self) -> Template:
        assert self.definition.nested is not None
        return self.definition.nested

    def full(self, name: str) -> str:
        return f"{self.name}{SEPARATOR}{name}"

    def names(self) -> list[str]:
        return [self.full(n) for n in self.inner.resources]


class _Flattener:
    """One level: the template's own template resources, already flat inside."""

    def __init__(self, template: Template) -> None:
        self.template = template
        self.found: list[Diagnostic] = []
        self.modules: dict[str, _Module] = {}
        for name, definition in template.resources.items():
            if definition.nested is not None:
                inner, problems = flatten(definition.nested)
                self.found += problems
                self.modules[name] = _Module(name, definition, inner)
        self.plain = {n: r for n, r in template.resources.items() if not _is_template_resource(r)}
        self.names = set(self.plain) | {n for m in self.modules.values() for n in m.names()}
        self.scopes: dict[int, Scope] = {}
        self.busy: set[tuple[str, str]] = set()

    def run(self) -> tuple[Template, list[Diagnostic]]:
        resources = {n: self._plain(r) for n, r in self.plain.items()}
        origins: dict[str, tuple[SourceMap, str]] = {}
        for module in self.modules.values():
            for name, definition in module.inner.resources.items():
                full = module.full(name)
                if full in resources:
                    self._clash(module, full)
                resources[full] = self._expanded(module, definition)
                origins[full] = (module.inner.source, name)
        outputs = {
            n: OutputDefinition(n, self.outer(o.value), o.description, o.condition)
            for n, o in self.template.outputs.items()
        }
        source = FlatSourceMap(self.template.source.file, self.template.source.marks, origins)
        expanded = {n: r for n, r in self.template.resources.items() if _is_template_resource(r)}
        flat = replace(
            self.template,
            source=source,
            resources=resources,
            outputs=outputs,
            expanded=expanded,
            nested_outputs=self._nested_outputs(),
        )
        return flat, self.found

    def _nested_outputs(self) -> dict[str, dict[str, OutputDefinition]]:
        """The outputs of each nested stack below this template, at every level, by path
        (``remote``, ``remote.sub``), as values of this template: what a nested stack shows
        as its outputs is what the parent's ``get_attr`` of them gives. They add no
        diagnostic: what they read is checked where a resource or output reads it."""
        reported = len(self.found)
        found: dict[str, dict[str, OutputDefinition]] = {}
        for module in self.modules.values():
            found[module.name] = {
                name: replace(output, value=self._output(module, name, None))
                for name, output in module.inner.outputs.items()
            }
            for path, outputs in module.inner.nested_outputs.items():
                found[module.full(path)] = {
                    name: replace(output, value=self.inner(module, output.value))
                    for name, output in outputs.items()
                }
        del self.found[reported:]
        return found

    def _clash(self, module: _Module, full: str) -> None:
        path: TemplatePath = ("resources", full)
        message = f"resource {full!r} clashes with a resource of template resource {module.name}"
        where = self.template.source.locate(path)
        self.found.append(Diagnostic(message, path, where, "rename one of them", code="clash"))

    # -- resources ---------------------------------------------------------------

    def _plain(self, definition: ResourceDefinition) -> ResourceDefinition:
        return ResourceDefinition(
            name=definition.name,
            type=definition.type,
            region=definition.region,
            properties=self.outer(definition.properties),
            metadata=self.outer(definition.metadata),
            depends_on=self.depends_on(definition.depends_on),
            deletion_policy=definition.deletion_policy,
            update_policy=self.outer(definition.update_policy),
            condition=definition.condition,
            external_id=self.outer(definition.external_id),
        )

    def _expanded(self, module: _Module, definition: ResourceDefinition) -> ResourceDefinition:
        def inner(value: Any) -> Any:
            return self.inner(module, value)

        parent = module.definition
        own = [module.full(n) for n in definition.depends_on]
        return ResourceDefinition(
            name=module.full(definition.name),
            type=definition.type,
            region=definition.region or parent.region,
            properties=inner(definition.properties),
            metadata=inner(definition.metadata),
            depends_on=own + [n for n in self.depends_on(parent.depends_on) if n not in own],
            deletion_policy=definition.deletion_policy,
            update_policy=inner(definition.update_policy),
            condition=definition.condition,
            external_id=inner(definition.external_id),
        )

    def depends_on(self, names: list[str]) -> list[str]:
        found: list[str] = []
        for name in names:
            module = self.modules.get(name)
            found += module.names() if module is not None else [name]
        return found

    def scope(self, old: Scope) -> Scope:
        """``old`` seeing the flattened resources (memoised: functions share scopes)."""
        new = self.scopes.get(id(old))
        if new is None:
            new = self.scopes[id(old)] = replace(old, resources=set(self.names))
        return new

    # -- values in the parent ------------------------------------------------------

    def outer(self, value: Any) -> Any:
        """A value of this template, references to its template resources expanded."""
        return _rewrite(value, self._outer_function)

    def _outer_function(self, fn: Function) -> Any:
        target = fn.resource_name() if isinstance(fn, GetResource | GetAttr) else None
        module = self.modules.get(target) if isinstance(target, str) else None
        if module is not None and isinstance(fn, GetResource):
            return self._stack_name(module, fn)
        if module is not None and isinstance(fn, GetAttr):
            return self._module_attribute(module, fn)
        return _copy(fn, self.outer(fn.args), self.scope(fn.scope))

    def _stack_name(self, module: _Module, fn: Function) -> Function:
        scope = self.scope(fn.scope)
        refs = [GetResource("get_resource", name, fn.path, scope) for name in module.names()]
        new = _StackName("get_resource", refs, fn.path, scope)
        new.stack = module.name
        return new

    def _module_attribute(self, module: _Module, fn: GetAttr) -> Any:
        path = list(fn.attribute_path())
        if not path:
            every = {o: self._output(module, o, fn) for o in module.inner.outputs}
            return {**every, STACK_ID: self._stack_name(module, fn)}
        attribute = resolve(path[0], PlanContext())
        rest = self.outer(path[1:])
        if not isinstance(attribute, str):
            self.found.append(fn.diagnostic("the attribute of a template resource must be known"))
            return None
        if attribute == STACK_ID:
            return self._stack_name(module, fn)
        if module.definition.type == REMOTE_STACK and attribute in REMOTE_ATTRIBUTES:
            return self._remote_attribute(module, fn, attribute, rest)
        if attribute.startswith(_RESOURCE_PREFIX):
            return self._resource_attribute(module, fn, attribute, rest)
        return self._dig(self._output(module, attribute, fn), rest, fn)

    def _resource_attribute(
        self, module: _Module, fn: GetAttr, attribute: str, rest: list[Any]
    ) -> Any:
        """``[mod, resource.X.attr, ...]`` or ``[mod, resource.X, attr, ...]``."""
        name, _, first = attribute.removeprefix(_RESOURCE_PREFIX).partition(".")
        if name not in module.inner.resources:
            known = ", ".join(module.inner.resources)
            message = f"{module.nested.path.name} has no resource {name!r} (it has {known})"
            self.found.append(fn.diagnostic(message, code="unknown-reference"))
            return None
        args = [module.full(name), *([first] if first else []), *rest]
        return _copy(fn, args, self.scope(fn.scope))

    def _remote_attribute(
        self, module: _Module, fn: GetAttr, attribute: str, rest: list[Any]
    ) -> Any:
        """``OS::Heat::Stack``'s own: ``[remote, outputs(, key ...)]``, ``[remote, stack_name]``."""
        if attribute == "stack_name":
            new = _NestedStackName("get_attr", self._stack_name(module, fn), fn.path, fn.scope)
            new.stack = module.name
            return new
        key = resolve(rest[0], PlanContext()) if rest else None
        if isinstance(key, str) and key in module.inner.outputs:
            return self._dig(self._output(module, key, fn), rest[1:], fn)
        every = {o: self._output(module, o, fn) for o in module.inner.outputs}
        return self._dig(every, rest, fn)

    def _dig(self, value: Any, path: list[Any], at: Function) -> Any:
        if not path:
            return value
        if isinstance(value, GetAttr) and is_list(value.args):
            return _copy(value, [*value.args, *path], value.scope)
        return _Lookup("get_attr", [value, *path], at.path, self.scope(at.scope))

    def _output(self, module: _Module, name: str, at: Function | None) -> Any:
        output = module.inner.outputs.get(name)
        if output is None:  # reported by the loader
            return None
        if not self._enter(module.name, f"outputs.{name}", at):
            return None
        try:
            return self.inner(module, output.value)
        finally:
            self.busy.discard((module.name, f"outputs.{name}"))

    def _enter(self, module: str, what: str, at: Function | None) -> bool:
        """False (and an error at ``at``) when working out ``what`` of ``module`` needs itself."""
        if (module, what) in self.busy:
            message = f"template resource {module}: {what} depends on itself"
            if at is not None:
                self.found.append(at.diagnostic(message, code="cycle"))
            return False
        self.busy.add((module, what))
        return True

    # -- values in a template resource's template ---------------------------------

    def inner(self, module: _Module, value: Any) -> Any:
        """A value of ``module``'s flat template, renamed and its parameters bound."""
        return _rewrite(value, lambda fn: self._inner_function(module, fn))

    def _inner_function(self, module: _Module, fn: Function) -> Any:
        if isinstance(fn, GetParam) and fn.scope.source is module.nested.source:
            return self._parameter(module, fn)
        args = self.inner(module, fn.args)
        if isinstance(fn, GetResource) and isinstance(args, str):
            args = module.full(args)
        elif isinstance(fn, GetAttr) and is_list(args) and args and isinstance(args[0], str):
            args = [module.full(args[0]), *args[1:]]
        new = _copy(fn, args, self.scope(fn.scope))
        if isinstance(new, _StackName):  # a template resource of the nested template
            new.stack = module.full(new.stack)
        return new

    def _parameter(self, module: _Module, fn: GetParam) -> Any:
        """What the parent gives for the parameter; live when only known at deploy."""
        name = fn.args[0] if is_list(fn.args) and fn.args else fn.args
        parameter = module.nested.parameters.get(name) if isinstance(name, str) else None
        given = module.definition.properties
        if parameter is None or not contains_unknown(parameter.value):
            same = _same_string(parameter, given.get(name) if isinstance(given, dict) else None)
            if same is not None and fn.args == name:
                return self.outer(same)  # e.g. the parent's get_param, kept for split
            return fn.result(PlanContext())  # known now: the value itself
        path = self.inner(module, list(fn.args[1:]) if is_list(fn.args) else [])
        if not self._enter(module.name, f"properties.{name}", fn):
            return None
        try:
            if isinstance(given, dict):
                value = self.outer(given.get(name))
            else:
                value, path = self.outer(given), [name, *path]
        finally:
            self.busy.discard((module.name, f"properties.{name}"))
        if not path and parameter.type == "string":
            return value
        lookup = _Lookup("get_param", [value, *path], fn.path, self.scope(fn.scope))
        lookup.parameter = parameter
        return lookup
