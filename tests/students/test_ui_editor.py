"""GUI tests of data entry on real archives: the main window, the student editor (new student by
keyboard, ID number filling birth date and gender, search by initials afterwards, refusals with rule
and article, key-data evidence), and the first-run dialog creating a school."""
from __future__ import annotations

import pytest

from tests.ui_fixtures import capture_messages
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog

from app.students import service as student_service
from app.school.classes import list_classes
from ui.common import messages
from ui.main_window import MainWindow
from ui.students.roster_model import COLUMNS
from ui.students.student_editor_dialog import StudentEditorDialog


def ime_type(widget, text: str) -> None:
    """Enter Chinese the way an input method does: one committed string (QTest.keyClicks is ASCII only)."""
    from PySide6.QtGui import QInputMethodEvent

    event = QInputMethodEvent("", [])
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


@pytest.fixture
def no_message_boxes(monkeypatch):
    """Message boxes are modal: record them instead of blocking the test."""
    return capture_messages(monkeypatch)


@pytest.fixture
def window(qtbot, archive_factory, no_message_boxes):
    session = archive_factory(students=20)
    win = MainWindow(session)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def _open_new_editor(qtbot, win) -> StudentEditorDialog:
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win, timeout=2000)
    qtbot.keyClick(win.search_box, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    dlg = [d for d in win.findChildren(StudentEditorDialog) if d.isVisible()][-1]
    qtbot.waitExposed(dlg)
    dlg.activateWindow()  # as the window manager does: keys (Esc) go to the dialog, not the main window
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dlg, timeout=2000)
    return dlg


def _choose_class(dlg, class_id):
    dlg.class_combo.setCurrentIndex(dlg.class_combo.findData(class_id))


def test_new_student_by_keyboard_then_found_by_initials(qtbot, window, id_number):
    win = window
    dlg = _open_new_editor(qtbot, win)
    assert dlg.windowTitle() == "新增学生"
    name = dlg.inputs["name"].widget
    assert name.hasFocus() or dlg.focusWidget() is name
    ime_type(name, "张三丰")
    number = id_number("20170304", 11)
    qtbot.keyClicks(dlg.inputs["id_number"].widget, number)
    # the ID number filled birth date and gender as it was typed
    assert dlg.inputs["birth_date"].value() == "20170304"
    assert dlg.inputs["gender"].value() == "1"
    assert dlg.inputs["gender"].widget.currentText() == "男"
    assert "2017-03-04" in dlg.inputs["id_number"].hint.text()
    eth = dlg.inputs["ethnicity"].widget
    ime_type(eth.lineEdit(), "汉族")
    eth.completer().popup().hide()
    assert dlg.inputs["ethnicity"].value() == "01"
    _choose_class(dlg, win.session.class_ids[1])
    with qtbot.waitSignal(dlg.saved, timeout=3000) as saved:
        qtbot.keyClick(name, Qt.Key.Key_Return)
    assert dlg.result() == QDialog.DialogCode.Accepted
    new_id = saved.args[0]
    stored = student_service.get_student(win.session, new_id)
    assert (stored["name"], stored["gender"], stored["birth_date"], stored["class_id"]) == \
        ("张三丰", "1", "20170304", win.session.class_ids[1])

    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win, timeout=2000)
    win.focus_search()
    qtbot.keyClicks(win.search_box, "zsf")
    assert new_id in win.model.ids()
    row = win.model.row_of(new_id)
    assert win.model.index(row, COLUMNS.index("name")).data() == "张三丰"
    assert win.model.index(row, COLUMNS.index("id_number")).data() == number[:6] + "********" + number[-4:]
    qtbot.keyClick(win.search_box, Qt.Key.Key_Escape)
    assert win.search_box.text() == ""
    assert win.model.rowCount() == 21


def test_duplicate_id_number_is_refused_with_rule_and_article(qtbot, window, id_number):
    win = window
    existing = student_service.get_student(win.session, win.model.student_id(0))
    dlg = _open_new_editor(qtbot, win)
    ime_type(dlg.inputs["name"].widget, "李双")
    qtbot.keyClicks(dlg.inputs["id_number"].widget, existing["id_number"])
    dlg.inputs["ethnicity"].set_value("01")
    _choose_class(dlg, win.session.class_ids[0])
    assert dlg.save() is False
    assert dlg.result() != QDialog.DialogCode.Accepted
    listed = [dlg.findings_list.item(i).text() for i in range(dlg.findings_list.count())]
    assert dlg.findings_list.isVisible()
    assert any("DUP.ONE_PERSON_ONE_XJ" in t and "国家 第六条" in t and existing["name"] in t for t in listed), listed
    at_field = dlg.inputs["id_number"].error.text()
    assert "DUP.ONE_PERSON_ONE_XJ" in at_field and "国家 第六条" in at_field
    assert student_service.search_ids(win.session, "李双") == []


def test_inline_validation_under_the_field(qtbot, window):
    dlg = _open_new_editor(qtbot, window)
    w = dlg.inputs["id_number"].widget
    qtbot.keyClicks(w, "110105201703040010")  # wrong check digit
    assert "校验位" in dlg.inputs["id_number"].error.text()
    phone = dlg.inputs["phone"]
    phone.widget.setText("abc")
    phone.widget.editingFinished.emit()
    assert "电话" in phone.error.text()
    phone.widget.setText("13800138000")
    phone.widget.editingFinished.emit()
    assert phone.error.text() == ""


def test_missing_class_is_shown_and_nothing_saved(qtbot, window, id_number):
    dlg = _open_new_editor(qtbot, window)
    ime_type(dlg.inputs["name"].widget, "王小明")
    qtbot.keyClicks(dlg.inputs["id_number"].widget, id_number("20160505", 21))
    dlg.inputs["ethnicity"].set_value("01")
    assert dlg.save() is False
    assert dlg.class_error.isVisible()
    assert "班级" in dlg.class_error.text()


def test_key_data_edit_asks_for_reason_and_evidence(qtbot, window):
    win = window
    sid = win.model.student_id(0)
    dlg = win.open_editor(sid)
    dlg.open()
    qtbot.waitExposed(dlg)
    old = dlg.inputs["name"].value()
    dlg.inputs["name"].widget.setText(old + "明")
    asked = []

    def answer():
        box = QApplication.activeModalWidget()
        asked.append(type(box).__name__)
        box.reason_edit.setText("户籍信息变更")
        box.evidence_edit.setPlainText("户口本本人页复印件\n派出所变更证明")
        box.accept()

    QTimer.singleShot(100, answer)
    assert dlg.save() is True
    assert asked == ["EvidenceDialog"]
    stored = student_service.get_student(win.session, sid)
    assert stored["name"] == old + "明"
    h = [x for x in student_service.history(win.session, sid) if x["field"] == "name"][-1]
    assert h["reason"] == "户籍信息变更" and "派出所变更证明" in h["evidence_ref"]
    # the history tab shows the change
    dlg2 = win.open_editor(sid)
    t = dlg2.history_table
    cells = [t.item(0, c).text() for c in range(t.columnCount())]
    assert cells[1] == "姓名" and cells[2] == old and cells[3] == old + "明" and cells[5] == "户籍信息变更"
    dlg2.close()


def test_first_run_dialog_creates_school_and_classes(qtbot, tmp_path):
    from app.core.session import Session
    from ui.school.first_run_dialog import FirstRunDialog

    folder = tmp_path / "new-archive"
    dlg = FirstRunDialog(folder)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.mouseClick(dlg.create_button, Qt.MouseButton.LeftButton)
    form = dlg.school_form
    ime_type(form.name, "周口市川汇区第一小学")
    qtbot.keyClicks(form.code, "411602001")  # 9 digits: refused
    qtbot.mouseClick(dlg.next_button, Qt.MouseButton.LeftButton)
    assert dlg.session is None
    assert "学校标识码" in form.error.text()
    qtbot.keyClicks(form.code, "9")
    form.stage_boxes["junior"].setChecked(False)
    form.set_profile("henan-zhoukou")
    form.edits["principal"].setText("王校长")
    qtbot.mouseClick(dlg.next_button, Qt.MouseButton.LeftButton)
    assert dlg.session is not None
    assert dlg.session.school["name"] == "周口市川汇区第一小学"
    assert dlg.session.school["principal"] == "王校长"
    assert dlg.class_table.rowCount() == 6  # 小学 一至六年级
    dlg.class_table.cellWidget(0, 2).setValue(3)  # three grade-1 classes
    dlg.class_table.cellWidget(0, 5).setText("0101")
    qtbot.mouseClick(dlg.next_button, Qt.MouseButton.LeftButton)
    assert dlg.result() == QDialog.DialogCode.Accepted
    classes = list_classes(dlg.session)
    assert len(classes) == 8
    grade1 = sorted((k["number"], k["code"]) for k in classes if k["grade"] == 1)
    assert grade1 == [(1, "0101"), (2, "0102"), (3, "0103")]
    dlg.session.close()
    with Session.open(folder) as s:
        assert s.school["code"] == "4116020019"


def test_keyboard_navigation_in_the_main_window(qtbot, window):
    win = window
    qtbot.keyClick(win.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert win.search_box.hasFocus()
    first = win.model.student_id(0)
    qtbot.keyClick(win.search_box, Qt.Key.Key_Return)  # Enter in the search box: to the roster
    assert win.table.hasFocus() and win.selected_student_id() == first
    qtbot.keyClick(win.table, Qt.Key.Key_Return)  # Enter on a student: edit it
    editors = win.findChildren(StudentEditorDialog)
    assert editors and editors[-1].student_id == first
    assert editors[-1].windowTitle().startswith("编辑学生")
    editors[-1].reject()


def test_tree_selects_a_class(qtbot, window):
    win = window
    cid = win.session.class_ids[0]
    win._select_node(("class", cid))
    win._tree_changed(win.tree.currentIndex(), win.tree.currentIndex())
    assert win.model.rowCount() == 10
    assert win.current_class_id() == cid
    dlg = win.open_editor()
    assert dlg.class_id() == cid  # a new student goes into the class selected in the tree
    dlg.reject()


def test_cancel_asks_before_discarding_typed_data(qtbot, window, monkeypatch):
    asked = []
    monkeypatch.setattr(messages, "confirm", lambda parent, text, **kw: asked.append(text) or False)
    dlg = _open_new_editor(qtbot, window)
    qtbot.keyClick(dlg.inputs["name"].widget, Qt.Key.Key_Escape)
    assert asked == [] and not dlg.isVisible()  # nothing typed: closes at once
    dlg = _open_new_editor(qtbot, window)
    ime_type(dlg.inputs["name"].widget, "王")
    qtbot.keyClick(dlg.inputs["name"].widget, Qt.Key.Key_Escape)
    assert asked == ["放弃尚未保存的修改？"] and dlg.isVisible()


def test_block_star_rule_offers_an_override_and_records_it(qtbot, archive_factory, no_message_boxes, id_number):
    """周口: a student without an ID number is refused (NOID.REGISTRATION.ZK, BLOCK*) unless an override
    with reason, approver and evidence is given."""
    session = archive_factory(students=0, profile="henan-zhoukou")
    win = MainWindow(session)
    qtbot.addWidget(win)
    dlg = win.open_editor()
    dlg.show()
    dlg.inputs["name"].widget.setText("赵无证")
    dlg.inputs["id_type"].set_value("Z")
    dlg.inputs["gender"].set_value("1")
    dlg.inputs["birth_date"].widget.setText("20180506")
    dlg.inputs["ethnicity"].set_value("01")
    dlg.inputs["m1.name"].widget.setText("赵父")
    dlg.inputs["m1.relation"].set_value("1")
    dlg.inputs["m1.id_number"].widget.setText(id_number("19880101", 13))
    _choose_class(dlg, session.class_ids[0])
    seen = []

    def approve():
        box = QApplication.activeModalWidget()
        seen.append((type(box).__name__, box.rule_ids))
        box.reason_edit.setText("无户籍儿童入学")
        box.approved_edit.setText("川汇区教育局 王科长")
        box.evidence_edit.setPlainText("派出所无户籍说明\n父亲户口本")
        box.accept()

    QTimer.singleShot(100, approve)
    assert dlg.save() is True
    assert seen == [("OverrideDialog", ["NOID.REGISTRATION.ZK"])]
    sid = dlg.result_obj.id
    recorded = [f for f in student_service.findings(session, sid) if f["rule_id"] == "NOID.REGISTRATION.ZK"]
    assert recorded and recorded[0]["approved_by"] == "川汇区教育局 王科长"
    assert "派出所无户籍说明" in recorded[0]["evidence_ref"]


@pytest.mark.parametrize("answer", [False, True])
def test_possible_duplicate_is_confirmed_before_saving(qtbot, window, id_number, monkeypatch, answer):
    """Same name and birth date as an existing student (DUP.NAME_BIRTH, a WARN): ask first, save only on yes."""
    win = window
    existing = student_service.get_student(win.session, win.model.student_id(0))
    asked = []
    monkeypatch.setattr(messages, "confirm", lambda parent, text, **kw: asked.append(text) or answer)
    dlg = _open_new_editor(qtbot, win)
    ime_type(dlg.inputs["name"].widget, existing["name"])
    birth = existing["birth_date"]
    qtbot.keyClicks(dlg.inputs["id_number"].widget, id_number(birth, 777))
    dlg.inputs["ethnicity"].set_value("01")
    _choose_class(dlg, win.session.class_ids[0])
    before = len(student_service.search_ids(win.session, ""))
    assert dlg.save() is answer
    assert len(asked) == 1 and "DUP.NAME_BIRTH" in asked[0]
    assert len(student_service.search_ids(win.session, "")) == before + (1 if answer else 0)


def test_dry_run_writes_nothing(archive_factory, id_number):
    s = archive_factory(students=1)
    first = student_service.get_student(s, student_service.search_ids(s, "")[0])
    r = student_service.create_student(s, {"name": first["name"], "id_number": id_number(first["birth_date"], 778),
                                           "ethnicity": "01"}, [{"seq": 1, "name": "某某", "relation": "1"}],
                                       class_id=s.class_ids[0], dry_run=True)
    assert r.id is None and [w.rule for w in r.warnings] == ["DUP.NAME_BIRTH"]
    assert len(student_service.search_ids(s, "")) == 1
    assert student_service.history(s, first["id"])[-1]["action"] == "create"
