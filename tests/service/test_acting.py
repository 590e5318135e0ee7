"""Who ``credentials: caller`` regions act as, by executor: the CLI's local engine acts
with clouds.yaml's credentials; operations queued for workers cannot act as a caller,
and are refused before anything is recorded."""

from __future__ import annotations

from pathlib import Path

import pytest

from crossheat.errors import ConfigError
from crossheat.service import Inputs, Service
from crossheat.service.queue import QueueExecutor

TEMPLATE = """
heat_template_version: 2018-08-31
resources:
  nothing: {type: OS::Heat::None, region: East}
"""


@pytest.fixture
def region_map(tmp_path: Path) -> Path:
    path = tmp_path / "regions.yaml"
    path.write_text("regions:\n  East: {cloud: c, credentials: caller}\n  West: {cloud: c}\n")
    return path


def test_operations_queued_for_workers_cannot_act_as_the_caller(
    tmp_path: Path, region_map: Path
) -> None:
    with Service(database_url=f"sqlite:///{tmp_path / 'q.db'}") as service:
        service.executor = QueueExecutor(service.store)
        inputs = Inputs(TEMPLATE, region_map=region_map)
        with pytest.raises(ConfigError) as info:
            service.create("s", inputs)
        assert service.list_stacks() == []
        west = Inputs(TEMPLATE.replace("East", "West"), region_map=region_map)
        assert service.validate(west).ok  # a service region is fine
    assert str(info.value).startswith("region East (credentials: caller): operations queued")
    assert "set `credentials: service` for the region" in str(info.value)


def test_the_local_engine_is_not_refused_caller_regions(tmp_path: Path, region_map: Path) -> None:
    with Service(database_url=f"sqlite:///{tmp_path / 'l.db'}") as service:
        started = service.create("s", Inputs(TEMPLATE, region_map=region_map))
        stack = service.run_here(started)
    assert stack.stack_status == "CREATE_COMPLETE"
