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
