from app.questionnaire import SUMMARY_SEP as SEP
from app.search import SearchIndex, normalise
from app.store import HouseholdRow


def row(hid, kk, *members):
    parts = [kk, members[0][0]] + [p for m in members for p in m]
    return HouseholdRow(hid, 1, "final", "62.71.03.1001", "pending", "", SEP.join(parts))


def test_search_by_name_nik_and_kk():
    index = SearchIndex(
        [
            row(
                "a",
                "6271030101100004",
                ("Yohanes Ilas", "6271031204800003"),
                ("Maria Ilas", "6271035509850002"),
            ),
            row("b", "6212040101100001", ("Siti Aminah", "6212044107100001")),
        ]
    )
    assert index.search("ilas") == ["a"]
    assert index.search("  MARIA   ilas ") == ["a"]
    assert index.search("aminah siti") == ["b"]
    assert index.search("621204") == ["b"]
    assert index.search("6271031204800003") == ["a"]
    assert index.search("6271030101100004") == ["a"]
    assert index.search("tidak ada") == []
    assert index.search("") == ["a", "b"]


def test_update_replaces_and_accents_fold():
    index = SearchIndex([row("a", "1", ("Élisabet Nahan", "1"))])
    assert normalise("Élisabet  NAHAN") == "elisabet nahan"
    assert index.search("elisabet") == ["a"]
    index.put(row("a", "1", ("Rina Nahan", "1")))
    assert index.search("elisabet") == [] and index.search("rina") == ["a"]


def test_row_summary_fields():
    r = row(
        "a",
        "6271030101100004",
        ("Yohanes Ilas", "6271031204800003"),
        ("Maria Ilas", "6271035509850002"),
    )
    assert r.kk == "6271030101100004" and r.head == "Yohanes Ilas"
    assert r.members == [("Yohanes Ilas", "6271031204800003"), ("Maria Ilas", "6271035509850002")]


def test_a_hit_on_another_member_names_that_member():
    from app.search import member_found

    family = row(
        "h1",
        "6271030101100004",
        ("Yohanes Ilas", "6271031204800003"),
        ("Agus Ilas", "6271031505180001"),
    )
    assert member_found(family, "agus") == "Agus Ilas"
    assert member_found(family, "yohanes") is None  # the head: nothing to add
    assert member_found(family, "6271030101100004") is None  # the KK
    assert member_found(family, "ilas agus") == "Agus Ilas"
    assert member_found(family, "6271031505180001") == "Agus Ilas"  # a member's NIK
