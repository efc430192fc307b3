"""The household form (app/gui/form): views tested on their own, offscreen, without a main
window. Records come from tests/records.py."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app import households, rules
from app import questionnaire as q
from app.errors import NotFinalisable
from app.gui.form import HouseholdForm
from app.gui.form.location import DesaEditor
from app.gui.form.members import (
    COL_CHECK,
    COL_NAME,
    COL_NIK,
    COL_RELATION,
    COL_SEX,
    MemberTableModel,
)
from app.gui.form.section import SectionView
from app.gui.form.text import Mnemonics, mnemonic, plain
from app.gui.form.widgets import ChoiceEditor, NumberEditor, make_editor
from tests import records

pytestmark = pytest.mark.usefixtures("qapp_translated")

MEMBERS_PAGE = 9  # Identitas, Lokasi, Verifikasi, Persetujuan, Bukti, Rumah, Aset, Program,
#                  Kebutuhan, Anggota


@pytest.fixture
def form(qtbot):
    f = HouseholdForm(today=records.TODAY)
    qtbot.addWidget(f)
    f.resize(1000, 700)
    return f


@pytest.fixture
def shown(form, qtbot):
    """The form on screen and active, for tests that follow keyboard focus."""
    form.show()
    qtbot.waitExposed(form)
    form.activateWindow()
    qtbot.waitUntil(form.isActiveWindow)
    return form


def pick(editor: ChoiceEditor, value: object) -> None:
    """Choose an answer as the officer does (the combo's index changes, signals fire)."""
    editor.combo.setCurrentIndex(
        next(i for i, v in enumerate(editor._values) if v is value or v == value)
    )


def focused():
    return QApplication.focusWidget()


def type_keys(qtbot, text: str = "", key=None, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    if text:
        qtbot.keyClicks(focused(), text)
    if key is not None:
        qtbot.keyClick(focused(), key, modifier)


def big_household(n: int = 30) -> dict:
    rows = [records.head(serial=1), records.wife(serial=2)]
    for i in range(n - 2):
        birth = f"{2000 + i % 20}-{1 + i % 9:02d}-{10 + i % 9}"
        rows.append(records.member(f"Anak {i + 1}", birth, 1 + i % 2, 3, serial=10 + i))
    return records.household(anggota=rows)


# -- loading and saving ------------------------------------------------------------------------


def test_round_trip_is_exact_and_silent(form, qtbot):
    rec = records.household()
    form.set_section(3)
    with qtbot.assertNotEmitted(form.changed), qtbot.assertNotEmitted(form.sectionChanged):
        form.set_record(rec)
    assert form.current_section() == 0
    assert form.record() == q.prune(rec)

    draft = households.new_record(records.TODAY)
    form.set_record(draft)
    # Empty sections (and the empty roster) are left out; the frame fields are kept.
    assert form.record() == {k: v for k, v in draft.items() if k != q.MEMBERS}


def test_loaded_hidden_answers_are_pruned(form):
    rec = records.household()
    rec["rumah"]["status_kepemilikan"] = 2  # bukti_kepemilikan (3) no longer applies
    form.set_record(rec)
    assert "bukti_kepemilikan" not in form.record()["rumah"]
    assert form.record() == q.prune(rec)


# -- skip logic --------------------------------------------------------------------------------


def test_skip_logic_hides_and_clears(form, qtbot):
    form.set_record(records.household())
    rumah = form.section("rumah")
    assert rumah.is_shown("bukti_kepemilikan") and rumah.editor("bukti_kepemilikan").value() == 3

    with qtbot.waitSignal(form.changed):
        pick(rumah.editor("status_kepemilikan"), 2)
    assert not rumah.is_shown("bukti_kepemilikan")
    assert not rumah.editor("bukti_kepemilikan").isVisibleTo(rumah)
    assert "bukti_kepemilikan" not in form.record()["rumah"]

    pick(rumah.editor("status_kepemilikan"), 1)  # shown again, and empty: the answer is gone
    assert rumah.is_shown("bukti_kepemilikan") and rumah.editor("bukti_kepemilikan").value() is None

    pick(rumah.editor("fasilitas_bab"), 6)
    for name in ("jenis_kloset", "pembuangan_tinja"):
        assert not rumah.is_shown(name) and rumah.editor(name).value() is None
        assert name not in form.record()["rumah"]


AWAY = ("persetujuan", "rumah", "aset", "program", "kebutuhan")  # not asked of a family not found


def test_family_not_found_hides_and_clears_sections(form, qtbot):
    rec = records.household(verifikasi={"sumber": 1, "keberadaan_keluarga": 1})
    form.set_record(rec)
    assert form.record() == q.prune(rec)
    ver = form.section("verifikasi")
    assert form.is_section_shown("verifikasi") and not ver.editor("sumber").combo.isEnabled()
    assert not ver.is_shown("catatan_verifikasi")

    with qtbot.waitSignal(form.changed):
        pick(ver.editor("keberadaan_keluarga"), 7)
    assert not any(form.is_section_shown(key) for key in AWAY)
    assert form.is_section_shown(q.MEMBERS) and ver.is_shown("catatan_verifikasi")
    out = form.record()
    assert not set(AWAY) & set(out) and out["verifikasi"] == {"sumber": 1, "keberadaan_keluarga": 7}
    assert all("status_kawin" not in m for m in out[q.MEMBERS])  # not asked either
    assert not form.check(final=True).errors  # location, KK, result and members are enough

    pick(ver.editor("keberadaan_keluarga"), 1)  # shown again, and empty: the answers are gone
    assert all(form.is_section_shown(key) for key in AWAY)
    assert form.section("rumah").editor("status_kepemilikan").value() is None
    assert "required" in {i.code for i in form.check(final=True).errors}


def test_loaded_family_not_found_shows_no_dwelling(form):
    rec = records.household(verifikasi={"sumber": 1, "keberadaan_keluarga": 3})
    form.set_record(rec)
    assert not any(form.is_section_shown(key) for key in AWAY)
    assert not set(AWAY) & set(form.record())
    assert form.record()["verifikasi"] == rec["verifikasi"]


def test_skip_logic_chains_inside_a_member(form):
    rec = records.household()
    form.set_record(rec)
    dialog = form.members.edit(0)
    s = dialog.section
    assert s.editor("pekerjaan").value() == "petani karet"
    pick(s.editor("bekerja"), False)  # hides status_pekerjaan, which hides pekerjaan
    assert not s.is_shown("status_pekerjaan") and not s.is_shown("pekerjaan")
    assert "pekerjaan" not in dialog.member() and "status_pekerjaan" not in dialog.member()
    dialog.reject()


# -- messages ----------------------------------------------------------------------------------


def test_invalid_nik_shows_inline_error_and_blocks_finalise(form, qtbot):
    form.set_record(records.household())
    dialog = form.members.edit(0)
    nik = dialog.section.editor(q.NIK).line
    nik.selectAll()
    qtbot.keyClicks(nik, "6271030000000001")  # birth date 00-00-00 inside the NIK
    assert dialog.section.message(q.NIK) == ""  # debounced: not on every keystroke
    qtbot.waitUntil(lambda: dialog.section.message(q.NIK) != "", timeout=3000)
    message = dialog.section.message(q.NIK)
    assert message.startswith("Kesalahan:") and "NIK" in message and "Anggota ke-1" in message
    dialog.accept()  # OK even with errors: a draft may be incomplete

    assert form.record()["anggota"][0]["nik"] == "6271030000000001"
    result = form.check()
    assert [i.code for i in result.errors] == ["nik_birth_date_invalid"]
    assert not result.can_finalise(form.record())
    with pytest.raises(NotFinalisable):
        households.prepare_final(form.record(), form.context(), acknowledge=True)
    # The table says so in words; the summary lists it; clicking goes to the member.
    model = form.members.model
    assert model.data(model.index(0, COL_CHECK)) == "Kesalahan: 1"
    assert form.issue_list.count() == 1 and "NIK" in form.issue_list.item(0).text()
    form._issue_clicked(form.issue_list.item(0))
    assert form.current_section() == MEMBERS_PAGE and form.members.current_row() == 0


def test_root_field_message_and_summary_click(form, qtbot):
    rec = records.household(no_kk="62710301")
    form.set_record(rec)
    result = form.check()
    assert [i.code for i in result.errors] == ["digits16"]
    identity = form.section("")
    assert identity.message("no_kk").startswith(
        "Kesalahan: Nomor Kartu Keluarga (KK): harus 16 digit"
    )
    assert "Kesalahan: 1" in form.section_list.item(0).text()
    form.set_section(3)
    form._issue_clicked(form.issue_list.item(0))
    assert form.current_section() == 0

    editor = identity.editor("no_kk")
    editor.line.setText(records.KK)
    editor.line.textEdited.emit(records.KK)  # as typed
    assert identity.message("no_kk") != ""  # live check waits for the debounce
    qtbot.waitUntil(lambda: identity.message("no_kk") == "", timeout=3000)
    assert not form.issue_list.isVisibleTo(form)


def test_warning_is_amber_with_prefix(form, qtbot):
    form.set_record(records.household())
    dialog = form.members.edit(0)  # the head: male, born 1980-04-12
    nik = records.nik_for("1980-04-12", 2, serial=3)  # a woman's NIK
    dialog.section.set_field(q.NIK, nik)
    dialog.validate_now()
    assert dialog.section.editor(q.SEX).value() == 1  # already answered: not overwritten
    assert dialog.section.message(q.NIK).startswith("Peringatan:")
    assert "#8a5300" in dialog.section.rows[q.NIK].message.text()
    dialog.reject()
    assert form.record() == q.prune(records.household())  # Cancel changes nothing


# -- members -----------------------------------------------------------------------------------


def test_valid_female_nik_fills_birth_date_and_sex(form, qtbot):
    form.set_record(records.household())
    dialog = form.members.add()
    assert dialog.index == 3
    qtbot.keyClicks(dialog.section.editor(q.NIK).line, records.nik_for("1990-03-05", 2, serial=77))
    s = dialog.section
    assert s.editor(q.BIRTH_DATE).value() == "1990-03-05"
    assert s.editor(q.SEX).value() == 2
    assert not s.is_shown("hamil")
    pick(s.editor(q.PRESENCE), 1)
    assert s.is_shown("hamil")  # a woman of 36 living here: the pregnancy question applies
    assert dialog.note.isVisibleTo(dialog)
    assert dialog.note.text().startswith("Tanggal lahir dan jenis kelamin diisi otomatis dari NIK")
    dialog.accept()
    assert form.members.model.rowCount() == 4


def test_add_member_with_the_keyboard_only(shown, qtbot):
    form = shown
    form.set_record(records.household())
    form.set_section(MEMBERS_PAGE)
    form.members.table.setFocus()
    type_keys(qtbot, "", Qt.Key.Key_T, Qt.KeyboardModifier.AltModifier)  # &Tambah anggota
    qtbot.waitUntil(lambda: form.members.dialog is not None and form.members.dialog.isVisible())
    dialog = form.members.dialog
    qtbot.waitUntil(lambda: focused() is dialog.section.editor(q.NIK).line)

    enter = Qt.Key.Key_Return
    section = dialog.section
    type_keys(qtbot, records.nik_for("2010-06-05", 2, serial=44))  # fills birth date and sex
    assert focused() is section.editor(q.NAME).line  # 16 digits: on to the next question
    type_keys(qtbot, "Maria Ilas", enter)
    type_keys(qtbot, "Sampit", enter)  # tempat lahir
    assert focused() is section.editor(q.BIRTH_DATE).line
    assert section.editor(q.BIRTH_DATE).line.text() == "05-06-2010"  # as the KK prints it
    type_keys(qtbot, "", enter)  # keep the date from the NIK
    type_keys(qtbot, "3")  # hubungan: 3. Anak; one digit is a whole code, on to the next
    assert focused() is section.editor(q.SEX).combo
    type_keys(qtbot, "", enter)  # jenis kelamin from the NIK
    type_keys(qtbot, "1")  # status kawin
    type_keys(qtbot, "1")  # keberadaan
    assert focused() is section.editor("domisili").combo
    type_keys(qtbot, "", Qt.Key.Key_Down)  # arrows still choose, and then Tab moves on
    type_keys(qtbot, "", Qt.Key.Key_Tab)
    assert focused() is section.editor("partisipasi_sekolah").combo
    type_keys(qtbot, "", Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # OK
    qtbot.waitUntil(lambda: form.members.dialog is None)

    assert form.members.model.rowCount() == 4
    added = form.record()["anggota"][3]
    assert added[q.NAME] == "Maria Ilas" and added["tempat_lahir"] == "Sampit"
    assert (added[q.BIRTH_DATE], added[q.SEX], added[q.RELATION]) == ("2010-06-05", 2, 3)
    assert (added["status_kawin"], added[q.PRESENCE], added["domisili"]) == (1, 1, 1)
    assert form.members.current_row() == 3


def test_enter_moves_focus_and_ctrl_pgdown_changes_section(shown, qtbot):
    form = shown
    form.set_record(records.household())
    form.set_section(1)  # Lokasi
    lokasi = form.section("lokasi")
    lokasi.editor("rt").line.setFocus()
    qtbot.waitUntil(lambda: focused() is lokasi.editor("rt").line)
    type_keys(qtbot, "", Qt.Key.Key_Return)
    assert focused() is lokasi.editor("rw").line
    type_keys(qtbot, "", Qt.Key.Key_Return)
    area = lokasi.editor("alamat").edit
    assert focused() is area
    type_keys(qtbot, "", Qt.Key.Key_Return)  # a new line in multi-line text, focus stays
    assert focused() is area and "\n" in area.toPlainText()

    with qtbot.waitSignal(form.sectionChanged) as changed:
        type_keys(qtbot, "", Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    # Not from the DTSEN list: the verification page (2) is hidden and skipped.
    assert not form.is_section_shown("verifikasi")
    assert changed.args == [3] and form.current_section() == 3
    type_keys(qtbot, "", Qt.Key.Key_PageUp, Qt.KeyboardModifier.ControlModifier)
    assert form.current_section() == 1


def test_remove_member_asks_first(form):
    form.set_record(records.household())
    asked = []
    form.members.confirm_remove = lambda i: asked.append(i) or False
    assert not form.members.remove(2) and form.members.model.rowCount() == 3
    form.members.confirm_remove = lambda i: True
    assert form.members.remove(2)
    assert [m[q.NAME] for m in form.record()["anggota"]] == ["Yohanes Ilas", "Rosmiati Ilas"]
    assert asked == [2]


def test_member_model(qtmodeltester):
    model = MemberTableModel("id")
    model.set_rows(records.household()["anggota"])
    qtmodeltester.check(model)
    assert model.data(model.index(0, COL_RELATION)) == "Kepala keluarga"
    assert model.data(model.index(1, COL_SEX)) == "Perempuan"
    assert model.data(model.index(2, COL_NAME)) == "Dimas Ilas"
    assert (
        model.data(model.index(0, COL_NIK), Qt.ItemDataRole.UserRole)
        == records.household()["anggota"][0]["nik"]
    )
    assert model.headerData(COL_NIK, Qt.Orientation.Horizontal) == "NIK"
    assert model.headerData(0, Qt.Orientation.Vertical) == "1"
    model.set_counts({1: (0, 2)})
    assert model.data(model.index(1, COL_CHECK)) == "Peringatan: 2"
    qtmodeltester.check(model)


# -- consent -----------------------------------------------------------------------------------


def test_consent_notice_and_version(form):
    form.set_record(households.new_record(records.TODAY))
    consent = form.section("persetujuan")
    notice = q.load_schema()["properties"]["persetujuan"]["x-notice"]
    assert consent.notice.text() == notice["text"]["id"]
    assert consent.notice.font().pointSizeF() > form.font().pointSizeF()
    assert notice["version"] in consent.version.text()
    assert not consent.is_shown("versi_pemberitahuan")

    pick(consent.editor("diberikan"), True)
    assert consent.editor("versi_pemberitahuan").value() == notice["version"]
    assert form.record()["persetujuan"] == {
        "diberikan": True,
        "versi_pemberitahuan": notice["version"],
    }
    assert consent.editor("versi_pemberitahuan").line.isReadOnly()

    pick(consent.editor("diberikan"), None)  # unanswered again: the version goes too
    assert "persetujuan" not in form.record()


# -- language, labels, editors ----------------------------------------------------------------


@pytest.fixture
def english(qapp_translated):
    from app.gui.app import install_translator

    install_translator(qapp_translated, "en")
    yield
    install_translator(qapp_translated, "id")


def test_labels_in_english(qtbot, english):
    form = HouseholdForm(lang="en")
    qtbot.addWidget(form)
    rumah = form.section("rumah")
    assert plain(rumah.rows["status_kepemilikan"].label.text()) == "Ownership of the dwelling"
    assert rumah.editor("status_kepemilikan").accessibleName() == "Ownership of the dwelling"
    combo = rumah.editor("status_kepemilikan").combo
    assert [combo.itemText(i) for i in range(2)] == ["— choose —", "1. Own"]
    assert [form.section_list.item(i).text() for i in (0, 5)] == ["Identity", "Dwelling"]
    assert form.section("anggota").add_button.text() == "&Add member"


def test_labels_have_unique_mnemonics_and_help(form):
    for key in form.section_keys()[:-1]:
        view = form.section(key)
        letters = []
        for row in view.rows.values():
            text = row.label.text().replace("&&", "")
            assert row.editor.accessibleName() == plain(row.label.text())
            if "&" in text:
                letters.append(text[text.index("&") + 1].lower())
            assert row.label.buddy() is row.editor
        assert len(letters) == len(set(letters)) and letters, key
    kk = form.section("").rows["no_kk"]
    assert kk.help.text().startswith("16 angka") and kk.editor.line.toolTip() == kk.help.text()
    assert Mnemonics()("A & B") == "&A && B"


def test_number_and_desa_editors(qtbot):
    spec = q.load_schema()["properties"]["aset"]["properties"]["emas_gram"]
    number = NumberEditor("emas_gram", spec)
    qtbot.addWidget(number)
    assert number.value() is None
    qtbot.keyClicks(number.line, "2,5x")  # comma taken as a point, letters refused
    assert number.line.text() == "2.5" and number.value() == 2.5
    number.set_value(36)
    assert number.value() == 36 and isinstance(number.value(), int)

    spec = q.load_schema()["properties"]["lokasi"]["properties"]["kode_desa"]
    desa = DesaEditor("kode_desa", spec, areas=["62.71"])
    qtbot.addWidget(desa)
    desa.set_value(records.DESA)
    assert not desa.loaded  # the list is built on first use, not when a record is shown
    assert desa.combo.currentText() == "Palangka — Jekan Raya, Kota Palangkaraya (62.71.03.1001)"
    desa.ensure_loaded()
    assert desa.value() == records.DESA
    assert all(desa.combo.itemData(i).startswith("62.71.") for i in range(desa.combo.count()))
    desa.set_value(None)
    assert desa.value() is None


# -- speed -------------------------------------------------------------------------------------


def test_thirty_members_stay_quick(form):
    rec = big_household(30)
    form.set_record(rec)
    assert form.record() == q.prune(rec)
    assert not rules.check(form.record(), form.context()).errors
    assert form.members.model.rowCount() == 30  # its speed is measured by `make bench`


# -- keyboard: mnemonics, codes, dates ----------------------------------------------------------


def page_mnemonics(root, labels) -> list[str]:
    """The Alt+letters offered on screen: visible labels (with a buddy) and buttons under
    `root`, and every question label of the page shown (the skip logic may show any)."""
    from PySide6.QtWidgets import QAbstractButton, QLabel

    widgets = [w for w in root.findChildren(QLabel) if w.buddy() is not None and w.isVisible()]
    widgets += [w for w in root.findChildren(QAbstractButton) if w.isVisible()]
    widgets += [lab for lab in labels if lab not in widgets]
    return [m for m in (mnemonic(w.text()) for w in widgets) if m]


@pytest.mark.parametrize("lang", ["id", "en"])
def test_alt_letters_are_unique_on_every_page_and_in_the_member_dialog(
    qtbot, qapp_translated, lang
):
    from app.gui.app import install_translator
    from app.gui.views.household import HouseholdPage

    install_translator(qapp_translated, lang)
    try:
        page = HouseholdPage(lang, [], today=records.TODAY)
        qtbot.addWidget(page)
        page.resize(1366, 705)
        page.show()
        qtbot.waitExposed(page)
        page.form.set_record(records.household())
        finalise = mnemonic(page.finalise_button.text())
        assert finalise == "f"
        for i, key in enumerate(page.form.section_keys()):
            page.form.set_section(i)
            view = page.form.section(key)
            labels = [r.label for r in view.rows.values()] if isinstance(view, SectionView) else []
            letters = page_mnemonics(page, labels)
            assert len(letters) == len(set(letters)), (lang, key, sorted(letters))
            assert finalise in letters  # Alt+F reaches Finalkan from every page
        dialog = page.form.members.edit(0)
        qtbot.waitExposed(dialog)
        letters = page_mnemonics(dialog, [r.label for r in dialog.section.rows.values()])
        assert len(letters) == len(set(letters)) and len(letters) > 10, (lang, sorted(letters))
        dialog.reject()
    finally:
        install_translator(qapp_translated, "id")


def member_field(name: str) -> dict:
    return q.load_schema()["properties"][q.MEMBERS]["items"]["properties"][name]


def editor_for(qtbot, name: str, spec: dict):
    editor = make_editor(name, spec)
    qtbot.addWidget(editor)
    return editor


def test_dates_are_typed_and_shown_as_on_the_kk_and_stored_iso(qtbot):
    spec = q.load_schema()["properties"][q.VISIT_DATE]
    editor = editor_for(qtbot, q.VISIT_DATE, spec)
    assert editor.line.placeholderText() == "HH-BB-TTTT"
    with qtbot.waitSignal(editor.completed):  # 8 digits: the answer is complete
        qtbot.keyClicks(editor.line, "30042022")
    assert editor.line.text() == "30-04-2022" and editor.value() == "2022-04-30"
    editor.set_value("2026-11-27")
    assert editor.line.text() == "27-11-2026" and editor.value() == "2026-11-27"
    editor.line.selectAll()
    qtbot.keyClicks(editor.line, "1.5.2022x")  # separators optional; letters refused
    assert editor.line.text() == "01-05-2022" and editor.value() == "2022-05-01"
    editor.set_value("27/11/2026")  # a stored value that is no ISO date: shown, kept, reported
    assert editor.line.text() == "27/11/2026" and editor.value() == "27/11/2026"


def test_birth_dates_take_the_year_alone(qtbot):
    editor = editor_for(qtbot, q.BIRTH_DATE, member_field(q.BIRTH_DATE))
    with qtbot.assertNotEmitted(editor.completed):
        qtbot.keyClicks(editor.line, "1950")  # four digits: Enter finishes it
    assert editor.value() == "1950"
    editor.line.editingFinished.emit()  # leaving the field shows how it is kept
    assert editor.line.text() == "00-00-1950" and editor.value() == "1950"
    editor.line.selectAll()
    with qtbot.waitSignal(editor.completed):
        qtbot.keyClicks(editor.line, "00071950")
    assert editor.line.text() == "00-07-1950" and editor.value() == "1950-07"
    editor.set_value("1950-07")
    assert editor.line.text() == "00-07-1950" and editor.value() == "1950-07"


def test_codes_choose_single_answers(qtbot):
    rumah = q.load_schema()["properties"]["rumah"]["properties"]
    one_digit = editor_for(qtbot, "jenis_lantai", rumah["jenis_lantai"])
    with qtbot.waitSignal(one_digit.completed):
        qtbot.keyClick(one_digit.combo, Qt.Key.Key_6)
    assert one_digit.value() == 6

    water = editor_for(qtbot, "sumber_air_minum", rumah["sumber_air_minum"])  # codes 1 to 11
    with qtbot.assertNotEmitted(water.completed):
        qtbot.keyClicks(water.combo, "1")  # 1, or the start of 10 or 11
    assert water.value() == 1
    with qtbot.waitSignal(water.completed):
        qtbot.keyClicks(water.combo, "0")
    assert water.value() == 10
    with qtbot.waitSignal(water.completed):
        qtbot.keyClicks(water.combo, "02")  # two digits: complete
    assert water.value() == 2
    qtbot.keyClicks(water.combo, "7")
    assert water.value() == 7
    qtbot.keyClicks(water.combo, "5")  # 75 is no code: 5 starts again
    assert water.value() == 5

    fuel = editor_for(qtbot, "bahan_bakar_memasak", rumah["bahan_bakar_memasak"])  # 0 to 11
    with qtbot.waitSignal(fuel.completed):
        qtbot.keyClicks(fuel.combo, "00")
    assert fuel.value() == 0

    consent = q.load_schema()["properties"]["persetujuan"]["properties"]["diberikan"]
    yes_no = editor_for(qtbot, "diberikan", consent)
    assert [yes_no.combo.itemText(i) for i in (1, 2)] == ["1. Ya", "2. Tidak"]
    with qtbot.waitSignal(yes_no.completed):
        qtbot.keyClick(yes_no.combo, Qt.Key.Key_2)
    assert yes_no.value() is False


def test_multiple_choice_by_codes_with_none(qtbot):
    disability = editor_for(qtbot, "disabilitas", member_field("disabilitas"))
    qtbot.keyClicks(disability.codes, "14")  # one-digit codes: no spaces needed
    assert disability.value() == [1, 4]
    assert [v for v, box in disability.boxes if box.isChecked()] == [1, 4]
    disability.codes.selectAll()
    with qtbot.waitSignal(disability.completed):  # "0. Tidak ada" alone: nothing can follow
        qtbot.keyClicks(disability.codes, "0")
    assert disability.value() == [0]
    dict(disability.boxes)[5].click()  # another answer clears "none", and "none" clears the rest
    assert disability.value() == [5] and disability.codes.text() == "5"
    dict(disability.boxes)[0].click()
    assert disability.value() == [0] and disability.codes.text() == "0"

    illness = editor_for(qtbot, "penyakit_kronis", member_field("penyakit_kronis"))  # 0 to 18
    qtbot.keyClicks(illness.codes, "1 12 9")
    assert illness.value() == [1, 9, 12]
    qtbot.keyClicks(illness.codes, "9")  # 99 starts no code: refused
    assert illness.codes.text() == "1 12 9" and illness.value() == [1, 9, 12]
    illness.codes.editingFinished.emit()
    assert illness.codes.text() == "1 9 12"


def test_enter_skips_the_check_boxes_and_tab_visits_them(shown, qtbot):
    form = shown
    form.set_record(records.household())
    form.set_section(form.section_keys().index("kebutuhan"))
    needs = form.section("kebutuhan")
    needs.focus_field("layanan")
    layanan = needs.editor("layanan")
    qtbot.waitUntil(lambda: focused() is layanan.codes)
    type_keys(qtbot, "", Qt.Key.Key_Tab)
    assert focused() is layanan.boxes[0][1]
    type_keys(qtbot, "", Qt.Key.Key_Return)  # Enter from a box: on to the next question
    assert focused() is needs.editor("catatan").edit
    assert layanan.value() == [1, 2]


def test_enter_on_the_last_question_goes_to_the_next_page(shown, qtbot):
    form = shown
    form.set_record(records.household())
    form.set_section(form.section_keys().index("program"))
    program = form.section("program")
    program.focus_field("program_lainnya")
    qtbot.waitUntil(lambda: focused() is program.editor("program_lainnya").line)
    with qtbot.waitSignal(form.sectionChanged):
        type_keys(qtbot, "", Qt.Key.Key_Return)
    assert form.section_keys()[form.current_section()] == "kebutuhan"
    assert focused() is form.section("kebutuhan").editor("layanan").codes
