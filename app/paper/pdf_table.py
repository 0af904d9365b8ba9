"""A plain table PDF (reportlab, bundled fonts): A4 landscape, wrapped cells, the header repeated on each
page, page numbers. The discrepancy list and the semester review report print through it.

    pages = pdf_table("差异.pdf", "标题", ["学校：…"], ["甲", "乙"], (30, 150), rows, footer="签字：")
"""
from __future__ import annotations

from pathlib import Path

from app.core.errors import INVALID, Finding, Refused
from app.core.i18n import tr


def pdf_table(out, title: str, meta: list[str], headers: list[str], widths_mm, rows: list[list[str]],
              footer: str = "") -> int:
    """A4 landscape table with wrapped cells, repeated header, page numbers; written atomically. Returns pages.
    A character no bundled font draws refuses the print (never a box)."""
    import os
    import tempfile

    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    from app.core.fsutil import discard_on_error
    from app.printing import fonts

    for text in [title, footer, *meta, *headers, *(c for r in rows for c in r)]:
        bad = fonts.missing("song", str(text))
        if bad:
            raise Refused([Finding("PRINT.GLYPH", tr("review.print.missing_glyph", char=bad[0], text=str(text)[:40]),
                                   field=tr("label.file"), outcome=INVALID)])
    out = Path(out)
    W, H = landscape(A4)
    margin = 12 * mm
    ws = [w * mm for w in widths_mm]
    scale = (W - 2 * margin) / sum(ws)
    ws = [w * scale for w in ws]
    size, lead = 9.0, 11.5

    def draw(c, x, y, text, sz, face="song"):
        for fname, part in fonts.runs(face, text):
            fonts.font(fname)
            c.setFont(fname, sz)
            c.drawString(x, y, part)
            x += fonts.font(fname).stringWidth(part, sz)

    def wrap(text: str, width: float) -> list[str]:
        lines = []
        for para in str(text).split("\n"):
            cur = ""
            for ch in para:
                if cur and fonts.width("song", cur + ch, size) > width - 4:
                    lines.append(cur)
                    cur = ch
                else:
                    cur += ch
            lines.append(cur)
        return lines or [""]

    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".pdf", dir=out.parent if out.parent.exists() else None)
    os.close(fd)
    pages = 0
    with discard_on_error(tmp):
        c = canvas.Canvas(tmp, pagesize=(W, H))
        c.setTitle(title)

        def header_block() -> float:
            """Title, meta lines and the column heads; returns the top of the first row."""
            nonlocal pages
            pages += 1
            y = H - margin - 14
            draw(c, margin, y, title, 15)
            y -= 18
            for m in meta:
                draw(c, margin, y, m, 9.5)
                y -= 13
            top = y - 2
            c.setLineWidth(0.6)
            c.line(margin, top, W - margin, top)
            x = margin
            for h, w in zip(headers, ws):
                draw(c, x + 2, top - size - 2, h, size)
                x += w
            top -= lead + 4
            c.line(margin, top, W - margin, top)
            return top

        def footer_page() -> None:
            draw(c, W - margin - 40, margin - 2, tr("review.print.page", page=pages), 8)
            c.showPage()

        top = header_block()
        for row in rows:
            cells = [wrap(v, w) for v, w in zip(row, ws)]
            height = max(len(x) for x in cells) * lead + 4
            if top - height < margin + 20:
                footer_page()
                top = header_block()
            x = margin
            for lines, w in zip(cells, ws):
                yy = top - size - 2
                for ln in lines:
                    draw(c, x + 2, yy, ln, size)
                    yy -= lead
                x += w
            top -= height
            c.setLineWidth(0.2)
            c.line(margin, top, W - margin, top)
        if footer:
            if top < margin + 40:
                footer_page()
                top = header_block()
            draw(c, margin, top - 24, footer, 10)
        footer_page()
        c.save()
        os.replace(tmp, out)
    return pages
