"""The roster's in-memory search (app.students.search_index) kept current for the open window.

Loaded once after the window is on screen (one query, ~50 ms on 30,000 students); until then,
and whenever it is stale, the roster falls back to ``student_service.search_ids``. The GUI is the
archive's only writer while it is open (the archive lock), so it knows every change:
``update(ids)`` after an edit, ``rebuild()`` after an import or demo data.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from app.students import service as student_service
from app.students.search_index import SearchIndex as _Index
from app.students.search_index import normalise_query as normalise  # noqa: F401  (re-exported for the roster)


class SearchIndex(QObject):
    ready_changed = Signal(bool)

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self._index = _Index()
        self._ready = False
        self._paused = False
        self._pending = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._load)

    @property
    def ready(self) -> bool:
        return self._ready

    def rebuild(self) -> None:
        """Reload from the archive on the next event-loop turn; ``ready`` turns True when loaded."""
        self._set_ready(False)
        self._pending = True
        if not self._paused:
            self._timer.start()

    def update(self, ids) -> None:
        """Students were edited or added: reload now (a single query) if the index is in use."""
        if self._paused:
            self.rebuild()
        elif self._ready or self._pending:
            self._timer.stop()
            self._load()

    def pause(self) -> None:
        """A background job is writing: don't read now; ``match`` keeps answering from memory."""
        self._paused = True
        self._timer.stop()

    def resume(self) -> None:
        self._paused = False
        if self._pending:
            self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self._pending = False
        self._set_ready(False)

    def _load(self) -> None:
        if self.session.conn is None:  # the archive was closed under us (window closing)
            self.stop()
            return
        self._index.load(student_service.search_entries(self.session))
        self._pending = False
        self._set_ready(True)

    def _set_ready(self, ready: bool) -> None:
        if ready != self._ready:
            self._ready = ready
            self.ready_changed.emit(ready)

    def match(self, text: str, class_ids=None, statuses=None) -> list[int]:
        return self._index.match(text, class_ids, statuses)
