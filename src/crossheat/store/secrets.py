"""Encryption of secret values before they reach the database.

A ``SecretBox`` seals a JSON value into a string and opens it again::

    box = SecretBox.from_key_file()          # ~/.config/crossheat/secret.key
    sealed = box.seal("s3cret")              # "enc:v1:gAAAAAB..."
    box.open(sealed)                         # "s3cret"

    box.seal_paths({"db": {"password": "x"}, "size": 1}, [("db", "password")])
    # {"db": {"password": "enc:v1:..."}, "size": 1}

The key is a Fernet key (AES-128-CBC + HMAC-SHA256) kept in
``$XDG_CONFIG_HOME/crossheat/secret.key`` (default ``~/.config``), created on
first use with mode 0600. Every engine sharing a database must share the key.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from crossheat.errors import StoreError
from crossheat.redact import leaf_texts

#: Where a secret sits in a JSON document: a top-level key, or a path of keys and indexes.
SecretPath = str | tuple[str | int, ...]

PREFIX = "enc:v1:"


def default_key_path() -> Path:
    """``$XDG_CONFIG_HOME/crossheat/secret.key``, ``~/.config/crossheat/secret.key`` by default."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "crossheat" / "secret.key"


def _load_or_create_key(path: Path) -> bytes:
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = Fernet.generate_key()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as out:
        out.write(key + b"\n")
    return key


def is_sealed(value: object) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


class SecretBox:
    """Seals and opens secret values with one Fernet key."""

    def __init__(self, key: bytes) -> None:
        try:
            self._fernet = Fernet(key)
        except ValueError as exc:
            raise StoreError(f"invalid secret key: {exc}") from exc

    @classmethod
    def from_key_file(cls, path: Path | None = None) -> SecretBox:
        """The box for the key at ``path`` (default ``default_key_path()``), created if missing."""
        return cls(_load_or_create_key(path or default_key_path()))

    def seal(self, value: Any) -> str:
        """Any JSON value -> ``"enc:v1:<fernet token>"``."""
        token = self._fernet.encrypt(json.dumps(value).encode())
        return PREFIX + token.decode("ascii")

    def open(self, sealed: str) -> Any:
        """The value ``seal`` was given; ``StoreError`` if the key does not match."""
        if not is_sealed(sealed):
            raise StoreError("not a sealed value")
        try:
            plain = self._fernet.decrypt(sealed[len(PREFIX) :].encode("ascii"))
        except InvalidToken as exc:
            raise StoreError(
                "a secret in the database cannot be decrypted with this secret key "
                f"({default_key_path()} differs from the one that wrote it)"
            ) from exc
        return json.loads(plain)

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
        for sealed in _sealed_strings(data):
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


def _sealed_strings(data: Any) -> Iterator[str]:
    if is_sealed(data):
        yield data
    elif isinstance(data, dict):
        for value in data.values():
            yield from _sealed_strings(value)
    elif isinstance(data, list):
        for value in data:
            yield from _sealed_strings(value)
