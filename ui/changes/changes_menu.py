"""Main-window menu for status changes (学籍异动), promotion, graduation, deadlines.

``install(window)`` is called once by MainWindow after its own menus exist (window.menuBar(),
window.main_toolbar, window.session, window.selected_student_id(), window.current_class_id(),
window.after_write(ids), window.dialogs). Its actions are found by object name (``action(window, "act_change")``).

It also arranges the start-up check: a moment after the roster has been painted, the open deadlines
are read (a few milliseconds) and the deadlines view shows itself only when something is overdue or
due within a week; nothing is shown otherwise, and nothing is read before the window is on screen.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAction, QKeySequence

from ui.common import messages
from ui.common.i18n import tr

STARTUP_DELAY_MS = 800
STARTUP_RETRY_MS = 2000


def _kinds(session=None) -> list:
    """[(kind, info)]: with a session, only the kinds its profile has."""
    from app.changes.kinds import KINDS
    from app.changes.service import kind_info

    out = []
    for k in KINDS:
        info = kind_info(k, session) if session is not None else kind_info(k)
        if info.get("available", True):
            out.append((k, info))
    return out


def action(win, name: str) -> QAction | None:
    """One of this menu's actions (``act_change``, ``act_deadlines`` …) of main window ``win``."""
    return win.findChild(QAction, name)


class StartupCheck(QObject):
    """What the start-up check read (``items``: None until it has run), a child of the main window."""

    def __init__(self, win):
        super().__init__(win)
        self.setObjectName("deadlines_startup_check")
        self.items = None

    @classmethod
    def of(cls, win) -> "StartupCheck":
        found = win.findChild(StartupCheck, "deadlines_startup_check")
        return found if found is not None else cls(win)


def needs_student(info: dict) -> bool:
    """A kind that creates the student (转入) needs no roster selection."""
    return not info.get("creates_student") and "student" not in (info.get("needs") or ())


def open_change(win, kind: str | None = None, student_id: int | None = None):
    """The guided change dialog for the selected student (or, for 转入, for a new one)."""
    kinds = _kinds(win.session)
    info = dict(kinds).get(kind, {}) if kind else {}
    sid = student_id if student_id is not None else win.selected_student_id()
    if sid is None and (kind is None or needs_student(info)):
        messages.info(win, tr("changes_menu.pick_student"))
        return None
    if kind and not needs_student(info):
        sid = None
    from ui.changes.change_dialog import ChangeDialog

    dlg = ChangeDialog(win.session, sid, kind, win, class_id=win.current_class_id())

    def saved(student_id: int):
        win.after_write([student_id])
        res = dlg.result
        n = len(getattr(res, "deadlines", None) or [])
        msg = tr("changes_menu.saved_deadlines", count=n) if n else tr("changes_menu.saved")
        if not win.select_student(student_id):
            msg += tr("main.saved_not_shown")
        win.statusBar().showMessage(msg, 10000)
        update_badge(win)
        event_id = getattr(res, "event_id", None)
        if event_id and dlg.wants_form():
            from ui.printing.print_menu import print_change_form

            print_change_form(win, int(event_id))

    dlg.saved.connect(saved)
    dlg.finished.connect(dlg.deleteLater)
    dlg.open()
    return dlg


def open_deadlines(win, items=None, *, urgent_only: bool = False):
    from ui.changes.deadlines_view import show_deadlines

    return show_deadlines(win, items, urgent_only=urgent_only,
                          on_closed_item=lambda view: update_badge(win, view.all_items))


def open_promotion(win):
    from ui.promotion.promotion_dialog import open_promotion as _open

    return _open(win)


def open_graduation(win):
    from ui.promotion.graduation_dialog import open_graduation as _open

    return _open(win)


def open_calendar(win):
    from ui.changes.calendar_dialog import show_calendar

    return show_calendar(win)


def open_hs_record(win):
    from ui.promotion.hs_record_dialog import open_record

    return open_record(win)


def import_hs_records(win):
    from ui.promotion.hs_record_dialog import import_records

    result = import_records(win, win.current_class_id())
    if result is not None:
        win.after_write()
    return result


def install(window) -> None:
    """Add this area's menu and actions to ``window``."""
    win = window

    def act(text, slot, shortcut=None):
        a = QAction(text, win)
        if shortcut:
            a.setShortcut(QKeySequence(shortcut))
        a.triggered.connect(lambda checked=False: slot())
        return a

    def named(name, text, slot, shortcut=None):
        a = act(text, slot, shortcut)
        a.setObjectName(name)
        return a

    act_change = named("act_change", tr("changes_menu.change"), lambda: open_change(win), "Ctrl+T")
    act_deadlines = named("act_deadlines", tr("changes_menu.deadlines"), lambda: open_deadlines(win), "Ctrl+D")
    act_promote = named("act_promote", tr("changes_menu.promote"), lambda: open_promotion(win))
    act_graduate = named("act_graduate", tr("changes_menu.graduate"), lambda: open_graduation(win))
    act_calendar = named("act_calendar", tr("changes_menu.calendar"), lambda: open_calendar(win))
    act_hs_record = named("act_hs_record", tr("changes_menu.hs_record"), lambda: open_hs_record(win))
    act_hs_import = named("act_hs_import", tr("changes_menu.hs_import"), lambda: import_hs_records(win))

    m = win.menuBar().addMenu(tr("changes_menu.menu"))
    m.setObjectName("changes_menu")
    m.addAction(act_change)
    by_kind = m.addMenu(tr("changes_menu.by_kind"))
    by_kind.setObjectName("changes_by_kind")

    def fill_kinds():  # on first opening: nothing of app.changes is read at start-up
        if by_kind.isEmpty():
            for k, info in _kinds(win.session):
                by_kind.addAction(act(info.get("label") or k, lambda k=k: open_change(win, k)))

    by_kind.aboutToShow.connect(fill_kinds)
    m.addSeparator()
    m.addActions([act_promote, act_graduate])
    m.addSeparator()
    m.addActions([act_deadlines, act_calendar])
    m.addSeparator()
    m.addActions([act_hs_record, act_hs_import])
    # the permission each needs (ui/accounts/security_menu.py greys out what the signed-in role lacks); the kinds
    # submenu is filled on first opening, so the submenu itself carries "write"
    for a, permission in ((act_change, "write"), (act_deadlines, "read_all"), (act_promote, "write"),
                          (act_graduate, "write"), (act_calendar, "settings"), (act_hs_record, "write"),
                          (act_hs_import, "write"), (by_kind.menuAction(), "write")):
        a.setProperty("xueji_permission", permission)

    tb = getattr(win, "main_toolbar", None)
    if tb is not None:
        tb.addSeparator()
        tb.addActions([act_change, act_deadlines])

    table = getattr(win, "table", None)
    if table is not None and hasattr(table, "firstPainted"):
        table.firstPainted.connect(lambda: QTimer.singleShot(STARTUP_DELAY_MS, win, lambda: startup_check(win)))


def update_badge(win, items=None) -> int:
    """到期事项 on the toolbar says how many are overdue or due within a week (re-read when not given)."""
    from ui.changes.deadlines_view import STARTUP_HORIZON_DAYS, load

    if items is None:
        try:
            items = load(win.session)
        except Exception:
            return 0
    n = sum(1 for it in items if it.overdue or it.days_left <= STARTUP_HORIZON_DAYS)
    action(win, "act_deadlines").setText(tr("changes_menu.deadlines_count", count=n) if n
                                         else tr("changes_menu.deadlines"))
    return n


def startup_check(win):
    """Read the open deadlines once the roster is on screen; show the view only when something is due.

    On the GUI thread: list_deadlines is one indexed query plus the rules for pending and suspended
    students (measured 1–7 ms on a 3,000-student archive, 40 ms with all 3,000 pending), which is
    cheaper and safer than sharing the archive's connection with a worker that a closing window
    could outlive. While an archive job writes (the roster is blocked) it waits and tries again."""
    from shiboken6 import isValid

    from ui.changes.deadlines_view import load, needs_attention

    if not isValid(win) or not win.isVisible():
        return None
    if not action(win, "act_deadlines").isEnabled():  # the role may not see the whole school's deadlines (security_menu)
        return None
    if getattr(win.model, "_blocked", False) or win.busy():
        QTimer.singleShot(STARTUP_RETRY_MS, win, lambda: startup_check(win))
        return None
    try:
        items = load(win.session)
    except Exception:  # a start-up convenience: never an error box at start-up
        win.statusBar().showMessage(tr("changes_menu.deadlines_failed"), 8000)
        return None
    StartupCheck.of(win).items = items
    update_badge(win, items)
    if needs_attention(items):
        return open_deadlines(win, items, urgent_only=True)
    return None
