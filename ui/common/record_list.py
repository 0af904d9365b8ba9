"""What the list windows share (the paper archive's views, 例外放行审批, 对外提供审批): the house table (read-only,
row-selecting), filling it, the selected row's record, and one window per main window brought to the front when
asked for again."""
from __future__ import annotations

from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget


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


def show_single(window, attr: str, factory):
    """The window kept on ``window.<attr>`` (made by ``factory()`` the first time, else re-read), shown in front."""
    view = getattr(window, attr, None)
    if view is None:
        view = factory()
        setattr(window, attr, view)
    else:
        view.reload()
    view.show()
    view.raise_()
    view.activateWindow()
    return view
