"""Questionnaire versions for tests: `version_2()` is today's schema made into version 2 the way
the province would (docs/questionnaire.md, "Writing a new version"): one question renamed, one
answer code merged into another, one new required question, and the migration saying so."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from app import questionnaire as q

RENAMED = ("rumah/jumlah_keluarga", "rumah/jumlah_kk")
RECODED = "rumah/kondisi_lantai"  # "rusak sedang" (3) merged into "rusak ringan" (2)
NEW = "rumah/sumber_air_mandi"


def rename_in_place(props: dict, old: str, new: str) -> dict:
    """The same properties with one renamed, keeping the order (the form's order)."""
    return {new if k == old else k: v for k, v in props.items()}


def bump(schema: dict, version: int, migration: dict) -> dict:
    """A copy of `schema` as `version`: x-version, $id, schema_version's const, x-migration."""
    out = copy.deepcopy(schema)
    out["$id"] = f"urn:khbs:schema:household:{version}"
    out["x-version"] = version
    out["properties"]["schema_version"]["const"] = version
    out["x-migration"] = migration
    # x-migration after x-version, as an author would write it (order does not matter to JSON).
    keys = list(out)
    keys.remove("x-migration")
    keys.insert(keys.index("x-version") + 1, "x-migration")
    return {k: out[k] for k in keys}


def version_2(base: dict | None = None) -> dict:
    schema = bump(
        base or q.load_schema(),
        2,
        {
            "from": 1,
            "renamed": {RENAMED[0]: RENAMED[1]},
            "recoded": {RECODED: {"3": 2}},
            "new_required": [NEW],
        },
    )
    rumah = schema["properties"]["rumah"]
    rumah["properties"] = rename_in_place(rumah["properties"], "jumlah_keluarga", "jumlah_kk")
    floor = rumah["properties"]["kondisi_lantai"]
    floor["enum"] = [1, 2, 4]
    floor["x-options"] = [o for o in floor["x-options"] if o["value"] != 3]
    floor["x-options"][1]["label"] = {
        "id": "Rusak ringan atau sedang",
        "en": "Lightly or moderately damaged",
    }
    props = list(rumah["properties"].items())
    at = [k for k, _ in props].index("sumber_air_minum") + 1
    props.insert(
        at,
        (
            "sumber_air_mandi",
            {
                "type": "integer",
                "enum": [1, 2, 3],
                "x-label": {
                    "id": "Sumber air untuk mandi dan mencuci",
                    "en": "Water source for bathing and washing",
                },
                "x-options": [
                    {"value": 1, "label": {"id": "Ledeng/PDAM", "en": "Piped (PDAM)"}},
                    {"value": 2, "label": {"id": "Sumur", "en": "Well"}},
                    {"value": 3, "label": {"id": "Sungai/danau", "en": "River or lake"}},
                ],
                "x-required": True,
            },
        ),
    )
    rumah["properties"] = dict(props)
    return schema


def write(path: Path, schema: dict) -> Path:
    path.write_text(json.dumps(schema, ensure_ascii=False, indent=2), "utf-8")
    return path


# -- version 2 as the province publishes it (schemas/household.v2.schema.json) ---------------

V2_FILE = Path(__file__).resolve().parent.parent / "schemas" / "household.v2.schema.json"


def real_v2() -> dict:
    return json.loads(V2_FILE.read_text("utf-8"))


def answers_v2(record: dict, *, income: int = 3) -> dict:
    """A version 2 record (migrated from version 1) with its new questions answered as a
    complete interview asks them: the family economy, programs, why the dwelling photo or
    point is missing, and each member's new questions by age and work."""
    from app import dates
    from app import questionnaire as q

    out = copy.deepcopy(record)
    if q.section_relevant(out, "ekonomi"):
        out["ekonomi"] = {
            "pengeluaran_bulanan": 2,
            "pendapatan_bulanan": income,
            "punya_umkm": False,
        }
    if q.section_relevant(out, "bukti"):  # evidence expected: a reason where there is none
        bukti = out.setdefault("bukti", {})
        if not bukti.get("foto_rumah"):
            bukti["alasan_tanpa_foto_rumah"] = 1  # no camera or phone
        if not (out.get("lokasi") or {}).get("gps"):
            bukti["alasan_tanpa_titik"] = 1
    program = out.get("program")
    if isinstance(program, dict) and not program.get("program_bansos"):
        program["program_bansos"] = [0]
    on = q.visit_date(out)
    for m in q.members(out):
        if m.get("keberadaan") != 1:
            continue
        age = (dates.age_range(m.get("tanggal_lahir"), on) or (30, 30))[0]
        if m.get("partisipasi_sekolah") == 1:
            level = 2 if age < 12 else 3 if age < 15 else 4 if age < 19 else 5
            m["jenjang_sekolah"] = level
            if level in (2, 3, 4):
                m["kelas"] = {2: max(1, min(6, age - 6)), 3: 8, 4: 11}[level]
        if m.get("bekerja") is True:
            m["sektor_kerja"] = 1
            m["bpjs_ketenagakerjaan"] = 2
        if age >= 5:
            for name in WG:
                m[name] = 1
        m["disabilitas"] = m.get("disabilitas") or [0]
        m["penyakit_kronis"] = m.get("penyakit_kronis") or [0]
    return out


WG = (
    "sulit_melihat",
    "sulit_mendengar",
    "sulit_berjalan",
    "sulit_mengingat",
    "sulit_mengurus_diri",
    "sulit_berkomunikasi",
)
