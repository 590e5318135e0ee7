"""A detached engine process: ``python -m crossheat.worker ACTION STACK_ID``.

``crossheat stack create`` without ``--wait`` records the stack and starts
this, so the command returns at once while the operation goes on.
"""

from __future__ import annotations

import sys

from crossheat.service import Service
from crossheat.store import Action


def main(argv: list[str]) -> int:
    action, stack_id = Action(argv[0]), argv[1]
    service = Service()
    stacks = service.stacks()
    stack = stacks.store.get_stack(stack_id)
    stacks.run(stack, action)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
