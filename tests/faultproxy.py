"""A fault-injecting TCP proxy for tests: a 2G/EDGE link on loopback.

    with FaultProxy(server_port, cut_probability=0.4, cut_after_bytes=(500, 50_000),
                    latency_s=0.3, bandwidth_bps=40_000, seed=7) as proxy:
        requests.post(proxy.url() + "/sync", ...)
        proxy.set(cut_probability=0.0)          # the link recovers
        assert proxy.stats.cut_connections > 0

The proxy listens on 127.0.0.1 (an ephemeral port) and forwards each accepted connection
to ``target_host:target_port``, which must be a loopback address literal (127.0.0.0/8 or
::1); it never connects anywhere else.  It runs one asyncio event loop in one thread, so
it can be used from synchronous tests with any client and any server.

Faults, per direction and real (the loop sleeps; nothing is simulated):

* ``latency_s``: every chunk read from one side is held for ``latency_s`` before it is
  forwarded (a delay line, so a request/response round trip costs about ``2 * latency_s``
  while throughput is not reduced).  The TCP handshake with the client is not delayed:
  the kernel completes it before the proxy sees the connection.
* ``bandwidth_bps``: a token bucket per direction, shared by all connections (one link),
  with a small burst (20 ms of traffic, 256 B to 16 KiB).
* ``cut_probability`` / ``cut_after_bytes``: when a connection is accepted, it is chosen
  for cutting with ``cut_probability``, and an offset is drawn uniformly from
  ``cut_after_bytes`` (inclusive; default ``(0, 65536)``).  The offset counts the bytes
  forwarded in both directions together.  When the offset is reached, mid-request or
  mid-response, the proxy forwards exactly up to it, sets ``SO_LINGER`` to 0 on both
  sockets and closes them, so both peers see a reset (``ECONNRESET``) rather than a clean
  end of stream.  Offset 0 resets the client before the target is even connected.  A
  connection that ends before its offset is not cut.  ``set(cut_probability=0)`` also
  stops pending cuts on connections that are already open.

``seed`` makes the choices reproducible for a given order of connections.

A stalled reply (a server, or a link, that goes quiet mid-exchange), for tests that need
something to happen *while* a request waits:

    proxy.hold(after=b"POST /v1/push")   # replies on connections that sent this are held
    ... start the request ...
    assert proxy.held.wait(10)           # a reply chunk is being held now
    proxy.release()                      # it goes on (with its latency already served)

``hold(after=b"")`` holds every reply.  Bytes from the client still go up, so the server has
answered; only its answer waits in the proxy.
"""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import random
import socket
import struct
import threading

__all__ = ["FaultProxy", "ProxyStats"]

_DEFAULT_CUT_RANGE = (0, 65536)
_READ_SIZE = 16384
_QUEUE_CHUNKS = 64  # a bounded delay line: at most 64 chunks in flight per direction
_CONNECT_TIMEOUT_S = 10.0
_SHUTDOWN_TIMEOUT_S = 5.0
_LOOPBACK_V4 = ipaddress.ip_network("127.0.0.0/8")
_LOOPBACK_V6 = ipaddress.ip_address("::1")


def _loopback_literal(host: str) -> str:
    """The target host as a normalised loopback IP literal, or ValueError."""
    try:
        addr = ipaddress.ip_address(str(host))
    except ValueError:
        raise ValueError(
            f"target_host must be a loopback IP literal (127.0.0.0/8 or ::1), got {host!r}"
        ) from None
    if (addr.version == 4 and addr in _LOOPBACK_V4) or (addr.version == 6 and addr == _LOOPBACK_V6):
        return str(addr)
    raise ValueError(f"target_host {host!r} is not loopback (127.0.0.0/8 or ::1); refusing")


@dataclasses.dataclass(frozen=True)
class _Faults:
    cut_probability: float = 0.0
    cut_after_bytes: tuple[int, int] | None = None
    latency_s: float = 0.0
    bandwidth_bps: int | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= float(self.cut_probability) <= 1.0:
            raise ValueError(f"cut_probability must be in [0, 1], got {self.cut_probability!r}")
        if self.cut_after_bytes is not None:
            lo, hi = self.cut_after_bytes
            if not (isinstance(lo, int) and isinstance(hi, int) and 0 <= lo <= hi):
                raise ValueError(
                    "cut_after_bytes must be (lo, hi) with 0 <= lo <= hi, "
                    f"got {self.cut_after_bytes!r}"
                )
            object.__setattr__(self, "cut_after_bytes", (lo, hi))
        if not float(self.latency_s) >= 0.0:
            raise ValueError(f"latency_s must be >= 0, got {self.latency_s!r}")
        if self.bandwidth_bps is not None and not (
            isinstance(self.bandwidth_bps, int) and self.bandwidth_bps > 0
        ):
            raise ValueError(
                f"bandwidth_bps must be a positive int or None, got {self.bandwidth_bps!r}"
            )


class ProxyStats:
    """Thread-safe counters.  bytes_up: client -> target; bytes_down: target -> client."""

    _NAMES = ("connections", "cut_connections", "bytes_up", "bytes_down")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values = dict.fromkeys(self._NAMES, 0)

    def _add(self, name: str, n: int = 1) -> None:
        with self._lock:
            self._values[name] += n

    def _get(self, name: str) -> int:
        with self._lock:
            return self._values[name]

    connections = property(lambda self: self._get("connections"))
    cut_connections = property(lambda self: self._get("cut_connections"))
    bytes_up = property(lambda self: self._get("bytes_up"))
    bytes_down = property(lambda self: self._get("bytes_down"))

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._values)

    def reset(self) -> None:
        with self._lock:
            self._values = dict.fromkeys(self._NAMES, 0)

    def __repr__(self) -> str:
        return f"ProxyStats({self.snapshot()})"


class _Bucket:
    """A token bucket in bytes; tokens may go negative so sharers still respect the rate."""

    def __init__(self) -> None:
        self.tokens: float | None = None
        self.stamp = 0.0

    def _refill(self, now: float, rate: float, burst: float) -> None:
        if self.tokens is None:
            self.tokens = burst
        else:
            self.tokens = min(burst, self.tokens + (now - self.stamp) * rate)
        self.stamp = now

    async def take(self, bps: int, want: int) -> int:
        loop = asyncio.get_running_loop()
        rate = bps / 8.0
        burst = float(max(256, min(16384, int(rate * 0.02))))
        n = int(min(want, burst))
        self._refill(loop.time(), rate, burst)
        if self.tokens < n:
            await asyncio.sleep((n - self.tokens) / rate)
            self._refill(loop.time(), rate, burst)
        self.tokens -= n
        return n


class _Conn:
    def __init__(self, cut_at: int | None) -> None:
        self.cut_at = cut_at
        self.forwarded = 0  # both directions
        self.sent_up = b""  # the last few bytes sent up, to find a hold marker across chunks
        self.hold_matched: bytes | None = None  # the hold marker this client has sent
        self.writers: list[asyncio.StreamWriter] = []
        self.dead = asyncio.Event()

    def abort(self, reset: bool = True) -> None:
        """Close both sockets now; with reset, SO_LINGER 0 so the peers see RST."""
        for writer in self.writers:
            if reset:
                sock = writer.get_extra_info("socket")
                if sock is not None:
                    try:
                        sock.setsockopt(
                            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                        )
                    except OSError:
                        pass
            writer.transport.abort()
        self.dead.set()


class FaultProxy:
    def __init__(
        self,
        target_port: int,
        *,
        target_host: str = "127.0.0.1",
        cut_probability: float = 0.0,
        cut_after_bytes: tuple[int, int] | None = None,
        latency_s: float = 0.0,
        bandwidth_bps: int | None = None,
        seed: int | None = None,
    ) -> None:
        if not (isinstance(target_port, int) and 0 < target_port < 65536):
            raise ValueError(f"target_port must be 1..65535, got {target_port!r}")
        self.target_host = _loopback_literal(target_host)
        self.target_port = target_port
        self._faults = _Faults(cut_probability, cut_after_bytes, latency_s, bandwidth_bps)
        self._faults_lock = threading.Lock()
        self._rng = random.Random(seed)
        self.stats = ProxyStats()
        self.port = 0
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self._stopped = False
        self._conns: set[_Conn] = set()
        self._tasks: set[asyncio.Task] = set()
        self._buckets = {"bytes_up": _Bucket(), "bytes_down": _Bucket()}
        self._hold: bytes | None = None  # the marker of the hold in force, b"" for all
        self._hold_wake: asyncio.Event | None = None  # set (and replaced) at each release
        self.held = threading.Event()  # a reply chunk is being held (cleared by hold())

    # -- public API ---------------------------------------------------------------------

    def url(self, scheme: str = "http") -> str:
        if not self.port:
            raise RuntimeError("FaultProxy is not started")
        return f"{scheme}://127.0.0.1:{self.port}"

    def set(self, **kwargs) -> None:
        """Change faults on the fly: cut_probability, cut_after_bytes, latency_s, bandwidth_bps.

        Latency and bandwidth apply to the next chunk; cut_after_bytes and a new
        cut_probability to new connections; cut_probability=0 also cancels pending cuts.
        """
        with self._faults_lock:
            self._faults = dataclasses.replace(self._faults, **kwargs)  # TypeError on unknown names

    def hold(self, after: bytes = b"") -> None:
        """Hold bytes from the target to the client, from now until release(), on every
        connection whose client has sent `after` since (every connection when empty)."""
        self.held.clear()
        self._hold = bytes(after)

    def release(self) -> None:
        """Let held replies go on."""
        self._hold = None
        loop = self._loop
        if loop is not None:
            try:
                loop.call_soon_threadsafe(self._wake_held)
            except RuntimeError:  # loop already closed
                pass

    @property
    def faults(self) -> dict:
        return dataclasses.asdict(self._faults)

    def start(self) -> FaultProxy:
        if self._thread is not None:
            raise RuntimeError("FaultProxy already started")
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.bind(("127.0.0.1", 0))
            listener.listen(128)
            listener.setblocking(False)
        except BaseException:
            listener.close()
            raise
        self._listener = listener
        self.port = listener.getsockname()[1]
        self._thread = threading.Thread(
            target=self._run, name=f"faultproxy-{self.port}", daemon=True
        )
        self._thread.start()
        if not self._ready.wait(_SHUTDOWN_TIMEOUT_S) or self._startup_error is not None:
            self.stop()
            raise RuntimeError("FaultProxy failed to start") from self._startup_error
        return self

    def stop(self) -> None:
        if self._stopped or self._thread is None:
            self._stopped = True
            return
        self._stopped = True
        loop, stop_event = self._loop, self._stop_event
        if loop is not None and stop_event is not None:
            try:
                loop.call_soon_threadsafe(stop_event.set)
            except RuntimeError:  # loop already closed
                pass
        self._thread.join(_SHUTDOWN_TIMEOUT_S + 2)
        if self._thread.is_alive():
            raise RuntimeError(f"FaultProxy thread {self._thread.name} did not stop")

    def __enter__(self) -> FaultProxy:
        if self._thread is None:
            self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:
        target = f"{self.target_host}:{self.target_port}"
        return f"<FaultProxy 127.0.0.1:{self.port} -> {target} {self.faults}>"

    # -- the event loop thread ----------------------------------------------------------

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._main())
        except BaseException as exc:  # noqa: BLE001 # pragma: no cover - reported through start()
            self._startup_error = exc
        finally:
            try:
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.run_until_complete(loop.shutdown_default_executor())
            finally:
                loop.close()
                self._ready.set()

    async def _main(self) -> None:
        self._stop_event = asyncio.Event()
        self._hold_wake = asyncio.Event()
        try:
            server = await asyncio.start_server(self._accept, sock=self._listener)
        except BaseException as exc:
            self._startup_error = exc
            self._listener.close()
            raise
        self._ready.set()
        try:
            await self._stop_event.wait()
        finally:
            server.close()
            for conn in list(self._conns):
                conn.abort(reset=True)
            for task in list(self._tasks):
                task.cancel()
            if self._tasks:
                await asyncio.wait(list(self._tasks), timeout=_SHUTDOWN_TIMEOUT_S)
            try:
                await asyncio.wait_for(server.wait_closed(), _SHUTDOWN_TIMEOUT_S)
            except (TimeoutError, OSError):
                pass

    async def _accept(self, creader: asyncio.StreamReader, cwriter: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self._tasks.add(task)
        self.stats._add("connections")
        faults = self._faults
        # Always draw both numbers so a seed gives the same choices whatever the settings.
        chosen = self._rng.random() < faults.cut_probability
        lo, hi = faults.cut_after_bytes or _DEFAULT_CUT_RANGE
        offset = self._rng.randint(lo, hi)
        conn = _Conn(offset if chosen else None)
        conn.writers.append(cwriter)
        self._conns.add(conn)
        try:
            await self._serve(conn, creader, cwriter)
        except asyncio.CancelledError:
            conn.abort(reset=True)
        finally:
            if not conn.dead.is_set():
                for writer in conn.writers:
                    writer.close()
            self._conns.discard(conn)
            self._tasks.discard(task)

    async def _serve(self, conn: _Conn, creader, cwriter) -> None:
        if conn.cut_at == 0:
            self._cut(conn)
            return
        try:
            sreader, swriter = await asyncio.wait_for(
                asyncio.open_connection(self.target_host, self.target_port), _CONNECT_TIMEOUT_S
            )
        except (TimeoutError, OSError):
            conn.abort(reset=True)  # the client sees a reset, as if the server were unreachable
            return
        conn.writers.append(swriter)
        for writer in conn.writers:
            writer.transport.set_write_buffer_limits(high=0)  # drain() = handed to the kernel
            sock = writer.get_extra_info("socket")
            if sock is not None:
                try:
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                except OSError:
                    pass
        pumps = [
            asyncio.create_task(self._pump(conn, creader, swriter, "bytes_up")),
            asyncio.create_task(self._pump(conn, sreader, cwriter, "bytes_down")),
        ]
        dead = asyncio.create_task(conn.dead.wait())
        try:
            pending = set(pumps)
            while pending and not conn.dead.is_set():
                _, pending = await asyncio.wait(
                    pending | {dead}, return_when=asyncio.FIRST_COMPLETED
                )
                pending.discard(dead)
        finally:
            for task in (*pumps, dead):
                task.cancel()
            await asyncio.gather(*pumps, dead, return_exceptions=True)

    def _wake_held(self) -> None:
        wake, self._hold_wake = self._hold_wake, asyncio.Event()
        if wake is not None:
            wake.set()

    def _see_up(self, conn: _Conn, data: bytes) -> None:
        """Note whether the client sent the marker of the hold in force."""
        marker = self._hold
        if not marker or conn.hold_matched == marker:
            return
        seen = conn.sent_up + data
        if marker in seen:
            conn.hold_matched = marker
        conn.sent_up = seen[-(len(marker) - 1) :] if len(marker) > 1 else b""

    def _holds(self, conn: _Conn) -> bool:
        marker = self._hold
        return marker is not None and (marker == b"" or conn.hold_matched == marker)

    async def _wait_while_held(self, conn: _Conn) -> None:
        while not conn.dead.is_set():
            wake = self._hold_wake
            if not self._holds(conn):
                return
            self.held.set()
            dead = asyncio.ensure_future(conn.dead.wait())
            woken = asyncio.ensure_future(wake.wait())
            try:
                await asyncio.wait({dead, woken}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in (dead, woken):
                    task.cancel()

    def _cut(self, conn: _Conn) -> None:
        self.stats._add("cut_connections")
        conn.abort(reset=True)

    async def _pump(
        self, conn: _Conn, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, counter: str
    ) -> None:
        loop = asyncio.get_running_loop()
        line: asyncio.Queue = asyncio.Queue(maxsize=_QUEUE_CHUNKS)

        async def read_side() -> None:
            while True:
                try:
                    data = await reader.read(_READ_SIZE)
                except OSError:
                    data = None  # the peer reset
                await line.put((loop.time() + self._faults.latency_s, data))
                if not data:
                    return

        reading = asyncio.create_task(read_side())
        try:
            while not conn.dead.is_set():
                due, data = await line.get()
                delay = due - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                if conn.dead.is_set():
                    return
                if data is None:
                    conn.abort(reset=True)  # pass a reset on as a reset
                    return
                if counter == "bytes_up":
                    self._see_up(conn, data)
                else:
                    await self._wait_while_held(conn)
                    if conn.dead.is_set():
                        return
                if not data:
                    try:
                        if writer.can_write_eof():
                            writer.write_eof()
                    except OSError:
                        pass
                    return
                try:
                    await self._send(conn, writer, data, counter)
                except OSError:
                    conn.abort(reset=True)
                    return
        finally:
            reading.cancel()
            await asyncio.gather(reading, return_exceptions=True)

    async def _send(
        self, conn: _Conn, writer: asyncio.StreamWriter, data: bytes, counter: str
    ) -> None:
        view = memoryview(data)
        while view and not conn.dead.is_set():
            n = len(view)
            bps = self._faults.bandwidth_bps
            if bps:
                n = await self._buckets[counter].take(bps, n)
                if conn.dead.is_set():
                    return
            cut = False
            if conn.cut_at is not None and self._faults.cut_probability > 0:
                remaining = conn.cut_at - conn.forwarded
                if remaining <= n:
                    n, cut = max(remaining, 0), True
            if n:
                writer.write(view[:n])
                conn.forwarded += n
                self.stats._add(counter, n)
                await writer.drain()
            view = view[n:]
            if cut:
                self._cut(conn)
                return
