"""差异清单: everything where the paper and the electronic archive disagree or are incomplete, in one view
(app.paper.discrepancies) — a status change without its evidence, paper without a scan and a scan
without the paper, students without a folder or a location, folders lent out past due, folders not handed
over within a month of a transfer, records edited since the guardian signed the printed 学生基本信息表.

Each line opens the place to fix it (double-click or 去处理): the student's 学籍状态 tab, the 档案袋 tab
(with the item selected), the borrow register, or the 学生基本信息表 print preview. The list exports to
Excel and prints to PDF."""
from __future__ import annotations

import os

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QComboBox, QDialog, QFileDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from app.core.errors import Refused
from ui.common import messages
from ui.common.i18n import tr
from ui.common.record_list import RereadOnReturn, fill_table, hint_and_buttons, make_table


class DiscrepanciesView(RereadOnReturn, QDialog):
    """``opened(target)`` after a line was opened (the target dict of the line)."""

    opened = Signal(dict)

    def __init__(self, session, parent=None, *, window=None):
        super().__init__(parent)
        from app.paper import discrepancies as PR

        self.PR = PR
        self.session = session
        self.window_ = window
        self.lines: list = []
        self.all_lines: list = []
        self.setWindowTitle(tr("discui.title"))
        self.setSizeGripEnabled(True)
        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        self.summary = QLabel()
        self.summary.setObjectName("discrepancies_summary")
        self.summary.setWordWrap(True)
        top.addWidget(self.summary, 1)
        top.addWidget(QLabel(tr("discui.kind")))
        self.kind_combo = QComboBox()
        self.kind_combo.addItem(tr("discui.all_kinds"), None)
        for k in PR.KINDS:
            self.kind_combo.addItem(PR.KIND_NAMES[k], k)
        self.kind_combo.currentIndexChanged.connect(lambda _i: self._fill())
        top.addWidget(self.kind_combo)
        lay.addLayout(top)
        self.table = make_table([tr("discui.col_kind"), tr("discui.col_student"), tr("discui.col_class"),
                                 tr("discui.col_what"), tr("discui.col_since"), tr("discui.col_article")],
                                (130, 80, 120, 480, 90), name="discrepancies_table")
        self.table.cellDoubleClicked.connect(lambda r, _c: self.open_row(r))
        self.table.itemSelectionChanged.connect(self._selection_changed)
        lay.addWidget(self.table, 1)
        self.open_btn = QPushButton(tr("discui.open"))
        self.open_btn.clicked.connect(lambda: self.open_row(self.table.currentRow()))
        self.refresh_btn = QPushButton(tr("discui.refresh"))
        self.refresh_btn.clicked.connect(lambda: self.reload())
        self.export_btn = QPushButton(tr("discui.export"))
        self.export_btn.clicked.connect(lambda: self.export())
        self.print_btn = QPushButton(tr("discui.print"))
        self.print_btn.clicked.connect(lambda: self.print_())
        close = QPushButton(tr("common.close"))
        close.clicked.connect(self.reject)
        hint_and_buttons(lay, tr("discui.hint"), (self.open_btn, self.refresh_btn, self.export_btn, self.print_btn, close))
        self.resize(1200, 560)
        self.reload()

    def reload(self) -> None:
        self.all_lines = list(self.PR.discrepancies(self.session))
        self._fill()

    def _fill(self) -> None:
        r = self.table.currentRow()
        keep = self._key(self.lines[r]) if 0 <= r < len(self.lines) else None
        kind = self.kind_combo.currentData()
        self.lines = [d for d in self.all_lines if kind is None or d.kind == kind]
        fill_table(self.table, [[d.kind_name, d.student, d.class_name, d.what, d.since,
                                 tr("discui.article", article=d.article, rule=d.rule) if d.article else ""]
                                for d in self.lines])
        counts: dict = {}
        for d in self.all_lines:
            counts[d.kind_name] = counts.get(d.kind_name, 0) + 1
        self.summary.setText(tr("discui.summary", count=len(self.all_lines),
                                kinds=tr("common.list_sep").join(tr("discui.kind_count", kind=k, count=n)
                                                                 for k, n in counts.items()))
                             if self.all_lines else tr("discui.none"))
        keys = [self._key(d) for d in self.lines]
        if keep in keys:
            self.table.selectRow(keys.index(keep))
        elif self.lines:
            self.table.selectRow(0)
        self._selection_changed()

    @staticmethod
    def _key(d) -> tuple:
        return (d.kind, d.student_id, tuple(sorted((k, str(v)) for k, v in (d.target or {}).items())))

    def _selection_changed(self) -> None:
        r = self.table.currentRow()
        self.open_btn.setEnabled(0 <= r < len(self.lines) and bool(self.lines[r].target))
        self.print_btn.setEnabled(True)

    # ------------------------------------------------------------------ opening the place to fix it
    def open_row(self, r: int):
        if not (0 <= r < len(self.lines)):
            return None
        target = dict(self.lines[r].target or {})
        from ui.paper.navigate import open_target

        out = open_target(self.window_, target) if self.window_ is not None else None
        self.opened.emit(target)
        return out

    # ------------------------------------------------------------------ export, print
    def export(self, path: str | None = None):
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, tr("discui.export"), tr("discui.export_name"),
                                                  tr("reconcileui.file_filter"))
            if not path:
                return None
        try:
            res = self.PR.export_discrepancies(self.session, path)
        except Refused as e:
            messages.error(self, messages.findings_text(e.findings))
            return None
        messages.info(self, tr("discui.exported", count=res["count"], path=res["path"]))
        return res

    def print_(self, path: str | None = None):
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, tr("discui.print"), tr("discui.print_name"),
                                                  tr("reviewui.pdf_filter"))
            if not path:
                return None
        try:
            res = self.PR.print_discrepancies(self.session, path)
        except Refused as e:
            messages.error(self, messages.findings_text(e.findings))
            return None
        if os.environ.get("QT_QPA_PLATFORM") != "offscreen":
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(res["path"])))
        return res
