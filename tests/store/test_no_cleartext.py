"""The database never holds a secret in clear text: checked on the raw bytes."""

from __future__ import annotations

from crossheat.store import Action, StackSpec, Status, Store
from tests.sealed import raw_database

HIDDEN = "Hidden-Param-Value-7f3a"
PROPERTY = "Secret-Property-Value-91bc"
ATTRIBUTE = "Secret-Attribute-Value-c2d4"
SECRETS = (HIDDEN, PROPERTY, ATTRIBUTE)


def _write_everything(store: Store) -> None:
    spec = StackSpec(
        template={"parameters": {"db_password": {"type": "string", "hidden": True}}},
        parameters={"db_password": HIDDEN},
        hidden_parameters=frozenset({"db_password"}),
        environment={"parameter_defaults": {"db_password": HIDDEN}},
    )
    stack = store.create_stack("vpn", "p1", spec)
    store.save_template_for_update(stack.id, spec)  # the previous spec holds it too
    res = store.upsert_resource(
        stack.id, "vm", "OS::Nova::Server",
        properties={"admin_pass": PROPERTY}, secret_paths=["admin_pass"],
    )  # fmt: skip
    store.set_attributes(res.id, {"password": ATTRIBUTE}, ["password"])
    reason = f"failed with {HIDDEN} {PROPERTY} {ATTRIBUTE}"
    store.set_resource_status(res.id, Action.CREATE, Status.FAILED, reason)
    store.update_stack_status(stack.id, Action.CREATE, Status.FAILED, reason)
    store.add_event(stack.id, "vm", Action.CREATE, Status.FAILED, reason)
    assert store.get_resource(res.id).properties["admin_pass"] == PROPERTY


def test_the_database_holds_no_secret_in_clear(store: Store, db_url: str) -> None:
    _write_everything(store)
    raw = raw_database(db_url)
    assert b"admin_pass" in raw  # the data is there ...
    for secret in SECRETS:
        assert secret.encode() not in raw  # ... but no secret in clear text


DERIVED = "Derived-Name-4b8e"
ENV = "Env-Given-Value-0c3d"


def test_what_a_secret_reached_is_sealed_without_being_marked(store: Store, db_url: str) -> None:
    """Once the store knows a secret text, every value holding it is sealed: properties,
    attributes, progress (as written by a resource type that knows nothing of secrets),
    a hidden parameter's template default and the environment file that gives it."""
    spec = StackSpec(
        template={"parameters": {"name": {"type": "string", "hidden": True, "default": HIDDEN}}},
        environment={
            "sources": [{"name": "e.yaml", "text": f"parameters: {{x: {ENV}}}", "secret": True}]
        },
        hidden_parameters=frozenset({"name"}),
    )
    stack = store.create_stack("vpn", "p1", spec)
    store.remember_secrets(stack.id, [DERIVED])
    res = store.upsert_resource(
        stack.id, "vm", "OS::Nova::Server", properties={"name": DERIVED, "size": 1}
    )
    store.start_action(res.id, Action.CREATE, {"operation": "create"},
                       properties={"name": DERIVED, "nested": {"d": f"vm {DERIVED}"}})  # fmt: skip
    store.set_progress(res.id, {"name": DERIVED, "polls": 1})
    store.set_attributes(res.id, {"name": DERIVED, "show": {"name": DERIVED, "id": "x"}})
    raw = raw_database(db_url)
    for secret in (HIDDEN, ENV, DERIVED):
        assert secret.encode() not in raw
    record = store.get_resource(res.id)
    assert record.properties == {"name": DERIVED, "nested": {"d": f"vm {DERIVED}"}}
    assert record.progress == {"name": DERIVED, "polls": 1}
    assert record.attributes["show"] == {"name": DERIVED, "id": "x"}
    assert set(record.secret_paths) == {
        ("properties", "name"), ("properties", "nested", "d"),
        ("attributes", "name"), ("attributes", "show", "name"),
    }  # fmt: skip
    opened = store.get_stack(stack.id).spec
    assert opened.template["parameters"]["name"]["default"] == HIDDEN
    assert ENV in opened.environment["sources"][0]["text"]
    assert opened.hidden_parameters == {"name"}
