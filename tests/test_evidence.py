"""Evidence prepared before it is stored (app/evidence.py): metadata stripped, orientation
applied, size bounded, capture time and position read out; positions by hand; far from desa."""

import io

import pytest
from PIL import Image

from app import evidence, rules
from tests import photos


def _exif_tags(data: bytes) -> dict:
    image = Image.open(io.BytesIO(data))
    exif = image.getexif()
    found = dict(exif)
    for ifd in (0x8769, 0x8825):
        found.update(exif.get_ifd(ifd))
    return found


def test_phone_photo_loses_every_metadata_field():
    original = photos.phone_jpeg()
    assert photos.CAMERA_MODEL.encode() in original and photos.SERIAL.encode() in original
    prepared = evidence.prepare_photo(original)
    stored = prepared.content
    for secret in (
        photos.CAMERA_MAKE,
        photos.CAMERA_MODEL,
        photos.SERIAL,
        photos.OWNER,
        photos.SOFTWARE,
        photos.TAKEN,
    ):
        assert secret.encode() not in stored
        assert secret.encode() not in prepared.thumbnail
    assert b"Exif" not in stored and b"GPS" not in stored
    image = Image.open(io.BytesIO(stored))
    assert image.format == "JPEG"
    assert _exif_tags(stored) == {}
    assert not {"exif", "icc_profile", "comment", "xmp"} & set(image.info)
    assert _exif_tags(prepared.thumbnail) == {}


def test_photo_is_upright_small_and_keeps_time_and_position_apart():
    prepared = evidence.prepare_photo(photos.phone_jpeg(orientation=6))
    # 4000x3000 taken with the phone turned (orientation 6): upright it is portrait.
    assert prepared.height > prepared.width
    assert max(prepared.width, prepared.height) <= evidence.LONG_SIDE
    assert len(prepared.content) <= evidence.TARGET_BYTES
    assert max(Image.open(io.BytesIO(prepared.thumbnail)).size) <= evidence.THUMB_SIDE
    assert prepared.taken_at == "2026-11-30T09:15:42+07:00"
    position = prepared.position
    assert position is not None and position.source == evidence.PHOTO
    assert position.lat == pytest.approx(-2.2136, abs=1e-5)
    assert position.lon == pytest.approx(113.9108, abs=1e-5)
    assert position.accuracy_m == pytest.approx(6.5)
    assert position.answer() == {
        "lat": -2.2136,
        "lon": 113.9108,
        "sumber_titik": 2,
        "akurasi_m": 6.5,
    }
    info = prepared.info(kind="foto_rumah")
    assert info["position"]["source"] == evidence.PHOTO and info["kind"] == "foto_rumah"


def test_photo_without_gps_has_no_position():
    prepared = evidence.prepare_photo(photos.phone_jpeg(lat=None, lon=None, orientation=1))
    assert prepared.position is None
    assert prepared.width > prepared.height


@pytest.mark.parametrize("data", [b"", b"not a photo", b"\xff\xd8\xff\xe0garbage" * 10])
def test_not_a_photo_is_a_clear_error(data):
    with pytest.raises(evidence.BadImage) as caught:
        evidence.prepare_photo(data)
    assert "bukan foto" in caught.value.message("id")
    assert "not a photo" in caught.value.message("en")


def test_decompression_bomb_is_refused():
    out = io.BytesIO()
    Image.new("1", (12000, 12000)).save(out, "PNG")  # 144 MP in a few KB
    with pytest.raises(evidence.BadImage):
        evidence.prepare_photo(out.getvalue())


def test_signature_is_small_grey_png_without_metadata():
    prepared = evidence.prepare_signature(photos.signature_png())
    image = Image.open(io.BytesIO(prepared.content))
    assert image.format == "PNG" and image.mode == "L"
    assert image.size[0] <= evidence.SIGNATURE_SIZE[0]
    assert len(prepared.content) < 20_000
    assert not {"exif", "icc_profile", "dpi"} & set(image.info)


def test_position_by_hand():
    position = evidence.by_hand(-1.8812, 113.5301, 25)
    assert position.source == evidence.MANUAL
    assert position.answer() == {
        "lat": -1.8812,
        "lon": 113.5301,
        "sumber_titik": 3,
        "akurasi_m": 25.0,
    }
    for lat, lon, acc in ((-95, 113, None), (0, 0, None), (-2, 113, -1)):
        with pytest.raises(evidence.BadPosition) as caught:
            evidence.by_hand(lat, lon, acc)
        assert "lintang" in caught.value.message("id")


def test_far_from_desa_uses_the_regency_box():
    palangka = "62.71.01.1001"
    assert evidence.km_outside(-2.2136, 113.9108, palangka) is None  # in the city
    assert evidence.km_outside(-2.2136, 114.15, palangka) is None  # just outside: within margin
    far = evidence.km_outside(-2.68, 111.63, palangka)  # Pangkalan Bun, 250 km away
    assert far is not None and 200 < far < 300
    assert evidence.km_outside(-2.68, 111.63, "62.01.01.2001") is None  # Kotawaringin Barat


def test_far_from_desa_is_a_warning_in_the_rules():
    record = {
        "schema_version": 1,
        "id": "0b8f6c1e-4a57-4c1e-9d55-7f1f6f0f1a01",
        "status": "draft",
        "lokasi": {"kode_desa": "62.71.01.1001", "gps": {"lat": -2.68, "lon": 111.63}},
    }
    found = [i for i in rules.check(record, final=False).issues if i.code == "gps_far_from_desa"]
    assert [(i.severity, i.path) for i in found] == [(rules.WARNING, ("lokasi", "gps"))]
    assert "km di luar kabupaten/kota" in found[0].message("id")
    record["lokasi"]["gps"] = {"lat": -2.2136, "lon": 113.9108, "sumber_titik": 2}
    assert not [i for i in rules.check(record, final=False).issues if i.code.startswith("gps")]


def test_every_regency_has_a_box():
    from app import regions

    for regency in regions.children():
        lat, lon = evidence.inside_box(regency + ".01.2001", 0.5, 0.5)
        assert evidence.km_outside(lat, lon, regency + ".01.2001") is None
