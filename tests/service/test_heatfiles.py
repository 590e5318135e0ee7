"""A template, its files and environments go to a server as python-heatclient sends them
(``template``, ``files``, ``environment_files``, ``environment``): the same body, byte for
byte, as heatclient's own ``template_utils`` builds for ``openstack stack create``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from heatclient.common import template_utils

from crossheat.service import Inputs
from crossheat.service._heatfiles import heat_inputs

TEMPLATE = """\
heat_template_version: 2018-08-31
description: a net and a script
resources:
  net:
    type: lib/net.yaml
    properties:
      name: {get_file: names/net.txt}
  config:
    type: OS::Heat::Value
    properties:
      value: {get_file: scripts/boot.sh}
  other:
    type: My::Net
"""
NESTED = """\
heat_template_version: 2016-10-14
parameters:
  name: {type: string}
resources:
  value:
    type: OS::Heat::Value
    properties:
      value: {get_file: ../scripts/boot.sh}
"""
ENV = """\
parameters:
  size: 3
resource_registry:
  My::Net: lib/net.yaml
  OS::Unused: OS::Heat::None
  resources:
    net:
      hooks: pre-create
"""
ENV2 = """\
parameter_defaults:
  size: 4
"""


def _tree(tmp_path: Path) -> Path:
    (tmp_path / "lib").mkdir()
    (tmp_path / "scripts").mkdir()
    (tmp_path / "names").mkdir()
    (tmp_path / "env").mkdir()
    (tmp_path / "stack.yaml").write_text(TEMPLATE)
    (tmp_path / "lib" / "net.yaml").write_text(NESTED)
    (tmp_path / "scripts" / "boot.sh").write_text("#!/bin/sh\necho hi\n")
    (tmp_path / "names" / "net.txt").write_text("east-net")
    (tmp_path / "env" / "one.yaml").write_text(ENV.replace("lib/", "../lib/"))
    (tmp_path / "two.yaml").write_text(ENV2)
    return tmp_path / "stack.yaml"


def _heatclient(template: Path, environments: list[Path]) -> dict[str, Any]:
    """What ``openstack stack create -t TEMPLATE -e ENV...`` sends (heatclient's osc)."""
    tpl_files, body = template_utils.process_template_path(str(template))
    tracker: list[str] = []
    env_files, env = template_utils.process_multiple_environments_and_files(
        env_paths=[str(p) for p in environments], env_list_tracker=tracker
    )
    files = {**tpl_files, **env_files}
    # heatclient keeps a plain file's bytes; its JSON encoder (oslo's) sends them as text
    files = {k: v.decode() if isinstance(v, bytes) else v for k, v in files.items()}
    out = {"template": body, "files": files, "environment": env}
    if tracker:
        out["environment_files"] = tracker
    return out


def test_the_body_is_heatclients(tmp_path: Path) -> None:
    template = _tree(tmp_path)
    envs = [tmp_path / "env" / "one.yaml", tmp_path / "two.yaml"]
    ours = heat_inputs(Inputs.from_files(template, envs))
    theirs = _heatclient(template, envs)
    assert ours == theirs
    net = (tmp_path / "lib" / "net.yaml").as_uri()
    assert ours["template"]["resources"]["net"]["type"] == net
    nested = json.loads(ours["files"][net])  # a nested template, walked, as JSON
    boot = (tmp_path / "scripts" / "boot.sh").as_uri()
    assert nested["resources"]["value"]["properties"]["value"] == {"get_file": boot}
    assert ours["environment_files"] == [p.as_uri() for p in envs]


def test_without_environments_the_body_has_no_environment_files(tmp_path: Path) -> None:
    template = _tree(tmp_path)
    ours = heat_inputs(Inputs.from_files(template))
    assert ours == _heatclient(template, [])
    assert "environment_files" not in ours and ours["environment"] == {}


def test_a_relative_template_path_is_read_from_the_working_directory(
    tmp_path: Path, monkeypatch: Any
) -> None:
    _tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    ours = heat_inputs(Inputs.from_files("stack.yaml"))
    assert ours == _heatclient(tmp_path / "stack.yaml", [])


def test_a_file_that_cannot_be_read_is_left_as_written_for_the_server_to_report(
    tmp_path: Path,
) -> None:
    template = tmp_path / "t.yaml"
    template.write_text(
        "heat_template_version: 2018-08-31\nresources:\n  v:\n    type: OS::Heat::Value\n"
        "    properties: {value: {get_file: missing.sh}}\n"
    )
    ours = heat_inputs(Inputs.from_files(template))
    assert ours["template"]["resources"]["v"]["properties"]["value"] == {"get_file": "missing.sh"}
    assert ours["files"] == {}
