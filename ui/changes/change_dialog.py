"""学籍异动: ONE guided dialog for every change kind (app.changes), data-driven by ``kind_info``.

The registrar picks the kind, the effective date (default today), the reason and the kind's own
fields (to-school, grade, until, level, weeks …). As they type, the dialog asks ``plan_change`` what
the profile says and shows every finding before anything is saved:

* BLOCK    — refused, with rule and article; Save stays disabled.
* BLOCK*   — needs an override: reason, who approved, evidence (one per line).
* WARN     — must be acknowledged (a tick); the acknowledgement is logged with the change.
* EVIDENCE — each listed document: a file attached, or "in the paper folder" ticked.
* APPROVAL — each party's decision: who, date, document number.
* DEADLINE — the computed due dates (shown; the service writes them).

Save is enabled only when the latest plan allows it (``plan.ok``); ``apply_change`` checks again in
its own transaction and a refusal is shown in the same list.

The kind's own field inputs are built in ui.changes.change_fields; the outcome colours, the evidence and
approvals tables and the deadline lines in ui.changes.change_widgets.
"""
from __future__ import annotations

from html import escape

from PySide6.QtCore import QDate, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDateEdit, QDialog, QDialogButtonBox, QFormLayout, QGroupBox,
                               QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QScrollArea, QVBoxLayout, QWidget)

from app.students import status as st
from app.core.errors import BLOCK, BLOCK_STAR, EVIDENCE, WARN, Refused
from app.students.service import Override
from ui.changes.change_fields import (REQUEST_FIELDS, SKIPPED, STUDENT_FIELDS, complete_new_student, field_label,
                                      field_value, field_widget, set_field_value)
from ui.changes.change_widgets import OUTCOME_COLOURS, ApprovalTable, EvidenceTable, deadline_text, outcome_label
from ui.common.i18n import tr
from ui.common.values import field


class ChangeDialog(QDialog):
    """``ChangeDialog(session, student_id, kind=None)``; ``saved(student_id)`` after a change is recorded."""

    saved = Signal(int)

    def __init__(self, session, student_id: int | None = None, kind: str | None = None, parent=None,
                 *, class_id: int | None = None):
        super().__init__(parent)
        from app.changes import service as changes

        self.changes = changes
        self.session = session
        self.student_id = student_id
        self.default_class_id = class_id
        self._initial_kind = kind
        self.plan = None
        self.result = None
        self.plan_error: list = []
        self.inputs: dict[str, QWidget] = {}
        self._student = self._load_student(student_id)
        self.setWindowTitle(tr("change_ui.title"))
        self.setSizeGripEnabled(True)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self.replan)
        self._build()
        if kind:
            i = self.kind_combo.findData(kind)
            if i >= 0:
                self.kind_combo.setCurrentIndex(i)
        self._kind_changed()
        self.resize(860, 780)
        # keyboard: a kind chosen from the menu goes straight to the reason; otherwise pick the kind first
        (self.reason_edit if kind else self.kind_combo).setFocus()

    # ------------------------------------------------------------------ building
    def _load_student(self, sid):
        if sid is None:
            return None
        from app.students import service as ss

        try:
            return ss.get_student(self.session, sid)
        except Exception:
            return None

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        s = self._student
        if s is not None:
            klass = (s.get("class") or {}).get("display_name") or ""
            head = tr("change_ui.student_line", name=s.get("name", ""), klass=klass,
                      status=s.get("status_name") or st.name(s.get("status") or ""))
        else:
            head = tr("change_ui.no_student")
        self.student_label = QLabel(head)
        self.student_label.setWordWrap(True)
        self.student_label.setStyleSheet("font-weight: bold;")
        outer.addWidget(self.student_label)

        body = QWidget()
        lay = QVBoxLayout(body)
        lay.setContentsMargins(0, 0, 0, 0)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.kind_combo = QComboBox()
        self.kind_combo.setObjectName("kind_combo")
        # the kinds that start from the student's state first; the rest after a line (they would be refused)
        state = (self._student or {}).get("status", "")
        fits, others = [], []
        from app.changes.kinds import KINDS

        for k in KINDS:
            info = self.changes.kind_info(k, self.session)
            if info.get("available", True) or k == self._initial_kind:
                (fits if state in (info.get("from") or ()) else others).append((info.get("label") or k, k))
        for label, k in fits:
            self.kind_combo.addItem(label, k)
        if fits and others:
            self.kind_combo.insertSeparator(self.kind_combo.count())
        for label, k in others:
            self.kind_combo.addItem(label, k)
        self.kind_combo.currentIndexChanged.connect(lambda _i: self._kind_changed())
        form.addRow(tr("change_ui.kind"), self.kind_combo)
        self.date_edit = QDateEdit(QDate.currentDate())
        self.date_edit.setObjectName("date_edit")
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("yyyy-MM-dd")
        self.date_edit.dateChanged.connect(lambda _d: self._changed())
        form.addRow(tr("change_ui.date"), self.date_edit)
        self.reason_edit = QLineEdit()
        self.reason_edit.setObjectName("reason_edit")
        self.reason_edit.setPlaceholderText(tr("change_ui.reason_placeholder"))
        self.reason_edit.textChanged.connect(lambda _t: self._changed())
        form.addRow(tr("change_ui.reason"), self.reason_edit)
        lay.addLayout(form)
        self.transition_label = QLabel()
        self.transition_label.setObjectName("transition_label")
        self.transition_label.setStyleSheet("color: #37474f;")
        lay.addWidget(self.transition_label)

        self.fields_box = QGroupBox(tr("change_ui.fields_box"))
        self.fields_form = QFormLayout(self.fields_box)
        self.fields_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        lay.addWidget(self.fields_box)

        findings_box = QGroupBox(tr("change_ui.findings_box"))
        fl = QVBoxLayout(findings_box)
        self.findings_label = QLabel()
        self.findings_label.setObjectName("findings_label")
        self.findings_label.setWordWrap(True)
        self.findings_label.setTextFormat(Qt.TextFormat.RichText)
        self.findings_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.findings_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self._lines: list[str] = []
        fl.addWidget(self.findings_label)
        lay.addWidget(findings_box)

        self.override_box = QGroupBox(tr("change_ui.override_box"))
        self.override_box.setObjectName("override_box")
        of = QFormLayout(self.override_box)
        self.override_reason = QLineEdit()
        self.override_approver = QLineEdit()
        self.override_approver.setPlaceholderText(tr("override.approved_placeholder"))
        self.override_evidence = QPlainTextEdit()
        self.override_evidence.setPlaceholderText(tr("keychange.evidence_placeholder"))
        self.override_evidence.setTabChangesFocus(True)
        self.override_evidence.setFixedHeight(self.fontMetrics().height() * 3 + 14)
        for w in (self.override_reason, self.override_approver):
            w.textChanged.connect(lambda _t: self._changed())
        self.override_evidence.textChanged.connect(self._changed)
        of.addRow(tr("override.reason"), self.override_reason)
        of.addRow(tr("override.approved_by"), self.override_approver)
        of.addRow(tr("keychange.evidence"), self.override_evidence)
        lay.addWidget(self.override_box)

        self.ack_box = QCheckBox(tr("change_ui.acknowledge"))
        self.ack_box.setObjectName("ack_box")
        self.ack_box.toggled.connect(lambda _on: self._changed())
        lay.addWidget(self.ack_box)

        self.evidence_box = QGroupBox(tr("change_ui.evidence_box"))
        el = QVBoxLayout(self.evidence_box)
        self.evidence_table = EvidenceTable(folder=self.session.folder)
        self.evidence_table.changed.connect(self._changed)
        el.addWidget(self.evidence_table)
        lay.addWidget(self.evidence_box)

        self.approval_box = QGroupBox(tr("change_ui.approval_box"))
        al = QVBoxLayout(self.approval_box)
        self.approval_table = ApprovalTable()
        self.approval_table.changed.connect(self._changed)
        al.addWidget(self.approval_table)
        hint = QLabel(tr("change_ui.approval_hint"))
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #616161;")
        al.addWidget(hint)
        lay.addWidget(self.approval_box)

        self.deadline_box = QGroupBox(tr("change_ui.deadline_box"))
        dl = QVBoxLayout(self.deadline_box)
        self.deadline_label = QLabel()
        self.deadline_label.setObjectName("deadline_label")
        self.deadline_label.setWordWrap(True)
        self.deadline_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        dl.addWidget(self.deadline_label)
        lay.addWidget(self.deadline_box)
        lay.addStretch(1)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)

        self.status_label = QLabel()
        self.status_label.setObjectName("status_label")
        self.status_label.setWordWrap(True)
        outer.addWidget(self.status_label)
        buttons = QDialogButtonBox()
        self.save_button = buttons.addButton(tr("change_ui.save"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = buttons.addButton(tr("common.cancel"), QDialogButtonBox.ButtonRole.RejectRole)
        self.save_button.setAutoDefault(False)
        self.save_button.clicked.connect(self.save)
        self.cancel_button.clicked.connect(self.reject)
        # The form the profile names for this change, printed for the guardian and each party to sign.
        self.print_form = QCheckBox()
        self.print_form.setObjectName("print_form")
        self.print_form.setChecked(True)
        row = QHBoxLayout()
        row.addWidget(self.print_form, 1)
        row.addWidget(buttons)
        outer.addLayout(row)
        for seq in ("Ctrl+Return", "Ctrl+Enter", "Ctrl+S"):
            QShortcut(QKeySequence(seq), self, activated=self.save)

    def kind(self) -> str:
        return self.kind_combo.currentData()

    def info(self) -> dict:
        return self.changes.kind_info(self.kind(), self.session) or {}

    def _kind_changed(self) -> None:
        info = self.info()
        self.setWindowTitle(tr("change_ui.title_kind", kind=info.get("label") or self.kind()))
        form = info.get("form") or ""
        self.print_form.setText(tr("change_ui.print_form_after", form=form))
        self.print_form.setVisible(bool(form))
        while self.fields_form.rowCount():
            self.fields_form.removeRow(0)
        self.inputs = {}
        needs = [n for n in (info.get("needs") or ()) if n not in SKIPPED]
        if self.student_id is None and "student" in needs:
            for n in STUDENT_FIELDS:
                self._add_input(n, info)
        for n in needs:
            if n != "student":
                self._add_input(n, info)
        for n in info.get("optional") or ():
            if n not in SKIPPED and n not in self.inputs:
                self._add_input(n, info, optional=True)
        self.fields_box.setVisible(bool(self.inputs))
        self.plan = None
        self._changed(now=True)

    def _add_input(self, name: str, info: dict, *, optional: bool = False) -> None:
        w = field_widget(name, info, session=self.session, kind=self.kind(), student=self._student,
                         class_id=self.default_class_id, changed=self._changed)
        self.inputs[name] = w
        label = field_label(name, info)
        self.fields_form.addRow(tr("change_ui.optional_label", label=label) if optional else label, w)

    def set_input(self, name: str, value) -> None:
        """Fill one of the kind's fields (tests and callers that know the value)."""
        set_field_value(self.inputs[name], value)

    def _value(self, name: str):
        return field_value(name, self.inputs[name])

    # ------------------------------------------------------------------ the request and its plan
    def override(self) -> Override | None:
        ov = Override(self.override_reason.text().strip(), self.override_approver.text().strip(),
                      [x.strip() for x in self.override_evidence.toPlainText().replace("；", "\n").splitlines()
                       if x.strip()])
        return ov if (ov.reason or ov.approved_by or ov.evidence) else None

    def request(self):
        kw = {}
        details = {}
        student = {}
        for n in self.inputs:
            v = self._value(n)
            if n in STUDENT_FIELDS and self.student_id is None:
                if v:
                    student[n] = v
            elif n in REQUEST_FIELDS:
                if v not in (None, ""):
                    kw[n] = v
            elif v not in (None, ""):
                details[n] = v
        if student:
            student = complete_new_student(student)
        return self.changes.ChangeRequest(
            self.kind(), self.student_id, date=self.date_edit.date().toString("yyyy-MM-dd"),
            reason=self.reason_edit.text().strip(), evidence=self.evidence_table.value(), override=self.override(),
            approvals=self.approval_table.value(), details=details,
            acknowledge_warnings=self.ack_box.isChecked(), student=student or None, **kw)


    def _changed(self, now: bool = False) -> None:
        self.save_button.setEnabled(False)
        if now:
            self._timer.stop()
            self.replan()
        else:
            self._timer.start()

    def replan(self):
        """Ask the service what the profile says about the request as typed; show it; enable Save."""
        self._timer.stop()
        self.plan_error = []
        try:
            self.plan = self.changes.plan_change(self.session, self.request())
        except Refused as e:
            self.plan, self.plan_error = None, list(e.findings)
        except Exception as e:  # a service error is shown, never swallowed
            self.plan, self.plan_error = None, [str(e) or type(e).__name__]
        self._show_plan()
        return self.plan

    def findings(self) -> list:
        return list(field(self.plan, "findings", None) or []) + [f for f in self.plan_error if not isinstance(f, str)]

    def _show_plan(self) -> None:
        p = self.plan
        findings = self.findings()
        self._lines, html, self._quoted = [], [], set()
        for f in findings:
            self._add_finding(f, html)
        for text in (x for x in self.plan_error if isinstance(x, str)):
            self._lines.append(text)
            html.append(f'<p style="color:{OUTCOME_COLOURS[BLOCK]}; margin:0 0 4px 0;">{escape(text)}</p>')
        if not html:
            self._lines.append(tr("change_ui.no_findings"))
            html.append(f"<p style='color:#2e7d32; margin:0;'>{escape(self._lines[0])}</p>")
        self.findings_label.setText("".join(html))
        outcomes = {getattr(f, "outcome", "") for f in findings}
        self.override_box.setVisible(BLOCK_STAR in outcomes)
        self.ack_box.setVisible(WARN in outcomes)
        ev = list(field(p, "required_evidence", None) or [])
        self.evidence_table.set_required(ev)
        self.evidence_box.setVisible(bool(ev))
        ap = list(field(p, "required_approvals", None) or [])
        self.approval_table.set_required(ap)
        self.approval_box.setVisible(bool(ap))
        dls = list(field(p, "deadlines", None) or [])
        self.deadline_label.setText("\n".join(deadline_text(d) for d in dls))
        self.deadline_box.setVisible(bool(dls))
        fs, ts = field(p, "from_state"), field(p, "to_state")
        self.transition_label.setText(tr("change_ui.transition", from_state=st.name(fs), to_state=st.name(ts))
                                      if fs and ts else "")
        ok = bool(p is not None and field(p, "ok", False))
        self.save_button.setEnabled(ok)
        self.status_label.setText(self._status_text(ok, outcomes))
        self.status_label.setStyleSheet("color: #2e7d32;" if ok else "color: #b71c1c;")

    def _status_text(self, ok: bool, outcomes: set) -> str:
        if ok:
            return tr("change_ui.ready")
        if self.plan is None or outcomes & {BLOCK, "INVALID"} or self.plan_error:
            return tr("change_ui.refused")
        needs = []
        if BLOCK_STAR in outcomes:
            needs.append(tr("change_ui.need_override"))
        if WARN in outcomes and not self.ack_box.isChecked():
            needs.append(tr("change_ui.need_ack"))
        if self.evidence_table.missing():
            needs.append(tr("change_ui.need_evidence", items=tr("common.item_sep").join(self.evidence_table.missing())))
        return tr("change_ui.needs", items=tr("common.list_sep").join(needs)) if needs else tr("change_ui.not_ready")

    def _add_finding(self, f, html: list) -> None:
        """One finding: 【outcome】 message (rule, article); a refusal adds the regulation's own words."""
        outcome = getattr(f, "outcome", "")
        text = f.text() if hasattr(f, "text") else str(f)
        line = tr("change_ui.finding_line", outcome=outcome_label(outcome), text=text)
        self._lines.append(line)
        colour = OUTCOME_COLOURS.get(outcome, "#37474f")
        html.append(f'<p style="color:{colour}; margin:0 0 4px 0;">{escape(line)}</p>')
        rule = self.session.profile.rule(f.rule) if getattr(f, "rule", "") else None
        if rule is not None and rule.quote and outcome in (BLOCK, BLOCK_STAR, EVIDENCE) and rule.id not in self._quoted:
            self._quoted.add(rule.id)  # each rule's words once
            html.append(f"<p style='color:#616161; margin:0 0 6px 16px;'>"
                        f"{escape(tr('change_ui.quote', quote=rule.quote))}</p>")

    def shown_texts(self) -> list[str]:
        """The findings as shown, one line each (【outcome】 message (rule, article))."""
        return list(self._lines)

    # ------------------------------------------------------------------ saving
    def wants_form(self) -> bool:
        """Print the change's form after saving (the kind has one and the box is ticked)."""
        return bool(self.info().get("form")) and self.print_form.isChecked()

    def save(self) -> bool:
        plan = self.replan()
        if plan is None or not field(plan, "ok", False):
            return False
        try:
            self.result = self.changes.apply_change(self.session, self.request())
        except Refused as e:
            self.plan, self.plan_error = None, list(e.findings)
            self._show_plan()
            return False
        sid = field(self.result, "student_id") or self.student_id
        self.saved.emit(int(sid))
        self.accept()
        return True
