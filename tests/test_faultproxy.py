"""The fault-injecting proxy that the sync tests run over: it must really cut, delay and pace."""

import hashlib
import http.client
import random
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from tests.faultproxy import FaultProxy

BODY = random.Random(20260101).randbytes(200_000)
BROKEN = (requests.ConnectionError, requests.exceptions.ChunkedEncodingError)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.post_starts = 0
        self.post_bodies: list[str] = []  # sha256 of each complete POST body

    def handle_error(self, request, client_address):
        pass  # resets from the proxy are the point of these tests


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        size = int(self.path.rsplit("/", 1)[-1]) if self.path.startswith("/bytes/") else len(BODY)
        body = BODY[:size]
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        with self.server.lock:
            self.server.post_starts += 1
        length = int(self.headers["Content-Length"])
        data = self.rfile.read(length)
        if len(data) != length:
            return
        with self.server.lock:
            self.server.post_bodies.append(hashlib.sha256(data).hexdigest())
        reply = b"ok"
        self.send_response(200)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)


@pytest.fixture
def server():
    srv = _Server()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(5)


def _port(srv) -> int:
    return srv.server_address[1]


def test_no_faults_forwards_everything(server):
    with FaultProxy(_port(server)) as proxy:
        r = requests.get(proxy.url() + "/body", timeout=10)
        assert r.status_code == 200
        assert r.content == BODY

        conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=10)
        conn.request("POST", "/upload", body=b"x" * 30_000)
        assert conn.getresponse().read() == b"ok"
        conn.close()
        time.sleep(0.1)  # let the proxy finish counting the closed connection

        assert proxy.stats.connections == 2
        assert proxy.stats.cut_connections == 0
        assert proxy.stats.bytes_down > len(BODY)
        assert proxy.stats.bytes_up > 30_000
    assert server.post_bodies == [hashlib.sha256(b"x" * 30_000).hexdigest()]


def test_every_connection_cut_mid_transfer(server):
    with FaultProxy(
        _port(server), cut_probability=1.0, cut_after_bytes=(1000, 5000), seed=1
    ) as proxy:
        for _ in range(5):  # cut mid-response
            with pytest.raises(BROKEN):
                requests.get(proxy.url() + "/body", timeout=10)
        for _ in range(5):  # cut mid-request: the upload never completes on the server
            with pytest.raises(BROKEN):
                requests.post(proxy.url() + "/upload", data=b"y" * 20_000, timeout=10)
        assert proxy.stats.connections == 10
        assert proxy.stats.cut_connections == 10
        assert proxy.stats.bytes_up + proxy.stats.bytes_down <= 10 * 5000
    time.sleep(0.1)
    assert server.post_starts <= 5  # started, or never reached the server
    assert server.post_bodies == []


def test_cut_is_a_reset_at_the_chosen_offset(server):
    request = b"GET /body HTTP/1.1\r\nHost: x\r\n\r\n"
    with FaultProxy(_port(server), cut_probability=1.0, cut_after_bytes=(3000, 3000)) as proxy:
        sock = socket.create_connection(("127.0.0.1", proxy.port), timeout=10)
        sock.sendall(request)
        received = b""
        with pytest.raises(ConnectionResetError):
            while chunk := sock.recv(65536):
                received += chunk
        sock.close()
    assert len(received) == 3000 - len(request)
    assert received.startswith(b"HTTP/1.1 200")


def test_forty_percent_of_connections_cut(server):
    with FaultProxy(
        _port(server), cut_probability=0.4, cut_after_bytes=(1000, 150_000), seed=42
    ) as proxy:
        failed = 0
        for _ in range(50):
            try:
                r = requests.get(proxy.url() + "/body", timeout=10)
            except BROKEN:
                failed += 1
            else:
                assert r.content == BODY
        assert 10 <= failed <= 30
        assert proxy.stats.cut_connections == failed
        assert proxy.stats.connections == 50


def test_set_stops_cutting(server):
    with FaultProxy(_port(server), cut_probability=1.0, cut_after_bytes=(100, 200)) as proxy:
        with pytest.raises(BROKEN):
            requests.get(proxy.url() + "/body", timeout=10)
        proxy.set(cut_probability=0.0)
        assert requests.get(proxy.url() + "/body", timeout=10).content == BODY
        with pytest.raises(TypeError):
            proxy.set(target_host="10.0.0.1")
        with pytest.raises(ValueError):
            proxy.set(cut_probability=1.5)


def test_bandwidth_is_paced(server):
    size = 64 * 1024
    with FaultProxy(_port(server), bandwidth_bps=512_000) as proxy:  # 64 kB/s
        started = time.monotonic()
        r = requests.get(f"{proxy.url()}/bytes/{size}", timeout=10)
        elapsed = time.monotonic() - started
    assert r.content == BODY[:size]
    assert elapsed >= 0.95, elapsed  # (65536 + headers - 1280 burst) / 64000
    assert elapsed < 3.0, elapsed


def test_latency_delays_each_direction(server):
    with FaultProxy(_port(server), latency_s=0.2) as proxy:
        started = time.monotonic()
        r = requests.get(f"{proxy.url()}/bytes/100", timeout=10)
        elapsed = time.monotonic() - started
    assert r.content == BODY[:100]
    assert elapsed >= 0.4, elapsed
    assert elapsed < 3.0, elapsed


@pytest.mark.parametrize(
    "host",
    ["10.0.0.1", "0.0.0.0", "192.168.1.10", "::", "::ffff:127.0.0.1", "localhost", "example.org"],
)
def test_refuses_non_loopback_target(host):
    with pytest.raises(ValueError):
        FaultProxy(8000, target_host=host)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.3.2.1", "::1"])
def test_accepts_loopback_target(host):
    assert FaultProxy(8000, target_host=host).target_host == host


def test_unreachable_target_resets_client():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens on port
    with FaultProxy(port) as proxy:
        with pytest.raises(requests.ConnectionError):
            requests.get(proxy.url(), timeout=10)


def _proxy_threads():
    return [t for t in threading.enumerate() if t.name.startswith(("faultproxy", "asyncio"))]


def test_stop_leaves_no_threads(server):
    assert _proxy_threads() == []
    proxy = FaultProxy(_port(server), latency_s=0.05, bandwidth_bps=200_000).start()
    port = proxy.port
    # one connection left open mid-transfer when stop() is called
    hanging = socket.create_connection(("127.0.0.1", port), timeout=10)
    hanging.sendall(b"GET /body HTTP/1.1\r\nHost: x\r\n\r\n")
    assert requests.get(f"{proxy.url()}/bytes/1000", timeout=10).content == BODY[:1000]
    assert _proxy_threads()
    started = time.monotonic()
    proxy.stop()
    assert time.monotonic() - started < 3
    assert _proxy_threads() == []
    proxy.stop()  # idempotent
    hanging.close()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_hold_stalls_replies_on_matching_connections_until_release(server):
    with FaultProxy(_port(server)) as proxy:
        proxy.hold(after=b"GET /bytes/100 ")
        got: list[bytes] = []
        waiting = threading.Thread(
            target=lambda: got.append(requests.get(f"{proxy.url()}/bytes/100", timeout=10).content)
        )
        waiting.start()
        assert proxy.held.wait(10)  # the server answered; the proxy holds the answer
        # Another connection, without the marker, is not held.
        assert requests.get(f"{proxy.url()}/bytes/10", timeout=10).content == BODY[:10]
        assert got == [] and waiting.is_alive()
        proxy.release()
        waiting.join(10)
        assert got == [BODY[:100]]
        # After release nothing is held, even with the marker.
        assert requests.get(f"{proxy.url()}/bytes/100", timeout=10).content == BODY[:100]
