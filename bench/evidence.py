"""Evidence over 2G (issue 16), each figure beside a baseline measured in the same run, through
the real server and tests.faultproxy pacing a 32 kbit/s link with 600 ms RTT:

    records first     time until all N households' records are at the province when each
                      also has two photos waiting (the officer chose "send photos now"), vs
                      the same push with no photos at all               target ratio <= 1.1
    photo bytes       bytes on the wire (both ways, HTTP headers included) while photos are
                      sent, vs the photos' own sizes                    target ratio <= 1.05
    camera frame      preparing a full-HD webcam frame (handed over as in-memory BMP, as
                      app/gui/evidence.py does) vs preparing a phone photo file   (info)

Sending 2N real photos over 32 kbit/s takes about 25 s each, so the first figure stops the
sync once the records are in (the photo upload is cut off by closing the link) and the second
sends the photos of a few households only (--photo-households)."""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

from sqlalchemy import func, select

from app import demo, evidence
from app.store import attachments
from bench.sync import AREA, LINK_BPS, LINK_LATENCY_S, TODAY, _laptop, _server
from sync.client import SyncClient, SyncError
from sync.server.db import households as province_households
from tests import photos
from tests.faultproxy import FaultProxy


def _records_at_province(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(province_households)).scalar_one()


def _with_photos(client: SyncClient, records: list[dict], make) -> int:
    """Two photos per household into the laptop store; their total size."""
    total = 0
    store = client.store
    with store.db.atomic():
        for i, record in enumerate(records):
            for j in range(2):
                content, thumb = make(2 * i + j)
                attachments.add(store, record["id"], "photo", content, thumb, {"n": j})
                total += len(content)
    return total


def _time_to_records(work: Path, name: str, records: list[dict], make) -> float:
    """Seconds from the start of a sync until the province holds every record."""
    n = len(records)
    with _server(f"sqlite:///{work / (name + '.db')}") as (engine, officer, url):
        client = _laptop(work / name, engine, officer, url, records)
        if make is not None:
            _with_photos(client, records, make)
        client.max_attempts = 2
        client.sleep = lambda _s: None
        port = int(url.rsplit(":", 1)[1])
        proxy = FaultProxy(port, latency_s=LINK_LATENCY_S, bandwidth_bps=LINK_BPS).start()
        started = time.perf_counter()

        def sync() -> None:
            try:
                client.sync(proxy.url(), photos=True)
            except SyncError:
                pass  # the link was closed under the photo upload: expected

        worker = threading.Thread(target=sync, daemon=True)
        worker.start()
        while _records_at_province(engine) < n:
            time.sleep(0.05)
            if not worker.is_alive() and _records_at_province(engine) < n:
                raise RuntimeError("sync ended before the records were in")
        elapsed = time.perf_counter() - started
        proxy.stop()  # photos still going: cut them off
        worker.join(timeout=120)
        client.store.close()
    return elapsed


def bench_records_first(report, work: Path, n: int) -> None:
    records = list(demo.generate(n, seed=16, areas=[AREA], today=TODAY))
    rng = random.Random(16)

    def opaque(_i: int) -> tuple[bytes, bytes]:  # sync does not look inside a photo
        return b"\xff\xd8\xff\xe0" + rng.randbytes(95_000), b"thumb"

    print(f"  {n} households through {LINK_BPS // 1000} kbit/s, 600 ms RTT ...", flush=True)
    without = _time_to_records(work, "records-only", records, None)
    with_photos = _time_to_records(work, "records-and-photos", records, opaque)
    report(
        f"records at province, {2 * n} photos waiting (s)",
        with_photos,
        "s",
        without,
        "ratio <= 1.1 (baseline: same push, no photos)",
    )


def bench_photo_bytes(report, work: Path, n: int) -> None:
    records = list(demo.generate(n, seed=17, areas=[AREA], today=TODAY))
    prepared = [evidence.prepare_photo(photos.phone_jpeg(seed=s)) for s in range(2 * n)]
    with _server(f"sqlite:///{work / 'photo-bytes.db'}") as (engine, officer, url):
        client = _laptop(work / "photo-bytes", engine, officer, url, records)
        size = _with_photos(client, records, lambda i: (prepared[i].content, prepared[i].thumbnail))
        port = int(url.rsplit(":", 1)[1])
        with FaultProxy(port, latency_s=LINK_LATENCY_S, bandwidth_bps=LINK_BPS) as proxy:
            client.sync(proxy.url(), photos=False)  # the records first, not counted
            proxy.stats.reset()
            print(
                f"  sending {2 * n} photos ({size // 1024} KB) through"
                f" {LINK_BPS // 1000} kbit/s ...",
                flush=True,
            )
            started = time.perf_counter()
            report_ = client.push_attachments(proxy.url())
            elapsed = time.perf_counter() - started
            stats = proxy.stats.snapshot()
        client.store.close()
    assert report_.attachments_sent == 2 * n, report_
    wire = stats["bytes_up"] + stats["bytes_down"]
    report(f"photo bytes on the wire ({2 * n} photos)", wire, "B", size, "ratio <= 1.05")
    report(f"photo upload time ({2 * n} photos)", elapsed, "s", size * 8 / LINK_BPS, "(info)")


def bench_camera_frame(report, rounds: int = 5) -> None:
    """The camera's frame goes through prepare_photo like a file: how long it takes (on the
    store worker, the GUI does not wait) beside a phone photo, and what comes out."""
    import io

    from PIL import Image

    frame = Image.open(io.BytesIO(photos.phone_jpeg(seed=3))).convert("RGB").resize((1920, 1080))
    bmp = io.BytesIO()
    frame.save(bmp, "BMP")
    jpeg = photos.phone_jpeg(seed=3)

    def median(data: bytes) -> tuple[float, int]:
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            out = evidence.prepare_photo(data)
            times.append(time.perf_counter() - started)
        return sorted(times)[rounds // 2], len(out.content)

    frame_s, frame_size = median(bmp.getvalue())
    file_s, _ = median(jpeg)
    report(
        f"prepare a 1920x1080 camera frame ({frame_size // 1024} KB out)",
        frame_s * 1000,
        "ms",
        file_s * 1000,
        "(info; baseline: a phone photo file)",
    )


def run(report, work: Path, households: int = 100, photo_households: int = 3) -> None:
    bench_camera_frame(report)
    bench_records_first(report, work, households)
    bench_photo_bytes(report, work, photo_households)
