"""Functions on maps and lists: map_merge, map_replace, repeat, filter,
list_concat, list_concat_unique, contains.

    map_merge: [{a: 1}, {a: 2, b: 3}]                  -> {a: 2, b: 3}
    map_replace: [{k: v}, {keys: {k: K}, values: {v: V}}] -> {K: V}
    repeat: {template: "port_%p%", for_each: {"%p%": [80, 443]}}
    filter: [[3], [1, 2, 3]]                           -> [1, 2]
    list_concat: [[1], [2, 1]]                         -> [1, 2, 1]
    list_concat_unique: [[1], [2, 1]]                  -> [1, 2]
    contains: [a, [a, b]]                              -> true
"""

from __future__ import annotations

import itertools
from typing import Any

from crossheat.errors import Diagnostic
from crossheat.template.functions.base import Function, is_list, type_name


class MapMerge(Function):
    """``map_merge: [map, map, ...]``: later maps win."""

    def check(self) -> list[Diagnostic]:
        if not is_list(self.args):
            return [self.diagnostic("map_merge takes a list of maps")]
        return []

    def compute(self, args: Any) -> Any:
        merged: dict[Any, Any] = {}
        for item in args:
            if item is not None and not isinstance(item, dict):
                raise self.error(f"map_merge merges maps, not a {type_name(item)}")
            merged.update(item or {})
        return merged


class MapReplace(Function):
    """``map_replace: [map, {keys: {old: new}, values: {old: new}}]``."""

    def check(self) -> list[Diagnostic]:
        if not is_list(self.args) or len(self.args) != 2:
            return [self.diagnostic("map_replace takes [map, {keys: ..., values: ...}]")]
        spec = self.args[1]
        if isinstance(spec, dict) and set(spec) - {"keys", "values"}:
            return [self.diagnostic("map_replace replacements take only keys and values")]
        return []

    def compute(self, args: Any) -> Any:
        source, spec = args[0] or {}, args[1] or {}
        for item in (source, spec, spec.get("keys") or {}, spec.get("values") or {}):
            if not isinstance(item, dict):
                raise self.error(f"map_replace takes maps, not a {type_name(item)}")
        keys, values = spec.get("keys") or {}, spec.get("values") or {}
        out: dict[Any, Any] = {}
        for key, value in source.items():
            new_key = keys.get(key, key)
            if (new_key != key and new_key in source) or new_key in out:
                raise self.error(f"map_replace: key {new_key!r} collides with another key")
            out[new_key] = values.get(value, value) if _hashable(value) else value
        return out


def _hashable(value: Any) -> bool:
    return not isinstance(value, dict | list)


class Repeat(Function):
    """``repeat: {template: body, for_each: {var: list, ...}}``.

    One copy of ``body`` per combination of the lists (all permutations),
    with each ``var`` replaced in strings, keys and values.
    """

    accepts_maps = False
    has_permutations = False

    def check(self) -> list[Diagnostic]:
        if not isinstance(self.args, dict) or not {"template", "for_each"} <= set(self.args):
            return [self.diagnostic("repeat takes {template: ..., for_each: {var: list}}")]
        extra = set(self.args) - {"template", "for_each", "permutations"}
        if extra:
            return [self.diagnostic(f"repeat: unknown key(s) {', '.join(sorted(extra))}")]
        if "permutations" in self.args and not self.has_permutations:
            hint = "permutations needs heat_template_version 2017-09-01"
            return [self.diagnostic("repeat has no permutations key in this version", hint)]
        return []

    def compute(self, args: Any) -> Any:
        for_each = args["for_each"]
        if not isinstance(for_each, dict) or not for_each:
            raise self.error("repeat for_each must be a map of variables to lists")
        permutations = args.get("permutations", True)
        if not isinstance(permutations, bool):
            raise self.error("repeat permutations must be true or false")
        lists = [self._values(v, permutations) for v in for_each.values()]
        if not permutations and len({len(v) for v in lists}) > 1:
            raise self.error("repeat without permutations needs lists of equal length")
        combos = itertools.product(*lists) if permutations else zip(*lists, strict=True)
        keys = [str(k) for k in for_each]
        return [_replace(args["template"], keys, list(c)) for c in combos]

    def _values(self, value: Any, permutations: bool) -> list[Any]:
        if value is None:
            return []
        if isinstance(value, dict) and self.accepts_maps and permutations:
            return list(value)
        if not is_list(value):
            kinds = "lists or maps" if self.accepts_maps else "lists"
            raise self.error(f"repeat for_each values must be {kinds}, not {type_name(value)}")
        return list(value)


def _replace(body: Any, keys: list[str], values: list[Any]) -> Any:
    if isinstance(body, str):
        for key, value in zip(keys, values, strict=True):
            body = body.replace(key, str(value))
        return body
    if isinstance(body, list):
        return [_replace(item, keys, values) for item in body]
    if isinstance(body, dict):
        return {_replace(k, keys, values): _replace(v, keys, values) for k, v in body.items()}
    return body


class RepeatWithMap(Repeat):
    """``repeat`` from 2016-10-14: a for_each value may be a map (its keys)."""

    accepts_maps = True


class RepeatWithNestedLoop(RepeatWithMap):
    """``repeat`` from 2017-09-01: ``permutations: false`` pairs the lists up."""

    has_permutations = True


class Filter(Function):
    """``filter: [values_to_remove, list]``."""

    def check(self) -> list[Diagnostic]:
        if not is_list(self.args) or len(self.args) != 2:
            return [self.diagnostic("filter takes [values, list]")]
        return []

    def compute(self, args: Any) -> Any:
        values, sequence = args
        if not sequence:
            return sequence
        if not is_list(sequence):
            raise self.error(f"filter works on a list, not a {type_name(sequence)}")
        if not values:
            return sequence
        if not is_list(values):
            raise self.error("filter removes a list of values")
        return [item for item in sequence if item not in values]


class ListConcat(Function):
    """``list_concat: [list, list, ...]``."""

    unique = False

    def check(self) -> list[Diagnostic]:
        if not is_list(self.args):
            return [self.diagnostic(f"{self.name} takes a list of lists")]
        return []

    def compute(self, args: Any) -> Any:
        out: list[Any] = []
        for item in args:
            if item is not None and not is_list(item):
                raise self.error(f"{self.name} concatenates lists, not a {type_name(item)}")
            out += item or []
        if not self.unique:
            return out
        unique: list[Any] = []
        for item in out:
            if item not in unique:
                unique.append(item)
        return unique


class ListConcatUnique(ListConcat):
    """``list_concat_unique``: like list_concat, keeping the first of equal items."""

    unique = True


class Contains(Function):
    """``contains: [value, list]``: true when the list holds the value."""

    def check(self) -> list[Diagnostic]:
        if not is_list(self.args) or len(self.args) != 2:
            return [self.diagnostic("contains takes [value, list]")]
        return []

    def compute(self, args: Any) -> Any:
        value, sequence = args
        if not is_list(sequence) and not isinstance(sequence, str):
            raise self.error(f"contains needs a list, not a {type_name(sequence)}")
        return value in sequence
