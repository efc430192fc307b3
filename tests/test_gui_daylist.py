"""A list that plans the day (issue 12): RT/RW, address, members, outcome and next visit from
the sealed summary; a search hit on a member shows that member; the status line (waiting to be
sent, to revisit, a village's progress); the "today" filter; the form's header names the family.
The real app on a real store, driven by keyboard."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app import questionnaire as q
from app import visits
from app.gui.models import (
    COL_ADDRESS,
    COL_HEAD,
    COL_KK,
    COL_MEMBERS,
    COL_NEXT,
    COL_OUTCOME,
    COL_RTRW,
)
from app.store import Store
from tests import keyentry, records
from tests.conftest import FAST_KDF, PASSPHRASE

pytestmark = pytest.mark.usefixtures("qapp_translated")
CTRL = Qt.KeyboardModifier.ControlModifier


def families(today: date) -> list[dict]:
    ilas = records.numbered(
        1,
        anggota=[
            records.head(serial=3),
            records.wife(serial=4),
            records.member("Agus Ilas", "2018-05-15", 1, 3, serial=5),
        ],
    )
    salim = records.numbered(
        2,
        anggota=[
            records.member("Agus Salim", "1980-04-12", 1, 1, serial=6),
            records.wife(serial=7),
            records.child(serial=8),
        ],
    )
    away = records.numbered(3, status="draft", hasil_kunjungan=visits.NOBODY_HOME)
    away[q.REVISIT_DATE] = today.isoformat()
    away["lokasi"] = {**away["lokasi"], "rt": "007", "rw": "12", "alamat": "Gg. Mawar 3"}
    return [ilas, salim, away]


def by_kk(ws, kk: str) -> int:
    proxy = ws.proxy
    rows = [r for r in range(proxy.rowCount()) if proxy.index(r, COL_KK).data() == kk]
    assert len(rows) == 1, kk
    return rows[0]


def test_the_list_plans_the_day(qtbot, data_dir):
    today = date.today()
    keyentry.make_store(data_dir, PASSPHRASE, FAST_KDF)
    ilas, salim, away = families(today)
    with Store.open(data_dir, PASSPHRASE) as store:
        for rec in (ilas, salim, away):
            store.save(q.canonical(rec))

    def wait(condition) -> None:
        qtbot.waitUntil(condition, timeout=10_000)

    worker, _session, window = keyentry.open_app(data_dir, PASSPHRASE, wait)
    qtbot.addWidget(window)
    try:
        ws = window.workspace
        wait(lambda: ws.proxy.rowCount() == 3)
        # The status line: two finals wait to be sent, one family to revisit, all villages.
        line = ws.day_status.text()
        assert "Menunggu dikirim: 2" in line and "Kunjungi lagi: 1" in line
        assert "3 dalam daftar, 3 dikunjungi, 2 final, 0 terkirim" in line
        # Where and when, from the sealed summary.
        r = by_kk(ws, away["no_kk"])
        cell = lambda col: ws.proxy.index(r, col).data()  # noqa: E731
        assert cell(COL_RTRW) == "007/12" and cell(COL_ADDRESS) == "Gg. Mawar 3"
        assert cell(COL_MEMBERS) == "3" and cell(COL_OUTCOME) == "Tidak ada orang"
        assert cell(COL_NEXT) == today.strftime("%d-%m-%Y")
        assert ws.proxy.index(by_kk(ws, ilas["no_kk"]), COL_NEXT).data() == ""

        # A search that finds a member says which one.
        QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_F, CTRL)
        assert QApplication.focusWidget() is ws.search
        QTest.keyClicks(ws.search, "agus")
        wait(lambda: ws.proxy.rowCount() == 2)
        heads = {ws.proxy.index(r, COL_HEAD).data() for r in range(2)}
        assert heads == {"Yohanes Ilas \u00b7 Agus Ilas (anggota)", "Agus Salim"}
        ws.search.clear()
        wait(lambda: ws.proxy.rowCount() == 3)
        assert all("anggota" not in ws.proxy.index(r, COL_HEAD).data() for r in range(3))

        # "Hari ini": the revisit due today (the others were visited on another day).
        ws.status.setFocus()
        ws.status.setCurrentIndex(ws.status.findData("today"))
        wait(lambda: ws.proxy.rowCount() == 1)
        assert ws.proxy.index(0, COL_KK).data() == away["no_kk"]
        ws.status.setCurrentIndex(ws.status.findData("revisit"))
        assert ws.proxy.rowCount() == 1

        # The form's header names the open family.
        ws.status.setCurrentIndex(0)
        ws.table.setFocus()
        ws.table.setCurrentIndex(ws.proxy.index(by_kk(ws, ilas["no_kk"]), 0))
        QTest.keyClick(ws.table, Qt.Key.Key_Return)
        wait(lambda: window.household is not None)
        assert window.household.title.text() == f"Keluarga: Yohanes Ilas \u00b7 KK {ilas['no_kk']}"
    finally:
        keyentry.close_app(worker, window)
