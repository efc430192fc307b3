"""Visit outcomes end to end, on SQLite and PostgreSQL (issue 12 item 1): the province imports a
DTSEN list with the real CLI, the officer's laptop syncs, records a refusal, a family not found
and a family nobody was home for (then visited again), plus a refusal at a dwelling not on the
list; each is finalised through the rules on a real encrypted store and pushed to the real
server on 127.0.0.1. The province counts them by outcome per regency in `khbs-server stats
--json`, sees the outcome against the list, and its export carries the outcome and the earlier
visits."""

from __future__ import annotations

import csv
import json
from datetime import date

from app import households as hh
from app import questionnaire as q
from app import visits
from app.store.assigned import to_verify_counts
from sync.server.assignments import changes_against_list
from tests.records import DESA, LISTED, TODAY, numbered
from tests.server.test_assignments import rows_of, write
from tests.server.test_cli import Server
from tests.server.test_verification_flow import ids_by_kk, laptop

REGENCY = DESA[:5]
FIRST_VISIT, REVISIT = "2026-11-20", "2026-11-27"


def outcomes(server: Server) -> dict:
    stats = json.loads(server.ok("stats", "--json").stdout)
    assert sum(stats["by_outcome"].values()) == stats["households"]
    return stats["by_regency_outcome"].get(REGENCY, {})


def visit(store, hid: str, outcome: int, *, day: str = FIRST_VISIT, **fields) -> dict:
    """The listed family as the officer records a visit without an interview, finalised. The
    list has no RT and RW: the officer adds them to the location, as for any visit."""
    record, revision = store.get(hid)
    location = dict(record["lokasi"], rt="002", rw="5")
    record = dict(record, lokasi=location, **{q.VISIT_DATE: day, q.OUTCOME: outcome}, **fields)
    final, _ = hh.finalise(store, record, expected_revision=revision, today=TODAY)
    return final


def test_refused_not_found_and_nobody_home_then_revisited_reach_the_province(
    live, engine, officer, initialised, db_url, tmp_path
):
    server = Server(db_url, tmp_path / "home")
    listing = write(tmp_path / "dtsen.csv", rows_of(1) + rows_of(2) + rows_of(3))
    server.ok("assignments", "import", str(listing))
    store, client = laptop(tmp_path, "sari", live, engine, officer)
    assert client.sync().assigned == 3
    ids = ids_by_kk(store)
    refused_id, missing_id, away_id = (ids[numbered(n)["no_kk"]] for n in (1, 2, 3))
    assert to_verify_counts(store) == {DESA: 3}

    # A refusal and a family not found: final with the list's identity and the visit only.
    refused = visit(store, refused_id, visits.REFUSED)
    missing = visit(store, missing_id, visits.NOT_FOUND)
    for final in (refused, missing):
        assert set(final) == {
            "schema_version",
            "id",
            "status",
            "no_kk",
            q.VISIT_DATE,
            q.OUTCOME,
            "lokasi",
            "verifikasi",
            "anggota",
        }
        assert final["verifikasi"] == {"sumber": 1}
        assert all(set(m) <= set(LISTED) for m in final["anggota"])
    # Nobody home: final too (the province hears of the visit), with the planned revisit.
    away = visit(store, away_id, visits.NOBODY_HOME, tanggal_kunjungan_ulang=REVISIT)
    assert away[q.REVISIT_DATE] == REVISIT
    assert to_verify_counts(store) == {}  # every listed family has had its visit
    rows = {r.id: r for r in store.rows()}
    assert rows[away_id].outcome == visits.NOBODY_HOME and rows[away_id].revisit_on == REVISIT

    # A dwelling not on the list whose family refuses: location, date and outcome only.
    new = hh.new_record(date.fromisoformat(FIRST_VISIT))
    new.update({q.OUTCOME: visits.REFUSED, "lokasi": numbered(4)["lokasi"]})
    stranger, _ = hh.finalise(store, new, today=TODAY)
    assert stranger["anggota"] == [] and "no_kk" not in stranger

    assert client.sync().synced == 4
    assert outcomes(server) == {"3": 2, "4": 1, "6": 1}
    with engine.connect() as conn:
        found = {
            c.household_id: {d.key: d for d in c.changes}
            for c in changes_against_list(conn, initialised)
        }
    # Against the list (its value, then the officer's): the outcome, and nothing else changed.
    assert {k: (d.mine, d.theirs) for k, d in found[refused_id].items()} == {
        q.OUTCOME: (None, visits.REFUSED)
    }

    # The revisit, a week later: a new visit starts, the first one stays in the history.
    record, revision = store.get(away_id)
    again = visits.start_revisit(record, date.fromisoformat(REVISIT))
    full = numbered(3)
    full.update({k: again[k] for k in ("id", "no_kk", "verifikasi", q.HISTORY, q.VISIT_DATE)})
    full[q.OUTCOME] = visits.INTERVIEWED
    interviewed, _ = hh.finalise(store, full, expected_revision=revision, today=TODAY)
    assert interviewed[q.HISTORY] == [f"{FIRST_VISIT}:{visits.NOBODY_HOME}"]
    assert visits.visit_count(interviewed) == 2
    assert store.rows_for([away_id])[0].outcome == visits.INTERVIEWED

    assert client.sync().synced == 1
    assert outcomes(server) == {"1": 1, "3": 2, "6": 1}

    out = tmp_path / "export"
    server.ok("export", "--out", str(out))
    with open(out / "households.csv", encoding="utf-8", newline="") as f:
        exported = {row["household_id"]: row for row in csv.DictReader(f)}
    assert (exported[away_id]["hasil_kunjungan"], exported[away_id]["kunjungan"]) == (
        "1",
        f"{FIRST_VISIT}:4",
    )
    assert exported[refused_id]["hasil_kunjungan_label"] == "Menolak"
    assert exported[stranger["id"]]["no_kk"] == ""
    store.close()


def test_a_final_without_an_outcome_is_counted_by_what_it_found(
    live, engine, officer, db_url, tmp_path
):
    """A laptop with the earlier app still sends finals without the question: they are taken,
    counted as interviewed (or, for a listed family away, as what `keberadaan_keluarga` says)."""
    from tests.records import listed_away

    store, client = laptop(tmp_path, "old", live, engine, officer)
    store.save(numbered(1))
    store.save(
        listed_away(
            7,
            id=numbered(2)["id"],
            no_kk=numbered(2)["no_kk"],
            anggota=[
                dict(m, keberadaan=7)
                for m in [{k: m[k] for k in LISTED} for m in numbered(2)["anggota"]]
            ],
        )
    )
    assert client.sync().synced == 2
    assert outcomes(Server(db_url, tmp_path / "home")) == {"1": 1, "6": 1}
    store.close()
