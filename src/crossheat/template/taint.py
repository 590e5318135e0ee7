"""Which parts of a resolved value come from a secret: taint through the intrinsic functions.

A value is secret when it derives from a hidden parameter (``hidden: true``, or
named in the environment's ``encrypted_param_names``) or holds a secret text
(a hidden parameter's or a secret property's value, read back by a ``get_attr``;
see ``crossheat.redact``). ``resolve_tainted`` resolves like ``resolve`` and says
where the result holds secrets, as paths of keys and indexes::

    # properties: {name: {str_replace: {template: vm-$k, params: {$k: {get_param: key}}}}, size: 1}
    value, paths = resolve_tainted(definition.properties, ctx, texts={"s3cret"})
    # value == {"name": "vm-s3cret", "size": 1}; paths == [("name",)]

A function call is tainted when it reads a hidden parameter (``get_param``, with
or without a path), when a ``get_attr`` answers something holding a secret text,
or when any function nested in its arguments is tainted (``str_replace``,
``list_join``, ``str_split``, ``repeat``, ``map_merge``, ``digest``, ``if`` on the
branch taken...); its whole result is then secret. Values that hold a secret text
without a function in between (a nested template's hidden parameter, already
bound at load time) are found by their text (``secret_leaf_paths``).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from crossheat.errors import CrossheatError
from crossheat.redact import Path, holds_secret, secret_leaf_paths
from crossheat.template.functions.base import OMITTED, Function, ResolveContext
from crossheat.template.functions.refs import GetAttr, GetParam


def resolve_tainted(
    value: Any, ctx: ResolveContext, texts: Collection[str] = ()
) -> tuple[Any, list[Path]]:
    """``resolve(value, ctx)`` and the paths of the secret parts of the result (outermost
    only: nothing under a path is listed again)."""
    paths: list[Path] = []
    found = _resolve(value, ctx, texts, (), paths)
    resolved = None if found is OMITTED else found
    for path in secret_leaf_paths(resolved, texts):
        if not any(path[: len(p)] == p for p in paths):
            paths.append(path)
    return resolved, paths


def _resolve(
    value: Any, ctx: ResolveContext, texts: Collection[str], at: Path, out: list[Path]
) -> Any:
    if isinstance(value, Function):
        result = value.result(ctx)
        if result is not OMITTED and tainted(value, ctx, texts):
            out.append(at)
        return result
    if isinstance(value, dict):
        resolved: dict[str, Any] = {}
        for key, item in value.items():
            found = _resolve(item, ctx, texts, (*at, key), out)
            if found is not OMITTED:
                resolved[key] = found
        return resolved
    if isinstance(value, list):
        items: list[Any] = []
        for item in value:
            found = _resolve(item, ctx, texts, (*at, len(items)), out)
            if found is not OMITTED:
                items.append(found)
        return items
    return value


def tainted(fn: Function, ctx: ResolveContext, texts: Collection[str] = ()) -> bool:
    """True when ``fn``'s result derives from a hidden parameter or a secret text."""
    if isinstance(fn, GetParam) and _parameter_name(fn) in fn.scope.hidden:
        return True
    if isinstance(fn, GetAttr) and texts and _answers_secret(fn, ctx, texts):
        return True
    return any(tainted(child, ctx, texts) for child in fn.children())


def _parameter_name(fn: GetParam) -> Any:
    name = fn.args[0] if isinstance(fn.args, list | tuple) and fn.args else fn.args
    return name if isinstance(name, str) else None


def _answers_secret(fn: GetAttr, ctx: ResolveContext, texts: Collection[str]) -> bool:
    try:
        return holds_secret(fn.result(ctx), texts)
    except CrossheatError:  # e.g. a path only a repeat's loop variable completes
        return False
