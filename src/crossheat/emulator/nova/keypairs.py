"""Nova keypairs for the emulator: per user and region, generated or imported.

A keypair is a record of kind ``keypairs`` whose id is ``{user_id}/{name}``.
Created without a ``public_key``, an ed25519 pair is generated and the
private half is returned once (as Nova does).
"""

from __future__ import annotations

import base64
import hashlib
import re

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from crossheat.emulator.core import ApiError, Auth, Emulator, Record, iso_now, nova_error

KIND = "keypairs"
_NAME = re.compile(r"^[a-zA-Z0-9 _.@-]{1,255}$")


def _generate() -> tuple[str, str]:
    """A new (public key in OpenSSH format, private key in OpenSSH PEM)."""
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )
    return public.decode() + " Generated-by-Nova", private.decode()


def fingerprint(public_key: str) -> str:
    """The MD5 fingerprint Nova shows (``aa:bb:...``); 400 when the key is not OpenSSH."""
    parts = public_key.split()
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except (IndexError, ValueError) as exc:
        raise nova_error(400, "Keypair data is invalid: failed to generate fingerprint") from exc
    digest = hashlib.md5(blob, usedforsecurity=False).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def key_id(auth: Auth, name: str) -> str:
    return f"{auth.user_id}/{name}"


def find(emu: Emulator, region: str, auth: Auth, name: str) -> Record:
    record = emu.store.get(region, KIND, key_id(auth, name))
    if record is None:
        raise nova_error(404, f"Keypair {name} not found for user {auth.user_id}")
    return record


def create(emu: Emulator, region: str, auth: Auth, spec: Record) -> Record:
    """Store a keypair from ``{"name", "public_key"?, "type"?}``; the private key when made."""
    name = spec.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise nova_error(400, "Keypair data is invalid: Keypair name contains unsafe characters")
    if emu.store.get(region, KIND, key_id(auth, name)) is not None:
        raise nova_error(409, f"Key pair '{name}' already exists.")
    owned = [k for k in emu.store.records(region, KIND) if k["user_id"] == auth.user_id]
    if len(owned) >= emu.quota("key_pairs"):
        raise nova_error(403, "Quota exceeded, too many key pairs.")
    public_key, private_key = spec.get("public_key"), None
    if not public_key:
        public_key, private_key = _generate()
    record: Record = {
        "id": key_id(auth, name),
        "name": name,
        "user_id": auth.user_id,
        "public_key": public_key,
        "fingerprint": fingerprint(str(public_key)),
        "type": spec.get("type", "ssh"),
        "created_at": iso_now(),
    }
    emu.store.insert(region, KIND, record)
    return {**record, "private_key": private_key} if private_key else record


def view(record: Record, detail: bool = True) -> Record:
    """The ``keypair`` document; ``detail`` adds what ``GET /os-keypairs/{name}`` shows."""
    out = {k: record[k] for k in ("name", "public_key", "fingerprint", "type")}
    if "private_key" in record:
        out["private_key"] = record["private_key"]
    if detail:
        number = int(hashlib.sha1(record["id"].encode(), usedforsecurity=False).hexdigest()[:6], 16)
        out.update(
            user_id=record["user_id"],
            created_at=record["created_at"],
            deleted=False,
            deleted_at=None,
            updated_at=None,
            id=number,
        )
    return out


def check_exists(emu: Emulator, region: str, auth: Auth, name: str | None) -> None:
    """400 when a server names a keypair its user does not have."""
    if name and emu.store.get(region, KIND, key_id(auth, name)) is None:
        raise ApiError(400, {"badRequest": {"code": 400, "message": "Invalid key_name provided."}})
