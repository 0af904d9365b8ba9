"""USB barcode scanner input, anywhere in the application.

A scanner in keyboard mode "types" the folder label's code (``XUEJI|学校标识码|id|学籍号``, or a bare
学籍号 / ID number) in a fast burst of key presses followed by Enter. ``ScanInput`` is an
application-level event filter that watches key presses without taking them: printable keys still reach
the focused widget as usual. Only when Enter ends a burst whose every key came within ``gap_ms`` of the
previous one, at least ``min_len`` characters long, AND the text resolves to a student of this archive
(app.paper.locations.resolve_scan), it

- takes the Enter (no default button, no roster shortcut fires),
- puts back the text the burst typed into a line edit / text edit (the search box is not left holding
  the code), and
- hands the student to the top handler: by default the main window opens the student's folder; a
  review dialog pushes its own handler (``push_handler``) that marks the folder as seen instead.

Human typing is never hijacked: a slow key resets the burst, and a fast burst that is not a known
code keeps its Enter. Timing uses the window system's timestamp of each key when it has one (so keys a
person typed while the window was busy, delivered together, still show a person's pace), else the moment
the filter sees the key (synthetic test events).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (QApplication, QFileDialog, QInputDialog, QLineEdit, QMessageBox, QPlainTextEdit,
                               QProgressDialog, QTextEdit, QWidget)

GAP_MS = 50        # a scanner types a character every 2-30 ms; people rarely under 80 ms, never six in a row
MIN_LEN = 6        # shorter codes are not labels (a 学籍号 is 19 characters, an ID number 18)
ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
BUSY_DIALOGS = (QMessageBox, QFileDialog, QInputDialog, QProgressDialog)
MODIFIER_KEYS = (Qt.Key.Key_Shift, Qt.Key.Key_Control, Qt.Key.Key_Alt, Qt.Key.Key_Meta, Qt.Key.Key_AltGr,
                 Qt.Key.Key_CapsLock, Qt.Key.Key_NumLock)


@dataclass
class Scan:
    text: str
    student_id: int


def resolve(session, text: str) -> int | None:
    """The student a scanned code names, or None (app.paper.locations.resolve_scan; never raises)."""
    from app.paper.locations import resolve_scan

    try:
        return resolve_scan(session, text)
    except Exception:
        return None


class ScanInput(QObject):
    """Install once per main window: ``ScanInput(session, parent=window).install()``.

    ``scanned(Scan)`` is emitted (after the key event, from the event loop) when a handler took it;
    ``unknown(str)`` when a fast burst looked like one of our labels but names no student here."""

    scanned = Signal(object)
    unknown = Signal(str)

    def __init__(self, session, parent: QObject | None = None, *, gap_ms: int = GAP_MS, min_len: int = MIN_LEN,
                 resolver=None):
        super().__init__(parent)
        self.session = session
        self.gap_ms = gap_ms
        self.min_len = min_len
        self._resolver = resolver or (lambda text: resolve(self.session, text))
        self._handlers: list = []   # callables handler(Scan) -> bool (True: taken); last pushed first
        self.enabled = True
        self._reset()
        self._last_sig = None       # (event pointer, type, key, text) of the key event last counted …
        self._last_parents: set[int] = set()  # … and its receiver's ancestors (addresses only: no widget is kept)
        self._decided: tuple | None = None  # (text, student_id) decided at the Enter's ShortcutOverride

    # ------------------------------------------------------------------ handlers
    def push_handler(self, handler) -> None:
        self._handlers.append(handler)

    def remove_handler(self, handler) -> None:
        self._handlers = [h for h in self._handlers if h is not handler]

    def install(self) -> "ScanInput":
        QApplication.instance().installEventFilter(self)
        return self

    # ------------------------------------------------------------------ the burst
    def _reset(self) -> None:
        self.buffer = ""
        self._last = 0.0
        self._target = 0          # the address of the widget the burst typed into (never a kept reference:
        self._snapshot = None     # a widget may be deleted between two keys); its text and cursor before

    def _snap(self, w) -> None:
        self._target = _address(w)
        if isinstance(w, QLineEdit):
            self._snapshot = (w.text(), w.cursorPosition())
        else:
            self._snapshot = None

    def _undo_typing(self, receiver) -> None:
        """Take the burst back out of the field it went into: the Enter's receiver (alive: it is receiving
        the event), when it is the widget the burst's first key went to."""
        w, snap = receiver, self._snapshot
        if w is None or not self._target or _address(w) != self._target:
            return
        if isinstance(w, QLineEdit) and snap is not None:
            if w.text() != snap[0]:
                w.setText(snap[0])
                w.setCursorPosition(snap[1])
        elif isinstance(w, (QPlainTextEdit, QTextEdit)):
            cur = w.textCursor()
            n = len(self.buffer)
            cur.movePosition(cur.MoveOperation.Left, cur.MoveMode.KeepAnchor, n)
            if cur.selectedText() == self.buffer:
                cur.removeSelectedText()

    def _candidate(self, now: float) -> tuple | None:
        """(text, student_id) when what was typed so far, ended now, is a scan."""
        if not self.enabled or len(self.buffer) < self.min_len or abs(now - self._last) * 1000 > self.gap_ms:
            return None
        if isinstance(QApplication.activeModalWidget(), BUSY_DIALOGS):
            return None  # a question, a file chooser or a progress dialog keeps its keys
        text = self.buffer.strip()
        sid = self._resolver(text)
        if sid is None:
            if text.startswith("XUEJI|"):
                return (text, None)  # our label, but not of this archive: taken, and said so
            return None
        return (text, sid)

    # ------------------------------------------------------------------ the filter
    def eventFilter(self, obj, event) -> bool:
        et = event.type()
        if et not in (QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride) or not isinstance(obj, QWidget):
            return False
        sig = (_address(event), et, event.key(), event.text())
        if sig == self._last_sig and _address(obj) in self._last_parents:
            return False  # the same key event travelling on to a parent: counted once
        self._last_sig = sig
        parents, p = set(), obj.parentWidget()
        while p is not None:
            parents.add(_address(p))
            p = p.parentWidget()
        self._last_parents = parents
        now = _clock(event)
        key = event.key()
        if key in ENTER_KEYS:
            if et == QEvent.Type.ShortcutOverride:
                self._decided = self._candidate(now)
                if self._decided is not None:
                    event.accept()
                    return True
                return False
            decided = self._decided if self._decided is not None else self._candidate(now)
            self._decided = None
            if decided is None:
                self._reset()
                return False
            self._undo_typing(obj)
            self._reset()
            text, sid = decided
            if sid is None:
                QTimer.singleShot(0, self, lambda t=text: self.unknown.emit(t))
            else:
                QTimer.singleShot(0, self, lambda s=Scan(text, sid): self._deliver(s))
            return True
        if et != QEvent.Type.KeyPress or key in MODIFIER_KEYS:
            return False  # a real keyboard (and a scanner) presses Shift for '|' and capitals: not a break
        text = event.text()
        mods = event.modifiers() & ~(Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.KeypadModifier)
        if not text or not text.isprintable() or mods:
            self._reset()
            return False
        if not self.buffer or abs(now - self._last) * 1000 > self.gap_ms:
            self._reset()
            self._snap(obj)
        self.buffer += text
        self._last = now
        return False

    def _deliver(self, scan: Scan) -> None:
        for h in reversed(list(self._handlers)):
            try:
                if h(scan):
                    break
            except RuntimeError:  # a handler whose dialog is gone
                self.remove_handler(h)
        self.scanned.emit(scan)

    def feed(self, text: str) -> bool:
        """A code typed or pasted by hand (a review dialog's code box): handled like a scan. True: a student."""
        sid = self._resolver(text.strip())
        if sid is None:
            self.unknown.emit(text.strip())
            return False
        self._deliver(Scan(text.strip(), sid))
        return True


def _clock(event) -> float:
    """Seconds: the window system's own time of the key (X11, Windows: when it was pressed, so keys typed
    while the window was busy and delivered together still show the person's pace); synthetic events (tests,
    some platforms) carry 0 and get the moment the filter sees them."""
    ts = event.timestamp()
    return ts / 1000.0 if ts else time.monotonic()


def _address(obj) -> int:
    try:
        import shiboken6

        return int(shiboken6.getCppPointer(obj)[0])
    except Exception:
        return id(obj)
