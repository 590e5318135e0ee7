"""Finding secret texts in values and messages, and keeping them out of logs.

The store, the engine and the views share one idea of "holds a secret": a value
is secret when it is one of the stack's secret texts (hidden parameter values,
secret properties and attributes, what hidden parameters reached), or contains
one of at least ``MIN_EMBEDDED`` characters::

    secret_leaf_paths({"name": "vm-s3cret", "size": 1}, {"s3cret"})   # [("name",)]
    scrub("failed: vm-s3cret", {"s3cret"})                             # "failed: vm-******"

Log records are scrubbed too, whatever logger writes them (crossheat's,
openstacksdk's request logs): ``forget_in_logs(texts)`` adds texts that every
record's message and traceback lose from then on.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Collection, Iterable, Iterator
from typing import Any

#: What replaces a secret wherever one would be shown.
MASK = "******"
#: A secret text shorter than this is matched only as a whole value, not inside a longer
#: one: a hidden "1" must not make every address containing a 1 secret.
MIN_EMBEDDED = 4

Path = tuple[str | int, ...]


def is_secret_text(value: Any, texts: Collection[str]) -> bool:
    """True when the scalar ``value`` is one of ``texts`` or contains a long enough one."""
    if value is None or isinstance(value, bool) or not isinstance(value, str | int | float):
        return False
    text = str(value)
    if text in texts:
        return True
    return any(len(secret) >= MIN_EMBEDDED and secret in text for secret in texts)


def secret_leaf_paths(value: Any, texts: Collection[str], at: Path = ()) -> Iterator[Path]:
    """The paths of the leaves of ``value`` that ``is_secret_text``."""
    if not texts:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            yield from secret_leaf_paths(item, texts, (*at, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from secret_leaf_paths(item, texts, (*at, index))
    elif is_secret_text(value, texts):
        yield at


def holds_secret(value: Any, texts: Collection[str]) -> bool:
    """True when a leaf of ``value`` is, or contains, one of ``texts``."""
    return next(secret_leaf_paths(value, texts), None) is not None


def leaf_texts(value: Any, paths: Iterable[Path] = ((),)) -> set[str]:
    """The texts of the scalar leaves under each of ``paths`` in ``value`` (every leaf by
    default): what to remember as secret once those values are known to be."""
    found: set[str] = set()
    for path in paths:
        node = value
        for part in path:
            node = _child(node, part)
        found.update(_leaves(node))
    return found


def _leaves(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    elif value is not None and not isinstance(value, bool) and str(value):
        yield str(value)


#: What may stand around a short secret for it to count as a word of its own.
_APART = r"\s'\"`,;:=()\[\]{}<>"


def scrub(text: str, texts: Iterable[str]) -> str:
    """``text`` with every one of ``texts`` replaced by ``MASK`` (longest first). A text
    shorter than ``MIN_EMBEDDED`` is replaced only where it stands alone (between spaces,
    quotes or punctuation other than ``.``, ``-`` and ``/``): a hidden ``"1"`` leaves
    ``10.1.0.0/24`` alone, which would otherwise both garble it and give the ``1`` away."""
    for secret in sorted((t for t in texts if t), key=len, reverse=True):
        if len(secret) >= MIN_EMBEDDED:
            text = text.replace(secret, MASK)
        else:
            text = re.sub(rf"(?<![^{_APART}]){re.escape(secret)}(?![^{_APART}])", MASK, text)
    return text


def mask_paths(value: Any, paths: Iterable[Path]) -> Any:
    """A copy of ``value`` with the value at each path (if there) replaced by ``MASK``."""
    out = _copy(value)
    for path in paths:
        if not path:
            return MASK if out is not None else None
        node = out
        for part in path[:-1]:
            node = _child(node, part)
        last = path[-1]
        if _child(node, last) is not None:
            node[last] = MASK
    return out


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _child(node: Any, part: str | int) -> Any:
    if isinstance(node, dict) and isinstance(part, str):
        return node.get(part)
    if isinstance(node, list) and isinstance(part, int) and -len(node) <= part < len(node):
        return node[part]
    return None


# ---- logs ----------------------------------------------------------------------------------

_log_texts: set[str] = set()
_log_guard = threading.Lock()
_installed = False


def forget_in_logs(texts: Iterable[str]) -> None:
    """From now on, every log record of this process shows ``texts`` as ``MASK``."""
    new = {t for t in texts if t}
    if not new:
        return
    with _log_guard:
        _log_texts.update(new)
        _install()


def _install() -> None:
    """Wrap the log record factory once: records made by any logger are scrubbed."""
    global _installed
    if _installed:
        return
    _installed = True
    make = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        record.__class__ = _scrubbed_class(type(record))
        if record.exc_info and not record.exc_text:
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info), _texts())
        return record

    logging.setLogRecordFactory(factory)


def _texts() -> set[str]:
    with _log_guard:
        return set(_log_texts)


_SCRUBBED: dict[type, type] = {}


def _scrubbed_class(base: type[logging.LogRecord]) -> type[logging.LogRecord]:
    found = _SCRUBBED.get(base)
    if found is None:

        class Scrubbed(base):  # type: ignore[valid-type,misc]
            def getMessage(self) -> str:
                return scrub(super().getMessage(), _texts())

        found = _SCRUBBED[base] = Scrubbed
    return found


def scrub_for_logs(text: str) -> str:
    """``text`` with every text ``forget_in_logs`` was given masked (a log field's value)."""
    return scrub(text, _texts())
