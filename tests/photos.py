"""Photos made by the tests with Pillow: a phone's JPEG with camera, serial, owner and GPS in
its EXIF, rotated by the orientation tag (docs/evidence.md)."""

from __future__ import annotations

import io
import random
from fractions import Fraction

CAMERA_MAKE = "SamsungKalteng"
CAMERA_MODEL = "Galaxy-A15-KHBS"
SERIAL = "R58T12345XYZ"
OWNER = "Yohanes Tingang Ilas"  # personal, must never survive into the stored image
SOFTWARE = "A155FXXU1AXB1"
TAKEN = "2026:11:30 09:15:42"


def _dms(value: float) -> tuple:
    value = abs(value)
    d = int(value)
    m = int((value - d) * 60)
    s = (value - d - m / 60) * 3600
    return (Fraction(d), Fraction(m), Fraction(round(s * 1000), 1000))


def phone_jpeg(
    lat: float | None = -2.2136,
    lon: float | None = 113.9108,
    *,
    size: tuple[int, int] = (4000, 3000),
    orientation: int = 6,
    seed: int = 1,
    accuracy: float | None = 6.5,
) -> bytes:
    """A noisy photo (hard to compress, like a real one) with full phone EXIF."""
    from PIL import Image

    rng = random.Random(seed)
    small = Image.new("RGB", (size[0] // 40, size[1] // 40))
    small.putdata(
        [
            (rng.randrange(256), rng.randrange(256), rng.randrange(256))
            for _ in range(small.width * small.height)
        ]
    )
    image = small.resize(size, Image.Resampling.BICUBIC)
    exif = Image.Exif()
    exif[0x010F] = CAMERA_MAKE
    exif[0x0110] = CAMERA_MODEL
    exif[0x0131] = SOFTWARE
    exif[0x013B] = OWNER  # Artist
    exif[0x0112] = orientation
    sub = exif.get_ifd(0x8769)
    sub[0x9003] = TAKEN
    sub[0x9011] = "+07:00"
    sub[0xA431] = SERIAL  # BodySerialNumber
    sub[0xA430] = OWNER  # CameraOwnerName
    if lat is not None and lon is not None:
        gps = exif.get_ifd(0x8825)
        gps[1] = "S" if lat < 0 else "N"
        gps[2] = _dms(lat)
        gps[3] = "W" if lon < 0 else "E"
        gps[4] = _dms(lon)
        if accuracy is not None:
            gps[31] = Fraction(accuracy).limit_denominator(100)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92, exif=exif, comment=OWNER.encode())
    return out.getvalue()


def signature_png() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (900, 300), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    draw.line([(40, 200), (200, 60), (330, 220), (520, 80), (860, 190)], fill="black", width=6)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
