"""No personal data in plaintext on disk: database, WAL, shm, journal or any other file."""

import os
import tempfile
import uuid

from app.store import Store
from app.store.outbox import apply_events
from tests.conftest import FAST_KDF, PASSPHRASE

PEOPLE = [
    ("Yohanes Tingang Ilas", "6271031204800003"),
    ("Maria Bungai Usop", "6271035509850002"),
    ("Antonius Sahay Nahan", "6212044107100001"),
]
KK = "6271030101100004"
ADDRESS = "Jalan Tjilik Riwut Km 7 Gang Sepakat"
CARD = "KHBS-62-7777"  # the province's card number identifies the family too


def household(status="final"):
    return {
        "schema_version": 1,
        "id": str(uuid.uuid4()),
        "status": status,
        "no_kk": KK,
        "lokasi": {"kode_desa": "62.71.03.1001", "alamat": ADDRESS, "rt": "002", "rw": "005"},
        "anggota": [
            {"nik": nik, "nama": name, "hubungan": 1 if i == 0 else 3, "penyakit_kronis": [6]}
            for i, (name, nik) in enumerate(PEOPLE)
        ],
    }


def secrets_in(data: bytes) -> list[str]:
    found = []
    for text in [n for n, _ in PEOPLE] + [nik for _, nik in PEOPLE] + [KK, ADDRESS, CARD]:
        for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
            if text.encode(encoding) in data:
                found.append(f"{text!r} as {encoding}")
    # A name cut into words is still personal.
    for name, _ in PEOPLE:
        for word in name.split():
            if len(word) > 4 and word.encode() in data:
                found.append(word)
    return found


def all_bytes(folder) -> dict[str, bytes]:
    out = {}
    for root, _, files in os.walk(folder):
        for f in files:
            path = os.path.join(root, f)
            with open(path, "rb") as fh:
                out[path] = fh.read()
    return out


def test_detector_finds_plaintext():
    import json

    assert secrets_in(json.dumps(household(), ensure_ascii=False).encode())


def test_nothing_personal_on_disk(data_dir, tmp_path):
    temp_before = set(os.listdir(tempfile.gettempdir()))
    store = Store.create(data_dir, PASSPHRASE, kdf=FAST_KDF)
    draft = household("draft")
    store.save(draft)  # autosaved draft
    store.save(dict(draft, status="final"))  # finalised later
    carded = household()
    store.save(carded)
    apply_events(
        store,
        [
            {
                "seq": 1,
                "type": "status",
                "household_id": carded["id"],
                "revision": 1,
                "status": "verified",
                "card_number": CARD,
            }
        ],
        cursor=1,
    )
    assert store.card_number(carded["id"]) == CARD
    store.close()
    store = Store.open(data_dir, PASSPHRASE)
    r3 = household("draft")
    store.save(r3)
    store.rows()
    list(store.records())
    # While the store is open the WAL holds the latest pages: check it too.
    files = all_bytes(data_dir)
    assert any(p.endswith("-wal") for p in files), "expected a WAL file while open"
    for path, data in files.items():
        assert secrets_in(data) == [], path
    store.close()
    for path, data in all_bytes(data_dir).items():
        assert secrets_in(data) == [], path
    # No temp files appeared anywhere (sorts and temp tables stay in memory).
    new_temp = set(os.listdir(tempfile.gettempdir())) - temp_before
    assert not [n for n in new_temp if "sqlite" in n.lower() or "etilqs" in n.lower()]
    assert sorted(os.path.basename(p) for p in all_bytes(data_dir)) in (
        ["khbs.db"],
        ["khbs.db", "khbs.db-shm", "khbs.db-wal"],
    )


def test_no_image_bytes_thumbnails_or_exif_on_disk(data_dir):
    """Photos (with the owner's name, camera and position in their EXIF) and a signature:
    neither the images, their thumbnails nor any of their metadata is readable on disk."""
    from app import evidence
    from app.store import attachments
    from tests import photos

    temp_before = set(os.listdir(tempfile.gettempdir()))
    store = Store.create(data_dir, PASSPHRASE, kdf=FAST_KDF)
    record = household()
    store.save(record)
    kept = []
    for prepared, kind in (
        (evidence.prepare_photo(photos.phone_jpeg(seed=1)), "photo"),
        (evidence.prepare_photo(photos.phone_jpeg(seed=2, orientation=1)), "photo"),
        (evidence.prepare_signature(photos.signature_png()), "signature"),
    ):
        info = prepared.info(notice_version="2026.1", file_name="IMG_20261130_091542.jpg")
        found = attachments.add(
            store, record["id"], kind, prepared.content, prepared.thumbnail, info
        )
        kept.append(prepared)
        attachments.upload(store, found.id, lambda content, info: b"sealed-elsewhere")
    markers = [
        photos.CAMERA_MAKE.encode(),
        photos.CAMERA_MODEL.encode(),
        photos.SERIAL.encode(),
        photos.SOFTWARE.encode(),
        b"IMG_20261130",
        b"2026:11:30",
        b"2026-11-30T09",
        b"JFIF",
        b"\x89PNG",
        b"\xff\xd8\xff",  # the start of every JPEG
        b"-2.2136",  # the photo's position
        b"113.91",
    ]
    for prepared in kept:  # any 64-byte run of an image or thumbnail
        for blob in (prepared.content, prepared.thumbnail):
            markers += [blob[i : i + 64] for i in range(200, len(blob) - 64, len(blob) // 8)]

    def check_files():
        for path, data in all_bytes(data_dir).items():
            assert secrets_in(data) == [], path
            assert [m[:16] for m in markers if m in data] == [], path

    check_files()  # open: the WAL holds the latest pages
    store.close()
    check_files()
    new_temp = set(os.listdir(tempfile.gettempdir())) - temp_before
    assert not new_temp
