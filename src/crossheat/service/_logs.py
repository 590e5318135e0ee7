"""How crossheat's processes log: text, or JSON lines (``--log-format json``).

    log_setup("json", "info")      # serve, worker, the engine processes

A JSON line is one record: ``time`` (UTC), ``level``, ``logger``, ``message`` and, when
the record has them, ``stack_id``, ``stack``, ``resource``, ``resource_type``,
``region``, ``operation`` (the engine that ran it), ``action``, ``status`` and
``event_seq``. Every event of a stack or a resource is one record of the logger
``crossheat.events`` at INFO. Secrets never appear: the messages and fields are
scrubbed of every secret the process knows (``crossheat.redact``), as text logs are.

Settings: ``CROSSHEAT_LOG_FORMAT`` (``text`` or ``json``), ``CROSSHEAT_LOG_LEVEL``
(default ``info`` for crossheat's loggers), ``CROSSHEAT_LOG_FILE`` (append there instead
of stderr: what a detached engine process, whose output goes nowhere, needs).
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from typing import Any

from crossheat.errors import ConfigError
from crossheat.redact import scrub_for_logs

FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: Record attributes a JSON line carries when a record has them.
FIELDS = (
    "stack_id", "stack", "resource", "resource_type", "region", "operation", "action",
    "status", "event_seq",
)  # fmt: skip


class JsonLines(logging.Formatter):
    """A record as one JSON object on one line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = scrub_for_logs(value) if isinstance(value, str) else value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = scrub_for_logs(record.exc_text)
        return json.dumps(line, default=str)


def log_format(given: str | None = None) -> str:
    """``given``, else ``CROSSHEAT_LOG_FORMAT``, else ``text``; ``ConfigError`` if unknown."""
    chosen = (given or os.environ.get("CROSSHEAT_LOG_FORMAT") or "text").lower()
    if chosen not in FORMATS:
        raise ConfigError(f"log format {chosen!r}: use text or json")
    return chosen


def log_setup(form: str | None = None, level: str | None = None, *, others: str = "WARNING") -> str:
    """Log to stderr (or ``CROSSHEAT_LOG_FILE``) in ``form``: crossheat's loggers (and
    procrastinate's) at ``level`` (``CROSSHEAT_LOG_LEVEL``, default INFO), everything
    else at ``others``. Replaces the root logger's handlers; the format chosen."""
    chosen = log_format(form)
    named = (level or os.environ.get("CROSSHEAT_LOG_LEVEL") or "INFO").upper()
    path = os.environ.get("CROSSHEAT_LOG_FILE")
    handler: logging.Handler = logging.FileHandler(path) if path else logging.StreamHandler()
    handler.setFormatter(JsonLines() if chosen == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(others)
    for name in ("crossheat", "procrastinate"):
        logging.getLogger(name).setLevel(named)
    return chosen
