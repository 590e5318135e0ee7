"""The region map: which cloud and region each template region is, and its names.

    regions:
      East:
        cloud: onprem          # entry in clouds.yaml
        region_name: RegionOne # region inside that cloud (defaults to the key)
        images:  {cirros: cirros-0.6.2-x86_64}
        flavors: {m1.small: m1.small}
        host_classes:          # logical host classes: a server's flavor may name one
          baremetal: {flavor: baremetal.general, availability_zone: baremetal}
          general: m1.small    # just a flavor
      West:
        cloud: provider
        credentials: caller    # act with the API caller's token (default: service)
        host_classes:
          baremetal: {flavor: m1.large}   # a VM here
    default_region: East
    credentials: service       # the regions' default (service: clouds.yaml's identity)

Found at ``--region-map FILE``, else ``$CROSSHEAT_REGION_MAP``, else
``$XDG_CONFIG_HOME/crossheat/regions.yaml`` (``~/.config`` when unset).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from crossheat.errors import ConfigError, TemplatePath
from crossheat.yamlmarks import ConfigReader, SourceMap

if TYPE_CHECKING:
    from openstack.config.loader import OpenStackConfig

ENV_VAR = "CROSSHEAT_REGION_MAP"
REGION_KEYS = ("cloud", "region_name", "images", "flavors", "credentials", "host_classes")
HOST_CLASS_KEYS = ("flavor", "availability_zone")
TOP_KEYS = ("regions", "default_region", "credentials")

#: ``credentials:`` values: act in the region with the cloud's ``clouds.yaml`` identity
#: (the service's), or, in a server, with the API caller's Keystone token.
SERVICE = "service"
CALLER = "caller"
CREDENTIALS = (SERVICE, CALLER)

#: The region of resources that name none, when no region map's ``default_region`` says one.
IMPLICIT_REGION = "default"


@dataclass(frozen=True)
class HostClass:
    """What a logical host class (``baremetal``, ``gpu``...) is in one region: a flavor
    of that region (bare-metal or not) and, optionally, the availability zone to boot in."""

    flavor: str
    availability_zone: str | None = None

    def as_data(self) -> str | dict[str, str]:
        if self.availability_zone is None:
            return self.flavor
        return {"flavor": self.flavor, "availability_zone": self.availability_zone}


@dataclass(frozen=True)
class RegionSpec:
    """One template region: a region of a ``clouds.yaml`` cloud, and its name tables."""

    name: str
    cloud: str
    region_name: str
    images: dict[str, str] = field(default_factory=dict)
    flavors: dict[str, str] = field(default_factory=dict)
    #: Who the engine acts as in the region: ``SERVICE`` (the cloud's ``clouds.yaml``
    #: credentials) or ``CALLER`` (a server's API caller, with their Keystone token).
    credentials: str = SERVICE
    #: Logical host class -> what it is here (a server whose ``flavor`` names the class).
    host_classes: dict[str, HostClass] = field(default_factory=dict)

    @property
    def as_caller(self) -> bool:
        return self.credentials == CALLER

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"cloud": self.cloud, "region_name": self.region_name}
        if self.images:
            out["images"] = dict(self.images)
        if self.flavors:
            out["flavors"] = dict(self.flavors)
        if self.credentials != SERVICE:
            out["credentials"] = self.credentials
        if self.host_classes:
            out["host_classes"] = {k: v.as_data() for k, v in self.host_classes.items()}
        return out


@dataclass
class RegionMap:
    """Template region name -> ``RegionSpec``; ``source`` is the file it came from."""

    regions: dict[str, RegionSpec]
    default_region: str | None = None
    source: str | None = None

    def region_for(self, name: str | None) -> RegionSpec:
        """The region called ``name``; ``None`` means the default region."""
        if name is None:
            if self.default_region is None:
                raise ConfigError(
                    f"{self._where()}: a resource names no region and the region map "
                    "has no default_region"
                )
            name = self.default_region
        try:
            return self.regions[name]
        except KeyError:
            known = ", ".join(sorted(self.regions)) or "none"
            raise ConfigError(
                f"{self._where()}: unknown region {name!r} (known regions: {known})"
            ) from None

    def key_of(self, region_name: str) -> str | None:
        """The one region whose cloud region is ``region_name`` (what Heat's
        ``context: {region_name: ...}`` names), or None when none or several are."""
        keys = [k for k, spec in self.regions.items() if spec.region_name == region_name]
        return keys[0] if len(keys) == 1 else None

    def resolve_image(self, region: str | None, logical: str) -> str:
        """The region's own image name for ``logical`` (``logical`` itself if unmapped)."""
        return self.region_for(region).images.get(logical, logical)

    def resolve_flavor(self, region: str | None, logical: str) -> str:
        """The region's own flavor name for ``logical``: the flavor of the host class it
        names there, else its ``flavors`` entry, else ``logical`` itself."""
        spec = self.region_for(region)
        if logical in spec.host_classes:
            return spec.host_classes[logical].flavor
        return spec.flavors.get(logical, logical)

    def host_zone(self, region: str | None, logical: str) -> str | None:
        """The availability zone of the host class ``logical`` names in the region (None:
        not a class there, or a class with no zone)."""
        found = self.region_for(region).host_classes.get(logical)
        return None if found is None else found.availability_zone

    @property
    def host_classes(self) -> dict[str, list[str]]:
        """Every host class any region offers -> the regions offering it (sorted)."""
        out: dict[str, list[str]] = {}
        for name in sorted(self.regions):
            for logical in self.regions[name].host_classes:
                out.setdefault(logical, []).append(name)
        return out

    def validate_clouds(
        self, config: OpenStackConfig | None = None, regions: set[str] | None = None
    ) -> list[str]:
        """Problems found checking every region against ``clouds.yaml`` (no network).

        Uses openstacksdk's own loader: the cloud must exist and the region must be
        one the cloud lists (when it lists any). Credentials are checked on first use.
        """
        from keystoneauth1.exceptions import ClientException
        from openstack.config.loader import OpenStackConfig
        from openstack.exceptions import ConfigException

        problems: list[str] = []
        if config is None:
            try:
                config = OpenStackConfig()
            except (ConfigException, yaml.YAMLError, OSError) as exc:
                return [f"clouds.yaml: {exc}"]
        for name, spec in self.regions.items():
            if regions is not None and name not in regions:
                continue
            try:
                config.get_one(cloud=spec.cloud, region_name=spec.region_name)
            except (ConfigException, ClientException) as exc:
                problems.append(f"region {name} (cloud {spec.cloud!r}): {exc}")
        return problems

    @classmethod
    def from_mapping(cls, data: Any, source: str = "<region map>") -> RegionMap:
        """The map from its data (``as_dict()``, as a stack stores it), checked as
        ``parse_region_map`` checks the file: ``ConfigError`` listing every problem."""
        return _read(ConfigReader(data, SourceMap(source), {}, "region map", []), source)

    def as_dict(self) -> dict[str, Any]:
        """The map as plain data (what a stack stores), loadable by ``from_mapping``."""
        data: dict[str, Any] = {
            "regions": {name: spec.as_dict() for name, spec in self.regions.items()}
        }
        if self.default_region is not None:
            data["default_region"] = self.default_region
        return data

    def dump(self) -> str:
        """The map as region-map YAML, loadable by ``parse_region_map``."""
        return yaml.safe_dump(self.as_dict(), sort_keys=False, default_flow_style=False)

    def save(self, path: str | Path | None = None) -> Path:
        """Write ``dump()`` to ``path`` (default: where ``load_region_map`` looks)."""
        target = region_map_path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(self.dump(), encoding="utf-8")
        return target

    def _where(self) -> str:
        return self.source or "region map"


def resource_region(region: str | None, region_map: RegionMap | None) -> str:
    """The region a resource goes to: the one it names with ``region:``, else the
    region map's ``default_region``, else ``IMPLICIT_REGION``."""
    default = region_map.default_region if region_map is not None else None
    if region is not None and region_map is not None and region not in region_map.regions:
        return region_map.key_of(region) or region
    return region or default or IMPLICIT_REGION


def default_region_map_path() -> Path:
    """``$XDG_CONFIG_HOME/crossheat/regions.yaml``, or under ``~/.config``."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "crossheat" / "regions.yaml"


def region_map_path(path: str | Path | None = None) -> Path:
    """``path`` if given, else ``$CROSSHEAT_REGION_MAP``, else the default path."""
    if path:
        return Path(path).expanduser()
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    return default_region_map_path()


def load_region_map(path: str | Path | None = None) -> RegionMap:
    """Read and check the region map (see ``region_map_path`` for where)."""
    target = region_map_path(path)
    try:
        text = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"region map {target} not found (pass --region-map FILE, set {ENV_VAR}, "
            f"or write {default_region_map_path()})"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read region map {target}: {exc}") from exc
    return parse_region_map(text, str(target))


def parse_region_map(text: str, file: str = "<region map>") -> RegionMap:
    """Parse region-map YAML; raises ``ConfigError`` listing every problem with its line."""
    return _read(ConfigReader.load(text, file, "region map"), file)


def _read(reader: ConfigReader, file: str) -> RegionMap:
    """The map ``reader`` holds, every problem with it raised at once."""
    root = reader.mapping(reader.root, (), TOP_KEYS)
    regions: dict[str, RegionSpec] = {}
    credentials = _credentials(reader, root, ()) or SERVICE
    if "regions" not in root:
        reader.problem((), "missing 'regions'")
    else:
        for name, value in reader.items(root["regions"], ("regions",)).items():
            spec = _parse_region(reader, name, value, credentials)
            if spec is not None:
                regions[name] = spec
    default = None
    if "default_region" in root:
        default = reader.string(root["default_region"], ("default_region",))
        if default is not None and default not in regions and reader.ok:
            known = ", ".join(sorted(regions))
            reader.problem(
                ("default_region",), f"default_region {default!r} is not a region ({known})"
            )
    elif len(regions) == 1:
        default = next(iter(regions))
    reader.raise_problems()
    return RegionMap(regions, default, file)


def _credentials(reader: ConfigReader, fields: dict[str, Any], path: TemplatePath) -> str | None:
    """The ``credentials:`` value at ``path`` (None when absent or wrong: a problem then)."""
    if "credentials" not in fields:
        return None
    where = (*path, "credentials")
    value = reader.string(fields["credentials"], where)
    if value is not None and value not in CREDENTIALS:
        reader.problem(
            where,
            f"{reader.where(where)}: {value!r} is not one of {', '.join(CREDENTIALS)}: "
            f"write '{SERVICE}' to act with the cloud's clouds.yaml credentials, or "
            f"'{CALLER}' to act with the API caller's Keystone token (crossheat serve)",
        )
        return None
    return value


def _parse_region(
    reader: ConfigReader, name: str, value: Any, credentials: str = SERVICE
) -> RegionSpec | None:
    path = ("regions", name)
    fields = reader.mapping(value, path, REGION_KEYS)
    if "cloud" not in fields:
        reader.problem(path, f"regions.{name}: missing 'cloud' (the clouds.yaml entry)")
        return None
    cloud = reader.string(fields["cloud"], (*path, "cloud"))
    region_name = name
    if "region_name" in fields:
        region_name = reader.string(fields["region_name"], (*path, "region_name")) or name
    images = reader.string_table(fields.get("images"), (*path, "images"))
    flavors = reader.string_table(fields.get("flavors"), (*path, "flavors"))
    credentials = _credentials(reader, fields, path) or credentials
    classes = _host_classes(reader, fields.get("host_classes"), (*path, "host_classes"))
    if cloud is None:
        return None
    return RegionSpec(name, cloud, region_name, images, flavors, credentials, classes)


def _host_classes(reader: ConfigReader, value: Any, path: TemplatePath) -> dict[str, HostClass]:
    """``host_classes:``: class -> a flavor name, or ``{flavor, availability_zone}``."""
    classes: dict[str, HostClass] = {}
    if value is None and path not in reader.source.marks:
        return classes
    for logical, item in reader.items(value, path).items():
        where = (*path, logical)
        if not isinstance(item, dict):
            flavor = reader.string(item, where)
            if flavor is not None:
                classes[logical] = HostClass(flavor)
            continue
        fields = reader.mapping(item, where, HOST_CLASS_KEYS)
        if "flavor" not in fields:
            reader.problem(where, f"{reader.where(where)}: missing 'flavor' (the region's flavor)")
            continue
        flavor = reader.string(fields["flavor"], (*where, "flavor"))
        zone = None
        if "availability_zone" in fields:
            zone = reader.string(fields["availability_zone"], (*where, "availability_zone"))
        if flavor is not None:
            classes[logical] = HostClass(flavor, zone)
    return classes
