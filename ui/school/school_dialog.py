"""学校信息: the school form (also the first page of the first-run dialog) and the dialog that edits an
existing school through app.school.service.update_school.

学校标识码 and 学段 are fixed once the archive exists (update_school does not change them).
"""
from __future__ import annotations

from PySide6.QtCore import QRegularExpression
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QVBoxLayout, QWidget)

from app.core.errors import Refused
from app.rules.engine import profile_names
from app.school.service import STAGE_NAMES, STAGES, update_school
from ui.common.i18n import tr
from ui.common.messages import findings_text

TEXT_FIELDS = ("principal", "registrar", "phone", "registrar_phone", "address", "division_code")
DEFAULT_PROFILE = "henan-zhoukou"


class SchoolForm(QWidget):
    """Name, 10-digit 学校标识码, stages, rule profile, principal, registrar, phones, address."""

    def __init__(self, parent=None, *, new: bool = True):
        super().__init__(parent)
        form = QFormLayout(self)
        self.name = QLineEdit()
        self.name.setObjectName("school_name")
        self.code = QLineEdit()
        self.code.setObjectName("school_code")
        self.code.setPlaceholderText(tr("school.code_placeholder"))
        self.code.setValidator(QRegularExpressionValidator(QRegularExpression(r"\d{0,10}"), self.code))
        self.code.setEnabled(new)
        self.stage_boxes: dict[str, QCheckBox] = {}
        stages_row = QHBoxLayout()
        for s in STAGES:
            box = QCheckBox(STAGE_NAMES[s])
            box.setObjectName(f"stage_{s}")
            box.setEnabled(new)
            self.stage_boxes[s] = box
            stages_row.addWidget(box)
        stages_row.addStretch(1)
        self.profile = QComboBox()
        self.profile.setObjectName("school_profile")
        for pid, pname in profile_names().items():
            self.profile.addItem(pname, pid)
        self.edits = {k: QLineEdit() for k in TEXT_FIELDS}
        self.edits["division_code"].setPlaceholderText(tr("school.division_placeholder"))
        form.addRow(tr("school.name"), self.name)
        form.addRow(tr("school.code"), self.code)
        form.addRow(tr("school.stages"), stages_row)
        form.addRow(tr("school.profile"), self.profile)
        for k in TEXT_FIELDS:
            form.addRow(tr(f"school.{k}"), self.edits[k])
        self.error = QLabel()
        self.error.setObjectName("school_error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c62828;")
        self.error.hide()
        form.addRow(self.error)
        if new:
            self.stage_boxes["primary"].setChecked(True)
            self.stage_boxes["junior"].setChecked(True)
            self.set_profile(DEFAULT_PROFILE)

    def set_profile(self, pid: str) -> None:
        i = self.profile.findData(pid)
        if i >= 0:
            self.profile.setCurrentIndex(i)

    def load(self, school: dict) -> None:
        self.name.setText(school.get("name", ""))
        self.code.setText(school.get("code", ""))
        for s, box in self.stage_boxes.items():
            box.setChecked(s in (school.get("stages") or "").split(","))
        self.set_profile(school.get("profile", ""))
        for k, e in self.edits.items():
            e.setText(str(school.get(k) or ""))

    def stages(self) -> list[str]:
        return [s for s, box in self.stage_boxes.items() if box.isChecked()]

    def values(self) -> dict:
        """Everything update_school may change (name, profile and the text fields)."""
        return {"name": self.name.text().strip(), "profile": self.profile.currentData(),
                **{k: e.text().strip() for k, e in self.edits.items()}}

    def show_refusal(self, findings) -> None:
        self.error.setText(findings_text(findings))
        self.error.setVisible(bool(findings))


class SchoolDialog(QDialog):
    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.setWindowTitle(tr("school.title"))
        self.setMinimumWidth(520)
        lay = QVBoxLayout(self)
        self.form = SchoolForm(self, new=False)
        self.form.load(session.school or {})
        lay.addWidget(self.form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(tr("common.save"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("common.cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)

    def accept(self) -> None:
        old = self.session.school or {}
        values = {k: v for k, v in self.form.values().items() if str(old.get(k) or "") != str(v or "")}
        if values:
            try:
                update_school(self.session, values)
            except Refused as e:
                self.form.show_refusal(e.findings)
                return
        super().accept()
