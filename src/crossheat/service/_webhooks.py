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
the failure logged. Nothing waits for a delivery but the process exit, which gives those
still pending ``CROSSHEAT_WEBHOOK_EXIT_WAIT`` seconds (default 10). The secret is never
logged, and a URL is logged without its query (which may hold a token).
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
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crossheat.errors import ConfigError
from crossheat.redact import forget_in_logs

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


@dataclass
class Delivery:
    url: str
    kind: str
    delivery_id: str
    body: bytes
    attempt: int = 1


class Outbox:
    """One daemon thread running jobs when they are due: deliveries and their retries,
    and work handed to it (``later``) that must not hold up an operation."""

    def __init__(self, attempts: int | None = None, base: float = RETRY_BASE_S) -> None:
        self.attempts = attempts or int(os.environ.get("CROSSHEAT_WEBHOOK_ATTEMPTS") or 0)
        self.attempts = self.attempts or DEFAULT_ATTEMPTS
        self.base = base
        self._due: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._busy = 0
        self._thread: threading.Thread | None = None

    def later(self, job: Callable[[], None], delay: float = 0.0) -> None:
        """Run ``job`` in the outbox's thread in ``delay`` seconds."""
        with self._wake:
            heapq.heappush(self._due, (time.monotonic() + delay, next(self._order), job))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="webhooks", daemon=True)
                self._thread.start()
                atexit.register(self.drain)
            self._wake.notify()

    def send(self, urls: Sequence[str], kind: str, delivery_id: str, event: Any) -> None:
        """POST ``event`` (JSON) to each of ``urls``, from the outbox's thread."""
        body = json.dumps(event, default=str, sort_keys=True).encode()
        for url in dict.fromkeys(urls):
            delivery = Delivery(url, kind, delivery_id, body)
            self.later(lambda d=delivery: self._deliver(d))  # type: ignore[misc]

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until nothing is due or running (at most ``timeout`` seconds, default
        ``CROSSHEAT_WEBHOOK_EXIT_WAIT``); whether it got there."""
        if timeout is None:
            timeout = float(os.environ.get("CROSSHEAT_WEBHOOK_EXIT_WAIT") or DEFAULT_EXIT_WAIT_S)
        end = time.monotonic() + timeout
        with self._wake:
            while self._due or self._busy:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._wake.wait(min(left, 0.1))
        return True

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._due or self._due[0][0] > time.monotonic():
                    wait = self._due[0][0] - time.monotonic() if self._due else None
                    self._wake.wait(wait)
                _, _, job = heapq.heappop(self._due)
                self._busy += 1
            try:
                job()
            except Exception:
                log.exception("webhook outbox job failed")
            finally:
                with self._wake:
                    self._busy -= 1
                    self._wake.notify_all()

    def _deliver(self, delivery: Delivery) -> None:
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
        if problem is None:
            log.info("webhook %s: %s delivered", shown(delivery.url), delivery.kind)
            return
        if delivery.attempt >= self.attempts:
            log.warning(
                "webhook %s: %s dropped after %d attempts (%s)",
                shown(delivery.url), delivery.kind, delivery.attempt, problem,
            )  # fmt: skip
            return
        wait = min(RETRY_CAP_S, self.base * 2 ** (delivery.attempt - 1))
        log.info("webhook %s: %s; trying again in %.0f s", shown(delivery.url), problem, wait)
        delivery.attempt += 1
        self.later(lambda: self._deliver(delivery), wait)


#: This process's outbox.
WEBHOOKS = Outbox()
