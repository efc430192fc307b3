"""Rate limits (docs/sync.md): a token bucket per device for signed requests and per client IP
for /v1/enroll, against a real uvicorn server whose limits are tiny and whose buckets read a
clock the test moves (no sleeping)."""

from __future__ import annotations

import time

import pytest
import requests

from app.store import Store
from sync.client import SyncClient
from sync.protocol import sign_request
from sync.server.api.app import create_app
from sync.server.api.ratelimit import RateLimiter
from sync.server.settings import Settings
from tests.conftest import FAST_KDF, PASSPHRASE
from tests.records import numbered
from tests.server.conftest import LiveServer, new_code


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_bucket_spends_its_burst_then_refills_at_the_rate():
    clock = Clock()
    bucket = RateLimiter(per_minute=60, burst=3, clock=clock)
    assert [bucket.take("a") for _ in range(3)] == [None, None, None]
    assert bucket.take("a") == 1  # one token a second: wait one second
    assert bucket.take("b") is None  # another key has its own bucket
    clock.now += 1
    assert bucket.take("a") is None and bucket.take("a") == 1
    clock.now += 3600
    assert [bucket.take("a") for _ in range(4)] == [None, None, None, 1]  # never above burst
    with pytest.raises(ValueError):
        RateLimiter(per_minute=0, burst=1)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def tiny(db_url, engine, initialised, clock):
    """A live server allowing 3 signed requests per device (then 1 a second) and 2
    enrollments per IP (then 1 a minute)."""
    settings = Settings(db_url=db_url, device_per_minute=60, device_burst=3,
                        enroll_per_minute=1, enroll_burst=2)
    app = create_app(settings, initialised)
    app.state.device_limiter.clock = clock
    app.state.enroll_limiter.clock = clock
    with LiveServer(app) as server:
        yield server


def signed_pull(live, device) -> requests.Response:
    path = "/v1/pull?after=0&limit=10"
    headers = sign_request(device.key, device.device_id, "GET", path, b"", int(time.time()))
    return requests.get(live.url + path, headers=headers, timeout=10)


def assert_limited(reply: requests.Response, wait: int) -> None:
    assert reply.status_code == 429
    body = reply.json()
    assert body["error"] == "rate_limited" and body["retry_after"] == wait
    assert isinstance(body["server_time"], int)
    assert reply.headers["Retry-After"] == str(wait)


def test_device_over_its_limit_gets_429_others_do_not(tiny, engine, officer, store, tmp_path, clock):
    a = SyncClient(store).enroll(tiny.url, new_code(engine, officer))
    with Store.create(tmp_path / "b", PASSPHRASE, kdf=FAST_KDF) as other:
        b = SyncClient(other).enroll(tiny.url, new_code(engine, officer))
    assert [signed_pull(tiny, a).status_code for _ in range(3)] == [200, 200, 200]
    assert_limited(signed_pull(tiny, a), 1)
    assert signed_pull(tiny, b).status_code == 200  # a second device is unaffected
    clock.now += 1
    assert signed_pull(tiny, a).status_code == 200  # refilled
    assert signed_pull(tiny, a).status_code == 429
    # Unsigned or badly signed requests do not spend the device's bucket.
    clock.now += 10
    forged = sign_request(b.key, a.device_id, "GET", "/v1/pull?after=0&limit=10", b"",
                          int(time.time()))
    for _ in range(5):
        reply = requests.get(tiny.url + "/v1/pull?after=0&limit=10", headers=forged, timeout=10)
        assert reply.status_code == 401
    assert [signed_pull(tiny, a).status_code for _ in range(3)] == [200, 200, 200]


def test_client_backs_off_on_429_then_succeeds(tiny, engine, officer, store, clock):
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock.now += 60  # the bucket refills while the laptop waits

    client = SyncClient(store, sleep=sleep, max_attempts=4)
    device = client.enroll(tiny.url, new_code(engine, officer))
    store.save(numbered(31))
    for _ in range(3):
        assert signed_pull(tiny, device).status_code == 200  # the bucket is now empty
    report = client.push()
    assert report.retries == 1 and len(waits) == 1 and report.synced == 1


def test_enroll_is_limited_per_ip_and_the_code_is_not_spent(tiny, engine, officer, store, tmp_path, clock):
    for name in ("x", "y"):
        with Store.create(tmp_path / name, PASSPHRASE, kdf=FAST_KDF) as s:
            SyncClient(s).enroll(tiny.url, new_code(engine, officer))
    code = new_code(engine, officer)
    reply = requests.post(tiny.url + "/v1/enroll", json={"code": code, "device_key": "AAAA"},
                          timeout=10)
    assert_limited(reply, 60)
    assert code not in reply.text
    clock.now += 60
    SyncClient(store).enroll(tiny.url, code)  # refused before the code was looked at
