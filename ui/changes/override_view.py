"""例外放行审批: the registrar's BLOCK* overrides, each with its countersignature state, for a 校领导 to approve
or reject in their own account (app/changes/overrides.py). Opened from the 账户 menu:
``open_override_view(window)`` (one window per main window)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QComboBox, QDialog, QHBoxLayout, QInputDialog, QLabel,
                               QPushButton, QTableWidgetItem, QVBoxLayout)

from app.changes import overrides as O
from app.core.errors import NotFound, Refused
from ui.common import messages, record_list
from ui.common.i18n import tr

COLUMNS = ("state_name", "student_name", "rule_id", "article", "override_reason", "approved_by", "decided_by",
           "decided_at", "countersigned", "note")
STATES = (None, "pending", "approved", "rejected")


def _headers() -> list[str]:
    return [tr("overrideui.col.state"), tr("overrideui.col.student"), tr("overrideui.col.rule"),
            tr("overrideui.col.article"), tr("overrideui.col.reason"), tr("overrideui.col.approver_named"),
            tr("overrideui.col.made_by"), tr("overrideui.col.made_at"), tr("overrideui.col.countersigned"),
            tr("overrideui.col.note")]


class OverrideView(QDialog):
    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.rows: list[dict] = []
        self.setWindowTitle(tr("overrideui.title"))
        self.setWindowModality(Qt.WindowModality.NonModal)
        self.resize(1150, 560)
        self.state = QComboBox()
        self.state.setObjectName("state")
        for s, label in zip(STATES, (tr("overrideui.state_all"), O.STATE_NAMES["pending"], O.STATE_NAMES["approved"],
                                     O.STATE_NAMES["rejected"])):
            self.state.addItem(label, s)
        self.state.setCurrentIndex(1)
        self.state.currentIndexChanged.connect(self.reload)
        self.table = record_list.make_table(_headers())
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.approve_btn = QPushButton(tr("overrideui.approve"))
        self.reject_btn = QPushButton(tr("overrideui.reject"))
        self.approve_btn.clicked.connect(lambda: self.decide("approved"))
        self.reject_btn.clicked.connect(lambda: self.decide("rejected"))
        close = QPushButton(tr("common.close"))
        close.clicked.connect(self.close)
        self.hint = QLabel(tr("overrideui.hint"))
        self.hint.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(QLabel(tr("overrideui.show")))
        top.addWidget(self.state)
        top.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.approve_btn)
        buttons.addWidget(self.reject_btn)
        buttons.addStretch(1)
        buttons.addWidget(close)
        lay = QVBoxLayout(self)
        lay.addWidget(self.hint)
        lay.addLayout(top)
        lay.addWidget(self.table)
        lay.addLayout(buttons)
        self.reload()

    def reload(self) -> None:
        try:
            self.rows = O.list_overrides(self.session, state=self.state.currentData())
        except Refused as e:
            self.rows = []
            messages.error(self, messages.findings_text(e.findings))
        self.table.setRowCount(len(self.rows))
        for r, o in enumerate(self.rows):
            values = dict(o, decided_at=(o["decided_at"] or "").replace("T", " "),
                          countersigned=(tr("overrideui.countersigned", by=o["countersigned_name"] or o["countersigned_by"],
                                            at=(o["countersigned_at"] or "").replace("T", " "))
                                         if o["countersigned_by"] else ""))
            for c, key in enumerate(COLUMNS):
                item = QTableWidgetItem(str(values.get(key) or ""))
                if key == "state_name" and o["state"] == "rejected":
                    item.setForeground(QColor("#b00020"))
                item.setToolTip(o["message"])
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        self._update_buttons()

    def selected(self) -> dict | None:
        return record_list.selected(self.table, self.rows)

    def _update_buttons(self) -> None:
        o = self.selected()
        can = self.session.can("approve") and o is not None and o["state"] == "pending"
        self.approve_btn.setEnabled(can)
        self.reject_btn.setEnabled(can)

    def decide(self, decision: str) -> None:
        o = self.selected()
        if o is None:
            return
        label = tr("overrideui.note_reject") if decision == "rejected" else tr("overrideui.note_approve")
        note, ok = QInputDialog.getText(self, tr("overrideui.title"), label)
        if not ok:
            return
        try:
            O.decide(self.session, o["id"], decision, note)
        except (Refused, NotFound) as e:
            messages.error(self, messages.findings_text(e.findings) if isinstance(e, Refused) else e.message)
            return
        self.reload()


def open_override_view(window) -> OverrideView | None:
    session = window.session
    if not session.can("read_all"):
        messages.error(window, tr("overrideui.not_allowed"))
        return None
    return window.dialogs.open("overrides", lambda: OverrideView(session, window), again=lambda v: v.reload())
