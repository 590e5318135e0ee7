"""Answers kept while the database does not change: the stack list and show.

    kept = await cache.Kept.read(request, ctx)   # the key; the database's change mark
    if (hit := kept.answer()) is not None:
        return hit                               # the same bytes, on the event loop
    ...                                          # make the answer (in a thread)
    return kept.keep(data, timed=False)          # 200, kept for the next request

A list of 200 stacks costs several milliseconds of CPU to read and render; a client
polling it, or many clients, ask again and again for what has not changed. An answer is
kept with the database's change mark read *before* its data (``HeatViews.change_mark``)
and given again only while the mark is the same: any commit since, by this server or by
another process on the same database (a ``crossheat worker``, a CLI command), makes it
anew. An answer that depends on the time too (a stack locked by an operation: whether
its engine is alive) is never kept, nor is an error.

The key is everything the answer is made of besides the data: the path and its query,
the project the request acts in, whether the caller is an admin, and the base URL of the
links.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from crossheat.api import views
from crossheat.api.context import RequestContext
from crossheat.service import HeatOps

#: Answers kept at most, and their bytes at most; the least recently used go first.
MAX_ANSWERS = 1024
MAX_BYTES = 64 * 1024 * 1024


class AnswerCache:
    """Answers by key, each with the change mark it holds for (thread-safe), and the
    application's reads of the mark."""

    def __init__(self, max_answers: int = MAX_ANSWERS, max_bytes: int = MAX_BYTES) -> None:
        self.max_answers = max_answers
        self.max_bytes = max_bytes
        self._kept: OrderedDict[tuple[Any, ...], tuple[str, bytes]] = OrderedDict()
        self._bytes = 0
        self._guard = threading.Lock()
        #: The read of the mark that the requests arriving now wait for (it starts once
        #: the one running, if any, has ended), and the task that reads.
        self._next: asyncio.Future[str | None] | None = None
        self._reader: asyncio.Task[None] | None = None

    async def mark(self, heat: HeatOps) -> str | None:
        """The database's change mark, read after this call began: on the event loop
        when it is a local read (SQLite's), else in a thread, one read at a time, each
        for every request that arrived while the one before it ran (a database server's
        round trip and a thread's, shared)."""
        if heat.change_mark_is_quick:
            return heat.change_mark()
        if self._next is None:
            self._next = asyncio.get_running_loop().create_future()
        waiting = self._next
        if self._reader is None or self._reader.done():
            self._reader = asyncio.create_task(self._read_marks(heat))
        return await asyncio.shield(waiting)

    async def _read_marks(self, heat: HeatOps) -> None:
        while self._next is not None:
            # Taken before the read begins: its waiters all asked before the read.
            waiting, self._next = self._next, None
            try:
                mark = await run_in_threadpool(heat.change_mark)
            except Exception:  # no mark: answers are made afresh
                mark = None
            waiting.set_result(mark)

    def get(self, key: tuple[Any, ...], mark: str) -> bytes | None:
        with self._guard:
            found = self._kept.get(key)
            if found is None:
                return None
            if found[0] != mark:
                self._forget(key)
                return None
            self._kept.move_to_end(key)
            return found[1]

    def put(self, key: tuple[Any, ...], mark: str, body: bytes) -> None:
        if len(body) > self.max_bytes // 4:
            return
        with self._guard:
            self._forget(key)
            self._kept[key] = (mark, body)
            self._bytes += len(body)
            while len(self._kept) > self.max_answers or self._bytes > self.max_bytes:
                self._forget(next(iter(self._kept)))

    def _forget(self, key: tuple[Any, ...]) -> None:
        found = self._kept.pop(key, None)
        if found is not None:
            self._bytes -= len(found[1])


class Kept:
    """One request's place in the application's ``AnswerCache`` (``app.state.answers``)."""

    def __init__(self, request: Request, ctx: RequestContext, mark: str | None) -> None:
        self.cache: AnswerCache | None = getattr(request.app.state, "answers", None)
        self.key = (
            request.url.path,
            request.url.query,
            ctx.project_id,
            ctx.identity.is_admin,
            ctx.base_url,
        )
        self.mark = mark

    @classmethod
    async def read(cls, request: Request, ctx: RequestContext) -> Kept:
        """The request's key and the database's change mark now, read before the data (a
        commit after this read changes the mark: see the module). On the event loop when
        the mark is a local read (SQLite's), else in a thread (``AnswerCache.mark``)."""
        cache: AnswerCache | None = getattr(request.app.state, "answers", None)
        mark = None if cache is None else await cache.mark(views.heat(ctx))
        return cls(request, ctx, mark)

    def answer(self) -> Response | None:
        """The kept answer, if the database has not changed since it was made."""
        if self.cache is None or self.mark is None:
            return None
        body = self.cache.get(self.key, self.mark)
        return None if body is None else views.json_bytes(body)

    def keep(self, data: Any, *, timed: bool) -> Response:
        """200 with ``data``; kept unless it depends on the time (``timed``)."""
        body = views.render(data)
        if self.cache is not None and self.mark is not None and not timed:
            self.cache.put(self.key, self.mark, body)
        return views.json_bytes(body)
