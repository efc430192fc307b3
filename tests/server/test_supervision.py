"""The supervision loop at the province (issue 15), on SQLite and PostgreSQL: the review queue
in a scope, decisions (verify, return with comments, reject) and the pull events they become
(a return sealed to the asking device's own box key), a decision on an old revision refused,
rounds and differences, duplicate cases opened at ingest, decided, reversed, and cards."""

from __future__ import annotations

import copy
import json
import os
import uuid
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from app import regions
from app.province_key import ProvinceKeyPair
from sync.protocol import (
    CaseEvent,
    ReviewEvent,
    StatusEvent,
    read_event,
    review_info,
    seal_batch,
    unb64,
)
from sync.server import UnknownHousehold, cards, cases, ingest, repo, review
from sync.server.api.pull import events_for
from sync.server.db import audit_log, device_box_keys, utc_now
from sync.server.scope import Scope
from tests.records import DESA, TODAY, numbered
from tests.server.conftest import stored_bytes

OTHER_KECAMATAN_DESA = regions.desa_in("62.71.01")[0]
KOBAR_DESA = regions.desa_in("62.01")[0]
SUPERVISOR = Scope.of("supervisor", ["62.71.03"])
PALANGKA = Scope.of("regency", ["62.71"])
KOBAR = Scope.of("regency", ["62.01"])
PROVINCE = Scope.province()
NOTE = "Ibu Yohana bilang KK baru"  # free text naming a person: never stored in the clear


@dataclass
class Laptop:
    officer_id: str
    device: repo.Device
    box: ProvinceKeyPair
    sent: dict[str, dict] = field(default_factory=dict)  # id -> last record
    revisions: dict[str, int] = field(default_factory=dict)

    def push(self, engine, keys, records: list[dict], outcome: str = "accepted") -> None:
        items = []
        for r in records:
            self.revisions[r["id"]] = self.revisions.get(r["id"], 0) + 1
            self.sent[r["id"]] = r
            items.append({"id": r["id"], "revision": self.revisions[r["id"]], "record": r})
        body = seal_batch(
            keys.province.public_bytes(),
            keys.active["province"],
            self.device.id,
            str(uuid.uuid4()),
            items,
        )
        reply = ingest.ingest(engine, keys, self.device, body, today=TODAY)
        assert {r["outcome"] for r in reply["results"]} == {outcome}, reply

    def pull(self, engine, keys) -> list:
        with engine.connect() as conn:
            raw = events_for(conn, self.device.id, self.officer_id, 0, 500, keys)["events"]
        return [read_event(e) for e in raw]

    def review(self, event: ReviewEvent) -> dict:
        info = review_info(self.device.id, event.household_id, event.revision)
        return json.loads(self.box.open(unb64(event.sealed), info))


def laptop(engine, name: str, areas: list[str]) -> Laptop:
    box = ProvinceKeyPair.generate()
    with engine.begin() as conn:
        officer = repo.add_officer(conn, name, areas)
        code = repo.create_enroll_code(conn, officer).code
        device = repo.redeem_enroll_code(conn, code, os.urandom(32))
        conn.execute(
            device_box_keys.insert().values(
                device_id=device.id, public_key=box.public_bytes(), set_at=utc_now()
            )
        )
    return Laptop(officer, device, box)


def family(n: int, desa: str = DESA) -> dict:
    record = numbered(n, id=str(uuid.uuid4()))
    record["lokasi"]["kode_desa"] = desa
    return record


@pytest.fixture
def world(engine, initialised):
    sari = laptop(engine, "Sari", ["62.71"])
    budi = laptop(engine, "Budi", ["62.01"])
    sari.push(engine, initialised, [family(1), family(2), family(3, OTHER_KECAMATAN_DESA)])
    budi.push(engine, initialised, [family(5, KOBAR_DESA)])
    return sari, budi


def decide(engine, keys, scope, hid, revision, decision, **kw):
    with engine.begin() as conn:
        return review.decide(conn, keys, scope, "user:test", hid, revision, decision, **kw)


def test_queue_is_scoped_oldest_first_and_filtered(engine, initialised, world):
    sari, budi = world
    ids = list(sari.sent)
    with engine.connect() as conn:
        mine = review.queue(conn, SUPERVISOR)
        regency = review.queue(conn, PALANGKA)
        everyone = review.queue(conn, PROVINCE)
        by_officer = review.queue(conn, PROVINCE, officer=budi.officer_id)
        by_desa = review.queue(conn, PALANGKA, desa=OTHER_KECAMATAN_DESA)
        assert review.queue_count(conn, PROVINCE) == 4
    assert [r.household_id for r in mine] == ids[:2]
    assert {r.household_id for r in regency} == set(ids)
    assert len(everyone) == 4
    assert [r.household_id for r in by_officer] == list(budi.sent)
    assert [r.household_id for r in by_desa] == [ids[2]]
    assert [r.waiting_since for r in everyone] == sorted(r.waiting_since for r in everyone)


def test_supervisor_cannot_decide_outside_their_area(engine, initialised, world):
    sari, budi = world
    outside = [list(sari.sent)[2], next(iter(budi.sent))]
    for hid in outside:
        with pytest.raises(UnknownHousehold):
            decide(engine, initialised, SUPERVISOR, hid, 1, "verified")
    with pytest.raises(UnknownHousehold):
        decide(engine, initialised, KOBAR, list(sari.sent)[0], 1, "verified")
    with engine.connect() as conn:
        assert review.queue_count(conn, PROVINCE) == 4  # nothing decided


def test_return_travels_sealed_to_the_device_and_opens_with_its_key(engine, initialised, world):
    sari, budi = world
    hid = next(iter(sari.sent))
    done = decide(
        engine,
        initialised,
        SUPERVISOR,
        hid,
        1,
        "returned",
        reason="nik_wrong",
        note=NOTE,
        comments=[{"path": "anggota.1.nik", "code": "nik_wrong", "text": "Cek lagi di KK"}],
    )
    assert done == {
        "household_id": hid,
        "revision": 1,
        "round": 1,
        "decision": "returned",
        "reason": "nik_wrong",
        "comments": 1,
    }
    reviews = [e for e in sari.pull(engine, initialised) if isinstance(e, ReviewEvent)]
    assert [(e.household_id, e.revision) for e in reviews] == [(hid, 1)]
    opened = sari.review(reviews[0])
    assert opened["round"] == 1 and opened["reason"] == "nik_wrong" and opened["note"] == NOTE
    assert opened["comments"] == [
        {"path": "anggota.1.nik", "member_id": None, "code": "nik_wrong", "text": "Cek lagi di KK"}
    ]
    assert opened["decided_at"]
    # Sealed to this device: another key, or the same bytes bound to another revision, fail.
    other = ProvinceKeyPair.generate()
    with pytest.raises(Exception):  # noqa: B017, PT011 - HPKE raises several types
        other.open(unb64(reviews[0].sealed), review_info(sari.device.id, hid, 1))
    with pytest.raises(Exception):  # noqa: B017, PT011
        sari.box.open(unb64(reviews[0].sealed), review_info(sari.device.id, hid, 2))
    assert not [e for e in budi.pull(engine, initialised) if isinstance(e, ReviewEvent)]
    # The note and comments never rest in the clear; the decision is audited.
    stored = stored_bytes(engine)
    assert NOTE.encode() not in stored and b"Cek lagi di KK" not in stored
    with engine.connect() as conn:
        actions = conn.scalars(select(audit_log.c.action).where(audit_log.c.household_id == hid))
        assert "review.returned" in list(actions)
        assert review.queue_count(conn, SUPERVISOR) == 1  # decided: out of the queue


def test_verify_and_reject_become_status_events(engine, initialised, world):
    sari, _ = world
    first, second = list(sari.sent)[:2]
    decide(engine, initialised, SUPERVISOR, first, 1, "verified")
    with pytest.raises(review.BadReason):
        decide(engine, initialised, SUPERVISOR, second, 1, "rejected")
    decide(engine, initialised, SUPERVISOR, second, 1, "rejected", reason="not_eligible")
    statuses = {
        e.household_id: (e.status, e.reason)
        for e in sari.pull(engine, initialised)
        if isinstance(e, StatusEvent) and e.status != "received"
    }
    assert statuses == {first: ("verified", None), second: ("rejected", "not_eligible")}
    with pytest.raises(review.AlreadyDecided):
        decide(engine, initialised, SUPERVISOR, first, 1, "rejected", reason="other")


def test_a_decision_on_an_old_revision_is_refused_and_the_loop_repeats(engine, initialised, world):
    sari, _ = world
    hid = next(iter(sari.sent))
    decide(
        engine,
        initialised,
        SUPERVISOR,
        hid,
        1,
        "returned",
        comments=[{"path": "anggota.1.nik", "code": "nik_wrong"}],
    )
    corrected = copy.deepcopy(sari.sent[hid])
    corrected["anggota"][1]["nama"] = corrected["anggota"][1]["nama"] + " Baru"
    sari.push(engine, initialised, [corrected])  # revision 2, back in the queue
    with engine.connect() as conn:
        waiting = review.queue(conn, SUPERVISOR)
        found = review.differences(conn, initialised, SUPERVISOR, hid)
    again = next(r for r in waiting if r.household_id == hid)
    assert (again.revision, again.rounds) == (2, 1)
    assert (found.revision, found.previous_revision) == (2, 1)
    assert [d.path for d in found.from_previous] == [("anggota", 1, "nama")]
    assert found.from_list is None  # not a DTSEN family
    # A second supervisor still looking at revision 1:
    with pytest.raises(review.StaleRevision):
        decide(engine, initialised, SUPERVISOR, hid, 1, "verified")
    decide(engine, initialised, SUPERVISOR, hid, 2, "verified")
    with engine.connect() as conn:
        history = review.rounds(conn, initialised, SUPERVISOR, hid)
    assert [(r.round, r.revision, r.decision) for r in history] == [
        (1, 1, "returned"),
        (2, 2, "verified"),
    ]
    assert history[0].comments[0].path == "anggota.1.nik"


def test_bad_comments_are_refused_by_position(engine, initialised, world):
    sari, _ = world
    hid = next(iter(sari.sent))
    for bad in (
        {"path": "anggota.1.tidak_ada", "code": "nik_wrong"},
        {"path": "anggota.1.nik", "code": "unknown_code"},
        {"path": "anggota.1.nik"},
        {"path": "anggota.1.nik", "text": "x" * 501},
    ):
        with pytest.raises(review.BadComment) as raised:
            decide(
                engine,
                initialised,
                SUPERVISOR,
                hid,
                1,
                "returned",
                comments=[{"path": "no_kk", "text": "ok"}, bad],
            )
        assert raised.value.params["n"] == 2
    with pytest.raises(review.CommentsNeeded):
        decide(engine, initialised, SUPERVISOR, hid, 1, "returned")


# -- duplicate cases ---------------------------------------------------------------------------


def test_a_nik_in_two_regencies_opens_a_case_decided_and_reversed(engine, initialised, world):
    sari, budi = world
    shared = copy.deepcopy(family(6, KOBAR_DESA))
    shared["anggota"][1]["nik"] = next(iter(sari.sent.values()))["anggota"][1]["nik"]
    budi.push(engine, initialised, [shared])
    palangka_hid = next(iter(sari.sent))
    with engine.connect() as conn:
        seen_by_kobar = cases.list_cases(conn, KOBAR)
        seen_by_palangka = cases.list_cases(conn, PALANGKA)
    assert [c.id for c in seen_by_palangka] == [c.id for c in seen_by_kobar]
    assert len(seen_by_kobar) == 1
    case = seen_by_kobar[0]
    assert {case.household_a, case.household_b} == {palangka_hid, shared["id"]}
    assert case.kind == "nik" and case.outcome == "open" and not case.decidable
    kobar_side = case.visible_a if case.household_a == shared["id"] else case.visible_b
    assert kobar_side and not (case.visible_a and case.visible_b)
    for who in (sari, budi):
        opened = [e for e in who.pull(engine, initialised) if isinstance(e, CaseEvent)]
        assert [(e.case_id, e.outcome, e.kind) for e in opened] == [(case.id, "open", "nik")]
    # Across two regencies only the province decides; a supervisor never does.
    for scope in (KOBAR, PALANGKA):
        with engine.begin() as conn, pytest.raises(cases.CaseNotYours):
            cases.decide(conn, scope, "user:r", case.id, "keep_this")
    with engine.begin() as conn, pytest.raises(cases.UnknownCase):
        cases.decide(conn, Scope.of("regency", ["62.02"]), "user:x", case.id, "keep_this")
    keep_palangka = "keep_this" if case.household_a == palangka_hid else "keep_other"
    with engine.begin() as conn:
        cases.decide(conn, PROVINCE, "user:p", case.id, keep_palangka, reason="kk_checked")
    with engine.begin() as conn:  # reversed by a later decision
        cases.decide(conn, PROVINCE, "user:p", case.id, "not_duplicate")
    sari_seen = [e for e in sari.pull(engine, initialised) if isinstance(e, CaseEvent)]
    budi_seen = [e for e in budi.pull(engine, initialised) if isinstance(e, CaseEvent)]
    assert [e.outcome for e in sari_seen] == ["open", "keep_this", "not_duplicate"]
    assert [e.outcome for e in budi_seen] == ["open", "keep_other", "not_duplicate"]
    assert all(e.other_household_id == shared["id"] for e in sari_seen)
    with engine.connect() as conn:
        history = cases.history(conn, PROVINCE, case.id)
        decided = cases.list_cases(conn, PROVINCE, state="decided")
        logged = list(
            conn.scalars(select(audit_log.c.action).where(audit_log.c.action == "case.decide"))
        )
    assert [(d.n, d.outcome) for d in history] == [(1, keep_palangka), (2, "not_duplicate")]
    assert [c.outcome for c in decided] == ["not_duplicate"]
    assert logged == ["case.decide", "case.decide"]


def test_a_case_inside_one_regency_is_the_regency_users(engine, initialised, world):
    sari, _ = world
    twin = family(7)
    twin["no_kk"] = next(iter(sari.sent.values()))["no_kk"]
    sari.push(engine, initialised, [twin])
    with engine.connect() as conn:
        found = cases.list_cases(conn, PALANGKA)
        assert cases.list_cases(conn, SUPERVISOR)[0].decidable is False
    assert [(c.kind, c.decidable) for c in found] == [("kk", True)]
    with engine.begin() as conn:
        cases.decide(conn, PALANGKA, "user:r", found[0].id, "keep_other")


# -- cards ---------------------------------------------------------------------------------------


def test_card_numbers_have_a_check_digit():
    number = cards.card_number("62.71", 2026, 1)
    assert number.startswith("6271-2026-0000001-") and len(number) == 20
    assert cards.is_valid(number)
    digits = number.replace("-", "")
    for i in range(len(digits) - 2):  # every single wrong digit is caught
        wrong = digits[:i] + str((int(digits[i]) + 3) % 10) + digits[i + 1 :]
        text = f"{wrong[:4]}-{wrong[4:8]}-{wrong[8:15]}-{wrong[15:]}"
        assert not cards.is_valid(text)
    swapped = number[:10] + number[11] + number[10] + number[12:]  # neighbours swapped
    assert swapped == number or not cards.is_valid(swapped)


def test_cards_issued_in_bulk_in_scope_reach_the_laptop(engine, initialised, world, tmp_path):
    sari, budi = world
    for hid in sari.sent:
        desa_scope = PALANGKA
        decide(engine, initialised, desa_scope, hid, 1, "verified")
    kobar_hid = next(iter(budi.sent))
    decide(engine, initialised, KOBAR, kobar_hid, 1, "verified")
    with engine.begin() as conn, pytest.raises(cards.AreaOutsideScope):
        cards.issue(conn, KOBAR, "user:k", regency="62.71")
    with engine.begin() as conn, pytest.raises(cards.CardsNotAllowed):
        cards.issue(conn, SUPERVISOR, "user:s")
    with engine.begin() as conn:
        assert cards.preview(conn, PALANGKA) == {"62.71": 3}
        with pytest.raises(cards.PreviewChanged):
            cards.issue(conn, PALANGKA, "user:r", regency="62.71", expected=2)
    with engine.begin() as conn:
        done = cards.issue(conn, PALANGKA, "user:r", regency="62.71", expected=3)
    assert done.count == 3 and all(cards.is_valid(c) for _, c in done.cards)
    assert sorted(c for _, c in done.cards) == [c for _, c in done.cards]
    with engine.begin() as conn:
        assert cards.issue(conn, PALANGKA, "user:r").count == 0  # all carded already
        assert cards.preview(conn, PROVINCE) == {"62.01": 1}
    numbers = {
        e.household_id: e.card_number
        for e in sari.pull(engine, initialised)
        if isinstance(e, StatusEvent) and e.card_number
    }
    assert numbers == dict(done.cards)
    # A lost card: a new number, the old one kept in the history.
    hid, old = done.cards[0]
    with engine.begin() as conn:
        again = cards.reissue(conn, PALANGKA, "user:r", hid, "lost")
    with engine.connect() as conn:
        history = cards.history(conn, PALANGKA, hid)
    assert [(c.card_number, c.replaced_reason) for c in history] == [
        (old, "lost"),
        (again["card_number"], None),
    ]
    assert again["card_number"].startswith("6271-") and again["card_number"] != old
    latest = [e for e in sari.pull(engine, initialised) if isinstance(e, StatusEvent)][-1]
    assert (latest.household_id, latest.card_number) == (hid, again["card_number"])
    # The print list: the export's Excel-ID layout, current cards only.
    out = tmp_path / "kartu.csv"
    with engine.begin() as conn:
        n = cards.print_list(conn, initialised, PALANGKA, "user:r", out, regency="62.71")
    text = out.read_bytes().decode("utf-8")
    assert n == 3 and text.startswith("\ufeffnomor_kartu;id;kode_desa;")
    assert old not in text and again["card_number"] in text and "\r\n" in text
    assert oct(out.stat().st_mode)[-3:] == "600"
