"""Main-window menu for printing: preview, print, calibration, certificate register.

``install(window)`` is called once by MainWindow after its own menus exist (window.menuBar(),
window.main_toolbar, window.session, window.selected_student_id(), window.current_class_id(),
window.after_write(ids)).
"""
from __future__ import annotations


def install(window) -> None:
    """Add this area's menu and actions to ``window``."""
