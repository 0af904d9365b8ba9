"""高中毕业审核记录: one student's credits, academic proficiency exams, comprehensive evaluation, PE
standard and labour practice (app.promotion.hs_records), with the profile's verdict (毕业 / 结业 / 肄业 and
the reasons) shown as the registrar types; and the import of a whole class from a spreadsheet."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFileDialog, QFormLayout,
                               QGroupBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QScrollArea, QTableWidget,
                               QTableWidgetItem, QVBoxLayout)

from app.students import status as st
from app.core.errors import Refused
from ui.common import messages
from ui.common.values import field
from ui.common.i18n import tr

CREDIT_FIELDS = ("credits_total", "credits_required", "credits_elective", "credits_school")
CHOICE_FIELDS = ("evaluation", "pe_standard", "labour_practice", "period_complete", "assessment")


def credit_label(name: str) -> str:
    return {"credits_total": tr("hs_ui.credits_total"), "credits_required": tr("hs_ui.credits_required"),
            "credits_elective": tr("hs_ui.credits_elective"), "credits_school": tr("hs_ui.credits_school")}[name]


def choice_label(name: str) -> str:
    return {"evaluation": tr("hs_ui.evaluation"), "pe_standard": tr("hs_ui.pe_standard"),
            "labour_practice": tr("hs_ui.labour_practice"), "period_complete": tr("hs_ui.period_complete"),
            "assessment": tr("hs_ui.assessment")}[name]


def choices(name: str) -> list[tuple[str, str]]:
    unknown = ("", tr("hs_ui.unknown"))
    if name == "labour_practice":
        return [unknown, ("done", tr("hs_ui.done")), ("not_done", tr("hs_ui.not_done"))]
    if name == "period_complete":
        return [unknown, ("yes", tr("hs_ui.yes")), ("no", tr("hs_ui.no"))]
    return [unknown, ("pass", tr("hs_ui.pass")), ("fail", tr("hs_ui.fail"))]


class HsRecordDialog(QDialog):
    saved = Signal(int)

    def __init__(self, session, student_id: int, parent=None):
        super().__init__(parent)
        from app.promotion import hs_records as hs_graduation

        self.hs = hs_graduation
        self.session = session
        self.student_id = student_id
        self.credit_inputs: dict[str, QDoubleSpinBox] = {}
        self.choice_inputs: dict[str, QComboBox] = {}
        from app.students import service as ss

        s = ss.get_student(session, student_id)
        self.student = s
        from app.school.classes import get_class

        self.klass = get_class(session, s["class_id"]) if s.get("class_id") else None
        self.setWindowTitle(tr("hs_ui.title", name=s.get("name", "")))
        self.setSizeGripEnabled(True)
        outer = QVBoxLayout(self)
        cols = QHBoxLayout()
        outer.addLayout(cols, 1)
        lay = QVBoxLayout()
        cols.addLayout(lay, 1)
        credits = QGroupBox(tr("hs_ui.credits_box"))
        cf = QFormLayout(credits)
        for n in CREDIT_FIELDS:
            w = QDoubleSpinBox()
            w.setObjectName(f"hs_{n}")
            w.setRange(0, 400)
            w.setDecimals(1)
            w.setSpecialValueText(tr("hs_ui.not_entered"))
            w.valueChanged.connect(lambda _v: self._timer.start())
            self.credit_inputs[n] = w
            cf.addRow(credit_label(n), w)
        lay.addWidget(credits)
        exams = QGroupBox(tr("hs_ui.exams_box"))
        el = QVBoxLayout(exams)
        self.exam_table = QTableWidget(0, 2)
        self.exam_table.setObjectName("exam_table")
        self.exam_table.setHorizontalHeaderLabels([tr("hs_ui.col_subject"), tr("hs_ui.col_grade")])
        self.exam_table.verticalHeader().hide()
        self.exam_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.exam_table.itemChanged.connect(self._exam_edited)
        self.exam_table.setMinimumHeight(150)
        el.addWidget(self.exam_table)
        hint = QLabel(tr("hs_ui.exams_hint"))
        hint.setStyleSheet("color: #616161;")
        hint.setWordWrap(True)
        el.addWidget(hint)
        lay.addWidget(exams)
        other = QGroupBox(tr("hs_ui.other_box"))
        of = QFormLayout(other)
        for n in CHOICE_FIELDS:
            w = QComboBox()
            w.setObjectName(f"hs_{n}")
            for code, text in choices(n):
                w.addItem(text, code)
            w.currentIndexChanged.connect(lambda _i: self._timer.start())
            self.choice_inputs[n] = w
            of.addRow(choice_label(n), w)
        self.note_edit = QLineEdit()
        of.addRow(tr("hs_ui.note"), self.note_edit)
        lay.addWidget(other)
        verdict_box = QGroupBox(tr("hs_ui.verdict_box"))
        vl = QVBoxLayout(verdict_box)
        self.verdict = QLabel()
        self.verdict.setObjectName("hs_verdict")
        self.verdict.setWordWrap(True)
        self.verdict.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.verdict.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(self.verdict)
        vl.addWidget(scroll)
        cols.addWidget(verdict_box, 1)
        lay = outer
        buttons = QDialogButtonBox()
        self.save_button = buttons.addButton(tr("common.save"), QDialogButtonBox.ButtonRole.AcceptRole)
        cancel = buttons.addButton(tr("common.cancel"), QDialogButtonBox.ButtonRole.RejectRole)
        self.save_button.clicked.connect(self.save)
        cancel.clicked.connect(self.reject)
        lay.addWidget(buttons)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self.show_verdict)
        self._load()
        self.resize(980, 640)

    def _load(self) -> None:
        rec = self.hs.get_hs_record(self.session, self.student_id) or {}
        for n, w in self.credit_inputs.items():
            v = field(rec, n)
            w.setValue(float(v) if v not in (None, "") else 0.0)
        for n, w in self.choice_inputs.items():
            i = w.findData(field(rec, n) or "")
            w.setCurrentIndex(max(i, 0))
        self.note_edit.setText(field(rec, "note") or "")
        exams = field(rec, "exams") or {}
        self.exam_table.blockSignals(True)
        self.exam_table.setRowCount(0)
        for subject, grade in exams.items():
            self._add_exam_row(subject, str(grade))
        self._add_exam_row("", "")
        self.exam_table.blockSignals(False)
        self.show_verdict()

    def _add_exam_row(self, subject: str, grade: str) -> None:
        r = self.exam_table.rowCount()
        self.exam_table.insertRow(r)
        self.exam_table.setItem(r, 0, QTableWidgetItem(subject))
        self.exam_table.setItem(r, 1, QTableWidgetItem(grade))

    def _exam_edited(self, _item) -> None:
        last = self.exam_table.rowCount() - 1
        if last < 0 or any((self.exam_table.item(last, c) and self.exam_table.item(last, c).text().strip())
                           for c in (0, 1)):
            self.exam_table.blockSignals(True)
            self._add_exam_row("", "")
            self.exam_table.blockSignals(False)
        self._timer.start()

    def set_exam(self, subject: str, grade: str) -> None:
        last = self.exam_table.rowCount() - 1
        self.exam_table.setItem(last, 0, QTableWidgetItem(subject))
        self.exam_table.setItem(last, 1, QTableWidgetItem(grade))

    def data(self) -> dict:
        d: dict = {}
        for n, w in self.credit_inputs.items():
            d[n] = w.value() if w.value() > 0 else None
        for n, w in self.choice_inputs.items():
            d[n] = w.currentData() or ""
        exams = {}
        for r in range(self.exam_table.rowCount()):
            s = self.exam_table.item(r, 0)
            g = self.exam_table.item(r, 1)
            subject, grade = (s.text().strip() if s else ""), (g.text().strip().upper() if g else "")
            if subject:
                exams[subject] = grade
        d["exams"] = exams
        d["note"] = self.note_edit.text().strip()
        return d

    def show_verdict(self) -> None:
        self._timer.stop()
        try:
            if self.klass is None:
                v = self.hs.evaluate(self.session, self.student_id)
            else:
                v = self.hs.evaluate_record(self.session, self.data(), self.klass, name=self.student.get("name", ""))
        except Refused as e:
            self.verdict.setText(messages.findings_text(e.findings))
            self.verdict.setStyleSheet("color: #b71c1c;")
            return
        outcome = field(v, "outcome") or ""
        findings = list(field(v, "findings") or [])
        lines = [tr("hs_ui.verdict", outcome=st.name(outcome) if outcome != "undetermined" else tr("hs_ui.undetermined"))]
        lines += [f"• {messages.finding_line(f)}" for f in findings]
        reasons = [f for f in findings if (getattr(f, "params", None) or {}).get("outcome")]
        self.verdict.setText("\n".join(lines))
        self.verdict.setStyleSheet("color: #2e7d32;" if outcome == "graduated" and not reasons else "color: #b71c1c;")

    def save(self) -> bool:
        try:
            self.hs.set_hs_record(self.session, self.student_id, **self.data())
        except Refused as e:
            messages.error(self, messages.findings_text(e.findings))
            return False
        self.saved.emit(self.student_id)
        self.accept()
        return True


def import_records(win, class_id=None, path: str | None = None):
    """导入高中毕业审核数据: a class spreadsheet, all rows or none (every bad row listed)."""
    from app.promotion import hs_records as hs_graduation

    if not path:
        path, _ = QFileDialog.getOpenFileName(win, tr("hs_ui.import_title"), str(Path.home()), tr("hs_ui.import_filter"))
    if not path:
        return None
    try:
        result = hs_graduation.import_hs_records(win.session, path, class_id=class_id)
    except Refused as e:
        messages.error(win, tr("hs_ui.import_refused", text=messages.findings_text(e.findings)))
        return None
    n = field(result, "rows", None)
    if n is None:
        n = field(result, "count", 0)
    messages.info(win, tr("hs_ui.imported", rows=n, name=Path(path).name))
    return result


def open_record(win, student_id=None):
    sid = student_id if student_id is not None else win.selected_student_id()
    if sid is None:
        messages.info(win, tr("changes_menu.pick_student"))
        return None
    dlg = HsRecordDialog(win.session, sid, win)
    dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dlg.open()
    return dlg
