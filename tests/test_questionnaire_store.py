"""The laptop's side of questionnaire versions (app/store/questionnaires.py): a `questionnaire`
pull event is kept only when the province signing key signed exactly that version and document
and the document is one this app can use; what is kept is checked again on every load. Real
stores, a real Ed25519 key standing in for the province's."""

from __future__ import annotations

import copy
import json
import sqlite3

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.errors import QuestionnaireDamaged
from app.questionnaire_check import canonical_bytes
from app.store import questionnaires
from app.store.outbox import apply_events, pull_cursor
from sync.protocol import b64, pack_questionnaire, questionnaire_message, unb64
from tests.questionnaires import version_2

V2 = version_2()
KEY_ID = "province-signing"


@pytest.fixture
def province() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def enrolled(store, province):
    """A store that got the province signing key at enrollment."""
    assert questionnaires.set_signing_key(
        store, KEY_ID, province.public_key().public_bytes_raw(), replace=True
    )
    return store


def event(
    key: Ed25519PrivateKey,
    doc: dict,
    *,
    version: int | None = None,
    seq: int = 7,
    signed_version: int | None = None,
    signed_doc: dict | None = None,
) -> dict:
    version = doc["x-version"] if version is None else version
    body = canonical_bytes(doc)
    signature = key.sign(
        questionnaire_message(
            version if signed_version is None else signed_version,
            body if signed_doc is None else canonical_bytes(signed_doc),
        )
    )
    return {
        "seq": seq,
        "type": "questionnaire",
        "version": version,
        "document": pack_questionnaire(body),
        "signature": b64(signature),
        "key_id": KEY_ID,
    }


def refusals(store) -> list[str]:
    return [e.detail for e in store.audit.entries() if e.action == "questionnaire.refused"]


def test_a_signed_version_is_kept_and_loads(enrolled, province):
    pulled = apply_events(enrolled, [event(province, V2)], 7)
    assert (pulled.questionnaires, pulled.questionnaires_refused) == ([2], [])
    assert questionnaires.versions(enrolled) == [2] and pull_cursor(enrolled) == 7
    assert questionnaires.load(enrolled, 2) == V2
    # The same event again (a page fetched twice after a cut): nothing new.
    assert apply_events(enrolled, [event(province, V2)], 7).questionnaires == []


def test_a_tampered_signature_is_refused(enrolled, province):
    e = event(province, V2)
    raw = bytearray(unb64(e["signature"]))
    raw[10] ^= 1
    e["signature"] = b64(bytes(raw))
    pulled = apply_events(enrolled, [e], 8)
    assert (pulled.questionnaires, pulled.questionnaires_refused) == ([], [2])
    assert questionnaires.versions(enrolled) == []
    assert pull_cursor(enrolled) == 8  # the rest of the pull goes on
    assert refusals(enrolled) == ["2:bad_signature"]


@pytest.mark.parametrize(
    "how", ["changed document", "other version", "other key", "unknown key id", "not packed"]
)
def test_anything_but_exactly_what_the_province_signed_is_refused(enrolled, province, how):
    changed = copy.deepcopy(V2)
    changed["properties"]["rumah"]["properties"]["jenis_lantai"]["x-label"]["id"] = "Lantai"
    if how == "changed document":
        e = event(province, changed, signed_doc=V2)
    elif how == "other version":
        e = event(province, V2, signed_version=3)
    elif how == "other key":
        e = event(Ed25519PrivateKey.generate(), V2)
    elif how == "unknown key id":
        e = event(province, V2) | {"key_id": "another"}
    else:
        e = event(province, V2) | {"document": "not base64 zlib!"}
    assert apply_events(enrolled, [e], 9).questionnaires_refused == [2]
    assert questionnaires.versions(enrolled) == []


def test_a_signed_document_this_app_cannot_use_is_refused(enrolled, province):
    unusable = copy.deepcopy(V2)
    unusable["properties"]["rumah"]["properties"]["jenis_lantai"]["x-widget"] = "slider"
    assert apply_events(enrolled, [event(province, unusable)], 9).questionnaires_refused == [2]
    assert refusals(enrolled) == ["2:check_failed"]
    wrong_number = event(province, V2, version=4, signed_version=4)
    assert apply_events(enrolled, [wrong_number], 10).questionnaires_refused == [4]
    assert refusals(enrolled)[-1] == "4:bad_document"


def test_without_a_signing_key_nothing_is_kept(store, province):
    assert apply_events(store, [event(province, V2)], 3).questionnaires_refused == [2]
    assert refusals(store) == ["2:no_signing_key"]


def test_a_pull_does_not_replace_the_key_from_enrollment(enrolled, province):
    other = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    assert not questionnaires.set_signing_key(enrolled, "other", other)
    assert questionnaires.signing_key(enrolled)[0] == KEY_ID
    assert questionnaires.set_signing_key(enrolled, "other", other, replace=True)  # re-enrolled
    assert questionnaires.signing_key(enrolled) == ("other", other)


def test_a_kept_version_changed_in_the_file_does_not_load(enrolled, province, data_dir):
    apply_events(enrolled, [event(province, V2)], 7)
    path = enrolled.path_in(data_dir)
    original = questionnaires_row(path)[0]
    doc = json.loads(original)
    doc["properties"]["rumah"]["properties"]["jenis_lantai"]["x-required"] = {
        "not": {"field": "luas_lantai", "answered": True}
    }
    with sqlite3.connect(path) as db:
        db.execute("UPDATE questionnaires SET document = ?", (canonical_bytes(doc),))
    with pytest.raises(QuestionnaireDamaged) as damaged:
        questionnaires.load(enrolled, 2)
    assert damaged.value.message("id").startswith("Kuesioner versi 2 di laptop ini rusak")
    # Nor with another key put in the secrets row: without the data key it cannot be sealed
    # under the signing key's name (here: a sealed value moved from another secret).
    enrolled.put_secret("decoy", json.dumps({"key_id": "x", "public_key": b64(bytes(32))}).encode())
    with sqlite3.connect(path) as db:
        db.execute("UPDATE questionnaires SET document = ?", (original,))
    assert questionnaires.load(enrolled, 2) == V2
    with sqlite3.connect(path) as db:
        db.execute(
            "UPDATE secrets SET value = (SELECT value FROM secrets WHERE name = 'decoy')"
            " WHERE name = ?",
            (questionnaires.SIGNING_SECRET,),
        )
    with pytest.raises(QuestionnaireDamaged):
        questionnaires.load(enrolled, 2)


def questionnaires_row(path) -> tuple:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT document, signature FROM questionnaires").fetchone()
