"""What crossheat offers, in Heat's API terms: resource types and their schemas, the
template a type generates, template versions and their functions, build info.

    catalog = Catalog(registry)
    catalog.resource_types(name="OS::Heat::.*")      # ["OS::Heat::None", ...]
    catalog.resource_type("OS::Heat::TestResource")  # {"properties": {...}, ...}
    catalog.template_functions("heat_template_version.2016-04-08")

The facts come from the registry (``crossheat.resources.registry``) and the template
layer's version tables; the wording of function descriptions is Heat's own.
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from crossheat import __version__
from crossheat.errors import InvalidRequest, NotFound, NotSupportedError
from crossheat.resources.constraints import (
    AllowedPattern,
    AllowedValues,
    Constraint,
    CustomConstraint,
    Length,
    Modulo,
    Range,
)
from crossheat.resources.registry import (
    BASE_ATTRIBUTES,
    SUPPORT_STATUSES,
    Registry,
    ResourceType,
)
from crossheat.resources.schema import Property, PropertyType
from crossheat.template import SUPPORTED_VERSIONS
from crossheat.template.functions.table import (
    condition_functions_for_version,
    functions_for_version,
)
from crossheat.template.versions import ALIASES, VERSIONS

__all__ = ["HOT_PREFIX", "Catalog", "constraint_schema", "property_schema"]

#: Template version names in Heat's API: ``heat_template_version.2016-04-08``.
HOT_PREFIX = "heat_template_version."

#: Heat's description of each function (the summary of its class's docstring in
#: ``heat/engine/hot/functions.py``), by crossheat's class of the same function.
FUNCTION_DESCRIPTIONS = {
    "GetParam": "A function for resolving parameter references.",
    "GetResource": "A function for resolving resource references.",
    "GetAttr": "A function for resolving resource attributes.",
    "GetAttrAll": "A function for resolving resource attributes.",
    "GetFile": "A function for including a file inline.",
    "ResourceFacade": "A function for retrieving data in a parent provider template.",
    "Join": "A function for joining strings.",
    "JoinMultiple": "A function for joining one or more lists of strings.",
    "Replace": "A function for performing string substitutions.",
    "ReplaceJson": "A function for performing string substitutions.",
    "ReplaceJsonStrict": "A function for performing string substitutions.",
    "ReplaceJsonVeryStrict": "A function for performing string substitutions.",
    "Digest": "A function for performing digest operations.",
    "StrSplit": "A function for splitting delimited strings into a list.",
    "MapMerge": "A function for merging maps.",
    "MapReplace": "A function for performing substitutions on maps.",
    "Repeat": "A function for iterating over a list of items.",
    "RepeatWithMap": "A function for iterating over a list of items or a dict of keys.",
    "RepeatWithNestedLoop": "A function for iterating over a list of items or a dict of keys.",
    "If": "A function to return corresponding value based on condition evaluation.",
    "IfNullable": "A function to return corresponding value based on condition evaluation.",
    "Equals": "A function for comparing whether two values are equal.",
    "Not": "A function that acts as a NOT operator on a condition.",
    "And": "A function that acts as an AND operator on conditions.",
    "Or": "A function that acts as an OR operator on conditions.",
    "Filter": "A function for filtering out values from lists.",
    "MakeURL": "A function for performing substitutions on maps.",
    "ListConcat": "A function for extending lists.",
    "ListConcatUnique": "A function for extending lists with unique items.",
    "Contains": "A function for checking whether specific value is in sequence.",
}

#: A property type as a generated template's parameter type: (CFN, HOT).
_PARAMETER_TYPES = {
    PropertyType.STRING: ("String", "string"),
    PropertyType.INTEGER: ("Number", "number"),
    PropertyType.NUMBER: ("Number", "number"),
    PropertyType.BOOLEAN: ("Boolean", "boolean"),
    PropertyType.MAP: ("Json", "json"),
    PropertyType.LIST: ("CommaDelimitedList", "comma_delimited_list"),
    PropertyType.ANY: ("Json", "json"),
}


#: The longest ``name`` filter, and the most repeats in it (one after another: ``.*``
#: four times against a hundred type names is some 20 ms, each more one ~7 times that).
LONGEST_FILTER = 255
MOST_REPEATS = 4
#: ``re``'s own parser, which the checks below read the pattern with (no typeshed stubs;
#: its public names, ``sre_parse``, warn that they are going away).
_re_parser: Any = importlib.import_module("re._parser")
_re_constants: Any = importlib.import_module("re._constants")
_REPEATS = (_re_constants.MAX_REPEAT, _re_constants.MIN_REPEAT, _re_constants.POSSESSIVE_REPEAT)


def slow_pattern(text: str) -> str | None:
    """Why matching the regular expression ``text`` could take too long (``re`` backtracks,
    with no time limit, and the filter is the caller's): too long, a repeat inside a
    repeat (``(a+)+``), a repeated alternation (``(a|b)*``), a backreference, or more than
    ``MOST_REPEATS`` repeats; None when it is quick. ``text`` compiles."""
    if len(text) > LONGEST_FILTER:
        return f"is longer than {LONGEST_FILTER} characters"
    repeats = 0

    def walk(items: Any, repeated: bool) -> str | None:
        nonlocal repeats
        for op, arg in items:
            why: str | None = None
            if op in _REPEATS:
                highest, sub = arg[1], arg[2]
                if highest > 1:
                    if repeated:
                        return "repeats something inside a repeat"
                    repeats += 1
                    if repeats > MOST_REPEATS:
                        return f"has more than {MOST_REPEATS} repeats"
                why = walk(sub, repeated or highest > 1)
            elif op is _re_constants.BRANCH:
                if repeated:
                    return "repeats an alternation"
                for branch in arg[1]:
                    why = why or walk(branch, repeated)
            elif op in (_re_constants.GROUPREF, _re_constants.GROUPREF_EXISTS):
                return "refers back to a group"
            elif op is _re_constants.SUBPATTERN:
                why = walk(arg[-1], repeated)
            elif op is _re_constants.ATOMIC_GROUP:
                why = walk(arg, repeated)
            elif op in (_re_constants.ASSERT, _re_constants.ASSERT_NOT):
                why = walk(arg[1], repeated)
            if why:
                return why
        return None

    return walk(_re_parser.parse(text), False)


@dataclass(frozen=True)
class Catalog:
    """Heat's catalog answers over one registry."""

    registry: Registry

    def resource_types(
        self,
        *,
        name: str | None = None,
        version: str | None = None,
        support_status: str | None = None,
        with_description: bool = False,
    ) -> list[Any]:
        """The types' names (or ``{"resource_type", "description"}``), sorted: those whose
        name the regular expression ``name`` matches from its start, whose support status
        is ``support_status``, held since Heat ``version``. HIDDEN types never."""
        if support_status is not None and support_status not in SUPPORT_STATUSES:
            raise InvalidRequest(
                "Data supplied was not valid: Invalid support status and should be one of "
                f"{SUPPORT_STATUSES}"
            )
        try:
            pattern = re.compile(name) if name is not None else None
        except re.error:
            return []
        if name is not None and (why := slow_pattern(name)):
            raise InvalidRequest(
                f"Data supplied was not valid: the name filter {name!r} {why}; use a simpler "
                "regular expression (say OS::Neutron::.* or OS::Nova::(Server|KeyPair))"
            )
        found = []
        for cls in self.registry:
            status = cls.support_status
            if status.status == "HIDDEN" or (pattern and not pattern.match(cls.type_name)):
                continue
            if version is not None and status.version != version:
                continue
            if support_status is not None and status.status != support_status:
                continue
            found.append(
                {"resource_type": cls.type_name, "description": _description(cls)}
                if with_description
                else cls.type_name
            )
        return found

    def resource_type(self, type_name: str) -> dict[str, Any]:
        """Heat's schema of the type: properties, attributes, support status."""
        cls = self._shown(type_name)
        attributes = {**cls.attributes_schema, **BASE_ATTRIBUTES}
        return {
            "resource_type": type_name,
            "properties": {
                name: property_schema(prop)
                for name, prop in cls.properties_schema.items()
                if not prop.hidden
            },
            "attributes": {
                name: _drop_none({"description": attr.description, "type": _attr_type(attr.type)})
                for name, attr in attributes.items()
            },
            "support_status": cls.support_status.as_dict(),
        }

    def resource_template(self, type_name: str, template_type: str = "cfn") -> dict[str, Any]:
        """The template Heat generates for the type (``cfn`` or ``hot``): each property a
        parameter, each attribute an output."""
        cls = self._shown(type_name)
        return _template(cls, template_type == "hot")

    def template_versions(self) -> list[dict[str, Any]]:
        """Every HOT version crossheat reads, oldest first, with Heat's release aliases."""
        return [
            {
                "version": HOT_PREFIX + date,
                "type": "hot",
                "aliases": [HOT_PREFIX + a for a, d in sorted(ALIASES.items()) if d == date],
            }
            for date in VERSIONS
        ]

    def template_functions(
        self, version: str, with_conditions: bool = False
    ) -> list[dict[str, str]]:
        """``[{"functions": name, "description": ...}]`` of the version (Heat's name, as
        ``template_versions`` gives it); ``NotFound`` for an unknown one."""
        date = version.removeprefix(HOT_PREFIX) if version.startswith(HOT_PREFIX) else None
        if date is None or date not in SUPPORTED_VERSIONS:
            raise NotFound(f"Template with version {version} not found")
        table = dict(functions_for_version(date))
        if with_conditions:
            table.update(condition_functions_for_version(date))
        return [
            {"functions": name, "description": FUNCTION_DESCRIPTIONS.get(cls.__name__, "")}
            for name, cls in table.items()
        ]

    def build_info(self) -> dict[str, Any]:
        return {"api": {"revision": __version__}, "engine": {"revision": __version__}}

    def _shown(self, type_name: str) -> type[ResourceType]:
        cls = self.registry.get(type_name)
        if cls is None:
            raise NotFound(f"The Resource Type ({type_name}) could not be found.")
        if cls.support_status.status == "HIDDEN":
            raise NotSupportedError(f"{type_name} is not supported.")
        return cls


def _description(cls: type[ResourceType]) -> str:
    return inspect.getdoc(cls) or "No description available"


def _attr_type(kind: PropertyType) -> str | None:
    return None if kind is PropertyType.ANY else kind.value


def _drop_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def property_schema(prop: Property) -> dict[str, Any]:
    """A property as Heat's API shows it (``dict(properties.Schema)``)."""
    out: dict[str, Any] = {"type": prop.type.value}
    if prop.description:
        out["description"] = prop.description
    if prop.default is not None:
        out["default"] = prop.default
    if prop.schema is not None:
        out["schema"] = {n: property_schema(p) for n, p in prop.schema.items() if not p.hidden}
    elif prop.items is not None:
        out["schema"] = {"*": property_schema(prop.items)}
    out["required"] = prop.required
    if prop.constraints:
        out["constraints"] = [constraint_schema(c) for c in prop.constraints]
    out["update_allowed"] = prop.update_allowed
    out["immutable"] = prop.immutable
    return out


def constraint_schema(constraint: Constraint) -> dict[str, Any]:
    """``{"range": {"min": 1, "max": 512}}``, ``{"allowed_values": [...]}``..."""
    match constraint:
        case Range(low, high) | Length(low, high):
            name = "range" if isinstance(constraint, Range) else "length"
            return {name: _drop_none({"min": low, "max": high})}
        case AllowedValues(values):
            return {"allowed_values": list(values)}
        case AllowedPattern(pattern):
            return {"allowed_pattern": pattern}
        case Modulo(step, offset):
            return {"modulo": {"step": step, "offset": offset}}
        case CustomConstraint(name):
            return {"custom_constraint": name}
    return {}


def _template(cls: type[ResourceType], hot: bool) -> dict[str, Any]:
    name = cls.__name__
    props = {n: p for n, p in cls.properties_schema.items() if not p.hidden}
    attributes = {**cls.attributes_schema, **BASE_ATTRIBUTES}
    if hot:
        outputs: dict[str, Any] = {
            a: {"value": {"get_attr": [name, a]}, "description": attr.description}
            for a, attr in attributes.items()
        }
        outputs["OS::stack_id"] = {"value": {"get_resource": name}}
        return {
            "heat_template_version": "2016-10-14",
            "description": f"Initial template of {name}",
            "parameters": {n: _hot_parameter(p) for n, p in props.items()},
            "outputs": outputs,
            "resources": {
                name: {
                    "type": cls.type_name,
                    "properties": {n: {"get_param": n} for n in props},
                }
            },
        }
    outputs = {
        a: {"Value": {"Fn::GetAtt": [name, a]}, "Description": attr.description}
        for a, attr in attributes.items()
    }
    outputs["OS::stack_id"] = {"Value": {"Ref": name}}
    return {
        "HeatTemplateFormatVersion": "2012-12-12",
        "Description": f"Initial template of {name}",
        "Parameters": {n: _cfn_parameter(p) for n, p in props.items()},
        "Resources": {
            name: {
                "Type": cls.type_name,
                "Properties": {
                    n: {"Fn::Split": [",", {"Ref": n}]}
                    if p.type is PropertyType.LIST
                    else {"Ref": n}
                    for n, p in props.items()
                },
            }
        },
        "Outputs": outputs,
    }


def _cfn_parameter(prop: Property) -> dict[str, Any]:
    out: dict[str, Any] = {"Type": _PARAMETER_TYPES[prop.type][0]}
    if prop.description:
        out["Description"] = prop.description
    if prop.default is not None:
        out["Default"] = prop.default
    for c in prop.constraints:
        match c:
            case Length(low, high):
                out.update(_drop_none({"MinLength": low, "MaxLength": high}))
            case Range(low, high):
                out.update(_drop_none({"MinValue": low, "MaxValue": high}))
            case AllowedValues(values):
                out["AllowedValues"] = list(values)
            case AllowedPattern(pattern):
                out["AllowedPattern"] = pattern
    if prop.type is PropertyType.BOOLEAN:
        out["AllowedValues"] = ["True", "true", "False", "false"]
    return out


def _hot_parameter(prop: Property) -> dict[str, Any]:
    out: dict[str, Any] = {"type": _PARAMETER_TYPES[prop.type][1]}
    if prop.description:
        out["description"] = prop.description
    if prop.default is not None:
        out["default"] = prop.default
    kept = [
        c
        for c in prop.constraints
        if isinstance(c, Length | Range | AllowedValues | AllowedPattern)
    ]
    if kept:
        out["constraints"] = [constraint_schema(c) for c in kept]
    return out
