"""crossheat: one HOT template, one stack, many OpenStack regions."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("crossheat")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = ["__version__"]
