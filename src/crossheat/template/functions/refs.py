"""Functions that refer to something: parameters, resources, files, the facade.

get_param: name            get_param: [name, key_or_index, ...]
get_resource: name
get_attr: [resource, attribute, key_or_index, ...]
get_attr: [resource]       (all attributes, from 2015-10-15)
get_file: relative/path
resource_facade: metadata | deletion_policy | update_policy
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from crossheat.errors import Diagnostic
from crossheat.template.functions.base import (
    Function,
    ResolveContext,
    did_you_mean,
    functions_in,
    is_list,
    resolve,
)
from crossheat.template.values import UNKNOWN, contains_unknown


class GetParam(Function):
    """``get_param: name`` or ``get_param: [name, path...]`` into json/list values.

    A path that does not exist gives ``""``, as in Heat.
    """

    def _name(self) -> Any:
        return self.args[0] if is_list(self.args) and self.args else self.args

    def check(self) -> list[Diagnostic]:
        name = self._name()
        if (is_list(self.args) and not self.args) or not isinstance(name, str):
            return [self.diagnostic("get_param takes a parameter name or [name, path...]")]
        if name not in self.scope.parameters:
            hint = did_you_mean(name, self.scope.parameters) or "declare it under parameters"
            return [self.diagnostic(f"unknown parameter {name!r}", hint, "unknown-reference")]
        return []

    def compute(self, args: Any) -> Any:
        name = self._name()
        if name not in self.scope.parameters:
            raise self.error(
                f"unknown parameter {name!r}", did_you_mean(name, self.scope.parameters)
            )
        value = self.scope.parameters[name]
        for key in args[1:] if is_list(args) else []:
            if contains_unknown(value):
                return UNKNOWN
            value = _step(value, key)
        return UNKNOWN if contains_unknown(value) else value


def _step(value: Any, key: Any) -> Any:
    try:
        if is_list(value):
            return value[int(key)]
        if isinstance(value, dict):
            return value[key]
    except (KeyError, IndexError, ValueError, TypeError):
        return ""
    return ""


class _ResourceRef(Function):
    """Shared checks: the resource name is a literal naming a defined resource."""

    def resource_name(self) -> Any:
        return self.args[0] if is_list(self.args) and self.args else self.args

    def check_resource(self) -> list[Diagnostic]:
        name = self.resource_name()
        if not isinstance(name, str):
            return [self.diagnostic(f"{self.name} needs a resource name (a string)")]
        if name in self.scope.disabled:
            condition = self.scope.disabled[name]
            message = f"resource {name!r} is left out by its condition {condition!r}"
            return [self.diagnostic(message, code="unknown-reference")]
        if name not in self.scope.resources:
            hint = did_you_mean(name, self.scope.resources)
            return [self.diagnostic(f"unknown resource {name!r}", hint, "unknown-reference")]
        return []

    def dependencies(self) -> set[str]:
        name = self.resource_name()
        own = {name} if isinstance(name, str) else set()
        return own | super().dependencies()


class GetResource(_ResourceRef):
    """``get_resource: name``: the resource's ID."""

    def resource_name(self) -> Any:
        return self.args

    def check(self) -> list[Diagnostic]:
        return self.check_resource()

    def result(self, ctx: ResolveContext) -> Any:
        return ctx.get_resource(self.args)

    def compute(self, args: Any) -> Any:
        raise self.error("get_resource is resolved by the context")


class GetAttr(_ResourceRef):
    """``get_attr: [resource, attribute, path...]``; Heat's ``GetAtt``."""

    all_attributes = False

    def check(self) -> list[Diagnostic]:
        minimum = 1 if self.all_attributes else 2
        if not is_list(self.args) or len(self.args) < minimum:
            return [self.diagnostic(self._usage(), self._hint())]
        return self.check_resource()

    def _usage(self) -> str:
        if self.all_attributes:
            return "get_attr takes [resource] or [resource, attribute, path...]"
        return "get_attr takes [resource, attribute, path...]"

    def _hint(self) -> str | None:
        if self.all_attributes or not is_list(self.args) or len(self.args) != 1:
            return None
        return "get_attr with only a resource name needs heat_template_version 2015-10-15"

    def attribute_path(self) -> tuple[Any, ...]:
        return tuple(self.args[1:])

    def children(self) -> Iterator[Function]:
        return functions_in(list(self.args[1:]) if is_list(self.args) else [])

    def result(self, ctx: ResolveContext) -> Any:
        path = resolve(list(self.attribute_path()), ctx)
        if contains_unknown(path):
            return UNKNOWN
        return ctx.get_attr(self.resource_name(), path)

    def compute(self, args: Any) -> Any:
        raise self.error("get_attr is resolved by the context")


class GetAttrAll(GetAttr):
    """``get_attr`` from 2015-10-15: ``[resource]`` alone gives every attribute."""

    all_attributes = True


class GetFile(Function):
    """``get_file: path``: the file's contents, read relative to the template."""

    def check(self) -> list[Diagnostic]:
        if not isinstance(self.args, str):
            return [self.diagnostic("get_file takes a file path (a string)")]
        if self.args in self.scope.files:
            return []
        local = self.args.removeprefix("file://")
        try:
            self.scope.files[self.args] = self.scope.read(self.scope.base_dir / local)
        except OSError as exc:
            return [self.diagnostic(f"get_file cannot read {self.args!r}: {exc.strerror}")]
        return []

    def compute(self, args: Any) -> Any:
        if args not in self.scope.files:
            raise self.error(f"get_file: {args!r} was not read")
        return self.scope.files[args]


_FACADE_DEFAULTS: dict[str, Any] = {
    "metadata": {},
    "deletion_policy": "Delete",
    "update_policy": {},
}


class ResourceFacade(Function):
    """``resource_facade: metadata``: a field of the parent's template resource."""

    def check(self) -> list[Diagnostic]:
        if self.args not in _FACADE_DEFAULTS:
            return [self.diagnostic("resource_facade takes " + ", ".join(_FACADE_DEFAULTS))]
        if self.scope.facade is None:
            message = "resource_facade only works in the template of a template resource"
            return [self.diagnostic(message)]
        return []

    def compute(self, args: Any) -> Any:
        facade = self.scope.facade or {}
        found = facade.get(args)
        return _FACADE_DEFAULTS[args] if found is None else found
