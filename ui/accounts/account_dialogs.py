"""The small dialogs of the accounts work (issue 7 "Accounts and roles"), each around one app.accounts.service call:

- ``SetupRegistrarDialog``   the archive's first account, a registrar (accounts.setup_first_registrar);
- ``RecoveryCodeDialog``     a recovery code shown once: large, copyable, printable, and 继续 only after
                             the registrar ticks "我已抄写并妥善保存";
- ``ChangePasswordDialog``   one's own password (accounts.change_password), also forced at sign-in when the
                             account must change the password a registrar gave it;
- ``RecoverDialog``          forgotten password: user name + recovery code + new password (accounts.recover);
- ``PasswordPromptDialog``   "type your password again" (a new recovery code);
- ``ResetPasswordDialog``    a registrar sets someone's temporary password (accounts.reset_password).

A refusal stays in the dialog on a red line under the fields (the finding's own text), so the person can
correct and try again; nothing is written until the app call succeeds.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (QCheckBox, QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit,
                               QPushButton, QVBoxLayout)

from app.accounts import service as accounts
from app.core.errors import NotFound, Refused
from ui.common.i18n import tr

ERROR_STYLE = "color: #c62828;"


def refusal_text(err) -> str:
    """What an app.accounts.service refusal says, one finding a line (NotFound carries a message only)."""
    if isinstance(err, NotFound):
        return err.message
    findings = getattr(err, "findings", None) or []
    return "\n".join(f.text() for f in findings) or str(err)


def error_line() -> QLabel:
    lab = QLabel()
    lab.setObjectName("error_line")
    lab.setStyleSheet(ERROR_STYLE)
    lab.setWordWrap(True)
    lab.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    lab.hide()
    return lab


def password_edit() -> QLineEdit:
    e = QLineEdit()
    e.setEchoMode(QLineEdit.EchoMode.Password)
    e.setMaxLength(128)
    return e


class FormDialog(QDialog):
    """A titled form with an error line and OK / Cancel; subclasses implement ``submit() -> bool``."""

    def __init__(self, title: str, parent=None, *, ok_text: str | None = None, cancel_text: str | None = None,
                 intro: str = ""):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(420)
        lay = QVBoxLayout(self)
        if intro:
            lab = QLabel(intro)
            lab.setWordWrap(True)
            lay.addWidget(lab)
        self.form = QFormLayout()
        lay.addLayout(self.form)
        self.error = error_line()
        lay.addWidget(self.error)
        self.buttons = QDialogButtonBox()
        self.ok_button = self.buttons.addButton(ok_text or tr("accountui.ok"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(cancel_text or tr("common.cancel"),
                                                    QDialogButtonBox.ButtonRole.RejectRole)
        self.ok_button.setDefault(True)
        self.buttons.accepted.connect(self._ok)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def _ok(self) -> None:
        if self.submit():
            self.accept()

    def submit(self) -> bool:  # pragma: no cover - overridden
        return True

    def _pair_matches(self, a: QLineEdit, b: QLineEdit) -> bool:
        if a.text() != b.text():
            self.show_error(tr("accountui.mismatch"))
            b.selectAll()
            b.setFocus()
            return False
        return True


def _min_hint(session) -> str:
    return tr("accountui.min_length", n=accounts.policy(session)["min_password_length"])


# ------------------------------------------------------------------ first registrar
class SetupRegistrarDialog(FormDialog):
    """The archive has no accounts yet: set up its first registrar. ``account`` and ``code`` after OK."""

    def __init__(self, session, parent=None):
        super().__init__(tr("accountui.setup_title"), parent, ok_text=tr("accountui.setup_ok"),
                         cancel_text=tr("accountui.quit"), intro=tr("accountui.setup_intro"))
        self.session = session
        self.account = None
        self.code = ""
        self.username = QLineEdit()
        self.username.setObjectName("username")
        self.username.setMaxLength(accounts.MAX_USERNAME)
        self.display_name = QLineEdit()
        self.display_name.setObjectName("display_name")
        self.password = password_edit()
        self.password.setObjectName("password")
        self.password2 = password_edit()
        self.password2.setObjectName("password2")
        self.form.addRow(tr("accountui.username"), self.username)
        self.form.addRow(tr("accountui.display_name"), self.display_name)
        self.form.addRow(tr("accountui.password"), self.password)
        self.form.addRow(tr("accountui.password2"), self.password2)
        hint = QLabel(_min_hint(session))
        hint.setStyleSheet("color: #616161;")
        self.form.addRow("", hint)
        self.username.setFocus()

    def submit(self) -> bool:
        if not self._pair_matches(self.password, self.password2):
            return False
        try:
            self.account, self.code = accounts.setup_first_registrar(
                self.session, self.username.text(), self.password.text(), self.display_name.text())
        except Refused as e:
            self.show_error(refusal_text(e))
            return False
        return True


# ------------------------------------------------------------------ the recovery code, shown once
class RecoveryCodeDialog(QDialog):
    """Shows ``code`` once. 继续 (and closing) only after "我已抄写并妥善保存" is ticked."""

    def __init__(self, code: str, parent=None, *, username: str = "", replaced: bool = False):
        super().__init__(parent)
        self.code = code
        self.setWindowTitle(tr("accountui.code_title"))
        self.setWindowFlag(Qt.WindowType.WindowCloseButtonHint, False)
        lay = QVBoxLayout(self)
        intro = QLabel(tr("accountui.code_intro", user=username) if username else tr("accountui.code_intro_plain"))
        intro.setWordWrap(True)
        lay.addWidget(intro)
        self.code_label = QLabel(code)
        self.code_label.setObjectName("recovery_code")
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSize(22)
        font.setWeight(QFont.Weight.Bold)
        self.code_label.setFont(font)
        self.code_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.code_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.code_label.setStyleSheet("padding: 14px; border: 1px solid #9e9e9e; background: #fafafa;")
        lay.addWidget(self.code_label)
        row = QHBoxLayout()
        self.copy_button = QPushButton(tr("accountui.copy"))
        self.copy_button.setAutoDefault(False)
        self.copy_button.clicked.connect(self.copy)
        self.print_button = QPushButton(tr("accountui.print_code"))
        self.print_button.setAutoDefault(False)
        self.print_button.clicked.connect(self.print_code)
        row.addWidget(self.copy_button)
        row.addWidget(self.print_button)
        row.addStretch(1)
        lay.addLayout(row)
        warn = QLabel(tr("accountui.code_warning") + (tr("accountui.code_replaced") if replaced else ""))
        warn.setWordWrap(True)
        warn.setStyleSheet("color: #b71c1c;")
        lay.addWidget(warn)
        self.saved_box = QCheckBox(tr("accountui.code_saved"))
        self.saved_box.setObjectName("code_saved")
        lay.addWidget(self.saved_box)
        buttons = QDialogButtonBox()
        self.continue_button = buttons.addButton(tr("accountui.continue"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.continue_button.setEnabled(False)
        self.saved_box.toggled.connect(self.continue_button.setEnabled)
        buttons.accepted.connect(self.accept)
        lay.addWidget(buttons)
        self.setMinimumWidth(520)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.code)
        self.copy_button.setText(tr("accountui.copied"))

    def print_code(self) -> None:
        """On paper through the system's print dialog (or to a PDF printer)."""
        from PySide6.QtGui import QTextDocument
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        printer = QPrinter()
        if QPrintDialog(printer, self).exec() != QDialog.DialogCode.Accepted:
            return
        doc = QTextDocument()
        doc.setPlainText(tr("accountui.code_print_text", code=self.code))
        doc.print_(printer)

    def accept(self) -> None:
        if self.saved_box.isChecked():
            super().accept()

    def reject(self) -> None:  # Esc: the code must not be dismissed unread
        if self.saved_box.isChecked():
            super().accept()


# ------------------------------------------------------------------ passwords
class ChangePasswordDialog(FormDialog):
    """One's own password. ``forced``: the account must change it before the window opens (the old
    password is the one just typed at sign-in, passed as ``old``)."""

    def __init__(self, session, parent=None, *, forced: bool = False, old: str | None = None):
        super().__init__(tr("accountui.change_title"), parent, ok_text=tr("accountui.change_ok"),
                         cancel_text=tr("accountui.sign_out") if forced else None,
                         intro=tr("accountui.change_forced") if forced else "")
        self.session = session
        self.old = password_edit()
        self.old.setObjectName("old_password")
        self.new = password_edit()
        self.new.setObjectName("new_password")
        self.new2 = password_edit()
        self.new2.setObjectName("new_password2")
        if old is None:
            self.form.addRow(tr("accountui.old_password"), self.old)
        else:
            self.old.setText(old)
            self.old.hide()
        self.form.addRow(tr("accountui.new_password"), self.new)
        self.form.addRow(tr("accountui.password2"), self.new2)
        hint = QLabel(_min_hint(session))
        hint.setStyleSheet("color: #616161;")
        self.form.addRow("", hint)
        (self.new if old is not None else self.old).setFocus()

    def submit(self) -> bool:
        if not self._pair_matches(self.new, self.new2):
            return False
        try:
            accounts.change_password(self.session, self.old.text(), self.new.text())
        except Refused as e:
            self.show_error(refusal_text(e))
            return False
        return True


class RecoverDialog(FormDialog):
    """忘记密码: the recovery code sets a new password. ``code`` (the replacement, shown once) and
    ``password`` after OK."""

    def __init__(self, session, parent=None, *, username: str = ""):
        super().__init__(tr("accountui.recover_title"), parent, ok_text=tr("accountui.recover_ok"),
                         intro=tr("accountui.recover_intro"))
        self.session = session
        self.code = ""
        self.username = QLineEdit(username)
        self.username.setObjectName("username")
        self.recovery = QLineEdit()
        self.recovery.setObjectName("recovery_code")
        self.recovery.setPlaceholderText("XXXXX-XXXXX-XXXXX-XXXXX")
        self.new = password_edit()
        self.new.setObjectName("new_password")
        self.new2 = password_edit()
        self.new2.setObjectName("new_password2")
        self.form.addRow(tr("accountui.username"), self.username)
        self.form.addRow(tr("accountui.recovery_code"), self.recovery)
        self.form.addRow(tr("accountui.new_password"), self.new)
        self.form.addRow(tr("accountui.password2"), self.new2)
        (self.recovery if username else self.username).setFocus()

    @property
    def password(self) -> str:
        return self.new.text()

    def submit(self) -> bool:
        if not self._pair_matches(self.new, self.new2):
            return False
        try:
            _acc, self.code = accounts.recover(self.session, self.username.text(), self.recovery.text(),
                                               self.new.text())
        except Refused as e:
            self.show_error(refusal_text(e))
            return False
        return True


class PasswordPromptDialog(FormDialog):
    """Type one's password again before something sensitive; ``action(password)`` does it (may raise
    Refused, shown here); its result is kept in ``result_value``."""

    def __init__(self, title: str, intro: str, action, parent=None):
        super().__init__(title, parent, intro=intro)
        self.action = action
        self.result_value = None
        self.password = password_edit()
        self.password.setObjectName("password")
        self.form.addRow(tr("accountui.password"), self.password)
        self.password.setFocus()

    def submit(self) -> bool:
        try:
            self.result_value = self.action(self.password.text())
        except Refused as e:
            self.show_error(refusal_text(e))
            self.password.selectAll()
            return False
        return True


class ResetPasswordDialog(FormDialog):
    """A registrar gives ``username`` a temporary password (changed at the next sign-in)."""

    def __init__(self, session, username: str, parent=None):
        super().__init__(tr("accountui.reset_title", user=username), parent, intro=tr("accountui.reset_intro"))
        self.session = session
        self.user = username
        self.new = password_edit()
        self.new.setObjectName("new_password")
        self.new2 = password_edit()
        self.new2.setObjectName("new_password2")
        self.form.addRow(tr("accountui.new_password"), self.new)
        self.form.addRow(tr("accountui.password2"), self.new2)
        self.form.addRow("", QLabel(_min_hint(session)))

    def submit(self) -> bool:
        if not self._pair_matches(self.new, self.new2):
            return False
        try:
            accounts.reset_password(self.session, self.user, self.new.text())
        except Refused as e:
            self.show_error(refusal_text(e))
            return False
        return True


def show_code(code: str, parent=None, *, username: str = "", replaced: bool = False) -> None:
    """The recovery code dialog, modal, until its box is ticked."""
    RecoveryCodeDialog(code, parent, username=username, replaced=replaced).exec()


__all__ = ["ChangePasswordDialog", "PasswordPromptDialog", "RecoverDialog", "RecoveryCodeDialog",
           "ResetPasswordDialog", "SetupRegistrarDialog", "refusal_text", "show_code"]
