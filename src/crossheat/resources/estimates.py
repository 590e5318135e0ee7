"""Estimated seconds each resource type takes to create: critical paths, splits, first polls,
which resources start first.

Rough figures from typical OpenStack clouds; only their proportions matter
(servers dominate, policies are instant).
"""

from __future__ import annotations

from collections.abc import Mapping

DURATIONS: Mapping[str, float] = {
    "OS::Neutron::Net": 1.0,
    "OS::Neutron::Subnet": 1.0,
    "OS::Neutron::Router": 2.0,
    "OS::Neutron::RouterInterface": 1.0,
    "OS::Neutron::Port": 1.0,
    "OS::Neutron::FloatingIP": 1.0,
    "OS::Neutron::FloatingIPAssociation": 1.0,
    "OS::Neutron::SecurityGroup": 0.5,
    "OS::Neutron::SecurityGroupRule": 0.5,
    "OS::Neutron::VPNService": 2.0,
    "OS::Neutron::IKEPolicy": 0.5,
    "OS::Neutron::IPsecPolicy": 0.5,
    "OS::Neutron::IPsecSiteConnection": 3.0,
    "OS::Nova::Server": 10.0,
    "OS::Nova::KeyPair": 0.5,
    "OS::Heat::RandomString": 0.0,
    "OS::Heat::Value": 0.0,
    "OS::Heat::None": 0.0,
    "OS::Heat::TestResource": 0.0,
    "OS::Heat::ResourceGroup": 1.0,
}

#: For types not in the table (template resources, plugins).
DEFAULT_DURATION = 1.0


def estimate(resource_type: str) -> float:
    return DURATIONS.get(resource_type, DEFAULT_DURATION)


def calls_cloud(resource_type: str) -> bool:
    """False for the types that take no time because they make no cloud call
    (``OS::Heat::RandomString``...); True for the others, unknown types included."""
    return estimate(resource_type) > 0
