"""Several questionnaire versions on one laptop (issue 13): the registry every layer reads a
record's version from, and what follows from it for new households, drafts opened, the rules
and the export columns. Uses the test version 2 of tests/questionnaires.py, which renames a
question (so version 1 has a column version 2 lacks)."""

from __future__ import annotations

import json

import pytest

from app import households, rules
from app import questionnaire as q
from app.export.laptop import export_store
from app.export.layout import Layout, Options
from app.export.reader import ExportUnreadable, read_export
from tests.questionnaires import real_v2, version_2
from tests.records import TODAY, household, numbered


@pytest.fixture
def v2() -> dict:
    schema = version_2()
    q.register(schema)
    return schema


def test_only_the_built_in_version_before_any_is_registered():
    assert q.versions() == [1] and q.newest_version() == 1
    assert households.new_record()["schema_version"] == 1
    assert q.schema_for({"schema_version": 7}) is q.load_schema()  # unknown: the built-in


def test_each_record_is_read_by_its_own_version(v2):
    assert q.versions() == [1, 2] and households.new_record()["schema_version"] == 2
    old = household()
    assert q.schema_for(old) is q.load_schema() and q.schema_for({"schema_version": 2}) is v2
    assert rules.check(old, rules.Context(today=TODAY)).issues == []  # still valid as version 1
    new = dict(old, schema_version=2)
    found = {i.code for i in rules.check(new, rules.Context(today=TODAY)).issues}
    assert "unknown_field" in found  # jumlah_keluarga is jumlah_kk in version 2


def test_an_unknown_version_is_refused_by_the_rules_with_its_own_reason():
    found = rules.check(dict(household(), schema_version=9), rules.Context(today=TODAY))
    assert [i.code for i in found.errors][:1] == ["schema_version"]


def test_a_retired_version_is_not_used_for_new_households(v2):
    q.register(v2, retired=True)
    assert q.newest_version() == 1 and 2 in q.versions()


def test_opening_migrates_drafts_only(v2):
    draft = dict(household(), status="draft")
    opened, notice = households.opened(draft)
    assert opened["schema_version"] == 2 and opened["rumah"]["jumlah_kk"] == 1
    assert notice == (
        "Dibuka dengan kuesioner versi 2; 1 pertanyaan baru wajib diisi (ditandai saat "
        "Finalkan). Semua jawaban lama tetap ada."
    )
    final = household()
    assert households.opened(final) == (final, "")


def test_a_draft_that_would_lose_an_answer_stays_on_its_version():
    v2 = version_2()
    v2["x-migration"]["dropped"] = ["aset/ac"]
    del v2["properties"]["aset"]["properties"]["ac"]
    q.register(v2)
    draft = dict(household(), status="draft")
    opened, notice = households.opened(draft)
    assert opened is draft and notice.startswith("Tetap di kuesioner versi 1")


def test_export_columns_are_the_union_of_the_versions(v2):
    layout = Layout(Options())
    columns = layout.household_columns
    assert "jumlah_kk" in columns and "jumlah_keluarga" in columns
    assert columns.index("jumlah_kk") < columns.index("jumlah_keluarga")  # the newest first
    assert "sumber_air_mandi" in columns
    only_v1 = Layout(Options(), schemas={1: q.load_schema()}).household_columns
    assert "jumlah_kk" not in only_v1


def test_canonical_follows_the_record_version(v2):
    record = q.canonical(households.opened(dict(household(), status="draft"))[0])
    assert list(record["rumah"])[:3] == ["status_kepemilikan", "bukti_kepemilikan", "jumlah_kk"]


def test_an_export_of_a_version_this_laptop_lacks_is_refused(v2, store, tmp_path):
    store.save(numbered(1))
    export_store(store, tmp_path / "out")
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text("utf-8"))
    assert manifest["schema_versions"] == [1, 2]
    assert len(read_export(tmp_path / "out").records) == 1
    q.forget_versions()
    with pytest.raises(ExportUnreadable) as caught:
        read_export(tmp_path / "out")
    assert caught.value.key == "import.csv_version_unknown"


def test_the_real_version_2_renames_nothing_so_version_1_adds_no_column():
    q.register(real_v2())
    layout = Layout(Options())
    assert layout.household_columns == Layout(Options(), schemas={2: real_v2()}).household_columns
