"""The spec a stack keeps marks what the store must seal: hidden parameters given by an
environment file, in the template or in a template it nests."""

from __future__ import annotations

from crossheat.engine.spec import content_reader, load_spec, make_spec, recording
from crossheat.template import parse_content

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


def test_environment_files_giving_a_hidden_value_are_secret() -> None:
    envs = {
        "hidden.yaml": "parameters: {key: from-env-1f9b}\n",
        "nested.yaml.env": "parameter_defaults: {token: t-5c3a}\n",
        "plain.yaml": "parameters: {size: 2}\n",
    }
    given = {"nested.yaml": NESTED, **envs}
    files: dict[str, str] = {}
    read = recording(content_reader(given), files)
    template, found = parse_content(TOP, "top.yaml", list(envs), read=read)
    assert template is not None and not found
    spec = make_spec(
        template, TOP, files, list(envs), {},
        region_map=None, disable_rollback=False, timeout_mins=None,
    )  # fmt: skip
    sources = spec.environment["sources"]
    assert [s.get("secret", False) for s in sources] == [True, True, False]
    assert spec.hidden_parameters == {"key"}
    assert spec.files == {"nested.yaml": NESTED}
    assert load_spec(spec).parameters["key"].value == "from-env-1f9b"
