"""validate_properties, apply_defaults, changed_properties and mask_secrets."""

from __future__ import annotations

from crossheat.errors import Diagnostic
from crossheat.resources.constraints import AllowedValues, CustomConstraint
from crossheat.resources.schema import (
    SECRET_MASK,
    Property,
    PropertyType,
    apply_defaults,
    changed_properties,
    mask_secrets,
    validate_properties,
)
from crossheat.template.values import UNKNOWN

T = PropertyType
PATH = ("resources", "east_subnet", "properties")

SCHEMA = {
    "network": Property(T.STRING, required=True, aliases=("network_id",)),
    "cidr": Property(T.STRING, constraints=(CustomConstraint("net_cidr"),)),
    "ip_version": Property(T.INTEGER, default=4, constraints=(AllowedValues((4, 6)),)),
    "name": Property(T.STRING, update_allowed=True),
    "password": Property(T.STRING, secret=True, update_allowed=True),
    "pools": Property(
        T.LIST,
        update_allowed=True,
        items=Property(
            T.MAP,
            schema={
                "start": Property(T.STRING, required=True),
                "end": Property(T.STRING, required=True),
            },
        ),
    ),
    "dpd": Property(
        T.MAP,
        schema={
            "actions": Property(T.STRING, default="hold"),
            "interval": Property(T.INTEGER, default=30),
            "key": Property(T.STRING, secret=True),
        },
    ),
}


def paths(diags: list[Diagnostic]) -> list[tuple[str | int, ...]]:
    return [d.path for d in diags]


def test_valid_properties_give_no_diagnostics() -> None:
    values = {"network": "net", "cidr": "10.1.0.0/24", "ip_version": "6"}
    assert validate_properties(SCHEMA, values, PATH) == []


def test_missing_required_property() -> None:
    diags = validate_properties(SCHEMA, {"cidr": "10.1.0.0/24"}, PATH)
    assert paths(diags) == [(*PATH, "network")]
    assert diags[0].code == "required"


def test_unknown_property_suggests_the_closest_name() -> None:
    diags = validate_properties(SCHEMA, {"network": "n", "cdir": "10.1.0.0/24"}, PATH)
    assert paths(diags) == [(*PATH, "cdir")]
    assert diags[0].hint == "did you mean 'cidr'?"


def test_every_problem_is_reported_at_once() -> None:
    values = {"ip_version": 5, "cidr": "10.1.0.1/24", "name": ["x"]}
    diags = validate_properties(SCHEMA, values, PATH)
    assert sorted(map(str, paths(diags))) == sorted(
        str((*PATH, key)) for key in ("network", "ip_version", "cidr", "name")
    )


def test_alias_satisfies_required_and_error_paths_use_the_written_key() -> None:
    assert validate_properties(SCHEMA, {"network_id": "net"}, PATH) == []
    diags = validate_properties(SCHEMA, {"network_id": ["net"]}, PATH)
    assert paths(diags) == [(*PATH, "network_id")]


def test_alias_and_name_together_conflict() -> None:
    diags = validate_properties(SCHEMA, {"network": "a", "network_id": "b"}, PATH)
    assert [d.code for d in diags] == ["conflict"]


def test_string_where_a_list_is_wanted_is_an_error() -> None:
    diags = validate_properties(SCHEMA, {"network": "n", "pools": "10.0.0.2-10.0.0.9"}, PATH)
    assert paths(diags) == [(*PATH, "pools")]
    assert "expected list" in diags[0].message


def test_nested_errors_carry_the_exact_path() -> None:
    values = {
        "network": "n",
        "pools": [{"start": "a", "end": "b"}, {"start": "c", "stop": "d"}],
        "dpd": {"interval": "often"},
    }
    diags = validate_properties(SCHEMA, values, PATH)
    assert sorted(map(str, paths(diags))) == sorted(
        [
            str((*PATH, "pools", 1, "stop")),
            str((*PATH, "pools", 1, "end")),
            str((*PATH, "dpd", "interval")),
        ]
    )


def test_unknown_values_are_skipped_everywhere() -> None:
    values = {
        "network": UNKNOWN,
        "cidr": UNKNOWN,
        "pools": [UNKNOWN, {"start": UNKNOWN, "end": "x"}],
        "dpd": UNKNOWN,
    }
    assert validate_properties(SCHEMA, values, PATH) == []
    assert validate_properties(SCHEMA, UNKNOWN, PATH) == []


def test_properties_that_are_not_a_map() -> None:
    diags = validate_properties(SCHEMA, ["network"], PATH)
    assert paths(diags) == [PATH]


def test_apply_defaults_renames_aliases_coerces_and_fills_nested_defaults() -> None:
    out = apply_defaults(SCHEMA, {"network_id": "n", "ip_version": "6", "dpd": {"interval": "5"}})
    assert out == {
        "network": "n",
        "ip_version": 6,
        "dpd": {"actions": "hold", "interval": 5},
    }


def test_apply_defaults_does_not_share_default_objects() -> None:
    schema = {"tags": Property(T.LIST, default=[])}
    first = apply_defaults(schema, {})
    first["tags"].append("x")
    assert apply_defaults(schema, {}) == {"tags": []}


def test_changed_properties_splits_in_place_from_replace() -> None:
    old = {"network": "n", "name": "a", "cidr": "10.1.0.0/24"}
    new = {"network": "n", "name": "b", "cidr": "10.9.0.0/24"}
    assert changed_properties(SCHEMA, old, new) == ({"name"}, {"cidr"})


def test_dropping_a_property_that_had_its_default_value_is_no_change() -> None:
    old = {"network": "n", "ip_version": 4}
    assert changed_properties(SCHEMA, old, {"network_id": "n"}) == (set(), set())


def test_an_unknown_new_value_counts_as_a_change() -> None:
    old = {"network": "n", "name": "a"}
    assert changed_properties(SCHEMA, old, {"network": UNKNOWN, "name": "a"}) == (
        set(),
        {"network"},
    )


def test_mask_secrets_hides_secret_values_at_any_depth() -> None:
    values = {"network": "n", "password": "hunter2", "dpd": {"key": "k", "interval": 5}}
    masked = mask_secrets(SCHEMA, values)
    assert masked == {
        "network": "n",
        "password": SECRET_MASK,
        "dpd": {"key": SECRET_MASK, "interval": 5},
    }
    assert values["password"] == "hunter2"
