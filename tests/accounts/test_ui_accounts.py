"""The window's accounts (docs/security.md): the first registrar's set-up and its recovery code shown once, the
sign-in dialog (remembered user name, refusals in Chinese, 忘记密码 with the recovery code), the forced
password change, scripted sign-in from the environment, and ``ui.main`` refusing to open a window
without an account. Real archives in tmp dirs; message boxes captured."""
from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication, QDialog

from app.accounts import service as accounts
from app.audit import log as audit
from tests.ui_fixtures import archive, shown  # noqa: F401  (fixtures)
from ui.accounts import signin_dialog
from ui.accounts.account_dialogs import ChangePasswordDialog, RecoverDialog, RecoveryCodeDialog, SetupRegistrarDialog

PW = "Registrar-2026"


@pytest.fixture(autouse=True)
def private_settings(tmp_path, monkeypatch):
    """The remembered user name goes to an .ini in tmp_path, not to the tester's own settings."""
    monkeypatch.setattr(signin_dialog, "SETTINGS_PATH", str(tmp_path / "settings.ini"))
    for k in ("XUEJI_USER", "XUEJI_PASSWORD", "XUEJI_NEW_PASSWORD"):
        monkeypatch.delenv(k, raising=False)


def actions(session) -> list[str]:
    return [e["action"] for e in audit.list_entries(session, limit=1000)]


def test_first_registrar_set_up_refuses_then_creates(qtbot, archive):  # noqa: F811
    dlg = SetupRegistrarDialog(archive)
    qtbot.addWidget(dlg)
    from PySide6.QtWidgets import QLabel

    assert any("至少 8 个字符" in lab.text() for lab in dlg.findChildren(QLabel))  # the policy's minimum
    dlg.username.setText("wang")
    dlg.display_name.setText("王老师")
    dlg.password.setText(PW)
    dlg.password2.setText(PW + "x")
    assert not dlg.submit()
    assert "不一致" in dlg.error.text() and dlg.error.isVisibleTo(dlg)
    dlg.password.setText("short")
    dlg.password2.setText("short")
    assert not dlg.submit()
    assert "至少 8 个字符" in dlg.error.text()
    assert not accounts.has_accounts(archive)
    dlg.password.setText(PW)
    dlg.password2.setText(PW)
    assert dlg.submit()
    assert archive.account["username"] == "wang" and archive.account["role"] == "registrar"
    assert len(dlg.code) == 23 and dlg.code.count("-") == 3
    assert "account.create" in actions(archive)


def test_recovery_code_shown_once_needs_the_tick(qtbot):
    dlg = RecoveryCodeDialog("ABCDE-FGHJK-LMNPQ-RSTUV", username="wang")
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.code_label.text() == "ABCDE-FGHJK-LMNPQ-RSTUV"
    assert dlg.code_label.font().pointSize() >= 20 and dlg.code_label.font().fixedPitch() is not None
    assert not dlg.continue_button.isEnabled()
    dlg.reject()
    dlg.accept()
    assert dlg.isVisible() and dlg.result() == 0  # Esc and 继续 do nothing until ticked
    dlg.copy_button.click()
    assert QApplication.clipboard().text() == "ABCDE-FGHJK-LMNPQ-RSTUV"
    dlg.saved_box.setChecked(True)
    assert dlg.continue_button.isEnabled()
    dlg.continue_button.click()
    assert dlg.result() == QDialog.DialogCode.Accepted


def _registrar(session):
    acc, code = accounts.setup_first_registrar(session, "wang", PW, "王老师")
    accounts.sign_out(session)
    session.account = None
    return code


def test_sign_in_dialog_errors_lockout_and_remembered_user(qtbot, archive):  # noqa: F811
    _registrar(archive)
    dlg = signin_dialog.SignInDialog(archive)
    qtbot.addWidget(dlg)
    assert dlg.username.text() == ""
    assert not dlg.submit()
    assert dlg.error.text() == "请输入用户名。"
    dlg.username.setText("wang")
    dlg.password.setText("wrong-password")
    assert not dlg.submit()
    assert "用户名或密码不正确" in dlg.error.text() and dlg.password.text() == ""
    dlg.username.setText("nobody")
    dlg.password.setText(PW)
    assert not dlg.submit()
    assert "用户名或密码不正确" in dlg.error.text()  # an unknown name reads the same
    dlg.username.setText("wang")
    dlg.password.setText(PW)
    assert dlg.submit()
    assert dlg.result() == QDialog.DialogCode.Accepted
    assert archive.account["username"] == "wang"
    assert signin_dialog.last_user() == "wang"
    dlg2 = signin_dialog.SignInDialog(archive)
    qtbot.addWidget(dlg2)
    assert dlg2.username.text() == "wang"
    for _ in range(5):
        dlg2.password.setText("wrong-password")
        assert not dlg2.submit()
    assert "锁定" in dlg2.error.text()
    dlg2.password.setText(PW)
    assert not dlg2.submit()
    assert "已锁定" in dlg2.error.text()


def test_forgot_password_with_the_recovery_code(qtbot, archive):  # noqa: F811
    code = _registrar(archive)
    dlg = RecoverDialog(archive, username="wang")
    qtbot.addWidget(dlg)
    dlg.recovery.setText("AAAAA-AAAAA-AAAAA-AAAAA")
    dlg.new.setText("New-password-1")
    dlg.new2.setText("New-password-1")
    assert not dlg.submit()
    assert "不正确" in dlg.error.text()
    dlg.recovery.setText(code.lower())  # typed by hand: case does not matter
    assert dlg.submit()
    assert dlg.code and dlg.code != code
    accounts.sign_in(archive, "wang", "New-password-1")
    assert "account.recover" in actions(archive)


def test_authenticate_from_the_environment_and_forced_change(qtbot, archive, monkeypatch, shown):  # noqa: F811
    accounts.setup_first_registrar(archive, "wang", PW)
    accounts.add_account(archive, "li", "Temporary-1", "head_teacher", class_ids=[])
    accounts.sign_out(archive)
    archive.account = None
    monkeypatch.setenv("XUEJI_USER", "wang")
    monkeypatch.setenv("XUEJI_PASSWORD", "wrong-password")
    assert not signin_dialog.authenticate(archive)
    assert shown and "用户名或密码不正确" in shown[-1][1]
    monkeypatch.setenv("XUEJI_PASSWORD", PW)
    assert signin_dialog.authenticate(archive)
    assert archive.account["username"] == "wang"
    # a head teacher with the registrar's initial password changes it before the window opens
    monkeypatch.setenv("XUEJI_USER", "li")
    monkeypatch.setenv("XUEJI_PASSWORD", "Temporary-1")
    monkeypatch.setenv("XUEJI_NEW_PASSWORD", "Li-own-password")
    assert signin_dialog.authenticate(archive)
    assert archive.account["username"] == "li" and not archive.account["must_change"]
    accounts.sign_out(archive)
    accounts.sign_in(archive, "li", "Li-own-password")


def test_forced_change_dialog_keeps_the_old_password_hidden(qtbot, archive):  # noqa: F811
    accounts.setup_first_registrar(archive, "wang", PW)
    accounts.add_account(archive, "zhao", "Temporary-1", "approver")
    accounts.sign_in(archive, "zhao", "Temporary-1")
    assert archive.account["must_change"]
    dlg = ChangePasswordDialog(archive, forced=True, old="Temporary-1")
    qtbot.addWidget(dlg)
    assert dlg.old.isHidden() and dlg.cancel_button.text() == "退出登录"
    dlg.new.setText("Temporary-1")
    dlg.new2.setText("Temporary-1")
    assert not dlg.submit()
    assert "不能与原密码相同" in dlg.error.text()
    dlg.new.setText("Zhao-own-password")
    dlg.new2.setText("Zhao-own-password")
    assert dlg.submit()
    assert not archive.account["must_change"]


def test_main_without_an_account_opens_no_window(qapp, archive_factory, monkeypatch, tmp_path):
    """The set-up dialog cancelled = quit; --screenshot grabs the dialog on screen (here: set-up)."""
    from ui import main as ui_main

    session = archive_factory(students=2)
    folder = session.folder
    session.close()
    png = tmp_path / "setup.png"
    rc = ui_main.main(["--archive", str(folder), "--screenshot", str(png)])
    assert rc == 0 and png.stat().st_size > 2000
    from ui.main_window import MainWindow

    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]


def test_main_signs_in_from_the_environment(qapp, archive_factory, monkeypatch, tmp_path, capsys):
    from ui import main as ui_main

    session = archive_factory(students=3)
    accounts.setup_first_registrar(session, "wang", PW, "王老师")
    folder = session.folder
    session.close()
    monkeypatch.setenv("XUEJI_USER", "wang")
    monkeypatch.setenv("XUEJI_PASSWORD", PW)
    png = tmp_path / "win.png"
    assert ui_main.main(["--archive", str(folder), "--screenshot", str(png)]) == 0
    assert "screenshot saved" in capsys.readouterr().out
    from app.core.session import Session

    with Session.open(folder) as s:
        signins = [e for e in audit.list_entries(s, kind="signin", limit=20) if e["action"] == "signin"]
        assert signins and signins[0]["actor"] == "wang"


def _scripted_exec(script):
    """QDialog.exec replaced: ``script[type name](dialog) -> bool`` fills the dialog in and answers."""
    def fake_exec(self):
        ok = script[type(self).__name__](self)
        return QDialog.DialogCode.Accepted if ok else QDialog.DialogCode.Rejected
    return fake_exec


def test_open_session_sets_up_the_first_registrar_or_quits(qapp, archive_factory, monkeypatch):
    from app.core.session import Session
    from ui import main as ui_main

    session = archive_factory(students=1)
    folder = session.folder
    session.close()
    monkeypatch.setattr(QDialog, "exec", _scripted_exec({"SetupRegistrarDialog": lambda d: False}))
    assert ui_main.open_session(folder) is None
    Session.open(folder).close()  # the archive was let go

    shown_codes = []

    def setup(d):
        d.username.setText("wang")
        d.password.setText(PW)
        d.password2.setText(PW)
        return d.submit()

    def code(d):
        shown_codes.append(d.code)
        d.saved_box.setChecked(True)
        return True

    monkeypatch.setattr(QDialog, "exec", _scripted_exec({"SetupRegistrarDialog": setup,
                                                          "RecoveryCodeDialog": code}))
    s = ui_main.open_session(folder)
    try:
        assert s.account["username"] == "wang" and len(shown_codes) == 1
        assert signin_dialog.last_user() == "wang"
    finally:
        s.close()


def test_sign_in_then_refused_password_change_signs_out(qapp, archive, monkeypatch):  # noqa: F811
    accounts.setup_first_registrar(archive, "wang", PW)
    accounts.add_account(archive, "li", "Temporary-1", "head_teacher")
    accounts.sign_out(archive)
    archive.account = None

    def sign_in(d):
        d.username.setText("li")
        d.password.setText("Temporary-1")
        return d.submit()

    monkeypatch.setattr(QDialog, "exec", _scripted_exec({"SignInDialog": sign_in,
                                                          "ChangePasswordDialog": lambda d: False}))
    assert not signin_dialog.authenticate(archive)
    assert archive.role == "" and archive.account["signed_out"]
    assert actions(archive)[0] == "signout"

    def change(d):
        assert d.old.isHidden() and d.old.text() == "Temporary-1"
        d.new.setText("Li-own-password")
        d.new2.setText("Li-own-password")
        return d.submit()

    monkeypatch.setattr(QDialog, "exec", _scripted_exec({"SignInDialog": sign_in, "ChangePasswordDialog": change}))
    assert signin_dialog.authenticate(archive)
    assert archive.account["username"] == "li" and not archive.account["must_change"]


def test_forgot_password_from_the_sign_in_dialog_signs_in(qtbot, archive, monkeypatch):  # noqa: F811
    code = _registrar(archive)
    seen = []

    def recover(d):
        d.recovery.setText(code)
        d.new.setText("After-recovery-1")
        d.new2.setText("After-recovery-1")
        return d.submit()

    def show(d):
        seen.append(d.code)
        return True

    dlg = signin_dialog.SignInDialog(archive)
    qtbot.addWidget(dlg)
    dlg.username.setText("wang")
    monkeypatch.setattr(QDialog, "exec", _scripted_exec({"RecoverDialog": recover, "RecoveryCodeDialog": show}))
    assert dlg.forgot()
    assert archive.account["username"] == "wang" and seen and seen[0] != code
    assert dlg.result() == QDialog.DialogCode.Accepted
