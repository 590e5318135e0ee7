"""The deployment's secret keys: a new key, re-encryption, retiring the old keys.

    keys = service.secret_keys()
    keys.new_key()          # a new first key in the key file; the old ones still decrypt
    keys.rotate()           # every sealed value re-encrypted with the first key
    keys.retire_old()       # the old keys dropped from the file, once nothing needs them

Each takes ``file``: the key file to use instead of the deployment's
(``CROSSHEAT_SECRET_KEY_FILE``, else the per-host key file). Keys given in
``CROSSHEAT_SECRET_KEY`` cannot be changed by a command: ``new_key`` and ``retire_old``
say what to do instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from crossheat.errors import ConfigError
from crossheat.store import Rotation, SealedCensus, Store
from crossheat.store.keyring import (
    KEY_VARIABLE,
    KeySource,
    LiveKeys,
    add_new_key,
    keep_first_key,
    key_source,
    read_keys,
)
from crossheat.store.secrets import SecretBox

__all__ = ["KeyFileChange", "KeyRingStatus", "Rotation", "SealedCensus", "SecretKeys"]


@dataclass(frozen=True)
class KeyFileChange:
    """What a command did to a key file: ``keys`` now in it, ``dropped`` from it."""

    path: Path
    keys: int
    dropped: int = 0


@dataclass(frozen=True)
class KeyRingStatus:
    """Where the keys come from, how many, and who sealed the database's values."""

    source: str
    keys: int
    census: SealedCensus


class SecretKeys:
    """The key operations of ``crossheat secrets``, on the database ``database_url``."""

    def __init__(self, database_url: str | None = None) -> None:
        self._database_url = database_url

    def new_key(self, file: str | Path | None = None) -> KeyFileChange:
        """Put a new key first in the key file (made if missing), keeping the old ones."""
        path = self._file(file, "make a new key")
        return KeyFileChange(path, len(add_new_key(path)))

    def status(self, file: str | Path | None = None) -> KeyRingStatus:
        keys = LiveKeys(key_source(file))
        with self._store(keys) as store:
            census = store.sealed_census()
        return KeyRingStatus(str(keys), len(keys.ring().keys), census)

    def rotate(self, file: str | Path | None = None) -> Rotation:
        """Re-encrypt every sealed value with the first key (``crossheat.store._rotation``
        says what is guaranteed while engines run)."""
        with self._store(LiveKeys(key_source(file))) as store:
            return store.rotate_secrets()

    def retire_old(self, file: str | Path | None = None) -> KeyFileChange:
        """Keep only the first key in the key file; refused while the database holds a
        value that needs another key."""
        path = self._file(file, "retire old keys")
        keys = read_keys(path)
        if len(keys) == 1:
            return KeyFileChange(path, 1)
        source = KeySource(path)
        with self._store(LiveKeys(source)) as store:
            census = store.sealed_census()
        if census.old:
            raise ConfigError(
                f"{census.old} secret value(s) in the database are still sealed with an old "
                f"key of {path}: run `crossheat secrets rotate` first (with every engine "
                "already using this key file), then retire the old keys"
            )
        if census.unknown:
            raise ConfigError(
                f"{census.unknown} secret value(s) in the database are sealed with a key "
                f"{path} does not have: find the key file that sealed them before retiring any"
            )
        dropped = keep_first_key(path, keys[0])
        return KeyFileChange(path, 1, len(dropped))

    def _file(self, file: str | Path | None, doing: str) -> Path:
        source = key_source(file)
        if source.path is None:
            raise ConfigError(
                f"the secret keys are given in {KEY_VARIABLE}, which no command can change: "
                f"to {doing}, name a key file with --file (a copy of the keys, one a line), "
                f"then put its keys, comma-separated, in {KEY_VARIABLE}"
            )
        return source.path

    def _store(self, keys: LiveKeys) -> Store:
        return Store.open(self._database_url, secret_box=SecretBox(keys))
