"""The main window's tool windows: one instance per name, raised (and activated) when asked for again,
forgotten when closed (the shape of Anki's ``aqt.DialogManager``).

    window.dialogs.open("deadlines", lambda: DeadlinesView(...), again=lambda v: v.reload())

``open`` makes the window with ``factory()`` the first time (and again after it was closed), shows it and
returns it; while it is open it is raised and activated instead (``again(view)`` runs first, e.g. a
re-read). A closed window is deleted (``WA_DeleteOnClose``) unless ``keep=True`` (a window whose background
job must deliver first keeps itself); either way the manager no longer returns it.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from shiboken6 import isValid


class DialogManager(QObject):
    def __init__(self, parent=None):
        super().__init__(parent)
        self._open: dict[str, QObject] = {}

    def get(self, name: str):
        """The open window called ``name``, or None (never opened, closed, or deleted)."""
        view = self._open.get(name)
        if view is None:
            return None
        if not isValid(view) or not view.isVisible():
            self._open.pop(name, None)
            return None
        return view

    def open(self, name: str, factory, *, again=None, keep: bool = False):
        view = self.get(name)
        if view is not None:
            if again is not None:
                again(view)
            view.show()
            view.raise_()
            view.activateWindow()
            return view
        view = factory()
        if view is None:
            return None
        if not keep:
            view.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._open[name] = view
        view.destroyed.connect(lambda *_a, n=name: self._forget(n))
        view.show()
        return view

    def _forget(self, name: str) -> None:
        view = self._open.get(name)
        if view is None or not isValid(view):
            self._open.pop(name, None)

    def names(self) -> list[str]:
        """The names of the windows open now."""
        return [n for n in list(self._open) if self.get(n) is not None]
