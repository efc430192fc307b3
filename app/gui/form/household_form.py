"""The whole household: a list of sections on the left, one page per section on the right, and
above the pages a list of the rules' messages (clicking one goes to its question).

Pages are built once from the schema; loading a record or re-validating only sets values and
message texts, so a household with many members stays quick. Enter past the last question of a
page goes on to the next page, as Ctrl+PgDown does. `reserved` holds the Alt+letters of the
buttons around the form (Simpan, Finalkan ...): the questions' labels leave them alone. A
section whose x-relevant fails (e.g. the dwelling of a listed family not found) has its page
hidden and cleared. No database access here: the store worker runs the device-wide duplicate
checks when finalising.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app import questionnaire as q
from app import rules, visits
from app.gui.form import comments as shown_comments
from app.gui.form import issues as shown_issues
from app.gui.form.consent import GIVEN, ConsentSection
from app.gui.form.members import MembersView
from app.gui.form.section import HELP_STYLE, SectionView
from app.gui.form.text import ui
from app.gui.form.widgets import kind_of

VALIDATE_MS = 300
IDENTITY = ""  # page key of the root questions (no_kk, tanggal_kunjungan)
ISSUE_ROLE = Qt.ItemDataRole.UserRole


@dataclass
class Page:
    key: str  # IDENTITY, a group name ("rumah") or the roster name ("anggota")
    title: str
    view: SectionView | MembersView
    scroll: QScrollArea


class HouseholdForm(QWidget):
    changed = Signal()  # any answer changed (the controller debounces autosave)
    sectionChanged = Signal(int)  # the controller saves on section change too

    def __init__(
        self,
        lang: str = "id",
        assigned_areas: list[str] | None = None,
        today: date | None = None,
        parent: QWidget | None = None,
        reserved: str = "",
        schema: dict | None = None,
    ):
        """`schema`: the questionnaire version of the households it shows (the built-in one
        when None); a household of another version gets a form of its own."""
        super().__init__(parent)
        self.lang = lang
        self.reserved = reserved
        self.assigned_areas = list(assigned_areas or [])
        self.today = today
        self.result = rules.Result([])
        self._base: dict = {}  # id, schema_version, status, peringatan_diterima as loaded
        self._extra: dict = {}  # unknown top-level properties, kept for the rules to report
        self._final = False  # after check(final=True), live validation checks completeness too
        self._loading = False
        self._incoming: dict | None = None  # the record being loaded: the root meanwhile
        self._comment_counts: dict[int, int] = {}  # a supervisor's comments per page
        self._schema = schema or q.load_schema()
        self._props: dict = self._schema["properties"]
        # System fields (x-widget none: the record's frame, the earlier visits, paradata):
        # kept as loaded, no page, no widget.
        self._frame = [
            n
            for n, s in self._props.items()
            if s.get("x-widget") == "none"
            or (kind_of(s) == "none" and not (q.is_group(s) or q.is_roster(s)))
        ]
        self._conditions = {  # sections asked only sometimes (x-relevant on the group or roster)
            n: s["x-relevant"]
            for n, s in self._props.items()
            if (q.is_group(s) or q.is_roster(s)) and "x-relevant" in s
        }
        self._root_fields = [
            n
            for n, s in self._props.items()
            if not q.is_group(s) and not q.is_roster(s) and kind_of(s) != "none"
        ]

        self.section_list = QListWidget()
        self.section_list.setAccessibleName(ui("sections", lang))
        self.section_list.setWordWrap(True)
        self.section_list.setFixedWidth(240)
        self.stack = QStackedWidget()
        self.summary = QLabel()
        self.summary.setVisible(False)
        self.issue_list = QListWidget()
        self.issue_list.setAccessibleName(ui("issues", lang))
        self.issue_list.setMaximumHeight(130)
        self.issue_list.setVisible(False)
        self.issue_list.itemClicked.connect(self._issue_clicked)
        self.issue_list.itemActivated.connect(self._issue_activated)

        self.pages: list[Page] = []
        self._build_pages()

        right = QVBoxLayout()
        right.addWidget(self.summary)
        right.addWidget(self.issue_list)
        right.addWidget(self.stack, 1)
        layout = QHBoxLayout(self)
        layout.addWidget(self.section_list)
        layout.addLayout(right, 1)

        self.section_list.currentRowChanged.connect(self._section_selected)
        self.section_list.setCurrentRow(0)
        context = Qt.ShortcutContext.WidgetWithChildrenShortcut
        for keys, step in (("Ctrl+PgDown", 1), ("Ctrl+PgUp", -1)):
            QShortcut(
                QKeySequence(keys), self, context=context, activated=lambda s=step: self._step(s)
            )

        self._timer = QTimer(self, singleShot=True, interval=VALIDATE_MS)
        self._timer.timeout.connect(self.validate_now)

    # -- building ---------------------------------------------------------------------------

    def _build_pages(self) -> None:
        areas = self.assigned_areas
        reserved = self.reserved
        identity = SectionView(
            self._schema, (), self.lang, fields=self._root_fields, root=self._raw, reserved=reserved
        )
        self._add_page(IDENTITY, ui("identity", self.lang), identity, "")
        for name, spec in self._props.items():
            title = q.text_of(spec, "x-label", self.lang) or name
            help_text = q.text_of(spec, "x-help", self.lang)
            if q.is_roster(spec) and name == q.MEMBERS:
                members = MembersView(self.lang, spec=spec["items"])
                members.record = self.record
                members.checker = self._check_record
                self.members = members
                self._add_page(name, title, members, help_text)
            elif q.is_group(spec) and "x-notice" in spec:
                view: SectionView = ConsentSection(
                    spec, (name,), self.lang, areas=areas, root=self._raw, reserved=reserved
                )
                self._add_page(name, title, view, help_text)
            elif q.is_group(spec) and name not in self._frame:
                view = SectionView(
                    spec, (name,), self.lang, areas=areas, root=self._raw, reserved=reserved
                )
                self._add_page(name, title, view, help_text)

    def _add_page(self, key: str, title: str, view, help_text: str) -> None:
        page = QWidget()
        box = QVBoxLayout(page)
        heading = QLabel(title)
        font = heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setWeight(QFont.Weight.Bold)
        heading.setFont(font)
        heading.setWordWrap(True)
        box.addWidget(heading)
        if help_text:
            note = QLabel(help_text)
            note.setWordWrap(True)
            note.setStyleSheet(HELP_STYLE)
            box.addWidget(note)
        box.addWidget(view, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(page)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.stack.addWidget(scroll)
        self.section_list.addItem(QListWidgetItem(title))
        view.changed.connect(self._edited)
        if isinstance(view, SectionView):
            view.finished.connect(lambda v=view: self._finished(v))
        self.pages.append(Page(key, title, view, scroll))

    # -- sections ---------------------------------------------------------------------------

    def section_keys(self) -> list[str]:
        return [p.key for p in self.pages]

    def section(self, key: str) -> SectionView | MembersView:
        """The view of a section by key: "" (identity), "rumah", ..., "anggota"."""
        return self.pages[self.section_keys().index(key)].view

    def current_section(self) -> int:
        return self.stack.currentIndex()

    def set_section(self, i: int) -> None:
        if 0 <= i < len(self.pages) and i != self.section_list.currentRow():
            self.section_list.setCurrentRow(i)

    def _section_selected(self, i: int) -> None:
        if 0 <= i < len(self.pages):
            self.stack.setCurrentIndex(i)
            if not self._loading:
                self.sectionChanged.emit(i)

    def focus_first(self) -> None:
        """Show the first section with the focus on its first question (a new household)."""
        self.set_section(0)
        self._focus_page(0)

    def is_section_shown(self, key: str) -> bool:
        return not self.section_list.item(self.section_keys().index(key)).isHidden()

    def _step(self, step: int) -> None:
        i = self.current_section() + step
        while 0 <= i < len(self.pages) and self.section_list.item(i).isHidden():
            i += step
        if 0 <= i < len(self.pages):
            self.set_section(i)
        self._focus_page(self.current_section())

    def _finished(self, view: SectionView) -> None:
        """Enter past the last question of the page shown: the next page."""
        if self.pages[self.current_section()].view is view:
            self._step(1)

    def _focus_page(self, i: int, field: str | None = None) -> None:
        view = self.pages[i].view
        if isinstance(view, SectionView):
            view.focus_field(field)
        elif view.model.rowCount():
            view.table.setFocus()
        else:
            view.add_button.setFocus()

    # -- record -----------------------------------------------------------------------------

    def set_record(self, record: dict) -> None:
        """Fill every widget from a stored record. Does not emit `changed`.

        A household from the province's list comes without a visit date (the visit has not
        happened yet): the form shows today's, as it does for a household started on the
        laptop, and it is stored with the officer's first change. Opening alone saves
        nothing, so an untouched household stays untouched (app/store/assigned.py)."""
        self._timer.stop()
        record = self._visit_defaulted(record)
        self._loading = True
        # While the pages fill, skip logic sees the whole record being loaded, not the pages
        # filled so far: the KK on the first page depends on the verification section.
        self._incoming = record
        try:
            self._base = {k: record[k] for k in self._frame if k in record}
            self._extra = {k: v for k, v in record.items() if k not in self._props}
            for page in self.pages:
                if page.key == IDENTITY and isinstance(page.view, SectionView):
                    page.view.set_values(record)
                elif isinstance(page.view, MembersView):
                    page.view.set_rows(record.get(page.key))
                else:
                    page.view.set_values(record.get(page.key))
            self._incoming = None
            self._refresh_sections()
            for page in self.pages:  # conditions on other sections see the whole record now
                if isinstance(page.view, SectionView):
                    page.view.refresh()
            self.set_section(0)  # no sectionChanged: nothing to save yet
        finally:
            self._loading = False
            self._incoming = None
        self._final = record.get("status") == "final"
        self.show_result(rules.Result([]))
        self._timer.start()

    def _visit_defaulted(self, record: dict) -> dict:
        listed = (record.get("verifikasi") or {}).get("sumber") == 1
        if listed and record.get("status") != "final" and q.is_empty(record.get(q.VISIT_DATE)):
            return {**record, q.VISIT_DATE: (self.today or date.today()).isoformat()}
        return record

    def _refresh_sections(self) -> None:
        """Show or hide the pages of sections with x-relevant; a hidden one is cleared, as
        prune() would, and clearing can hide another: repeat until stable."""
        for _ in range(len(self._conditions) + 1):
            raw, cleared = self._raw(), False
            for i, page in enumerate(self.pages):
                cond = self._conditions.get(page.key)
                if cond is None:
                    continue
                shown = q.evaluate(cond, raw, raw)
                self.section_list.item(i).setHidden(not shown)
                if shown:
                    continue
                if isinstance(page.view, MembersView) and page.view.rows():
                    page.view.set_rows(None)  # e.g. a refusal of a family not on the list
                    cleared = True
                elif isinstance(page.view, SectionView) and page.view.values():
                    page.view.set_values(None)
                    cleared = True
            if not cleared:
                return

    def _raw(self) -> dict:
        """The answers as they stand, before pruning: the root for skip-logic conditions."""
        if self._incoming is not None:
            return self._incoming
        rec = dict(self._base)
        for page in self.pages:
            if page.key == IDENTITY and isinstance(page.view, SectionView):
                rec.update(page.view.values())
            elif isinstance(page.view, MembersView):
                rows = page.view.model._rows
                if rows:
                    rec[page.key] = rows
            else:
                values = page.view.values()
                if values:
                    rec[page.key] = values
        rec.update(self._extra)
        return rec

    def record(self) -> dict:
        """The household as the officer left it: frame fields as loaded, answers from the
        widgets in schema order, hidden answers removed, empty sections left out."""
        raw = self._raw()
        ordered = {k: raw[k] for k in self._props if k in raw}
        ordered.update({k: v for k, v in raw.items() if k not in ordered})
        return q.prune(ordered)

    # -- validation -------------------------------------------------------------------------

    def context(self) -> rules.Context:
        return rules.Context(
            household_id=self._base.get("id"),
            assigned_areas=list(self.assigned_areas),
            today=self.today or date.today(),
        )

    def _check_record(self, record: dict) -> rules.Result:
        return rules.check(record, self.context(), final=self._final)

    def check(self, final: bool = True) -> rules.Result:
        """Run the rules on the current record and show every message. After a final check,
        live validation keeps checking completeness so messages go away as they are fixed."""
        self._timer.stop()
        self._final = final
        result = rules.check(self.record(), self.context(), final=final)
        self.show_result(result)
        return result

    def validate_now(self) -> rules.Result:
        return self.check(self._final)

    def _edited(self, *_args) -> None:
        if self._loading:
            return
        sender = self.sender()
        if self._consent_refused(sender):
            return  # the outcome's own edit has refreshed everything
        self._refresh_sections()
        for page in self.pages:  # questions that depend on other sections
            if (
                isinstance(page.view, SectionView)
                and page.view is not sender
                and page.view._needs_root
            ):
                page.view.refresh()
        self.changed.emit()
        self._timer.start()

    def _consent_refused(self, sender: object) -> bool:
        """Consent "no" is a refusal: the visit outcome becomes Refused, which hides consent and
        every question that needs it, and the household can be finalised as a refused visit
        (rather than an error that blocks finalising). Back on the first page, at the outcome."""
        if not isinstance(sender, ConsentSection) or GIVEN not in sender.rows:
            return False
        identity = self.section(IDENTITY)
        if not isinstance(identity, SectionView) or q.OUTCOME not in identity.rows:
            return False
        if sender.editor(GIVEN).value() is not False:
            return False
        identity.set_field(q.OUTCOME, visits.REFUSED)
        self.set_section(0)
        identity.focus_field(q.OUTCOME)
        return True

    def show_final_result(self, result: rules.Result) -> None:
        """A refused Finalise's messages (checked on the worker): shown, and from now on live
        validation checks completeness too, so they go away only as they are fixed (a pending
        draft check would otherwise wipe them)."""
        self._timer.stop()
        self._final = True
        self.show_result(result)

    def show_result(self, result: rules.Result) -> None:
        self.result = result
        per_page: dict[int, list[rules.Issue]] = {}
        for issue in result.issues:
            at = self.page_of(issue)
            if at is not None:
                per_page.setdefault(at, []).append(issue)
        for i, page in enumerate(self.pages):
            mine = per_page.get(i, [])
            page.view.show_issues(mine)
            item = self.section_list.item(i)
            commented = self._comment_counts.get(i, 0)
            lines = [page.title]
            if mine:
                lines.append(shown_issues.summary(mine, self.lang))
            if commented:
                lines.append(shown_comments.count_text(commented))
            text = "\n".join(lines)
            if item.text() != text:
                item.setText(text)
                errors, _ = shown_issues.counts(mine)
                colour = shown_issues.ERROR_COLOUR if errors else shown_issues.WARNING_COLOUR
                if not mine and commented:
                    colour = shown_comments.COLOUR
                item.setForeground(
                    QColor(colour) if mine or commented else self.palette().text().color()
                )
        self._show_summary(result)

    def _show_summary(self, result: rules.Result) -> None:
        self.issue_list.setUpdatesEnabled(False)
        self.issue_list.clear()
        for n, issue in enumerate(result.issues):
            item = QListWidgetItem(shown_issues.line(issue, self.lang))
            item.setForeground(QColor(shown_issues.colour(issue)))
            item.setData(ISSUE_ROLE, n)
            self.issue_list.addItem(item)
        self.issue_list.setUpdatesEnabled(True)
        self.summary.setText(shown_issues.summary(result.issues, self.lang))
        self.summary.setVisible(bool(result.issues))
        self.issue_list.setVisible(bool(result.issues))

    def page_of(self, issue: rules.Issue) -> int | None:
        if not issue.path:
            return None
        head = issue.path[0]
        key = IDENTITY if head in self._root_fields else head
        keys = self.section_keys()
        return keys.index(key) if key in keys else None

    def _issue_at(self, item: QListWidgetItem) -> rules.Issue | None:
        n = item.data(ISSUE_ROLE)
        return self.result.issues[n] if isinstance(n, int) and n < len(self.result.issues) else None

    def _issue_clicked(self, item: QListWidgetItem) -> None:
        """Go to the issue's section and question (or member row)."""
        issue = self._issue_at(item)
        if issue is not None:
            self.go_to(tuple(issue.path))

    def _issue_activated(self, item: QListWidgetItem) -> None:
        """Enter or double-click on a member's issue opens that member at the question."""
        issue = self._issue_at(item)
        if issue is not None:
            self.go_to(tuple(issue.path), open_member=True)

    def go_to(self, path: tuple, open_member: bool = False) -> bool:
        """Show the question at `path` (a rules issue's or a supervisor's comment's) with the
        focus on it; a member's: that member's row, or (`open_member`) the member's dialog at
        the question. False when the path is nowhere in the form."""
        at = self._page_at(path)
        if at is None:
            return False
        self.set_section(at)
        view = self.pages[at].view
        if isinstance(view, MembersView):
            member = path[1] if len(path) > 1 and isinstance(path[1], int) else None
            if member is None:
                self._focus_page(at)
            elif open_member:
                field = path[2] if len(path) > 2 and isinstance(path[2], str) else None
                view.select(member)
                view.edit(member, field)
            else:
                view.select(member)
        else:
            n = len(view.prefix)
            field = path[n] if len(path) > n and isinstance(path[n], str) else None
            view.focus_field(field)
        return True

    def _page_at(self, path: tuple) -> int | None:
        if not path:
            return None
        key = IDENTITY if path[0] in self._root_fields else path[0]
        keys = self.section_keys()
        return keys.index(key) if key in keys else None

    # -- a supervisor's comments ----------------------------------------------------------------

    def show_comments(self, comments: list[tuple[tuple, str]]) -> None:
        """Each (path, text) beside its question: under a question of a page, on a member's
        row and in the member's dialog; counted in the list of sections. Replaces earlier ones."""
        per_page: dict[int, dict] = {}
        counts: dict[int, int] = {}
        for path, text in comments:
            at = self._page_at(path)
            if at is None:
                continue
            view = self.pages[at].view
            if isinstance(view, MembersView):
                member = path[1] if len(path) > 1 and isinstance(path[1], int) else None
                if member is None:
                    continue
                field = path[2] if len(path) > 2 and isinstance(path[2], str) else None
                per = per_page.setdefault(at, {}).setdefault(member, {})
                per.setdefault(field, []).append(text)
            else:
                n = len(view.prefix)
                field = path[n] if len(path) > n and isinstance(path[n], str) else None
                if field not in view.rows:
                    continue
                per_page.setdefault(at, {}).setdefault(field, []).append(text)
            counts[at] = counts.get(at, 0) + 1
        for i, page in enumerate(self.pages):
            page.view.show_comments(per_page.get(i, {}))
        self._comment_counts = counts
        self.show_result(self.result)  # the list of sections counts them
