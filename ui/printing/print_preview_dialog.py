"""Print preview: page images of the PDF (QtPdf), zoom, page through; print through QPrinter and the
system print dialog, save as PDF; the calibration in use can be changed and is seen at once.

The preview PDF is rendered on the archive worker thread without writing anything (ui.printing.print_jobs.
render_draft). Printing or saving renders the final PDF (app.printing.service: certificate numbers issued in
its transaction) and sends THAT file's page images to the printer; the preview then shows it.
"""
from __future__ import annotations

import os

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QFileDialog, QHBoxLayout, QLabel, QPushButton,
                               QScrollArea, QSizePolicy, QVBoxLayout)

from ui.common import messages
from ui.printing import print_jobs as pj
from ui.common.i18n import tr
from ui.common.workers import run_job, run_with_progress

ZOOMS = (0.25, 0.35, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
SCREEN_DPI = 96.0


def kind_label(kind: str) -> str:
    from app.printing.service import KIND_TITLES

    return KIND_TITLES.get(kind, kind)


class PrintPreviewDialog(QDialog):
    """``PrintPreviewDialog(session, kind, student_ids=…|class_id=…|school_year=…, parent)``."""

    rendered = Signal()  # a new PDF is shown (tests wait for it)

    def __init__(self, session, kind: str, *, student_ids=None, class_id=None, school_year=None, parent=None,
                 after_write=None, event_ids=None):
        super().__init__(parent)
        self.session = session
        self.kind = kind
        self.event_ids = list(event_ids) if event_ids else None  # change-form: the events whose forms print
        self.student_ids = list(student_ids) if student_ids else None
        self.class_id = class_id
        self.school_year = school_year
        self.after_write = after_write
        self.pdf_path: str | None = None
        self.final = False           # the PDF shown is the printed one (numbers issued)
        self.pages: pj.PdfPages | None = None
        self.page = 0
        self.zoom_i = 2
        self.job = None
        self._temps: list[str] = []
        self._pending = False
        self._fitted = False
        self.setWindowTitle(tr("printui.preview_title", kind=kind_label(kind)))
        self.resize(980, 860)
        self._build()
        self.refresh()

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        from app.printing import service as ps
        from app.printing import renderer as printing

        top = QHBoxLayout()
        self.overlay_box = QCheckBox(tr("printui.overlay"))
        self.overlay_box.setToolTip(tr("printui.overlay_tip"))
        self.overlay_box.toggled.connect(self.refresh)
        self.cal_combo = QComboBox()
        self.cal_combo.addItem(tr("printui.no_calibration"), None)
        for name in ps.list_calibrations(self.session):
            self.cal_combo.addItem(name, name)
        self.cal_combo.currentIndexChanged.connect(self.refresh)
        self.cal_button = QPushButton(tr("printui.calibrate"))
        self.cal_button.clicked.connect(self.open_calibration)
        top.addWidget(self.overlay_box)
        # rosters and forms for a head teacher or a notice board: ID numbers masked (国家 第二十五条)
        self.mask_box = QCheckBox(tr("printui.mask_ids"))
        self.mask_box.setObjectName("mask_ids")
        self.mask_box.setToolTip(tr("printui.mask_ids_tip"))
        self.mask_box.setVisible(self.kind not in printing.CERT_KINDS and not self.event_ids)
        self.mask_box.toggled.connect(self.refresh)
        top.addWidget(self.mask_box)
        top.addSpacing(12)
        top.addWidget(QLabel(tr("printui.calibration")))
        top.addWidget(self.cal_combo, 1)
        top.addWidget(self.cal_button)

        nav = QHBoxLayout()
        self.prev_button = QPushButton(tr("printui.prev_page"))
        self.next_button = QPushButton(tr("printui.next_page"))
        self.page_label = QLabel()
        self.zoom_out = QPushButton(tr("printui.zoom_out"))
        self.zoom_in = QPushButton(tr("printui.zoom_in"))
        self.zoom_label = QLabel()
        for b, fn in ((self.prev_button, lambda: self.go(self.page - 1)),
                      (self.next_button, lambda: self.go(self.page + 1)),
                      (self.zoom_out, lambda: self.set_zoom(self.zoom_i - 1)),
                      (self.zoom_in, lambda: self.set_zoom(self.zoom_i + 1))):
            b.clicked.connect(fn)
        nav.addWidget(self.prev_button)
        nav.addWidget(self.page_label)
        nav.addWidget(self.next_button)
        nav.addStretch(1)
        nav.addWidget(self.zoom_out)
        nav.addWidget(self.zoom_label)
        nav.addWidget(self.zoom_in)

        self.image = QLabel()
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.scroll = QScrollArea()
        self.scroll.setWidget(self.image)
        self.scroll.setWidgetResizable(False)
        self.scroll.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.scroll.setStyleSheet("QScrollArea { background: #808080; }")

        self.status = QLabel()
        self.status.setWordWrap(True)
        bottom = QHBoxLayout()
        self.print_button = QPushButton(tr("printui.print"))
        self.save_button = QPushButton(tr("printui.save_pdf"))
        self.close_button = QPushButton(tr("common.close"))
        self.print_button.clicked.connect(self.print_)
        self.save_button.clicked.connect(self.save_pdf)
        self.close_button.clicked.connect(self.reject)
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.save_button)
        bottom.addWidget(self.print_button)
        bottom.addWidget(self.close_button)

        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addLayout(nav)
        lay.addWidget(self.scroll, 1)
        lay.addLayout(bottom)
        # kept on self, connected through ``activated=`` as the other dialogs do: their wrappers live exactly as
        # long as the dialog
        self._shortcuts = [QShortcut(QKeySequence(key), self, activated=fn) for key, fn in (
            (Qt.Key.Key_PageDown, lambda: self.go(self.page + 1)), (Qt.Key.Key_PageUp, lambda: self.go(self.page - 1)),
            (QKeySequence.StandardKey.ZoomIn, lambda: self.set_zoom(self.zoom_i + 1)),
            (QKeySequence.StandardKey.ZoomOut, lambda: self.set_zoom(self.zoom_i - 1)))]
        self._update_nav()

    # ------------------------------------------------------------------ state
    @property
    def overlay(self) -> bool:
        return self.overlay_box.isChecked()

    @property
    def mask_ids(self) -> bool:
        return not self.mask_box.isHidden() and self.mask_box.isChecked() if hasattr(self, "mask_box") else False

    @property
    def calibration(self) -> str | None:
        return self.cal_combo.currentData()

    def select_calibration(self, name: str | None) -> None:
        i = self.cal_combo.findData(name)
        if i < 0 and name:
            self.cal_combo.addItem(name, name)
            i = self.cal_combo.count() - 1
        self.cal_combo.setCurrentIndex(max(i, 0))

    def _busy(self, on: bool) -> None:
        for w in (self.print_button, self.save_button, self.overlay_box, self.cal_combo, self.cal_button):
            w.setEnabled(not on)

    # ------------------------------------------------------------------ rendering
    def refresh(self) -> None:
        """Render the preview PDF again (on the archive worker); a request while one runs is queued."""
        if self.job is not None and not self.job.delivered:
            self._pending = True
            return
        path = pj.temp_pdf(self.TEMP_PREFIX)
        self._temps.append(path)
        self.status.setText(tr("printui.rendering"))
        self._busy(True)
        kw = self._options()
        self.job = run_job(lambda progress, cancel: self._render_preview(path, progress, cancel, **kw),
                           on_done=lambda res: self._show(path, res, final=False), on_error=self._failed)

    TEMP_PREFIX = "xueji-print-"

    def _options(self) -> dict:
        """What the document is drawn from, read on the GUI thread before a job starts."""
        return dict(student_ids=self.student_ids, class_id=self.class_id, school_year=self.school_year,
                    overlay=self.overlay, calibration=self.calibration, mask_ids=self.mask_ids)

    def _render_preview(self, path, progress, cancel, **kw):
        """The preview PDF (worker thread): writes nothing to the archive. Subclasses draw other documents."""
        if self.event_ids:  # a form writes nothing to the archive: the draft is the document itself
            return self._render_forms(path, progress, cancel, **kw)
        return pj.render_draft(self.session, self.kind, path, progress=progress, cancel=cancel, **kw)

    def _render_final(self, out, printer, progress, cancel, **kw):
        """The final PDF (worker thread, issuing numbers) and, with a printer, the print."""
        if self.event_ids:
            res = self._render_forms(out, progress, cancel, **kw)
            if printer is not None:
                res.sent = pj.print_pdf(printer, res.path, cancel=cancel)
            return res
        return pj.batch_print(self.session, self.kind, out, printer, progress=progress, cancel=cancel, **kw)

    def _render_forms(self, out, progress, cancel, **kw):
        """The status-change forms of ``self.event_ids`` (worker thread; writes nothing to the archive)."""
        from app.printing import service as ps

        return ps.print_document(self.session, self.kind, out, event_ids=self.event_ids, overlay=kw["overlay"],
                                 mask_ids=False,
                                 calibration=kw["calibration"], progress=progress, cancel=cancel)

    def _failed(self, err) -> None:
        self._busy(False)
        self.status.setText(tr("printui.failed"))
        findings = getattr(err.error, "findings", None)
        self.status.setText(messages.findings_text(findings) if findings else str(err.error))
        if self._pending:
            self._pending = False
            self.refresh()

    def _show(self, path: str, res, *, final: bool) -> None:
        self._busy(False)
        if self._pending:
            self._pending = False
            self.refresh()
            return
        if self.pages is not None:
            self.pages.close()
        self.pdf_path = path
        self.final = final
        self.pages = pj.PdfPages(path)
        self.page = min(self.page, self.pages.count - 1)
        if not self._fitted and self.pages.count:
            self._fitted = True
            self.zoom_i = self._fit_zoom()
        warnings = [getattr(w, "message", str(w)) for w in getattr(res, "warnings", [])]
        text = tr("printui.rendered", pages=self.pages.count, students=getattr(res, "students", 0))
        if final:
            text = tr("printui.final_shown", path=path) + "\n" + text
        elif getattr(res, "to_issue", 0):
            text += tr("printui.will_issue", count=res.to_issue)
        if getattr(res, "skipped", None):
            text += "\n" + tr("printui.skipped", count=len(res.skipped)) + messages.finding_line(res.skipped[0])
        if warnings:
            text += "\n" + "\n".join(warnings[:2])
            if len(warnings) > 2:
                text += "\n" + tr("msg.more_findings", count=len(warnings) - 2)
        self.status.setText(text)
        self._paint()
        self.rendered.emit()

    def _paint(self) -> None:
        if not self.pages or self.pages.count == 0:
            self.image.clear()
            self._update_nav()
            return
        img = self.pages.image(self.page, SCREEN_DPI * ZOOMS[self.zoom_i] * self.devicePixelRatioF())
        pm = QPixmap.fromImage(img)
        pm.setDevicePixelRatio(self.devicePixelRatioF())
        self.image.setPixmap(pm)
        self.image.resize(pm.size() / self.devicePixelRatioF())
        self._update_nav()

    def _fit_zoom(self) -> int:
        """The largest zoom at which the whole first page fits the view."""
        w_mm, h_mm = self.pages.size_mm(0)
        view = self.scroll.viewport().size()
        for i in range(len(ZOOMS) - 1, -1, -1):
            px = SCREEN_DPI * ZOOMS[i] / 25.4
            if w_mm * px <= view.width() - 8 and h_mm * px <= view.height() - 8:
                return i
        return 0

    def _update_nav(self) -> None:
        n = self.pages.count if self.pages else 0
        self.page_label.setText(tr("printui.page_of", page=self.page + 1 if n else 0, pages=n))
        self.prev_button.setEnabled(self.page > 0)
        self.next_button.setEnabled(self.page < n - 1)
        self.zoom_label.setText(tr("printui.zoom", percent=round(ZOOMS[self.zoom_i] * 100)))
        self.zoom_out.setEnabled(self.zoom_i > 0)
        self.zoom_in.setEnabled(self.zoom_i < len(ZOOMS) - 1)

    def go(self, page: int) -> None:
        if self.pages and 0 <= page < self.pages.count:
            self.page = page
            self._paint()

    def set_zoom(self, i: int) -> None:
        if 0 <= i < len(ZOOMS):
            self.zoom_i = i
            self._paint()

    # ------------------------------------------------------------------ final output
    def _final(self, out: str, printer=None, on_done=None) -> None:
        """Render the final PDF to ``out`` (issuing numbers) and, with a printer, print it; one job."""
        kw = self._options()

        def fn(progress, cancel):
            return self._render_final(out, printer, progress, cancel, **kw)

        def done(res):
            if self.after_write and not self.event_ids:  # a change form writes nothing to the archive
                self.after_write(list(res.numbers) or None)
            self._show(res.path, res, final=True)
            if on_done:
                on_done(res)

        def failed(err):
            self._busy(False)
            messages.job_error(self, err)

        self._busy(True)
        label = tr("printui.printing") if printer is not None else tr("printui.saving")
        self.job = run_with_progress(self, label, fn, on_done=done, on_error=failed)

    def save_pdf(self, path: str | None = None) -> None:
        if not path:
            path, _ = QFileDialog.getSaveFileName(self, tr("printui.save_pdf"),
                                                  os.path.expanduser(f"~/{self.kind}.pdf"), tr("printui.pdf_filter"))
            if not path:
                return
        self._final(pj.with_suffix_pdf(path))

    def print_(self, printer=None) -> None:
        """Print: the system print dialog picks the printer (and a saved calibration for it, if any)."""
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        if printer is None:
            printer = QPrinter(QPrinter.PrinterMode.HighResolution)
            dlg = QPrintDialog(printer, self)
            dlg.setOption(QPrintDialog.PrintDialogOption.PrintToFile, True)
            if dlg.exec() != QDialog.DialogCode.Accepted:
                return
            self._calibration_for(printer.printerName())
        out = pj.temp_pdf("xueji-printed-")
        self._temps.append(out)
        self._final(out, printer)

    def _calibration_for(self, printer_name: str) -> None:
        from app.printing import service as ps

        if self.calibration is None and printer_name:
            found = ps.calibration_for_printer(self.session, printer_name)
            if found:
                self.select_calibration(found[0])

    def open_calibration(self) -> None:
        from ui.printing.calibration_dialog import CalibrationDialog

        dlg = CalibrationDialog(self.session, self, name=self.calibration or "")
        if dlg.exec() == QDialog.DialogCode.Accepted and dlg.saved_name:
            self.select_calibration(dlg.saved_name)
            self.refresh()

    def done(self, r: int) -> None:  # noqa: A003  (QDialog.done)
        if self.job is not None and not self.job.delivered:
            self.job.cancel()
        if self.pages is not None:
            self.pages.close()
            self.pages = None
        QTimer.singleShot(0, self._cleanup)
        super().done(r)

    def _cleanup(self) -> None:
        for p in self._temps:
            if p != self.pdf_path or not self.final:
                try:
                    os.unlink(p)
                except OSError:
                    pass
