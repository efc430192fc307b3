"""The main window: a stack of pages wired to the session. Holds no data logic."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QMainWindow, QMessageBox, QStackedWidget

from app.errors import user_message
from app.gui import reviewing
from app.gui.idle import IdleWatcher
from app.gui.models import to_verify_counts
from app.gui.session import Session
from app.gui.verifying import ProvinceChangeController
from app.gui.views.first_run import FirstRunPage
from app.gui.views.unlock import UnlockPage
from app.gui.views.workspace import WorkspacePage
from app.i18n import set_lang
from app.search import member_found

if TYPE_CHECKING:  # imported when first needed: the unlock screen must appear fast
    from app.gui.editor import HouseholdEditor
    from app.gui.views.enroll import EnrollDialog
    from app.gui.views.export import ExportDialog
    from app.gui.views.household import HouseholdPage
    from app.gui.views.recover import RecoverDialog
    from app.gui.views.settings import SettingsDialog

TITLE = "KHBS Enroll"  # never anything personal: it shows in the task list
PHOTOS_NOW_S = 300  # photos that take longer at the last sync's speed are suggested for later


class MainWindow(QMainWindow):
    def __init__(self, session: Session, parent=None) -> None:
        super().__init__(parent)
        self.session = session
        self.setWindowTitle(TITLE)
        # Within a 1366x768 laptop's free 705 pixels; larger screens get the same start.
        free = self.screen().availableGeometry()
        self.resize(min(1280, free.width()), min(700, free.height() - 25))
        self.stack = QStackedWidget()
        self.setCentralWidget(self.stack)
        self.household: HouseholdPage | None = None
        self.editor: HouseholdEditor | None = None
        self._closing: set[HouseholdEditor] = set()  # closed, a save still running
        self.first_run = FirstRunPage(session.settings.lang)
        self.stack.addWidget(self.first_run)
        self.unlock_page: UnlockPage
        self.workspace: WorkspacePage
        self._build_pages()

        self.idle = IdleWatcher(session.settings.idle_lock_minutes, self)
        self.idle.idle.connect(self.lock)
        # Window-wide, so it works on the household page too, where the personal data is.
        lock = QShortcut(QKeySequence("Ctrl+L"), self, activated=self.lock)
        lock.setContext(Qt.ShortcutContext.WindowShortcut)
        QShortcut(QKeySequence("Ctrl+,"), self, activated=self.open_settings)

        self.first_run.createRequested.connect(self._create)
        self.first_run.languageChosen.connect(self._language_chosen)
        session.unlocked.connect(self._show_workspace)
        session.rowsChanged.connect(self._reload_rows)
        session.rowChanged.connect(self._row_changed)
        session.failed.connect(lambda exc: self._error(exc))
        session.syncStateChanged.connect(self._sync_state_changed)
        session.syncProgress.connect(lambda *a: self.workspace.show_sync_progress(*a))
        session.photoProgress.connect(lambda *a: self.workspace.show_photo_progress(*a))
        session.syncFailed.connect(lambda text: self.workspace.show_sync_error(text))
        self.enroll_dialog: EnrollDialog | None = None
        self.export_dialog: ExportDialog | None = None
        self.recover_dialog: RecoverDialog | None = None
        self.settings_dialog: SettingsDialog | None = None
        self.province_change = ProvinceChangeController(session, self, self._error)

        start = self.unlock_page if session.store_exists() else self.first_run
        self.stack.setCurrentWidget(start)

    def _build_pages(self) -> None:
        """(Re)build the pages whose texts are set at construction, e.g. after a language
        change on the first-run page."""
        for name in ("unlock_page", "workspace"):
            old = getattr(self, name, None)
            if old is not None:
                self.stack.removeWidget(old)
                old.deleteLater()
        self.unlock_page = UnlockPage()
        self.workspace = WorkspacePage()
        self.stack.addWidget(self.unlock_page)
        self.stack.addWidget(self.workspace)
        self.unlock_page.unlockRequested.connect(self._unlock)
        self.unlock_page.forgotRequested.connect(self.open_recover)
        self.workspace.lockRequested.connect(self.lock)
        self.workspace.newRequested.connect(self._new_household)
        self.workspace.openRequested.connect(self._open_household)
        self.workspace.searchChanged.connect(self._search)
        self.workspace.syncRequested.connect(self._sync_now)
        self.workspace.enrollRequested.connect(self.open_enroll)
        self.workspace.exportRequested.connect(self.open_export)
        self.workspace.settingsRequested.connect(self.open_settings)

    def _language_chosen(self, lang: str) -> None:
        self.session.settings.lang = lang
        self._apply_language(lang)

    def _apply_language(self, lang: str) -> None:
        """Messages, Qt texts and the pages built with them, in `lang` from now on. An open
        family form keeps its language until it is opened again."""
        from PySide6.QtCore import QLocale
        from PySide6.QtWidgets import QApplication

        from app.gui.app import install_translator

        set_lang(lang)  # messages from the rules and the store
        QLocale.setDefault(
            QLocale(QLocale.Language.Indonesian if lang == "id" else QLocale.Language.English)
        )
        install_translator(QApplication.instance(), lang)
        self.first_run.retranslate()
        shown = self.stack.currentWidget()
        on_workspace, on_unlock = shown is self.workspace, shown is self.unlock_page
        self._build_pages()
        if self.session.is_unlocked:
            self._reload_rows()
            self._sync_state_changed()
        if on_workspace:
            self.stack.setCurrentWidget(self.workspace)
        elif on_unlock:
            self.stack.setCurrentWidget(self.unlock_page)
        elif shown is not None:
            self.stack.setCurrentWidget(shown)

    # -- settings ----------------------------------------------------------------------------

    def open_settings(self) -> None:
        """Language, idle-lock minutes and automatic sync (window-modal, not blocking); applied
        at once and kept in settings.json."""
        from app.gui.views.settings import SettingsDialog

        if self.settings_dialog is not None or not self.session.is_unlocked:
            return
        s = self.session.settings
        dialog = SettingsDialog(s.lang, s.idle_lock_minutes, bool(s.sync_minutes), self)
        self.settings_dialog = dialog
        dialog.accepted.connect(lambda: self._apply_settings(*dialog.values()))
        dialog.finished.connect(lambda _: self._settings_closed(dialog))
        dialog.open()
        dialog.language.setFocus()

    def _apply_settings(self, lang: str, idle_minutes: int, auto_sync: bool) -> None:
        changed_lang = lang != self.session.settings.lang
        self.session.change_settings(lang=lang, idle_lock_minutes=idle_minutes, auto_sync=auto_sync)
        self.idle.set_minutes(idle_minutes)
        if self.session.is_unlocked:
            self.idle.start()  # the new period counts from now
        if changed_lang:
            self._apply_language(lang)

    def _settings_closed(self, dialog) -> None:
        if self.settings_dialog is dialog:
            self.settings_dialog = None
        dialog.deleteLater()
        if self.session.is_unlocked and self.stack.currentWidget() is self.workspace:
            self.workspace.table.setFocus()

    # -- unlocking ------------------------------------------------------------------------------

    def _create(self, passphrase: str, training: bool) -> None:
        self.session.settings.lang = self.first_run.language.currentData()
        enroll = self.first_run.enroll.isChecked()
        self.session.create(
            passphrase,
            training=training,
            on_done=(lambda _: self.open_enroll()) if enroll else None,
            on_error=lambda e: self.first_run.show_error(_text(e)),
        )

    def _unlock(self, passphrase: str) -> None:
        self.session.unlock(passphrase, on_error=lambda e: self.unlock_page.show_error(_text(e)))

    def open_recover(self) -> None:
        """Forgotten passphrase (window-modal): store id to read out, recovery code, new
        passphrase. On success the workspace opens as after an unlock."""
        from app.gui.views.recover import RecoverDialog

        dialog = RecoverDialog(self)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.recover_dialog = dialog
        dialog.finished.connect(lambda _r: setattr(self, "recover_dialog", None))
        open_ = lambda: self.recover_dialog is dialog  # noqa: E731 - closed dialogs are gone
        self.session.store_id(lambda sid: dialog.store_id.setText(str(sid)) if open_() else None)
        dialog.recoverRequested.connect(
            lambda code, new: self.session.recover(
                code,
                new,
                on_done=lambda _: dialog.accept() if open_() else None,
                on_error=lambda e: dialog.show_error(_text(e)) if open_() else None,
            )
        )
        dialog.show()

    def _show_workspace(self) -> None:
        self.first_run.set_busy(False)
        self.unlock_page.reset()
        self.stack.setCurrentWidget(self.workspace)
        self.workspace.search.setFocus()
        self.idle.start()

    def lock(self) -> None:
        """Save what is being typed, forget everything decrypted, show the unlock page."""
        if not self.session.is_unlocked:
            return
        self.idle.stop()
        if self.enroll_dialog is not None:
            self.enroll_dialog.reject()
        if self.settings_dialog is not None:
            self.settings_dialog.reject()
        if self.export_dialog is not None:
            self.export_dialog.close_now()  # cancels the export: no half files, nothing shown
        self.province_change.close()
        self._close_household()
        self.workspace.search.clear()  # a name or NIK searched for is personal too
        self.session.lock()
        self.unlock_page.reset()
        self.stack.setCurrentWidget(self.unlock_page)

    # -- sync with the province -----------------------------------------------------------------

    def open_enroll(self) -> None:
        """The enroll dialog (window-modal, not blocking): server address and one-time code."""
        from app.gui.views.enroll import EnrollDialog

        if self.enroll_dialog is not None or not self.session.is_unlocked:
            return
        dialog = EnrollDialog(self)
        self.enroll_dialog = dialog

        def done(_result: object) -> None:
            dialog.accept()

        def failed(exc: BaseException) -> None:
            dialog.show_error(user_message(exc, app=True))

        dialog.enrollRequested.connect(
            lambda server, code: self.session.enroll(server, code, on_done=done, on_error=failed)
        )
        dialog.finished.connect(lambda _: self._enroll_closed(dialog))
        dialog.open()
        dialog.server.setFocus()

    def _enroll_closed(self, dialog) -> None:
        if self.enroll_dialog is dialog:
            self.enroll_dialog = None
        dialog.deleteLater()
        if self.session.is_unlocked and self.stack.currentWidget() is self.workspace:
            self.workspace.table.setFocus()

    # -- export ------------------------------------------------------------------------------

    def open_export(self) -> None:
        """The export dialog (window-modal, not blocking); app/gui/exporting.py runs it."""
        from app.gui.exporting import ExportController, default_folder
        from app.gui.views.export import ExportDialog

        if self.export_dialog is not None or not self.session.is_unlocked:
            return
        s = self.session
        dialog = ExportDialog(default_folder(), s.desa_names, s.settings.lang, self)
        dialog.controller = ExportController(s, dialog)
        self.export_dialog = dialog
        dialog.lockRequested.connect(self.lock)
        dialog.finished.connect(lambda _: self._export_closed(dialog))
        dialog.open()
        dialog.folder.setFocus()

    def _export_closed(self, dialog) -> None:
        if self.export_dialog is dialog:
            self.export_dialog = None
        dialog.deleteLater()
        if self.session.is_unlocked and self.stack.currentWidget() is self.workspace:
            self.workspace.table.setFocus()

    def _sync_now(self) -> None:
        self.workspace.show_sync_error("")
        self.session.photo_wait(self._sync_with)

    def _sync_with(self, wait: tuple) -> None:
        """Records always go; photos and signatures when the officer says so (the time is
        estimated from the last sync's speed)."""
        from app.i18n import tr

        count, size, seconds = wait
        photos = False
        if count:
            minutes = "?" if seconds is None else str(max(1, round(seconds / 60)))
            text = tr("sync.attachments_waiting", n=count, kb=round(size / 1024), minutes=minutes)
            # The suggestion is the default button: now when it is quick (or never measured).
            quick = seconds is None or seconds <= PHOTOS_NOW_S
            yes, no = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No
            answer = QMessageBox.question(
                self,
                TITLE,
                text + "\n\n" + tr("sync.attachments_ask"),
                yes | no,
                yes if quick else no,
            )
            photos = answer == yes
        self.session.sync(photos=photos)

    def _sync_state_changed(self) -> None:
        s = self.session
        self.workspace.set_sync_state(
            enrolled=s.is_enrolled, syncing=s.syncing, last_sync=s.last_sync
        )
        self._show_sync_notes()

    SHOWN_ATTENTION = 10  # the rest are one filter away (Status: Needs attention)

    def _show_sync_notes(self) -> None:
        """The last sync's notes. Households by their head's name, as the list shows them
        (ids and codes only leave the app: docs/sync.md)."""
        notes = self.session.sync_notes
        wanted = {hid for hid, _, _ in notes.attention[: self.SHOWN_ATTENTION]}
        names = {r.id: r.head for r in self.session.rows if r.id in wanted} if wanted else {}
        shown = [
            (hid, names.get(hid) or hid, message)
            for hid, _, message in notes.attention[: self.SHOWN_ATTENTION]
        ]
        notice = " ".join(filter(None, (notes.questionnaires, notes.clock)))  # non-blocking
        self.workspace.show_sync_notes(
            notice, shown, max(0, len(notes.attention) - self.SHOWN_ATTENTION)
        )

    # -- the list ---------------------------------------------------------------------------

    def _reload_rows(self) -> None:
        self.workspace.model.set_rows(self.session.rows, self.session.desa_names)
        self.workspace.set_desa_choices(self.session.desa_names)
        self._show_verify_counts()
        self.workspace.set_day_rows(self.session.rows, self.session.desa_names)
        self._search(self.workspace.search.text())

    def _show_verify_counts(self) -> None:
        s = self.session
        self.workspace.set_verify_counts(to_verify_counts(s.rows), s.desa_names)

    def _row_changed(self, row) -> None:
        self.workspace.model.put_row(row, self.session.desa_names.get(row.kode_desa or ""))
        self.workspace.set_desa_choices(self.session.desa_names)
        self._show_verify_counts()
        self.workspace.set_day_rows(self.session.rows, self.session.desa_names)
        self.workspace.update_counts()

    def _search(self, text: str) -> None:
        ids = set(self.session.index.search(text)) if text.strip() else None
        found = {}
        if ids is not None:  # the member each hit matched, shown beside the head's name
            for row in self.session.rows:
                name = member_found(row, text) if row.id in ids else None
                if name:
                    found[row.id] = name
        self.workspace.model.set_found_members(found)
        self.workspace.proxy.set_search_ids(ids)
        self.workspace.update_counts()

    # -- one household -----------------------------------------------------------------------

    def _new_household(self) -> None:
        from app.households import new_record

        self._edit(new_record(), None)

    def _open_household(self, household_id: str) -> None:
        if any(r.id == household_id and r.province_changed for r in self.session.rows):
            self.province_change.open(household_id, self._edit)  # choose per answer first
            return
        self.session.open_household(
            household_id, on_done=lambda r: self._edit(*r), on_error=lambda e: self._error(e)
        )  # the session drops the answer if the app was locked meanwhile

    def _edit(self, record: dict, revision: int | None) -> None:
        from app import questionnaire as q
        from app.gui.editor import HouseholdEditor
        from app.gui.views.household import HouseholdPage
        from app.households import opened

        self._close_household()
        record, notice = opened(record)  # a draft of an older version: to the newest
        lang = self.session.settings.lang
        page = HouseholdPage(lang, self.session.areas, schema=q.schema_for(record))
        editor = HouseholdEditor(self.session, page.form)
        editor.paradataChanged.connect(page.show_paradata)
        editor.load(record, revision)
        page.show_state(notice)
        from app.gui.evidence import EvidenceController  # photos, signature, GPS point

        evidence = EvidenceController(self.session, page.form, page)
        evidence.show_attached()
        page.evidence = evidence
        page.show_family(record)
        page.saveRequested.connect(editor.save_now)
        page.finaliseRequested.connect(lambda: editor.finalise())
        page.closeRequested.connect(self._back_to_list)
        editor.saved.connect(lambda _: page.show_state(self.tr("Draft saved")))
        editor.saved.connect(lambda _: page.show_family(page.form.record()))
        editor.finalised.connect(lambda _: self._finalised())
        editor.needsAcknowledgement.connect(lambda result: self._acknowledge(editor, result))
        editor.blocked.connect(
            lambda result: page.show_state(
                self.tr("Not final yet: %n error(s) to fix", "", len(result.errors)), keep=True
            )
        )
        editor.failed.connect(lambda text: QMessageBox.warning(self, TITLE, text))
        self.household, self.editor = page, editor
        reviewing.attach(self.session, page, record["id"], lambda: self.household is page)
        self.stack.addWidget(page)
        self.stack.setCurrentWidget(page)
        page.form.focus_first()

    def _acknowledge(self, editor: HouseholdEditor, result) -> None:
        lang = self.session.settings.lang
        lines = "\n".join(
            f"• {w.message(lang)}" for w in result.unacknowledged(editor.form.record())
        )
        answer = QMessageBox.question(
            self,
            TITLE,
            self.tr("These warnings are still open:")
            + "\n\n"
            + lines
            + "\n\n"
            + self.tr("Finalise anyway?"),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        )
        if answer == QMessageBox.StandardButton.Yes:
            editor.finalise(acknowledge=True)

    def _finalised(self) -> None:
        if self.household:
            self.household.show_state(self.tr("Finalised: waiting to be sent"))
        self._back_to_list()

    def _back_to_list(self) -> None:
        self._close_household()
        self.stack.setCurrentWidget(self.workspace)
        self.workspace.table.setFocus()

    def _close_household(self) -> None:
        if self.household and self.household.form.members.dialog is not None:
            # A member being typed counts as typed: keep it (as a draft, errors and all).
            self.household.form.members.dialog.accept()
        if self.editor:
            editor = self.editor
            self._closing.add(editor)  # kept until its last save has answered
            editor.done.connect(lambda: self._closing.discard(editor))
            editor.close()  # what is typed is queued on the worker; the page can go
        if self.household:
            self.stack.removeWidget(self.household)
            self.household.deleteLater()
        self.household, self.editor = None, None

    # -- errors and exit -----------------------------------------------------------------------

    def _error(self, exc: BaseException) -> None:
        QMessageBox.warning(self, TITLE, _text(exc))

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt API
        if self.export_dialog is not None:
            self.export_dialog.close_now()  # the app would otherwise wait for the export
        self._close_household()
        event.accept()


def _text(exc: BaseException) -> str:
    return user_message(exc, app=True)
