"""The key ring: a deployment's Fernet keys, the first encrypting, every one decrypting.

Where an engine (a command, a server, a worker) finds its keys, ``key_source()``:

- ``CROSSHEAT_SECRET_KEY``: the keys themselves, for a setting or a secret manager's
  value, separated by commas or newlines;
- ``CROSSHEAT_SECRET_KEY_FILE``: a key file shared by every engine, server and worker
  of a deployment, one key per line; it must exist;
- neither: the per-host ``$XDG_CONFIG_HOME/crossheat/secret.key``, created on first use.

    ring = read_ring(key_source())        # ConfigError if missing, unreadable, malformed
    ring.all.encrypt(b"x")                 # a MultiFernet: the first key encrypts
    add_new_key(path)                      # a new first key; the old ones still decrypt
    keep_first_key(path)                   # drop the old keys (once nothing needs them)

A key file is rewritten atomically (a new file renamed over the old one, same mode),
so a reader sees either the old ring or the new one. ``LiveKeys`` reads the file
again when it changes: running engines pick up a new key within ``RECHECK_S``.
"""

from __future__ import annotations

import logging
import os
import stat
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, MultiFernet

from crossheat.errors import ConfigError

KEY_VARIABLE = "CROSSHEAT_SECRET_KEY"
KEY_FILE_VARIABLE = "CROSSHEAT_SECRET_KEY_FILE"
#: How often a running engine looks whether its key file changed (seconds).
RECHECK_S = 2.0

log = logging.getLogger(__name__)


def default_key_path() -> Path:
    """``$XDG_CONFIG_HOME/crossheat/secret.key``, ``~/.config/crossheat/secret.key`` by default."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "crossheat" / "secret.key"


@dataclass(frozen=True)
class KeySource:
    """Where the keys come from: a file (``path``) or ``CROSSHEAT_SECRET_KEY``."""

    path: Path | None
    #: Made on first use if missing (the per-host default); a named file must exist.
    create: bool = False

    def __str__(self) -> str:
        if self.path is None:
            return KEY_VARIABLE
        if self.create:
            return f"the per-host key file {self.path}"
        return f"the key file {self.path}"


def key_source(file: str | Path | None = None) -> KeySource:
    """The keys of ``file`` if given, else as the environment says (see the module)."""
    if file is not None:
        return KeySource(Path(file))
    named = os.environ.get(KEY_FILE_VARIABLE)
    if os.environ.get(KEY_VARIABLE):
        if named:
            raise ConfigError(
                f"both {KEY_VARIABLE} and {KEY_FILE_VARIABLE} are set: set only one "
                "(the keys themselves, or the key file every engine of the deployment shares)"
            )
        return KeySource(None)
    if named:
        return KeySource(Path(named))
    return KeySource(default_key_path(), create=True)


class KeyRing:
    """Keys in order: ``primary`` (the first) encrypts, ``all`` decrypts with any of them."""

    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys:
            raise ConfigError("a key ring needs at least one key")
        try:
            fernets = [Fernet(key) for key in keys]
        except ValueError as exc:
            raise ConfigError(f"invalid secret key: {exc}") from exc
        self.keys = tuple(keys)
        self.primary = fernets[0]
        self.all = MultiFernet(fernets)


def parse_keys(text: str, where: str, *, commas: bool = False) -> tuple[bytes, ...]:
    """The keys in ``text``, one a line (or, with ``commas``, comma-separated too), checked;
    ``where`` names the text in errors."""
    keys: list[bytes] = []
    entries = text.replace(",", "\n") if commas else text
    for number, line in enumerate(entries.splitlines(), start=1):
        key = line.strip()
        if not key:
            continue
        try:
            Fernet(key.encode("ascii", "replace"))
        except ValueError:
            raise ConfigError(
                f"{where}: {'entry' if commas else 'line'} {number} is not a Fernet key "
                "(44 characters of url-safe base64): use the deployment's key file, or make "
                "one with `crossheat secrets new-key --file FILE`"
            ) from None
        keys.append(key.encode("ascii"))
    if not keys:
        raise ConfigError(
            f"{where} holds no key: use the deployment's key file, or make one with "
            "`crossheat secrets new-key --file FILE`"
        )
    return tuple(keys)


def read_keys(path: Path) -> tuple[bytes, ...]:
    """The keys of the file at ``path``; a ConfigError saying what to do otherwise."""
    try:
        text = path.read_text(encoding="ascii", errors="replace")
    except FileNotFoundError:
        raise ConfigError(
            f"the secret key file {path} does not exist: copy the deployment's key file "
            f"there (every engine, server and worker of a deployment shares one), or start "
            f"a new deployment's with `crossheat secrets new-key --file {path}`"
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"cannot read the secret key file {path} ({exc.strerror or exc}): let the user "
            f"crossheat runs as read it, or set {KEY_FILE_VARIABLE} to a readable copy"
        ) from None
    return parse_keys(text, f"the secret key file {path}")


def read_ring(source: KeySource) -> KeyRing:
    """The ring ``source`` holds (the per-host file is created on first use)."""
    if source.path is None:
        return KeyRing(parse_keys(os.environ.get(KEY_VARIABLE, ""), KEY_VARIABLE, commas=True))
    if source.create and not source.path.exists():
        _create_key_file(source.path)
    return KeyRing(read_keys(source.path))


def _create_key_file(path: Path) -> None:
    """A file holding one new key, mode 0600; if another process made it first, theirs."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as out:
        out.write(Fernet.generate_key() + b"\n")


def add_new_key(path: Path) -> tuple[bytes, ...]:
    """Put a new key first in the file at ``path`` (made if missing), keeping the others;
    the keys now in it."""
    old = read_keys(path) if path.exists() else ()
    keys = (Fernet.generate_key(), *old)
    write_keys(path, keys)
    return keys


def keep_first_key(path: Path, first: bytes) -> tuple[bytes, ...]:
    """Leave only ``first`` in the file (which must still start with it); the keys dropped."""
    keys = read_keys(path)
    if keys[0] != first:
        raise ConfigError(f"{path} changed meanwhile (a new first key): run the command again")
    write_keys(path, keys[:1])
    return keys[1:]


def write_keys(path: Path, keys: Sequence[bytes]) -> None:
    """Replace the file with ``keys``, one a line, atomically, keeping its mode (0600 new)."""
    target = path.resolve() if path.is_symlink() else path
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = 0o600
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            os.fchmod(out.fileno(), mode)
            out.write(b"".join(key + b"\n" for key in keys))
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class LiveKeys:
    """The ring of a source, read again when its file changes: looked at, at most every
    ``RECHECK_S``, when sealing, and at once when a value does not open (``refresh``).
    Without a file (given keys, ``CROSSHEAT_SECRET_KEY``) the ring never changes."""

    def __init__(self, source: KeySource | None = None, ring: KeyRing | None = None) -> None:
        self.source = source
        self._path = None if source is None else source.path
        self._guard = threading.Lock()
        stamp = _stamp(self._path)  # before reading: a change meanwhile is seen next time
        if ring is None:
            if source is None:
                raise ConfigError("no secret keys given")
            ring = read_ring(source)
        self._ring = ring
        self._stamp = stamp if stamp is not None else _stamp(self._path)
        self._checked = time.monotonic()

    def __str__(self) -> str:
        return "the keys given" if self.source is None else str(self.source)

    def ring(self) -> KeyRing:
        if self._path is not None and time.monotonic() - self._checked >= RECHECK_S:
            self.refresh()
        return self._ring

    def refresh(self) -> bool:
        """Read the file again if it changed; whether the keys changed. A file that cannot
        be read now (being replaced by hand) leaves the keys read before."""
        if self._path is None:
            return False
        with self._guard:
            self._checked = time.monotonic()
            stamp = _stamp(self._path)
            if stamp is None or stamp == self._stamp:
                return False
            try:
                ring = KeyRing(read_keys(self._path))
            except ConfigError as exc:
                log.warning("keeping the secret keys read before: %s", exc)
                return False
            changed = ring.keys != self._ring.keys
            self._ring, self._stamp = ring, stamp
            return changed


def _stamp(path: Path | None) -> tuple[int, int, int] | None:
    """What changes when a file is rewritten or replaced: inode, size, modification time."""
    if path is None:
        return None
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_ino, info.st_size, info.st_mtime_ns)
