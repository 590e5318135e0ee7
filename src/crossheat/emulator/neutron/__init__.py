"""The emulated Neutron v2.0 with VPNaaS, one module per part.

- ``api``: the service's routes, its seed data, and the calls Nova wires ports with
  (re-exported here: what the rest of the emulator uses);
- ``base`` (what every collection shares) and ``routes`` (a collection's HTTP routes);
- ``networks`` (networks, subnets), ``ports``, ``l3`` (routers, floating IPs),
  ``secgroups``, ``vpn`` (VPN services, policies, endpoint groups), ``vpn_tunnels``
  (IPsec site connections), ``ipam`` (address arithmetic).
"""

from crossheat.emulator.neutron.api import (
    allocate_server_port,
    list_all,
    network_name,
    release_server_ports,
    router,
    seed,
)

__all__ = [
    "allocate_server_port",
    "list_all",
    "network_name",
    "release_server_ports",
    "router",
    "seed",
]
