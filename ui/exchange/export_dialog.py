"""导出用途: before exporting student data the registrar says what the file is for (issue 7, 国家 第二十五条).

Only the purposes the signed-in role may export for are offered (app/export_approvals.available_purposes):
上报/核对国家学籍系统 (full ID numbers), 校内使用 (ID numbers masked), 提供给校外 (a valid written approval chosen
from the combo; ID numbers masked unless that approval allows full ones). The services check the same again.

    choice = ask_export_purpose(parent, session)     # (purpose, approval dict | None) or None (cancelled)
"""
from __future__ import annotations

from PySide6.QtWidgets import (QButtonGroup, QComboBox, QDialog, QDialogButtonBox, QLabel, QRadioButton,
                               QVBoxLayout)

from app.exchange import approvals as E
from ui.common import messages
from ui.common.i18n import tr

_HINTS = {"national": lambda: tr("export_dialog.hint.national"), "internal": lambda: tr("export_dialog.hint.internal"),
          "external": lambda: tr("export_dialog.hint.external")}


class ExportPurposeDialog(QDialog):
    def __init__(self, session, parent=None, purposes: list[str] | None = None):
        super().__init__(parent)
        self.session = session
        self.setWindowTitle(tr("export_dialog.title"))
        self.setMinimumWidth(480)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(tr("export_dialog.question")))
        self.group = QButtonGroup(self)
        self.buttons: dict[str, QRadioButton] = {}
        self.purposes = list(purposes if purposes is not None else E.available_purposes(session))
        for p in self.purposes:
            b = QRadioButton(E.PURPOSE_NAMES[p])
            b.setObjectName(f"purpose_{p}")
            self.group.addButton(b)
            self.buttons[p] = b
            lay.addWidget(b)
            hint = QLabel(_HINTS[p]())
            hint.setWordWrap(True)
            hint.setIndent(24)
            hint.setStyleSheet("color: palette(mid);")
            lay.addWidget(hint)
        self.approval = QComboBox()
        self.approval.setObjectName("approval")
        self.approvals: list[dict] = []
        self.no_approval = QLabel(tr("export_dialog.no_approval"))
        self.no_approval.setWordWrap(True)
        if "external" in self.purposes:
            self.approvals = [a for a in E.list_approvals(session) if a["state"] == "valid"]
            for a in self.approvals:
                ids = tr("export_dialog.full_id") if a["allow_full_id"] else tr("export_dialog.masked")
                self.approval.addItem(tr("export_dialog.approval_item", reference=a["reference"],
                                         recipient=a["recipient"], until=a["valid_until"], ids=ids), a["id"])
            lay.addWidget(QLabel(tr("export_dialog.approval_label")))
            lay.addWidget(self.approval)
            lay.addWidget(self.no_approval)
        self.box = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.box.accepted.connect(self.accept)
        self.box.rejected.connect(self.reject)
        lay.addWidget(self.box)
        self.group.buttonToggled.connect(lambda *_: self._update())
        if self.purposes:
            self.buttons[self.purposes[0]].setChecked(True)
        self._update()

    def purpose(self) -> str | None:
        return next((p for p, b in self.buttons.items() if b.isChecked()), None)

    def chosen_approval(self) -> dict | None:
        if self.purpose() != "external" or self.approval.currentIndex() < 0:
            return None
        aid = self.approval.currentData()
        return next((a for a in self.approvals if a["id"] == aid), None)

    def _update(self) -> None:
        external = self.purpose() == "external"
        self.approval.setEnabled(external and bool(self.approvals))
        self.no_approval.setVisible(external and not self.approvals)
        ok = self.purpose() is not None and (not external or self.chosen_approval() is not None)
        self.box.button(QDialogButtonBox.Ok).setEnabled(ok)

    def result_value(self) -> tuple[str, dict | None] | None:
        p = self.purpose()
        if p is None or (p == "external" and self.chosen_approval() is None):
            return None
        return p, self.chosen_approval()


def ask_export_purpose(parent, session) -> tuple[str, dict | None] | None:
    """Ask what an export of student data is for. ``(purpose, approval)`` (approval: the chosen valid
    approval for ``external``, else None), or None when cancelled or the role may not export at all."""
    purposes = E.available_purposes(session)
    if not purposes:
        messages.error(parent, tr("export_dialog.not_allowed"))
        return None
    dlg = ExportPurposeDialog(session, parent, purposes)
    try:
        if dlg.exec() != QDialog.Accepted:
            return None
        return dlg.result_value()
    finally:
        dlg.deleteLater()
