"""The spec a stack keeps marks what the store must seal: hidden parameters given by an
environment file, in the template or in a template it nests."""

from __future__ import annotations

from pathlib import Path

from crossheat.engine.spec import load_spec, make_spec
from crossheat.template import load_template

NESTED = """heat_template_version: 2018-08-31
parameters:
  token: {type: string, hidden: true}
resources:
  r: {type: OS::Heat::None}
"""
TOP = """heat_template_version: 2018-08-31
parameters:
  key: {type: string, hidden: true, default: top-default-7a2c}
  size: {type: number, default: 1}
resources:
  mod: {type: nested.yaml, properties: {token: nested-token-4e0d}}
"""


def test_environment_files_giving_a_hidden_value_are_secret(tmp_path: Path) -> None:
    (tmp_path / "nested.yaml").write_text(NESTED)
    (tmp_path / "top.yaml").write_text(TOP)
    envs = {
        "hidden.yaml": "parameters: {key: from-env-1f9b}\n",
        "nested.yaml.env": "parameter_defaults: {token: t-5c3a}\n",
        "plain.yaml": "parameters: {size: 2}\n",
    }
    for name, text in envs.items():
        (tmp_path / name).write_text(text)
    paths = [tmp_path / name for name in envs]
    template = load_template(tmp_path / "top.yaml", paths)
    spec = make_spec(
        template, paths, {}, region_map=None, disable_rollback=False, timeout_mins=None
    )
    sources = spec.environment["sources"]
    assert [s.get("secret", False) for s in sources] == [True, True, False]
    assert spec.hidden_parameters == {"key"}
    assert load_spec(spec).parameters["key"].value == "from-env-1f9b"
