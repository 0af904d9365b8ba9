"""GUI tests of the deadlines view (ui/changes/deadlines_view.py) on real archives: stored deadlines of a
change made a month ago are overdue, listed first and coloured; double-click opens the student in
the editor; 标记已办结 closes an item for good; at start-up the view shows itself only when
something is due."""
from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtGui import QColor

from app.changes import service as changes
from app.changes import deadlines
from tests.helpers import fill_class, new_class, new_school
from ui.changes import changes_menu
from ui.common import messages
from ui.changes.deadlines_view import OVERDUE_BG, DeadlinesView, needs_attention
from ui.main_window import MainWindow
from ui.students.student_editor_dialog import StudentEditorDialog
from tests.ui_fixtures import archive, shown  # noqa: F401  (pytest fixtures)


def _transfer_out(s, sid, days_ago: int):
    when = dt.date.today() - dt.timedelta(days=days_ago)
    req = changes.ChangeRequest("transfer-out", sid, date=when, reason="随父母迁居", to_school="外地某小学",
                                acknowledge_warnings=True)
    plan = changes.plan_change(s, req)
    req.evidence = [e["name"] for e in plan.required_evidence]
    return changes.apply_change(s, req)


def _window(qtbot, s):
    win = MainWindow(s)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def test_overdue_first_in_red_and_double_click_opens_the_student(archive, qtbot, shown):
    s = archive
    old, recent = s.test_ids[0], s.test_ids[1]
    _transfer_out(s, recent, 0)
    _transfer_out(s, old, 40)
    win = _window(qtbot, s)
    view = changes_menu.open_deadlines(win)
    assert isinstance(view, DeadlinesView) and view.isVisible()
    n = view.table.rowCount()
    assert n == len(deadlines.list_deadlines(s)) and n >= 2
    first = view.items[0]
    assert first.overdue and first.student_id == old
    assert view.table.item(0, 0).text().startswith("逾期")
    assert view.table.item(0, 0).background().color() == QColor(OVERDUE_BG)
    assert "已逾期" in view.summary.text()
    # overdue rows come before every row that is not
    flags = [it.overdue for it in view.items]
    assert flags == sorted(flags, reverse=True)
    # a stored row names its kind in words (and the party it waits for), its rule and article
    assert not view.table.item(0, 4).text().isascii()
    assert first.article in view.table.item(0, 5).text()

    row = next(r for r, it in enumerate(view.items) if it.student_id == recent)
    view.table.cellDoubleClicked.emit(row, 1)
    editors = [d for d in win.findChildren(StudentEditorDialog) if d.isVisible()]
    assert editors and editors[-1].student_id == recent
    assert editors[-1].tabs.currentWidget() is editors[-1].state_history    # where the deadline comes from
    assert win.selected_student_id() == recent
    editors[-1].reject()


def test_marking_done_closes_the_item_for_good(archive, qtbot, shown):
    s = archive
    sid = s.test_ids[2]
    _transfer_out(s, sid, 30)
    view = DeadlinesView(s)
    qtbot.addWidget(view)
    before = view.table.rowCount()
    row = next(r for r, it in enumerate(view.items) if it.student_id == sid and it.deadline_id)
    did = view.items[row].deadline_id
    assert view.close_row(row, note="已收到回执")
    assert view.table.rowCount() == before - 1
    assert did not in {it.deadline_id for it in deadlines.list_deadlines(s)}
    # closing twice is refused by the service and said in words
    assert deadlines.list_deadlines(s)  # other parties still open
    from app.core.errors import Refused

    with pytest.raises(Refused):
        deadlines.close_deadline(s, did, note="again")


def test_start_up_shows_the_view_only_when_something_is_due(archive, qtbot, tmp_path, shown):
    s = archive
    # nothing due: the check runs after the roster is painted and shows nothing
    win = _window(qtbot, s)
    assert changes_menu.StartupCheck.of(win).items is None          # nothing read before that
    qtbot.waitUntil(lambda: changes_menu.StartupCheck.of(win).items is not None, timeout=5000)
    assert not needs_attention(changes_menu.StartupCheck.of(win).items)
    assert win.dialogs.get("deadlines") is None
    win.close()

    _transfer_out(s, s.test_ids[3], 25)
    win2 = _window(qtbot, s)
    qtbot.waitUntil(lambda: win2.dialogs.get("deadlines") is not None, timeout=5000)
    view = win2.dialogs.get("deadlines")
    assert view.isVisible() and view.items[0].overdue
    urgent = sum(1 for it in deadlines.list_deadlines(s) if it.overdue or it.days_left <= 7)
    assert changes_menu.action(win2, "act_deadlines").text() == f"到期事项（{urgent}）…"
    # at start-up the urgent ones; the combo shows everything open
    assert all(it.overdue or it.days_left <= 7 for it in view.items)
    view.scope_combo.setCurrentIndex(view.scope_combo.findData(None))
    assert len(view.items) == len(deadlines.list_deadlines(s))
    view.scope_combo.setCurrentIndex(view.scope_combo.findData(-1))
    assert view.items and all(it.overdue for it in view.items)
    assert view.close_row(0, note="已办")                             # the toolbar count follows
    assert changes_menu.action(win2, "act_deadlines").text() == f"到期事项（{urgent - 1}）…"


@pytest.fixture
def zk_archive(tmp_path):
    s = new_school(tmp_path, profile="henan-zhoukou", stages="primary", sub="zk")
    yield s
    s.close()


def test_a_class_item_shows_its_class(zk_archive, qtbot, shown):
    s = zk_archive
    cid = new_class(s, 6)
    fill_class(s, cid, 2, 6)
    other = new_class(s, 2)
    win = _window(qtbot, s)
    win._select_node(("class", other))
    view = changes_menu.open_deadlines(win)
    row = next((r for r, it in enumerate(view.items) if it.class_id == cid and it.student_id is None), None)
    assert row is not None, [(it.kind, it.class_id) for it in view.items]
    assert view.table.item(row, 2).text() == "（全班）"
    view.table.cellDoubleClicked.emit(row, 0)
    assert win.current_class_id() == cid


def test_start_up_check_waits_while_an_archive_job_writes(archive, qtbot, shown, monkeypatch):
    s = archive
    _transfer_out(s, s.test_ids[0], 25)
    monkeypatch.setattr(changes_menu, "STARTUP_DELAY_MS", 10 ** 6)   # drive the check by hand
    monkeypatch.setattr(changes_menu, "STARTUP_RETRY_MS", 50)
    win = _window(qtbot, s)
    win.model.set_blocked(True)
    assert changes_menu.startup_check(win) is None
    qtbot.wait(150)
    assert win.dialogs.get("deadlines") is None            # still blocked: nothing read
    win.model.set_blocked(False)
    qtbot.waitUntil(lambda: win.dialogs.get("deadlines") is not None, timeout=3000)


def test_a_computed_item_is_closed_too(zk_archive, qtbot, shown):
    s = zk_archive
    cid = new_class(s, 6)
    fill_class(s, cid, 1, 6)
    view = DeadlinesView(s)
    qtbot.addWidget(view)
    row = next(r for r, it in enumerate(view.items) if it.computed and it.class_id == cid)
    item = view.items[row]
    assert view.close_row(row, note="毕业班名单已上报")
    left = [(it.kind, it.class_id, it.due) for it in deadlines.list_deadlines(s)]
    assert (item.kind, item.class_id, item.due) not in left
    assert (item.kind, item.class_id, item.due) not in [(it.kind, it.class_id, it.due) for it in view.items]


def test_an_open_view_follows_the_hub(archive, qtbot, shown):
    """The view listens (window.hub): a change saved elsewhere adds its deadlines; a restore or demo data
    (hub.archive_changed) re-reads the school and every row; closing an item says deadlines_changed."""
    s = archive
    win = _window(qtbot, s)
    view = changes_menu.open_deadlines(win)
    before = view.table.rowCount()
    _transfer_out(s, s.test_ids[2], 40)           # written by "another dialog"
    win.after_write([s.test_ids[2]])              # … which says so on the hub
    assert view.table.rowCount() > before
    said = []
    win.hub.deadlines_changed.connect(lambda: said.append("deadlines"))
    win.hub.students_changed.connect(lambda ids: said.append(("students", ids)))
    assert view.close_row(0, note="已联系接收学校")
    assert "deadlines" in said
    said.clear()
    s.conn.execute("UPDATE school SET name = '改名后的学校'")  # as a restore would leave it
    s.conn.commit()
    win.archive_replaced()
    assert ("students", None) in said and "deadlines" in said
    assert "改名后的学校" in win.windowTitle()
