"""Which functions each ``heat_template_version`` has, as Heat defines them
(``heat/engine/hot/template.py``: each ``HOTemplateXXXX.functions`` and
``condition_functions``)::

    functions_for_version("2016-10-14")["list_join"]    # JoinMultiple
    "list_concat" in functions_for_version("2016-10-14")  # False
    first_version("list_concat")                         # "2017-09-01"
"""

from __future__ import annotations

from functools import cache
from typing import Final

from crossheat.template.functions import conditions, lists, refs, strings
from crossheat.template.functions.base import Function
from crossheat.template.versions import SUPPORTED_VERSIONS, VERSIONS, at_least

_F = type[Function]

#: (name, first version, class); a later row for the same name replaces it.
_FUNCTIONS: Final[tuple[tuple[str, str, _F], ...]] = (
    ("get_param", "2013-05-23", refs.GetParam),
    ("get_resource", "2013-05-23", refs.GetResource),
    ("get_attr", "2013-05-23", refs.GetAttr),
    ("get_file", "2013-05-23", refs.GetFile),
    ("resource_facade", "2013-05-23", refs.ResourceFacade),
    ("list_join", "2013-05-23", strings.Join),
    ("str_replace", "2013-05-23", strings.Replace),
    ("digest", "2015-04-30", strings.Digest),
    ("repeat", "2015-04-30", lists.Repeat),
    ("get_attr", "2015-10-15", refs.GetAttrAll),
    ("list_join", "2015-10-15", strings.JoinMultiple),
    ("str_replace", "2015-10-15", strings.ReplaceJson),
    ("str_split", "2015-10-15", strings.StrSplit),
    ("map_merge", "2016-04-08", lists.MapMerge),
    ("map_replace", "2016-10-14", lists.MapReplace),
    ("repeat", "2016-10-14", lists.RepeatWithMap),
    ("if", "2016-10-14", conditions.If),
    ("filter", "2017-02-24", lists.Filter),
    ("str_replace_strict", "2017-02-24", strings.ReplaceJsonStrict),
    ("repeat", "2017-09-01", lists.RepeatWithNestedLoop),
    ("make_url", "2017-09-01", strings.MakeURL),
    ("list_concat", "2017-09-01", lists.ListConcat),
    ("list_concat_unique", "2017-09-01", lists.ListConcatUnique),
    ("str_replace_vstrict", "2017-09-01", strings.ReplaceJsonVeryStrict),
    ("contains", "2017-09-01", lists.Contains),
    ("if", "2021-04-16", conditions.IfNullable),
)

_CONDITION_FUNCTIONS: Final[tuple[tuple[str, str, _F], ...]] = (
    ("get_param", "2016-10-14", refs.GetParam),
    ("equals", "2016-10-14", conditions.Equals),
    ("not", "2016-10-14", conditions.Not),
    ("and", "2016-10-14", conditions.And),
    ("or", "2016-10-14", conditions.Or),
    ("contains", "2017-09-01", lists.Contains),
)

#: Functions crossheat deliberately does not implement (CFN ones: any ``Fn::``, ``Ref``).
UNSUPPORTED: Final = {"yaql": "2016-10-14", "Ref": "2013-05-23"}


def _table(rows: tuple[tuple[str, str, _F], ...], version: str) -> dict[str, _F]:
    date = SUPPORTED_VERSIONS.get(version)
    if date is None:
        raise ValueError(f"unknown heat_template_version {version!r}")
    return {name: cls for name, since, cls in rows if at_least(date, since)}


@cache
def functions_for_version(version: str) -> dict[str, type[Function]]:
    """Name -> class of every function usable outside conditions in ``version`` (or alias)."""
    return _table(_FUNCTIONS, version)


@cache
def condition_functions_for_version(version: str) -> dict[str, type[Function]]:
    """Name -> class of the functions allowed in conditions in ``version`` (or alias)."""
    return _table(_CONDITION_FUNCTIONS, version)


@cache
def all_function_names() -> frozenset[str]:
    """Every function name of every version (condition functions included)."""
    return frozenset(row[0] for row in _FUNCTIONS + _CONDITION_FUNCTIONS)


def first_version(name: str, conditions_only: bool = False) -> str | None:
    """The oldest version that has ``name`` (in conditions, when asked)."""
    rows = _CONDITION_FUNCTIONS if conditions_only else _FUNCTIONS + _CONDITION_FUNCTIONS
    found = [since for fn, since, _ in rows if fn == name]
    return min(found, key=VERSIONS.index) if found else None
