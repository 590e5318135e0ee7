"""A resource group's create or update, batch by batch: resumable, and undone on failure.

Everything lives in the group's ``progress``, which the group records (through
``ctx.save_progress``) before and after each member's call, so an engine that
dies anywhere resumes where it was: ``progress["members"]`` holds each member
(see ``group_members``) and ``progress["op"]`` the operation::

    {"kind": "update", "key": ..., "mode": "batches", "batches": [[3, 1], [3, 1], ...],
     "index": 1, "phase": "poll", "target": {"0": "old", "1": "new", "2": "new"},
     "retire": [...], "pause": 0.5, "count": 2, "removed": [], "before": ["0", "1"]}

Each batch runs its phases: ``start`` (the members of the batch's ``target`` get
their definition: created, updated in place or replaced; the others are set to
be deleted), ``poll`` (until each is ready), ``retire`` (deleting the members no
longer wanted and the old selves of replaced ones), then ``pause``. With no
``rolling_update``/``batch_create`` policy there is one batch holding every member.

When an update fails, the members under way are let finish (``drain``), then one
last batch puts the members back as they were before the update (``revert``):
the ones it created go, the ones it changed in place are changed back, the
replaced ones come back (their old selves when not deleted yet); then the
group fails with the first error. A create that fails just fails: the stack's
rollback deletes the group and all its members.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import secrets
import time
from collections.abc import Callable, Mapping
from typing import Any

from crossheat.errors import CrossheatError, ResourceFailed
from crossheat.resources.lifecycle import Done, Pending, ResourceContext, Step
from crossheat.resources.types import group_members as gm
from crossheat.resources.types.group_batches import batch_members

#: The group's properties by definition marker: ``{"old": before, "new": after}``.
Definitions = Mapping[str, Mapping[str, Any]]


def operation_key(salt: str, *values: Any) -> str:
    """A digest of the operation's inputs (secrets included, so salted): an engine that
    resumes the same operation carries on, anything else starts afresh."""
    text = json.dumps(values, sort_keys=True, default=str)
    return hashlib.sha256(f"{salt}:{text}".encode()).hexdigest()


def resumable(progress: Mapping[str, Any], kind: str, *values: Any) -> bool:
    """True when ``progress`` holds this very operation, not finished and not failed."""
    op = progress.get("op")
    if not isinstance(op, dict) or op.get("kind") != kind or op.get("reported"):
        return False
    return bool(op.get("key") == operation_key(op.get("salt", ""), kind, *values))


def new_operation(kind: str, *values: Any, **fields: Any) -> dict[str, Any]:
    salt = secrets.token_hex(8)
    op: dict[str, Any] = {"kind": kind, "salt": salt, "key": operation_key(salt, kind, *values)}
    op.update(index=0, phase="start", target=None, retire=[], pause=0.0, error=None)
    op.update(fields)
    return op


def usable_names(removed: set[str], count: int) -> list[str]:
    """The first ``count`` names, ``"0"``, ``"1"``, ..., skipping the removed ones."""
    names = itertools.filterfalse(removed.__contains__, map(str, itertools.count()))
    return list(itertools.islice(names, count))


def by_index(name: str) -> tuple[int, str]:
    return (int(name), name) if name.isdigit() else (-1, name)


class Rollout:
    """Carries the operation in ``ctx.progress`` on, one step at a time.

    ``definitions`` gives each member's properties by marker: ``{"old": props,
    "new": props}`` (the group's properties before and after), ``member_props``
    turns group properties into member ``name``'s properties.
    """

    def __init__(
        self,
        ctx: ResourceContext,
        definitions: Definitions,
        member_props: Callable[[Mapping[str, Any], str], dict[str, Any]],
    ) -> None:
        self.ctx = ctx
        self.definitions = definitions
        self.member_props = member_props
        self.members: dict[str, gm.State] = ctx.progress.setdefault("members", {})
        self.op: dict[str, Any] = ctx.progress["op"]
        self.member: str | None = None  # the member being worked on, for error messages

    # ---- definitions --------------------------------------------------------------

    def type_of(self, marker: str) -> str:
        return str(self.definitions[marker]["resource_def"]["type"])

    def props(self, marker: str, name: str) -> dict[str, Any]:
        cls = gm.member_type(self.type_of(marker))
        return cls.with_defaults(self.member_props(self.definitions[marker], name))

    def up_to_date(self, name: str) -> bool:
        state = self.members[name]
        if state["def"] == "new":
            return True
        same_type = state["type"] == self.type_of("new")
        return same_type and self.props(state["def"], name) == self.props("new", name)

    def taken(self) -> set[str]:
        ids = {m.get("id") for m in self.members.values()}
        ids |= {m.get("id") for m in self.op["retire"]}
        return {i for i in ids if i}

    def save(self) -> None:
        self.ctx.save_progress()

    # ---- the phases ---------------------------------------------------------------

    def advance(self) -> Step:
        """Go on until a step must wait (``Pending``) or all is done (``Done``)."""
        op = self.op
        while op["phase"] != "done":
            try:
                step = self._phase(op["phase"])
            except CrossheatError as exc:
                step = self._failed(exc)
            if step is not None:
                return step
        if op.get("error"):
            self._report()
            raise ResourceFailed(
                f"{self.ctx.name}: {op['error']}; its members were put back as they were",
                region=self.ctx.region,
            )
        return Done()

    def _phase(self, phase: str) -> Step | None:
        """Run one phase; ``None`` when the next may start at once."""
        if phase == "start":
            self._start_batch()
            self.op["phase"] = "poll"
        elif phase == "poll":
            step = self._poll()
            if isinstance(step, Pending):
                return step
            self.op["phase"] = "retire"
        elif phase == "retire":
            if not gm.retire(self.ctx, self.op["retire"], self.taken()):
                self.save()
                return Pending(gm.POLL_DELAY)
            self._next_batch()
        elif phase == "pause":
            left = float(self.op["pause_until"]) - time.time()
            if left > 0:
                return Pending(left)
            self.op["phase"] = "start"
        elif phase == "drain":
            step = self._drain()
            if isinstance(step, Pending):
                return step
        self.save()
        return None

    def _next_batch(self) -> None:
        op = self.op
        op.update(retire=[], target=None, index=op["index"] + 1)
        if op["index"] >= len(op["batches"]):
            op["phase"] = "done"
        elif op["pause"] > 0:
            op.update(phase="pause", pause_until=time.time() + float(op["pause"]))
        else:
            op["phase"] = "start"

    # ---- start: each member of the batch gets its definition ----------------------

    def target(self) -> dict[str, str]:
        """Member name -> the definition it has during this batch (``"old"``/``"new"``)."""
        op = self.op
        removed = set(op["removed"])
        if op["mode"] == "revert":
            return dict.fromkeys(op["before"], "old")
        if op["mode"] == "all":
            return dict.fromkeys(usable_names(removed, op["count"]), "new")
        capacity, new = op["batches"][op["index"]]
        members = sorted((n for n in self.members if n not in removed), key=by_index)
        stale = {n for n in members if not self.up_to_date(n)}
        names = usable_names(removed, capacity)
        chosen = batch_members(members, stale, names, op["count"], capacity, new)
        return {n: "new" if change else self.members[n]["def"] for n, change in chosen}

    def _start_batch(self) -> None:
        op = self.op
        if op["target"] is None:
            op["target"] = self.target()
            self.save()
        for name in sorted(set(self.members) - set(op["target"]), key=by_index):
            op["retire"].append({**self.members.pop(name), "name": name})
        self.save()
        for name, marker in op["target"].items():
            self.member = name
            self._start_member(name, marker)
        self.member = None

    def _start_member(self, name: str, marker: str) -> None:
        state = self.members.get(name)
        if state is not None and state["def"] == marker:
            if state.get("action") and not state.get("sent"):
                self._send(name, state)  # its intent was recorded, its answer lost
            return
        if self._restore(name, marker) or self._update_in_place(name, state, marker):
            return
        if state is not None:
            self._replace(name, state, self.type_of(marker))
        state = self.members[name] = {"type": self.type_of(marker), "def": marker}
        state.update(action="create", sent=False, done=False)
        self._send(name, state)

    def _update_in_place(self, name: str, state: gm.State | None, marker: str) -> bool:
        """Give the member the definition ``marker`` in place (or nothing, when its
        properties stay the same); False when it must be made anew."""
        if state is None or state["type"] != self.type_of(marker):
            return False
        before, after = self.props(state["def"], name), self.props(marker, name)
        in_place, replace = gm.member_type(state["type"]).classify_update(before, after)
        if replace:
            return False
        if not in_place:
            state.update({"def": marker, "action": None, "sent": True, "done": True})
            self.save()
            return True
        state.update(action="update", changed=sorted(in_place), tried=False, sent=False, done=False)
        state["from"], state["def"] = state["def"], marker
        self._send(name, state)
        return True

    def _send(self, name: str, state: gm.State) -> None:
        marker = state["def"]
        if state["action"] == "create":
            gm.send_create(self.ctx, name, state, self.props(marker, name), self.taken())
        else:
            before, after = self.props(state["from"], name), self.props(marker, name)
            gm.send_update(self.ctx, name, state, before, after, set(state["changed"]))

    def _replace(self, name: str, state: gm.State, new_type: str) -> None:
        """The member's old self goes: at the batch's end, or now for a type whose two
        selves cannot live side by side."""
        old = {**self.members.pop(name), "name": name}
        self.op["retire"].append(old)
        self.save()
        if gm.member_type(new_type).replace_delete_first and old["type"] == new_type:
            gm.delete_now(self.ctx, old, self.taken())
            self.save()

    def _restore(self, name: str, marker: str) -> bool:
        """Put back an old self of ``name`` with this definition that is not being deleted
        yet (when an update that replaced it is undone)."""
        old = next(
            (
                o for o in self.op["retire"]
                if o["name"] == name and o["def"] == marker and o.get("id") and not o.get("started")
            ),
            None,
        )  # fmt: skip
        if old is None:
            return False
        self.op["retire"].remove(old)
        current = self.members.pop(name, None)
        if current is not None:
            self.op["retire"].append({**current, "name": name})
        restored = {k: v for k, v in old.items() if k != "name"}
        self.members[name] = {**restored, "action": None, "sent": True, "done": True}
        self.save()
        return True

    # ---- poll, and failures --------------------------------------------------------

    def _poll(self) -> Step:
        delays = []
        for name in self.op["target"]:
            self.member = name
            step = gm.poll(self.ctx, name, self.members[name])
            if isinstance(step, Pending):
                delays.append(step.delay)
        self.member = None
        self.save()
        return Pending(min([*delays, gm.POLL_DELAY])) if delays else Done()

    def _failed(self, exc: CrossheatError) -> Step | None:
        """An update starts putting its members back; anything else fails now."""
        op = self.op
        where = f"member {self.member}: " if self.member is not None else ""
        self.member = None
        if op["kind"] != "update" or op["mode"] == "revert" or op["phase"] == "drain":
            self._report()
            if op.get("error"):
                raise ResourceFailed(
                    f"{self.ctx.name}: {op['error']}; putting its members back failed too: "
                    f"{where}{exc}",
                    region=self.ctx.region,
                ) from exc
            raise exc
        op.update(error=f"{where}{exc}", phase="drain")
        self.save()
        return None

    def _drain(self) -> Step:
        """Let every member under way finish (or fail), then start putting them back."""
        waiting = False
        for name, state in self.members.items():
            if state.get("done"):
                continue
            if not state.get("sent"):  # its call failed: nothing happened to it
                if state.get("action") == "update":
                    state["def"] = state["from"]
                state["done"] = True
                continue
            try:
                waiting |= isinstance(gm.poll(self.ctx, name, state), Pending)
            except CrossheatError:
                state["done"] = True
        if waiting:
            self.save()
            return Pending(gm.POLL_DELAY)
        before = self.op["before"]
        self.op.update(mode="revert", batches=[[len(before), 0]], index=0, target=None)
        self.op.update(phase="start", pause=0.0)
        return Done()

    def _report(self) -> None:
        """The operation ends in an error the engine records: it is not to be resumed."""
        self.op["reported"] = True
        self.save()
