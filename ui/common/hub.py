"""Change notifications of the main window: whoever writes says what changed, whoever shows it listens.

The main window owns one ``Hub`` (``window.hub``); a view connects to the signals it cares about instead of
the main window calling into it, and a dialog that wrote emits instead of reaching into the main window.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class Hub(QObject):
    students_changed = Signal(object)   # the student ids written (a list), or None: any of them
    classes_changed = Signal()          # classes, headcounts or the school's details
    archive_changed = Signal()          # the whole archive may differ (restored, demo data, an import)
    accounts_changed = Signal()         # who is signed in, or their role, changed
    deadlines_changed = Signal()        # a deadline was closed or a change made new ones
