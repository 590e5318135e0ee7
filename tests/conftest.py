"""Every test runs apart from the machine it runs on.

A developer's shell often has ``OS_CLIENT_CONFIG_FILE``, ``OS_AUTH_URL``...
set for a real cloud, or ``CROSSHEAT_*`` for their own state. openstacksdk
reads ``OS_CLIENT_CONFIG_FILE`` before any file it is given, so a test's
clouds.yaml entry would lose to theirs. For the whole session those variables
are removed and the XDG homes point into a temporary directory.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session", autouse=True)
def _apart_from_this_machine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    saved = dict(os.environ)
    for key in list(os.environ):
        if key.startswith(("OS_", "CROSSHEAT_")):
            del os.environ[key]
    home = tmp_path_factory.mktemp("home")
    for variable in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        os.environ[variable] = str(home / variable.lower())
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
