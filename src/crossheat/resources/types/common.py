"""Schema pieces that several resource types share."""

from __future__ import annotations

from crossheat.resources.constraints import CustomConstraint
from crossheat.resources.schema import Property
from crossheat.resources.schema import PropertyType as T

NETWORK = CustomConstraint("neutron.network")
SUBNET = CustomConstraint("neutron.subnet")
ROUTER = CustomConstraint("neutron.router")
PORT = CustomConstraint("neutron.port")
SECURITY_GROUP = CustomConstraint("neutron.security_group")
QOS_POLICY = CustomConstraint("neutron.qos_policy")
IP_ADDR = CustomConstraint("ip_addr")
NET_CIDR = CustomConstraint("net_cidr")
MAC_ADDR = CustomConstraint("mac_addr")

TAGS = Property(T.LIST, "Tags to add.", items=Property(T.STRING), update_allowed=True)
VALUE_SPECS = Property(
    T.MAP, "Extra parameters to include in the request.", default={}, update_allowed=True
)
