"""Issue 13, publishing and delivery, on SQLite and PostgreSQL: `khbs-server questionnaire
publish` checks a version completely and signs it, `list` counts the laptops that have it,
`retire` stops offering it; an enrolled laptop pulls it through the real server on 127.0.0.1,
checks the province's signature and keeps it; `khbs sync` says so."""

from __future__ import annotations

import copy
import json

import pytest
from sqlalchemy import delete, func, select

from app import questionnaire as q
from app.questionnaire_check import canonical_bytes
from app.store import Store
from app.store import questionnaires as laptop_versions
from sync.client import SyncClient
from sync.protocol import questionnaire_message, verify_questionnaire
from sync.server import questionnaires
from sync.server.admins import CLI_ACTOR
from sync.server.db import audit_log, changes, questionnaire_receipts, server_keys
from sync.server.db import questionnaires as published_table
from sync.server.keys import signing_public
from tests.conftest import FAST_KDF, PASSPHRASE
from tests.questionnaires import version_2, write
from tests.server.conftest import count, new_code
from tests.server.test_cli import Server
from tests.test_cli import Khbs

V2 = version_2()


@pytest.fixture
def server(db_url, initialised, tmp_path):
    return Server(db_url, tmp_path / "home")


def listed(server: Server) -> list[tuple]:
    out = json.loads(server.ok("questionnaire", "list", "--json").stdout)
    assert out["builtin"] == q.schema_version() == 1
    return [
        (v["version"], (v["sent"], v["received"]), v["retired_at"] is not None, v["notes"])
        for v in out["versions"]
    ]


def laptop(tmp_path, live, engine, officer, name: str = "laptop") -> tuple[Store, SyncClient]:
    store = Store.create(tmp_path / name, PASSPHRASE, kdf=FAST_KDF)
    client = SyncClient(store, sleep=lambda _s: None, max_attempts=3)
    client.enroll(live.url, new_code(engine, officer))
    return store, client


def test_publish_a_valid_version_2_then_list_and_retire_it(server, engine, tmp_path):
    path = write(tmp_path / "kuesioner-v2.json", V2)
    out = json.loads(
        server.ok(
            "questionnaire",
            "publish",
            str(path),
            "--notes",
            "Air mandi; lantai rusak sedang digabung",
            "--json",
        ).stdout
    )
    assert out["published"] is True and out["version"] == 2 and out["warnings"] == []
    assert listed(server) == [(2, (0, 0), False, "Air mandi; lantai rusak sedang digabung")]
    # Stored as signed: the compact document, its signature under the province signing key.
    with engine.connect() as conn:
        row = conn.execute(select(published_table)).one()
        key_id, public = signing_public(conn)
        events = conn.execute(select(changes).where(changes.c.kind == "questionnaire")).all()
        actions = conn.execute(select(audit_log.c.action, audit_log.c.detail)).all()
    assert bytes(row.document) == canonical_bytes(V2) and json.loads(row.document) == V2
    assert row.key_id == key_id == out["key_id"]
    verify_questionnaire(public, 2, bytes(row.document), bytes(row.signature))
    assert [(e.officer_id, e.device_id, json.loads(e.detail)) for e in events] == [
        (None, None, {"version": 2})
    ]  # for every device
    assert [(a, json.loads(d)["version"]) for a, d in actions] == [("questionnaire.publish", 2)]

    text = server.ok("questionnaire", "list").stdout.splitlines()
    assert text[0] == "Versi 1: bawaan aplikasi (tidak diterbitkan, selalu diterima)."
    assert text[1].startswith("Versi 2: diterbitkan ") and "diterima 0 laptop" in text[1]

    assert server.ok("questionnaire", "retire", "2").stdout.strip() == (
        "Kuesioner versi 2 ditarik: tidak lagi ditawarkan ke laptop."
    )
    assert "sudah ditarik" in server.ok("questionnaire", "retire", "2").stdout
    assert server.fails("questionnaire", "retire", "7") == (
        "khbs-server: Kuesioner versi 7 belum pernah diterbitkan."
    )
    assert listed(server)[0][2] is True
    assert "ditarik" in server.ok("questionnaire", "list").stdout
    with engine.connect() as conn:
        assert conn.scalars(select(audit_log.c.action)).all() == [
            "questionnaire.publish",
            "questionnaire.retire",
        ]


def broken(kind: str) -> dict:
    doc = copy.deepcopy(V2)
    rumah = doc["properties"]["rumah"]["properties"]
    if kind == "missing en label":
        del rumah["jenis_lantai"]["x-label"]["en"]
    elif kind == "duplicate code":
        rumah["jenis_atap"]["x-options"][4]["value"] = 4
    elif kind == "x-relevant to a missing question":
        rumah["jenis_kloset"]["x-relevant"] = {"field": "fasilitas_buang_air", "in": [1]}
    elif kind == "missing migration":
        del doc["x-migration"]
    return doc


BROKEN = {
    "missing en label": ["$.properties.rumah.properties.jenis_lantai.x-label.en"],
    "duplicate code": [
        "$.properties.rumah.properties.jenis_atap.x-options[4].value",
        "$.properties.rumah.properties.jenis_atap.x-options",
    ],
    "x-relevant to a missing question": [
        "$.properties.rumah.properties.jenis_kloset.x-relevant.field"
    ],
    "missing migration": ["$.x-migration"],
}


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_each_kind_of_broken_file_is_refused_with_its_json_path(engine, initialised, kind):
    with engine.begin() as conn, pytest.raises(questionnaires.QuestionnaireRefused) as refused:
        questionnaires.publish(
            conn, initialised, json.dumps(broken(kind)).encode(), actor=CLI_ACTOR
        )
    assert [p.path for p in refused.value.problems] == BROKEN[kind]
    assert count(engine, published_table) == count(engine, changes) == 0


def test_a_version_not_higher_than_the_last_published_is_refused(engine, initialised):
    with engine.begin() as conn:
        questionnaires.publish(conn, initialised, json.dumps(V2).encode(), actor=CLI_ACTOR)
    for again in (V2, q.load_schema()):
        with engine.begin() as conn, pytest.raises(questionnaires.QuestionnaireRefused) as no:
            questionnaires.publish(conn, initialised, json.dumps(again).encode(), actor=CLI_ACTOR)
        assert no.value.problems[0].path == "$.x-version"
    assert no.value.problems[0].message("en") == (
        "$.x-version: version 1 must be higher than the newest published (2)"
    )
    assert count(engine, published_table) == 1
    for not_a_questionnaire in (b"[1, 2]", b"", b"\xff"):
        with engine.begin() as conn, pytest.raises(questionnaires.QuestionnaireRefused) as no:
            questionnaires.publish(conn, initialised, not_a_questionnaire, actor=CLI_ACTOR)
        assert [p.path for p in no.value.problems] == ["$"]


def test_the_cli_lists_every_problem_and_stores_nothing(server, engine, tmp_path):
    doc = broken("missing en label")
    del doc["x-migration"]
    doc["properties"]["rumah"]["properties"]["jenis_atap"]["x-photo"] = True  # only a warning
    proc = server("questionnaire", "publish", str(write(tmp_path / "v2.json", doc)))
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.splitlines() == [
        "$.properties.rumah.properties.jenis_lantai.x-label.en: tidak ada",
        "$.x-migration: tidak ada",
        (
            "khbs-server: Kuesioner tidak diterbitkan: 2 masalah (di atas, masing-masing dengan "
            "jalur JSON-nya)."
        ),
    ]
    as_json = server(
        "questionnaire",
        "publish",
        str(tmp_path / "v2.json"),
        "--json",
        "--lang",
        "en",
        db_first=False,
    )
    out = json.loads(as_json.stdout)
    assert out["published"] is False and [p["path"] for p in out["problems"]] == [
        "$.properties.rumah.properties.jenis_lantai.x-label.en",
        "$.x-migration",
    ]
    assert out["problems"][1]["message"] == "missing"
    assert "not JSON" not in as_json.stderr
    (tmp_path / "bad.json").write_text('{"x-version": 2,\n  oops}', "utf-8")
    assert (
        "$: bukan JSON yang sah (baris 2, kolom 3)"
        in server("questionnaire", "publish", str(tmp_path / "bad.json")).stderr
    )
    assert server.fails("questionnaire", "publish", str(tmp_path / "none.json")).endswith(
        "tidak bisa dibaca."
    )
    assert count(engine, published_table) == 0
    # --check: the same checks, no passphrase, nothing stored.
    checked = server(
        "questionnaire", "publish", str(tmp_path / "v2.json"), "--check", passphrase=None
    )
    assert checked.returncode == 1 and "$.x-migration: tidak ada" in checked.stderr
    fine = server.ok(
        "questionnaire", "publish", str(write(tmp_path / "ok.json", V2)), "--check", passphrase=None
    )
    assert fine.stdout.startswith("Berkas kuesioner lolos semua pemeriksaan; belum diterbitkan")
    assert count(engine, published_table) == count(engine, changes) == 0
    # Warnings do not stop a good file.
    good = copy.deepcopy(V2)
    good["properties"]["rumah"]["properties"]["jenis_atap"]["x-photo"] = True
    proc = server.ok("questionnaire", "publish", str(write(tmp_path / "v2.json", good)))
    assert "Kuesioner versi 2 diterbitkan" in proc.stdout
    assert proc.stderr.splitlines() == [
        (
            "khbs-server: Peringatan: $.properties.rumah.properties.jenis_atap.x-photo: kata kunci "
            "x- tidak dikenal aplikasi ini; diabaikan"
        )
    ]


def test_an_enrolled_laptop_pulls_version_2_and_the_province_counts_it(
    server, live, engine, officer, tmp_path
):
    store, client = laptop(tmp_path, live, engine, officer)
    with engine.connect() as conn:
        assert laptop_versions.signing_key(store) == signing_public(conn)
    assert client.sync().questionnaires == []  # nothing published yet
    server.ok("questionnaire", "publish", str(write(tmp_path / "v2.json", V2)))

    report = client.sync()
    assert (report.questionnaires, report.questionnaires_refused) == ([2], [])
    assert laptop_versions.versions(store) == [2]
    kept = laptop_versions.load(store, 2)
    assert kept == V2 and list(kept["properties"]) == list(V2["properties"])  # the form's order
    # Sent, not yet acknowledged: the laptop's next pull moves its cursor past the event.
    assert listed(server) == [(2, (1, 0), False, None)]
    assert client.sync().questionnaires == []  # once
    assert listed(server) == [(2, (1, 1), False, None)]
    assert [
        (e.action, e.detail) for e in store.audit.entries() if e.action.startswith("questionnaire.")
    ] == [("questionnaire.received", "2")]
    store.close()

    # `khbs sync` on the same laptop after a version 3 appears: one line says so.
    v3 = copy.deepcopy(V2)
    v3 |= {"$id": "urn:khbs:schema:household:3", "x-version": 3, "x-migration": {"from": 2}}
    v3["properties"]["schema_version"]["const"] = 3
    server.ok("questionnaire", "publish", str(write(tmp_path / "v3.json", v3)))
    khbs = Khbs(tmp_path / "laptop", tmp_path)
    text = khbs.ok("sync").stdout.splitlines()
    assert "Kuesioner versi 3 tersedia." in text
    assert json.loads(khbs.ok("sync", "--json").stdout)["questionnaires"] == []
    assert listed(server) == [(2, (1, 1), False, None), (3, (1, 1), False, None)]  # two syncs


def test_a_retired_version_is_not_offered(server, live, engine, officer, tmp_path):
    server.ok("questionnaire", "publish", str(write(tmp_path / "v2.json", V2)))
    server.ok("questionnaire", "retire", "2")
    store, client = laptop(tmp_path, live, engine, officer)
    report = client.sync()
    assert report.events == 1 and report.questionnaires == []  # the retirement, no document
    assert laptop_versions.versions(store) == [] and laptop_versions.retired(store) == {2}
    assert listed(server) == [(2, (0, 0), True, None)]
    assert count(engine, questionnaire_receipts) == 0
    store.close()


def test_a_laptop_enrolled_before_the_signing_key_learns_it_on_pull(
    server, live, engine, officer, tmp_path
):
    """A server initialised before signing keys: laptops enrolled then have no key; the first
    publish makes one, and the pull that brings the version brings the key."""
    with engine.begin() as conn:
        conn.execute(delete(server_keys).where(server_keys.c.kind == "signing"))
    store, client = laptop(tmp_path, live, engine, officer)
    assert laptop_versions.signing_key(store) is None
    server.ok("questionnaire", "publish", str(write(tmp_path / "v2.json", V2)))
    with engine.connect() as conn:
        made = signing_public(conn)
        assert (
            conn.execute(
                select(func.count()).select_from(server_keys).where(server_keys.c.kind == "signing")
            ).scalar_one()
            == 1
        )
    assert client.sync().questionnaires == [2]
    assert laptop_versions.signing_key(store) == made
    store.close()


def test_the_signature_binds_the_version_number(engine, initialised):
    with engine.begin() as conn:
        questionnaires.publish(conn, initialised, json.dumps(V2).encode(), actor=CLI_ACTOR)
    with engine.connect() as conn:
        row = conn.execute(select(published_table)).one()
        _, public = signing_public(conn)
    assert questionnaire_message(2, b"{}") != questionnaire_message(3, b"{}")
    from sync.protocol import ProtocolError

    with pytest.raises(ProtocolError):
        verify_questionnaire(public, 3, bytes(row.document), bytes(row.signature))


def test_a_household_of_another_questionnaire_version_is_refused_by_name(
    live, engine, officer, tmp_path
):
    """Each household gets its own outcome: one of an unknown version is refused with the
    reason `schema_version` (the laptop's sentence: "... belum diterbitkan provinsi ..."), not
    with whichever of its differences the rules see first; the others in the batch go
    through."""
    from sync.client import attention_message
    from tests.records import numbered

    store, client = laptop(tmp_path, live, engine, officer)
    other = numbered(1) | {"schema_version": 9, "hasil_kunjungan": 1}  # a question of version 9
    store.save(other)
    store.save(numbered(2))
    report = client.sync()
    assert (report.sent, report.synced, report.attention) == (2, 1, 1)
    assert report.needs_attention == [(other["id"], "schema_version")]
    assert attention_message("schema_version") == (
        "versi kuesioner ini belum diterbitkan provinsi, jadi provinsi tidak bisa menerimanya."
    )
    store.close()
