"""Wire format shared by the laptop and the server (docs/sync.md): signed requests, sealed
upload batches, the HPKE info strings that bind each sealed message, the content hash of a
household, push results and pull events. Pure functions and plain data; no I/O.

Both ends import this module; it imports nothing of either (the server never imports app.store
or app.gui, tests/test_layers.py)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import struct
import uuid
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import ClassVar

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from app.province_key import ProvinceKeyPair, seal_to

MAGIC = b"KHBSB1"
MAX_SKEW_S = 15 * 60
ENCODING = "json+zlib"
H_DEVICE, H_TIME, H_NONCE, H_SIGNATURE = "KHBS-Device", "KHBS-Time", "KHBS-Nonce", "KHBS-Signature"


class ProtocolError(Exception):
    """A request or batch that does not verify. `code` is safe to log and to send back."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError):
        raise ProtocolError("bad_encoding") from None


# -- signed requests ------------------------------------------------------------------------


def canonical(method: str, path: str, time: int, nonce: str, body: bytes) -> bytes:
    digest = hashlib.sha256(body).hexdigest()
    return f"KHBS1\n{method.upper()}\n{path}\n{time}\n{nonce}\n{digest}".encode()


def sign_request(
    key: Ed25519PrivateKey, device_id: str, method: str, path: str, body: bytes, now: int
) -> dict[str, str]:
    """Headers for one request. `path` includes the query string; `now` is the laptop's clock
    corrected by the last known offset to the server."""
    nonce = b64(os.urandom(16))
    signature = key.sign(canonical(method, path, now, nonce, body))
    return {H_DEVICE: device_id, H_TIME: str(now), H_NONCE: nonce, H_SIGNATURE: b64(signature)}


def verify_request(
    public_key: Ed25519PublicKey,
    headers: Mapping[str, str],
    method: str,
    path: str,
    body: bytes,
    now: int,
    max_skew: int = MAX_SKEW_S,
) -> str:
    """Checks signature and freshness; returns the nonce, which the caller must check has not
    been seen before (replay) and remember for 2 x max_skew."""
    try:
        time = int(headers[H_TIME])
        nonce = headers[H_NONCE]
        signature = unb64(headers[H_SIGNATURE])
    except (KeyError, ValueError):
        raise ProtocolError("missing_auth") from None
    if abs(now - time) > max_skew:
        raise ProtocolError("clock_skew")
    try:
        public_key.verify(signature, canonical(method, path, time, nonce, body))
    except InvalidSignature:
        raise ProtocolError("bad_signature") from None
    return nonce


# -- sealed batches -------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchHeader:
    batch_id: str
    key_id: str
    count: int
    encoding: str = ENCODING
    # The laptop's data key sealed to the province key (Store.escrow()), sent with a push until
    # the server has it: (escrow key id, blob). Already sealed, so plain in the header is fine.
    escrow: tuple[str, bytes] | None = None
    # The laptop's store id, sent with the escrow: a device enrolled before store ids were
    # registered binds to it on its first claim (docs/security.md). Not personal.
    store_id: str | None = None


def normal_store_id(text: object) -> str:
    """A laptop store id (Store.create makes a random UUID) in its one written form: lower-case
    hex with dashes. Anything else is ProtocolError("bad_store_id")."""
    try:
        if not isinstance(text, str) or len(text) != 36:
            raise ValueError
        normal = str(uuid.UUID(text))
    except ValueError:
        raise ProtocolError("bad_store_id") from None
    if normal != text.lower():
        raise ProtocolError("bad_store_id")
    return normal


# HPKE info strings: a sealed message opens only for what it was sealed for.


def batch_info(device_id: str, batch_id: str) -> bytes:
    """An upload batch, sealed to the province key: bound to the device and the batch."""
    return f"khbs/batch/v1|{device_id}|{batch_id}".encode()


def escrow_info(store_id: str) -> bytes:
    """The laptop's data key sealed to the province key (Store.escrow()): bound to its store."""
    return f"khbs/escrow/v1|{store_id}".encode()


def candidate_info(device_id: str, household_id: str, revision: int) -> bytes:
    """A pre-filled household sealed to one device's box key: moved to another device,
    household or revision, it does not open."""
    return f"khbs/candidate/v1|{device_id}|{household_id}|{revision}".encode()


def review_info(device_id: str, household_id: str, revision: int) -> bytes:
    """A supervisor's comments on one revision, sealed to one device's box key (ReviewEvent)."""
    return f"khbs/review/v1|{device_id}|{household_id}|{revision}".encode()


def seal_batch(
    province_public: bytes,
    key_id: str,
    device_id: str,
    batch_id: str,
    households: list[dict],
    escrow: tuple[str, bytes] | None = None,
    store_id: str | None = None,
) -> bytes:
    """households: [{"id", "revision", "record"}]. Compressed, then sealed to the province.
    `store_id` goes with the escrow (the store whose key it seals)."""
    payload = json.dumps(households, ensure_ascii=False, separators=(",", ":")).encode()
    sealed = seal_to(province_public, zlib.compress(payload, 9), batch_info(device_id, batch_id))
    fields: dict = {
        "batch_id": batch_id,
        "key_id": key_id,
        "count": len(households),
        "encoding": ENCODING,
    }
    if escrow is not None:
        fields |= {"escrow_key_id": escrow[0], "escrow": b64(escrow[1])}
        if store_id is not None:
            fields["store_id"] = store_id
    header = json.dumps(fields, separators=(",", ":")).encode()
    return MAGIC + struct.pack(">I", len(header)) + header + sealed


def read_header(body: bytes) -> tuple[BatchHeader, bytes]:
    """The plaintext header (to pick the key and look up the batch id) and the sealed rest."""
    if not body.startswith(MAGIC) or len(body) < len(MAGIC) + 4:
        raise ProtocolError("bad_batch")
    (size,) = struct.unpack(">I", body[len(MAGIC) : len(MAGIC) + 4])
    start = len(MAGIC) + 4
    try:
        raw = json.loads(body[start : start + size])
        if not isinstance(raw, dict):
            raise ProtocolError("bad_batch")
        escrow, store_id = None, None
        if raw.get("escrow") is not None:
            escrow = (str(raw["escrow_key_id"]), unb64(str(raw["escrow"])))
            if raw.get("store_id") is not None:
                store_id = normal_store_id(raw["store_id"])
        header = BatchHeader(
            str(raw["batch_id"]),
            str(raw["key_id"]),
            int(raw["count"]),
            str(raw.get("encoding", ENCODING)),
            escrow,
            store_id,
        )
    except (ValueError, KeyError, TypeError, OverflowError, ProtocolError):
        raise ProtocolError("bad_batch") from None
    if header.count < 0:
        raise ProtocolError("bad_batch")
    if header.encoding != ENCODING:
        raise ProtocolError("bad_encoding")
    return header, body[start + size :]


MAX_BATCH_BYTES = 64 * 1024 * 1024  # decompressed: a zip bomb stops here


def open_batch(
    keys: ProvinceKeyPair, device_id: str, body: bytes
) -> tuple[BatchHeader, list[dict]]:
    header, sealed = read_header(body)
    try:
        compressed = keys.open(sealed, batch_info(device_id, header.batch_id))
    except Exception:  # noqa: BLE001 - any failure to open is the same answer to the sender
        raise ProtocolError("bad_seal") from None
    try:
        inflater = zlib.decompressobj()
        payload = inflater.decompress(compressed, MAX_BATCH_BYTES)
        if inflater.unconsumed_tail:
            raise ProtocolError("batch_too_large")
        households = json.loads(payload)
    except (zlib.error, ValueError):
        raise ProtocolError("bad_batch") from None
    if not isinstance(households, list) or len(households) != header.count:
        raise ProtocolError("bad_batch")
    return header, households


# -- content ----------------------------------------------------------------------------------


def content_hash(record: dict) -> tuple[bytes, bytes]:
    """(canonical JSON bytes, their SHA-256): the same record always hashes the same. Two
    pushes of one (id, revision) are the same version exactly when these hashes are equal."""
    text = json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    return text, hashlib.sha256(text).digest()


# The province's card number for a family, as the server accepts it and the laptop keeps it.
CARD_NUMBER = re.compile(r"[A-Z0-9-]{1,32}")


def _str(raw: dict, key: str) -> str | None:
    value = raw.get(key)
    return value if isinstance(value, str) else None


def _int(raw: dict, key: str) -> int | None:
    value = raw.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


# -- push results -----------------------------------------------------------------------------

# Per household of a batch (docs/sync.md, Push): new (id, revision); the same again (a retry
# after a lost reply); the same (id, revision) with other content (both kept); refused, with a
# reason code.
ACCEPTED, DUPLICATE, CONFLICT, REJECTED = "accepted", "duplicate", "conflict", "rejected"
OUTCOMES = (ACCEPTED, DUPLICATE, CONFLICT, REJECTED)


@dataclass(frozen=True)
class PushResult:
    """The province's answer for one household of a batch. Ids and codes only."""

    id: str | None  # None: the batch item had no usable id
    revision: int | None
    outcome: str  # one of OUTCOMES; a reader keeps an unknown one as sent
    reason: str | None = None

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "revision": self.revision,
            "outcome": self.outcome,
            "reason": self.reason,
        }

    @classmethod
    def from_json(cls, raw: object) -> PushResult:
        """Never raises: a field of the wrong type reads as None (outcome as "")."""
        raw = raw if isinstance(raw, dict) else {}
        return cls(
            _str(raw, "id"), _int(raw, "revision"), _str(raw, "outcome") or "", _str(raw, "reason")
        )


# -- pull events ------------------------------------------------------------------------------

# The province's decisions on a household (a `status` event).
RECEIVED, VERIFIED, RETURNED = "received", "verified", "returned"
STATUSES = (RECEIVED, VERIFIED, REJECTED)  # RETURNED travels as a ReviewEvent


class Event:
    """A pull event: `{"seq": N, "type": TYPE, ...its fields}`. Readers take every field
    leniently (wrong type: None) and judge what they need, so one odd event never stops a pull."""

    TYPE: ClassVar[str]

    @classmethod
    def from_json(cls, raw: dict) -> Event:
        raise NotImplementedError

    def to_json(self) -> dict:
        out: dict = {"seq": None, "type": self.TYPE}  # seq first, as the server has always sent it
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out


@dataclass(frozen=True)
class StatusEvent(Event):
    """The province's decision on one revision; a card number belongs to the family."""

    TYPE: ClassVar[str] = "status"
    seq: int | None
    household_id: str | None
    revision: int | None
    status: str | None  # one of STATUSES
    reason: str | None = None
    card_number: str | None = None
    # When the province decided (ISO 8601, UTC): a laptop's retention period runs from it
    # (app/store/retention.py), so the province knows when the full record left the laptop.
    decided_at: str | None = None

    @classmethod
    def from_json(cls, raw: dict) -> StatusEvent:
        return cls(
            _int(raw, "seq"),
            _str(raw, "household_id"),
            _int(raw, "revision"),
            _str(raw, "status"),
            _str(raw, "reason"),
            _str(raw, "card_number"),
            _str(raw, "decided_at"),
        )


@dataclass(frozen=True)
class DuplicateEvent(Event):
    """Another household at the province shares an identity number of this one."""

    TYPE: ClassVar[str] = "duplicate"
    seq: int | None
    household_id: str | None
    kind: str | None  # which number: "nik" or "kk"
    other_household_id: str | None

    @classmethod
    def from_json(cls, raw: dict) -> DuplicateEvent:
        return cls(
            _int(raw, "seq"),
            _str(raw, "household_id"),
            _str(raw, "kind"),
            _str(raw, "other_household_id"),
        )


@dataclass(frozen=True)
class AssignmentEvent(Event):
    """The officer's areas (Kemendagri codes), replacing the previous ones."""

    TYPE: ClassVar[str] = "assignment"
    seq: int | None
    areas: tuple[str, ...]

    @classmethod
    def from_json(cls, raw: dict) -> AssignmentEvent:
        areas = raw.get("areas")
        areas = areas if isinstance(areas, list) else []
        return cls(_int(raw, "seq"), tuple(a for a in areas if isinstance(a, str) and a))


@dataclass(frozen=True)
class CandidateEvent(Event):
    """A pre-filled household for this officer, HPKE-sealed to the asking device's box key
    (candidate_info). `base_revision`: the province's own revision of the household."""

    TYPE: ClassVar[str] = "candidate"
    seq: int | None
    household_id: str | None
    revision: int | None
    base_revision: int | None
    sealed: str | None  # base64url

    @classmethod
    def from_json(cls, raw: dict) -> CandidateEvent:
        return cls(
            _int(raw, "seq"),
            _str(raw, "household_id"),
            _int(raw, "revision"),
            _int(raw, "base_revision"),
            _str(raw, "sealed"),
        )


@dataclass(frozen=True)
class ReleaseEvent(Event):
    """The household's desa went to another officer."""

    TYPE: ClassVar[str] = "release"
    seq: int | None
    household_id: str | None

    @classmethod
    def from_json(cls, raw: dict) -> ReleaseEvent:
        return cls(_int(raw, "seq"), _str(raw, "household_id"))


@dataclass(frozen=True)
class QuestionnaireEvent(Event):
    """A questionnaire version the province published, for every device: the document packed
    (pack_questionnaire) and signed by the province signing key (questionnaire_message). With
    `retired` true and no document: the province retired that version (no longer for new
    households)."""

    TYPE: ClassVar[str] = "questionnaire"
    seq: int | None
    version: int | None
    document: str | None  # pack_questionnaire
    signature: str | None  # base64url
    key_id: str | None
    retired: bool | None = None

    @classmethod
    def from_json(cls, raw: dict) -> QuestionnaireEvent:
        return cls(
            _int(raw, "seq"),
            _int(raw, "version"),
            _str(raw, "document"),
            _str(raw, "signature"),
            _str(raw, "key_id"),
            raw.get("retired") is True or None,
        )


@dataclass(frozen=True)
class ReviewEvent(Event):
    """A supervisor returned one revision for correction. `sealed` (base64url) is HPKE-sealed to
    the device's box key with review_info and opens to JSON:
    `{"round": N, "decided_at": ISO, "reason": CODE|null, "note": TEXT|null,
      "comments": [{"path": "anggota.2.nik", "member_id": ID|null, "code": CODE|null,
                    "text": TEXT|null}]}`
    (free text may name people, so it never travels or rests in the clear). `path` is dotted,
    a member's index counted from 0 as in the returned revision's record ("" for the household
    as a whole); `member_id` is null while members have no id of their own. A later `status`
    event for a newer revision supersedes it."""

    TYPE: ClassVar[str] = "review"
    seq: int | None
    household_id: str | None
    revision: int | None
    sealed: str | None

    @classmethod
    def from_json(cls, raw: dict) -> ReviewEvent:
        return cls(
            _int(raw, "seq"), _str(raw, "household_id"), _int(raw, "revision"), _str(raw, "sealed")
        )


# A province-wide duplicate case's state, as the officer's laptop is told it.
CASE_OPEN, CASE_KEEP_THIS, CASE_KEEP_OTHER, CASE_NOT_DUPLICATE = (
    "open",
    "keep_this",
    "keep_other",
    "not_duplicate",
)
CASE_OUTCOMES = (CASE_OPEN, CASE_KEEP_THIS, CASE_KEEP_OTHER, CASE_NOT_DUPLICATE)


@dataclass(frozen=True)
class CaseEvent(Event):
    """A province-wide duplicate case touching this household was opened or decided (again: a
    later decision replaces an earlier one). `kind`: "nik" (a member in two households) or "kk"
    (one family sent twice); `outcome` is one of CASE_OUTCOMES, seen from this household."""

    TYPE: ClassVar[str] = "case"
    seq: int | None
    case_id: str | None
    household_id: str | None
    kind: str | None
    other_household_id: str | None
    outcome: str | None
    reason: str | None = None

    @classmethod
    def from_json(cls, raw: dict) -> CaseEvent:
        return cls(
            _int(raw, "seq"),
            _str(raw, "case_id"),
            _str(raw, "household_id"),
            _str(raw, "kind"),
            _str(raw, "other_household_id"),
            _str(raw, "outcome"),
            _str(raw, "reason"),
        )


@dataclass(frozen=True)
class SettingsEvent(Event):
    """The province's settings for every laptop, as they are now (not a history): sent with
    every pull reply, without a seq. `retention_days`: how long a decided household stays in
    full on a laptop (docs/privacy.md); None keeps the laptop's current value."""

    TYPE: ClassVar[str] = "settings"
    seq: int | None
    retention_days: int | None

    @classmethod
    def from_json(cls, raw: dict) -> SettingsEvent:
        return cls(_int(raw, "seq"), _int(raw, "retention_days"))


@dataclass(frozen=True)
class EraseEvent(Event):
    """The family withdrew consent: the household leaves the laptop at once, whatever its
    state (unsent edits included: processing stops). Ids only."""

    TYPE: ClassVar[str] = "erase"
    seq: int | None
    household_id: str | None

    @classmethod
    def from_json(cls, raw: dict) -> EraseEvent:
        return cls(_int(raw, "seq"), _str(raw, "household_id"))


PullEvent = (
    StatusEvent
    | DuplicateEvent
    | AssignmentEvent
    | CandidateEvent
    | ReleaseEvent
    | QuestionnaireEvent
    | ReviewEvent
    | CaseEvent
    | SettingsEvent
    | EraseEvent
)
EVENT_TYPES: dict[str, type[Event]] = {
    cls.TYPE: cls
    for cls in (
        StatusEvent,
        DuplicateEvent,
        AssignmentEvent,
        CandidateEvent,
        ReleaseEvent,
        QuestionnaireEvent,
        ReviewEvent,
        CaseEvent,
        SettingsEvent,
        EraseEvent,
    )
}


def read_event(raw: object) -> Event | None:
    """The typed event, or None for a type this version does not know (a newer server must not
    stop an older laptop: the caller counts and skips it)."""
    if not isinstance(raw, dict):
        return None
    kind = raw.get("type")
    cls = EVENT_TYPES.get(kind) if isinstance(kind, str) else None
    return cls.from_json(raw) if cls is not None else None


# -- questionnaire versions -----------------------------------------------------------------

# A published version travels as a `questionnaire` pull event (QuestionnaireEvent, docs/sync.md).
MAX_QUESTIONNAIRE_BYTES = 4 * 1024 * 1024  # unpacked; today's questionnaire is 43 KB


def questionnaire_message(version: int, document: bytes) -> bytes:
    """What the province signing key signs: the version and the document's exact bytes (compact
    JSON, app.questionnaire_check.canonical_bytes), so neither can be swapped for another."""
    return f"khbs/questionnaire/v1|{int(version)}|".encode() + document


def pack_questionnaire(document: bytes) -> str:
    """zlib then base64url: 43 KB of JSON travel as about 16 KB."""
    return b64(zlib.compress(document, 9))


def unpack_questionnaire(text: object) -> bytes:
    """The document's bytes; ProtocolError("bad_questionnaire") for anything that does not
    unpack, or unpacks past MAX_QUESTIONNAIRE_BYTES."""
    if not isinstance(text, str):
        raise ProtocolError("bad_questionnaire")
    try:
        inflater = zlib.decompressobj()
        document = inflater.decompress(unb64(text), MAX_QUESTIONNAIRE_BYTES)
    except (zlib.error, ProtocolError):
        raise ProtocolError("bad_questionnaire") from None
    if inflater.unconsumed_tail or not inflater.eof:
        raise ProtocolError("bad_questionnaire")
    return document


def verify_questionnaire(
    public_key: bytes, version: int, document: bytes, signature: bytes
) -> None:
    """Raises ProtocolError("bad_signature") unless the province signing key signed exactly this
    version and document."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(
            signature, questionnaire_message(version, document)
        )
    except (InvalidSignature, ValueError, TypeError):
        raise ProtocolError("bad_signature") from None


# -- attachments (docs/sync.md, "Attachments") ---------------------------------------------------

CHUNK_MAGIC = b"KHBSC1"
CHUNK_BYTES = 32 * 1024  # 8 s at 32 kbit/s: a cut re-sends at most this much
MAX_CHUNK_BYTES = 256 * 1024
MAX_ATTACHMENT_BYTES = 4 * 1024 * 1024  # sealed; a prepared photo is about 100 KB
ATTACHMENT_KINDS = ("photo", "signature")
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def attachment_info(device_id: str, attachment_id: str, sha256: str) -> bytes:
    """An attachment sealed to the province key: bound to the device, the attachment and its
    image's hash."""
    return f"khbs/attachment/v1|{device_id}|{attachment_id}|{sha256}".encode()


def seal_attachment(
    province_public: bytes, device_id: str, attachment_id: str, content: bytes, info: dict
) -> bytes:
    """The image and its details (capture time, position, notice version) sealed to the province
    key, once per attachment; the upload sends this in chunks. Not compressed: a JPEG is."""
    sha256 = hashlib.sha256(content).hexdigest()
    plaintext = pack_attachment(info, content)
    return seal_to(province_public, plaintext, attachment_info(device_id, attachment_id, sha256))


def pack_attachment(info: dict, content: bytes) -> bytes:
    """Details and image in one byte string (what is sealed, on the wire and at rest)."""
    details = json.dumps(info, ensure_ascii=False, separators=(",", ":")).encode()
    return struct.pack(">I", len(details)) + details + content


def unpack_attachment(plaintext: bytes, sha256: str) -> tuple[dict, bytes]:
    """pack_attachment's inverse; the image must hash to `sha256`."""
    try:
        (size,) = struct.unpack(">I", plaintext[:4])
        info = json.loads(plaintext[4 : 4 + size])
        content = plaintext[4 + size :]
    except (struct.error, ValueError):
        raise ProtocolError("bad_attachment") from None
    if not isinstance(info, dict) or hashlib.sha256(content).hexdigest() != sha256:
        raise ProtocolError("bad_attachment")
    return info, content


def open_attachment(
    keys: ProvinceKeyPair, device_id: str, attachment_id: str, sha256: str, sealed: bytes
) -> tuple[dict, bytes]:
    """(details, image) of a whole upload; the image must hash to `sha256`."""
    try:
        plaintext = keys.open(sealed, attachment_info(device_id, attachment_id, sha256))
    except Exception:  # noqa: BLE001 - any failure to open is the same answer to the sender
        raise ProtocolError("bad_seal") from None
    return unpack_attachment(plaintext, sha256)


@dataclass(frozen=True)
class ChunkHeader:
    """What a chunk says in plaintext: ids, kind, hash and byte counts (never personal)."""

    attachment_id: str
    household_id: str
    kind: str
    sha256: str  # of the image inside
    key_id: str  # the province key the upload is sealed to
    total: int  # bytes of the whole sealed upload
    offset: int  # where this chunk starts in it

    def check(self, size: int) -> None:
        try:
            for text in (self.attachment_id, self.household_id):
                if str(uuid.UUID(text)) != text:
                    raise ValueError
        except ValueError:
            raise ProtocolError("bad_chunk") from None
        if (
            self.kind not in ATTACHMENT_KINDS
            or not _SHA256_HEX.fullmatch(self.sha256)
            or not 0 < self.total <= MAX_ATTACHMENT_BYTES
            or not 0 <= self.offset
            or not 0 < size <= MAX_CHUNK_BYTES
            or self.offset + size > self.total
        ):
            raise ProtocolError("bad_chunk")


def pack_chunk(header: ChunkHeader, data: bytes) -> bytes:
    values = {f.name: getattr(header, f.name) for f in fields(header)}
    raw = json.dumps(values, separators=(",", ":")).encode()
    return CHUNK_MAGIC + struct.pack(">I", len(raw)) + raw + data


def read_chunk(body: bytes) -> tuple[ChunkHeader, bytes]:
    """The header (checked) and the chunk's bytes, or ProtocolError("bad_chunk")."""
    start = len(CHUNK_MAGIC) + 4
    if not body.startswith(CHUNK_MAGIC) or len(body) < start:
        raise ProtocolError("bad_chunk")
    (size,) = struct.unpack(">I", body[len(CHUNK_MAGIC) : start])
    try:
        raw = json.loads(body[start : start + size])
        header = ChunkHeader(
            str(raw["attachment_id"]),
            str(raw["household_id"]),
            str(raw["kind"]),
            str(raw["sha256"]),
            str(raw["key_id"]),
            int(raw["total"]),
            int(raw["offset"]),
        )
    except (ValueError, KeyError, TypeError, OverflowError):
        raise ProtocolError("bad_chunk") from None
    data = body[start + size :]
    header.check(len(data))
    return header, data
