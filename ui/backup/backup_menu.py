"""Main-window menu for backups (备份), plus the automatic parts of backups and integrity (docs/reliability.md):

- a cheap ``PRAGMA quick_check`` when the window opens, on a read-only connection of its own in a pool
  thread (the roster is not held up; a problem is reported, nothing changed);
- a timer: a backup to the configured folder when the last good one is a day old, and the full
  integrity check + files sweep when the last is a week old — both in the background;
- a backup when the window closes: the close waits for it behind a progress dialog with 取消; a failed
  or cancelled backup never keeps the window from closing (the archive itself is untouched by it).

``install(window)`` is called once by MainWindow after its own menus exist.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QThreadPool, QTimer
from shiboken6 import isValid

from app.backup import integrity, layout, settings
from app.backup import service as B
from ui.common import messages
from ui.common.i18n import tr
from ui.common.workers import run_job, run_with_progress

TIMER_MS = 60 * 60 * 1000   # look once an hour whether the daily backup / weekly check is due
FIRST_LOOK_MS = 2 * 60 * 1000  # and once shortly after start


class BackupWork(QObject):
    """This area's state for one main window (a child of it; ``BackupWork.of(window)``): the close hook, the
    timers, whether automatic work runs (``busy``) and its job, the quick check's job and result."""

    def __init__(self, window):
        super().__init__(window)
        self.setObjectName("backup_work")
        self.hook: _CloseHook | None = None
        self.timer: QTimer | None = None
        self.first_look: QTimer | None = None
        self.busy = False
        self.job = None
        self.quick_check_job = None
        self.quick_check_result = None

    @classmethod
    def of(cls, window) -> "BackupWork":
        found = window.findChild(BackupWork, "backup_work")
        return found if found is not None else cls(window)


def install(window) -> None:
    """Add this area's menu and actions to ``window``; start the timer, the close hook, the quick check."""
    menu = window.menuBar().addMenu(tr("backupui.menu"))
    acts = (menu.addAction(tr("backupui.backup_now"), lambda: backup_now(window)),
            menu.addAction(tr("backupui.title_menu"), lambda: open_dialog(window)))
    menu.addSeparator()
    acts += (menu.addAction(tr("backupui.check"), lambda: open_dialog(window).check_archive()),)
    for act, name in zip(acts, ("act_backup_now", "act_backup_dialog", "act_check_archive")):
        act.setObjectName(name)
        act.setProperty("xueji_permission", "backup")  # ui/accounts/security_menu.py greys it out for other roles
    work = BackupWork.of(window)
    work.hook = _CloseHook(window)
    window.installEventFilter(work.hook)
    work.timer = QTimer(window)
    work.timer.setInterval(TIMER_MS)
    work.timer.timeout.connect(lambda: automatic(window))
    work.timer.start()
    work.first_look = QTimer(window)  # owned by the window: never fires after it is gone
    work.first_look.setSingleShot(True)
    work.first_look.setInterval(FIRST_LOOK_MS)
    work.first_look.timeout.connect(lambda: automatic(window))
    work.first_look.start()
    quick_check(window)


def _alive(window) -> bool:
    """The window still exists (a job may end after it was closed and deleted)."""
    return isValid(window)


def open_dialog(window):
    from ui.backup.backup_dialog import BackupDialog

    return window.dialogs.open("backup", lambda: BackupDialog(window.session, window, window=window), keep=True)


def backup_now(window) -> None:
    if settings.configured_folder(window.session) is None:
        open_dialog(window)
        return

    def fn(progress, cancel):
        return B.make_backup(window.session, trigger="manual", progress=progress, cancel=cancel)

    def done(res):
        if _alive(window):
            window.statusBar().showMessage(tr("backupui.status_done", path=res.info.path), 10000)

    def failed(err):
        if _alive(window) and not isinstance(getattr(err, "error", None), layout.Cancelled):
            messages.job_error(window, err)

    window.jobs.append(run_with_progress(window, tr("backupui.progress"), fn, on_done=done, on_error=failed))


# ------------------------------------------------------------------ automatic work
def automatic(window) -> None:
    """The timer's look: a daily backup or the weekly full check when due, in the background."""
    if not _alive(window) or BackupWork.of(window).busy or window.session.archive.conn is None:
        return
    if window.busy():
        return  # an import or the like is running: look again next time
    if settings.backup_due(window.session):
        _background(window, lambda progress, cancel: B.make_backup(window.session, trigger="daily", cancel=cancel),
                    lambda res: window.statusBar().showMessage(tr("backupui.status_done", path=res.info.path), 10000),
                    tr("backupui.auto_failed"))
    elif settings.full_check_due(window.session):
        def done(rep):
            if rep["problems"]:
                messages.error(window, messages.findings_text(rep["problems"]), title=tr("backupui.check_bad_title"))
        _background(window, lambda progress, cancel: integrity.check_integrity(window.session, full=True, cancel=cancel,
                                                                       trigger="weekly"),
                    done, tr("backupui.check_bad_title"))


def _background(window, fn, done, fail_title: str) -> None:
    work = BackupWork.of(window)
    work.busy = True

    def ok(result):
        work.busy = False
        if _alive(window):
            done(result)

    def failed(err):
        work.busy = False
        if _alive(window) and not isinstance(getattr(err, "error", None), layout.Cancelled):
            messages.job_error(window, err, title=fail_title)

    work.job = run_job(fn, on_done=ok, on_error=failed)


def quick_check(window) -> None:
    """PRAGMA quick_check on its own read-only connection, off the GUI thread."""
    path = window.session.archive.db_path
    work = BackupWork.of(window)

    def done(result):
        work.quick_check_result = result
        if result != "ok" and _alive(window):
            messages.error(window, tr("backupui.quick_check_bad", result=result), title=tr("backupui.check_bad_title"))

    def failed(err):  # could not even read it (e.g. the folder went away): opening will say more
        work.quick_check_result = str(getattr(err, "error", err))

    work.quick_check_job = run_job(lambda progress, cancel: integrity.quick_check_file(path), on_done=done,
                                      on_error=failed, pool=QThreadPool.globalInstance())


# ------------------------------------------------------------------ backup on close
class _CloseHook(QObject):
    """Intercepts the window's first close: runs the backup behind a progress dialog, then closes."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.done = False
        self.job = None

    def eventFilter(self, obj, event) -> bool:
        if obj is not self.window or event.type() != QEvent.Type.Close or self.done:
            return False
        if self.job is not None:  # a second close while the backup runs: wait for it
            event.ignore()
            return True
        w = self.window
        if BackupWork.of(w).busy:  # a daily backup or weekly check is running: close after it
            event.ignore()
            QTimer.singleShot(200, w.close)
            return True
        try:
            wanted = w.session.archive.conn is not None and settings.backup_on_close_wanted(w.session)
        except Exception:
            wanted = False
        if not wanted or w.busy():
            return False  # no backup this time; the window's own closeEvent decides
        event.ignore()
        self.start()
        return True

    def start(self) -> None:
        w = self.window

        def fn(progress, cancel):
            return B.make_backup(w.session, trigger="close", progress=progress, cancel=cancel)

        def finish(_result=None):
            self.done = True
            self.job = None
            QTimer.singleShot(0, w.close)

        def failed(err):
            if not isinstance(getattr(err, "error", None), layout.Cancelled):
                messages.job_error(w, err, title=tr("backupui.close_failed"))
            finish()

        self.job = run_with_progress(w, tr("backupui.close_progress"), fn, on_done=finish, on_error=failed,
                                     min_duration_ms=0)
