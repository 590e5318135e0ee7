"""Router interfaces (Heat's ``OS::Neutron::RouterInterface``), split from ``neutron``.

A router interface's physical id is Heat's ``<router id>:subnet_id=<id>`` (or
``:port_id=<id>``); the port Neutron makes for a subnet interface is tagged, so that
``find`` works after a crash. An interface is read as its router's port on its subnet
(or its port): ``ports(device_id=<router>)``; a check answers those calls for all the
routers of a region with one list of the project's ports (``RouterInterface.read_ahead``,
the same list a check of servers makes, so both share it).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any

from crossheat.errors import (
    CloudBadRequest,
    CloudConflict,
    CloudError,
    CloudNotFound,
    CloudTransientError,
    Diagnostic,
    TemplatePath,
)
from crossheat.resources.lifecycle import (
    Answered,
    CloudCaller,
    Done,
    Pending,
    ResourceContext,
    Step,
)
from crossheat.resources.registry import ResourceType
from crossheat.resources.schema import Property
from crossheat.resources.schema import PropertyType as T
from crossheat.resources.types.common import PORT, ROUTER, SUBNET
from crossheat.resources.types.neutron_crud import find_id, sdk, sdk_list


def _interface_id(physical_id: str) -> tuple[str, str, str]:
    """``router:subnet_id=S`` / ``router:port_id=P`` (Heat's form; bare ``router:S`` is a
    subnet) -> ``(router, "subnet" | "port", id)``."""
    router, _, rest = physical_id.partition(":")
    key, _, target = rest.rpartition("=")
    return router, "port" if key == "port_id" else "subnet", target


def _tag_port(conn: Any, port_id: str, tags: list[str]) -> None:
    from openstack.network.v2.port import Port as SdkPort

    conn.network.set_tags(SdkPort(id=port_id), tags)


class RouterInterface(ResourceType):
    """An interface of a router on a subnet or a port (one of them).

    ``router_id``, ``subnet_id`` and ``port_id`` are Heat's hidden aliases.
    """

    type_name = "OS::Neutron::RouterInterface"
    properties_schema = {
        "router": Property(
            T.STRING,
            "Name or ID of the router.",
            required=True,
            constraints=(ROUTER,),
            aliases=("router_id",),
        ),
        "subnet": Property(
            T.STRING,
            "The subnet; either subnet or port.",
            constraints=(SUBNET,),
            aliases=("subnet_id",),
        ),
        "port": Property(
            T.STRING, "The port; either subnet or port.", constraints=(PORT,), aliases=("port_id",)
        ),
    }

    @classmethod
    def validate(cls, values: Any, path: TemplatePath) -> list[Diagnostic]:
        """Heat's rule on top of the schema: exactly one of ``subnet`` and ``port``."""
        diags = super().validate(values, path)
        if isinstance(values, Mapping) and not diags:
            given = [key for key in ("subnet", "subnet_id", "port", "port_id") if key in values]
            if len(given) != 1:
                diags.append(
                    Diagnostic(
                        "exactly one of subnet and port must be given",
                        path,
                        hint=f"given: {', '.join(given) or 'neither'}",
                        code="required",
                    )
                )
        return diags

    def create(self, ctx: ResourceContext, props: dict[str, Any]) -> Step:
        router = find_id(ctx, "router", props["router"])
        kind = "subnet" if props.get("subnet") else "port"
        target = find_id(ctx, kind, props[kind])
        interface = f"{router}:{kind}_id={target}"
        answer = self._add(ctx, interface)
        ctx.physical_id = interface
        ctx.attributes = {"show": dict(answer)}
        if kind == "port":  # a given port keeps its tags
            return Done()
        # A port of its own: mark it, in the poll step, whose calls are repeated after a
        # lost answer (the create step's are not), once the physical id is recorded.
        ctx.progress["untagged_port"] = answer["port_id"]
        return Pending(0.0)

    def check_create(self, ctx: ResourceContext) -> Step:
        port_id = ctx.progress.pop("untagged_port", None)
        if port_id is not None:
            ctx.call(_tag_port, port_id, ctx.tags)
        return Done()

    def _add(self, ctx: ResourceContext, interface: str) -> dict[str, Any]:
        """``add_router_interface``; an interface that is already there is adopted.

        It can be there because this very call was carried out but its answer lost (a 502
        or a timeout), or because an engine that died made it before recording it. Sent
        again, the PUT gets 400 "already has a port on subnet" (409 "in use" for a port):
        the router's port on that subnet (or that port) is the interface. When the answer
        was lost and there is no such port, the error goes up, and the engine sends the
        create again after a backoff (``engine.actions``: no physical id yet)."""
        router, kind, target = _interface_id(interface)
        try:
            answer: dict[str, Any] = ctx.call(
                sdk, "add_interface_to_router", router, **{kind: target}
            )
            return answer
        except CloudTransientError as exc:
            if not exc.maybe_done:
                raise
            error: CloudError = exc
        except (CloudBadRequest, CloudConflict) as exc:
            error = exc
        existing = self._port(ctx, interface)
        if existing is None:
            raise error
        return {"port_id": existing["id"], **existing}

    def delete(self, ctx: ResourceContext) -> Step:
        """Removes the interface; an interface or router already gone counts as removed."""
        if ctx.physical_id is None:
            return Done()
        router, kind, target = _interface_id(ctx.physical_id)
        with contextlib.suppress(CloudNotFound):
            ctx.call(sdk, "remove_interface_from_router", router, **{kind: target})
        return Done()

    def _port(self, ctx: ResourceContext, interface: str | None = None) -> dict[str, Any] | None:
        """The router's port of ``interface`` (default: the physical id's), if it has one."""
        interface = interface or ctx.physical_id
        if interface is None:
            return None
        router, kind, target = _interface_id(interface)
        for port in ctx.call(sdk_list, "ports", device_id=router):
            subnets = {ip.get("subnet_id") for ip in port.get("fixed_ips") or []}
            if (port["id"] == target) if kind == "port" else (target in subnets):
                return port
        return None

    def read(self, ctx: ResourceContext) -> dict[str, Any] | None:
        """The interface's port as ``show``; ``None`` when the interface is gone."""
        port = self._port(ctx)
        if port is None:
            return None
        ctx.attributes = {"show": port}
        return ctx.attributes

    @classmethod
    def read_ahead(
        cls, call: CloudCaller, stack_id: str, physical_ids: Sequence[str]
    ) -> list[Answered]:
        """One list of the project's ports answers each router's ``ports(device_id=...)``
        (what ``read`` and ``live_properties`` ask), for the routers it shows a port of;
        an interface whose router has none left is read as usual."""
        routers = {_interface_id(physical_id)[0] for physical_id in physical_ids}
        ports: dict[str, list[dict[str, Any]]] = {}
        for port in call(sdk_list, "ports"):
            if port.get("device_id") in routers:
                ports.setdefault(str(port["device_id"]), []).append(port)
        return [
            Answered(sdk_list, ("ports",), {"device_id": router}, found)
            for router, found in ports.items()
        ]

    def find(self, ctx: ResourceContext) -> str | None:
        for port in ctx.call(sdk_list, "ports", tags=",".join(ctx.tags)):
            subnets = [ip.get("subnet_id") for ip in port.get("fixed_ips") or []]
            if port.get("device_id") and subnets:
                found = ctx.first_untaken([f"{port['device_id']}:subnet_id={subnets[0]}"])
                if found:
                    return found
        return None

    def live_properties(self, ctx: ResourceContext) -> dict[str, Any] | None:
        if self._port(ctx) is None or ctx.physical_id is None:
            return None
        router, kind, target = _interface_id(ctx.physical_id)
        return {"router": router, kind: target}
