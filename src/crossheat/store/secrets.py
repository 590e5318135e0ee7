"""Encryption of secret values before they reach the database.

A ``SecretBox`` seals a JSON value into a string and opens it again::

    box = SecretBox.from_environment()       # the deployment's key ring (crossheat.store.keyring)
    sealed = box.seal("s3cret")              # "enc:v1:gAAAAAB..."
    box.open(sealed)                         # "s3cret"

    box.seal_paths({"db": {"password": "x"}, "size": 1}, [("db", "password")])
    # {"db": {"password": "enc:v1:..."}, "size": 1}

The keys are Fernet keys (AES-128-CBC + HMAC-SHA256, from ``cryptography``) in a ring:
the first seals, every one opens (``MultiFernet``). They come from
``CROSSHEAT_SECRET_KEY_FILE`` (a file every engine of a deployment shares),
``CROSSHEAT_SECRET_KEY``, or else the per-host ``$XDG_CONFIG_HOME/crossheat/secret.key``,
created on first use with mode 0600. ``reseal`` re-encrypts a value with the first key
(``crossheat secrets rotate``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any

from cryptography.fernet import InvalidToken

from crossheat.errors import ConfigError, StoreError
from crossheat.redact import leaf_texts
from crossheat.store.keyring import (
    KEY_FILE_VARIABLE,
    KeyRing,
    KeySource,
    LiveKeys,
    default_key_path,
    key_source,
)

#: Where a secret sits in a JSON document: a top-level key, or a path of keys and indexes.
SecretPath = str | tuple[str | int, ...]

PREFIX = "enc:v1:"


def is_sealed(value: object) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


class Sealer(StrEnum):
    """Which key of the ring sealed a value."""

    FIRST = "first"  # the key that seals now
    OLD = "old"  # another key of the ring: ``reseal`` it
    UNKNOWN = "unknown"  # no key of the ring: this engine cannot open it


class SecretBox:
    """Seals with the first key of a ring and opens with any of its keys."""

    def __init__(self, keys: bytes | Sequence[bytes] | LiveKeys) -> None:
        if isinstance(keys, LiveKeys):
            self._keys = keys
        else:
            ring = KeyRing([keys] if isinstance(keys, bytes) else list(keys))
            self._keys = LiveKeys(ring=ring)

    @classmethod
    def from_environment(cls) -> SecretBox:
        """The deployment's ring: ``CROSSHEAT_SECRET_KEY``, ``CROSSHEAT_SECRET_KEY_FILE`` or
        the per-host key file (see ``crossheat.store.keyring``); ConfigError if unusable."""
        return cls(LiveKeys(key_source()))

    @classmethod
    def from_key_file(cls, path: Path | None = None) -> SecretBox:
        """The box for the keys at ``path`` (default ``default_key_path()``, created if
        missing); the file is read again when it changes."""
        return cls(LiveKeys(KeySource(path or default_key_path(), create=True)))

    @property
    def keys(self) -> LiveKeys:
        return self._keys

    def seal(self, value: Any) -> str:
        """Any JSON value -> ``"enc:v1:<fernet token>"``, with the ring's first key."""
        token = self._keys.ring().all.encrypt(json.dumps(value).encode())
        return PREFIX + token.decode("ascii")

    def open(self, sealed: str) -> Any:
        """The value ``seal`` was given; ``ConfigError`` if no key of the ring sealed it."""
        token = _token(sealed)
        try:
            plain = self._keys.ring().all.decrypt(token)
        except InvalidToken:
            if not self._keys.refresh():  # a new key file may have come meanwhile
                raise self._unknown_key() from None
            try:
                plain = self._keys.ring().all.decrypt(token)
            except InvalidToken:
                raise self._unknown_key() from None
        return json.loads(plain)

    def sealer(self, sealed: str) -> Sealer:
        """Which key of the ring sealed ``sealed``."""
        token = _token(sealed)
        ring = self._keys.ring()
        for fernet, answer in ((ring.primary, Sealer.FIRST), (ring.all, Sealer.OLD)):
            try:
                fernet.decrypt(token)
            except InvalidToken:
                continue
            return answer
        return Sealer.UNKNOWN

    def reseal(self, sealed: str) -> str | None:
        """``sealed`` re-encrypted with the first key, or None if that key sealed it."""
        token = _token(sealed)
        ring = self._keys.ring()
        try:
            ring.primary.decrypt(token)
            return None
        except InvalidToken:
            pass
        try:
            return PREFIX + ring.all.rotate(token).decode("ascii")
        except InvalidToken:
            raise self._unknown_key() from None

    def _unknown_key(self) -> ConfigError:
        return ConfigError(
            "a secret in the database was sealed with a key this engine does not have: "
            f"set {KEY_FILE_VARIABLE} to the deployment's key file (this engine's keys "
            f"come from {self._keys})"
        )

    def seal_paths(
        self, data: dict[str, Any], secret_paths: Iterable[SecretPath]
    ) -> dict[str, Any]:
        """A copy of ``data`` with the value at each path sealed; missing paths are skipped."""
        out: dict[str, Any] = json.loads(json.dumps(data))
        for path in secret_paths:
            parts = (path,) if isinstance(path, str) else path
            if parts:
                self._seal_at(out, parts)
        return out

    def _seal_at(self, node: Any, parts: tuple[str | int, ...]) -> None:
        for part in parts[:-1]:
            node = _child(node, part)
            if node is None:
                return
        last = parts[-1]
        if _child(node, last) is not None and not is_sealed(node[last]):
            node[last] = self.seal(node[last])

    def open_all(self, data: Any) -> Any:
        """A copy of ``data`` with every sealed string replaced by its value."""
        if is_sealed(data):
            return self.open(data)
        if isinstance(data, dict):
            return {key: self.open_all(value) for key, value in data.items()}
        if isinstance(data, list):
            return [self.open_all(value) for value in data]
        return data

    def secret_texts(self, data: Any) -> set[str]:
        """The plain texts of every sealed value in ``data`` (to scrub them from messages)."""
        texts: set[str] = set()
        for sealed in sealed_strings(data):
            texts.update(leaf_texts(self.open(sealed)))
        return texts


def sealed_paths(data: Any, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """The paths of the sealed values in ``data``: ``[("db", "password")]``."""
    if is_sealed(data):
        return [prefix]
    items: Iterable[tuple[str | int, Any]] = ()
    if isinstance(data, dict):
        items = data.items()
    elif isinstance(data, list):
        items = enumerate(data)
    return [path for key, value in items for path in sealed_paths(value, (*prefix, key))]


def _child(node: Any, part: str | int) -> Any:
    if isinstance(node, dict) and isinstance(part, str):
        return node.get(part)
    if isinstance(node, list) and isinstance(part, int) and -len(node) <= part < len(node):
        return node[part]
    return None


def sealed_strings(data: Any) -> Iterator[str]:
    """Every sealed string in ``data``."""
    if is_sealed(data):
        yield data
    elif isinstance(data, dict):
        for value in data.values():
            yield from sealed_strings(value)
    elif isinstance(data, list):
        for value in data:
            yield from sealed_strings(value)


def _token(sealed: str) -> bytes:
    if not is_sealed(sealed):
        raise StoreError("not a sealed value")
    return sealed[len(PREFIX) :].encode("ascii")
