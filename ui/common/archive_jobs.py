"""The main window's background jobs on the archive — import and export of the national template
(app.exchange) and demo data (app.school.demo) — each behind a progress dialog with cancel (ui.common.workers).

While a job writes, the roster reads nothing from the archive (RosterModel.set_blocked); when it
ends, the window re-reads what may have changed (MainWindow.after_write).
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QInputDialog

from ui.common import messages
from ui.common.i18n import tr
from ui.common.workers import run_with_progress


def run_archive_job(win, label: str, fn, on_done) -> None:
    """A job that writes the archive: the roster serves cached rows only until it ends."""
    win.model.set_blocked(True)

    def done(result):
        win.model.set_blocked(False)
        on_done(result)

    def failed(err):
        win.model.set_blocked(False)
        win.after_write()
        messages.job_error(win, err)

    win.jobs.append(run_with_progress(win, label, fn, on_done=done, on_error=failed))


def import_template(win) -> None:
    from app.exchange import import_service as exchange

    path, _ = QFileDialog.getOpenFileName(win, tr("import.choose_file"), str(Path.home()),
                                          tr("import.file_filter"))
    if path:
        _import(win, exchange, path, skip_invalid=False)


def _import(win, exchange, path: str, *, skip_invalid: bool) -> None:
    def fn(progress, cancel):
        return exchange.import_students(win.session, path, skip_invalid=skip_invalid,
                                        progress=progress, cancel=cancel)

    def done(report):
        win.after_write()
        from ui.exchange.import_dialog import ImportResultDialog

        dlg = ImportResultDialog(report, path, win, can_skip_invalid=not skip_invalid)
        if dlg.exec() == ImportResultDialog.RETRY_SKIPPING:
            _import(win, exchange, path, skip_invalid=True)

    run_archive_job(win, tr("import.progress", name=Path(path).name), fn, done)


def export_template(win) -> None:
    from app.exchange import export_service as exchange

    from ui.exchange import export_dialog

    # what the file is for decides whether ID numbers are masked and whether an approval is needed (国家 第二十五条)
    choice = export_dialog.ask_export_purpose(win, win.session)
    if choice is None:
        return
    purpose, approval = choice
    class_id = win.current_class_id()
    school = (win.session.school or {}).get("name", "")
    scope = win.class_name(class_id) if class_id else None
    default = Path.home() / tr("export.default_name", school=school, scope=scope or tr("export.scope_all"))
    path, _ = QFileDialog.getSaveFileName(win, tr("export.title"), str(default), tr("export.file_filter"))
    if not path:
        return

    def fn(progress, cancel):
        return exchange.export_students(win.session, path, class_id=class_id, progress=progress, cancel=cancel,
                                        purpose=purpose, approval=approval)

    def done(report):
        if getattr(report, "cancelled", False):
            win.statusBar().showMessage(tr("export.cancelled"), 8000)
            return
        text = tr("export.done", count=getattr(report, "count", 0), path=str(getattr(report, "path", path)))
        if getattr(report, "masked", False):
            text += "\n" + tr("export.done_masked")
        warnings = getattr(report, "warnings", [])
        if warnings:
            text += "\n\n" + messages.findings_text(warnings)
        messages.info(win, text)

    run_archive_job(win, tr("export.progress"), fn, done)


def generate_demo(win) -> None:
    from app.school import demo

    n, ok = QInputDialog.getInt(win, tr("demo.title"), tr("demo.count_label"), 300, 1, 100000, 100)
    if not ok:
        return

    def fn(progress, cancel):
        return demo.build_demo(win.session, students=n, progress=progress, cancel=cancel)

    def done(result):
        win.archive_replaced()
        win.statusBar().showMessage(tr("demo.done"), 8000)

    run_archive_job(win, tr("demo.progress", count=n), fn, done)
