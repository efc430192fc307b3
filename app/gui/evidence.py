"""Evidence in the household form (docs/evidence.md), the controller behind the attachment
editors and the GPS buttons: choose a photo by its thumbnail, draw a signature, take a point
from the dwelling photo or the laptop. Preparing and storing run as operations on the store
worker (app/evidence.py re-encodes, app/store/attachments.py seals); the GUI thread only shows.
Answers that come after a lock, or after the page closed, are dropped."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QBuffer, QIODevice, QObject, QStandardPaths
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QDialog, QMessageBox, QWidget

from app import questionnaire as q
from app.errors import user_message
from app.gui.form.attachment import AttachmentEditor
from app.gui.form.location import GpsEditor
from app.gui.form.section import SectionView
from app.gui.form.text import ui
from app.gui.session import Session
from app.gui.worker import WorkerState
from app.i18n import tr

DWELLING_PHOTO = "foto_rumah"  # its GPS point can be the dwelling's location
CONSENT = "persetujuan"


def _kb(size: int) -> int:
    return max(1, round(size / 1024))


def _when(taken_at: str | None) -> str | None:
    """DD-MM-YYYY HH:MM of an ISO time, as the officer reads dates."""
    if not taken_at or len(taken_at) < 16:
        return None
    day = taken_at[:10].split("-")
    return f"{day[2]}-{day[1]}-{day[0]} {taken_at[11:16]}" if len(day) == 3 else None


def notice_version() -> str:
    """The version of the privacy notice read before the signature."""
    return q.load_schema()["properties"][CONSENT]["x-notice"]["version"]


class EvidenceController(QObject):
    def __init__(self, session: Session, form, page: QWidget):
        super().__init__(page)
        self.session, self.form, self.page = session, form, page
        self.closed = False
        page.destroyed.connect(self._close)
        self.editors: dict[str, AttachmentEditor] = {}
        self.gps: GpsEditor | None = None
        for view in (p.view for p in form.pages):
            if not isinstance(view, SectionView):
                continue
            for name, row in view.rows.items():
                if isinstance(row.editor, AttachmentEditor):
                    self.editors[name] = row.editor
                    row.editor.requested.connect(lambda action, n=name: self._requested(n, action))
                elif isinstance(row.editor, GpsEditor):
                    self.gps = row.editor
                    row.editor.locate.connect(self._locate)
        self.folder = QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.PicturesLocation
        )
        self._source = None  # the position source while it looks for a fix
        self.show_cameras()

    def show_cameras(self) -> None:
        """The photo editors' camera button, enabled where the system offers a camera. Asked
        once per form: no QMediaDevices watcher per page (one was made and destroyed with each
        form, and a worker of the GUI tests crashed at shutdown once after it came in); a
        camera plugged in later is offered when the form opens again."""
        from app.gui.views.camera import cameras

        available = bool(cameras())
        for editor in self.editors.values():
            editor.set_camera(available)

    def _close(self) -> None:
        self.closed = True
        if self._source is not None:
            self._source.stopUpdates()

    # -- plumbing -----------------------------------------------------------------------------

    def _household(self) -> str:
        return self.form.record()["id"]

    def _submit(
        self, fn: Callable[[WorkerState], object], on_done, on_error=None, on_closed=None
    ) -> None:
        """fn on the worker; on_done or on_error on the GUI thread while this page is open.
        on_closed(result) instead when the page closed meanwhile (same unlock)."""
        generation = self.session.generation

        def current(callback, after_close=None):
            def call(*args):
                if self.session.generation != generation or not self.session.is_unlocked:
                    return
                if not self.closed:
                    callback(*args)
                elif after_close is not None:
                    after_close(*args)

            return call

        done = current(on_done, on_closed)
        self.session.worker.submit(fn, done, current(on_error or self._failed))

    def _forget_unused(self, result: tuple) -> None:
        """A photo or signature stored after its page closed: the form never named it, so no
        record will; it goes now (after a lock, the next unlock's sweep takes it if its
        household was never saved)."""
        attachment_id = result[0]

        def fn(state: WorkerState) -> bool:
            from app.store import attachments

            return attachments.delete(state.store, attachment_id)

        self.session.worker.submit(fn, lambda _r: None, lambda _e: None)

    def _failed(self, exc: BaseException) -> None:
        QMessageBox.warning(self.page, "KHBS Enroll", user_message(exc))

    # -- loading ------------------------------------------------------------------------------

    def show_attached(self) -> None:
        """Thumbnails of what the record has attached (after the form is filled)."""
        wanted = {n: str(e.value()) for n, e in self.editors.items() if e.value()}
        if not wanted:
            return

        def fn(state: WorkerState) -> dict:
            from app.store import attachments

            found = {}
            for name, aid in wanted.items():
                row = attachments.get(state.store, aid)
                if row is not None:
                    info = attachments.info(state.store, aid)
                    thumb = attachments.thumbnail(state.store, aid)
                    found[name] = (thumb, row.size, info.get("taken_at"))
            return found

        def done(found: dict) -> None:
            for name, (thumb, size, taken_at) in found.items():
                self._show(name, thumb, size, taken_at)

        self._submit(fn, done)

    def _show(self, name: str, thumbnail: bytes, size: int, taken_at: str | None) -> None:
        when = _when(taken_at)
        text = (
            ui("attachment_kept_at", kb=_kb(size), when=when)
            if when
            else ui("attachment_kept", kb=_kb(size))
        )
        self.editors[name].show_attachment(thumbnail, text)

    # -- attaching ----------------------------------------------------------------------------

    def _requested(self, name: str, action: str) -> None:
        editor = self.editors[name]
        if action == "remove":
            self._remove(editor.value())
            editor.attach(None)
        elif editor.kind == "signature":
            self._sign(name)
        elif action == "camera":
            self._take(name)
        else:
            self._pick(name)

    def _remove(self, attachment_id: object) -> None:
        if not isinstance(attachment_id, str):
            return

        def fn(state: WorkerState) -> bool:
            from app.store import attachments

            return attachments.delete(state.store, attachment_id)

        self._submit(fn, lambda _r: None)

    def _pick(self, name: str) -> None:
        picker = self.picker()
        chosen = picker.chosen() if picker.exec() == QDialog.DialogCode.Accepted else None
        if chosen:
            self.folder = str(Path(chosen).parent)
            self.add_photo(name, chosen)

    def picker(self):
        """The photo picker on the last folder, its thumbnails being read (not yet shown)."""
        from app.gui.views.photo_picker import PhotoPicker

        picker = PhotoPicker(self.folder, self.page)
        picker.folderChosen.connect(lambda folder: self._read_folder(picker, folder))
        self._read_folder(picker, self.folder)
        return picker

    def _read_folder(self, picker, folder: str) -> None:
        picker.show_folder(folder)

        def fn(state: WorkerState) -> list:
            from app import evidence

            files = evidence.photos_in(folder)
            found = []
            for i, path in enumerate(files):
                found.append((path, evidence.file_thumbnail(path)))
                state.progress(i + 1, len(files))
            return found

        def done(found: list) -> None:
            for path, thumb in found:
                picker.add_thumbnail(path, thumb)
            picker.finished_reading(len(found))

        self._submit(fn, done)

    def _take(self, name: str) -> None:
        from app.gui.views.camera import CameraDialog, cameras

        found = cameras()
        if not found:
            self.show_cameras()
            return
        dialog = CameraDialog(found[0], self.page)
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.image is not None:
            self.add_frame(name, dialog.image, dialog.taken_at)
        dialog.deleteLater()

    def add_photo(self, name: str, path: str) -> None:
        """Re-encode, strip and seal the photo at `path` on the worker, then attach it."""
        self._add_photo(name, lambda: Path(path).read_bytes())

    def add_frame(self, name: str, image: QImage, taken_at: str | None) -> None:
        """A frame from the camera, through the same preparation as a photo file. It goes to
        the worker as pixels in memory (BMP: no compression to wait for, no metadata) and
        comes out re-encoded like any photo; nothing is written to disk."""

        def read() -> bytes:
            buffer = QBuffer()
            buffer.open(QIODevice.OpenModeFlag.WriteOnly)
            image.convertToFormat(QImage.Format.Format_RGB888).save(buffer, "BMP")
            return bytes(buffer.data().data())

        self._add_photo(name, read, taken_at)

    def _add_photo(self, name: str, read: Callable[[], bytes], taken_at: str | None = None) -> None:
        household, old = self._household(), self.editors[name].value()
        self.editors[name].show_attachment(None, ui("attachment_busy"))

        def fn(state: WorkerState) -> tuple:
            from dataclasses import replace

            from app import evidence
            from app.store import attachments

            prepared = evidence.prepare_photo(read())
            if taken_at and not prepared.taken_at:  # the camera's frame: taken just now
                prepared = replace(prepared, taken_at=taken_at)
            found = attachments.add(
                state.store,
                household,
                "photo",
                prepared.content,
                prepared.thumbnail,
                prepared.info(field=name),
            )
            point = prepared.position.answer() if prepared.position else None
            return found.id, prepared.thumbnail, found.size, prepared.taken_at, point

        def done(result: tuple) -> None:
            aid, thumb, size, taken_at, point = result
            self._attached(name, aid, old)
            self._show(name, thumb, size, taken_at)
            if name == DWELLING_PHOTO and point and self.gps and not self.gps.value():
                self.gps.set_position(point)  # the photo's point, as taken in front of the house

        def failed(exc: BaseException) -> None:
            self.editors[name].set_value(old)
            self._failed(exc)
            self.show_attached()

        self._submit(fn, done, failed, self._forget_unused)

    def _attached(self, name: str, attachment_id: str, old: object) -> None:
        self.editors[name].attach(attachment_id)
        self._remove(old)  # the one it replaces

    def _sign(self, name: str) -> None:
        from app.gui.views.signature import SignatureDialog

        notice = notice_version()
        dialog = SignatureDialog(notice, self.page)
        answer = dialog.exec()
        if answer == SignatureDialog.CANNOT:
            QMessageBox.information(
                self.page,
                "KHBS Enroll",
                self.tr("Attach a photo of the thumbprint, or write a witness's name."),
            )
            return
        if answer != QDialog.DialogCode.Accepted:
            return
        self.add_signature(name, dialog.pad.png(), notice)

    def add_signature(self, name: str, png: bytes, notice_version: str) -> None:
        household, old = self._household(), self.editors[name].value()

        def fn(state: WorkerState) -> tuple:
            from app import evidence
            from app.store import attachments

            prepared = evidence.prepare_signature(png)
            info = prepared.info(field=name, notice_version=notice_version)
            found = attachments.add(
                state.store, household, "signature", prepared.content, prepared.thumbnail, info
            )
            return found.id, prepared.thumbnail, found.size

        def done(result: tuple) -> None:
            aid, thumb, size = result
            self._attached(name, aid, old)
            self._show(name, thumb, size, None)

        self._submit(fn, done, None, self._forget_unused)

    # -- location -----------------------------------------------------------------------------

    def _locate(self, how: str) -> None:
        if self.gps is None:
            return
        if how == "photo":
            self._point_from_photo(self.gps)
        else:
            self._point_from_device(self.gps)

    def _point_from_photo(self, gps: GpsEditor) -> None:
        photo = self.editors.get(DWELLING_PHOTO)
        aid = photo.value() if photo is not None else None
        if not isinstance(aid, str):
            gps.show_note(tr("evidence.no_position"))
            return

        def fn(state: WorkerState) -> dict | None:
            from app.evidence import Position
            from app.store import attachments

            found = attachments.info(state.store, aid).get("position")
            return Position(**found).answer() if found else None

        def done(point: dict | None) -> None:
            if point:
                gps.set_position(point)
            else:
                gps.show_note(tr("evidence.no_position"))

        self._submit(fn, done)

    def _point_from_device(self, gps: GpsEditor) -> None:
        from app import positioning

        source = positioning.qt_source(self) if positioning.qt_available() else None
        if source is None:
            gps.show_note(tr("evidence.no_device"))
            return
        self._source = source
        gps.show_note(ui("gps_waiting"))

        def got(info) -> None:
            position = positioning.from_qt(info)
            if position is not None and not self.closed:
                gps.set_position(position.answer())

        source.positionUpdated.connect(got)
        source.errorOccurred.connect(lambda _e: gps.show_note(tr("evidence.no_device")))
        source.requestUpdate(30000)
