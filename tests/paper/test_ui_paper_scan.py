"""The USB barcode scanner (ui/paper/scan_input.py) on a real archive: a code typed as a fast burst + Enter opens
the student — from the roster, from the main window with the focus in the search box, from another
widget — and the burst's text does not stay in the field; slow human typing of the same text in the
search box is NOT hijacked (its text stays, nothing opens); a fast burst that is not a code keeps its
Enter; a pushed handler (review mode) takes the scan instead of opening the editor."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from ui.main_window import MainWindow
from ui.students.student_editor_dialog import StudentEditorDialog
from ui.paper.scan_input import ScanInput
from tests.ui_fixtures import archive, shown  # noqa: F401  (pytest fixtures)


def label(s, sid) -> str:
    """What the folder label's QR code holds (app/printing/documents.py)."""
    from app.students import service as ss

    st = ss.get_student(s, sid)
    return f"XUEJI|{s.school['code']}|{sid}|{st.get('xueji_no') or st.get('id_number') or ''}"


def _window(qtbot, s):
    win = MainWindow(s)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    return win


def _editors():
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, StudentEditorDialog) and w.isVisible()]


def _scan(qtbot, widget, code):
    qtbot.keyClicks(widget, code)            # no delay: a scanner's burst
    qtbot.keyClick(widget, Qt.Key.Key_Return)


def test_scan_in_the_search_box_opens_the_student_and_leaves_the_box_as_it_was(archive, qtbot, shown):
    s = archive
    win = _window(qtbot, s)
    sid = s.test_ids[2]
    win.search_box.setFocus()
    qtbot.keyClicks(win.search_box, "ban")
    qtbot.wait(120)                          # a human's pause: the burst starts after it
    _scan(qtbot, win.search_box, label(s, sid))
    qtbot.waitUntil(lambda: len(_editors()) == 1, timeout=3000)
    dlg = _editors()[0]
    assert dlg.student_id == sid
    assert dlg.tabs.currentWidget() is dlg.folder_panel      # the folder's tab
    assert win.search_box.text() == "ban"                   # the code did not stay in the search box
    assert win.selected_student_id() == sid
    dlg.reject()


def test_scan_from_the_roster_opens_the_scanned_student_not_the_selected_one(archive, qtbot, shown):
    s = archive
    win = _window(qtbot, s)
    win.table.setFocus()
    win.select_student(s.test_ids[0])
    _scan(qtbot, win.table, label(s, s.test_ids[3]))
    qtbot.waitUntil(lambda: len(_editors()) == 1, timeout=3000)
    assert [d.student_id for d in _editors()] == [s.test_ids[3]]   # the roster's Enter did not fire too
    _editors()[0].reject()


def test_scan_by_bare_id_number_and_with_focus_on_the_tree(archive, qtbot, shown):
    pytest.importorskip("app.paper")  # resolve_scan reads bare numbers
    from app.students import service as ss

    s = archive
    win = _window(qtbot, s)
    win.tree.setFocus()
    sid = s.test_ids[1]
    _scan(qtbot, win.tree, ss.get_student(s, sid)["id_number"])
    qtbot.waitUntil(lambda: len(_editors()) == 1, timeout=3000)
    assert _editors()[0].student_id == sid
    _editors()[0].reject()


def test_slow_typing_in_the_search_box_is_not_hijacked(archive, qtbot, shown):
    s = archive
    win = _window(qtbot, s)
    code = label(s, s.test_ids[2])
    win.search_box.setFocus()
    qtbot.keyClicks(win.search_box, code, delay=win.findChild(ScanInput).gap_ms + 40)   # a person typing
    qtbot.keyClick(win.search_box, Qt.Key.Key_Return)
    qtbot.wait(100)
    assert _editors() == []
    assert win.search_box.text() == code


def test_a_fast_burst_that_is_no_code_keeps_its_text_and_enter(archive, qtbot, shown):
    s = archive
    win = _window(qtbot, s)
    win.search_box.setFocus()
    pressed = []
    win.search_box.returnPressed.connect(lambda: pressed.append(1))
    _scan(qtbot, win.search_box, "zhangsanfeng")
    qtbot.wait(50)
    assert win.search_box.text() == "zhangsanfeng"
    assert pressed == [1]
    assert _editors() == []


def test_a_label_of_another_school_is_taken_and_reported(archive, qtbot, shown):
    s = archive
    win = _window(qtbot, s)
    win.search_box.setFocus()
    _scan(qtbot, win.search_box, "XUEJI|9999999999|1|G000")
    qtbot.waitUntil(lambda: "XUEJI|9999999999" in win.statusBar().currentMessage(), timeout=2000)
    assert _editors() == []
    assert win.search_box.text() == ""


def test_a_pushed_handler_takes_the_scan(archive, qtbot, shown):
    s = archive
    win = _window(qtbot, s)
    got = []

    def handler(scan):
        got.append(scan.student_id)
        return True

    win.findChild(ScanInput).push_handler(handler)
    win.search_box.setFocus()
    _scan(qtbot, win.search_box, label(s, s.test_ids[0]))
    qtbot.waitUntil(lambda: got == [s.test_ids[0]], timeout=2000)
    qtbot.wait(50)
    assert _editors() == []
    win.findChild(ScanInput).remove_handler(handler)
    _scan(qtbot, win.search_box, label(s, s.test_ids[0]))
    qtbot.waitUntil(lambda: len(_editors()) == 1, timeout=3000)
    _editors()[0].reject()


def _send(widget, text, start_ms, step_ms):
    """Key events carrying the window system's timestamps (as X11 / Windows deliver them), sent at once,
    with the separate Shift presses a real keyboard or scanner makes."""
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtCore import QEvent

    t = start_ms
    for ch in text:
        if ch.isupper() or ch == "|":  # a real keyboard presses Shift first, as its own key event
            shift = QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Shift, Qt.KeyboardModifier.NoModifier, "")
            shift.setTimestamp(t)
            QApplication.sendEvent(widget, shift)
        ev = QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_unknown if not ch.isalnum() else ord(ch.upper()),
                       Qt.KeyboardModifier.NoModifier, ch)
        ev.setTimestamp(t)
        QApplication.sendEvent(widget, ev)
        t += step_ms
    ev = QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier, "\r")
    ev.setTimestamp(t)
    QApplication.sendEvent(widget, ev)


def test_keys_typed_while_the_window_was_busy_keep_the_persons_pace(archive, qtbot, shown):
    """Delivered in one go (the window was busy) but pressed 150 ms apart: a person, not hijacked; the same
    code pressed 5 ms apart: a scanner."""
    s = archive
    win = _window(qtbot, s)
    code = label(s, s.test_ids[1])
    win.search_box.setFocus()
    _send(win.search_box, code, 1_000_000, 150)
    qtbot.wait(50)
    assert _editors() == [] and win.search_box.text() == code
    win.search_box.clear()
    _send(win.search_box, code, 2_000_000, 5)
    qtbot.waitUntil(lambda: len(_editors()) == 1, timeout=3000)
    assert _editors()[0].student_id == s.test_ids[1] and win.search_box.text() == ""
    _editors()[0].reject()


def test_a_scan_while_an_editor_field_has_the_focus_leaves_that_field_untouched(archive, qtbot, shown):
    s = archive
    win = _window(qtbot, s)
    first = win.open_editor(s.test_ids[0])
    first.show()
    qtbot.waitExposed(first)
    name_box = first.inputs["name"].widget
    before = name_box.text()
    name_box.setFocus()
    _scan(qtbot, name_box, label(s, s.test_ids[3]))
    qtbot.waitUntil(lambda: any(d.student_id == s.test_ids[3] for d in _editors()), timeout=3000)
    assert name_box.text() == before and not first.is_dirty()
    assert first.isVisible()                       # Enter did not save-and-close the first editor
    for d in _editors():
        d.reject()


def test_a_modal_question_keeps_its_keys(archive, qtbot, shown):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QInputDialog

    s = archive
    win = _window(qtbot, s)
    code = label(s, s.test_ids[0])
    got = []

    def answer():
        dlg = QApplication.activeModalWidget()
        assert isinstance(dlg, QInputDialog)
        edit = dlg.findChild(type(win.search_box))
        _scan(qtbot, edit, code)          # the same burst: typed into the question, its Enter accepts it

    QTimer.singleShot(100, answer)
    text, ok = QInputDialog.getText(win, "q", "q")
    got.append((text, ok))
    assert got == [(code, True)]
    qtbot.wait(50)
    assert _editors() == []
