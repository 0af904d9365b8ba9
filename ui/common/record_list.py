"""What the list windows share (the paper archive's views, 例外放行审批, 对外提供审批): the house table (read-only,
row-selecting), filling it, the selected row's record, the hint-and-buttons row under it, and re-reading the list
when the registrar comes back to the window. One window of a kind per main window: ui.common.dialogs."""
from __future__ import annotations

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QTableWidget


def make_table(headers: list[str], widths=(), *, name: str = ""):
    """A read-only, row-selecting table with the house look."""
    t = QTableWidget(0, len(headers))
    if name:
        t.setObjectName(name)
    t.setHorizontalHeaderLabels(headers)
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    t.setWordWrap(False)
    t.setAlternatingRowColors(True)
    t.verticalHeader().hide()
    hh = t.horizontalHeader()
    hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    hh.setStretchLastSection(True)
    for c, w in enumerate(widths):
        t.setColumnWidth(c, w)
    return t


def fill_table(table, rows: list[list], *, colors=None) -> None:
    """Rows of texts; ``colors`` a per-row (background, foreground) or None."""
    from PySide6.QtGui import QBrush, QColor
    from PySide6.QtWidgets import QTableWidgetItem

    table.setRowCount(len(rows))
    for r, vals in enumerate(rows):
        col = colors[r] if colors else None
        for c, v in enumerate(vals):
            cell = QTableWidgetItem("" if v is None else str(v))
            cell.setToolTip(cell.text())
            if col:
                cell.setBackground(QBrush(QColor(col[0])))
                cell.setForeground(QBrush(QColor(col[1])))
            table.setItem(r, c, cell)


def selected(table: QTableWidget, rows: list[dict]) -> dict | None:
    picked = table.selectionModel().selectedRows()
    return rows[picked[0].row()] if picked else None


def hint_and_buttons(layout, hint: str, buttons) -> None:
    """Under the table: a grey hint on the left, the buttons (no auto-default) on the right."""
    bottom = QHBoxLayout()
    label = QLabel(hint)
    label.setStyleSheet("color: #616161;")
    bottom.addWidget(label, 1)
    for b in buttons:
        b.setAutoDefault(False)
        bottom.addWidget(b)
    layout.addLayout(bottom)


class RereadOnReturn:
    """For a list window (mixed in before its Qt class, with a ``reload()``): coming back to it re-reads the list
    (something was fixed or recorded elsewhere meanwhile); a failing re-read keeps what is shown."""

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt)
        super().changeEvent(event)
        if event.type() == QEvent.Type.ActivationChange and self.isActiveWindow():
            try:
                self.reload()
            except Exception:
                pass
