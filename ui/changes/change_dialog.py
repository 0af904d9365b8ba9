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
"""
from __future__ import annotations

from html import escape
from pathlib import Path

from PySide6.QtCore import QDate, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDateEdit, QDialog, QDialogButtonBox, QFileDialog, QFormLayout,
                               QGroupBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                               QPlainTextEdit, QPushButton, QScrollArea, QSpinBox, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from app.students import status as st
from app.core.errors import BLOCK, BLOCK_STAR, EVIDENCE, WARN, Refused
from app.students.service import Override
from ui.common.i18n import tr

# Request fields a kind may need (kind_info(kind)["needs"]); anything else goes into ``details``.
REQUEST_FIELDS = ("to_school", "from_school", "grade", "class_id")
DATE_FIELDS = ("until",)
OPTIONAL_DATE_FIELDS = ("learned_on",)                 # typed; empty = not given
INT_FIELDS = {"grade": (1, 12)}
OPTIONAL_INT_FIELDS = {"weeks": (0, 104), "weeks_continuous": (0, 52), "weeks_cumulative": (0, 52)}  # 0 = not given
BOOL_FIELDS = ("cross_province", "in_progress", "from_vocational", "auto")
CHOICE_FIELDS = ("initiator",)
SKIPPED = ("date", "reason", "evidence", "override", "approvals", "student_id", "details")
STUDENT_FIELDS = ("name", "id_number", "ethnicity")   # transfer-in: the incoming student's identity
NEW_STUDENT_DEFAULTS = {"id_type": "1", "nationality": "CHN", "hmt_overseas": "00"}  # as the student editor's
OUTCOME_COLOURS = {BLOCK: "#b71c1c", BLOCK_STAR: "#e65100", "INVALID": "#b71c1c", WARN: "#8d6e00",
                   EVIDENCE: "#1565c0", "NOTE": "#546e7a"}


def field_label(name: str, info: dict | None = None) -> str:
    labels = {
        "cross_province": tr("change_ui.field.cross_province"), "in_progress": tr("change_ui.field.in_progress"),
        "from_vocational": tr("change_ui.field.from_vocational"), "auto": tr("change_ui.field.auto"),
        "initiator": tr("change_ui.field.initiator"), "weeks_continuous": tr("change_ui.field.weeks_continuous"),
        "weeks_cumulative": tr("change_ui.field.weeks_cumulative"), "learned_on": tr("change_ui.field.learned_on"),
        "to_school": tr("change_ui.field.to_school"), "from_school": tr("change_ui.field.from_school"),
        "grade": tr("change_ui.field.grade"), "class_id": tr("change_ui.field.class"),
        "until": tr("change_ui.field.until"), "level": tr("change_ui.field.level"), "weeks": tr("change_ui.field.weeks"),
        "name": tr("change_ui.field.name"), "id_number": tr("change_ui.field.id_number"),
        "ethnicity": tr("change_ui.field.ethnicity"), "cause": tr("change_ui.field.cause"),
    }
    if name in labels:
        return labels[name]
    extra = (info or {}).get("labels") or {}
    return str(extra.get(name) or name)


def causes() -> dict[str, dict]:
    """The causes a change may give (resources/changes.json ``causes``: code -> name, words)."""
    import json

    from app.core.paths import resource

    data = json.loads(resource("changes.json").read_text(encoding="utf-8")).get("causes", {})
    return {k: v for k, v in data.items() if not k.startswith("_") and isinstance(v, dict)}


def outcome_label(outcome: str) -> str:
    names = {BLOCK: tr("change_ui.outcome.block"), BLOCK_STAR: tr("change_ui.outcome.block_star"),
             "INVALID": tr("change_ui.outcome.block"), WARN: tr("change_ui.outcome.warn"),
             EVIDENCE: tr("change_ui.outcome.evidence"), "NOTE": tr("change_ui.outcome.note")}
    return names.get(outcome, outcome)


def _get(obj, key, default=None):
    """Read ``key`` from a dict or an object (the services return dataclasses or dicts)."""
    if isinstance(obj, dict):
        return obj.get(key, default)
    return getattr(obj, key, default)


def item_name(x) -> str:
    """A required evidence document / approval party as text (a string, a dict or an object)."""
    if isinstance(x, str):
        return x
    for k in ("name", "party", "title", "label"):
        v = _get(x, k)
        if v:
            return str(v)
    return str(x)


def _cite(x) -> str:
    rule, article = _get(x, "rule", ""), _get(x, "article", "")
    if rule and article:
        return tr("change_ui.cite", rule=rule, article=article)
    return tr("change_ui.cite_rule", rule=rule) if rule else ""


def deadline_kind_label(kind: str) -> str:
    try:
        from app.changes import deadlines

        return deadlines.kind_label(kind)
    except (ImportError, AttributeError, KeyError):
        pass
    names = {"party_response": tr("change_ui.deadline.party_response"),
             "archive_handover": tr("change_ui.deadline.archive_handover"),
             "death_cancel": tr("change_ui.deadline.death_cancel"),
             "suspension_expiry": tr("change_ui.deadline.suspension_expiry"),
             "extension_window": tr("change_ui.deadline.extension_window"),
             "dropout_report": tr("change_ui.deadline.dropout_report"),
             "processing": tr("change_ui.deadline.processing")}
    return names.get(kind, kind)


def deadline_text(d) -> str:
    due = _get(d, "due") or _get(d, "due_date") or ""
    title = _get(d, "title") or deadline_kind_label(_get(d, "kind") or "")
    party = _get(d, "party") or ""
    if party:
        title = tr("change_ui.deadline_party", title=title, party=party)
    return tr("change_ui.deadline_line", title=title, due=str(due)) + _cite(d)


class EvidenceTable(QTableWidget):
    """One row per required document: 材料 | 附件 (a file chosen) | 纸质档案中已有 (a tick)."""

    changed = Signal()

    def __init__(self, parent=None, *, folder=None):
        super().__init__(0, 3, parent)
        self.folder = folder          # the archive folder: attached files go into its files/ store
        self.shas: dict[str, str] = {}
        self.setObjectName("evidence_table")
        self.setHorizontalHeaderLabels([tr("change_ui.evidence.col_name"), tr("change_ui.evidence.col_file"),
                                        tr("change_ui.evidence.col_folder")])
        self.verticalHeader().hide()
        hh = self.horizontalHeader()
        hh.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        hh.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.names: list[str] = []
        self.any_of: set[str] = set()
        self.files: dict[str, str] = {}
        self.ticks: dict[str, QCheckBox] = {}
        self.buttons: dict[str, QPushButton] = {}

    def set_required(self, items) -> None:
        names = [item_name(x) for x in items]
        if names == self.names:
            return
        self.any_of = {item_name(x) for x in items if _get(x, "any_of")}
        kept_files = {n: p for n, p in self.files.items() if n in names}
        kept_ticks = {n: cb.isChecked() for n, cb in self.ticks.items() if n in names}
        self.names, self.files, self.ticks, self.buttons = names, kept_files, {}, {}
        self.setRowCount(len(names))
        for r, (n, x) in enumerate(zip(names, items)):
            it = QTableWidgetItem(n + (tr("change_ui.evidence.any_of") if _get(x, "any_of") else "") + _cite(x))
            it.setToolTip(n)
            self.setItem(r, 0, it)
            b = QPushButton(tr("change_ui.evidence.attach"))
            b.setAutoDefault(False)
            b.clicked.connect(lambda _c=False, name=n: self._choose(name))
            self.buttons[n] = b
            self.setCellWidget(r, 1, b)
            cb = QCheckBox(tr("change_ui.evidence.in_folder"))
            cb.setChecked(kept_ticks.get(n, False))
            cb.toggled.connect(lambda _on: self.changed.emit())
            self.ticks[n] = cb
            self.setCellWidget(r, 2, cb)
            self._show_file(n)
        self.resizeRowsToContents()
        self.setFixedHeight(self.horizontalHeader().height() + sum(self.rowHeight(r) for r in range(len(names))) + 6)

    def _show_file(self, name: str) -> None:
        b = self.buttons.get(name)
        if b is None:
            return
        path = self.files.get(name)
        b.setText(Path(path).name if path else tr("change_ui.evidence.attach"))
        b.setToolTip(path or "")

    def _choose(self, name: str) -> None:
        path, _ = QFileDialog.getOpenFileName(self, tr("change_ui.evidence.choose", name=name), str(Path.home()),
                                              tr("change_ui.evidence.filter"))
        if path:
            self.attach(name, path)

    def attach(self, name: str, path: str) -> None:
        """Keep a scan of the document in the archive's content-addressed store (idempotent; a file no
        saved change refers to is harmless) and name it in the request as ``name@attached:<sha256>``."""
        if self.folder is not None:
            from app.core import filestore as store

            self.shas[name] = store.put(self.folder, Path(path).read_bytes(), Path(path).suffix)
        self.files[name] = path
        self._show_file(name)
        self.changed.emit()

    def tick(self, name: str, on: bool = True) -> None:
        self.ticks[name].setChecked(on)

    def missing(self) -> list[str]:
        """Documents neither attached nor ticked (of an any-of group, none when one of it is given)."""
        given = {n for n in self.names if n in self.files or self.ticks[n].isChecked()}
        out = []
        for n in self.names:
            if n in given:
                continue
            if n in self.any_of and self.any_of & given:
                continue
            out.append(n)
        return out

    def value(self) -> list[str]:
        """The request's evidence: a document's name when it is in the paper folder,
        ``name@attached:<sha256>`` when a scan is attached."""
        out = []
        for n in self.names:
            if n in self.files:
                out.append(f"{n}@attached:{self.shas.get(n, '')}".rstrip(":"))
            elif self.ticks[n].isChecked():
                out.append(n)
        return out


class ApprovalTable(QTableWidget):
    """One row per party: 审批方 | 意见 | 批准人 | 日期 | 文号 (typed in the table)."""

    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(0, 5, parent)
        self.setObjectName("approval_table")
        self.setHorizontalHeaderLabels([tr("change_ui.approval.col_party"), tr("change_ui.approval.col_decision"),
                                        tr("change_ui.approval.col_by"), tr("change_ui.approval.col_date"),
                                        tr("change_ui.approval.col_doc")])
        self.decisions: dict[str, QComboBox] = {}
        self.verticalHeader().hide()
        hh = self.horizontalHeader()
        hh.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        hh.setStretchLastSection(True)
        self.setColumnWidth(1, 90)
        self.setColumnWidth(2, 120)
        self.setColumnWidth(3, 110)
        self.parties: list[str] = []
        self.itemChanged.connect(lambda _it: self.changed.emit())

    def set_required(self, items) -> None:
        parties = [item_name(x) for x in items]
        if parties == self.parties:
            return
        old = {p: self.row_values(r) for r, p in enumerate(self.parties)}
        old_decisions = {p: cb.currentData() for p, cb in self.decisions.items()}
        self.blockSignals(True)
        self.parties = parties
        self.decisions = {}
        self.setRowCount(len(parties))
        for r, (p, x) in enumerate(zip(parties, items)):
            it = QTableWidgetItem(p)
            it.setToolTip(p + _cite(x))
            it.setFlags(it.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.setItem(r, 0, it)
            cb = QComboBox()
            for code, text in (("pending", tr("change_ui.approval.pending")), ("approved", tr("change_ui.approval.approved")),
                               ("refused", tr("change_ui.approval.refused"))):
                cb.addItem(text, code)
            cb.setCurrentIndex(max(0, cb.findData(old_decisions.get(p) or _get(x, "decision") or "pending")))
            cb.currentIndexChanged.connect(lambda _i: self.changed.emit())
            self.decisions[p] = cb
            self.setCellWidget(r, 1, cb)
            for c, v in enumerate(old.get(p, ("", "", "")), start=2):
                self.setItem(r, c, QTableWidgetItem(v))
        self.blockSignals(False)
        self.resizeRowsToContents()
        self.setFixedHeight(self.horizontalHeader().height() + sum(self.rowHeight(r) for r in range(len(parties))) + 6)

    def row_values(self, r: int) -> tuple[str, str, str]:
        return tuple((self.item(r, c).text().strip() if self.item(r, c) else "") for c in (2, 3, 4))

    def fill(self, party: str, by: str, date: str = "", doc: str = "", decision: str = "approved") -> None:
        r = self.parties.index(party)
        self.decisions[party].setCurrentIndex(self.decisions[party].findData(decision))
        for c, v in ((2, by), (3, date), (4, doc)):
            self.setItem(r, c, QTableWidgetItem(v))

    def value(self) -> list[dict]:
        """Every party with its decision so far (待定 parties too: their response deadlines follow)."""
        out = []
        for r, p in enumerate(self.parties):
            by, date, doc = self.row_values(r)
            out.append({"party": p, "decision": self.decisions[p].currentData(), "decided_by": by,
                        "decided_on": date, "doc_number": doc})
        return out


class ChangeDialog(QDialog):
    """``ChangeDialog(session, student_id, kind=None)``; ``saved(student_id)`` after a change is recorded."""

    saved = Signal(int)

    def __init__(self, session, student_id: int | None = None, kind: str | None = None, parent=None,
                 *, class_id: int | None = None):
        super().__init__(parent)
        from app import changes

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
        for k in self.changes.KINDS:
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

    def _level_options(self) -> list[str]:
        """Discipline levels the profile's ``level_allowed`` rule lists for the student's stage (Shanxi: 警告 …);
        without such a rule the field is typed freely (an editable combo)."""
        from app.changes.kinds import stage_group

        stage = ((self._student or {}).get("class") or {}).get("stage", "")
        out: list[str] = []
        for r in self.session.profile.rules_for(f"change.{self.kind()}"):
            if r.check != "level_allowed":
                continue
            lists = [r.params.get(stage_group(stage)) or r.params.get(stage)] if stage else list(r.params.values())
            for lst in lists:
                for x in lst or ():
                    if isinstance(x, str) and x not in out:
                        out.append(x)
        return out

    def _add_input(self, name: str, info: dict, *, optional: bool = False) -> None:
        options = (info.get("options") or {}).get(name) or (self._level_options() if name == "level" else None)
        if name == "class_id":
            from app.school.classes import list_classes

            w = QComboBox()
            w.addItem(tr("change_ui.choose_class"), None)
            for k in list_classes(self.session):
                if k.get("status", "active") == "active":
                    w.addItem(tr("change_ui.class_item", stage=k.get("stage_name", ""), name=k["display_name"]), k["id"])
            cur = self.default_class_id or (self._student or {}).get("class_id")
            if cur is not None and w.findData(cur) >= 0:
                w.setCurrentIndex(w.findData(cur))
            w.currentIndexChanged.connect(lambda _i: self._changed())
        elif name in INT_FIELDS:
            lo, hi = INT_FIELDS[name]
            w = QSpinBox()
            w.setRange(lo, hi)
            if name == "grade":
                w.setValue(int((self._student or {}).get("grade") or lo))
            w.valueChanged.connect(lambda _v: self._changed())
        elif name in OPTIONAL_INT_FIELDS:
            lo, hi = OPTIONAL_INT_FIELDS[name]
            w = QSpinBox()
            w.setRange(lo, hi)
            w.setSpecialValueText(tr("change_ui.not_given"))
            w.valueChanged.connect(lambda _v: self._changed())
        elif name in DATE_FIELDS or name in OPTIONAL_DATE_FIELDS:
            w = QLineEdit()
            w.setPlaceholderText(tr("change_ui.until_placeholder") if name == "until" else tr("change_ui.date_placeholder"))
            w.textChanged.connect(lambda _t: self._changed())
        elif name in BOOL_FIELDS:
            w = QCheckBox()
            w.toggled.connect(lambda _on: self._changed())
        elif name in CHOICE_FIELDS:
            w = QComboBox()
            w.addItem(tr("change_ui.initiator.family"), "family")
            w.addItem(tr("change_ui.initiator.school"), "school")
            w.currentIndexChanged.connect(lambda _i: self._changed())
        elif name == "cause":
            w = QComboBox()
            w.addItem(tr("change_ui.cause_from_reason"), "")
            for code, c in causes().items():
                w.addItem(c["name"], code)
            w.currentIndexChanged.connect(lambda _i: self._changed())
        elif options:
            w = QComboBox()
            w.setEditable(True)
            w.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
            w.addItem("", "")
            for o in options:
                w.addItem(item_name(o), _get(o, "code") or item_name(o))
            w.currentTextChanged.connect(lambda _t: self._changed())
        else:
            w = QLineEdit()
            w.textChanged.connect(lambda _t: self._changed())
        w.setObjectName(f"input_{name}")
        self.inputs[name] = w
        label = field_label(name, info)
        self.fields_form.addRow(tr("change_ui.optional_label", label=label) if optional else label, w)

    def set_input(self, name: str, value) -> None:
        """Fill one of the kind's fields (tests and callers that know the value)."""
        w = self.inputs[name]
        if isinstance(w, QSpinBox):
            w.setValue(int(value))
        elif isinstance(w, QCheckBox):
            w.setChecked(bool(value))
        elif isinstance(w, QComboBox):
            i = w.findData(value)
            if i < 0 and w.isEditable():
                w.setEditText(str(value))
            else:
                w.setCurrentIndex(i if i >= 0 else w.findText(str(value)))
        else:
            w.setText(str(value))

    def _value(self, name: str):
        w = self.inputs[name]
        if isinstance(w, QSpinBox):
            return None if (name in OPTIONAL_INT_FIELDS and w.value() == w.minimum()) else w.value()
        if isinstance(w, QCheckBox):
            return True if w.isChecked() else None
        if isinstance(w, QComboBox):
            return w.currentText().strip() if w.isEditable() else w.currentData()
        return w.text().strip()

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
            student = self._complete_new_student(student)
        return self.changes.ChangeRequest(
            self.kind(), self.student_id, date=self.date_edit.date().toString("yyyy-MM-dd"),
            reason=self.reason_edit.text().strip(), evidence=self.evidence_table.value(), override=self.override(),
            approvals=self.approval_table.value(), details=details,
            acknowledge_warnings=self.ack_box.isChecked(), student=student or None, **kw)

    @staticmethod
    def _complete_new_student(student: dict) -> dict:
        """The incoming student's birth date and gender read from the ID number (as the editor does);
        the usual defaults for the rest. The full record is completed later in the student editor."""
        from app.students.idcard import IdError, normalize_id, parse_id

        out = dict(NEW_STUDENT_DEFAULTS, **student)
        n = normalize_id(out.get("id_number", ""))
        if len(n) == 18:
            try:
                info = parse_id(n)
            except IdError:
                return out
            if info.birth_date:
                out.setdefault("birth_date", info.birth_date.strftime("%Y%m%d"))
            if info.gender:
                out.setdefault("gender", info.gender)
        return out

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
        return list(_get(self.plan, "findings", None) or []) + [f for f in self.plan_error if not isinstance(f, str)]

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
        ev = list(_get(p, "required_evidence", None) or [])
        self.evidence_table.set_required(ev)
        self.evidence_box.setVisible(bool(ev))
        ap = list(_get(p, "required_approvals", None) or [])
        self.approval_table.set_required(ap)
        self.approval_box.setVisible(bool(ap))
        dls = list(_get(p, "deadlines", None) or [])
        self.deadline_label.setText("\n".join(deadline_text(d) for d in dls))
        self.deadline_box.setVisible(bool(dls))
        fs, ts = _get(p, "from_state"), _get(p, "to_state")
        self.transition_label.setText(tr("change_ui.transition", from_state=st.name(fs), to_state=st.name(ts))
                                      if fs and ts else "")
        ok = bool(p is not None and _get(p, "ok", False))
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
        if plan is None or not _get(plan, "ok", False):
            return False
        try:
            self.result = self.changes.apply_change(self.session, self.request())
        except Refused as e:
            self.plan, self.plan_error = None, list(e.findings)
            self._show_plan()
            return False
        sid = _get(self.result, "student_id") or self.student_id
        self.saved.emit(int(sid))
        self.accept()
        return True
