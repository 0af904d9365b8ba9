"""The 审计日志 window's table model (ui.audit.audit_view): the entries read so far, with their texts worked
out once on the worker (``entry_cells``); ``canFetchMore`` / ``fetchMore`` ask the view for the next page.
"""
from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt

from ui.common.i18n import tr


class AuditModel(QAbstractTableModel):
    """The entries read so far; ``canFetchMore`` / ``fetchMore`` ask the view for the next page."""

    HEADERS = ("at", "actor", "action", "entity", "student", "detail")

    def __init__(self, view):
        super().__init__(view)
        self.view = view
        self.rows: list[dict] = []
        self.more = False     # the log has older entries matching the filters
        self.loading = False

    def header_labels(self) -> list[str]:
        return [tr("auditui.col.at"), tr("auditui.col.actor"), tr("auditui.col.action"), tr("auditui.col.entity"),
                tr("auditui.col.student"), tr("auditui.col.detail")]

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 (Qt)
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802 (Qt)
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802 (Qt)
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.header_labels()[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        e = self.rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return e["_cells"][index.column()]
        if role == Qt.ItemDataRole.ForegroundRole and e["_failed"]:
            from PySide6.QtGui import QBrush, QColor

            return QBrush(QColor("#b71c1c"))
        return None

    def canFetchMore(self, parent=QModelIndex()) -> bool:  # noqa: N802 (Qt)
        return not parent.isValid() and self.more and not self.loading

    def fetchMore(self, parent=QModelIndex()) -> None:  # noqa: N802 (Qt)
        if self.canFetchMore(parent):
            self.view.load_more()

    def reset(self) -> None:
        self.beginResetModel()
        self.rows = []
        self.more = False
        self.endResetModel()

    def append(self, entries: list[dict]) -> None:
        if entries:
            self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(entries) - 1)
            self.rows.extend(entries)
            self.endInsertRows()



def entry_cells(e: dict) -> dict:
    """The texts of one entry (worked out on the worker thread, once)."""
    from app.audit import text as audit_text

    student = ""
    if e.get("student_id") is not None:
        student = tr("auditui.student", name=e.get("student_name") or "—", id=e["student_id"])
        if e.get("xueji_no"):
            student += tr("auditui.student_xjh", xjh=e["xueji_no"])
    e["_cells"] = [e["at"].replace("T", " "), e["actor"], audit_text.action_name(e["action"]),
                   audit_text.entity_text(e), student, audit_text.detail_text(e)]
    e["_failed"] = e["action"] in ("signin.failed", "account.locked") or (
        isinstance(e.get("detail"), dict) and e["detail"].get("ok") is False)
    return e
