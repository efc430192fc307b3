"""app/demo.py: synthetic households are valid, reproducible, stay in their area and never
reuse an identity number."""

from datetime import date

import pytest

from app import demo, rules

TODAY = date(2026, 3, 15)


def ids(records, kind):
    out = []
    for rec in records:
        if kind == "kk":
            out.append(rec["no_kk"])
        else:
            out.extend(m["nik"] for m in rec["anggota"])
    return out


@pytest.fixture(scope="module")
def batch():
    return list(demo.generate(200, seed=7, today=TODAY))


def test_every_household_passes_final_check_without_warnings(batch):
    assert len(batch) == 200
    failures = []
    for rec in batch:
        assert rec["status"] == "final" and rec["schema_version"] == 1
        ctx = rules.Context(household_id=rec["id"], assigned_areas=[], today=TODAY)
        result = rules.check(rec, ctx, final=True)
        if result.issues:
            failures.append((rec["id"], [i.key for i in result.issues]))
    assert not failures, f"{len(failures)} invalid households, first: {failures[0]}"


def test_families_look_plausible(batch):
    sizes = [len(rec["anggota"]) for rec in batch]
    assert min(sizes) >= 1 and max(sizes) <= 8
    assert 3 <= sorted(sizes)[len(sizes) // 2] <= 5
    for rec in batch:
        heads = [m for m in rec["anggota"] if m["hubungan"] == 1]
        assert len(heads) == 1 and rec["anggota"][0] is heads[0]
        if "persetujuan" not in rec:
            continue  # a listed family not found: nobody was asked
        assert rec["persetujuan"]["nama_pemberi"] == heads[0]["nama"]
        assert rec["persetujuan"]["tanggal"] == rec["tanggal_kunjungan"]
        assert 0 <= (TODAY - date.fromisoformat(rec["tanggal_kunjungan"])).days < 60
    presence = {m.get("keberadaan") for rec in batch for m in rec["anggota"]}
    assert 1 in presence and presence & {2, 3}


def test_some_households_are_verified_from_the_dtsen_list(batch):
    found = [r["hasil_kunjungan"] for r in batch if "verifikasi" in r]
    assert 40 <= len(found) <= 120 and 1 in found and set(found) - {1}
    assert {r["hasil_kunjungan"] for r in batch if "verifikasi" not in r} == {1}
    for rec in batch:
        outcome = rec["hasil_kunjungan"]
        asked = {"persetujuan", "rumah", "aset", "program", "kebutuhan"} & set(rec)
        assert bool(asked) == (outcome == 1), rec.get("verifikasi")
        if outcome in (5, 7):  # moved, no longer exists: where the family and each member went
            presence = rec["verifikasi"]["keberadaan_keluarga"]
            assert {m["keberadaan"] for m in rec["anggota"]} == {presence}
            assert rec["verifikasi"]["catatan_verifikasi"]
        elif outcome == 6:  # not found: the list's identity only
            assert set(rec["verifikasi"]) <= {"sumber", "catatan_verifikasi"}
            assert not any("keberadaan" in m for m in rec["anggota"])


def test_same_seed_same_output_other_seed_differs(batch):
    again = list(demo.generate(200, seed=7, today=TODAY))
    assert again == batch
    other = list(demo.generate(200, seed=8, today=TODAY))
    assert other != batch
    assert not set(r["id"] for r in other) & set(r["id"] for r in batch)


def test_areas_restrict_desa():
    records = list(demo.generate(60, seed=3, areas=["62.12"], today=TODAY))
    assert all(rec["lokasi"]["kode_desa"].startswith("62.12.") for rec in records)
    assert all(rec["no_kk"].startswith("6212") for rec in records)
    ctx = rules.Context(assigned_areas=["62.12"], today=TODAY)
    assert all(not rules.check(rec, ctx).errors for rec in records)


def test_several_areas_are_all_used():
    areas = ["62.12", "62.71"]
    records = list(demo.generate(20, seed=5, areas=areas, today=TODAY))
    regencies = {rec["lokasi"]["kode_desa"][:5] for rec in records}
    assert regencies == set(areas)


def test_unknown_area_is_refused():
    with pytest.raises(ValueError):
        demo.generate(1, seed=1, areas=["62.99"], today=TODAY)
    with pytest.raises(ValueError):
        demo.generate(1, seed=1, areas=["62.12.01.9999"], today=TODAY)


def test_taken_numbers_are_avoided(batch):
    taken_nik, taken_kk = set(ids(batch, "nik")), set(ids(batch, "kk"))
    asked = []

    def taken(kind, value):
        asked.append(kind)
        return value in (taken_nik if kind == "nik" else taken_kk)

    second = list(demo.generate(200, seed=7, today=TODAY, taken=taken))
    assert {"nik", "kk"} <= set(asked)
    assert not set(ids(second, "nik")) & taken_nik
    assert not set(ids(second, "kk")) & taken_kk


def test_nik_matches_sex_birth_date_and_never_repeats(batch):
    niks = ids(batch, "nik")
    assert len(niks) == len(set(niks))
    kks = ids(batch, "kk")
    assert len(kks) == len(set(kks))
    for rec in batch:
        for m in rec["anggota"]:
            nik, born = m["nik"], date.fromisoformat(m["tanggal_lahir"])
            day = int(nik[6:8])
            if m["jenis_kelamin"] == 2:
                assert day > 40
            else:
                assert day <= 31
            assert (day - 40 * (day > 40), int(nik[8:10]), int(nik[10:12])) == (
                born.day,
                born.month,
                born.year % 100,
            )
            assert nik[12:] != "0000"
            assert (TODAY - born).days < 100 * 365


def test_most_niks_come_from_the_household_kecamatan(batch):
    niks = [
        (rec["lokasi"]["kode_desa"][:8].replace(".", ""), m["nik"][:6])
        for rec in batch
        for m in rec["anggota"]
    ]
    home = sum(1 for kec, prefix in niks if kec == prefix)
    assert 0.7 < home / len(niks) < 1.0
    assert all(rec["no_kk"][:6] == rec["lokasi"]["kode_desa"][:8].replace(".", "") for rec in batch)


def test_new_required_question_gets_a_generic_answer(monkeypatch):
    """Answers follow the schema: a required question added later is answered, a hidden one
    is not."""
    import copy

    from app import questionnaire as q

    schema = copy.deepcopy(q.load_schema())
    member = schema["properties"]["anggota"]["items"]["properties"]
    member["punya_ktp"] = {
        "type": "boolean",
        "x-required": True,
        "x-relevant": {"age": {"min": 17}},
    }
    schema["properties"]["rumah"]["properties"]["jarak_sungai_m"] = {
        "type": "integer",
        "minimum": 0,
        "maximum": 10000,
        "x-warn-range": {"min": 0, "max": 500},
        "x-required": True,
    }
    monkeypatch.setattr(q, "load_schema", lambda: schema)
    for rec in demo.generate(30, seed=2, today=TODAY):
        assert 0 <= rec["rumah"]["jarak_sungai_m"] <= 500
        visit = date.fromisoformat(rec["tanggal_kunjungan"])
        for m in rec["anggota"]:
            adult = q.age_on(m["tanggal_lahir"], visit) >= 17
            assert ("punya_ktp" in m) == adult
