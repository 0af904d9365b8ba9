"""The parts of the change dialog (ui.changes.change_dialog) filled from a change's plan: the findings' outcome
labels and colours, the evidence table (a file attached or "in the paper folder" ticked per document), the
approvals table (each party's decision, who, date, document number) and the deadline lines.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QHeaderView, QPushButton, QTableWidget,
                               QTableWidgetItem)

from app.core.errors import BLOCK, BLOCK_STAR, EVIDENCE, WARN
from ui.common.i18n import tr
from ui.common.values import field

OUTCOME_COLOURS = {BLOCK: "#b71c1c", BLOCK_STAR: "#e65100", "INVALID": "#b71c1c", WARN: "#8d6e00",
                   EVIDENCE: "#1565c0", "NOTE": "#546e7a"}


def outcome_label(outcome: str) -> str:
    names = {BLOCK: tr("change_ui.outcome.block"), BLOCK_STAR: tr("change_ui.outcome.block_star"),
             "INVALID": tr("change_ui.outcome.block"), WARN: tr("change_ui.outcome.warn"),
             EVIDENCE: tr("change_ui.outcome.evidence"), "NOTE": tr("change_ui.outcome.note")}
    return names.get(outcome, outcome)


def item_name(x) -> str:
    """A required evidence document / approval party as text (a string, a dict or an object)."""
    if isinstance(x, str):
        return x
    for k in ("name", "party", "title", "label"):
        v = field(x, k)
        if v:
            return str(v)
    return str(x)


def _cite(x) -> str:
    rule, article = field(x, "rule", ""), field(x, "article", "")
    if rule and article:
        return tr("change_ui.cite", rule=rule, article=article)
    return tr("change_ui.cite_rule", rule=rule) if rule else ""


def deadline_kind_label(kind: str) -> str:
    from app.changes import deadlines

    return deadlines.kind_label(kind)


def deadline_text(d) -> str:
    due = field(d, "due") or field(d, "due_date") or ""
    title = field(d, "title") or deadline_kind_label(field(d, "kind") or "")
    party = field(d, "party") or ""
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
        self.any_of = {item_name(x) for x in items if field(x, "any_of")}
        kept_files = {n: p for n, p in self.files.items() if n in names}
        kept_ticks = {n: cb.isChecked() for n, cb in self.ticks.items() if n in names}
        self.names, self.files, self.ticks, self.buttons = names, kept_files, {}, {}
        self.setRowCount(len(names))
        for r, (n, x) in enumerate(zip(names, items)):
            it = QTableWidgetItem(n + (tr("change_ui.evidence.any_of") if field(x, "any_of") else "") + _cite(x))
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
            cb.setCurrentIndex(max(0, cb.findData(old_decisions.get(p) or field(x, "decision") or "pending")))
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
