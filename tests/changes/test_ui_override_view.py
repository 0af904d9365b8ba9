"""The 例外放行审批 window: a 校领导 signed in approves or rejects pending overrides; the buttons follow the role."""
from __future__ import annotations

import pytest

from app.accounts import service as accounts
from app.changes import overrides as O
from app.core.session import Session
from app.students.service import Override
from ui.common.dialogs import DialogManager
from tests.helpers import add, make_id, new_class, new_school

GUARDIAN = {"seq": 1, "name": "李父", "relation": "父亲", "id_number": make_id("19880101", 50)}


@pytest.fixture
def folder(tmp_path):
    s = new_school(tmp_path, profile="henan-zhoukou", stages="primary")
    c = new_class(s, 1, 1)
    for name in ("无证一", "无证二"):
        ov = Override("户口未落，先行入学", "王校长", ["派出所无户籍说明", "父亲户口本"])
        add(s, c, name, members=[GUARDIAN], overrides={"NOID.REGISTRATION.ZK": ov}, id_type="其他", gender="男",
            birth_date="20180505")
    accounts.setup_first_registrar(s, "admin", "registrar pw 1")
    accounts.add_account(s, "wang", "approver pw 1", "approver", display_name="王校长", must_change=False)
    accounts.add_account(s, "li", "teacher pw 1", "head_teacher", class_ids=[c], must_change=False)
    f = s.folder
    s.close()
    return f


from PySide6.QtWidgets import QWidget  # noqa: E402


class _Win(QWidget):
    """What open_override_view needs of the main window: a widget with the session and its dialog manager."""

    def __init__(self, session):
        super().__init__()
        self.session = session
        self.dialogs = DialogManager(self)


def test_approver_approves_and_rejects_in_the_window(qtbot, monkeypatch, folder):
    from ui.changes import override_view as V

    s = Session.open(folder)
    accounts.sign_in(s, "wang", "approver pw 1")
    win = _Win(s)
    qtbot.addWidget(win)
    view = V.open_override_view(win)
    assert view.table.rowCount() == 2 and not view.approve_btn.isEnabled()
    view.table.selectRow(0)
    assert view.approve_btn.isEnabled() and view.reject_btn.isEnabled()
    monkeypatch.setattr(V.QInputDialog, "getText", staticmethod(lambda *a, **k: ("同意", True)))
    view.approve_btn.click()
    assert view.table.rowCount() == 1  # the pending list shrinks
    view.table.selectRow(0)
    errors = []
    monkeypatch.setattr(V.messages, "error", lambda parent, text, **k: errors.append(text))
    monkeypatch.setattr(V.QInputDialog, "getText", staticmethod(lambda *a, **k: ("", True)))
    view.reject_btn.click()
    assert errors and "意见" in errors[-1] and view.table.rowCount() == 1
    monkeypatch.setattr(V.QInputDialog, "getText", staticmethod(lambda *a, **k: ("缺证明，请补办", True)))
    view.reject_btn.click()
    assert view.table.rowCount() == 0
    view.state.setCurrentIndex(0)
    assert view.table.rowCount() == 2
    states = {o["state"] for o in O.list_overrides(s)}
    assert states == {"approved", "rejected"}
    assert V.open_override_view(win) is view  # one window per main window
    view.close()
    s.close()


def test_head_teacher_is_refused(qtbot, monkeypatch, folder):
    from ui.changes import override_view as V

    s = Session.open(folder)
    accounts.sign_in(s, "li", "teacher pw 1")
    errors = []
    monkeypatch.setattr(V.messages, "error", lambda parent, text, **k: errors.append(text))
    win = _Win(s)
    qtbot.addWidget(win)
    assert V.open_override_view(win) is None and errors
    s.close()
