"""Condition functions and ``if``.

In the ``conditions`` section (and a resource's or output's ``condition``,
and the first argument of ``if``) only these work, plus ``get_param``::

    equals: [{get_param: env}, prod]
    not: is_prod                        a condition name, a boolean or an expression
    and: [is_prod, {equals: [...]}]     two or more
    or:  [a, b]
    contains: [value, list]             from 2017-09-01

Elsewhere::

    if: [condition, value_if_true, value_if_false]
    if: [condition, value_if_true]      from 2021-04-16: when false, the item is omitted
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from crossheat.errors import Diagnostic, TemplateError
from crossheat.template.functions.base import (
    OMITTED,
    Function,
    PlanContext,
    ResolveContext,
    did_you_mean,
    functions_in,
    is_list,
    resolve,
    type_name,
    validate_all,
)
from crossheat.template.values import UNKNOWN, contains_unknown


def truth(value: Any, fn: Function) -> Any:
    """A condition's value: ``True``, ``False`` or ``UNKNOWN``.

    ``value`` is a boolean, a condition name or a resolved expression.
    """
    if isinstance(value, bool) or value is UNKNOWN:
        return value
    if isinstance(value, str):
        return condition_named(value, fn)
    raise fn.error(f"a condition must be a boolean or a condition name, not {type_name(value)}")


def condition_named(name: str, fn: Function) -> Any:
    """Evaluate the condition ``name`` of ``fn``'s template (cached)."""
    scope = fn.scope
    if name in scope.condition_values:
        found = scope.condition_values[name]
        if found is None:
            raise fn.error(f"condition {name!r} refers to itself")
        return found
    if name not in scope.conditions:
        hint = did_you_mean(name, scope.conditions) or "define it under conditions"
        raise fn.error(f"unknown condition {name!r}", hint)
    scope.condition_values[name] = None
    try:
        problems = validate_all(scope.conditions[name])
        if problems:
            raise TemplateError(problems)
        value = truth(resolve(scope.conditions[name], PlanContext()), fn)
    finally:
        del scope.condition_values[name]
    scope.condition_values[name] = value
    return value


class Equals(Function):
    """``equals: [a, b]``."""

    def check(self) -> list[Diagnostic]:
        if not is_list(self.args) or len(self.args) != 2:
            return [self.diagnostic("equals takes [value_1, value_2]")]
        return []

    def compute(self, args: Any) -> Any:
        return args[0] == args[1]


class _Boolean(Function):
    """``and``/``or``: a list of at least two conditions."""

    def check(self) -> list[Diagnostic]:
        if not is_list(self.args) or len(self.args) < 2:
            return [self.diagnostic(f"{self.name} takes a list of two or more conditions")]
        return []

    def result(self, ctx: ResolveContext) -> Any:
        values = [truth(v, self) for v in resolve(self.args, ctx)]
        return self.compute(values)


class And(_Boolean):
    """``and: [c1, c2, ...]``: true when all are true."""

    def compute(self, args: Any) -> Any:
        if any(v is False for v in args):
            return False
        return UNKNOWN if contains_unknown(args) else True


class Or(_Boolean):
    """``or: [c1, c2, ...]``: true when any is true."""

    def compute(self, args: Any) -> Any:
        if any(v is True for v in args):
            return True
        return UNKNOWN if contains_unknown(args) else False


class Not(Function):
    """``not: condition``."""

    def check(self) -> list[Diagnostic]:
        if self.args is None or is_list(self.args):
            return [self.diagnostic("not takes one condition")]
        return []

    def result(self, ctx: ResolveContext) -> Any:
        return self.compute(truth(resolve(self.args, ctx), self))

    def compute(self, args: Any) -> Any:
        return UNKNOWN if args is UNKNOWN else not args


class If(Function):
    """``if: [condition, value_if_true, value_if_false]``."""

    arities: tuple[int, ...] = (3,)

    def check(self) -> list[Diagnostic]:
        if not is_list(self.args) or len(self.args) not in self.arities:
            hint = None
            if is_list(self.args) and len(self.args) == 2:
                hint = "if with two arguments needs heat_template_version 2021-04-16 (wallaby)"
            usage = "if takes [condition, value_if_true, value_if_false]"
            return [self.diagnostic(usage, hint)]
        return []

    def validate(self) -> list[Diagnostic]:
        found = self.check() or validate_all(self.args[0])
        if found:
            return found
        try:
            self.condition()
        except TemplateError as exc:
            return exc.diagnostics
        return [d for child in self.children() for d in child.validate()]

    def condition(self) -> Any:
        return truth(resolve(self.args[0], PlanContext()), self)

    def branch(self) -> Any:
        """The chosen value; ``UNKNOWN`` when the condition is not known yet."""
        chosen = self.condition()
        if chosen is UNKNOWN:
            return UNKNOWN
        if chosen:
            return self.args[1]
        return self.args[2] if len(self.args) == 3 else OMITTED

    def children(self) -> Iterator[Function]:
        if not is_list(self.args) or len(self.args) not in self.arities:
            return iter(())
        chosen = self.branch()
        return functions_in(self.args[1:] if chosen is UNKNOWN else chosen)

    def result(self, ctx: ResolveContext) -> Any:
        chosen = self.branch()
        if chosen is UNKNOWN or chosen is OMITTED:
            return chosen
        return resolve(chosen, ctx)

    def compute(self, args: Any) -> Any:
        return args


class IfNullable(If):
    """``if`` from 2021-04-16: ``value_if_false`` may be left out."""

    arities = (2, 3)
