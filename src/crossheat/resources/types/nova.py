"""Nova servers and key pairs, with Heat's schemas (openstack/heat,
``heat/engine/resources/openstack/nova/{server,keypair}.py``) and their lifecycles.

A server is created with one call and polled until ``ACTIVE`` (``ERROR`` fails
with Nova's fault message); its metadata carries crossheat's marks, which is
how ``find`` recognises it. A key pair cannot be marked: its physical id is
its name, and ``find`` looks for the name it was created with.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from crossheat.errors import CloudNotFound, NotSupportedError
from crossheat.resources.constraints import AllowedValues, CustomConstraint, Length, Range
from crossheat.resources.lifecycle import Done, ResourceContext, Step
from crossheat.resources.registry import Registry, ResourceType
from crossheat.resources.schema import Attribute, Property
from crossheat.resources.schema import PropertyType as T
from crossheat.resources.types.common import IP_ADDR, NETWORK, PORT
from crossheat.resources.types.neutron_crud import as_api_dict, sdk_list
from crossheat.resources.types.neutron_ports import PORT_EXTRA_PROPERTIES
from crossheat.resources.types.nova_ahead import (
    live_image_name,
    read_keypairs_ahead,
    read_servers_ahead,
)
from crossheat.resources.types.nova_server import (
    associate_floating_ips,
    compute,
    fault_message,
    flavor_id,
    floating_ips,
    image_id,
    live_networks,
    metadata,
    server_attributes,
    server_body,
)

IMAGE = CustomConstraint("glance.image")
VOLUME = CustomConstraint("cinder.volume")
SNAPSHOT = CustomConstraint("cinder.snapshot")

_BDM = Property(
    T.MAP,
    schema={
        "device_name": Property(T.STRING, "Device name, /dev/<device_name>.", required=True),
        "volume_id": Property(T.STRING, "Volume to boot from.", constraints=(VOLUME,)),
        "snapshot_id": Property(
            T.STRING, "Snapshot to create a volume from.", constraints=(SNAPSHOT,)
        ),
        "volume_size": Property(T.INTEGER, "Size of the volume in GB."),
        "delete_on_termination": Property(T.BOOLEAN, "Delete the volume with the server."),
    },
)
_BDM_V2 = Property(
    T.MAP,
    schema={
        "device_name": Property(T.STRING, "Device name, /dev/<device_name>."),
        "volume_id": Property(T.STRING, "Boot or non-boot volume.", constraints=(VOLUME,)),
        "image": Property(
            T.STRING,
            "Name or ID of an image to create a volume from.",
            constraints=(IMAGE,),
            aliases=("image_id",),
        ),
        "snapshot_id": Property(
            T.STRING, "Snapshot to create a volume from.", constraints=(SNAPSHOT,)
        ),
        "swap_size": Property(T.INTEGER, "Size of the swap in MB."),
        "ephemeral_size": Property(
            T.INTEGER, "Size of the ephemeral device in GB.", constraints=(Range(min=1),)
        ),
        "ephemeral_format": Property(
            T.STRING,
            "Format of the ephemeral device.",
            constraints=(AllowedValues(("ext2", "ext3", "ext4", "xfs", "ntfs")),),
        ),
        "device_type": Property(
            T.STRING, "disk or cdrom.", constraints=(AllowedValues(("cdrom", "disk")),)
        ),
        "disk_bus": Property(
            T.STRING,
            "Bus of the device.",
            constraints=(AllowedValues(("ide", "lame_bus", "sata", "scsi", "usb", "virtio")),),
        ),
        "boot_index": Property(T.INTEGER, "Order of the boot disks."),
        "volume_size": Property(T.INTEGER, "Size of the block device in GB."),
        "delete_on_termination": Property(T.BOOLEAN, "Delete the volume with the server."),
        "volume_type": Property(
            T.STRING,
            "Volume type of a created volume.",
            constraints=(CustomConstraint("cinder.vtype"),),
        ),
    },
)
_NIC = Property(
    T.MAP,
    schema={
        "network": Property(
            T.STRING,
            "Name or ID of a network to create a port on.",
            constraints=(NETWORK,),
            aliases=("uuid",),
        ),
        "allocate_network": Property(
            T.STRING,
            "auto or none, instead of a network.",
            update_allowed=True,
            constraints=(AllowedValues(("none", "auto")),),
        ),
        "fixed_ip": Property(T.STRING, "Fixed IP of the created port.", constraints=(IP_ADDR,)),
        "port": Property(T.STRING, "ID of an existing port.", constraints=(PORT,)),
        "port_extra_properties": Property(
            T.MAP,
            "Properties of the created port.",
            update_allowed=True,
            schema=PORT_EXTRA_PROPERTIES,
        ),
        "subnet": Property(T.STRING, "Subnet to allocate the created port's address in."),
        "floating_ip": Property(T.STRING, "ID of a floating IP to associate."),
        "tag": Property(T.STRING, "Port tag; updates are ignored."),
    },
)
_SWIFT_DATA = Property(
    T.MAP,
    "Swift container and object for deployment data.",
    default={},
    update_allowed=True,
    schema={
        "container": Property(T.STRING, "Name of the container.", constraints=(Length(min=1),)),
        "object": Property(T.STRING, "Name of the object.", constraints=(Length(min=1),)),
    },
)


def _policy(default: str, *allowed: str) -> Property:
    return Property(
        T.STRING,
        f"Update policy: {' or '.join(allowed)}.",
        default=default,
        update_allowed=True,
        constraints=(AllowedValues(allowed),),
    )


class Server(ResourceType):
    """A Nova server. ``admin_pass`` is secret; ``networks[].uuid`` is Heat's hidden alias.

    ``flavor``, ``image`` and ``user_data`` update in place unless their
    ``*_update_policy`` (as the new template sets it) says ``REPLACE``.
    """

    type_name = "OS::Nova::Server"
    properties_schema = {
        "name": Property(T.STRING, "Server name.", update_allowed=True),
        "image": Property(
            T.STRING, "Name or ID of the image to boot.", update_allowed=True, constraints=(IMAGE,)
        ),
        "block_device_mapping": Property(T.LIST, "Block device mappings.", items=_BDM),
        "block_device_mapping_v2": Property(T.LIST, "Block device mappings v2.", items=_BDM_V2),
        "flavor": Property(
            T.STRING,
            "Name or ID of the flavor.",
            required=True,
            update_allowed=True,
            constraints=(CustomConstraint("nova.flavor"),),
        ),
        "flavor_update_policy": _policy("RESIZE", "RESIZE", "REPLACE"),
        "image_update_policy": _policy(
            "REBUILD", "REBUILD", "REPLACE", "REBUILD_PRESERVE_EPHEMERAL"
        ),
        "key_name": Property(
            T.STRING, "Key pair to inject.", constraints=(CustomConstraint("nova.keypair"),)
        ),
        "admin_user": Property(T.STRING, "Hidden since Heat 5.0.0; ignored."),
        "availability_zone": Property(T.STRING, "Availability zone of the server."),
        "security_groups": Property(T.LIST, "Security group names or IDs.", default=[]),
        "networks": Property(
            T.LIST, "Ordered NICs of the server.", items=_NIC, update_allowed=True
        ),
        "scheduler_hints": Property(T.MAP, "Hints for the scheduler."),
        "metadata": Property(T.MAP, "Key/value metadata.", default={}, update_allowed=True),
        "user_data_format": Property(
            T.STRING,
            "Format of user_data.",
            default="HEAT_CFNTOOLS",
            constraints=(AllowedValues(("HEAT_CFNTOOLS", "RAW", "SOFTWARE_CONFIG")),),
        ),
        "software_config_transport": Property(
            T.STRING,
            "How software config metadata reaches the server.",
            default="POLL_SERVER_CFN",
            update_allowed=True,
            constraints=(
                AllowedValues(
                    ("POLL_SERVER_CFN", "POLL_SERVER_HEAT", "POLL_TEMP_URL", "ZAQAR_MESSAGE")
                ),
            ),
        ),
        "user_data_update_policy": _policy("REPLACE", "REPLACE", "IGNORE", "REBUILD"),
        "user_data": Property(
            T.STRING, "User data for cloud-init.", default="", update_allowed=True
        ),
        "reservation_id": Property(T.STRING, "UUID of the set of servers requested."),
        "config_drive": Property(T.BOOLEAN, "Enable a config drive."),
        "diskConfig": Property(
            T.STRING, "Disk partitioning.", constraints=(AllowedValues(("AUTO", "MANUAL")),)
        ),
        "personality": Property(T.MAP, "Deprecated: files to create on the server.", default={}),
        "admin_pass": Property(
            T.STRING, "Administrator password.", update_allowed=True, secret=True
        ),
        "tags": Property(T.LIST, "Server tags.", items=Property(T.STRING), update_allowed=True),
        "deployment_swift_data": _SWIFT_DATA,
    }
    attributes_schema = {
        "name": Attribute("Name of the server.", T.STRING),
        "addresses": Attribute("Addresses per network, with port and subnets.", T.MAP),
        "networks": Attribute("Addresses per network name and ID.", T.MAP),
        "first_address": Attribute("Hidden since Heat 5.0.0: first address or ''."),
        "instance_name": Attribute("AWS compatible instance name.", T.STRING),
        "accessIPv4": Attribute("Deprecated: alternative public IPv4 address.", T.STRING),
        "accessIPv6": Attribute("Deprecated: alternative public IPv6 address.", T.STRING),
        "console_urls": Attribute("URLs of the server's consoles.", T.MAP),
        "tags": Attribute("Tags of the server.", T.LIST),
        "os_collect_config": Attribute(
            "os-collect-config settings, with credentials.", T.MAP, secret=True
        ),
    }

    _POLICIES = {
        "flavor": "flavor_update_policy",
        "image": "image_update_policy",
        "user_data": "user_data_update_policy",
    }

    @classmethod
    def classify_update(
        cls, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
    ) -> tuple[set[str], set[str]]:
        """Heat's rule: a changed flavor/image/user_data whose policy is REPLACE replaces."""
        in_place, replace = super().classify_update(old, new)
        after = cls.with_defaults(new)
        if "networks" in in_place:  # crossheat cannot re-plug a server's ports in place
            in_place.discard("networks")
            replace.add("networks")
        for name, policy in cls._POLICIES.items():
            if name in in_place and after.get(policy) == "REPLACE":
                in_place.discard(name)
                replace.add(name)
        return in_place, replace

    def prefetch(self, ctx: ResourceContext, props: Mapping[str, Any]) -> None:
        """The flavor's and the image's ids (Nova and Glance found on the way)."""
        if props.get("flavor"):
            flavor_id(ctx, props["flavor"])
        if props.get("image"):
            image_id(ctx, props["image"])

    def create(self, ctx: ResourceContext, props: dict[str, Any]) -> Step:
        """One call; ``networks[].floating_ip`` are associated once the server is up."""
        body = server_body(ctx, props)
        server = ctx.call(compute, "create_server", **body)
        ctx.physical_id = str(server.id)
        ctx.restart_polls()
        wanted = floating_ips(body, props)
        if wanted:
            ctx.progress["floating_ips"] = wanted
        return ctx.next_delay()

    def check_create(self, ctx: ResourceContext) -> Step:
        """``Done`` once ``ACTIVE``, with the attributes read; ``ResourceFailed`` on ``ERROR``."""
        server = self._get(ctx)
        if server.get("status") == "ERROR":
            raise ctx.fail(self.type_name, fault_message(server))
        if server.get("status") != "ACTIVE":
            return ctx.next_delay()
        ports = ctx.call(sdk_list, "ports", device_id=ctx.physical_id)
        if ctx.progress.get("floating_ips"):
            associate_floating_ips(ctx, ctx.progress.pop("floating_ips"), ports)
            server = self._get(ctx)
        ctx.attributes = server_attributes(server, ports)
        return Done()

    def update(
        self, ctx: ResourceContext, old: dict[str, Any], new: dict[str, Any], changed: set[str]
    ) -> Step:
        """``name``, ``metadata`` and ``admin_pass`` at once; ``flavor`` by resize and
        confirm, ``image`` by rebuild. Other changes need no call (update policies...),
        except ``networks``, which crossheat cannot change in place."""
        if "networks" in changed:
            raise NotSupportedError(f"{ctx.name}: a server's networks cannot change in place")
        server_id = ctx.physical_id
        if "name" in changed:
            ctx.call(compute, "update_server", server_id, name=ctx.name_for(new))
        if "metadata" in changed:
            self._set_metadata(ctx, old, new)
        if "admin_pass" in changed and new.get("admin_pass"):
            ctx.call(compute, "change_server_password", server_id, new["admin_pass"])
        ctx.restart_polls()
        if "flavor" in changed:
            ctx.call(compute, "resize_server", server_id, flavor_id(ctx, new["flavor"]))
        elif "image" in changed and new.get("image"):
            ctx.call(compute, "rebuild_server", server_id, image_id(ctx, new["image"]))
        return ctx.next_delay()

    def _set_metadata(self, ctx: ResourceContext, old: dict[str, Any], new: dict[str, Any]) -> None:
        wanted = metadata(ctx, new.get("metadata"))
        ctx.call(compute, "set_server_metadata", ctx.physical_id, **wanted)
        removed = set(metadata(ctx, old.get("metadata"))) - set(wanted)
        if removed:
            ctx.call(compute, "delete_server_metadata", ctx.physical_id, sorted(removed))

    def check_update(self, ctx: ResourceContext) -> Step:
        """Confirms a resize waiting in ``VERIFY_RESIZE``; ``Done`` once ``ACTIVE``."""
        server = self._get(ctx)
        if server.get("status") == "VERIFY_RESIZE":
            ctx.call(compute, "confirm_server_resize", ctx.physical_id)
            return ctx.next_delay()
        return self.check_create(ctx) if server.get("status") == "ACTIVE" else ctx.next_delay()

    def delete(self, ctx: ResourceContext) -> Step:
        if ctx.physical_id is None:
            return Done()
        try:
            ctx.call(compute, "delete_server", ctx.physical_id, ignore_missing=False)
        except CloudNotFound:
            return Done()
        ctx.restart_polls()
        return ctx.next_delay()

    def check_delete(self, ctx: ResourceContext) -> Step:
        return Done() if self._get_or_none(ctx) is None else ctx.next_delay()

    def read(self, ctx: ResourceContext) -> dict[str, Any] | None:
        server = self._get_or_none(ctx)
        if server is None:
            return None
        ctx.attributes = self._shape(ctx, server)
        return ctx.attributes

    read_ahead = classmethod(read_servers_ahead)  # type: ignore[var-annotated]

    def find(self, ctx: ResourceContext) -> str | None:
        servers = ctx.call(_servers)
        return ctx.first_untaken(s["id"] for s in servers if ctx.owns_metadata(s.get("metadata")))

    def live_properties(self, ctx: ResourceContext) -> dict[str, Any] | None:
        """``name``, ``key_name``, ``metadata`` (without crossheat's marks), and ``flavor``
        and ``image`` by the region's own names (the check compares them with what the
        template's names become in the region). ``networks``: ``live_properties_for``."""
        server = self._get_or_none(ctx)
        if server is None:
            return None
        marks = ctx.metadata
        own = {k: v for k, v in (server.get("metadata") or {}).items() if k not in marks}
        name = ctx.template_name(server.get("name"))
        live = {"name": name, "key_name": server.get("key_name"), "metadata": own}
        flavor, image = server.get("flavor") or {}, server.get("image") or {}
        live["flavor"] = ctx.call(live_flavor_name, flavor) if flavor else None
        live["image"] = ctx.call(live_image_name, image["id"]) if image.get("id") else None
        return {key: value for key, value in live.items() if key in _ALWAYS or value is not None}

    def live_properties_for(
        self, ctx: ResourceContext, stored: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        """``live_properties`` and ``networks``: the server's ports (one more call) mapped
        to the stored entries, with their fixed and floating IPs (``live_networks``)."""
        live = self.live_properties(ctx)
        wanted = stored.get("networks")
        if live is not None and isinstance(wanted, list) and wanted:
            ports = ctx.call(sdk_list, "ports", device_id=ctx.physical_id)
            live["networks"] = live_networks(ctx, wanted, ports)
        return live

    def _get(self, ctx: ResourceContext) -> dict[str, Any]:
        return as_api_dict(ctx.call(compute, "get_server", ctx.physical_id))

    def _get_or_none(self, ctx: ResourceContext) -> dict[str, Any] | None:
        if ctx.physical_id is None:
            return None
        try:
            server = self._get(ctx)
        except CloudNotFound:
            return None
        return None if server.get("status") in ("DELETED", "SOFT_DELETED") else server

    def _shape(self, ctx: ResourceContext, server: dict[str, Any]) -> dict[str, Any]:
        ports = ctx.call(sdk_list, "ports", device_id=ctx.physical_id)
        return server_attributes(server, ports)


#: Live properties reported even when empty (``flavor``/``image`` only when Nova shows them).
_ALWAYS = frozenset({"name", "key_name", "metadata"})


def live_flavor_name(conn: Any, embedded: Mapping[str, Any]) -> str | None:
    """The name of a server's flavor: Nova shows it (``original_name``) from microversion
    2.47, only its id before; ``None`` when that flavor no longer exists."""
    if embedded.get("original_name"):
        return str(embedded["original_name"])
    if not embedded.get("id"):
        return None
    found = conn.compute.find_flavor(str(embedded["id"]), ignore_missing=True)
    return None if found is None else str(found.name)


def _servers(conn: Any) -> list[dict[str, Any]]:
    return [as_api_dict(server) for server in conn.compute.servers(details=True)]


class KeyPair(ResourceType):
    """A Nova key pair. ``private_key`` (when generated and saved) is secret."""

    replace_delete_first = True

    type_name = "OS::Nova::KeyPair"
    properties_schema = {
        "name": Property(
            T.STRING, "Name of the key pair.", required=True, constraints=(Length(min=1, max=255),)
        ),
        "save_private_key": Property(T.BOOLEAN, "Keep a generated private key.", default=False),
        "public_key": Property(T.STRING, "Public key of an existing key pair; generated if unset."),
        "type": Property(T.STRING, "Key pair type.", constraints=(AllowedValues(("ssh", "x509")),)),
        "user": Property(
            T.STRING,
            "User to add the key pair to (admin only).",
            constraints=(CustomConstraint("keystone.user"),),
        ),
    }
    attributes_schema = {
        "public_key": Attribute("The public key.", T.STRING),
        "private_key": Attribute("The private key, if it was saved.", T.STRING, secret=True),
    }

    def create(self, ctx: ResourceContext, props: dict[str, Any]) -> Step:
        """One call; a generated private key is kept (as a secret) if ``save_private_key``."""
        ctx.progress["name"] = props["name"]
        wanted = {"name": props["name"], "public_key": props.get("public_key")}
        wanted["type"] = props.get("type")
        keypair = as_api_dict(
            ctx.call(compute, "create_keypair", **{k: v for k, v in wanted.items() if v})
        )
        ctx.physical_id = str(props["name"])
        private = keypair.get("private_key") if props.get("save_private_key") else None
        ctx.attributes = self._shape(keypair, private)
        return Done()

    def _shape(self, keypair: dict[str, Any], private: str | None) -> dict[str, Any]:
        show = {k: v for k, v in keypair.items() if k != "private_key"}
        return {"public_key": keypair.get("public_key"), "private_key": private, "show": show}

    def delete(self, ctx: ResourceContext) -> Step:
        if ctx.physical_id is not None:
            with contextlib.suppress(CloudNotFound):
                ctx.call(compute, "delete_keypair", ctx.physical_id, ignore_missing=False)
        return Done()

    def _get(self, ctx: ResourceContext, name: str | None) -> dict[str, Any] | None:
        if name is None:
            return None
        try:
            return as_api_dict(ctx.call(compute, "get_keypair", name))
        except CloudNotFound:
            return None

    def read(self, ctx: ResourceContext) -> dict[str, Any] | None:
        keypair = self._get(ctx, ctx.physical_id)
        if keypair is None:
            return None
        ctx.attributes = self._shape(keypair, ctx.attributes.get("private_key"))
        return ctx.attributes

    read_ahead = classmethod(read_keypairs_ahead)  # type: ignore[var-annotated]

    def find(self, ctx: ResourceContext) -> str | None:
        """The key pair named as ``create`` recorded (else ``ctx.physical_name``), if any."""
        name = ctx.progress.get("name") or ctx.physical_name
        return ctx.first_untaken([name]) if self._get(ctx, name) is not None else None

    def live_properties(self, ctx: ResourceContext) -> dict[str, Any] | None:
        keypair = self._get(ctx, ctx.physical_id)
        if keypair is None:
            return None
        return {key: keypair.get(key) for key in ("name", "public_key", "type")}


def register(registry: Registry) -> None:
    """Entry point ``crossheat.resource_types: nova``."""
    for cls in (Server, KeyPair):
        registry.register(cls)
