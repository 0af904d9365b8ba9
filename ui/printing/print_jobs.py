"""Printing work off the GUI thread, and the page images every print uses.

- ``PdfPages``: a PDF opened with QtPdf; ``image(i, dpi)`` renders page ``i`` (QPdfDocument.render). The
  preview, the printer and the calibration dialog all draw these images of the SAME PDF file, so what
  the screen shows is what goes to paper.
- ``render_draft``: a preview PDF without writing to the archive (certificates not yet issued show a
  placeholder number).
- ``print_pdf``: draws each page image at the printer's resolution on a QPrinter (full page, 100 %: the
  PDF's page size in mm, no fit-to-page). QPainter on a QPrinter is allowed on a worker thread.
- ``batch_print``: one job for a whole class: render the final PDF (issuing missing certificate
  numbers in its transaction, app.printing.service) with progress and cancel, then send it to the printer.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from PySide6.QtCore import QMarginsF, QSize, QSizeF
from PySide6.QtGui import QColor, QImage, QPageLayout, QPageSize, QPainter
from PySide6.QtPdf import QPdfDocument

from ui.common.i18n import tr

MM_PER_PT = 25.4 / 72.0
MAX_PRINT_DPI = 600


class PdfError(Exception):
    pass


class PdfPages:
    """A PDF file's pages as images (QtPdf). One per thread: QPdfDocument is a QObject."""

    def __init__(self, path: str | os.PathLike):
        self.path = str(path)
        self.doc = QPdfDocument(None)
        err = self.doc.load(self.path)
        if err != QPdfDocument.Error.None_:
            raise PdfError(tr("printui.pdf_unreadable", path=self.path, error=str(err)))

    @property
    def count(self) -> int:
        return self.doc.pageCount()

    def size_pt(self, i: int) -> QSizeF:
        return self.doc.pagePointSize(i)

    def size_mm(self, i: int) -> tuple[float, float]:
        s = self.size_pt(i)
        return s.width() * MM_PER_PT, s.height() * MM_PER_PT

    def image(self, i: int, dpi: float) -> QImage:
        s = self.size_pt(i)
        px = QSize(max(1, round(s.width() / 72.0 * dpi)), max(1, round(s.height() / 72.0 * dpi)))
        img = self.doc.render(i, px)
        if img.isNull():
            raise PdfError(tr("printui.page_unrenderable", page=i + 1))
        if img.hasAlphaChannel():  # transparent background → white paper
            flat = QImage(img.size(), QImage.Format.Format_RGB32)
            flat.fill(QColor("white"))
            p = QPainter(flat)
            p.drawImage(0, 0, img)
            p.end()
            img = flat
        return img

    def close(self) -> None:
        self.doc.close()


def temp_pdf(prefix: str = "xueji-print-") -> str:
    fd, path = tempfile.mkstemp(prefix=prefix, suffix=".pdf")
    os.close(fd)
    return path


def render_draft(session, kind: str, out: str, *, student_ids=None, class_id=None, school_year=None,
                 overlay=False, calibration=None, progress=None, cancel=None, mask_ids=False):
    """A preview PDF: nothing is written to the archive. Certificate kinds show each student's current
    number, or a placeholder where printing will issue one."""
    from app.core.errors import Refused
    from app.printing import renderer as printing
    from app.printing import service as ps

    kw = {}
    ids = list(student_ids) if student_ids else None
    to_issue, skipped = 0, []
    if kind in printing.CERT_KINDS:
        # the print's own plan chooses the students and numbers; the rules are checked when printing issues
        plan = ps.plan_print(session, kind, student_ids=ids, class_id=class_id, school_year=school_year, check=False)
        if not plan.would_print:
            raise Refused(plan.refused)  # nobody to print: the preview says what the print would say
        ids, skipped, to_issue = plan.student_ids, plan.skipped, plan.to_issue
        kw["numbers"] = {sid: n or tr("printui.number_placeholder") for sid, n in plan.numbers.items()}
        class_id = school_year = None
    elif kind == "issuance-register":
        kw["register_rows"] = ps.register_rows(session, school_year=int(school_year) if school_year else None)
    cal = ps.resolve_calibration(session, calibration)
    res = printing.render(session, kind, out, student_ids=ids, class_id=class_id, school_year=school_year,
                          overlay=overlay, calibration=cal, progress=progress, cancel=cancel,
                          mask_ids=mask_ids and kind not in printing.CERT_KINDS, **kw)
    res.to_issue, res.skipped = to_issue, skipped
    return res


def setup_printer(printer, pages: PdfPages) -> None:
    """Full page, exact paper size of the PDF, no margins: 100 % (never fit-to-page)."""
    from PySide6.QtPrintSupport import QPrinter

    w, h = pages.size_mm(0)
    printer.setFullPage(True)
    size = QPageSize(QSizeF(min(w, h), max(w, h)), QPageSize.Unit.Millimeter, "", QPageSize.SizeMatchPolicy.FuzzyMatch)
    orient = QPageLayout.Orientation.Landscape if w > h else QPageLayout.Orientation.Portrait
    printer.setPageLayout(QPageLayout(size, orient, QMarginsF(0, 0, 0, 0), QPageLayout.Unit.Millimeter))
    if printer.outputFormat() == QPrinter.OutputFormat.PdfFormat:
        printer.setResolution(min(printer.resolution(), 300))


def print_pdf(printer, path: str, *, progress=None, cancel=None, first: int = 0, last: int | None = None) -> int:
    """Send pages ``first..last`` of the PDF to ``printer`` as images at its resolution; returns pages sent."""
    pages = PdfPages(path)
    try:
        n = pages.count
        last = n - 1 if last is None else min(last, n - 1)
        setup_printer(printer, pages)
        dpi = min(printer.resolution(), MAX_PRINT_DPI)
        painter = QPainter()
        if not painter.begin(printer):
            raise PdfError(tr("printui.printer_unavailable", printer=printer.printerName() or "PDF"))
        sent = 0
        try:
            for i in range(first, last + 1):
                if cancel and cancel():
                    printer.abort()
                    break
                if i > first:
                    printer.newPage()
                img = pages.image(i, dpi)
                target = painter.viewport()  # the whole sheet: FullPage, no margins
                painter.drawImage(target, img)
                sent += 1
                if progress:
                    progress(sent, last - first + 1)
        finally:
            painter.end()
        return sent
    finally:
        pages.close()


def batch_print(session, kind: str, out: str, printer=None, *, class_id=None, student_ids=None, school_year=None,
                overlay=False, calibration=None, progress=None, cancel=None, mask_ids=False):
    """Render the final PDF (issuing missing numbers) and, with a printer, send it: one job, one progress
    (rendering counts as the first half when a printer is given)."""
    from app.printing import service as ps

    def half(done, total):
        if progress:
            progress(done, total * 2) if printer is not None else progress(done, total)

    res = ps.print_document(session, kind, out, student_ids=student_ids, class_id=class_id, school_year=school_year,
                            overlay=overlay, calibration=calibration, progress=half, cancel=cancel,
                            mask_ids=mask_ids)
    if printer is not None:
        total = res.pages

        def second(done, _t):
            if progress:
                progress(total + done, total * 2)

        res.sent = print_pdf(printer, res.path, progress=second, cancel=cancel)
    return res


def with_suffix_pdf(path: str) -> str:
    p = Path(path)
    return str(p if p.suffix.lower() == ".pdf" else p.with_name(p.name + ".pdf"))
