"""差异清单 (ui/paper/discrepancies_view.py) on a real archive: paper without a scan, a folder without a location, an
overdue loan and students without a folder are listed with their kind; the kind filter narrows; a checklist
line opens the student's 档案袋 tab with that item selected, a loan line the borrow register on that loan;
after attaching the scan the line is gone; the list exports to .xlsx and prints to PDF."""
from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from PIL import Image
from PySide6.QtWidgets import QApplication

from app.paper import checklist as paper_checklist, loans as paper_loans, locations as paper_locations
from tests.helpers import fill_class, new_class, new_school
from ui.paper.discrepancies_view import DiscrepanciesView
from ui.paper.loans_view import LoansView
from ui.main_window import MainWindow
from ui.students.student_editor_dialog import StudentEditorDialog
from tests.ui_fixtures import shown  # noqa: F401  (pytest fixtures)


def _editors():
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, StudentEditorDialog) and w.isVisible()]


def test_discrepancies_list_open_and_go_away(tmp_path, qtbot, shown):
    s = new_school(tmp_path, stages="primary")
    try:
        cid = new_class(s, 3)
        a, b, c = [r.id for r in fill_class(s, cid, 3, 3)]
        key = paper_checklist.checklist(s, a)[0].key
        paper_checklist.mark_item(s, a, key, paper="present")                 # paper, no scan; folder without location
        today = dt.date.today()
        paper_locations.move(s, b, ["A柜", "1层"])
        lid = paper_loans.lend(s, b, borrower="教育局", purpose="审核", approved_by="校长",
                         due_on=today - dt.timedelta(days=2), lent_on=today - dt.timedelta(days=9))
        win = MainWindow(s)
        qtbot.addWidget(win)
        win.show()
        view = DiscrepanciesView(s, win, window=win)
        qtbot.addWidget(view)
        kinds = {(d.kind, d.student_id) for d in view.all_lines}
        assert ("paper_without_scan", a) in kinds
        assert ("no_location", a) in kinds
        assert ("loan_overdue", b) in kinds
        assert ("no_folder", c) in kinds
        assert view.table.rowCount() == len(view.all_lines)
        assert view.summary.text()
        view.kind_combo.setCurrentIndex(view.kind_combo.findData("paper_without_scan"))
        assert [d.student_id for d in view.lines] == [a]
        dlg = view.open_row(0)
        assert isinstance(dlg, StudentEditorDialog) and dlg.student_id == a
        assert dlg.tabs.currentWidget() is dlg.folder_panel
        panel = dlg.folder_panel
        assert panel.items[panel.table.currentRow()].key == key
        png = tmp_path / "scan.png"
        Image.new("RGB", (40, 40), (0, 0, 255)).save(png)
        assert panel.attach(panel.table.currentRow(), str(png))
        dlg.reject()
        view.reload()
        assert view.lines == []                                       # fixed: gone
        view.kind_combo.setCurrentIndex(view.kind_combo.findData("loan_overdue"))
        loans = view.open_row(0)
        assert isinstance(loans, LoansView)
        assert loans.loans[loans.table.currentRow()].id == lid
        loans.close()
        view.kind_combo.setCurrentIndex(0)
        xlsx = view.export(str(tmp_path / "差异.xlsx"))
        ws = openpyxl.load_workbook(xlsx["path"]).active
        assert ws.max_row == len(view.all_lines) + 1
        pdf = view.print_(str(tmp_path / "差异.pdf"))
        assert (tmp_path / "差异.pdf").read_bytes()[:5] == b"%PDF-" and pdf["count"] == len(view.all_lines)
        win.close()
    finally:
        s.close()


def test_each_kind_of_target_opens_its_place(tmp_path, qtbot, shown):
    from ui.paper.navigate import open_target
    from ui.printing.print_preview_dialog import PrintPreviewDialog

    s = new_school(tmp_path, stages="primary")
    try:
        cid = new_class(s, 3)
        a, b = [r.id for r in fill_class(s, cid, 2, 3)]
        win = MainWindow(s)
        qtbot.addWidget(win)
        win.show()
        dlg = open_target(win, {"view": "changes", "student_id": a, "event_id": 1})
        assert dlg.student_id == a and dlg.tabs.currentWidget() is dlg.state_history
        dlg.reject()
        dlg = open_target(win, {"view": "handover", "student_id": b})
        assert dlg.student_id == b and dlg.tabs.currentWidget() is dlg.folder_panel
        dlg.reject()
        pv = open_target(win, {"view": "student", "student_id": a, "print": "basic-info-form"})
        assert isinstance(pv, PrintPreviewDialog) and pv.kind == "basic-info-form" and pv.student_ids == [a]
        assert [d.student_id for d in _editors()] == [a]        # the record to check, under the preview
        qtbot.waitUntil(lambda: pv.pdf_path is not None, timeout=30000)
        pv.reject()
        for d in _editors():
            d.reject()
        win.close()
    finally:
        s.close()
