"""Main-window menu for the paper archive (纸质档案): loans, discrepancies, the semester review,
reconciliation with the national roster, the school's own archive, the file sweep — and the barcode
scanner (ui.paper.scan_input): scanning a folder label anywhere in the application opens that student's
folder (the 档案袋 tab of the student editor).

``install(window)`` is called once by MainWindow after its own menus exist.
"""
from __future__ import annotations

from ui.common import messages
from ui.common.i18n import tr
from ui.paper.navigate import open_loans, open_student_folder
from ui.paper.scan_input import ScanInput


def install(window) -> None:
    """Add this area's menu and actions to ``window``; start listening for the scanner."""
    win = window
    m = win.menuBar().addMenu(tr("paperui.menu"))
    m.setObjectName("paper_menu")
    def add(name, text, slot, permission):
        a = m.addAction(text, slot)
        a.setObjectName(name)
        a.setProperty("xueji_permission", permission)  # ui/accounts/security_menu.py greys out what the role lacks
        return a

    add("act_paper_folder", tr("paperui.folder"), lambda: open_folder(win), "read")
    m.addSeparator()
    add("act_paper_loans", tr("paperui.loans"), lambda: open_loans(win), "write")
    add("act_paper_discrepancies", tr("paperui.discrepancies"), lambda: open_discrepancies(win), "read_all")
    add("act_paper_review", tr("paperui.review"), lambda: open_review(win), "write")
    m.addSeparator()
    add("act_paper_reconcile", tr("paperui.reconcile"), lambda: open_reconcile(win), "write")
    add("act_paper_school_archive", tr("paperui.school_archive"), lambda: open_school_archive(win), "write")
    m.addSeparator()
    add("act_paper_verify", tr("paperui.verify"), lambda: verify_files(win), "backup")

    scan = ScanInput(win.session, parent=win)   # found again with win.findChild(ScanInput)
    scan.push_handler(lambda s: open_scanned(win, s.student_id))
    scan.unknown.connect(lambda text: win.statusBar().showMessage(tr("paperui.scan_unknown", code=text), 10000))
    scan.install()


def open_scanned(win, student_id: int) -> bool:
    """The default scan handler: the student's folder, from wherever the registrar is."""
    open_student_folder(win, student_id)
    win.statusBar().showMessage(tr("paperui.scan_opened"), 6000)
    return True


def open_folder(win):
    sid = win.selected_student_id()
    if sid is None:
        messages.info(win, tr("paperui.pick_student"))
        return None
    return open_student_folder(win, sid)


def open_discrepancies(win):
    from ui.paper.discrepancies_view import DiscrepanciesView

    def make():
        v = DiscrepanciesView(win.session, win, window=win)
        return v

    return win.dialogs.open("paper_discrepancies", make)


def open_review(win):
    from ui.paper.review_dialog import ReviewDialog

    return win.dialogs.open("paper_review",
                            lambda: ReviewDialog(win.session, win, class_id=win.current_class_id(), window=win))


def open_reconcile(win):
    from ui.paper.reconcile_dialog import ReconcileDialog

    return win.dialogs.open("paper_reconcile", lambda: ReconcileDialog(win.session, win, window=win), keep=True)


def open_school_archive(win):
    from ui.paper.school_archive_view import SchoolArchiveView

    return win.dialogs.open("paper_school_archive", lambda: SchoolArchiveView(win.session, win), keep=True)


def verify_files(win):
    """The integrity sweep of files/ on the archive's worker thread; missing or changed files listed."""
    from ui.common.workers import run_job

    from app.paper.sweep import verify_files as sweep

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
    win.jobs.append(job)
    return job
