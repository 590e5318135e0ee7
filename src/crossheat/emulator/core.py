"""The emulator's shared core: state, configuration, faults, latency, counters.

The emulator is one HTTP server (FastAPI on uvicorn) that serves several
regions. Every service package (``keystone``, ``neutron``, ``nova``,
``glance``) and ``admin`` builds an ``APIRouter`` from an ``Emulator`` and the
app mounts them. URL layout::

    /identity/v3/...                 Keystone (regions share one Keystone)
    /{region}/network/v2.0/...       Neutron
    /{region}/compute/v2.1/...       Nova
    /{region}/image/v2/...           Glance
    /admin/...                       test and benchmark hooks (faults, counters, listing)

State lives in memory and is written through to SQLite (``--state FILE``),
so a restarted emulator still has its resources. Nothing here is shared with
crossheat's engine: the engine reaches the emulator only over HTTP.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

Record = dict[str, Any]


def new_id() -> str:
    return str(uuid.uuid4())


_STABLE_NAMESPACE = uuid.UUID("6f0c8c55-6c5e-4a43-9d61-3b0d4c1e7a10")


def stable_id(kind: str, name: str, *, dashed: bool = False) -> str:
    """An id derived from a name, the same on every start (seeded users, flavors, images).

    Keystone style (32 hex digits) by default, ``dashed`` for Nova and Glance style UUIDs.
    """
    value = uuid.uuid5(_STABLE_NAMESPACE, f"{kind}:{name}")
    return str(value) if dashed else value.hex


def iso_now(offset: float = 0.0) -> str:
    """``2026-11-24T21:33:58Z``: the timestamp format Neutron and Nova answer with."""
    return datetime.fromtimestamp(time.time() + offset, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ApiError(Exception):
    """An error answer: the status and the exact JSON body the real service sends."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None):
        super().__init__(f"{status} {body}")
        self.status = status
        self.body = body
        self.headers = headers or {}


def neutron_error(status: int, type_: str, message: str) -> ApiError:
    """``{"NeutronError": {"type", "message", "detail"}}`` as Neutron answers."""
    return ApiError(status, {"NeutronError": {"type": type_, "message": message, "detail": ""}})


_NOVA_KEYS = {
    400: "badRequest",
    403: "forbidden",
    404: "itemNotFound",
    409: "conflictingRequest",
    413: "overLimit",
}


def nova_error(status: int, message: str) -> ApiError:
    """``{"itemNotFound": {"code": 404, "message": ...}}`` and friends, as Nova answers."""
    key = _NOVA_KEYS.get(status, "computeFault")
    return ApiError(status, {key: {"code": status, "message": message}})


def parse_spec(spec: str | None) -> dict[str, str]:
    """``"server=3,network=0.2"`` -> ``{"server": "3", "network": "0.2"}``."""
    out: dict[str, str] = {}
    for item in (spec or "").split(","):
        item = item.strip()
        if not item:
            continue
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"expected KEY=VALUE in {spec!r}, got {item!r}")
        out[key.strip()] = value.strip()
    return out


@dataclass
class Faults:
    """Injected trouble. Changeable while running through ``/admin/faults``.

    - ``error_rate``: fraction of service calls (not Keystone, not admin) answered 503.
    - ``region_down``: regions whose every service call is answered 503.
    - ``quota``: overrides of per-project quotas, e.g. ``{"servers": 2}``.
    - ``lost_answer_rate``: fraction of service POSTs and PUTs that are carried out and
      then answered 502, as when a proxy in front of a real cloud times out: the client
      cannot know whether the resource was made (or the router interface added).
    - ``lost_answer_path``: only calls whose path template contains this text lose
      their answer (``/add_router_interface``); empty: every POST and PUT may.
    """

    error_rate: float = 0.0
    lost_answer_rate: float = 0.0
    lost_answer_path: str = ""
    region_down: set[str] = field(default_factory=set)
    quota: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_spec(cls, spec: str | None) -> Faults:
        faults = cls()
        faults.apply(parse_spec(spec))
        return faults

    def apply(self, items: dict[str, Any]) -> None:
        for key, value in items.items():
            if key == "error_rate":
                self.error_rate = float(value)
            elif key == "lost_answer_rate":
                self.lost_answer_rate = float(value)
            elif key == "lost_answer_path":
                self.lost_answer_path = str(value)
            elif key == "region_down":
                names = value if isinstance(value, list) else str(value).split(";")
                self.region_down = {n for n in names if n}
            elif key.startswith("quota."):
                self.quota[key.removeprefix("quota.")] = int(value)
            else:
                raise ValueError(f"unknown fault {key!r}")

    def as_dict(self) -> dict[str, Any]:
        return {
            "error_rate": self.error_rate,
            "lost_answer_rate": self.lost_answer_rate,
            "lost_answer_path": self.lost_answer_path,
            "region_down": sorted(self.region_down),
            "quota": dict(self.quota),
        }


#: A bare-metal boot (and its clean-up after a delete) takes this many times a VM's, unless
#: ``baremetal`` (``baremetal_delete``) is set: minutes when a VM takes seconds.
BAREMETAL_FACTOR = 10.0

#: Seconds an IPsec connection waits for its peer before it reads DOWN (``Latency``).
VPN_PEER_TIMEOUT = 5.0


@dataclass
class Latency:
    """Seconds a kind of resource takes (``server``, ``network``, ``default``...), with jitter.

    Resources with a status (servers, ports, VPN services, connections) change
    status when their latency has passed; the others answer their create call
    after it. Deletes take it too: a Neutron DELETE answers after it, a server
    shows task state ``deleting`` until it has passed, then is gone. A delete's kind
    is ``{kind}_delete`` (``server_delete``), which falls back to ``{kind}``. A bare-metal
    boot (``baremetal``, ``baremetal_delete``) takes ``BAREMETAL_FACTOR`` times the
    ``server`` (``server_delete``) latency unless set.
    ``vpn_peer_timeout`` is how long an IPsec site connection whose latency has
    passed waits for its peer (still ``PENDING_*``) before it reads ``DOWN``, as
    Neutron's agent gives up on a peer that is not there.
    """

    seconds: dict[str, float] = field(default_factory=dict)
    jitter: float = 0.1
    vpn_peer_timeout: float = VPN_PEER_TIMEOUT

    @classmethod
    def from_spec(cls, spec: str | None) -> Latency:
        items = parse_spec(spec)
        jitter = float(items.pop("jitter", 0.1))
        peer = float(items.pop("vpn_peer_timeout", VPN_PEER_TIMEOUT))
        return cls({k: float(v) for k, v in items.items()}, jitter, peer)

    def base(self, kind: str) -> float:
        if kind not in self.seconds and kind.startswith("baremetal"):
            if kind == "baremetal_delete" and "baremetal" in self.seconds:
                return self.seconds["baremetal"]
            return BAREMETAL_FACTOR * self.base(kind.replace("baremetal", "server", 1))
        if kind not in self.seconds and kind.endswith("_delete"):
            return self.base(kind.removesuffix("_delete"))
        return self.seconds.get(kind, self.seconds.get("default", 0.0))

    def sample(self, kind: str) -> float:
        base = self.base(kind)
        if base <= 0:
            return 0.0
        return max(0.0, base * (1 + random.uniform(-self.jitter, self.jitter)))

    def as_dict(self) -> dict[str, Any]:
        return {
            "seconds": dict(self.seconds),
            "jitter": self.jitter,
            "vpn_peer_timeout": self.vpn_peer_timeout,
        }


DEFAULT_QUOTAS: dict[str, int] = {
    "networks": 100,
    "subnets": 100,
    "ports": 500,
    "routers": 10,
    "floatingips": 50,
    "security_groups": 10,
    "security_group_rules": 100,
    "servers": 10,
    "cores": 20,
    "ram": 51200,
    "key_pairs": 100,
}


class Store:
    """Records per (region, kind), in memory, written through to SQLite.

    A record is a JSON-able dict with at least ``id``; project-owned records
    carry ``project_id``. ``region`` is ``"*"`` for global things (tokens,
    users). Thread-safe: one lock around every operation.
    """

    def __init__(self, path: str = ":memory:") -> None:
        self.path = path
        self._lock = threading.RLock()
        self._data: dict[tuple[str, str], dict[str, Record]] = {}
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS records (region TEXT, kind TEXT, id TEXT, data TEXT,"
            " PRIMARY KEY (region, kind, id))"
        )
        rows = self._db.execute("SELECT region, kind, id, data FROM records")
        for region, kind, id_, data in rows:
            self._data.setdefault((region, kind), {})[id_] = json.loads(data)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _persist(self, region: str, kind: str, record: Record) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO records (region, kind, id, data) VALUES (?, ?, ?, ?)",
            (region, kind, record["id"], json.dumps(record)),
        )

    def insert(self, region: str, kind: str, record: Record) -> Record:
        with self._lock:
            record.setdefault("id", new_id())
            self._data.setdefault((region, kind), {})[record["id"]] = record
            self._persist(region, kind, record)
            return record

    def get(self, region: str, kind: str, id_: str) -> Record | None:
        with self._lock:
            return self._data.get((region, kind), {}).get(id_)

    def records(self, region: str, kind: str, project_id: str | None = None) -> list[Record]:
        """Every record of a kind; only those of ``project_id`` when it is given."""
        with self._lock:
            items = list(self._data.get((region, kind), {}).values())
        if project_id is None:
            return items
        return [r for r in items if r.get("project_id") in (project_id, None)]

    def update(self, region: str, kind: str, id_: str, changes: dict[str, Any]) -> Record:
        with self._lock:
            record = self._data[(region, kind)][id_]
            record.update(changes)
            self._persist(region, kind, record)
            return record

    def save(self, region: str, kind: str, record: Record) -> None:
        """Persist a record changed in place."""
        with self._lock:
            self._persist(region, kind, record)

    def delete(self, region: str, kind: str, id_: str) -> None:
        with self._lock:
            self._data.get((region, kind), {}).pop(id_, None)
            self._db.execute(
                "DELETE FROM records WHERE region=? AND kind=? AND id=?", (region, kind, id_)
            )

    def kinds(self, region: str) -> list[str]:
        with self._lock:
            return sorted(k for (r, k), items in self._data.items() if r == region and items)

    def is_empty(self) -> bool:
        with self._lock:
            return not any(self._data.values())


@dataclass(frozen=True)
class Auth:
    """Who is calling: from a validated token."""

    token: str
    user_id: str
    user_name: str
    project_id: str
    project_name: str
    is_admin: bool


@dataclass(frozen=True)
class ProjectSeed:
    """A project with a user in it, made at start: ``NAME:USER:PASSWORD[:admin]``."""

    project: str
    user: str
    password: str
    admin: bool = False

    @classmethod
    def from_spec(cls, spec: str) -> ProjectSeed:
        parts = spec.split(":")
        admin = len(parts) >= 4 and parts[-1] == "admin"
        password = ":".join(parts[2:-1] if admin else parts[2:])
        if len(parts) < 3 or not parts[0] or not parts[1] or not password:
            raise ValueError(f"expected NAME:USER:PASSWORD[:admin], got {spec!r}")
        return cls(parts[0], parts[1], password, admin)


@dataclass
class EmulatorConfig:
    host: str = "127.0.0.1"
    port: int = 0
    regions: list[str] = field(default_factory=lambda: ["East", "West"])
    state: str = ":memory:"
    latency: Latency = field(default_factory=Latency)
    faults: Faults = field(default_factory=Faults)
    orchestration_url: str | None = None
    token_ttl: float = 3600.0
    #: Index of this emulator among several (different clouds get different public ranges).
    cloud_index: int = 0
    #: Directory where running emulators announce themselves (``{port}.json`` holding
    #: ``{"url": ..., "pid": ...}``), so that a VPN connection in one emulator can find
    #: its peer in another. ``None``: no other clouds are looked at.
    registry_dir: str | None = None
    #: Projects and users made at start besides ``admin`` and ``demo`` (``keystone.identity``).
    projects: list[ProjectSeed] = field(default_factory=list)
    #: Bare-metal nodes per region (``nova.baremetal``): 0, no bare-metal hosts nor flavor.
    baremetal: int = 0


class Emulator:
    """One emulated cloud: config, state, counters. Shared by every service router."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.store = Store(config.state)
        self.counters: Counter[tuple[str, str, str]] = Counter()  # (region, method, path)
        self._counter_lock = threading.Lock()
        #: Set by the server once it listens: the URL clients reach it at.
        self.base_url = f"http://{config.host}:{config.port}"

    @property
    def regions(self) -> list[str]:
        return self.config.regions

    def count(self, region: str, method: str, path: str) -> None:
        with self._counter_lock:
            self.counters[(region, method, path)] += 1

    def counter_snapshot(self) -> dict[tuple[str, str, str], int]:
        """A copy of the request counters, safe to iterate while requests come in."""
        with self._counter_lock:
            return dict(self.counters)

    def reset_counters(self) -> None:
        with self._counter_lock:
            self.counters.clear()

    def quota(self, name: str, region: str | None = None) -> int:
        """The quota ``name`` (``servers``...); ``quota.West.servers`` faults override in West."""
        quotas = self.config.faults.quota
        if region is not None and f"{region}.{name}" in quotas:
            return quotas[f"{region}.{name}"]
        return quotas.get(name, DEFAULT_QUOTAS.get(name, 1000))

    def should_fail(self, region: str) -> bool:
        faults = self.config.faults
        if region in faults.region_down:
            return True
        return faults.error_rate > 0 and random.random() < faults.error_rate

    def loses_answer(self, method: str, path: str) -> bool:
        """Whether to carry out this call and answer 502 (``lost_answer_rate``, POST and PUT
        calls whose path template contains ``lost_answer_path``)."""
        faults = self.config.faults
        if method not in ("POST", "PUT") or faults.lost_answer_path not in path:
            return False
        return faults.lost_answer_rate > 0 and random.random() < faults.lost_answer_rate

    def authenticate(self, token: str | None) -> Auth:
        """The caller behind an ``X-Auth-Token``; 401 when missing, unknown, expired or
        not scoped to a project.

        Keystone stores tokens as records of kind ``tokens`` in region ``"*"``:
        ``{id, user_id, user_name, project_id, project_name, is_admin, expires}``
        (``expires`` in epoch seconds).
        """
        record = self.store.get("*", "tokens", token) if token else None
        if record is None or record["expires"] <= time.time() or not record.get("project_id"):
            raise ApiError(
                401,
                {
                    "error": {
                        "code": 401,
                        "title": "Unauthorized",
                        "message": "The request you have made requires authentication.",
                    }
                },
                {"WWW-Authenticate": 'Keystone uri="/identity"'},
            )
        return Auth(
            token=record["id"],
            user_id=record["user_id"],
            user_name=record["user_name"],
            project_id=record["project_id"],
            project_name=record["project_name"],
            is_admin=bool(record["is_admin"]),
        )

    def peer_urls(self) -> list[str]:
        """Base URLs of the other emulators running now (other clouds), from ``registry_dir``."""
        directory = self.config.registry_dir
        if not directory or not os.path.isdir(directory):
            return []
        urls = []
        for name in sorted(os.listdir(directory)):
            if not name.endswith(".json"):
                continue
            try:
                with open(os.path.join(directory, name)) as fh:
                    entry = json.load(fh)
            except (OSError, ValueError):
                continue
            url = entry.get("url")
            if url and url != self.base_url and pid_alive(int(entry.get("pid", 0))):
                urls.append(url)
        return urls

    def visible(self, record: Record, auth: Auth) -> bool:
        """Tenant isolation: a project sees its own records and shared ones."""
        owner = record.get("project_id")
        return owner is None or owner == auth.project_id or bool(record.get("shared"))


def pid_alive(pid: int) -> bool:
    """Whether a process ``pid`` runs on this host."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def match_filters(records: Iterable[Record], filters: dict[str, str]) -> list[Record]:
    """Neutron's exact-match query filters (``?name=x&status=ACTIVE``), lists matched by member."""
    out = []
    for record in records:
        ok = True
        for key, wanted in filters.items():
            value = record.get(key, None)
            if isinstance(value, list):
                if wanted not in [str(v) for v in value]:
                    ok = False
            elif isinstance(value, bool):
                if str(value).lower() != wanted.lower():
                    ok = False
            elif value is None or str(value) != wanted:
                ok = False
            if not ok:
                break
        if ok:
            out.append(record)
    return out
