"""File-system helpers shared by every writer that must never leave a half-written file."""
from __future__ import annotations

import os
from contextlib import contextmanager


@contextmanager
def discard_on_error(tmp):
    """Around writing ``tmp`` and moving it into place: on any failure or cancel, remove ``tmp``."""
    try:
        yield
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
