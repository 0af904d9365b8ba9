"""Build-time, run once: NotoSerifSC-Regular.otf (CFF outlines) -> NotoSerifSC-Regular-glyf.ttf.

reportlab embeds only TrueType (glyf) outlines, so the Song face for certificates is Noto Serif SC
(SIL OFL 1.1, from PyPI ``pylopdf-fonts-zh-cn==0.1.1``, unmodified upstream 2.x release) subset to the
ranges names and certificate texts use, then converted from cubic (CFF) to quadratic (glyf) outlines
with fontTools' cu2qu. Renamed to "Noto Serif SC Glyf" is not needed: OFL allows modified versions
under the same name as long as the Reserved Font Name rule is kept — Noto has no Reserved Font Name.

Usage:  .venv/bin/python resources/fonts/build_song_ttf.py PATH/TO/NotoSerifSC-Regular.otf
Takes about a minute and ~0.5 GB of memory; the result is committed, nothing runs at program start.
"""
from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable

UNICODES = (
    "U+0020-007E,U+00A0-017F,U+02C7-02DD,U+2000-206F,U+20AC,U+2100-218F,U+2190-21FF,U+2460-24FF,"
    "U+2500-25FF,U+2600-26FF,U+3000-303F,U+3200-33FF,U+3400-4DBF,U+4E00-9FFF,U+F900-FAFF,U+FE30-FE4F,"
    "U+FF00-FFEF"
)
MAX_ERR = 1.0  # font units (of 1000): invisible at any print size
OUT = Path(__file__).with_name("NotoSerifSC-Regular-glyf.ttf")


def convert(src: Path, out: Path = OUT) -> None:
    opts = subset.Options()
    opts.name_IDs = ["*"]          # keep the licence text (name IDs 13/14)
    opts.name_languages = ["*"]
    opts.layout_features = ["*"]
    opts.notdef_outline = True
    font = TTFont(src)
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=subset.parse_unicodes(UNICODES))
    sub.subset(font)

    glyph_order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = glyph_order
    glyf.glyphs = {}
    for name in glyph_order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, MAX_ERR, reverse_direction=True))
        glyf.glyphs[name] = pen.glyph()
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for attr in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                 "maxStackElements", "maxSizeOfInstructions", "maxComponentElements"):
        setattr(maxp, attr, 0)
    maxp.maxZones = 1
    maxp.maxComponentDepth = 0
    post = font["post"]
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = glyph_order
    for tag in ("CFF ", "VORG"):
        if tag in font:
            del font[tag]
    font["head"].glyphDataFormat = 0
    font.sfntVersion = "\x00\x01\x00\x00"
    font.save(out)


if __name__ == "__main__":
    convert(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else OUT)
    print(OUT)
