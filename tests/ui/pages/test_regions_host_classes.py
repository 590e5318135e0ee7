"""The regions page shows each region's host classes: what a class is there."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

MAP = """\
regions:
  East:
    cloud: nowhere
    host_classes:
      baremetal: {flavor: baremetal.general, availability_zone: baremetal}
  West:
    cloud: nowhere
    host_classes: {baremetal: m1.large}
default_region: East
"""


def test_each_region_shows_what_its_host_classes_are(local: TestClient, region_map: Path) -> None:
    region_map.write_text(MAP)
    page = local.get("/dashboard/regions").text
    east = page.split('<article data-region="East"')[1].split("</article>")[0]
    west = page.split('<article data-region="West"')[1].split("</article>")[0]
    field = '<dd data-field="host-classes">'
    assert f"{field}baremetal → baremetal.general (zone baremetal)</dd>" in east
    assert f"{field}baremetal → m1.large</dd>" in west
