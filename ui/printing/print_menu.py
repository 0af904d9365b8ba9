"""Main-window menu for printing: preview, print, calibration, certificate register.

``install(window)`` is called once by MainWindow after its own menus exist (window.menuBar(),
window.main_toolbar, window.session, window.selected_student_id(), window.current_class_id(),
window.after_write(ids)).

``print_change_form(window, event_id)``: the preview of one status change's form (转学联系表, 休学复学申请表 …),
from which the registrar prints or saves it; the change dialog calls it after saving (pass the main window,
which outlives the dialog).
"""
from __future__ import annotations

import datetime as _dt

from PySide6.QtWidgets import QInputDialog

from ui.common import messages
from ui.common.i18n import tr


def _school_year() -> int:
    today = _dt.date.today()
    return today.year if today.month >= 8 else today.year - 1


def install(window) -> None:
    """Add this area's menu and actions to ``window``."""
    from app.printing import service as ps

    menu = window.menuBar().addMenu(tr("printui.menu"))
    sub = menu.addMenu(tr("printui.menu_student"))
    for kind in ps.STUDENT_KINDS:
        _need(sub.addAction(ps.KIND_TITLES[kind], lambda k=kind: open_preview(window, k, "student")))
    sub = menu.addMenu(tr("printui.menu_class"))
    for kind in ps.CLASS_KINDS:
        _need(sub.addAction(ps.KIND_TITLES[kind], lambda k=kind: open_preview(window, k, "class")))
    sub = menu.addMenu(tr("printui.menu_year"))
    for kind in ps.YEAR_KINDS:
        _need(sub.addAction(ps.KIND_TITLES[kind], lambda k=kind: open_preview(window, k, "year")))
    _need(menu.addAction(tr("printui.change_form"), lambda: print_latest_change_form(window)), name="act_change_form")
    menu.addSeparator()
    _need(menu.addAction(tr("printui.calibrate"), lambda: open_calibration(window)), "settings", name="act_calibration")
    _need(menu.addAction(tr("certui.title"), lambda: open_register(window)), name="act_cert_register")
    window.main_toolbar.addSeparator()
    _need(window.main_toolbar.addAction(tr("printui.toolbar_print"), lambda: open_preview(window, "diploma", "class")),
          name="act_print_class")


def _need(action, permission: str = "print", *, name: str = ""):
    """The permission the action needs (ui/accounts/security_menu.py greys out what the signed-in role lacks);
    ``name``: its object name (found again with ``window.findChild(QAction, name)``)."""
    action.setProperty("xueji_permission", permission)
    if name:
        action.setObjectName(name)
    return action


def open_preview(window, kind: str, scope: str, *, school_year: int | None = None):
    from ui.printing.print_preview_dialog import PrintPreviewDialog

    kw = {}
    if scope == "student":
        sid = window.selected_student_id()
        if sid is None:
            messages.info(window, tr("printui.pick_student"))
            return None
        kw["student_ids"] = [sid]
    elif scope == "class":
        cid = window.current_class_id()
        if cid is None:
            messages.info(window, tr("printui.pick_class"))
            return None
        kw["class_id"] = cid
    else:
        if school_year is None:
            school_year, ok = QInputDialog.getInt(window, tr("printui.menu_year"), tr("printui.school_year"),
                                                  _school_year(), 2000, 2100)
            if not ok:
                return None
        kw["school_year"] = school_year
    dlg = PrintPreviewDialog(window.session, kind, parent=window, after_write=window.after_write, **kw)
    dlg.show()
    return dlg


def open_calibration(window):
    from ui.printing.calibration_dialog import CalibrationDialog

    dlg = CalibrationDialog(window.session, window)
    dlg.show()
    return dlg


def open_register(window):
    from ui.printing.cert_register_dialog import CertRegisterDialog

    dlg = CertRegisterDialog(window.session, window, student_id=window.selected_student_id(),
                             after_write=window.after_write)
    dlg.show()
    return dlg


def print_change_form(window, event_id: int):
    """Open the preview of status-change event ``event_id``'s form (the one the profile names for its kind);
    print and save as PDF from there. ``window``: a widget with ``.session`` (the main window)."""
    from ui.printing.print_preview_dialog import PrintPreviewDialog

    dlg = PrintPreviewDialog(window.session, "change-form", event_ids=[int(event_id)], parent=window,
                             after_write=getattr(window, "after_write", None))
    dlg.show()
    return dlg


def print_latest_change_form(window):
    """打印异动申请表: the form of the selected student's latest change that has one."""
    from app.printing import service as ps

    sid = window.selected_student_id()
    if sid is None:
        messages.info(window, tr("printui.pick_student"))
        return None
    eid = ps.latest_change_event(window.session, sid)
    if eid is None:
        messages.info(window, tr("printui.no_change_event"))
        return None
    return print_change_form(window, eid)
