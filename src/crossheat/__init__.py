"""crossheat: one HOT template, one stack, many OpenStack regions."""

from __future__ import annotations

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    # The version is read from the package metadata only when asked for
    # (importlib.metadata costs every command ~20 ms).
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("crossheat")
        except PackageNotFoundError:  # pragma: no cover - running from a source tree
            return "0.0.0"
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
