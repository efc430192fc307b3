"""The consent section: the notice to read aloud (x-notice, in the form's language, with its
version) above the consent questions. Answering the consent question records which notice
version was read; that field is filled by the form, not typed."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout

from app import questionnaire as q
from app.gui.form.section import SectionView
from app.gui.form.text import ui

CONSENT = "persetujuan"
GIVEN, NOTICE_VERSION = "diberikan", "versi_pemberitahuan"
NOTICE_SCALE = 1.25  # read aloud, often in poor light: larger than the form's text


class ConsentSection(SectionView):
    def __init__(self, spec: dict, prefix: tuple = (CONSENT,), lang: str = "id", **kwargs):
        super().__init__(spec, prefix, lang, **kwargs)
        notice = spec.get("x-notice") or {}
        self.notice_version: str = str(notice.get("version", ""))
        self.notice_text = q.text_of(notice, "text", lang)

        frame = QFrame()
        frame.setFrameShape(QFrame.Shape.StyledPanel)
        box = QVBoxLayout(frame)
        title = QLabel(f"<b>{ui('notice', lang)}</b>")
        self.notice = QLabel(self.notice_text)
        self.notice.setWordWrap(True)
        self.notice.setTextInteractionFlags(
            self.notice.textInteractionFlags() | Qt.TextInteractionFlag.TextSelectableByMouse
        )
        font = self.notice.font()
        font.setPointSizeF(font.pointSizeF() * NOTICE_SCALE)
        self.notice.setFont(font)
        self.notice.setAccessibleName(ui("notice", lang))
        self.version = QLabel(ui("notice_version", lang, version=self.notice_version))
        for w in (title, self.notice, self.version):
            box.addWidget(w)
        self.add_header(frame)

        if NOTICE_VERSION in self.rows:
            self.editor(NOTICE_VERSION).set_read_only(True)
        self.changed.connect(self._on_change)

    def _on_change(self, name: str) -> None:
        """Consent answered (yes or no) after this notice was read: record its version."""
        if name != GIVEN or NOTICE_VERSION not in self.rows or not self.notice_version:
            return
        if self.editor(GIVEN).value() is None:
            return
        if self.editor(NOTICE_VERSION).value() != self.notice_version:
            self.set_field(NOTICE_VERSION, self.notice_version)
