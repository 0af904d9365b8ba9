"""Fonts: register the CJK font(s) shipped in resources/fonts/ and choose the application font.

Without a CJK font every hanzi is drawn as a box (platform-notes §2). A font shipped with the
program removes the dependency on the system; when none is shipped we keep the system's fonts and
let Qt fall back (fontconfig on Linux, Microsoft YaHei on Windows).
"""
from __future__ import annotations

import sys

from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

from app.core.paths import resource

FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".otc")
UI_POINT_SIZE = 10  # hanzi at the usual 9 pt are hard to read
# Faces drawn for the window, best first; other shipped faces (LXGW WenKai: rare characters such as
# 𠮷, and the certificates) come after them as per-character fallbacks (resources/fonts/README.md).
UI_FAMILIES = ("Noto Sans SC", "Noto Sans CJK SC", "Source Han Sans SC", "Source Han Sans CN")


def load_bundled_fonts() -> list[str]:
    """Register every font file under resources/fonts/; returns the families added (maybe none)."""
    folder = resource("fonts")
    families: list[str] = []
    if not folder.is_dir():
        return families
    for path in sorted(folder.rglob("*")):
        if path.suffix.lower() not in FONT_SUFFIXES:
            continue
        fid = QFontDatabase.addApplicationFont(str(path))
        if fid < 0:
            print(f"xueji: cannot load font {path}", file=sys.stderr)
            continue
        for fam in QFontDatabase.applicationFontFamilies(fid):
            if fam not in families:
                families.append(fam)
    return families


def setup_fonts(app: QApplication) -> str | None:
    """Load bundled fonts and set the app font; returns the bundled family in use, if any."""
    families = load_bundled_fonts()
    font = QFont(app.font())
    chosen = None
    if families:
        # The shipped faces first (listed families are tried, per character, before the system's
        # fallback), so names look the same on every machine, rare characters included.
        ordered = sorted(families, key=lambda f: UI_FAMILIES.index(f) if f in UI_FAMILIES else len(UI_FAMILIES))
        chosen = ordered[0]
        font.setFamilies(ordered)
    if font.pointSizeF() > 0 and font.pointSizeF() < UI_POINT_SIZE:
        font.setPointSizeF(UI_POINT_SIZE)
    app.setFont(font)
    return chosen
