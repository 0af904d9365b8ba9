"""Embedded fonts for printing: a chain per face, checked per character.

reportlab embeds TrueType (glyf) outlines only, and for a character its font lacks it silently draws
``.notdef`` (a box, or nothing). So every character is looked up before drawing: it must be in the
font's cmap *and* its glyph must have an outline (some fonts map a code point to an empty glyph). A
character the first font of a chain lacks falls back to the next font that has it; when no bundled
font has it, :func:`runs` raises :class:`MissingGlyph` and the renderer refuses to print.

Faces (resources/fonts/, see README.md there):
  song  Noto Serif SC (OFL), converted once to TrueType outlines (build_song_ttf.py), then LXGW WenKai
  kai   LXGW WenKai (OFL), then Noto Serif SC
  hei   Noto Sans SC (OFL), converted to TrueType outlines the same way, then LXGW WenKai, Noto Serif SC

Registration costs ~0.05 s per font (reportlab reads the tables lazily); the per-character answer is
cached, so checking a name costs one dict lookup per character.
"""
from __future__ import annotations

import threading
import unicodedata
from functools import lru_cache

from app.core.paths import resource

FONT_FILES = {
    "NotoSerifSC": "NotoSerifSC-Regular-glyf.ttf",
    "LXGWWenKai": "LXGWWenKai-Regular.ttf",
    "NotoSansSC": "NotoSansSC-Regular-glyf.ttf",
}
CHAINS = {
    "song": ("NotoSerifSC", "LXGWWenKai"),
    "kai": ("LXGWWenKai", "NotoSerifSC"),
    "hei": ("NotoSansSC", "LXGWWenKai", "NotoSerifSC"),
}
FACES = tuple(CHAINS)

_lock = threading.Lock()
_registered: dict[str, object] = {}


class MissingGlyph(Exception):
    """No bundled font draws ``char``."""

    def __init__(self, char: str):
        self.char = char
        super().__init__(f"U+{ord(char):04X}")


def _to_unicode_cmap(fontname, subset):
    """reportlab's ToUnicode CMap writes a code point above U+FFFF as 4 hex digits, so 𠮷 (U+20BB7)
    extracts from the PDF as U+20BB; the PDF spec wants UTF-16BE there (a surrogate pair). Same CMap
    otherwise; installed in place of reportlab.pdfbase.ttfonts.makeToUnicodeCMap (see decisions.md)."""
    def hexu(v: int) -> str:
        return chr(v).encode("utf-16-be", "surrogatepass").hex().upper()

    cmap = ["/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap", "/CIDSystemInfo",
            "<< /Registry (%s)" % fontname, "/Ordering (%s)" % fontname, "/Supplement 0", ">> def",
            "/CMapName /%s def" % fontname, "/CMapType 2 def", "1 begincodespacerange",
            "<00> <%02X>" % (len(subset) - 1), "endcodespacerange", "%d beginbfchar" % len(subset)]
    cmap += ["<%02X> <%s>" % (i, hexu(v)) for i, v in enumerate(subset)]
    cmap += ["endbfchar", "endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return "\n".join(cmap)


def font(name: str):
    """The registered reportlab TTFont ``name`` (registered on first use)."""
    f = _registered.get(name)
    if f is None:
        with _lock:
            f = _registered.get(name)
            if f is None:
                from reportlab.pdfbase import pdfmetrics, ttfonts
                from reportlab.pdfbase.ttfonts import TTFont

                ttfonts.makeToUnicodeCMap = _to_unicode_cmap

                f = TTFont(name, str(resource("fonts", FONT_FILES[name])))
                pdfmetrics.registerFont(f)
                _registered[name] = f
    return f


@lru_cache(maxsize=65536)
def _has_glyph(name: str, char: str) -> bool:
    face = font(name).face
    g = face.charToGlyph.get(ord(char))
    if g is None or g == 0:
        return False
    if char.isspace() or unicodedata.category(char) in ("Zs", "Cf"):
        return True
    pos = face.glyphPos
    return g + 1 < len(pos) and pos[g + 1] > pos[g]


def chain(face: str) -> tuple[str, ...]:
    if face in CHAINS:
        return CHAINS[face]
    if face in FONT_FILES:
        return (face,) + tuple(n for n in FONT_FILES if n != face)
    raise KeyError(face)


@lru_cache(maxsize=131072)
def font_for(face: str, char: str) -> str | None:
    """The first font of ``face``'s chain that draws ``char``; None when none does."""
    for name in chain(face):
        if _has_glyph(name, char):
            return name
    return None


def missing(face: str, text: str) -> list[str]:
    """The characters of ``text`` no font of ``face``'s chain draws (each once, in order)."""
    out: list[str] = []
    for ch in text:
        if ch not in out and font_for(face, ch) is None and not _ignorable(ch):
            out.append(ch)
    return out


def _ignorable(ch: str) -> bool:
    return ch in "\r\n\t" or unicodedata.category(ch) == "Cf"


def runs(face: str, text: str) -> list[tuple[str, str]]:
    """``text`` cut into ``[(font name, substring), …]`` so each character is drawn by a font that has it."""
    out: list[tuple[str, str]] = []
    cur_font = None
    start = 0
    for i, ch in enumerate(text):
        f = font_for(face, ch)
        if f is None:
            if _ignorable(ch):
                continue
            raise MissingGlyph(ch)
        if f != cur_font:
            if cur_font is not None:
                out.append((cur_font, text[start:i]))
            cur_font, start = f, i
    if cur_font is not None:
        out.append((cur_font, text[start:]))
    return out


def width(face: str, text: str, size: float) -> float:
    """Advance width of ``text`` in points at ``size`` with the fallback fonts applied."""
    return sum(font(f).stringWidth(s, size) for f, s in runs(face, text))
