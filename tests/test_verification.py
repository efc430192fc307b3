"""diff() and merge() of the officer's record against the province's newer version."""

from app import questionnaire as q
from app.verification import MINE, THEIRS, diff, match_members, merge
from tests import records


def pair():
    mine = records.household(status="draft")
    theirs = records.household(status="draft")
    return mine, theirs


def test_identical_records_have_no_differences():
    mine, theirs = pair()
    assert diff(mine, dict(theirs, status="final", peringatan_diterima=["x"])) == []


def test_differences_name_the_answer_and_both_values():
    mine, theirs = pair()
    theirs["lokasi"]["alamat"] = "Jalan Garuda 3"
    del mine["lokasi"]["rt"]
    found = {d.path: (d.mine, d.theirs) for d in diff(mine, theirs)}
    assert found == {
        ("lokasi", "rt"): (None, theirs["lokasi"]["rt"]),
        ("lokasi", "alamat"): (mine["lokasi"]["alamat"], "Jalan Garuda 3"),
    }
    assert q.label(("lokasi", "alamat"), "en")  # the dialog's question text


def test_members_are_matched_by_nik_then_by_position():
    mine, theirs = pair()
    theirs["anggota"] = list(reversed(theirs["anggota"]))  # same people, other order
    assert diff(mine, theirs) == []
    theirs["anggota"][0] = dict(theirs["anggota"][0], nik="6271030000000009", nama="Dimas I.")
    # NIK changed on one member: paired by position with the one left over in mine
    assert match_members(mine["anggota"], theirs["anggota"]) == [(0, 2), (1, 1), (2, 0)]
    found = [(d.member, d.path[-1]) for d in diff(mine, theirs)]
    assert found == [(2, "nik"), (2, "nama")]


def test_added_and_removed_members_are_whole_choices():
    mine, theirs = pair()
    del theirs["anggota"][1]  # the wife left the province's list
    found = diff(mine, theirs)
    assert [(d.member, d.theirs_member, d.whole_member) for d in found] == [(1, None, True)]
    assert merge(mine, theirs, {}) == q.canonical(mine)
    taken = merge(mine, theirs, {found[0].key: THEIRS})
    assert [m["nama"] for m in taken["anggota"]] == ["Yohanes Ilas", "Dimas Ilas"]

    extra = records.member("Yosef Ilas", "2020-01-02", 1, 3, serial=9)
    mine, theirs = pair()
    theirs["anggota"].insert(1, extra)  # a new child on the province's list
    found = diff(mine, theirs)
    assert [(d.member, d.theirs_member, d.whole_member) for d in found] == [(None, 1, True)]
    taken = merge(mine, theirs, {found[0].key: THEIRS})
    assert [m["nama"] for m in taken["anggota"]][-1] == "Yosef Ilas"


def test_merge_takes_only_the_chosen_answers():
    mine, theirs = pair()
    mine["no_kk"] = "6271030101888888"
    theirs["lokasi"]["alamat"] = "Jalan Garuda 3"
    theirs["anggota"][2]["nama"] = "Dimas Ilas Putra"
    theirs["rumah"].pop("luas_lantai", None)
    by_path = {d.path: d.key for d in diff(mine, theirs)}
    choices = {
        by_path[("lokasi", "alamat")]: THEIRS,
        by_path[("anggota", 2, "nama")]: THEIRS,
        by_path[("no_kk",)]: MINE,
    }
    if ("rumah", "luas_lantai") in by_path:  # an answer the province left empty
        choices[by_path[("rumah", "luas_lantai")]] = THEIRS
    merged = merge(mine, theirs, choices)
    assert merged["no_kk"] == "6271030101888888"
    assert merged["lokasi"]["alamat"] == "Jalan Garuda 3"
    assert merged["anggota"][2]["nama"] == "Dimas Ilas Putra"
    assert "luas_lantai" not in merged.get("rumah", {})
    assert merged["status"] == "draft" and merged["id"] == mine["id"]
    assert merge(mine, theirs, {d.key: THEIRS for d in diff(mine, theirs)}) == q.canonical(
        dict(theirs)
    )


def test_a_section_only_one_side_has():
    mine, theirs = pair()
    del theirs["rumah"]
    found = [d for d in diff(mine, theirs) if d.path[0] == "rumah"]
    assert found and all(d.theirs is None for d in found)
    merged = merge(mine, theirs, {d.key: THEIRS for d in found})
    assert "rumah" not in merged
