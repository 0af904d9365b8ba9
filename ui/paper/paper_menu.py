"""Main-window menu for the paper archive (纸质档案): loans, discrepancies, the semester review,
reconciliation with the national roster, the school's own archive, the file sweep — and the barcode
scanner (ui.paper.scan_input): scanning a folder label anywhere in the application opens that student's
folder (the 档案袋 tab of the student editor).

``install(window)`` is called once by MainWindow after its own menus exist.
"""
from __future__ import annotations

from PySide6.QtWidgets import QApplication

from ui.common import messages
from ui.common.i18n import tr
from ui.paper.scan_input import ScanInput


def install(window) -> None:
    """Add this area's menu and actions to ``window``; start listening for the scanner."""
    win = window
    m = win.menuBar().addMenu(tr("paperui.menu"))
    m.setObjectName("paper_menu")
    win.act_paper_folder = m.addAction(tr("paperui.folder"), lambda: open_folder(win))
    m.addSeparator()
    win.act_paper_loans = m.addAction(tr("paperui.loans"), lambda: open_loans(win))
    win.act_paper_discrepancies = m.addAction(tr("paperui.discrepancies"), lambda: open_discrepancies(win))
    win.act_paper_review = m.addAction(tr("paperui.review"), lambda: open_review(win))
    m.addSeparator()
    win.act_paper_reconcile = m.addAction(tr("paperui.reconcile"), lambda: open_reconcile(win))
    win.act_paper_school_archive = m.addAction(tr("paperui.school_archive"), lambda: open_school_archive(win))
    m.addSeparator()
    win.act_paper_verify = m.addAction(tr("paperui.verify"), lambda: verify_files(win))
    win.paper_menu = m
    # the permission each needs (ui/accounts/security_menu.py greys out what the signed-in role lacks)
    for act, permission in ((win.act_paper_folder, "read"), (win.act_paper_loans, "write"),
                            (win.act_paper_discrepancies, "read_all"), (win.act_paper_review, "write"),
                            (win.act_paper_reconcile, "write"), (win.act_paper_school_archive, "write"),
                            (win.act_paper_verify, "backup")):
        act.setProperty("xueji_permission", permission)

    scan = ScanInput(win.session, parent=win)
    scan.push_handler(lambda s: open_scanned(win, s.student_id))
    scan.unknown.connect(lambda text: win.statusBar().showMessage(tr("paperui.scan_unknown", code=text), 10000))
    scan.install()
    win.scan_input = scan


def open_scanned(win, student_id: int) -> bool:
    """The default scan handler: the student's folder, from wherever the registrar is."""
    open_student_folder(win, student_id)
    win.statusBar().showMessage(tr("paperui.scan_opened"), 6000)
    return True


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
    if not win.select_student(student_id):
        if hasattr(win, "status_combo"):
            win.status_combo.setCurrentIndex(0)
        if hasattr(win, "search_box"):
            win.search_box.clear()
        win.select_student(student_id)
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


def open_folder(win):
    sid = win.selected_student_id()
    if sid is None:
        messages.info(win, tr("paperui.pick_student"))
        return None
    return open_student_folder(win, sid)


def _single(win, attr: str, make, *, delete_on_close: bool = True):
    """One non-modal window of a kind per main window, raised when already open; by default deleted when
    closed (windows with a background job keep themselves until it has delivered)."""
    view = getattr(win, attr, None)
    try:
        if view is not None and view.isVisible():
            view.raise_()
            view.activateWindow()
            return view
    except RuntimeError:
        pass
    view = make()
    if delete_on_close:
        from PySide6.QtCore import Qt

        view.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    setattr(win, attr, view)
    view.show()
    return view


def open_loans(win):
    from ui.paper.loans_view import LoansView

    def make():
        v = LoansView(win.session, win)
        v.openStudent.connect(lambda sid: open_student_folder(win, sid))
        return v

    return _single(win, "_paper_loans_view", make)


def open_discrepancies(win):
    from ui.paper.discrepancies_view import DiscrepanciesView

    def make():
        v = DiscrepanciesView(win.session, win, window=win)
        return v

    return _single(win, "_paper_discrepancies_view", make)


def open_review(win):
    from ui.paper.review_dialog import ReviewDialog

    return _single(win, "_paper_review_dialog",
                   lambda: ReviewDialog(win.session, win, class_id=win.current_class_id(), window=win))


def open_reconcile(win):
    from ui.paper.reconcile_dialog import ReconcileDialog

    return _single(win, "_paper_reconcile_dialog", lambda: ReconcileDialog(win.session, win, window=win),
                   delete_on_close=False)


def open_school_archive(win):
    from ui.paper.school_archive_view import SchoolArchiveView

    return _single(win, "_paper_school_archive_view", lambda: SchoolArchiveView(win.session, win),
                   delete_on_close=False)


def verify_files(win):
    """The integrity sweep of files/ on the archive's worker thread; missing or changed files listed."""
    from ui.common.workers import run_job

    try:
        from app.paper import verify_files as sweep
    except ImportError:
        messages.error(win, tr("paperui.not_ready"))
        return None
    win.statusBar().showMessage(tr("paperui.verify_running"))

    def done(rep):
        problems = [(p, tr("paperui.verify_missing")) for p in rep.missing] + \
                   [(p, tr("paperui.verify_changed")) for p in rep.changed]
        loose = list(getattr(rep, "unreferenced", None) or [])   # files nothing names: kept, only listed
        extra = tr("paperui.verify_unreferenced", count=len(loose)) if loose else ""
        if problems:
            lines = [tr("paperui.verify_line", path=p.get("path") or p.get("sha256") or "", problem=what)
                     for p, what in problems[:200]]
            lines += [tr("paperui.verify_line", path=p, problem=tr("paperui.verify_loose")) for p in loose[:50]]
            messages.error(win, tr("paperui.verify_bad", count=len(problems), checked=rep.checked) + extra,
                           title=tr("paperui.verify"), detail="\n".join(lines))
        else:
            win.statusBar().showMessage(tr("paperui.verify_ok", checked=rep.checked) + extra, 10000)

    job = run_job(lambda progress, cancel: sweep(win.session, progress=progress), on_done=done,
                  on_error=lambda err: messages.job_error(win, err))
    win._jobs.append(job)
    return job



# ------------------------------------------------------------------ helpers shared by the paper-archive views
class RunRow:
    """In-window progress of a background job (a label, a bar and 取消), instead of a nested modal dialog."""

    def __init__(self, layout):
        from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton

        row = QHBoxLayout()
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setMinimumWidth(200)
        self.cancel_btn = QPushButton(tr("common.cancel"))
        self.cancel_btn.setAutoDefault(False)
        row.addWidget(self.label)
        row.addWidget(self.bar, 1)
        row.addWidget(self.cancel_btn)
        layout.addLayout(row)
        self.cancel_btn.clicked.connect(self.cancel)
        self.job = None
        self.show(False)

    def show(self, on: bool) -> None:
        for w in (self.label, self.bar, self.cancel_btn):
            w.setVisible(on)

    def run(self, label: str, fn, on_done, on_error):
        from ui.common.workers import run_job

        self.label.setText(label)
        self.bar.setRange(0, 0)
        self.show(True)

        def progress(done, total):
            if total > 0:
                self.bar.setRange(0, total)
                self.bar.setValue(min(done, total))

        def finished(ok, value):
            self.job = None
            self.show(False)
            (on_done if ok else on_error)(value)

        self.job = run_job(fn, on_done=lambda r: finished(True, r), on_error=lambda e: finished(False, e),
                           on_progress=progress)
        return self.job

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.label.setText(tr("progress.cancelling"))

    @property
    def busy(self) -> bool:
        return self.job is not None
