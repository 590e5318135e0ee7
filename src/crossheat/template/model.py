"""The parsed template: ``Template``, ``ResourceDefinition``, ``OutputDefinition``.

Values hold ``Function`` objects where the template calls one; evaluate them
with ``resolve(value, ctx)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crossheat.errors import Location, TemplatePath
from crossheat.template.environment import Environment
from crossheat.template.functions.base import Function, PlanContext, functions_in, resolve
from crossheat.template.functions.refs import GetAttr, GetResource
from crossheat.template.parameters import Parameter
from crossheat.yamlmarks import SourceMap


@dataclass(frozen=True)
class Reference:
    """One ``get_resource`` or ``get_attr`` of ``resource``, at ``path``.

    ``attribute`` is ``(attribute, *sub_path)`` for ``get_attr`` (empty for
    all attributes and for ``get_resource``).
    """

    kind: str
    resource: str
    attribute: tuple[Any, ...]
    path: TemplatePath


def references_in(value: Any) -> list[Reference]:
    """Every reference in ``value``, outermost first (``if`` branches not taken skipped)."""
    found: list[Reference] = []
    for fn in functions_in(value):
        found += _references_of(fn)
    return found


def _references_of(fn: Function) -> list[Reference]:
    found: list[Reference] = []
    if isinstance(fn, GetResource) and isinstance(fn.args, str):
        found.append(Reference("get_resource", fn.args, (), fn.path))
    elif isinstance(fn, GetAttr) and isinstance(fn.resource_name(), str):
        attribute = tuple(resolve(list(fn.attribute_path()), PlanContext()))
        found.append(Reference("get_attr", fn.resource_name(), attribute, fn.path))
    for child in fn.children():
        found += _references_of(child)
    return found


def dependencies_in(value: Any) -> set[str]:
    """Names of the resources the functions in ``value`` need."""
    return {name for fn in functions_in(value) for name in fn.dependencies()}


@dataclass
class ResourceDefinition:
    """One resource whose condition holds; ``type`` is after registry aliasing."""

    name: str
    type: str
    region: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    depends_on: list[str] = field(default_factory=list)
    deletion_policy: str = "Delete"
    update_policy: dict[str, Any] = field(default_factory=dict)
    condition: str | None = None
    external_id: Any = None
    nested: Template | None = None
    #: ``OS::Heat::Stack``'s ``timeout``: minutes its nested stack's create or update may take
    timeout_mins: int | None = None
    #: ``references()`` and ``dependencies()``, worked out on first use (the values are fixed)
    _found: tuple[list[Reference], set[str]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    @property
    def path(self) -> TemplatePath:
        return ("resources", self.name)

    def dependencies(self) -> set[str]:
        """From depends_on, and get_resource/get_attr in properties and metadata."""
        return set(self._references_and_dependencies()[1])

    def references(self) -> list[Reference]:
        """Every reference in properties and metadata, outermost first."""
        return list(self._references_and_dependencies()[0])

    def _references_and_dependencies(self) -> tuple[list[Reference], set[str]]:
        if self._found is None:
            references = references_in(self.properties) + references_in(self.metadata)
            found = dependencies_in(self.properties) | dependencies_in(self.metadata)
            self._found = references, found | set(self.depends_on)
        return self._found


@dataclass
class OutputDefinition:
    name: str
    value: Any
    description: str | None = None
    condition: str | None = None

    @property
    def path(self) -> TemplatePath:
        return ("outputs", self.name)


@dataclass
class Template:
    """A loaded, validated HOT template (resources/outputs whose condition holds)."""

    path: Path
    version: str
    source: SourceMap
    description: str = ""
    parameters: dict[str, Parameter] = field(default_factory=dict)
    resources: dict[str, ResourceDefinition] = field(default_factory=dict)
    outputs: dict[str, OutputDefinition] = field(default_factory=dict)
    conditions: dict[str, bool] = field(default_factory=dict)
    environment: Environment = field(default_factory=Environment)
    files: dict[str, str] = field(default_factory=dict)
    parameter_groups: list[dict[str, Any]] = field(default_factory=list)
    #: template resources ``flatten()`` replaced by their resources (their ``.nested`` kept)
    expanded: dict[str, ResourceDefinition] = field(default_factory=dict)
    #: the outputs of each nested stack ``flatten()`` expanded, at every level, by its path
    #: (``remote``, ``remote.sub``), their values read from this template's resources
    nested_outputs: dict[str, dict[str, OutputDefinition]] = field(default_factory=dict)

    def locate(self, path: TemplatePath) -> Location | None:
        """Where the deepest known node along ``path`` is."""
        return self.source.locate(path)

    def parameter_values(self) -> dict[str, Any]:
        return {name: p.value for name, p in self.parameters.items()}

    def hidden_parameters(self) -> set[str]:
        return {name for name, p in self.parameters.items() if p.hidden}

    def hidden_values(self) -> list[str]:
        """The values of hidden parameters here and in every nested template (those a
        template resource was expanded from included), as texts to mask."""
        texts = [
            str(p.value)
            for p in self.parameters.values()
            if p.hidden and isinstance(p.value, str | int | float) and str(p.value)
        ]
        for definition in [*self.resources.values(), *self.expanded.values()]:
            if definition.nested is not None:
                texts += definition.nested.hidden_values()
        return texts

    def nested_definitions(self, prefix: str = "") -> dict[str, ResourceDefinition]:
        """Each template resource and ``OS::Heat::Stack`` at every level, by its path of
        resource names (``remote``, then ``remote.sub`` for resource ``sub`` of ``remote``'s
        template): the nested stacks Heat would make."""
        found: dict[str, ResourceDefinition] = {}
        for name, definition in [*self.expanded.items(), *self.resources.items()]:
            if definition.nested is not None:
                found[prefix + name] = definition
                found.update(definition.nested.nested_definitions(f"{prefix}{name}."))
        return found

    def nested_templates(self) -> dict[str, Template]:
        """The template of each nested stack at every level, by path, each as loaded."""
        return {
            path: d.nested for path, d in self.nested_definitions().items() if d.nested is not None
        }

    def references(self) -> list[Reference]:
        """Every reference in resources' properties and metadata, and in outputs."""
        found = [ref for r in self.resources.values() for ref in r.references()]
        return found + [ref for o in self.outputs.values() for ref in references_in(o.value)]
