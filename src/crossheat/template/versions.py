"""HOT versions: every accepted ``heat_template_version`` and its aliases.

SUPPORTED_VERSIONS["pike"]        # "2017-09-01"
at_least("2016-10-14", "2015-10-15")  # True
describe("2017-09-01")            # "2017-09-01 (pike)"
"""

from __future__ import annotations

from typing import Final

VERSIONS: Final = (
    "2013-05-23",
    "2014-10-16",
    "2015-04-30",
    "2015-10-15",
    "2016-04-08",
    "2016-10-14",
    "2017-02-24",
    "2017-09-01",
    "2018-03-02",
    "2018-08-31",
    "2021-04-16",
)

#: Release names Heat accepts as versions (setup.cfg ``heat.templates``).
ALIASES: Final = {
    "newton": "2016-10-14",
    "ocata": "2017-02-24",
    "pike": "2017-09-01",
    "queens": "2018-03-02",
    "rocky": "2018-08-31",
    "wallaby": "2021-04-16",
}

#: Every accepted version string or alias -> canonical date.
SUPPORTED_VERSIONS: Final[dict[str, str]] = {v: v for v in VERSIONS} | ALIASES

CONDITIONS_SINCE: Final = "2016-10-14"
MODULO_SINCE: Final = "2017-02-24"
TAGS_SINCE: Final = "2018-03-02"


def canonical(version: str) -> str | None:
    """The canonical date of a version string or alias, ``None`` if unknown."""
    return SUPPORTED_VERSIONS.get(version)


def at_least(version: str, since: str) -> bool:
    """True when canonical ``version`` is ``since`` or newer."""
    return VERSIONS.index(version) >= VERSIONS.index(since)


def describe(version: str) -> str:
    """``"2017-09-01 (pike)"``; a date without alias stays as it is."""
    names = [alias for alias, date in ALIASES.items() if date == version]
    return f"{version} ({names[0]})" if names else version
