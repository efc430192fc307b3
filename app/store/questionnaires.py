"""Questionnaire versions the province published, as they arrive by sync (docs/sync.md, event
`questionnaire`; docs/security.md, "Questionnaire versions").

A questionnaire is not personal data, so the document is kept in plaintext (table
`questionnaires`), but what it asks decides what is collected, so its integrity matters: it is
kept with the province's Ed25519 signature and checked again on every load against the province
signing key, which is sealed in `secrets` (a key swapped in the file would not open). The key
comes with enrollment, or for a laptop enrolled before the province had one, with the first
pull that carries it; after that a different key is not taken from a pull.

A version that does not verify, or that app/questionnaire_check.py refuses, is not kept: the
pull goes on, and the officer is told (SyncReport.questionnaires_refused). The version the app
was built with (app.questionnaire.load_schema) is always there as well.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from app import questionnaire as q
from app.crypto import DecryptError
from app.errors import QuestionnaireDamaged
from app.questionnaire_check import check, parse
from app.store.store import Store
from sync.protocol import (
    ProtocolError,
    QuestionnaireEvent,
    b64,
    unb64,
    unpack_questionnaire,
    verify_questionnaire,
)

if TYPE_CHECKING:
    from app.store.outbox import Pulled

SIGNING_SECRET = "province_signing"
# The versions the province retired (no longer for new households): sealed, so a version cannot
# be un-retired or retired by editing the file.
RETIRED_SECRET = "questionnaires_retired"


def signing_key(store: Store) -> tuple[str, bytes] | None:
    """(key id, raw Ed25519 public key) of the province signing key, or None."""
    raw = store.get_secret(SIGNING_SECRET)
    if raw is None:
        return None
    found = json.loads(raw)
    return found["key_id"], unb64(found["public_key"])


def set_signing_key(store: Store, key_id: str, public: bytes, *, replace: bool = False) -> bool:
    """Keep the province signing key: at enrollment (`replace`: a laptop enrolled again, maybe at
    another province server, takes that server's), else only when the laptop has none yet.
    True when kept now."""
    if len(public) != 32 or not 0 < len(key_id) <= 64:
        return False
    known = signing_key(store)
    if known is not None and (known == (key_id, public) or not replace):
        return False
    store.put_secret(
        SIGNING_SECRET, json.dumps({"key_id": key_id, "public_key": b64(public)}).encode()
    )
    return True


def versions(store: Store) -> list[int]:
    return [v for (v,) in store.db.execute("SELECT version FROM questionnaires ORDER BY version")]


def load(store: Store, version: int) -> dict:
    """The document of a kept version, its signature checked again. QuestionnaireDamaged when
    it does not verify (changed outside the app) or the signing key is gone."""
    row = store.db.execute(
        "SELECT document, signature FROM questionnaires WHERE version = ?", (version,)
    ).fetchone()
    try:
        key = signing_key(store)
    except DecryptError:  # the sealed key was changed outside the app
        raise QuestionnaireDamaged(version=version) from None
    if row is None or key is None:
        raise QuestionnaireDamaged(version=version)
    try:
        verify_questionnaire(key[1], version, bytes(row[0]), bytes(row[1]))
        document = json.loads(bytes(row[0]))
    except (ProtocolError, ValueError):
        raise QuestionnaireDamaged(version=version) from None
    if not isinstance(document, dict) or document.get("x-version") != version:
        raise QuestionnaireDamaged(version=version)
    return document


def retired(store: Store) -> set[int]:
    try:
        raw = store.get_secret(RETIRED_SECRET)
    except DecryptError:
        return set()
    found = json.loads(raw) if raw else []
    return {v for v in found if type(v) is int}


def register_kept(store: Store) -> list[int]:
    """Make every kept version that verifies known to the rules, the form and the exports
    (app.questionnaire.register), at unlock. A version that no longer verifies stays out
    (`khbs verify` names it); the versions registered."""
    done = []
    gone = retired(store)
    for version in versions(store):
        try:
            q.register(load(store, version), retired=version in gone)
        except QuestionnaireDamaged:
            continue
        done.append(version)
    return done


def apply_event(store: Store, event: QuestionnaireEvent, now: str, pulled: Pulled) -> None:
    """A `questionnaire` pull event, inside the pull's transaction: verified, checked, kept."""
    version = event.version
    if version is None or version < 1:
        pulled.other += 1
        return
    if event.retired:
        _retire(store, version, now)
        return
    if version in versions(store):
        return  # pulled again after a cut page: nothing new
    refused = _refusal(store, version, event)
    if refused is not None:
        store.audit.append(now, store.actor, "questionnaire.refused", detail=f"{version}:{refused}")
        pulled.questionnaires_refused.append(version)
        return
    document = unpack_questionnaire(event.document)
    store.db.execute(
        "INSERT INTO questionnaires (version, document, signature, key_id, received_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (version, document, unb64(event.signature or ""), str(event.key_id), now),
    )
    store.audit.append(now, store.actor, "questionnaire.received", detail=str(version))
    q.register(json.loads(document), retired=version in retired(store))
    pulled.questionnaires.append(version)


def _retire(store: Store, version: int, now: str) -> None:
    """The province retired a version: new households no longer use it (drafts and finals on
    it stay). Remembered for a version not received yet too, so it is never used."""
    gone = retired(store)
    if version in gone:
        return
    store.put_secret(RETIRED_SECRET, json.dumps(sorted(gone | {version})).encode())
    store.audit.append(now, store.actor, "questionnaire.retired", detail=str(version))
    document = q.schema_of(version)
    if document is not None and version in versions(store):
        q.register(document, retired=True)


def _refusal(store: Store, version: int, event: QuestionnaireEvent) -> str | None:
    """Why this version is not kept (a code), or None."""
    try:
        key = signing_key(store)
    except DecryptError:
        return "signing_key_damaged"
    if key is None:
        return "no_signing_key"
    if event.key_id != key[0]:
        return "unknown_key"
    try:
        document = unpack_questionnaire(event.document)
        signature = unb64(event.signature) if event.signature is not None else b""
        verify_questionnaire(key[1], version, document, signature)
    except ProtocolError as exc:
        return exc.code
    parsed, unreadable = parse(document)
    if unreadable or not isinstance(parsed, dict) or parsed.get("x-version") != version:
        return "bad_document"
    if not check(parsed).ok:
        return "check_failed"
    return None
