"""The 账户 menu and role gating of the main window (accounts and roles: docs/security.md).

``install(window)`` (called once by MainWindow after the other menus) adds the menu — 修改密码…,
重新生成恢复码…, 账户管理…, 安全设置…, 立即锁屏, 退出登录, and under a separator the audit log's 审计日志… and
打印查阅登记簿… (ui.audit.audit_view, imported when chosen) — and a permanent status-bar label naming who is
signed in.

Role gating: every action in the window's menus and toolbars carries the permission it needs as the Qt
property ``xueji_permission`` (``need(action, "print")``); a comma list needs all of them. Besides the
permissions of resources/security/roles.toml there are two tokens: ``none`` (always available: quit, find)
and ``signed_in`` (needs an account: an archive without accounts has no password to change). An action
without the property needs ``write``, except a submenu's, which is available when one of its actions is.
``apply_permissions(window)`` disables (and keeps disabled) what the signed-in role lacks; app/ refuses
the same things again (Session.require), the menu only saves a refusal.

``sign_out(window)``: accounts.sign_out, every other window closed, the main window hidden, the sign-in
dialog again (ui.accounts.signin_dialog.authenticate); someone signed in → the window is rebuilt for their role and
classes; nobody → the window closes. The session is never usable in between (it has no role).
"""
from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QToolBar

from app.accounts import service as accounts
from app.core.permissions import permission_name, role_name
from ui.accounts import lock_screen
from ui.common import messages
from ui.common.i18n import tr

PROPERTY = "xueji_permission"
NONE = "none"
SIGNED_IN = "signed_in"
DEFAULT = "write"


def need(action: QAction, permission: str) -> QAction:
    action.setProperty(PROPERTY, permission)
    return action


# ------------------------------------------------------------------ the menu
def install(window) -> None:
    win = window
    m = win.menuBar().addMenu(tr("securityui.menu"))
    m.setObjectName("security_menu")

    def add(name, text, slot, permission):
        a = need(m.addAction(text, slot), permission)
        a.setObjectName(name)
        return a

    add("act_change_password", tr("securityui.change_password"), lambda: change_password(win), SIGNED_IN)
    add("act_recovery_code", tr("securityui.recovery_code"), lambda: new_recovery_code(win), f"{SIGNED_IN},accounts")
    m.addSeparator()
    add("act_accounts", tr("securityui.accounts"), lambda: open_accounts(win), "accounts")
    add("act_policy", tr("securityui.policy"), lambda: open_policy(win), "accounts")
    m.addSeparator()
    add("act_lock", tr("securityui.lock"), lambda: lock_now(win), SIGNED_IN)
    add("act_sign_out", tr("securityui.sign_out"), lambda: sign_out(win), SIGNED_IN)
    m.addSeparator()
    add("act_audit_log", tr("securityui.audit_log"), lambda: open_audit(win), "audit")
    add("act_access_register", tr("securityui.access_register"), lambda: print_register(win), "audit")
    add("act_overrides", tr("securityui.overrides"), lambda: open_overrides(win), "read_all")
    add("act_export_approvals", tr("securityui.export_approvals"), lambda: open_export_approvals(win), "approve")
    label = QLabel()
    label.setObjectName("identity_label")
    win.statusBar().addPermanentWidget(label)
    update_identity(win)
    lock_screen.ScreenLock.of(win).signOutRequested.connect(lambda: sign_out(win))
    win.hub.accounts_changed.connect(lambda: refresh_for_account(win))


def identity_text(session) -> str:
    acc = session.account
    if acc is None or acc.get("signed_out"):
        return ""
    if not acc.get("display_name"):
        return tr("securityui.identity_user", user=acc["username"], role=role_name(acc.get("role", "")))
    return tr("securityui.identity", name=acc["display_name"], user=acc["username"],
              role=role_name(acc.get("role", "")))


def update_identity(window) -> None:
    text = identity_text(window.session)
    label = window.findChild(QLabel, "identity_label")
    if label is not None:
        label.setText(text)
        label.setVisible(bool(text))


# ------------------------------------------------------------------ gating
def window_actions(window) -> list[QAction]:
    """Every action of the window's menus (with their submenus), toolbars and own shortcuts."""
    seen: list[QAction] = []

    def walk(actions):
        for a in actions:
            if a.isSeparator() or a in seen:
                continue
            seen.append(a)
            sub = a.menu()
            if sub is not None:
                walk(sub.actions())

    walk(window.menuBar().actions())
    for tb in window.findChildren(QToolBar):
        walk(tb.actions())
    walk(window.actions())
    return seen


def required(action: QAction) -> list[str]:
    """The permissions ``action`` needs ([] = none)."""
    p = action.property(PROPERTY)
    if p is None or p == "":
        return [DEFAULT]
    return [] if p == NONE else [x.strip() for x in str(p).split(",") if x.strip()]


def allowed(session, action: QAction) -> bool:
    p = action.property(PROPERTY)
    sub = action.menu()
    if (p is None or p == "") and sub is not None:
        children = [a for a in sub.actions() if not a.isSeparator()]
        return any(allowed(session, a) for a in children) if children else session.can(DEFAULT)
    for perm in required(action):
        if perm == SIGNED_IN:
            acc = session.account
            if acc is None or acc.get("signed_out"):
                return False
        elif not session.can(perm):
            return False
    return True


def _keep_denied(action: QAction) -> None:
    # another module may enable its action later (row counts, jobs ending): a denied one stays off
    if action.property("xueji_denied") and action.isEnabled():
        action.setEnabled(False)


def apply_permissions(window) -> dict:
    """Enable what the session's role may do, disable the rest; returns {action: allowed}."""
    session = window.session
    out = {}
    for a in window_actions(window):
        ok = allowed(session, a)
        out[a] = ok
        was_denied = bool(a.property("xueji_denied"))
        a.setProperty("xueji_denied", not ok)
        if not ok:
            perms = [p for p in required(a) if p not in (SIGNED_IN,)]
            a.setEnabled(False)
            a.setStatusTip(tr("securityui.denied", permission=tr("common.list_sep").join(
                permission_name(p) for p in perms)) if perms else tr("securityui.denied_no_account"))
        elif was_denied:
            a.setEnabled(True)
            a.setStatusTip("")
        if not a.property("xueji_guarded"):
            a.setProperty("xueji_guarded", True)
            a.changed.connect(lambda a=a: _keep_denied(a))
    return out


# ------------------------------------------------------------------ slots
def change_password(window) -> bool:
    from ui.accounts.account_dialogs import ChangePasswordDialog

    dlg = ChangePasswordDialog(window.session, window)
    if dlg.exec() != QDialog.DialogCode.Accepted:
        return False
    window.statusBar().showMessage(tr("securityui.password_changed"), 8000)
    return True


def new_recovery_code(window) -> str | None:
    from ui.accounts.account_dialogs import PasswordPromptDialog, RecoveryCodeDialog

    dlg = PasswordPromptDialog(tr("securityui.recovery_code_title"), tr("securityui.recovery_code_intro"),
                               lambda pw: accounts.new_own_recovery_code(window.session, pw), window)
    if dlg.exec() != QDialog.DialogCode.Accepted:
        return None
    code = dlg.result_value
    RecoveryCodeDialog(code, window, username=window.session.account["username"], replaced=True).exec()
    return code


def open_accounts(window):
    from ui.accounts.accounts_window import AccountsWindow

    return window.dialogs.open("accounts", lambda: AccountsWindow(window.session, window), keep=True)


def open_policy(window):
    from ui.accounts.accounts_window import PolicyDialog

    dlg = PolicyDialog(window.session, window)
    if dlg.exec() == QDialog.DialogCode.Accepted:
        lock_screen.apply_policy(window)
        return True
    return False


def lock_now(window):
    return lock_screen.lock(window, reason="manual")


def open_audit(window):
    from ui.audit import audit_view

    return audit_view.open_audit_view(window)


def open_export_approvals(window):
    from ui.exchange import export_approvals_view

    return export_approvals_view.open_export_approvals(window)


def open_overrides(window):
    from ui.changes import override_view

    return override_view.open_override_view(window)


def print_register(window):
    from ui.audit import audit_view

    return audit_view.print_access_register(window)


def _close_other_windows(window) -> None:
    for w in QApplication.topLevelWidgets():
        if w is window or isinstance(w, lock_screen.LockDialog) or not w.isVisible():
            continue
        if isinstance(w, QDialog):
            QDialog.done(w, QDialog.DialogCode.Rejected)  # not reject(): no "discard changes?" question
        else:
            w.close()


# Replaced by tests; the start-up's own sign-in (see ui.accounts.signin_dialog.authenticate).
def _authenticate(session, parent=None):
    from ui.accounts.signin_dialog import authenticate

    return authenticate(session, parent)


def sign_out(window) -> bool:
    """退出登录: True when someone signed in again (the window is theirs now), False when it closed."""
    session = window.session
    accounts.sign_out(session)
    lock_screen.release_for_sign_out(window)
    lock_screen.cover(window)
    _close_other_windows(window)
    window.hide()
    apply_permissions(window)
    update_identity(window)
    if not _authenticate(session, None):
        window.close()
        return False
    lock_screen.uncover(window)
    window.hub.accounts_changed.emit()
    window.show()
    return True


def refresh_for_account(window) -> None:
    """A (new) account is signed in (hub.accounts_changed): its role's actions, its name, its idle lock.
    The main window itself re-reads its classes, title and roster on the same signal."""
    apply_permissions(window)
    update_identity(window)
    lock_screen.install(window)
