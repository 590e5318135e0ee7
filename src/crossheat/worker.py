"""A detached engine process: ``python -m crossheat.worker ACTION STACK_ID ENGINE_ID``.

``crossheat stack create`` without ``--wait`` records the stack and starts
this, so the command returns at once while the operation goes on.
"""

from __future__ import annotations

import sys

from crossheat.service import Service
from crossheat.store import Action
from crossheat.store.locks import new_engine_id


def main(argv: list[str]) -> int:
    action, stack_id, handed_by = Action(argv[0]), argv[1], argv[2]
    stacks = Service().stacks()
    engine_id = new_engine_id()
    stacks.store.hand_over_lock(stack_id, handed_by, engine_id)
    stacks.run(stacks.store.get_stack(stack_id), action, engine_id=engine_id)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
