"""Drawing templates onto PDF pages with reportlab (no Qt).

Coordinates: templates place everything in mm from the sheet's top-left corner. One affine transform
per page converts that to PDF points (origin bottom-left) *and* applies the printer calibration:

    paper_x = dx + scale * x          paper_y(from top) = dy + scale * y

so fonts, photos, lines and tables move and scale together and the template is never edited for a
printer's quirks. Text: the baseline of a one-line element sits so the em box is centred in the box
(``valign = "middle"``: baseline = box centre + 0.38 em, CJK glyphs span -0.12..0.88 em), or hangs from
the top (baseline = top + 0.88 em) or stands on the bottom (baseline = bottom - 0.12 em).
Shrink-to-fit: a text wider than its box is drawn smaller, down to ``min_size_pt``; if it still does
not fit it is condensed horizontally, so it never leaves its box.
"""
from __future__ import annotations

import dataclasses
import hashlib
import io
import math
import re
import string
from dataclasses import dataclass

from app.printing import cnum, fonts
from app.printing.template import Element, Template

from reportlab.lib.rl_accel import fp_str  # noqa: E402

MM = 72.0 / 25.4
STATIC = ("text", "line", "box", "circle", "ruler", "crosshair")
_TOKENS = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-/]*|.", re.S)
ASCENT, DESCENT, MIDDLE = 0.88, 0.12, 0.38
CELL_PAD_MM = 1.0


@dataclass
class Calibration:
    """Per-printer correction (mm, + = right/down) and scale (1.0 = 100 %)."""
    dx_mm: float = 0.0
    dy_mm: float = 0.0
    scale: float = 1.0

    @classmethod
    def from_marks(cls, nominal1, measured1, nominal2, measured2) -> "Calibration":
        """The correction from two crosshairs of a calibration sheet printed *without* calibration:
        where they should be and where the ruler found them on paper (each ``(x_mm, y_mm)`` from the
        sheet's top-left). The printer maps x to e + p·x (p = measured / nominal distance, e = the
        shift); the correction undoes it: scale = 1/p, offset = nominal1 − scale·measured1."""
        nd = math.dist(nominal1, nominal2)
        md = math.dist(measured1, measured2)
        s = nd / md if md else 1.0
        return cls(dx_mm=nominal1[0] - s * measured1[0], dy_mm=nominal1[1] - s * measured1[1], scale=s)

    def apply(self, x_mm: float, y_mm: float) -> tuple[float, float]:
        """Where a template point lands on paper (mm from the top-left)."""
        return self.dx_mm + self.scale * x_mm, self.dy_mm + self.scale * y_mm


_FMT = string.Formatter()


_COMPILED: dict[str, list] = {}


def _compile(text: str) -> list:
    parts = []
    for literal, fname, spec, _ in _FMT.parse(text):
        parts.append((literal, fname, spec or ""))
    return parts


def fill(text: str, record: dict, blank: str = "") -> str:
    """``text`` with its {placeholders} filled from ``record``; an empty value prints ``blank``."""
    if "{" not in text:
        return text
    parts = _COMPILED.get(text)
    if parts is None:
        parts = _COMPILED[text] = _compile(text)
    out = []
    for literal, fname, spec in parts:
        if literal:
            out.append(literal)
        if fname is None:
            continue
        v = record.get(fname)
        if v is None or v == "":
            out.append(blank)
            continue
        if spec:
            v = cnum.fmt_date(v, spec) if spec in cnum.STYLES else format(v, spec)
        else:
            v = str(v)
        out.append(v or blank)
    return "".join(out)


HANGING = set("\uff0c\u3002\u3001\uff1b\uff1a\uff1f\uff01\uff09\u300b\u300d\u300f\u201d\u2019,.;:?!)")


class Painter:
    """Draws one template's elements on a reportlab canvas; collects what went wrong."""

    def __init__(self, canvas, *, overlay: bool, calibration: Calibration | None):
        self.c = canvas
        self.overlay = overlay
        self.cal = calibration or Calibration()
        self._jpeg_names: dict[bytes, str] = {}
        self._jpeg_size: dict[str, tuple[int, int]] = {}
        self._jpeg_digest: dict[str, str] = {}
        self._static: dict[int, list[str]] = {}
        self.glyph_problems: list[tuple] = []  # (character, element, whose row, field at the time)
        self.row_label = ""
        self.overflow: list[Element] = []

    # ------------------------------------------------------------------ page set-up
    def begin_page(self, t: Template) -> None:
        w, h = t.page_size_mm
        self.c.setPageSize((w * MM, h * MM))
        self.h_pt = h * MM
        s = self.cal.scale
        if self.cal.dx_mm or self.cal.dy_mm or s != 1.0:
            self.c.translate(self.cal.dx_mm * MM, self.h_pt * (1 - s) - self.cal.dy_mm * MM)
            if s != 1.0:
                self.c.scale(s, s)

    def end_page(self) -> None:
        self.c.showPage()

    def Y(self, y_mm: float) -> float:
        return self.h_pt - y_mm * MM

    # ------------------------------------------------------------------ elements
    def draw(self, t: Template, record: dict, photo: bytes | None = None, rows=None, row_slice=None) -> None:
        code = self.c._code
        for e in t.elements:
            if e.art and self.overlay:
                continue
            kind = e.type
            if kind in STATIC and not e.placeholders:
                # the same on every page: drawn once, its PDF operators reused (fonts stay registered)
                cached = self._static.get(id(e))
                if cached is None:
                    n = len(code)
                    self._draw_one(e, t, record, photo, rows, row_slice)
                    self._static[id(e)] = cached = code[n:]
                    continue
                code.extend(cached)
                continue
            self._draw_one(e, t, record, photo, rows, row_slice)

    def _draw_one(self, e, t, record, photo, rows, row_slice) -> None:
        kind = e.type
        if True:
            if kind == "text":
                self.text(e, fill(e.text, record, e.blank))
            elif kind == "photo":
                if photo and e.print_photo:
                    self.photo(e, photo)
                elif not self.overlay:
                    self.box(e)
            elif kind == "table":
                self.table(e, rows or [], row_slice)
            elif kind == "line":
                self.line(e)
            elif kind == "box":
                self.box(e)
            elif kind == "circle":
                self.circle(e)
            elif kind == "qr":
                self.qr(e, fill(e.text, record))
            elif kind == "image":
                self.image(e, t)
            elif kind == "ruler":
                self.ruler(e)
            elif kind == "crosshair":
                self.crosshair(e)
            elif kind == "template_boxes":
                pass  # expanded by the calibration sheet builder

    def _runs(self, e: Element, text: str):
        try:
            return fonts.runs(e.font, text)
        except fonts.MissingGlyph as exc:
            self.glyph_problems.append((exc.char, e, self.row_label, e.field))
            return None

    def _width(self, runs, size: float, spacing_pt: float) -> float:
        n = sum(len(s) for _, s in runs)
        return sum(fonts.font(f).stringWidth(s, size) for f, s in runs) + spacing_pt * max(n - 1, 0)

    def text(self, e: Element, text: str, *, box=None) -> None:
        if not text:
            return
        if e.wrap or "\n" in text:
            if box is not None:  # a table cell of several lines: the paragraph fills the cell
                e = dataclasses.replace(e, x=box[0], y=box[1], w=box[2], h=box[3], valign="middle")
            return self._paragraph(e, text)
        x, y, w, h = box or (e.x, e.y, e.w, e.h)
        runs = self._runs(e, text)
        if runs is None:
            return
        spacing = e.letter_spacing_mm * MM
        size = e.size_pt
        w_pt = w * MM
        width = self._width(runs, size, spacing)
        hscale = 100.0
        if width > w_pt:
            size = max(e.min_size_pt, size * w_pt / width * 0.999)
            width = self._width(runs, size, spacing * size / e.size_pt)
            spacing = spacing * size / e.size_pt
            if width > w_pt:
                hscale = 100.0 * w_pt / width * 0.999
                width = w_pt
        if e.align == "left":
            x_pt = x * MM
        elif e.align == "right":
            x_pt = (x + w) * MM - width
        else:
            x_pt = (x + w / 2) * MM - width / 2
        if e.valign == "top":
            base = self.Y(y) - ASCENT * size
        elif e.valign == "bottom":
            base = self.Y(y + h) + DESCENT * size
        else:
            base = self.Y(y + h / 2) - MIDDLE * size
        self._emit(runs, x_pt, base, size, spacing, hscale)

    def _emit(self, runs, x_pt, base, size, spacing, hscale):
        """One BT…ET text object; TrueType subsets as reportlab's own text object writes them (subset
        font names, byte codes), without its per-call object overhead. Tc/Tz are reset after use:
        they are graphics state and would leak into the next text."""
        doc = self.c._doc
        esc = self.c._escape
        out = [f"BT 1 0 0 1 {fp_str(x_pt)} {fp_str(base)} Tm"]
        if hscale != 100.0:
            out.append(f"{fp_str(hscale)} Tz")
        if spacing:
            out.append(f"{fp_str(spacing)} Tc")
        fsize = fp_str(size)
        for fname, s in runs:
            font = fonts.font(fname)
            for subset, t in font.splitString(s, doc):
                out.append(f"{font.getSubsetInternalName(subset, doc)} {fsize} Tf ({esc(t)}) Tj")
        if hscale != 100.0:
            out.append("100 Tz")
        if spacing:
            out.append("0 Tc")
        out.append("ET")
        self.c._code.append(" ".join(out))

    def _wrap(self, text: str, width_of, size: float, w_pt: float) -> list[str]:
        """Break at any CJK character; keep runs of Latin letters and digits (numbers, ID numbers) whole
        unless one alone is wider than the line; closing punctuation may hang past the edge."""
        lines = []
        for para in text.split("\n"):
            cur = ""
            cur_w = 0.0
            for tok in _TOKENS.findall(para):
                tw = sum(width_of(ch, size) for ch in tok)
                if cur and cur_w + tw > w_pt and tok not in HANGING:
                    if len(tok) > 1 and tw > w_pt:   # a token longer than a line: break it anywhere
                        for ch in tok:
                            cw = width_of(ch, size)
                            if cur and cur_w + cw > w_pt:
                                lines.append(cur)
                                cur, cur_w = "", 0.0
                            cur += ch
                            cur_w += cw
                        continue
                    lines.append(cur)
                    cur, cur_w = "", 0.0
                cur += tok
                cur_w += tw
            lines.append(cur)
        return lines

    def _paragraph(self, e: Element, text: str) -> None:
        if self._runs(e, text.replace("\n", "")) is None:
            return
        w_pt, h_pt = e.w * MM, e.h * MM

        def char_w(ch, size):
            f = fonts.font_for(e.font, ch)
            return fonts.font(f).stringWidth(ch, size) if f else 0.0

        size = e.size_pt
        while True:
            lines = self._wrap(text, char_w, size, w_pt)
            need = size * (ASCENT + DESCENT) + size * e.line_height * (len(lines) - 1)
            if need <= h_pt or size <= e.min_size_pt:
                break
            size = max(e.min_size_pt, size - 0.5)
        if need > h_pt + 0.01:
            self.overflow.append(e)
        base = self.Y(e.y) - ASCENT * size
        if e.valign == "middle":
            base -= (h_pt - need) / 2
        elif e.valign == "bottom":
            base -= h_pt - need
        for line in lines:
            if line:
                runs = fonts.runs(e.font, line)
                width = self._width(runs, size, 0.0)
                if e.align == "left":
                    x_pt = e.x * MM
                elif e.align == "right":
                    x_pt = (e.x + e.w) * MM - width
                else:
                    x_pt = (e.x + e.w / 2) * MM - width / 2
                self._emit(runs, x_pt, base, size, 0.0, 100.0)
            base -= size * e.line_height

    def _stroke(self, e: Element) -> None:
        self.c.setLineWidth(e.width_mm * MM)
        self.c.setDash([d * MM for d in e.dash] if e.dash else [])

    def line(self, e: Element) -> None:
        self._stroke(e)
        self.c.line(e.x * MM, self.Y(e.y), e.x2 * MM, self.Y(e.y2))

    def box(self, e: Element) -> None:
        self._stroke(e)
        self.c.rect(e.x * MM, self.Y(e.y + e.h), e.w * MM, e.h * MM, stroke=1, fill=0)

    def circle(self, e: Element) -> None:
        self._stroke(e)
        self.c.circle(e.x * MM, self.Y(e.y), e.r * MM, stroke=1, fill=0)

    def photo(self, e: Element, data: bytes) -> None:
        name = self._jpeg_names.get(data)
        if name is None:
            name = self._register_jpeg(data)
            if name is None:
                return
            self._jpeg_names[data] = name
        iw, ih = self._jpeg_size[name]
        # crop to the box's shape (never stretch): cover the box, clip to it
        s = max(e.w / iw, e.h / ih)
        dw, dh = iw * s, ih * s
        c = self.c
        c.saveState()
        p = c.beginPath()
        p.rect(e.x * MM, self.Y(e.y + e.h), e.w * MM, e.h * MM)
        c.clipPath(p, stroke=0, fill=0)
        c.translate((e.x + (e.w - dw) / 2) * MM, self.Y(e.y + (e.h + dh) / 2))
        c.scale(dw * MM, dh * MM)
        c._code.append(f"/{name} Do")
        c._formsinuse.append(self._jpeg_digest[name])
        c._currentPageHasImages = 1
        c.restoreState()

    def _register_jpeg(self, data: bytes) -> str | None:
        """Embed the JPEG bytes as they are (DCTDecode, no re-encoding), once per distinct photo."""
        from reportlab.pdfbase import pdfdoc

        c = self.c
        digest = "ph" + hashlib.md5(data).hexdigest()
        reg = c._doc.getXObjectName(digest)
        if c._doc.idToObject.get(reg) is None:
            obj = pdfdoc.PDFImageXObject(digest, source=None)
            if not obj.loadImageFromJPEG(io.BytesIO(data)):
                from reportlab.lib.utils import ImageReader

                obj = pdfdoc.PDFImageXObject(digest, ImageReader(io.BytesIO(data)))
            obj.name = digest
            c._setXObjects(obj)
            c._doc.Reference(obj, reg)
            c._doc.addForm(digest, obj)
            self._jpeg_size[reg] = (obj.width, obj.height)
            self._jpeg_digest[reg] = digest
        return reg

    def qr(self, e: Element, value: str) -> None:
        """QR code (error correction M, the encoder's best mask), dark modules as one filled path:
        a run of dark modules in a row is one rectangle."""
        if not value:
            return
        from reportlab.graphics.barcode import qrencoder

        q = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
        q.addData(value)
        q.make()
        n = q.getModuleCount()
        box = e.w * MM / n
        x0, top = e.x * MM, self.Y(e.y)
        c = self.c
        c.setFillGray(0)
        p = c.beginPath()
        for r, row in enumerate(q.modules):
            col = 0
            while col < n:
                if row[col]:
                    start = col
                    while col < n and row[col]:
                        col += 1
                    p.rect(x0 + start * box, top - (r + 1) * box, (col - start) * box, box)
                else:
                    col += 1
        c.drawPath(p, stroke=0, fill=1)

    def image(self, e: Element, t: Template) -> None:
        base = t.path.parent if t.path else None
        p = (base / e.path) if base else None
        if p is None or not p.exists():
            return
        self.c.drawImage(str(p), e.x * MM, self.Y(e.y + e.h), e.w * MM, e.h * MM, mask="auto")

    def ruler(self, e: Element) -> None:
        c = self.c
        c.setLineWidth(0.15)
        c.setDash([])
        n = int(e.length)
        label = Element("text", font="hei", size_pt=6, min_size_pt=4, align="center")
        for i in range(n + 1):
            tick = 5.0 if i % 10 == 0 else 3.0 if i % 5 == 0 else 1.5
            if e.edge == "top":
                x = e.x + i
                c.line(x * MM, self.Y(e.y), x * MM, self.Y(e.y + tick))
                if i % 10 == 0 and i:
                    self.text(label, str(i), box=(x - 4, e.y + 5, 8, 3))
            else:
                y = e.y + i
                c.line(e.x * MM, self.Y(y), (e.x + tick) * MM, self.Y(y))
                if i % 10 == 0 and i:
                    self.text(label, str(i), box=(e.x + 5.5, y - 1.5, 8, 3))

    def crosshair(self, e: Element) -> None:
        c = self.c
        c.setLineWidth(0.15)
        c.setDash([])
        r = e.r / 2
        c.line((e.x - r) * MM, self.Y(e.y), (e.x + r) * MM, self.Y(e.y))
        c.line(e.x * MM, self.Y(e.y - r), e.x * MM, self.Y(e.y + r))
        c.circle(e.x * MM, self.Y(e.y), r / 2 * MM, stroke=1, fill=0)
        label = Element("text", font="hei", size_pt=6, min_size_pt=4, align="left")
        self.text(label, e.text or f"({e.x:g}, {e.y:g})", box=(e.x + 1, e.y + 0.8, 24, 3))

    def table(self, e: Element, rows: list[dict], row_slice) -> None:
        start, stop = row_slice or (0, len(rows))
        c = self.c
        c.setDash([])
        c.setLineWidth(e.width_mm * MM)
        head = Element("text", font=e.header_font or e.font, size_pt=e.size_pt, min_size_pt=e.min_size_pt,
                       align="center")
        cell = Element("text", font=e.font, size_pt=e.size_pt, min_size_pt=e.min_size_pt)
        total_w = sum(col["w"] for col in e.columns)
        n = stop - start
        bottom = e.y + e.header_h + e.row_h * n
        # grid
        c.line(e.x * MM, self.Y(e.y), (e.x + total_w) * MM, self.Y(e.y))
        c.line(e.x * MM, self.Y(e.y + e.header_h), (e.x + total_w) * MM, self.Y(e.y + e.header_h))
        for i in range(1, n + 1):
            yy = e.y + e.header_h + e.row_h * i
            c.line(e.x * MM, self.Y(yy), (e.x + total_w) * MM, self.Y(yy))
        x = e.x
        c.line(x * MM, self.Y(e.y), x * MM, self.Y(bottom))
        for col in e.columns:
            head_lines = col["header"].count("\n") + 1
            if head_lines > 1:
                hd = Element("text", font=head.font, size_pt=head.size_pt, min_size_pt=head.min_size_pt,
                             align="center", x=x + CELL_PAD_MM / 2, y=e.y + 0.5, w=col["w"] - CELL_PAD_MM,
                             h=e.header_h - 1, line_height=1.15)
                self._paragraph(hd, col["header"])
            else:
                self.text(head, col["header"], box=(x + CELL_PAD_MM / 2, e.y, col["w"] - CELL_PAD_MM, e.header_h))
            x += col["w"]
            c.line(x * MM, self.Y(e.y), x * MM, self.Y(bottom))
        y = e.y + e.header_h
        for r in rows[start:stop]:
            x = e.x
            self.row_label = r.get("name", "")
            for col in e.columns:
                cell.align = col["align"]
                cell.field = col["field"]
                v = fill(col["text"], r)
                if v:
                    self.text(cell, v, box=(x + CELL_PAD_MM, y, col["w"] - 2 * CELL_PAD_MM, e.row_h))
                x += col["w"]
            y += e.row_h
        self.row_label = ""


def rows_per_page(e: Element) -> int:
    return max(1, int((e.bottom - e.y - e.header_h) // e.row_h + 1e-9))
