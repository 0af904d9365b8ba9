"""审计日志: the audit log in a window (docs/security.md). The 账户 menu calls the two entry points:

- ``open_audit_view(window)``: opens (or raises: one per main window) the non-modal 审计日志 window over
  app.audit.log.page_entries — newest first, filters (date range, 操作人, 操作类别, a student, free text),
  pages of 200 read on the archive worker as the table scrolls (keyset paging on id: the window stays
  responsive on a million entries, the whole log is never loaded), 校验 (app.audit.log.verify in the
  background), 打印查阅登记簿…, 导出 CSV. The table model is ui.audit.audit_model.
- ``print_access_register(window)`` (ui.audit.access_register, reachable here too): asks for the period (default:
  this semester) and opens the register's PDF in the print preview; printing or saving it writes the final PDF
  and records the print.

Both need ``session.can("audit")`` (registrar, approver); otherwise the Forbidden message is shown.
"""
from __future__ import annotations

import os

from PySide6.QtCore import QDate, Qt, QTimer, Signal
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDateEdit, QDialog, QFileDialog, QHBoxLayout,
                               QHeaderView, QLabel, QLineEdit, QPushButton, QTableView, QVBoxLayout)

from ui.audit.access_register import allowed, print_access_register
from ui.audit.audit_model import AuditModel, entry_cells
from ui.common import messages
from ui.common.i18n import tr
from ui.common.workers import run_job, run_with_progress

FILTER_DELAY_MS = 300  # typing in a filter box waits this long before the log is read again
NO_DATE = QDate(2000, 1, 1)  # a date edit at its minimum shows 不限


def open_audit_view(window):
    """Open the 审计日志 window of ``window`` (a main window with ``.session``), or raise the open one."""
    if not allowed(window):
        return None
    return window.dialogs.open("audit", lambda: AuditView(window.session, window))


# ---------------------------------------------------------------------- the window
class AuditView(QDialog):
    """``AuditView(session, parent)``: the log with its filters; non-modal."""

    loaded = Signal()     # a page arrived (tests wait for it)
    verified = Signal(object)  # the VerifyReport of 校验

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.main_window = parent
        self.setWindowTitle(tr("auditui.title"))
        self.setModal(False)
        self.setSizeGripEnabled(True)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        self.job = None
        self.generation = 0
        self.next_before: int | None = None
        self.student_ids: list[int] | None = None
        self.last_report = None
        self._build()
        self.resize(1180, 640)
        self.reload()        # the first page first: the 操作人 list (a scan of the whole log) queues behind it
        self._load_actors()

    # ------------------------------------------------------------------ layout
    def _date_edit(self, name: str) -> QDateEdit:
        d = QDateEdit()
        d.setObjectName(name)
        d.setCalendarPopup(True)
        d.setDisplayFormat("yyyy-MM-dd")
        d.setMinimumDate(NO_DATE)
        d.setSpecialValueText(tr("auditui.any_date"))
        d.setDate(NO_DATE)
        d.dateChanged.connect(lambda _d: self.reload())
        return d

    def _build(self) -> None:
        from app.audit import log as audit

        lay = QVBoxLayout(self)
        row1 = QHBoxLayout()
        self.since_edit = self._date_edit("audit_since")
        self.until_edit = self._date_edit("audit_until")
        row1.addWidget(QLabel(tr("auditui.since")))
        row1.addWidget(self.since_edit)
        row1.addWidget(QLabel(tr("auditui.until")))
        row1.addWidget(self.until_edit)
        row1.addSpacing(12)
        row1.addWidget(QLabel(tr("auditui.actor")))
        self.actor_combo = QComboBox()
        self.actor_combo.setObjectName("audit_actor")
        self.actor_combo.setMinimumContentsLength(10)
        self.actor_combo.addItem(tr("auditui.all"), None)
        self.actor_combo.currentIndexChanged.connect(lambda _i: self.reload())
        row1.addWidget(self.actor_combo)
        row1.addSpacing(12)
        row1.addWidget(QLabel(tr("auditui.category")))
        self.category_combo = QComboBox()
        self.category_combo.setObjectName("audit_category")
        self.category_combo.addItem(tr("auditui.all"), None)
        for code in audit.CATEGORIES:
            self.category_combo.addItem(audit.CATEGORY_NAMES[code], code)
        self.category_combo.currentIndexChanged.connect(lambda _i: self.reload())
        row1.addWidget(self.category_combo)
        row1.addStretch(1)
        lay.addLayout(row1)

        row2 = QHBoxLayout()
        row2.addWidget(QLabel(tr("auditui.student_filter")))
        self.student_edit = QLineEdit()
        self.student_edit.setObjectName("audit_student")
        self.student_edit.setPlaceholderText(tr("auditui.student_placeholder"))
        self.student_edit.setClearButtonEnabled(True)
        row2.addWidget(self.student_edit, 1)
        row2.addSpacing(12)
        row2.addWidget(QLabel(tr("auditui.text")))
        self.text_edit = QLineEdit()
        self.text_edit.setObjectName("audit_text")
        self.text_edit.setPlaceholderText(tr("auditui.text_placeholder"))
        self.text_edit.setClearButtonEnabled(True)
        row2.addWidget(self.text_edit, 2)
        self.clear_button = QPushButton(tr("auditui.clear_filters"))
        self.clear_button.setAutoDefault(False)
        self.clear_button.clicked.connect(self.clear_filters)
        row2.addWidget(self.clear_button)
        lay.addLayout(row2)
        self._typing = QTimer(self)
        self._typing.setSingleShot(True)
        self._typing.setInterval(FILTER_DELAY_MS)
        self._typing.timeout.connect(self.reload)
        for e in (self.student_edit, self.text_edit):
            e.textChanged.connect(lambda _t: self._typing.start())
            e.returnPressed.connect(self.reload)

        self.model = AuditModel(self)
        self.table = QTableView()
        self.table.setObjectName("audit_table")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setStretchLastSection(True)
        for c, w in enumerate((150, 90, 160, 90, 190)):
            self.table.setColumnWidth(c, w)
        self.table.doubleClicked.connect(lambda idx: self.open_row(idx.row()))
        lay.addWidget(self.table, 1)

        self.verify_label = QLabel()
        self.verify_label.setObjectName("audit_verify_result")
        self.verify_label.setWordWrap(True)
        self.verify_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.verify_label.hide()
        lay.addWidget(self.verify_label)

        bottom = QHBoxLayout()
        self.status = QLabel()
        self.status.setObjectName("audit_status")
        bottom.addWidget(self.status, 1)
        self.verify_button = QPushButton(tr("auditui.verify"))
        self.verify_button.setToolTip(tr("auditui.verify_tip"))
        self.verify_button.clicked.connect(self.verify)
        self.register_button = QPushButton(tr("auditui.print_register"))
        self.register_button.clicked.connect(lambda: print_access_register(self))
        self.export_button = QPushButton(tr("auditui.export"))
        self.export_button.setToolTip(tr("auditui.export_tip"))
        self.export_button.clicked.connect(lambda: self.export_csv())
        close = QPushButton(tr("common.close"))
        close.clicked.connect(self.close)
        for b in (self.verify_button, self.register_button, self.export_button, close):
            b.setAutoDefault(False)
            bottom.addWidget(b)
        lay.addLayout(bottom)

    # ------------------------------------------------------------------ filters
    def filters(self) -> dict:
        """The filters as app.audit.log.page_entries keywords (the student text is resolved in the job)."""
        since = self.since_edit.date()
        until = self.until_edit.date()
        return {"since": None if since == NO_DATE else since.toString("yyyy-MM-dd"),
                "until": None if until == NO_DATE else until.toString("yyyy-MM-dd"),
                "actor": self.actor_combo.currentData(), "category": self.category_combo.currentData(),
                "text": self.text_edit.text().strip() or None}

    def clear_filters(self) -> None:
        widgets = (self.since_edit, self.until_edit, self.actor_combo, self.category_combo, self.student_edit,
                   self.text_edit)
        for w in widgets:
            w.blockSignals(True)
        self.since_edit.setDate(NO_DATE)
        self.until_edit.setDate(NO_DATE)
        self.actor_combo.setCurrentIndex(0)
        self.category_combo.setCurrentIndex(0)
        self.student_edit.clear()
        self.text_edit.clear()
        for w in widgets:
            w.blockSignals(False)
        self.reload()

    def set_filters(self, *, since=None, until=None, actor=..., category=..., student=None, text=None) -> None:
        """Set several filters at once and read the log once (tests and other windows)."""
        widgets = (self.since_edit, self.until_edit, self.actor_combo, self.category_combo, self.student_edit,
                   self.text_edit)
        for w in widgets:
            w.blockSignals(True)
        if since is not None:
            self.since_edit.setDate(QDate.fromString(str(since), "yyyy-MM-dd"))
        if until is not None:
            self.until_edit.setDate(QDate.fromString(str(until), "yyyy-MM-dd"))
        if actor is not ...:
            i = self.actor_combo.findData(actor)
            if i < 0:
                self.actor_combo.addItem(actor, actor)
                i = self.actor_combo.count() - 1
            self.actor_combo.setCurrentIndex(i)
        if category is not ...:
            self.category_combo.setCurrentIndex(max(0, self.category_combo.findData(category)))
        if student is not None:
            self.student_edit.setText(student)
        if text is not None:
            self.text_edit.setText(text)
        for w in widgets:
            w.blockSignals(False)
        self._typing.stop()
        self.reload()

    def _load_actors(self) -> None:
        """The 操作人 list (one grouped scan of the log, on the worker)."""
        from app.audit import log as audit

        def done(actors):
            try:
                combo = self.actor_combo
                current = combo.currentData()
            except RuntimeError:  # the window was closed meanwhile
                return
            combo.blockSignals(True)
            for name, n in actors:
                if combo.findData(name) < 0:
                    combo.addItem(tr("auditui.actor_item", actor=name or tr("auditui.no_actor"), count=n), name)
            combo.setCurrentIndex(max(0, combo.findData(current)))
            combo.blockSignals(False)

        self._actors_job = run_job(lambda progress, cancel: audit.actors(self.session), on_done=done,
                                   on_error=lambda _e: None)

    # ------------------------------------------------------------------ reading
    def reload(self) -> None:
        """Read the log again from the newest entry with the current filters."""
        self._typing.stop()
        self.generation += 1
        if self.job is not None and not self.job.delivered:
            self.job.cancel()
        self.model.reset()
        self.next_before = None
        self._fetch(first=True)

    def load_more(self) -> None:
        if self.next_before is not None and not self.model.loading:
            self._fetch(first=False)

    def _fetch(self, *, first: bool) -> None:
        from app.audit import log as audit
        from app.students import service as ss

        gen = self.generation
        f = self.filters()
        student_text = self.student_edit.text().strip()
        before = None if first else self.next_before
        known_ids = None if first else self.student_ids

        def fn(progress, cancel):
            ids = known_ids
            if first and student_text:
                ids = ss.search_ids(self.session, student_text, limit=500)
            entries, nxt = audit.page_entries(self.session, before=before, student_ids=ids, cancel=cancel, **f)
            return ids, [entry_cells(e) for e in entries], nxt, audit.total(self.session)

        self.model.loading = True
        self.status.setText(tr("auditui.loading"))
        self.job = run_job(fn, on_done=lambda res: self._loaded(gen, res), on_error=lambda err: self._failed(gen, err))

    def _loaded(self, gen: int, res) -> None:
        if gen != self.generation:
            return  # a reply to filters changed meanwhile
        ids, entries, nxt, total = res
        self.student_ids = ids
        self.model.loading = False
        self.next_before = nxt
        self.model.more = nxt is not None
        self.model.append(entries)
        n = self.model.rowCount()
        if ids is not None and not ids:
            text = tr("auditui.no_student")
        elif n == 0:
            text = tr("auditui.none")
        else:
            text = tr("auditui.shown", count=n, total=total)
            if self.model.more:
                text += tr("auditui.more")
        self.status.setText(text)
        self.loaded.emit()
        # a page that does not fill the view asks for the next one itself (the view fetches on scroll only)
        if self.model.more and self.table.verticalScrollBar().maximum() == 0:
            QTimer.singleShot(0, self.load_more)

    def _failed(self, gen: int, err) -> None:
        if gen != self.generation:
            return
        self.model.loading = False
        findings = getattr(err.error, "findings", None)
        self.status.setText(messages.findings_text(findings) if findings else str(err.error))
        self.loaded.emit()

    def entry(self, row: int) -> dict | None:
        return self.model.rows[row] if 0 <= row < len(self.model.rows) else None

    def open_row(self, row: int):
        """Double-click: the entry's student in the editor, when the role may read them (opening records a
        view in the access register, as any opening does); otherwise nothing."""
        e = self.entry(row)
        if not e or e.get("student_id") is None or not e.get("student_name"):
            return None
        w = self.main_window
        if w is None or not hasattr(w, "open_editor") or not self.session.can("read"):
            return None
        from app.audit import log as audit

        if not audit.student_readable(self.session, int(e["student_id"])):
            return None
        dlg = w.open_editor(int(e["student_id"]))
        dlg.open()
        return dlg

    # ------------------------------------------------------------------ verify
    def verify(self):
        """校验: walk the whole chain on the worker; the result shows under the table and in a message."""
        from app.audit import log as audit

        self.verify_button.setEnabled(False)

        def done(rep):
            self.verify_button.setEnabled(True)
            self.last_report = rep
            if rep.ok:
                text = tr("auditui.verify_ok", count=rep.count, head=rep.head, seconds=f"{rep.seconds:.1f}")
                self.verify_label.setStyleSheet("color: #1b5e20;")
                self.verify_label.setText(text)
                self.verify_label.show()
                self.verified.emit(rep)
                messages.info(self, text, title=tr("auditui.verify_title"))
            else:
                head = tr("auditui.verify_broken", count=len(rep.breaks), entries=rep.count)
                if rep.truncated:
                    head += tr("auditui.verify_truncated")
                body = messages.findings_text(rep.breaks)
                self.verify_label.setStyleSheet("color: #b71c1c; font-weight: bold;")
                self.verify_label.setText(head + "\n" + body)
                self.verify_label.show()
                self.verified.emit(rep)
                messages.error(self, head + "\n" + body, title=tr("auditui.verify_title"))

        def failed(err):
            self.verify_button.setEnabled(True)
            messages.job_error(self, err)

        self.verify_job = run_with_progress(self, tr("auditui.verifying"),
                                            lambda progress, cancel: audit.verify(self.session),
                                            on_done=done, on_error=failed)
        return self.verify_job

    # ------------------------------------------------------------------ export
    def export_csv(self, path: str | None = None):
        """导出 CSV: every entry matching the filters (not only the rows read so far), recorded as an export."""
        from app.audit import log as audit
        from app.students import service as ss

        if not path:
            path, _ = QFileDialog.getSaveFileName(self, tr("auditui.export"),
                                                  os.path.expanduser("~/" + tr("auditui.export_name")),
                                                  tr("auditui.csv_filter"))
            if not path:
                return None
        if not path.lower().endswith(".csv"):
            path += ".csv"
        f = self.filters()
        student_text = self.student_edit.text().strip()

        def fn(progress, cancel):
            ids = ss.search_ids(self.session, student_text, limit=500) if student_text else None
            return audit.export_csv(self.session, path, student_ids=ids, progress=progress, cancel=cancel, **f)

        def done(res):
            messages.info(self, tr("auditui.exported", count=res["entries"], file=res["file"]))

        self.export_job = run_with_progress(self, tr("auditui.exporting"), fn, on_done=done,
                                            on_error=lambda err: messages.job_error(self, err))
        return self.export_job

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt)
        self.generation += 1
        if self.job is not None and not self.job.delivered:
            self.job.cancel()
        super().closeEvent(event)
