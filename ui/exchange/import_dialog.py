"""The result of an import of the national template (app.exchange.import_students): how many rows
were imported, a table of errors and warnings (行, 列, 值/原因, 规则), saving the list as text, and —
when nothing was imported because some rows are wrong — importing the other rows instead.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QFileDialog, QHBoxLayout, QHeaderView, QLabel,
                               QPushButton, QTableWidget, QTableWidgetItem, QTabWidget, QVBoxLayout)

from ui.common import messages
from ui.common.i18n import tr

COLS = ("row", "column", "reason", "rule")
WRAP_ROWS = 2000


def _count(v) -> int:
    if v is None:
        return 0
    return v if isinstance(v, int) else len(v)


def _rule(f) -> str:
    rule, article = getattr(f, "rule", "") or "", getattr(f, "article", "") or ""
    return f"{rule}（{article}）" if rule and article else rule


def report_text(report, source: str = "") -> str:
    """The whole report as plain text (what 保存为文本 writes)."""
    lines = [tr("import.text_title", file=source), summary(report), ""]
    for key, items in (("import.tab_errors", getattr(report, "errors", []) or []),
                       ("import.tab_warnings", getattr(report, "warnings", []) or [])):
        lines.append(tr(key, count=len(items)))
        for f in items:
            lines.append("\t".join([str(getattr(f, "row", "") or ""), getattr(f, "field", "") or "",
                                    getattr(f, "message", str(f)), _rule(f)]))
        lines.append("")
    return "\n".join(lines)


def summary(report) -> str:
    text = tr("import.summary", total=getattr(report, "total_rows", 0) or 0,
              imported=getattr(report, "imported", 0) or 0, errors=len(getattr(report, "errors", []) or []),
              warnings=len(getattr(report, "warnings", []) or []),
              skipped=_count(getattr(report, "skipped_rows", 0)))
    if getattr(report, "cancelled", False):
        text += tr("import.cancelled")
    return text


class ImportResultDialog(QDialog):
    RETRY_SKIPPING = 2

    def __init__(self, report, source: str = "", parent=None, *, can_skip_invalid: bool = False):
        super().__init__(parent)
        self.report = report
        self.source = source
        self.setWindowTitle(tr("import.result_title"))
        self.resize(860, 560)
        lay = QVBoxLayout(self)
        head = QLabel(summary(report))
        head.setObjectName("import_summary")
        head.setWordWrap(True)
        head.setStyleSheet("font-size: 11pt;")
        lay.addWidget(head)
        errors = list(getattr(report, "errors", []) or [])
        warnings = list(getattr(report, "warnings", []) or [])
        if errors and not (getattr(report, "imported", 0) or 0):
            note = QLabel(tr("import.nothing_imported"))
            note.setWordWrap(True)
            note.setStyleSheet("color: #c62828;")
            lay.addWidget(note)
        tabs = QTabWidget()
        self.error_table = self._table(errors, QColor("#b71c1c"))
        self.warning_table = self._table(warnings, QColor("#8d6e00"))
        tabs.addTab(self.error_table, tr("import.tab_errors", count=len(errors)))
        tabs.addTab(self.warning_table, tr("import.tab_warnings", count=len(warnings)))
        lay.addWidget(tabs, 1)
        row = QHBoxLayout()
        save = QPushButton(tr("import.save_text"))
        save.clicked.connect(self.save_text)
        row.addWidget(save)
        row.addStretch(1)
        if can_skip_invalid and errors and not (getattr(report, "imported", 0) or 0) \
                and not getattr(report, "cancelled", False):
            retry = QPushButton(tr("import.retry_skipping"))
            retry.clicked.connect(lambda: self.done(self.RETRY_SKIPPING))
            row.addWidget(retry)
        close = QPushButton(tr("common.close"))
        close.setDefault(True)
        close.clicked.connect(self.accept)
        row.addWidget(close)
        lay.addLayout(row)

    def _table(self, findings, color: QColor) -> QTableWidget:
        t = QTableWidget(len(findings), len(COLS))
        t.setHorizontalHeaderLabels([tr(f"import.col.{c}") for c in COLS])
        t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        t.verticalHeader().hide()
        t.setWordWrap(True)
        hh = t.horizontalHeader()
        hh.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        hh.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        hh.setSectionResizeMode(3, QHeaderView.ResizeMode.Interactive)
        t.setColumnWidth(1, 120)
        t.setColumnWidth(3, 280)
        for r, f in enumerate(findings):
            vals = (str(getattr(f, "row", "") or ""), getattr(f, "field", "") or "",
                    getattr(f, "message", str(f)), _rule(f))
            for c, v in enumerate(vals):
                item = QTableWidgetItem(v)
                item.setToolTip(v)
                if c == 2:
                    item.setForeground(color)
                t.setItem(r, c, item)
        if len(findings) <= WRAP_ROWS:  # whole messages; beyond that, one line each (tooltips)
            t.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        return t

    def save_text(self) -> str | None:
        stem = tr("import.default_text_name")
        default = (Path(self.source).with_name(f"{Path(self.source).stem}_{stem}.txt") if self.source
                   else Path.home() / f"{stem}.txt")
        path, _ = QFileDialog.getSaveFileName(self, tr("import.save_text"), str(default), tr("import.text_filter"))
        if not path:
            return None
        try:
            Path(path).write_text(report_text(self.report, self.source), encoding="utf-8-sig")
        except OSError as e:
            messages.error(self, tr("import.save_failed", error=str(e)))
            return None
        return path
