"""The automatic screen lock after idle (default 10 minutes; docs/security.md).

``install(window)`` — only when someone is signed in (``session.account`` not None) — puts an
application-wide event filter (``IdleWatcher``) in place that notes keyboard, mouse and wheel input and
restarts one single-shot timer; when it fires (``policy(session)["idle_lock_minutes"]``) ``lock(window)``:

- the lock is recorded (accounts.record_screen_lock);
- every window of the application gets an opaque cover and the main window's central widget is hidden,
  so the roster or an open record does not stay readable (open dialogs are covered, not closed: their
  unsaved input survives the lock);
- ``LockDialog`` (application-modal) names who is signed in and asks for their password: 解锁 calls
  accounts.unlock_screen (failures count towards the lock-out; once locked out, or disabled, only
  退出登录 remains), 退出登录 signs out (``ScreenLock.signOutRequested``, which ui.accounts.security_menu connects to its
  sign_out: back to the sign-in dialog).

The state (watcher, locked, dialog, covers) lives in ``ScreenLock.of(window)``, a child of the main window.
The interval is injectable for tests: ``IDLE_MS`` (module, milliseconds, None = the policy's minutes)
read by ``install``, or ``ScreenLock.of(window).watcher.set_interval(ms)``.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
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

    def __init__(self, screen_lock: "ScreenLock", interval_ms: int):
        super().__init__(screen_lock)
        self.screen_lock = screen_lock
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(lambda: lock(screen_lock.window))
        QApplication.instance().installEventFilter(self)
        self.timer.start()

    def set_interval(self, ms: int) -> None:
        self.timer.setInterval(int(ms))
        if not self.screen_lock.locked:
            self.timer.start()

    def interval(self) -> int:
        return self.timer.interval()

    def eventFilter(self, obj, event) -> bool:
        if event.type() in INPUT_EVENTS and not self.screen_lock.locked:
            self.timer.start()
        return False

    def stop(self) -> None:
        self.timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)


class ScreenLock(QObject):
    """The lock's state for one main window (a child of it): the idle watcher, whether it is locked, the
    lock dialog and the covers. ``ScreenLock.of(window)`` finds it (made the first time).

    ``signOutRequested``: 退出登录 in the lock dialog (ui.accounts.security_menu connects it to its sign-out)."""

    signOutRequested = Signal()

    def __init__(self, window):
        super().__init__(window)
        self.setObjectName("screen_lock")
        self.window = window
        self.watcher: IdleWatcher | None = None
        self.locked = False
        self.dialog: LockDialog | None = None
        self.covers: list = []
        self.central_was_visible = True

    @classmethod
    def of(cls, window) -> "ScreenLock":
        found = window.findChild(ScreenLock, "screen_lock")
        return found if found is not None else cls(window)

    def install(self) -> IdleWatcher | None:
        """(Re)start the idle watcher — only when someone is signed in."""
        self.stop()
        if self.watcher is not None:
            self.watcher.deleteLater()
        self.watcher = None
        if self.window.session.account is None:
            return None
        ms = IDLE_MS if IDLE_MS is not None else idle_minutes(self.window.session) * 60 * 1000
        self.watcher = IdleWatcher(self, ms)
        return self.watcher

    def stop(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()


def install(window) -> IdleWatcher | None:
    return ScreenLock.of(window).install()


def apply_policy(window) -> None:
    """After 安全设置 changed the idle minutes."""
    w = ScreenLock.of(window).watcher
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


def cover(window) -> None:
    """Cover every visible window of the application and hide the main window's roster (once)."""
    state = ScreenLock.of(window)
    if state.covers:
        return
    for w in QApplication.topLevelWidgets():
        if w.isVisible() and not isinstance(w, LockDialog):
            state.covers.append(_Cover(w))
    central = window.centralWidget()
    if central is not None:
        state.central_was_visible = central.isVisible()
        central.hide()


def uncover(window) -> None:
    state = ScreenLock.of(window)
    for c in state.covers:
        try:
            c.parent().removeEventFilter(c)
            c.hide()
            c.deleteLater()
        except RuntimeError:  # its window was closed meanwhile
            pass
    state.covers = []
    central = window.centralWidget()
    if central is not None and state.central_was_visible:
        central.show()


# ------------------------------------------------------------------ locking
def lock(window, *, reason: str = "idle") -> "LockDialog | None":
    """Cover the application and ask for the password. Nothing when no one is signed in or already locked."""
    session = window.session
    acc = session.account
    state = ScreenLock.of(window)
    if acc is None or acc.get("signed_out") or state.locked or not window.isVisible():
        return None  # (a hidden window: closing, or signed out and waiting for the sign-in dialog)
    state.locked = True
    if state.watcher is not None:
        state.watcher.timer.stop()
    try:
        accounts.record_screen_lock(session, idle_minutes(session) if reason == "idle" else 0)
    except Exception:  # the lock itself must never fail on the audit write (e.g. disk full)
        pass
    state.covers = []
    cover(window)
    dlg = LockDialog(window)
    state.dialog = dlg
    dlg.show()
    dlg.raise_()
    dlg.activateWindow()
    return dlg


def unlock(window) -> None:
    """The password was right: remove the covers, restart the idle timer."""
    uncover(window)
    release_for_sign_out(window)
    state = ScreenLock.of(window)
    if state.watcher is not None:
        state.watcher.timer.start()


def release_for_sign_out(window) -> None:
    """The lock dialog goes; the covers stay until someone has signed in again (security_menu.sign_out)."""
    state = ScreenLock.of(window)
    state.locked = False
    dlg, state.dialog = state.dialog, None
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
        ScreenLock.of(self.window_).signOutRequested.emit()

    def reject(self) -> None:  # Esc (and the window manager's close) does not unlock
        if self.done_ok:
            super().reject()

    def closeEvent(self, event) -> None:
        if not self.done_ok:
            event.ignore()
            return
        super().closeEvent(event)

