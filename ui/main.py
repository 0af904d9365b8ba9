"""``xueji-gui``: start the Qt application on an archive folder.

Opens the archive (or runs the first-run dialog when the folder has no school yet), then asks who is
working (ui.accounts.signin_dialog.authenticate: the first registrar's set-up on an archive without accounts,
otherwise the sign-in dialog; a forced password change), then shows the main window. Cancelling either
quits: there is no window without an account.

Scripted runs (screenshots, tests): with ``XUEJI_USER`` and ``XUEJI_PASSWORD`` in the environment the
sign-in happens without a dialog (``XUEJI_NEW_PASSWORD`` answers a forced password change). Heavy modules (openpyxl, xlrd, pypinyin, reportlab …) are imported only when a
feature needs them, so the roster is on screen within a second even on 30,000 students.

Debug / check options: ``--screenshot PNG`` saves the window (or the open dialog) once the roster
has been painted and quits; ``--quit-after-ms N``; ``--open-editor new|ID`` opens the student
editor; ``--report-startup`` prints the start-up time when the roster is first painted.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

_T0 = time.perf_counter()


def parse_args(argv):
    from ui.common.i18n import tr

    p = argparse.ArgumentParser(prog="xueji-gui", description=tr("cli.description"))
    p.add_argument("--archive", metavar="DIR", default=None, help=tr("cli.archive"))
    p.add_argument("--screenshot", metavar="PNG", default=None, help=tr("cli.screenshot"))
    p.add_argument("--screenshot-delay-ms", type=int, default=300, help=argparse.SUPPRESS)
    p.add_argument("--quit-after-ms", metavar="N", type=int, default=None, help=tr("cli.quit_after"))
    p.add_argument("--open-editor", metavar="new|first|ID", default=None, help=tr("cli.open_editor"))
    p.add_argument("--report-startup", action="store_true", help=tr("cli.report_startup"))
    return p.parse_known_args(argv)


def process_age_ms() -> float | None:
    """Milliseconds since this process started (Linux /proc; 10 ms resolution), else None."""
    try:
        with open("/proc/self/stat", encoding="ascii") as fh:
            start_ticks = int(fh.read().rsplit(")", 1)[1].split()[19])
        return (time.clock_gettime(time.CLOCK_BOOTTIME) - start_ticks / os.sysconf("SC_CLK_TCK")) * 1000
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def _install_translations(app) -> None:
    """Qt's own strings (standard buttons, context menus) in Chinese."""
    from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator

    tr_ = QTranslator(app)
    if tr_.load(QLocale(QLocale.Language.Chinese, QLocale.Country.China), "qtbase", "_",
                QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        app.installTranslator(tr_)
    app._qt_translator = tr_


def open_session(folder, parent=None):
    """The archive's Session, after the first-run dialog if the folder has no school; None to quit."""
    from app.core.session import ArchiveError, ArchiveMissing, Session
    from ui.common import messages
    from ui.common.i18n import tr

    try:
        session = Session.open(folder)
    except ArchiveMissing:
        session = None
    except ArchiveError as e:  # locked, too new, unreadable: the message says what to do
        messages.error(parent, str(e), title=tr("main.archive_error_title"))
        return None
    if session is not None and session.school is not None:
        return _signed_in(session, parent)
    if session is not None:
        session.close()  # init_school opens it again (one writer per archive, even in one process)
    from ui.school.first_run_dialog import FirstRunDialog

    dlg = FirstRunDialog(folder, parent)
    _pending_dialogs.append(dlg)
    ok = dlg.exec()
    _pending_dialogs.remove(dlg)
    if ok and dlg.session is not None:
        return _signed_in(dlg.session, parent)
    if dlg.session is not None:
        dlg.session.close()
    return None


def _signed_in(session, parent=None):
    """``session`` once someone has signed in (or set up the first registrar); None (closed) to quit."""
    from ui.accounts.signin_dialog import authenticate

    if authenticate(session, parent, _pending_dialogs):
        return session
    session.close()
    return None


_pending_dialogs: list = []


def _grab(widget, path: str) -> bool:
    pix = widget.grab()
    return pix.save(path)


def _timer(ms: int, fn, timers: list):
    """A single-shot timer that main() stops on return (so none fires in a later event loop)."""
    from PySide6.QtCore import QTimer

    t = QTimer()
    t.setSingleShot(True)
    t.timeout.connect(fn)
    t.start(ms)
    timers.append(t)
    return t


def main(argv=None) -> int:
    timers: list = []
    try:
        return _main(argv, timers)
    finally:
        for t in timers:
            t.stop()


def _main(argv, timers) -> int:
    args, qt_args = parse_args(sys.argv[1:] if argv is None else argv)
    from PySide6.QtWidgets import QApplication

    from app.core.paths import default_archive_dir
    from ui.common.fonts import setup_fonts
    from ui.common.i18n import tr

    app = QApplication.instance() or QApplication([sys.argv[0], *qt_args])
    app.setApplicationName("Xueji")
    app.setApplicationDisplayName(tr("app.name"))
    _install_translations(app)
    setup_fonts(app)
    folder = args.archive or str(default_archive_dir())

    if args.screenshot:
        # also catches the first-run dialog, which runs before the main window exists
        def shoot_dialog():
            if _pending_dialogs:
                _grab(_pending_dialogs[-1], args.screenshot)
                print(f"screenshot saved: {args.screenshot}", flush=True)
                app.exit(0)
        _timer(max(args.screenshot_delay_ms, 800), shoot_dialog, timers)
    if args.quit_after_ms is not None:
        _timer(args.quit_after_ms, lambda: app.exit(0), timers)

    session = open_session(folder)
    if session is None:
        return 0 if args.screenshot else 1
    from ui.main_window import MainWindow

    win = MainWindow(session)
    extra = {}

    def painted():
        if args.report_startup:
            age = process_age_ms()
            print(f"startup_ms={(time.perf_counter() - _T0) * 1000:.0f} process_ms={age if age is None else round(age)}",
                  flush=True)
        if args.open_editor:
            sid = {"new": None, "first": win.model.student_id(0)}.get(args.open_editor, None)
            if args.open_editor not in ("new", "first"):
                sid = int(args.open_editor)
            extra["editor"] = win.open_editor(sid)
            if extra["editor"] is not None:
                extra["editor"].show()
        if args.screenshot:
            def shoot():
                target = extra.get("editor") or win
                _grab(target, args.screenshot)
                print(f"screenshot saved: {args.screenshot}", flush=True)
                app.exit(0)
            _timer(args.screenshot_delay_ms, shoot, timers)

    win.table.firstPainted.connect(painted)
    win.show()
    rc = app.exec()
    from ui.common.workers import archive_pool

    archive_pool().waitForDone(30000)  # a cancelled job must let go of the archive first
    win.close()
    win.deleteLater()
    session.close()
    return rc


if __name__ == "__main__":
    sys.exit(main())
