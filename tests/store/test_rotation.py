"""Key rotation: after a new key and ``rotate_secrets``, no value in the database (its raw
bytes, not only what the store reads) is sealed with the old key, and everything reads."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from crossheat.errors import ConfigError
from crossheat.store import StackSpec, Store
from crossheat.store.keyring import add_new_key, keep_first_key, read_keys
from crossheat.store.secrets import SecretBox
from tests.sealed import opened_by, raw_database

HIDDEN = "Hidden-Rotated-6a1f"
PROPERTY = "Secret-Property-3b2e"
ATTRIBUTE = "Secret-Attribute-9d4c"
WEBHOOK = "https://hooks.example/n?token=Webhook-Token-41d7"


@pytest.fixture
def key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "deployment.key"
    add_new_key(path)
    monkeypatch.setenv("CROSSHEAT_SECRET_KEY_FILE", str(path))
    return path


@pytest.fixture
def engine(db_url: str, key_file: Path) -> Iterator[Store]:
    """A store with the deployment's key ring, as every engine opens it."""
    with Store.open(db_url) as store:
        yield store


def _write_everything(store: Store, name: str = "vpn") -> tuple[str, str]:
    """A stack whose hidden parameter is sealed in its parameters, environment, template
    default, previous spec and a resource's progress; a secret property and attribute."""
    spec = StackSpec(
        template={
            "parameters": {"pw": {"type": "string", "hidden": True, "default": HIDDEN}},
        },
        parameters={"pw": HIDDEN},
        hidden_parameters=frozenset({"pw"}),
        environment={"parameter_defaults": {"pw": HIDDEN}},
    )
    stack = store.create_stack(name, "p1", spec)
    store.save_template_for_update(stack.id, spec)
    res = store.upsert_resource(
        stack.id, "vm", "OS::Nova::Server",
        properties={"admin_pass": PROPERTY, "name": "vm"}, secret_paths=["admin_pass"],
    )  # fmt: skip
    store.set_attributes(res.id, {"password": ATTRIBUTE}, ["password"])
    store.set_progress(res.id, {"step": "poll", "name": HIDDEN})
    store.queue_deliveries("stack.operation", "d-1", b"{}", [WEBHOOK])  # its URL sealed
    return stack.id, res.id


def _check_reads(store: Store, stack_id: str, resource_id: str) -> None:
    stack = store.get_stack(stack_id)
    assert stack.spec.parameters == {"pw": HIDDEN}
    assert stack.spec.template["parameters"]["pw"]["default"] == HIDDEN
    assert stack.spec.environment["parameter_defaults"] == {"pw": HIDDEN}
    assert stack.previous is not None and stack.previous.parameters == {"pw": HIDDEN}
    res = store.get_resource(resource_id)
    assert res.properties == {"admin_pass": PROPERTY, "name": "vm"}
    assert res.attributes == {"password": ATTRIBUTE}
    assert res.progress == {"step": "poll", "name": HIDDEN}
    assert {d.url for d in store.claim_deliveries("reader", lease=0)} == {WEBHOOK}


def test_rotation_reseals_everything_with_the_new_key(
    engine: Store, db_url: str, key_file: Path
) -> None:
    stack_id, resource_id = _write_everything(engine)
    (old,) = read_keys(key_file)
    sealed = opened_by(old, raw_database(db_url))
    assert sealed >= 9  # parameters, environment, template, previous (3), property, ...
    new = add_new_key(key_file)[0]
    with Store.open(db_url) as rotator:  # what `crossheat secrets rotate` opens
        census = rotator.sealed_census()
        assert (census.first, census.unknown) == (0, 0) and census.old >= 8
        done = rotator.rotate_secrets()

    assert done.resealed == census.old and done.left.old == 0
    assert done.left.first == census.old
    raw = raw_database(db_url)
    assert opened_by(old, raw) == 0  # not a copy left, not even in free pages
    assert opened_by(new, raw) >= done.resealed
    for secret in (HIDDEN, PROPERTY, ATTRIBUTE, WEBHOOK):
        assert secret.encode() not in raw
    _check_reads(engine, stack_id, resource_id)  # an engine started before the new key
    assert keep_first_key(key_file, new) == (old,)
    with Store.open(db_url) as fresh:  # an engine started now has the new key alone
        _check_reads(fresh, stack_id, resource_id)
    assert engine.rotate_secrets().resealed == 0


def test_rotation_walks_the_tables_in_batches(engine: Store, db_url: str, key_file: Path) -> None:
    written = [_write_everything(engine, f"s{n}") for n in range(5)]
    add_new_key(key_file)
    with Store.open(db_url) as rotator:
        done = rotator.rotate_secrets(batch_size=2)
    assert done.rows == 5 * 3 and done.left.old == 0 and done.passes == 1  # stack, vm, hook
    for stack_id, resource_id in written:
        _check_reads(engine, stack_id, resource_id)


def test_a_value_of_an_unknown_key_stops_rotation_before_any_write(
    engine: Store, db_url: str, key_file: Path
) -> None:
    _write_everything(engine)
    with Store.open(db_url, secret_box=SecretBox(Fernet.generate_key())) as stranger:
        stranger.create_stack("theirs", "p1", StackSpec(
            template={}, parameters={"pw": "x"}, hidden_parameters=frozenset({"pw"})
        ))  # fmt: skip
    add_new_key(key_file)
    with Store.open(db_url) as rotator:
        before = rotator.sealed_census()
        assert before.unknown == 1 and before.old > 0
        with pytest.raises(ConfigError, match="sealed with a key this engine does not have"):
            rotator.rotate_secrets()
        assert rotator.sealed_census() == before


def test_rotation_while_an_engine_writes(engine: Store, db_url: str, key_file: Path) -> None:
    """An engine started before the new key (it seals with the old key until it sees the
    changed file) keeps rewriting secret attributes while rotation runs: no write is
    lost, nothing fails, and a last pass leaves nothing sealed with the old key."""
    rows = [_write_everything(engine, f"s{n}") for n in range(6)]
    add_new_key(key_file)
    last: dict[str, str] = {}
    stop = threading.Event()
    errors: list[BaseException] = []

    def write() -> None:
        n = 0
        while not stop.is_set():
            for _, resource_id in rows:
                value = f"{ATTRIBUTE}-{n}"
                engine.set_attributes(resource_id, {"password": value}, ["password"])
                last[resource_id] = value
            n += 1

    def guarded() -> None:
        try:
            write()
        except BaseException as exc:  # the test fails on it below
            errors.append(exc)

    writer = threading.Thread(target=guarded)
    with Store.open(db_url) as rotator:
        writer.start()
        try:
            during = rotator.rotate_secrets(batch_size=2, max_passes=4, pause=0.5)
        finally:
            stop.set()
            writer.join()
        assert errors == [] and during.resealed > 0
        assert rotator.rotate_secrets().left.old == 0
    for stack_id, resource_id in rows:
        assert engine.get_resource(resource_id).attributes == {"password": last[resource_id]}
        assert engine.get_stack(stack_id).spec.parameters == {"pw": HIDDEN}
    assert opened_by(read_keys(key_file)[1], raw_database(db_url)) == 0
