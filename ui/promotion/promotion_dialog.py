"""年末升级: the whole school moves up one grade in one step (app.promotion.service.promote).

First a dry run shows what would happen — each class from grade to grade, how many students, the
graduating classes left for 毕业, and every finding (a 留级 the profile bans is refused with its rule
and article). Only a clean preview can be confirmed; the promotion then runs on the archive worker
with a progress dialog, in one transaction: it fully happens or not at all.
"""
from __future__ import annotations

import datetime as _dt

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QCheckBox, QDialog, QHBoxLayout, QLabel, QLineEdit, QListWidgetItem, QPushButton,
                               QSpinBox, QTableWidgetItem, QVBoxLayout)

from app.school.classes import grade_name
from app.core.errors import Refused
from ui.common import messages
from ui.changes.change_widgets import OUTCOME_COLOURS, outcome_label
from ui.common.values import field
from ui.common.i18n import tr
from ui.promotion.result_panel import findings_and_summary, result_table, run_and_close
from ui.common.workers import run_with_progress


def default_school_year(today: _dt.date | None = None) -> int:
    """The school year the next promotion enters: this autumn's until August, next year's from September."""
    today = today or _dt.date.today()
    return today.year + 1 if today.month >= 9 else today.year


def refuses(findings) -> bool:
    return any(getattr(f, "refuses", False) for f in findings)


class PromotionDialog(QDialog):
    """``promoted(result)`` after the promotion has been written."""

    promoted = Signal(object)

    def __init__(self, session, parent=None, *, school_year: int | None = None):
        super().__init__(parent)
        self.session = session
        self.preview = None
        self.result = None
        self.job = None
        self.setWindowTitle(tr("promotion_ui.title"))
        self.setSizeGripEnabled(True)
        lay = QVBoxLayout(self)
        intro = QLabel(tr("promotion_ui.intro"))
        intro.setWordWrap(True)
        lay.addWidget(intro)
        top = QHBoxLayout()
        top.addWidget(QLabel(tr("promotion_ui.school_year")))
        self.year_spin = QSpinBox()
        self.year_spin.setObjectName("year_spin")
        self.year_spin.setRange(2000, 2100)
        self.year_spin.setValue(school_year or default_school_year())
        self.year_spin.valueChanged.connect(lambda _v: self.run_preview())
        top.addWidget(self.year_spin)
        self.year_label = QLabel()
        top.addWidget(self.year_label, 1)
        self.preview_button = QPushButton(tr("promotion_ui.preview"))
        self.preview_button.setAutoDefault(False)
        self.preview_button.clicked.connect(self.run_preview)
        top.addWidget(self.preview_button)
        lay.addLayout(top)
        self.checked_box = QCheckBox(tr("promotion_ui.data_checked"))
        self.checked_box.setObjectName("data_checked")
        self.checked_box.toggled.connect(lambda _on: self.run_preview())
        lay.addWidget(self.checked_box)
        hold = QHBoxLayout()
        hold.addWidget(QLabel(tr("promotion_ui.hold_back")))
        self.hold_edit = QLineEdit()
        self.hold_edit.setObjectName("hold_back")
        self.hold_edit.setPlaceholderText(tr("promotion_ui.hold_back_placeholder"))
        self.hold_edit.editingFinished.connect(self.run_preview)
        hold.addWidget(self.hold_edit, 1)
        self.hold_label = QLabel()
        hold.addWidget(self.hold_label)
        lay.addLayout(hold)

        self.table = result_table("promotion_table", [tr("promotion_ui.col_class"), tr("promotion_ui.col_from"),
                                                       tr("promotion_ui.col_to"), tr("promotion_ui.col_students")],
                                  (220, 100, 170))
        lay.addWidget(self.table, 1)
        self.findings_list, self.summary = findings_and_summary(lay, "promotion_summary", 140)
        self.run_button, self.cancel_button = run_and_close(lay, tr("promotion_ui.run"), self.confirm_and_run,
                                                            self.reject, tr("common.close"))
        self.resize(760, 600)
        self.run_preview()

    def school_year(self) -> int:
        return self.year_spin.value()

    def run_preview(self):
        from app.promotion.service import promote

        y = self.school_year()
        self.year_label.setText(tr("promotion_ui.year_span", start=y, end=y + 1))
        self.preview = None
        hold_back, findings = self.hold_back()
        if findings:  # a student the registrar named cannot be found: say so, preview nothing
            self._show(None, findings)
            return None
        try:
            self.preview = promote(self.session, y, dry_run=True, data_checked=self.checked_box.isChecked(),
                                   hold_back=hold_back or None)
            findings = list(field(self.preview, "findings", None) or [])
        except Refused as e:
            findings = list(e.findings)
        self._show(self.preview, findings)
        return self.preview

    def hold_back(self) -> tuple[dict, list]:
        """留级: the students named in the box (ID number, 学籍号), each kept in its grade; or the refusals."""
        from app.core.errors import Finding, NotFound
        from app.students.service import get_student

        out, bad, names = {}, [], []
        for ref in self.hold_edit.text().replace("，", ",").replace("、", ",").replace(" ", ",").split(","):
            ref = ref.strip()
            if not ref:
                continue
            try:
                s = get_student(self.session, ref)
            except NotFound as e:
                bad.append(Finding("hold_back.unknown", e.message, field=tr("promotion_ui.hold_back_field")))
                continue
            out[s["id"]] = None
            names.append(s["name"])
        self.hold_label.setText(tr("promotion_ui.hold_back_names", names=tr("common.item_sep").join(names))
                                if names else "")
        return out, bad

    def _rows(self) -> list[dict]:
        """Every active class as it stands, with the grade it moves to (None: a final grade, left for 毕业)."""
        from app.school.classes import list_classes
        from app.promotion.service import is_final_grade

        profile = self.session.profile
        out = []
        for k in list_classes(self.session):
            if k.get("status", "active") != "active":
                continue
            final = is_final_grade(profile, k["stage"], k["grade"])
            out.append({"name": tr("change_ui.class_item", stage=k.get("stage_name", ""), name=k["display_name"]),
                        "from_grade": k["grade"], "to_grade": None if final else k["grade"] + 1,
                        "students": int(k.get("headcount") or 0)})
        return out

    def _show(self, res, findings) -> None:
        rows = self._rows()
        self.table.setRowCount(len(rows))
        for r, k in enumerate(rows):
            graduating = k["to_grade"] is None
            vals = (k["name"], tr("promotion_ui.grade", grade=grade_name(k["from_grade"])),
                    tr("promotion_ui.graduating") if graduating else
                    tr("promotion_ui.grade", grade=grade_name(k["to_grade"])),
                    str(k["students"]))
            for c, v in enumerate(vals):
                it = QTableWidgetItem(v)
                if graduating:
                    it.setForeground(QColor("#6a1b9a"))
                self.table.setItem(r, c, it)
        self.findings_list.clear()
        for f in findings:
            outcome = getattr(f, "outcome", "")
            it = QListWidgetItem(tr("change_ui.finding_line", outcome=outcome_label(outcome), text=messages.finding_line(f)))
            it.setForeground(QColor(OUTCOME_COLOURS.get(outcome, "#37474f")))
            self.findings_list.addItem(it)
        self.findings_list.setVisible(bool(findings))
        blocked = res is None or refuses(findings)
        if blocked:
            self.summary.setText(tr("promotion_ui.blocked"))
            self.summary.setStyleSheet("color: #b71c1c;")
        else:
            self.summary.setText(tr("promotion_ui.ready", classes=field(res, "classes", 0),
                                    students=field(res, "students", 0)))
            self.summary.setStyleSheet("color: #2e7d32;")
        self.run_button.setEnabled(not blocked and bool(field(res, "classes", 0)))

    def confirm_and_run(self, *, confirmed: bool = False):
        if not self.run_button.isEnabled():
            return None
        if not confirmed and not messages.confirm(self, tr("promotion_ui.confirm", start=self.school_year(),
                                                            end=self.school_year() + 1)):
            return None
        from app.promotion.service import promote

        y = self.school_year()
        checked = self.checked_box.isChecked()
        hold_back, _bad = self.hold_back()
        self.run_button.setEnabled(False)
        self.preview_button.setEnabled(False)

        win = self.parent()
        block = getattr(getattr(win, "model", None), "set_blocked", None)  # the roster reads nothing meanwhile
        if block:
            block(True)

        def fn(progress, cancel):
            return promote(self.session, y, data_checked=checked, hold_back=hold_back or None)

        def done(result):
            if block:
                block(False)
            self.result = result
            self.promoted.emit(result)
            self.accept()

        def failed(err):
            if block:
                block(False)
            self.preview_button.setEnabled(True)
            messages.job_error(self, err, title=tr("promotion_ui.failed"))
            self.run_preview()

        self.job = run_with_progress(self, tr("promotion_ui.progress", start=y, end=y + 1), fn, on_done=done,
                                     on_error=failed)
        return self.job


def open_promotion(win) -> PromotionDialog:
    dlg = PromotionDialog(win.session, win)
    dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def promoted(result):
        win.after_write()
        win.statusBar().showMessage(tr("promotion_ui.done", start=dlg.school_year(), end=dlg.school_year() + 1), 10000)

    dlg.promoted.connect(promoted)
    dlg.open()
    return dlg
