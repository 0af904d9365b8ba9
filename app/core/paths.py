"""Where things live: the bundled resources/ tree (also inside a PyInstaller bundle) and the default archive."""
from __future__ import annotations

import os
import sys
from pathlib import Path


def resources_dir() -> Path:
    base = getattr(sys, "_MEIPASS", None)
    if base:
        return Path(base) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def resource(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)


def default_archive_dir() -> Path:
    """``$XUEJI_ARCHIVE`` or the user's data folder (e.g. %LOCALAPPDATA%\\Xueji\\archive on Windows)."""
    env = os.environ.get("XUEJI_ARCHIVE")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("Xueji", appauthor=False)) / "archive"
