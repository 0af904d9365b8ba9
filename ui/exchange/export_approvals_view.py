"""对外提供审批: the written approvals an export outside the school needs (国家 第二十五条 and the provinces' same
article, app/exchange/approvals.py): recorded from the paper by a 校领导 or the registrar, naming who signed it (the
学籍主管部门); the account that recorded it is kept too. An approval can be revoked with a reason; nothing is edited in place.
``open_export_approvals(window)`` opens one window per main window."""
from __future__ import annotations

import datetime as _dt

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (QCheckBox, QDateEdit, QDialog, QDialogButtonBox, QFormLayout,
                               QHBoxLayout, QInputDialog, QLabel, QLineEdit, QPushButton,
                               QTableWidgetItem, QVBoxLayout)

from app.exchange import approvals as E
from app.core.errors import Refused
from ui.common import messages, record_list
from ui.common.i18n import tr

COLUMNS = ("id", "reference", "recipient", "purpose", "ids", "approved_by", "approved_on", "valid_until",
           "state_name", "recorded")


def _headers() -> list[str]:
    return [tr("approvalui.col.id"), tr("export_approval.field.reference"), tr("export_approval.field.recipient"),
            tr("export_approval.field.purpose"), tr("approvalui.col.ids"), tr("export_approval.field.approved_by"),
            tr("export_approval.field.approved_on"), tr("export_approval.field.valid_until"), tr("approvalui.col.state"),
            tr("approvalui.col.recorded")]


def _qdate(d: _dt.date) -> QDate:
    return QDate(d.year, d.month, d.day)


class AddApprovalDialog(QDialog):
    """The fields of one written approval, as on the paper."""

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.setWindowTitle(tr("approvalui.add_title"))
        self.reference = QLineEdit()
        self.recipient = QLineEdit()
        self.purpose = QLineEdit()
        self.full_id = QCheckBox(tr("approvalui.full_id"))
        self.approved_by = QLineEdit()
        # who signed the written approval: the article asks for the 学籍主管部门's (e.g. 县教育局), so it is typed
        # from the paper; a 校领导 who leaves it empty signs for the school (app/export_approvals.add)
        self.approved_by.setPlaceholderText(tr("approvalui.approved_by_hint"))
        today = _dt.date.today()
        self.approved_on = QDateEdit(_qdate(today))
        self.approved_on.setCalendarPopup(True)
        self.approved_on.setDisplayFormat("yyyy-MM-dd")
        self.valid_until = QDateEdit(_qdate(today + _dt.timedelta(days=int(E.config()["valid_days"]))))
        self.valid_until.setCalendarPopup(True)
        self.valid_until.setDisplayFormat("yyyy-MM-dd")
        form = QFormLayout()
        form.addRow(tr("export_approval.field.reference"), self.reference)
        form.addRow(tr("export_approval.field.recipient"), self.recipient)
        form.addRow(tr("export_approval.field.purpose"), self.purpose)
        form.addRow("", self.full_id)
        form.addRow(tr("export_approval.field.approved_by"), self.approved_by)
        form.addRow(tr("export_approval.field.approved_on"), self.approved_on)
        form.addRow(tr("export_approval.field.valid_until"), self.valid_until)
        note = QLabel(tr("approvalui.add_note", article=E.article(session)))
        note.setWordWrap(True)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020;")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("common.cancel"))
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(note)
        lay.addLayout(form)
        lay.addWidget(self.error)
        lay.addWidget(buttons)
        self.resize(560, 380)
        self.saved: dict | None = None

    def save(self) -> None:
        def py(d: QDate) -> _dt.date:
            return _dt.date(d.year(), d.month(), d.day())

        try:
            self.saved = E.add(self.session, reference=self.reference.text(), recipient=self.recipient.text(),
                               purpose=self.purpose.text(), allow_full_id=self.full_id.isChecked(),
                               approved_by=self.approved_by.text(), approved_on=py(self.approved_on.date()),
                               valid_until=py(self.valid_until.date()))
        except Refused as e:
            self.error.setText(messages.findings_text(e.findings))
            return
        self.accept()


class ExportApprovalsView(QDialog):
    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.rows: list[dict] = []
        self.setWindowTitle(tr("approvalui.title"))
        self.setWindowModality(Qt.WindowModality.NonModal)
        self.resize(1150, 520)
        self.show_all = QCheckBox(tr("approvalui.show_all"))
        self.show_all.toggled.connect(self.reload)
        self.table = record_list.make_table(_headers())
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.add_btn = QPushButton(tr("approvalui.add"))
        self.revoke_btn = QPushButton(tr("approvalui.revoke"))
        self.add_btn.clicked.connect(self.add)
        self.revoke_btn.clicked.connect(self.revoke)
        close = QPushButton(tr("common.close"))
        close.clicked.connect(self.close)
        hint = QLabel(tr("approvalui.hint", article=E.article(session)))
        hint.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_btn)
        buttons.addWidget(self.revoke_btn)
        buttons.addStretch(1)
        buttons.addWidget(self.show_all)
        buttons.addWidget(close)
        lay = QVBoxLayout(self)
        lay.addWidget(hint)
        lay.addWidget(self.table)
        lay.addLayout(buttons)
        self.reload()

    def reload(self) -> None:
        try:
            self.rows = E.list_approvals(self.session, include_all=self.show_all.isChecked())
        except Refused as e:
            self.rows = []
            messages.error(self, messages.findings_text(e.findings))
        self.table.setRowCount(len(self.rows))
        for r, a in enumerate(self.rows):
            values = dict(a, ids=tr("approvalui.ids_full") if a["allow_full_id"] else tr("approvalui.ids_masked"),
                          recorded=tr("approvalui.recorded", by=a["recorded_by"],
                                      at=(a["recorded_at"] or "").replace("T", " ")[:16]))
            if a.get("revoked_at"):
                values["state_name"] = tr("approvalui.revoked_state", state=a["state_name"], reason=a["revoke_reason"])
            for c, key in enumerate(COLUMNS):
                self.table.setItem(r, c, QTableWidgetItem(str(values.get(key) if values.get(key) is not None else "")))
        self.table.resizeColumnsToContents()
        self._update_buttons()

    def selected(self) -> dict | None:
        return record_list.selected(self.table, self.rows)

    def _update_buttons(self) -> None:
        can = self.session.can("approve")
        self.add_btn.setEnabled(can)
        a = self.selected()
        self.revoke_btn.setEnabled(can and a is not None and not a.get("revoked_at"))

    def add(self) -> None:
        dlg = AddApprovalDialog(self.session, self)
        if dlg.exec() == QDialog.DialogCode.Accepted:
            self.reload()

    def revoke(self) -> None:
        a = self.selected()
        if a is None:
            return
        reason, ok = QInputDialog.getText(self, tr("approvalui.revoke"),
                                          tr("approvalui.revoke_reason", reference=a["reference"]))
        if not ok:
            return
        try:
            E.revoke(self.session, a["id"], reason)
        except Refused as e:
            messages.error(self, messages.findings_text(e.findings))
            return
        self.reload()


def open_export_approvals(window) -> ExportApprovalsView | None:
    session = window.session
    if not (session.can("approve") or session.can("export_external")):
        messages.error(window, tr("approvalui.not_allowed"))
        return None
    return window.dialogs.open("export_approvals", lambda: ExportApprovalsView(session, window), again=lambda v: v.reload())
