"""变更记录: a student's change history (app.students.service.history) as a read-only table,
newest first — 时间, 字段, 原值, 新值, 操作人, 原因, 证明材料; code values shown by name."""
from __future__ import annotations

from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from ui.common.i18n import tr

HISTORY_COLUMNS = ("time", "field", "old", "new", "by", "reason", "evidence")
WIDTHS = (150, 110, 150, 150, 80, 140)


class HistoryTable(QTableWidget):
    def __init__(self, parent=None):
        super().__init__(0, len(HISTORY_COLUMNS), parent)
        self.setObjectName("history_table")
        self.setHorizontalHeaderLabels([tr(f"history.col.{c}") for c in HISTORY_COLUMNS])
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.verticalHeader().hide()
        hh = self.horizontalHeader()
        hh.setStretchLastSection(True)
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for c, w in enumerate(WIDTHS):
            self.setColumnWidth(c, w)

    def fill(self, rows: list[dict]) -> None:
        self.setRowCount(len(rows))
        for r, h in enumerate(reversed(rows)):  # newest first
            old, new = h.get("old_display") or "", h.get("new_display") or ""
            by = h.get("changed_by") or ""
            if h.get("approved_by"):
                by = tr("history.approved", by=by, approver=h["approved_by"])
            vals = ((h.get("changed_at") or "").replace("T", " "), h.get("field_name") or h.get("field") or "",
                    old, new, by, h.get("reason") or "", h.get("evidence_ref") or "")
            for c, v in enumerate(vals):
                item = QTableWidgetItem(str(v))
                item.setToolTip(str(v))
                self.setItem(r, c, item)
