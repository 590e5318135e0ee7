"""The emulated Glance v2: ``api`` serves the seeded images (its names re-exported
here), ``schemas`` holds the JSON schemas it answers with."""

from crossheat.emulator.glance.api import KIND, find_image, router, seed

__all__ = ["KIND", "find_image", "router", "seed"]
