"""A detached engine process: ``python -m crossheat.worker ACTION STACK_ID ENGINE_ID``.

``crossheat stack create`` without ``--wait`` records the stack and starts
this (``LocalExecutor``), so the command returns at once while the operation
goes on. The worker takes the lock over and runs the operation from the
stack's stored content: the files it was created from are not read again. Its output
goes nowhere; with ``CROSSHEAT_LOG_FILE`` it logs there (``CROSSHEAT_LOG_FORMAT``).
"""

from __future__ import annotations

import os
import sys

from crossheat.service import Action, Service, log_setup, run_in_process


def main(argv: list[str]) -> int:
    action, stack_id, handed_by = Action(argv[0]), argv[1], argv[2]
    if os.environ.get("CROSSHEAT_LOG_FILE"):  # its output goes nowhere: logs go there
        log_setup()
    with Service() as service:
        engine_id = service.take_over(stack_id, handed_by)
        run_in_process(service, stack_id, action, engine_id)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
