"""毕业: a graduating class in one step (app.promotion.service.graduate).

The dry run gives each student's outcome under the profile — 毕业, 结业, 肄业 or 修业 — with the
reasons (credits short, an exam failed, the assessment not passed …). The registrar can open a
student's high-school record (ui.promotion.hs_record_dialog) to correct what was entered, re-check, and then
confirm: the whole class is written in one transaction.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QComboBox, QDialog, QHBoxLayout, QLabel, QListWidgetItem,
                               QPushButton, QTableWidgetItem, QVBoxLayout)

from app.students import status as st
from app.school.classes import list_classes
from app.core.errors import BLOCK_STAR, Refused
from ui.common import messages
from ui.changes.change_widgets import OUTCOME_COLOURS, outcome_label
from ui.common.values import field
from ui.common.i18n import tr
from ui.promotion.result_panel import findings_and_summary, result_table, run_and_close

GRADUATED = "graduated"


def outcome_name(code: str) -> str:
    return st.name(code) if code else ""


def reasons_text(row) -> str:
    rs = field(row, "reasons", None) or []
    if isinstance(rs, str):
        return rs
    return tr("common.list_sep").join(messages.finding_line(r) if not isinstance(r, str) else r for r in rs)


class GraduationDialog(QDialog):
    """``graduated(result)`` once the class has been written."""

    graduated = Signal(object)

    def __init__(self, session, parent=None, *, class_id: int | None = None):
        super().__init__(parent)
        self.session = session
        self.preview = None
        self.result = None
        self.rows: list = []
        self.overrides: dict = {}
        self._stars: list = []
        self.setWindowTitle(tr("graduation_ui.title"))
        self.setSizeGripEnabled(True)
        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(QLabel(tr("graduation_ui.class")))
        self.class_combo = QComboBox()
        self.class_combo.setObjectName("class_combo")
        # the final-grade classes first (those graduate); the others after a line (refused with the reason)
        from app.promotion.service import is_final_grade

        active = [k for k in list_classes(session) if k.get("status", "active") == "active"]
        final = [k for k in active if is_final_grade(session.profile, k["stage"], k["grade"])]
        rest = [k for k in active if k not in final]
        for group in (final, rest):
            if group is rest and final and rest:
                self.class_combo.insertSeparator(self.class_combo.count())
            for k in group:
                self.class_combo.addItem(tr("change_ui.class_item", stage=k.get("stage_name", ""),
                                            name=k["display_name"]), k["id"])
        explicit = class_id is not None and (class_id in {k["id"] for k in final} or not final)
        if explicit and self.class_combo.findData(class_id) >= 0:
            self.class_combo.setCurrentIndex(self.class_combo.findData(class_id))
        self.class_combo.currentIndexChanged.connect(lambda _i: self.run_preview())
        top.addWidget(self.class_combo, 1)
        self.recheck_button = QPushButton(tr("graduation_ui.recheck"))
        self.recheck_button.setAutoDefault(False)
        self.recheck_button.clicked.connect(self.run_preview)
        top.addWidget(self.recheck_button)
        self.record_button = QPushButton(tr("graduation_ui.hs_record"))
        self.record_button.setAutoDefault(False)
        self.record_button.clicked.connect(self.open_record)
        top.addWidget(self.record_button)
        self.override_button = QPushButton(tr("graduation_ui.override"))
        self.override_button.setAutoDefault(False)
        self.override_button.clicked.connect(self.ask_override)
        self.override_button.hide()
        top.addWidget(self.override_button)
        lay.addLayout(top)

        self.table = result_table("graduation_table", [tr("graduation_ui.col_name"), tr("graduation_ui.col_outcome"),
                                                       tr("graduation_ui.col_reasons")], (120, 90))
        self.table.cellDoubleClicked.connect(lambda r, _c: self.open_record())
        self.table.itemSelectionChanged.connect(self._show_reasons)
        lay.addWidget(self.table, 1)
        self.reasons_label = QLabel()
        self.reasons_label.setObjectName("reasons_label")
        self.reasons_label.setWordWrap(True)
        self.reasons_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reasons_label.setStyleSheet("color: #b71c1c;")
        lay.addWidget(self.reasons_label)
        self.findings_list, self.summary = findings_and_summary(lay, "graduation_summary", 120)
        self.run_button, _close = run_and_close(lay, tr("graduation_ui.run"), self.confirm_and_run, self.reject,
                                                tr("common.close"))
        self.resize(900, 620)
        self.run_preview()

    def class_id(self):
        return self.class_combo.currentData()

    def run_preview(self):
        from app.promotion.service import graduate

        findings = []
        self.preview = None
        if self.class_id() is not None:
            try:
                self.preview = graduate(self.session, self.class_id(), dry_run=True, overrides=self.overrides or None)
                findings = list(field(self.preview, "findings", None) or [])
            except Refused as e:
                findings = list(e.findings)
        self._show(self.preview, findings)
        stars = [f for f in findings if getattr(f, "outcome", "") == BLOCK_STAR]
        hard = [f for f in findings if getattr(f, "refuses", False) and f.outcome != BLOCK_STAR]
        self.override_button.setVisible(bool(stars) and not hard)
        self._stars = stars
        return self.preview

    def ask_override(self) -> bool:
        """BLOCK* findings (students with open business …): an override with reason, approver, evidence."""
        if not self._stars:
            return False
        from ui.students.key_change_dialog import OverrideDialog

        dlg = OverrideDialog(self._stars, self)
        if not dlg.exec():
            return False
        self.overrides = dict(self.overrides, **dlg.overrides())
        self.run_preview()
        return True

    def _show(self, res, findings) -> None:
        self.rows = list(field(res, "per_student", None) or [])
        self.table.setRowCount(len(self.rows))
        counts: dict[str, int] = {}
        for r, row in enumerate(self.rows):
            code = field(row, "outcome") or ""
            counts[code] = counts.get(code, 0) + 1
            vals = (field(row, "name") or field(row, "student_name") or "", field(row, "outcome_name") or outcome_name(code),
                    reasons_text(row))
            for c, v in enumerate(vals):
                it = QTableWidgetItem(str(v))
                it.setToolTip(str(v))
                if code and code != GRADUATED:
                    it.setForeground(QColor("#b71c1c"))
                self.table.setItem(r, c, it)
        self.findings_list.clear()
        for f in findings:
            outcome = getattr(f, "outcome", "")
            it = QListWidgetItem(tr("change_ui.finding_line", outcome=outcome_label(outcome), text=messages.finding_line(f)))
            it.setForeground(QColor(OUTCOME_COLOURS.get(outcome, "#37474f")))
            self.findings_list.addItem(it)
        self.findings_list.setVisible(bool(findings))
        blocked = res is None or any(getattr(f, "refuses", False) for f in findings)
        if blocked:
            self.summary.setText(tr("graduation_ui.blocked"))
            self.summary.setStyleSheet("color: #b71c1c;")
        else:
            parts = [tr("graduation_ui.count", outcome=outcome_name(c), count=n) for c, n in counts.items()]
            self.summary.setText(tr("graduation_ui.ready", total=len(self.rows), parts=tr("common.list_sep").join(parts)))
            self.summary.setStyleSheet("color: #2e7d32;")
        self.run_button.setEnabled(not blocked and bool(self.rows))
        self.record_button.setEnabled(bool(self.rows))
        first = next((r for r, row in enumerate(self.rows) if field(row, "reasons", None)), None)
        if first is not None:
            self.table.selectRow(first)
        self._show_reasons()

    def _show_reasons(self) -> None:
        """The selected student's reasons in full (the table cell shows the start)."""
        r = self.table.currentRow()
        rs = field(self.rows[r], "reasons", None) if 0 <= r < len(self.rows) else None
        if isinstance(rs, str):
            rs = [rs]
        name = field(self.rows[r], "name", "") if rs else ""
        self.reasons_label.setText(tr("graduation_ui.reasons_of", name=name) + "\n" +
                                   "\n".join(f"• {x}" for x in rs) if rs else "")
        self.reasons_label.setVisible(bool(rs))

    def selected_student_id(self):
        r = self.table.currentRow()
        if 0 <= r < len(self.rows):
            return field(self.rows[r], "student_id")
        return None

    def open_record(self):
        sid = self.selected_student_id()
        if sid is None:
            return None
        from ui.promotion.hs_record_dialog import HsRecordDialog

        dlg = HsRecordDialog(self.session, sid, self)
        dlg.saved.connect(lambda _sid: self.run_preview())
        dlg.finished.connect(dlg.deleteLater)
        dlg.open()
        return dlg

    def confirm_and_run(self, *, confirmed: bool = False) -> bool:
        if not self.run_button.isEnabled():
            return False
        name = self.class_combo.currentText()
        if not confirmed and not messages.confirm(self, tr("graduation_ui.confirm", klass=name, text=self.summary.text())):
            return False
        from app.promotion.service import graduate

        try:
            self.result = graduate(self.session, self.class_id(), overrides=self.overrides or None)
        except Refused as e:
            self._show(None, list(e.findings))
            return False
        self.graduated.emit(self.result)
        self.accept()
        return True


def open_graduation(win) -> GraduationDialog:
    dlg = GraduationDialog(win.session, win, class_id=win.current_class_id())  # kept when it is a final grade
    dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def graduated(result):
        win.after_write()
        win.statusBar().showMessage(tr("graduation_ui.done"), 10000)

    dlg.graduated.connect(graduated)
    dlg.open()
    return dlg
