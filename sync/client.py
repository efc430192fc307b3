"""The laptop's sync client (docs/sync.md): enrollment, push of the outbox, pull of decisions.

Every request is signed with the device key; every batch is sealed to the province key. Poor
links are the normal case: timeouts, adaptive batch size, retries with backoff and jitter, and
the outbox as the only state, so an interrupted sync simply resumes.

The network and the store are kept apart: every store access is one short function passed to
`run_on_store` (take the next batch, apply the answers, apply a page of events with its
cursor, read or write a secret). The CLI calls them on its store directly; the desktop app
runs the HTTP on a thread of its own and each store function on its store worker, so saves
never wait for the network (app/gui/syncing.py).
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import ssl
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import TypeVar, cast
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.errors import KhbsError, for_app
from app.i18n import catalogue, tr
from app.province_key import ProvinceKeyPair
from app.store import Store, attachments, questionnaires, retention
from app.store.outbox import (
    Applied,
    Pulled,
    apply_events,
    apply_results,
    needs_attention,
    next_batch,
    pull_cursor,
)
from sync.protocol import (
    CHUNK_BYTES,
    ChunkHeader,
    ProtocolError,
    b64,
    pack_chunk,
    seal_attachment,
    seal_batch,
    sign_request,
    unb64,
)

TIMEOUT = (10, 30)  # connect, read: a 32 kbit/s link moves about 100 KB in 30 s
MIN_BATCH, START_BATCH, MAX_BATCH = 1, 8, 256
PULL_LIMIT = 200
MIN_PULL = 5
DEVICE_SECRET = "device"
ESCROW_SENT = "escrow_sent"  # meta: which escrow blob the server has
BOX_SECRET = "device_box"  # secrets: the device's HPKE private key (pre-filled households)
BOX_SENT = "box_key_sent"  # meta: the id of the box key the server has
BUSY = (429, 503)  # rate limited, or overloaded: wait and ask again
MAX_RETRY_AFTER = 300.0  # the longest single wait a server may ask for
MAX_BUSY_WAIT = 300.0  # default: all waits for a busy server in one enroll, push or pull
CLOCK_WARN_S = 5 * 60  # a laptop clock further off than this is worth telling the officer
LINK_SPEED = "link_bytes_per_s"  # meta: bytes per second the last sync moved up
ATTACHMENT_PAGE = 20

T = TypeVar("T")
RunOnStore = Callable[[Callable[[Store], T]], T]  # run_on_store(fn) -> fn(the store)


class SyncError(KhbsError):
    """`code` and `params` (numbers such as seconds) are safe to show and log: they never
    carry personal data. Its message is the code's sentence (`sync.error.<code>`), so the CLI
    and the app show it through app.errors.user_message like any other KhbsError."""

    def __init__(self, code: str, **params: int):
        self.code = code
        super().__init__(**params)

    def message(self, lang: str | None = None, *, app: bool = False) -> str:
        key = f"sync.error.{self.code}"
        if key in catalogue():
            return tr(for_app(key, app), lang, **self.params)
        return tr("sync.error.other", lang, code=self.code)


def check_url(url: str, *, allow_insecure: bool = False) -> str:
    """HTTPS, or plain HTTP to this machine only (or with an explicit development flag)."""
    parts = urlsplit(url)
    if parts.scheme == "https" or allow_insecure:
        return url.rstrip("/")
    if parts.scheme == "http" and parts.hostname in ("localhost", "127.0.0.1", "::1"):
        return url.rstrip("/")
    raise SyncError("insecure_url")


@dataclass
class Device:
    device_id: str
    officer_id: str
    server: str
    key: Ed25519PrivateKey
    province_key: bytes
    province_key_id: str
    clock_offset: int = 0

    def to_secret(self) -> bytes:
        return json.dumps(
            {
                "device_id": self.device_id,
                "officer_id": self.officer_id,
                "server": self.server,
                "key": b64(self.key.private_bytes_raw()),
                "province_key": b64(self.province_key),
                "province_key_id": self.province_key_id,
                "clock_offset": self.clock_offset,
            }
        ).encode()

    @classmethod
    def from_secret(cls, raw: bytes) -> Device:
        d = json.loads(raw)
        return cls(
            d["device_id"],
            d["officer_id"],
            d["server"],
            Ed25519PrivateKey.from_private_bytes(unb64(d["key"])),
            unb64(d["province_key"]),
            d["province_key_id"],
            d.get("clock_offset", 0),
        )


@dataclass
class SyncReport:
    sent: int = 0
    synced: int = 0
    attention: int = 0
    bytes_up: int = 0
    bytes_down: int = 0
    events: int = 0
    retries: int = 0
    damaged: list[str] = field(default_factory=list)
    assigned: int = 0  # households from the DTSEN list stored or refreshed
    province_changed: int = 0  # newer list versions waiting for the officer's choice
    released: int = 0  # given up: their desa went to another officer
    # The laptop's clock minus the province server's, in seconds (positive: the laptop is
    # ahead), from the Date of the last reply; None when no reply carried one.
    clock_offset_s: int | None = None
    # Every household needing attention after this sync, earlier ones included, as
    # (household id, reason code): ids and codes only, never personal data.
    needs_attention: list[tuple[str, str]] = field(default_factory=list)
    # Questionnaire versions the province published that arrived with this sync (checked and
    # kept: "Kuesioner versi 2 tersedia", message sync.questionnaire_available), and those
    # refused (bad signature, or a document this app cannot use: sync.questionnaire_refused).
    questionnaires: list[int] = field(default_factory=list)
    questionnaires_refused: list[int] = field(default_factory=list)
    # The supervision loop: households a supervisor returned with this sync, and returns
    # that did not open for this device (app/store/supervision.py).
    returned: int = 0
    reviews_refused: int = 0
    # Retention (app/store/retention.py): households replaced by stubs after this sync, and
    # removed because the family withdrew consent.
    purged: int = 0
    erased: int = 0

    # Photos and signatures (push_attachments): sent whole, bytes on the wire (chunk bodies),
    # cuts the upload resumed after, chunks sent again (at most one per cut), refused by the
    # province (kept for the next sync).
    attachments_sent: int = 0
    attachment_bytes: int = 0
    attachment_cuts: int = 0
    chunks_resent: int = 0
    attachments_refused: int = 0

    @property
    def clock_off(self) -> bool:
        return self.clock_offset_s is not None and abs(self.clock_offset_s) > CLOCK_WARN_S


class SyncClient:
    """SyncClient(store) calls the store directly (the CLI). SyncClient(run_on_store=f) never
    touches a store itself: f(fn) must run fn(store) where the store lives and return its
    result or raise its exception (the desktop app's store worker)."""

    def __init__(
        self,
        store: Store | None = None,
        *,
        run_on_store: RunOnStore | None = None,
        session: requests.Session | None = None,
        verify: bool | str = True,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        max_attempts: int = 8,
        max_busy_wait: float = MAX_BUSY_WAIT,
        rng: random.Random | None = None,
    ):
        if (store is None) == (run_on_store is None):
            raise TypeError("SyncClient takes one of: a store, run_on_store")
        self.store = store
        direct = cast(Store, store)
        self.on_store: RunOnStore = run_on_store or (lambda fn: fn(direct))
        self.http = session or requests.Session()
        self.verify = verify  # True, or the province's own CA bundle
        self.clock = clock
        self.sleep = sleep
        self.max_attempts = max_attempts
        self.max_busy_wait = max_busy_wait
        self.busy_waited = 0.0  # in the current enroll, push or pull
        self.rng = rng or random.Random()

    # -- enrollment ------------------------------------------------------------------------

    def enroll(self, server: str, code: str, *, allow_insecure: bool = False) -> Device:
        server = check_url(server, allow_insecure=allow_insecure)
        self.busy_waited = 0.0
        key = Ed25519PrivateKey.generate()
        box = ProvinceKeyPair.generate()
        # The store id registers this laptop's store as the only one the device may escrow.
        store_id = self.on_store(lambda store: store.store_id)
        body = json.dumps(
            {
                "code": code.strip(),
                "device_key": b64(key.public_key().public_bytes_raw()),
                "box_key": b64(box.public_bytes()),
                "store_id": store_id,
            }
        )
        headers = {"Content-Type": "application/json"}
        # The server limits enrollment before it looks at the code, so asking again is safe.
        reply = _checked(
            self._patient(
                lambda: self._request("POST", server + "/v1/enroll", body.encode(), headers)
            )
        )
        data = reply.json()
        device = Device(
            data["device_id"],
            data["officer_id"],
            server,
            key,
            unb64(data["province_key"]),
            data["province_key_id"],
            int(data.get("server_time", self.clock())) - int(self.clock()),
        )
        signing = _signing_key_in(data)
        self.on_store(lambda store: _save_enrollment(store, device, box, data["areas"], signing))
        return device

    def device(self) -> Device:
        raw = self.on_store(lambda store: store.get_secret(DEVICE_SECRET))
        if raw is None:
            raise SyncError("not_enrolled")
        return Device.from_secret(raw)

    # -- push ------------------------------------------------------------------------------

    def push(
        self, server: str | None = None, progress: Callable[[int, int], None] | None = None
    ) -> SyncReport:
        """Send the whole outbox; returns what happened. Raises SyncError when the link stays
        down after the retries (what was acknowledged before that is kept)."""
        device = self.device()
        base = check_url(server) if server else device.server
        self.busy_waited = 0.0
        report = SyncReport()
        size, attempt = START_BATCH, 0
        total = self.on_store(lambda store: store.status_counts()["pending_sync"])
        skipped: set[str] = set()
        while True:
            want = size + len(skipped)
            batch, damaged, escrow, store_id = self.on_store(
                lambda store: (*next_batch(store, want), _escrow_in(store), store.store_id)
            )
            batch = [b for b in batch if b["id"] not in skipped]
            report.damaged = sorted(set(report.damaged) | set(damaged))
            # Damaged households stay queued, but must not fill every later batch either.
            newly_damaged = set(damaged) - skipped
            skipped |= newly_damaged
            if not batch:
                if newly_damaged:
                    continue  # the queue goes on behind them
                if escrow is None:
                    return report
                # Nothing to send, but the province must hold the key escrow from the first
                # sync on: it is what recovers a forgotten passphrase. An empty batch carries it.
            body = seal_batch(
                device.province_key,
                device.province_key_id,
                device.device_id,
                str(uuid.uuid4()),
                batch,
                escrow,
                store_id if escrow is not None else None,
            )
            try:
                reply = self._signed(device, "POST", base, "/v1/push", body, report=report)
            except SyncError as exc:
                # A batch over the province's push limit goes again, smaller; one household
                # alone over it cannot, and says so.
                if exc.code not in ("network", "too_large") or (
                    exc.code == "too_large" and len(batch) <= MIN_BATCH
                ):
                    raise
                attempt += 1
                report.retries += 1
                if attempt >= self.max_attempts:
                    raise
                size = max(MIN_BATCH, min(size, len(batch)) // 2)
                self._backoff(attempt)
                continue
            attempt = 0
            report.bytes_up += len(body)
            report.bytes_down += len(reply.content)
            results = reply.json()["results"]
            applied, still_queued = self.on_store(
                lambda store: _record_answers(store, results, batch, escrow)
            )
            report.sent += len(batch)
            report.synced += applied.synced
            report.attention += applied.attention
            # Whatever is still queued at the revision sent (no answer, or an outcome this
            # version does not know) must not loop forever: it waits for the next sync.
            skipped |= still_queued
            size = min(MAX_BATCH, size * 2)
            if progress:
                progress(report.sent, total)

    def _escrow_to_send(self) -> tuple[str, bytes] | None:
        """The escrow blob the next push carries, or None (_escrow_in)."""
        return self.on_store(_escrow_in)

    # -- pull ------------------------------------------------------------------------------

    def pull(self, server: str | None = None, report: SyncReport | None = None) -> SyncReport:
        """Fetch the province's events after the stored cursor and apply them; each page and
        its cursor are kept in one transaction, so an interrupted pull resumes."""
        device = self.device()
        base = check_url(server) if server else device.server
        self.busy_waited = 0.0
        report = report or SyncReport()
        box = self._box(device, base, report)
        limit, attempt = PULL_LIMIT, 0
        while True:
            after = self.on_store(pull_cursor)
            try:
                reply = self._signed(
                    device, "GET", base, f"/v1/pull?after={after}&limit={limit}", report=report
                )
            except SyncError as exc:
                # A page of pre-filled households is ~2 KB each: on a link that keeps dropping,
                # ask for smaller pages (applied pages are kept, so nothing is fetched twice).
                attempt += 1
                if exc.code != "network" or attempt >= self.max_attempts:
                    raise
                report.retries += 1
                limit = max(MIN_PULL, limit // 4)
                self._backoff(attempt)
                continue
            attempt, limit = 0, min(PULL_LIMIT, limit * 2)
            report.bytes_down += len(reply.content)
            data = reply.json()
            events = data.get("events") or []
            cursor = int(data.get("cursor", after))
            signing = _signing_key_in(data)
            page = events + ([data["settings"]] if data.get("settings") else [])
            pulled = self.on_store(
                lambda store: _apply_page(store, page, cursor, (device.device_id, box), signing)
            )
            report.events += len(events)
            report.questionnaires += pulled.questionnaires
            report.questionnaires_refused += pulled.questionnaires_refused
            report.assigned += pulled.candidates
            report.province_changed += pulled.province_changed
            report.released += pulled.released
            report.returned += pulled.reviews
            report.reviews_refused += pulled.reviews_refused
            report.erased += pulled.erased
            # A page may hold only events meant for nobody here any more: go on by the cursor.
            if not data.get("more") or cursor <= after:
                report.needs_attention = self.attention()
                return report

    def _box(self, device: Device, base: str, report: SyncReport) -> ProvinceKeyPair:
        """The device's own HPKE key pair, which pre-filled households are sealed to; made and
        sent to the province once (on the first pull, for laptops enrolled before it existed)."""
        raw, sent = self.on_store(
            lambda store: (store.get_secret(BOX_SECRET), store.get_meta(BOX_SENT))
        )
        box = ProvinceKeyPair.from_private_bytes(raw) if raw else ProvinceKeyPair.generate()
        if raw is None:
            self.on_store(lambda store: store.put_secret(BOX_SECRET, box.private_bytes()))
        if sent != box.key_id:
            self._signed(
                device, "POST", base, "/v1/device/box-key", box.public_bytes(), report=report
            )
            self.on_store(lambda store: store.set_meta(BOX_SENT, box.key_id))
        return box

    def sync(self, server: str | None = None, *, photos: bool = True) -> SyncReport:
        """Push the outbox, pull decisions, replace the households whose retention period ended
        by their stubs (app/store/retention.py), then (when `photos`) send the attachments:
        records never wait behind photos. The link speed measured is kept for the officer's
        choice."""
        started = self.clock()
        report = self.push(server)
        report = self.pull(server, report)
        report.purged = len(self.on_store(retention.purge).ids)
        if photos:
            self.push_attachments(server, report)
        self.remember_speed(report, started)
        return report

    def remember_speed(self, report: SyncReport, started: float) -> None:
        """Keep the speed this sync moved bytes up at (clock time since `started`), which
        photo_wait estimates the next upload with. Too little moved says nothing: kept as was."""
        elapsed = self.clock() - started
        moved = report.bytes_up + report.attachment_bytes
        if moved > 2048 and elapsed > 0:
            speed = f"{moved / elapsed:.0f}"
            self.on_store(lambda store: store.set_meta(LINK_SPEED, speed))

    # -- attachments -----------------------------------------------------------------------

    def push_attachments(
        self,
        server: str | None = None,
        report: SyncReport | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> SyncReport:
        """Send the photos and signatures of households the province holds, each in chunks of
        CHUNK_BYTES; after a cut, ask what arrived and go on from there (docs/sync.md)."""
        device = self.device()
        base = check_url(server) if server else device.server
        self.busy_waited = 0.0
        report = report or SyncReport()
        skipped: set[str] = set()
        total = self.on_store(attachments.waiting)[0]
        if progress and total:
            progress(0, total)  # the officer sees the photos begin
        while True:
            page = self.on_store(
                lambda store: attachments.to_send(store, ATTACHMENT_PAGE + len(skipped))
            )
            page = [a for a in page if a.id not in skipped]
            if not page:
                return report
            for found in page:
                if self._send_attachment(device, base, found, report):
                    sent_id = found.id
                    self.on_store(lambda store: attachments.mark_sent(store, sent_id))
                    report.attachments_sent += 1
                else:
                    skipped.add(found.id)
                    report.attachments_refused += 1
                if progress:
                    progress(report.attachments_sent, total)

    def _send_attachment(
        self, device: Device, base: str, found: attachments.Attachment, report: SyncReport
    ) -> bool:
        """One attachment, chunk by chunk; False when the province refuses it (kept for later)."""

        def sealed(content: bytes, info: dict) -> bytes:
            return seal_attachment(device.province_key, device.device_id, found.id, content, info)

        blob, resumed = self.on_store(lambda store: attachments.upload(store, found.id, sealed))
        offset = self._held(device, base, found.id, report) if resumed else 0
        sent_to = 0  # the end of what this sync has sent: a chunk starting below it is a re-send
        attempt = 0
        while offset is not None and offset < len(blob):
            data = blob[offset : offset + CHUNK_BYTES]
            header = ChunkHeader(
                found.id,
                found.household_id,
                found.kind,
                found.sha256,
                device.province_key_id,
                len(blob),
                offset,
            )
            body = pack_chunk(header, data)
            if offset < sent_to:
                report.chunks_resent += 1
            sent_to = max(sent_to, offset + len(data))
            report.attachment_bytes += len(body)
            try:
                reply = self._signed(
                    device, "POST", base, "/v1/attachments/chunk", body, report=report
                )
            except SyncError as exc:
                if exc.code in ("unknown_household", "attachment_conflict", "bad_seal"):
                    return False
                if exc.code != "network":
                    raise
                attempt += 1
                report.attachment_cuts += 1
                report.retries += 1
                if attempt >= self.max_attempts:
                    raise
                self._backoff(attempt)
                offset = self._held(device, base, found.id, report)
                continue
            attempt = 0
            answer = reply.json()
            if answer.get("complete"):
                return True
            offset = int(answer["received"])
        return True  # complete (offset None: the province had it whole already)

    def _held(self, device: Device, base: str, attachment_id: str, report: SyncReport):
        """Bytes of an upload the province holds (None: it has the attachment whole), asked
        again through cuts like any request."""
        attempt = 0
        while True:
            try:
                reply = self._signed(
                    device, "GET", base, f"/v1/attachments/{attachment_id}", report=report
                )
            except SyncError as exc:
                attempt += 1
                if exc.code != "network" or attempt >= self.max_attempts:
                    raise
                report.retries += 1
                self._backoff(attempt)
                continue
            answer = reply.json()
            return None if answer.get("complete") else int(answer["received"])

    def attention(self) -> list[tuple[str, str]]:
        """(household id, reason code) of every household the province sent back (rejected,
        or a conflict), oldest first: what the officer has to open and fix."""
        return self.on_store(needs_attention)

    # -- transport -------------------------------------------------------------------------

    def _backoff(self, attempt: int) -> None:
        self.sleep(self._jitter(attempt))

    def _jitter(self, attempt: int) -> float:
        """Full jitter: a random wait up to 2 s x 2^attempt, capped at 5 minutes."""
        return self.rng.uniform(0, min(300.0, 2.0 * 2**attempt))

    def _signed(
        self,
        device: Device,
        method: str,
        base: str,
        path: str,
        body: bytes = b"",
        report: SyncReport | None = None,
    ) -> requests.Response:
        def send() -> requests.Response:  # signed afresh each time: a nonce is used once
            now = int(self.clock()) + device.clock_offset
            headers = sign_request(device.key, device.device_id, method, path, body, now)
            headers["Content-Type"] = "application/octet-stream"
            return self._request(method, base + path, body, headers)

        for _ in range(2):  # once more after learning the server's clock
            reply = self._patient(send, report)
            if report is not None:
                report.clock_offset_s = _clock_offset(reply, self.clock(), report.clock_offset_s)
            if reply.status_code == 401 and _code(reply) == "clock_skew":
                server_time = reply.json().get("server_time")
                if server_time is None:
                    break
                device.clock_offset = int(server_time) - int(self.clock())
                secret = device.to_secret()
                self.on_store(lambda store: store.put_secret(DEVICE_SECRET, secret))
                continue
            return _checked(reply)
        raise SyncError("clock_skew")

    def _patient(
        self, send: Callable[[], requests.Response], report: SyncReport | None = None
    ) -> requests.Response:
        """send(), again while the server answers 429 or 503: after its Retry-After, else
        after a backoff. A wait past MAX_RETRY_AFTER, past what is left of max_busy_wait, or
        after max_attempts answers raises server_busy with the seconds to wait."""
        attempt = 0
        while True:
            reply = send()
            if reply.status_code not in BUSY:
                return reply
            attempt += 1
            asked = retry_after(reply, self.clock())
            wait = asked if asked is not None else self._jitter(attempt)
            left = self.max_busy_wait - self.busy_waited
            if attempt >= self.max_attempts or wait > min(MAX_RETRY_AFTER, left):
                raise SyncError("server_busy", seconds=max(1, math.ceil(wait)))
            if report is not None:
                report.retries += 1
            self.busy_waited += wait
            self.sleep(wait)

    def _request(self, method: str, url: str, body: bytes, headers: dict) -> requests.Response:
        try:
            return self.http.request(
                method, url, data=body, headers=headers, timeout=TIMEOUT, verify=self.verify
            )
        except requests.exceptions.SSLError as exc:
            # A certificate that is not trusted will not become trusted by retrying; a
            # handshake cut off by a poor link is a network failure like any other.
            raise SyncError("certificate" if _untrusted(exc) else "network") from None
        except requests.RequestException:
            raise SyncError("network") from None


# -- the store's side: each one short call, run where the store lives (run_on_store) ----------


def _save_enrollment(
    store: Store,
    device: Device,
    box: ProvinceKeyPair,
    areas: list,
    signing: tuple[str, bytes] | None,
) -> None:
    store.put_secret(DEVICE_SECRET, device.to_secret())
    store.put_secret(BOX_SECRET, box.private_bytes())
    store.set_meta(BOX_SENT, box.key_id)
    store.set_officer(device.officer_id, areas)
    store.set_province_key(device.province_key)
    if signing is not None:  # enrolling again takes this server's signing key
        questionnaires.set_signing_key(store, *signing, replace=True)


def _signing_key_in(data: dict) -> tuple[str, bytes] | None:
    """The province signing key (key id, raw public key) of an enrollment or pull reply:
    questionnaire versions are signed with it. None when the reply has none or it is garbled."""
    key, key_id = data.get("signing_key"), data.get("signing_key_id")
    if not isinstance(key, str) or not isinstance(key_id, str):
        return None
    try:
        return key_id, unb64(key)
    except ProtocolError:
        return None


def _apply_page(
    store: Store,
    events: list,
    cursor: int,
    box: tuple[str, ProvinceKeyPair],
    signing: tuple[str, bytes] | None,
) -> Pulled:
    """One page of pull events with its cursor. A pull gives the signing key only to a laptop
    without one (enrolled before the province had it), before the page's questionnaire events
    need it."""
    if signing is not None:
        questionnaires.set_signing_key(store, *signing)
    pulled = apply_events(store, events, cursor, box=box)
    if pulled.erased:
        retention.checkpoint(store)  # the erased pages' old images leave the WAL
    return pulled


def _escrow_in(store: Store) -> tuple[str, bytes] | None:
    """The escrow blob, until a push that carried it (with the store id) has been answered.
    A laptop that sent it before store ids went with it sends it once more: that claim
    binds its device to its store at the province (docs/security.md)."""
    escrow = store.escrow()
    if escrow is None or store.get_meta(ESCROW_SENT) == _escrow_tag(store, escrow):
        return None
    return escrow


def _escrow_tag(store: Store, escrow: tuple[str, bytes]) -> str:
    digest = hashlib.sha256(escrow[1]).hexdigest()[:16]
    return f"{store.store_id}|{escrow[0]}:{digest}"


def _record_answers(
    store: Store, results: list[dict], batch: list[dict], escrow: tuple[str, bytes] | None
) -> tuple[Applied, set[str]]:
    """Apply the province's answers to one push; returns what changed and the ids of the
    batch still queued at the revision sent."""
    applied = apply_results(store, results)
    if escrow is not None:
        # Also when the province refused it (the reply's "escrow"): sending it again would
        # not change the answer, and the province audits the refusal.
        store.set_meta(ESCROW_SENT, _escrow_tag(store, escrow))
    still = {b["id"] for b in batch if store.queued_revision(b["id"]) == b["revision"]}
    return applied, still


def retry_after(reply: requests.Response, now: float) -> float | None:
    """The Retry-After header in seconds: delay-seconds, or an HTTP-date counted from the
    reply's own Date (the laptop's clock may be off; `now` only when there is no Date).
    None when absent or unreadable."""
    value = (reply.headers.get("Retry-After") or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        date = reply.headers.get("Date")
        return max(0.0, _http_date(value) - (_http_date(date) if date else now))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _clock_offset(reply: requests.Response, now: float, known: int | None) -> int | None:
    """This laptop's clock minus the server's, from the reply's Date header (whole seconds, so
    within a second or two of the truth); `known` when the reply has no readable Date."""
    try:
        return round(now - _http_date(reply.headers["Date"]))
    except (KeyError, TypeError, ValueError, IndexError, OverflowError):
        return known


def clock_warning(offset_s: int, lang: str | None = None) -> str:
    """ "Jam laptop 2 hari 3 jam lebih cepat dari server provinsi ..." for a laptop whose clock
    is `offset_s` seconds ahead of the province's (negative: behind)."""
    from app.i18n import tr

    key = "sync.clock_ahead" if offset_s > 0 else "sync.clock_behind"
    return tr(key, lang, diff=duration(abs(offset_s), lang))


def duration(seconds: int, lang: str | None = None) -> str:
    """ "2 hari 3 jam", "1 jam 20 menit", "7 menit": the two largest units, to the minute."""
    from app.i18n import tr

    minutes = round(seconds / 60)
    days, hours, mins = minutes // 1440, minutes // 60 % 24, minutes % 60
    parts = [(days, "day"), (hours, "hour"), (mins, "minute")]
    while len(parts) > 1 and parts[0][0] == 0:
        parts.pop(0)  # no leading zeros: "3 jam", not "0 hari 3 jam"
    shown = [
        tr(f"duration.{unit}" + ("s" if n != 1 else ""), lang, n=n)
        for n, unit in parts[:2]
        if n or len(parts) == 1
    ]
    return " ".join(shown)


def attention_message(reason: str, lang: str | None = None) -> str:
    """The officer's sentence for a reason code the province gave: its own text for the codes
    push answers with, else the rule's text for a rule code (one that needs no numbers: the
    reason is a bare code), else a sentence naming the code."""
    from app.i18n import catalogue, tr

    for key in (f"sync.reason.{reason}", f"rule.{reason}"):
        if key in catalogue():
            try:
                return tr(key, lang)
            except (KeyError, IndexError):  # a text with {placeholders} the code cannot fill
                break
    return tr("sync.reason.other", lang, code=reason)


def _http_date(value: str) -> float:
    when = parsedate_to_datetime(value)
    if when.tzinfo is None:  # "-0000": HTTP-dates are GMT all the same
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


def _untrusted(exc: BaseException) -> bool:
    """Whether an SSLError from requests is a failed certificate check (somewhere in the chain
    of wrapped urllib3 and ssl errors)."""
    seen: set[int] = set()
    todo: list[object] = [exc]
    while todo:
        e = todo.pop()
        if not isinstance(e, BaseException) or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, ssl.SSLCertVerificationError):
            return True
        todo += [e.__cause__, e.__context__, getattr(e, "reason", None), *e.args]
    return "CERTIFICATE_VERIFY_FAILED" in str(exc)


def _code(reply: requests.Response) -> str | None:
    try:
        return reply.json().get("error")
    except ValueError:
        return None


def _checked(reply: requests.Response) -> requests.Response:
    if reply.status_code >= 500 or reply.status_code == 408:
        # Worth retrying (429 and 503 were waited for already); 408: the body came in too
        # slowly for the server, as on a link that stalls.
        raise SyncError("network")
    if reply.status_code >= 400:
        raise SyncError(_code(reply) or f"http_{reply.status_code}")
    return reply


def photo_wait(store: Store) -> tuple[int, int, int | None]:
    """(count, bytes, seconds) of the photos and signatures waiting to be sent: the seconds at
    the speed the last sync measured (None before one did). What the officer's choice "send
    photos now?" shows."""
    count, size = attachments.waiting(store)
    speed = store.get_meta(LINK_SPEED)
    seconds = math.ceil(size / float(speed)) if speed and float(speed) > 0 else None
    return count, size, seconds
