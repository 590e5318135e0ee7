"""Webhooks: JSON events POSTed to URLs, signed, retried, in a background thread.

    WEBHOOKS.send(["https://ops.example/hook"], "stack.operation", {"stack": ...})

Where they go: the deployment's URLs (``CROSSHEAT_WEBHOOKS``, space or comma separated;
``crossheat serve --webhook URL``) and the stack's own, its tags ``webhook=URL``
(``crossheat stack create --webhook URL``, ``openstack stack create --tags webhook=URL``).

Each POST carries ``X-Crossheat-Event`` (the kind), ``X-Crossheat-Delivery`` (the event's
id, the same on every retry) and, when the deployment has a signing secret
(``CROSSHEAT_WEBHOOK_SECRET``, or the file ``CROSSHEAT_WEBHOOK_SECRET_FILE`` names),
``X-Crossheat-Signature: sha256=<hex HMAC-SHA256 of the body with the secret>``. An
answer other than 2xx, or none, is tried again after 1, 2, 4... seconds (at most 60)
up to ``CROSSHEAT_WEBHOOK_ATTEMPTS`` times (default 6); then the event is dropped and
the failure logged. Deliveries are kept in the state database until delivered or
dropped (``store._deliveries``, the URL sealed): one a process could not finish (it
died, or exited while the URL kept failing) is tried by any other that has the
database open (the server, a worker, the next command) once due. Nothing waits for a
delivery but the process exit, which gives those it wrote
``CROSSHEAT_WEBHOOK_EXIT_WAIT`` seconds (default 10). The secret is never logged, and a
URL is logged without its query (which may hold a token).
"""

from __future__ import annotations

import atexit
import hashlib
import heapq
import hmac
import itertools
import json
import logging
import os
import re
import socket
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from crossheat.errors import ConfigError, CrossheatError
from crossheat.redact import forget_in_logs

if TYPE_CHECKING:
    from crossheat.store import PendingDelivery, Store

log = logging.getLogger(__name__)

#: A stack tag naming a webhook of the stack: ``webhook=https://...``.
WEBHOOK_TAG = "webhook="
SIGNATURE_HEADER = "X-Crossheat-Signature"
#: Seconds a delivery attempt may take.
TIMEOUT_S = 5.0
RETRY_BASE_S = 1.0
RETRY_CAP_S = 60.0
DEFAULT_ATTEMPTS = 6
DEFAULT_EXIT_WAIT_S = 10.0
#: Seconds between two looks at a store for deliveries another process left; the first
#: look at a store just opened, and the pause between looks while this process's own
#: deliveries are unfinished (another process may be making them).
POLL_S = 5.0
FIRST_LOOK_S = 1.0
#: A delivery is held for one attempt's timeout and this.
LEASE_SLACK_S = 10.0


def check_webhook(url: str) -> str:
    """``url`` if it is an http(s) URL with a host; ``ConfigError`` otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"a webhook is an http:// or https:// URL, not {shown(url)!r}")
    return url


def deployment_webhooks() -> list[str]:
    """The deployment's webhooks (``CROSSHEAT_WEBHOOKS``)."""
    given = os.environ.get("CROSSHEAT_WEBHOOKS", "")
    return [check_webhook(u) for u in re.split(r"[\s,]+", given) if u]


def stack_webhooks(tags: Iterable[str]) -> list[str]:
    """The webhooks a stack's tags name."""
    return [t[len(WEBHOOK_TAG) :] for t in tags if t.startswith(WEBHOOK_TAG)]


def signing_secret() -> bytes | None:
    """The deployment's signing secret, if it has one (kept out of every log)."""
    secret = os.environ.get("CROSSHEAT_WEBHOOK_SECRET")
    path = os.environ.get("CROSSHEAT_WEBHOOK_SECRET_FILE")
    if not secret and path:
        try:
            secret = Path(path).read_text().strip()
        except OSError as exc:
            raise ConfigError(f"CROSSHEAT_WEBHOOK_SECRET_FILE: {exc.strerror}") from exc
    if not secret:
        return None
    forget_in_logs([secret])
    return secret.encode()


def signature(body: bytes, secret: bytes) -> str:
    """The signature header's value: ``sha256=`` and the body's HMAC-SHA256, in hex."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def shown(url: str) -> str:
    """``url`` as logs show it: without its query and fragment."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


#: What a notice turns into (``Outbox.reads``): the kind, the body and the URLs of the
#: event to deliver; None when it is none (no operation ended, no webhook to tell).
Outgoing = tuple[str, bytes, list[str]]
NoticeReader = Callable[["Store", "PendingDelivery"], "Outgoing | None"]


class Outbox:
    """One daemon thread making the deliveries kept in the stores it watches.

    A delivery is written to the store first (``send``) and tried from there: due ones,
    this process's or any other's (one that died, or exited while a URL kept failing),
    are claimed and tried as soon as they are due, and the stores are looked at again
    every ``poll`` seconds for those another process left. A notice (``reads``: written
    as an operation ends, ``Store.release_lock``) is claimed the same way and read into
    the deliveries of its event."""

    def __init__(
        self, attempts: int | None = None, base: float = RETRY_BASE_S, poll: float = POLL_S
    ) -> None:
        self.attempts = attempts or int(os.environ.get("CROSSHEAT_WEBHOOK_ATTEMPTS") or 0)
        self.attempts = self.attempts or DEFAULT_ATTEMPTS
        self.base = base
        self.poll = poll
        self.owner = f"{socket.gethostname()[:40]}:{os.getpid()}"
        self._due: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stores: weakref.WeakSet[Store] = weakref.WeakSet()
        #: Deliveries and notices this process wrote and has not finished (what its exit
        #: waits for).
        self._own: weakref.WeakKeyDictionary[Store, set[int]] = weakref.WeakKeyDictionary()
        self._sweep_at: float | None = None
        self._readers: dict[str, NoticeReader] = {}
        #: The last notices read that were not (yet) known as this process's: one can be
        #: read between its commit and ``noticed`` (store's id, notice, its deliveries).
        self._read_early: deque[tuple[int, int, list[int]]] = deque(maxlen=64)

    def reads(self, kind: str, reader: NoticeReader) -> None:
        """Read the notices of ``kind`` with ``reader`` (``crossheat.service._notify``)."""
        self._readers[kind] = reader

    def noticed(self, store: Store, notice: int) -> None:
        """A notice this process wrote to ``store``: read at once, and waited for at exit."""
        with self._wake:
            read = [ids for at, n, ids in self._read_early if (at, n) == (id(store), notice)]
            self._own.setdefault(store, set()).update(read[0] if read else [notice])
            self._stores.add(store)
        self._sweep_in(0.0)

    def watch(self, store: Store) -> None:
        """Try the deliveries ``store`` holds, in a moment and every ``poll`` seconds (the
        first look waits ``FIRST_LOOK_S``: a command that opens the store to start an
        operation is not slowed down by it, and one that ends sooner never looks)."""
        with self._wake:
            self._stores.add(store)
        self._sweep_in(min(self.poll, FIRST_LOOK_S))

    def send(self, store: Store, urls: Sequence[str], kind: str, delivery_id: str,
             event: Any) -> None:  # fmt: skip
        """POST ``event`` (JSON) to each of ``urls``: written to ``store``, then tried
        from the outbox's thread."""
        body = json.dumps(event, default=str, sort_keys=True).encode()
        ids = store.queue_deliveries(kind, delivery_id, body, urls)
        with self._wake:
            self._own.setdefault(store, set()).update(ids)
            self._stores.add(store)
        self._sweep_in(0.0)

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until the notices and deliveries this process wrote are read, delivered or
        dropped (at most ``timeout`` seconds, default ``CROSSHEAT_WEBHOOK_EXIT_WAIT``);
        whether it got there. What is left stays in the store, for another process."""
        if timeout is None:
            timeout = float(os.environ.get("CROSSHEAT_WEBHOOK_EXIT_WAIT") or DEFAULT_EXIT_WAIT_S)
        end = time.monotonic() + timeout
        with self._wake:
            while any(self._own.values()):
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._wake.wait(min(left, 0.1))
        return True

    def _push(self, job: Callable[[], None], delay: float) -> None:
        with self._wake:
            heapq.heappush(self._due, (time.monotonic() + delay, next(self._order), job))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="webhooks", daemon=True)
                self._thread.start()
                atexit.register(self.drain)
            self._wake.notify()

    def _sweep_in(self, delay: float) -> None:
        """A look at the stores in ``delay`` seconds, unless one comes sooner already."""
        at = time.monotonic() + max(0.0, delay)
        with self._wake:
            if self._sweep_at is not None and self._sweep_at <= at:
                return
            self._sweep_at = at
        self._push(lambda: self._sweep(at), delay)

    def _sweep(self, planned: float) -> None:
        """Try the due deliveries of every store watched; plan the next look."""
        with self._wake:
            if self._sweep_at != planned:
                return  # a sooner one was planned since
            self._sweep_at = None
            # a closed store is still served for the notices and deliveries this process
            # wrote to it (a command closes its store as its operation ends, while the
            # outbox reads the notice; its exit waits for them); its connections go after
            stores = [s for s in self._stores if not s.closed or self._own.get(s)]
        soonest = self.poll
        for store in stores:
            try:
                for delivery in store.claim_deliveries(self.owner, TIMEOUT_S + LEASE_SLACK_S):
                    reader = self._readers.get(delivery.kind)
                    if reader is None:
                        self._try(store, delivery)
                    else:
                        self._read(store, delivery, reader)  # its deliveries: due now
                due = store.next_delivery_at()
                if self._forget_finished(store):  # another process may be making them
                    soonest = min(soonest, FIRST_LOOK_S)
            except CrossheatError as exc:  # the database is away: tried again later
                log.warning("webhook deliveries not read: %s", exc)
                continue
            except Exception:  # a bug: logged, and the other stores still served
                log.exception("webhook deliveries of a store failed")
                continue
            finally:
                if store.closed:
                    store.engine.dispose()
            if due is not None:
                soonest = min(soonest, (due - datetime.now(UTC)).total_seconds())
        self._sweep_in(max(0.0, soonest))

    def _forget_finished(self, store: Store) -> bool:
        """This process's deliveries another one has finished are no longer waited for;
        whether some are still unfinished."""
        with self._wake:
            own = set(self._own.get(store, ()))
        if not own:
            return False
        left = store.remaining_deliveries(sorted(own))
        with self._wake:
            self._own[store] -= own - left
            self._wake.notify_all()
        return bool(left)

    def _read(self, store: Store, notice: PendingDelivery, reader: NoticeReader) -> None:
        """Turn ``notice`` into the deliveries of its event, or drop it; one that cannot
        be read now is read again later, a bounded number of times."""
        try:
            outgoing = reader(store, notice)
        except Exception as exc:  # the database is away, or a bug: read again later
            attempt = notice.attempts + 1
            log.warning("webhook notice %s not read (attempt %d): %s", notice.id, attempt, exc)
            if attempt < self.attempts:
                store.delivery_retry(notice.id, self._next_attempt(attempt))
                return
            outgoing = None
        ids: list[int] = []
        if outgoing is None:
            store.delivery_done(notice.id)
        else:
            kind, body, urls = outgoing
            ids = store.queue_deliveries(kind, notice.delivery_id, body, urls, replacing=notice.id)
        with self._wake:
            own = self._own.get(store)
            if own is not None and notice.id in own:
                own.discard(notice.id)
                own.update(ids)  # the exit waits for these now
            else:
                self._read_early.append((id(store), notice.id, ids))
            self._wake.notify_all()

    def _try(self, store: Store, delivery: PendingDelivery) -> None:
        """One attempt; then the delivery is done, dropped, or due again later."""
        import httpx

        headers = {
            "Content-Type": "application/json", "User-Agent": "crossheat-webhooks",
            "X-Crossheat-Event": delivery.kind, "X-Crossheat-Delivery": delivery.delivery_id,
        }  # fmt: skip
        secret = signing_secret()
        if secret is not None:
            headers[SIGNATURE_HEADER] = signature(delivery.body, secret)
        try:
            answer = httpx.post(
                delivery.url, content=delivery.body, headers=headers, timeout=TIMEOUT_S
            )
            problem = None if answer.is_success else f"HTTP {answer.status_code}"
        except httpx.HTTPError as exc:
            problem = type(exc).__name__
        attempt = delivery.attempts + 1
        if problem is None:
            log.info("webhook %s: %s delivered", shown(delivery.url), delivery.kind)
        elif attempt >= self.attempts:
            log.warning(
                "webhook %s: %s dropped after %d attempts (%s)",
                shown(delivery.url), delivery.kind, attempt, problem,
            )  # fmt: skip
        else:
            due = self._next_attempt(attempt)
            wait = (due - datetime.now(UTC)).total_seconds()
            log.info("webhook %s: %s; trying again in %.0f s", shown(delivery.url), problem, wait)
            store.delivery_retry(delivery.id, due)
            return
        store.delivery_done(delivery.id)
        with self._wake:
            self._own.get(store, set()).discard(delivery.id)
            self._wake.notify_all()

    def _next_attempt(self, attempt: int) -> datetime:
        """When the attempt after failed ``attempt`` (1, 2...) is due: 1, 2, 4... s on."""
        wait = min(RETRY_CAP_S, self.base * 2 ** (attempt - 1))
        return datetime.now(UTC) + timedelta(seconds=wait)

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._due or self._due[0][0] > time.monotonic():
                    wait = self._due[0][0] - time.monotonic() if self._due else None
                    self._wake.wait(wait)
                _, _, job = heapq.heappop(self._due)
            try:
                job()
            except Exception:
                log.exception("webhook outbox job failed")


#: This process's outbox.
WEBHOOKS = Outbox()
