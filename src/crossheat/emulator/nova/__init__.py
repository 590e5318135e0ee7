"""The emulated Nova v2.1, one module per part.

- ``api``: the service's routes (``router``, re-exported here);
- ``servers`` (servers and their life), ``actions`` (resize, rebuild, reboot...),
  ``interfaces`` (port interfaces), ``flavors`` (flavors, microversions),
  ``keypairs``.
"""

from crossheat.emulator.nova.api import router

__all__ = ["router"]
