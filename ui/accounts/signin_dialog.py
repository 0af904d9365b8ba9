"""Who is working: the sign-in dialog and ``authenticate``, the start-up step between opening the archive and
showing the window (issue 7 "Accounts and roles").

``authenticate(session, parent=None, pending=None) -> bool``:

- an archive WITHOUT accounts: the first registrar is set up (SetupRegistrarDialog), then the recovery
  code is shown once (RecoveryCodeDialog); 退出 = False (no window without an account);
- an archive WITH accounts: the sign-in dialog (user name remembered in QSettings, an error line with the
  refusal's own text, 忘记密码… → RecoverDialog → the new recovery code → signed in with the new password);
  an account that must change its password does so before the window opens (cancel = signed out, False).
- scripted runs (screenshots, tests): when the environment has ``XUEJI_USER`` and ``XUEJI_PASSWORD`` the
  sign-in happens without a dialog (a refusal is shown in a message box and gives False); a forced password
  change then takes ``XUEJI_NEW_PASSWORD`` when it is set. An archive without accounts still asks for its
  first registrar: there is nobody to sign in as.

``pending`` (a list) holds the dialog on screen while it runs, so ``xueji-gui --screenshot`` can grab it.
"""
from __future__ import annotations

import os

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout

from app.accounts import service as accounts
from app.core.errors import AuthError, Refused
from ui.common import messages
from ui.accounts.account_dialogs import (ChangePasswordDialog, RecoverDialog, RecoveryCodeDialog, SetupRegistrarDialog,
                                error_line, password_edit, refusal_text)
from ui.common.i18n import tr

SETTINGS_KEY = "signin/last_user"
# Tests point this at an .ini file in their tmp dir; None = the platform's settings for Xueji.
SETTINGS_PATH: str | None = None


def settings() -> QSettings:
    if SETTINGS_PATH:
        return QSettings(SETTINGS_PATH, QSettings.Format.IniFormat)
    return QSettings("Xueji", "Xueji")


def last_user() -> str:
    return str(settings().value(SETTINGS_KEY, "") or "")


def remember_user(username: str) -> None:
    s = settings()
    s.setValue(SETTINGS_KEY, username)
    s.sync()


class SignInDialog(QDialog):
    """User name + password → accounts.sign_in; the refusal stays on a red line. ``password`` after OK."""

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.password_used = ""
        school = (session.school or {}).get("name", "")
        self.setWindowTitle(tr("signin.title"))
        self.setMinimumWidth(420)
        lay = QVBoxLayout(self)
        head = QLabel(tr("signin.heading", school=school))
        head.setStyleSheet("font-size: 14pt; font-weight: bold;")
        head.setWordWrap(True)
        lay.addWidget(head)
        form = QFormLayout()
        self.username = QLineEdit(last_user())
        self.username.setObjectName("username")
        self.password = password_edit()
        self.password.setObjectName("password")
        form.addRow(tr("accountui.username"), self.username)
        form.addRow(tr("accountui.password"), self.password)
        lay.addLayout(form)
        self.error = error_line()
        lay.addWidget(self.error)
        buttons = QDialogButtonBox()
        self.ok_button = buttons.addButton(tr("signin.ok"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.forgot_button = buttons.addButton(tr("signin.forgot"), QDialogButtonBox.ButtonRole.ActionRole)
        self.quit_button = buttons.addButton(tr("accountui.quit"), QDialogButtonBox.ButtonRole.RejectRole)
        self.ok_button.setDefault(True)
        self.forgot_button.setAutoDefault(False)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        self.forgot_button.clicked.connect(self.forgot)
        lay.addWidget(buttons)
        (self.password if self.username.text() else self.username).setFocus()

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def submit(self) -> bool:
        user, pw = self.username.text().strip(), self.password.text()
        if not user:
            self.show_error(tr("signin.need_user"))
            self.username.setFocus()
            return False
        try:
            accounts.sign_in(self.session, user, pw, via="gui")
        except Refused as e:
            self.show_error(refusal_text(e))
            self.password.clear()
            self.password.setFocus()
            return False
        remember_user(self.session.account["username"])
        self.password_used = pw
        self.accept()
        return True

    def forgot(self) -> bool:
        """忘记密码: the recovery code sets a new password; the new code is shown once; then signed in."""
        dlg = RecoverDialog(self.session, self, username=self.username.text().strip())
        if dlg.exec() != QDialog.DialogCode.Accepted:
            return False
        user = dlg.username.text().strip()
        RecoveryCodeDialog(dlg.code, self, username=user, replaced=True).exec()
        self.username.setText(user)
        self.password.setText(dlg.password)
        return self.submit()


def _run(dlg, pending) -> bool:
    if pending is not None:
        pending.append(dlg)
    try:
        return dlg.exec() == QDialog.DialogCode.Accepted
    finally:
        if pending is not None and dlg in pending:
            pending.remove(dlg)


def set_up_first_registrar(session, parent=None, pending=None) -> bool:
    dlg = SetupRegistrarDialog(session, parent)
    if not _run(dlg, pending):
        return False
    _run(RecoveryCodeDialog(dlg.code, parent, username=dlg.account["username"]), pending)
    remember_user(dlg.account["username"])
    return True


def authenticate(session, parent=None, pending=None) -> bool:
    """Make someone the session's account (see the module docstring); False = nobody, quit."""
    if not accounts.has_accounts(session):
        return set_up_first_registrar(session, parent, pending)
    user, pw = os.environ.get("XUEJI_USER"), os.environ.get("XUEJI_PASSWORD")
    if user and pw is not None:
        try:
            accounts.sign_in(session, user, pw, via="gui")
        except AuthError as e:
            messages.error(parent, refusal_text(e), title=tr("signin.title"))
            return False
    else:
        dlg = SignInDialog(session, parent)
        if not _run(dlg, pending):
            return False
        pw = dlg.password_used
    if session.account.get("must_change"):
        return force_password_change(session, pw, parent, pending)
    return True


def force_password_change(session, old_password: str, parent=None, pending=None) -> bool:
    """The account must replace the password a registrar gave it; cancelling signs it out again."""
    new = os.environ.get("XUEJI_NEW_PASSWORD") if os.environ.get("XUEJI_USER") else None
    if new:
        try:
            accounts.change_password(session, old_password, new)
            return True
        except Refused as e:
            messages.error(parent, refusal_text(e), title=tr("accountui.change_title"))
    elif _run(ChangePasswordDialog(session, parent, forced=True, old=old_password), pending):
        return True
    accounts.sign_out(session, reason="password_change_refused")
    return False
