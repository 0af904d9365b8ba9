"""The student editor for a role without "write" (校领导, 班主任; ui.students.student_editor_dialog): the record is
shown, nothing can be changed — fields read-only or disabled, no 保存, no photo buttons, and on the 档案袋 and
学籍状态 tabs only what reads (and a 校领导's approval, a folder label for a role that prints) stays.
"""
from __future__ import annotations

from PySide6.QtWidgets import QLineEdit

from ui.common.i18n import tr


def make_read_only(editor) -> None:
    """Turn the open ``editor`` (a StudentEditorDialog) read-only."""
    for fi in editor.inputs.values():
        if isinstance(fi.widget, QLineEdit):
            fi.widget.setReadOnly(True)  # still selectable, e.g. to copy a 学籍号
        else:
            fi.widget.setEnabled(False)
    editor.class_combo.setEnabled(False)
    editor.save_button.setEnabled(False)
    editor.save_button.hide()
    editor.cancel_button.setText(tr("common.close"))
    editor.keys_hint.setText(tr("editor.keys_hint_read_only"))
    # the 档案袋 and 学籍状态 tabs: what changes the record goes; reading a scan stays, and a 校领导 still
    # records a party's approval (approve) and may print a folder label if the role prints
    fp = getattr(editor, "folder_panel", None)
    if fp is not None:
        for name in ("move_btn", "sign_btn", "handover_btn", "mark_btn", "attach_btn", "lend_btn", "return_btn"):
            if getattr(fp, name, None) is not None:
                getattr(fp, name).hide()
        if getattr(fp, "label_btn", None) is not None and not editor.session.can("print"):
            fp.label_btn.hide()
    sh = getattr(editor, "state_history", None)
    if sh is not None:
        if getattr(sh, "change_button", None) is not None:
            sh.change_button.hide()
        if getattr(sh, "approval_button", None) is not None and not editor.session.can("approve"):
            sh.approval_button.hide()
    for b in (editor.photo_button, editor.recrop_button):
        b.setEnabled(False)
        b.setToolTip(tr("editor.read_only_tip"))
    editor.setWindowTitle(tr("editor.title_read_only", title=editor.windowTitle()))
