"""Rate limits (docs/sync.md): a token bucket per device for signed requests and per client IP
for /v1/enroll, against a real uvicorn server whose limits are tiny and whose buckets read a
clock the test moves (no sleeping)."""

from __future__ import annotations

import time

import pytest
import requests

from app.i18n import set_lang
from app.store import Store
from sync.client import SyncClient, SyncError, retry_after
from sync.protocol import sign_request
from sync.server.api.app import create_app
from sync.server.ratelimit import RateLimiter
from sync.server.settings import Settings
from tests.conftest import FAST_KDF, PASSPHRASE
from tests.records import numbered
from tests.server.conftest import LiveServer, new_code


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_bucket_spends_its_burst_then_refills_at_the_rate(engine):
    clock = Clock()
    bucket = RateLimiter(engine, "test", per_minute=60, burst=3, clock=clock)
    assert [bucket.take("a") for _ in range(3)] == [None, None, None]
    assert bucket.take("a") == 1  # one token a second: wait one second
    assert bucket.take("b") is None  # another key has its own bucket
    clock.now += 1
    assert bucket.take("a") is None and bucket.take("a") == 1
    clock.now += 3600
    assert [bucket.take("a") for _ in range(4)] == [None, None, None, 1]  # never above burst
    clock.now -= 30  # another machine whose clock lags: no refill from the past
    assert bucket.take("a") == 1
    other_kind = RateLimiter(engine, "other", per_minute=60, burst=3, clock=clock)
    assert other_kind.take("a") is None  # the same key of another kind: another bucket
    with pytest.raises(ValueError):
        RateLimiter(engine, "test", per_minute=0, burst=1)


def test_full_buckets_are_forgotten_and_no_address_is_stored(engine, monkeypatch):
    from sync.server import ratelimit
    from sync.server.db import rate_buckets
    from tests.server.conftest import count

    monkeypatch.setattr(ratelimit, "FORGET_EVERY", 3)
    clock = Clock()
    slow = RateLimiter(engine, "slow", per_minute=1, burst=2, clock=clock)
    fast = RateLimiter(engine, "fast", per_minute=60, burst=2, clock=clock)
    slow.take("203.0.113.7")
    fast.take("203.0.113.7")
    clock.now += 30  # fast's bucket is full again, slow's is not (it needs a minute)
    fast.take("x")
    assert count(engine, rate_buckets) == 3
    fast.take("x")  # the third take of `fast` sweeps
    assert count(engine, rate_buckets) == 2  # slow's bucket and x are kept
    with engine.connect() as conn:
        assert b"203.0.113.7" not in b"".join(
            bytes(r.key_hash) for r in conn.execute(rate_buckets.select())
        )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def tiny(db_url, engine, initialised, clock):
    """A live server allowing 3 signed requests per device (then 1 a second) and 2
    enrollments per IP (then 1 a minute)."""
    settings = Settings(
        db_url=db_url, device_per_minute=60, device_burst=3, enroll_per_minute=1, enroll_burst=2
    )
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


def test_device_over_its_limit_gets_429_others_do_not(
    tiny, engine, officer, store, tmp_path, clock
):
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
    forged = sign_request(
        b.key, a.device_id, "GET", "/v1/pull?after=0&limit=10", b"", int(time.time())
    )
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


def test_enroll_is_limited_per_ip_and_the_code_is_not_spent(
    tiny, engine, officer, store, tmp_path, clock
):
    for name in ("x", "y"):
        with Store.create(tmp_path / name, PASSPHRASE, kdf=FAST_KDF) as s:
            SyncClient(s).enroll(tiny.url, new_code(engine, officer))
    code = new_code(engine, officer)
    reply = requests.post(
        tiny.url + "/v1/enroll", json={"code": code, "device_key": "AAAA"}, timeout=10
    )
    assert_limited(reply, 60)
    assert code not in reply.text
    clock.now += 60
    SyncClient(store).enroll(tiny.url, code)  # refused before the code was looked at


# -- the laptop waits as long as the server asks (docs/sync.md, Rate limits) -------------------


class Waits:
    """The client's injected sleep: records each wait, and moves the server's bucket clock as
    if the laptop had really waited that long."""

    def __init__(self, clock: Clock) -> None:
        self.clock, self.seconds = clock, []

    def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)
        self.clock.now += seconds


def test_pull_waits_the_retry_after_then_succeeds(tiny, engine, officer, store, clock):
    waits = Waits(clock)
    client = SyncClient(store, sleep=waits)
    device = client.enroll(tiny.url, new_code(engine, officer))
    for _ in range(3):
        assert signed_pull(tiny, device).status_code == 200  # the bucket is now empty
    report = client.pull()
    assert waits.seconds == [1.0] and report.retries == 1  # Retry-After: 1
    assert signed_pull(tiny, device).status_code == 429  # the pull spent the refilled token


def test_enroll_waits_the_retry_after_then_succeeds(tiny, engine, officer, store, tmp_path, clock):
    for name in ("x", "y"):  # the IP's two enrollments
        with Store.create(tmp_path / name, PASSPHRASE, kdf=FAST_KDF) as s:
            SyncClient(s).enroll(tiny.url, new_code(engine, officer))
    waits = Waits(clock)
    device = SyncClient(store, sleep=waits).enroll(tiny.url, new_code(engine, officer))
    assert waits.seconds == [60.0] and device.officer_id == officer


def test_a_wait_longer_than_the_budget_is_server_busy(
    tiny, engine, officer, store, tmp_path, clock
):
    for name in ("x", "y"):
        with Store.create(tmp_path / name, PASSPHRASE, kdf=FAST_KDF) as s:
            SyncClient(s).enroll(tiny.url, new_code(engine, officer))
    waits = Waits(clock)
    impatient = SyncClient(store, sleep=waits, max_busy_wait=30)
    code = new_code(engine, officer)
    with pytest.raises(SyncError) as busy:
        impatient.enroll(tiny.url, code)
    assert busy.value.code == "server_busy" and busy.value.params == {"seconds": 60}
    assert waits.seconds == [] and code not in str(busy.value)
    clock.now += 60
    device = impatient.enroll(tiny.url, code)  # the code was not spent
    # The attempt budget wins too: every answer a 429, given up after max_attempts.
    stubborn = SyncClient(store, sleep=lambda s: waits.seconds.append(s), max_attempts=3)
    for _ in range(3):
        signed_pull(tiny, device)
    with pytest.raises(SyncError) as busy:
        stubborn.pull()
    assert busy.value.code == "server_busy" and busy.value.params == {"seconds": 1}
    assert waits.seconds == [1.0, 1.0]  # the bucket clock did not move: 429 three times


@pytest.fixture
def stingy(db_url, engine, initialised):
    """A live server whose buckets refill once in 10 minutes: longer than a laptop waits. A
    device's first sync makes two requests (the key escrow, then the pull)."""
    settings = Settings(
        db_url=db_url, device_per_minute=0.1, device_burst=2, enroll_per_minute=0.1, enroll_burst=1
    )
    with LiveServer(create_app(settings, initialised)) as server:
        yield server


def test_cli_and_app_say_the_server_is_busy(stingy, engine, officer, tmp_path, monkeypatch, capsys):
    """Not "cannot reach the server": how long to wait, in the officer's language."""
    from app import cli
    from app.errors import user_message as sync_message

    data = tmp_path / "cli"
    Store.create(data, PASSPHRASE, kdf=FAST_KDF).close()
    monkeypatch.setenv("KHBS_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("KHBS_LANG", "id")
    base = ["--data-dir", str(data)]
    assert (
        cli.main(base + ["enroll", "--server", stingy.url, "--code", new_code(engine, officer)])
        == 0
    )
    capsys.readouterr()
    other = ["enroll", "--server", stingy.url, "--code", new_code(engine, officer)]
    assert cli.main(base + other) == cli.EXIT_ERROR
    assert (
        capsys.readouterr().err == "khbs: Server sedang sibuk; coba lagi dalam 600 detik. "
        "Tidak ada data yang hilang.\n"
    )
    assert cli.main(base + ["sync", "--json"]) == 0  # spends the device's two tokens
    capsys.readouterr()
    assert cli.main(base + ["--lang", "en", "sync"]) == cli.EXIT_ERROR
    err = capsys.readouterr().err
    assert err == "khbs: The server is busy; try again in 600 seconds. No data was lost.\n"
    set_lang("id")  # the app's language, as its settings set it
    with Store.open(data, PASSPHRASE) as store, pytest.raises(SyncError) as busy:
        SyncClient(store, sleep=pytest.fail).sync()
    assert (
        sync_message(busy.value) == "Server sedang sibuk; coba lagi dalam 600 detik. "
        "Tidak ada data yang hilang."
    )


def test_retry_after_in_seconds_or_as_an_http_date():
    def reply(**headers: str) -> requests.Response:
        r = requests.Response()
        r.status_code = 429
        r.headers.update(headers)
        return r

    now = 1_800_000_000.0
    assert retry_after(reply(**{"Retry-After": "7"}), now) == 7.0
    assert retry_after(reply(), now) is None
    assert retry_after(reply(**{"Retry-After": "soon"}), now) is None
    # An HTTP-date counts from the reply's own Date: the laptop's clock may be hours off.
    date = {"Date": "Wed, 21 Oct 2026 07:28:00 GMT"}
    assert retry_after(reply(**{"Retry-After": "Wed, 21 Oct 2026 07:30:00 GMT"}, **date), 0) == 120
    assert retry_after(reply(**{"Retry-After": "Wed, 21 Oct 2026 07:20:00 GMT"}, **date), 0) == 0
    later = time.time() + 90  # without a Date: from the laptop's clock
    stamp = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(later))
    assert 85 <= retry_after(reply(**{"Retry-After": stamp}), time.time()) <= 91
