"""The stack's topology (``topology.json``) and its live stream (``stream``, server-sent
events), as DASHBOARD.md's contract says; ``static/topology.js`` draws them.

The stream first tells the whole state, then reads the database (through the service)
every ``POLL_S`` and sends what moved: ``resource``, ``tunnel``, ``stack`` and ``event``
events; the page never polls. It lasts as long as the page is open: it reads every
``POLL_S`` while an operation runs, every ``IDLE_POLL_S`` otherwise (an operation
started from elsewhere, the CLI or the API, shows up within that time).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from sse_starlette.sse import EventSourceResponse
from starlette.concurrency import run_in_threadpool

from crossheat.service import Dashboard, ListWatch, Watch
from crossheat.ui.pages import stack_of
from crossheat.ui.session import User

router = APIRouter()

#: How often the stream reads the stack again.
POLL_S = 0.5
#: How often it reads a stack no operation is running on.
IDLE_POLL_S = 2.0
#: A comment line this often keeps proxies from closing an idle stream.
PING_S = 15


@router.get("/dashboard/stacks-stream")
async def list_stream(request: Request, user: User) -> EventSourceResponse:
    """The stacks list's stream: a ``stack`` event for each stack of the project whose
    status changes (``{"id", "name", "status", "status_reason"}``)."""
    watch = await run_in_threadpool(Dashboard(user.service).watch_list)
    return EventSourceResponse(_events(request, watch), ping=PING_S)


@router.get("/dashboard/stacks/{stack_id}/topology.json")
def topology(stack_id: str, user: User) -> dict[str, Any]:
    board, stack = stack_of(user, stack_id)
    return board.topology(stack)


@router.get("/dashboard/stacks/{stack_id}/stream")
async def stream(
    request: Request, stack_id: str, user: User, after: int | None = None
) -> EventSourceResponse:
    """The stack's state first (every resource, tunnel, the stack), then what moves;
    ``after``: the id of the last event the page has (the events after it follow)."""
    board, stack = await run_in_threadpool(stack_of, user, stack_id)
    watch = await run_in_threadpool(board.watch, stack, after)
    return EventSourceResponse(_events(request, watch), ping=PING_S)


async def _events(request: Request, watch: Watch | ListWatch) -> AsyncIterator[dict[str, str]]:
    while not await request.is_disconnected():
        changes = await run_in_threadpool(watch.changes)
        for kind, data in changes:
            yield {"event": kind, "data": json.dumps(data, default=str)}
        await asyncio.sleep(POLL_S if watch.busy else IDLE_POLL_S)
