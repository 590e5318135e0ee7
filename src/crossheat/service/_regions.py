"""The regions as the dashboard shows them: the region map, each region's cloud, its
endpoints, images and flavors, and its health as this process sees it.

    for region in region_overview(service):      # one probe per region, in parallel
        region["health"]["reachable"], region["health"]["latency_ms"]

The probe is cheap: the cloud's token and catalog (cached by the session once had), its
images and its flavors; its time goes into the region's recent calls
(``crossheat.clouds.callstats``) beside the engine's own calls, which give the latency
and the error rate. A region whose cloud cannot be reached in ``PROBE_TIMEOUT_S`` is
shown unreachable, with the reason (never a credential).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING, Any

from crossheat.clouds.callstats import CALLS
from crossheat.clouds.driver import RegionClients
from crossheat.clouds.regionmap import RegionMap, RegionSpec
from crossheat.clouds.retry import RetryPolicy

if TYPE_CHECKING:
    from crossheat.service._service import Service

__all__ = ["region_overview"]

#: Seconds a region's probe may take before the region is shown unreachable.
PROBE_TIMEOUT_S = 5.0
#: Items of a list (images, flavors) shown at most.
SHOWN = 50


def region_overview(service: Service, *, probe: bool = True) -> list[dict[str, Any]]:
    """Every region of the region map (none when there is no map), with its health."""
    region_map = service.region_map()
    if region_map is None:
        return []
    store = service.store()
    project = None if service.every_project else service._stacks().owner
    stacks: dict[str, int] = {}
    for summary in store.list_stack_summaries(project):
        for name in summary.regions:
            stacks[name] = stacks.get(name, 0) + 1
    resources = store.resources_per_region(project)
    probes = _probe_all(region_map, service) if probe else {}
    out = []
    for name, spec in region_map.regions.items():
        found = probes.get(name, {})
        out.append({
            "name": name, "cloud": spec.cloud, "region_name": spec.region_name,
            "credentials": spec.credentials, "default": name == region_map.default_region,
            "image_map": dict(spec.images), "flavor_map": dict(spec.flavors),
            "host_classes": {k: vars(v) for k, v in spec.host_classes.items()},
            "endpoints": found.get("endpoints", []), "images": found.get("images", []),
            "flavors": found.get("flavors", []),
            "stacks": stacks.get(name, 0), "resources": resources.get(name, 0),
            "health": {"reachable": found.get("reachable"), "probe_ms": found.get("probe_ms"),
                       "problem": found.get("problem"), **CALLS.summary(name)},
        })  # fmt: skip
    return out


def _probe_all(region_map: RegionMap, service: Service) -> dict[str, dict[str, Any]]:
    clients = RegionClients(
        region_map, caller=service.caller, retry=RetryPolicy(attempts=1), max_workers=4
    )
    pool = ThreadPoolExecutor(max(1, len(region_map.regions)), "crossheat-probe")
    try:
        futures = {n: pool.submit(_probe, clients, s) for n, s in region_map.regions.items()}
        out = {}
        for name, future in futures.items():
            try:
                out[name] = future.result(timeout=PROBE_TIMEOUT_S)
            except FutureTimeout:
                CALLS.record(name, PROBE_TIMEOUT_S, False)
                out[name] = {"reachable": False, "problem": "no answer in time"}
        return out
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        clients.close()


def _probe(clients: RegionClients, spec: RegionSpec) -> dict[str, Any]:
    start = time.perf_counter()
    try:
        endpoints = clients.call(spec.name, _endpoints, spec.region_name)
        images = clients.call(spec.name, lambda c: sorted(i.name for i in c.image.images()))
        flavors = clients.call(spec.name, lambda c: sorted(f.name for f in c.compute.flavors()))
    except Exception as exc:  # CrossheatError, or what the SDK raised
        return {"reachable": False, "problem": (str(exc) or type(exc).__name__)[:300],
                "probe_ms": round(1000 * (time.perf_counter() - start), 1)}  # fmt: skip
    return {
        "reachable": True, "probe_ms": round(1000 * (time.perf_counter() - start), 1),
        "endpoints": endpoints, "images": images[:SHOWN], "flavors": flavors[:SHOWN],
    }  # fmt: skip


def _endpoints(conn: Any, region_name: str) -> list[dict[str, str]]:
    """The region's public endpoints in the cloud's catalog: service type and URL."""
    access = conn.session.auth.get_access(conn.session)
    found = access.service_catalog.get_endpoints(region_name=region_name, interface="public")
    return sorted(
        ({"service": kind, "url": e.get("url", "")} for kind, ends in found.items() for e in ends),
        key=lambda e: e["service"],
    )
