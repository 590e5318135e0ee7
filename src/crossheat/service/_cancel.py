"""Cancelling an operation that still waits in the job queue (PostgreSQL, private to the
service): it is taken out of the queue instead of being started only to be stopped.

    if cancel_queued(store, stack, rollback=True):    # Heat's cancel_update
        ...                                           # ROLLBACK_COMPLETE, nothing changed

What the stack becomes is what Heat shows after the same cancel, the operation having
changed nothing in any cloud:

- ``cancel_update`` (an update, rolled back): UPDATE_FAILED "Stack UPDATE cancelled",
  ROLLBACK_IN_PROGRESS, then ROLLBACK_COMPLETE, the previous template current again;
- ``cancel_without_rollback`` of an update: UPDATE_FAILED, the previous template
  current again (nothing of the new one was applied);
- ``cancel_without_rollback`` of a create: CREATE_FAILED, no resource made; the stack
  stays listed, to be deleted or updated, as Heat keeps a failed create.

An operation a worker has taken, or one queued again after it had begun (a resume),
is not removed: the cancel request reaches it through the lock, as any running one.
"""

from __future__ import annotations

from crossheat.store import Action, StackRecord, Status, Store
from crossheat.store.jobs import TASK
from crossheat.store.locks import QUEUED_PREFIX

NOT_STARTED = "cancelled while queued, before it started: nothing was changed"


def cancel_queued(store: Store, stack: StackRecord, *, rollback: bool) -> bool:
    """Take the stack's operation out of the job queue if no worker has begun it, and
    record the stack as Heat would after the cancel (see the module's doc); False when
    there is none such (the operation runs, or no queue is used)."""
    lock = store.get_lock(stack.id)
    marker = lock.engine_id or ""
    if not marker.startswith(QUEUED_PREFIX):
        return False
    operation = Action(lock.operation or stack.action.value)
    if operation not in (Action.CREATE, Action.UPDATE):
        return False
    states: list[tuple[Action, Status, str]] = [
        (operation, Status.FAILED, f"Stack {operation} {NOT_STARTED}")
    ]
    if rollback and operation is Action.UPDATE:
        states += [
            (Action.ROLLBACK, Status.IN_PROGRESS, "Stack ROLLBACK started"),
            (
                Action.ROLLBACK, Status.COMPLETE,
                "Rollback completed: the stack is back to its previous template",
            ),
        ]  # fmt: skip
    restore = operation is Action.UPDATE
    return store.cancel_queued(stack.id, marker, TASK, states, restore_previous=restore)
