"""学籍状态: a student's status events (app.changes.service.events_for) as a read-only table, newest first —
生效日期, 异动, 原状态 → 新状态, 原因, 经办人, 材料与审批, 详情 — the state on any chosen date, a button
that opens the guided change dialog, and one that records a party's later decision on a change
(app.changes.service.record_approval; 同意 closes that party's response deadline)."""
from __future__ import annotations

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDateEdit, QDialog, QDialogButtonBox, QFormLayout,
                               QHBoxLayout, QLineEdit, QHeaderView, QLabel, QPushButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from app.students import status as st
from ui.common.i18n import tr
from ui.common.values import field

WIDTHS = (96, 90, 150, 140, 70, 240)




def kind_label(kind: str) -> str:
    try:
        from app.changes.service import kind_info

        return kind_info(kind).get("label") or kind
    except Exception:
        return kind


def details_text(ev) -> str:
    d = field(ev, "details") or {}
    if isinstance(d, str):
        import json

        try:
            d = json.loads(d)
        except ValueError:
            return d
    from ui.changes.change_fields import field_label

    from ui.changes.change_fields import causes

    if d.get("cause") in causes():
        d = dict(d, cause=causes()[d["cause"]]["name"])
    parts = [tr("state_ui.detail", name=detail_label(k, field_label), value=_value_text(v)) for k, v in d.items()
             if v not in (None, "", [], {}, False)] if isinstance(d, dict) else []
    return tr("common.list_sep").join(parts)


def papers_text(ev) -> str:
    """The event's evidence (attached / in the paper folder / missing), each party's decision, its deadlines."""
    how = {"attached": tr("state_ui.how_attached"), "in_folder": tr("state_ui.how_in_folder"),
           "missing": tr("state_ui.how_missing")}
    decision = {"approved": tr("change_ui.approval.approved"), "refused": tr("change_ui.approval.refused"),
                "pending": tr("change_ui.approval.pending")}
    parts = [tr("state_ui.paper", name=e.get("name", ""), how=how.get(e.get("how"), e.get("how", "")))
             for e in field(ev, "evidence") or []]
    for a in field(ev, "approvals") or []:
        who = " ".join(x for x in (a.get("decided_by"), a.get("decided_on"), a.get("doc_number")) if x)
        parts.append(tr("state_ui.approval", party=a.get("party", ""), decision=decision.get(a.get("decision"), ""),
                        who=who).strip())
    for d in field(ev, "deadlines") or []:
        if not d.get("done_at"):
            from ui.changes.change_widgets import deadline_kind_label

            parts.append(tr("state_ui.deadline", title=deadline_kind_label(d.get("kind", "")), due=d.get("due_date", "")))
    return tr("common.list_sep").join(parts)


def detail_label(key: str, field_label) -> str:
    names = {"form": tr("state_ui.detail_form"), "school_year": tr("state_ui.detail_school_year"),
             "reasons": tr("state_ui.detail_reasons"), "rules": tr("state_ui.detail_rules"),
             "cause": tr("state_ui.detail_cause")}
    return names.get(key) or field_label(key)


def _value_text(v) -> str:
    if v is True:
        return tr("state_ui.yes")
    if isinstance(v, (list, tuple)):
        return tr("common.item_sep").join(str(x) for x in v)
    return str(v)


class StateHistory(QWidget):
    """``fill()`` re-reads the events; ``changeRequested`` when the registrar asks for a change."""

    changeRequested = Signal()

    def __init__(self, session, student_id: int, parent=None):
        super().__init__(parent)
        self.session = session
        self.student_id = student_id
        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        self.state_label = QLabel()
        self.state_label.setObjectName("state_label")
        top.addWidget(self.state_label, 1)
        top.addWidget(QLabel(tr("state_ui.on_date")))
        self.on_date = QDateEdit(QDate.currentDate())
        self.on_date.setObjectName("state_on_date")
        self.on_date.setCalendarPopup(True)
        self.on_date.setDisplayFormat("yyyy-MM-dd")
        self.on_date.dateChanged.connect(lambda _d: self.show_state_on())
        top.addWidget(self.on_date)
        self.on_label = QLabel()
        self.on_label.setObjectName("state_on_label")
        self.on_label.setMinimumWidth(self.fontMetrics().horizontalAdvance("0") * 16)
        top.addWidget(self.on_label)
        self.change_button = QPushButton(tr("state_ui.change"))
        self.change_button.setAutoDefault(False)
        self.change_button.clicked.connect(self.open_change)
        top.addWidget(self.change_button)
        self.approval_button = QPushButton(tr("state_ui.record_approval"))
        self.approval_button.setObjectName("record_approval")
        self.approval_button.setAutoDefault(False)
        self.approval_button.setToolTip(tr("state_ui.record_approval_tip"))
        self.approval_button.clicked.connect(self.open_approval)
        top.addWidget(self.approval_button)
        lay.addLayout(top)
        self.table = QTableWidget(0, 7)
        self.table.setObjectName("state_table")
        self.table.setHorizontalHeaderLabels([tr("state_ui.col_date"), tr("state_ui.col_kind"), tr("state_ui.col_change"),
                                              tr("state_ui.col_reason"), tr("state_ui.col_by"), tr("state_ui.col_papers"),
                                              tr("state_ui.col_details")])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        hh = self.table.horizontalHeader()
        hh.setStretchLastSection(True)
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for c, w in enumerate(WIDTHS):
            self.table.setColumnWidth(c, w)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        lay.addWidget(self.table, 1)
        self.events: list = []
        self.fill()

    def fill(self) -> None:
        from app.changes.service import events_for

        events = list(events_for(self.session, self.student_id))
        self.events = list(reversed(events))          # as shown: newest first
        self.table.setRowCount(len(events))
        for r, ev in enumerate(reversed(events)):  # newest first
            fs, ts = field(ev, "from_state") or "", field(ev, "to_state") or ""
            change = st.name(ts) if fs in (ts, "") else tr("state_ui.arrow", from_state=st.name(fs),
                                                              to_state=st.name(ts))
            fg, tg = field(ev, "from_grade"), field(ev, "to_grade")
            if fg and tg and fg != tg:
                from app.school.classes import grade_name

                change += tr("state_ui.grades", from_grade=grade_name(int(fg)), to_grade=grade_name(int(tg)))
            vals = (field(ev, "effective_date") or "", field(ev, "kind_name") or kind_label(field(ev, "kind") or ""), change,
                    field(ev, "reason") or "", field(ev, "recorded_by") or "", papers_text(ev), details_text(ev))
            for c, v in enumerate(vals):
                it = QTableWidgetItem(str(v))
                it.setToolTip(str(v))
                self.table.setItem(r, c, it)
        self._selection_changed()
        cur = field(events[-1], "to_state") if events else None
        self.state_label.setText(tr("state_ui.current", status=st.name(cur)) if cur else "")
        self.show_state_on()

    def show_state_on(self) -> str | None:
        """学籍状态 on the chosen date (app.changes.service.state_on), e.g. for a certificate about a past day."""
        from app.changes.service import state_on

        day = self.on_date.date().toPython()
        code = state_on(self.session, self.student_id, day)
        self.on_label.setText(st.name(code) if code else tr("state_ui.no_record_yet"))
        return code

    def selected_event(self):
        r = self.table.currentRow()
        return self.events[r] if 0 <= r < len(self.events) else None

    def _selection_changed(self) -> None:
        ev = self.selected_event()
        self.approval_button.setEnabled(bool(ev and waiting_parties(ev)))

    def open_approval(self, *, exec_: bool = True):
        """登记审批结果: a party's decision that arrived after the change was recorded."""
        ev = self.selected_event()
        if ev is None or not waiting_parties(ev):
            return None
        dlg = ApprovalDialog(self.session, ev, self)
        dlg.recorded.connect(lambda _r: (self.fill(), self.changeRequested.emit()))
        if exec_:
            dlg.open()
        return dlg

    def open_change(self):
        from ui.changes.change_dialog import ChangeDialog

        dlg = ChangeDialog(self.session, self.student_id, parent=self.window())
        dlg.saved.connect(lambda _sid: (self.fill(), self.changeRequested.emit()))
        dlg.finished.connect(dlg.deleteLater)
        dlg.open()
        return dlg


def add_state_tab(editor) -> StateHistory:
    """The 学籍状态 tab of the student editor (ui.students.student_editor_dialog): the student's events, and a
    change made from it refreshes the editor's status line and tells the main window (``saved``)."""
    w = StateHistory(editor.session, editor.student_id, editor)
    editor.tabs.addTab(w, tr("state_ui.tab"))

    def changed():
        from app.students import service as ss

        sid = editor.student_id
        if not editor.is_dirty():
            editor._load(sid)
        else:
            s = ss.get_student(editor.session, sid)
            editor.status_label.setText(tr("editor.status", status=s.get("status_name", "")))
        editor.saved.emit(sid)

    w.changeRequested.connect(changed)
    return w


def waiting_parties(ev) -> list[str]:
    """Parties of an event still to answer: an open response deadline names them, or their latest recorded
    decision is not 同意."""
    latest: dict[str, str] = {}
    for d in field(ev, "deadlines") or []:
        if d.get("kind") == "party_response" and not d.get("done_at") and d.get("note"):
            latest.setdefault(d["note"], "pending")
    for a in field(ev, "approvals") or []:
        latest[a.get("party", "")] = a.get("decision", "")
    return [p for p, d in latest.items() if p and d != "approved"]


class ApprovalDialog(QDialog):
    """One party's decision on a recorded change (app.changes.service.record_approval): who, date, document number.
    同意 closes that party's response deadline."""

    recorded = Signal(object)

    def __init__(self, session, event, parent=None):
        super().__init__(parent)
        self.session = session
        self.change_event = event  # not self.event: that is QObject.event()
        self.result = None
        self.setWindowTitle(tr("state_ui.approval_title", kind=field(event, "kind_name") or field(event, "kind"),
                               date=field(event, "effective_date") or ""))
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.party = QComboBox()
        self.party.setObjectName("approval_party")
        self.party.addItems(waiting_parties(event))
        self.decision = QComboBox()
        self.decision.setObjectName("approval_decision")
        for code, text in (("approved", tr("change_ui.approval.approved")), ("refused", tr("change_ui.approval.refused")),
                           ("pending", tr("change_ui.approval.pending"))):
            self.decision.addItem(text, code)
        self.by = QLineEdit()
        self.by.setObjectName("approval_by")
        self.by.setPlaceholderText(tr("override.approved_placeholder"))
        self.on = QDateEdit(QDate.currentDate())
        self.on.setCalendarPopup(True)
        self.on.setDisplayFormat("yyyy-MM-dd")
        self.doc = QLineEdit()
        self.doc.setObjectName("approval_doc")
        form.addRow(tr("change_ui.approval.col_party"), self.party)
        form.addRow(tr("change_ui.approval.col_decision"), self.decision)
        form.addRow(tr("change_ui.approval.col_by"), self.by)
        form.addRow(tr("change_ui.approval.col_date"), self.on)
        form.addRow(tr("change_ui.approval.col_doc"), self.doc)
        lay.addLayout(form)
        self.error = QLabel()
        self.error.setStyleSheet("color: #c62828;")
        self.error.setWordWrap(True)
        self.error.hide()
        lay.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(tr("common.save"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("common.cancel"))
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.setMinimumWidth(460)

    def save(self) -> bool:
        from app.changes.service import record_approval
        from app.core.errors import Refused

        approval = {"party": self.party.currentText().strip(), "decision": self.decision.currentData(),
                    "decided_by": self.by.text().strip(), "decided_on": self.on.date().toString("yyyy-MM-dd"),
                    "doc_number": self.doc.text().strip()}
        try:
            self.result = record_approval(self.session, field(self.change_event, "id"), approval)
        except Refused as e:
            from ui.common.messages import findings_text

            self.error.setText(findings_text(e.findings))
            self.error.show()
            return False
        self.recorded.emit(self.result)
        self.accept()
        return True
