"""Browser tests of the dashboard: Playwright (Python) driving Debian's Chromium headless.

``make test`` installs the ``chromium`` package with apt-get when /usr/bin/chromium is
missing; Playwright's own browser download is never used (no ``playwright install``): the
browser is launched from ``executable_path``. One browser per test module (Playwright's
loop is stopped before other modules' tests run); each test gets a fresh context and page.

- ``browser``: the Chromium of the module.
- ``page``: a new page at 1280x800 (its context closed after the test).
- ``screenshot(page, name)``: saves ``tests/ui/artifacts/NAME.png`` and returns its path.
- ``dashboard``: ``crossheat serve --auth none`` on a free port with the emulator (East,
  West), for the module; ``dashboard.url``, ``dashboard.world``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from benchmarks.ui_standin import CHROMIUM, CHROMIUM_ARGS
from playwright.sync_api import Browser, Page, sync_playwright

from tests.e2e.conftest import World, start_emulator
from tests.e2e.serving import serving

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
VIEWPORT = {"width": 1280, "height": 800}
#: How long the emulator takes to build a server (s), in the ``dashboard`` fixture.
SERVER_BUILD_S = 8


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Per module, not per session: Playwright's sync API keeps an asyncio loop running in
    # the thread until it stops, and the tests after it in the same (xdist) process call
    # asyncio.run (Service.run_here), which a running loop refuses.
    if not CHROMIUM.exists():  # `make test` installs it; a bare pytest run may not have it
        pytest.skip(f"{CHROMIUM} is missing: `make test` installs Debian's chromium (apt-get)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    context.set_default_timeout(15_000)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield opened
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def screenshot() -> Callable[[Page, str], Path]:
    def save(page: Page, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save


@dataclass
class Dashboard:
    url: str
    world: World


@contextmanager
def served_with_emulator(
    tmp: Path, *serve_args: str, server_build_s: float = SERVER_BUILD_S
) -> Iterator[tuple[str, World]]:
    """``crossheat serve SERVE_ARGS`` with the emulator's East and West behind it, on
    SQLite, in a world of its own under ``tmp`` (as ``tests/e2e``'s ``world`` fixture
    builds one): the server's URL and the world."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OS_", "CROSSHEAT_"))}
    env.update(
        XDG_CONFIG_HOME=str(tmp / "config"),
        XDG_STATE_HOME=str(tmp / "state"),
        XDG_DATA_HOME=str(tmp / "data"),
        OS_CLIENT_CONFIG_FILE=str(tmp / "config" / "openstack" / "clouds.yaml"),
        PYTHONWARNINGS="ignore",
    )
    world = World(tmp, env, db_url=f"sqlite:///{tmp / 'data' / 'crossheat' / 'crossheat.db'}")
    # Servers take server_build_s to build (by default long enough for a page opened
    # right after a create started to see it in progress).
    start_emulator(world, latency=f"default=0.02,server={server_build_s}")
    try:
        with serving(world, *serve_args, log=tmp / "serve.log") as server:
            yield server.url, world
    finally:
        world.crossheat("emulator", "stop", check=False)


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    """``crossheat serve --auth none`` with the emulator (``served_with_emulator``)."""
    with served_with_emulator(tmp_path_factory.mktemp("dashboard"), "--auth", "none") as served:
        yield Dashboard(*served)
