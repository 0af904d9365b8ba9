"""Going to the place something is fixed at, from any paper-archive window: a student's 档案袋, the borrow
register, the line of a discrepancy."""
from __future__ import annotations

from PySide6.QtWidgets import QApplication


def open_student_folder(win, student_id: int, *, tab: str = "folder"):
    """Select the student in the roster (clearing filters that hide them) and open the editor on its
    档案袋 tab. An editor already open on the same student only switches to that tab."""
    from ui.students.student_editor_dialog import StudentEditorDialog

    for w in QApplication.topLevelWidgets():
        if isinstance(w, StudentEditorDialog) and w.isVisible() and w.student_id == student_id:
            _show_tab(w, tab)
            w.raise_()
            w.activateWindow()
            return w
    win.reveal_student(student_id)
    dlg = win.open_editor(student_id)
    if dlg is None:  # not the signed-in account's to read (the refusal was shown)
        return None
    _show_tab(dlg, tab)
    dlg.open()
    return dlg


def _show_tab(dlg, tab: str) -> None:
    panel = getattr(dlg, "folder_panel", None)
    if tab == "folder" and panel is not None:
        dlg.tabs.setCurrentWidget(panel)


def open_loans(win):
    from ui.paper.loans_view import LoansView

    def make():
        v = LoansView(win.session, win)
        v.openStudent.connect(lambda sid: open_student_folder(win, sid))
        return v

    return win.dialogs.open("paper_loans", make)


def open_target(win, target: dict):
    """Open the place a discrepancy is fixed at; returns the window or dialog opened."""
    view = target.get("view")
    sid = target.get("student_id")
    if view == "loans":
        v = open_loans(win)
        lid = target.get("loan_id")
        ids = [ln.id for ln in v.loans]
        if lid in ids:
            v.table.selectRow(ids.index(lid))
        return v
    if sid is None:
        return None
    if view == "changes":
        from ui.changes.deadlines_view import open_student

        return open_student(win, int(sid))
    if view == "student":
        dlg = open_student_folder(win, int(sid), tab="first")
        if target.get("print"):
            from ui.printing.print_preview_dialog import PrintPreviewDialog

            pv = PrintPreviewDialog(win.session, target["print"], student_ids=[int(sid)], parent=win,
                                    after_write=win.after_write)
            pv.show()  # as the 打印 menu does: kept (not deleted) while a render may still deliver
            return pv
        return dlg
    dlg = open_student_folder(win, int(sid))   # folder, checklist, handover: the 档案袋 tab
    panel = getattr(dlg, "folder_panel", None)
    key = target.get("item_key")
    if key and panel is not None and hasattr(panel, "items"):
        keys = [it.key for it in panel.items]
        if key in keys:
            panel.table.selectRow(keys.index(key))
    return dlg
