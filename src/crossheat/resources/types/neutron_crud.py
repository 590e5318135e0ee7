"""The cloud lifecycle Neutron resource types share: one POST, GET, PUT, DELETE, tag lookups.

    class Net(NeutronResource):
        api = NeutronApi("network", "networks")      # create_network, get_network, networks()
        renames = {"qos_policy": "qos_policy_id"}    # property -> API field

``create`` sends the properties as the API body (``value_specs`` merged in,
an absent ``name`` replaced by ``ctx.physical_name``, ``tags`` marked with
the stack id and logical name) in ONE call, and keeps the answer as the
attributes. A type whose answer may say "not yet" (a port in ``BUILD``)
lists those statuses in ``pending_statuses``; ``check_create`` polls until
the status is something else, and fails on ``ERROR``. Types that Neutron
cannot tag (VPNaaS) are found again by name.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from crossheat.errors import CloudNotFound
from crossheat.resources.lifecycle import (
    STACK_TAG,
    Answered,
    CloudCaller,
    Done,
    ResourceContext,
    Step,
    looks_like_id,
)
from crossheat.resources.registry import ResourceType
from crossheat.resources.schema import SECRET_MASK

#: Properties that are never API fields as they are.
NOT_SENT = frozenset({"value_specs", "tags"})
#: Statuses that mean the resource is broken.
FAILED_STATUSES = frozenset({"ERROR", "DEGRADED"})


@dataclass(frozen=True)
class NeutronApi:
    """openstacksdk's names for one Neutron resource: ``create_<one>``, ``<many>()``."""

    one: str
    many: str
    taggable: bool = True


def sdk(conn: Any, method: str, *args: Any, **kwargs: Any) -> Any:
    """``conn.network.<method>(*args, **kwargs)``: for ``ctx.call(sdk, "get_port", id)``."""
    return getattr(conn.network, method)(*args, **kwargs)


def sdk_list(conn: Any, method: str, **query: Any) -> list[dict[str, Any]]:
    """Every resource ``conn.network.<method>(**query)`` lists, as API dicts."""
    return [as_api_dict(item) for item in getattr(conn.network, method)(**query)]


def sdk_objects(conn: Any, method: str, **query: Any) -> list[Any]:
    """Every resource ``conn.network.<method>(**query)`` lists, as openstacksdk objects
    (what ``get_<one>`` answers for one of them)."""
    return list(getattr(conn.network, method)(**query))


def stack_tag(stack_id: str) -> str:
    """The Neutron tag on everything crossheat created for the stack ``stack_id``."""
    return f"{STACK_TAG}={stack_id}"


def as_api_dict(resource: Any) -> dict[str, Any]:
    """An openstacksdk resource as the API shows it: wire names, no client-side fields."""
    data: dict[str, Any] = resource.to_dict(original_names=True, computed=False)
    data.pop("if-match", None)
    data.pop("location", None)
    return data


def _find_id(conn: Any, kind: str, name_or_id: str) -> str:
    return str(getattr(conn.network, f"find_{kind}")(name_or_id, ignore_missing=False).id)


def find_id(ctx: ResourceContext, kind: str, name_or_id: str) -> str:
    """The id of the ``kind`` (``network``, ``subnet``...) called ``name_or_id`` in the region.

    A UUID is taken as it is, without a call. Raises ``CloudNotFound`` naming it.
    """
    if looks_like_id(name_or_id):
        return name_or_id
    return ctx.call(_find_id, kind, name_or_id)


def _set_tags(conn: Any, one: str, id_: str, tags: list[str]) -> dict[str, Any]:
    resource = getattr(conn.network, f"get_{one}")(id_)
    return as_api_dict(conn.network.set_tags(resource, tags))


def without_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


class NeutronResource(ResourceType):
    """A Neutron resource type with the shared lifecycle (see the module doc)."""

    api: ClassVar[NeutronApi]
    renames: ClassVar[Mapping[str, str]] = {}
    #: Properties of the type that are not sent to the API.
    not_sent: ClassVar[frozenset[str]] = frozenset()
    #: Whether the API resource has a name (defaulted to ``ctx.physical_name``).
    has_name: ClassVar[bool] = True
    #: Statuses that mean "not ready yet"; empty when ready on creation.
    pending_statuses: ClassVar[frozenset[str]] = frozenset()
    #: Statuses that mean an update is not finished yet.
    update_pending_statuses: ClassVar[frozenset[str]] = frozenset()
    #: API fields kept as attributes besides ``attributes_schema``'s.
    extra_attributes: ClassVar[tuple[str, ...]] = ()

    def api_body(
        self, ctx: ResourceContext, props: Mapping[str, Any], only: set[str] | None = None
    ) -> dict[str, Any]:
        """``props`` (or the ``only`` ones) as API fields, names resolved by ``resolve``."""
        body: dict[str, Any] = {}
        for key, value in props.items():
            if key in NOT_SENT or key in self.not_sent or (only is not None and key not in only):
                continue
            if value is not None:
                body[self.renames.get(key, key)] = value
        if only is None or "value_specs" in only:
            body.update(props.get("value_specs") or {})
        if self.has_name and (only is None or "name" in only):
            body["name"] = ctx.name_for(props)
        return self.resolve(ctx, body, props)

    def resolve(
        self, ctx: ResourceContext, body: dict[str, Any], props: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Hook: turn names in ``body`` into ids, reshape nested fields. Default: as is."""
        return body

    def create(self, ctx: ResourceContext, props: dict[str, Any]) -> Step:
        body = self.api_body(ctx, props)
        if self.api.taggable:
            body["tags"] = [*ctx.tags, *(props.get("tags") or [])]
        elif self.has_name:
            ctx.progress["name"] = body["name"]
        data = as_api_dict(ctx.call(sdk, f"create_{self.api.one}", **body))
        ctx.physical_id = str(data["id"])
        ctx.restart_polls()
        return self.settle(ctx, data)

    def settle(self, ctx: ResourceContext, data: dict[str, Any], updating: bool = False) -> Step:
        """``Done`` with the attributes kept, unless ``data``'s status says not yet."""
        status = data.get("status")
        if status in FAILED_STATUSES:
            raise ctx.fail(self.type_name, f"status {status}")
        pending = self.pending_statuses | (self.update_pending_statuses if updating else set())
        if status in pending:
            return ctx.next_delay()
        ctx.attributes = self.shape(ctx, data)
        return Done()

    def check_create(self, ctx: ResourceContext) -> Step:
        return self.settle(ctx, self.get(ctx))

    def update(
        self, ctx: ResourceContext, old: dict[str, Any], new: dict[str, Any], changed: set[str]
    ) -> Step:
        body = self.api_body(ctx, new, only=changed)
        data = None
        if body:
            data = as_api_dict(ctx.call(sdk, f"update_{self.api.one}", ctx.physical_id, **body))
        if "tags" in changed and self.api.taggable:
            tags = [*ctx.tags, *(new.get("tags") or [])]
            data = ctx.call(_set_tags, self.api.one, ctx.physical_id, tags)
        ctx.restart_polls()
        return self.settle(ctx, data if data is not None else self.get(ctx), updating=True)

    def check_update(self, ctx: ResourceContext) -> Step:
        return self.settle(ctx, self.get(ctx), updating=True)

    def delete(self, ctx: ResourceContext) -> Step:
        """One DELETE; Neutron answers when the resource is gone, so this is ``Done``."""
        if ctx.physical_id is not None:
            with contextlib.suppress(CloudNotFound):
                ctx.call(sdk, f"delete_{self.api.one}", ctx.physical_id, ignore_missing=False)
        return Done()

    def check_delete(self, ctx: ResourceContext) -> Step:
        return Done() if self.get_or_none(ctx) is None else ctx.next_delay()

    def get(self, ctx: ResourceContext) -> dict[str, Any]:
        return as_api_dict(ctx.call(sdk, f"get_{self.api.one}", ctx.physical_id))

    def get_or_none(self, ctx: ResourceContext) -> dict[str, Any] | None:
        if ctx.physical_id is None:
            return None
        try:
            return self.get(ctx)
        except CloudNotFound:
            return None

    def read(self, ctx: ResourceContext) -> dict[str, Any] | None:
        data = self.get_or_none(ctx)
        if data is None:
            return None
        ctx.attributes = self.shape(ctx, data)
        return ctx.attributes

    def shape(self, ctx: ResourceContext, data: dict[str, Any]) -> dict[str, Any]:
        """The attributes as Heat names them, from the API's ``data``; ``show`` is all of it,
        with secret attributes (a connection's ``psk``) masked: they are kept, encrypted, only
        under their own name."""
        names = [*self.attributes_schema, *self.extra_attributes]
        secret = {name for name, attr in self.attributes_schema.items() if attr.secret}
        show = {key: SECRET_MASK if key in secret else value for key, value in data.items()}
        return {name: data.get(name) for name in names} | {"show": show}

    def find(self, ctx: ResourceContext) -> str | None:
        """By crossheat's tags; for untaggable types by name (``progress["name"]`` or
        ``ctx.physical_name``)."""
        if self.api.taggable:
            query = {"tags": ",".join(ctx.tags)}
        else:
            query = {"name": ctx.progress.get("name") or ctx.physical_name}
        found = ctx.call(sdk_list, self.api.many, **query)
        return ctx.first_untaken(item["id"] for item in found)

    @classmethod
    def read_ahead(
        cls, call: CloudCaller, stack_id: str, physical_ids: Sequence[str]
    ) -> list[Answered]:
        """One list call for all of them: the stack's (by its tag) where Neutron tags the
        type, else the project's; each one listed answers its ``get_<one>``."""
        query = {"tags": stack_tag(stack_id)} if cls.api.taggable else {}
        wanted = set(physical_ids)
        return [
            Answered(sdk, (f"get_{cls.api.one}", str(item.id)), {}, item)
            for item in call(sdk_objects, cls.api.many, **query)
            if str(item.id) in wanted
        ]

    def live_properties(self, ctx: ResourceContext) -> dict[str, Any] | None:
        data = self.get_or_none(ctx)
        return None if data is None else self.properties_from(ctx, data)

    def properties_from(self, ctx: ResourceContext, data: Mapping[str, Any]) -> dict[str, Any]:
        """The properties that the API's ``data`` shows, in the template's terms."""
        out: dict[str, Any] = {}
        for prop in self.properties_schema:
            key = self.renames.get(prop, prop)
            if prop not in NOT_SENT and prop not in self.not_sent and key in data:
                out[prop] = data[key]
        if "tags" in self.properties_schema:
            out["tags"] = [tag for tag in data.get("tags") or [] if tag not in ctx.tags]
        if "name" in out:
            out["name"] = ctx.template_name(out["name"])
        return out
