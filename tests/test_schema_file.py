"""Checks on schemas/household.schema.json against the conventions in docs/questionnaire.md."""

import copy
import json
import re
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from tests.records import household

SCHEMA_PATH = Path(__file__).parents[1] / "schemas" / "household.schema.json"

SECTIONS = [
    "lokasi",
    "verifikasi",
    "persetujuan",
    "bukti",
    "rumah",
    "aset",
    "program",
    "kebutuhan",
    "anggota",
]
VISIT = ["hasil_kunjungan", "tanggal_kunjungan_ulang", "kunjungan"]
ROOT_ORDER = [
    "schema_version",
    "id",
    "status",
    "no_kk",
    "tanggal_kunjungan",
    *VISIT,
    *SECTIONS,
    "peringatan_diterima",
    "paradata",
]
WIDGETS = {
    "text",
    "textarea",
    "number",
    "date",
    "choice",
    "multichoice",
    "yesno",
    "desa",
    "gps",
    "attachment",
    "none",
}
SENSITIVE = {"health", "child", "financial"}
IDENTIFIERS = {"nik", "kk"}


@pytest.fixture(scope="module")
def schema():
    with SCHEMA_PATH.open(encoding="utf-8") as f:
        return json.load(f)


def same(a, b):
    """Equality that does not confuse True with 1."""
    return type(a) is type(b) and a == b


def same_list(a, b):
    return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))


def iter_properties(node, path=""):
    """Yield (path, name, property schema, owning object schema) for every property, recursively."""
    for name, prop in node.get("properties", {}).items():
        p = f"{path}/{name}"
        yield p, name, prop, node
        if "properties" in prop:
            yield from iter_properties(prop, p)
        items = prop.get("items")
        if isinstance(items, dict) and "properties" in items:
            yield from iter_properties(items, p + "[]")


def iter_schemas(node, path=""):
    """Yield every sub-schema (dict) in the document with a JSON-pointer-ish path."""
    if isinstance(node, dict):
        yield path, node
        for k, v in node.items():
            if k.startswith("x-"):
                continue  # annotations are not schemas
            yield from iter_schemas(v, f"{path}/{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from iter_schemas(v, f"{path}/{i}")


def is_label(value):
    return (
        isinstance(value, dict)
        and set(value) == {"id", "en"}
        and all(isinstance(value[k], str) and value[k].strip() for k in ("id", "en"))
    )


# ---------------------------------------------------------------------------- structure


def test_valid_draft_2020_12(schema):
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == "urn:khbs:schema:household:1"
    assert schema["x-version"] == 1
    assert schema["properties"]["schema_version"]["const"] == schema["x-version"]


def test_root_and_section_order(schema):
    assert list(schema["properties"]) == ROOT_ORDER
    for name in SECTIONS[:-1]:
        assert schema["properties"][name]["type"] == "object", name
    anggota = schema["properties"]["anggota"]
    assert anggota["type"] == "array" and anggota["items"]["type"] == "object"
    # At least one member only where x-required says so: a refusal of a family not on the
    # list has none (docs/questionnaire.md, "Visit outcome").
    assert "minItems" not in anggota and anggota["maxItems"] == 60


def test_every_property_has_labels(schema):
    count = 0
    for path, _, prop, _ in iter_properties(schema):
        count += 1
        assert is_label(prop.get("x-label")), f"{path}: x-label needs non-empty 'id' and 'en'"
        if "x-help" in prop:
            assert is_label(prop["x-help"]), f"{path}: bad x-help"
    assert count > 80


def test_property_names_are_snake_case(schema):
    for path, name, _, _ in iter_properties(schema):
        assert re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", name), path


def test_additional_properties_false_everywhere(schema):
    for path, node in iter_schemas(schema):
        if node.get("type") == "object" or "properties" in node:
            assert node.get("additionalProperties") is False, (
                f"{path or '/'}: additionalProperties must be false"
            )


def test_json_schema_required_only_where_allowed(schema):
    found = {path: node["required"] for path, node in iter_schemas(schema) if "required" in node}
    assert found == {
        "": ["schema_version", "id", "status"],
        "/properties/lokasi/properties/gps": ["lat", "lon"],
    }


def test_strings_have_max_length(schema):
    for path, node in iter_schemas(schema):
        if node.get("type") != "string" or "enum" in node:
            continue
        if node.get("format") in ("date", "partial-date"):
            # Dates are exactly {"type": "string", "format": ...}; the format bounds the length
            # (partial-date, for birth dates: YYYY, YYYY-MM or YYYY-MM-DD; app/dates.py).
            assert {k for k in node if not k.startswith("x-")} == {"type", "format"}, path
        else:
            assert isinstance(node.get("maxLength"), int), f"{path}: string without maxLength"


# ---------------------------------------------------------------------------- coded answers


def test_every_enum_has_matching_options(schema):
    owners = set()
    for path, _, prop, _ in iter_properties(schema):
        if "enum" in prop:
            values = prop["enum"]
        elif prop.get("type") == "array" and "enum" in prop.get("items", {}):
            values = prop["items"]["enum"]
            assert prop.get("uniqueItems") is True, f"{path}: multiple choice needs uniqueItems"
            assert prop["items"].get("type") == "integer", path
        else:
            assert "x-options" not in prop, f"{path}: x-options without enum"
            continue
        owners.add(path)
        assert len(set(map(repr, values))) == len(values), f"{path}: duplicate enum values"
        options = prop.get("x-options")
        assert isinstance(options, list), f"{path}: enum without x-options"
        assert same_list([o["value"] for o in options], values), (
            f"{path}: x-options values differ from enum"
        )
        for o in options:
            assert set(o) == {"value", "label"}, path
            assert is_label(o["label"]), f"{path}: option {o['value']!r} needs 'id' and 'en' labels"
    # No enum anywhere that the walk above did not see (e.g. nested in an unexpected place).
    enum_paths = {p for p, node in iter_schemas(schema) if "enum" in node}
    assert len(enum_paths) == len(owners)


def test_integer_codes(schema):
    for path, _, prop, _ in iter_properties(schema):
        values = prop.get("enum") or prop.get("items", {}).get("enum")
        if values and path != "/status":
            assert prop.get("type") == "integer" or prop["items"]["type"] == "integer", path
            assert all(type(v) is int for v in values), path


# ---------------------------------------------------------------------------- x- keywords


def test_x_keyword_values(schema):
    for path, _, prop, _ in iter_properties(schema):
        if "x-required" in prop:  # true, or a condition (checked with the x-relevant ones)
            assert prop["x-required"] is True or isinstance(prop["x-required"], dict), path
        if "x-allowed" in prop:
            entries = prop["x-allowed"]
            assert isinstance(entries, list) and entries, path
            for e in entries:
                assert set(e) <= {"when", "in", "code"} and {"when", "in"} <= set(e), path
                assert e["in"] and all(any(same(v, a) for a in prop["enum"]) for v in e["in"]), path
        if "x-future" in prop:
            assert prop["x-future"] is True and prop.get("format") == "date", path
        if "x-widget" in prop:
            assert prop["x-widget"] in WIDGETS, path
        if "x-readonly" in prop:
            assert prop["x-readonly"] is True and "x-required" not in prop, path
        if "x-sensitive" in prop:
            assert prop["x-sensitive"] in SENSITIVE, path
        if "x-identifier" in prop:
            assert prop["x-identifier"] in IDENTIFIERS and prop["type"] == "string", path
            assert prop["pattern"] == "^[0-9]{16}$", path
        if "x-warn-range" in prop:
            wr = prop["x-warn-range"]
            assert prop["type"] in ("integer", "number") and set(wr) == {"min", "max"}, path
            assert wr["min"] <= wr["max"], path
            assert prop.get("minimum", wr["min"]) <= wr["min"], (
                f"{path}: warn range below hard minimum"
            )
            assert wr["max"] <= prop.get("maximum", wr["max"]), (
                f"{path}: warn range above hard maximum"
            )
        if "x-notice" in prop:
            assert path == "/persetujuan", path
        if "x-none" in prop:  # the "none" answer of a multiple choice: one of its codes
            assert prop["type"] == "array" and prop["x-none"] in prop["items"]["enum"], path
        if "x-roster-columns" in prop:
            assert prop["type"] == "array", path
            cols = prop["x-roster-columns"]
            assert cols and all(c in prop["items"]["properties"] for c in cols), path


def test_consent_notice(schema):
    notice = schema["properties"]["persetujuan"]["x-notice"]
    assert isinstance(notice["version"], str) and notice["version"]
    assert set(notice["text"]) == {"id", "en"}
    for lang, text in notice["text"].items():
        assert 120 <= len(text.split()) <= 200, f"notice ({lang}) must be 120-200 words"
        assert "3x24" in text and "Dinas Sosial" in text
        assert "http" not in text and "@" not in text


def test_verification_section(schema):
    ver = schema["properties"]["verifikasi"]["properties"]
    assert [o["value"] for o in ver["sumber"]["x-options"]] == [1, 2]
    assert ver["sumber"]["x-readonly"] is True and "x-required" not in ver["sumber"]
    # The family's presence uses the member presence codes.
    member = schema["properties"]["anggota"]["items"]["properties"]["keberadaan"]
    assert ver["keberadaan_keluarga"]["enum"] == member["enum"]
    relevant = ver["keberadaan_keluarga"]["x-relevant"]
    assert relevant["all"][0] == {"field": "sumber", "in": [1]}
    assert ver["keberadaan_keluarga"]["x-required"] is True
    # Only the families the officer talked to (visit outcome 1 or 2; or, in a record without
    # an outcome, a family found at home) are asked these sections.
    at_home = schema["properties"]["rumah"]["x-relevant"]
    assert at_home["any"][0] == {"field": "/hasil_kunjungan", "in": [1, 2]}
    for name in ("persetujuan", "bukti", "rumah", "aset", "program", "kebutuhan"):
        assert schema["properties"][name]["x-relevant"] == at_home, name
    assert "x-relevant" not in schema["properties"]["lokasi"]


def test_paradata_has_a_time_field_for_every_page_of_the_form(schema):
    """app/paradata.py writes detik_<page> for each page the form shows: a new section needs
    its field here (or its time is not kept)."""
    from app.paradata import FIRST_PAGE, section_field

    fields = schema["properties"]["paradata"]["properties"]
    pages = [
        name
        for name, spec in schema["properties"].items()
        if spec.get("x-widget") != "none"
        and ("properties" in spec or "items" in spec and "properties" in spec["items"])
    ]
    assert pages == SECTIONS
    for page in ["", *pages]:
        assert section_field(page) in fields, page
    assert section_field("") == f"detik_{FIRST_PAGE}"
    assert schema["properties"]["paradata"]["x-widget"] == "none"


def test_sensitive_sections(schema):
    props = schema["properties"]
    assert props["aset"]["x-sensitive"] == "financial"
    assert props["program"]["x-sensitive"] == "financial"
    member = props["anggota"]["items"]["properties"]
    for name in ("disabilitas", "penyakit_kronis", "hamil", "jaminan_kesehatan"):
        assert member[name]["x-sensitive"] == "health", name
    assert member["partisipasi_sekolah"]["x-sensitive"] == "child"


# ---------------------------------------------------------------------------- x-relevant grammar


def resolve_root_path(schema, pointer):
    node = schema
    for part in pointer.strip("/").split("/"):
        props = node.get("properties", {})
        assert part in props, f"{pointer}: no such field"
        node = props[part]
    return node


def allowed_values(field_schema):
    if field_schema.get("type") == "boolean":
        return [True, False]
    return field_schema.get("enum")


def check_condition(cond, here, schema, in_roster, path):
    """Raise AssertionError unless cond follows the grammar of docs/questionnaire.md.

    here: the property name owning the condition; its object schema is looked up by the caller.
    """
    owner_props, own_name = here
    assert isinstance(cond, dict) and cond, f"{path}: condition must be a non-empty object"
    keys = set(cond)

    if keys == {"all"} or keys == {"any"}:
        (k,) = keys
        assert isinstance(cond[k], list) and cond[k], f"{path}: '{k}' needs a non-empty list"
        for i, c in enumerate(cond[k]):
            check_condition(c, here, schema, in_roster, f"{path}/{k}/{i}")
        return
    if keys == {"not"}:
        check_condition(cond["not"], here, schema, in_roster, f"{path}/not")
        return
    if keys == {"age"}:
        assert in_roster, f"{path}: 'age' only applies to member questions"
        rng = cond["age"]
        assert isinstance(rng, dict) and rng and set(rng) <= {"min", "max"}, (
            f"{path}: bad age range"
        )
        assert all(type(v) is int and v >= 0 for v in rng.values()), path
        assert rng.get("min", 0) <= rng.get("max", 200), path
        return

    assert "field" in keys, f"{path}: unknown condition {sorted(keys)}"
    field = cond["field"]
    assert isinstance(field, str) and field, path
    if field.startswith("/"):
        target = resolve_root_path(schema, field)
    else:
        names = list(owner_props)
        assert field in owner_props, f"{path}: field {field!r} is not in the same object"
        assert field != own_name, f"{path}: a question cannot depend on itself"
        assert names.index(field) < names.index(own_name), (
            f"{path}: {field!r} must come before {own_name!r}"
        )
        target = owner_props[field]

    ops = keys - {"field"}
    if ops in ({"in"}, {"not_in"}):
        (op,) = ops
        values = cond[op]
        assert isinstance(values, list) and values, f"{path}: '{op}' needs a non-empty list"
        allowed = allowed_values(target)
        assert allowed is not None, f"{path}: '{op}' on a field without codes"
        for v in values:
            assert any(same(v, a) for a in allowed), f"{path}: {v!r} is not a code of {field!r}"
    elif ops == {"contains"}:
        assert target.get("type") == "array", f"{path}: 'contains' needs a multiple-choice field"
        assert any(same(cond["contains"], a) for a in target["items"]["enum"]), path
    elif ops == {"answered"}:
        assert cond["answered"] is True, path
    elif ops and ops <= {"min", "max"}:
        assert target.get("type") in ("integer", "number") and "enum" not in target, path
        assert all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in (cond[o] for o in ops)
        ), path
        assert cond.get("min", float("-inf")) <= cond.get("max", float("inf")), path
    else:
        raise AssertionError(f"{path}: unknown operator(s) {sorted(ops)}")


def iter_relevant(schema):
    """Yield (path, condition, owner properties, own name, in_roster)."""

    def walk(obj, path, in_roster):
        for name, prop in obj.get("properties", {}).items():
            p = f"{path}/{name}"
            if "x-relevant" in prop:
                yield p, prop["x-relevant"], obj["properties"], name, in_roster
            if isinstance(prop.get("x-required"), dict):
                yield p + ":required", prop["x-required"], obj["properties"], name, in_roster
            for i, entry in enumerate(prop.get("x-allowed", [])):
                yield f"{p}:allowed/{i}", entry["when"], obj["properties"], name, in_roster
            if "properties" in prop:
                yield from walk(prop, p, in_roster)
            items = prop.get("items")
            if isinstance(items, dict) and "properties" in items:
                yield from walk(items, p + "[]", True)

    yield from walk(schema, "", False)


def test_relevance_conditions(schema):
    seen = 0
    for path, cond, owner_props, name, in_roster in iter_relevant(schema):
        check_condition(cond, (owner_props, name), schema, in_roster, path)
        seen += 1
    assert seen >= 15


@pytest.mark.parametrize(
    "cond",
    [
        {"field": "nope", "in": [1]},
        {"field": "keberadaan", "in": [5]},
        {"field": "keberadaan", "equals": 1},
        {"age": {"from": 5}},
        {"all": []},
        {"field": "/rumah/tidak_ada", "answered": True},
    ],
)
def test_condition_checker_rejects_bad_conditions(schema, cond):
    member = schema["properties"]["anggota"]["items"]["properties"]
    with pytest.raises(AssertionError):
        check_condition(cond, (member, "jaminan_kesehatan"), schema, True, "/test")


def test_age_not_allowed_outside_roster(schema):
    rumah = schema["properties"]["rumah"]["properties"]
    with pytest.raises(AssertionError):
        check_condition({"age": {"min": 5}}, (rumah, "daya_listrik"), schema, False, "/test")


# ---------------------------------------------------------------------------- sample record

RECORD = household()


@pytest.fixture(scope="module")
def validator(schema):
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_sample_record_is_valid(validator, schema):
    errors = sorted(validator.iter_errors(RECORD), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]
    # The sample answers every member question, so it exercises every member field.
    member_fields = set(schema["properties"]["anggota"]["items"]["properties"])
    assert member_fields == {name for m in RECORD["anggota"] for name in m}


def test_minimal_draft_is_valid(validator):
    assert not list(
        validator.iter_errors({"schema_version": 1, "id": RECORD["id"], "status": "draft"})
    )


@pytest.mark.parametrize(
    "mutate",
    [
        lambda r: r.update(id=r["id"].upper()),
        lambda r: r.update(id="not-a-uuid"),
        lambda r: r.update(schema_version=2),
        lambda r: r.update(no_kk="62710301011000"),
        lambda r: r.update(tanggal_kunjungan="2026-02-30"),
        lambda r: r.update(extra=1),
        lambda r: r["lokasi"].update(kode_desa="63.71.03.1001"),
        lambda r: r["lokasi"].update(kode_desa="62.71.03.3001"),
        lambda r: r["lokasi"]["gps"].update(lat=45.0),
        lambda r: r["lokasi"]["gps"].pop("lon"),
        lambda r: r["rumah"].update(jenis_lantai=10),
        lambda r: r["rumah"].update(jumlah_keluarga=0),
        lambda r: r["aset"].update(mobil=-1),
        lambda r: r["program"].update(program_bansos=[1, 1]),
        lambda r: r["anggota"][0].update(keberadaan=5),
        lambda r: r["anggota"][0].update(hubungan=True),
        lambda r: r["anggota"][0].update(penyakit_kronis=[1, 18]),
        lambda r: r["anggota"][0].update(nik="627103120480000X"),
        lambda r: r.update(hasil_kunjungan=9),
        lambda r: r.update(kunjungan=["2026-11-01"]),
        lambda r: r.update(kunjungan=["2026-11-01:4 "]),
    ],
)
def test_bad_records_are_rejected(validator, mutate):
    record = copy.deepcopy(RECORD)
    mutate(record)
    assert list(validator.iter_errors(record))


def test_csv_column_names_are_unique_per_file():
    """CSV columns are the questions' own names (docs/export.md), so a new question must not
    reuse a name already in the same file, nor make a `<name>_label` that another one has."""
    from app.export.layout import HOUSEHOLD_ID, POSITION, Layout, Options

    layout = Layout(Options())
    for columns in (layout.household_columns, layout.member_columns):
        assert len(columns) == len(set(columns)), [c for c in columns if columns.count(c) > 1]
    assert layout.household_columns[0] == HOUSEHOLD_ID
    assert layout.member_columns[:2] == [HOUSEHOLD_ID, POSITION]
    # The province's own files (DTSEN lists) use these names: keep them.
    assert {"no_kk", "kode_desa", "alamat"} <= set(layout.household_columns)
    assert {"nik", "nama", "hubungan", "jenis_kelamin", "tanggal_lahir"} <= set(
        layout.member_columns
    )


def test_relationship_codes_are_the_schemas(schema):
    """The rules and the demo data use the codes app/questionnaire.py names: each must be the
    schema's option with that meaning (domain.md: 1 head ... 9 other)."""
    from app import questionnaire as q

    spec = schema["properties"]["anggota"]["items"]["properties"][q.RELATION]
    labels = {o["value"]: o["label"]["en"] for o in spec["x-options"]}
    named = {
        q.HEAD: "Head of family",
        q.SPOUSE: "Wife/husband",
        q.CHILD: "Child",
        q.CHILD_IN_LAW: "Son-/daughter-in-law",
        q.GRANDCHILD: "Grandchild",
        q.PARENT: "Parent",
        q.PARENT_IN_LAW: "Parent-in-law",
        q.RELATIVE: "Other relative",
        q.OTHER: "Other (not related)",
    }
    assert labels == named
