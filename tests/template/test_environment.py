"""Environment files: order, parameters vs parameter_defaults, strategies, registry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from crossheat.template import load_template
from tests.template.helpers import errors, hot, load

PARAMS: dict[str, Any] = {
    "name": {"type": "string", "default": "t"},
    "size": {"type": "number", "default": 1},
    "tags": {"type": "comma_delimited_list", "default": ""},
    "cfg": {"type": "json", "default": {}},
}


def env(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def values(tmp_path: Path, *envs: str, given: dict[str, str] | None = None) -> dict[str, Any]:
    paths = [env(tmp_path, f"e{i}.yaml", text) for i, text in enumerate(envs)]
    template = tmp_path / "t.yaml"
    template.write_text(hot(parameters=PARAMS))
    return load_template(template, paths, given).parameter_values()


def test_later_environment_wins_and_cli_wins_over_all(tmp_path: Path) -> None:
    got = values(tmp_path, "parameters: {name: a, size: 2}", "parameters: {name: b}")
    assert (got["name"], got["size"]) == ("b", 2)
    got = values(tmp_path, "parameters: {name: a}", given={"name": "cli"})
    assert got["name"] == "cli"


def test_parameters_win_over_parameter_defaults(tmp_path: Path) -> None:
    got = values(tmp_path, "parameters: {name: p}", "parameter_defaults: {name: d, size: 5}")
    assert (got["name"], got["size"]) == ("p", 5)


def test_merge_strategies(tmp_path: Path) -> None:
    strategies = "parameter_merge_strategies: {default: merge, cfg: deep_merge}\n"
    first = strategies + "parameters: {name: ab, size: 2, tags: x, cfg: {a: {b: 1}, l: [1]}}"
    second = strategies + "parameters: {name: cd, size: 3, tags: 'y', cfg: {a: {c: 2}, l: [2]}}"
    got = values(tmp_path, first, second)
    assert got["name"] == "abcd"
    assert got["size"] == 5
    assert got["tags"] == ["x", "y"]
    assert got["cfg"] == {"a": {"b": 1, "c": 2}, "l": [1, 2]}


def test_merge_without_deep_replaces_nested_maps(tmp_path: Path) -> None:
    strategies = "parameter_merge_strategies: {cfg: merge}\n"
    first = strategies + "parameters: {cfg: {a: {b: 1}, k: 1}}"
    got = values(tmp_path, first, strategies + "parameters: {cfg: {a: {c: 2}}}")
    assert got["cfg"] == {"a": {"c": 2}, "k": 1}


def test_strategy_must_not_change_between_files(tmp_path: Path) -> None:
    second = env(
        tmp_path, "2.yaml", "parameter_merge_strategies: {size: merge}\nparameters: {size: 3}"
    )
    first = env(tmp_path, "1.yaml", "parameters: {size: 2}")
    found = errors(hot(parameters=PARAMS), environment_files=[first, second])
    assert "parameter 'size' is merged with 'merge' here but 'overwrite' before" in found[0].message


def test_overwrite_is_the_default(tmp_path: Path) -> None:
    assert values(tmp_path, "parameters: {size: 2}", "parameters: {size: 3}")["size"] == 3


def test_unknown_section_points_at_its_line(tmp_path: Path) -> None:
    path = env(tmp_path, "bad.yaml", "parameters: {}\nresource_regstry: {}\n")
    found = errors(hot(), environment_files=[path])
    assert found[0].message == "unknown environment section 'resource_regstry'"
    assert found[0].location is not None
    assert (found[0].location.file, found[0].location.line) == (str(path), 2)


def test_a_section_of_the_wrong_kind_is_an_error_not_a_crash(tmp_path: Path) -> None:
    text = "parameters: x\nresource_registry: [a]\nencrypted_param_names: 5\nevent_sinks: {}\n"
    found = errors(hot(), environment_files=[env(tmp_path, "bad.yaml", text)])
    assert [(d.message, d.location.line if d.location else None) for d in found] == [
        ("environment section 'parameters' must be a map", 1),
        ("environment section 'resource_registry' must be a map", 2),
        ("environment section 'encrypted_param_names' must be a list", 3),
        ("environment section 'event_sinks' must be a list", 4),
    ]


def test_environment_parameter_not_in_template(tmp_path: Path) -> None:
    path = env(tmp_path, "e.yaml", "parameters:\n  nmae: x\n")
    found = errors(hot(parameters=PARAMS), environment_files=[path])
    assert "environment parameter 'nmae' is not defined" in found[0].message
    assert found[0].location is not None and found[0].location.line == 2


def test_registry_aliases_chains_and_wildcards(tmp_path: Path) -> None:
    path = env(
        tmp_path,
        "e.yaml",
        'resource_registry:\n  "My::Net": "My::Other"\n  "My::Other": OS::Neutron::Net\n'
        '  "Corp::*": "OS::Neutron::*"\n'
        '  resources:\n    special: {"My::Net": OS::Neutron::ProviderNet}\n',
    )
    resources = {
        "a": {"type": "My::Net"},
        "b": {"type": "Corp::Port"},
        "special": {"type": "My::Net"},
        "plain": {"type": "OS::Nova::Server"},
    }
    template = load(hot(resources=resources), environment_files=[path])
    types = {name: r.type for name, r in template.resources.items()}
    assert types == {
        "a": "OS::Neutron::Net",
        "b": "OS::Neutron::Port",
        "special": "OS::Neutron::ProviderNet",
        "plain": "OS::Nova::Server",
    }


def test_environment_is_kept_merged(tmp_path: Path) -> None:
    one = env(tmp_path, "1.yaml", "encrypted_param_names: [a]\nparameter_defaults: {x: 1}")
    two = env(tmp_path, "2.yaml", "encrypted_param_names: [b]\nparameter_defaults: {x: 2}")
    template = load(hot(), environment_files=[one, two])
    assert template.environment.encrypted_param_names == ["a", "b"]
    assert template.environment.parameter_defaults == {"x": 2}
    assert template.environment.files == [one, two]
