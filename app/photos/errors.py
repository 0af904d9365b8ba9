"""PhotoError without Pillow, so modules imported at start-up (the roster) need not load PIL."""
from __future__ import annotations


class PhotoError(Exception):
    """A photo refused; nothing was stored. ``code`` is stable (PHOTO.*), ``message`` is for the registrar."""

    def __init__(self, code: str, message: str):
        super().__init__(code, message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message
