"""The two small dialogs a refused save may need before it is retried:

* ``EvidenceDialog`` — a key-data change (姓名, 性别, 出生日期, 身份证件号, 民族 …) refused with outcome
  EVIDENCE: asks for 变更原因 and 证明材料 (one reference per line).
* ``OverrideDialog`` — a BLOCK* rule: asks for 理由, 批准人 and 证明材料 to record an override.

Both show the findings that asked for them, each with its rule and article.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QPlainTextEdit,
                               QVBoxLayout)

from app.students.service import Override
from ui.common.i18n import tr
from ui.common.messages import findings_text


def _lines(text: str) -> list[str]:
    return [x.strip() for x in text.replace("；", "\n").replace(";", "\n").splitlines() if x.strip()]


class _FindingsDialog(QDialog):
    def __init__(self, findings, title: str, intro: str, parent=None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(560)
        lay = QVBoxLayout(self)
        head = QLabel(intro)
        head.setWordWrap(True)
        lay.addWidget(head)
        box = QLabel(findings_text(findings))
        box.setWordWrap(True)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.setStyleSheet("color: #b71c1c; padding: 6px; background: #fff3f3; border: 1px solid #f3c0c0;")
        lay.addWidget(box)
        self.form = QFormLayout()
        lay.addLayout(self.form)
        self.error = QLabel()
        self.error.setStyleSheet("color: #c62828;")
        self.error.hide()
        lay.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(tr("keychange.retry"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("common.cancel"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        for seq in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(seq), self, activated=self.accept)

    def _evidence_edit(self) -> QPlainTextEdit:
        e = QPlainTextEdit()
        e.setPlaceholderText(tr("keychange.evidence_placeholder"))
        e.setTabChangesFocus(True)
        e.setFixedHeight(self.fontMetrics().height() * 4 + 12)
        return e

    def _missing(self, names: list[str]) -> bool:
        if names:
            self.error.setText(tr("keychange.missing", fields="、".join(names)))
            self.error.show()
            return True
        return False


class EvidenceDialog(_FindingsDialog):
    def __init__(self, findings, parent=None, *, reason: str = "", evidence=()):
        super().__init__(findings, tr("keychange.title"), tr("keychange.intro"), parent)
        self.reason_edit = QLineEdit(reason)
        self.evidence_edit = self._evidence_edit()
        self.evidence_edit.setPlainText("\n".join(evidence))
        self.form.addRow(tr("keychange.reason"), self.reason_edit)
        self.form.addRow(tr("keychange.evidence"), self.evidence_edit)

    def reason(self) -> str:
        return self.reason_edit.text().strip()

    def evidence(self) -> list[str]:
        return _lines(self.evidence_edit.toPlainText())

    def accept(self) -> None:
        missing = [n for n, ok in ((tr("keychange.reason_name"), self.reason()),
                                   (tr("keychange.evidence_name"), self.evidence())) if not ok]
        if not self._missing(missing):
            super().accept()


class OverrideDialog(_FindingsDialog):
    def __init__(self, findings, parent=None):
        super().__init__(findings, tr("override.title"), tr("override.intro"), parent)
        self.reason_edit = QLineEdit()
        self.approved_edit = QLineEdit()
        self.approved_edit.setPlaceholderText(tr("override.approved_placeholder"))
        self.evidence_edit = self._evidence_edit()
        self.form.addRow(tr("override.reason"), self.reason_edit)
        self.form.addRow(tr("override.approved_by"), self.approved_edit)
        self.form.addRow(tr("keychange.evidence"), self.evidence_edit)
        self.rule_ids = sorted({f.rule for f in findings if f.rule})

    def override(self) -> Override:
        return Override(self.reason_edit.text().strip(), self.approved_edit.text().strip(),
                        _lines(self.evidence_edit.toPlainText()))

    def overrides(self) -> dict[str, Override]:
        ov = self.override()
        return {rid: ov for rid in self.rule_ids}

    def accept(self) -> None:
        ov = self.override()
        missing = [n for n, ok in ((tr("override.reason_name"), ov.reason), (tr("override.approved_name"), ov.approved_by),
                                   (tr("keychange.evidence_name"), ov.evidence)) if not ok]
        if not self._missing(missing):
            super().accept()
