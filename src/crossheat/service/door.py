"""What a face holds to act on stacks: this host's engine, or a crossheat server.

    with connect() as service:                  # CROSSHEAT_URL set: a RemoteService
        service.show("vpn")
    with connect("http://127.0.0.1:8004", cloud="mycloud") as service:
        service.list_stacks()

``Door`` is what both offer a command: the local ``Service`` (the engine runs here or in
a worker process, the state database is read directly) and ``RemoteService``
(``crossheat.service.remote``: Heat's API v1 of ``crossheat serve``, over HTTP). Both
return the same records and dicts, and raise the same ``crossheat.errors``, so a command
prints the same thing and exits with the same code either way.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, Self, TypeVar

if TYPE_CHECKING:
    from crossheat.engine.stack import EngineOptions
    from crossheat.service.executor import EventReader, Started, View
    from crossheat.service.inputs import Inputs
    from crossheat.store import EventRecord, ResourceRecord, StackRecord, Status

#: The server ``connect`` reaches when it is given none (unset: this host's engine).
URL_VARIABLE = "CROSSHEAT_URL"
#: The ``clouds.yaml`` entry whose token ``connect`` sends (as openstackclient reads it).
CLOUD_VARIABLE = "OS_CLOUD"

Prepared = TypeVar("Prepared")


class Preview(Protocol):
    """An update's preview (``Diff``): Heat's added, updated, replaced... per region."""

    def preview(self) -> dict[str, Any]: ...


class Report(Protocol):
    """What ``stack check`` found for one resource (``DriftReport``)."""

    def as_dict(self) -> dict[str, Any]: ...


class Checked(Protocol):
    """A ``stack check``'s outcome (``CheckResult``)."""

    @property
    def reports(self) -> Sequence[Report]: ...
    @property
    def status(self) -> Status: ...
    @property
    def reason(self) -> str: ...
    @property
    def ok(self) -> bool: ...


class Door(Protocol[Prepared]):
    """The stack operations and views a command uses; ``Prepared`` is what
    ``prepare_update`` gives ``preview_update`` and ``update``."""

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...
    def close(self) -> None: ...

    # operations
    def create(
        self,
        name: str,
        inputs: Inputs,
        *,
        disable_rollback: bool = False,
        timeout_mins: int | None = None,
        tags: Sequence[str] = (),
    ) -> Started: ...
    def prepare_update(
        self,
        name: str,
        inputs: Inputs | None,
        *,
        existing: bool = False,
        parameters: Mapping[str, str] | None = None,
        disable_rollback: bool | None = None,
    ) -> Prepared: ...
    def preview_update(self, prepared: Prepared) -> Preview: ...
    def update(self, prepared: Prepared) -> Started: ...
    def deletable(self, name: str) -> StackRecord: ...
    def delete(self, stack: StackRecord) -> Started: ...
    def resume(self, name: str) -> Started | None: ...
    def cancel(self, name: str) -> str: ...
    def check(self, name: str) -> Checked: ...
    def submit(self, started: Started) -> StackRecord: ...
    def run_here(self, started: Started, view: View | None = None) -> StackRecord: ...

    # views
    def get(self, name_or_id: str, *, include_deleted: bool = False) -> StackRecord: ...
    def get_by_id(self, stack_id: str) -> StackRecord: ...
    def list_stacks(self, *, nested: bool = False) -> list[dict[str, Any]]: ...
    def show(self, stack: str | StackRecord, *, outputs: bool = True) -> dict[str, Any]: ...
    def outputs(self, name: str) -> list[dict[str, Any]]: ...
    def resources(
        self, stack: str | StackRecord, *, nested: bool = False
    ) -> list[ResourceRecord]: ...
    def resource(self, name: str, resource: str) -> dict[str, Any]: ...
    def events(self, stack: str | StackRecord, marker: int | None = None) -> list[EventRecord]: ...
    def event_cursor(self, stack: StackRecord, *, from_now: bool = False) -> EventReader: ...


def remote_url(url: str | None = None) -> str | None:
    """The server to work through: ``url``, else ``$CROSSHEAT_URL``; None: this host."""
    return url or os.environ.get(URL_VARIABLE) or None


def connect(
    url: str | None = None, *, cloud: str | None = None, options: EngineOptions | None = None
) -> Door[Any]:
    """The server at ``url`` (or ``$CROSSHEAT_URL``) as a ``RemoteService``, with a token
    of the ``clouds.yaml`` entry ``cloud`` (or ``$OS_CLOUD``; none: no token, for a server
    started with ``--auth none``); without a URL, this host's ``Service`` (``options``
    are its engine's; a server runs with its own)."""
    url = remote_url(url)
    if url is None:
        from crossheat.service._service import Service

        return Service(options=options)
    from crossheat.service.remote import RemoteService

    return RemoteService(url, cloud=cloud or os.environ.get(CLOUD_VARIABLE) or None)
