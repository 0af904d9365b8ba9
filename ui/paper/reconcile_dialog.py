"""与国家系统核对: import a roster exported from the national 学籍 system (.xls/.xlsx), see the report —
students only in Xueji, only in the national system, field differences, each with its suggested action —
resolve lines (what was done is recorded), open the student, and export the changes since the last
reconciliation in the national template.

The comparison runs through app.paper.reconcile on the archive's worker thread, with progress inside the window."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout,
                               QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout)

from app.core.errors import Refused
from ui.common import messages
from ui.common.i18n import tr
from ui.paper.run_row import RunRow
from ui.common.record_list import fill_table, make_table

OPEN_BG, OPEN_FG = "#fff8e1", "#5d4037"


def columns() -> list[str]:
    return [tr("reconcileui.col_kind"), tr("reconcileui.col_name"), tr("reconcileui.col_field"),
            tr("reconcileui.col_xueji"), tr("reconcileui.col_national"), tr("reconcileui.col_row"),
            tr("reconcileui.col_suggestion"), tr("reconcileui.col_action")]


class ResolveDialog(QDialog):
    """What was done about a line: one of the configured actions, and a note."""

    def __init__(self, line, parent=None):
        super().__init__(parent)
        from app.paper import reconcile as R

        self.setWindowTitle(tr("reconcileui.resolve_title"))
        form = QFormLayout(self)
        what = QLabel(tr("reconcileui.resolve_line", kind=line.kind_name, name=line.name,
                         suggestion=line.suggestion_text))
        what.setWordWrap(True)
        form.addRow(what)
        self.action = QComboBox()
        for a in R.config()["actions"]:
            self.action.addItem(R.ACTION_NAMES[a], a)
        form.addRow(tr("reconcileui.action"), self.action)
        self.note = QLineEdit()
        self.note.setPlaceholderText(tr("reconcileui.note_placeholder"))
        form.addRow(tr("reconcileui.note"), self.note)
        bb = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        bb.accepted.connect(self.accept)
        bb.rejected.connect(self.reject)
        form.addRow(bb)
        self.setMinimumWidth(520)


class ReconcileDialog(QDialog):
    openStudent = Signal(int)
    finishedRun = Signal()  # a comparison ended (tests wait for it)

    def __init__(self, session, parent=None, *, window=None):
        super().__init__(parent)
        self.session = session
        self.window_ = window
        self.report = None
        self.lines: list = []
        self.setWindowTitle(tr("reconcileui.title"))
        self.setSizeGripEnabled(True)
        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        self.import_btn = QPushButton(tr("reconcileui.import"))
        self.import_btn.clicked.connect(self.choose_file)
        self.import_btn.setMinimumWidth(self.import_btn.sizeHint().width() + 16)
        top.addWidget(self.import_btn)
        top.addWidget(QLabel(tr("reconcileui.runs")))
        self.run_combo = QComboBox()
        self.run_combo.setMinimumWidth(320)
        self.run_combo.currentIndexChanged.connect(lambda _i: self.show_run(self.run_combo.currentData()))
        top.addWidget(self.run_combo, 1)
        self.open_only = QCheckBox(tr("reconcileui.open_only"))
        self.open_only.toggled.connect(lambda _on: self._fill())
        top.addWidget(self.open_only)
        lay.addLayout(top)
        self.summary = QLabel()
        self.summary.setObjectName("reconcile_summary")
        self.summary.setWordWrap(True)
        lay.addWidget(self.summary)
        self.table = make_table(columns(), (100, 80, 80, 150, 150, 50, 420), name="reconcile_table")
        self.table.cellDoubleClicked.connect(lambda r, _c: self.open_row(r))
        self.table.itemSelectionChanged.connect(self._selection_changed)
        lay.addWidget(self.table, 1)
        self.run = RunRow(lay)
        bottom = QHBoxLayout()
        hint = QLabel(tr("reconcileui.hint"))
        hint.setStyleSheet("color: #616161;")
        hint.setWordWrap(True)
        bottom.addWidget(hint, 1)
        self.resolve_btn = QPushButton(tr("reconcileui.resolve"))
        self.resolve_btn.clicked.connect(lambda: self.resolve_row(self.table.currentRow()))
        self.open_btn = QPushButton(tr("reconcileui.open_student"))
        self.open_btn.clicked.connect(lambda: self.open_row(self.table.currentRow()))
        self.export_btn = QPushButton(tr("reconcileui.export"))
        self.export_btn.clicked.connect(lambda: self.export_changes())
        close = QPushButton(tr("common.close"))
        close.clicked.connect(self.reject)
        for b in (self.resolve_btn, self.open_btn, self.export_btn, close):
            b.setAutoDefault(False)
            bottom.addWidget(b)
        lay.addLayout(bottom)
        if window is not None:
            from ui.paper.navigate import open_student_folder

            self.openStudent.connect(lambda sid: open_student_folder(window, sid, tab="first"))
        self.resize(1180, 620)
        self.reload_runs()

    # ------------------------------------------------------------------ runs
    def reload_runs(self, select: int | None = None) -> None:
        from app.paper import reconcile as R

        runs = list(R.runs(self.session))
        self.run_combo.blockSignals(True)
        self.run_combo.clear()
        for r in sorted(runs, key=lambda r: r["id"], reverse=True):
            at = str(r.get("run_at", ""))[:16].replace("T", " ")
            self.run_combo.addItem(tr("reconcileui.run_item", at=at, file=r.get("file_name", ""),
                                      rows=r.get("national_rows", 0)), r["id"])
        self.run_combo.blockSignals(False)
        if runs:
            i = self.run_combo.findData(select) if select is not None else 0
            self.run_combo.setCurrentIndex(max(i, 0))
            self.show_run(self.run_combo.currentData())
        else:
            self.report = None
            self._fill()

    def show_run(self, run_id) -> None:
        from app.paper import reconcile as R

        self.report = R.report(self.session, run_id) if run_id is not None else None
        self._fill()

    def _fill(self) -> None:
        rep = self.report
        if rep is None:
            self.lines = []
            self.summary.setText(tr("reconcileui.none"))
            fill_table(self.table, [])
            self._selection_changed()
            return
        lines = rep.open_lines if self.open_only.isChecked() else rep.lines
        self.lines = list(lines)
        c = rep.counts
        self.summary.setText(tr("reconcileui.summary", file=rep.file_name, rows=rep.national_rows, matched=rep.matched,
                                only_xueji=c["only_xueji"], only_national=c["only_national"], fields=c["field"],
                                open=len(rep.open_lines)))
        rows, colors = [], []
        for ln in self.lines:
            action = ln.action_name + (tr("reconcileui.with_note", note=ln.note) if ln.note else "")
            rows.append([ln.kind_name, ln.name, ln.field_name, ln.xueji_value, ln.national_value,
                         ln.national_row or "", ln.suggestion_text, action])
            colors.append((OPEN_BG, OPEN_FG) if ln.action in (None, "deferred") else None)
        fill_table(self.table, rows, colors=colors)
        if self.lines:
            self.table.selectRow(0)
        self._selection_changed()

    def _selection_changed(self) -> None:
        r = self.table.currentRow()
        ok = 0 <= r < len(self.lines)
        self.resolve_btn.setEnabled(ok)
        self.open_btn.setEnabled(ok and self.lines[r].student_id is not None)

    # ------------------------------------------------------------------ import
    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, tr("reconcileui.import"), "", tr("reconcileui.file_filter"))
        if path:
            self.run_file(path)

    def run_file(self, path):
        """Compare the roster at ``path`` in the background; the report shows when done. Returns the Job."""
        from app.paper import reconcile as R

        if self.run.busy:
            return None
        self.import_btn.setEnabled(False)

        def done(rep):
            self.import_btn.setEnabled(True)
            self.reload_runs(select=rep.run_id)
            self.finishedRun.emit()

        def failed(err):
            self.import_btn.setEnabled(True)
            messages.job_error(self, err, title=tr("reconcileui.failed"))
            self.finishedRun.emit()

        return self.run.run(tr("reconcileui.running", file=Path(path).name),
                            lambda progress, cancel: R.reconcile(self.session, path), done, failed)

    # ------------------------------------------------------------------ lines
    def resolve_row(self, r: int, action: str | None = None, note: str | None = None) -> bool:
        """Record what was done about line ``r`` (asks unless ``action`` is given)."""
        from app.paper import reconcile as R

        if not (0 <= r < len(self.lines)) or self.report is None:
            return False
        line = self.lines[r]
        if action is None:
            dlg = ResolveDialog(line, self)
            if not dlg.exec():
                return False
            action, note = dlg.action.currentData(), dlg.note.text()
        try:
            R.resolve_line(self.session, self.report.run_id, line.id, action, note or "")
        except Refused as e:
            messages.error(self, messages.findings_text(e.findings))
            return False
        self.show_run(self.report.run_id)
        return True

    def open_row(self, r: int) -> None:
        if 0 <= r < len(self.lines) and self.lines[r].student_id is not None:
            self.openStudent.emit(int(self.lines[r].student_id))

    def export_changes(self, path: str | None = None):
        from app.paper import reconcile as R

        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, tr("reconcileui.export"), tr("reconcileui.export_name"),
                                                  tr("reconcileui.file_filter"))
            if not path:
                return None
        try:
            res = R.export_changes_since_last(self.session, path)
        except Refused as e:
            messages.error(self, messages.findings_text(e.findings))
            return None
        messages.info(self, tr("reconcileui.exported", count=res.count, path=res.path))
        return res

    def done(self, r: int) -> None:  # noqa: A003  (QDialog.done)
        if self.run.busy:
            self.run.cancel()
        super().done(r)

