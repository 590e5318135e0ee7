"""A nested stack's resources and events: a view of its parent's.

The engine deploys a nested stack's resources with its parent's, so they are stored
under the parent, named ``<resource>.<name>`` (``remote.net``). Read through the nested
stack's row (``<parent>-remote``), the parent's rows under that prefix are shown with the
nested template's own names (``net``) and the nested stack's id; the parent's stack
events are the nested stack's (the nested stack follows its parent's status).

    store.list_resources(nested.id)   # the parent's remote.* rows, named net, subnet...
    store.list_events(nested.id)      # the parent's stack events and remote.* events

A nested stack of a nested stack (``<parent>-remote-sub``, for template resource ``sub``
of remote's template) reads the top stack's rows under ``remote.sub.``; and those rows are
its own only: ``<parent>-remote`` does not show ``sub.port`` (``flat_resources`` does).
Nothing is stored twice; the engine only ever reads and writes the top stack's rows.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from sqlalchemy import select

from crossheat.store._events import EventQueries
from crossheat.store._resources import ResourceQueries
from crossheat.store.models import StackRow
from crossheat.store.records import EventRecord, ResourceRecord


@dataclass(frozen=True)
class NestedView:
    """How the nested stack ``stack_id`` sees its top stack's records: those named
    ``prefix`` + a name, but for those under ``inner`` (the prefixes of its own nested
    stacks), and the top stack's stack events (named ``parent_name``)."""

    stack_id: str
    stack_name: str
    parent_id: str
    parent_name: str
    prefix: str
    inner: tuple[str, ...] = ()

    def owns(self, name: str) -> bool:
        """Whether the top stack's record ``name`` is one of the nested stack's own."""
        return name.startswith(self.prefix) and not name.startswith(self.inner)

    def resources(
        self, parent_rows: list[ResourceRecord], *, flat: bool = False
    ) -> list[ResourceRecord]:
        """The nested stack's resources among ``parent_rows``, by their nested names
        (``flat``: its nested stacks' too, ``sub.port``, as the engine deploys them)."""
        return [
            dataclasses.replace(r, name=r.name.removeprefix(self.prefix), stack_id=self.stack_id)
            for r in parent_rows
            if (r.name.startswith(self.prefix) if flat else self.owns(r.name))
        ]

    def events(self, parent_events: list[EventRecord]) -> list[EventRecord]:
        """The nested stack's events among ``parent_events``: its resources' (by their
        nested names) and the top stack's own (as the nested stack's)."""
        found = []
        for event in parent_events:
            if event.resource_name == self.parent_name:
                name = self.stack_name
            elif self.owns(event.resource_name):
                name = event.resource_name.removeprefix(self.prefix)
            else:
                continue
            found.append(dataclasses.replace(event, resource_name=name, stack_id=self.stack_id))
        return found

    def parent_name_of(self, name: str) -> str:
        """The top stack's name for the nested stack's resource (or stack) ``name``."""
        return self.parent_name if name == self.stack_name else self.prefix + name


class NestedViews(ResourceQueries, EventQueries):
    """``list_resources`` and ``list_events`` of a nested stack read through its top stack."""

    def nested_view(self, stack_id: str) -> NestedView | None:
        """The view of ``stack_id`` if it is a nested stack (None otherwise)."""
        with self._session() as session:
            row = session.get(StackRow, stack_id)
            if row is None or row.parent_id is None:
                return None
            names, top = [], row
            while top.parent_id is not None:
                parent = session.get(StackRow, top.parent_id)
                if parent is None:
                    return None
                names.append(top.name.removeprefix(f"{parent.name}-"))
                top = parent
            prefix = "".join(f"{name}." for name in reversed(names))
            children = session.scalars(select(StackRow.name).where(StackRow.parent_id == row.id))
            inner = tuple(f"{prefix}{n.removeprefix(f'{row.name}-')}." for n in children)
            return NestedView(row.id, row.name, top.id, top.name, prefix, inner)

    def list_resources(self, stack_id: str) -> list[ResourceRecord]:
        found = super().list_resources(stack_id)
        if found:
            return found
        view = self.nested_view(stack_id)
        return view.resources(super().list_resources(view.parent_id)) if view else found

    def flat_resources(self, stack_id: str) -> list[ResourceRecord]:
        """The stack's resources as the engine deploys them: a nested stack's own and its
        nested stacks', at every level (``net``, ``sub.port``); a top stack's, as stored."""
        found = super().list_resources(stack_id)
        if found:
            return found
        view = self.nested_view(stack_id)
        return view.resources(super().list_resources(view.parent_id), flat=True) if view else []

    def list_events(
        self,
        stack_id: str,
        after_seq: int | None = None,
        *,
        after_event: int | None = None,
        resource_name: str | None = None,
        limit: int | None = None,
    ) -> list[EventRecord]:
        found = super().list_events(
            stack_id, after_seq, after_event=after_event, resource_name=resource_name, limit=limit
        )
        view = self.nested_view(stack_id) if not found else None
        if view is None:
            return found
        wanted = None if resource_name is None else view.parent_name_of(resource_name)
        parent = super().list_events(
            view.parent_id, after_seq, after_event=after_event, resource_name=wanted
        )
        return view.events(parent)[:limit]
