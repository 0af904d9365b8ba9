"""The main window with accounts (docs/security.md): the idle screen lock (covered roster, unlock, lock-out, sign
out), role gating of every menu and toolbar action for each role, the read-only student editor, a head
teacher's roster and tree limited to their classes, the 账户 menu and 账户管理 window. Real archives; the
idle interval is injected (milliseconds), nothing sleeps for minutes."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QDialog

from app.accounts import service as accounts
from app.audit import log as audit
from app.core.errors import AuthError
from app.core.permissions import allowed as role_allows
from tests.helpers import fill_class, new_class, new_school
from tests.ui_fixtures import shown  # noqa: F401  (fixture)
from ui.accounts import lock_screen, security_menu
from ui.main_window import MainWindow
from ui.accounts.lock_screen import ScreenLock
from PySide6.QtWidgets import QLabel
from PySide6.QtGui import QAction

PW = "Registrar-2026"
TEACHER_PW = "Teacher-own-1"


@pytest.fixture
def school(tmp_path):
    """Two classes (grade 3 and 4) with students, a registrar, an approver and a head teacher of grade 3."""
    s = new_school(tmp_path, stages="primary")
    c3 = new_class(s, 3)
    c4 = new_class(s, 4)
    s.ids3 = [r.id for r in fill_class(s, c3, 3, 3)]
    s.ids4 = [r.id for r in fill_class(s, c4, 2, 4, start=20)]
    s.c3, s.c4 = c3, c4
    accounts.setup_first_registrar(s, "wang", PW, "王老师")
    accounts.add_account(s, "zhao", "Approver-own-1", "approver", display_name="赵校长", must_change=False)
    accounts.add_account(s, "li", TEACHER_PW, "head_teacher", display_name="李老师", class_ids=[c3],
                         must_change=False)
    yield s
    s.close()


def sign_in_as(session, user):
    pw = {"wang": PW, "zhao": "Approver-own-1", "li": TEACHER_PW}[user]
    return accounts.sign_in(session, user, pw)


def window(qtbot, session):
    win = MainWindow(session)
    qtbot.addWidget(win)
    win.show()
    return win


def actions(session) -> list[str]:
    return [e["action"] for e in audit.list_entries(session, limit=1000)]


# ------------------------------------------------------------------ screen lock
def test_idle_lock_covers_the_roster_and_unlocks_with_the_password(qtbot, school, monkeypatch):
    monkeypatch.setattr(lock_screen, "IDLE_MS", 300)
    sign_in_as(school, "wang")
    win = window(qtbot, school)
    assert ScreenLock.of(win).watcher is not None and ScreenLock.of(win).watcher.interval() == 300
    qtbot.waitUntil(lambda: ScreenLock.of(win).locked, timeout=5000)
    dlg = ScreenLock.of(win).dialog
    assert dlg.isVisible() and dlg.isModal()
    dlg.reject()
    dlg.close()
    assert dlg.isVisible() and ScreenLock.of(win).locked  # Esc and closing do not unlock
    assert win.centralWidget().isHidden()  # the roster is not readable behind the lock
    assert win.findChild(lock_screen._Cover, "lock_cover").isVisible()
    assert "王老师" in dlg.who_label.text() and "学籍管理员" in dlg.who_label.text()
    assert "lock" in actions(school)
    dlg.password.setText("wrong-password")
    assert not dlg.try_unlock()
    assert "用户名或密码不正确" in dlg.error.text() and ScreenLock.of(win).locked
    dlg.password.setText(PW)
    assert dlg.try_unlock()
    assert not ScreenLock.of(win).locked and not win.centralWidget().isHidden()
    assert not dlg.isVisible() and QApplication.activeModalWidget() is None
    assert not win.findChildren(lock_screen._Cover) or not any(c.isVisible() for c in win.findChildren(lock_screen._Cover))
    assert "unlock" in actions(school)


def test_input_keeps_the_window_unlocked(qtbot, school):
    sign_in_as(school, "wang")
    win = window(qtbot, school)
    assert ScreenLock.of(win).watcher.interval() == 10 * 60 * 1000  # the policy's default
    ScreenLock.of(win).watcher.set_interval(400)
    for _ in range(8):
        qtbot.wait(100)
        qtbot.keyClick(win.search_box, Qt.Key.Key_Shift)
        qtbot.mouseMove(win.table.viewport(), QPoint(10 + _, 10))
    assert not ScreenLock.of(win).locked
    qtbot.waitUntil(lambda: ScreenLock.of(win).locked, timeout=3000)
    ScreenLock.of(win).dialog.password.setText(PW)
    assert ScreenLock.of(win).dialog.try_unlock()


def test_lock_out_leaves_only_sign_out(qtbot, school, monkeypatch):
    sign_in_as(school, "wang")
    win = window(qtbot, school)
    dlg = security_menu.lock_now(win)
    assert ScreenLock.of(win).locked and dlg is ScreenLock.of(win).dialog
    for _ in range(5):
        dlg.password.setText("wrong-password")
        dlg.try_unlock()
    assert "锁定" in dlg.error.text()
    assert not dlg.unlock_button.isEnabled() and not dlg.password.isEnabled()
    assert dlg.sign_out_button.isEnabled()
    dlg.password.setText(PW)
    assert not dlg.try_unlock() and ScreenLock.of(win).locked
    # 退出登录 → the sign-in dialog; here someone else signs in (the head teacher)
    monkeypatch.setattr(security_menu, "_authenticate", lambda s, parent=None: bool(sign_in_as(s, "li")))
    dlg.sign_out_button.click()
    assert "signout" in actions(school)
    assert not dlg.isVisible() and QApplication.activeModalWidget() is None
    assert not ScreenLock.of(win).locked and win.isVisible() and not win.centralWidget().isHidden()
    assert "李老师" in win.windowTitle() and "班主任" in win.findChild(QLabel, "identity_label").text()
    assert not win.act_new.isEnabled() and win.act_edit.isEnabled()
    assert sorted(win.model.student_id(r) for r in range(win.model.rowCount())) == sorted(school.ids3)


def test_sign_out_and_nobody_signs_in_closes_the_window(qtbot, school, monkeypatch):
    sign_in_as(school, "wang")
    win = window(qtbot, school)
    monkeypatch.setattr(security_menu, "_authenticate", lambda s, parent=None: False)
    assert not security_menu.sign_out(win)
    assert not win.isVisible()
    assert school.role == "" and not school.can("read")  # the session is not usable any more


def test_no_lock_without_an_account(qtbot, school):
    school.account = None  # trusted code / an archive without accounts acts as the registrar
    win = window(qtbot, school)
    assert ScreenLock.of(win).watcher is None
    assert security_menu.lock_now(win) is None and not ScreenLock.of(win).locked


# ------------------------------------------------------------------ role gating
@pytest.mark.parametrize("user", ["wang", "zhao", "li", None])
def test_every_action_follows_the_role(qtbot, school, user):
    if user is None:
        school.account = None
    else:
        sign_in_as(school, user)
    win = window(qtbot, school)
    role = school.role
    acts = security_menu.window_actions(win)
    assert len(acts) > 40
    for a in acts:
        if a.menu() is not None and a.property("xueji_permission") in (None, ""):
            continue  # a submenu follows its actions
        need = security_menu.required(a)
        want = all((user is not None) if p == "signed_in" else role_allows(role, p) for p in need)
        assert a.isEnabled() == want, (a.text(), need, role)
    # the tags that matter most, spelled out
    expect = {
        "wang": dict(act_new=True, act_edit=True, act_import=True, act_accounts=True, act_backup_now=True,
                     act_audit_log=True, act_change_password=True, act_recovery_code=True, act_print_class=True),
        "zhao": dict(act_new=False, act_edit=True, act_import=False, act_accounts=False, act_backup_now=False,
                     act_audit_log=True, act_change_password=True, act_recovery_code=False, act_print_class=False),
        "li": dict(act_new=False, act_edit=True, act_import=False, act_accounts=False, act_backup_now=False,
                   act_audit_log=False, act_change_password=True, act_recovery_code=False, act_print_class=False),
        None: dict(act_new=True, act_edit=True, act_accounts=True, act_change_password=False, act_lock=False,
                   act_sign_out=False, act_audit_log=True),
    }[user]
    for name, on in expect.items():
        act = getattr(win, name, None) or win.findChild(QAction, name)   # the main window's own, or a menu's
        assert act.isEnabled() == on, (name, user)
    assert win.act_quit.isEnabled() and win.act_find.isEnabled()
    # a denied action stays off when its module enables it again
    win.act_new.setEnabled(True)
    assert win.act_new.isEnabled() == expect["act_new"]
    if user is not None:
        acc = school.account
        assert acc["username"] in win.findChild(QLabel, "identity_label").text() and win.findChild(QLabel, "identity_label").isVisible()
        assert (acc["display_name"]) in win.windowTitle()
    else:
        assert not win.findChild(QLabel, "identity_label").isVisible()


def test_audit_entries_in_the_menu(qtbot, school, monkeypatch):
    audit_view = pytest.importorskip("ui.audit.audit_view")
    sign_in_as(school, "zhao")
    win = window(qtbot, school)
    calls = []
    monkeypatch.setattr(audit_view, "open_audit_view", lambda w: calls.append(("view", w)))
    monkeypatch.setattr(audit_view, "print_access_register", lambda w: calls.append(("register", w)))
    win.findChild(QAction, "act_audit_log").trigger()
    win.findChild(QAction, "act_access_register").trigger()
    assert calls == [("view", win), ("register", win)]


# ------------------------------------------------------------------ reading only
def test_approver_opens_the_editor_read_only(qtbot, school):
    sign_in_as(school, "zhao")
    win = window(qtbot, school)
    dlg = win.open_editor(school.ids4[0])
    qtbot.addWidget(dlg)
    assert dlg.read_only and dlg.save_button.isHidden() and not dlg.save_button.isEnabled()
    assert dlg.inputs["name"].widget.isReadOnly() and not dlg.class_combo.isEnabled()
    assert not dlg.photo_button.isEnabled()
    dlg.inputs["name"].widget.setText("改名")
    assert dlg.save() is False and not dlg.is_dirty()
    assert "只读" in dlg.windowTitle()
    # the tabs that change the record: their buttons go; a 校领导 still records a party's approval
    fp, sh = dlg.folder_panel, dlg.state_history
    assert fp.attach_btn.isHidden() and fp.lend_btn.isHidden() and fp.move_btn.isHidden() and not fp.view_btn.isHidden()
    assert fp.label_btn.isHidden()  # an approver does not print
    assert sh.change_button.isHidden() and not sh.approval_button.isHidden()


def test_head_teacher_sees_only_their_class(qtbot, school, shown):  # noqa: F811
    sign_in_as(school, "li")
    win = window(qtbot, school)
    ids = [win.model.student_id(r) for r in range(win.model.rowCount())]
    assert sorted(ids) == sorted(school.ids3)
    assert [k["id"] for k in win._classes] == [school.c3]
    assert win.open_editor(school.ids4[0]) is None
    assert shown and shown[-1][0] == "error" and "不在您所带的班级" in shown[-1][1]
    dlg = win.open_editor(school.ids3[0])
    qtbot.addWidget(dlg)
    assert dlg.read_only and "*" in dlg.inputs["id_number"].value()  # masked without view_full_id
    assert dlg.state_history.approval_button.isHidden() and dlg.folder_panel.attach_btn.isHidden()


def test_registrar_editor_is_not_read_only(qtbot, school):
    sign_in_as(school, "wang")
    win = window(qtbot, school)
    dlg = win.open_editor(school.ids3[0])
    qtbot.addWidget(dlg)
    assert not dlg.read_only and dlg.save_button.isEnabled() and not dlg.inputs["name"].widget.isReadOnly()


# ------------------------------------------------------------------ 账户管理
def test_accounts_window_adds_edits_disables_unlocks_and_resets(qtbot, school, monkeypatch, shown):  # noqa: F811
    from ui.common import messages
    from ui.accounts.accounts_window import AccountEditDialog, AccountsWindow
    from ui.accounts.account_dialogs import ResetPasswordDialog

    monkeypatch.setattr(messages, "confirm", lambda *a, **kw: True)
    sign_in_as(school, "wang")
    win = window(qtbot, school)
    aw = security_menu.open_accounts(win)
    assert isinstance(aw, AccountsWindow)
    qtbot.addWidget(aw)
    assert [a["username"] for a in aw.accounts] == ["wang", "zhao", "li"]
    assert aw.table.item(2, 3).text() and aw.table.item(2, 2).text() == "班主任"

    add = AccountEditDialog(school, aw)
    qtbot.addWidget(add)
    add.username.setText("sun")
    add.display_name.setText("孙老师")
    add.role.setCurrentIndex(add.role.findData("head_teacher"))
    add.password.setText("Sun-initial-1")
    add.password2.setText("Sun-initial-1")
    assert not add.submit() and "至少要勾选" in add.error.text()
    add.set_classes([school.c4])
    assert add.submit()
    assert add.account["class_ids"] == [school.c4] and add.account["must_change"] and add.code is None
    add.role.setCurrentIndex(add.role.findData("approver"))
    assert not add.classes.isEnabled()

    aw.reload()
    assert aw.select("sun")
    edit = AccountEditDialog(school, aw, account=aw.current())
    qtbot.addWidget(edit)
    assert edit.username.isReadOnly() and edit.class_ids() == [school.c4]
    edit.set_classes([school.c3, school.c4])
    assert edit.submit() and edit.account["class_ids"] == sorted([school.c3, school.c4])

    # the last registrar cannot be disabled: the refusal is shown with its message
    aw.reload()
    aw.select("wang")
    aw.toggle_active()
    assert shown and "最后一个" in shown[-1][1]
    aw.select("zhao")
    aw.toggle_active()
    assert aw.current()["active"] is False and aw.table.item(1, 4).text() == "已停用"
    aw.toggle_active()
    assert aw.current()["active"] is True

    for _ in range(5):
        with pytest.raises(AuthError):
            accounts.sign_in(school, "li", "wrong-password")
    sign_in_as(school, "wang")
    aw.reload()
    aw.select("li")
    assert "锁定" in aw.table.item(aw.table.currentRow(), 4).text() and aw.unlock_button.isEnabled()
    aw.unlock()
    assert not aw.current()["locked_until"]

    reset = ResetPasswordDialog(school, "li", aw)
    qtbot.addWidget(reset)
    reset.new.setText("Li-temporary-2")
    reset.new2.setText("Li-temporary-2")
    assert reset.submit()
    assert "account.reset" in actions(school) and "account.unlock" in actions(school)


def test_policy_dialog_checks_and_sets(qtbot, school, monkeypatch):
    from ui.accounts.accounts_window import PolicyDialog

    monkeypatch.setattr(lock_screen, "IDLE_MS", None)
    sign_in_as(school, "wang")
    win = window(qtbot, school)
    dlg = PolicyDialog(school, win)
    qtbot.addWidget(dlg)
    assert dlg.spins["idle_lock_minutes"].value() == 10
    dlg.spins["lockout_attempts"].setValue(1)
    assert not dlg.submit() and "3 到 20" in dlg.error.text()
    dlg.spins["lockout_attempts"].setValue(4)
    dlg.spins["idle_lock_minutes"].setValue(3)
    assert dlg.submit()
    assert accounts.policy(school)["lockout_attempts"] == 4
    lock_screen.apply_policy(win)
    assert ScreenLock.of(win).watcher.interval() == 3 * 60 * 1000


def test_new_recovery_code_and_password_change_from_the_menu(qtbot, school, monkeypatch):
    from ui.accounts import account_dialogs

    sign_in_as(school, "wang")
    win = window(qtbot, school)
    seen = {}

    def fake_exec(self):
        if isinstance(self, account_dialogs.PasswordPromptDialog):
            self.password.setText(PW)
            return QDialog.DialogCode.Accepted if self.submit() else QDialog.DialogCode.Rejected
        if isinstance(self, account_dialogs.RecoveryCodeDialog):
            seen["code"] = self.code
            return QDialog.DialogCode.Accepted
        if isinstance(self, account_dialogs.ChangePasswordDialog):
            self.old.setText(PW)
            self.new.setText("Wang-new-password")
            self.new2.setText("Wang-new-password")
            return QDialog.DialogCode.Accepted if self.submit() else QDialog.DialogCode.Rejected
        raise AssertionError(type(self))

    monkeypatch.setattr(QDialog, "exec", fake_exec)
    code = security_menu.new_recovery_code(win)
    assert code and seen["code"] == code and "account.recovery_code" in actions(school)
    assert security_menu.change_password(win)
    accounts.sign_out(school)
    accounts.sign_in(school, "wang", "Wang-new-password")
