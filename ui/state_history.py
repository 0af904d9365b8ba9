"""状态: a student's status events (app.changes.events_for) as a read-only table, newest first —
生效日期, 异动, 原状态 → 新状态, 原因, 经办人, 详情 — with a button that opens the guided change dialog."""
from __future__ import annotations

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (QAbstractItemView, QDateEdit, QHBoxLayout, QHeaderView, QLabel, QPushButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from app import status as st
from ui.i18n import tr

WIDTHS = (100, 100, 170, 160, 70, 260)


def _get(obj, key, default=None):
    return obj.get(key, default) if isinstance(obj, dict) else getattr(obj, key, default)


def kind_label(kind: str) -> str:
    try:
        from app.changes import kind_info

        return kind_info(kind).get("label") or kind
    except Exception:
        return kind


def details_text(ev) -> str:
    d = _get(ev, "details") or {}
    if isinstance(d, str):
        import json

        try:
            d = json.loads(d)
        except ValueError:
            return d
    from ui.change_dialog import field_label

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
             for e in _get(ev, "evidence") or []]
    for a in _get(ev, "approvals") or []:
        who = " ".join(x for x in (a.get("decided_by"), a.get("decided_on"), a.get("doc_number")) if x)
        parts.append(tr("state_ui.approval", party=a.get("party", ""), decision=decision.get(a.get("decision"), ""),
                        who=who).strip())
    for d in _get(ev, "deadlines") or []:
        if not d.get("done_at"):
            from ui.change_dialog import deadline_kind_label

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
        lay.addWidget(self.table, 1)
        self.fill()

    def fill(self) -> None:
        try:
            from app.changes import events_for

            events = list(events_for(self.session, self.student_id))
        except ImportError:
            events = []
        self.table.setRowCount(len(events))
        for r, ev in enumerate(reversed(events)):  # newest first
            fs, ts = _get(ev, "from_state") or "", _get(ev, "to_state") or ""
            change = st.name(ts) if fs in (ts, "") else tr("state_ui.arrow", from_state=st.name(fs),
                                                              to_state=st.name(ts))
            fg, tg = _get(ev, "from_grade"), _get(ev, "to_grade")
            if fg and tg and fg != tg:
                from app.class_service import grade_name

                change += tr("state_ui.grades", from_grade=grade_name(int(fg)), to_grade=grade_name(int(tg)))
            vals = (_get(ev, "effective_date") or "", _get(ev, "kind_name") or kind_label(_get(ev, "kind") or ""), change,
                    _get(ev, "reason") or "", _get(ev, "recorded_by") or "", papers_text(ev), details_text(ev))
            for c, v in enumerate(vals):
                it = QTableWidgetItem(str(v))
                it.setToolTip(str(v))
                self.table.setItem(r, c, it)
        cur = _get(events[-1], "to_state") if events else None
        self.state_label.setText(tr("state_ui.current", status=st.name(cur)) if cur else "")
        self.show_state_on()

    def show_state_on(self) -> str | None:
        """学籍状态 on the chosen date (app.changes.state_on), e.g. for a certificate about a past day."""
        try:
            from app.changes import state_on
        except ImportError:
            return None
        day = self.on_date.date().toPython()
        code = state_on(self.session, self.student_id, day)
        self.on_label.setText(st.name(code) if code else tr("state_ui.no_record_yet"))
        return code

    def open_change(self):
        from ui.change_dialog import ChangeDialog

        dlg = ChangeDialog(self.session, self.student_id, parent=self.window())
        dlg.saved.connect(lambda _sid: (self.fill(), self.changeRequested.emit()))
        dlg.finished.connect(dlg.deleteLater)
        dlg.open()
        return dlg


def add_state_tab(editor) -> StateHistory:
    """The 学籍状态 tab of the student editor (ui.student_editor_dialog): the student's events, and a
    change made from it refreshes the editor's status line and tells the main window (``saved``)."""
    w = StateHistory(editor.session, editor.student_id, editor)
    editor.tabs.addTab(w, tr("state_ui.tab"))

    def changed():
        from app import student_service as ss

        sid = editor.student_id
        if not editor.is_dirty():
            editor._load(sid)
        else:
            s = ss.get_student(editor.session, sid)
            editor.status_label.setText(tr("editor.status", status=s.get("status_name", "")))
        editor.saved.emit(sid)

    w.changeRequested.connect(changed)
    return w
