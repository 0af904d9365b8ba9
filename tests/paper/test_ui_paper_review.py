"""学期复核 (ui/paper/review_dialog.py) on a real archive: while the review is open a scanner burst anywhere marks the
folder as seen (and opens no editor); ticking and confirming are saved at once; the progress survives closing
the dialog AND reopening the archive in a new Session; after the review the scanner opens students again;
the report prints to a real PDF."""
from __future__ import annotations

import pytest

from tests.ui_fixtures import capture_messages
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app.paper import locations as paper_locations
from app.core.session import Session
from tests.helpers import fill_class, new_class, new_school
from ui.paper import paper_menu
from ui.main_window import MainWindow
from ui.paper.review_dialog import ReviewDialog
from ui.students.student_editor_dialog import StudentEditorDialog


@pytest.fixture
def shown(monkeypatch):
    return capture_messages(monkeypatch, confirm="yes")


def _editors():
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, StudentEditorDialog) and w.isVisible()]


def _scan(qtbot, widget, code):
    qtbot.keyClicks(widget, code)
    qtbot.keyClick(widget, Qt.Key.Key_Return)


def test_review_scan_marks_seen_and_progress_survives_reopening(tmp_path, qtbot, shown):
    s = new_school(tmp_path, stages="primary")
    cid = new_class(s, 3)
    other = new_class(s, 4)
    ids = [r.id for r in fill_class(s, cid, 3, 3)]
    outsider = fill_class(s, other, 1, 4, start=10)[0].id
    folder = s.folder
    win = MainWindow(s)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win._select_node(("class", cid))
    dlg = paper_menu.open_review(win)
    assert isinstance(dlg, ReviewDialog)
    assert dlg.scope_combo.currentData() == cid
    assert dlg.start(cid)
    assert dlg.table.rowCount() == 3
    # a scan with the focus in the main window's search box: marked, no editor
    win.activateWindow()
    win.search_box.setFocus()
    with qtbot.waitSignal(dlg.marked, timeout=3000):
        _scan(qtbot, win.search_box, paper_locations.label_key(s, ids[0]))
    assert _editors() == []
    assert win.search_box.text() == ""
    # a scan typed into the dialog's own code box (focus there)
    dlg.code_edit.setFocus()
    with qtbot.waitSignal(dlg.marked, timeout=3000):
        _scan(qtbot, dlg.code_edit, paper_locations.label_key(s, ids[1]))
    # a student of another class is refused in the feedback line, nothing saved
    assert not dlg.mark_student(outsider, "folder", how="scan")
    assert dlg.feedback.text()
    # tick and confirm the third by hand
    row = [x["student_id"] for x in dlg.students].index(ids[2])
    assert dlg.mark_row(row, "folder") and dlg.mark_row(row, "checklist") and dlg.mark_row(row, "key_data")
    fid = dlg.add_finding(row, "户籍证明缺失")
    assert fid and dlg.finding_table.rowCount() == 1
    review_id = dlg.review_id
    c = dlg.status["counts"]
    assert (c["folder"], c["done"], c["findings"]) == (3, 1, 1)
    dlg.todo_only.setChecked(True)                       # 只看未核完: the finished one leaves the list
    assert sorted(x["student_id"] for x in dlg.students) == sorted(ids[:2])
    dlg.todo_only.setChecked(False)
    dlg.close()
    # after closing the review the scanner opens the student again
    win.search_box.setFocus()
    _scan(qtbot, win.search_box, paper_locations.label_key(s, ids[0]))
    qtbot.waitUntil(lambda: len(_editors()) == 1, timeout=3000)
    _editors()[0].reject()
    win.close()
    s.close()

    s2 = Session.open(folder)
    try:
        again = ReviewDialog(s2)
        qtbot.addWidget(again)
        assert again.review_id == review_id
        seen = {x["student_id"]: x for x in again.students}
        assert seen[ids[0]]["folder"]["how"] == "scan" and seen[ids[1]]["folder"]["how"] == "scan"
        assert seen[ids[2]]["done"]
        assert again.table.item([x["student_id"] for x in again.students].index(ids[0]), 2).text()
        assert again.fix(0, "已补交户籍证明")
        assert again.status["counts"]["fixed"] == 1
        out = tmp_path / "复核报告.pdf"
        res = again.print_report(str(out))
        assert res and out.read_bytes()[:5] == b"%PDF-"
        assert again.finish("")
        assert not again.tick_btn.isEnabled() and not again.code_edit.isEnabled()
    finally:
        s2.close()


def test_the_selected_students_key_data_is_shown_to_compare(tmp_path, qtbot, shown):
    from app.students import service as ss

    s = new_school(tmp_path, stages="primary")
    try:
        cid = new_class(s, 3)
        ids = [r.id for r in fill_class(s, cid, 2, 3)]
        dlg = ReviewDialog(s, class_id=cid)
        qtbot.addWidget(dlg)
        dlg.start(cid)
        row = [x["student_id"] for x in dlg.students].index(ids[1])
        dlg.table.selectRow(row)
        st = ss.get_student(s, ids[1])
        text = dlg.key_data.text()
        assert st["name"] in text and st["id_number"] in text and "汉族" in text
    finally:
        s.close()
