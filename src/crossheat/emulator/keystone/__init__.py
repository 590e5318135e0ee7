"""The emulated Keystone v3, one module per part.

- ``api``: discovery, tokens, the catalog (``router`` and ``project_id``, re-exported here);
- ``identity`` (users, projects, roles and their checks) and ``crud`` (their routes).
"""

from crossheat.emulator.keystone.api import project_id, router

__all__ = ["project_id", "router"]
