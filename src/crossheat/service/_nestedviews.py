"""Nested stacks in the stack views, as Heat shows them.

- The parent lists one resource per nested stack (``remote``, of type ``OS::Heat::Stack``
  or the template resource's type) whose physical id is the nested stack's id: made
  up here from the nested stack's row, never stored (the engine deploys the nested
  stack's resources as the parent's own, ``remote.net``...).
- A nested stack's resources and events are its parent's under its resource's name
  (the store's view, ``store/_nestedview.py``); its outputs are those of its template
  as the top stack's template reads them (``Template.nested_outputs``), resolved from
  the top stack's resources with its secrets masked.
- At every level: a nested template's template resource ``sub`` is a nested stack of
  ``<parent>-remote`` (``<parent>-remote-sub``), which lists ``sub`` the same way.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from crossheat.engine.spec import load_spec
from crossheat.engine.stack import live_resources, stack_outputs
from crossheat.errors import CrossheatError
from crossheat.store import ResourceRecord, StackRecord, Store
from crossheat.template import Template
from crossheat.template.flatten import flatten_checked

#: The key of a resource's view that names the nested stack it owns (Heat's engine
#: field; the API turns it into a ``nested`` link).
NESTED_STACK_ID = "nested_stack_id"


def with_nested_stacks(
    store: Store, stack: StackRecord, rows: list[ResourceRecord]
) -> list[ResourceRecord]:
    """``rows`` (the stack's current resources) and one made-up row per nested stack
    of the stack's own (``remote`` of the top stack, ``sub`` of ``<stack>-remote``)."""
    nested = store.nested_stacks(stack.id)
    if not nested:
        return rows
    template = nested_template(store, stack) if stack.parent_id else _loaded(stack)
    types = _types(template)
    flat = rows if stack.parent_id is None else store.flat_resources(stack.id)
    made = [
        _made_up(stack, name, child, types.get(name, ""), flat) for name, child in nested.items()
    ]
    return [*made, *rows]


def _made_up(
    stack: StackRecord, name: str, child: StackRecord, type: str, rows: list[ResourceRecord]
) -> ResourceRecord:
    """The row of resource ``name`` that owns nested stack ``child``: in the region of the
    nested stack's resources (among ``rows``, the stack's at every level), in the nested
    stack's status."""
    region = next((r.region for r in rows if r.name.startswith(f"{name}.")), None)
    return ResourceRecord(
        id=child.id, stack_id=stack.id, name=name, type=type, region=region,
        physical_id=child.id, action=child.action, status=child.status,
        status_reason=child.status_reason, properties={},
        attributes={"stack_name": child.name}, secret_paths=(), progress=None, intent=None,
        replaces=None, replaced_by=None, created_at=child.created_at,
        updated_at=child.updated_at,
    )  # fmt: skip


def nested_detail(detail: dict[str, Any], record: ResourceRecord) -> dict[str, Any]:
    """``detail`` (a resource's view) naming the nested stack ``record`` stands for, if it
    is a made-up row (whose physical id is its own id: no cloud's id is)."""
    if record.physical_id == record.id:
        detail[NESTED_STACK_ID] = record.id
    return detail


def _top_of(store: Store, stack: StackRecord) -> tuple[StackRecord, str] | None:
    """The top stack of nested stack ``stack`` and ``stack``'s path of resource names in
    it (``remote.sub``); None for a stack that is not nested (or whose parent is gone)."""
    view = store.nested_view(stack.id) if stack.parent_id is not None else None
    if view is None:
        return None
    try:
        top = store.get_stack(view.parent_id, include_deleted=True)
    except CrossheatError:
        return None
    return top, view.prefix.removesuffix(".")


def nested_template(store: Store, stack: StackRecord) -> Template | None:
    """The template of nested stack ``stack`` (from its top stack's), its own template
    resources expanded; None for another."""
    top = _top_of(store, stack)
    template = _loaded(top[0]) if top is not None else None
    found = template.nested_templates().get(top[1]) if top and template else None
    if found is None:
        return None
    try:
        return flatten_checked(found)
    except CrossheatError:
        return None


def stored_outputs(
    store: Store,
    stack: StackRecord,
    template: Template | None = None,
    resources: list[ResourceRecord] | None = None,
) -> list[dict[str, Any]]:
    """The outputs of ``stack`` (nested or not) from what is stored: no cloud, no request;
    ``template``, ``resources``: the stack's, when read already."""
    nested = nested_outputs(store, stack)
    if nested is not None:
        return nested
    template = template or _loaded(stack)
    if template is None:
        return []
    live = live_resources(store.list_resources(stack.id) if resources is None else resources)
    texts, ids = store.secret_texts(stack.id), store.nested_ids(stack.id)
    return stack_outputs(template, live, texts, stack.name, ids)


def nested_outputs(store: Store, stack: StackRecord) -> list[dict[str, Any]] | None:
    """The outputs of nested stack ``stack``: its template's outputs as its top stack's
    template reads them (``flatten`` records them, by path), resolved from the top stack's
    resources, so they are what the parent's ``get_attr`` of them gives (a parameter the
    parent set from a resource's attribute included), what the top stack's secrets
    reached masked; None if ``stack`` is no nested stack."""
    found = _top_of(store, stack)
    template = _loaded(found[0]) if found is not None else None
    if found is None or template is None or found[1] not in template.nested_outputs:
        return None
    top, path = found
    outputs = replace(template, outputs=template.nested_outputs[path])
    live = live_resources(store.list_resources(top.id))
    texts = store.secret_texts(top.id)
    return stack_outputs(outputs, live, texts, top.name, store.nested_ids(top.id))


def _loaded(stack: StackRecord) -> Template | None:
    try:
        return load_spec(stack.spec)
    except CrossheatError:
        return None


def _types(template: Template | None) -> dict[str, str]:
    expanded = template.expanded if template is not None else {}
    return {name: d.type for name, d in expanded.items() if d.nested is not None}
