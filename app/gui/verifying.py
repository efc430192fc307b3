"""Opening a listed household the province changed after the officer started (controller, no
layout): the answers that differ first (views/province_change.py), the officer's choice saved
(app/store/assigned.resolve), then the form with the merged record."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt

if TYPE_CHECKING:
    from app.gui.session import Session
    from app.gui.views.province_change import ProvinceChangeDialog

Edit = Callable[[dict, int], None]  # opens the form: (record, revision)


class ProvinceChangeController:
    def __init__(self, session: Session, parent, on_error: Callable[[BaseException], None]) -> None:
        self.session, self.parent, self.on_error = session, parent, on_error
        self.dialog: ProvinceChangeDialog | None = None

    def open(self, household_id: str, edit: Edit) -> None:
        """The dialog when a province version waits, else straight to the form."""
        if self.dialog is not None:
            return
        self.session.province_change(
            household_id, lambda found: self._got(household_id, found, edit), self.on_error
        )

    def _got(self, household_id: str, found: tuple | None, edit: Edit) -> None:
        from app.gui.views.province_change import ProvinceChangeDialog
        from app.verification import changed_by_province, diff, merge

        if found is None:  # resolved meanwhile: nothing to choose
            self.session.open_household(household_id, lambda r: edit(*r), self.on_error)
            return
        mine, revision, theirs, province_revision, origin = found
        # Only what the province changed since the version the officer started from: the
        # answers the officer added (the whole visit) are not the province's to overwrite.
        differences = changed_by_province(diff(mine, theirs), origin, theirs)
        generation = self.session.generation

        def save(choices: dict) -> None:
            merged = merge(mine, theirs, choices)
            self.session.resolve_province_change(
                household_id,
                merged,
                revision,
                province_revision,
                on_done=lambda r: self._opened(generation, edit, r),
                on_error=self.on_error,
            )

        if not differences:  # the province's version says what the officer's does
            save({})
            return
        dialog = ProvinceChangeDialog(differences, self.session.settings.lang, self.parent)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.accepted.connect(lambda: save(dialog.choices()))
        dialog.finished.connect(lambda _r: self._closed(dialog))
        dialog.show()

    def _opened(self, generation: int, edit: Edit, result: object) -> None:
        if self.session.generation == generation and self.session.is_unlocked:
            edit(*result)  # type: ignore[misc]

    def _closed(self, dialog) -> None:
        if self.dialog is dialog:
            self.dialog = None

    def close(self) -> None:
        """On lock: the dialog shows personal data; nothing is saved."""
        if self.dialog is not None:
            self.dialog.reject()
