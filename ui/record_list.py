"""What the small list windows share (例外放行审批, 对外提供审批): a read-only row-selecting table, the selected
row's record, and one window per main window brought to the front when asked for again."""
from __future__ import annotations

from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget


def make_table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    table.horizontalHeader().setStretchLastSection(True)
    return table


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
