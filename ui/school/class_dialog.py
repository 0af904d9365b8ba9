"""新建班级: one class (stage, grade, class number, entry year, capacity, 班号, head teacher) through
app.school.classes.add_class; refusals are shown in the dialog with their rule and article.

Also the helpers the first-run classes table shares: which grades a stage has (from the school's
rule profile, REG.SCHOOL_SYSTEM) and the entry year a grade implies this school year.
"""
from __future__ import annotations

import datetime as _dt

from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QSpinBox,
                               QVBoxLayout)

from app.school.classes import add_class, grade_name
from app.core.errors import Refused
from app.school.service import STAGE_NAMES
from ui.common.i18n import tr
from ui.common.messages import findings_text

DEFAULT_GRADES = {"primary": (1, 6), "junior": (7, 9), "senior": (10, 12)}


def grade_range(profile, stage: str) -> tuple[int, int]:
    """The grades of ``stage`` under ``profile`` (its grade_in_stage rule), else the 六·三·三 default."""
    for rule in getattr(profile, "rules", []):
        if rule.check == "grade_in_stage" and stage in rule.params:
            low, high = rule.params[stage]
            return int(low), int(high)
    return DEFAULT_GRADES.get(stage, (1, 12))


def school_year_start(today: _dt.date | None = None) -> int:
    today = today or _dt.date.today()
    return today.year if today.month >= 8 else today.year - 1


def entry_year_for(profile, stage: str, grade: int, today: _dt.date | None = None) -> int:
    low, _high = grade_range(profile, stage)
    return school_year_start(today) - (int(grade) - low)


def school_stages(school: dict | None) -> list[str]:
    return [s for s in (school or {}).get("stages", "").split(",") if s]


class ClassDialog(QDialog):
    def __init__(self, session, parent=None, *, node=None):
        super().__init__(parent)
        self.session = session
        self.profile = session.profile
        self.class_id: int | None = None
        self.setWindowTitle(tr("class.title"))
        self.setMinimumWidth(440)
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.stage = QComboBox()
        for s in school_stages(session.school):
            self.stage.addItem(STAGE_NAMES.get(s, s), s)
        self.grade = QComboBox()
        self.number = QSpinBox()
        self.number.setRange(1, 99)
        self.entry_year = QSpinBox()
        self.entry_year.setRange(1990, _dt.date.today().year + 1)
        self.capacity = QSpinBox()
        self.capacity.setRange(0, 200)
        self.capacity.setSpecialValueText(tr("class.no_capacity"))
        self.capacity.setValue(45)
        self.code = QLineEdit()
        self.code.setPlaceholderText(tr("class.code_placeholder"))
        self.head_teacher = QLineEdit()
        form.addRow(tr("class.stage"), self.stage)
        form.addRow(tr("class.grade"), self.grade)
        form.addRow(tr("class.number"), self.number)
        form.addRow(tr("class.entry_year"), self.entry_year)
        form.addRow(tr("class.capacity"), self.capacity)
        form.addRow(tr("class.code"), self.code)
        form.addRow(tr("class.head_teacher"), self.head_teacher)
        lay.addLayout(form)
        self.error = QLabel()
        self.error.setObjectName("class_error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c62828;")
        self.error.hide()
        lay.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(tr("class.create"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("common.cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.stage.currentIndexChanged.connect(self._fill_grades)
        self.grade.currentIndexChanged.connect(self._grade_changed)
        self._fill_grades()
        if node and node[0] == "stage":
            self._select(node[1], None)
        elif node and node[0] == "grade":
            self._select(*node[1])

    def _select(self, stage, grade) -> None:
        i = self.stage.findData(stage)
        if i >= 0:
            self.stage.setCurrentIndex(i)
        if grade is not None:
            j = self.grade.findData(int(grade))
            if j >= 0:
                self.grade.setCurrentIndex(j)

    def _fill_grades(self) -> None:
        stage = self.stage.currentData()
        self.grade.clear()
        if stage:
            low, high = grade_range(self.profile, stage)
            for g in range(low, high + 1):
                self.grade.addItem(grade_name(g), g)

    def _grade_changed(self) -> None:
        g = self.grade.currentData()
        if g is not None:
            self.entry_year.setValue(entry_year_for(self.profile, self.stage.currentData(), g))

    def accept(self) -> None:
        warnings: list = []
        try:
            self.class_id = add_class(self.session, stage=self.stage.currentData() or "", grade=self.grade.currentData(),
                                      number=self.number.value(), entry_year=self.entry_year.value(),
                                      code=self.code.text().strip() or None, capacity=self.capacity.value() or None,
                                      head_teacher=self.head_teacher.text(), warnings=warnings)
        except Refused as e:
            self.error.setText(findings_text(e.findings))
            self.error.show()
            return
        if warnings:
            from ui.common import messages

            messages.info(self, findings_text(warnings))
        super().accept()
