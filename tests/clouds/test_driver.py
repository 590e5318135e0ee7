"""The driver through a real openstacksdk connection to a scripted server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import email.utils
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from keystoneauth1 import exceptions as ksa_exc
from openstack import exceptions as sdk_exc
from openstack.config.loader import OpenStackConfig
from openstack.connection import Connection

from crossheat.clouds.driver import RegionClients, translate, translated
from crossheat.clouds.regionmap import RegionMap, RegionSpec
from crossheat.clouds.retry import RetryPolicy
from crossheat.errors import (
    CloudAuthError,
    CloudBadRequest,
    CloudConflict,
    CloudError,
    CloudForbidden,
    CloudNotFound,
    CloudQuotaExceeded,
    CloudTransientError,
    ConfigError,
    ResourceFailed,
)
from tests.clouds.fakecloud import REGION, TOKENS, FakeCloud, Reply

# openstacksdk warns about its own future removals (PendingDeprecationWarning)
pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")


NET = "/network/v2.0/networks/n1"
OK = Reply(200, {"network": {"id": "n1", "name": "east-net"}})
REGION_MAP = RegionMap({"East": RegionSpec("East", "fake", REGION)}, default_region="East")


class Harness:
    """A FakeCloud, RegionClients pointed at it, and the backoff sleeps it asked for."""

    def __init__(self, cloud: FakeCloud, config: OpenStackConfig) -> None:
        self.cloud = cloud
        self.config = config
        self.sleeps: list[float] = []
        retry = RetryPolicy(sleep=self.sleeps.append, random=lambda: 1.0)
        self.clients = RegionClients(REGION_MAP, config=config, retry=retry)

    def get_network(self) -> Any:
        return self.clients.call("East", lambda conn: conn.network.get_network("n1"))

    def fail_with(self, *replies: Reply) -> CloudError:
        self.cloud.script("GET", NET, list(replies))
        with pytest.raises(CloudError) as info:
            self.get_network()
        return info.value


@pytest.fixture
def h(tmp_path: Path) -> Iterator[Harness]:
    with FakeCloud() as cloud:
        harness = Harness(cloud, cloud.config(tmp_path))
        yield harness
        harness.clients.close()


def test_transient_errors_are_retried_with_backoff(h: Harness) -> None:
    h.cloud.script("GET", NET, [Reply(503), Reply(502), OK])
    assert h.get_network().name == "east-net"
    assert h.cloud.count("GET", NET) == 3
    assert h.sleeps == [0.5, 1.0]


def test_gives_up_after_eight_attempts(h: Harness) -> None:
    error = h.fail_with(Reply(503, {"message": "neutron is down"}))
    assert type(error) is CloudTransientError
    assert h.cloud.count("GET", NET) == 8
    assert h.sleeps == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert (error.region, error.status_code, error.request_id) == ("East", 503, "req-8")
    assert str(error) == "[East] neutron is down (HTTP 503)"
    assert isinstance(error.__cause__, sdk_exc.HttpException)


@pytest.mark.parametrize(
    ("reply", "kind"),
    [
        (
            Reply(404, {"NeutronError": {"type": "NetworkNotFound", "message": "gone"}}),
            CloudNotFound,
        ),
        (
            Reply(409, {"NeutronError": {"type": "NetworkInUse", "message": "in use"}}),
            CloudConflict,
        ),
        (Reply(409, {"NeutronError": {"type": "OverQuota", "message": "q"}}), CloudQuotaExceeded),
        (Reply(400, {"NeutronError": {"type": "HTTPBadRequest", "message": "b"}}), CloudBadRequest),
        (Reply(403, {"forbidden": {"message": "Quota exceeded for cores"}}), CloudQuotaExceeded),
        (Reply(403, {"forbidden": {"message": "Policy does not allow"}}), CloudForbidden),
        (Reply(413, {"overLimit": {"message": "Maximum number of ports"}}), CloudQuotaExceeded),
        (Reply(501, {"message": "no"}), CloudError),
    ],
)
def test_client_errors_are_translated_and_never_retried(
    h: Harness, reply: Reply, kind: type[CloudError]
) -> None:
    error = h.fail_with(reply)
    assert type(error) is kind
    assert error.status_code == reply.status
    assert h.cloud.count("GET", NET) == 1
    assert h.sleeps == []


def test_401_reauthenticates_once_then_is_an_auth_error(h: Harness) -> None:
    error = h.fail_with(Reply(401, {"error": {"message": "token expired"}}))
    assert type(error) is CloudAuthError
    # keystoneauth fetches a fresh token and repeats the request once; crossheat never retries
    assert h.cloud.count("GET", NET) == 2
    assert h.cloud.count("POST", TOKENS) == 2
    assert h.sleeps == []


def test_server_message_is_kept(h: Harness) -> None:
    error = h.fail_with(
        Reply(409, {"NeutronError": {"type": "InUse", "message": "Network n1 in use"}})
    )
    assert error.message == "Network n1 in use"
    assert error.request_id == "req-1"


def test_openstacksdk_does_not_retry_on_its_own(h: Harness) -> None:
    # openstacksdk's defaults retry image-service 503s five times; crossheat switches that off
    image = "/image/v2/images/i1"
    h.cloud.script("GET", image, [Reply(503, {"message": "glance is down"})])
    with pytest.raises(CloudTransientError):
        h.clients.call("East", lambda conn: conn.image.get_image("i1"))
    assert h.cloud.count("GET", image) == 8  # crossheat's 8 attempts, not 8 x 6
    assert len(h.sleeps) == 7


def test_429_waits_for_retry_after(h: Harness) -> None:
    h.cloud.script("GET", NET, [Reply(429, {"message": "slow down"}, {"Retry-After": "3"}), OK])
    assert h.get_network().id == "n1"
    assert h.sleeps == [3.0]


def test_413_with_retry_after_is_transient(h: Harness) -> None:
    h.cloud.script(
        "GET", NET, [Reply(413, {"overLimit": {"message": "rate"}}, {"Retry-After": "2"}), OK]
    )
    assert h.get_network().id == "n1"
    assert h.sleeps == [2.0]


def test_retry_after_as_http_date(h: Harness) -> None:
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    h.cloud.script("GET", NET, [Reply(429, None, {"Retry-After": when}), OK])
    h.get_network()
    assert 25 < h.sleeps[0] <= 31


def test_too_long_retry_after_is_not_waited_for(h: Harness) -> None:
    error = h.fail_with(Reply(429, None, {"Retry-After": "3600"}))
    assert type(error) is CloudTransientError
    assert error.retry_after == 3600
    assert h.sleeps == []


def test_bad_credentials_are_an_auth_error(h: Harness) -> None:
    h.cloud.script(
        "POST",
        TOKENS,
        [Reply(401, {"error": {"message": "The request you have made requires authentication."}})],
    )
    error = h.fail_with(OK)
    assert type(error) is CloudAuthError
    assert error.status_code == 401
    assert h.cloud.count("POST", TOKENS) == 1


def test_unreachable_cloud_is_transient(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with FakeCloud() as cloud:
        config_file = cloud.clouds_yaml(tmp_path)
    config_file.write_text(config_file.read_text().replace(cloud.url, f"http://127.0.0.1:{port}"))
    sleeps: list[float] = []
    clients = RegionClients(
        REGION_MAP,
        config=OpenStackConfig(config_files=[str(config_file)], load_envvars=False),
        retry=RetryPolicy(sleep=sleeps.append),
    )
    with pytest.raises(CloudTransientError) as info:
        clients.call("East", lambda conn: conn.network.get_network("n1"))
    assert isinstance(info.value.__cause__, ksa_exc.ConnectFailure)
    assert len(sleeps) == 7


def test_other_exceptions_pass_through_untouched(h: Harness) -> None:
    def broken(conn: Connection) -> None:
        raise KeyError("bug")

    with pytest.raises(KeyError):
        h.clients.call("East", broken)
    assert h.sleeps == []


def test_one_connection_per_region_shared_across_threads(h: Harness) -> None:
    h.cloud.script("GET", NET, [OK])
    seen: list[Connection] = []
    threads = [
        threading.Thread(target=lambda: seen.append(h.clients.connection("East"))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(conn) for conn in seen}) == 1
    assert h.clients.connection(None) is seen[0]
    for _ in range(3):
        h.get_network()
    assert h.cloud.count("POST", TOKENS) == 1


def test_acall_retries_without_blocking_the_loop(h: Harness) -> None:
    slow_ok = Reply(200, {"network": {"id": "n1"}}, delay=0.2)
    h.cloud.script("GET", NET, [Reply(503), slow_ok])
    waits: list[float] = []
    ticks = 0

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    async def scenario() -> Any:
        clients = RegionClients(
            REGION_MAP,
            config=h.config,
            retry=RetryPolicy(async_sleep=fake_sleep, random=lambda: 0.5),
        )
        tick_task = asyncio.create_task(ticker())
        try:
            return await clients.acall("East", lambda c, nid: c.network.get_network(nid), "n1")
        finally:
            tick_task.cancel()
            clients.close()

    assert asyncio.run(scenario()).id == "n1"
    assert waits == [0.25]
    assert ticks >= 5  # the event loop kept running during the 0.2 s request


def test_translated_block_raises_cloud_errors_without_retrying(h: Harness) -> None:
    h.cloud.script("GET", NET, [Reply(503, {"message": "busy"})])
    conn = h.clients.connection("East")
    with pytest.raises(CloudTransientError, match="busy") as info, translated("East"):
        conn.network.get_network("n1")
    assert info.value.region == "East"
    assert h.cloud.count("GET", NET) == 1
    with pytest.raises(KeyError), translated("East"):
        raise KeyError("not a cloud error")


def test_unknown_cloud_is_a_config_error(tmp_path: Path) -> None:
    rmap = RegionMap({"East": RegionSpec("East", "nowhere", "R")})
    clients = RegionClients(rmap, config=OpenStackConfig(config_files=[], load_envvars=False))
    with pytest.raises(ConfigError, match="nowhere"):
        clients.connection("East")


def test_unknown_region_is_a_config_error(h: Harness) -> None:
    with pytest.raises(ConfigError, match="known regions: East"):
        h.clients.connection("West")


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (ksa_exc.ConnectFailure("refused"), CloudTransientError),
        (ksa_exc.ConnectTimeout("slow"), CloudTransientError),
        (ksa_exc.SSLError("bad cert"), CloudError),
        (ksa_exc.Unauthorized("nope"), CloudAuthError),
        (sdk_exc.ResourceFailure("server went to ERROR"), ResourceFailed),
        (sdk_exc.ResourceNotFound("gone"), CloudNotFound),
    ],
)
def test_translate_without_a_response(exc: Exception, kind: type[CloudError]) -> None:
    error = translate(exc, "West")
    assert type(error) is kind
    assert error.region == "West"


def test_failed_version_discovery_is_transient_so_it_is_asked_again() -> None:
    exc = sdk_exc.NotSupported(
        "The image service for emulator:West exists but does not have any supported versions."
    )
    error = translate(exc, "West")
    assert isinstance(error, CloudTransientError)
    assert error.region == "West"
    other = translate(sdk_exc.NotSupported("this cloud has no such extension"), "West")
    assert not isinstance(other, CloudTransientError)


@pytest.mark.parametrize(
    ("exc", "maybe_done"),
    [
        (ksa_exc.ConnectFailure("refused"), False),
        (ksa_exc.ConnectTimeout("read timed out"), True),
        (ksa_exc.UnknownConnectionError("reset by peer", OSError("reset")), True),
    ],
)
def test_connection_errors_say_whether_the_call_may_have_happened(
    exc: Exception, maybe_done: bool
) -> None:
    error = translate(exc, "West")
    assert isinstance(error, CloudTransientError)
    assert error.maybe_done is maybe_done


@pytest.mark.parametrize(("status", "maybe_done"), [(500, True), (502, True), (504, True),
                                                    (503, False), (429, False)])  # fmt: skip
def test_call_once_raises_at_once_when_the_call_may_have_happened(
    h: Harness, status: int, maybe_done: bool
) -> None:
    h.cloud.script("GET", NET, [Reply(status), OK])
    get = lambda conn: conn.network.get_network("n1")  # noqa: E731
    if maybe_done:
        with pytest.raises(CloudTransientError) as info:
            h.clients.call_once("East", get)
        assert info.value.maybe_done and info.value.status_code == status
        assert h.cloud.count("GET", NET) == 1
    else:
        assert h.clients.call_once("East", get).name == "east-net"
        assert h.cloud.count("GET", NET) == 2
    h.cloud.script("GET", NET, [Reply(status), OK])
    assert h.get_network().name == "east-net"  # plain calls are repeated either way
