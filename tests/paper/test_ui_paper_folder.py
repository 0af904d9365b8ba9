"""档案袋 (ui/paper/folder_panel.py) in the student editor on a real archive: moving the folder shows its new place
and is kept; marking an item and attaching a real PNG scan show in the checklist (the same file twice is
stored once and said so); lending and returning fill the folder's loans; the 纸质档案 menu's file sweep
reports a tampered scan; the loans view lists an overdue loan in red."""
from __future__ import annotations

import datetime as dt

import pytest

from tests.ui_fixtures import capture_messages
from PIL import Image

from app.paper import checklist as paper_checklist, loans as paper_loans, locations as paper_locations, scans as paper_scans
from tests.helpers import fill_class, new_class, new_school
from ui.paper import paper_menu
from ui.main_window import MainWindow
from ui.students.student_editor_dialog import StudentEditorDialog
from ui.common.workers import wait


@pytest.fixture
def shown(monkeypatch):
    return capture_messages(monkeypatch, keep_kw=True)


@pytest.fixture
def archive(tmp_path):
    s = new_school(tmp_path, stages="primary")
    cid = new_class(s, 3)
    s.test_ids = [r.id for r in fill_class(s, cid, 3, 3)]
    yield s
    s.close()


def _png(path, color=(200, 30, 30)):
    Image.new("RGB", (60, 80), color).save(path)
    return path


def test_folder_tab_moves_marks_attaches_lends(archive, qtbot, tmp_path, shown):
    s = archive
    sid = s.test_ids[0]
    dlg = StudentEditorDialog(s, student_id=sid)
    qtbot.addWidget(dlg)
    panel = dlg.folder_panel
    assert dlg.tabs.indexOf(panel) >= 0
    assert panel.table.rowCount() == len(panel.items) > 0
    # location
    assert panel.move(["A柜", "2层", "5盒"], "新柜")
    assert panel.location_label.text() == "A柜 / 2层 / 5盒"
    assert paper_locations.locate(s, sid).location == ["A柜", "2层", "5盒"]
    assert panel.move(["B柜", "1层"], "调整柜位")
    tip = panel.location_label.toolTip()
    lines = tip.splitlines()                                                   # newest move first
    assert len(lines) == 2 and "→ B柜 / 1层" in lines[0] and "调整柜位" in lines[0] and "→ A柜 / 2层 / 5盒" in lines[1]
    # mark the first item present, then attach a scan to it, twice
    key = panel.items[0].key
    assert panel.mark(0, "present")
    assert panel.table.item(0, 1).text() == panel_state("present")
    png = _png(tmp_path / "户籍证明.png")
    res = panel.attach(0, str(png))
    assert res.sha256 and not res.already_linked
    row = [it.key for it in panel.items].index(key)
    assert panel.items[row].scans and panel.view_btn.isEnabled() in (True, False)
    assert panel.table.item(row, 2).text() != panel_state_none()
    again = panel.attach(row, str(png))
    assert again.already_linked and shown[-1][0] == "info"
    assert len(list(s.folder.joinpath("files").rglob(f"{res.sha256}*"))) == 1
    viewed = panel.view_scan(row)
    assert open(viewed, "rb").read() == png.read_bytes()
    # a refused action (lend without approval) shows the refusal and records nothing
    n = len(shown)
    assert panel.lend(item_key="", borrower="张老师", purpose="核对", approved_by="", due_on="2099-01-01") is None
    assert len(shown) == n + 1 and shown[-1][0] == "error"
    assert panel.loan_table.rowCount() == 0
    assert panel.lend(item_key="", borrower="张老师", purpose="核对", approved_by="王校长", due_on="2099-01-01")
    assert panel.loan_table.rowCount() == 1 and panel.loan_table.item(0, 1).text() == "张老师"
    panel.loan_table.selectRow(0)
    assert panel.return_btn.isEnabled()
    assert panel.return_(0)
    assert panel.loan_table.item(0, 6).text() == dt.date.today().isoformat()
    # the editor's history shows the folder work
    assert dlg.history_table.rowCount() > 0


def panel_state(state):
    from ui.paper.folder_panel import paper_names

    return paper_names()[state]


def panel_state_none():
    from ui.common.i18n import tr

    return tr("paperui.no_scan")


def test_sweep_from_the_menu_reports_a_tampered_scan(archive, qtbot, tmp_path, shown):
    s = archive
    sid = s.test_ids[1]
    key = paper_checklist.checklist(s, sid)[0].key
    res = paper_scans.attach_scan(s, sid, key, _png(tmp_path / "a.png"))
    win = MainWindow(s)
    qtbot.addWidget(win)
    job = paper_menu.verify_files(win)
    assert wait(job)
    assert not [m for m in shown if m[0] == "error"]
    stored = next(s.folder.joinpath("files").rglob(f"{res.sha256}*"))
    stored.chmod(0o644)
    stored.write_bytes(b"tampered")
    job = paper_menu.verify_files(win)
    assert wait(job)
    errors = [m for m in shown if m[0] == "error"]
    assert len(errors) == 1 and res.sha256[:12] in errors[0][2].get("detail", "")


def test_loans_view_lists_overdue_first_in_red(archive, qtbot, shown):
    from ui.paper.loans_view import OVERDUE_BG, LoansView

    s = archive
    a, b = s.test_ids[0], s.test_ids[1]
    today = dt.date.today()
    paper_loans.lend(s, a, borrower="李老师", purpose="查阅", approved_by="校长", due_on=today + dt.timedelta(days=5))
    paper_loans.lend(s, b, borrower="教育局", purpose="审核", approved_by="校长", due_on=today - dt.timedelta(days=3),
               lent_on=today - dt.timedelta(days=10))
    view = LoansView(s)
    qtbot.addWidget(view)
    assert view.table.rowCount() == 2
    assert view.loans[0].student_id == b and view.loans[0].overdue
    assert view.table.item(0, 0).background().color().name() == OVERDUE_BG
    view.overdue_only.setChecked(True)
    assert view.table.rowCount() == 1
    opened = []
    view.openStudent.connect(opened.append)
    view.open_row(0)
    assert opened == [b]
    view.table.selectRow(0)
    assert view.return_row(0)
    assert view.table.rowCount() == 0


def test_signature_and_hand_over_from_the_folder_tab(archive, qtbot, shown):
    from app.paper import discrepancies as PR
    from app.students import service as ss

    s = archive
    sid = s.test_ids[2]
    dlg = StudentEditorDialog(s, student_id=sid)
    qtbot.addWidget(dlg)
    panel = dlg.folder_panel
    assert panel.record_signature(dt.date.today().isoformat(), "张父")
    ss.edit_student(s, sid, {"current_address": "河南省周口市新地址1号"})
    assert [d.student_id for d in PR.discrepancies(s, kinds=["form_outdated"])] == [sid]
    # a folder still lent out cannot be handed over; after its return it can
    assert panel.lend(item_key="", borrower="李老师", purpose="查阅", approved_by="校长", due_on="2099-01-01")
    n = len(shown)
    assert panel.hand_over(handed_to="外地某小学") is None and shown[n][0] == "error"
    assert panel.return_(0)
    assert panel.hand_over(handed_to="外地某小学", carried_by="张父", note="密封由监护人携带")
    states = {it.paper for it in panel.items if it.paper != "unknown"}
    assert states <= {"handed_over"}
    assert panel.label_btn.isEnabled()
