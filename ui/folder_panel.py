"""档案袋: a student's paper folder as a tab of the student editor — where the folder is (cabinet → shelf →
box → position) and moving it, the document checklist (paper state, scan attached, checked when and by
whom; attach and view scans), and the folder's loans (lend, return).

Everything goes through app.paper; the panel only shows and asks."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ui.i18n import tr


class FolderPanel(QWidget):
    changed = Signal()

    def __init__(self, session, student_id: int, parent=None):
        super().__init__(parent)
        self.session = session
        self.student_id = student_id
        lay = QVBoxLayout(self)
        self.status = QLabel(tr("paperui.not_ready"))
        self.status.setWordWrap(True)
        lay.addWidget(self.status)
        lay.addStretch(1)


def add_folder_tab(editor) -> FolderPanel:
    """The 档案袋 tab of the student editor (ui.student_editor_dialog)."""
    w = FolderPanel(editor.session, editor.student_id, editor)
    editor.tabs.addTab(w, tr("paperui.tab"))
    return w
