"""The supervision loop in the laptop's store (app/store/supervision.py): a supervisor's return
arrives sealed to this device's box key, is kept sealed round after round, opens "Perlu
perbaikan" until the corrected revision reaches the province; duplicate cases; what does not
open is counted and skipped."""

from __future__ import annotations

import base64
import sqlite3

import pytest

from app.province_key import ProvinceKeyPair
from app.store import Store
from app.store import supervision as sup
from app.store.outbox import apply_events, apply_results, needs_attention
from tests import records
from tests.conftest import PASSPHRASE
from tests.review_events import case, comment, review, status

DEVICE = "device-7"
NOTE = "Ibu Siti Aminah tinggal di rumah anaknya"  # free text that names a person
NIK_TEXT = "NIK Budi Santoso salah ketik, cocokkan dengan KK"


@pytest.fixture(scope="module")
def box():
    return ProvinceKeyPair.generate()


def sent(store, n: int = 1) -> dict:
    """A final household the province has taken (revision 1)."""
    rec = records.numbered(n)
    store.save(rec)
    apply_results(store, [{"id": rec["id"], "revision": 1, "outcome": "accepted"}])
    return rec


def pull(store, box, events, device=DEVICE):
    return apply_events(store, events, max(e["seq"] for e in events), box=(device, box))


def returned(store, box, rec, revision=1, seq=1, **kw):
    comments = kw.pop("comments", [comment("anggota.1.nik", NIK_TEXT, "nik_salah")])
    event = review(box.public_bytes(), DEVICE, rec["id"], revision, comments, seq=seq, **kw)
    return pull(store, box, [event])


def row(store, hid):
    return next(r for r in store.rows() if r.id == hid)


def test_a_return_opens_with_its_comments_kept_sealed(store, box, data_dir):
    rec = sent(store)
    pulled = returned(store, box, rec, note=NOTE)
    assert (pulled.reviews, pulled.reviews_refused) == (1, 0)
    r = row(store, rec["id"])
    assert r.returned and r.returned_revision == 1 and r.review_rounds == 1
    found = sup.of(store, rec["id"])
    (only,) = found.rounds
    assert (only.decision, only.revision, only.round, only.note) == ("returned", 1, 1, NOTE)
    assert only.decided_at == "2026-12-02T09:30:00Z" and only.reason == "data_tidak_sesuai"
    assert only.comments == (sup.Comment(("anggota", 1, "nik"), None, "nik_salah", NIK_TEXT),)
    assert found.open_return == only
    assert needs_attention(store) == [(rec["id"], "returned")]
    assert store.verify().ok

    # Personal data stays sealed: not in the file, not in the audit log.
    store.close()
    raw = b"".join(p.read_bytes() for p in data_dir.iterdir() if p.is_file())
    for text in (NOTE, NIK_TEXT, "Siti", "Budi"):
        assert text.encode() not in raw
    with Store.open(data_dir, PASSPHRASE) as again:
        details = " ".join(str(e.detail) for e in again.audit.entries())
        assert "Siti" not in details and "Budi" not in details
        assert sup.of(again, rec["id"]).rounds[0].note == NOTE


def test_reviews_that_do_not_open_are_counted_and_the_pull_goes_on(store, box):
    a, b = sent(store, 1), sent(store, 2)
    other = ProvinceKeyPair.generate()
    good = [comment("no_kk", "KK")]
    events = [
        review(other.public_bytes(), DEVICE, a["id"], 1, good, seq=1),  # another device's key
        review(box.public_bytes(), "device-8", a["id"], 1, good, seq=2),  # bound to another
        review(box.public_bytes(), DEVICE, a["id"], 2, good, seq=3) | {"revision": 1},  # moved
        review(box.public_bytes(), DEVICE, b["id"], 1, good, seq=4) | {"household_id": a["id"]},
        {"seq": 5, "type": "review", "household_id": a["id"], "revision": 1, "sealed": "!!"},
        {"seq": 6, "type": "review", "household_id": a["id"], "revision": 1, "sealed": None},
        {"seq": 7, "type": "review", "household_id": None, "revision": 1, "sealed": "AAAA"},
        {"seq": 8, "type": "review", "household_id": a["id"], "revision": "1", "sealed": "AA"},
        status(b["id"], 1, "verified", seq=9, card="KHBS-62-0007"),
    ]
    pulled = pull(store, box, events)
    assert (pulled.reviews, pulled.reviews_refused, pulled.status) == (0, 8, 1)
    assert not row(store, a["id"]).returned and sup.of(store, a["id"]).rounds == ()
    assert store.card_number(b["id"]) == "KHBS-62-0007"
    assert store.get_meta("pull_cursor") == "9"

    # Sealed right but not a review inside: refused as well.
    from app.province_key import seal_to
    from sync.protocol import review_info

    for inside in (b"[1, 2]", b"not json", b'{"comments": "x"}', b'{"comments": [{"path": 3}]}'):
        blob = seal_to(box.public_bytes(), inside, review_info(DEVICE, a["id"], 1))
        event = {
            "seq": 10,
            "type": "review",
            "household_id": a["id"],
            "revision": 1,
            "sealed": base64.urlsafe_b64encode(blob).decode().rstrip("="),
        }
        assert pull(store, box, [event]).reviews_refused == 1
    # Without the device's box key nothing opens.
    event = review(box.public_bytes(), DEVICE, a["id"], 1, good, seq=11)
    assert apply_events(store, [event], 11).reviews_refused == 1
    assert store.verify().ok


def test_a_review_for_a_household_not_on_this_laptop_is_skipped(store, box):
    gone = records.numbered(3)
    pulled = pull(store, box, [review(box.public_bytes(), DEVICE, gone["id"], 1, [])])
    assert (pulled.reviews, pulled.reviews_refused, pulled.other) == (0, 0, 1)


def test_the_corrected_revision_supersedes_the_return(store, box):
    rec = sent(store)
    returned(store, box, rec)
    # Corrected as a draft: still to be fixed.
    fixed = dict(rec, no_kk="6271030101199999")
    store.save(dict(fixed, status="draft"))
    assert row(store, rec["id"]).returned
    # A status about the old revision (another card print) does not end the return.
    pull(store, box, [status(rec["id"], 1, "received", seq=2)])
    assert row(store, rec["id"]).returned
    # Finalised again: out of "Perlu perbaikan" at once, waiting to be sent.
    assert store.save(fixed) == 3
    r = row(store, rec["id"])
    assert not r.returned and r.returned_revision == 1 and r.sync_state == "pending"
    assert needs_attention(store) == []
    # The province received the new revision: the return is closed for good.
    apply_results(store, [{"id": rec["id"], "revision": 3, "outcome": "accepted"}])
    pull(store, box, [status(rec["id"], 3, "received", seq=3)])
    r = row(store, rec["id"])
    assert r.returned_revision is None and not r.returned
    store.save(dict(fixed, status="draft"))  # edited later on: not a return any more
    assert not row(store, rec["id"]).returned
    assert [x.decision for x in sup.of(store, rec["id"]).rounds] == ["returned"]
    assert store.verify().ok


def test_a_later_decision_on_the_returned_revision_replaces_the_return(store, box):
    rec = sent(store)
    returned(store, box, rec)
    pull(store, box, [status(rec["id"], 1, "verified", seq=2, card="KHBS-62-0100")])
    r = row(store, rec["id"])
    assert not r.returned and r.card_number == "KHBS-62-0100" and r.sync_reason == "verified"
    assert [x.decision for x in sup.of(store, rec["id"]).rounds] == ["returned", "verified"]


def test_every_round_is_kept_in_the_history(store, box):
    rec = sent(store)
    returned(store, box, rec, round=1, comments=[comment("anggota.1.nik", NIK_TEXT)])
    store.save(dict(rec, no_kk="6271030101199999"))
    apply_results(store, [{"id": rec["id"], "revision": 2, "outcome": "accepted"}])
    pull(store, box, [status(rec["id"], 2, "received", seq=2)])
    returned(
        store,
        box,
        rec,
        revision=2,
        seq=3,
        round=2,
        decided_at="2026-12-03T08:00:00Z",
        reason=None,
        comments=[
            comment("rumah.jenis_lantai", "Foto menunjukkan lantai tanah"),
            comment("", "Cek"),
        ],
    )
    r = row(store, rec["id"])
    assert r.returned and r.returned_revision == 2 and r.review_rounds == 2
    store.save(dict(rec, no_kk="6271030101188888"))
    apply_results(store, [{"id": rec["id"], "revision": 3, "outcome": "accepted"}])
    pull(
        store,
        box,
        [status(rec["id"], 3, "received", seq=4), status(rec["id"], 3, "verified", seq=5)],
    )
    history = sup.of(store, rec["id"])
    assert [(x.decision, x.revision, x.round) for x in history.rounds] == [
        ("returned", 1, 1),
        ("returned", 2, 2),
        ("verified", 3, None),
    ]
    assert history.rounds[0].comments[0].path == ("anggota", 1, "nik")
    assert [c.path for c in history.rounds[1].comments] == [("rumah", "jenis_lantai"), ()]
    assert history.open_return is None and history.returned_revision is None
    assert row(store, rec["id"]).review_rounds == 3
    assert store.verify().ok


def test_duplicate_cases_latest_decision_wins(store, box):
    a, b = sent(store, 1), sent(store, 2)
    pulled = pull(
        store,
        box,
        [
            case(a["id"], "open", seq=1),
            case(b["id"], "open", seq=2, kind="kk", case_id="case-2"),
            case(a["id"], "keep_other", seq=3, reason="nik_di_keluarga_lain"),
            case(a["id"], "maybe", seq=4),  # not an outcome this version knows
            case(records.numbered(9)["id"], "open", seq=5),  # not on this laptop
        ],
    )
    assert (pulled.cases, pulled.other) == (3, 2)
    assert row(store, a["id"]).cases == (("nik", "keep_other"),)
    assert row(store, b["id"]).cases == (("kk", "open"),)
    (kept,) = sup.of(store, a["id"]).cases
    assert (kept.case_id, kept.outcome, kept.reason) == (
        "case-1",
        "keep_other",
        "nik_di_keluarga_lain",
    )
    pull(store, box, [case(a["id"], "not_duplicate", seq=6)])  # reversed by a later decision
    assert row(store, a["id"]).cases == (("nik", "not_duplicate"),)
    assert store.verify().ok


def test_changes_outside_the_app_show_in_verify(store, box, data_dir):
    a, b = sent(store, 1), sent(store, 2)
    returned(store, box, a)
    returned(store, box, b, seq=2)
    store.close()
    conn = sqlite3.connect(data_dir / "khbs.db")
    with conn:
        # Hiding a return from the list, and deleting a round of the history.
        conn.execute(
            "UPDATE supervision SET returned_revision = NULL WHERE household_id = ?", (a["id"],)
        )
        conn.execute("DELETE FROM supervision_rounds WHERE household_id = ?", (b["id"],))
    conn.close()
    with Store.open(data_dir, PASSPHRASE) as again:
        report = again.verify()
        assert sorted(report.altered) == sorted([a["id"], b["id"]])


def test_a_released_household_leaves_its_supervision_with_it(store, box):
    rec = sent(store)
    returned(store, box, rec)
    pull(store, box, [case(rec["id"], "open", seq=2)])
    pulled = pull(store, box, [{"seq": 3, "type": "release", "household_id": rec["id"]}])
    assert pulled.released == 1
    assert sup.of(store, rec["id"]) == sup.Supervision((), None, ())
    assert store.verify().ok


def test_decisions_in_one_page_keep_their_order(store, box):
    rec = sent(store)
    comments = [comment("no_kk", "KK")]
    pull(
        store,
        box,
        [
            review(box.public_bytes(), DEVICE, rec["id"], 1, comments, seq=1),
            status(rec["id"], 1, "rejected", seq=2),
        ],
    )
    assert [x.decision for x in sup.of(store, rec["id"]).rounds] == ["returned", "rejected"]
    assert not row(store, rec["id"]).returned


def test_purged_and_erased_households_take_their_comments_with_them(data_dir, box):
    from datetime import UTC, datetime, timedelta

    from app.store import retention
    from tests.conftest import FAST_KDF

    moment = [datetime(2026, 12, 1, 8, 0, tzinfo=UTC)]
    with Store.create(data_dir, PASSPHRASE, kdf=FAST_KDF, clock=lambda: moment[0]) as store:
        purged, erased = sent(store, 1), sent(store, 2)
        for seq, rec in enumerate((purged, erased), start=1):
            returned(store, box, rec, seq=seq, note=NOTE)
        # The first is corrected and verified, then kept past the retention period.
        store.save(dict(purged, no_kk="6271030101199999"))
        apply_results(store, [{"id": purged["id"], "revision": 2, "outcome": "accepted"}])
        pull(store, box, [status(purged["id"], 2, "received", seq=3)])
        pull(store, box, [status(purged["id"], 2, "verified", seq=4)])
        assert len(sup.of(store, purged["id"]).rounds) == 2
        moment[0] += timedelta(days=400)
        assert retention.purge(store).ids == [purged["id"]]
        pulled = pull(store, box, [{"seq": 5, "type": "erase", "household_id": erased["id"]}])
        assert pulled.erased == 1
        for hid in (purged["id"], erased["id"]):
            assert sup.of(store, hid) == sup.Supervision((), None, ())
        assert store.verify().ok
        assert retention.checkpoint(store)
    raw = b"".join(p.read_bytes() for p in data_dir.iterdir() if p.is_file())
    assert NOTE.encode() not in raw
