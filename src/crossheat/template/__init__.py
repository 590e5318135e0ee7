"""HOT templates: loading with marks, versions, parameters, environments,
intrinsic functions, template resources and references.

    from crossheat.template import load_template, resolve, PlanContext
    template = load_template("stack.yaml", ["env.yaml"], {"key": "value"})
    for name, resource in template.resources.items():
        resolve(resource.properties, PlanContext())
"""

from crossheat.template.environment import Environment
from crossheat.template.functions.base import (
    Function,
    PlanContext,
    ResolveContext,
    render,
    resolve,
)
from crossheat.template.functions.table import functions_for_version
from crossheat.template.loader import (
    Reader,
    load_template,
    load_template_text,
    parse_content,
    parse_template,
)
from crossheat.template.model import (
    OutputDefinition,
    Reference,
    ResourceDefinition,
    Template,
)
from crossheat.template.parameters import Parameter
from crossheat.template.versions import SUPPORTED_VERSIONS
from crossheat.yamlmarks import SourceMap

__all__ = [
    "SUPPORTED_VERSIONS",
    "Environment",
    "Function",
    "OutputDefinition",
    "Parameter",
    "PlanContext",
    "Reader",
    "Reference",
    "ResolveContext",
    "ResourceDefinition",
    "SourceMap",
    "Template",
    "functions_for_version",
    "load_template",
    "load_template_text",
    "parse_content",
    "parse_template",
    "render",
    "resolve",
]
