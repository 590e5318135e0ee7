"""Emulated Neutron routers (gateway, interfaces) and floating IPs.

A router's ``external_gateway_info: {"network_id": ext}`` gets a gateway port
on the external network's first subnet and comes back as::

    {"network_id": ext, "enable_snat": true,
     "external_fixed_ips": [{"subnet_id": ..., "ip_address": "100.64.0.2"}]}

``PUT /routers/{id}/add_router_interface {"subnet_id"|"port_id"}`` answers
the unwrapped ``{id, subnet_id, subnet_ids, port_id, network_id, project_id,
tenant_id}``; an interface on a subnet takes the subnet's gateway address.
A router with interfaces or a VPN service cannot be deleted (409 ``RouterInUse``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from crossheat.emulator.core import Record, neutron_error
from crossheat.emulator.neutron.base import (
    Collection,
    Ctx,
    bad_request,
    body_project,
    check_quota,
    pick,
    require,
    stamp,
)
from crossheat.emulator.neutron.networks import Networks, Subnets
from crossheat.emulator.neutron.ports import Ports, delete_port, new_port, subnets_of

ROUTER_DEFAULTS: dict[str, Any] = {
    "name": "",
    "description": "",
    "admin_state_up": True,
    "routes": [],
    "distributed": False,
    "ha": False,
    "flavor_id": None,
    "availability_zone_hints": [],
    "tags": [],
}


def external_network(ctx: Ctx, network_id: str) -> Record:
    """The external network ``network_id``; 400 when it is not external."""
    network = Networks().find(ctx, network_id)
    if not network.get("router:external"):
        raise bad_request(f"Network {network_id} is not a valid external network")
    if not network["subnets"]:
        raise bad_request(f"External network {network_id} has no subnet")
    return network


def _gateway_port(ctx: Ctx, router: Record) -> Record | None:
    for port in ctx.records("ports"):
        if port["device_id"] == router["id"] and port["device_owner"] == "network:router_gateway":
            return port
    return None


def attached_subnets(ctx: Ctx, router_id: str) -> set[str]:
    """Ids of the subnets the router has an interface on."""
    return {ip["subnet_id"] for p in interface_ports(ctx, router_id) for ip in p["fixed_ips"]}


def interface_ports(ctx: Ctx, router_id: str) -> list[Record]:
    return [
        p
        for p in ctx.records("ports")
        if p["device_id"] == router_id and p["device_owner"] == "network:router_interface"
    ]


def _set_gateway(ctx: Ctx, router: Record, info: Any) -> None:
    """Replace the router's gateway by ``info`` (``None`` removes it)."""
    old = _gateway_port(ctx, router)
    if info is not None and not isinstance(info, dict):
        raise bad_request("external_gateway_info must be an object or null")
    if info and old is not None and info.get("network_id") == old["network_id"]:
        router["external_gateway_info"]["enable_snat"] = bool(info.get("enable_snat", True))
        return
    if old is not None:
        _check_no_vpn(ctx, router)
        ctx.delete("ports", old["id"])
    router["external_gateway_info"] = None
    if not info:
        return
    require(info, "network_id")
    network = external_network(ctx, str(info["network_id"]))
    body = {"device_owner": "network:router_gateway", "device_id": router["id"]}
    if info.get("external_fixed_ips"):
        body["fixed_ips"] = info["external_fixed_ips"]
    port = new_port(ctx, network, body, "")
    router["external_gateway_info"] = {
        "network_id": network["id"],
        "enable_snat": bool(info.get("enable_snat", True)),
        "external_fixed_ips": port["fixed_ips"],
    }


def _check_no_vpn(ctx: Ctx, router: Record) -> None:
    for service in ctx.records("vpnservices"):
        if service["router_id"] == router["id"]:
            raise neutron_error(
                409,
                "RouterInUse",
                f"Router {router['id']} is used by VPNService {service['id']}",
            )


class Routers(Collection):
    kind = "routers"
    key = "router"
    path = "routers"
    label = "Router"
    latency = "router"
    tagged = True
    updatable: ClassVar[frozenset[str]] = frozenset(
        {"name", "description", "admin_state_up", "routes", "external_gateway_info"}
    )

    def create(self, ctx: Ctx, body: Record) -> Record:
        project = body_project(ctx, body)
        check_quota(ctx, self.kind, "routers", project)
        record = pick(body, ROUTER_DEFAULTS)
        record.update(status="ACTIVE", availability_zones=["nova"], external_gateway_info=None)
        stamp(ctx, record, project)
        ctx.insert(self.kind, record)
        try:
            _set_gateway(ctx, record, body.get("external_gateway_info"))
        except Exception:
            ctx.delete(self.kind, record["id"])
            raise
        ctx.save(self.kind, record)
        return record

    def check_update(self, ctx: Ctx, record: Record, body: Record) -> None:
        if "external_gateway_info" in body:
            _set_gateway(ctx, record, body.pop("external_gateway_info"))

    def delete(self, ctx: Ctx, record: Record) -> None:
        if interface_ports(ctx, record["id"]):
            raise neutron_error(
                409,
                "RouterInUse",
                f"Router {record['id']} still has ports",
            )
        _check_no_vpn(ctx, record)
        gateway = _gateway_port(ctx, record)
        if gateway is not None:
            ctx.delete("ports", gateway["id"])
        ctx.delete(self.kind, record["id"])


def _interface_info(router: Record, port: Record) -> Record:
    subnet_ids = [ip["subnet_id"] for ip in port["fixed_ips"]]
    return {
        "id": router["id"],
        "subnet_id": subnet_ids[0] if subnet_ids else None,
        "subnet_ids": subnet_ids,
        "port_id": port["id"],
        "network_id": port["network_id"],
        "project_id": router["project_id"],
        "tenant_id": router["project_id"],
    }


def _one_of(body: Record) -> tuple[str, str]:
    given = [k for k in ("subnet_id", "port_id") if body.get(k)]
    if len(given) != 1:
        raise bad_request("Either subnet_id or port_id must be specified")
    return given[0], str(body[given[0]])


def _check_subnets_free(ctx: Ctx, router: Record, subnets: list[Record]) -> None:
    attached = {
        ip["subnet_id"] for p in interface_ports(ctx, router["id"]) for ip in p["fixed_ips"]
    }
    for subnet in subnets:
        if subnet["id"] in attached:
            raise bad_request(
                f"Bad router request: Router already has a port on subnet {subnet['id']}."
            )


def add_interface(ctx: Ctx, router: Record, body: Record) -> Record:
    """``add_router_interface``: a new port on the subnet's gateway address, or a given port."""
    key, value = _one_of(body)
    if key == "subnet_id":
        subnet = Subnets().find(ctx, value)
        if subnet["gateway_ip"] is None:
            raise bad_request(f"Bad router request: Subnet {value} has no gateway IP.")
        _check_subnets_free(ctx, router, [subnet])
        network = Networks().find(ctx, subnet["network_id"])
        spec = {
            "device_owner": "network:router_interface",
            "device_id": router["id"],
            "fixed_ips": [{"subnet_id": subnet["id"], "ip_address": subnet["gateway_ip"]}],
        }
        port = new_port(ctx, network, spec, router["project_id"])
    else:
        port = Ports().find(ctx, value)
        if port["device_id"]:
            raise neutron_error(409, "PortInUse", f"Port {value} is in use by {port['device_id']}")
        if not port["fixed_ips"]:
            raise bad_request(f"Bad router request: Port {value} has no fixed IP.")
        _check_subnets_free(ctx, router, subnets_of(ctx, port))
        port.update(device_owner="network:router_interface", device_id=router["id"])
        port["security_groups"] = []
        ctx.save("ports", port)
    return _interface_info(router, port)


def remove_interface(ctx: Ctx, router: Record, body: Record) -> Record:
    """``remove_router_interface``: 404 when the router has no such interface."""
    key, value = _one_of(body)
    for port in interface_ports(ctx, router["id"]):
        subnet_ids = [ip["subnet_id"] for ip in port["fixed_ips"]]
        if (key == "port_id" and port["id"] == value) or (
            key == "subnet_id" and value in subnet_ids
        ):
            _check_no_vpn_subnet(ctx, router, subnet_ids)
            info = _interface_info(router, port)
            delete_port(ctx, port)
            return info
    kind = "RouterInterfaceNotFoundForSubnet" if key == "subnet_id" else "RouterInterfaceNotFound"
    raise neutron_error(
        404, kind, f"Router {router['id']} does not have an interface with {key} {value}"
    )


def _check_no_vpn_subnet(ctx: Ctx, router: Record, subnet_ids: list[str]) -> None:
    for service in ctx.records("vpnservices"):
        if service["router_id"] == router["id"] and service.get("subnet_id") in subnet_ids:
            raise neutron_error(
                409,
                "SubnetInUseByVPNService",
                f"Subnet {service['subnet_id']} is used by VPNService {service['id']}",
            )


class FloatingIPs(Collection):
    kind = "floatingips"
    key = "floatingip"
    path = "floatingips"
    label = "FloatingIP"
    latency = "floatingip"
    tagged = True
    updatable: ClassVar[frozenset[str]] = frozenset({"description", "port_id", "fixed_ip_address"})

    def create(self, ctx: Ctx, body: Record) -> Record:
        require(body, "floating_network_id")
        network = external_network(ctx, str(body["floating_network_id"]))
        project = body_project(ctx, body)
        check_quota(ctx, self.kind, "floatingips", project)
        spec: Record = {"device_owner": "network:floatingip"}
        if body.get("floating_ip_address"):
            spec["fixed_ips"] = [{"ip_address": body["floating_ip_address"]}]
        record = pick(body, {"description": "", "tags": [], "dns_name": "", "dns_domain": ""})
        record.update(floating_network_id=network["id"], port_id=None, fixed_ip_address=None)
        record.update(router_id=None, status="DOWN", qos_policy_id=None, port_details=None)
        _associate(ctx, record, body.get("port_id"), body.get("fixed_ip_address"))
        port = new_port(ctx, network, spec, "")
        record["floating_ip_address"] = port["fixed_ips"][0]["ip_address"]
        stamp(ctx, record, project)
        port["device_id"] = ctx.insert(self.kind, record)["id"]
        ctx.save("ports", port)
        return record

    def check_update(self, ctx: Ctx, record: Record, body: Record) -> None:
        if "port_id" in body:
            _associate(ctx, record, body.pop("port_id"), body.pop("fixed_ip_address", None))

    def delete(self, ctx: Ctx, record: Record) -> None:
        for port in ctx.records("ports"):
            if port["device_owner"] == "network:floatingip" and port["device_id"] == record["id"]:
                ctx.delete("ports", port["id"])
        ctx.delete(self.kind, record["id"])


def _associate(ctx: Ctx, fip: Record, port_id: Any, fixed_ip: Any) -> None:
    """Point ``fip`` at ``port_id`` (``None`` disassociates), through a router to its network."""
    if not port_id:
        fip.update(port_id=None, fixed_ip_address=None, router_id=None, status="DOWN")
        return
    port = Ports().find(ctx, str(port_id))
    addresses = [ip["ip_address"] for ip in port["fixed_ips"]]
    if not addresses or (fixed_ip and fixed_ip not in addresses):
        raise bad_request(f"Port {port_id} has no fixed IP {fixed_ip or ''}".strip())
    subnet_ids = {ip["subnet_id"] for ip in port["fixed_ips"]}
    for router in ctx.records("routers"):
        gateway = router.get("external_gateway_info") or {}
        if gateway.get("network_id") != fip["floating_network_id"]:
            continue
        attached = {
            ip["subnet_id"] for p in interface_ports(ctx, router["id"]) for ip in p["fixed_ips"]
        }
        if attached & subnet_ids:
            fip.update(port_id=port["id"], fixed_ip_address=fixed_ip or addresses[0])
            fip.update(router_id=router["id"], status="ACTIVE")
            return
    raise neutron_error(
        404,
        "ExternalGatewayForFloatingIPNotFound",
        f"External network {fip['floating_network_id']} is not reachable from subnet "
        f"{sorted(subnet_ids)[0]}. Therefore, cannot associate Port {port_id} with a Floating IP.",
    )
