"""The certificate register: every certificate with its number, student, date and state (有效, 待验印,
已作废); issue one to the selected student, record a reprint (same number, with why), void a spoiled
form (with why), record the bureau's 验印. Every action goes through app.certificates.service (rules, history)."""
from __future__ import annotations

from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout,
                               QHeaderView, QInputDialog, QLabel, QLineEdit, QPushButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout)

from ui.common import messages
from ui.common.i18n import tr

COLUMNS = ("number", "kind_name", "student_name", "xueji_no", "issue_date", "state_name", "prints", "reprints",
           "verified_at", "void_reason")


def _headers() -> list[str]:
    return [tr("certui.col.number"), tr("certui.col.kind"), tr("certui.col.student"), tr("certui.col.xueji_no"),
            tr("certui.col.issue_date"), tr("certui.col.state"), tr("certui.col.prints"), tr("certui.col.reprints"),
            tr("certui.col.verified_at"), tr("certui.col.note")]


class OverrideDialog(QDialog):
    """Reason and approver for a BLOCK* certificate rule (e.g. a second 学历证明, 长治 第三十八条)."""

    def __init__(self, text: str, parent=None):
        super().__init__(parent)
        self.setWindowTitle(tr("certui.override_title"))
        label = QLabel(text)
        label.setWordWrap(True)
        self.reason = QLineEdit()
        self.approver = QLineEdit()
        form = QFormLayout()
        form.addRow(tr("student.override_reason"), self.reason)
        form.addRow(tr("student.override_approver"), self.approver)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("common.cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(label)
        lay.addLayout(form)
        lay.addWidget(buttons)
        self.resize(560, 240)


class CertRegisterDialog(QDialog):
    def __init__(self, session, parent=None, *, student_id: int | None = None, after_write=None):
        super().__init__(parent)
        self.session = session
        self.student_id = student_id
        self.after_write = after_write
        self.rows: list[dict] = []
        self.setWindowTitle(tr("certui.title"))
        self.resize(1100, 620)
        self.only_student = QCheckBox(tr("certui.only_student"))
        self.only_student.setEnabled(student_id is not None)
        self.only_student.setChecked(student_id is not None)
        self.only_student.toggled.connect(self.reload)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(_headers())
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.issue_button = QPushButton(tr("certui.issue"))
        self.reprint_button = QPushButton(tr("certui.reprint"))
        self.void_button = QPushButton(tr("certui.void"))
        self.verify_button = QPushButton(tr("certui.verify"))
        self.issue_button.setEnabled(student_id is not None)
        self.issue_button.clicked.connect(self.issue)
        self.reprint_button.clicked.connect(self.reprint)
        self.void_button.clicked.connect(self.void)
        self.verify_button.clicked.connect(self.verify)
        close = QPushButton(tr("common.close"))
        close.clicked.connect(self.accept)
        self.count_label = QLabel()
        buttons = QHBoxLayout()
        for b in (self.issue_button, self.reprint_button, self.void_button, self.verify_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(close)
        top = QHBoxLayout()
        top.addWidget(self.only_student)
        top.addStretch(1)
        top.addWidget(self.count_label)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.table, 1)
        lay.addLayout(buttons)
        self.reload()

    def reload(self) -> None:
        from app.certificates import service as cs

        sid = self.student_id if self.only_student.isChecked() else None
        self.rows = cs.list_certificates(self.session, sid)
        self.table.setRowCount(len(self.rows))
        for r, c in enumerate(self.rows):
            for col, key in enumerate(COLUMNS):
                self.table.setItem(r, col, QTableWidgetItem(str(c.get(key) if c.get(key) is not None else "")))
        self.count_label.setText(tr("certui.count", count=len(self.rows)))
        self._update_buttons()

    def selected(self) -> dict | None:
        rows = self.table.selectionModel().selectedRows()
        return self.rows[rows[0].row()] if rows else None

    def _update_buttons(self) -> None:
        c = self.selected()
        live = c is not None and c["state"] != "void"
        self.reprint_button.setEnabled(live)
        self.void_button.setEnabled(live)
        self.verify_button.setEnabled(live and not c["verified_at"])

    def _written(self, student_id) -> None:
        self.reload()
        if self.after_write:
            self.after_write([student_id])

    # ------------------------------------------------------------------ actions
    def issue(self, kind: str | None = None, override=None, number: str | None = None) -> str | None:
        from app.certificates import service as cs
        from app.core.errors import BLOCK_STAR, Refused

        if kind is None:
            names = [cs.kind_name(k) for k in cs.CERT_KINDS]
            name, ok = QInputDialog.getItem(self, tr("certui.issue"), tr("certui.choose_kind"), names, 0, False)
            if not ok:
                return None
            kind = cs.CERT_KINDS[names.index(name)]
        try:
            r = cs.issue(self.session, kind, self.student_id, override=override, number=number)
        except Refused as e:
            if override is None and e.findings and all(f.outcome == BLOCK_STAR for f in e.findings):
                dlg = OverrideDialog(messages.findings_text(e.findings), self)
                if dlg.exec() == QDialog.DialogCode.Accepted:
                    return self.issue(kind, cs.CertOverride(dlg.reason.text(), dlg.approver.text()), number)
                return None
            if number is None and [f.code for f in e.findings] == ["cert_number_required"]:
                typed = self.ask_number(messages.findings_text(e.findings))
                return self.issue(kind, override, typed) if typed else None
            messages.error(self, messages.findings_text(e.findings))
            return None
        self._written(self.student_id)
        notes = [f.text() for f in r.warnings + r.notes]
        messages.info(self, tr("certui.issued", kind=cs.kind_name(kind), number=r.number)
                      + ("\n" + "\n".join(notes) if notes else ""))
        return r.number

    def ask_number(self, why: str) -> str | None:
        """The number printed on the authority's blank (长治: diplomas are numbered by the bureau)."""
        text, ok = QInputDialog.getText(self, tr("certui.number_title"), why + "\n\n" + tr("certui.number_prompt"))
        return text.strip() if ok and text.strip() else None

    def _reason(self, title: str) -> str | None:
        text, ok = QInputDialog.getText(self, title, tr("certui.reason"))
        return text if ok else None

    def _do(self, fn, *args) -> bool:
        from app.core.errors import NotFound, Refused

        try:
            fn(*args)
        except Refused as e:
            messages.error(self, messages.findings_text(e.findings))
            return False
        except NotFound as e:
            messages.error(self, e.message)
            return False
        return True

    def reprint(self, reason: str | None = None) -> bool:
        from app.certificates import service as cs

        c = self.selected()
        if c is None:
            return False
        reason = reason if reason is not None else self._reason(tr("certui.reprint"))
        if reason is None:
            return False
        ok = self._do(cs.reprint, self.session, c["number"], reason)
        if ok:
            self._written(c["student_id"])
        return ok

    def void(self, reason: str | None = None) -> bool:
        from app.certificates import service as cs

        c = self.selected()
        if c is None:
            return False
        if reason is None:
            reason = self._reason(tr("certui.void"))
            if reason is None or not messages.confirm(self, tr("certui.void_confirm", number=c["number"])):
                return False
        ok = self._do(cs.void, self.session, c["number"], reason)
        if ok:
            self._written(c["student_id"])
        return ok

    def verify(self) -> bool:
        from app.certificates import service as cs

        c = self.selected()
        if c is None:
            return False
        ok = self._do(cs.verify, self.session, c["number"])
        if ok:
            self._written(c["student_id"])
        return ok

    def select_number(self, number: str) -> None:
        for i, c in enumerate(self.rows):
            if c["number"] == number:
                self.table.selectRow(i)
                return
