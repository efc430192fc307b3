"""Fixed, valid test households (no randomness).

`household()` is a complete final household that passes
`rules.check(rec, rules.Context(today=TODAY), final=True)` with no errors and no warnings.
`member()` builds one member whose NIK agrees with its birth date, sex and region.
`numbered(n)` is `household()` with its own id, KK and NIKs, for tests that store many.
`listed_away(code)` is a household from the DTSEN list marked not found (or moved, died, split).
"""

from __future__ import annotations

import copy
from datetime import date

TODAY = date(2026, 11, 29)  # the date the rule tests check against
VISIT = "2026-11-27"  # the visit date of every household here (not after TODAY)
DESA = "62.71.03.1001"  # Palangka, Jekan Raya, Kota Palangka Raya (Kemendagri 2025)
REGION = "627103"  # kecamatan Jekan Raya: the first six digits of NIKs and the KK
HOUSEHOLD_ID = "3f0c9a52-7c1e-4b8e-9d2a-5a1f0e6b7c21"
KK = "6271030101100004"

_DELETE = None  # an override of None removes the field


def age_on(birth: str, on: str = VISIT) -> int:
    b, d = date.fromisoformat(birth), date.fromisoformat(on)
    return d.year - b.year - ((d.month, d.day) < (b.month, b.day))


def nik_for(birth: str, sex: int, region: str = REGION, serial: int = 1) -> str:
    """The NIK a person born on `birth` (YYYY-MM-DD) with `sex` (1 male, 2 female) gets when
    first registered in `region` (6 digits): women's day + 40."""
    born = date.fromisoformat(birth)
    day = born.day + (40 if sex == 2 else 0)
    assert len(region) == 6 and region.isdigit() and 1 <= serial <= 9999
    return f"{region}{day:02d}{born.month:02d}{born.year % 100:02d}{serial:04d}"


def member(
    nama: str,
    birth: str,
    sex: int,
    hubungan: int,
    *,
    region: str = REGION,
    serial: int = 1,
    visit: str = VISIT,
    **overrides: object,
) -> dict:
    """A member living here with a consistent NIK and every question shown to them answered
    (by age on `visit` and sex). Overrides replace fields; an override of None removes one."""
    age = age_on(birth, visit)
    m: dict = {
        "nik": nik_for(birth, sex, region, serial),
        "nama": nama,
        "tempat_lahir": "Palangka Raya",
        "tanggal_lahir": birth,
        "hubungan": hubungan,
        "jenis_kelamin": sex,
    }
    if age >= 10:
        m["status_kawin"] = 2 if hubungan in (1, 2) else 1
    m["keberadaan"] = 1
    m["domisili"] = 1
    if age >= 5:
        m["partisipasi_sekolah"] = 1 if age < 19 else 2
        m["ijazah_tertinggi"] = 0 if age < 13 else 3
    if age >= 10:
        works = age >= 19
        m["bekerja"] = works
        if works:
            m["status_pekerjaan"] = 1
            m["pekerjaan"] = "petani karet"
    m["disabilitas"] = []
    m["penyakit_kronis"] = []
    if sex == 2 and 10 <= age <= 54:
        m["hamil"] = False
    m["jaminan_kesehatan"] = 1
    for key, value in overrides.items():
        if value is _DELETE:
            m.pop(key, None)
        else:
            m[key] = value
    return m


def head(serial: int = 3, **overrides: object) -> dict:
    return member("Yohanes Ilas", "1980-04-12", 1, 1, serial=serial, **overrides)


def wife(serial: int = 2, **overrides: object) -> dict:
    return member("Rosmiati Ilas", "1985-07-21", 2, 2, serial=serial, **overrides)


def child(serial: int = 1, **overrides: object) -> dict:
    return member("Dimas Ilas", "2018-05-15", 1, 3, serial=serial, **overrides)


def household(**overrides: object) -> dict:
    """A complete, valid final household: head (male, 46), wife (41), son (8). A fresh copy
    each call; top-level overrides replace fields, an override of None removes one."""
    rec: dict = {
        "schema_version": 1,
        "id": HOUSEHOLD_ID,
        "status": "final",
        "no_kk": KK,
        "tanggal_kunjungan": VISIT,
        "lokasi": {
            "kode_desa": DESA,
            "rt": "002",
            "rw": "5",
            "alamat": "Jl. Rajawali Gg. Merpati No. 7",
            "gps": {"lat": -2.2136, "lon": 113.9108, "akurasi_m": 8.5},
        },
        "persetujuan": {
            "diberikan": True,
            "nama_pemberi": "Yohanes Ilas",
            "hubungan_pemberi": 1,
            "tanggal": VISIT,
            "versi_pemberitahuan": "2026.1",
        },
        "rumah": {
            "status_kepemilikan": 1,
            "bukti_kepemilikan": 3,
            "jumlah_keluarga": 1,
            "luas_lantai": 36,
            "jenis_lantai": 5,
            "kondisi_lantai": 2,
            "jenis_dinding": 3,
            "kondisi_dinding": 2,
            "jenis_atap": 3,
            "kondisi_atap": 1,
            "fasilitas_bab": 1,
            "jenis_kloset": 1,
            "pembuangan_tinja": 4,
            "sumber_air_minum": 2,
            "sumber_penerangan": 1,
            "daya_listrik": 1,
            "bahan_bakar_memasak": 4,
        },
        "aset": {
            "tabung_gas_3kg": 2,
            "tabung_gas_5kg_lebih": 0,
            "lemari_es": 1,
            "ac": 0,
            "pemanas_air": 0,
            "telepon_rumah": 0,
            "tv_datar": 0,
            "emas_gram": 2.5,
            "komputer": 0,
            "sepeda_motor": 1,
            "sepeda": 1,
            "mobil": 0,
            "perahu": 0,
            "perahu_motor": 1,
            "smartphone": 2,
            "luas_sawah_kebun_ha": 1.5,
            "luas_lahan_lain_ha": 0,
            "rumah_lain": 0,
            "ternak_besar": 0,
            "ternak_kecil": 3,
        },
        "program": {"program_bansos": [4], "program_lainnya": ""},
        "kebutuhan": {"layanan": [1, 2], "catatan": "Anak perlu biaya sekolah."},
        "anggota": [head(), wife(), child()],
        "peringatan_diterima": [],
    }
    for key, value in overrides.items():
        if value is _DELETE:
            rec.pop(key, None)
        else:
            rec[key] = copy.deepcopy(value)
    return rec


def numbered(n: int, **overrides: object) -> dict:
    """Household number n (1..999): its own id, KK and NIK serials, so households made with
    different n never share an identity number."""
    assert 1 <= n <= 999
    members = [head(serial=3 * n), wife(serial=3 * n + 1), child(serial=3 * n + 2)]
    base = {
        "id": f"3f0c9a52-7c1e-4b8e-9d2a-{n:012d}",
        "no_kk": f"{REGION}0101{n:06d}",
        "anggota": members,
    }
    base.update(overrides)
    return household(**base)


LISTED = ("nik", "nama", "tanggal_lahir", "hubungan", "jenis_kelamin")  # a DTSEN list row
AWAY_SECTIONS = ("persetujuan", "rumah", "aset", "program", "kebutuhan")


def listed_away(presence: int = 7, **overrides: object) -> dict:
    """A final household from the DTSEN list whose family is away (`keberadaan_keluarga` 2, 3,
    4, 6 or 7): only location, KK, visit date, the verification result and the listed members,
    each with the same presence. Passes the final check with no issues."""
    rec = household(**dict.fromkeys(AWAY_SECTIONS, _DELETE))
    rec["verifikasi"] = {"sumber": 1, "keberadaan_keluarga": presence}
    rec["anggota"] = [{**{k: m[k] for k in LISTED}, "keberadaan": presence} for m in rec["anggota"]]
    rec.update(copy.deepcopy(overrides))
    return rec
