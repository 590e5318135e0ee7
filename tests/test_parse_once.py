"""A command that has just analysed the template hands that analysis to the engine: the
template, each resource's region and the graph are not worked out again; a stack read from
the store (resume, a worker process) is rebuilt once, in memory, from its stored content."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from crossheat.service import Inputs, Service, Started
from crossheat.service import _stacks as stacks_module

REGIONS = "regions:\n  East: {cloud: c}\n  West: {cloud: c}\ndefault_region: East\n"
TEMPLATE = """\
heat_template_version: 2018-08-31
resources:
  net: {type: OS::Neutron::Net, region: West}
  other: {type: OS::Neutron::Net, depends_on: [net]}
"""
EMPTY = "heat_template_version: 2018-08-31\nresources: {}\n"


def _no_parse(*_: Any) -> Any:
    raise AssertionError("the stored spec was parsed again")


@pytest.fixture
def service(tmp_path: Path) -> Service:
    (tmp_path / "regions.yaml").write_text(REGIONS)
    return Service(database_url=f"sqlite:///{tmp_path / 'crossheat.db'}")


def _create(service: Service, tmp_path: Path, template: str) -> Started:
    return service.create("s", Inputs(template, region_map=tmp_path / "regions.yaml"))


def test_the_engine_gets_the_analysed_template_regions_and_graph(
    service: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = _create(service, tmp_path, TEMPLATE)
    analysis = started.analysis
    assert analysis is not None
    stacks = service._stacks()
    with monkeypatch.context() as patched:
        patched.setattr(stacks_module, "load_spec", _no_parse)
        op = stacks.operation(started.stack, analysis)
        with pytest.raises(AssertionError, match="parsed again"):
            stacks.operation(started.stack)  # from the store: rebuilt from stored content
    op.close()
    assert op.template is analysis.template
    assert op.graph() is analysis.graph
    assert op.region_map is analysis.region_map
    assert (op.region_of("net"), op.region_of("other")) == ("West", "East")
    stored = stacks.operation(started.stack)  # what a worker process or a resume builds
    stored.close()
    assert stored.placement == op.placement
    assert stored.graph().edges() == op.graph().edges() == [("other", "net")]
    assert stored.region_map is not None and op.region_map is not None
    assert stored.region_map.regions == op.region_map.regions
    service.close()


def test_a_create_run_here_does_not_parse_the_template_again(
    service: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = _create(service, tmp_path, EMPTY)
    monkeypatch.setattr(stacks_module, "load_spec", _no_parse)
    assert service.run_here(started).stack_status == "CREATE_COMPLETE"
    service.close()
