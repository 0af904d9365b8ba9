"""借阅登记: the school's borrow / return register of paper folders (查阅登记, 长治 第四十四条) — who took
which folder or item, why, approved by whom, due back; overdue first and in red; 只看逾期 and 含已归还
filters; 登记归还 closes a loan; double-click opens the student's folder (where a new loan is recorded)."""
from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from app.core.errors import Refused
from ui.common import messages
from ui.common.i18n import tr
from ui.common.record_list import RereadOnReturn, fill_table, hint_and_buttons, make_table

OVERDUE_BG, OVERDUE_FG = "#ffebee", "#b71c1c"


class LoansView(RereadOnReturn, QDialog):
    openStudent = Signal(int)

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.loans: list = []
        self.setWindowTitle(tr("loansui.title"))
        self.setSizeGripEnabled(True)
        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        self.summary = QLabel()
        self.summary.setObjectName("loans_summary")
        top.addWidget(self.summary, 1)
        self.overdue_only = QCheckBox(tr("loansui.overdue_only"))
        self.overdue_only.toggled.connect(lambda _on: self.reload())
        self.with_returned = QCheckBox(tr("loansui.with_returned"))
        self.with_returned.toggled.connect(lambda _on: self.reload())
        top.addWidget(self.overdue_only)
        top.addWidget(self.with_returned)
        lay.addLayout(top)
        self.table = make_table([tr("loansui.col_state"), tr("loansui.col_student"), tr("paperui.col_what"),
                                 tr("paperui.col_borrower"), tr("paperui.col_purpose"), tr("paperui.col_approved"),
                                 tr("paperui.col_lent"), tr("paperui.col_due"), tr("paperui.col_returned")],
                                (90, 80, 200, 130, 170, 80, 90, 90), name="loans_table")
        self.table.cellDoubleClicked.connect(lambda r, _c: self.open_row(r))
        self.table.itemSelectionChanged.connect(self._selection_changed)
        lay.addWidget(self.table, 1)
        self.open_btn = QPushButton(tr("loansui.open"))
        self.open_btn.clicked.connect(lambda: self.open_row(self.table.currentRow()))
        self.return_btn = QPushButton(tr("paperui.return"))
        self.return_btn.clicked.connect(lambda: self.return_row(self.table.currentRow()))
        close = QPushButton(tr("common.close"))
        close.clicked.connect(self.reject)
        hint_and_buttons(lay, tr("loansui.hint"), (self.open_btn, self.return_btn, close))
        self.resize(1100, 520)
        self.reload()

    def reload(self) -> None:
        from app.paper import checklist as paper_checklist, loans as paper_loans

        loans = paper_loans.loans(self.session, open_only=not self.with_returned.isChecked(),
                            overdue_only=self.overdue_only.isChecked())
        self.loans = sorted(loans, key=lambda ln: (0 if ln.overdue else 1 if not ln.returned_on else 2,
                                                   -ln.days_overdue, ln.due_on))
        names: dict = {}   # item names of the students with an item (not the whole folder) out
        for sid in {ln.student_id for ln in self.loans if ln.item_key}:
            try:
                names.update({(sid, it.key): it.name for it in paper_checklist.checklist(self.session, sid)})
            except Exception:  # a student's checklist that cannot be built: the key is shown instead
                pass
        rows, colors = [], []
        for ln in self.loans:
            state = (tr("paperui.overdue_days", days=ln.days_overdue) if ln.overdue
                     else tr("loansui.returned") if ln.returned_on else tr("loansui.out"))
            what = names.get((ln.student_id, ln.item_key), ln.item_key) if ln.item_key else tr("paperui.whole_folder")
            rows.append([state, ln.student_name, what, ln.borrower, ln.purpose, ln.approved_by, ln.lent_on,
                         ln.due_on, ln.returned_on or ""])
            colors.append((OVERDUE_BG, OVERDUE_FG) if ln.overdue else None)
        fill_table(self.table, rows, colors=colors)
        n_out = sum(1 for ln in self.loans if not ln.returned_on)
        n_over = sum(1 for ln in self.loans if ln.overdue)
        self.summary.setText(tr("loansui.summary", out=n_out, overdue=n_over) if self.loans else tr("loansui.none"))
        self.summary.setStyleSheet(f"color: {OVERDUE_FG}; font-weight: bold;" if n_over else "")
        if self.loans:
            self.table.selectRow(0)
        self._selection_changed()

    def _selection_changed(self) -> None:
        r = self.table.currentRow()
        ok = 0 <= r < len(self.loans)
        self.open_btn.setEnabled(ok)
        self.return_btn.setEnabled(ok and not self.loans[r].returned_on)

    def open_row(self, r: int) -> None:
        if 0 <= r < len(self.loans):
            self.openStudent.emit(int(self.loans[r].student_id))

    def return_row(self, r: int, note: str = "") -> bool:
        from app.paper import loans as paper_loans

        if not (0 <= r < len(self.loans)) or self.loans[r].returned_on:
            return False
        try:
            paper_loans.return_loan(self.session, self.loans[r].id, returned_on=dt.date.today(), note=note)
        except Refused as e:
            messages.error(self, messages.findings_text(e.findings))
            return False
        self.reload()
        return True
