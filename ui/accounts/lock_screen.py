"""The automatic screen lock (issue 7: "automatic screen lock after idle, default 10 minutes").

``install(window)`` — only when someone is signed in (``session.account`` not None) — puts an
application-wide event filter (``IdleWatcher``) in place that notes keyboard, mouse and wheel input and
restarts one single-shot timer; when it fires (``policy(session)["idle_lock_minutes"]``) ``lock(window)``:

- the lock is recorded (accounts.record_screen_lock);
- every window of the application gets an opaque cover and the main window's central widget is hidden,
  so the roster or an open record does not stay readable (open dialogs are covered, not closed: their
  unsaved input survives the lock);
- ``LockDialog`` (application-modal) names who is signed in and asks for their password: 解锁 calls
  accounts.unlock_screen (failures count towards the lock-out; once locked out, or disabled, only
  退出登录 remains), 退出登录 signs out (ui.accounts.security_menu.sign_out: back to the sign-in dialog).

The interval is injectable for tests: ``IDLE_MS`` (module, milliseconds, None = the policy's minutes)
read by ``install``, or ``window.idle_watcher.set_interval(ms)``.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import (QApplication, QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget)

from app.accounts import service as accounts
from app.core.errors import Refused
from app.core.permissions import role_name
from ui.accounts.account_dialogs import error_line, password_edit, refusal_text
from ui.common.i18n import tr

IDLE_MS: int | None = None

INPUT_EVENTS = frozenset({QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonDblClick,
                          QEvent.Type.MouseMove, QEvent.Type.Wheel, QEvent.Type.TouchBegin,
                          QEvent.Type.TabletPress, QEvent.Type.ShortcutOverride})


def idle_minutes(session) -> int:
    return int(accounts.policy(session)["idle_lock_minutes"])


class IdleWatcher(QObject):
    """Restarts the idle timer on every keyboard / mouse input anywhere in the application."""

    def __init__(self, window, interval_ms: int):
        super().__init__(window)
        self.window = window
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(lambda: lock(self.window))
        QApplication.instance().installEventFilter(self)
        self.timer.start()

    def set_interval(self, ms: int) -> None:
        self.timer.setInterval(int(ms))
        if not getattr(self.window, "locked", False):
            self.timer.start()

    def interval(self) -> int:
        return self.timer.interval()

    def eventFilter(self, obj, event) -> bool:
        if event.type() in INPUT_EVENTS and not getattr(self.window, "locked", False):
            self.timer.start()
        return False

    def stop(self) -> None:
        self.timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)


def install(window) -> IdleWatcher | None:
    old = getattr(window, "idle_watcher", None)
    if old is not None:
        old.stop()
        old.deleteLater()
    window.idle_watcher = None
    if window.session.account is None:
        return None
    ms = IDLE_MS if IDLE_MS is not None else idle_minutes(window.session) * 60 * 1000
    window.idle_watcher = IdleWatcher(window, ms)
    return window.idle_watcher


def apply_policy(window) -> None:
    """After 安全设置 changed the idle minutes."""
    w = getattr(window, "idle_watcher", None)
    if w is not None and IDLE_MS is None:
        w.set_interval(idle_minutes(window.session) * 60 * 1000)


# ------------------------------------------------------------------ covering
class _Cover(QWidget):
    """An opaque sheet over one window (children included), following its size."""

    def __init__(self, host: QWidget):
        super().__init__(host)
        self.setObjectName("lock_cover")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet("#lock_cover { background: #37474f; }")
        lay = QVBoxLayout(self)
        lab = QLabel(tr("lock.covered"))
        lab.setStyleSheet("color: #eceff1; font-size: 16pt;")
        lab.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(lab)
        host.installEventFilter(self)
        self.setGeometry(host.rect())
        self.raise_()
        self.show()

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.setGeometry(obj.rect())
            self.raise_()
        return False


def _cover_all(window) -> list:
    covers = []
    for w in QApplication.topLevelWidgets():
        if w.isVisible() and not isinstance(w, LockDialog):
            covers.append(_Cover(w))
    central = window.centralWidget()
    if central is not None:
        window._lock_central_was_visible = central.isVisible()
        central.hide()
    return covers


def _uncover(window) -> None:
    for c in getattr(window, "_lock_covers", []):
        try:
            c.parent().removeEventFilter(c)
            c.hide()
            c.deleteLater()
        except RuntimeError:  # its window was closed meanwhile
            pass
    window._lock_covers = []
    central = window.centralWidget()
    if central is not None and getattr(window, "_lock_central_was_visible", True):
        central.show()


# ------------------------------------------------------------------ locking
def lock(window, *, reason: str = "idle") -> "LockDialog | None":
    """Cover the application and ask for the password. Nothing when no one is signed in or already locked."""
    session = window.session
    acc = session.account
    if acc is None or acc.get("signed_out") or getattr(window, "locked", False) or not window.isVisible():
        return None  # (a hidden window: closing, or signed out and waiting for the sign-in dialog)
    window.locked = True
    watcher = getattr(window, "idle_watcher", None)
    if watcher is not None:
        watcher.timer.stop()
    try:
        accounts.record_screen_lock(session, idle_minutes(session) if reason == "idle" else 0)
    except Exception:  # the lock itself must never fail on the audit write (e.g. disk full)
        pass
    window._lock_covers = _cover_all(window)
    dlg = LockDialog(window)
    window.lock_dialog = dlg
    dlg.show()
    dlg.raise_()
    dlg.activateWindow()
    return dlg


def unlock(window) -> None:
    """The password was right: remove the covers, restart the idle timer."""
    _uncover(window)
    window.locked = False
    dlg = getattr(window, "lock_dialog", None)
    window.lock_dialog = None
    if dlg is not None:
        dlg.done_ok = True
        dlg.accept()
        dlg.deleteLater()
    watcher = getattr(window, "idle_watcher", None)
    if watcher is not None:
        watcher.timer.start()


def release_for_sign_out(window) -> None:
    """The lock dialog goes; the covers stay until someone has signed in again (security_menu.sign_out)."""
    window.locked = False
    dlg = getattr(window, "lock_dialog", None)
    window.lock_dialog = None
    if dlg is not None:
        dlg.done_ok = True
        dlg.accept()
        dlg.deleteLater()


class LockDialog(QDialog):
    def __init__(self, window):
        super().__init__(window)  # goes with the window; a top-level of its own, over the covers
        self.window_ = window
        self.done_ok = False
        session = window.session
        acc = session.account or {}
        self.setObjectName("lock_dialog")
        self.setWindowTitle(tr("lock.title"))
        self.setWindowModality(Qt.WindowModality.ApplicationModal)
        self.setWindowFlags(Qt.WindowType.Dialog | Qt.WindowType.CustomizeWindowHint | Qt.WindowType.WindowTitleHint)
        self.setMinimumWidth(420)
        lay = QVBoxLayout(self)
        who = acc.get("display_name") or acc.get("username", "")
        head = QLabel(tr("lock.heading"))
        head.setStyleSheet("font-size: 15pt; font-weight: bold;")
        lay.addWidget(head)
        self.who_label = QLabel(tr("lock.who", name=who, user=acc.get("username", ""),
                                   role=role_name(acc.get("role", ""))))
        self.who_label.setObjectName("who")
        self.who_label.setWordWrap(True)
        lay.addWidget(self.who_label)
        row = QHBoxLayout()
        row.addWidget(QLabel(tr("accountui.password")))
        self.password = password_edit()
        self.password.setObjectName("password")
        self.password.returnPressed.connect(self.try_unlock)
        row.addWidget(self.password, 1)
        lay.addLayout(row)
        self.error = error_line()
        lay.addWidget(self.error)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.unlock_button = QPushButton(tr("lock.unlock"))
        self.unlock_button.setDefault(True)
        self.unlock_button.clicked.connect(self.try_unlock)
        self.sign_out_button = QPushButton(tr("lock.sign_out"))
        self.sign_out_button.setAutoDefault(False)
        self.sign_out_button.clicked.connect(self.sign_out)
        buttons.addWidget(self.unlock_button)
        buttons.addWidget(self.sign_out_button)
        lay.addLayout(buttons)
        self.password.setFocus()

    def try_unlock(self) -> bool:
        if not self.unlock_button.isEnabled():
            return False
        try:
            accounts.unlock_screen(self.window_.session, self.password.text())
        except Refused as e:
            self.error.setText(refusal_text(e))
            self.error.show()
            self.password.clear()
            codes = {f.code for f in getattr(e, "findings", [])}
            if codes & {"account_locked", "account_disabled"}:
                self.password.setEnabled(False)
                self.unlock_button.setEnabled(False)
                self.sign_out_button.setDefault(True)
                self.sign_out_button.setFocus()
            return False
        unlock(self.window_)
        return True

    def sign_out(self) -> None:
        from ui.accounts import security_menu

        security_menu.sign_out(self.window_)

    def reject(self) -> None:  # Esc (and the window manager's close) does not unlock
        if self.done_ok:
            super().reject()

    def closeEvent(self, event) -> None:
        if not self.done_ok:
            event.ignore()
            return
        super().closeEvent(event)

