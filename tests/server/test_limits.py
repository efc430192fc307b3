"""Request limits (docs/security.md, "Server limits"): body sizes checked before the body is
read, body and header timeouts, the budget for bodies in flight, bounded query parameters.

The transport limits are tested against a real `khbs-server serve` process on 127.0.0.1 (its
memory read from /proc/<pid>/status), with raw sockets, so the test itself never holds a big
body; the rest against the live server of tests/server/conftest.py on SQLite and PostgreSQL.
Timeouts are asserted only as "closed within a generous bound", never as a speed.
"""

from __future__ import annotations

import os
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
import requests

from sync.client import SyncClient
from sync.protocol import sign_request
from sync.server import keys
from sync.server.api.app import create_app
from sync.server.db import open_database
from sync.server.settings import Settings
from tests.conftest import FAST_KDF, PASSPHRASE
from tests.liveserver import LiveServer
from tests.server.conftest import new_code

ROOT = Path(__file__).resolve().parents[2]
MB = 1024 * 1024
CLOSED_WITHIN = 30  # seconds: the generous bound for "the server hung up"


# -- a real `khbs-server serve` ------------------------------------------------------------------


class Served:
    """`khbs-server serve --port 0 [options]` on a fresh SQLite database; stderr is drained in
    a thread (uvicorn logs every request there)."""

    def __init__(self, folder: Path, *options: str):
        db = f"sqlite:///{folder / 'server.db'}"
        engine = open_database(db, create=True)
        with engine.begin() as conn:
            keys.create(conn, PASSPHRASE, kdf=FAST_KDF)
        engine.dispose()
        env = {k: v for k, v in os.environ.items() if not k.startswith("KHBS_")}
        env.update(
            KHBS_LANG="id",
            HOME=str(folder),
            XDG_DATA_HOME=str(folder),
            KHBS_SERVER_PASSPHRASE=PASSPHRASE,
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sync.server_cli", "--db", db, "serve", "--port", "0", *options],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.log: list[str] = []
        found = None
        for line in self.proc.stderr:
            self.log.append(line)
            found = re.search(r"running on http://127\.0\.0\.1:(\d+)", line)
            if found:
                break
        assert found, "".join(self.log)
        self.port = int(found.group(1))
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=lambda: self.log.extend(self.proc.stderr), daemon=True).start()

    def memory(self, field: str) -> int:
        """VmRSS (now) or VmHWM (the peak since start), in bytes."""
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(re.search(rf"^{field}:\s+(\d+) kB", status, re.MULTILINE).group(1)) * 1024

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(timeout=30)
        assert "Traceback" not in "".join(self.log)


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[Served]:
    """The default limits."""
    server = Served(tmp_path_factory.mktemp("served"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def impatient(tmp_path_factory) -> Iterator[Served]:
    """Timeouts of a second or two, so a stalled client is seen to be cut off."""
    server = Served(
        tmp_path_factory.mktemp("impatient"),
        "--header-timeout",
        "2",
        "--body-idle-timeout",
        "1",
        "--body-timeout",
        "3",
        "--keep-alive-timeout",
        "1",
    )
    yield server
    server.stop()


@pytest.fixture(scope="module")
def crowded(tmp_path_factory) -> Iterator[Served]:
    """At most 3 connections and requests at once."""
    server = Served(tmp_path_factory.mktemp("crowded"), "--max-connections", "3")
    yield server
    server.stop()


class Raw:
    """A raw HTTP/1.1 connection: what a careless or hostile client sends."""

    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=CLOSED_WITHIN)

    def send(self, data: bytes) -> bool:
        """False once the server has closed the connection."""
        try:
            self.sock.sendall(data)
            return True
        except OSError:  # reset or broken pipe: the server hung up
            return False

    def answered(self) -> bool:
        return bool(select.select([self.sock], [], [], 0)[0])

    def send_while_unanswered(self, chunks: Iterable[bytes]) -> int:
        """Sends chunks until the server answers or hangs up; the bytes sent."""
        sent = 0
        for chunk in chunks:
            if self.answered() or not self.send(chunk):
                break
            sent += len(chunk)
        return sent

    def reply(self, *, until_closed: bool = True) -> bytes:
        """What the server sends: everything until it closes the connection, or only until one
        whole response (`until_closed=False`). Raises TimeoutError when it sends nothing for
        CLOSED_WITHIN seconds."""
        data = b""
        while until_closed or not whole_response(data):
            try:
                piece = self.sock.recv(65536)
            except ConnectionResetError:  # closed with our unread body still in its buffer
                return data
            if not piece:
                return data
            data += piece
        return data

    def close(self) -> None:
        self.sock.close()


def whole_response(data: bytes) -> bool:
    head, found, body = data.partition(b"\r\n\r\n")
    length = re.search(rb"(?im)^content-length: (\d+)", head)
    return bool(found and length and len(body) >= int(length.group(1)))


def status_of(reply: bytes) -> int | None:
    found = re.match(rb"HTTP/1\.1 (\d{3}) ", reply)
    return int(found.group(1)) if found else None


def megabytes(total: int, piece: bytes = b"x" * MB) -> Iterator[bytes]:
    for _ in range(total // len(piece)):
        yield piece


def chunked(pieces: Iterable[bytes]) -> Iterator[bytes]:
    for piece in pieces:
        yield b"%x\r\n%s\r\n" % (len(piece), piece)


def test_a_200_mb_body_from_a_stranger_is_refused_before_it_is_read(served):
    """Declared (Content-Length) or chunked, 200 MB from nobody in particular: 413 or 401 at
    once, the rest never read, and the server's memory stays under 200 MB throughout."""
    size = 200 * MB
    declared = Raw(served.port)
    declared.send(
        b"POST /v1/push HTTP/1.1\r\nHost: khbs\r\nContent-Type: application/octet-"
        b"stream\r\nContent-Length: %d\r\n\r\n" % size
    )
    declared.send_while_unanswered(megabytes(size))
    reply = declared.reply(until_closed=False)
    assert served.memory("VmHWM") < 200 * MB
    assert status_of(reply) == 413 and b'"error":"too_large"' in reply, reply[:300]
    assert b"connection: close" in reply.lower()
    assert declared.reply() == b""  # then closed, not kept open to read the rest
    declared.close()

    streamed = Raw(served.port)
    streamed.send(b"POST /v1/push HTTP/1.1\r\nHost: khbs\r\nTransfer-Encoding: chunked\r\n\r\n")
    streamed.send_while_unanswered(chunked(megabytes(size)))
    reply = streamed.reply(until_closed=False)
    assert served.memory("VmHWM") < 200 * MB
    assert status_of(reply) == 401 and b'"error":"missing_auth"' in reply, reply[:300]
    assert streamed.reply() == b""
    streamed.close()

    print(
        f"\nserve: peak RSS {served.memory('VmHWM') / MB:.0f} MB, "
        f"now {served.memory('VmRSS') / MB:.0f} MB"
    )
    assert requests.get(served.url + "/v1/health", timeout=10).json()["status"] == "ok"


def test_a_chunked_body_is_refused_as_soon_as_it_passes_the_limit(served):
    """/v1/enroll takes 16 KB: a chunked body that goes on and on is answered 413 long before
    the 64 MB the client would send (more than any socket buffer holds)."""
    raw = Raw(served.port)
    raw.send(
        b"POST /v1/enroll HTTP/1.1\r\nHost: khbs\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    sent = raw.send_while_unanswered(
        chunked([b'{"code": "' + b"A" * 4096] + [b"A" * 4096] * (16 * 1024))
    )
    reply = raw.reply()
    raw.close()
    assert status_of(reply) == 413 and b'"error":"too_large"' in reply, reply[:300]
    assert sent < 64 * MB


def test_a_declared_body_over_the_limit_is_refused_before_it_is_sent(served):
    """The answer comes after the headers alone: the client need not send the body at all."""
    raw = Raw(served.port)
    raw.send(
        b"POST /v1/enroll HTTP/1.1\r\nHost: khbs\r\nContent-Type: application/json\r\n"
        b"Content-Length: 17000\r\n\r\n"
    )
    reply = raw.reply()
    raw.close()
    assert status_of(reply) == 413 and b'"error":"too_large"' in reply, reply[:300]


def test_a_stalled_body_is_cut_off(impatient):
    """Headers, a few bytes of the body, then nothing: 408 and the connection closed, after
    the body timeout (1 s here; bound: CLOSED_WITHIN)."""
    raw = Raw(impatient.port)
    raw.send(
        b"POST /v1/enroll HTTP/1.1\r\nHost: khbs\r\nContent-Type: application/json\r\n"
        b'Content-Length: 1000\r\n\r\n{"code": "'
    )
    reply = raw.reply()  # TimeoutError if the server kept waiting
    raw.close()
    assert status_of(reply) == 408 and b'"error":"body_timeout"' in reply, reply[:300]


def test_a_body_trickled_slower_than_the_total_allows_is_cut_off(impatient):
    """A byte every half second never trips the idle timeout; the whole-body limit (3 s here)
    still ends it."""
    raw = Raw(impatient.port)
    raw.send(
        b"POST /v1/enroll HTTP/1.1\r\nHost: khbs\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000\r\n\r\n"
    )
    deadline = time.monotonic() + CLOSED_WITHIN
    while not raw.answered() and time.monotonic() < deadline:
        if not raw.send(b" "):
            break
        time.sleep(0.5)
    reply = raw.reply()
    raw.close()
    assert status_of(reply) == 408 and b'"error":"body_timeout"' in reply, reply[:300]


@pytest.mark.parametrize(
    "sent", [b"", b"POST /v1/push HTTP/1.1\r\nHost: khb"], ids=["nothing", "half-the-headers"]
)
def test_a_connection_without_complete_headers_is_closed(impatient, sent):
    """uvicorn has no header timeout of its own: the server's protocol adds one (2 s here)."""
    raw = Raw(impatient.port)
    raw.send(sent)
    assert raw.reply() == b""  # closed, without an answer; TimeoutError if it stayed open
    raw.close()


def test_limits_leave_normal_requests_alone(impatient):
    """Two requests on one kept-alive connection, and a small body in time, are answered; an
    idle kept-alive connection is then closed (after 1 s here)."""
    with requests.Session() as session:
        for _ in range(2):
            assert session.get(impatient.url + "/v1/health", timeout=10).status_code == 200
    reply = requests.post(
        impatient.url + "/v1/enroll", json={"code": "X" * 20, "device_key": "A" * 43}, timeout=10
    )
    assert (reply.status_code, reply.json()["error"]) == (403, "code_unknown")
    raw = Raw(impatient.port)
    raw.send(b"GET /v1/health HTTP/1.1\r\nHost: khbs\r\n\r\n")
    assert status_of(raw.reply(until_closed=False)) == 200
    assert raw.reply() == b""  # closed by the server, idle; TimeoutError if it stayed open
    raw.close()


def test_connections_past_the_limit_are_answered_503(crowded):
    held = [Raw(crowded.port) for _ in range(2)]  # with the next one, 3 connections
    try:
        deadline = time.monotonic() + CLOSED_WITHIN
        while (reply := requests.get(crowded.url + "/v1/health", timeout=10)).status_code != 503:
            assert time.monotonic() < deadline, reply.status_code
            time.sleep(0.1)  # until the server has accepted the held connections
    finally:
        for raw in held:
            raw.close()
    deadline = time.monotonic() + CLOSED_WITHIN
    while (reply := requests.get(crowded.url + "/v1/health", timeout=10)).status_code == 503:
        assert time.monotonic() < deadline
        time.sleep(0.1)  # until the server has seen them go
    assert reply.status_code == 200


def test_serve_has_the_limit_options_and_refuses_bad_values(tmp_path):
    from tests.server.test_cli import Server

    cli = Server(f"sqlite:///{tmp_path / 'server.db'}", tmp_path / "home")
    shown = " ".join(cli.ok("serve", "--help").stdout.split())
    for option in (
        "--max-body SIZE",
        "--max-push-body SIZE",
        "--max-bodies-in-flight SIZE",
        "--body-idle-timeout SECONDS",
        "--body-timeout SECONDS",
        "--header-timeout SECONDS",
        "--keep-alive-timeout SECONDS",
        "--max-connections N",
    ):
        assert option in shown
    assert "(default: 32M)" in shown and "(default: 16K)" in shown
    for option, value in [
        ("--max-body", "0"),
        ("--max-push-body", "12Q"),
        ("--body-timeout", "-1"),
        ("--header-timeout", "nan"),
        ("--max-connections", "1.5"),
    ]:
        line = cli.fails("serve", option, value, code=2)
        assert option in line and "unrecognized" not in line


# -- the app's limits on the live server (SQLite and PostgreSQL) -------------------------------


@pytest.fixture
def device(store, live, engine, officer):
    client = SyncClient(store)
    client.enroll(live.url, new_code(engine, officer))
    return client.device()


def signed(device, method: str, path: str) -> requests.Response:
    headers = sign_request(device.key, device.device_id, method, path, b"", int(time.time()))
    return requests.request(method, device.server + path, headers=headers, timeout=30)


def signed_head(device, body: bytes, *extra: bytes) -> bytes:
    """The request line and headers of a chunked POST /v1/push signed over `body`."""
    headers = sign_request(device.key, device.device_id, "POST", "/v1/push", body, int(time.time()))
    lines = [
        b"POST /v1/push HTTP/1.1",
        b"Host: khbs",
        b"Transfer-Encoding: chunked",
        *extra,
        *(f"{k}: {v}".encode() for k, v in headers.items()),
    ]
    return b"\r\n".join(lines) + b"\r\n\r\n"


def test_pull_with_a_cursor_beyond_64_bits_is_400_not_500(device):
    """The database never sees a number it cannot hold: every query parameter is bounded."""
    for query, parameter in [
        (f"after={2**63}", "after"),
        (f"after={10**30}", "after"),
        ("after=-1", "after"),
        ("after=abc", "after"),
        (f"after=0&limit={2**64}", "limit"),
        ("limit=0", "limit"),
    ]:
        reply = signed(device, "GET", f"/v1/pull?{query}")
        assert reply.status_code == 400, (query, reply.status_code, reply.text)
        assert reply.json()["error"] == "bad_parameter"
        assert reply.json()["parameter"] == parameter
        value = query.rsplit("=", 1)[1]
        assert len(value) < 4 or value not in reply.text  # never echoed
    top = signed(device, "GET", f"/v1/pull?after={2**63 - 1}")
    assert top.status_code == 200 and top.json()["events"] == []


def test_every_query_parameter_of_every_route_is_bounded(live):
    """Read from the served OpenAPI document, so a route added later is checked too: numbers
    have a minimum and a maximum, text a maximum length or a fixed set of values."""
    spec = requests.get(live.url + "/openapi.json", timeout=10).json()
    seen = 0
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                schema = parameter["schema"]
                options = schema.get("anyOf", [schema])
                for option in options:
                    kind = option.get("type")
                    where = (method, path, parameter["name"], option)
                    if kind == "integer":
                        assert "minimum" in option and "maximum" in option, where
                        assert option["maximum"] <= 2**63 - 1, where
                    elif kind == "string":
                        assert "maxLength" in option or "enum" in option, where
                    else:
                        assert kind in ("boolean", "null"), where
                seen += 1
    assert seen >= 9  # pull: after, limit; export: regency, since, status, mask_ids, ...


def test_export_filters_out_of_range_are_400(live, engine):
    """A `since` whose UTC time falls outside years 1-9999 used to fail inside SQL, after the
    200 had gone out (a cut-off ZIP); now it is refused first, like any other bad filter."""
    from sync.server.admins import add_admin

    with engine.begin() as conn:
        _, token = add_admin(conn, "Admin Batas")
    for query, code in [
        ("since=0001-01-01T00:00:00%2B14:00", "bad_filter"),
        ("since=9999-12-31T23:59:59-14:00", "bad_filter"),
        ("regency=" + "6" * 14, "bad_parameter"),
        ("status=lost", "bad_parameter"),
        ("excel=2", "bad_parameter"),
    ]:
        reply = requests.get(
            f"{live.url}/v1/admin/export?{query}",
            timeout=30,
            headers={"Authorization": f"Bearer {token}"},
        )
        assert (reply.status_code, reply.json()["error"]) == (400, code), query


@pytest.fixture
def tight(db_url, engine, initialised):
    """A live server with a push limit of 200 KB and a budget of 256 KB for bodies in flight."""
    settings = Settings(db_url=db_url, max_push_body=200 * 1024, max_bodies_in_flight=256 * 1024)
    with LiveServer(create_app(settings, initialised)) as server:
        yield server


@pytest.fixture
def tight_device(store, tight, engine, officer):
    client = SyncClient(store)
    client.enroll(tight.url, new_code(engine, officer))
    return client


def test_a_signed_chunked_push_over_the_push_limit_is_413(tight_device, tight):
    """The device is known, so the body is read, but only up to the route's limit."""
    port = int(tight.url.rsplit(":", 1)[1])
    body = b"x" * (250 * 1024)
    raw = Raw(port)
    raw.send(signed_head(tight_device.device(), body))
    raw.send_while_unanswered(chunked([body[:125_000], body[125_000:], b""]))
    reply = raw.reply()
    raw.close()
    assert status_of(reply) == 413 and b'"error":"too_large"' in reply, reply[:300]
    # An unknown device's body is not read at all: 401 before the limit is reached.
    raw = Raw(port)
    raw.send(
        b"POST /v1/push HTTP/1.1\r\nHost: khbs\r\nTransfer-Encoding: chunked\r\n"
        b"KHBS-Device: 00000000-0000-0000-0000-000000000000\r\n\r\n"
    )
    raw.send_while_unanswered(chunked(megabytes(64 * MB)))
    reply = raw.reply()
    raw.close()
    assert status_of(reply) == 401 and b'"error":"unknown_device"' in reply, reply[:300]


def test_a_normal_push_fits_the_push_limit(tight_device, store):
    from tests.records import numbered

    for n in (1, 2, 3):
        store.save(numbered(n))
    report = tight_device.push()
    assert (report.sent, report.synced) == (3, 3)


def test_bodies_in_flight_share_one_budget(tight_device, tight):
    """A device sending 180 KB and then stalling holds 180 KB of the 256 KB budget: a second
    body that would pass it is answered 503 with Retry-After; once the first is gone, the
    budget is free again."""
    device = tight_device.device()
    port = int(tight.url.rsplit(":", 1)[1])
    piece = b"x" * 60_000

    def second_body() -> bytes:
        """120 KB, sent whole; the reply, and the connection closed after it."""
        raw = Raw(port)
        raw.send(
            signed_head(device, piece * 2, b"Connection: close")
            + b"".join(chunked([piece, piece, b""]))
        )
        reply = raw.reply()
        raw.close()
        return reply

    deadline = time.monotonic() + CLOSED_WITHIN
    while True:
        holder = Raw(port)
        holder.send(signed_head(device, b"") + b"".join(chunked([piece] * 3)))  # then stalls
        time.sleep(0.5)  # its 180 KB are received first (else the holder is the one refused)
        reply = second_body()
        holder.close()
        if status_of(reply) == 503 or time.monotonic() > deadline:
            break
    assert status_of(reply) == 503 and b'"error":"server_busy"' in reply, reply[:300]
    assert re.search(rb"(?i)retry-after: \d+", reply)
    deadline = time.monotonic() + CLOSED_WITHIN
    while status_of(reply := second_body()) == 503 and time.monotonic() < deadline:
        time.sleep(0.2)  # until the server has noticed that the holder is gone
    # Read whole this time; not a push batch, so the signed request is a bad batch.
    assert status_of(reply) == 400 and b'"error":"bad_batch"' in reply, reply[:300]


def test_a_batch_over_the_push_limit_goes_again_smaller(
    db_url, engine, initialised, live, store, officer
):
    """The province lowered the push limit: the laptop halves its batch on 413 too_large until
    the households fit, and each arrives once; one household alone over it is its own error."""
    import secrets

    from sync.client import SyncError
    from tests.records import numbered

    def noted(n: int) -> dict:
        rec = numbered(n)
        rec["kebutuhan"]["catatan"] = secrets.token_hex(150)  # incompressible: sizes add up
        return rec

    client = SyncClient(store)
    client.enroll(live.url, new_code(engine, officer))
    store.save(noted(1))
    assert client.push().synced == 1  # carries the escrow too
    store.save(noted(2))
    single = client.push().bytes_up  # one household, no escrow
    settings = Settings(db_url=db_url, max_push_body=single + 120)
    with LiveServer(create_app(settings, initialised)) as tight:
        for n in range(3, 11):
            store.save(noted(n))
        report = client.push(tight.url)
        assert (report.sent, report.synced) == (8, 8)
        assert report.retries >= 1
        big = noted(11)
        big["kebutuhan"]["catatan"] = secrets.token_hex(250)
        store.save(big)
        with pytest.raises(SyncError) as raised:
            client.push(tight.url)
        assert raised.value.code == "too_large"
    assert store.status_counts()["pending_sync"] == 1
