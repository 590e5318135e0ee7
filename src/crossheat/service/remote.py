"""A crossheat server (``crossheat serve``) as a service: Heat's API v1 over HTTP.

    with RemoteService("http://127.0.0.1:8004", cloud="mycloud") as service:
        started = service.create("vpn", Inputs.from_files("vpn.yaml"))  # POST /stacks
        stack = service.run_here(started, view)   # follows the server's events until done
        service.show(stack)                       # the fields Service.show gives

``RemoteService`` offers the stack operations and views of ``Service`` (``Door``) and
answers with the same records and dicts; the server's Heat faults become the same
``crossheat.errors`` (``_wire``), so a command prints the same thing and exits with the
same code through a server as on this host. The operations run on the server:
``submit`` has nothing left to do, and ``run_here`` follows the stack (and its events,
by marker, as heatclient's ``--wait`` does) until the operation has ended.

The project is the token's (``cloud``: a ``clouds.yaml`` entry, authenticated with
keystoneauth1), else ``CROSSHEAT_PROJECT`` or ``default``, without a token (a server
started with ``--auth none``). Templates, files and environments are sent as
heatclient sends them (``_heatfiles``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from crossheat import __version__
from crossheat.errors import (
    ConfigError,
    Diagnostic,
    StackError,
    StackExists,
    StackLocked,
    StackNotFound,
    TemplateError,
)
from crossheat.service._closing import Closing
from crossheat.service._heatfiles import heat_inputs
from crossheat.service._remote_views import Preview, RemoteCheck, check_result
from crossheat.service._wire import (
    EventIds,
    Reported,
    error_of,
    event_record,
    list_view,
    resource_record,
    resource_view,
    stack_record,
    stack_view,
)
from crossheat.service.executor import Started, View
from crossheat.service.inputs import Inputs
from crossheat.store.records import (
    Action,
    EventRecord,
    ResourceRecord,
    StackRecord,
    Status,
    current_project,
)

#: A stack whose operation is followed is read at its canonical path, its outputs not
#: resolved, held by the server (``wait``, crossheat's own) until the operation has ended
#: or this many seconds have passed: the command ends as soon as the operation has.
WAIT_SECONDS = 20
#: Seconds between two reads when the server answered at once (a server that does not
#: hold a show: ``wait`` is not Heat's).
POLL_SECONDS = 0.2
#: How long, once the operation has ended, its view may take to show the last of it.
VIEW_DRAIN_SECONDS = 30.0
#: The stack actions an operation may end in (a failed create or update rolls back).
ENDS_IN = {
    Action.CREATE: {Action.CREATE, Action.ROLLBACK},
    Action.UPDATE: {Action.UPDATE, Action.ROLLBACK},
    Action.DELETE: {Action.DELETE},
    Action.CHECK: {Action.CHECK},
}


@dataclass(frozen=True)
class RemoteUpdate:
    """An update to send: the stack, Heat's update body, PATCH (``--existing``) or PUT."""

    stack: StackRecord
    body: dict[str, Any]
    patch: bool
    #: The new template's inputs, if one was given (to locate the problems found in it).
    inputs: Inputs | None = None

    def sent(self, service: RemoteService, path: str) -> Any:
        """The server's answer to this update's body at ``path`` (PATCH or PUT)."""
        try:
            return service.call("PATCH" if self.patch else "PUT", path, body=self.body)
        except TemplateError as refused:
            # a PATCH's parameters are merged with the stored ones, on the server only
            if self.inputs is None or self.patch:
                raise
            raise located(self.inputs, refused) from None


class RemoteService(Closing):
    """``Service``'s stack operations and views, carried out by a crossheat server."""

    def __init__(
        self,
        url: str,
        *,
        cloud: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = server_root(url)
        auth: httpx.Auth | None = None
        if cloud is not None:
            from crossheat.service._keystone import KeystoneToken

            token = KeystoneToken(cloud)
            auth, self.project = token, token.project_id()
        else:
            self.project = current_project()
        self._http = httpx.Client(
            base_url=f"{self.url}/v1/{quote(self.project, safe='')}/",
            headers={"Accept": "application/json", "User-Agent": f"crossheat/{__version__}"},
            auth=auth,
            follow_redirects=True,
            timeout=60.0,
            transport=transport,
        )
        self._ids = EventIds({})

    def close(self) -> None:
        self._http.close()

    # ---- HTTP ----------------------------------------------------------------------------

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> Any:
        """The JSON answer of ``method path`` (under ``/v1/{project}/``); a Heat fault is
        raised as crossheat's error; None for an answer without a body."""
        try:
            response = self._http.request(
                method, path, params=params, json=body if body is not None else None
            )
        except httpx.HTTPError as exc:
            raise ConfigError(f"cannot reach the crossheat server at {self.url}: {exc}") from None
        content = _json(response)
        if response.status_code >= 400:
            raise error_of(response.status_code, content, f"{method} {path}")
        return content

    def _shown(
        self, name_or_id: str, *, outputs: bool = False, path: str | None = None
    ) -> dict[str, Any]:
        """The stack as the API shows it, looked up by name or id as Heat does (a
        deleted stack by its id), or read at its canonical ``path`` when known (no
        redirect); ``StackNotFound`` as the store words it."""
        params = {"resolve_outputs": str(outputs).lower()}
        try:
            shown = self.call("GET", path or f"stacks/{_q(name_or_id)}", params=params)
        except StackNotFound:
            raise StackNotFound(f"stack {name_or_id!r} not found") from None
        return dict(shown["stack"])

    def _path(self, stack: StackRecord, *sub: str) -> str:
        """Heat's canonical path of the stack, ``stacks/{name}/{id}[/sub...]``."""
        return "/".join(("stacks", _q(stack.name), _q(stack.id), *(_q(s) for s in sub)))

    def _record(self, stack: str | StackRecord, *, include_deleted: bool = False) -> StackRecord:
        return self.get(stack, include_deleted=include_deleted) if isinstance(stack, str) else stack

    # ---- operations ----------------------------------------------------------------------

    def create(
        self,
        name: str,
        inputs: Inputs,
        *,
        disable_rollback: bool = False,
        timeout_mins: int | None = None,
        tags: Sequence[str] = (),
    ) -> Started:
        """``POST /stacks``: the server validates, records and runs the create (with its
        own region map: one given here is refused rather than ignored)."""
        if inputs.region_map is not None:
            raise ConfigError(
                f"--region-map: the server at {self.url} deploys with its own region map"
            )
        body = {
            "stack_name": name,
            **_readable(inputs),
            "parameters": dict(inputs.parameters),
            "disable_rollback": disable_rollback,
        }
        if timeout_mins is not None:
            body["timeout_mins"] = timeout_mins
        if tags:
            body["tags"] = ",".join(tags)
        try:
            created = self.call("POST", "stacks", body=body)
        except StackExists:
            raise StackExists(
                f"stack {name!r} already exists in project {self.project!r}"
            ) from None
        except TemplateError as refused:
            raise located(inputs, refused) from None
        stack = self.get_by_id(created["stack"]["id"])
        return Started(stack, Action.CREATE, "", RemoteCursor(self, stack, None))

    def prepare_update(
        self,
        name: str,
        inputs: Inputs | None,
        *,
        existing: bool = False,
        parameters: Mapping[str, str] | None = None,
        disable_rollback: bool | None = None,
    ) -> RemoteUpdate:
        """The update to send: PATCH with ``existing`` (the stored template, environment
        and parameters kept, what is given changed), else PUT (all replaced)."""
        stack = self.get(name)
        if inputs is None and not existing:
            raise ConfigError("give a template (-t) or --existing to keep the stored one")
        body = _readable(inputs) if inputs is not None else {}
        body["parameters"] = dict(parameters or (inputs.parameters if inputs else {}))
        if disable_rollback is not None:
            body["disable_rollback"] = disable_rollback
        return RemoteUpdate(stack, body, existing, inputs)

    def preview_update(self, prepared: RemoteUpdate) -> Preview:
        """``PUT|PATCH .../preview``: what the update would do, per region."""
        answer = prepared.sent(self, self._path(prepared.stack, "preview"))
        return Preview(answer.get("resource_changes") or {})

    def update(self, prepared: RemoteUpdate) -> Started:
        """``PUT|PATCH /stacks/{name}/{id}``: the stack is UPDATE_IN_PROGRESS on return."""
        cursor = self.event_cursor(prepared.stack, from_now=True)
        prepared.sent(self, self._path(prepared.stack))
        return Started(self.get_by_id(prepared.stack.id), Action.UPDATE, "", cursor)

    def deletable(self, name: str) -> StackRecord:
        stack = self.get(name)
        if stack.action is Action.DELETE and stack.status is Status.COMPLETE:
            raise StackError(f"stack {name} is already deleted")
        return stack

    def delete(self, stack: StackRecord) -> Started:
        """``DELETE /stacks/{name}/{id}``: the server deletes it."""
        cursor = self.event_cursor(stack, from_now=True)
        self.call("DELETE", self._path(stack))
        return Started(stack, Action.DELETE, "", cursor)

    def resume(self, name: str) -> Started | None:
        """None when nothing is in progress; a server resumes by itself what it was
        running when it stopped, so an operation in progress is its (``StackLocked``)."""
        stack = self.get(name)
        if stack.status is not Status.IN_PROGRESS and not stack.lock.held:
            return None
        raise StackLocked(
            f"stack {stack.name} is {stack.stack_status} on the server at {self.url}, "
            "which finishes it (and resumes it when it starts again)"
        )

    def cancel(self, name: str) -> str:
        """``cancel_update``: the update stops and rolls back."""
        stack = self.get(name)
        if stack.stack_status != "UPDATE_IN_PROGRESS":
            raise StackError(f"stack {stack.name} has no update in progress to cancel")
        self.call("POST", self._path(stack, "actions"), body={"cancel_update": None})
        engine = stack.lock.engine_id or "server"
        return f"asked engine {engine} to cancel the update of {stack.name}"

    def check(self, name: str) -> RemoteCheck:
        """Heat's ``check`` action, followed until it has ended; the drift each resource's
        CHECK status and reason tell (``CheckResult``'s shape)."""
        stack = self.get(name)
        self.call("POST", self._path(stack, "actions"), body={"check": None})
        done = self._until_done(stack, Action.CHECK)
        return check_result(done, self.resources(done))

    # ---- running operations --------------------------------------------------------------

    def submit(self, started: Started) -> StackRecord:
        """Nothing to hand over: the server runs the operation. The stack as it is now."""
        return self.get_by_id(started.stack.id)

    def run_here(self, started: Started, view: View | None = None) -> StackRecord:
        """Follow the operation the server runs until it has ended, ``view`` beside it
        (told when it has ended, to show the last events); the stack afterwards."""
        return asyncio.run(self._follow(started, view))

    async def _follow(self, started: Started, view: View | None) -> StackRecord:
        done = asyncio.Event()
        viewer = asyncio.ensure_future(view(done)) if view is not None else None
        try:
            return await asyncio.to_thread(self._until_done, started.stack, started.action)
        finally:
            done.set()
            if viewer is not None:
                with contextlib.suppress(Exception, asyncio.CancelledError):
                    await asyncio.wait_for(viewer, VIEW_DRAIN_SECONDS)

    def _until_done(self, started: StackRecord, action: Action) -> StackRecord:
        """The stack once its operation for ``action`` has ended (nothing in progress, no
        engine holding it, its action one ``action`` ends in); read at its canonical path,
        not by id (which Heat answers with a redirect, a second round trip each time)."""
        ends = ENDS_IN.get(action, set(Action))
        path = self._path(started)
        params = {"resolve_outputs": "false", "wait": str(WAIT_SECONDS)}
        while True:
            asked = time.monotonic()
            shown = self.call("GET", path, params=params)
            stack = stack_record(shown["stack"], self.project)
            idle = stack.status is not Status.IN_PROGRESS and not stack.lock.held
            if idle and stack.action in ends:
                return stack
            time.sleep(max(0.0, POLL_SECONDS - (time.monotonic() - asked)))

    # ---- views ---------------------------------------------------------------------------

    def get(self, name_or_id: str, *, include_deleted: bool = False) -> StackRecord:
        """A live stack by name or id; a deleted one too, by id, with ``include_deleted``."""
        stack = stack_record(self._shown(name_or_id), self.project)
        deleted = stack.deleted_at is not None or stack.stack_status == "DELETE_COMPLETE"
        if deleted and not include_deleted:
            raise StackNotFound(f"stack {name_or_id!r} not found")
        return stack

    def get_by_id(self, stack_id: str) -> StackRecord:
        return stack_record(self._shown(stack_id), self.project)

    def list_stacks(self, *, nested: bool = False) -> list[dict[str, Any]]:
        """The project's stacks, oldest first, as ``Service.list_stacks`` gives them."""
        # Heat pages only when asked (``limit``): without one, the list is whole.
        params = {"sort_keys": "creation_time", "sort_dir": "asc"}
        if nested:
            params["show_nested"] = "true"
        listed = self.call("GET", "stacks", params=params)["stacks"]
        return [list_view(s, self.project) for s in listed]

    def show(self, stack: str | StackRecord, *, outputs: bool = True) -> dict[str, Any]:
        """The stack in the fields ``Service.show`` gives, with its outputs unless told not."""
        if isinstance(stack, str):
            return stack_view(self._shown(stack, outputs=outputs), self.project)
        shown = self._shown(stack.id, outputs=outputs, path=self._path(stack))
        return stack_view(shown, self.project)

    def outputs(self, name: str) -> list[dict[str, Any]]:
        shown = self.show(name)
        return list(shown.get("outputs") or [])

    def resources(self, stack: str | StackRecord, *, nested: bool = False) -> list[ResourceRecord]:
        """The stack's current resources (``nested``: and each nested stack's resource,
        the one the server links to its nested stack)."""
        record = self._record(stack)
        listed = self.call("GET", self._path(record, "resources"), params={"flat": "true"})[
            "resources"
        ]
        if not nested:
            listed = [r for r in listed if not any(x["rel"] == "nested" for x in r["links"])]
        return [resource_record(r, record.id) for r in listed]

    def resource(self, name: str, resource: str) -> dict[str, Any]:
        """Heat's ``resource show`` (by name or physical id), secrets masked by the server."""
        stack = self.get(name)
        try:
            shown = self.call("GET", self._path(stack, "resources", resource))
        except StackNotFound:
            raise StackError(f"stack {stack.name} has no resource {resource!r}") from None
        return resource_view(shown["resource"])

    def events(self, stack: str | StackRecord, marker: int | None = None) -> list[EventRecord]:
        """The stack's events after the event ``marker`` (all without one), oldest first;
        a deleted stack's too, given its id."""
        record = self._record(stack, include_deleted=True)
        return self._events(record, None if marker is None else str(marker))[0]

    def _events(
        self, stack: StackRecord, marker: str | None, *, newest: bool = False
    ) -> tuple[list[EventRecord], str | None]:
        """The events after ``marker`` (the newest only, with ``newest``) and the id of
        the last one (``marker`` when there is none), for the next read."""
        params: dict[str, Any] = {"sort_dir": "desc", "limit": 1} if newest else {"sort_dir": "asc"}
        params["flat"] = "true"  # its nested stacks' events too, as the local commands list them
        if marker is not None:
            params["marker"] = marker
        listed = self.call("GET", self._path(stack, "events"), params=params)["events"]
        last = str(listed[-1]["id"]) if listed else marker
        return [event_record(e, stack, self._ids) for e in listed], last

    def event_cursor(self, stack: StackRecord, *, from_now: bool = False) -> RemoteCursor:
        """Reads the stack's events as they come, each once: all of them, or those
        written from now on."""
        marker = self._events(stack, None, newest=True)[1] if from_now else None
        return RemoteCursor(self, stack, marker)


def _readable(inputs: Inputs) -> dict[str, Any]:
    """``heat_inputs``; what cannot be read told as the local service tells it."""
    try:
        return heat_inputs(inputs)
    except TemplateError as unread:
        found = _analysed(inputs)
        raise (TemplateError(found) if found else unread) from None


def located(inputs: Inputs, refused: TemplateError) -> TemplateError:
    """The server's template problems, each told where it is: the server knows the
    template as the body's object, without its file, lines or columns, so it is parsed
    here too (no cloud, no database) and each problem found both ways at a line of a
    file is told as found here (``file:line:col``); the others (the region map's...) as
    the server told them."""
    found = _analysed(inputs)
    here = {_problem(str(d)): str(d) for d in found if d.location and d.location.line}
    # the server names the files it was sent by their absolute paths (heatclient's URLs)
    folder = os.path.dirname(inputs.template_name)
    absolute = os.path.join(os.path.abspath(folder), "")
    relative = os.path.join(folder, "") if folder else ""
    lines = [str(d) for d in refused.diagnostics]
    return TemplateError(
        [Reported(here.get(_problem(line).replace(absolute, relative), line)) for line in lines]
    )


def _analysed(inputs: Inputs) -> list[Diagnostic]:
    from crossheat.service._service import Service  # the engine's parser: on failure only

    with Service() as here:
        return here.validate(inputs).diagnostics


def _problem(line: str) -> str:
    """A diagnostic without where it is: ``error: resources.a.type: unknown...``."""
    match = re.search(r": ((?:error|warning): .*)$", line, re.DOTALL)
    return match[1] if match else line


@dataclass
class RemoteCursor:
    """A server's events of one stack, each returned once: read after ``marker`` (the
    last event returned), as heatclient follows a stack."""

    service: RemoteService
    stack: StackRecord
    marker: str | None
    seen: set[int] = field(default_factory=set)

    def read(self) -> list[EventRecord]:
        found, self.marker = self.service._events(self.stack, self.marker)
        new = [e for e in found if e.id not in self.seen]
        self.seen.update(e.id for e in new)
        return new


def server_root(url: str) -> str:
    """``http://host:8004`` of any URL of the server (``.../v1/PROJECT`` included)."""
    root = url.strip().rstrip("/")
    if not re.match(r"^https?://", root):
        raise ConfigError(f"not an http(s) URL: {url!r} (CROSSHEAT_URL or --url)")
    return re.sub(r"/v1(/[^/]*)?$", "", root)


def _q(part: str) -> str:
    return quote(part, safe="")


def _json(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None
