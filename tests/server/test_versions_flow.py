"""Issue 13, several questionnaire versions through the real server on 127.0.0.1 (SQLite and
PostgreSQL): an enrolled laptop with version 1 drafts and finals pulls version 2
(schemas/household.v2.schema.json); the version 1 draft migrates when opened with nothing
lost; version 1 finals still sync and export; new households are version 2; the exports of
both versions (laptop and province) import back; a retired version is no longer offered but its
households are still accepted; a signature tampered with at the province is refused by the
laptop."""

from __future__ import annotations

import csv
import json

from sqlalchemy import select, update

from app import households
from app import questionnaire as q
from app.export.laptop import export_store
from app.export.reader import read_export
from app.questionnaire_migration import upgrade
from app.store import Store
from app.store import questionnaires as laptop_versions
from sync.client import SyncClient
from sync.server import questionnaires
from sync.server.admins import CLI_ACTOR
from sync.server.db import questionnaires as published_table
from sync.server.export import export_to_dir
from tests.conftest import FAST_KDF, PASSPHRASE
from tests.questionnaires import V2_FILE, answers_v2
from tests.records import numbered
from tests.server.conftest import new_code


def laptop(tmp_path, live, engine, officer, name: str = "laptop") -> tuple[Store, SyncClient]:
    store = Store.create(tmp_path / name, PASSPHRASE, kdf=FAST_KDF)
    client = SyncClient(store, sleep=lambda _s: None, max_attempts=3)
    client.enroll(live.url, new_code(engine, officer))
    return store, client


def publish_v2(engine, keys) -> None:
    with engine.begin() as conn:
        questionnaires.publish(conn, keys, V2_FILE.read_bytes(), actor=CLI_ACTOR)


def v1_answers(record: dict) -> dict:
    """Every answer of a record but its frame, as (path, member) -> value."""
    out = {}
    for a in q.answers(record, q.load_schema()):
        if q.is_roster(a.spec) or a.path[0] in ("schema_version", "status"):
            continue
        if not q.is_empty(a.value):
            out[a.path] = a.value
    return out


def rows(path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_a_laptop_lives_through_version_2(live, engine, officer, initialised, tmp_path):
    store, client = laptop(tmp_path, live, engine, officer)
    sent_v1 = numbered(1)
    draft = numbered(2, status="draft")
    store.save(sent_v1)
    households.save_draft(store, draft)
    publish_v2(engine, initialised)

    report = client.sync()  # pushes the version 1 final, then pulls version 2
    assert (report.synced, report.attention, report.questionnaires) == (1, 0, [2])
    assert laptop_versions.versions(store) == [2] and q.newest_version() == 2

    # The version 1 draft, opened: version 2, nothing lost, the new questions named.
    opened, notice = households.opened(store.get(draft["id"])[0])
    assert opened["schema_version"] == 2
    assert notice.startswith("Dibuka dengan kuesioner versi 2;")
    assert v1_answers(opened) == v1_answers(draft)
    households.save_draft(store, opened)  # the form's autosave
    done, _ = households.finalise(store, answers_v2(opened))
    assert done["schema_version"] == 2 and done["ekonomi"]["dibawah_ump"] is True

    # A new household is version 2; a version 1 final made before is still version 1.
    new = households.new_record()
    assert new["schema_version"] == 2
    fresh = answers_v2(households.opened(dict(numbered(3, status="draft")))[0], income=6)
    fresh["lokasi"]["nomor_hp"] = "081234567890"
    fresh, _ = households.finalise(store, fresh)
    late_v1 = numbered(4)
    store.save(late_v1)  # finalised on version 1 before the laptop was updated, sent now

    report = client.sync()
    assert (report.sent, report.synced, report.attention) == (3, 3, 0)
    assert report.needs_attention == []

    # The province's export: both versions, the union of their columns.
    out = tmp_path / "province"
    made = export_to_dir(engine, initialised, out, actor=CLI_ACTOR)
    assert made.manifest["schema_versions"] == [1, 2] and made.manifest["schema_version"] == 2
    by_id = {r["household_id"]: r for r in rows(out / "households.csv")}
    assert by_id[sent_v1["id"]]["schema_version"] == "1"
    assert by_id[sent_v1["id"]]["pendapatan_bulanan"] == ""  # a version 1 household
    assert by_id[done["id"]]["schema_version"] == "2"
    assert by_id[fresh["id"]]["dibawah_ump"] == "0" and by_id[done["id"]]["dibawah_ump"] == "1"
    assert by_id[fresh["id"]]["nomor_hp"] == "081234567890"
    members = rows(out / "members.csv")
    assert {m["sektor_kerja"] for m in members if m["household_id"] == sent_v1["id"]} == {""}
    back = dict((r["id"], r) for _, r in read_export(out).records)
    for record in (sent_v1, late_v1, done, fresh):
        assert back[record["id"]] == q.canonical(dict(record, status="final"))

    # The laptop's export of both versions imports into another laptop as it was.
    exported = tmp_path / "export"
    export_store(store, exported)
    manifest = json.loads((exported / "manifest.json").read_text("utf-8"))
    assert manifest["schema_versions"] == [1, 2]
    other = Store.create(tmp_path / "other", PASSPHRASE, kdf=FAST_KDF)
    result = households.import_csv(other, exported)
    assert result.errors == [] and result.imported == 4
    for record in (sent_v1, late_v1, done, fresh):
        assert other.get(record["id"])[0] == q.canonical(store.get(record["id"])[0])
    other.close()

    # Retired: not offered for new households, still accepted from a laptop that has it.
    with engine.begin() as conn:
        assert questionnaires.retire(conn, 2, actor=CLI_ACTOR)
    second, second_client = laptop(tmp_path, live, engine, officer, "second")
    assert second_client.sync().questionnaires == []
    second.close()
    # A draft migrated to version 2 before the retirement reached the laptop, final now.
    again = answers_v2(upgrade(numbered(5, status="draft"), q.all_schemas(), 2)[0])
    households.finalise(store, again)
    report = client.sync()
    assert (report.synced, report.attention) == (1, 0)
    with engine.connect() as conn:
        listed = questionnaires.listing(conn)
    assert [(v["version"], v["sent"], v["received"]) for v in listed] == [(2, 1, 1)]
    # The laptop heard of the retirement: new households go back to version 1, the version 2
    # households it holds stay version 2 (the laptop alone: this process's registry also holds
    # what the server registered).
    assert laptop_versions.retired(store) == {2}
    store.close()
    q.forget_versions()
    with Store.open(tmp_path / "laptop", PASSPHRASE) as store:
        assert q.versions() == [1, 2] and q.newest_version() == 1
        assert households.new_record()["schema_version"] == 1
        assert store.get(fresh["id"])[0]["schema_version"] == 2


def test_a_signature_changed_at_the_province_is_refused_by_the_laptop(
    live, engine, officer, initialised, tmp_path
):
    store, client = laptop(tmp_path, live, engine, officer)
    publish_v2(engine, initialised)
    with engine.begin() as conn:
        signature = bytearray(conn.execute(select(published_table.c.signature)).scalar_one())
        signature[0] ^= 1
        conn.execute(update(published_table).values(signature=bytes(signature)))
    report = client.sync()
    assert (report.questionnaires, report.questionnaires_refused) == ([], [2])
    assert laptop_versions.versions(store) == []
    store.close()
    # The laptop alone (this process's registry also holds what the server registered): it
    # keeps nothing, so new households stay on the built-in version.
    q.forget_versions()
    with Store.open(tmp_path / "laptop", PASSPHRASE) as store:
        assert q.versions() == [1] and households.new_record()["schema_version"] == 1
