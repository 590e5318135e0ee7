"""The stack's topology (``topology.json``) and its live stream (``stream``, server-sent
events), as DASHBOARD.md's contract says; ``static/topology.js`` draws them.

The stream first tells the whole state, then reads the database (through the service)
every ``POLL_S`` and sends what moved: ``resource``, ``tunnel``, ``stack`` and ``event``
events; the page never polls. It ends when the client goes away, or ``LINGER_S`` after
the stack's operation ended.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from sse_starlette.sse import EventSourceResponse
from starlette.concurrency import run_in_threadpool

from crossheat.service import Watch
from crossheat.ui.pages import stack_of
from crossheat.ui.session import User

router = APIRouter()

#: How often the stream reads the stack again.
POLL_S = 0.5
#: How long the stream stays open once the stack is no longer in progress, to send the
#: last changes (a client reconnects by itself to watch the next operation).
LINGER_S = 60.0
#: A comment line this often keeps proxies from closing an idle stream.
PING_S = 15


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


async def _events(request: Request, watch: Watch) -> AsyncIterator[dict[str, str]]:
    quiet_since: float | None = None
    loop = asyncio.get_running_loop()
    while not await request.is_disconnected():
        changes = await run_in_threadpool(watch.changes)
        for kind, data in changes:
            yield {"event": kind, "data": json.dumps(data, default=str)}
        busy = watch.busy
        now = loop.time()
        if busy:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = now
        elif now - quiet_since > LINGER_S:
            return
        await asyncio.sleep(POLL_S)
